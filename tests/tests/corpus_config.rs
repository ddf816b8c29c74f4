//! The corpus runner (`cargo xtask corpus DIR`) honours a `codegen.yaml` inside an API folder:
//! its entry documents and settings are used, and the fragments beside them are not taken for
//! APIs of their own.

use triad::load::FsReader;
use triad::{Files, Provenance};

const CODEGEN: &str = "\
name: shop
specs: [api.yaml]
crates:
  types: {name: shop-models}
  client: {name: shop-sdk, retry_safe: [orders_place]}
";

const API: &str = "\
openapi: 3.0.3
info: {title: Shop, version: '1'}
paths:
  /orders:
    post:
      operationId: orders_place
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: 'schemas.yaml#/Order'}
      responses:
        '200':
          description: The order.
          content:
            application/json:
              schema: {$ref: 'schemas.yaml#/Order'}
";

/// A fragment: no `openapi` key, so on its own it is no spec.
const SCHEMAS: &str = "\
Order:
  type: object
  required: [Id]
  properties:
    Id: {type: string}
";

/// Generates every entry of the corpus at `dir` the way the runner does.
fn generate(dir: &std::path::Path) -> Vec<(String, Result<Files, String>)> {
    let reader = FsReader::new(dir);
    xtask::corpus::entries(dir)
        .unwrap()
        .into_iter()
        .map(|entry| {
            let generated = xtask::corpus::config(&entry).and_then(|(config, config_dir)| {
                let provenance = Provenance { source: entry.name.clone(), command: "test".into() };
                let api = triad::load(&config, &config_dir, &reader).map_err(|d| d.to_string())?;
                triad::emit::emit(&api, &config, &provenance).map_err(|e| e.to_string())
            });
            (entry.name, generated)
        })
        .collect()
}

#[test]
fn a_folder_with_a_codegen_yaml_is_one_api_with_its_settings() {
    let dir = triad_tests::root().join("target/corpus-config-test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("shop")).unwrap();
    std::fs::write(dir.join("shop/codegen.yaml"), CODEGEN).unwrap();
    std::fs::write(dir.join("shop/api.yaml"), API).unwrap();
    std::fs::write(dir.join("shop/schemas.yaml"), SCHEMAS).unwrap();
    // The same files without a codegen.yaml: every file is taken for part of the API, and the
    // fragment fails to load, which shows the config is what makes the difference.
    std::fs::create_dir_all(dir.join("plain")).unwrap();
    std::fs::write(dir.join("plain/api.yaml"), API).unwrap();
    std::fs::write(dir.join("plain/schemas.yaml"), SCHEMAS).unwrap();

    let results = generate(&dir);
    let names: Vec<&str> = results.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["plain", "shop"]);
    assert!(results[0].1.is_err(), "a fragment taken for a spec should fail to load");
    let files = results[1].1.as_ref().unwrap_or_else(|e| panic!("shop:\n{e}"));
    // Crate names and client settings come from the folder's codegen.yaml.
    assert!(files.contains_key("shop-models/src/lib.rs"), "{:?}", files.keys());
    let client = &files["shop-sdk/src/lib.rs"];
    assert!(client.contains("pub async fn orders_place("), "{client}");
    assert!(client.contains("retry_safe: true"), "the config's retry_safe is applied:\n{client}");
    // The README's usage example (the crate's only doctest) builds a request with the types
    // crate's constructor, calls an operation and tells its error apart.
    let readme = &files["shop-sdk/README.md"];
    assert!(readme.contains("```rust,no_run\nuse shop_sdk::{Client, Credentials, runtime as rt, types};"), "{readme}");
    assert!(readme.contains("let body = types::Order::new("), "{readme}");
    assert!(readme.contains("match client.orders_place(&body).await {"), "{readme}");
    assert!(readme.contains("Err(rt::Error::Api { status, body: Some(error), .. })"), "{readme}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! The generated crates and the runtime are publishable and lean: their manifests carry what a
//! registry needs (read back through `cargo metadata`, as cargo sees them), their READMEs link
//! only to absolute URLs, the config's `package` settings reach every manifest (bad values are
//! located errors), and the WebSocket stack and the journal are features a user can leave out
//! (read back through `cargo tree`). `.ci/run` packages the four crates together with
//! `cargo package`, which builds each from its packaged sources.

use std::process::Command;

use serde_json::Value;
use triad::Provenance;
use triad::config::Config;
use triad::load::MemoryReader;

/// Runs cargo in the repository with `args`, returning its standard output.
fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo).current_dir(triad_tests::root()).args(args).output().expect("cargo runs");
    assert!(output.status.success(), "cargo {args:?}:\n{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// `cargo metadata` of the workspace's own packages, by name.
fn packages() -> serde_json::Map<String, Value> {
    let metadata: Value =
        serde_json::from_str(&cargo(&["metadata", "--locked", "--no-deps", "--format-version", "1"])).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p.clone()))
        .collect()
}

const PUBLISHED: [&str; 4] = ["triad-runtime", "mews-types", "mews-client", "mews-server"];

#[test]
fn manifests_carry_what_a_registry_needs() {
    let packages = packages();
    for name in PUBLISHED {
        let p = &packages[name];
        assert_eq!(p["license"], "MIT OR Apache-2.0", "{name}");
        assert_eq!(p["rust_version"], "1.85", "{name}");
        assert_eq!(p["edition"], "2024", "{name}");
        assert!(p["publish"].is_null(), "{name} may be published: {}", p["publish"]);
        assert!(p["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}");
        let manifest = std::path::Path::new(p["manifest_path"].as_str().unwrap());
        let readme = p["readme"].as_str().unwrap_or_else(|| panic!("{name} names no README"));
        assert!(manifest.with_file_name(readme).is_file(), "{name}: {readme} is missing");
        let keywords = p["keywords"].as_array().unwrap();
        assert!((1..=5).contains(&keywords.len()), "{name}: {keywords:?}");
        assert!(keywords.iter().all(|k| triad::config::is_keyword(k.as_str().unwrap())), "{name}: {keywords:?}");
        let categories = p["categories"].as_array().unwrap();
        assert!((1..=5).contains(&categories.len()), "{name}: {categories:?}");
        // A path dependency is published as its version.
        for dependency in p["dependencies"].as_array().unwrap() {
            if dependency["path"].is_string() {
                assert_ne!(dependency["req"], "*", "{name} depends on {} by path only", dependency["name"]);
            }
        }
    }
    assert_eq!(packages["mews-client"]["keywords"], serde_json::json!(["mews", "hospitality", "pms", "client"]));
}

#[test]
fn features_map_onto_the_runtime_and_gate_the_examples() {
    let packages = packages();
    let features = |name: &str| packages[name]["features"].clone();
    assert_eq!(
        features("mews-client"),
        serde_json::json!({"default": ["ws"], "redis": ["triad-runtime/redis"], "ws": ["triad-runtime/ws"]})
    );
    assert_eq!(
        features("mews-server"),
        serde_json::json!({
            "default": ["journal", "ws"],
            "journal": ["triad-runtime/journal"],
            "nats": ["ws", "triad-runtime/nats"],
            "nats-journal": ["triad-runtime/nats-journal"],
            "postgres": ["triad-runtime/postgres"],
            "ws": ["triad-runtime/ws"]
        })
    );
    assert_eq!(features("mews-types"), serde_json::json!({}));
    let runtime = features("triad-runtime");
    assert_eq!(runtime["journal"], serde_json::json!(["server", "dep:redb"]));
    assert!(!runtime["server"].as_array().unwrap().contains(&serde_json::json!("dep:redb")), "{runtime}");
    // The crates' own dependency on the runtime asks only for what is always needed.
    let runtime_features = |name: &str| {
        let dependencies = packages[name]["dependencies"].as_array().unwrap();
        let runtime = dependencies.iter().find(|d| d["name"] == "triad-runtime" && d["kind"].is_null()).unwrap();
        runtime["features"].clone()
    };
    assert_eq!(runtime_features("mews-client"), serde_json::json!(["client"]));
    assert_eq!(runtime_features("mews-server"), serde_json::json!(["server"]));
    // Each example program that needs a feature says so; the others build without features.
    let required = |name: &str| -> Vec<(String, Value)> {
        let targets = packages[name]["targets"].as_array().unwrap();
        let mut out: Vec<(String, Value)> = targets
            .iter()
            .filter(|t| t["kind"] == serde_json::json!(["example"]))
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t["required-features"].clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    };
    let none = Value::Null;
    assert_eq!(
        required("mews-client"),
        [("listen".to_owned(), serde_json::json!(["ws"])), ("reservations".to_owned(), none.clone())]
    );
    assert_eq!(
        required("mews-server"),
        [
            ("journal".to_owned(), serde_json::json!(["journal"])),
            ("push".to_owned(), serde_json::json!(["ws"])),
            ("receiver".to_owned(), none),
        ]
    );
}

/// The crates `cargo tree` lists as normal dependencies of a package built with `args`.
fn tree(args: &[&str]) -> Vec<String> {
    let mut all = vec!["tree", "--locked", "-e", "normal", "--prefix", "none"];
    all.extend_from_slice(args);
    let mut crates: Vec<String> =
        cargo(&all).lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect();
    crates.sort();
    crates.dedup();
    crates
}

#[test]
fn without_default_features_the_websocket_stack_and_the_journal_are_not_compiled() {
    let lean_client = tree(&["-p", "mews-client", "--no-default-features"]);
    let client = tree(&["-p", "mews-client"]);
    assert!(!lean_client.iter().any(|c| c == "tokio-tungstenite" || c == "tungstenite"), "{lean_client:?}");
    assert!(client.iter().any(|c| c == "tokio-tungstenite"), "{client:?}");
    assert!(lean_client.iter().any(|c| c == "reqwest"), "{lean_client:?}");
    assert!(lean_client.len() < client.len());
    // The Redis client only for a shared rate limit, when asked for.
    assert!(!client.iter().any(|c| c == "redis"), "{client:?}");
    let redis_client = tree(&["-p", "mews-client", "--no-default-features", "--features", "redis"]);
    assert!(redis_client.iter().any(|c| c == "redis"), "{redis_client:?}");
    assert!(!redis_client.iter().any(|c| c == "tokio-tungstenite"), "{redis_client:?}");
    let lean_server = tree(&["-p", "mews-server", "--no-default-features"]);
    for left_out in ["redb", "tokio-tungstenite", "tungstenite"] {
        assert!(!lean_server.iter().any(|c| c == left_out), "{left_out} in {lean_server:?}");
    }
    assert!(lean_server.iter().any(|c| c == "axum"), "{lean_server:?}");
    let journal_only = tree(&["-p", "mews-server", "--no-default-features", "--features", "journal"]);
    assert!(journal_only.iter().any(|c| c == "redb") && !journal_only.iter().any(|c| c == "tungstenite"));
    let server = tree(&["-p", "mews-server"]);
    assert!(server.iter().any(|c| c == "redb") && server.iter().any(|c| c == "tokio-tungstenite"));
    // The fan-out through NATS is asked for, never a default.
    assert!(!server.iter().any(|c| c == "async-nats"), "{server:?}");
    let fan_out = tree(&["-p", "mews-server", "--no-default-features", "--features", "nats"]);
    assert!(fan_out.iter().any(|c| c == "async-nats") && fan_out.iter().any(|c| c == "tokio-tungstenite"));
    // The types crate never compiles a network stack.
    let types = tree(&["-p", "mews-types"]);
    for absent in ["tokio", "reqwest", "axum", "redb"] {
        assert!(!types.iter().any(|c| c == absent), "{absent} in {types:?}");
    }
}

/// Every Markdown link target in `text`.
fn link_targets(text: &str) -> Vec<&str> {
    text.match_indices("](").filter_map(|(i, _)| text[i + 2..].split(')').next()).collect()
}

#[test]
fn readmes_link_only_to_absolute_urls() {
    let root = triad_tests::root();
    let mut readmes: Vec<(String, String)> =
        ["runtime", "generated/mews-types", "generated/mews-client", "generated/mews-server"]
            .iter()
            .map(|dir| (dir.to_string(), std::fs::read_to_string(root.join(dir).join("README.md")).unwrap()))
            .collect();
    // And the READMEs of an API with every kind of crate and channels.
    let files = triad_tests::generate_fixture("fixture-events", &["events.asyncapi.yaml"]).unwrap();
    readmes.extend(files.into_iter().filter(|(path, _)| path.ends_with("README.md")));
    assert!(readmes.len() >= 6);
    for (name, text) in &readmes {
        for target in link_targets(text) {
            assert!(target.starts_with("https://") || target.starts_with("http://"), "{name}: link to `{target}`");
        }
        assert!(!text.contains("../"), "{name}");
    }
    assert_eq!(link_targets("[a](https://x.example/a) and [`b`](../b)"), ["https://x.example/a", "../b"]);
}

const SPEC: &str = r#"
openapi: 3.1.0
info: {title: Shop, version: '1'}
paths:
  /orders:
    post:
      operationId: addOrder
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Order'}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}}
webhooks:
  orderPlaced:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Order'}
      responses: {'200': {description: ok}}
components:
  schemas:
    Order:
      type: object
      required: [Id]
      properties:
        Id: {type: string}
"#;

/// The crates of [`SPEC`] generated with the config `text`, or the config's diagnostics.
fn generate(text: &str) -> Result<triad::Files, Vec<triad::diag::Diagnostic>> {
    let config = Config::parse("codegen.yaml", text)?;
    let reader = MemoryReader::new().with("api.yaml", SPEC);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    Ok(triad::generate(&config, "", &reader, &provenance).map_err(|d| panic!("{d}")).unwrap().files)
}

/// The `key = value` lines of a manifest's `[package]` table.
fn package_keys(manifest: &str) -> Vec<&str> {
    manifest.lines().skip_while(|l| *l != "[package]").skip(1).take_while(|l| !l.starts_with('[')).collect()
}

#[test]
fn package_settings_reach_every_manifest() {
    let files = generate(
        "name: shop\nspecs: [api.yaml]\npackage:\n  license: MIT\n  repository: https://example.com/shop\n  \
         rust_version: '1.88'\n  keywords: [retail, orders]\n  publish: false\ncrates:\n  client:\n    \
         categories: [web-programming::http-client]\n",
    )
    .unwrap();
    for (kind, categories) in [
        ("types", r#"["api-bindings", "encoding"]"#),
        ("client", r#"["web-programming::http-client"]"#),
        ("server", r#"["api-bindings", "web-programming::http-server"]"#),
    ] {
        let manifest = &files[&format!("shop-{kind}/Cargo.toml")];
        let keys = package_keys(manifest);
        for line in [
            "license = \"MIT\"".to_owned(),
            "repository = \"https://example.com/shop\"".to_owned(),
            "rust-version = \"1.88\"".to_owned(),
            "readme = \"README.md\"".to_owned(),
            format!("keywords = [\"retail\", \"orders\", \"{kind}\"]"),
            format!("categories = {categories}"),
            "publish = false".to_owned(),
        ] {
            assert!(keys.contains(&line.as_str()), "{kind}: no `{line}` in\n{manifest}");
        }
    }
    // The server of an API with webhooks has the journal feature; nothing has `ws` without channels.
    assert!(
        files["shop-server/Cargo.toml"]
            .contains("[features]\ndefault = [\"journal\"]\njournal = [\"triad-runtime/journal\"]\n")
    );
    assert!(!files["shop-client/Cargo.toml"].contains("[features]"));
    // Defaults: the oldest Rust the generated code builds with, the API's name as a keyword,
    // publishable, no license or repository unless given.
    let files = generate("name: shop\nspecs: [api.yaml]\n").unwrap();
    let manifest = &files["shop-client/Cargo.toml"];
    let keys = package_keys(manifest);
    assert!(keys.contains(&"rust-version = \"1.85\""), "{manifest}");
    assert!(keys.contains(&"keywords = [\"shop\", \"client\"]"), "{manifest}");
    assert!(keys.contains(&"categories = [\"api-bindings\", \"web-programming::http-client\"]"), "{manifest}");
    for absent in ["license", "repository", "publish"] {
        assert!(!keys.iter().any(|k| k.starts_with(absent)), "{absent} in {manifest}");
    }
}

#[test]
fn bad_package_settings_are_located_errors() {
    let text = "name: shop\nspecs: [api.yaml]\npackage:\n  license: \"MIT\\nevil = 1\"\n  repository: git@example.com:shop\n  \
                rust_version: '1.70'\n  keywords: [ok, 9lives, a, b, c]\n  publish: maybe\ncrates:\n  server:\n    \
                categories: [Web]\n";
    let diags = generate(text).unwrap_err();
    let at = |pointer: &str| {
        diags
            .iter()
            .find(|d| d.location.pointer == pointer)
            .unwrap_or_else(|| panic!("nothing at {pointer}: {diags:#?}"))
    };
    assert_eq!(at("/package/license").location.line, 4);
    assert!(at("/package/license").expected.as_deref().unwrap().contains("SPDX"));
    assert_eq!(at("/package/repository").location.line, 5);
    assert!(at("/package/rust_version").message.contains("older than 1.85"), "{diags:#?}");
    assert_eq!(at("/package/keywords").location.line, 7);
    assert!(at("/package/keywords").message.contains("5 keywords"));
    assert!(at("/package/keywords/1").message.contains("9lives"));
    assert_eq!(at("/package/publish").location.line, 8);
    assert_eq!(at("/crates/server/categories/0").location.line, 11);
    assert!(at("/crates/server/categories/0").expected.as_deref().unwrap().contains("category"));
    // A version written as a YAML number would lose its trailing zeros: it must be quoted.
    let diags = generate("name: shop\nspecs: [api.yaml]\npackage: {rust_version: 1.90}\n").unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0].message.contains("YAML number"), "{diags:#?}");
    assert_eq!((diags[0].location.line, diags[0].location.pointer.as_str()), (3, "/package/rust_version"));
    let files = generate("name: shop\nspecs: [api.yaml]\npackage: {rust_version: '1.90'}\n").unwrap();
    assert!(package_keys(&files["shop-types/Cargo.toml"]).contains(&"rust-version = \"1.90\""));
}

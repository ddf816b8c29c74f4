//! Cursor pagination when the listing's request body is optional and the listing may answer
//! without content (as the published Mews Connector API writes its `getAll` operations): the
//! client still offers a `_stream` method, which owns its request and ends at a 204. The
//! generated client crate is built in a scratch workspace and `tests/fixtures/stream/behaviour.rs`
//! runs as its integration test against a scripted HTTP server on loopback.

use triad::Provenance;
use triad::config::Config;
use triad::load::MemoryReader;

const SPEC: &str = r#"
openapi: 3.0.3
info: {title: Listing, version: '1'}
servers: [{url: 'https://api.example.com'}]
paths:
  /items/list:
    post:
      operationId: items_getAll
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ItemFilter'}
      responses:
        '200':
          description: A page.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ItemPage'}
        '204':
          description: Nothing more.
        '400':
          description: Refused.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Problem'}
components:
  schemas:
    Limitation:
      type: object
      required: [Count]
      properties:
        Count: {type: integer, format: int32}
        Cursor: {type: string, format: uuid, nullable: true}
    ItemFilter:
      type: object
      required: [Limitation]
      properties:
        Limitation: {$ref: '#/components/schemas/Limitation'}
        Name: {type: string, nullable: true}
    Item:
      type: object
      required: [Id]
      properties:
        Id: {type: string, format: uuid}
    ItemPage:
      type: object
      required: [Items]
      properties:
        Items: {type: array, items: {$ref: '#/components/schemas/Item'}}
        Cursor: {type: string, format: uuid, nullable: true}
    Problem:
      type: object
      properties:
        Message: {type: string}
"#;

fn config() -> Config {
    let mut config = Config::parse(
        "codegen.yaml",
        "name: fixture-stream\nspecs: [api.yaml]\ncrates:\n  server: {enabled: false}\npagination:\n  request_cursor: Limitation.Cursor\n  request_count: Limitation.Count\n  response_cursor: Cursor\nnull_means_absent: true\n",
    )
    .unwrap();
    config.client.runtime_path = Some(triad_tests::root().join("runtime").display().to_string());
    config
}

fn generate() -> triad::Files {
    let reader = MemoryReader::new().with("api.yaml", SPEC);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    triad::generate(&config(), "", &reader, &provenance).unwrap().files
}

#[test]
fn an_optional_body_and_a_204_still_give_a_stream() {
    let files = generate();
    let client = &files["fixture-stream-client/src/lib.rs"];
    let flat: String = client.split_whitespace().collect::<Vec<_>>().join(" ");
    // The method takes the optional body and may answer `None`; the stream owns its request.
    assert!(flat.contains("pub async fn items_get_all( &self, body: Option<&types::ItemFilter>, )"), "{client}");
    assert!(flat.contains("pub fn items_get_all_stream( &self, body: types::ItemFilter, )"), "{client}");
    assert!(
        flat.contains("self.transport.items_or_none(&Self::ITEMS_GET_ALL, &Self::PAGING, body, split)"),
        "{client}"
    );
}

#[test]
fn the_stream_follows_cursors_and_ends_at_a_page_without_content() {
    let mut files = generate();
    let behaviour = std::fs::read_to_string(triad_tests::root().join("tests/fixtures/stream/behaviour.rs")).unwrap();
    files.insert("fixture-stream-client/tests/behaviour.rs".into(), behaviour);
    // The behaviour test runs on tokio (a client crate without example programs has no
    // dev-dependencies).
    let manifest = files.get_mut("fixture-stream-client/Cargo.toml").unwrap();
    assert!(!manifest.contains("dev-dependencies"), "{manifest}");
    manifest.push_str(
        "\n[dev-dependencies.tokio]\nversion = \"1\"\ndefault-features = false\nfeatures = [\"rt\", \"macros\"]\n",
    );
    let scratch = triad_tests::root().join("target/triad-stream");
    std::fs::create_dir_all(&scratch).unwrap();
    let crates = xtask::scratch::prepare(&scratch, &files).unwrap();
    assert!(crates.contains(&"fixture-stream-client".to_owned()), "{crates:?}");
    if let Err(output) = xtask::scratch::test(&scratch, "fixture-stream-client") {
        panic!("the client does not build or its stream misbehaves:\n{output}");
    }
}

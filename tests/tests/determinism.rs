//! Same input, same bytes: generating twice, or from the spec files given in another order,
//! produces identical output.

use triad::Provenance;
use triad::config::Config;
use triad::load::FsReader;

fn generate_mews(specs: Vec<String>) -> triad::Files {
    let root = triad_tests::root();
    let text = std::fs::read_to_string(root.join("spec/mews/codegen.yaml")).unwrap();
    let mut config = Config::parse("spec/mews/codegen.yaml", &text).unwrap();
    config.specs = specs;
    let provenance = Provenance { source: "spec/mews/codegen.yaml".into(), command: "cargo xtask codegen".into() };
    triad::generate(&config, "spec/mews", &FsReader::new(&root), &provenance).unwrap().files
}

#[test]
fn generating_twice_gives_the_same_bytes() {
    let specs: Vec<String> =
        ["connector/openapi.yaml", "webhooks.openapi.yaml", "websocket.asyncapi.yaml"].map(String::from).into();
    assert_eq!(generate_mews(specs.clone()), generate_mews(specs));
}

/// The first document names the API's version (the imported release); the order of the others
/// changes nothing.
#[test]
fn spec_order_does_not_matter() {
    let forward = generate_mews(
        ["connector/openapi.yaml", "webhooks.openapi.yaml", "websocket.asyncapi.yaml"].map(String::from).into(),
    );
    let backward = generate_mews(
        ["connector/openapi.yaml", "websocket.asyncapi.yaml", "webhooks.openapi.yaml"].map(String::from).into(),
    );
    assert_eq!(forward, backward);
}

#[test]
fn fixture_file_order_does_not_matter() {
    let a = triad_tests::generate_fixture("order", &["objects.yaml", "unions.yaml", "events.asyncapi.yaml"]).unwrap();
    let b = triad_tests::generate_fixture("order", &["events.asyncapi.yaml", "unions.yaml", "objects.yaml"]).unwrap();
    assert_eq!(a, b);
}

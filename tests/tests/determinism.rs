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
    let specs = vec!["connector.openapi.yaml".to_owned(), "websocket.asyncapi.yaml".to_owned()];
    assert_eq!(generate_mews(specs.clone()), generate_mews(specs));
}

#[test]
fn spec_order_does_not_matter() {
    let forward = generate_mews(vec!["connector.openapi.yaml".into(), "websocket.asyncapi.yaml".into()]);
    let backward = generate_mews(vec!["websocket.asyncapi.yaml".into(), "connector.openapi.yaml".into()]);
    assert_eq!(forward, backward);
}

#[test]
fn fixture_file_order_does_not_matter() {
    let a = triad_tests::generate_fixture("order", &["objects.yaml", "unions.yaml", "events.asyncapi.yaml"]).unwrap();
    let b = triad_tests::generate_fixture("order", &["events.asyncapi.yaml", "unions.yaml", "objects.yaml"]).unwrap();
    assert_eq!(a, b);
}

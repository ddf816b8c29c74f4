//! Requests matched to replies by correlation id, through generated client crates: the AsyncAPI
//! 3.0 fixture (`reply` on an operation, `correlationId` by `$ref`) and the 2.6 one (a sent and
//! a received message with the correlation id at the same pointer). The crates are built in a
//! scratch workspace with warnings denied, with a crate whose integration test
//! (`tests/fixtures/behaviour/requests_loopback.rs`) runs them against a tokio-tungstenite peer
//! on loopback.

use triad::Files;

const FIXTURES: &[(&str, &str)] =
    &[("requests", "requests.asyncapi.yaml"), ("requests_v2", "requests_v2.asyncapi.yaml")];

fn generate(name: &str, spec: &str) -> triad::Generated {
    triad_tests::generate_fixture_with_warnings(&format!("fixture-{name}"), &[spec])
        .unwrap_or_else(|d| panic!("{name}:\n{d}"))
}

#[test]
fn fixtures_generate_without_warnings() {
    for (name, spec) in FIXTURES {
        let generated = generate(name, spec);
        assert!(generated.warnings.is_empty(), "{name}: {:?}", generated.warnings);
    }
}

#[test]
fn generated_requests_match_replies_over_loopback() {
    let mut all = Files::new();
    for (name, spec) in FIXTURES {
        all.extend(generate(name, spec).files);
    }
    let manifest = r#"[package]
name = "requests-loopback"
version = "0.0.0"
edition = "2024"
publish = false

[dev-dependencies]
fixture-requests-client = { path = "../fixture-requests-client" }
fixture-requests_v2-client = { path = "../fixture-requests_v2-client" }
tokio = { version = "1", default-features = false, features = ["rt", "macros", "net", "time"] }
tokio-tungstenite = { version = "0.29", default-features = false, features = ["handshake"] }
futures-util = { version = "0.3", default-features = false, features = ["sink", "std"] }
serde_json = "1"
"#;
    all.insert("requests-loopback/Cargo.toml".into(), manifest.into());
    all.insert("requests-loopback/src/lib.rs".into(), "//! Loopback tests of generated request functions.\n".into());
    let behaviour = triad_tests::root().join("tests/fixtures/behaviour/requests_loopback.rs");
    all.insert("requests-loopback/tests/loopback.rs".into(), std::fs::read_to_string(behaviour).unwrap());
    let scratch = triad_tests::root().join("target/triad-requests");
    std::fs::create_dir_all(&scratch).unwrap();
    let crates = xtask::scratch::prepare(&scratch, &all).unwrap();
    for krate in crates.iter().filter(|c| c.ends_with("-client")) {
        if let Err(output) = xtask::scratch::build_lint_doc(&scratch, krate) {
            panic!("{krate} is not build, clippy or rustdoc clean:\n{output}");
        }
    }
    if let Err(output) = xtask::scratch::test(&scratch, "requests-loopback") {
        panic!("the loopback tests fail:\n{output}");
    }
}

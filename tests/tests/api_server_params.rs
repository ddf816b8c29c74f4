//! Generated API servers serve operations with parameters: the generated client against the
//! generated server on loopback, for `tests/fixtures/api/params.yaml` (every parameter style,
//! templates axum cannot take as written) and for Twilio's Messaging API read in place from the
//! corpus (skipped with a notice when absent). Each server crate gets its client crate as a
//! dev-dependency and `tests/fixtures/behaviour/<name>_server.rs` as its integration test, in a
//! scratch workspace; the crates must also be clippy and rustdoc clean.

use std::path::PathBuf;

use triad::Files;
use triad::config::Config;
use triad::load::FsReader;

fn corpus() -> Option<PathBuf> {
    let base = std::env::var_os("TRIAD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| triad_tests::root().join("../shared/corpus"));
    base.join("twilio-messaging-v1.json").is_file().then_some(base)
}

fn params() -> Files {
    triad_tests::generate_fixture("fixture-api-params", &["api/params.yaml"]).unwrap_or_else(|d| panic!("{d}"))
}

#[test]
fn templates_that_differ_only_in_names_share_a_route_and_the_shadowed_one_is_documented() {
    let files = params();
    let lib = &files["fixture-api-params-server/src/lib.rs"];
    assert!(
        lib.contains("Never reached (an earlier operation has the same method and path but for parameter names): `getItemByName` (by `getItem`)."),
        "{lib}"
    );
    // One route per template shape, captures named by position, literals as written.
    for route in ["\"/items/{p0}\"", "\"/labels/{p0}/{p1}\"", "\"/v1/{p0}\"", "\"/odd/*/:colon/{p0}\""] {
        assert_eq!(lib.matches(route).count(), 1, "{route}");
    }
    assert!(!lib.contains("{id}\"") && !lib.contains("{name}\""), "spec names never reach a route");
}

#[test]
fn generated_clients_and_servers_agree_over_loopback() {
    let mut files = params();
    triad_tests::wire_up(&mut files, "fixture-api-params", "api_params_server.rs");
    let mut servers = vec!["fixture-api-params-server"];
    match corpus() {
        Some(dir) => {
            let mut config = Config::for_name("twilio-messaging", vec!["twilio-messaging-v1.json".into()]);
            config.client.runtime_path = Some(triad_tests::root().join("runtime").display().to_string());
            config.server.runtime_path = config.client.runtime_path.clone();
            let provenance = triad::Provenance { source: "twilio".into(), command: "cargo test".into() };
            let generated = triad::generate(&config, "", &FsReader::new(&dir), &provenance);
            files.extend(generated.unwrap_or_else(|d| panic!("{d}")).files);
            triad_tests::wire_up(&mut files, "twilio-messaging", "twilio_api_server.rs");
            servers.push("twilio-messaging-server");
        }
        None => println!("no corpus at ../shared/corpus; set TRIAD_CORPUS to run the Twilio half of this test"),
    }
    let scratch = triad_tests::root().join("target/triad-api-params");
    std::fs::create_dir_all(&scratch).unwrap();
    xtask::scratch::prepare(&scratch, &files).unwrap();
    for krate in servers {
        if let Err(output) = xtask::scratch::test(&scratch, krate) {
            panic!("{krate} does not build or its behaviour tests fail:\n{output}");
        }
        if let Err(output) = xtask::scratch::build_lint_doc(&scratch, krate) {
            panic!("{krate} is not clippy or rustdoc clean:\n{output}");
        }
    }
}

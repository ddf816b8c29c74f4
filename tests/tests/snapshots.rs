//! Generated code for small fixture specs (one per group of constructs), checked three ways: the
//! text against insta snapshots in `tests/tests/snapshots/`, the crates by building them with
//! warnings denied, and their behaviour by running `tests/fixtures/behaviour/<name>.rs` as an
//! integration test of the generated crate. Review snapshot changes with `cargo insta review`.

use triad::Files;

/// (crate base name, spec files under `tests/fixtures/`)
const FIXTURES: &[(&str, &[&str])] = &[
    ("objects", &["objects.yaml"]),
    ("unions", &["unions.yaml"]),
    ("events", &["events.asyncapi.yaml"]),
    ("split", &["split/api.yaml"]),
    ("operations", &["operations.yaml"]),
];

fn generate(name: &str, specs: &[&str]) -> Files {
    triad_tests::generate_fixture(&format!("fixture-{name}"), specs).unwrap_or_else(|d| panic!("{name}:\n{d}"))
}

#[test]
fn snapshots() {
    for (name, specs) in FIXTURES {
        let files = generate(name, specs);
        let lib = &files[&format!("fixture-{name}-types/src/lib.rs")];
        insta::assert_snapshot!(*name, lib);
        // Specs with operations also make a client crate.
        if let Some(client) = files.get(&format!("fixture-{name}-client/src/lib.rs")) {
            insta::assert_snapshot!(format!("{name}_client"), client);
        }
    }
}

#[test]
fn fixture_crates_build_and_behave() {
    let mut all = Files::new();
    for (name, specs) in FIXTURES {
        all.extend(generate(name, specs));
    }
    let scratch = triad_tests::root().join("target/triad-fixtures");
    std::fs::create_dir_all(&scratch).unwrap();
    // Behaviour tests become integration tests of the generated crates.
    for (name, _) in FIXTURES {
        let behaviour = triad_tests::root().join(format!("tests/fixtures/behaviour/{name}.rs"));
        if let Ok(text) = std::fs::read_to_string(&behaviour) {
            all.insert(format!("fixture-{name}-types/tests/behaviour.rs"), text);
        }
    }
    let crates = xtask::scratch::prepare(&scratch, &all).unwrap();
    let clients = crates.iter().filter(|c| c.ends_with("-client")).count();
    assert_eq!(crates.len() - clients, FIXTURES.len());
    for krate in crates {
        if let Err(output) = xtask::scratch::test(&scratch, &krate) {
            panic!("{krate} does not build or its behaviour tests fail:\n{output}");
        }
    }
}

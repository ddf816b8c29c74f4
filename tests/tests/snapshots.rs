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
    ("hostile", &["hostile.yaml"]),
    ("shared_tags", &["shared_tags.yaml"]),
    ("aliases_only", &["aliases_only.yaml"]),
    ("cycles", &["cycles.yaml"]),
    ("type_lists", &["type_lists.yaml"]),
    ("signed", &["signed.yaml"]),
    ("batches", &["batches.yaml"]),
    // Classes of specs that once made crates clippy rejects or did not generate; each guards its
    // class. Grow `unkind` whenever a spec finds a new one.
    ("refmaps", &["refmaps/api.yaml"]),
    ("constructors", &["constructors.yaml"]),
    ("unkind", &["unkind.yaml"]),
    ("unkind_channels", &["unkind_channels.asyncapi.yaml"]),
];

fn generate(name: &str, specs: &[&str]) -> Files {
    // A fixture's config settings beyond the defaults.
    let configure = |config: &mut triad::config::Config| {
        if name == "signed" {
            config.auth.webhook_signature =
                Some(triad::config::WebhookSignature::StandardWebhooks { tolerance_seconds: 300 });
        }
        if name == "batches" {
            config.tolerate_null = true;
        }
        // An example program over an optional body with a deprecated field, among basic,
        // bearer and API-key credentials: built and linted with the client crate.
        if name == "operations" {
            config.client.examples = vec![triad::config::Example {
                name: "archive".into(),
                operation: "archiveNote".into(),
                print: "name".into(),
                args: vec![triad::config::ExampleArg { flag: "name".into(), field: "name".into(), default: None }],
                ..Default::default()
            }];
        }
    };
    triad_tests::generate_fixture_configured(&format!("fixture-{name}"), specs, configure)
        .map(|g| g.files)
        .unwrap_or_else(|d| panic!("{name}:\n{d}"))
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
        // Specs with operations or webhooks also make a server-stub crate.
        if let Some(server) = files.get(&format!("fixture-{name}-server/src/lib.rs")) {
            insta::assert_snapshot!(format!("{name}_server"), server);
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
        for kind in ["client", "server"] {
            let path = triad_tests::root().join(format!("tests/fixtures/behaviour/{name}_{kind}.rs"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                all.insert(format!("fixture-{name}-{kind}/tests/behaviour.rs"), text);
            }
        }
    }
    let crates = xtask::scratch::prepare(&scratch, &all).unwrap();
    let others = crates.iter().filter(|c| c.ends_with("-client") || c.ends_with("-server")).count();
    assert_eq!(crates.len() - others, FIXTURES.len());
    for krate in crates {
        if let Err(output) = xtask::scratch::test(&scratch, &krate) {
            panic!("{krate} does not build or its behaviour tests fail:\n{output}");
        }
        if let Err(output) = xtask::scratch::build_lint_doc(&scratch, &krate) {
            panic!("{krate} is not clippy or rustdoc clean:\n{output}");
        }
        // A crate with features builds and lints without them (the WebSocket stack, the
        // journal), and with each alone.
        let manifest = &all[&format!("{krate}/Cargo.toml")];
        if manifest.contains("\n[features]\n") {
            let features: Vec<&str> = manifest
                .lines()
                .skip_while(|l| *l != "[features]")
                .skip(1)
                .take_while(|l| !l.is_empty())
                .filter_map(|l| l.split_once(" = ").map(|(name, _)| name))
                .filter(|name| *name != "default")
                .collect();
            assert!(!features.is_empty(), "{manifest}");
            for feature in [""].into_iter().chain(features) {
                if let Err(output) = xtask::scratch::lint_with_features(&scratch, &krate, feature) {
                    panic!("{krate} with features [{feature}] alone is not clippy clean:\n{output}");
                }
            }
        }
        // Spec text never becomes a doctest, whatever code fences it holds: a crate's doctests
        // are its README's usage example (the generator's own code; none for a server of
        // channels only or a types crate with nothing it can build) and, in a client crate, one
        // ignored example per channel module (each has one `decode` function).
        let doctests = xtask::scratch::doctests(&scratch, &krate).unwrap_or_else(|e| panic!("{krate}:\n{e}"));
        let readme = &all[&format!("{krate}/README.md")];
        let mut expected = readme.matches("\n```rust").count();
        if let Some(lib) = all.get(&format!("{krate}/src/lib.rs")).filter(|_| krate.ends_with("-client")) {
            expected += lib.matches("pub fn decode(frame: &[u8]").count();
        }
        // A client with an HTTP `Client` and a server with a receiver always show one; a types
        // crate does when it has a type a user can build (sent types, or ones with `Default`).
        let blocks = readme.matches("\n```rust").count();
        if krate.ends_with("-types") {
            assert!(blocks <= 1, "{krate}:\n{readme}");
        } else {
            assert_eq!(blocks, usize::from(lib_has_http_parts(&all, &krate)), "{krate}:\n{readme}");
        }
        assert_eq!(doctests, expected, "{krate} has doctests made from spec text");
    }
}

/// Whether a client or server crate has more than channel modules (a client with an HTTP
/// `Client`, a server with a webhook receiver), so its README shows a usage example.
fn lib_has_http_parts(all: &Files, krate: &str) -> bool {
    let lib = &all[&format!("{krate}/src/lib.rs")];
    lib.contains("pub struct Client {") || lib.contains("pub trait Webhooks")
}

#[test]
fn spec_text_cannot_add_manifest_keys_or_readme_blocks() {
    let files = generate("hostile", &["hostile.yaml"]);
    let manifest = &files["fixture-hostile-types/Cargo.toml"];
    let tables: Vec<&str> = manifest.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(
        tables,
        ["[package]", "[lib]", "[dependencies.serde]", "[dependencies.serde_json]", "[dependencies.triad-runtime]"],
        "{manifest}"
    );
    let keys: Vec<&str> = manifest.lines().filter_map(|l| l.split_once(" = ").map(|(k, _)| k)).collect();
    assert_eq!(keys.iter().filter(|k| **k == "description").count(), 1, "{manifest}");
    assert!(!keys.contains(&"y") && !keys.contains(&"name = \"evil\""), "{manifest}");
    assert!(manifest.lines().any(|l| l == "version = \"0.1.0\""), "{manifest}");
    // The only code block is the generator's usage example.
    let readme = &files["fixture-hostile-types/README.md"];
    let fences: Vec<&str> =
        readme.lines().filter(|l| l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~")).collect();
    assert_eq!(fences, ["```rust", "```"], "{readme}");
    assert!(!readme.contains('\u{202E}') && !readme.contains('\r'), "{readme}");
    let lib = &files["fixture-hostile-types/src/lib.rs"];
    assert!(!lib.contains('\u{202E}') && !lib.contains('\u{7}') && !lib.contains('\r'));
}

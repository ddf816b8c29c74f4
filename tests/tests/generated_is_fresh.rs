//! `generated/` holds exactly what `cargo xtask codegen` would write, so plain `cargo test`
//! catches a spec or generator change that was not followed by a regeneration.

#[test]
fn generated_matches_the_specs() {
    let root = triad_tests::root();
    let files = xtask::generate_all(&root).expect("the specs in spec/ generate");
    let drift = triad::sync::diff(&root.join("generated"), &files).unwrap();
    let report: Vec<String> = drift.iter().map(|d| format!("generated/{d}")).collect();
    assert!(report.is_empty(), "generated/ is out of date; run `cargo xtask codegen`:\n{}", report.join("\n"));
}

#[test]
fn every_generated_file_is_marked() {
    let root = triad_tests::root();
    let files = xtask::generate_all(&root).unwrap();
    assert!(files.keys().any(|p| p.starts_with("mews-types/")), "the Mews types crate is generated");
    for (path, content) in &files {
        let first = content.lines().next().unwrap_or_default();
        assert!(first.contains("@generated") && first.contains("cargo xtask codegen"), "{path}: {first}");
    }
}

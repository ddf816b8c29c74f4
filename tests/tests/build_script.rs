//! The build-script entry point (`triad::build`): the example crate `tests/build-example`
//! generates its types in its build script (it builds, and its tests run, in `cargo test
//! --workspace`); here, what the entry point writes and which files make cargo rerun it.

use triad::build::types_into;

#[test]
fn build_script_output_and_rerun_inputs() {
    let example = triad_tests::root().join("tests/build-example");
    let out = tempfile::tempdir().unwrap();
    let output = types_into(&example.join("api/codegen.yaml"), out.path()).unwrap();
    assert_eq!(output.file, out.path().join("shop_types.rs"));
    let api = example.join("api").canonicalize().unwrap();
    // The config, the entry spec and the `$ref` target: every file read.
    let expected: Vec<_> = ["codegen.yaml", "openapi.yaml", "schemas.yaml"].iter().map(|f| api.join(f)).collect();
    assert_eq!(output.inputs, expected);
    let text = std::fs::read_to_string(&output.file).unwrap();
    assert!(text.contains("pub struct Order {"), "{text}");
    // `include!` takes items only: no crate-level attributes or docs.
    assert!(!text.lines().any(|l| l.trim_start().starts_with("#![") || l.trim_start().starts_with("//!")), "{text}");
    // Nor the types crate's README doctests, which name a README the including crate lacks.
    assert!(!text.contains("ReadmeDoctests") && !text.contains("README.md"), "{text}");
    // A second run with nothing changed leaves the file alone (cargo sees no change).
    let before = std::fs::metadata(&output.file).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    types_into(&example.join("api/codegen.yaml"), out.path()).unwrap();
    assert_eq!(std::fs::metadata(&output.file).unwrap().modified().unwrap(), before);
}

#[test]
fn a_broken_spec_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("codegen.yaml"), "name: broken\nspecs: [openapi.yaml]\n").unwrap();
    std::fs::write(dir.path().join("openapi.yaml"), "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {$ref: '#/nope'}}\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let error = types_into(&dir.path().join("codegen.yaml"), out.path()).unwrap_err();
    assert!(error.contains("openapi.yaml:6:"), "{error}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
}

/// `cargo xtask codegen --check` explains a drift: what changed in the API since the drifted
/// crates were last committed, or that the API did not change (so the generator did).
#[test]
fn a_stale_generated_folder_is_explained() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").arg("-C").arg(root).args(args).status().unwrap();
        assert!(status.success(), "git {args:?}");
    };
    let api = root.join("spec/shop");
    std::fs::create_dir_all(&api).unwrap();
    let example = triad_tests::root().join("tests/build-example/api");
    for file in ["codegen.yaml", "openapi.yaml", "schemas.yaml"] {
        std::fs::copy(example.join(file), api.join(file)).unwrap();
    }
    let out = root.join("generated");
    triad::sync::write(&out, &xtask::generate_all(root).unwrap()).unwrap();
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1"]);
    // The spec gains a status.
    let schemas = std::fs::read_to_string(api.join("schemas.yaml")).unwrap();
    std::fs::write(
        api.join("schemas.yaml"),
        schemas.replace("[placed, packed, shipped]", "[placed, packed, shipped, returned]"),
    )
    .unwrap();
    let drift = triad::sync::diff(&out, &xtask::generate_all(root).unwrap()).unwrap();
    assert!(!drift.is_empty());
    let text = xtask::explain_drift(root, &drift);
    assert!(
        text.contains("spec/shop/codegen.yaml: what changed in the API since its crates were last committed"),
        "{text}"
    );
    assert!(text.contains("Status::Returned: value `returned` added"), "{text}");
    // The spec as committed, but the generated file edited: the generator is to blame.
    std::fs::write(api.join("schemas.yaml"), &schemas).unwrap();
    let lib = out.join("shop-types/src/lib.rs");
    std::fs::write(&lib, std::fs::read_to_string(&lib).unwrap() + "\n").unwrap();
    let drift = triad::sync::diff(&out, &xtask::generate_all(root).unwrap()).unwrap();
    let text = xtask::explain_drift(root, &drift);
    assert!(text.contains("the API is the same as when its crates were last committed"), "{text}");
}

//! Bodies beyond JSON, both sides generated from `tests/fixtures/api/media.yaml`: the
//! generated client against the generated server and against hand-written servers on
//! loopback (`tests/fixtures/behaviour/media_server.rs`): 200 MB downloads and uploads in
//! bounded memory, a multipart body with two files and typed fields, an event stream of
//! 100,000 events resumed after a forced disconnect, a form and text. The crates must also be
//! clippy and rustdoc clean, and the spec generates without a warning.

#[test]
fn uploads_downloads_multipart_event_streams_and_forms_work_both_ways() {
    let generated = triad_tests::generate_fixture_with_warnings("fixture-api-media", &["api/media.yaml"])
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
    let mut files = generated.files;
    triad_tests::wire_up(&mut files, "fixture-api-media", "media_server.rs");
    let scratch = triad_tests::root().join("target/triad-api-media");
    std::fs::create_dir_all(&scratch).unwrap();
    xtask::scratch::prepare(&scratch, &files).unwrap();
    if let Err(output) = xtask::scratch::test(&scratch, "fixture-api-media-server") {
        panic!("the media crates do not build or their behaviour tests fail:\n{output}");
    }
    for krate in ["fixture-api-media-server", "fixture-api-media-client"] {
        if let Err(output) = xtask::scratch::build_lint_doc(&scratch, krate) {
            panic!("{krate} is not clippy or rustdoc clean:\n{output}");
        }
    }
}

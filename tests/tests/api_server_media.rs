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

/// Event names are spec text: one that would open a code block in the docs stays a code span,
/// and one named `other` does not take the variant of the kinds the spec does not name.
#[test]
fn hostile_event_names_stay_text_and_never_collide() {
    let spec = r#"
openapi: 3.1.0
info: {title: Hostile events, version: 1.0.0}
paths:
  /feed:
    get:
      operationId: feed
      responses:
        '200':
          description: Events.
          content:
            text/event-stream:
              itemSchema:
                type: object
                properties: {event: {type: string}, data: {type: string}}
                oneOf:
                  - properties: {event: {const: "x\n```rust\nfn main() { std::process::exit(1) }\n```"}, data: {type: string}}
                  - properties: {event: {const: other}, data: {type: string}}
                  - properties: {event: {const: Other}, data: {type: string}}
"#;
    let files = triad_tests::generate_memory(&[("hostile.yaml", spec)]).unwrap_or_else(|d| panic!("{d}"));
    let client = files.iter().find(|(path, _)| path.ends_with("-client/src/lib.rs")).map(|(_, text)| text).unwrap();
    assert!(
        !client.lines().any(|line| line.trim_start().starts_with("/// ```")),
        "a code fence reached the docs:\n{client}"
    );
    assert_eq!(client.matches("    Other {").count(), 1, "{client}");
    let variants: Vec<&str> = client
        .lines()
        .skip_while(|l| !l.contains("pub enum FeedEvent"))
        .take_while(|l| !l.starts_with('}'))
        .filter_map(|l| l.trim().strip_suffix("(String),"))
        .collect();
    assert_eq!(variants.len(), 3, "{variants:?}");
    assert!(!variants.contains(&"Other"), "{variants:?}");
}

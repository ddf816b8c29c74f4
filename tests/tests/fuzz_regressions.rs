//! Inputs found by fuzzing (fuzz/run.sh) and by the mutation test, kept small in
//! `tests/fixtures/fuzz/`, each with the behaviour it must have.

use triad::Provenance;
use triad::config::Config;
use triad::load::FsReader;
use triad::node;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(triad_tests::root().join("tests/fixtures/fuzz").join(name)).unwrap()
}

/// Every parse error of `name` lies inside the text: an existing line, a column at most one
/// past the line's last character.
fn assert_parse_errors_inside(name: &str) {
    let text = String::from_utf8_lossy(&fixture(name)).into_owned();
    let errors = node::parse(&text).expect_err("the input is not valid YAML");
    let lines = triad_tests::yaml_lines(&text);
    for e in errors {
        let line = lines.get(e.line as usize - 1).unwrap_or_else(|| panic!("{e:?} is past the last line in {text:?}"));
        assert!(e.column >= 1 && e.column as usize <= line.chars().count() + 1, "{e:?} is outside {line:?}");
    }
}

/// A spec file the config lists but that does not exist used to be reported at line 1 of the
/// missing file itself, a place no editor can open; it is reported where the config lists it.
#[test]
fn missing_spec_file_is_reported_where_the_config_lists_it() {
    let file = "tests/fixtures/fuzz/missing-spec.codegen.yaml";
    let text = String::from_utf8(fixture("missing-spec.codegen.yaml")).unwrap();
    let config = Config::parse(file, &text).unwrap();
    let provenance = Provenance { source: file.into(), command: "test".into() };
    let reader = FsReader::new(triad_tests::root());
    let diags = triad::generate(&config, "tests/fixtures/fuzz", &reader, &provenance).unwrap_err();
    assert_eq!(diags.0.len(), 1, "{diags}");
    let d = &diags.0[0];
    assert_eq!((&*d.location.file, d.location.line, d.location.column), (file, 6, 5), "{d}");
    assert_eq!(d.location.pointer, "/specs/1", "{d}");
    assert!(d.message.contains("`tests/fixtures/fuzz/gone.yaml`"), "{d}");
    assert!(d.expected.is_some(), "{d}");
}

/// A file without a config (specs named directly) still names the file it cannot read.
#[test]
fn missing_spec_file_without_a_config_names_the_file() {
    let config = Config::for_name("lost", vec!["tests/fixtures/fuzz/gone.yaml".into()]);
    let provenance = Provenance { source: "test".into(), command: "test".into() };
    let diags = triad::generate(&config, "", &FsReader::new(triad_tests::root()), &provenance).unwrap_err();
    assert_eq!(&*diags.0[0].location.file, "tests/fixtures/fuzz/gone.yaml", "{diags}");
}

/// `{` then a line break and a space: the syntax error at the end of the input is reported at
/// 3:1, a line the two-line file does not have.
#[test]
fn syntax_error_at_the_end_names_a_line_of_the_file() {
    assert_parse_errors_inside("syntax-error-line-past-end.yaml");
}

/// `%`, three invalid UTF-8 bytes (read as U+FFFD, three bytes each) and NUL: the error in the
/// directive is reported at column 11, its byte offset, on a line of seven characters.
#[test]
fn syntax_error_column_lies_in_its_line() {
    assert_parse_errors_inside("syntax-error-column-past-end.bin");
}

/// Config keys the user chose (unknown settings, schema names under `naming` and `unions`)
/// were put into JSON pointers unescaped, so `a/b` read as two segments and `~` made the
/// pointer invalid.
#[test]
fn config_pointers_escape_keys() {
    let text = String::from_utf8(fixture("config-keys-need-escaping.codegen.yaml")).unwrap();
    let diags = Config::parse("codegen.yaml", &text).unwrap_err();
    let mut found: Vec<(u32, String)> = diags.iter().map(|d| (d.location.line, d.location.pointer.clone())).collect();
    found.sort();
    assert_eq!(
        found,
        [
            (3, "/aut~0~1h".to_owned()),
            (5, "/naming/types/a~1b".to_owned()),
            // The union also lacks `content`, reported at the union's own setting.
            (7, "/unions/x~0y/content".to_owned()),
            (7, "/unions/x~0y/tag".to_owned())
        ],
        "{diags:?}"
    );
}

/// A `$ref` whose fragment has `%` followed by a character of more than one byte: the
/// percent-decoding of the fragment slices two bytes after the `%` and panics inside the
/// character (`load::percent_decode`, called from `Workspace::resolve`). It must be reported
/// as an unresolvable reference at the `$ref` instead.
#[test]
fn percent_in_a_ref_before_a_wide_character_is_an_error_not_a_panic() {
    let text = String::from_utf8(fixture("ref-percent-inside-character.yaml")).unwrap();
    let result = std::panic::catch_unwind(|| triad_tests::generate_memory(&[("api.yaml", &text)]));
    let diags = result.expect("no panic").expect_err("the reference does not resolve");
    // Reported like any reference to nothing.
    let plain = triad_tests::generate_memory(&[("api.yaml", &text.replace("%1é", "Nope"))]).unwrap_err();
    assert_eq!(diags.0.len(), 1, "{diags}");
    assert_eq!(diags.0[0].location, plain.0[0].location, "{diags}");
    assert_eq!(diags.0[0].location.line, 7, "{diags}");

    // The fuzzer's minimised form: `$ref: '#%` and a byte that is not UTF-8, read lossily.
    let bytes = fixture("ref-percent-inside-character.bin");
    let reader = triad::load::MemoryReader::new().with("api.yaml", &String::from_utf8_lossy(&bytes));
    let options = triad::load::LoadOptions::default();
    let workspace = triad::load::Workspace::load(&["api.yaml".to_owned()], &reader, &options).unwrap();
    let reference = workspace.documents[0].root.get("$ref").and_then(|r| r.as_str()).unwrap().to_owned();
    let result = std::panic::catch_unwind(|| workspace.resolve(0, &reference).map(|(target, _)| target));
    assert!(result.expect("no panic").is_err());
}

/// Names under `naming.types` were used as written: an empty name or one with a space made
/// the emitter panic building the identifier, `Option` shadowed the prelude and `self` is a
/// keyword. Each is now reported where it is written; a good name is still accepted.
#[test]
fn config_type_names_must_be_usable_rust_names() {
    let file = "tests/fixtures/fuzz/config-bad-type-names.codegen.yaml";
    let text = String::from_utf8(fixture("config-bad-type-names.codegen.yaml")).unwrap();
    let provenance = Provenance { source: file.into(), command: "test".into() };
    let reader = FsReader::new(triad_tests::root());
    let result = std::panic::catch_unwind(|| {
        let config = Config::parse(file, &text).map_err(triad::diag::Diagnostics::new)?;
        triad::generate(&config, "tests/fixtures/fuzz", &reader, &provenance)
    });
    let diags = result.expect("no panic").unwrap_err();
    let found: Vec<(u32, &str)> = diags.0.iter().map(|d| (d.location.line, &*d.location.pointer)).collect();
    assert_eq!(
        found,
        [
            (5, "/naming/types/Thing"),
            (5, "/naming/types/Owner"),
            (5, "/naming/types/Holder"),
            (5, "/naming/types/Problem")
        ],
        "{diags}"
    );
    assert!(diags.0.iter().all(|d| d.expected.as_deref().is_some_and(|e| e.contains("UpperCamelCase"))), "{diags}");
    assert!(diags.0[1].expected.as_deref().unwrap().contains("`AB`"), "{diags}");
}

/// A `pagination` setting without one of its three paths was accepted with an empty path, so
/// the check against the specs reported `request_count: ` at line 1 of the config with an
/// empty pointer. The missing key is reported at `pagination`.
#[test]
fn incomplete_pagination_names_the_missing_setting() {
    let text = String::from_utf8(fixture("config-pagination-incomplete.codegen.yaml")).unwrap();
    let diags = Config::parse("codegen.yaml", &text).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!((d.location.line, d.location.column, &*d.location.pointer), (5, 3, "/pagination"), "{d}");
    assert!(d.message.contains("`request_count`"), "{d}");
}

/// allOf members that refer back to their schema: each was followed again until the depth
/// bound, so with several of them the work (and the diagnostics) grew exponentially and the
/// generator ran out of memory. The cycle is now reported at the member's `$ref`.
#[test]
fn allof_referring_to_itself_is_a_reported_cycle() {
    let text = String::from_utf8(fixture("allof-self-references.yaml")).unwrap();
    let one = text.lines().filter(|l| !l.contains("$ref")).collect::<Vec<_>>().join("\n");
    let one = one.replace("      allOf:\n", "      allOf:\n        - $ref: '#/components/schemas/Node'\n");
    let diags = triad_tests::generate_memory(&[("api.yaml", &one)]).unwrap_err();
    assert_eq!(diags.0.len(), 1, "{diags}");
    let d = &diags.0[0];
    assert_eq!((d.location.line, &*d.location.pointer), (9, "/components/schemas/Node/allOf/0/$ref"), "{d}");
    assert!(d.message.contains("refers back"), "{d}");

    // Six such members: one diagnostic each, no blow-up.
    let diags = triad_tests::generate_memory(&[("api.yaml", &text)]).unwrap_err();
    assert!(diags.0.len() <= 6 && diags.0.iter().all(|d| d.message.contains("refers back")), "{diags}");
}

/// A schema reached again through another allOf path is not followed again (that is what kept
/// the self-references above from blowing up); every property still arrives, through a diamond
/// of 12 levels (4096 paths to the last schema).
#[test]
fn allof_diamonds_keep_every_property() {
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n");
    for i in 0..12 {
        let next = format!("{{$ref: '#/components/schemas/L{}'}}", i + 1);
        spec.push_str(&format!(
            "    L{i}:\n      allOf: [{next}, {next}, {{properties: {{p{i}: {{type: string}}}}}}]\n"
        ));
    }
    spec.push_str("    L12: {type: object, properties: {last: {type: integer}}}\n");
    let files = triad_tests::generate_memory(&[("api.yaml", &spec)]).unwrap();
    let lib = &files["memory-types/src/lib.rs"];
    let l0 = &lib[lib.find("pub struct L0 ").unwrap()..];
    let l0 = &l0[..l0.find("\n}").unwrap()];
    assert!(l0.contains("pub p0:") && l0.contains("pub p11:") && l0.contains("pub last:"), "{l0}");
}

/// Two properties whose inline `allOf` merges their own parent schema: every inline schema is
/// lowered again, as a new type, inside each of the others, so the work doubles with each level
/// down to the depth bound and generation does not end. Found by the generate fuzz target.
#[test]
fn inline_allof_of_the_parent_ends() {
    let text = String::from_utf8(fixture("inline-allof-of-parent.yaml")).unwrap();
    // It comes back, with the place of the inline schema that contains itself.
    let diags = triad_tests::generate_memory(&[("api.yaml", &text)]).unwrap_err();
    assert_eq!(diags.0.len(), 2, "{diags}");
    assert!(diags.0.iter().all(|d| d.message.contains("contains itself")), "{diags}");
    let pointers: Vec<&str> = diags.0.iter().map(|d| &*d.location.pointer).collect();
    assert_eq!(pointers, ["/components/schemas/Pet/properties/a", "/components/schemas/Pet/properties/b"], "{diags}");
}

/// An explicit key with nothing after it (`? `): the empty key's position was one line past the
/// end of the text. Found by the parse fuzz target.
#[test]
fn an_empty_key_at_the_end_is_placed_inside_the_text() {
    let errors = triad::node::parse("? ").unwrap_err();
    assert!(errors.iter().all(|e| (e.line, e.column) <= (1, 3)), "{errors:?}");
    assert!(errors[0].message.contains("found null"), "{errors:?}");
}

//! Loading untrusted specs: reads stay under the spec root and within limits, YAML and JSON are
//! read as their specifications say, and `$ref`s are followed only where references may stand.

use triad::config::Config;
use triad::diag::Diagnostics;
use triad::ir::{Api, TypeKind};
use triad::load::MemoryReader;

/// Loads `files` (the first one is the entry) with a codegen config holding `settings`.
fn load_with(files: &[(&str, &[u8])], settings: &str) -> Result<Api, Diagnostics> {
    let mut reader = MemoryReader::new();
    for (path, bytes) in files {
        reader = reader.with_bytes(path, bytes);
    }
    let entry = files[0].0.strip_prefix("api/").unwrap_or(files[0].0);
    let config_text = format!("name: t\nspecs: [{entry}]\n{settings}");
    let config = Config::parse("api/codegen.yaml", &config_text).expect("valid config");
    triad::load(&config, "api", &reader)
}

fn load(files: &[(&str, &str)]) -> Result<Api, Diagnostics> {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    load_with(&files, "")
}

fn errors(result: Result<Api, Diagnostics>) -> Diagnostics {
    match result {
        Ok(api) => panic!("expected errors, got an API with {} types", api.types.len()),
        Err(d) => d,
    }
}

fn type_names(api: &Api) -> Vec<&str> {
    api.types.iter().map(|t| t.name.wire.as_str()).collect()
}

const HEAD: &str = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n";

fn spec_with_schema(schema: &str) -> String {
    format!("{HEAD}components:\n  schemas:\n    A:\n{schema}")
}

// ---- the spec root ----

#[test]
fn refs_that_leave_the_root_are_located_errors_and_nothing_outside_is_read() {
    let spec = spec_with_schema("      $ref: '../secret.yaml#/S'\n");
    let d = errors(load(&[("api/api.yaml", &spec), ("secret.yaml", "S: {type: string}\n")]));
    let diag = &d.0[0];
    assert!(diag.message.contains("lies outside the spec root `api`"), "{d}");
    assert_eq!(&*diag.location.file, "api/api.yaml");
    assert_eq!((diag.location.line, diag.location.column), (7, 13));
    assert_eq!(diag.location.pointer, "/components/schemas/A/$ref");
    assert!(diag.expected.as_deref().unwrap_or_default().contains("root:"), "{d}");
}

#[test]
fn a_root_setting_widens_the_root() {
    let spec = spec_with_schema("      $ref: '../shared/s.yaml#/S'\n");
    let files: &[(&str, &[u8])] = &[("api/api.yaml", spec.as_bytes()), ("shared/s.yaml", b"S: {type: string}\n")];
    assert!(load_with(files, "").is_err());
    let api = load_with(files, "root: ..\n").unwrap_or_else(|d| panic!("{d}"));
    assert!(type_names(&api).contains(&"S") || type_names(&api).contains(&"A"), "{:?}", type_names(&api));
    // A spec file named by the config must lie under the root too.
    let config = Config::parse("api/codegen.yaml", "name: t\nspecs: [../shared/s.yaml]\n").unwrap();
    let d = triad::load(&config, "api", &MemoryReader::new().with("shared/s.yaml", HEAD)).unwrap_err();
    assert_eq!(d.0[0].location.pointer, "/specs/0", "{d}");
    assert_eq!((d.0[0].location.line, d.0[0].location.column), (2, 9), "{d}");
}

#[test]
fn absolute_and_url_refs_are_refused() {
    for (reference, says) in [
        ("/etc/passwd", "absolute path"),
        ("file:/etc/passwd", "`file:` reference"),
        ("file:///etc/passwd#/x", "`file:` reference"),
        ("https://example.com/s.yaml#/S", "`https:` reference"),
        ("http://169.254.169.254/latest", "`http:` reference"),
    ] {
        let spec = spec_with_schema(&format!("      $ref: '{reference}'\n"));
        let d = errors(load(&[("api/api.yaml", &spec)]));
        assert!(d.0[0].message.contains(says), "{reference}: {d}");
        assert_eq!(d.0[0].location.pointer, "/components/schemas/A/$ref");
    }
}

// ---- limits ----

#[test]
fn file_and_total_size_limits_name_their_setting() {
    let spec = spec_with_schema("      $ref: 'big.yaml#/S'\n");
    let big = format!("S:\n  type: string\n  description: '{}'\n", "x".repeat(4000));
    let files: &[(&str, &[u8])] = &[("api/api.yaml", spec.as_bytes()), ("api/big.yaml", big.as_bytes())];
    load_with(files, "").unwrap_or_else(|d| panic!("{d}"));
    let d = load_with(files, "limits: {file_bytes: 1000}\n").unwrap_err();
    assert!(d.0[0].message.contains("larger than 1000 bytes"), "{d}");
    assert!(d.0[0].expected.as_deref().unwrap_or_default().contains("limits.file_bytes"), "{d}");
    assert_eq!(d.0[0].location.pointer, "/components/schemas/A/$ref");
    let d = load_with(files, "limits: {total_bytes: 3000}\n").unwrap_err();
    assert!(d.0[0].message.contains("exceed 3000 bytes together"), "{d}");
    assert!(d.0[0].expected.as_deref().unwrap_or_default().contains("limits.total_bytes"), "{d}");
}

/// An alias bomb: each level repeats the one below ten times.
fn alias_bomb(levels: usize) -> String {
    let mut text = format!("{HEAD}x-bomb:\n  l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
    for i in 1..levels {
        let prev = format!("*l{}", i - 1);
        let list = [prev.as_str(); 10].join(", ");
        text.push_str(&format!("  l{i}: &l{i} [{list}]\n"));
    }
    text
}

#[test]
fn an_alias_bomb_is_refused_without_expanding_it() {
    // Six levels expand to over a million nodes; the default limit stops it at the first
    // alias past the bound (the full bomb of nine levels would need gigabytes).
    let d = errors(load(&[("api/api.yaml", &alias_bomb(6))]));
    assert!(d.0[0].message.contains("limits.alias_nodes"), "{d}");
    assert_eq!(d.0.len(), 1, "{d}");
    let d = errors(load(&[("api/api.yaml", &alias_bomb(12))]));
    assert!(d.0[0].message.contains("aliases expand to more than"), "{d}");
    // Within the limit, aliases are copies of their anchors.
    load(&[("api/api.yaml", &alias_bomb(3))]).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn nesting_depth_is_bounded_in_yaml_and_json() {
    let deep = |n: usize| format!("{HEAD}x-deep: {}{}\n", "[".repeat(n), "]".repeat(n));
    let d = errors(load(&[("api/api.yaml", &deep(100_000))]));
    assert!(d.0[0].message.contains("nesting deeper than"), "{d}");
    // Block collections have no bound of the parser's own.
    let mut nested = format!("{HEAD}x-deep:\n");
    for i in 0..200 {
        nested.push_str(&format!("{}k{i}:\n", "  ".repeat(i + 1)));
    }
    let d = errors(load(&[("api/api.yaml", &nested)]));
    assert!(d.0[0].message.contains("nesting deeper than 128 levels"), "{d}");
    assert!(d.0[0].message.contains("limits.depth"), "{d}");
    assert_eq!(d.0[0].location.line, 4 + 128, "{d}");
    let json = |n: usize| {
        format!(
            "{{\"openapi\": \"3.1.0\", \"info\": {{\"title\": \"T\", \"version\": \"1\"}}, \"paths\": {{}}, \"x-deep\": {}{}}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let d = errors(load(&[("api/api.json", &json(100_000))]));
    assert!(d.0[0].message.contains("nesting"), "{d}");
    let d = errors(load(&[("api/api.json", &json(300))]));
    assert!(d.0[0].message.contains("limits.depth"), "{d}");
    let text = json(300);
    let files: &[(&str, &[u8])] = &[("api/api.json", text.as_bytes())];
    load_with(files, "limits: {depth: 400}\n").unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn reference_chains_are_bounded() {
    let mut schemas = String::new();
    for i in 0..40 {
        schemas.push_str(&format!("    S{i}: {{$ref: '#/components/schemas/S{}'}}\n", i + 1));
    }
    schemas.push_str("    S40: {type: string}\n");
    let spec = format!(
        "{HEAD}components:\n  parameters:\n{}    P40: {{name: p, in: query, schema: {{type: string}}}}\n  schemas:\n{schemas}",
        (0..40).map(|i| format!("    P{i}: {{$ref: '#/components/parameters/P{}'}}\n", i + 1)).collect::<String>()
    );
    let spec = spec.replace(
        "paths: {}",
        "paths:\n  /x:\n    get:\n      parameters: [{$ref: '#/components/parameters/P0'}]\n      responses: {'200': {description: ok}}",
    );
    let d = errors(load(&[("api/api.yaml", &spec)]));
    assert!(d.0.iter().any(|d| d.message.contains("longer than 32 references")), "{d}");
    assert!(d.0.iter().all(|d| !d.location.pointer.is_empty()), "{d}");
    let files: &[(&str, &[u8])] = &[("api/api.yaml", spec.as_bytes())];
    load_with(files, "limits: {ref_chain: 64}\n").unwrap_or_else(|d| panic!("{d}"));
}

// ---- YAML ----

#[test]
fn a_second_yaml_document_is_an_error() {
    let spec = format!("{HEAD}---\nopenapi: 3.1.0\n");
    let d = errors(load(&[("api/api.yaml", &spec)]));
    assert!(d.0[0].message.contains("second YAML document"), "{d}");
    assert_eq!(d.0[0].location.line, 4);
}

#[test]
fn merge_keys_merge_and_explicit_keys_win() {
    let spec = spec_with_schema(
        "      type: object\n      properties:\n        base: &base\n          type: string\n          description: base\n        \
         derived:\n          <<: *base\n          description: derived\n        both:\n          <<: [*base, {format: uuid}]\n",
    );
    let api = load(&[("api/api.yaml", &spec)]).unwrap_or_else(|d| panic!("{d}"));
    let a = api.types.iter().find(|t| t.name.wire == "A").expect("A");
    let TypeKind::Struct(s) = &a.kind else { panic!("A is not a struct: {:?}", a.kind) };
    let field = |name: &str| s.fields.iter().find(|f| f.name.wire == name).unwrap_or_else(|| panic!("{name}"));
    assert_eq!(field("derived").docs.text.as_deref(), Some("derived"));
    assert_eq!(format!("{:?}", field("derived").ty), format!("{:?}", field("base").ty));
    assert_eq!(field("both").docs.text.as_deref(), Some("base"));
    assert!(format!("{:?}", field("both").ty).contains("Uuid"), "{:?}", field("both").ty);
    // A quoted `<<` is an ordinary key.
    let node = triad::node::parse("a: {'<<': {b: 1}}\n").unwrap();
    assert!(node.get("a").unwrap().get("<<").is_some());
}

#[test]
fn keys_follow_the_core_schema_and_duplicates_are_reported_truthfully() {
    // `1` and `1.0` are an integer and a float: two keys.
    let node = triad::node::parse("m:\n  1: a\n  1.0: b\n  200: c\n").unwrap();
    let m = node.get("m").unwrap().as_map().unwrap();
    assert_eq!(m.keys().collect::<Vec<_>>(), ["1", "1.0", "200"]);
    // `0x10` and `16` are the same integer.
    let e = triad::node::parse("m:\n  0x10: a\n  16: b\n").unwrap_err();
    assert!(e[0].message.contains("`16` and `0x10` are the same integer"), "{e:?}");
    assert_eq!((e[0].line, e[0].column), (3, 3));
    // `'1'` and `1` are a string and an integer that name the same JSON property.
    let e = triad::node::parse("m:\n  '1': a\n  1: b\n").unwrap_err();
    assert!(e[0].message.contains("once as a string and once as an integer"), "{e:?}");
    let e = triad::node::parse("m:\n  ~: a\n").unwrap_err();
    assert!(e[0].message.contains("found null"), "{e:?}");
    let e = triad::node::parse("m: !include other.yaml\n").unwrap_err();
    assert!(e[0].message.contains("unsupported tag"), "{e:?}");
}

#[test]
fn invalid_utf8_is_reported_with_offset_and_line() {
    let mut spec = spec_with_schema("      type: string\n      description: caf").into_bytes();
    spec.extend_from_slice(b"\xE9 au lait\n");
    let d = load_with(&[("api/api.yaml", &spec)], "").unwrap_err();
    let offset = spec.iter().position(|&b| b == 0xE9).unwrap();
    assert!(d.0[0].message.contains(&format!("invalid UTF-8 at byte offset {offset}")), "{d}");
    assert_eq!((d.0[0].location.line, d.0[0].location.column), (8, 23), "{d}");
}

// ---- JSON ----

#[test]
fn json_files_are_read_by_a_json_parser() {
    let long_key = "k".repeat(2000);
    let spec = format!(
        "{{\"openapi\":\"3.1.0\",\"info\":{{\"title\":\"T\",\"version\":\"1\"}},\"paths\":{{}},\n\t\"components\":{{\"schemas\":{{\"A\":{{\"type\":\"object\",\
         \"description\":\"thumbs \\ud83d\\udc4d up\",\"properties\":{{\"{long_key}\":{{\"type\":\"string\"}}}}}}}}}}}}"
    );
    let api = load(&[("api/api.json", &spec)]).unwrap_or_else(|d| panic!("{d}"));
    let a = api.types.iter().find(|t| t.name.wire == "A").expect("A");
    assert_eq!(a.docs.text.as_deref(), Some("thumbs \u{1f44d} up"));
    let TypeKind::Struct(s) = &a.kind else { panic!("A is not a struct") };
    assert_eq!(s.fields[0].name.wire, long_key);
    // Positions come from the JSON text.
    let bad = "{\"openapi\": \"3.1.0\",\n  \"info\": {\"title\": \"T\",, }}";
    let d = errors(load(&[("api/api.json", bad)]));
    assert!(d.0[0].message.contains("invalid JSON"), "{d}");
    assert_eq!(d.0[0].location.line, 2, "{d}");
    let dup = "{\"openapi\": \"3.1.0\",\n \"openapi\": \"3.0.0\"}";
    let d = errors(load(&[("api/api.json", dup)]));
    assert!(d.0[0].message.contains("duplicate key `openapi`"), "{d}");
    assert_eq!((d.0[0].location.line, d.0[0].location.column), (2, 2), "{d}");
}

// ---- where `$ref` is a reference ----

#[test]
fn refs_inside_literal_data_are_data() {
    let schema = "      type: object\n      example: {$ref: 'missing.yaml'}\n      default: {$ref: 'missing.yaml'}\n      \
                  x-vendor: {$ref: 'missing.yaml'}\n      examples: [{$ref: 'missing.yaml'}]\n      properties:\n        \
                  example: {$ref: 'prop.yaml#/P'}\n        c:\n          const: {$ref: 'missing.yaml'}\n        \
                  e:\n          enum: [{$ref: 'missing.yaml'}]\n";
    let mut spec = spec_with_schema(schema);
    spec = spec.replace(
        "paths: {}",
        "paths:\n  /x:\n    post:\n      requestBody:\n        content:\n          application/json:\n            \
         schema: {$ref: '#/components/schemas/A'}\n            examples:\n              one:\n                \
         value: {$ref: 'missing.yaml'}\n              two: {$ref: 'ex.yaml#/Two'}\n      responses:\n        \
         '200': {description: ok}\n  x-ext: {$ref: 'missing.yaml'}",
    );
    let api = load(&[
        ("api/api.yaml", &spec),
        ("api/prop.yaml", "P: {type: integer}\n"),
        ("api/ex.yaml", "Two: {value: {$ref: 'missing.yaml'}}\n"),
    ])
    .unwrap_or_else(|d| panic!("{d}"));
    let a = api.types.iter().find(|t| t.name.wire == "A").expect("A");
    let TypeKind::Struct(s) = &a.kind else { panic!("A is not a struct") };
    // A property named `example` is a property, and its `$ref` a reference.
    let example = s.fields.iter().find(|f| f.name.wire == "example").expect("property `example`");
    let triad::ir::TypeRef::Named(p) = example.ty else { panic!("{:?}", example.ty) };
    assert_eq!(api.ty(p).name.wire, "P");
}

#[test]
fn operations_written_as_refs_to_other_files_load_whole() {
    let root = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /things:\n    get:\n      \
                $ref: 'resources/things/list.yml'\n    post:\n      $ref: 'resources/things/add.yml'\n";
    let list = "operationId: listThings\nparameters:\n  - $ref: '../../parameters/limit.yml'\nresponses:\n  \
                '200':\n    description: ok\n    content:\n      application/json:\n        schema:\n          \
                $ref: '../../schemas/ThingList.yml'\n";
    let add = "operationId: addThing\nrequestBody:\n  content:\n    application/json:\n      schema:\n        \
               $ref: '../../schemas/Thing.yml'\nresponses:\n  '204': {description: done}\n";
    let api = load(&[
        ("api/openapi.yml", root),
        ("api/resources/things/list.yml", list),
        ("api/resources/things/add.yml", add),
        ("api/parameters/limit.yml", "name: limit\nin: query\nschema: {type: integer}\n"),
        ("api/schemas/ThingList.yml", "type: array\nitems: {$ref: './Thing.yml'}\n"),
        ("api/schemas/Thing.yml", "type: object\nproperties:\n  id: {type: string}\n"),
    ])
    .unwrap_or_else(|d| panic!("{d}"));
    let names: Vec<&str> = api.operations.iter().map(|o| o.name.wire.as_str()).collect();
    assert_eq!(names, ["addThing", "listThings"]);
    let list = &api.operations[1];
    assert_eq!(list.params.len(), 1);
    assert_eq!(list.params[0].name.wire, "limit");
    assert!(api.operations[0].request.is_some());
    assert!(type_names(&api).contains(&"Thing"), "{:?}", type_names(&api));
}

// ---- JSON pointers in `$ref` ----

#[test]
fn ref_pointers_decode_tilde_and_percent_escapes() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    a/b: {{type: string}}\n    t~x: {{type: integer}}\n    caf\u{e9}: {{type: boolean}}\n    \
         Holder:\n      type: object\n      properties:\n        slash: {{$ref: '#/components/schemas/a~1b'}}\n        \
         tilde: {{$ref: '#/components/schemas/t~0x'}}\n        pct: {{$ref: '#/components/schemas/t%7E0x'}}\n        \
         utf8: {{$ref: '#/components/schemas/caf%C3%A9'}}\n        raw: {{$ref: '#/components/schemas/caf\u{e9}'}}\n"
    );
    let api = load(&[("api/api.yaml", &spec)]).unwrap_or_else(|d| panic!("{d}"));
    let holder = api.types.iter().find(|t| t.name.wire == "Holder").expect("Holder");
    let TypeKind::Struct(s) = &holder.kind else { panic!() };
    let ty = |name: &str| {
        let f = s.fields.iter().find(|f| f.name.wire == name).unwrap();
        match &f.ty {
            triad::ir::TypeRef::Named(id) => api.ty(*id).name.wire.clone(),
            other => format!("{other:?}"),
        }
    };
    assert_eq!(ty("slash"), "a/b");
    assert_eq!(ty("tilde"), "t~x");
    assert_eq!(ty("pct"), "t~x");
    assert_eq!(ty("utf8"), "caf\u{e9}");
    assert_eq!(ty("raw"), "caf\u{e9}");
}

#[test]
fn invalid_pointer_escapes_are_errors_not_panics() {
    for (reference, says) in [
        ("#/components/schemas/%a\u{e9}", "invalid percent-escape"),
        ("#/components/schemas/%", "invalid percent-escape"),
        ("#/components/schemas/%FF%FE", "not UTF-8"),
        ("#/components/schemas/a~2b", "`~2` is not a JSON pointer escape"),
        ("#/components/schemas/a~", "lone `~`"),
        ("#components", "not a JSON pointer"),
    ] {
        let spec = spec_with_schema(&format!("      $ref: '{reference}'\n"));
        let d = errors(load(&[("api/api.yaml", &spec)]));
        assert!(d.0[0].message.contains(says), "{reference}: {d}");
        assert_eq!(d.0[0].location.pointer, "/components/schemas/A/$ref", "{reference}");
    }
}

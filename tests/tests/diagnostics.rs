//! Specs the generator cannot handle get errors that name file, line, column and JSON pointer,
//! say what was expected, and come all together; nothing panics.

use triad::diag::Diagnostic;
use triad_tests::generate_memory;

fn errors(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    match generate_memory(files) {
        Ok(_) => panic!("spec was accepted"),
        Err(diags) => diags.0,
    }
}

fn one(files: &[(&str, &str)]) -> Diagnostic {
    let mut list = errors(files);
    assert_eq!(list.len(), 1, "{list:#?}");
    list.remove(0)
}

const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";

#[test]
fn unresolved_ref_points_at_the_ref() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      type: object\n      properties:\n        b:\n          $ref: '#/components/schemas/Missing'\n"
    );
    let d = one(&[("api.yaml", &spec)]);
    assert_eq!(&*d.location.file, "api.yaml");
    assert_eq!((d.location.line, d.location.column), (10, 17));
    assert_eq!(d.location.pointer, "/components/schemas/A/properties/b/$ref");
    assert!(d.message.contains("unresolved $ref `#/components/schemas/Missing`"), "{}", d.message);
    assert!(d.expected.is_some());
    let text = d.to_string();
    assert!(text.contains("api.yaml:10:17 (#/components/schemas/A/properties/b/$ref)"), "{text}");
}

#[test]
fn every_error_of_a_file_is_reported_together() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      type: objekt\n    B:\n      $ref: '#/nowhere'\n    C:\n      properties:\n        x: 5\n"
    );
    let list = errors(&[("api.yaml", &spec)]);
    let pointers: Vec<&str> = list.iter().map(|d| d.location.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/components/schemas/A/type", "/components/schemas/B/$ref", "/components/schemas/C/properties/x"],
        "{list:#?}"
    );
    assert!(list[0].message.contains("unknown type `objekt`"));
    assert!(list[2].expected.as_deref() == Some("a schema (a mapping)"));
}

#[test]
fn yaml_syntax_errors_have_positions() {
    let d = one(&[("api.yaml", "openapi: 3.0.3\ninfo: [unclosed\npaths: {}\n")]);
    assert_eq!(&*d.location.file, "api.yaml");
    assert!(d.location.line >= 2, "{d}");
    assert!(d.message.contains("invalid YAML"), "{d}");
}

#[test]
fn json_syntax_errors_have_positions() {
    let d = one(&[("api.json", "{\"openapi\": \"3.1.0\",\n \"info\": {\"title\": \"t\",, \"version\": \"1\"}}")]);
    assert_eq!(d.location.line, 2, "{d}");
}

#[test]
fn duplicate_keys_are_errors() {
    let d = one(&[(
        "api.yaml",
        &format!("{HEAD}components:\n  schemas:\n    A: {{type: string}}\n    A: {{type: integer}}\n"),
    )]);
    assert_eq!(d.location.line, 7);
    assert!(d.message.contains("duplicate key `A`"));
}

#[test]
fn same_named_schemas_that_differ_are_reported_with_both_places() {
    let a = format!("{HEAD}components:\n  schemas:\n    Money: {{type: number}}\n");
    let b = format!("{HEAD}components:\n  schemas:\n    Money: {{type: string}}\n");
    let mut reader = triad::load::MemoryReader::new().with("a.yaml", &a).with("b.yaml", &b);
    reader = reader.with("unused.yaml", "x: 1");
    let config = triad::config::Config::for_name("x", vec!["a.yaml".into(), "b.yaml".into()]);
    let provenance = triad::Provenance { source: "x".into(), command: "x".into() };
    let diags = triad::generate(&config, "", &reader, &provenance).unwrap_err().0;
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(&*diags[0].location.file, "b.yaml");
    assert_eq!(diags[0].location.pointer, "/components/schemas/Money");
    assert!(diags[0].message.contains("`Money` is defined twice"));
    assert_eq!(&*diags[0].related[0].0.file, "a.yaml");
}

#[test]
fn identical_same_named_schemas_merge() {
    let a = format!(
        "{HEAD}components:\n  schemas:\n    Money: {{type: object, properties: {{Amount: {{type: number}}}}}}\n"
    );
    let reader = triad::load::MemoryReader::new().with("a.yaml", &a).with("b.yaml", &a);
    let config = triad::config::Config::for_name("x", vec!["a.yaml".into(), "b.yaml".into()]);
    let provenance = triad::Provenance { source: "x".into(), command: "x".into() };
    let files = triad::generate(&config, "", &reader, &provenance).unwrap().files;
    let lib = &files["x-types/src/lib.rs"];
    assert_eq!(lib.matches("pub struct Money").count(), 1);
}

#[test]
fn missing_referenced_file_is_reported_at_the_ref() {
    let spec = format!("{HEAD}components:\n  schemas:\n    A:\n      $ref: 'parts/a.yaml#/A'\n");
    let d = one(&[("api/root.yaml", &spec)]);
    assert_eq!(&*d.location.file, "api/root.yaml");
    assert_eq!(d.location.line, 7);
    assert!(d.message.contains("cannot read `api/parts/a.yaml`"), "{d}");
}

#[test]
fn documents_that_are_not_specs_are_rejected() {
    let d = one(&[("x.yaml", "swagger: '2.0'\n")]);
    assert!(d.message.contains("not an OpenAPI or AsyncAPI document"));
    let d = one(&[("x.yaml", "openapi: 2.0.0\ninfo: {title: t, version: '1'}\n")]);
    assert_eq!(d.location.pointer, "/openapi");
    assert_eq!(d.expected.as_deref(), Some("3.0.x or 3.1.x"));
}

#[test]
fn reference_cycles_do_not_hang_or_panic() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      $ref: '#/components/schemas/B'\n    B:\n      $ref: '#/components/schemas/A'\n    C:\n      properties:\n        x:\n          $ref: '#/components/schemas/C/properties/x'\n"
    );
    let list = errors(&[("api.yaml", &spec)]);
    assert_eq!(list.len(), 2, "{list:#?}");
    assert_eq!(list[0].location.pointer, "/components/schemas/A");
    assert!(list[0].message.contains("A → B → A"), "{}", list[0].message);
    assert_eq!(list[1].location.pointer, "/components/schemas/C/properties/x");
    assert!(list[1].message.contains("contains itself"), "{}", list[1].message);
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "~",
        "[]",
        "openapi: 3.0.0",
        "openapi: 3.1.0\npaths: 5\ncomponents: {schemas: [1, 2]}\n",
        "openapi: 3.1.0\npaths: {/x: {get: {responses: {'200': {content: {application/json: {schema: 7}}}}}}}\n",
        "asyncapi: 3.0.0\nchannels: {a: {messages: {m: {payload: {oneOf: []}}}}}\noperations: {o: {action: fly}}\n",
        "asyncapi: 2.6.0\nchannels: {a: {subscribe: {message: {oneOf: [{$ref: '#/x'}]}}}}\n",
        "openapi: 3.0.0\ncomponents: {schemas: {A: {allOf: [{$ref: '#/components/schemas/A'}]}}}\n",
        "openapi: 3.0.0\ncomponents: {schemas: {A: {type: [string, integer, 'null'], enum: [1, null]}}}\n",
    ];
    for input in inputs {
        let _ = generate_memory(&[("x.yaml", input)]);
    }
}

#[test]
fn maps_written_as_references_follow_them_or_say_where_they_break() {
    // A whole properties map, parameter list and responses map given by reference.
    let spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: getA\n      parameters: {$ref: 'parts.yaml#/params'}\n      responses: {$ref: 'parts.yaml#/responses'}\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties: {$ref: 'parts.yaml#/props'}\n".to_string();
    let parts = "params:\n  - {name: q, in: query, schema: {type: string}}\nresponses:\n  '200':\n    description: ok\n    content:\n      application/json:\n        schema: {$ref: 'api.yaml#/components/schemas/A'}\nprops:\n  x: {type: integer}\n  $ref: {type: string}\n";
    let files = generate_memory(&[("api.yaml", &spec), ("parts.yaml", parts)]).expect("generates");
    let types = &files["memory-types/src/lib.rs"];
    assert!(types.contains("pub x: Option<i64>"), "{types}");
    // A property named `$ref` whose value is a schema is a property, not a reference.
    assert!(types.contains("rename = \"$ref\""), "{types}");
    let client = &files["memory-client/src/lib.rs"];
    assert!(client.contains("q: Option<&str>"), "{client}");
    assert!(client.contains("rt::Result<types::A,") || client.contains("CallResult<types::A>"), "{client}");

    // A reference that leads nowhere is reported at the `$ref`.
    let broken =
        format!("{HEAD}components:\n  schemas:\n    A:\n      type: object\n      properties: {{$ref: '#/nowhere'}}\n");
    let d = one(&[("api.yaml", &broken)]);
    assert_eq!(d.location.pointer, "/components/schemas/A/properties/$ref");
    assert_eq!((d.location.line, d.location.column), (8, 26));
    assert!(d.message.contains("unresolved $ref `#/nowhere`"), "{d}");

    // A chain of maps that refer to each other ends in an error, not a hang.
    let circular = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      type: object\n      properties: {{$ref: '#/x'}}\nx: {{$ref: '#/y'}}\ny: {{$ref: '#/x'}}\n"
    );
    let d = one(&[("api.yaml", &circular)]);
    assert_eq!(d.location.pointer, "/components/schemas/A/properties");
    assert!(d.message.contains("circular"), "{d}");
}

#[test]
fn whole_files_in_place_of_maps_are_read_as_maps_of_names() {
    // `props.yaml` holds property names; one named like a literal keyword (`default`) refers to
    // a further file, which must be loaded.
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      type: object\n      properties: {{$ref: 'props.yaml'}}\n"
    );
    let props = "default: {$ref: 'b.yaml'}\nexample: {type: string}\n";
    let b = "type: object\nproperties:\n  n: {type: number}\n";
    let files = generate_memory(&[("api.yaml", &spec), ("props.yaml", props), ("b.yaml", b)]).expect("generates");
    let types = &files["memory-types/src/lib.rs"];
    assert!(types.contains("pub default: Option<B>"), "{types}");
    assert!(types.contains("pub example: Option<String>"), "{types}");
    // `$ref`s inside literal data stay data: no file is looked for.
    let literal = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      type: object\n      example: {{$ref: 'absent.yaml'}}\n      properties:\n        x: {{type: string, default: {{$ref: 'absent.yaml'}}}}\n"
    );
    generate_memory(&[("api.yaml", &literal)]).expect("literal $refs are not followed");
}

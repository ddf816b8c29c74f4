//! `cargo xtask import-mews`: the provider's files become one document of our own, byte for
//! byte the same for the same input, without the provider's prose; hostile files get located
//! errors, never a panic; two files defining one name differently are an error naming both.

use std::path::PathBuf;

use triad::node::{self, Node, Value};
use xtask::import::{self, Outcome};

fn corpus() -> Option<PathBuf> {
    let base = std::env::var_os("TRIAD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| triad_tests::root().join("../shared/corpus"));
    let dir = base.join("mews-connector");
    dir.is_dir().then_some(dir)
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

/// A small provider file: one operation, two schemas, prose and extensions everywhere.
const BILLS: &str = r##"openapi: 3.0.4
info:
  title: Provider API — Bills
  description: Prose of the provider.
  version: v1
  x-last-validated: '2026-06-02'
  contact: {name: Someone, email: someone@example.com}
servers:
  - url: https://api.example.com
    description: Production
security:
  - Token: []
tags:
  - name: Bills
    description: Prose.
paths:
  /api/v1/bills/getAll:
    post:
      tags: [Bills]
      summary: Get all bills
      description: Prose of the operation.
      operationId: bills_getAll
      x-microcks-operation: &op {delay: 0}
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/BillFilter'
            example: {Count: 1}
      responses:
        '200':
          description: Prose of the response.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/BillResult'
components:
  securitySchemes:
    Token: {type: apiKey, in: header, name: Token, description: Prose.}
  schemas:
    BillFilter:
      title: Bill filter parameters
      type: object
      required: [Count]
      properties:
        Count: {type: integer, format: int32, description: Prose., example: 10}
      additionalProperties: false
      x-schema-id: BillFilter
    BillResult:
      type: object
      properties:
        Bills:
          type: array
          items:
            allOf:
              - $ref: '#/components/schemas/Bill'
            description: Prose.
            nullable: true
    Bill:
      type: object
      properties:
        State: {type: string, enum: [Open, Closed], x-enumDescriptions: {Open: Prose.}}
"##;

/// A second file repeating `Bill` (with other prose) and adding an operation.
const PAYMENTS: &str = r##"openapi: 3.0.4
info: {title: Provider API — Payments, version: v1, x-last-validated: '2026-06-02'}
servers:
  - url: https://api.example.com
    description: Another description
security:
  - Token: []
paths:
  /api/v1/payments/add:
    post:
      operationId: payments_add
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Bill'}
      responses:
        '200':
          description: OK
components:
  securitySchemes:
    Token: {type: apiKey, in: header, name: Token}
  schemas:
    Bill:
      type: object
      description: Other prose for the same schema.
      properties:
        State: {type: string, enum: [Open, Closed], description: More prose.}
"##;

fn keys(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Map(map) => {
            for (k, v) in map {
                out.push(k.clone());
                // Property names are names, not keywords.
                if k == "properties" || k == "schemas" || k == "paths" || k == "responses" || k == "content" {
                    if let Value::Map(named) = &v.value {
                        named.values().for_each(|n| keys(n, out));
                    }
                } else {
                    keys(v, out);
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| keys(i, out)),
        _ => {}
    }
}

#[test]
fn merges_files_and_drops_prose() {
    let imported = import::import(&files(&[("payments.yml", PAYMENTS), ("bills.yml", BILLS)])).unwrap();
    let text = &imported.text;
    assert!(text.starts_with(
        "# Imported by `cargo xtask import-mews` from the Mews Connector API release v1 2026-06-02 sha256:"
    ));
    assert!(text.contains("Do not edit by hand"), "{text}");
    for prose in
        ["Prose", "prose", "Someone", "Get all bills", "Production", "microcks", "x-", "Bill filter parameters"]
    {
        assert!(!text.contains(prose), "`{prose}` is left in:\n{text}");
    }
    let doc = node::parse(text).unwrap();
    let mut all = Vec::new();
    keys(&doc, &mut all);
    for dropped in ["summary", "example", "examples", "title", "tags", "contact"] {
        // The one title kept is the document's own.
        let count = all.iter().filter(|k| *k == dropped).count();
        assert_eq!(count, usize::from(dropped == "title"), "{dropped}: {all:?}");
    }
    let release = doc.get("info").and_then(|i| i.get("version")).and_then(Node::as_str).unwrap();
    assert_eq!(release, imported.release);
    assert!(release.starts_with("v1 2026-06-02 sha256:"), "{release}");
    // Both operations, paths sorted; the shared schema once; structure kept.
    let paths: Vec<&String> = doc.get("paths").unwrap().as_map().unwrap().keys().collect();
    assert_eq!(paths, ["/api/v1/bills/getAll", "/api/v1/payments/add"]);
    let schemas: Vec<&String> =
        doc.pointer(&["components".into(), "schemas".into()]).unwrap().as_map().unwrap().keys().collect();
    assert_eq!(schemas, ["Bill", "BillFilter", "BillResult"]);
    let count = doc.pointer(&["components", "schemas", "BillFilter", "properties", "Count"].map(String::from)).unwrap();
    assert_eq!(node::parse("{type: integer, format: int32}").unwrap(), *count);
    let item = doc.pointer(&["components", "schemas", "BillResult", "properties", "Bills", "items"].map(String::from));
    assert_eq!(node::parse("{allOf: [{$ref: '#/components/schemas/Bill'}], nullable: true}").unwrap(), *item.unwrap());
    let response =
        doc.pointer(&["paths", "/api/v1/bills/getAll", "post", "responses", "200", "description"].map(String::from));
    assert_eq!(response.and_then(Node::as_str), Some("OK"), "the reason phrase stands for the description");
    assert_eq!(imported.operations, 2);
    assert_eq!(imported.schemas, 3);
}

#[test]
fn output_depends_only_on_the_input_bytes() {
    let a = import::import(&files(&[("bills.yml", BILLS), ("payments.yml", PAYMENTS)])).unwrap();
    let b = import::import(&files(&[("payments.yml", PAYMENTS), ("bills.yml", BILLS)])).unwrap();
    assert_eq!(a.text, b.text);
    // Any change of a file, prose included, changes the release.
    let c = import::import(&files(&[
        ("bills.yml", &BILLS.replace("Prose of the operation.", "Other.")),
        ("payments.yml", PAYMENTS),
    ]))
    .unwrap();
    assert_ne!(a.release, c.release);
    assert_ne!(a.text, c.text);
}

#[test]
fn a_name_defined_differently_in_two_files_names_both() {
    let other = PAYMENTS.replace("enum: [Open, Closed]", "enum: [Open, Closed, Void]");
    let error = import::import(&files(&[("bills.yml", BILLS), ("payments.yml", &other)])).unwrap_err().to_string();
    assert!(error.contains("the schema `Bill` is defined differently in bills.yml and payments.yml"), "{error}");
    assert!(error.contains("payments.yml:") && error.contains("(#/components/schemas/Bill)"), "{error}");
    assert!(error.contains("bills.yml:"), "{error}");
    let other = PAYMENTS.replace("https://api.example.com", "https://other.example.com");
    let error = import::import(&files(&[("bills.yml", BILLS), ("payments.yml", &other)])).unwrap_err().to_string();
    assert!(error.contains("`servers` differs between bills.yml and payments.yml"), "{error}");
    let other = PAYMENTS.replace("payments_add", "bills_getAll");
    let error = import::import(&files(&[("bills.yml", BILLS), ("payments.yml", &other)])).unwrap_err().to_string();
    assert!(error.contains("the operation id `bills_getAll` is used twice"), "{error}");
}

#[test]
fn hostile_files_get_located_errors() {
    let cases: &[(&str, &str)] = &[
        // An unknown schema keyword is not dropped silently.
        ("      required: [Count]\n", "      required: [Count]\n      patternProperties: {}\n"),
        // A reference outside the document.
        (
            "$ref: '#/components/schemas/Bill'\n            description",
            "$ref: '../../etc/passwd#/x'\n            description",
        ),
        // A reference to a schema no file defines.
        ("$ref: '#/components/schemas/BillResult'", "$ref: '#/components/schemas/Missing'"),
        // A keyword of the wrong kind.
        ("format: int32", "format: [int32]"),
        // Another OpenAPI version.
        ("openapi: 3.0.4", "openapi: 3.1.0"),
        // Callbacks are not imported.
        ("      operationId: bills_getAll\n", "      operationId: bills_getAll\n      callbacks: {}\n"),
    ];
    let expected = [
        ("bills.yml:", "/components/schemas/BillFilter/patternProperties", "patternProperties"),
        ("bills.yml:", "/components/schemas/BillResult/properties/Bills/items/allOf/0/$ref", "cannot follow"),
        (
            "bills.yml:",
            "/paths/~1api~1v1~1bills~1getAll/post/responses/200/content/application~1json/schema/$ref",
            "Missing",
        ),
        ("bills.yml:", "/components/schemas/BillFilter/properties/Count/format", "a string"),
        ("bills.yml:1:10", "/openapi", "OpenAPI 3.1.0"),
        ("bills.yml:", "/paths/~1api~1v1~1bills~1getAll/post/callbacks", "callbacks"),
    ];
    for ((from, to), (place, pointer, text)) in cases.iter().zip(expected) {
        assert!(BILLS.contains(from), "{from}");
        let hostile = BILLS.replacen(from, to, 1);
        let error = import::import(&files(&[("bills.yml", &hostile)])).unwrap_err().to_string();
        assert!(
            error.contains(place) && error.contains(&format!("(#{pointer})")) && error.contains(text),
            "{to}:\n{error}"
        );
    }
    // Syntax errors, deep nesting and alias bombs stop at the parser's bounds, located.
    let deep = format!("openapi: 3.0.4\npaths: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    for text in ["openapi: 3.0.4\npaths: {a: [}\n", deep.as_str(), bomb, "- a list\n", "", "paths: 7\nopenapi: 3.0.4\n"]
    {
        let error = import::import(&files(&[("bad.yml", text)])).unwrap_err().to_string();
        assert!(error.contains("bad.yml:"), "{error}");
    }
    assert!(import::import(&[]).is_err());
}

#[test]
fn the_import_is_a_fixed_point() {
    // Importing the imported document changes nothing but the release.
    let first = import::import(&files(&[("bills.yml", BILLS), ("payments.yml", PAYMENTS)])).unwrap();
    let again = import::import(&files(&[("openapi.yaml", &first.text)])).unwrap();
    let body = |text: &str| {
        text.lines().filter(|l| !l.starts_with('#') && !l.contains("version:")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(body(&first.text), body(&again.text));
}

#[test]
fn writes_only_its_document_under_spec_mews() {
    let root = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    std::fs::write(input.path().join("bills.yml"), BILLS).unwrap();
    std::fs::write(input.path().join("notes.txt"), "not a spec").unwrap();
    let (outcome, _) = import::run(root.path(), input.path(), true).unwrap();
    assert_eq!(outcome, Outcome::Stale, "nothing there yet");
    let (outcome, imported) = import::run(root.path(), input.path(), false).unwrap();
    assert_eq!(outcome, Outcome::Written { changed: true });
    let written = std::fs::read_to_string(root.path().join(import::OUTPUT)).unwrap();
    assert_eq!(written, imported.text);
    let listing: Vec<String> = std::fs::read_dir(root.path().join("spec/mews/connector"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listing, ["openapi.yaml"], "no temporary file is left");
    assert_eq!(import::run(root.path(), input.path(), true).unwrap().0, Outcome::UpToDate);
    assert_eq!(import::run(root.path(), input.path(), false).unwrap().0, Outcome::Written { changed: false });
}

#[test]
fn the_flagship_document_is_the_import_of_the_provider_files() {
    let Some(dir) = corpus() else {
        eprintln!("no corpus at ../shared/corpus/mews-connector; set TRIAD_CORPUS to run this test");
        return;
    };
    let root = triad_tests::root();
    let (outcome, imported) = import::run(&root, &dir, true).unwrap();
    assert_eq!(outcome, Outcome::UpToDate, "run `cargo xtask import-mews {}`", dir.display());
    assert_eq!(imported.operations, 197);
    let doc = node::parse(&imported.text).unwrap();
    let mut all = Vec::new();
    keys(&doc, &mut all);
    for dropped in ["description", "summary", "example", "examples", "tags"] {
        let count = all.iter().filter(|k| *k == dropped).count();
        // Every response keeps a description: its reason phrase.
        let allowed = if dropped == "description" { 1578 } else { 0 };
        assert_eq!(count, allowed, "{dropped}");
    }
    assert!(!all.iter().any(|k| k.starts_with("x-")), "no vendor extension is left");
}

/// Every operation of the imported document is a method of the generated client and of the
/// generated API server's trait, and every listing with a cursor (`Limitation.Cursor` in the
/// request, `Cursor` in the page) has a `_stream` method or a warning saying why not.
#[test]
fn every_imported_operation_is_a_client_and_a_server_method() {
    let root = triad_tests::root();
    let text = std::fs::read_to_string(root.join(import::OUTPUT)).unwrap();
    let doc = node::parse(&text).unwrap();
    let client = std::fs::read_to_string(root.join("generated/mews-client/src/lib.rs")).unwrap();
    let server = std::fs::read_to_string(root.join("generated/mews-server/src/lib.rs")).unwrap();
    let warnings = xtask_warnings(&root);
    let schemas = doc.pointer(&["components".into(), "schemas".into()]).unwrap();
    let props = |schema: &Node| -> Vec<String> {
        let target = schema.get("$ref").and_then(Node::as_str).map(|r| r.trim_start_matches("#/components/schemas/"));
        let schema = target.and_then(|name| schemas.get(name)).unwrap_or(schema);
        let props = schema.get("properties").and_then(Node::as_map);
        props.map(|p| p.keys().cloned().collect()).unwrap_or_default()
    };
    let (mut operations, mut listings, mut streams) = (0, 0, 0);
    for (_, item) in doc.get("paths").unwrap().as_map().unwrap() {
        let op = item.get("post").unwrap();
        let id = op.get("operationId").and_then(Node::as_str).unwrap();
        let method = triad::naming::method_name(id);
        assert!(client.contains(&format!("pub async fn {method}(")), "client method of {id}");
        assert!(server.contains(&format!("    fn {method}(\n")), "server method of {id}");
        operations += 1;
        let media =
            |node: &Node| node.pointer(&["content".into(), "application/json".into(), "schema".into()]).cloned();
        let request = op.get("requestBody").and_then(media).unwrap();
        let page = op.pointer(&["responses".into(), "200".into()]).and_then(media).unwrap();
        if props(&request).contains(&"Limitation".to_owned()) && props(&page).contains(&"Cursor".to_owned()) {
            listings += 1;
            if client.contains(&format!("pub fn {method}_stream(")) {
                streams += 1;
            } else {
                let warned =
                    warnings.iter().any(|w| w.contains(&format!("`{id}` pages with a cursor but gets no `_stream`")));
                assert!(warned, "{id} has neither a stream nor a warning: {warnings:?}");
            }
        }
    }
    assert_eq!(operations, 197);
    assert_eq!(client.matches("pub async fn ").count(), 197);
    assert_eq!((listings, streams), (62, 60));
}

/// The warnings `cargo xtask codegen` prints for the flagship.
fn xtask_warnings(root: &std::path::Path) -> Vec<String> {
    let config_path = "spec/mews/codegen.yaml";
    let config = triad::config::Config::from_file(&root.join(config_path), config_path).unwrap();
    let provenance = triad::Provenance { source: config_path.into(), command: "cargo xtask codegen".into() };
    let generated = triad::generate(&config, "spec/mews", &triad::load::FsReader::new(root), &provenance).unwrap();
    generated.warnings.iter().map(|w| w.message.clone()).collect()
}

/// Provider files mutated hundreds of ways (lines dropped, repeated, cut, indented, characters
/// replaced): the import returns a document or located errors, never panics, and every error
/// points at a line of the file it names.
#[test]
fn mutated_files_never_panic_and_say_where() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let (mut ok, mut failed) = (0, 0);
    for round in 0..400 {
        let mut lines: Vec<String> = BILLS.lines().map(str::to_owned).collect();
        for _ in 0..1 + round % 3 {
            let at = next(lines.len());
            match next(6) {
                0 => drop(lines.remove(at)),
                1 => lines.insert(at, lines[at].clone()),
                2 => lines[at] = format!("  {}", lines[at]),
                3 => {
                    let keep = next(lines[at].len() + 1);
                    lines[at].truncate(keep);
                }
                4 => lines[at] = lines[at].replace(':', ": {"),
                _ => lines[at] = lines[at].replace(|c: char| c.is_ascii_lowercase(), "x"),
            }
        }
        let text = lines.join("\n");
        let result =
            std::panic::catch_unwind(|| import::import(&files(&[("bills.yml", &text), ("payments.yml", PAYMENTS)])));
        match result.unwrap_or_else(|_| panic!("panic on:\n{text}")) {
            Ok(_) => ok += 1,
            Err(diags) => {
                failed += 1;
                for d in &diags.0 {
                    let count = if &*d.location.file == "bills.yml" { lines.len() } else { PAYMENTS.lines().count() };
                    assert!(d.location.line as usize <= count + 1 && d.location.line >= 1, "{d} in:\n{text}");
                }
            }
        }
    }
    assert!(ok > 0 && failed > 0, "{ok} imported, {failed} refused");
}

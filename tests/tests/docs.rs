//! Documentation of the types crate: operation descriptions reach their body types, names are
//! not echoed as docs, and a merged API is named for the whole.

use triad::Provenance;
use triad::config::Config;
use triad::load::MemoryReader;

const BILLS: &str = r#"openapi: 3.0.3
info: {title: Shop API — Bills and Accounting, version: '1', description: Only about bills.}
paths:
  /bills/getAll:
    post:
      operationId: bills_getAll
      description: Returns every bill of the shop.
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/BillFilter'}
      responses:
        '200':
          description: The bills.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/BillResult'}
components:
  schemas:
    BillFilter:
      type: object
      properties:
        Paid:
          title: Boolean update value
          description: Only paid bills.
          allOf: [{$ref: '#/components/schemas/BooleanUpdateValue'}]
    BooleanUpdateValue:
      title: Boolean update value
      type: object
      properties:
        Value: {type: boolean}
    BillResult:
      type: object
      description: A page of bills.
      properties:
        Total: {type: integer}
"#;

const PAYMENTS: &str = r#"openapi: 3.0.3
info: {title: Shop API — Payments, version: '1'}
paths: {}
components:
  schemas:
    Payment:
      type: object
      properties:
        Id: {type: string, title: Id}
"#;

fn lib() -> String {
    let config = Config::for_name("shop", vec!["bills.yaml".into(), "payments.yaml".into()]);
    let reader = MemoryReader::new().with("bills.yaml", BILLS).with("payments.yaml", PAYMENTS);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    let files = triad::generate(&config, "", &reader, &provenance).unwrap_or_else(|d| panic!("{d}")).files;
    files["shop-types/src/lib.rs"].clone()
}

/// The doc comment lines right above `pub struct NAME`.
fn docs_of(lib: &str, name: &str) -> String {
    let lines: Vec<&str> = lib.lines().collect();
    let at = lines.iter().position(|l| l.starts_with(&format!("pub struct {name} "))).expect(name);
    let mut docs: Vec<&str> = lines[..at]
        .iter()
        .rev()
        .skip_while(|l| l.starts_with("#["))
        .take_while(|l| l.starts_with("///"))
        .copied()
        .collect();
    docs.reverse();
    docs.join("\n")
}

#[test]
fn operation_descriptions_reach_request_and_response_types() {
    let lib = lib();
    let filter = docs_of(&lib, "BillFilter");
    assert!(filter.contains("Request body of `POST /bills/getAll`: Returns every bill of the shop."), "{filter}");
    let result = docs_of(&lib, "BillResult");
    assert!(result.starts_with("/// A page of bills."), "{result}");
    assert!(result.contains("Response of `POST /bills/getAll`: Returns every bill of the shop."), "{result}");
}

#[test]
fn docs_that_only_repeat_a_name_are_left_out() {
    let lib = lib();
    assert_eq!(docs_of(&lib, "BooleanUpdateValue"), "", "{lib}");
    assert!(!lib.contains("Boolean update value"), "{lib}");
    assert!(lib.contains("/// Only paid bills."), "{lib}");
    assert!(!lib.contains("/// Id\n"), "{lib}");
}

#[test]
fn a_merged_api_is_named_for_the_whole() {
    let lib = lib();
    assert!(lib.contains("//! Types of the Shop API, generated from its release 1."), "{lib}");
    assert!(!lib.contains("Bills and Accounting") && !lib.contains("Only about bills."), "{lib}");
}

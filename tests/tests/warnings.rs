//! Input the generator ignores or reads by a guess is said: a warning with file, line, column
//! and JSON pointer comes back with the output.

use triad::diag::{Diagnostic, Severity};
use triad_tests::generate_memory_with_warnings;

fn warnings(spec: &str) -> Vec<Diagnostic> {
    let generated = generate_memory_with_warnings(&[("api.yaml", spec)]).unwrap_or_else(|d| panic!("{d}"));
    assert!(generated.warnings.iter().all(|w| w.severity == Severity::Warning));
    generated.warnings
}

fn one(spec: &str) -> Diagnostic {
    let mut list = warnings(spec);
    assert_eq!(list.len(), 1, "{list:#?}");
    list.remove(0)
}

const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";

#[test]
fn contradictory_all_of_is_a_warning_at_the_later_property() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      allOf:\n        - type: object\n          properties:\n            x: {{type: string}}\n        - type: object\n          properties:\n            x: {{type: integer}}\n"
    );
    let w = one(&spec);
    assert!(w.message.contains("disagree on property `x`: string before, integer here"), "{w}");
    assert_eq!((w.location.line, w.location.column), (13, 16));
    assert_eq!(w.location.pointer, "/components/schemas/A/allOf/1/properties/x");
    assert_eq!(w.related[0].0.pointer, "/components/schemas/A/allOf/0/properties/x");
    assert!(w.to_string().starts_with("warning: "), "{w}");
}

#[test]
fn discriminator_mapping_to_a_missing_schema_is_a_warning() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    U:\n      oneOf:\n        - $ref: '#/components/schemas/A'\n        - $ref: '#/components/schemas/B'\n      discriminator:\n        propertyName: k\n        mapping:\n          a: '#/components/schemas/A'\n          b: '#/components/schemas/B'\n          c: '#/components/schemas/Gone'\n    A: {{type: object, properties: {{k: {{type: string}}}}}}\n    B: {{type: object, properties: {{k: {{type: string}}}}}}\n"
    );
    let w = one(&spec);
    assert!(w.message.contains("discriminator mapping `c` names a missing schema"), "{w}");
    assert_eq!(w.location.pointer, "/components/schemas/U/discriminator/mapping/c");
    assert_eq!(w.location.line, 15);
}

const ASYNC: &str = "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n";

#[test]
fn asyncapi_operations_naming_missing_channels_or_messages_are_warnings() {
    let spec = format!(
        "{ASYNC}channels:\n  feed:\n    address: /feed\n    messages:\n      tick: {{$ref: '#/components/messages/tick'}}\noperations:\n  onTick:\n    action: send\n    channel: {{$ref: '#/channels/feed'}}\n    messages:\n      - $ref: '#/channels/feed/messages/tock'\n  onGone:\n    action: send\n    channel: {{$ref: '#/channels/gone'}}\ncomponents:\n  messages:\n    tick:\n      payload: {{type: object, properties: {{p: {{type: number}}}}}}\n"
    );
    let list = warnings(&spec);
    assert_eq!(list.len(), 2, "{list:#?}");
    assert!(
        list[0].message.contains("`#/channels/feed/messages/tock`, which channel `feed` does not declare"),
        "{}",
        list[0]
    );
    assert_eq!(list[0].location.pointer, "/operations/onTick/messages/0");
    assert!(list[1].message.contains("channel `#/channels/gone`, which does not exist"), "{}", list[1]);
    assert_eq!(list[1].location.pointer, "/operations/onGone/channel");
}

#[test]
fn a_message_without_payload_is_a_warning() {
    let spec = format!("{ASYNC}channels:\n  feed:\n    address: /feed\n    messages:\n      ping: {{name: ping}}\n");
    let w = one(&spec);
    assert!(w.message.contains("message `ping` has no `payload`"), "{w}");
    assert_eq!(w.location.pointer, "/channels/feed/messages/ping");
}

#[test]
fn a_member_whose_tag_an_earlier_member_has_is_a_warning() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    U:\n      oneOf:\n        - $ref: '#/components/schemas/A'\n        - $ref: '#/components/schemas/B'\n      discriminator: {{propertyName: k}}\n    A: {{type: object, required: [k], properties: {{k: {{enum: [a]}}}}}}\n    B: {{type: object, required: [k], properties: {{k: {{enum: [a]}}, x: {{type: string}}}}}}\n"
    );
    let w = one(&spec);
    assert!(w.message.contains("variant `A2` of union `U` is never decoded"), "{w}");
    assert_eq!(w.location.pointer, "/components/schemas/U");
}

#[test]
fn clean_specs_have_no_warnings() {
    let spec = format!("{HEAD}components:\n  schemas:\n    A: {{type: object, properties: {{x: {{type: string}}}}}}\n");
    assert!(warnings(&spec).is_empty());
}

#[test]
fn shapes_the_generator_does_not_read_are_warnings() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      type: object\n      properties:\n        b:\n          $ref: '#/components/schemas/B'\n          properties: {{extra: {{type: string}}}}\n    B:\n      type: object\n      properties: {{x: {{type: string}}}}\n      additionalProperties: {{type: integer}}\n    C: {{enum: [a, 1]}}\n"
    );
    let list = warnings(&spec);
    assert_eq!(list.len(), 3, "{list:#?}");
    assert!(list[0].message.contains("`properties` next to `$ref` is ignored"), "{}", list[0]);
    assert_eq!(list[0].location.pointer, "/components/schemas/A/properties/b");
    assert!(list[1].message.contains("`additionalProperties` next to `properties` is ignored"), "{}", list[1]);
    assert_eq!(list[1].location.pointer, "/components/schemas/B/additionalProperties");
    assert!(list[2].message.contains("`enum` mixes strings with other values"), "{}", list[2]);
    assert_eq!(list[2].location.pointer, "/components/schemas/C/enum");
}

#[test]
fn a_coproduct_value_without_a_typed_member_is_a_warning() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    K: {{type: string, enum: [Card, Cash]}}\n    CardData: {{type: object, properties: {{n: {{type: string}}}}}}\n    InvoiceData: {{type: object, title: Invoice data, properties: {{i: {{type: string}}}}}}\n    P:\n      type: object\n      properties:\n        Discriminator: {{$ref: '#/components/schemas/K'}}\n        Value:\n          oneOf: [{{$ref: '#/components/schemas/CardData'}}, {{$ref: '#/components/schemas/InvoiceData'}}, {{type: integer}}]\n"
    );
    let w = one(&spec);
    assert!(w.message.contains("no member of `Value` is named after the `Discriminator` value `Cash`"), "{w}");
    assert!(w.message.contains("raw JSON"), "{w}");
    assert_eq!(w.location.pointer, "/components/schemas/P/properties/Value");
}

#[test]
fn every_fallback_to_any_json_with_unread_keywords_is_a_warning_once_per_schema() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    Loose: {{format: uuid, minLength: 36}}\n    Base:\n      type: object\n      properties:\n        n: {{minimum: 1}}\n        m: {{type: object, patternProperties: {{'^x': {{type: string}}}}}}\n        l: {{type: array, items: [{{type: string}}, {{type: integer}}]}}\n        k: false\n    A:\n      allOf:\n        - $ref: '#/components/schemas/Base'\n        - type: object\n          properties:\n            a: {{$ref: '#/components/schemas/Loose'}}\n    B:\n      allOf:\n        - $ref: '#/components/schemas/Base'\n        - type: object\n          properties:\n            b: {{$ref: '#/components/schemas/Loose'}}\n            c: {{not: {{type: string}}}}\n"
    );
    let list = warnings(&spec);
    // Base's properties are read for Base, A and B, Loose is used twice: one warning each.
    let found: Vec<(&str, u32, u32)> =
        list.iter().map(|w| (w.location.pointer.as_str(), w.location.line, w.location.column)).collect();
    assert_eq!(
        found,
        [
            ("/components/schemas/Loose", 6, 12),
            ("/components/schemas/Base/properties/n", 10, 12),
            ("/components/schemas/Base/properties/m", 11, 12),
            ("/components/schemas/Base/properties/l/items", 12, 33),
            ("/components/schemas/Base/properties/k", 13, 12),
            ("/components/schemas/B/allOf/1/properties/c", 26, 16),
        ],
        "{list:#?}"
    );
    assert!(list[0].message.contains("`format`, `minLength` are not read here"), "{}", list[0]);
    assert!(list[0].message.contains("kept as any JSON value (`serde_json::Value`)"), "{}", list[0]);
    assert!(list[0].expected.as_deref().unwrap_or_default().contains("a `type`"), "{}", list[0]);
    assert!(list[1].message.contains("`minimum` is not read here"), "{}", list[1]);
    assert!(list[2].message.contains("`patternProperties` is not read here"), "{}", list[2]);
    assert!(list[3].message.contains("`items` with a schema per position is not read"), "{}", list[3]);
    assert!(list[4].message.contains("the schema `false` allows no value"), "{}", list[4]);
    assert!(list[5].message.contains("`not` is not read here"), "{}", list[5]);
}

#[test]
fn deliberate_any_value_schemas_are_not_warnings() {
    let spec = format!(
        "{HEAD}components:\n  schemas:\n    Anything: {{description: Any JSON the caller likes., example: {{a: 1}}}}\n    Holder:\n      type: object\n      properties:\n        empty: {{}}\n        free: {{type: object, additionalProperties: true, description: Free-form.}}\n        bag: {{type: object}}\n        list: {{type: array}}\n        map: {{type: object, additionalProperties: {{}}}}\n        none: {{enum: [null]}}\n        only_null: {{type: 'null'}}\n        links: {{type: object, format: uri-map, nullable: true}}\n        yes: true\n        ext: {{x-kind: anything}}\n"
    );
    assert_eq!(warnings(&spec), [], "a schema with nothing but annotations says the value may be anything");
}

#[test]
fn an_operation_the_api_server_never_reaches_is_a_warning_at_it() {
    let spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /items/{id}:\n    get:\n      operationId: byId\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: string}}\n      responses: {'204': {description: ok}}\n  /items/{name}:\n    get:\n      operationId: byName\n      parameters:\n        - {name: name, in: path, required: true, schema: {type: string}}\n      responses: {'204': {description: ok}}\n    delete:\n      operationId: remove\n      parameters:\n        - {name: name, in: path, required: true, schema: {type: string}}\n      responses: {'204': {description: ok}}\n  /q?x={x}:\n    get:\n      operationId: odd\n      responses: {'204': {description: ok}}\n";
    let list = warnings(spec);
    assert_eq!(list.len(), 2, "{list:#?}");
    let shadowed = &list[0];
    assert!(shadowed.message.contains("never reaches operation `byName`: `byId`"), "{shadowed}");
    assert_eq!(shadowed.location.pointer, "/paths/~1items~1{name}/get");
    assert_eq!(shadowed.location.line, 12, "where the operation's mapping starts");
    assert_eq!(shadowed.related[0].0.pointer, "/paths/~1items~1{id}/get");
    let unserved = &list[1];
    assert!(unserved.message.contains("does not serve operation `odd`"), "{unserved}");
    assert_eq!(unserved.location.pointer, "/paths/~1q?x={x}/get");
}

#[test]
fn control_characters_from_a_spec_are_escaped_in_the_report() {
    let spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a/{x}:\n    get:\n      operationId: one\n      responses: {'204': {description: ok}}\n  /a/{y}:\n    get:\n      operationId: \"two\\e[31m\\nforged: line\"\n      responses: {'204': {description: ok}}\n";
    let text = warnings(spec).iter().map(ToString::to_string).collect::<String>();
    assert!(text.contains(r"`two\u{1b}[31m\nforged: line`"), "{text}");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    assert!(!text.contains("\nforged"), "{text}");
}

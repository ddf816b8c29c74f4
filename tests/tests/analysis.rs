//! The analysis step: what the IR means for the crates, decided once after lowering. Each
//! case is a small spec read from memory; the assertions read the IR every emitter reads.

use triad::config::Config;
use triad::ir::{Api, Delivery, ErrorBodies, Presence, TypeKind};
use triad::load::MemoryReader;

fn api(spec: &str, configure: impl FnOnce(&mut Config)) -> Api {
    let reader = MemoryReader::new().with("api.yaml", spec);
    let mut config = Config::for_name("analysis", vec!["api.yaml".to_owned()]);
    configure(&mut config);
    triad::load(&config, "", &reader).unwrap_or_else(|d| panic!("{d}"))
}

fn type_name(api: &Api, id: triad::ir::TypeId) -> &str {
    &api.ty(id).name.wire
}

const WEBHOOKS: &str = r#"
openapi: 3.1.0
info: {title: Shapes, version: "1"}
webhooks:
  batch: {post: {requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Batch'}}}}, responses: {'200': {description: ok}}}}
  aliased: {post: {requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/BatchAlias'}}}}, responses: {'200': {description: ok}}}}
  optionalList: {post: {requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Loose'}}}}, responses: {'200': {description: ok}}}}
  twoLists: {post: {requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Two'}}}}, responses: {'200': {description: ok}}}}
  single: {post: {requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Event'}}}}, responses: {'200': {description: ok}}}}
  text: {post: {requestBody: {content: {text/plain: {schema: {type: string}}}}, responses: {'200': {description: ok}}}}
components:
  schemas:
    Batch:
      type: object
      required: [events]
      properties:
        events: {type: array, items: {$ref: '#/components/schemas/Event'}}
        tags: {type: array, items: {type: string}}
    BatchAlias: {$ref: '#/components/schemas/Batch'}
    Loose:
      type: object
      properties:
        events: {type: array, items: {$ref: '#/components/schemas/Event'}}
    Two:
      type: object
      required: [a, b]
      properties:
        a: {type: array, items: {$ref: '#/components/schemas/Event'}}
        b: {type: array, items: {$ref: '#/components/schemas/Event'}}
    Event:
      oneOf: [{$ref: '#/components/schemas/Created'}, {$ref: '#/components/schemas/Deleted'}]
      discriminator: {propertyName: kind}
    Created: {type: object, required: [kind, id], properties: {kind: {type: string}, id: {type: string}, at: {type: string}}}
    Deleted: {type: object, required: [kind, id], properties: {kind: {type: string}, id: {type: string}, at: {type: string}}}
"#;

#[test]
fn one_delivery_rule_for_every_webhook() {
    let api = api(WEBHOOKS, |_| {});
    let delivery = |name: &str| api.webhooks.iter().find(|w| w.name.wire == name).unwrap().delivery.clone();
    // One required list of a tagged union (a list of strings beside it does not count).
    let Delivery::Batch { envelope, field, union, .. } = delivery("batch") else { panic!("{:?}", delivery("batch")) };
    let TypeKind::Struct(s) = &api.ty(envelope).kind else { panic!() };
    assert_eq!((type_name(&api, envelope), s.fields[field].name.wire.as_str()), ("Batch", "events"));
    assert_eq!(type_name(&api, union), "Event");
    // Through an alias, the same envelope.
    assert!(matches!(delivery("aliased"), Delivery::Batch { envelope: e, .. } if e == envelope));
    // A list that may be absent, or two lists: nothing says which items are the events.
    assert!(matches!(delivery("optionalList"), Delivery::Whole { .. }));
    assert!(matches!(delivery("twoLists"), Delivery::Whole { .. }));
    assert!(matches!(delivery("single"), Delivery::Tagged { union: u, .. } if u == union));
    assert!(matches!(delivery("text"), Delivery::Whole { ty: triad::ir::TypeRef::Any }));
}

#[test]
fn tolerate_null_keeps_a_batch_a_batch_and_decides_presence_in_lowering() {
    let api = api(WEBHOOKS, |c| c.tolerate_null = true);
    let batch = api.webhooks.iter().find(|w| w.name.wire == "batch").unwrap();
    let Delivery::Batch { envelope, field, .. } = &batch.delivery else { panic!("{:?}", batch.delivery) };
    let TypeKind::Struct(s) = &api.ty(*envelope).kind else { panic!() };
    // Required, and null tolerated: an `Option`, read as no events.
    assert_eq!(s.fields[*field].presence, Presence::Option);
    let plain = self::api(WEBHOOKS, |_| {});
    let Delivery::Batch { envelope, field, .. } =
        &plain.webhooks.iter().find(|w| w.name.wire == "batch").unwrap().delivery
    else {
        panic!()
    };
    let TypeKind::Struct(s) = &plain.ty(*envelope).kind else { panic!() };
    assert_eq!(s.fields[*field].presence, Presence::Plain);
}

#[test]
fn error_bodies_are_one_type_only_when_every_error_response_agrees() {
    let spec = r#"
openapi: 3.0.3
info: {title: Errors, version: "1"}
paths:
  /one:
    get:
      operationId: one
      responses:
        '200': {description: ok}
        '400': {description: bad, content: {application/json: {schema: {$ref: '#/components/schemas/Problem'}}}}
        '500': {description: down, content: {application/json: {schema: {$ref: '#/components/schemas/Problem'}}}}
  /several:
    get:
      operationId: several
      responses:
        '200': {description: ok}
        '400': {description: bad, content: {application/json: {schema: {$ref: '#/components/schemas/Problem'}}}}
        '500': {description: down, content: {text/plain: {schema: {type: string}}}}
  /none:
    get:
      operationId: none
      responses:
        '200': {description: ok}
        '404': {description: missing}
components:
  schemas:
    Problem: {type: object, properties: {message: {type: string}}}
"#;
    let api = api(spec, |_| {});
    let errors = |name: &str| api.operations.iter().find(|o| o.name.wire == name).unwrap().errors.clone();
    assert!(
        matches!(errors("one"), ErrorBodies::One(triad::ir::TypeRef::Named(id)) if type_name(&api, id) == "Problem")
    );
    assert_eq!(errors("several"), ErrorBodies::Several);
    assert_eq!(errors("none"), ErrorBodies::None);
}

#[test]
fn a_batch_records_the_entity_its_events_name_and_its_list_decodes_item_by_item() {
    let api = api(WEBHOOKS, |_| {});
    let batch = api.webhooks.iter().find(|w| w.name.wire == "batch").unwrap();
    let Delivery::Batch { envelope, field, entity, .. } = &batch.delivery else { panic!("{:?}", batch.delivery) };
    let entity = entity.as_ref().expect("both events carry a required string `id`");
    assert_eq!(entity.wire, "id");
    assert_eq!(entity.ty, triad::ir::TypeRef::Primitive(triad::ir::Primitive::String));
    assert_eq!(entity.fields, vec![Some(("id".to_owned(), false)); 2]);
    // The received list of events decodes one by one; the list of strings beside it does not.
    let TypeKind::Struct(s) = &api.ty(*envelope).kind else { panic!() };
    assert!(s.fields[*field].isolated);
    let tags = s.fields.iter().find(|f| f.name.wire == "tags").unwrap();
    assert!(!tags.isolated);
}

#[test]
fn events_without_a_common_id_name_no_entity() {
    let spec = WEBHOOKS.replace(
        "Deleted: {type: object, required: [kind, id], properties: {kind: {type: string}, id: {type: string}, at",
        "Deleted: {type: object, required: [kind, id], properties: {kind: {type: string}, id: {type: integer}, at",
    );
    let api = api(&spec, |_| {});
    let batch = api.webhooks.iter().find(|w| w.name.wire == "batch").unwrap();
    let Delivery::Batch { entity, .. } = &batch.delivery else { panic!("{:?}", batch.delivery) };
    assert_eq!(*entity, None, "one id is a string, the other an integer");
}

#[test]
fn only_the_item_list_of_a_paginated_response_decodes_item_by_item() {
    let spec = r#"
openapi: 3.0.3
info: {title: Pages, version: "1"}
paths:
  /items:
    post:
      operationId: list
      requestBody: {content: {application/json: {schema: {type: object, properties: {Cursor: {type: string}, Count: {type: integer}}}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Page'}}}}
components:
  schemas:
    Page:
      type: object
      properties:
        Items: {type: array, items: {$ref: '#/components/schemas/Item'}}
        Cursor: {type: string}
    Item: {type: object, properties: {Id: {type: string}}}
"#;
    let isolated = |api: &Api| {
        api.types
            .iter()
            .filter_map(|t| if let TypeKind::Struct(s) = &t.kind { Some(s) } else { None })
            .flat_map(|s| s.fields.iter().filter(|f| f.isolated).map(|f| f.name.wire.clone()))
            .collect::<Vec<_>>()
    };
    assert!(isolated(&api(spec, |_| {})).is_empty(), "without pagination, a response list is read whole");
    let paged_config = || {
        Some(triad::config::Pagination {
            request_cursor: "Cursor".into(),
            request_count: "Count".into(),
            response_cursor: "Cursor".into(),
            ..Default::default()
        })
    };
    let paged = api(spec, |c| c.pagination = paged_config());
    assert_eq!(isolated(&paged), ["Items"]);
    let plan = paged.operations[0].paging.as_ref().expect("a listing with a cursor in its request and page");
    assert_eq!(
        (plan.items.as_str(), plan.cursor.as_slice(), plan.isolated),
        ("items", &["cursor".to_owned()][..], true)
    );
    assert_eq!((plan.cursor_presence, plan.items_presence, plan.or_none), (Presence::Option, Presence::Option, false));
    // A cursor of another type in the page: no plan (the listing is an ordinary method).
    let mismatched = api(&spec.replace("        Cursor: {type: string}\n", "        Cursor: {type: integer}\n"), |c| {
        c.pagination = paged_config();
    });
    assert_eq!(mismatched.operations[0].paging, None);
}

#[test]
fn credentials_are_typed_once_from_the_schemes_and_the_configs_auth_placement() {
    let spec = r#"
openapi: 3.0.3
info: {title: Creds, version: "1"}
paths:
  /call:
    post:
      operationId: call
      requestBody: {content: {application/json: {schema: {type: object, properties: {AccessToken: {type: string}}}}}}
      responses: {'204': {description: done}}
components:
  securitySchemes:
    token: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-Key}
    delegated: {type: oauth2, flows: {}}
"#;
    use triad::ir::{Applied, Carried, ParamLocation};
    let api = api(spec, |c| c.auth.body_fields = vec!["AccessToken".to_owned()]);
    let found: Vec<(&str, &Carried)> = api.credentials.iter().map(|c| (c.wire.as_str(), &c.carried)).collect();
    assert_eq!(
        found,
        [
            ("AccessToken", &Carried::BodyField),
            ("key", &Carried::Scheme(Applied::ApiKey { location: ParamLocation::Header, name: "X-Key".to_owned() })),
            ("token", &Carried::Scheme(Applied::Bearer)),
        ],
        "OAuth 2 is left to a request hook; the others in scheme order"
    );
}

#[test]
fn credential_body_fields_are_taken_out_of_request_types_and_noted_per_operation() {
    let spec = r#"
openapi: 3.0.3
info: {title: Creds, version: "1"}
paths:
  /find:
    post:
      operationId: find
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Find'}}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Found'}}}}}
  /again:
    post:
      operationId: again
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Find'}}}}
      responses: {'204': {description: done}}
  /plain:
    post:
      operationId: plain
      requestBody: {content: {application/json: {schema: {type: object, properties: {Name: {type: string}}}}}}
      responses: {'204': {description: done}}
components:
  schemas:
    Find:
      type: object
      required: [ClientToken, AccessToken, Name]
      properties:
        ClientToken: {type: string}
        Name: {type: string}
        AccessToken: {type: string}
        Client: {type: string}
    Found:
      type: object
      properties: {AccessToken: {type: string}, Id: {type: string}}
"#;
    use triad::ir::{BodyCredential, TypeKind};
    let body_fields = ["ClientToken", "AccessToken", "Client"].map(str::to_owned).to_vec();
    let api = api(spec, |c| c.auth.body_fields = body_fields.clone());
    let fields = |name: &str| -> Vec<String> {
        let def = api.types.iter().find(|t| t.name.rust == name).unwrap();
        let TypeKind::Struct(s) = &def.kind else { panic!("{name} is no struct") };
        s.fields.iter().map(|f| f.name.wire.clone()).collect()
    };
    assert_eq!(fields("Find"), ["Name"], "the request type keeps only its own fields");
    assert_eq!(fields("Found"), ["AccessToken", "Id"], "a response type keeps what it declares");
    let noted = |op: &str| api.operations.iter().find(|o| o.name.wire == op).unwrap().body_credentials.clone();
    let expected = vec![
        BodyCredential { wire: "ClientToken".into(), required: true },
        BodyCredential { wire: "AccessToken".into(), required: true },
        BodyCredential { wire: "Client".into(), required: false },
    ];
    assert_eq!(noted("find"), expected, "in declaration order, with whether each was required");
    assert_eq!(noted("again"), expected, "a type shared by two operations is noted for both");
    assert!(noted("plain").is_empty());
}

#[test]
fn an_emission_failure_is_typed_and_located_at_the_ir_item() {
    let spec = r#"
openapi: 3.0.3
info: {title: Broken, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'204': {description: done}}
"#;
    let mut api = api(spec, |_| {});
    // An IR no lowering makes: the path names a parameter the operation does not have.
    api.operations[0].params.clear();
    let config = Config::for_name("analysis", vec!["api.yaml".to_owned()]);
    let provenance = triad::emit::Provenance { source: "api.yaml".into(), command: "test".into() };
    match triad::emit::emit(&api, &config, &provenance) {
        Err(triad::emit::EmitError::Item { location, message }) => {
            assert_eq!((&*location.file, location.line), ("api.yaml", 7), "{message}");
            assert_eq!(location.pointer, "/paths/~1items~1{id}/get");
            assert!(message.contains("path parameter `id` is not declared"), "{message}");
        }
        other => panic!("{:?}", other.map(|files| files.len())),
    }
}

#[test]
fn an_example_is_planned_apart_from_code_and_a_required_field_no_option_sets_is_reported() {
    let spec = r#"
openapi: 3.0.3
info: {title: Examples, version: "1"}
paths:
  /find:
    post:
      operationId: find
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Query'}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Found'}}}}
components:
  schemas:
    Query:
      type: object
      required: [Name, Filter]
      properties:
        Name: {type: string}
        Filter: {type: object, properties: {Since: {type: string}}}
        Limit: {type: integer}
    Found: {type: object, required: [Id], properties: {Id: {type: string}}}
"#;
    use triad::analyze::{CallPlan, Source};
    let api = api(spec, |_| {});
    let arg = |flag: &str, field: &str| triad::config::ExampleArg {
        flag: flag.into(),
        field: field.into(),
        ..Default::default()
    };
    let mut example = triad::config::Example {
        name: "find".into(),
        operation: "find".into(),
        print: "Id".into(),
        args: vec![arg("name", "Name"), arg("since", "Filter.Since")],
        ..Default::default()
    };
    let plan = triad::analyze::example_plan(&api, &example).unwrap();
    assert!(matches!(plan.call, CallPlan::Single { .. }));
    assert_eq!(plan.print.name.wire, "Id");
    let sources: Vec<(&str, String)> = plan
        .body
        .fields
        .iter()
        .map(|(f, source)| {
            let source = match source {
                Source::Option { flag, path } => format!("--{flag} ({path})"),
                Source::Nested { flags, .. } => format!("nested {flags:?}"),
                Source::Empty => "empty".into(),
            };
            (f.name.wire.as_str(), source)
        })
        .collect();
    assert_eq!(
        sources,
        [
            ("Name", "--name (Name)".to_owned()),
            ("Filter", r#"nested ["since"]"#.to_owned()),
            ("Limit", "empty".to_owned()),
        ]
    );
    // Without an option for the required `Filter`, there is no plan, and loading says why where
    // the example is written.
    example.args.pop();
    let problem = triad::analyze::example_plan(&api, &example).unwrap_err();
    assert_eq!(problem, "required property `Filter` is set by no option");
    let reader = MemoryReader::new().with("api.yaml", spec);
    let mut config = Config::for_name("analysis", vec!["api.yaml".to_owned()]);
    config.client.examples = vec![example];
    let diagnostics = triad::load(&config, "", &reader).unwrap_err().to_string();
    assert!(diagnostics.contains("example `find`: required property `Filter` is set by no option"), "{diagnostics}");
}

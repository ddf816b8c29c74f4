//! Settings of the codegen config change the generated code as documented.

use triad::Provenance;
use triad::config::Config;
use triad::load::MemoryReader;

const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    PaymentKind: {type: string, enum: [Card, Cash, Voucher]}
    CardData: {type: object, properties: {Last4: {type: string}}}
    CashData: {type: object, properties: {Currency: {type: string}}}
    Payment:
      type: object
      properties:
        Discriminator: {$ref: '#/components/schemas/PaymentKind'}
        Value:
          nullable: true
          oneOf:
            - $ref: '#/components/schemas/CardData'
            - $ref: '#/components/schemas/CashData'
    Note:
      type: object
      properties:
        Text: {type: string, nullable: true}
        Token: {type: string}
    Charge:
      type: object
      properties:
        Amount: {type: number}
        Rate: {type: number}
        Label: {type: string}
"#;

fn generate(config_text: &str) -> Result<String, String> {
    let config = Config::parse("codegen.yaml", config_text).map_err(|d| format!("{d:?}"))?;
    let reader = MemoryReader::new().with("api.yaml", SPEC);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    let files = triad::generate(&config, "", &reader, &provenance).map_err(|d| d.to_string())?.files;
    Ok(files["pay-types/src/lib.rs"].clone())
}

#[test]
fn union_variant_map_makes_an_adjacently_tagged_union() {
    let lib = generate(
        "name: pay\nspecs: [api.yaml]\nunions:\n  Payment:\n    tag: Discriminator\n    content: Value\n    variants: {Card: CardData, Voucher: CashData}\n",
    )
    .unwrap();
    assert!(lib.contains("pub enum Payment {"), "{lib}");
    assert!(lib.contains("Card(CardData),") && lib.contains("Voucher(CashData),"), "{lib}");
    let flat: String = lib.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(r#"serialize_adjacent( serializer, "Discriminator", "Voucher", "Value", value, )"#),
        "{flat}"
    );
    // Without the map, variants are matched by name only: Voucher's payload stays raw JSON.
    let guessed = generate("name: pay\nspecs: [api.yaml]\n").unwrap();
    assert!(guessed.contains("Card(Option<CardData>),"), "{guessed}");
    assert!(guessed.contains("Cash(Option<CashData>),"), "{guessed}");
    assert!(guessed.contains("Voucher(serde_json::Value),"), "{guessed}");
}

#[test]
fn union_variant_map_naming_a_missing_schema_is_an_error() {
    let error = generate(
        "name: pay\nspecs: [api.yaml]\nunions:\n  Payment: {tag: Discriminator, content: Value, variants: {Card: NoSuchData}}\n",
    )
    .unwrap_err();
    assert!(error.contains("maps `Card` to schema `NoSuchData`, which does not exist"), "{error}");
    assert!(error.contains("api.yaml:11:7 (#/components/schemas/Payment)"), "{error}");
}

#[test]
fn null_means_absent_and_secrets_and_naming() {
    let tri = generate("name: pay\nspecs: [api.yaml]\n").unwrap();
    assert!(tri.contains("pub text: model::Nullable<String>"), "{tri}");
    let collapsed = generate(
        "name: pay\nspecs: [api.yaml]\nnull_means_absent: true\nsecrets: [Note.Token]\nnaming:\n  types: {Note: Memo}\n",
    )
    .unwrap();
    assert!(collapsed.contains("pub text: Option<String>"), "{collapsed}");
    assert!(collapsed.contains("pub struct Memo {"), "{collapsed}");
    assert!(collapsed.contains(r#".field("token", &model::Redacted)"#), "{collapsed}");
}

#[test]
fn auth_and_pagination_settings_must_name_real_properties() {
    let spec = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /items/getAll:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                AccessToken: {type: string}
                Limitation:
                  type: object
                  properties:
                    Count: {type: integer}
                    Cursor: {type: string}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  Cursor: {type: string, nullable: true}
"#;
    let run = |config_text: &str| {
        let config = Config::parse("api/codegen.yaml", config_text).unwrap();
        let reader = MemoryReader::new().with("api/api.yaml", spec);
        let provenance = Provenance { source: "api/codegen.yaml".into(), command: "test".into() };
        triad::generate(&config, "api", &reader, &provenance)
    };
    let good = "name: x\nspecs: [api.yaml]\nauth: {body_fields: [AccessToken]}\npagination: {request_cursor: Limitation.Cursor, request_count: Limitation.Count, response_cursor: Cursor}\n";
    run(good).unwrap();
    let bad = "name: x\nspecs: [api.yaml]\nauth:\n  body_fields: [AccessToken, ClientTokn]\npagination:\n  request_cursor: Limitation.Cursr\n  request_count: Limitation.Count\n  response_cursor: Cursor\n";
    let diags = run(bad).unwrap_err().0;
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(diags[0].message.contains("`ClientTokn` is not a property of any request body"));
    assert_eq!((&*diags[0].location.file, diags[0].location.line), ("api/codegen.yaml", 4));
    assert_eq!(diags[0].location.pointer, "/auth/body_fields/1");
    assert!(diags[1].message.contains("request_cursor: Limitation.Cursr"));
    assert_eq!(diags[1].location.line, 6);
}

const OPS: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /items/list:
    post:
      operationId: items_list
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ListRequest'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ItemPage'}
components:
  schemas:
    ListRequest:
      type: object
      required: [Token, Limit]
      properties:
        Token: {type: string, x-secret: true}
        Limit:
          type: object
          required: [Count]
          properties:
            Count: {type: integer, format: int32}
            Cursor: {type: string, nullable: true}
    ItemPage:
      type: object
      properties:
        Items: {type: array, items: {$ref: '#/components/schemas/Item'}}
        Next: {type: string, nullable: true}
    Item:
      type: object
      required: [Id]
      properties:
        Id: {type: string}
"#;

fn generate_ops(config_text: &str) -> Result<triad::Files, String> {
    let config = Config::parse("codegen.yaml", config_text).map_err(|d| format!("{d:?}"))?;
    let reader = MemoryReader::new().with("api.yaml", OPS);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    triad::generate(&config, "", &reader, &provenance).map(|g| g.files).map_err(|d| d.to_string())
}

#[test]
fn an_example_naming_a_missing_operation_or_property_is_located() {
    let text = "name: shop\nspecs: [api.yaml]\ncrates:\n  client:\n    examples:\n      list:\n        \
                operation: items_lst\n        print: Id\n";
    let error = generate_ops(text).unwrap_err();
    assert!(error.contains("codegen.yaml:7:20"), "{error}");
    assert!(error.contains("example operation `items_lst` does not exist"), "{error}");
    assert!(error.contains("items_list"), "the known operations are suggested: {error}");
    let text = "name: shop\nspecs: [api.yaml]\ncrates:\n  client:\n    examples:\n      list:\n        \
                operation: items_list\n        args: {size: Limit.Size}\n        print: Id\n";
    let error = generate_ops(text).unwrap_err();
    assert!(error.contains("codegen.yaml:8:"), "{error}");
    assert!(error.contains("`--size` sets `Limit.Size`"), "{error}");
}

#[test]
fn pagination_settings_make_a_stream_and_the_client_can_be_disabled() {
    let base = "name: shop\nspecs: [api.yaml]\nauth: {body_fields: [Token]}\n\
                pagination: {request_cursor: Limit.Cursor, request_count: Limit.Count, response_cursor: Next}\n";
    let files = generate_ops(base).unwrap();
    let client = &files["shop-client/src/lib.rs"];
    assert!(client.contains("pub fn items_list_stream("), "{client}");
    // Each item of a page decodes on its own.
    let flat: String = client.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Result<types::Decoded<types::Item>"), "{client}");
    // The cursor goes into the next request's JSON at the configured wire path.
    assert!(flat.contains("cursor: &[\"Limit\", \"Cursor\"]"), "{client}");
    assert!(client.contains("pub token: Option<rt::Secret>"), "{client}");
    let manifest = &files["shop-client/Cargo.toml"];
    assert!(
        manifest.contains("[dependencies.shop-types]\nversion = \"0.1.0\"\npath = \"../shop-types\"\n"),
        "{manifest}"
    );
    let files = generate_ops(&format!("{base}crates: {{client: {{enabled: false}}}}\n")).unwrap();
    assert!(files.keys().all(|path| !path.starts_with("shop-client/")), "{:?}", files.keys());
}

#[test]
fn odd_operation_ids_and_undeclared_path_parameters_make_valid_code() {
    let spec = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /cards/{card}/3ds:
    get:
      operationId: 3ds-check
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
        '404': {description: missing, content: {application/json: {schema: {type: string}}}}
        '409': {description: conflict, content: {text/plain: {schema: {type: string}}}}
"#;
    let config = Config::parse("codegen.yaml", "name: odd\nspecs: [api.yaml]\n").unwrap();
    let reader = MemoryReader::new().with("api.yaml", spec);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    let files = triad::generate(&config, "", &reader, &provenance).unwrap().files;
    let client = &files["odd-client/src/lib.rs"];
    assert!(client.contains("pub enum V3dsCheckError {"), "{client}");
    assert!(client.contains("card: &str"), "the undeclared path parameter becomes a string argument: {client}");
    assert!(client.contains(".path_param(\"card\""), "{client}");
}

#[test]
fn names_from_the_config_must_be_valid_and_unreserved() {
    let cases: &[(&str, &str, &str)] = &[
        ("naming:\n  types: {Payment: payment_kind}\n", "/naming/types/Payment", "not an UpperCamelCase"),
        ("naming:\n  types: {Payment: Self}\n", "/naming/types/Payment", "keyword"),
        ("naming:\n  types: {Payment: Option}\n", "/naming/types/Payment", "shadow"),
        ("naming:\n  types: {Payment: \"A b\"}\n", "/naming/types/Payment", "not an UpperCamelCase"),
        ("naming:\n  types: {Payment: \"r#Type\"}\n", "/naming/types/Payment", "not an UpperCamelCase"),
        ("naming:\n  types: {Payment: \"\"}\n", "/naming/types/Payment", "not an UpperCamelCase"),
        ("crates:\n  types: {name: \"x\\\"\\ny = 1\"}\n", "/crates/types/name", "which a package name cannot hold"),
        ("crates:\n  types: {name: ../escape}\n", "/crates/types/name", "which a package name cannot hold"),
        ("crates:\n  types: {name: self}\n", "/crates/types/name", "reserved"),
        ("crates:\n  types: {name: std}\n", "/crates/types/name", "a built-in crate"),
        ("crates:\n  types: {version: \"1.0\\\"\\nname = 'x'\"}\n", "/crates/types/version", "not a semantic version"),
        ("unions:\n  Payment: {tag: \"\", content: Value, variants: {A: A}}\n", "/unions/Payment/tag", "no `tag`"),
    ];
    for (extra, pointer, message) in cases {
        let text = format!("name: pay\nspecs: [api.yaml]\n{extra}");
        let diags = Config::parse("codegen.yaml", &text).expect_err(extra);
        assert_eq!(diags.len(), 1, "{extra}: {diags:#?}");
        assert_eq!(diags[0].location.pointer, *pointer, "{extra}");
        assert!(diags[0].message.contains(message), "{extra}: {}", diags[0].message);
        assert!(diags[0].location.line >= 3, "{extra}: {:?}", diags[0].location);
    }
    let diags = Config::parse("codegen.yaml", "name: \"my api\"\nspecs: [api.yaml]\n").unwrap_err();
    assert_eq!((diags.len(), diags[0].location.line, diags[0].location.pointer.as_str()), (1, 1, "/name"));
    assert!(
        Config::parse("codegen.yaml", "name: pay\nspecs: [api.yaml]\nnaming:\n  types: {Payment: PaymentKind}\n")
            .is_ok()
    );
}

#[test]
fn field_overrides_set_the_type_and_keep_the_reason_in_the_docs() {
    let lib = generate(
        "name: pay\nspecs: [api.yaml]\noverrides:\n  CardData.Last4: {type: integer, reason: 'the provider sends a number'}\n",
    )
    .unwrap();
    assert!(lib.contains("pub last4: Option<i64>"), "{lib}");
    assert!(lib.contains("Type set by the codegen config: the provider sends a number"), "{lib}");
    let plain = generate("name: pay\nspecs: [api.yaml]\n").unwrap();
    assert!(plain.contains("pub last4: Option<String>"), "{plain}");
}

#[test]
fn field_overrides_need_a_known_type_and_a_reason() {
    let error = generate("name: pay\nspecs: [api.yaml]\noverrides:\n  CardData.Last4: {type: duration, reason: x}\n")
        .unwrap_err();
    assert!(error.contains("unknown override type `duration`"), "{error}");
    assert!(error.contains("line: 4") && error.contains("/overrides/CardData.Last4/type"), "{error}");
    let error = generate("name: pay\nspecs: [api.yaml]\noverrides:\n  CardData.Last4: {type: string}\n").unwrap_err();
    assert!(error.contains("needs a `type` and a `reason`"), "{error}");
    let error = generate("name: pay\nspecs: [api.yaml]\noverrides:\n  Last4: {type: string, reason: x}\n").unwrap_err();
    assert!(error.contains("`Last4` does not name a field"), "{error}");
}

#[test]
fn tolerate_null_makes_required_fields_nullable() {
    let spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Item: {type: object, required: [Id], properties: {Id: {type: string}}}\n";
    let lib = |extra: &str| {
        let config = Config::parse("codegen.yaml", &format!("name: pay\nspecs: [api.yaml]\n{extra}")).unwrap();
        let reader = MemoryReader::new().with("api.yaml", spec);
        let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
        triad::generate(&config, "", &reader, &provenance).unwrap().files["pay-types/src/lib.rs"].clone()
    };
    let strict = lib("");
    assert!(strict.contains("pub id: String,"), "{strict}");
    let lenient = lib("tolerate_null: true\n");
    assert!(lenient.contains("pub id: Option<String>,"), "{lenient}");
}

#[test]
fn secret_patterns_and_auth_body_fields_are_redacted_everywhere() {
    let lib = generate("name: pay\nspecs: [api.yaml]\nsecrets: ['*.Last4']\n").unwrap();
    assert!(lib.contains(r#".field("last4", &model::Redacted)"#), "{lib}");
    assert!(!lib.contains(r#".field("token", &model::Redacted)"#), "{lib}");
    let lib = generate("name: pay\nspecs: [api.yaml]\nauth: {body_fields: [Token]}\n").unwrap();
    assert!(lib.contains(r#".field("token", &model::Redacted)"#), "{lib}");
    assert!(!lib.contains(r#".field("last4", &model::Redacted)"#), "{lib}");
}

#[test]
fn decimals_setting_makes_chosen_number_fields_exact() {
    let lib = generate("name: pay\nspecs: [api.yaml]\ndecimals: ['*.Amount']\n").unwrap();
    assert!(lib.contains("pub amount: Option<rust_decimal::Decimal>"), "{lib}");
    assert!(lib.contains("pub rate: Option<f64>"), "{lib}");
    assert!(lib.contains("pub use rust_decimal::Decimal;"), "{lib}");
    let plain = generate("name: pay\nspecs: [api.yaml]\n").unwrap();
    assert!(plain.contains("pub amount: Option<f64>") && !plain.contains("rust_decimal"), "{plain}");
}

const DEVICES: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    DeviceType: {type: string, enum: [Printer, Cutter]}
    Device:
      type: object
      properties:
        Type: {$ref: '#/components/schemas/DeviceType'}
        Size: {type: integer}
    PrinterData: {type: object, required: [Copies], properties: {Copies: {type: integer}}}
    CutterData: {type: object, required: [Keys], properties: {Keys: {type: integer}}}
    Command:
      type: object
      properties:
        Device: {$ref: '#/components/schemas/Device'}
        Data:
          oneOf:
            - $ref: '#/components/schemas/PrinterData'
            - $ref: '#/components/schemas/CutterData'
"#;

/// Generates [`DEVICES`] with `unions:` set to `unions`: the types crate, or the diagnostics.
fn devices(unions: &str) -> Result<String, Vec<triad::diag::Diagnostic>> {
    let text = format!("name: dev\nspecs: [api.yaml]\nunions:\n{unions}");
    let config = Config::parse("codegen.yaml", &text)?;
    let reader = MemoryReader::new().with("api.yaml", DEVICES);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    let files = triad::generate(&config, "", &reader, &provenance).map_err(|d| d.0)?.files;
    Ok(files["dev-types/src/lib.rs"].clone())
}

#[test]
fn a_property_union_chosen_by_a_sibling_path_decodes_by_the_tag() {
    let lib =
        devices("  Command.Data: {tag: Device.Type, variants: {Printer: PrinterData, Cutter: CutterData}}\n").unwrap();
    assert!(lib.contains("pub enum CommandData {"), "{lib}");
    assert!(lib.contains("Printer(PrinterData),") && lib.contains("Cutter(CutterData),"), "{lib}");
    assert!(lib.contains("impl model::TaggedBy for CommandData {"), "{lib}");
    assert!(lib.contains(r#"const TAG: &'static str = "Device.Type";"#), "{lib}");
    let flat: String = lib.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(r#"model::tagged_by::< _, A::Error, >( "Data","#), "{flat}");
    // Without the entry the members are told apart by shape.
    let guessed = devices("  {}\n").unwrap();
    assert!(!guessed.contains("TaggedBy"), "{guessed}");
}

#[test]
fn property_union_settings_that_name_nothing_are_located_errors() {
    // (entry, pointer, line, column, message)
    let cases: &[(&str, &str, u32, u32, &str)] = &[
        (
            "  Command.Payload: {tag: Device.Type, variants: {Printer: PrinterData}}\n",
            "/unions/Command.Payload",
            4,
            20,
            "`unions: Command.Payload` names no property: schema `Command` has no property `Payload`",
        ),
        (
            "  Order.Data: {tag: Device.Type, variants: {Printer: PrinterData}}\n",
            "/unions/Order.Data",
            4,
            15,
            "`unions: Order.Data` names no property: there is no schema `Order`",
        ),
        (
            "  Command.Data:\n    tag: Device.Kind\n    variants: {Printer: PrinterData}\n",
            "/unions/Command.Data/tag",
            5,
            10,
            "the tag `Device.Kind` of `unions: Command.Data` does not lead to a tag value: `Device` has no property `Kind`",
        ),
        (
            "  Command.Data:\n    tag: Device.Size\n    variants: {Printer: PrinterData}\n",
            "/unions/Command.Data/tag",
            5,
            10,
            "`Device.Size` is not a string or a string enum",
        ),
        (
            "  Command.Data:\n    tag: Device.Type.Name\n    variants: {Printer: PrinterData}\n",
            "/unions/Command.Data/tag",
            5,
            10,
            "`Device.Type` is not an object, so it has no property `Name`",
        ),
        (
            "  Command.Data:\n    tag: Device.Type\n    variants: {Printer: PrinterData, Cutter: CutterInfo}\n",
            "/unions/Command.Data/variants/Cutter",
            6,
            46,
            "`unions: Command.Data` maps `Cutter` to schema `CutterInfo`, which does not exist",
        ),
    ];
    for (entry, pointer, line, column, message) in cases {
        let diags = devices(entry).expect_err(entry);
        assert_eq!(diags.len(), 1, "{entry}: {diags:#?}");
        let d = &diags[0];
        assert_eq!(d.location.pointer, *pointer, "{entry}");
        assert_eq!(
            (&*d.location.file, d.location.line, d.location.column),
            ("codegen.yaml", *line, *column),
            "{entry}"
        );
        assert!(d.message.contains(message), "{entry}: {}", d.message);
        assert!(d.expected.is_some(), "{entry}: says what was expected");
    }
    // Checked when the config is read.
    let cases: &[(&str, &str, &str)] = &[
        ("  Data: {tag: Device.Type, variants: {Printer: PrinterData}}\n", "/unions/Data/content", "no `content`"),
        ("  Command.Data: {tag: Device..Type, variants: {A: A}}\n", "/unions/Command.Data/tag", "not a dotted path"),
        ("  Command.Data: {tag: Device.Type}\n", "/unions/Command.Data", "lists no `variants`"),
    ];
    for (entry, pointer, message) in cases {
        let diags = devices(entry).expect_err(entry);
        assert_eq!(diags.len(), 1, "{entry}: {diags:#?}");
        assert_eq!(diags[0].location.pointer, *pointer, "{entry}");
        assert!(diags[0].message.contains(message), "{entry}: {}", diags[0].message);
        assert_eq!(diags[0].location.line, 4, "{entry}");
    }
}

#[test]
fn webhook_signature_settings_are_read_and_checked_where_written() {
    use triad::config::WebhookSignature;
    let parse = |extra: &str| Config::parse("codegen.yaml", &format!("name: pay\nspecs: [api.yaml]\nauth:\n{extra}"));
    let config = parse("  webhook_signature: {scheme: hmac-sha256, header: X-Hub-Signature, encoding: hex}\n").unwrap();
    assert_eq!(
        config.auth.webhook_signature,
        Some(WebhookSignature::HmacSha256 { header: "X-Hub-Signature".into(), hex: true })
    );
    let config = parse("  webhook_signature: {scheme: hmac-sha256}\n").unwrap();
    assert_eq!(
        config.auth.webhook_signature,
        Some(WebhookSignature::HmacSha256 { header: "X-Signature".into(), hex: false })
    );
    let config = parse("  webhook_signature: {scheme: standard-webhooks, tolerance_seconds: 60}\n").unwrap();
    assert_eq!(config.auth.webhook_signature, Some(WebhookSignature::StandardWebhooks { tolerance_seconds: 60 }));
    let cases: &[(&str, &str, &str)] = &[
        ("  webhook_signature: {scheme: md5}\n", "/auth/webhook_signature/scheme", "unknown scheme `md5`"),
        ("  webhook_signature: {header: X-Sig}\n", "/auth/webhook_signature", "missing setting `scheme`"),
        (
            "  webhook_signature: {scheme: hmac-sha256, encoding: base32}\n",
            "/auth/webhook_signature/encoding",
            "unknown encoding `base32`",
        ),
        (
            "  webhook_signature: {scheme: hmac-sha256, header: \"X Sig\"}\n",
            "/auth/webhook_signature/header",
            "not a header name",
        ),
        (
            "  webhook_signature: {scheme: standard-webhooks, header: X-Sig}\n",
            "/auth/webhook_signature/header",
            "does not apply to `standard-webhooks`",
        ),
        (
            "  webhook_signature: {scheme: standard-webhooks, tolerance_seconds: 0}\n",
            "/auth/webhook_signature/tolerance_seconds",
            "found",
        ),
        (
            "  webhook_query_token: Token\n  webhook_signature: {scheme: standard-webhooks}\n",
            "/auth/webhook_signature",
            "both given",
        ),
    ];
    for (extra, pointer, message) in cases {
        let diags = parse(extra).expect_err(extra);
        assert_eq!(diags.len(), 1, "{extra}: {diags:#?}");
        assert_eq!(diags[0].location.pointer, *pointer, "{extra}");
        assert!(diags[0].message.contains(message), "{extra}: {}", diags[0].message);
        assert!(diags[0].location.line >= 4, "{extra}: {:?}", diags[0].location);
    }
}

#[test]
fn a_rate_limit_is_read_checked_and_counted_per_a_credential_of_the_client() {
    let spec = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    post:
      operationId: things_getAll
      requestBody: {content: {application/json: {schema: {type: object, properties: {AccessToken: {type: string}}}}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object, properties: {Id: {type: string}}}}}}}
"#;
    let base = "name: t\nspecs: [api.yaml]\nauth: {body_fields: [AccessToken]}\ncrates:\n  client:\n    rate_limit: ";
    let config =
        Config::parse("codegen.yaml", &format!("{base}{{requests: 200, per_seconds: 30, per: AccessToken}}\n"))
            .unwrap();
    let limit = config.client.rate_limit.clone().unwrap();
    assert_eq!((limit.requests, limit.per_seconds, limit.per.as_deref()), (200, 30, Some("AccessToken")));
    let reader = MemoryReader::new().with("api.yaml", spec);
    let provenance = Provenance { source: "codegen.yaml".into(), command: "test".into() };
    let files = triad::generate(&config, "", &reader, &provenance).unwrap_or_else(|d| panic!("{d}")).files;
    let lib = &files["t-client/src/lib.rs"];
    assert!(lib.contains(".shared_rate_limit(Self::RATE_LIMIT, credentials.access_token.as_ref())"), "{lib}");

    // A window of no requests, and a limit counted per a credential the client does not have.
    let errors = Config::parse("codegen.yaml", &format!("{base}{{requests: 0, per_seconds: 30}}\n")).unwrap_err();
    assert!(errors.iter().any(|d| d.location.pointer == "/crates/client/rate_limit/requests"), "{errors:?}");
    let config =
        Config::parse("codegen.yaml", &format!("{base}{{requests: 2, per_seconds: 1, per: RefreshToken}}\n")).unwrap();
    let problems = triad::load(&config, "", &reader).unwrap_err().to_string();
    assert!(problems.contains("counted per `RefreshToken`, which is no credential of the client"), "{problems}");
    assert!(problems.contains("`AccessToken`"), "{problems}");
}

#[test]
fn an_example_option_cannot_take_the_name_of_the_programs_own_options() {
    let spec = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    post:
      operationId: things_getAll
      requestBody: {content: {application/json: {schema: {type: object, properties: {AccessToken: {type: string}, Name: {type: string}}}}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object, properties: {Id: {type: string}}}}}}}
"#;
    let config = Config::parse(
        "codegen.yaml",
        "name: t\nspecs: [api.yaml]\nauth: {body_fields: [AccessToken]}\ncrates:\n  client:\n    examples:\n      \
         list: {operation: things_getAll, print: Id, args: {access-token: Name, base-url: Name, name: Name}}\n",
    )
    .unwrap();
    let reader = MemoryReader::new().with("api.yaml", spec);
    let problems = triad::load(&config, "", &reader).unwrap_err().to_string();
    assert!(problems.contains("example option `--access-token` is already an option"), "{problems}");
    assert!(problems.contains("example option `--base-url` is already an option"), "{problems}");
    assert!(!problems.contains("`--name` is already"), "{problems}");
}

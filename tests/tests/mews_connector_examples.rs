//! The whole Mews Connector API as Mews publishes it (`../shared/corpus/mews-connector`, or
//! `$TRIAD_CORPUS/mews-connector`; 9 files merged into one crate): every request and response
//! example written in the spec files must decode into the generated types. The examples are read
//! from the spec files at test time and decoded by an integration test of the generated crate,
//! built in a scratch workspace under `target/`.
//!
//! Every decoded value is also printed with `Debug`, which must not show any token the example
//! holds (`ClientToken`, `AccessToken`, `Client`): secrets are redacted in every type.
//!
//! The examples are decoded into the types generated from the flagship document
//! (`spec/mews/connector/openapi.yaml`, the import of these files, with the corrections of
//! `spec/mews/connector/fixes.overlay.yaml`), and, to show what the corrections change, into the
//! types of the provider's files as published.
//!
//! The only failures allowed are the spec contradicting itself, listed in [`SPEC_FAULTS`] with
//! the field at fault; those the fixes overlay corrects are listed in [`FIXED`] and must decode
//! from the flagship document. Without the corpus (a fresh clone), the test prints a notice and
//! passes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value as Json;
use triad::config::Config;
use triad::ir::{Api, Primitive, TypeRef};
use triad::load::FsReader;
use triad::node::{self, Node};

const CRATE: &str = "mews-connector-types";

/// A required field the example leaves out.
const MISSING: &str = "missing";
/// `null` in a field the spec declares required and not nullable.
const NULL: &str = "null";
/// A value of another type than the spec declares.
const WRONG_TYPE: &str = "wrong type";

/// Examples that contradict their own schema: (example, field at fault as a JSON path, fault).
const SPEC_FAULTS: &[(&str, &str, &str)] = &[
    ("accountingItems_update response 200 #0", "OrderItems[0].UnitAmount", MISSING), // OrderItems[0]: missing field `UnitAmount`
    ("billingAutomations_getAll request #0", "Limitation", MISSING),                 // .: missing field `Limitation`
    // The response is declared as the request's own type, which has no token fields (the client
    // writes them), so the first field it lacks is the next required one.
    ("billingAutomations_updateAssignments response 200 #0", "BillingAutomationId", MISSING), // .: missing field `BillingAutomationId`
    ("bills_add response 200 #0", "Bills", MISSING), // .: missing field `Bills`
    ("bills_close request #0", "Options.DisplayTaxation", NULL), // Options.DisplayTaxation: invalid type: null, expected struct BooleanUpdateValue
    ("bills_close response 200 #0", "Bills", MISSING),           // .: missing field `Bills`
    ("counters_getAll response 200 #0", "Counters[4].Format", NULL), // Counters[4].Format: invalid type: null, expected a string
    ("configuration_get response 200 #0", "Enterprise.AccommodationEnvironmentCode", NULL), // Enterprise.AccommodationEnvironmentCode: invalid type: null, expected a string
    ("countries_getAll response 200 #0", "Countries[0].SovereignCountryCode", MISSING), // Countries[0]: missing field `SovereignCountryCode`
    ("enterprises_getAll response 200 #0", "Enterprises[0].EditableHistoryInterval", NULL), // Enterprises[0].EditableHistoryInterval: invalid type: null, expected a string
    ("exchangeRates_getAll response 200 #0", "ExchangeRates[0].Id", MISSING), // ExchangeRates[0]: missing field `Id`
    ("companionships_getAll request #0", "Extent", MISSING),                  // .: missing field `Extent`
    ("customers_getAll response 200 #0", "Customers[0].Phone", WRONG_TYPE), // Customers[0].Phone: invalid type: integer `420123456789`, expected a string
    ("customers_search response 200 #0", "Customers[0].Customer.Phone", WRONG_TYPE), // Customers[0].Customer.Phone: invalid type: integer `420123456789`, expected a string
    ("customers_getOpenItems response 200 #0", "Customers[0].OrderItems[0].Data.Value.RebatedItemId", NULL), // Customers[0].OrderItems[0].Data.Value.RebatedItemId: invalid type: null, expected a formatted UUID string
    ("identityDocuments_getAll request #0", "Limitation", MISSING), // .: missing field `Limitation`
    ("loyaltyMemberships_getAll response 200 #0", "LoyaltyMemberships[0].CreatorProfile", NULL), // LoyaltyMemberships[0].CreatorProfile: invalid type: null, expected struct ProfileData
    ("loyaltyMemberships_add response 200 #0", "LoyaltyMemberships[0].CreatorProfile", NULL), // LoyaltyMemberships[0].CreatorProfile: invalid type: null, expected struct ProfileData
    ("loyaltyMemberships_update response 200 #0", "LoyaltyMemberships[0].CreatorProfile", NULL), // LoyaltyMemberships[0].CreatorProfile: invalid type: null, expected struct ProfileData
    ("accounts_update request #0", "AccountUpdates[0].Company.Options.AddFeesToInvoices.Value", WRONG_TYPE), // AccountUpdates[0].Company.Options.AddFeesToInvoices.Value: invalid type: string "true", expected a boolean
    ("accounts_addFile request #0", "Data", MISSING), // .: missing field `Data`
    ("rules_getAll response 200 #0", "Rates[0].IsBaseRate", MISSING), // Rates[0]: missing field `IsBaseRate`
    ("tasks_getAll request #0", "Limitation", MISSING), // .: missing field `Limitation`
    ("tasks_getAll response 200 #0", "Tasks[0].ClosedUtc", NULL), // Tasks[0].ClosedUtc: invalid type: null, expected a string
    ("creditCards_addTokenized request #0", "CreditCardData.StorageData", MISSING), // CreditCardData: missing field `StorageData`
    ("payments_getAll response 200 #0", "Payments[0].SettlementUtc", NULL), // Payments[0].SettlementUtc: invalid type: null, expected an RFC 3339 formatted date and time string
    ("payments_addAlternative request #0", "Amount.TaxCodes", MISSING),     // Amount: missing field `TaxCodes`
    ("outletItems_getAll response 200 #0", "OutletBills[0].EnterpriseId", MISSING), // OutletBills[0]: missing field `EnterpriseId`
    ("cancellationPolicies_getAll response 200 #0", "CancellationPolicies[0].IsActive", MISSING), // CancellationPolicies[0]: missing field `IsActive`
    ("cancellationPolicies_getByRates request #0", "ReservationStartUtc", MISSING), // .: missing field `ReservationStartUtc`
    ("rates_getAll response 200 #0", "Rates[0].IsBaseRate", MISSING), // Rates[0]: missing field `IsBaseRate`
    ("rates_add response 200 #0", "Rates[0].IsBaseRate", MISSING),    // Rates[0]: missing field `IsBaseRate`
    ("rates_set request #0", "Rates[0].Pricing.BaseRatePricing.Amount.TaxCodes", MISSING), // Rates[0].Pricing.BaseRatePricing.Amount: missing field `TaxCodes`
    ("rates_getPricing response 200 #0", "CategoryPrices[0].Prices", MISSING), // CategoryPrices[0]: missing field `Prices`
    ("reservationGroups_getAll response 200 #0", "Cursor", WRONG_TYPE), // Cursor: UUID parsing failed: invalid character: found `j` at 3
    ("reservations_getAll response 200 #0", "Customers[0].Phone", WRONG_TYPE), // Customers[0].Phone: invalid type: integer `420123456789`, expected a string
    ("reservations_add response 200 #0", "Reservations[0].Reservation.PersonCounts", MISSING), // Reservations[0].Reservation: missing field `PersonCounts`
    ("reservations_update request #0", "ReservationUpdates[0].ClientToken", MISSING), // ReservationUpdates[0]: missing field `ClientToken`
    ("reservations_getAllItems response 200 #0", "Reservations[0].OrderItems[0].UnitAmount", MISSING), // Reservations[0].OrderItems[0]: missing field `UnitAmount`
    ("reservations_price request #0", "Reservations[0].CustomerId", MISSING), // Reservations[0]: missing field `CustomerId`
    ("reservations_price response 200 #0", "ReservationPrices[0].TotalAmount", MISSING), // ReservationPrices[0]: missing field `TotalAmount`
    ("sources_getAll response 200 #0", "Sources[0].Code", MISSING), // Sources[0]: missing field `Code`
    ("resourceCategories_getAll response 200 #0", "ResourceCategories[0].Classification", MISSING), // ResourceCategories[0]: missing field `Classification`
    ("resourceFeatures_getAll response 200 #0", "ResourceFeatures[0].CreatedUtc", MISSING), // ResourceFeatures[0]: missing field `CreatedUtc`
    ("productCategories_getAll response 200 #0", "ProductCategories[0].ParentProductCategory", WRONG_TYPE), // ProductCategories[0].ParentProductCategory: invalid type: sequence, expected struct ParentProductCategory
    ("products_getAll response 200 #0", "CustomerProducts[0].Options.ExcludePriceFromOffer", MISSING), // CustomerProducts[0].Options: missing field `ExcludePriceFromOffer`
    ("services_getAll response 200 #0", "Services[0].Names", MISSING), // Services[0]: missing field `Names`
    ("services_getAvailability response 200 #0", "CategoryAvailabilities[0].Adjustments", MISSING), // CategoryAvailabilities[0]: missing field `Adjustments`
    ("voucherCodes_add response 200 #0", "VoucherCodes[0].IsActive", MISSING), // VoucherCodes[0]: missing field `IsActive`
    ("voucherCodes_getAll response 200 #0", "VoucherCodes[0].IsActive", MISSING), // VoucherCodes[0]: missing field `IsActive`
];

/// The examples of [`SPEC_FAULTS`] that decode once `spec/mews/connector/fixes.overlay.yaml` is
/// applied (each fix there removes its examples from the failures expected of the flagship).
const FIXED: &[&str] = &[
    "bills_close request #0",
    "configuration_get response 200 #0",
    "enterprises_getAll response 200 #0",
    "loyaltyMemberships_getAll response 200 #0",
    "loyaltyMemberships_add response 200 #0",
    "loyaltyMemberships_update response 200 #0",
    "tasks_getAll response 200 #0",
    "payments_getAll response 200 #0",
];

/// The field at fault and the kind of fault in a decoder result (`path: serde error`).
fn fault(result: &str) -> (String, &'static str) {
    let (path, error) = result.split_once(": ").unwrap_or((result, ""));
    if let Some(rest) = error.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        let path = if path == "." { field.to_owned() } else { format!("{path}.{field}") };
        return (path, MISSING);
    }
    let kind = if error.starts_with("invalid type: null") { NULL } else { WRONG_TYPE };
    (path.to_owned(), kind)
}

/// The codegen config of the corpus API: what a team consuming Mews' published files would write.
const CONFIG: &str = "name: mews-connector
specs: [billing.yml, configuration.yml, customers.yml, operations.yml, payments.yml, pos.yml, reservations.yml, resources.yml, services.yml]
SETTINGS";

/// The same settings over the flagship document (read from `spec/mews/`) and its fixes.
const FLAGSHIP: &str = "name: mews-connector
specs: [connector/openapi.yaml]
overlays: [connector/fixes.overlay.yaml]
SETTINGS";

/// What both configs share.
const SETTINGS: &str = "null_means_absent: true
# Only the types crate is decoded against.
crates:
  client: {enabled: false}
  server: {enabled: false}
auth:
  body_fields: [ClientToken, AccessToken, Client]
overrides:
  RestrictionSetData.MinLength: {type: string, reason: 'an ISO 8601 duration such as P0M2DT0H0M0S, not a date-time'}
  RestrictionSetData.MaxLength: {type: string, reason: 'an ISO 8601 duration such as P0M7DT0H0M0S, not a date-time'}
  RestrictionSetData.MinAdvance: {type: string, reason: 'an ISO 8601 duration, not a date-time'}
  RestrictionSetData.MaxAdvance: {type: string, reason: 'an ISO 8601 duration, not a date-time'}
# A command's data is told apart by its device's type, not by its shape.
unions:
  DeviceCommand.Data:
    tag: Device.Type
    variants:
      Printer: PrinterCommandData
      PaymentTerminal: PaymentTerminalCommandData
      KeyCutter: KeyCutterCommandData
      FiscalMachine: FiscalMachineCommandData
      PassportScanner: PassportScannerCommandData
";

/// Which types the examples decode into.
#[derive(Clone, Copy)]
enum Source {
    /// The provider's files as published.
    Provider,
    /// The flagship document with its fixes.
    Flagship,
}

impl Source {
    fn config(self, extra: &str) -> String {
        let base = match self {
            Source::Provider => CONFIG,
            Source::Flagship => FLAGSHIP,
        };
        format!("{}{extra}", base.replace("SETTINGS", SETTINGS))
    }
}

fn corpus() -> Option<PathBuf> {
    let base = std::env::var_os("TRIAD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| triad_tests::root().join("../shared/corpus"));
    let dir = base.join("mews-connector");
    dir.is_dir().then_some(dir)
}

/// The values of the token properties (`auth.body_fields`) anywhere in an example.
fn tokens(json: &Json, out: &mut Vec<String>) {
    match json {
        Json::Object(map) => {
            for (key, value) in map {
                match value {
                    Json::String(s) if AUTH_FIELDS.contains(&key.as_str()) && !s.is_empty() => out.push(s.clone()),
                    _ => tokens(value, out),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|i| tokens(i, out)),
        _ => {}
    }
}

/// The token properties of the Mews request bodies (`auth.body_fields` in [`CONFIG`]).
const AUTH_FIELDS: &[&str] = &["ClientToken", "AccessToken", "Client"];

/// The Rust type expression of a body type, as the generated crate spells it.
fn rust_type(api: &Api, ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(id) => format!("{}::{}", CRATE.replace('-', "_"), api.ty(*id).name.rust),
        TypeRef::List(inner) => format!("Vec<{}>", rust_type(api, inner)),
        TypeRef::Map(inner) => format!("std::collections::BTreeMap<String, {}>", rust_type(api, inner)),
        TypeRef::Any => "serde_json::Value".into(),
        TypeRef::Primitive(p) => match p {
            Primitive::String => "String",
            Primitive::Bool => "bool",
            Primitive::I32 => "i32",
            Primitive::I64 => "i64",
            Primitive::F32 => "f32",
            Primitive::F64 => "f64",
            Primitive::Decimal => "rust_decimal::Decimal",
            Primitive::Uuid => "uuid::Uuid",
            Primitive::DateTime => "chrono::DateTime<chrono::Utc>",
            Primitive::Date => "chrono::NaiveDate",
        }
        .into(),
    }
}

/// One example: a label, the Rust type it must decode into, the JSON.
struct Example {
    label: String,
    ty: String,
    json: Json,
}

/// The examples of a media type object: `example`, or the values of `examples` (following
/// `#/components/examples/...` references in the same file).
fn media_examples(doc: &Node, media: &Node) -> Vec<Json> {
    let mut out = Vec::new();
    if let Some(example) = media.get("example") {
        out.push(example.to_json());
    }
    for (_, entry) in media.get("examples").and_then(Node::as_map).into_iter().flatten() {
        let entry = match entry.get("$ref").and_then(Node::as_str).and_then(|r| r.strip_prefix("#")) {
            Some(pointer) => node::split_pointer(pointer).and_then(|s| doc.pointer(&s)).unwrap_or(entry),
            None => entry,
        };
        if let Some(value) = entry.get("value") {
            out.push(value.to_json());
        }
    }
    out
}

fn examples(dir: &std::path::Path, api: &Api) -> Vec<Example> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let format = node::Format::of_path(&file.to_string_lossy());
        let doc = node::parse_with(&text, format, &node::ParseLimits::default()).unwrap();
        for (path, item) in doc.get("paths").and_then(Node::as_map).into_iter().flatten() {
            for (method, op) in item.as_map().into_iter().flatten() {
                let Some(ir_op) =
                    api.operations.iter().find(|o| o.path == *path && o.method.as_str().eq_ignore_ascii_case(method))
                else {
                    continue;
                };
                let id = &ir_op.name.wire;
                if let (Some(body), Some(content)) =
                    (&ir_op.request, op.get("requestBody").and_then(|b| b.get("content")).and_then(Node::as_map))
                {
                    for (i, json) in content.values().flat_map(|m| media_examples(&doc, m)).enumerate() {
                        let label = format!("{id} request #{i}");
                        out.push(Example { label, ty: rust_type(api, &body.ty), json });
                    }
                }
                for (status, response) in op.get("responses").and_then(Node::as_map).into_iter().flatten() {
                    let Some(body) =
                        ir_op.responses.iter().find(|r| r.status.to_string() == *status).and_then(|r| r.body.as_ref())
                    else {
                        continue;
                    };
                    let content = response.get("content").and_then(Node::as_map).into_iter().flatten();
                    for (i, json) in content.flat_map(|(_, m)| media_examples(&doc, m)).enumerate() {
                        let label = format!("{id} response {status} #{i}");
                        out.push(Example { label, ty: rust_type(api, &body.ty), json });
                    }
                }
            }
        }
    }
    out
}

/// The integration test run inside the generated crate: decodes every line of `examples.txt`
/// (`label TAB type TAB secrets TAB json`, the secrets separated by U+001F: the token values
/// the example holds, which `Debug` must not print) and writes `label TAB ok|error` lines to `results.txt`.
fn decoder(types: &[&String], examples: &std::path::Path, results: &std::path::Path) -> String {
    let mut arms = String::new();
    for ty in types {
        let _ = writeln!(arms, "        {ty:?} => check::<{ty}>(text, secrets),");
    }
    format!(
        r#"fn check<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str, secrets: &[&str]) -> Result<(), String> {{
    let de = &mut serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| format!("{{}}: {{}}", e.path(), e.inner()))?;
    let debug = format!("{{value:?}}");
    match secrets.iter().find(|s| debug.contains(*s)) {{
        Some(secret) => Err(format!("Debug prints the secret `{{secret}}`")),
        None => Ok(()),
    }}
}}

fn decode(ty: &str, text: &str, secrets: &[&str]) -> Result<(), String> {{
    match ty {{
{arms}        other => Err(format!("no decoder for {{other}}")),
    }}
}}

#[test]
fn examples() {{
    let examples = std::fs::read_to_string({examples:?}).unwrap();
    let mut out = String::new();
    for line in examples.lines() {{
        let mut parts = line.splitn(4, '\t');
        let (label, ty) = (parts.next().unwrap(), parts.next().unwrap());
        let secrets: Vec<&str> = parts.next().unwrap().split('\u{{1f}}').filter(|s| !s.is_empty()).collect();
        let text = parts.next().unwrap();
        let result = match decode(ty, text, &secrets) {{
            Ok(()) => "ok".to_owned(),
            Err(e) => e.replace(['\t', '\n'], " "),
        }};
        out.push_str(&format!("{{label}}\t{{result}}\n"));
    }}
    std::fs::write({results:?}, out).unwrap();
}}
"#
    )
}

/// Generates the corpus API with `config`, decodes every example in a scratch workspace named
/// `scratch`, and returns (label, result) pairs: `ok` or the path and error serde reports. With
/// `behaviour`, `tests/fixtures/behaviour/mews_connector.rs` runs against the crate too.
fn decode_examples(source: Source, extra: &str, scratch: &str, behaviour: bool) -> Option<Vec<(String, String)>> {
    let Some(dir) = corpus() else {
        println!("no corpus at ../shared/corpus/mews-connector; set TRIAD_CORPUS to run this test");
        return None;
    };
    let mut config = Config::parse("mews-connector.codegen.yaml", &source.config(extra)).unwrap();
    // The types crate is built in a scratch workspace: point it at this repository's runtime.
    config.client.runtime_path = Some(triad_tests::root().join("runtime").display().to_string());
    let reader = match source {
        Source::Provider => FsReader::new(&dir),
        Source::Flagship => FsReader::new(triad_tests::root().join("spec/mews")),
    };
    let provenance = triad::Provenance { source: "mews-connector".into(), command: "cargo test".into() };
    let api = triad::load(&config, "", &reader).unwrap_or_else(|d| panic!("{d}"));
    let mut files = triad::generate(&config, "", &reader, &provenance).unwrap_or_else(|d| panic!("{d}")).files;

    let examples = examples(&dir, &api);
    let requests = examples.iter().filter(|e| e.label.contains(" request ")).count();
    assert!(requests >= 197 && examples.len() >= 2 * 197, "{requests} requests of {} examples", examples.len());

    let scratch = triad_tests::root().join("target").join(scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let examples_file = scratch.join("examples.txt");
    let results_file = scratch.join("results.txt");
    let mut lines = String::new();
    for e in &examples {
        let mut secrets = Vec::new();
        tokens(&e.json, &mut secrets);
        let secrets = secrets.join("\u{1f}");
        let _ = writeln!(lines, "{}\t{}\t{secrets}\t{}", e.label, e.ty, serde_json::to_string(&e.json).unwrap());
    }
    std::fs::write(&examples_file, lines).unwrap();
    let _ = std::fs::remove_file(&results_file);
    let mut types: Vec<&String> = examples.iter().map(|e| &e.ty).collect();
    types.sort();
    types.dedup();
    files.insert(format!("{CRATE}/tests/examples.rs"), decoder(&types, &examples_file, &results_file));
    if behaviour {
        let path = triad_tests::root().join("tests/fixtures/behaviour/mews_connector.rs");
        files.insert(format!("{CRATE}/tests/behaviour.rs"), std::fs::read_to_string(path).unwrap());
    }
    let manifest = files.get_mut(&format!("{CRATE}/Cargo.toml")).unwrap();
    manifest.push_str("\n[dev-dependencies]\nserde_path_to_error = \"0.1\"\n");
    xtask::scratch::prepare(&scratch, &files).unwrap();
    if let Err(output) = xtask::scratch::test(&scratch, CRATE) {
        panic!("the generated crate or its example decoder fails:\n{output}");
    }
    let results = std::fs::read_to_string(&results_file).unwrap();
    let pairs = results.lines().map(|l| l.split_once('\t').unwrap()).map(|(a, b)| (a.to_owned(), b.to_owned()));
    Some(pairs.collect())
}

fn tally(results: &[(String, String)]) {
    for kind in [" request ", " response "] {
        let all = results.iter().filter(|(l, _)| l.contains(kind));
        let ok = all.clone().filter(|(_, r)| r == "ok").count();
        println!("{}s: {ok}/{} decode", kind.trim(), all.count());
    }
}

#[test]
fn every_example_of_the_mews_connector_api_decodes() {
    let Some(results) = decode_examples(Source::Flagship, "", "triad-mews-connector", true) else { return };
    tally(&results);
    let expected: BTreeMap<&str, (&str, &str)> =
        SPEC_FAULTS.iter().filter(|(l, _, _)| !FIXED.contains(l)).map(|(l, f, k)| (*l, (*f, *k))).collect();
    assert_eq!(expected.len() + FIXED.len(), SPEC_FAULTS.len(), "every fixed example is a listed spec fault");
    let mut unexpected = Vec::new();
    let mut seen = Vec::new();
    for (label, result) in &results {
        if result == "ok" {
            assert!(!expected.contains_key(label.as_str()), "{label} is listed as a spec fault but decodes");
            continue;
        }
        let (field, kind) = fault(result);
        match expected.get(label.as_str()) {
            Some(listed) if *listed == (field.as_str(), kind) => seen.push(label.clone()),
            _ => unexpected.push(format!("    ({label:?}, {field:?}, {}), // {result}", kind.to_uppercase())),
        }
    }
    assert!(unexpected.is_empty(), "{} examples fail to decode:\n{}", unexpected.len(), unexpected.join("\n"));
    assert_eq!(seen.len(), expected.len(), "every listed spec fault must still fail: {seen:?}");
}

/// `tolerate_null: true` recovers exactly the examples whose only fault is a `null` in a
/// required, non-nullable field.
#[test]
fn tolerate_null_recovers_the_examples_that_send_null_in_required_fields() {
    let Some(results) =
        decode_examples(Source::Provider, "tolerate_null: true\n", "triad-mews-connector-tolerant", false)
    else {
        return;
    };
    tally(&results);
    let still: Vec<&str> = results.iter().filter(|(_, r)| r != "ok").map(|(l, _)| l.as_str()).collect();
    let null_faults: Vec<&str> = SPEC_FAULTS.iter().filter(|(_, _, k)| *k != WRONG_TYPE).map(|(l, _, _)| *l).collect();
    let recovered: Vec<&str> = SPEC_FAULTS.iter().map(|(l, _, _)| *l).filter(|l| !still.contains(l)).collect();
    println!("tolerate_null recovers {} of {} failing examples", recovered.len(), SPEC_FAULTS.len());
    assert_eq!(recovered, null_faults);
}

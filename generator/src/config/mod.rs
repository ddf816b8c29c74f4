//! The codegen config: what a spec cannot say (crate names, naming overrides, auth placement,
//! pagination shape, union variant maps). One YAML file per API, usually `codegen.yaml` next to
//! the specs.
//!
//! `file` reads the file into structs that mirror its keys, `validate` checks the values.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::{Diagnostic, Location};
use crate::node::{self, de::Reader};

mod file;
mod package;
mod validate;

pub use package::{MAX_CATEGORIES, MAX_KEYWORDS, PackageSettings, RUST_VERSION, is_keyword};

/// Largest codegen config file read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Settings of one API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The config file, as named to [`Config::parse`] (empty for built-in defaults).
    pub file: String,
    /// Short name of the API, used to derive crate names (`mews` → `mews-types`).
    pub name: String,
    /// Spec files, relative to the config file.
    pub specs: Vec<String>,
    /// OpenAPI Overlay 1.0 documents, relative to the config file, applied in this order to the
    /// spec files they extend before anything reads those ([`crate::overlay`]).
    pub overlays: Vec<String>,
    /// The types crate.
    pub types_crate: CrateSettings,
    /// Package metadata of every generated crate's manifest.
    pub package: PackageSettings,
    /// The client crate.
    pub client: ClientSettings,
    /// The server-stub crate.
    pub server: ServerSettings,
    /// Auth placement, used by the client and server crates.
    pub auth: Auth,
    /// Cursor pagination shape, used by the client crate.
    pub pagination: Option<Pagination>,
    /// Rust names to use instead of the derived ones, keyed by wire (schema) name.
    pub type_names: BTreeMap<String, String>,
    /// Variant maps for unions the spec leaves without a mapping, keyed by schema name.
    pub unions: BTreeMap<String, UnionSettings>,
    /// Extra secret fields, as `Schema.Property` patterns in which `*` stands for any run of
    /// characters (`*.AccessToken`). The fields of `auth.body_fields` are secret everywhere.
    pub secrets: Vec<String>,
    /// Number fields that are exact decimals (`rust_decimal::Decimal`), as `Schema.Property`
    /// patterns like `secrets` (`*.Amount`); `format: decimal` needs no entry.
    pub decimals: Vec<String>,
    /// True when the API treats `null` and an absent property alike: optional nullable fields
    /// then become a plain `Option` instead of the absent/null/value `Option<Option<T>>`.
    pub null_means_absent: bool,
    /// True when received data may hold `null` where the spec requires a non-nullable value
    /// (real providers send it): every required, non-nullable field is then read and written as
    /// nullable (`Option<T>`, `null` is `None`) instead of failing the whole value.
    pub tolerate_null: bool,
    /// Field types set by hand where the spec's type is wrong, keyed by `Schema.Property`.
    pub overrides: BTreeMap<String, FieldOverride>,
    /// The folder every spec file, overlay and `$ref` target must lie under, relative to the config
    /// file's folder (`None`: the config file's folder itself).
    pub root: Option<String>,
    /// Bounds on what loading may read and build.
    pub limits: crate::load::Limits,
    /// Where each setting was written (JSON pointer → location), for diagnostics.
    pub origins: BTreeMap<String, Location>,
}

impl Config {
    /// The location of the setting at `pointer` (or of the file, for defaults).
    pub fn origin(&self, pointer: &str) -> Location {
        self.origins.get(pointer).cloned().unwrap_or_else(|| Location::file(&self.file))
    }

    /// The part of the config lowering reads: how the spec's schemas become types.
    pub fn shaping(&self) -> Shaping<'_> {
        Shaping {
            name: &self.name,
            type_names: &self.type_names,
            unions: &self.unions,
            overrides: &self.overrides,
            decimals: &self.decimals,
            secrets: &self.secrets,
            body_fields: &self.auth.body_fields,
            null_means_absent: self.null_means_absent,
            tolerate_null: self.tolerate_null,
            ref_chain: self.limits.ref_chain,
            config: self,
        }
    }

    /// The part of the config analysis reads: pagination, auth placement, operations safe to
    /// repeat.
    pub fn analysis(&self) -> Analysis<'_> {
        Analysis { pagination: self.pagination.as_ref(), auth: &self.auth, retry_safe: &self.client.retry_safe }
    }
}

/// What lowering reads of the config ([`Config::shaping`]).
#[derive(Clone, Copy, Debug)]
pub struct Shaping<'a> {
    /// The API's short name (the title when the spec has none).
    pub name: &'a str,
    /// Rust type names set by hand, by wire name.
    pub type_names: &'a BTreeMap<String, String>,
    /// Variant maps of unions.
    pub unions: &'a BTreeMap<String, UnionSettings>,
    /// Field types set by hand.
    pub overrides: &'a BTreeMap<String, FieldOverride>,
    /// Number fields that are decimals.
    pub decimals: &'a [String],
    /// Extra secret fields.
    pub secrets: &'a [String],
    /// Credential fields of request bodies (secret everywhere).
    pub body_fields: &'a [String],
    /// Whether `null` and an absent property mean the same.
    pub null_means_absent: bool,
    /// Whether received data may hold `null` where the spec requires a value.
    pub tolerate_null: bool,
    /// The longest `$ref` chain followed.
    pub ref_chain: usize,
    config: &'a Config,
}

impl Shaping<'_> {
    /// The location of the setting at `pointer`, for diagnostics ([`Config::origin`]).
    pub fn origin(&self, pointer: &str) -> Location {
        self.config.origin(pointer)
    }
}

/// What analysis reads of the config ([`Config::analysis`]).
#[derive(Clone, Copy, Debug)]
pub struct Analysis<'a> {
    /// The cursor pagination shape.
    pub pagination: Option<&'a Pagination>,
    /// Auth placement.
    pub auth: &'a Auth,
    /// Operation ids (patterns) safe to repeat besides the idempotent methods.
    pub retry_safe: &'a [String],
}

/// Name, version and description of a generated crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrateSettings {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// Package description; derived from the API title when absent.
    pub description: Option<String>,
    /// crates.io categories; empty: the defaults of the crate's kind.
    pub categories: Vec<String>,
}

/// Settings of the client crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientSettings {
    /// Name, version and description.
    pub krate: CrateSettings,
    /// Generated when the API has operations, unless this is false.
    pub enabled: bool,
    /// Where the client crate finds `triad-runtime`: a path relative to the client crate's
    /// folder (or absolute); `None` depends on the published version only.
    pub runtime_path: Option<String>,
    /// Operation ids (`*` matches any run of characters) that are safe to repeat after a
    /// timeout, a 408 or 5xx answer or a lost connection, besides GET, HEAD, OPTIONS, PUT and DELETE.
    pub retry_safe: Vec<String>,
    /// The provider's documented rate limit, applied by default by every client (which can turn
    /// it off).
    pub rate_limit: Option<RateLimit>,
    /// Runnable examples, rendered into the crate's `examples/`.
    pub examples: Vec<Example>,
}

/// A client-side rate limit: at most `requests` per `per_seconds`, counted per the credential
/// `per` names (its wire name, such as `AccessToken`) or per client when `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length in seconds.
    pub per_seconds: u64,
    /// The credential the limit is counted per.
    pub per: Option<String>,
}

/// Settings of the server-stub crate (webhook receiver and API server).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerSettings {
    /// Name, version and description.
    pub krate: CrateSettings,
    /// Generated when the API has operations or webhooks, unless this is false.
    pub enabled: bool,
    /// Where the server crate finds `triad-runtime` (as for the client crate).
    pub runtime_path: Option<String>,
    /// Runnable webhook receivers, rendered into the crate's `examples/`.
    pub examples: Vec<ReceiverExample>,
}

/// A runnable webhook receiver: serves the crate's receiver on `--addr`, verified with
/// `--token` (when the API has a webhook query token), journaled with `--journal DIR`, and
/// writes one JSON line per handled event (`kind`, `id`, `delivery`) to `--handled FILE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiverExample {
    /// File stem of the example (`cargo run --example NAME`).
    pub name: String,
    /// What the example does, for its help text.
    pub description: Option<String>,
    /// Dotted paths of wire property names in each event's payload; the first present is
    /// written as the event's `id`.
    pub id: Vec<String>,
    /// When set, the example is a WebSocket pusher instead: it serves this channel's endpoint
    /// on `--addr` and pushes each line of standard input to every connected client.
    pub channel: Option<String>,
    /// When true, the example is the operator's view of a receiver's journal instead:
    /// `--journal DIR list | requeue SEQ | purge SEQ` (`triad_runtime::server::journal_tool`).
    pub journal: bool,
}

/// A runnable example: a command-line program that calls one operation (streaming every item
/// when the operation is paginated) and prints one line per item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Example {
    /// File stem of the example (`cargo run --example NAME`).
    pub name: String,
    /// Operation id to call.
    pub operation: String,
    /// What the example does, for its help text.
    pub description: Option<String>,
    /// Command-line options mapped to request body fields.
    pub args: Vec<ExampleArg>,
    /// Property of each item (or of the response) to print, one line each.
    pub print: String,
    /// Values of credentials the example may be run without (wire name → value), such as a
    /// client application name.
    pub credential_defaults: BTreeMap<String, String>,
    /// When set, the example is a WebSocket listener instead: it connects to `--url` on this
    /// channel and prints one JSON line per item (`operation`, `args` and `print` unused).
    pub channel: Option<String>,
    /// For a listener: dotted paths of wire property names in each event; the first present is
    /// printed as the event's `id`.
    pub id: Vec<String>,
}

/// A `--flag VALUE` option of an [`Example`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExampleArg {
    /// Option name without the leading `--`.
    pub flag: String,
    /// Dotted path of wire property names in the request body, such as `Limitation.Count`.
    pub field: String,
    /// Value used when the option is not given.
    pub default: Option<String>,
}

/// Where credentials go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Auth {
    /// Properties injected into every JSON request body.
    pub body_fields: Vec<String>,
    /// Cookies sent on the WebSocket upgrade.
    pub websocket_cookies: Vec<String>,
    /// Query parameter carrying a webhook shared secret.
    pub webhook_query_token: Option<String>,
    /// A signature over the raw body that webhook deliveries carry instead.
    pub webhook_signature: Option<WebhookSignature>,
}

/// How webhook deliveries are signed (`auth.webhook_signature`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookSignature {
    /// `{scheme: hmac-sha256, header: X-Signature, encoding: base64|hex}`: the header holds
    /// HMAC-SHA256(secret, raw body).
    HmacSha256 {
        /// The header's name.
        header: String,
        /// True for hexadecimal, false for standard Base64 (the default).
        hex: bool,
    },
    /// `{scheme: standard-webhooks, tolerance_seconds: 300}`: Standard Webhooks headers, the
    /// timestamp within the tolerance.
    StandardWebhooks {
        /// Largest distance of `webhook-timestamp` from now, in seconds (default 300).
        tolerance_seconds: u64,
    },
}

/// Cursor pagination: `request_cursor` and `request_count` are dotted paths in request bodies,
/// `response_cursor` a property of responses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pagination {
    /// Path of the cursor in requests, e.g. `Limitation.Cursor`.
    pub request_cursor: String,
    /// Path of the page size in requests, e.g. `Limitation.Count`.
    pub request_count: String,
    /// Property of the cursor in responses, e.g. `Cursor`.
    pub response_cursor: String,
    /// Item array property of responses, by operation id, where it cannot be inferred (the
    /// response's only array property).
    pub items: BTreeMap<String, String>,
}

/// The type a field gets instead of the one its spec declares, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldOverride {
    /// One of [`OVERRIDE_TYPES`].
    pub ty: String,
    /// Why the spec's type is wrong, kept in the config and in the field's docs.
    pub reason: String,
}

/// The types a field override may name.
pub const OVERRIDE_TYPES: &[&str] = &["string", "integer", "number", "boolean", "uuid", "date", "date-time", "any"];

/// How to read a union the spec gives no mapping for. Keyed by a schema name, with `content`:
/// a `{tag, content}` object. Keyed by `Schema.Property`, without `content`: the property's
/// value is chosen by `tag`, a dotted path of wire names from the object holding the property
/// (`Device.Type`: the `Type` of its sibling `Device`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnionSettings {
    /// Tag property, or for a property's union the dotted path to the tag.
    pub tag: String,
    /// Content property; empty for a property's union chosen by a sibling path.
    pub content: String,
    /// Tag value → schema name of the content.
    pub variants: BTreeMap<String, String>,
}

impl UnionSettings {
    /// True for a union held by a property (`Schema.Property` key) and chosen by a path from
    /// the object holding it, rather than a `{tag, content}` object.
    pub fn by_path(&self) -> bool {
        self.content.is_empty()
    }
}

impl Config {
    /// Defaults for an API that has no config file: crate names from `name`.
    pub fn for_name(name: &str, specs: Vec<String>) -> Self {
        Config {
            name: name.to_owned(),
            specs,
            types_crate: CrateSettings {
                name: format!("{name}-types"),
                version: "0.1.0".into(),
                ..CrateSettings::default()
            },
            client: ClientSettings {
                krate: CrateSettings {
                    name: format!("{name}-client"),
                    version: "0.1.0".into(),
                    ..CrateSettings::default()
                },
                enabled: true,
                ..ClientSettings::default()
            },
            server: ServerSettings {
                krate: CrateSettings {
                    name: format!("{name}-server"),
                    version: "0.1.0".into(),
                    ..CrateSettings::default()
                },
                enabled: true,
                ..ServerSettings::default()
            },
            ..Config::default()
        }
    }

    /// Reads and parses the config file at `path` (shown as `shown` in diagnostics). Only a
    /// regular file of at most [`MAX_CONFIG_BYTES`] is read.
    pub fn from_file(path: &std::path::Path, shown: &str) -> Result<Config, Vec<Diagnostic>> {
        let fail =
            |message: String, expected: &str| vec![Diagnostic::new(Location::file(shown), message).expected(expected)];
        let bytes = crate::load::read_regular_file(path, MAX_CONFIG_BYTES).map_err(|e| match e {
            crate::load::ReadError::TooLarge(_) => fail(
                format!("cannot read the codegen config: it is larger than {MAX_CONFIG_BYTES} bytes"),
                "a small YAML file",
            ),
            e => fail(format!("cannot read the codegen config: {e}"), "a regular YAML file"),
        })?;
        let text = node::decode_utf8(&bytes).map_err(|e| {
            vec![
                Diagnostic::new(
                    Location { file: shown.into(), line: e.line, column: e.column, pointer: String::new() },
                    e.message,
                )
                .expected("a file encoded as UTF-8"),
            ]
        })?;
        Config::parse(shown, text)
    }

    /// Parses a config file. `file` is used in diagnostics. Every problem is reported: those
    /// found while reading (unknown settings, values of the wrong kind), then those the rules of
    /// `validate` find.
    pub fn parse(file: &str, text: &str) -> Result<Config, Vec<Diagnostic>> {
        let root = node::parse(text).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    Diagnostic::new(
                        Location { file: file.into(), line: e.line, column: e.column, pointer: String::new() },
                        e.message,
                    )
                })
                .collect::<Vec<_>>()
        })?;
        let reader = Reader::recovering();
        let shape = file::ConfigFile::read(&root, &reader);
        let mut config = shape.to_config();
        let diags = validate::check(file, &root, &reader, &shape, &config);
        if !diags.is_empty() {
            return Err(diags);
        }
        let shown: Arc<str> = file.into();
        config.origins = reader
            .positions()
            .into_iter()
            .map(|(pointer, (line, column))| {
                let location = Location { file: shown.clone(), line, column, pointer: pointer.clone() };
                (pointer, location)
            })
            .collect();
        config.file = file.to_owned();
        Ok(config)
    }
}

/// What a crate name must look like, for diagnostics.
const CRATE_NAME: &str =
    "a Cargo package name: ASCII letters, digits, `-` and `_`, starting with a letter, at most 64 characters";

/// Names Cargo or the Rust toolchain reserve, and file names Windows reserves (crate names are
/// also directory names); Rust's keywords are reserved too ([`crate::naming::is_keyword`]).
const RESERVED: &[&str] = &[
    // The standard library's crates and Cargo's build directories.
    "alloc",
    "core",
    "proc-macro",
    "proc_macro",
    "std",
    "test",
    "build",
    "deps",
    "examples",
    "incremental",
    // Windows device names.
    "con",
    "prn",
    "aux",
    "nul",
    "com1",
    "com2",
    "com3",
    "com4",
    "com5",
    "com6",
    "com7",
    "com8",
    "com9",
    "lpt1",
    "lpt2",
    "lpt3",
    "lpt4",
    "lpt5",
    "lpt6",
    "lpt7",
    "lpt8",
    "lpt9",
];

/// Whether `text` matches a config pattern, where `*` stands for any run of characters
/// (`secrets: ['*.AccessToken']`, `decimals`, `retry_safe: ['*_getAll']`). Greedy matching with one backtrack point: linear in practice.
pub fn glob(pattern: &str, text: &str) -> bool {
    // Byte-wise: `*` is ASCII, and a literal run of UTF-8 matches only at a character boundary,
    // so this agrees with matching characters, without allocating (it runs per property).
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some(b'*'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(a), Some(b)) if a == b => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// Checks that `name` is a valid Cargo package name that is safe as a directory name: ASCII
/// alphanumerics, `-` and `_`, starting with a letter, at most 64 characters, not reserved.
/// The error completes the sentence "crate name `...` ...".
pub fn check_crate_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("is empty".into());
    };
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(format!("contains `{}`, which a package name cannot hold", bad.escape_default()));
    }
    if !first.is_ascii_alphabetic() {
        return Err("does not start with a letter".into());
    }
    if name.len() > 64 {
        return Err(format!("is {} characters long, more than 64", name.len()));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED.contains(&lower.as_str()) || crate::naming::is_keyword(&lower) {
        return Err("is reserved by Rust, Cargo or Windows (a built-in crate, a build folder or a device name)".into());
    }
    Ok(())
}
/// What a whole-number setting must be, for diagnostics.
const POSITIVE: &str = "a positive whole number";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns() {
        assert!(glob("*.AccessToken", "Anything.AccessToken"));
        assert!(glob("Note.Token", "Note.Token"));
        assert!(glob("Integration*.To*", "IntegrationCreatedData.Token"));
        assert!(glob("*", "A.B"));
        assert!(glob("*_getAll", "reservations_getAll"));
        assert!(!glob("*_getAll", "reservations_getAll_2023"));
        assert!(!glob("*.AccessToken", "Anything.AccessTokens"));
        assert!(!glob("Note.Token", "Notes.Token"));
        assert!(!glob("*.Token", "Token"));
        assert!(glob("*é.Montant", "Prixé.Montant"));
        assert!(!glob("*é.Montant", "Prixe\u{301}.Montant"));
        assert!(glob("Ä*", "Äpfel"));
        assert!(!glob("Ä*", "Apfel"));
        // Linear, whatever a hostile config writes.
        let stars = "*a".repeat(200);
        assert!(!glob(&stars, &"a".repeat(150)));
    }

    #[test]
    fn parses_a_full_config() {
        let text = "name: mews\nspecs: [a.yaml, b.yaml]\ncrates:\n  types: {name: mews-types, version: 1.2.3}\n\
                    auth:\n  body_fields: [ClientToken]\npagination:\n  request_cursor: Limitation.Cursor\n  \
                    request_count: Limitation.Count\n  response_cursor: Cursor\nnaming:\n  types: {Foo: Bar}\n";
        let config = Config::parse("codegen.yaml", text).unwrap();
        assert_eq!(config.types_crate.name, "mews-types");
        assert_eq!(config.types_crate.version, "1.2.3");
        assert_eq!(config.specs, ["a.yaml", "b.yaml"]);
        assert_eq!(config.auth.body_fields, ["ClientToken"]);
        assert_eq!(config.pagination.unwrap().response_cursor, "Cursor");
        assert_eq!(config.type_names["Foo"], "Bar");
    }

    #[test]
    fn parses_client_settings_and_examples() {
        let text = "name: pets\nspecs: [a.yaml]\ncrates:\n  client:\n    name: pets-sdk\n    runtime_path: ../rt\n    \
                    retry_safe: [\"*_list\"]\n    examples:\n      list:\n        operation: pets_list\n        \
                    args: {limit: {field: Page.Size, default: \"10\"}, owner: Owner}\n        print: Id\n\
                    pagination: {request_cursor: C, request_count: N, response_cursor: C, items: {pets_list: Pets}}\n";
        let config = Config::parse("c.yaml", text).unwrap();
        assert_eq!(config.client.krate.name, "pets-sdk");
        assert!(config.client.enabled);
        assert_eq!(config.client.runtime_path.as_deref(), Some("../rt"));
        assert_eq!(config.client.retry_safe, ["*_list"]);
        let example = &config.client.examples[0];
        assert_eq!(
            (example.name.as_str(), example.operation.as_str(), example.print.as_str()),
            ("list", "pets_list", "Id")
        );
        assert_eq!(
            example.args[0],
            ExampleArg { flag: "limit".into(), field: "Page.Size".into(), default: Some("10".into()) }
        );
        assert_eq!(example.args[1], ExampleArg { flag: "owner".into(), field: "Owner".into(), default: None });
        assert_eq!(config.pagination.unwrap().items["pets_list"], "Pets");
        // Defaults: a client crate named after the API, enabled.
        let config = Config::parse("c.yaml", "name: pets\nspecs: [a.yaml]\n").unwrap();
        assert_eq!((config.client.krate.name.as_str(), config.client.enabled), ("pets-client", true));
        let config = Config::parse("c.yaml", "name: pets\nspecs: [a.yaml]\ncrates: {client: {enabled: false}}\n");
        assert!(!config.unwrap().client.enabled);
    }

    #[test]
    fn parses_server_settings_and_receiver_examples() {
        let text = "name: pets\nspecs: [a.yaml]\ncrates:\n  server:\n    name: pets-hooks\n    runtime_path: ../rt\n    \
                    examples:\n      receiver: {description: Serves, id: [Id, Owner.Id]}\n      ops: {journal: true}\n";
        let config = Config::parse("c.yaml", text).unwrap();
        assert_eq!(config.server.krate.name, "pets-hooks");
        assert!(config.server.enabled);
        assert_eq!(config.server.runtime_path.as_deref(), Some("../rt"));
        assert_eq!(
            config.server.examples,
            [
                ReceiverExample {
                    name: "receiver".into(),
                    description: Some("Serves".into()),
                    id: vec!["Id".into(), "Owner.Id".into()],
                    channel: None,
                    journal: false,
                },
                ReceiverExample { name: "ops".into(), journal: true, ..ReceiverExample::default() }
            ]
        );
        let config = Config::parse("c.yaml", "name: pets\nspecs: [a.yaml]\n").unwrap();
        assert_eq!((config.server.krate.name.as_str(), config.server.enabled), ("pets-server", true));
        let config = Config::parse("c.yaml", "name: pets\nspecs: [a.yaml]\ncrates: {server: {enabled: false}}\n");
        let config = config.unwrap();
        assert!(!config.server.enabled);
        assert!(config.client.enabled, "the client setting is its own");
        let diags =
            Config::parse("c.yaml", "name: pets\nspecs: [a.yaml]\ncrates: {server: {examples: {r: {port: 1}}}}\n")
                .unwrap_err();
        assert_eq!(diags[0].location.pointer, "/crates/server/examples/r/port");
    }

    #[test]
    fn bad_client_settings_are_located() {
        let text = "name: pets\nspecs: [a.yaml]\ncrates:\n  client:\n    enabled: sometimes\n    examples:\n      list: {print: Id}\n";
        let diags = Config::parse("c.yaml", text).unwrap_err();
        let enabled = diags.iter().find(|d| d.location.pointer == "/crates/client/enabled").expect("enabled");
        assert_eq!((enabled.location.line, enabled.location.column), (5, 14));
        let example = diags.iter().find(|d| d.message.contains("has no `operation`")).expect("operation");
        assert_eq!(example.location.pointer, "/crates/client/examples/list");
        assert_eq!(diags.len(), 2, "{diags:?}");
    }

    #[test]
    fn reports_unknown_settings_with_position() {
        let diags = Config::parse("c.yaml", "name: x\nspecs: [a.yaml]\ncrate:\n  types: {}\n").unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location.line, 4);
        assert_eq!(diags[0].location.pointer, "/crate");
        assert!(diags[0].message.contains("unknown setting `crate`"));
    }

    #[test]
    fn crate_names_must_be_package_names_and_are_located() {
        let text = "name: pets\nspecs: [a.yaml]\ncrates:\n  types: {name: ../escape, version: v1.2.3}\n";
        let diags = Config::parse("c.yaml", text).unwrap_err();
        let at =
            |pointer: &str| diags.iter().find(|d| d.location.pointer == pointer).unwrap_or_else(|| panic!("{diags:?}"));
        let name = at("/crates/types/name");
        assert_eq!((name.location.line, name.location.column), (4, 17));
        assert!(name.message.contains("crate name `../escape` contains `.`"), "{}", name.message);
        assert!(name.expected.as_deref().unwrap_or_default().contains("Cargo package name"));
        let version = at("/crates/types/version");
        assert_eq!((version.location.line, version.location.column), (4, 37));
        assert!(version.message.contains("version `v1.2.3` is not a semantic version"), "{}", version.message);
        assert_eq!(diags.len(), 2);

        for bad in ["", "a/b", "/abs", "a\\b", "1pets", "-pets", "test", "core", "std", "Con", "x".repeat(65).as_str()]
        {
            assert!(check_crate_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["mews-types", "a", "Pets_2", "x".repeat(64).as_str()] {
            assert_eq!(check_crate_name(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn a_bad_name_is_reported_where_the_crate_name_derives_from_it() {
        let diags = Config::parse("c.yaml", "specs: [a.yaml]\nname: ../up\n").unwrap_err();
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!((diags[0].location.line, diags[0].location.column), (2, 7));
        assert_eq!(diags[0].location.pointer, "/name");
        assert!(
            diags[0].message.contains("crate name `../up-types`, derived from `name: ../up`"),
            "{}",
            diags[0].message
        );
        // An explicit crate name makes the API name free-form.
        let config = Config::parse("c.yaml", "name: My API\nspecs: [a.yaml]\ncrates: {types: {name: my-api-types}}\n");
        let config = config.unwrap();
        assert_eq!(config.types_crate.name, "my-api-types");
        assert_eq!(config.client.krate.name, "my-api-client", "named after the types crate");
        // With `crates.types` present but unnamed, the derived name is still checked.
        let diags =
            Config::parse("c.yaml", "name: 9lives\nspecs: [a.yaml]\ncrates: {types: {version: 0.2.0}}\n").unwrap_err();
        assert_eq!(diags[0].location.pointer, "/name");
        assert!(diags[0].message.contains("does not start with a letter"), "{}", diags[0].message);
    }

    #[test]
    fn an_unknown_key_deep_in_an_example_is_located_with_the_known_keys() {
        let text = "name: pets\nspecs: [a.yaml]\ncrates:\n  client:\n    examples:\n      list:\n        \
                    operation: pets_list\n        print: Id\n        colour: red\n";
        let diags = Config::parse("c.yaml", text).unwrap_err();
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!((d.location.line, d.location.column), (9, 17));
        assert_eq!(d.location.pointer, "/crates/client/examples/list/colour");
        assert_eq!(d.message, "unknown setting `colour`");
        assert_eq!(
            d.expected.as_deref(),
            Some("one of: operation, description, args, print, credential_defaults, channel, id")
        );
        // An option written as a mapping is checked the same way.
        let text = "name: pets\nspecs: [a.yaml]\ncrates: {client: {examples: {list: {operation: o, print: p, \
                    args: {size: {field: Page.Size, dflt: '1'}}}}}}\n";
        let diags = Config::parse("c.yaml", text).unwrap_err();
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].location.pointer, "/crates/client/examples/list/args/size/dflt");
        assert_eq!(diags[0].expected.as_deref(), Some("one of: field, default"));
    }

    #[test]
    fn every_problem_of_a_section_is_reported_in_one_run() {
        let text = "name: pets\nspecs: [a.yaml]\ncrates:\n  client:\n    enabled: sometimes\n    colour: red\n    \
                    version: [1]\n    retry_safe: x\n    examples:\n      list: {operation: [o], print: Id}\n\
                    limits: {depth: 0, file_bytes: 1.5, ref_chain: 3}\n";
        let diags = Config::parse("c.yaml", text).unwrap_err();
        let mut found: Vec<(&str, &str)> =
            diags.iter().map(|d| (d.location.pointer.as_str(), d.message.as_str())).collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("/crates/client/colour", "unknown setting `colour`"),
                ("/crates/client/enabled", "found a string"),
                ("/crates/client/examples/list", "example `list` has no `operation`"),
                ("/crates/client/examples/list/operation", "found a sequence"),
                ("/crates/client/retry_safe", "found a string"),
                ("/crates/client/version", "found a sequence"),
                (
                    "/crates/client/version",
                    "version `` is not a semantic version: empty string, expected a semver version"
                ),
                ("/limits/depth", "found a number"),
                ("/limits/file_bytes", "found a number"),
            ],
            "{diags:#?}"
        );
        let expected = |pointer: &str| diags.iter().find(|d| d.location.pointer == pointer).unwrap().expected.clone();
        assert_eq!(expected("/crates/client/enabled").as_deref(), Some("true or false"));
        assert_eq!(expected("/crates/client/retry_safe").as_deref(), Some("a list of strings"));
        assert_eq!(expected("/limits/depth").as_deref(), Some("a positive whole number"));
    }
}

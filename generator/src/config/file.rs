//! The codegen config file's shape: structs mirroring its keys, read from the located node tree
//! with a recovering [`Reader`] (every value of the wrong kind and every unknown key is
//! recorded, and reading goes on), then turned into a [`Config`].
//!
//! Two settings are read in a second pass, from their nodes, because what they may hold depends
//! on what is there: an example's option (`flag: Field.Path` or `flag: {field, default}`) and
//! the keys of `auth.webhook_signature` that its `scheme` takes.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{
    Auth, ClientSettings, Config, CrateSettings, Example, ExampleArg, FieldOverride, PackageSettings, Pagination,
    ReceiverExample, ServerSettings, UnionSettings, WebhookSignature, check_crate_name,
};
use crate::node::de::Reader;
use crate::node::{Node, escape_pointer_segment};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct ConfigFile {
    #[serde(deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub specs: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub overlays: Vec<String>,
    #[serde(deserialize_with = "present")]
    pub root: Option<String>,
    pub limits: LimitsFile,
    pub package: PackageFile,
    pub crates: CratesFile,
    pub auth: AuthFile,
    #[serde(deserialize_with = "present")]
    pub pagination: Option<PaginationFile>,
    pub naming: NamingFile,
    pub unions: Entries<UnionFile>,
    #[serde(deserialize_with = "strings")]
    pub secrets: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub decimals: Vec<String>,
    #[serde(deserialize_with = "flag")]
    pub null_means_absent: bool,
    #[serde(deserialize_with = "flag")]
    pub tolerate_null: bool,
    pub overrides: Entries<OverrideFile>,
}

/// `limits`: each a positive whole number.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct LimitsFile {
    #[serde(deserialize_with = "some_whole")]
    pub file_bytes: Option<i64>,
    #[serde(deserialize_with = "some_whole")]
    pub total_bytes: Option<i64>,
    #[serde(deserialize_with = "some_whole")]
    pub alias_nodes: Option<i64>,
    #[serde(deserialize_with = "some_whole")]
    pub depth: Option<i64>,
    #[serde(deserialize_with = "some_whole")]
    pub ref_chain: Option<i64>,
}

impl LimitsFile {
    /// The settings by name, in the order they are declared.
    pub fn settings(&self) -> [(&'static str, Option<i64>); 5] {
        [
            ("file_bytes", self.file_bytes),
            ("total_bytes", self.total_bytes),
            ("alias_nodes", self.alias_nodes),
            ("depth", self.depth),
            ("ref_chain", self.ref_chain),
        ]
    }
}

/// `package`: manifest metadata shared by the generated crates.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct PackageFile {
    #[serde(deserialize_with = "present")]
    pub license: Option<String>,
    #[serde(deserialize_with = "present")]
    pub repository: Option<String>,
    #[serde(deserialize_with = "present")]
    pub rust_version: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub keywords: Vec<String>,
    #[serde(deserialize_with = "some_flag")]
    pub publish: Option<bool>,
}

/// `crates`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct CratesFile {
    pub types: TypesCrateFile,
    pub client: ClientCrateFile,
    pub server: ServerCrateFile,
}

/// `crates.types`. The three crate sections repeat `name`, `version`, `description` and `categories`
/// instead of sharing one flattened struct: serde's `flatten` cannot be combined with
/// `deny_unknown_fields`, which the located unknown-key errors rest on.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct TypesCrateFile {
    #[serde(deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(deserialize_with = "present")]
    pub version: Option<String>,
    #[serde(deserialize_with = "present")]
    pub description: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub categories: Vec<String>,
}

/// `crates.client`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct ClientCrateFile {
    #[serde(deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(deserialize_with = "present")]
    pub version: Option<String>,
    #[serde(deserialize_with = "present")]
    pub description: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub categories: Vec<String>,
    #[serde(deserialize_with = "some_flag")]
    pub enabled: Option<bool>,
    #[serde(deserialize_with = "present")]
    pub runtime_path: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub retry_safe: Vec<String>,
    #[serde(deserialize_with = "present")]
    pub rate_limit: Option<RateLimitFile>,
    pub examples: Entries<ExampleFile>,
}

/// `crates.client.rate_limit`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct RateLimitFile {
    #[serde(deserialize_with = "some_whole")]
    pub requests: Option<i64>,
    #[serde(deserialize_with = "some_whole")]
    pub per_seconds: Option<i64>,
    #[serde(deserialize_with = "present")]
    pub per: Option<String>,
}

/// `crates.server`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct ServerCrateFile {
    #[serde(deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(deserialize_with = "present")]
    pub version: Option<String>,
    #[serde(deserialize_with = "present")]
    pub description: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub categories: Vec<String>,
    #[serde(deserialize_with = "some_flag")]
    pub enabled: Option<bool>,
    #[serde(deserialize_with = "present")]
    pub runtime_path: Option<String>,
    pub examples: Entries<ReceiverFile>,
}

/// An entry of `crates.client.examples`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct ExampleFile {
    pub operation: String,
    #[serde(deserialize_with = "present")]
    pub description: Option<String>,
    /// Only the flags: each option is read in the second pass ([`read_args`]).
    pub args: Entries<IgnoredAny>,
    pub print: String,
    pub credential_defaults: Entries<String>,
    #[serde(deserialize_with = "present")]
    pub channel: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub id: Vec<String>,
    /// The options, read in the second pass.
    #[serde(skip)]
    pub options: Vec<ExampleArg>,
}

/// An option of an example written as a mapping (`{field, default}`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
struct ArgFile {
    field: String,
    #[serde(deserialize_with = "present")]
    default: Option<String>,
}

/// An entry of `crates.server.examples`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct ReceiverFile {
    #[serde(deserialize_with = "present")]
    pub description: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub id: Vec<String>,
    #[serde(deserialize_with = "present")]
    pub channel: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub journal: bool,
}

/// `auth`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct AuthFile {
    #[serde(deserialize_with = "strings")]
    pub body_fields: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub websocket_cookies: Vec<String>,
    #[serde(deserialize_with = "present")]
    pub webhook_query_token: Option<String>,
    #[serde(deserialize_with = "present")]
    pub webhook_signature: Option<SignatureFile>,
}

/// `auth.webhook_signature`: the scheme, and which other keys are written; their values are
/// read in the second pass, those the scheme takes only ([`SignatureFile::read_values`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct SignatureFile {
    #[serde(deserialize_with = "present")]
    pub scheme: Option<String>,
    #[serde(deserialize_with = "present")]
    pub header: Option<IgnoredAny>,
    #[serde(deserialize_with = "present")]
    pub encoding: Option<IgnoredAny>,
    #[serde(deserialize_with = "present")]
    pub tolerance_seconds: Option<IgnoredAny>,
    /// `header` and `encoding` of `hmac-sha256`, read in the second pass.
    #[serde(skip)]
    pub hmac: (Option<String>, Option<String>),
    /// `tolerance_seconds` of `standard-webhooks`, read in the second pass.
    #[serde(skip)]
    pub tolerance: Option<i64>,
}

/// `pagination`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct PaginationFile {
    #[serde(deserialize_with = "present")]
    pub request_cursor: Option<String>,
    #[serde(deserialize_with = "present")]
    pub request_count: Option<String>,
    #[serde(deserialize_with = "present")]
    pub response_cursor: Option<String>,
    pub items: Entries<String>,
}

/// `naming`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct NamingFile {
    pub types: Entries<String>,
}

/// An entry of `unions`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct UnionFile {
    pub tag: String,
    pub content: String,
    pub variants: Entries<String>,
}

/// An entry of `overrides`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a mapping")]
pub(super) struct OverrideFile {
    #[serde(rename = "type", deserialize_with = "present")]
    pub ty: Option<String>,
    pub reason: String,
}

/// A mapping whose keys the file's author chooses, in the order written.
#[derive(Debug)]
pub(super) struct Entries<T>(pub Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<T: Clone> Entries<T> {
    fn to_map(&self) -> BTreeMap<String, T> {
        self.0.iter().cloned().collect()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// A setting that is read when written: `None` only when it is left out (a `null` written is
/// a value of the wrong kind, as for any other setting).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A list of strings.
fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct StringsVisitor;
    impl<'de> Visitor<'de> for StringsVisitor {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of strings")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_seq(StringsVisitor)
}

/// `true` or `false`.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct FlagVisitor;
    impl Visitor<'_> for FlagVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E>(self, value: bool) -> Result<bool, E> {
            Ok(value)
        }
    }
    deserializer.deserialize_bool(FlagVisitor)
}

fn some_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    flag(deserializer).map(Some)
}

/// A whole number, which must be positive (checked with the other rules, so that a zero is
/// reported and the rest still read).
#[derive(Debug, Default)]
struct Whole(i64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WholeVisitor;
        impl Visitor<'_> for WholeVisitor {
            type Value = Whole;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(super::POSITIVE)
            }
            fn visit_i64<E>(self, value: i64) -> Result<Whole, E> {
                Ok(Whole(value))
            }
        }
        deserializer.deserialize_i64(WholeVisitor)
    }
}

fn some_whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Whole::deserialize(deserializer).map(|whole| Some(whole.0))
}

/// The node at `path` (keys) under `node`.
fn node_at<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    path.iter().try_fold(node, |node, key| node.get(key))
}

impl ConfigFile {
    /// Reads the file's tree; problems are recorded by `reader`.
    pub fn read(root: &Node, reader: &Reader) -> ConfigFile {
        let mut file: ConfigFile = reader.read_or_default(root, "");
        if let Some(examples) = node_at(root, &["crates", "client", "examples"]) {
            for (name, example) in &mut file.crates.client.examples.0 {
                let pointer = format!("/crates/client/examples/{}", escape_pointer_segment(name));
                if let Some(args) = node_at(examples, &[name.as_str(), "args"]) {
                    example.options = read_args(reader, args, &format!("{pointer}/args"));
                }
            }
        }
        if let (Some(signature), Some(node)) =
            (&mut file.auth.webhook_signature, node_at(root, &["auth", "webhook_signature"]))
        {
            signature.read_values(reader, node, "/auth/webhook_signature");
        }
        file
    }
}

/// An example's options: `flag: Field.Path` (any scalar), or `flag: {field, default}`.
fn read_args(reader: &Reader, args: &Node, pointer: &str) -> Vec<ExampleArg> {
    let Some(map) = args.as_map() else { return Vec::new() };
    let mut out = Vec::new();
    for (flag, node) in map {
        // The flag is not escaped: `check` looks an option's place up by its flag as written.
        let pointer = format!("{pointer}/{flag}");
        let arg = if node.scalar_text().is_some() {
            ExampleArg { flag: flag.clone(), field: reader.read_or_default(node, &pointer), default: None }
        } else {
            let file: ArgFile = reader.read_or_default(node, &pointer);
            ExampleArg { flag: flag.clone(), field: file.field, default: file.default }
        };
        out.push(arg);
    }
    out
}

impl SignatureFile {
    /// Reads the keys the scheme takes; the others are only reported as not applying.
    fn read_values(&mut self, reader: &Reader, node: &Node, pointer: &str) {
        let read = |key: &str| -> Option<String> {
            node.get(key).map(|value| reader.read_or_default(value, &format!("{pointer}/{key}")))
        };
        match self.scheme.as_deref() {
            Some("hmac-sha256") => self.hmac = (read("header"), read("encoding")),
            Some("standard-webhooks") => {
                let pointer = format!("{pointer}/tolerance_seconds");
                let whole = node.get("tolerance_seconds").map(|value| reader.read_or_default::<Whole>(value, &pointer));
                self.tolerance = whole.map(|whole| whole.0);
            }
            _ => {}
        }
    }

    /// The signature the settings describe, if they are valid.
    fn signature(&self) -> Option<WebhookSignature> {
        match self.scheme.as_deref()? {
            "hmac-sha256" => {
                let (header, encoding) = &self.hmac;
                let header = header.clone().unwrap_or_else(|| "X-Signature".to_owned());
                Some(WebhookSignature::HmacSha256 { header, hex: encoding.as_deref() == Some("hex") })
            }
            "standard-webhooks" => {
                let tolerance_seconds = match self.tolerance {
                    None => 300,
                    Some(n) => u64::try_from(n).ok().filter(|n| *n > 0)?,
                };
                Some(WebhookSignature::StandardWebhooks { tolerance_seconds })
            }
            _ => None,
        }
    }
}

/// A crate's settings: those given, or the defaults.
fn crate_settings(
    name: Option<&str>,
    version: Option<&str>,
    description: Option<&str>,
    categories: &[String],
    default: String,
) -> CrateSettings {
    CrateSettings {
        name: name.map_or(default, str::to_owned),
        version: version.unwrap_or("0.1.0").to_owned(),
        description: description.map(str::to_owned),
        categories: categories.to_vec(),
    }
}

impl ConfigFile {
    /// The settings as the generator takes them. Meaningful when [`super::validate`] finds no
    /// problem; otherwise a best effort that the checks read values from.
    pub fn to_config(&self) -> Config {
        let name = self.name.clone().unwrap_or_default();
        let crates = &self.crates;
        let types = &crates.types;
        let mut config = Config {
            types_crate: crate_settings(
                types.name.as_deref(),
                types.version.as_deref(),
                types.description.as_deref(),
                &types.categories,
                format!("{name}-types"),
            ),
            package: PackageSettings {
                license: self.package.license.clone(),
                repository: self.package.repository.clone(),
                rust_version: self.package.rust_version.clone(),
                keywords: self.package.keywords.clone(),
                publish: self.package.publish,
            },
            client: self.client(&name),
            server: self.server(&name),
            specs: self.specs.clone(),
            overlays: self.overlays.clone(),
            root: self.root.clone(),
            auth: Auth {
                body_fields: self.auth.body_fields.clone(),
                websocket_cookies: self.auth.websocket_cookies.clone(),
                webhook_query_token: self.auth.webhook_query_token.clone(),
                webhook_signature: self.auth.webhook_signature.as_ref().and_then(SignatureFile::signature),
            },
            pagination: self.pagination.as_ref().map(|p| Pagination {
                request_cursor: p.request_cursor.clone().unwrap_or_default(),
                request_count: p.request_count.clone().unwrap_or_default(),
                response_cursor: p.response_cursor.clone().unwrap_or_default(),
                items: p.items.to_map(),
            }),
            type_names: self.naming.types.to_map(),
            unions: self.unions.0.iter().map(|(name, union)| (name.clone(), union.settings())).collect(),
            secrets: self.secrets.clone(),
            decimals: self.decimals.clone(),
            null_means_absent: self.null_means_absent,
            tolerate_null: self.tolerate_null,
            overrides: self.overrides.0.iter().map(|(field, o)| (field.clone(), o.field_override())).collect(),
            name,
            ..Config::default()
        };
        self.set_limits(&mut config.limits);
        config.derive_unnamed_crate_names(crates.client.name.is_some(), crates.server.name.is_some());
        config
    }

    fn client(&self, name: &str) -> ClientSettings {
        let file = &self.crates.client;
        ClientSettings {
            krate: crate_settings(
                file.name.as_deref(),
                file.version.as_deref(),
                file.description.as_deref(),
                &file.categories,
                format!("{name}-client"),
            ),
            enabled: file.enabled.unwrap_or(true),
            runtime_path: file.runtime_path.clone(),
            retry_safe: file.retry_safe.clone(),
            rate_limit: file.rate_limit.as_ref().and_then(|r| {
                Some(super::RateLimit {
                    requests: u32::try_from(r.requests?).ok().filter(|n| *n > 0)?,
                    per_seconds: u64::try_from(r.per_seconds?).ok().filter(|n| *n > 0)?,
                    per: r.per.clone(),
                })
            }),
            examples: file.examples.0.iter().map(|(name, example)| example.example(name)).collect(),
        }
    }

    fn server(&self, name: &str) -> ServerSettings {
        let file = &self.crates.server;
        ServerSettings {
            krate: crate_settings(
                file.name.as_deref(),
                file.version.as_deref(),
                file.description.as_deref(),
                &file.categories,
                format!("{name}-server"),
            ),
            enabled: file.enabled.unwrap_or(true),
            runtime_path: file.runtime_path.clone(),
            examples: file
                .examples
                .0
                .iter()
                .map(|(name, example)| ReceiverExample {
                    name: name.clone(),
                    description: example.description.clone(),
                    id: example.id.clone(),
                    channel: example.channel.clone(),
                    journal: example.journal,
                })
                .collect(),
        }
    }

    fn set_limits(&self, limits: &mut crate::load::Limits) {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        for (key, value) in self.limits.settings() {
            let Some(n) = value.and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0) else { continue };
            match key {
                "file_bytes" => limits.file_bytes = n,
                "total_bytes" => limits.total_bytes = n,
                "alias_nodes" => limits.alias_nodes = size(n),
                "depth" => limits.depth = size(n),
                _ => limits.ref_chain = size(n),
            }
        }
    }
}

impl ExampleFile {
    fn example(&self, name: &str) -> Example {
        Example {
            name: name.to_owned(),
            operation: self.operation.clone(),
            description: self.description.clone(),
            args: self.options.clone(),
            print: self.print.clone(),
            credential_defaults: self.credential_defaults.to_map(),
            channel: self.channel.clone(),
            id: self.id.clone(),
        }
    }
}

impl UnionFile {
    fn settings(&self) -> UnionSettings {
        UnionSettings { tag: self.tag.clone(), content: self.content.clone(), variants: self.variants.to_map() }
    }
}

impl OverrideFile {
    fn field_override(&self) -> FieldOverride {
        FieldOverride { ty: self.ty.clone().unwrap_or_default(), reason: self.reason.clone() }
    }
}

impl Config {
    /// An unnamed client or server crate is named after the API; when that is no package name
    /// but the types crate has an explicit one, after the types crate.
    fn derive_unnamed_crate_names(&mut self, client_named: bool, server_named: bool) {
        let types = &self.types_crate.name;
        let base = types.strip_suffix("-types").or_else(|| types.strip_suffix("_types")).unwrap_or(types);
        if !client_named && check_crate_name(&self.client.krate.name).is_err() {
            self.client.krate.name = format!("{base}-client");
        }
        if !server_named && check_crate_name(&self.server.krate.name).is_err() {
            self.server.krate.name = format!("{base}-server");
        }
    }
}

//! The rules a config's values must follow beyond their kinds: names that become package names,
//! versions or Rust identifiers must be valid as such, unions and field overrides must say
//! enough, webhook signature settings must fit their scheme, examples must name what they
//! call. Each problem is reported where it is written, after the problems found while reading.

use super::file::{ConfigFile, SignatureFile};
use super::{CRATE_NAME, Config, OVERRIDE_TYPES, POSITIVE, check_crate_name};
use crate::diag::{Diagnostic, Location};
use crate::node::de::Reader;
use crate::node::{Node, escape_pointer_segment, split_pointer};

/// What `scheme` of `auth.webhook_signature` may be.
const EXPECTED_SCHEME: &str = "`scheme: hmac-sha256` or `scheme: standard-webhooks`";

/// Every problem of the config read from `root` into `shape` and `config`: those `reader`
/// recorded, then those the rules find.
pub(super) fn check(file: &str, root: &Node, reader: &Reader, shape: &ConfigFile, config: &Config) -> Vec<Diagnostic> {
    let mut checks = Checks { file, root, reader, diags: Vec::new() };
    checks.name(shape, config);
    checks.crates(shape);
    checks.package(shape);
    checks.examples(shape);
    checks.limits(shape);
    if let Some(limit) = &shape.crates.client.rate_limit {
        let pointer = "/crates/client/rate_limit";
        for (key, value) in [("requests", limit.requests), ("per_seconds", limit.per_seconds)] {
            if value.is_none() && checks.node(pointer).is_some_and(|node| node.as_map().is_some()) {
                checks.error(
                    pointer,
                    format!("missing setting `{key}`"),
                    "`requests` and `per_seconds`, positive whole numbers",
                );
            }
            checks.positive(&format!("{pointer}/{key}"), value);
        }
        if limit.requests.is_some_and(|n| n > i64::from(u32::MAX)) {
            checks.located(&format!("{pointer}/requests"), "found a number too large".into(), "at most 4294967295");
        }
    }
    if let Some(signature) = &shape.auth.webhook_signature {
        checks.webhook_signature(signature, "/auth/webhook_signature");
        if shape.auth.webhook_query_token.is_some() {
            checks.error(
                "/auth/webhook_signature",
                "`webhook_query_token` and `webhook_signature` both given".into(),
                "one way of verifying webhook deliveries",
            );
        }
    }
    checks.pagination(shape);
    checks.unions(shape);
    checks.overrides(shape);
    if config.specs.is_empty() {
        checks.error_at(root, "/specs", "no spec files listed".into(), "`specs:` with at least one file");
    }
    checks.names(config);
    let mut diags: Vec<Diagnostic> = reader.errors().into_iter().map(|e| checks.read_error(e)).collect();
    diags.append(&mut checks.diags);
    diags
}

struct Checks<'a> {
    file: &'a str,
    root: &'a Node,
    reader: &'a Reader,
    diags: Vec<Diagnostic>,
}

/// True for a `Schema.Property` key.
fn names_a_property(key: &str) -> bool {
    key.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

impl<'a> Checks<'a> {
    fn read_error(&self, error: crate::node::de::Error) -> Diagnostic {
        let location =
            Location { file: self.file.into(), line: error.line, column: error.column, pointer: error.pointer };
        let diagnostic = Diagnostic::new(location, error.message);
        match error.expected {
            Some(expected) => diagnostic.expected(expected),
            None => diagnostic,
        }
    }

    /// The node at `pointer`.
    fn node(&self, pointer: &str) -> Option<&'a Node> {
        self.root.pointer(&split_pointer(pointer)?)
    }

    /// Reports a problem with the setting at `pointer`, at its node.
    fn error(&mut self, pointer: &str, message: String, expected: &str) {
        // A setting left out is reported at the nearest setting that contains it.
        let mut at = pointer;
        let node = loop {
            if let Some(node) = self.node(at) {
                break node;
            }
            match at.rsplit_once('/') {
                Some((parent, _)) => at = parent,
                None => break self.root,
            }
        };
        self.error_at(node, pointer, message, expected);
    }

    /// Reports a problem with the setting at `pointer`, at `node`.
    fn error_at(&mut self, node: &Node, pointer: &str, message: String, expected: &str) {
        let location =
            Location { file: self.file.into(), line: node.line, column: node.column, pointer: pointer.into() };
        self.diags.push(Diagnostic::new(location, message).expected(expected));
    }

    /// Whether a problem was reported at `pointer` already (a value of the wrong kind, say).
    fn reported(&self, pointer: &str) -> bool {
        self.reader.has_error_at(pointer) || self.diags.iter().any(|d| d.location.pointer == pointer)
    }

    /// Reports a problem at `pointer` unless one was reported there already.
    fn located(&mut self, pointer: &str, message: String, expected: &str) {
        if !self.reported(pointer) {
            self.error(pointer, message, expected);
        }
    }

    /// `name` must be given, and make a valid crate name when no explicit name is given.
    fn name(&mut self, shape: &ConfigFile, config: &Config) {
        if shape.name.is_none() {
            self.error_at(self.root, "", "missing setting `name`".into(), "`name: <short api name>`");
        }
        if shape.crates.types.name.is_some() {
            return;
        }
        let Some(node) = self.root.get("name") else { return };
        if node.scalar_text().is_none() {
            return; // reported as not a string
        }
        let crate_name = &config.types_crate.name;
        if let Err(problem) = check_crate_name(crate_name) {
            self.error(
                "/name",
                format!("crate name `{crate_name}`, derived from `name: {}`, {problem}", config.name),
                &format!("a `name` that makes a valid crate name, or an explicit crate name ({CRATE_NAME})"),
            );
        }
    }

    /// Crate names given must be package names, versions semantic versions.
    fn crates(&mut self, shape: &ConfigFile) {
        let crates = &shape.crates;
        let settings = [
            ("types", &crates.types.name, &crates.types.version),
            ("client", &crates.client.name, &crates.client.version),
            ("server", &crates.server.name, &crates.server.version),
        ];
        for (kind, name, version) in settings {
            if let Some(name) = name {
                if let Err(problem) = check_crate_name(name) {
                    self.error(&format!("/crates/{kind}/name"), format!("crate name `{name}` {problem}"), CRATE_NAME);
                }
            }
            if let Some(version) = version {
                if let Err(e) = semver::Version::parse(version) {
                    self.error(
                        &format!("/crates/{kind}/version"),
                        format!("version `{version}` is not a semantic version: {e}"),
                        "a version such as `0.1.0` or `1.2.3-beta.1`",
                    );
                }
            }
        }
    }

    /// Package metadata must be what `cargo package` and crates.io take.
    fn package(&mut self, shape: &ConfigFile) {
        use super::package::{self as p, CATEGORY, KEYWORD, LICENSE, REPOSITORY, RUST_VERSION_RULE};
        let package = &shape.package;
        type Rule = fn(&str) -> Result<(), String>;
        let checks: [(&str, &Option<String>, Rule, &str); 3] = [
            ("license", &package.license, p::check_license, LICENSE),
            ("repository", &package.repository, p::check_repository, REPOSITORY),
            ("rust_version", &package.rust_version, p::check_rust_version, RUST_VERSION_RULE),
        ];
        let number = self
            .node("/package/rust_version")
            .is_some_and(|n| matches!(n.value, crate::node::Value::Float(_) | crate::node::Value::Int(_)));
        if number {
            let message = "`package.rust_version` is a YAML number, which drops trailing zeros (1.90 reads as 1.9)";
            self.error("/package/rust_version", message.into(), RUST_VERSION_RULE);
        }
        for (key, value, check, expected) in checks {
            if key == "rust_version" && number {
                continue;
            }
            if let Some(Err(problem)) = value.as_deref().map(check) {
                self.error(&format!("/package/{key}"), format!("`package.{key}` {problem}"), expected);
            }
        }
        if package.keywords.len() > p::MAX_KEYWORDS {
            let message = format!("{} keywords", package.keywords.len());
            self.error("/package/keywords", message, &format!("at most {} keywords", p::MAX_KEYWORDS));
        }
        for (i, keyword) in package.keywords.iter().enumerate() {
            if !p::is_keyword(keyword) {
                self.error(&format!("/package/keywords/{i}"), format!("keyword `{keyword}`"), KEYWORD);
            }
        }
        let crates = &shape.crates;
        for (kind, categories) in [
            ("types", &crates.types.categories),
            ("client", &crates.client.categories),
            ("server", &crates.server.categories),
        ] {
            let pointer = format!("/crates/{kind}/categories");
            if categories.len() > p::MAX_CATEGORIES {
                let expected = format!("at most {} categories", p::MAX_CATEGORIES);
                self.error(&pointer, format!("{} categories", categories.len()), &expected);
            }
            for (i, category) in categories.iter().enumerate() {
                if !p::is_category(category) {
                    self.error(&format!("{pointer}/{i}"), format!("category `{category}`"), CATEGORY);
                }
            }
        }
    }

    /// Example names become file names; a client example calls an operation and prints a
    /// property, unless it listens to a channel.
    fn examples(&mut self, shape: &ConfigFile) {
        let client = shape.crates.client.examples.0.iter().map(|(name, example)| (name, Some(example)));
        let server = shape.crates.server.examples.0.iter().map(|(name, _)| (name, None));
        for (kind, (name, example)) in client.map(|e| ("client", e)).chain(server.map(|e| ("server", e))) {
            let pointer = format!("/crates/{kind}/examples/{}", escape_pointer_segment(name));
            if let Err(problem) = check_crate_name(name) {
                self.error(&pointer, format!("example name `{name}` {problem}"), CRATE_NAME);
            }
            let Some(example) = example.filter(|e| e.channel.is_none()) else { continue };
            for (key, value) in [("operation", &example.operation), ("print", &example.print)] {
                if value.is_empty() {
                    self.error(&pointer, format!("example `{name}` has no `{key}`"), "`operation` and `print`");
                }
            }
        }
    }

    /// Each limit is a positive whole number.
    fn limits(&mut self, shape: &ConfigFile) {
        for (key, value) in shape.limits.settings() {
            self.positive(&format!("/limits/{key}"), value);
        }
    }

    fn positive(&mut self, pointer: &str, value: Option<i64>) {
        if value.is_some_and(|n| n <= 0) {
            self.located(pointer, "found a number".into(), POSITIVE);
        }
    }

    /// The scheme is known, and the other settings are those it takes.
    fn webhook_signature(&mut self, signature: &SignatureFile, pointer: &str) {
        let Some(scheme) = &signature.scheme else {
            if self.node(pointer).is_some_and(|node| node.as_map().is_some()) {
                self.error(pointer, "missing setting `scheme`".into(), EXPECTED_SCHEME);
            }
            return;
        };
        match scheme.as_str() {
            "hmac-sha256" => {
                if signature.tolerance_seconds.is_some() {
                    let message = "`tolerance_seconds` does not apply to `hmac-sha256`".to_owned();
                    self.error(&format!("{pointer}/tolerance_seconds"), message, "`header` and `encoding`");
                }
                let (header, encoding) = &signature.hmac;
                if let Some(header) = header {
                    let valid = !header.is_empty()
                        && header.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
                    if !valid {
                        let message = format!("`{header}` is not a header name");
                        self.error(&format!("{pointer}/header"), message, "an HTTP header name");
                    }
                }
                if let Some(other) = encoding.as_deref().filter(|e| !matches!(*e, "base64" | "hex")) {
                    let message = format!("unknown encoding `{other}`");
                    self.error(&format!("{pointer}/encoding"), message, "`base64` or `hex`");
                }
            }
            "standard-webhooks" => {
                for (key, given) in [("header", signature.header.is_some()), ("encoding", signature.encoding.is_some())]
                {
                    if given {
                        let message = format!("`{key}` does not apply to `standard-webhooks`");
                        self.error(&format!("{pointer}/{key}"), message, "`tolerance_seconds`");
                    }
                }
                self.positive(&format!("{pointer}/tolerance_seconds"), signature.tolerance);
            }
            other => self.error(&format!("{pointer}/scheme"), format!("unknown scheme `{other}`"), EXPECTED_SCHEME),
        }
    }

    /// All three paths are needed; one left out would otherwise be checked as "" with no place
    /// to report it at.
    fn pagination(&mut self, shape: &ConfigFile) {
        let (Some(pagination), Some(node)) = (&shape.pagination, self.root.get("pagination")) else { return };
        if node.as_map().is_none() {
            return;
        }
        let paths = [
            ("request_cursor", &pagination.request_cursor),
            ("request_count", &pagination.request_count),
            ("response_cursor", &pagination.response_cursor),
        ];
        for (key, _) in paths.iter().filter(|(_, value)| value.is_none()) {
            let expected = format!("`{key}:` with a dotted path of property wire names");
            self.error_at(node, "/pagination", format!("missing setting `{key}`"), &expected);
        }
    }

    /// A property's union (a `Schema.Property` key without `content`) needs a dotted `tag`
    /// path and variants.
    fn unions(&mut self, shape: &ConfigFile) {
        for (name, union) in &shape.unions.0 {
            let pointer = format!("/unions/{}", escape_pointer_segment(name));
            // A key that names no property lacks `content`, which `names` reports.
            let is_map = self.node(&pointer).is_some_and(|node| node.as_map().is_some());
            if !is_map || !union.content.is_empty() || !names_a_property(name) {
                continue;
            }
            if !union.tag.is_empty() && union.tag.split('.').any(str::is_empty) {
                self.error(
                    &format!("{pointer}/tag"),
                    format!("`{}` is not a dotted path of property names", union.tag),
                    "a path such as `Device.Type`",
                );
            }
            if union.variants.0.is_empty() {
                self.error(
                    &pointer,
                    format!("the union `{name}` lists no `variants`"),
                    "`variants:` mapping each tag value to a schema name",
                );
            }
        }
    }

    /// An override names a field, a known type and why.
    fn overrides(&mut self, shape: &ConfigFile) {
        for (field, settings) in &shape.overrides.0 {
            let pointer = format!("/overrides/{}", escape_pointer_segment(field));
            if !names_a_property(field) {
                self.error(
                    &pointer,
                    format!("`{field}` does not name a field"),
                    "`Schema.Property`, such as `RestrictionSetData.MinLength`",
                );
            }
            let ty = settings.ty.as_deref();
            if let Some(ty) = ty.filter(|ty| !OVERRIDE_TYPES.contains(ty)) {
                self.error(
                    &format!("{pointer}/type"),
                    format!("unknown override type `{ty}`"),
                    &format!("one of {}", OVERRIDE_TYPES.join(", ")),
                );
            }
            if ty.is_none_or(str::is_empty) || settings.reason.trim().is_empty() {
                self.error(
                    &pointer,
                    format!("the override of `{field}` needs a `type` and a `reason`"),
                    "`{type: string, reason: why the spec is wrong}`",
                );
            }
        }
    }

    /// Type names must be usable Rust names; a union names its two properties, and maps
    /// non-empty tag values to schema names.
    fn names(&mut self, config: &Config) {
        for (wire, rust) in &config.type_names {
            if let Err(why) = crate::naming::check_type_name(rust) {
                let expected = format!(
                    "an UpperCamelCase type name that is not reserved, such as `{}`",
                    crate::naming::type_name(rust, "Type")
                );
                self.located(&format!("/naming/types/{}", escape_pointer_segment(wire)), why, &expected);
            }
        }
        for (schema, union) in &config.unions {
            // Without `content` the key names a property whose union a `tag` path chooses.
            let property = names_a_property(schema);
            for (key, value) in [("tag", &union.tag), ("content", &union.content)] {
                if value.is_empty() && (key == "tag" || !property) {
                    self.located(
                        &format!("/unions/{}/{key}", escape_pointer_segment(schema)),
                        format!("union `{schema}` has no `{key}` property name"),
                        "`tag` and `content` naming the two properties of the union object, or a \
                         `Schema.Property` key with a `tag` path such as `Device.Type`",
                    );
                }
            }
            for (value, target) in &union.variants {
                if value.is_empty() || target.is_empty() {
                    self.located(
                        &format!(
                            "/unions/{}/variants/{}",
                            escape_pointer_segment(schema),
                            escape_pointer_segment(value)
                        ),
                        format!("union `{schema}` maps `{value}` to `{target}`"),
                        "a non-empty tag value mapped to a schema name",
                    );
                }
            }
        }
    }
}

//! The codegen config: what a spec cannot say (crate names, naming overrides, auth placement,
//! pagination shape, union variant maps). One YAML file per API, usually `codegen.yaml` next to
//! the specs.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Location};
use crate::node::{self, Node, Value};

/// Settings of one API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The config file, as named to [`Config::parse`] (empty for built-in defaults).
    pub file: String,
    /// Short name of the API, used to derive crate names (`mews` → `mews-types`).
    pub name: String,
    /// Spec files, relative to the config file.
    pub specs: Vec<String>,
    /// The types crate.
    pub types_crate: CrateSettings,
    /// Auth placement, used by the client and server crates.
    pub auth: Auth,
    /// Cursor pagination shape, used by the client crate.
    pub pagination: Option<Pagination>,
    /// Rust names to use instead of the derived ones, keyed by wire (schema) name.
    pub type_names: BTreeMap<String, String>,
    /// Variant maps for unions the spec leaves without a mapping, keyed by schema name.
    pub unions: BTreeMap<String, UnionSettings>,
    /// Extra secret fields, as `Schema.Property`.
    pub secrets: Vec<String>,
    /// True when the API treats `null` and an absent property alike: optional nullable fields
    /// then become a plain `Option` instead of the absent/null/value `Option<Option<T>>`.
    pub null_means_absent: bool,
    /// Where each setting was written (JSON pointer → location), for diagnostics.
    pub origins: BTreeMap<String, Location>,
}

impl Config {
    /// The location of the setting at `pointer` (or of the file, for defaults).
    pub fn origin(&self, pointer: &str) -> Location {
        self.origins.get(pointer).cloned().unwrap_or_else(|| Location::file(&self.file))
    }
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
}

/// How to read a `{tag, content}` union the spec gives no mapping for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnionSettings {
    /// Tag property.
    pub tag: String,
    /// Content property.
    pub content: String,
    /// Tag value → schema name of the content.
    pub variants: BTreeMap<String, String>,
}

impl Config {
    /// Defaults for an API that has no config file: crate names from `name`.
    pub fn for_name(name: &str, specs: Vec<String>) -> Self {
        Config {
            name: name.to_owned(),
            specs,
            types_crate: CrateSettings { name: format!("{name}-types"), version: "0.1.0".into(), description: None },
            ..Config::default()
        }
    }

    /// Parses a config file. `file` is used in diagnostics.
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
        let mut r = Reader { file, diags: Vec::new(), origins: BTreeMap::new() };
        let mut config = r.config(&root);
        config.origins = r.origins;
        config.file = file.to_owned();
        if r.diags.is_empty() { Ok(config) } else { Err(r.diags) }
    }
}

struct Reader<'a> {
    file: &'a str,
    diags: Vec<Diagnostic>,
    origins: BTreeMap<String, Location>,
}

impl Reader<'_> {
    fn error(&mut self, node: &Node, pointer: &str, message: String, expected: &str) {
        self.diags.push(
            Diagnostic::new(
                Location { file: self.file.into(), line: node.line, column: node.column, pointer: pointer.into() },
                message,
            )
            .expected(expected),
        );
    }

    fn map<'n>(&mut self, node: &'n Node, pointer: &str, known: &[&str]) -> Vec<(&'n str, &'n Node)> {
        match &node.value {
            Value::Map(map) => {
                let mut out = Vec::new();
                for (key, value) in map {
                    if known.is_empty() || known.contains(&key.as_str()) {
                        out.push((key.as_str(), value));
                    } else {
                        self.error(
                            value,
                            &format!("{pointer}/{}", node::escape_pointer_segment(key)),
                            format!("unknown setting `{key}`"),
                            &format!("one of: {}", known.join(", ")),
                        );
                    }
                }
                out
            }
            _ => {
                self.error(node, pointer, format!("found {}", node.kind_name()), "a mapping");
                Vec::new()
            }
        }
    }

    fn string(&mut self, node: &Node, pointer: &str) -> String {
        self.origins.insert(
            pointer.to_owned(),
            Location { file: self.file.into(), line: node.line, column: node.column, pointer: pointer.into() },
        );
        match node.scalar_text() {
            Some(s) => s,
            None => {
                self.error(node, pointer, format!("found {}", node.kind_name()), "a string");
                String::new()
            }
        }
    }

    /// A type name from `naming.types` is used as written, so it must be one the generator
    /// could have made itself: an UpperCamelCase identifier that no generated code relies on.
    fn check_type_name(&mut self, pointer: &str, name: &str) {
        // A value that is not even a string has been reported already.
        if self.diags.iter().any(|d| d.location.pointer == pointer) {
            return;
        }
        let canonical = crate::naming::type_name(name, "Type");
        if canonical != name || syn::parse_str::<syn::Ident>(name).is_err() {
            let location = self.origins.get(pointer).cloned().unwrap_or_else(|| Location::file(self.file));
            self.diags.push(
                Diagnostic::new(location, format!("`{name}` cannot be a Rust type name"))
                    .expected(format!("an UpperCamelCase identifier that is not reserved, such as `{canonical}`")),
            );
        }
    }

    fn strings(&mut self, node: &Node, pointer: &str) -> Vec<String> {
        match node.as_seq() {
            Some(items) => {
                items.iter().enumerate().map(|(i, item)| self.string(item, &format!("{pointer}/{i}"))).collect()
            }
            None => {
                self.error(node, pointer, format!("found {}", node.kind_name()), "a list of strings");
                Vec::new()
            }
        }
    }

    fn string_map(&mut self, node: &Node, pointer: &str) -> BTreeMap<String, String> {
        let entries = self.map(node, pointer, &[]);
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), self.string(v, &format!("{pointer}/{}", node::escape_pointer_segment(k)))))
            .collect()
    }

    fn config(&mut self, root: &Node) -> Config {
        let known =
            ["name", "specs", "crates", "auth", "pagination", "naming", "unions", "secrets", "null_means_absent"];
        let mut config = Config::default();
        let entries = self.map(root, "", &known);
        match root.get("name") {
            Some(n) => config.name = self.string(n, "/name"),
            None => self.error(root, "", "missing setting `name`".into(), "`name: <short api name>`"),
        }
        config = Config { specs: Vec::new(), ..Config::for_name(&config.name, Vec::new()) };
        for (key, value) in entries {
            let pointer = format!("/{key}");
            match key {
                "specs" => config.specs = self.strings(value, &pointer),
                "crates" => {
                    for (kind, settings) in self.map(value, &pointer, &["types", "client", "server"]) {
                        let pointer = format!("{pointer}/{kind}");
                        let mut crate_settings = CrateSettings {
                            name: format!("{}-{kind}", config.name),
                            version: "0.1.0".into(),
                            description: None,
                        };
                        for (k, v) in self.map(settings, &pointer, &["name", "version", "description"]) {
                            let s = self.string(v, &format!("{pointer}/{k}"));
                            match k {
                                "name" => crate_settings.name = s,
                                "version" => crate_settings.version = s,
                                _ => crate_settings.description = Some(s),
                            }
                        }
                        if kind == "types" {
                            config.types_crate = crate_settings;
                        }
                    }
                }
                "auth" => {
                    for (k, v) in
                        self.map(value, &pointer, &["body_fields", "websocket_cookies", "webhook_query_token"])
                    {
                        let p = format!("{pointer}/{k}");
                        match k {
                            "body_fields" => config.auth.body_fields = self.strings(v, &p),
                            "websocket_cookies" => config.auth.websocket_cookies = self.strings(v, &p),
                            _ => config.auth.webhook_query_token = Some(self.string(v, &p)),
                        }
                    }
                }
                "pagination" => {
                    let mut pagination = Pagination::default();
                    let keys = ["request_cursor", "request_count", "response_cursor"];
                    // All three are needed; one left out would otherwise be checked as "" with no
                    // place to report it at.
                    if value.as_map().is_some() {
                        for key in keys.iter().filter(|key| value.get(key).is_none()) {
                            let expected = format!("`{key}:` with a dotted path of property wire names");
                            self.error(value, &pointer, format!("missing setting `{key}`"), &expected);
                        }
                    }
                    for (k, v) in self.map(value, &pointer, &keys) {
                        let s = self.string(v, &format!("{pointer}/{k}"));
                        match k {
                            "request_cursor" => pagination.request_cursor = s,
                            "request_count" => pagination.request_count = s,
                            _ => pagination.response_cursor = s,
                        }
                    }
                    config.pagination = Some(pagination);
                }
                "naming" => {
                    for (k, v) in self.map(value, &pointer, &["types"]) {
                        let p = format!("{pointer}/{k}");
                        config.type_names = self.string_map(v, &p);
                        for (wire, rust) in &config.type_names {
                            self.check_type_name(&format!("{p}/{}", node::escape_pointer_segment(wire)), rust);
                        }
                    }
                }
                "unions" => {
                    for (name, settings) in self.map(value, &pointer, &[]) {
                        let p = format!("{pointer}/{}", node::escape_pointer_segment(name));
                        let mut union = UnionSettings::default();
                        for (k, v) in self.map(settings, &p, &["tag", "content", "variants"]) {
                            let pp = format!("{p}/{k}");
                            match k {
                                "tag" => union.tag = self.string(v, &pp),
                                "content" => union.content = self.string(v, &pp),
                                _ => union.variants = self.string_map(v, &pp),
                            }
                        }
                        config.unions.insert(name.to_owned(), union);
                    }
                }
                "secrets" => config.secrets = self.strings(value, &pointer),
                "null_means_absent" => match value.as_bool() {
                    Some(b) => config.null_means_absent = b,
                    None => self.error(value, &pointer, format!("found {}", value.kind_name()), "true or false"),
                },
                _ => {}
            }
        }
        if config.specs.is_empty() {
            self.error(root, "/specs", "no spec files listed".into(), "`specs:` with at least one file");
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn reports_unknown_settings_with_position() {
        let diags = Config::parse("c.yaml", "name: x\nspecs: [a.yaml]\ncrate:\n  types: {}\n").unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location.line, 4);
        assert_eq!(diags[0].location.pointer, "/crate");
        assert!(diags[0].message.contains("unknown setting `crate`"));
    }
}

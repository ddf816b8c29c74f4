//! Reading one provider file: every object of the OpenAPI 3.0 document is walked with the keys
//! its kind may hold. Structural keys are kept (their values checked for their kind), prose and
//! extensions are dropped, and any other key is a located error, so a keyword the importer does
//! not know is never dropped silently.

use indexmap::IndexMap;
use triad::diag::{Diagnostic, Location};
use triad::node::{Node, Value, escape_pointer_segment};

/// Keys dropped wherever they appear: the provider's prose and examples.
const PROSE: &[&str] = &["description", "summary", "title", "example", "examples", "externalDocs"];

/// Schema keywords whose value is a scalar, with the kind it must be.
const SCHEMA_SCALARS: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("format", Kind::Str),
    ("pattern", Kind::Str),
    ("nullable", Kind::Bool),
    ("deprecated", Kind::Bool),
    ("readOnly", Kind::Bool),
    ("writeOnly", Kind::Bool),
    ("uniqueItems", Kind::Bool),
    ("exclusiveMinimum", Kind::Bool),
    ("exclusiveMaximum", Kind::Bool),
    ("minLength", Kind::Number),
    ("maxLength", Kind::Number),
    ("minItems", Kind::Number),
    ("maxItems", Kind::Number),
    ("minProperties", Kind::Number),
    ("maxProperties", Kind::Number),
    ("minimum", Kind::Number),
    ("maximum", Kind::Number),
    ("multipleOf", Kind::Number),
];

/// The kind of a scalar value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Bool,
    Number,
}

impl Kind {
    fn fits(self, node: &Node) -> bool {
        match self {
            Kind::Str => matches!(node.value, Value::Str(_)),
            Kind::Bool => matches!(node.value, Value::Bool(_)),
            Kind::Number => matches!(node.value, Value::Int(_) | Value::Float(_)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
        }
    }
}

/// The walk over one file: its name, the JSON pointer of the node being read, and the problems.
pub(super) struct Reader<'a> {
    file: &'a str,
    pointer: Vec<String>,
    pub(super) diags: Vec<Diagnostic>,
}

/// A mapping built from kept entries, positioned where its source was written.
fn map_at(source: &Node, entries: IndexMap<String, Node>) -> Node {
    Node::at(Value::Map(entries), source.line, source.column)
}

impl<'a> Reader<'a> {
    pub(super) fn new(file: &'a str) -> Self {
        Reader { file, pointer: Vec::new(), diags: Vec::new() }
    }

    /// Where `node` is: the file, its line and column, and the current pointer.
    pub(super) fn location(&self, node: &Node) -> Location {
        let pointer: String =
            self.pointer.iter().map(|s| format!("/{}", escape_pointer_segment(s))).collect::<Vec<_>>().concat();
        Location { file: self.file.into(), line: node.line, column: node.column, pointer }
    }

    pub(super) fn error(&mut self, node: &Node, message: impl Into<String>, expected: impl Into<String>) {
        let diag = Diagnostic::new(self.location(node), message).expected(expected);
        self.diags.push(diag);
    }

    /// Runs `f` with `segment` pushed on the pointer.
    pub(super) fn at<T>(&mut self, segment: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        self.pointer.push(segment.to_owned());
        let out = f(self);
        self.pointer.pop();
        out
    }

    /// The entries of a mapping, or an error saying what `what` must be.
    pub(super) fn entries<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n IndexMap<String, Node>> {
        let map = node.as_map();
        if map.is_none() {
            self.error(node, format!("{what} is {}", node.kind_name()), format!("{what} as a mapping"));
        }
        map
    }

    /// The items of a sequence, or an error saying what `what` must be.
    fn items<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        let items = node.as_seq();
        if items.is_none() {
            self.error(node, format!("{what} is {}", node.kind_name()), format!("{what} as a sequence"));
        }
        items
    }

    /// A scalar of the given kind, copied; an error otherwise.
    fn scalar(&mut self, node: &Node, kind: Kind, key: &str) -> Option<Node> {
        if kind.fits(node) {
            return Some(node.clone());
        }
        self.error(node, format!("`{key}` is {}", node.kind_name()), format!("`{key}` as {}", kind.name()));
        None
    }

    /// A string, copied; an error otherwise.
    pub(super) fn string(&mut self, node: &Node, key: &str) -> Option<Node> {
        self.scalar(node, Kind::Str, key)
    }

    /// Walks a mapping whose keys are all known: `keep` decides each key's fate.
    fn object(
        &mut self,
        node: &Node,
        what: &str,
        allowed: &str,
        mut keep: impl FnMut(&mut Self, &str, &Node) -> Option<Option<Node>>,
    ) -> Option<Node> {
        let entries = self.entries(node, what)?;
        let mut out = IndexMap::new();
        for (key, value) in entries {
            if key.starts_with("x-") || PROSE.contains(&key.as_str()) {
                continue;
            }
            let kept = self.at(key, |r| {
                let kept = keep(r, key, value);
                if kept.is_none() {
                    r.error(
                        value,
                        format!("`{key}` is not a key the importer knows in {what}"),
                        format!("one of {allowed}, prose (description, summary, title, examples) or `x-` extensions"),
                    );
                }
                kept
            });
            if let Some(Some(kept)) = kept {
                out.insert(key.clone(), kept);
            }
        }
        Some(map_at(node, out))
    }

    /// A mapping of names to objects read by `each`, in source order.
    fn named(&mut self, node: &Node, what: &str, mut each: impl FnMut(&mut Self, &str, &Node) -> Option<Node>) -> Node {
        let mut out = IndexMap::new();
        if let Some(entries) = self.entries(node, what) {
            for (name, value) in entries {
                if let Some(kept) = self.at(name, |r| each(r, name, value)) {
                    out.insert(name.clone(), kept);
                }
            }
        }
        map_at(node, out)
    }

    /// A sequence of objects read by `each`.
    fn list(&mut self, node: &Node, what: &str, mut each: impl FnMut(&mut Self, &Node) -> Option<Node>) -> Node {
        let mut out = Vec::new();
        if let Some(items) = self.items(node, what) {
            for (i, item) in items.iter().enumerate() {
                if let Some(kept) = self.at(&i.to_string(), |r| each(r, item)) {
                    out.push(kept);
                }
            }
        }
        Node::at(Value::Seq(out), node.line, node.column)
    }

    /// A JSON Schema (OpenAPI 3.0 dialect).
    pub(super) fn schema(&mut self, node: &Node) -> Option<Node> {
        self.schema_in(node, false)
    }

    /// A schema; a member of a `oneOf` or `anyOf` keeps its `title`, which names the member (the
    /// generator matches a union's tag values against member names).
    fn schema_in(&mut self, node: &Node, member: bool) -> Option<Node> {
        let mut out = self.schema_keywords(node)?;
        let title = node.get("title").filter(|t| member && t.as_str().is_some());
        if let (Some(title), Value::Map(entries)) = (title, &mut out.value) {
            entries.shift_insert(0, "title".to_owned(), title.clone());
        }
        Some(out)
    }

    fn schema_keywords(&mut self, node: &Node) -> Option<Node> {
        const ALLOWED: &str = "`$ref`, `type`, `format`, `enum`, `default`, `required`, `properties`, `items`, \
            `additionalProperties`, `allOf`, `oneOf`, `anyOf`, `not`, `discriminator`, `nullable` or a validation keyword";
        self.object(node, "a schema", ALLOWED, |r, key, value| {
            if let Some((_, kind)) = SCHEMA_SCALARS.iter().find(|(k, _)| *k == key) {
                return Some(r.scalar(value, *kind, key));
            }
            Some(match key {
                "$ref" => r.reference(value),
                "enum" => r.items(value, "`enum`").map(|_| value.clone()),
                "default" => Some(value.clone()),
                "required" => Some(r.list(value, "`required`", |r, item| r.string(item, "required"))),
                "properties" => Some(r.named(value, "`properties`", |r, _, v| r.schema(v))),
                "items" | "not" => r.schema(value),
                "additionalProperties" => match value.value {
                    Value::Bool(_) => Some(value.clone()),
                    _ => r.schema(value),
                },
                "allOf" => Some(r.list(value, key, Self::schema)),
                "oneOf" | "anyOf" => Some(r.list(value, key, |r, member| r.schema_in(member, true))),
                "discriminator" => r.discriminator(value),
                _ => return None,
            })
        })
    }

    /// A `$ref` to a schema of the same document: the only kind of reference the files use.
    fn reference(&mut self, node: &Node) -> Option<Node> {
        let text = self.string(node, "$ref")?;
        let ok = text
            .as_str()
            .and_then(|s| s.strip_prefix("#/components/schemas/"))
            .is_some_and(|name| !name.is_empty() && !name.contains('/') && !name.contains('~') && !name.contains('%'));
        if !ok {
            self.error(node, "a reference the importer cannot follow", "`#/components/schemas/<name>`");
            return None;
        }
        Some(text)
    }

    fn discriminator(&mut self, node: &Node) -> Option<Node> {
        self.object(node, "a discriminator", "`propertyName`, `mapping`", |r, key, value| match key {
            "propertyName" => Some(r.string(value, key)),
            "mapping" => Some(Some(r.named(value, "`mapping`", |r, name, v| r.string(v, name)))),
            _ => None,
        })
    }

    /// The operations of one path.
    pub(super) fn path_item(&mut self, node: &Node) -> Option<Node> {
        const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];
        self.object(node, "a path", "an HTTP method, `parameters` or `servers`", |r, key, value| match key {
            _ if METHODS.contains(&key) => Some(r.operation(value)),
            "parameters" => Some(Some(r.list(value, "`parameters`", Self::parameter))),
            "servers" => Some(Some(r.servers(value))),
            _ => None,
        })
    }

    fn operation(&mut self, node: &Node) -> Option<Node> {
        const ALLOWED: &str =
            "`operationId`, `parameters`, `requestBody`, `responses`, `deprecated`, `security`, `servers`, `tags`";
        self.object(node, "an operation", ALLOWED, |r, key, value| match key {
            "operationId" => Some(r.string(value, key)),
            "deprecated" => Some(r.scalar(value, Kind::Bool, key)),
            "parameters" => Some(Some(r.list(value, "`parameters`", Self::parameter))),
            "requestBody" => Some(r.request_body(value)),
            "responses" => Some(Some(r.named(value, "`responses`", Self::response))),
            "security" => Some(r.security(value)),
            "servers" => Some(Some(r.servers(value))),
            // Grouping labels only; nothing is generated from them.
            "tags" => Some(None),
            _ => None,
        })
    }

    fn parameter(&mut self, node: &Node) -> Option<Node> {
        const ALLOWED: &str = "`name`, `in`, `required`, `deprecated`, `style`, `explode`, `schema`, `content`";
        self.object(node, "a parameter", ALLOWED, |r, key, value| match key {
            "name" | "in" | "style" => Some(r.string(value, key)),
            "required" | "deprecated" | "explode" | "allowEmptyValue" | "allowReserved" => {
                Some(r.scalar(value, Kind::Bool, key))
            }
            "schema" => Some(r.schema(value)),
            "content" => Some(Some(r.content(value))),
            _ => None,
        })
    }

    fn request_body(&mut self, node: &Node) -> Option<Node> {
        self.object(node, "a request body", "`content`, `required`", |r, key, value| match key {
            "required" => Some(r.scalar(value, Kind::Bool, key)),
            "content" => Some(Some(r.content(value))),
            _ => None,
        })
    }

    fn content(&mut self, node: &Node) -> Node {
        self.named(node, "`content`", |r, _, media| {
            r.object(media, "a media type", "`schema`", |r, key, value| match key {
                "schema" => Some(r.schema(value)),
                _ => None,
            })
        })
    }

    /// A response; its description (required by OpenAPI) becomes the status' reason phrase.
    fn response(&mut self, status: &str, node: &Node) -> Option<Node> {
        let mut out = self.object(node, "a response", "`content`, `headers`", |r, key, value| match key {
            "content" => Some(Some(r.content(value))),
            "headers" => Some(Some(r.named(value, "`headers`", |r, _, header| r.header(header)))),
            _ => None,
        })?;
        if let Value::Map(entries) = &mut out.value {
            let phrase = Node::at(Value::Str(reason_phrase(status)), node.line, node.column);
            entries.shift_insert(0, "description".to_owned(), phrase);
        }
        Some(out)
    }

    fn header(&mut self, node: &Node) -> Option<Node> {
        self.object(node, "a header", "`required`, `deprecated`, `style`, `explode`, `schema`", |r, key, value| {
            match key {
                "style" => Some(r.string(value, key)),
                "required" | "deprecated" | "explode" => Some(r.scalar(value, Kind::Bool, key)),
                "schema" => Some(r.schema(value)),
                _ => None,
            }
        })
    }

    /// `servers`: URLs and their variables.
    pub(super) fn servers(&mut self, node: &Node) -> Node {
        self.list(node, "`servers`", |r, server| {
            r.object(server, "a server", "`url`, `variables`", |r, key, value| match key {
                "url" => Some(r.string(value, key)),
                "variables" => Some(Some(r.named(value, "`variables`", |r, _, variable| {
                    r.object(variable, "a server variable", "`default`, `enum`", |r, key, value| match key {
                        "default" => Some(r.string(value, key)),
                        "enum" => Some(Some(r.list(value, "`enum`", |r, v| r.string(v, "enum")))),
                        _ => None,
                    })
                }))),
                _ => None,
            })
        })
    }

    /// `security`: requirements naming schemes and their scopes.
    pub(super) fn security(&mut self, node: &Node) -> Option<Node> {
        Some(self.list(node, "`security`", |r, requirement| {
            Some(r.named(requirement, "a security requirement", |r, _, scopes| {
                Some(r.list(scopes, "the scopes", |r, scope| r.string(scope, "scope")))
            }))
        }))
    }

    /// A security scheme.
    pub(super) fn security_scheme(&mut self, node: &Node) -> Option<Node> {
        const ALLOWED: &str = "`type`, `in`, `name`, `scheme`, `bearerFormat`, `openIdConnectUrl`, `flows`";
        self.object(node, "a security scheme", ALLOWED, |r, key, value| match key {
            "type" | "in" | "name" | "scheme" | "bearerFormat" | "openIdConnectUrl" => Some(r.string(value, key)),
            "flows" => Some(Some(r.named(value, "`flows`", |r, _, flow| r.flow(flow)))),
            _ => None,
        })
    }

    /// An OAuth flow: its URLs and scope names (a scope's text is prose and becomes empty).
    fn flow(&mut self, node: &Node) -> Option<Node> {
        self.object(node, "an OAuth flow", "`authorizationUrl`, `tokenUrl`, `refreshUrl`, `scopes`", |r, key, value| {
            match key {
                "authorizationUrl" | "tokenUrl" | "refreshUrl" => Some(r.string(value, key)),
                "scopes" => {
                    Some(Some(r.named(value, "`scopes`", |_, _, v| {
                        Some(Node::at(Value::Str(String::new()), v.line, v.column))
                    })))
                }
                _ => None,
            }
        })
    }
}

/// The reason phrase of an HTTP status (or of `default` and `NXX` ranges), the text every
/// imported response carries in place of the provider's description.
pub(super) fn reason_phrase(status: &str) -> String {
    let phrase = match status {
        "default" => "Any other status",
        "1XX" => "Informational",
        "2XX" => "Success",
        "3XX" => "Redirection",
        "4XX" => "Client error",
        "5XX" => "Server error",
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No Content",
        "301" => "Moved Permanently",
        "302" => "Found",
        "304" => "Not Modified",
        "400" => "Bad Request",
        "401" => "Unauthorized",
        "403" => "Forbidden",
        "404" => "Not Found",
        "405" => "Method Not Allowed",
        "408" => "Request Timeout",
        "409" => "Conflict",
        "413" => "Content Too Large",
        "415" => "Unsupported Media Type",
        "422" => "Unprocessable Content",
        "429" => "Too Many Requests",
        "500" => "Internal Server Error",
        "502" => "Bad Gateway",
        "503" => "Service Unavailable",
        "504" => "Gateway Timeout",
        other => return format!("Status {other}"),
    };
    phrase.to_owned()
}

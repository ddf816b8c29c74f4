//! OpenAPI 3.0/3.1: operations from `paths`, webhooks from `webhooks`.

use heck::ToUpperCamelCase;

use super::object::ObjectView;
use super::{Ctx, Lowerer, docs_of};
use crate::ir::{
    Body, Encoding, Method, Multipart, Name, Operation, Param, ParamLocation, ParamStyle, Part, PartKind, PathSegment,
    Response, SecurityKind, SecurityRequirement, SecurityScheme, Server, ServerVariable, Status, Webhook,
};
use crate::naming;
use crate::node::Node;

const METHODS: [(&str, Method); 8] = [
    ("get", Method::Get),
    ("put", Method::Put),
    ("post", Method::Post),
    ("delete", Method::Delete),
    ("options", Method::Options),
    ("head", Method::Head),
    ("patch", Method::Patch),
    ("trace", Method::Trace),
];

impl<'a> Lowerer<'a> {
    pub(super) fn openapi(&mut self, doc: usize) {
        let root = Ctx { doc, pointer: String::new(), node: &self.ws[doc].root };
        let Some(version) = root.get("openapi") else { return };
        match version.node.scalar_text() {
            Some(v) if v.starts_with("3.0") || v.starts_with("3.1") => {}
            _ => self.error(&version, "unsupported OpenAPI version", "3.0.x or 3.1.x"),
        }
        if self.api.title.is_empty() {
            if let Some(info) = root.get("info") {
                self.api.title = info.node.get("title").and_then(Node::as_str).unwrap_or_default().to_owned();
                self.api.version = info.node.get("version").and_then(Node::scalar_text).unwrap_or_default();
                self.api.docs = docs_of(info.node);
                self.api.docs.text = info.node.get("description").and_then(Node::as_str).map(|s| s.trim().to_owned());
            }
        }
        if self.api.servers.is_empty() {
            self.api.servers = self.servers(&root);
        }
        for (name, scheme) in root.get("components").map(|c| self.entries(&c, "securitySchemes")).unwrap_or_default() {
            let Some(scheme) = self.deref(scheme) else { continue };
            if self.api.security_schemes.iter().any(|s| s.name == name) {
                continue;
            }
            if let Some(kind) = self.security_kind(&scheme) {
                let description = scheme.node.get("description").and_then(Node::as_str).map(str::to_owned);
                self.api.security_schemes.push(SecurityScheme { name: name.to_owned(), kind, description });
            }
        }
        self.api.security_schemes.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(security) = root.get("security") {
            self.api.security = self.security(&security);
        }
        for (path, item) in self.entries(&root, "paths") {
            // `x-` keys of the Paths Object are extensions, not paths.
            if path.starts_with("x-") {
                continue;
            }
            let Some(item) = self.deref(item) else { continue };
            let shared_params = self.items(&item, "parameters");
            for (method_name, method) in METHODS {
                let Some(op) = item.get(method_name) else { continue };
                // Split layouts write whole operations as references to other files.
                let Some(op) = self.deref(op) else { continue };
                self.operation(path, method, &op, &shared_params);
            }
        }
        for (name, item) in self.entries(&root, "webhooks") {
            let Some(item) = self.deref(item) else { continue };
            for (method_name, method) in METHODS {
                let Some(op) = item.get(method_name) else { continue };
                let Some(op) = self.deref(op) else { continue };
                let hint = format!("{}Payload", naming::type_name(name, "Webhook"));
                let payload = match op.get("requestBody") {
                    Some(body) => self.body(body, &hint, name, &hint),
                    None => None,
                };
                let mut docs = docs_of(op.node);
                if docs.text.is_none() {
                    docs = docs_of(item.node);
                }
                self.api.webhooks.push(Webhook {
                    name: Name { wire: name.to_owned(), rust: naming::field_name(name) },
                    method,
                    docs,
                    payload,
                    delivery: Default::default(),
                    origin: self.loc(&op),
                });
            }
        }
    }

    fn operation(&mut self, path: &str, method: Method, op: &Ctx<'a>, shared: &[Ctx<'a>]) {
        let wire = op
            .node
            .get("operationId")
            .and_then(Node::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{} {path}", method.as_str().to_lowercase()));
        let base = naming::type_name(&wire, "Operation");
        let mut params: Vec<Param> = Vec::new();
        for param in shared.iter().chain(self.items(op, "parameters").iter()) {
            if let Some(param) = self.parameter(param, &base) {
                // An operation-level parameter replaces a path-level one with the same name and place.
                params.retain(|p| !(p.name.wire == param.name.wire && p.location == param.location));
                params.push(param);
            }
        }
        naming::dedupe(params.iter_mut().map(|p| &mut p.name.rust), true);
        let request = match op.get("requestBody") {
            Some(body) => self.body(body, &format!("{base}Request"), &wire, &base),
            None => None,
        };
        let mut responses = Vec::new();
        for (status, response) in self.entries(op, "responses") {
            if status.starts_with("x-") {
                continue;
            }
            let Some(response) = self.deref(response) else { continue };
            let hint = if status.starts_with('2')
                || status == "default" && !responses.iter().any(|r: &Response| r.status.is_success())
            {
                format!("{base}Response")
            } else {
                format!("{base}Response{}", status.to_upper_camel_case())
            };
            let body = self.content(&response, &hint, &wire, &base, false);
            let Some(status) = parse_status(status) else {
                let at = op.get("responses").and_then(|r| r.get(status)).unwrap_or_else(|| op.clone());
                self.error(
                    &at,
                    format!("`{status}` is not a response status"),
                    "a status code from 100 to 599, a range such as `4XX`, or `default`",
                );
                continue;
            };
            responses.push(Response { status, docs: docs_of(response.node), body });
        }
        responses.sort_by_key(|r| r.status);
        let streams = responses
            .iter()
            .filter(|r| r.status.is_success())
            .filter_map(|r| r.body.as_ref())
            .flat_map(|b| std::iter::once(&b.encoding).chain(b.alternatives.iter().map(|a| &a.encoding)))
            .any(|e| matches!(e, Encoding::EventStream(_)));
        let declared = params.len();
        if streams {
            params.retain(|p| {
                !(p.location == ParamLocation::Header && p.name.wire.eq_ignore_ascii_case("last-event-id"))
            });
        }
        let resumable = streams && (method == Method::Get || params.len() < declared);
        let segments = self.segments(op, path, &mut params);
        let security = op.get("security").map(|s| self.security(&s));
        self.api.operations.push(Operation {
            name: Name { rust: naming::method_name(&wire), wire },
            method,
            path: path.to_owned(),
            segments,
            security,
            docs: docs_of(op.node),
            params,
            request,
            responses,
            errors: Default::default(),
            paging: None,
            retry_safe: false,
            body_credentials: Vec::new(),
            resumable,
            origin: self.loc(op),
        });
    }

    /// One parameter (a Parameter Object or a reference to one); `None`, reported, when it has
    /// no name or no valid location.
    fn parameter(&mut self, param: &Ctx<'a>, base: &str) -> Option<Param> {
        let param = self.deref(param.clone())?;
        let Some(name) = param.node.get("name").and_then(Node::as_str) else {
            self.error(&param, "parameter has no `name`", "a parameter with `name` and `in`");
            return None;
        };
        let location = match param.node.get("in").and_then(Node::as_str) {
            Some("path") => ParamLocation::Path,
            Some("query") => ParamLocation::Query,
            Some("header") => ParamLocation::Header,
            Some("cookie") => ParamLocation::Cookie,
            other => {
                let at = param.get("in").unwrap_or_else(|| param.clone());
                self.error(&at, format!("parameter location {other:?} is not valid"), "`in: path|query|header|cookie`");
                return None;
            }
        };
        let hint = format!("{base}{}", name.to_upper_camel_case());
        let ty = match param.get("schema") {
            Some(schema) => self.schema(&schema, &hint, None, 0).ty,
            None => crate::ir::TypeRef::Primitive(crate::ir::Primitive::String),
        };
        let required =
            location == ParamLocation::Path || param.node.get("required").and_then(Node::as_bool) == Some(true);
        let default_style = match location {
            ParamLocation::Query | ParamLocation::Cookie => ParamStyle::Form,
            ParamLocation::Path | ParamLocation::Header => ParamStyle::Simple,
        };
        let style = match param.get("style") {
            None => default_style,
            Some(at) => match at.node.as_str() {
                Some("form") => ParamStyle::Form,
                Some("simple") => ParamStyle::Simple,
                Some("spaceDelimited") => ParamStyle::SpaceDelimited,
                Some("pipeDelimited") => ParamStyle::PipeDelimited,
                Some("deepObject") => ParamStyle::DeepObject,
                Some("label") => ParamStyle::Label,
                Some("matrix") => ParamStyle::Matrix,
                other => {
                    self.error(
                        &at,
                        format!("parameter style {other:?} is not valid"),
                        "one of form, simple, spaceDelimited, pipeDelimited, deepObject, label, matrix",
                    );
                    default_style
                }
            },
        };
        let explode = param.node.get("explode").and_then(Node::as_bool).unwrap_or(style == ParamStyle::Form);
        Some(Param {
            name: Name { wire: name.to_owned(), rust: naming::field_name(name) },
            location,
            ty,
            required,
            style,
            explode,
            docs: docs_of(param.node),
        })
    }

    fn body(&mut self, body: Ctx<'a>, hint: &str, item: &str, base: &str) -> Option<Body> {
        let body = self.deref(body)?;
        let required = body.node.get("required").and_then(Node::as_bool) == Some(true);
        self.content(&body, hint, item, base, true).map(|b| Body { required, ..b })
    }

    /// Splits a path template into literal text and parameters. A parameter the template names
    /// but the operation does not declare is added as a required string.
    fn segments(&mut self, op: &Ctx<'a>, path: &str, params: &mut Vec<Param>) -> Vec<PathSegment> {
        let mut segments = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                segments.push(PathSegment::Literal(rest[..open].to_owned()));
            }
            let Some(close) = rest[open..].find('}') else {
                self.error(op, format!("path `{path}` opens a parameter that is never closed"), "`{name}` pairs");
                return vec![PathSegment::Literal(path.to_owned())];
            };
            let name = &rest[open + 1..open + close];
            if name.is_empty() || name.contains('{') {
                self.error(op, format!("path `{path}` has an empty or nested parameter"), "`{name}` pairs");
                return vec![PathSegment::Literal(path.to_owned())];
            }
            if !params.iter().any(|p| p.location == ParamLocation::Path && p.name.wire == name) {
                params.push(Param {
                    name: Name { wire: name.to_owned(), rust: naming::field_name(name) },
                    location: ParamLocation::Path,
                    ty: crate::ir::TypeRef::Primitive(crate::ir::Primitive::String),
                    required: true,
                    style: ParamStyle::Simple,
                    explode: false,
                    docs: crate::ir::Docs::default(),
                });
                naming::dedupe(params.iter_mut().map(|p| &mut p.name.rust), true);
            }
            segments.push(PathSegment::Param(name.to_owned()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            segments.push(PathSegment::Literal(rest.to_owned()));
        }
        segments
    }

    /// The `servers` of a document.
    fn servers(&mut self, root: &Ctx<'a>) -> Vec<Server> {
        let mut servers = Vec::new();
        for server in self.items(root, "servers") {
            let Some(url) = server.node.get("url").and_then(Node::as_str) else {
                self.error(&server, "server has no `url`", "a server with a `url` string");
                continue;
            };
            let variables = self
                .entries(&server, "variables")
                .into_iter()
                .map(|(name, v)| ServerVariable {
                    name: name.to_owned(),
                    default: v.node.get("default").and_then(Node::scalar_text).unwrap_or_default(),
                    allowed: v
                        .node
                        .get("enum")
                        .and_then(Node::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Node::scalar_text)
                        .collect(),
                    description: v.node.get("description").and_then(Node::as_str).map(str::to_owned),
                })
                .collect();
            let description = server.node.get("description").and_then(Node::as_str).map(str::to_owned);
            servers.push(Server { url: url.to_owned(), description, variables });
        }
        servers
    }

    /// A security scheme's kind; `None` (with a diagnostic) when it is malformed.
    fn security_kind(&mut self, scheme: &Ctx<'a>) -> Option<SecurityKind> {
        let text = |key: &str| scheme.node.get(key).and_then(Node::as_str);
        match text("type") {
            Some("http") => match text("scheme").map(str::to_ascii_lowercase).as_deref() {
                Some("bearer") => Some(SecurityKind::Bearer),
                Some("basic") => Some(SecurityKind::Basic),
                other => Some(SecurityKind::Other(format!("http {}", other.unwrap_or("")))),
            },
            Some("apiKey") => {
                let location = match text("in") {
                    Some("header") => ParamLocation::Header,
                    Some("query") => ParamLocation::Query,
                    Some("cookie") => ParamLocation::Cookie,
                    other => {
                        let at = scheme.get("in").unwrap_or_else(|| scheme.clone());
                        self.error(
                            &at,
                            format!("API key location {other:?} is not valid"),
                            "`in: header|query|cookie`",
                        );
                        return None;
                    }
                };
                let Some(name) = text("name") else {
                    self.error(scheme, "API key scheme has no `name`", "the header, parameter or cookie name");
                    return None;
                };
                Some(SecurityKind::ApiKey { location, name: name.to_owned() })
            }
            Some(other) => Some(SecurityKind::Other(other.to_owned())),
            None => {
                self.error(
                    scheme,
                    "security scheme has no `type`",
                    "`type: http|apiKey|oauth2|openIdConnect|mutualTLS`",
                );
                None
            }
        }
    }

    /// A list of security requirements: each a set of scheme names.
    fn security(&mut self, list: &Ctx<'a>) -> Vec<SecurityRequirement> {
        let Some(items) = list.node.as_seq() else {
            self.error(list, "`security` is not a list", "a list of security requirement objects");
            return Vec::new();
        };
        items
            .iter()
            .map(|item| {
                let mut names: Vec<String> = item.as_map().map(|m| m.keys().cloned().collect()).unwrap_or_default();
                names.sort();
                names
            })
            .collect()
    }

    /// The body of a request or response: JSON if offered, else the first media type, read
    /// by its [`Encoding`], and the other media types, one per encoding. `item` names the
    /// operation or webhook in warnings; `base` is the start of the names of the types made
    /// for it.
    fn content(&mut self, holder: &Ctx<'a>, hint: &str, item: &str, base: &str, request: bool) -> Option<Body> {
        let entries = self.entries(holder, "content");
        let chosen = entries
            .iter()
            .position(|(m, _)| essence(m) == "application/json")
            .or_else(|| entries.iter().position(|(m, _)| is_json(&essence(m))))
            .or_else(|| (!entries.is_empty()).then_some(0))?;
        let (media_type, media) = entries.get(chosen)?.clone();
        let (encoding, ty) = self.media(media_type, &media, hint, item, base, request);
        let mut offered = vec![(encoding.word(), media_type)];
        let mut alternatives = Vec::new();
        for (i, (other, other_media)) in entries.iter().enumerate() {
            if i == chosen {
                continue;
            }
            let other_hint =
                format!("{hint}{}", essence(other).rsplit(['/', '+']).next().unwrap_or("").to_upper_camel_case());
            let (encoding, ty) = self.media(other, other_media, &other_hint, item, base, request);
            if let Some((_, first)) = offered.iter().find(|(word, _)| *word == encoding.word()) {
                // One method per encoding: JSON is JSON, and bytes keep their media type in a
                // download and name it in an upload; other kinds of text are sent as the first
                // one listed.
                // An upload names its own media type (`Upload::content_type`).
                if !matches!(encoding, Encoding::Json | Encoding::Binary) {
                    self.warn(
                        other_media,
                        format!("`{item}`: `{other}` is offered as `{first}`, the body's first media type of its kind"),
                        "one media type per kind of body (JSON, form, multipart, text, bytes)",
                    );
                }
                continue;
            }
            offered.push((encoding.word(), other));
            alternatives.push(crate::ir::Alternative { media_type: (*other).to_owned(), encoding, ty });
        }
        Some(Body { media_type: media_type.to_owned(), encoding, ty, required: true, alternatives })
    }

    /// How one media type of a body is written, and its type.
    fn media(
        &mut self,
        media_type: &str,
        media: &Ctx<'a>,
        hint: &str,
        item: &str,
        base: &str,
        request: bool,
    ) -> (Encoding, crate::ir::TypeRef) {
        let schema = media.get("schema");
        let binary_schema = schema.as_ref().is_some_and(|s| is_binary(s.node));
        let kind = essence(media_type);
        let string = crate::ir::TypeRef::Primitive(crate::ir::Primitive::String);
        let (encoding, ty) = if is_json(&kind) {
            let ty = match &schema {
                Some(schema) => self.schema(schema, hint, None, 0).ty,
                None => crate::ir::TypeRef::Any,
            };
            (Encoding::Json, ty)
        } else if kind == "application/x-www-form-urlencoded" {
            let ty = match &schema {
                Some(schema) => self.schema(schema, hint, None, 0).ty,
                None => string,
            };
            (Encoding::Form, ty)
        } else if kind == "multipart/form-data" && request {
            match &schema {
                Some(schema) => (Encoding::Multipart(self.multipart(schema, media, base)), string),
                None => {
                    self.warn(
                        media,
                        format!("`{item}`: the multipart body has no schema, so it is sent as bytes"),
                        "a `schema` of the parts",
                    );
                    (Encoding::Binary, string)
                }
            }
        } else if kind == "text/event-stream" && !request {
            match media.get("itemSchema").or(schema) {
                Some(item) if self.is_event_item(&item) => self.event_items(&item, hint),
                Some(schema) if !binary_schema => {
                    (Encoding::EventStream(Vec::new()), self.schema(&schema, hint, None, 0).ty)
                }
                _ => (Encoding::EventStream(Vec::new()), string),
            }
        } else if binary_schema || is_binary_media(&kind) {
            (Encoding::Binary, string)
        } else if is_text_media(&kind) {
            (Encoding::Text, string)
        } else {
            self.warn(
                media,
                format!("`{item}`: media type `{media_type}` is not handled; the body is sent and received as bytes"),
                "JSON, a form, multipart/form-data (requests), text/event-stream (responses), text, or binary data",
            );
            (Encoding::Binary, string)
        };
        (encoding, ty)
    }

    /// The parts of a multipart body, one per property of its schema.
    fn multipart(&mut self, schema: &Ctx<'a>, media: &Ctx<'a>, base: &str) -> Multipart {
        let mut view = ObjectView::default();
        self.collect_object(schema, &mut view, 0);
        let mut parts = Vec::new();
        for (name, written) in &view.props {
            let prop = self.deref_schema(written.clone());
            let content_type = media
                .node
                .get("encoding")
                .and_then(|e| e.get(name))
                .and_then(|e| e.get("contentType"))
                .and_then(Node::as_str)
                .map(str::to_owned);
            let array = prop.node.get("type").and_then(Node::as_str) == Some("array");
            // The item as written (so a `$ref` names its type) and as it reads.
            let (item, repeated) = match prop.get("items") {
                Some(items) if array => (items, true),
                _ => (written.clone(), false),
            };
            let read = self.deref_schema(item.clone());
            let hint = format!("{base}{}", name.to_upper_camel_case());
            let kind = if is_binary(read.node) {
                PartKind::File
            } else {
                let object = read.node.get("type").and_then(Node::as_str) == Some("object")
                    || read.node.get("properties").is_some()
                    || ["allOf", "oneOf", "anyOf"].iter().any(|k| read.node.get(k).is_some());
                let ty = self.schema(&item, &hint, None, 0).ty;
                if object { PartKind::Json(ty) } else { PartKind::Text(ty) }
            };
            parts.push(Part {
                name: Name { wire: (*name).to_owned(), rust: naming::field_name(name) },
                kind,
                required: view.required.contains(*name),
                repeated,
                content_type,
                docs: docs_of(prop.node),
            });
        }
        naming::dedupe(parts.iter_mut().map(|p| &mut p.name.rust), true);
        Multipart { rust: format!("{base}Multipart"), parts, docs: docs_of(schema.node) }
    }

    /// True for a schema of whole events (OpenAPI 3.2's `itemSchema` of an event stream): an
    /// object with a `data` property and no properties but the event fields.
    fn is_event_item(&mut self, schema: &Ctx<'a>) -> bool {
        let schema = self.deref_schema(schema.clone());
        let Some(props) = schema.node.get("properties").and_then(Node::as_map) else { return false };
        props.contains_key("data") && props.keys().all(|k| matches!(k.as_str(), "data" | "event" | "id" | "retry"))
    }

    /// The kinds of event of a schema of whole events: one per member of its `oneOf`/`anyOf`
    /// whose `event` is a constant, each with its data's type; without members, the one type of
    /// its data.
    fn event_items(&mut self, item: &Ctx<'a>, hint: &str) -> (Encoding, crate::ir::TypeRef) {
        let item = self.deref_schema(item.clone());
        let members: Vec<Ctx<'a>> = ["oneOf", "anyOf"].iter().flat_map(|k| self.items(&item, k)).collect();
        let data_of = |member: &Ctx<'a>| member.get("properties").and_then(|p| p.get("data"));
        let mut events = Vec::new();
        for member in &members {
            let member = self.deref_schema(member.clone());
            let event = member.node.get("properties").and_then(|p| p.get("event"));
            let name = event
                .and_then(|e| {
                    e.get("const").or_else(|| e.get("enum").and_then(|v| v.as_seq()).filter(|v| v.len() == 1)?.first())
                })
                .and_then(Node::as_str);
            let Some(name) = name else {
                self.warn(
                    &member,
                    "an event kind without a constant `event` is read as the other events",
                    "`properties: {event: {const: NAME}}`",
                );
                continue;
            };
            let Some(data) = data_of(&member).or_else(|| data_of(&item)) else { continue };
            let ty = self.event_data(&data, &format!("{hint}{}", name.to_upper_camel_case()));
            events.push(crate::ir::NamedEvent {
                name: Name { wire: name.to_owned(), rust: naming::type_name(name, "Event") },
                ty,
            });
        }
        // `Other` is the variant of the kinds the spec does not name.
        let mut other = "Other".to_owned();
        naming::dedupe(std::iter::once(&mut other).chain(events.iter_mut().map(|e| &mut e.name.rust)), false);
        let ty = match data_of(&item) {
            Some(data) if events.is_empty() => self.event_data(&data, hint),
            _ => crate::ir::TypeRef::Primitive(crate::ir::Primitive::String),
        };
        (Encoding::EventStream(events), ty)
    }

    /// The type of an event's data: its `contentSchema` (JSON text), else its schema.
    fn event_data(&mut self, data: &Ctx<'a>, hint: &str) -> crate::ir::TypeRef {
        let read = self.deref_schema(data.clone());
        match read.get("contentSchema") {
            Some(content) => self.schema(&content, hint, None, 0).ty,
            None => self.schema(data, hint, None, 0).ty,
        }
    }

    /// A schema with its `$ref` chain followed (a broken one stays as it is; the type lowering
    /// reports it).
    fn deref_schema(&mut self, schema: Ctx<'a>) -> Ctx<'a> {
        let mut current = schema;
        for _ in 0..=self.config.ref_chain {
            let Some(reference) = current.node.get("$ref").and_then(Node::as_str) else { break };
            match self.ws.resolve(current.doc, reference) {
                Ok((target, node)) => current = Ctx { doc: target.doc, pointer: target.pointer, node },
                Err(_) => break,
            }
        }
        current
    }
}

/// A media type without parameters, in lower case (`Application/JSON; charset=utf-8` →
/// `application/json`).
fn essence(media_type: &str) -> String {
    media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn is_json(essence: &str) -> bool {
    essence == "application/json" || essence.ends_with("+json") || essence.ends_with("/json")
}

/// A string schema of binary content: `format: binary`, or 3.1's `contentMediaType` without a
/// `contentEncoding` (which would make it text, such as base64).
fn is_binary(schema: &Node) -> bool {
    let string = schema.get("type").and_then(Node::as_str).is_none_or(|t| t == "string");
    string
        && (schema.get("format").and_then(Node::as_str) == Some("binary")
            || schema.get("contentMediaType").is_some() && schema.get("contentEncoding").is_none())
}

/// Media types of bytes: whatever their schema says, their bodies are not text.
fn is_binary_media(essence: &str) -> bool {
    let (kind, sub) = essence.split_once('/').unwrap_or((essence, ""));
    matches!(kind, "image" | "audio" | "video" | "font" | "*")
        || essence == "application/*"
        || matches!(
            sub,
            "octet-stream"
                | "pdf"
                | "zip"
                | "gzip"
                | "x-tar"
                | "x-gzip"
                | "x-7z-compressed"
                | "wasm"
                | "vnd.apache.parquet"
        )
}

/// Media types of text.
fn is_text_media(essence: &str) -> bool {
    let (kind, sub) = essence.split_once('/').unwrap_or((essence, ""));
    kind == "text"
        || sub.ends_with("+xml")
        || matches!(sub, "xml" | "javascript" | "ecmascript" | "x-yaml" | "yaml" | "x-ndjson" | "graphql" | "sql")
}

/// `200`, `4XX` (or `4xx`), `default`.
fn parse_status(text: &str) -> Option<Status> {
    if text == "default" {
        return Some(Status::Default);
    }
    let &[class, tens, ones] = text.as_bytes() else { return None };
    if !(b'1'..=b'5').contains(&class) {
        return None;
    }
    if tens.is_ascii_digit() && ones.is_ascii_digit() {
        return text.parse().ok().map(Status::Code);
    }
    (tens.eq_ignore_ascii_case(&b'X') && ones.eq_ignore_ascii_case(&b'X')).then(|| Status::Range(class - b'0'))
}

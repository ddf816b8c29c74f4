//! OpenAPI 3.0/3.1: operations from `paths`, webhooks from `webhooks`.

use heck::ToUpperCamelCase;

use super::{Ctx, Lowerer, docs_of};
use crate::ir::{
    Body, Method, Name, Operation, Param, ParamLocation, ParamStyle, PathSegment, Response, SecurityKind,
    SecurityRequirement, SecurityScheme, Server, ServerVariable, Status, Webhook,
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
                    Some(body) => self.body(body, &hint),
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
            Some(body) => self.body(body, &format!("{base}Request")),
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
            let body = self.content(&response, &hint);
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

    fn body(&mut self, body: Ctx<'a>, hint: &str) -> Option<Body> {
        let body = self.deref(body)?;
        let required = body.node.get("required").and_then(Node::as_bool) == Some(true);
        self.content(&body, hint).map(|b| Body { required, ..b })
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

    /// The body of a request or response: JSON if offered, else the first media type.
    fn content(&mut self, holder: &Ctx<'a>, hint: &str) -> Option<Body> {
        let entries = self.entries(holder, "content");
        let (media_type, media) = entries
            .iter()
            .find(|(m, _)| *m == "application/json")
            .or_else(|| entries.iter().find(|(m, _)| m.ends_with("+json") || m.ends_with("/json")))
            .or_else(|| entries.first())?
            .clone();
        let json = media_type.contains("json");
        let ty = match media.get("schema") {
            Some(schema)
                if json
                    || media_type.starts_with("application/x-www-form-urlencoded")
                    || media_type.starts_with("multipart/") =>
            {
                self.schema(&schema, hint, None, 0).ty
            }
            Some(_) | None if !json => crate::ir::TypeRef::Primitive(crate::ir::Primitive::String),
            _ => crate::ir::TypeRef::Any,
        };
        Some(Body { media_type: media_type.to_owned(), ty, required: true })
    }
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

//! OpenAPI 3.0/3.1: operations from `paths`, webhooks from `webhooks`.

use heck::ToUpperCamelCase;

use super::{Ctx, Lowerer, docs_of};
use crate::ir::{Body, Method, Name, Operation, Param, ParamLocation, Response, Webhook};
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
        for (path, item) in root.entries("paths") {
            // `x-` keys of the Paths Object are extensions, not paths.
            if path.starts_with("x-") {
                continue;
            }
            let Some(item) = self.deref(item) else { continue };
            let shared_params = item.items("parameters");
            for (method_name, method) in METHODS {
                let Some(op) = item.get(method_name) else { continue };
                // Split layouts write whole operations as references to other files.
                let Some(op) = self.deref(op) else { continue };
                self.operation(path, method, &op, &shared_params);
            }
        }
        for (name, item) in root.entries("webhooks") {
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
        for param in shared.iter().chain(op.items("parameters").iter()) {
            let Some(param) = self.deref(param.clone()) else { continue };
            let Some(name) = param.node.get("name").and_then(Node::as_str) else {
                self.error(&param, "parameter has no `name`", "a parameter with `name` and `in`");
                continue;
            };
            let location = match param.node.get("in").and_then(Node::as_str) {
                Some("path") => ParamLocation::Path,
                Some("query") => ParamLocation::Query,
                Some("header") => ParamLocation::Header,
                Some("cookie") => ParamLocation::Cookie,
                other => {
                    let at = param.get("in").unwrap_or_else(|| param.clone());
                    self.error(
                        &at,
                        format!("parameter location {other:?} is not valid"),
                        "`in: path|query|header|cookie`",
                    );
                    continue;
                }
            };
            let hint = format!("{base}{}", name.to_upper_camel_case());
            let ty = match param.get("schema") {
                Some(schema) => self.schema(&schema, &hint, None, 0).ty,
                None => crate::ir::TypeRef::Primitive(crate::ir::Primitive::String),
            };
            let required =
                location == ParamLocation::Path || param.node.get("required").and_then(Node::as_bool) == Some(true);
            // An operation-level parameter replaces a path-level one with the same name and place.
            params.retain(|p| !(p.name.wire == name && p.location == location));
            params.push(Param {
                name: Name { wire: name.to_owned(), rust: naming::field_name(name) },
                location,
                ty,
                required,
                docs: docs_of(param.node),
            });
        }
        naming::dedupe(params.iter_mut().map(|p| &mut p.name.rust), true);
        let request = match op.get("requestBody") {
            Some(body) => self.body(body, &format!("{base}Request")),
            None => None,
        };
        let mut responses = Vec::new();
        for (status, response) in op.entries("responses") {
            if status.starts_with("x-") {
                continue;
            }
            let Some(response) = self.deref(response) else { continue };
            let hint = if status.starts_with('2')
                || status == "default" && !responses.iter().any(|r: &Response| r.status.starts_with('2'))
            {
                format!("{base}Response")
            } else {
                format!("{base}Response{}", status.to_upper_camel_case())
            };
            let body = self.content(&response, &hint);
            responses.push(Response { status: status.to_owned(), docs: docs_of(response.node), body });
        }
        responses.sort_by(|a, b| a.status.cmp(&b.status));
        self.api.operations.push(Operation {
            name: Name { wire, rust: naming::field_name(&base) },
            method,
            path: path.to_owned(),
            docs: docs_of(op.node),
            params,
            request,
            responses,
            origin: self.loc(op),
        });
    }

    fn body(&mut self, body: Ctx<'a>, hint: &str) -> Option<Body> {
        let body = self.deref(body)?;
        self.content(&body, hint)
    }

    /// The body of a request or response: JSON if offered, else the first media type.
    fn content(&mut self, holder: &Ctx<'a>, hint: &str) -> Option<Body> {
        let entries = holder.entries("content");
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
        Some(Body { media_type: media_type.to_owned(), ty })
    }
}

//! Checks of the codegen config against the lowered API: settings that name properties
//! (auth fields, pagination paths) must name properties the spec declares, so a typo fails at
//! generation time instead of producing a client that silently never paginates.

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::ir::{Api, TypeKind, TypeRef};
use crate::naming;

/// The named struct behind a type, if any (following aliases).
fn struct_fields<'a>(api: &'a Api, ty: &TypeRef) -> Option<&'a [crate::ir::Field]> {
    let mut current = ty;
    for _ in 0..api.types.len() + 1 {
        let TypeRef::Named(id) = current else { return None };
        match &api.ty(*id).kind {
            TypeKind::Struct(s) => return Some(&s.fields),
            TypeKind::Alias(next) => current = next,
            _ => return None,
        }
    }
    None
}

/// True when `path` (`A.B.C`, wire names) leads through struct fields of `ty`.
fn has_path(api: &Api, ty: &TypeRef, path: &[&str]) -> bool {
    let Some((first, rest)) = path.split_first() else { return true };
    struct_fields(api, ty)
        .and_then(|fields| fields.iter().find(|f| f.name.wire == *first))
        .is_some_and(|field| has_path(api, &field.ty, rest))
}

/// Every problem with the config's property references.
pub fn config_against_api(config: &Config, api: &Api) -> Vec<Diagnostic> {
    let mut diags: Vec<Diagnostic> = rate_limit_credential(config, api).into_iter().collect();
    let requests: Vec<&TypeRef> = api.operations.iter().filter_map(|op| op.request.as_ref().map(|b| &b.ty)).collect();
    let responses: Vec<&TypeRef> = api
        .operations
        .iter()
        .flat_map(|op| op.responses.iter().filter(|r| r.status.is_success()))
        .filter_map(|r| r.body.as_ref().map(|b| &b.ty))
        .collect();
    if requests.is_empty() {
        return diags;
    }
    // Analysis took the credential body fields out of the request types and noted them.
    for (i, field) in config.auth.body_fields.iter().enumerate() {
        let declared = api.operations.iter().any(|op| op.body_credentials.iter().any(|c| &c.wire == field));
        if !declared && !requests.iter().any(|ty| has_path(api, ty, &[field.as_str()])) {
            diags.push(
                Diagnostic::new(
                    config.origin(&format!("/auth/body_fields/{i}")),
                    format!("auth body field `{field}` is not a property of any request body"),
                )
                .expected("the wire name of a property that request bodies declare"),
            );
        }
    }
    // Listener and pusher examples name a channel.
    let channel_examples = config
        .client
        .examples
        .iter()
        .filter_map(|e| e.channel.as_ref().map(|c| (c, "client", &e.name)))
        .chain(config.server.examples.iter().filter_map(|e| e.channel.as_ref().map(|c| (c, "server", &e.name))));
    for (channel, kind, name) in channel_examples {
        if !api.channels.iter().any(|c| &c.name.wire == channel) {
            let known: Vec<&str> = api.channels.iter().map(|c| c.name.wire.as_str()).collect();
            diags.push(
                Diagnostic::new(
                    config.origin(&format!("/crates/{kind}/examples/{name}/channel")),
                    format!("example channel `{channel}` does not exist"),
                )
                .expected(if known.is_empty() {
                    "a channel of the API (this API has none)".to_owned()
                } else {
                    format!("a channel of the API: `{}`", known.join("`, `"))
                }),
            );
        }
    }
    for example in config.client.examples.iter().filter(|e| config.client.enabled && e.channel.is_none()) {
        diags.extend(operation_example(config, api, example));
    }
    if let Some(pagination) = &config.pagination {
        for (key, path, bodies) in [
            ("request_cursor", &pagination.request_cursor, &requests),
            ("request_count", &pagination.request_count, &requests),
            ("response_cursor", &pagination.response_cursor, &responses),
        ] {
            let segments: Vec<&str> = path.split('.').collect();
            if !bodies.iter().any(|ty| has_path(api, ty, &segments)) {
                diags.push(
                    Diagnostic::new(
                        config.origin(&format!("/pagination/{key}")),
                        format!(
                            "pagination `{key}: {path}` matches no operation's {}",
                            key.split('_').next().unwrap_or(key)
                        ),
                    )
                    .expected("a dotted path of property wire names, such as `Limitation.Cursor`"),
                );
            }
        }
    }
    diags
}

/// The credential a client rate limit is counted per must be one of the client's, holding one
/// secret (an access token, not a user and a password).
fn rate_limit_credential(config: &Config, api: &Api) -> Option<Diagnostic> {
    use crate::ir::{Applied, Carried};
    let per = config.client.rate_limit.as_ref()?.per.as_ref()?;
    let single = |c: &&crate::ir::Credential| c.carried != Carried::Scheme(Applied::Basic);
    if api.credentials.iter().filter(single).any(|c| &c.wire == per) {
        return None;
    }
    let known: Vec<&str> = api.credentials.iter().filter(single).map(|c| c.wire.as_str()).collect();
    Some(
        Diagnostic::new(
            config.origin("/crates/client/rate_limit/per"),
            format!("the rate limit is counted per `{per}`, which is no credential of the client"),
        )
        .expected(if known.is_empty() {
            "no `per` (this API's client has no credential holding one secret)".to_owned()
        } else {
            format!("one of the client's credentials: `{}`", known.join("`, `"))
        }),
    )
}

/// Problems of a client example that calls an operation: the operation must exist and take a
/// JSON body, each option must set a property of it, and every required property must be set.
fn operation_example(config: &Config, api: &Api, example: &crate::config::Example) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let at = |key: &str| config.origin(&format!("/crates/client/examples/{}/{key}", example.name));
    let Some(op) = api.operations.iter().find(|op| op.name.wire == example.operation) else {
        let known: Vec<&str> = api.operations.iter().map(|op| op.name.wire.as_str()).take(5).collect();
        diags.push(
            Diagnostic::new(at("operation"), format!("example operation `{}` does not exist", example.operation))
                .expected(format!("an operation id of the API, such as `{}`", known.join("`, `"))),
        );
        return diags;
    };
    let Some(request) = op.request.as_ref().map(|b| &b.ty) else {
        diags.push(
            Diagnostic::new(
                at("operation"),
                format!("example operation `{}` takes no request body", example.operation),
            )
            .expected("an operation whose options set properties of its JSON request body"),
        );
        return diags;
    };
    // The program's own options: the base URL, help, and one per credential (a basic-auth one
    // also takes a user).
    let mut own = vec!["base-url".to_owned(), "help".to_owned()];
    for credential in &api.credentials {
        let flag = naming::unraw(&naming::field_name(&credential.wire)).replace('_', "-");
        if credential.carried == crate::ir::Carried::Scheme(crate::ir::Applied::Basic) {
            own.push(format!("{flag}-user"));
        }
        own.push(flag);
    }
    for arg in example.args.iter().filter(|arg| own.contains(&arg.flag)) {
        diags.push(
            Diagnostic::new(at("args"), format!("example option `--{}` is already an option of the program", arg.flag))
                .expected(format!("an option name other than `{}`", own.join("`, `"))),
        );
    }
    for arg in &example.args {
        let segments: Vec<&str> = arg.field.split('.').collect();
        if !has_path(api, request, &segments) {
            let pointer = format!("/crates/client/examples/{}/args/{}", example.name, arg.flag);
            let location = config
                .origins
                .get(&pointer)
                .or_else(|| config.origins.get(&format!("{pointer}/field")))
                .cloned()
                .unwrap_or_else(|| at("args"));
            diags.push(
                Diagnostic::new(
                    location,
                    format!(
                        "example option `--{}` sets `{}`, which the request of `{}` does not have",
                        arg.flag, arg.field, example.operation
                    ),
                )
                .expected("a dotted path of property wire names of the request body, such as `Limitation.Count`"),
            );
        }
    }
    if diags.is_empty() {
        if let Err(problem) = crate::analyze::example_plan(api, example) {
            diags.push(
                Diagnostic::new(at("operation"), format!("example `{}`: {problem}", example.name))
                    .expected("options that set every required property of the request body without a value"),
            );
        }
    }
    diags
}

//! Checks of the codegen config against the lowered API: settings that name properties
//! (auth fields, pagination paths) must name properties the spec declares, so a typo fails at
//! generation time instead of producing a client that silently never paginates.

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::ir::{Api, TypeKind, TypeRef};

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
    let mut diags = Vec::new();
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
    for (i, field) in config.auth.body_fields.iter().enumerate() {
        if !requests.iter().any(|ty| has_path(api, ty, &[field.as_str()])) {
            diags.push(
                Diagnostic::new(
                    config.origin(&format!("/auth/body_fields/{i}")),
                    format!("auth body field `{field}` is not a property of any request body"),
                )
                .expected("the wire name of a property that request bodies declare"),
            );
        }
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

//! Paging plans: how a cursor-paginated listing is followed, or why it cannot be.

use crate::config::Pagination;
use crate::ir::{Api, Field, Operation, Paging, Presence, Status, TypeRef};

/// What a listing needs to stream, said with each warning.
pub(super) const EXPECTED: &str = "a JSON request whose body leads to the request cursor through required fields, \
    one page type for every success with content, a response cursor of the request cursor's type, and one item \
    list (the page's only list, or the one `pagination.items` names for the operation)";

/// How a listing is followed, when it can be: a JSON request without parameters whose body
/// leads to the request cursor, one page type for every success with content (a success without
/// content ends the listing), a response cursor of the request cursor's type, and one item list
/// (named by `pagination.items`, or the page's only list). Runs after the isolated lists are
/// marked.
///
/// `Err(None)`: the operation is no listing with a cursor (its request has no request cursor or
/// no success body has the response cursor). `Err(Some(reason))`: it is one, and cannot stream.
pub(super) fn paging(api: &Api, op: &Operation, pagination: &Pagination) -> Result<Paging, Option<String>> {
    let request = op.request.as_ref().and_then(|r| r.json()).ok_or(None)?;
    let pages: Vec<&TypeRef> =
        op.responses.iter().filter(|r| r.status.is_success()).filter_map(|r| r.body.as_ref()?.json()).collect();
    let listing = reaches(api, request, &pagination.request_cursor)
        && pages.iter().any(|page| reaches(api, page, &pagination.response_cursor));
    if !listing {
        return Err(None);
    }
    if !op.params.is_empty() {
        return Err(Some("it has parameters besides its body".into()));
    }
    let mut page = None;
    let mut or_none = false;
    for r in op.responses.iter().filter(|r| r.status.is_success()) {
        match (r.status, r.body.as_ref()) {
            (Status::Code(204 | 205), _) | (_, None) => or_none = true,
            (_, Some(body)) => match body.json() {
                Some(ty) if page.is_none_or(|page| page == ty) => page = Some(ty),
                _ => return Err(Some("its successes answer with different bodies".into())),
            },
        }
    }
    let page = page.ok_or(None)?;
    // The cursor goes into the request's JSON at its wire path, so the request type only has to
    // lead there.
    let (_, cursor_in) = field_path(api, request, &pagination.request_cursor)
        .ok_or_else(|| format!("a field on the way to `{}` in its request is optional", pagination.request_cursor))?;
    let (cursor, cursor_out) = field_path(api, page, &pagination.response_cursor)
        .ok_or_else(|| format!("its page has no plain way to `{}`", pagination.response_cursor))?;
    if cursor_in.ty != cursor_out.ty {
        return Err(Some("the request's cursor and the page's cursor have different types".into()));
    }
    let page_struct = api.struct_of(page).ok_or(None)?;
    let items = match pagination.items.get(&op.name.wire) {
        Some(name) => page_struct
            .fields
            .iter()
            .find(|f| &f.name.wire == name)
            .ok_or_else(|| format!("its page has no field `{name}`, which `pagination.items` names"))?,
        None => {
            let lists: Vec<&Field> = page_struct.fields.iter().filter(|f| matches!(f.ty, TypeRef::List(_))).collect();
            match lists.as_slice() {
                [only] => *only,
                [] => return Err(Some("its page has no list".into())),
                several => {
                    let names: Vec<&str> = several.iter().map(|f| f.name.wire.as_str()).collect();
                    return Err(Some(format!(
                        "its page has several lists (`{}`): `pagination.items` must name the one that is paged",
                        names.join("`, `")
                    )));
                }
            }
        }
    };
    let TypeRef::List(item) = &items.ty else {
        return Err(Some(format!("`{}`, which `pagination.items` names, is not a list", items.name.wire)));
    };
    Ok(Paging {
        request: request.clone(),
        page: page.clone(),
        or_none,
        request_cursor: pagination.request_cursor.clone(),
        response_cursor: pagination.response_cursor.clone(),
        cursor,
        cursor_presence: cursor_out.presence,
        items: items.name.rust.clone(),
        items_presence: items.presence,
        item: (**item).clone(),
        isolated: items.isolated,
    })
}

/// True when a dotted path of wire names leads through struct fields, whatever their presence.
fn reaches(api: &Api, ty: &TypeRef, path: &str) -> bool {
    let mut current = ty.clone();
    for segment in path.split('.') {
        let Some(field) = api.struct_of(&current).and_then(|s| s.fields.iter().find(|f| f.name.wire == segment)) else {
            return false;
        };
        current = field.ty.clone();
    }
    true
}

/// Follows a dotted path of wire names through struct fields: the Rust field names and the last
/// field. Every field before the last must be plain (required and not null).
fn field_path<'a>(api: &'a Api, ty: &TypeRef, path: &str) -> Option<(Vec<String>, &'a Field)> {
    let mut current = ty.clone();
    let mut names = Vec::new();
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let s = api.struct_of(&current)?;
        let field = s.fields.iter().find(|f| f.name.wire == *segment)?;
        names.push(field.name.rust.clone());
        if i + 1 == segments.len() {
            return Some((names, field));
        }
        if field.presence != Presence::Plain {
            return None;
        }
        current = field.ty.clone();
    }
    None
}

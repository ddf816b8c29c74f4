//! Analysis: what the lowered IR means for the crates, decided once, after lowering, and
//! recorded on the IR so that every emitter reads the same answer instead of working it out
//! again: how each webhook's deliveries and each channel's frames become events
//! ([`Delivery`]), and what an operation's error responses carry ([`ErrorBodies`]). Field presence is decided in lowering itself ([`crate::ir::Presence`]).

use crate::ir::{Api, Delivery, ErrorBodies, Operation, Tagging, TypeId, TypeKind, TypeRef};

/// Records on `api` what the emitters read: each operation's [`ErrorBodies`], each webhook's
/// and each channel's [`Delivery`].
pub fn analyze(api: &mut Api) {
    for op in &mut api.operations {
        op.errors = errors(op);
    }
    let webhooks: Vec<Delivery> = api
        .webhooks
        .iter()
        .map(|w| {
            // A body that is not JSON (or none at all) is one value, read as any JSON.
            let ty = match &w.payload {
                Some(body) if body.media_type.contains("json") => body.ty.clone(),
                _ => TypeRef::Any,
            };
            delivery(api, &ty)
        })
        .collect();
    let channels: Vec<Delivery> =
        api.channels.iter().map(|c| c.received.as_ref().map_or(Delivery::Nothing, |ty| delivery(api, ty))).collect();
    for (w, d) in api.webhooks.iter_mut().zip(webhooks) {
        w.delivery = d;
    }
    for (c, d) in api.channels.iter_mut().zip(channels) {
        c.delivery = d;
    }
}

/// One JSON type shared by every error response with a body, or several kinds.
fn errors(op: &Operation) -> ErrorBodies {
    let mut bodies = op.responses.iter().filter(|r| !r.status.is_success()).filter_map(|r| r.body.as_ref());
    let Some(first) = bodies.next() else { return ErrorBodies::None };
    let json = |media: &str| media.contains("json");
    if json(&first.media_type) && bodies.all(|b| json(&b.media_type) && b.ty == first.ty) {
        ErrorBodies::One(first.ty.clone())
    } else {
        ErrorBodies::Several
    }
}

/// The one rule for every received payload: a tagged union is one event; a struct with exactly
/// one list of a tagged union, required (nullable or not), is a batch of events; anything else
/// is one value.
fn delivery(api: &Api, ty: &TypeRef) -> Delivery {
    if let Some(union) = tagged_union(api, ty) {
        return Delivery::Tagged { ty: ty.clone(), union };
    }
    let Some(envelope) = api.struct_id(ty) else { return Delivery::Whole { ty: ty.clone() } };
    let TypeKind::Struct(s) = &api.ty(envelope).kind else { return Delivery::Whole { ty: ty.clone() } };
    let lists: Vec<(usize, &TypeRef, TypeId)> = s
        .fields
        .iter()
        .enumerate()
        .filter_map(|(index, f)| match &f.ty {
            TypeRef::List(item) => tagged_union(api, item).map(|union| (index, &**item, union)),
            _ => None,
        })
        .collect();
    match lists.as_slice() {
        [(field, item, union)] if s.fields.get(*field).is_some_and(|f| f.required) => {
            Delivery::Batch { ty: ty.clone(), envelope, field: *field, item: (*item).clone(), union: *union }
        }
        _ => Delivery::Whole { ty: ty.clone() },
    }
}

/// The tagged union (with at least one variant) a type is, following aliases.
fn tagged_union(api: &Api, ty: &TypeRef) -> Option<TypeId> {
    let mut current = ty;
    for _ in 0..=api.types.len() {
        let TypeRef::Named(id) = current else { return None };
        match &api.ty(*id).kind {
            TypeKind::Union(u) if u.tagging != Tagging::Untagged && !u.variants.is_empty() => return Some(*id),
            TypeKind::Alias(next) => current = next,
            _ => return None,
        }
    }
    None
}

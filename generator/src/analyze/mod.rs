//! Analysis: what the lowered IR means for the crates, decided once, after lowering, and
//! recorded on the IR so that every emitter reads the same answer instead of working it out
//! again: how each webhook's deliveries and each channel's frames become events
//! ([`Delivery`], with the entity each event of a batch names), which lists decode item by item
//! ([`crate::ir::Field::isolated`]), and what an operation's error responses carry
//! ([`ErrorBodies`]). Field presence is decided in lowering itself ([`crate::ir::Presence`]).
//!
//! Also the credentials the consumer supplies ([`Credential`]) and where each channel's
//! connection request carries them ([`ChannelCredential`]); credential body fields are taken
//! out of the request body types ([`Operation::body_credentials`] records them). Of the config, analysis reads only
//! the pagination shape and the auth placement.

mod examples;
mod paging;

pub use examples::{BodyPlan, CallPlan, ExamplePlan, Source, example_plan};

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Analysis, Auth, Pagination};
use crate::diag::Diagnostic;
use crate::ir::{
    Api, Applied, BodyCredential, Carried, Channel, ChannelCredential, Credential, Delivery, Direction, EntityId,
    ErrorBodies, Field, Operation, Paging, ParamLocation, Placement, Primitive, SecurityKind, Tagging, TypeDef, TypeId,
    TypeKind, TypeRef, Union,
};
use crate::naming;

/// Records on `api` what the emitters read: each operation's [`ErrorBodies`], each webhook's
/// and each channel's [`Delivery`], and each list field's `isolated`. Returns warnings: each
/// listing with a cursor that gets no paging plan, with the reason, at its operation.
pub fn analyze(api: &mut Api, config: Analysis<'_>) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    let Analysis { pagination, auth, retry_safe } = config;
    for channel in &mut api.channels {
        channel.credentials = channel_credentials(auth, channel);
    }
    api.credentials = credentials(api, auth);
    take_body_credentials(api);
    for (id, wire) in isolated_fields(api, pagination) {
        if let Some(TypeDef { kind: TypeKind::Struct(s), .. }) = api.types.get_mut(id.0) {
            s.fields.iter_mut().filter(|f| f.name.wire == wire).for_each(|f| f.isolated = true);
        }
    }
    for op in &mut api.operations {
        op.errors = errors(op);
        op.retry_safe = matches!(op.method.as_str(), "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE")
            || retry_safe.iter().any(|p| crate::config::glob(p, &op.name.wire));
    }
    if let Some(pagination) = pagination {
        let plans: Vec<Result<Paging, Option<String>>> =
            api.operations.iter().map(|op| paging::paging(api, op, pagination)).collect();
        for (op, plan) in api.operations.iter_mut().zip(plans) {
            match plan {
                Ok(plan) => op.paging = Some(plan),
                Err(None) => op.paging = None,
                Err(Some(reason)) => {
                    op.paging = None;
                    warnings.push(
                        Diagnostic::warning(
                            op.origin.clone(),
                            format!("`{}` pages with a cursor but gets no `_stream` method: {reason}", op.name.wire),
                        )
                        .expected(paging::EXPECTED),
                    );
                }
            }
        }
    }
    let webhooks: Vec<Delivery> = api
        .webhooks
        .iter()
        .map(|w| {
            // A body that is not JSON (or none at all) is one value, read as any JSON.
            let ty = match &w.payload {
                Some(body) if body.encoding == crate::ir::Encoding::Json => body.ty.clone(),
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
    warnings
}

/// Takes the credential body fields out of every JSON request body type, recording on each
/// operation the ones its body declared ([`Operation::body_credentials`]): the client writes
/// them into every body it sends, and the API server reads them apart, so a caller never fills
/// them in. A type that is the request body of several operations loses them once.
fn take_body_credentials(api: &mut Api) {
    let wires: Vec<String> =
        api.credentials.iter().filter(|c| c.carried == Carried::BodyField).map(|c| c.wire.clone()).collect();
    if wires.is_empty() {
        return;
    }
    let mut bodies = BTreeSet::new();
    let found: Vec<Vec<BodyCredential>> = api
        .operations
        .iter()
        .map(|op| {
            let Some(id) = op.request.as_ref().and_then(|b| b.json()).and_then(|ty| api.struct_id(ty)) else {
                return Vec::new();
            };
            let TypeKind::Struct(s) = &api.ty(id).kind else { return Vec::new() };
            let declared: Vec<BodyCredential> = s
                .fields
                .iter()
                .filter(|f| wires.contains(&f.name.wire))
                .map(|f| BodyCredential { wire: f.name.wire.clone(), required: f.required })
                .collect();
            if !declared.is_empty() {
                bodies.insert(id);
            }
            declared
        })
        .collect();
    for (op, declared) in api.operations.iter_mut().zip(found) {
        op.body_credentials = declared;
    }
    for id in bodies {
        if let Some(TypeDef { kind: TypeKind::Struct(s), .. }) = api.types.get_mut(id.0) {
            s.fields.retain(|f| !wires.contains(&f.name.wire));
        }
    }
}

/// One JSON type shared by every error response with a body, or several kinds.
fn errors(op: &Operation) -> ErrorBodies {
    let mut bodies = op.responses.iter().filter(|r| !r.status.is_success()).filter_map(|r| r.body.as_ref());
    let Some(first) = bodies.next() else { return ErrorBodies::None };
    let json = |body: &crate::ir::Body| body.encoding == crate::ir::Encoding::Json;
    if json(first) && bodies.all(|b| json(b) && b.ty == first.ty) {
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
        [(field, item, union)] if s.fields.get(*field).is_some_and(|f| f.required) => Delivery::Batch {
            ty: ty.clone(),
            envelope,
            field: *field,
            item: (*item).clone(),
            union: *union,
            entity: match &api.ty(*union).kind {
                TypeKind::Union(u) => entity_id(api, u),
                _ => None,
            },
        },
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

/// The entity id every event of a batch's union carries ([`EntityId`]), if there is one.
fn entity_id(api: &Api, u: &Union) -> Option<EntityId> {
    /// Wire name → (type, Rust field name and nullability per variant so far).
    type Candidates = BTreeMap<String, (TypeRef, Vec<Option<(String, bool)>>)>;
    let mut candidates: Option<Candidates> = None;
    for (index, v) in u.variants.iter().enumerate() {
        let Some(ty) = &v.ty else {
            if let Some(c) = candidates.as_mut() {
                c.values_mut().for_each(|(_, rust)| rust.push(None));
            }
            continue;
        };
        if v.nullable {
            return None;
        }
        let s = api.struct_of(ty)?;
        let mut here: BTreeMap<String, (TypeRef, (String, bool))> = BTreeMap::new();
        for f in &s.fields {
            let scalar = matches!(
                f.ty,
                TypeRef::Primitive(Primitive::String | Primitive::I32 | Primitive::I64 | Primitive::Uuid)
            );
            // Required; nullable too (always, with `tolerate_null`): an event without its id is
            // left out of the entities.
            if f.required && scalar && f.name.wire.to_ascii_lowercase().ends_with("id") {
                here.insert(f.name.wire.clone(), (f.ty.clone(), (f.name.rust.clone(), f.nullable)));
            }
        }
        match candidates.as_mut() {
            None => {
                let nones = index;
                candidates = Some(
                    here.into_iter()
                        .map(|(wire, (ty, rust))| {
                            let mut list = vec![None; nones];
                            list.push(Some(rust));
                            (wire, (ty, list))
                        })
                        .collect(),
                );
            }
            Some(c) => {
                c.retain(|wire, (ty, _)| here.get(wire).is_some_and(|(t, _)| t == ty));
                for (wire, (_, rust)) in c.iter_mut() {
                    rust.push(here.get(wire).map(|(_, r)| r.clone()));
                }
            }
        }
    }
    let candidates = candidates?;
    let pick =
        candidates.keys().find(|wire| wire.eq_ignore_ascii_case("id")).or_else(|| candidates.keys().next())?.clone();
    let (ty, fields) = candidates.get(&pick)?.clone();
    Some(EntityId { wire: pick, ty, fields })
}

/// List fields whose items decode one by one (`Decoded<T>`), by struct and field wire name:
/// every list of named items in an envelope the consumer receives (a webhook payload, a channel
/// message, or a member of such an untagged union), and the item list of each cursor-paginated
/// response (named by `pagination.items`, or its only list). One malformed event or item then
/// leaves the others readable.
fn isolated_fields(api: &Api, pagination: Option<&Pagination>) -> BTreeSet<(TypeId, String)> {
    let mut out = BTreeSet::new();
    let received = api.webhooks.iter().filter_map(|w| w.payload.as_ref().map(|b| &b.ty)).chain(
        api.channels
            .iter()
            .flat_map(|c| c.messages.iter().filter(|m| m.direction == Direction::Receive).map(|m| &m.payload)),
    );
    for ty in received {
        envelope_lists(api, ty, &mut out, 0);
    }
    if let Some(pagination) = pagination {
        let cursor = pagination.response_cursor.split('.').next().unwrap_or_default();
        for op in &api.operations {
            let pages = op.responses.iter().filter(|r| r.status.is_success()).filter_map(|r| r.body.as_ref());
            for body in pages {
                let Some(id) = api.struct_id(&body.ty) else { continue };
                let TypeKind::Struct(s) = &api.ty(id).kind else { continue };
                if !s.fields.iter().any(|f| f.name.wire == cursor) {
                    continue;
                }
                let lists: Vec<&Field> = s.fields.iter().filter(|f| matches!(f.ty, TypeRef::List(_))).collect();
                let items = match pagination.items.get(&op.name.wire) {
                    Some(name) => lists.iter().find(|f| &f.name.wire == name),
                    None if lists.len() == 1 => lists.first(),
                    None => None,
                };
                if let Some(field) = items {
                    out.insert((id, field.name.wire.clone()));
                }
            }
        }
    }
    out
}

fn envelope_lists(api: &Api, ty: &TypeRef, out: &mut BTreeSet<(TypeId, String)>, depth: usize) {
    let TypeRef::Named(id) = ty else { return };
    if depth > 16 {
        return;
    }
    match &api.ty(*id).kind {
        TypeKind::Struct(s) => {
            for f in &s.fields {
                if matches!(&f.ty, TypeRef::List(item) if matches!(**item, TypeRef::Named(_))) {
                    out.insert((*id, f.name.wire.clone()));
                }
            }
        }
        TypeKind::Alias(next) => envelope_lists(api, next, out, depth + 1),
        TypeKind::Union(u) if u.tagging == Tagging::Untagged => {
            for v in &u.variants {
                if let Some(t) = &v.ty {
                    envelope_lists(api, t, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// The credentials a channel's connection request carries: the config's WebSocket cookies, then
/// the keys and tokens of its servers' security schemes, each (field, placement) once.
fn channel_credentials(auth: &Auth, channel: &Channel) -> Vec<ChannelCredential> {
    let mut out: Vec<ChannelCredential> = Vec::new();
    let mut add = |wire: &str, placement: Placement| {
        let field = naming::field_name(wire);
        if !out.iter().any(|c| c.field == field && c.placement == placement) {
            out.push(ChannelCredential { wire: wire.to_owned(), field, placement });
        }
    };
    for cookie in &auth.websocket_cookies {
        add(cookie, Placement::Cookie(cookie.clone()));
    }
    for server in &channel.servers {
        for scheme in &server.security {
            match &scheme.kind {
                SecurityKind::ApiKey { location, name } => {
                    let placement = match location {
                        ParamLocation::Header => Placement::Header(name.clone()),
                        ParamLocation::Query => Placement::Query(name.clone()),
                        _ => Placement::Cookie(name.clone()),
                    };
                    add(&scheme.name, placement);
                }
                SecurityKind::Bearer => add(&scheme.name, Placement::Bearer),
                SecurityKind::Basic | SecurityKind::Other(_) => {}
            }
        }
    }
    out
}

/// The consumer's credentials: one per auth body field and per security scheme the generated
/// code applies, then those only WebSocket upgrades carry (each Rust field once; channels'
/// credentials must be set first).
fn credentials(api: &Api, auth: &Auth) -> Vec<Credential> {
    let mut out: Vec<Credential> =
        auth.body_fields.iter().map(|wire| Credential { wire: wire.clone(), carried: Carried::BodyField }).collect();
    for scheme in &api.security_schemes {
        let applied = match &scheme.kind {
            SecurityKind::Bearer => Applied::Bearer,
            SecurityKind::Basic => Applied::Basic,
            SecurityKind::ApiKey { location, name } => Applied::ApiKey { location: *location, name: name.clone() },
            // Left to the consumer's request hook; the client's docs say so.
            SecurityKind::Other(_) => continue,
        };
        out.push(Credential { wire: scheme.name.clone(), carried: Carried::Scheme(applied) });
    }
    let mut upgrade: Vec<&ChannelCredential> = Vec::new();
    for credential in api.channels.iter().flat_map(|c| &c.credentials) {
        if !upgrade.iter().any(|c| c.field == credential.field) {
            upgrade.push(credential);
        }
    }
    for credential in upgrade {
        if !out.iter().any(|c| naming::field_name(&c.wire) == credential.field) {
            out.push(Credential {
                wire: credential.wire.clone(),
                carried: Carried::Upgrade(credential.placement.clone()),
            });
        }
    }
    out
}

//! Changes of what the client and server crates expose: operations (client methods and
//! API-server trait methods), webhooks (receiver methods) and channels (listener events and
//! the server's hub).

use std::collections::BTreeMap;

use super::{Changes, Class, Kind, Pair, show};
use crate::ir::{Channel, Direction, ErrorBodies, Operation, Param, TypeRef, Webhook};

/// Compares operations, webhooks and channels.
pub(super) fn compare(pair: &Pair<'_>, changes: &mut Changes) {
    operations(pair, changes);
    webhooks(pair, changes);
    channels(pair, changes);
}

/// `METHOD path` of an operation.
fn route(op: &Operation) -> String {
    format!("{} {}", op.method.as_str(), op.path)
}

fn operations(pair: &Pair<'_>, changes: &mut Changes) {
    let olds: BTreeMap<&str, &Operation> = pair.old.operations.iter().map(|o| (o.name.wire.as_str(), o)).collect();
    let news: BTreeMap<&str, &Operation> = pair.new.operations.iter().map(|o| (o.name.wire.as_str(), o)).collect();
    // An operation whose id changed but whose route did not was renamed.
    let new_by_route: BTreeMap<String, &Operation> = pair
        .new
        .operations
        .iter()
        .filter(|o| !olds.contains_key(o.name.wire.as_str()))
        .map(|o| (route(o), o))
        .collect();
    let mut renamed_to = Vec::new();
    for (id, old) in &olds {
        let at = old.origin.to_string();
        if let Some(new) = news.get(id) {
            operation(pair, old, new, changes);
            continue;
        }
        if let Some(new) = new_by_route.get(&route(old)) {
            renamed_to.push(new.name.wire.as_str());
            let message = format!("operation `{id}` is now `{}`: the method is now `{}`", new.name.wire, new.name.rust);
            let at = new.origin.to_string();
            changes.add(Kind::Client, Class::Breaking, client_item(old), message.clone(), &at);
            changes.add(Kind::Server, Class::Breaking, server_item(old), message, &at);
            operation(pair, old, new, changes);
            continue;
        }
        let message = format!("operation `{id}` ({}) removed", route(old));
        changes.add(Kind::Client, Class::Breaking, client_item(old), message.clone(), &at);
        changes.add(Kind::Server, Class::Breaking, server_item(old), message, &at);
        let message = format!("`{}` is gone: old clients calling it get an error", route(old));
        changes.add(Kind::Client, Class::Wire, client_item(old), message, &at);
    }
    for (id, new) in news.iter().filter(|(id, _)| !olds.contains_key(*id) && !renamed_to.contains(*id)) {
        let at = new.origin.to_string();
        let message = format!("operation `{id}` ({}) added", route(new));
        changes.add(Kind::Client, Class::Additive, client_item(new), message.clone(), &at);
        let class = if pair.shape.default_methods { Class::Additive } else { Class::Breaking };
        changes.add(Kind::Server, class, server_item(new), message, &at);
    }
}

fn client_item(op: &Operation) -> String {
    format!("Client::{}", op.name.rust)
}

fn server_item(op: &Operation) -> String {
    format!("Api::{}", op.name.rust)
}

/// One operation present in both versions.
fn operation(pair: &Pair<'_>, old: &Operation, new: &Operation, changes: &mut Changes) {
    let at = new.origin.to_string();
    let id = new.name.wire.as_str();
    let mut both = |class: Class, message: String| {
        changes.add(Kind::Client, class, client_item(new), message.clone(), &at);
        if class == Class::Breaking {
            changes.add(Kind::Server, class, server_item(new), message, &at);
        }
    };
    if old.name.rust != new.name.rust && old.name.wire == new.name.wire {
        both(
            Class::Breaking,
            format!("operation `{id}` is now the method `{}` (was `{}`)", new.name.rust, old.name.rust),
        );
    }
    if route(old) != route(new) {
        both(
            Class::Wire,
            format!("operation `{id}` moved from `{}` to `{}`: old clients call the old route", route(old), route(new)),
        );
    }
    for message in signature(pair, old, new) {
        both(Class::Breaking, message);
    }
    for message in params_wire(old, new) {
        both(Class::Wire, message);
    }
    paging(pair, old, new, &mut both);
}

/// How the method's signature changed: parameters, body and result.
fn signature(pair: &Pair<'_>, old: &Operation, new: &Operation) -> Vec<String> {
    let id = new.name.wire.as_str();
    let mut found = Vec::new();
    let shape =
        |api, p: &Param| format!("{}: {}{}", p.name.rust, if p.required { "" } else { "optional " }, show(api, &p.ty));
    let before: Vec<String> = old.params.iter().map(|p| shape(pair.old, p)).collect();
    let after: Vec<String> = new.params.iter().map(|p| shape(pair.new, p)).collect();
    let same_types = old.params.len() == new.params.len()
        && old.params.iter().zip(&new.params).all(|(a, b)| pair.same(&a.ty, &b.ty) && a.required == b.required);
    if !same_types || old.params.iter().zip(&new.params).any(|(a, b)| a.name.rust != b.name.rust) {
        found.push(format!("operation `{id}` takes ({}) (was ({}))", after.join(", "), before.join(", ")));
    }
    match (&old.request, &new.request) {
        (Some(a), Some(b))
            if !pair.same(&a.ty, &b.ty)
                || a.required != b.required
                || a.media_type != b.media_type
                || a.encoding != b.encoding =>
        {
            found.push(format!(
                "operation `{id}` takes a {}{} body (was {}{})",
                if b.required { "" } else { "optional " },
                show(pair.new, &b.ty),
                if a.required { "" } else { "optional " },
                show(pair.old, &a.ty)
            ));
        }
        (None, Some(b)) => found.push(format!("operation `{id}` now takes a {} body", show(pair.new, &b.ty))),
        (Some(a), None) => found.push(format!("operation `{id}` no longer takes a {} body", show(pair.old, &a.ty))),
        _ => {}
    }
    let results = |op: &Operation, api| -> Vec<String> {
        op.responses
            .iter()
            .filter(|r| r.status.is_success())
            .map(|r| format!("{} {}", r.status, r.body.as_ref().map_or("nothing".to_owned(), |b| show(api, &b.ty))))
            .collect()
    };
    let (was, now) = (results(old, pair.old), results(new, pair.new));
    let same_results = old.responses.iter().filter(|r| r.status.is_success()).count()
        == new.responses.iter().filter(|r| r.status.is_success()).count()
        && old
            .responses
            .iter()
            .filter(|r| r.status.is_success())
            .zip(new.responses.iter().filter(|r| r.status.is_success()))
            .all(|(a, b)| {
                a.status == b.status
                    && match (&a.body, &b.body) {
                        (Some(x), Some(y)) => pair.same(&x.ty, &y.ty),
                        (None, None) => true,
                        _ => false,
                    }
            });
    if !same_results {
        found.push(format!("operation `{id}` answers {} (was {})", now.join(", "), was.join(", ")));
    }
    let same_errors = match (&old.errors, &new.errors) {
        (ErrorBodies::One(a), ErrorBodies::One(b)) => pair.same(a, b),
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    };
    if !same_errors {
        found.push(format!("operation `{id}` reports errors in another shape"));
    }
    found
}

/// Parameter changes that old clients feel on the wire.
fn params_wire(old: &Operation, new: &Operation) -> Vec<String> {
    let id = new.name.wire.as_str();
    let olds: BTreeMap<(&str, String), &Param> =
        old.params.iter().map(|p| ((p.name.wire.as_str(), format!("{:?}", p.location)), p)).collect();
    let mut found = Vec::new();
    for p in &new.params {
        let key = (p.name.wire.as_str(), format!("{:?}", p.location));
        match olds.get(&key) {
            None if p.required => {
                found.push(format!(
                    "operation `{id}` requires the new parameter `{}`: old clients do not send it",
                    p.name.wire
                ));
            }
            Some(q) if p.required && !q.required => {
                found.push(format!(
                    "parameter `{}` of `{id}` became required: old clients may leave it out",
                    p.name.wire
                ));
            }
            Some(q) if (q.style, q.explode) != (p.style, p.explode) => {
                found.push(format!("parameter `{}` of `{id}` is serialized another way", p.name.wire));
            }
            _ => {}
        }
    }
    if let (Some(a), Some(b)) = (&old.request, &new.request)
        && !a.required
        && b.required
    {
        found.push(format!("the body of `{id}` became required: old clients may leave it out"));
    }
    found
}

/// Pagination changes: a `_stream` method added or removed, or a cursor that moved.
fn paging(pair: &Pair<'_>, old: &Operation, new: &Operation, report: &mut impl FnMut(Class, String)) {
    let id = new.name.wire.as_str();
    let stream = format!("{}_stream", new.name.rust);
    match (&old.paging, &new.paging) {
        (None, Some(_)) => report(Class::Additive, format!("operation `{id}` now pages: `{stream}` added")),
        (Some(_), None) => report(Class::Breaking, format!("operation `{id}` no longer pages: `{stream}` removed")),
        (Some(a), Some(b)) => {
            if (&a.request_cursor, &a.response_cursor, &a.cursor) != (&b.request_cursor, &b.response_cursor, &b.cursor)
            {
                report(
                    Class::Wire,
                    format!(
                        "the cursor of `{id}` moved from `{}`/`{}` to `{}`/`{}`",
                        a.request_cursor, a.response_cursor, b.request_cursor, b.response_cursor
                    ),
                );
            }
            if a.items != b.items || !pair.same(&a.item, &b.item) {
                report(
                    Class::Breaking,
                    format!("`{stream}` now yields {} from `{}`", show(pair.new, &b.item), b.items),
                );
            }
        }
        (None, None) => {}
    }
}

fn webhooks(pair: &Pair<'_>, changes: &mut Changes) {
    let olds: BTreeMap<&str, &Webhook> = pair.old.webhooks.iter().map(|w| (w.name.wire.as_str(), w)).collect();
    let news: BTreeMap<&str, &Webhook> = pair.new.webhooks.iter().map(|w| (w.name.wire.as_str(), w)).collect();
    for (name, old) in &olds {
        let item = format!("webhook `{name}`");
        let Some(new) = news.get(name) else {
            changes.add(Kind::Server, Class::Breaking, &item, "removed: its receiver is gone", &old.origin.to_string());
            continue;
        };
        let at = new.origin.to_string();
        let same = match (old.payload.as_ref().map(|b| &b.ty), new.payload.as_ref().map(|b| &b.ty)) {
            (Some(a), Some(b)) => pair.same(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same || old.name.rust != new.name.rust {
            changes.add(Kind::Server, Class::Breaking, &item, "its payload type changed", &at);
        }
        if old.method != new.method {
            let message = format!("now arrives as {} (was {})", new.method.as_str(), old.method.as_str());
            changes.add(Kind::Server, Class::Wire, &item, message, &at);
        }
    }
    for (name, new) in news.iter().filter(|(name, _)| !olds.contains_key(*name)) {
        let class = if pair.shape.default_methods { Class::Additive } else { Class::Breaking };
        changes.add(Kind::Server, class, format!("webhook `{name}`"), "added", &new.origin.to_string());
    }
}

fn channels(pair: &Pair<'_>, changes: &mut Changes) {
    let olds: BTreeMap<&str, &Channel> = pair.old.channels.iter().map(|c| (c.name.wire.as_str(), c)).collect();
    let news: BTreeMap<&str, &Channel> = pair.new.channels.iter().map(|c| (c.name.wire.as_str(), c)).collect();
    for (name, old) in &olds {
        let item = format!("channel `{name}`");
        let Some(new) = news.get(name) else {
            for kind in [Kind::Client, Kind::Server] {
                changes.add(kind, Class::Breaking, &item, "removed", &old.origin.to_string());
            }
            continue;
        };
        let at = new.origin.to_string();
        if old.address != new.address {
            let message =
                format!("moved from `{}` to `{}`: old listeners connect to the old address", old.address, new.address);
            changes.add(Kind::Client, Class::Wire, &item, message, &at);
        }
        messages(pair, old, new, changes);
    }
    for (name, new) in news.iter().filter(|(name, _)| !olds.contains_key(*name)) {
        for kind in [Kind::Client, Kind::Server] {
            changes.add(kind, Class::Additive, format!("channel `{name}`"), "added", &new.origin.to_string());
        }
    }
}

/// Messages of a channel present in both versions.
fn messages(pair: &Pair<'_>, old: &Channel, new: &Channel, changes: &mut Changes) {
    let at = new.origin.to_string();
    let key = |m: &crate::ir::Message| (m.name.wire.clone(), m.direction == Direction::Send);
    let olds: BTreeMap<_, _> = old.messages.iter().map(|m| (key(m), m)).collect();
    let news: BTreeMap<_, _> = new.messages.iter().map(|m| (key(m), m)).collect();
    let sender = |sent: bool| if sent { Kind::Client } else { Kind::Server };
    for ((wire, sent), m) in &olds {
        let item = format!("message `{wire}` of channel `{}`", new.name.wire);
        match news.get(&(wire.clone(), *sent)) {
            None => {
                changes.add(sender(*sent), Class::Breaking, &item, "removed", &at);
                changes.add(Kind::Client, Class::Wire, &item, "removed: old programs still expect or send it", &at);
            }
            Some(n) if !pair.same(&m.payload, &n.payload) => {
                changes.add(sender(*sent), Class::Breaking, &item, payload_change(pair, &m.payload, &n.payload), &at);
            }
            Some(_) => {}
        }
    }
    for ((wire, sent), _) in news.iter().filter(|(k, _)| !olds.contains_key(*k)) {
        let item = format!("message `{wire}` of channel `{}`", new.name.wire);
        changes.add(sender(*sent), Class::Additive, item, "added", &at);
    }
}

fn payload_change(pair: &Pair<'_>, old: &TypeRef, new: &TypeRef) -> String {
    format!("its payload is now {} (was {})", show(pair.new, new), show(pair.old, old))
}

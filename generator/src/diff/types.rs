//! Changes of named types: the types crate's items, and what they mean on the wire.

use std::collections::{BTreeMap, BTreeSet};

use super::{Changes, Class, Kind, Pair, show};
use crate::ir::{Api, Field, Presence, StringEnum, Struct, TypeDef, TypeKind, Union};

/// Old wire name → new wire name of types that were renamed: a type only the old version has
/// whose shape (kind, field or variant wire names) equals that of exactly one type only the new
/// version has.
pub(super) fn renames(old: &Api, new: &Api) -> BTreeMap<String, String> {
    let old_names: BTreeSet<&str> = old.types.iter().map(|t| t.name.wire.as_str()).collect();
    let new_names: BTreeSet<&str> = new.types.iter().map(|t| t.name.wire.as_str()).collect();
    let mut gone: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for def in old.types.iter().filter(|t| !new_names.contains(t.name.wire.as_str())) {
        gone.entry(fingerprint(def)).or_default().push(&def.name.wire);
    }
    let mut came: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for def in new.types.iter().filter(|t| !old_names.contains(t.name.wire.as_str())) {
        came.entry(fingerprint(def)).or_default().push(&def.name.wire);
    }
    gone.into_iter()
        .filter_map(|(print, olds)| match (olds.as_slice(), came.get(&print).map(Vec::as_slice)) {
            ([old], Some([new])) => Some(((*old).to_owned(), (*new).to_owned())),
            _ => None,
        })
        .collect()
}

/// A type's shape by wire names, for telling a rename from a removal and an addition.
fn fingerprint(def: &TypeDef) -> String {
    match &def.kind {
        TypeKind::Struct(s) if !s.fields.is_empty() => {
            let names: Vec<&str> = s.fields.iter().map(|f| f.name.wire.as_str()).collect();
            format!("struct {}", names.join(","))
        }
        TypeKind::Enum(e) if !e.variants.is_empty() => {
            let names: Vec<&str> = e.variants.iter().map(|v| v.name.wire.as_str()).collect();
            format!("enum {}", names.join(","))
        }
        TypeKind::Union(u) if !u.variants.is_empty() => {
            let names: Vec<&str> = u.variants.iter().map(|v| v.name.wire.as_str()).collect();
            format!("union {}", names.join(","))
        }
        // Empty structs and aliases say too little to match: a rename reads as both.
        _ => format!("unmatched {}", def.name.wire),
    }
}

/// Compares every named type of both versions.
pub(super) fn compare(pair: &Pair<'_>, changes: &mut Changes) {
    let new_by_wire: BTreeMap<&str, &TypeDef> = pair.new.types.iter().map(|t| (t.name.wire.as_str(), t)).collect();
    let old_by_wire: BTreeMap<&str, &TypeDef> = pair.old.types.iter().map(|t| (t.name.wire.as_str(), t)).collect();
    for old in &pair.old.types {
        let wire = old.name.wire.as_str();
        let at = old.origin.to_string();
        match new_by_wire.get(pair.new_name(wire)) {
            Some(new) if new.name.wire != wire => {
                changes.add(
                    Kind::Types,
                    Class::Breaking,
                    &old.name.rust,
                    format!("renamed to `{}` (schema `{wire}` is now `{}`)", new.name.rust, new.name.wire),
                    &new.origin.to_string(),
                );
                compare_type(pair, old, new, changes);
            }
            Some(new) => compare_type(pair, old, new, changes),
            None => {
                changes.add(Kind::Types, Class::Breaking, &old.name.rust, format!("removed (schema `{wire}`)"), &at);
                let travel = pair.moves(wire);
                if travel.received || travel.sent {
                    changes.add(
                        Kind::Types,
                        Class::Wire,
                        &old.name.rust,
                        format!("schema `{wire}` is gone from the API: programs built on the old version expect it"),
                        &at,
                    );
                }
            }
        }
    }
    let renamed_to: BTreeSet<&str> = pair.renamed.values().map(String::as_str).collect();
    for new in &pair.new.types {
        let wire = new.name.wire.as_str();
        if !old_by_wire.contains_key(wire) && !renamed_to.contains(wire) {
            changes.add(
                Kind::Types,
                Class::Additive,
                &new.name.rust,
                format!("added (schema `{wire}`)"),
                &new.origin.to_string(),
            );
        }
    }
}

/// Compares one type present in both versions.
fn compare_type(pair: &Pair<'_>, old: &TypeDef, new: &TypeDef, changes: &mut Changes) {
    let item = new.name.rust.as_str();
    let at = new.origin.to_string();
    if old.name.rust != new.name.rust && old.name.wire == new.name.wire {
        let message = format!("Rust name changed from `{}` (schema `{}`)", old.name.rust, new.name.wire);
        changes.add(Kind::Types, Class::Breaking, item, message, &at);
    }
    match (&old.kind, &new.kind) {
        (TypeKind::Struct(a), TypeKind::Struct(b)) => structs(pair, new, a, b, changes),
        (TypeKind::Enum(a), TypeKind::Enum(b)) => enums(pair, new, a, b, changes),
        (TypeKind::Union(a), TypeKind::Union(b)) => unions(pair, new, a, b, changes),
        (TypeKind::Alias(a), TypeKind::Alias(b)) | (TypeKind::Newtype(a), TypeKind::Newtype(b)) => {
            if !pair.same(a, b) {
                let message = format!("now stands for {} (was {})", show(pair.new, b), show(pair.old, a));
                changes.add(Kind::Types, Class::Breaking, item, message.clone(), &at);
                changes.add(Kind::Types, Class::Wire, item, message, &at);
            }
        }
        (a, b) => {
            let message = format!("changed from {} to {}", kind_word(a), kind_word(b));
            changes.add(Kind::Types, Class::Breaking, item, message.clone(), &at);
            changes.add(Kind::Types, Class::Wire, item, message, &at);
        }
    }
}

fn kind_word(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Struct(_) => "a struct",
        TypeKind::Enum(_) => "an enum",
        TypeKind::Union(_) => "a union",
        TypeKind::Alias(_) => "an alias",
        TypeKind::Newtype(_) => "a newtype",
    }
}

/// Field changes of a struct.
fn structs(pair: &Pair<'_>, def: &TypeDef, old: &Struct, new: &Struct, changes: &mut Changes) {
    let travel = pair.moves(&def.name.wire);
    let at = def.origin.to_string();
    // The fields as the Rust structs have them: analysis took the credential body fields out
    // of the request bodies, so a type that stops (or starts) being one gains (or loses) them
    // in Rust. On the wire they change nothing: the transport writes them into every body.
    let credential = |wire: &str| pair.body_credentials.contains(wire);
    let olds: BTreeMap<&str, &Field> = old.fields.iter().map(|f| (f.name.wire.as_str(), f)).collect();
    let news: BTreeMap<&str, &Field> = new.fields.iter().map(|f| (f.name.wire.as_str(), f)).collect();
    let item = |f: &Field| format!("{}.{}", def.name.rust, f.name.rust);
    for (wire, f) in &olds {
        let Some(g) = news.get(wire) else {
            changes.add(Kind::Types, Class::Breaking, item(f), format!("field `{wire}` removed"), &at);
            if travel.received && f.presence == Presence::Plain && !credential(wire) {
                let message = format!("required field `{wire}` removed: old programs fail to decode new data");
                changes.add(Kind::Types, Class::Wire, item(f), message, &at);
            }
            continue;
        };
        field(pair, def, travel, f, g, changes);
    }
    for (wire, g) in &news {
        if olds.contains_key(wire) {
            continue;
        }
        let required = g.required && g.presence == Presence::Plain;
        let class = if required || !pair.shape.open_structs { Class::Breaking } else { Class::Additive };
        let what = if required { "required" } else { "optional" };
        changes.add(Kind::Types, class, item(g), format!("{what} field `{wire}` added"), &at);
        if g.required && travel.sent && !credential(wire) {
            let message = format!("required field `{wire}` added: old clients leave it out and are refused");
            changes.add(Kind::Types, Class::Wire, item(g), message, &at);
        }
    }
}

/// One field present in both versions of a struct.
fn field(pair: &Pair<'_>, def: &TypeDef, travel: super::Travel, old: &Field, new: &Field, changes: &mut Changes) {
    let item = format!("{}.{}", def.name.rust, new.name.rust);
    let at = def.origin.to_string();
    let wire = &new.name.wire;
    if old.name.rust != new.name.rust {
        let message = format!("field `{wire}` is now `{}` in Rust (was `{}`)", new.name.rust, old.name.rust);
        changes.add(Kind::Types, Class::Breaking, &item, message, &at);
    }
    if !pair.same(&old.ty, &new.ty) {
        let message =
            format!("field `{wire}` changed type from {} to {}", show(pair.old, &old.ty), show(pair.new, &new.ty));
        changes.add(Kind::Types, Class::Breaking, &item, message.clone(), &at);
        if travel.sent || travel.received {
            changes.add(Kind::Types, Class::Wire, &item, message, &at);
        }
    }
    if old.presence != new.presence || old.boxed != new.boxed || old.isolated != new.isolated {
        let message = format!("field `{wire}` is now held as {} (was {})", held(new), held(old));
        changes.add(Kind::Types, Class::Breaking, &item, message, &at);
    }
    let loosened = (old.required && !new.required) || (!old.nullable && new.nullable);
    if loosened && travel.received {
        let message = format!("field `{wire}` may now be missing or null: old programs that require it fail to decode");
        changes.add(Kind::Types, Class::Wire, &item, message, &at);
    }
    if !old.required && new.required && travel.sent {
        let message = format!("field `{wire}` became required: old clients that leave it out are refused");
        changes.add(Kind::Types, Class::Wire, &item, message, &at);
    }
}

/// How a field's value is held, in words.
fn held(f: &Field) -> &'static str {
    match (f.presence, f.isolated) {
        (_, true) => "a list of items decoded one by one",
        (Presence::Plain, _) => "a plain value",
        (Presence::Option, _) => "an `Option`",
        (Presence::DoubleOption, _) => "a `Nullable` (absent, null or a value)",
    }
}

/// Value changes of a string enum.
fn enums(pair: &Pair<'_>, def: &TypeDef, old: &StringEnum, new: &StringEnum, changes: &mut Changes) {
    let at = def.origin.to_string();
    let olds: BTreeMap<&str, &str> =
        old.variants.iter().map(|v| (v.name.wire.as_str(), v.name.rust.as_str())).collect();
    let news: BTreeMap<&str, &str> =
        new.variants.iter().map(|v| (v.name.wire.as_str(), v.name.rust.as_str())).collect();
    let travel = pair.moves(&def.name.wire);
    for (wire, rust) in &olds {
        let item = format!("{}::{rust}", def.name.rust);
        match news.get(wire) {
            None => {
                changes.add(Kind::Types, Class::Breaking, &item, format!("value `{wire}` removed"), &at);
                if travel.sent || travel.received {
                    let message = format!("value `{wire}` removed: old programs may still send it");
                    changes.add(Kind::Types, Class::Wire, &item, message, &at);
                }
            }
            Some(now) if now != rust => {
                let message = format!("value `{wire}` is now the variant `{now}`");
                changes.add(Kind::Types, Class::Breaking, &item, message, &at);
            }
            Some(_) => {}
        }
    }
    for (wire, rust) in news.iter().filter(|(wire, _)| !olds.contains_key(*wire)) {
        let class = if pair.shape.open_enums { Class::Additive } else { Class::Breaking };
        let item = format!("{}::{rust}", def.name.rust);
        let message = format!("value `{wire}` added (old programs read it as `{}`)", new.unknown);
        changes.add(Kind::Types, class, item, message, &at);
    }
}

/// Variant and tagging changes of a union.
fn unions(pair: &Pair<'_>, def: &TypeDef, old: &Union, new: &Union, changes: &mut Changes) {
    let at = def.origin.to_string();
    let item = def.name.rust.as_str();
    if old.tagging != new.tagging {
        let message = format!("discriminator changed from {:?} to {:?}", old.tagging, new.tagging);
        changes.add(Kind::Types, Class::Wire, item, message, &at);
    }
    let news: BTreeMap<&str, _> = new.variants.iter().map(|v| (v.name.wire.as_str(), v)).collect();
    let olds: BTreeMap<&str, _> = old.variants.iter().map(|v| (v.name.wire.as_str(), v)).collect();
    for (wire, v) in &olds {
        let variant = format!("{item}::{}", v.name.rust);
        let Some(w) = news.get(wire) else {
            changes.add(Kind::Types, Class::Breaking, &variant, format!("variant `{wire}` removed"), &at);
            changes.add(
                Kind::Types,
                Class::Wire,
                &variant,
                format!("kind `{wire}` is gone: old programs expect it"),
                &at,
            );
            continue;
        };
        let same_payload = match (&v.ty, &w.ty) {
            (Some(a), Some(b)) => pair.same(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same_payload || v.nullable != w.nullable || v.boxed != w.boxed || v.name.rust != w.name.rust {
            changes.add(Kind::Types, Class::Breaking, &variant, format!("variant `{wire}` changed its payload"), &at);
        }
    }
    for (wire, w) in news.iter().filter(|(wire, _)| !olds.contains_key(*wire)) {
        let class = if pair.shape.open_enums { Class::Additive } else { Class::Breaking };
        let message = format!("variant `{wire}` added (old programs read it as `{}`)", new.unknown);
        changes.add(Kind::Types, class, format!("{item}::{}", w.name.rust), message, &at);
    }
}

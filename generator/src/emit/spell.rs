//! How every emitter spells Rust: identifiers, type expressions (optionally in another crate,
//! such as `mews_types::Reservation` from the client crate), and the Rust shape the types crate
//! gives each field. One place, so crates that refer to each other agree.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::config::Config;
use std::collections::BTreeSet;

use crate::ir::{Api, Direction, Field, Primitive, Tagging, TypeId, TypeKind, TypeRef};

/// Which optional value crates the emitted code uses.
#[derive(Default)]
pub(crate) struct Uses {
    pub uuid: bool,
    /// A `format: date` or `date-time` field exists: the types crate re-exports the runtime's
    /// `calendar` module.
    pub date: bool,
    /// A decimal field exists: the types crate depends on `rust_decimal` and re-exports `Decimal`.
    pub decimal: bool,
}

impl std::ops::BitOrAssign for Uses {
    /// What either part of a crate uses.
    fn bitor_assign(&mut self, other: Uses) {
        self.uuid |= other.uuid;
        self.date |= other.date;
        self.decimal |= other.decimal;
    }
}

/// An identifier; names starting with `r#` become raw identifiers.
pub(crate) fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// The Rust path of a crate named `name` (`mews-types` → `mews_types`).
pub(crate) fn crate_ident(name: &str) -> Ident {
    ident(&name.replace('-', "_"))
}

/// A type expression as the types crate writes it (named types unqualified).
pub(crate) fn type_tokens(api: &Api, ty: &TypeRef, uses: &mut Uses) -> TokenStream {
    spell(api, ty, None, uses)
}

/// A type expression seen from another crate: named types behind `prefix::`.
pub(crate) fn type_path(api: &Api, ty: &TypeRef, prefix: &TokenStream, uses: &mut Uses) -> TokenStream {
    spell(api, ty, Some(prefix), uses)
}

fn spell(api: &Api, ty: &TypeRef, prefix: Option<&TokenStream>, uses: &mut Uses) -> TokenStream {
    match ty {
        TypeRef::Named(id) => {
            let name = ident(&api.ty(*id).name.rust);
            match prefix {
                Some(prefix) => quote!(#prefix::#name),
                None => quote!(#name),
            }
        }
        TypeRef::Primitive(p) => match p {
            Primitive::String => quote!(String),
            Primitive::Bool => quote!(bool),
            Primitive::I32 => quote!(i32),
            Primitive::I64 => quote!(i64),
            Primitive::F32 => quote!(f32),
            Primitive::F64 => quote!(f64),
            Primitive::Decimal => {
                uses.decimal = true;
                match prefix {
                    Some(prefix) => quote!(#prefix::Decimal),
                    None => quote!(rust_decimal::Decimal),
                }
            }
            Primitive::Uuid => {
                uses.uuid = true;
                quote!(uuid::Uuid)
            }
            Primitive::DateTime => {
                uses.date = true;
                match prefix {
                    Some(prefix) => quote!(#prefix::calendar::DateTime),
                    None => quote!(calendar::DateTime),
                }
            }
            Primitive::Date => {
                uses.date = true;
                match prefix {
                    Some(prefix) => quote!(#prefix::calendar::Date),
                    None => quote!(calendar::Date),
                }
            }
        },
        TypeRef::List(inner) => {
            let inner = spell(api, inner, prefix, uses);
            quote!(Vec<#inner>)
        }
        TypeRef::Map(inner) => {
            let inner = spell(api, inner, prefix, uses);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
        TypeRef::Any => quote!(serde_json::Value),
    }
}

/// List fields whose items decode one by one (`Decoded<T>`), by struct and field wire name:
/// every list of named items in an envelope the consumer receives (a webhook payload, a channel
/// message, or a member of such an untagged union), and the item list of each cursor-paginated
/// response (named by `pagination.items`, or its only list). One malformed event or item then
/// leaves the others readable.
pub(crate) fn isolated_fields(api: &Api, config: &Config) -> BTreeSet<(TypeId, String)> {
    let mut out = BTreeSet::new();
    let received = api.webhooks.iter().filter_map(|w| w.payload.as_ref().map(|b| &b.ty)).chain(
        api.channels
            .iter()
            .flat_map(|c| c.messages.iter().filter(|m| m.direction == Direction::Receive).map(|m| &m.payload)),
    );
    for ty in received {
        envelope_lists(api, ty, &mut out, 0);
    }
    if let Some(pagination) = &config.pagination {
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

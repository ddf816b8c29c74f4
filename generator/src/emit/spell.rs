//! How every emitter spells Rust: identifiers, type expressions (optionally in another crate,
//! such as `mews_types::Reservation` from the client crate), and the Rust shape the types crate
//! gives each field. One place, so crates that refer to each other agree.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Api, Primitive, TypeRef};

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

/// True when a value of `ty` holds exact decimals directly (itself, or through lists, maps and
/// aliases): it is read and written through the runtime's `model::exact`, never as an `f64`.
/// Named structs, unions and newtypes read their own decimals.
pub(crate) fn holds_decimal(api: &Api, ty: &TypeRef) -> bool {
    let mut current = ty;
    for _ in 0..=api.types.len() {
        match current {
            TypeRef::Primitive(Primitive::Decimal) => return true,
            TypeRef::List(inner) | TypeRef::Map(inner) => current = inner,
            TypeRef::Named(id) => match &api.ty(*id).kind {
                crate::ir::TypeKind::Alias(inner) => current = inner,
                _ => return false,
            },
            TypeRef::Primitive(_) | TypeRef::Any => return false,
        }
    }
    false
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

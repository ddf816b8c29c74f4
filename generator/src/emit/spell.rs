//! How every emitter spells Rust: identifiers, type expressions (optionally in another crate,
//! such as `mews_types::Reservation` from the client crate), and the Rust shape the types crate
//! gives each field. One place, so crates that refer to each other agree.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::config::Config;
use crate::ir::{Api, Field, Primitive, Struct, TypeRef};

/// Which optional value crates the emitted code uses.
#[derive(Default)]
pub(crate) struct Uses {
    pub uuid: bool,
    pub chrono: bool,
    /// A `format: date` or `date-time` field exists: the types crate gets the `calendar` module.
    pub date: bool,
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
            Primitive::Uuid => {
                uses.uuid = true;
                quote!(uuid::Uuid)
            }
            Primitive::DateTime => {
                uses.chrono = true;
                uses.date = true;
                match prefix {
                    Some(prefix) => quote!(#prefix::calendar::DateTime),
                    None => quote!(calendar::DateTime),
                }
            }
            Primitive::Date => {
                uses.chrono = true;
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

/// How the types crate wraps a field's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `T`: required and never null.
    Plain,
    /// `Option<T>`: optional, or nullable, or a keep/set/clear wrapper's value.
    Option,
    /// `model::Nullable<T>`: optional and nullable, where absent and null differ.
    DoubleOption,
}

/// The wrapping of `field` of `s`: required, not null: `T`; required, nullable: `Option<T>`,
/// always written; optional, not null: `Option<T>`, absent when `None`; optional and nullable:
/// absent, null and value differ, so `Nullable<T>`, unless the API says null means
/// absent. Keep/set/clear wrappers always write their `Value`, null included.
pub(crate) fn field_shape(config: &Config, s: &Struct, field: &Field) -> Shape {
    if s.update_wrapper {
        Shape::Option
    } else if !field.required && field.nullable && !config.null_means_absent {
        Shape::DoubleOption
    } else if !field.required || field.nullable {
        Shape::Option
    } else {
        Shape::Plain
    }
}

//! Values of the API's types written as Rust expressions, for the READMEs' examples: each built
//! the way a user builds it (`new` with the fields that must be given, `Default`, an enum's
//! first value, a union's first variant), from the IR alone, so the examples follow the spec
//! and the types crate's constructors. Only identifiers from `naming.rs` and fixed literals are
//! written; spec text never is (a raw body's media type goes in as a string literal).

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::spell::ident;
use crate::ir::{Api, Carried, Presence, Primitive, Struct, Tagging, TypeId, TypeKind, TypeRef};

/// How deep a value may nest before the sampler gives up on it.
const DEPTH: usize = 8;

/// How the types crate lets a user build a struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Building {
    /// `new` with the fields that must be given.
    New,
    /// `Default` (a struct with no field that must be given).
    Default,
    /// `set(value)` and `clear()` (a keep/set/clear wrapper).
    Wrapper,
}

impl Building {
    /// The one rule the types crate's structs and the examples share.
    pub(crate) fn of(s: &Struct) -> Building {
        if s.update_wrapper {
            Building::Wrapper
        } else if s.has_new() {
            Building::New
        } else {
            Building::Default
        }
    }
}

/// Writes values of an API's types, naming them behind `types` (`types::Reservation`).
pub(crate) struct Sampler<'a> {
    api: &'a Api,
    types: TokenStream,
    /// Wire names of the credentials the client puts into JSON bodies itself.
    body_credentials: BTreeSet<&'a str>,
}

impl<'a> Sampler<'a> {
    pub(crate) fn new(api: &'a Api, types: TokenStream) -> Self {
        let body_credentials =
            api.credentials.iter().filter(|c| c.carried == Carried::BodyField).map(|c| c.wire.as_str()).collect();
        Sampler { api, types, body_credentials }
    }

    /// A value of `ty`, or `None` when the sampler cannot write one (a received struct with
    /// fields that must be given, a union chosen by a sibling property, a type nested too deep).
    pub(crate) fn value(&self, ty: &TypeRef) -> Option<TokenStream> {
        self.at(ty, 0)
    }

    /// Whether [`Sampler::value`] writes a value of the named type.
    pub(crate) fn builds(&self, id: TypeId) -> bool {
        self.value(&TypeRef::Named(id)).is_some()
    }

    fn at(&self, ty: &TypeRef, depth: usize) -> Option<TokenStream> {
        if depth > DEPTH {
            return None;
        }
        Some(match ty {
            TypeRef::Primitive(p) => self.primitive(*p),
            // One item each, so the collection's type is known to `impl Into` arguments.
            TypeRef::List(item) => {
                let item = self.at(item, depth + 1)?;
                quote!(vec![#item])
            }
            TypeRef::Map(value) => {
                let value = self.at(value, depth + 1)?;
                quote!(std::collections::BTreeMap::from([(String::from("key"), #value)]))
            }
            TypeRef::Any => return None,
            TypeRef::Named(id) => return self.named(*id, depth),
        })
    }

    fn primitive(&self, p: Primitive) -> TokenStream {
        let types = &self.types;
        match p {
            Primitive::String => quote!(String::from("example")),
            Primitive::Bool => quote!(true),
            Primitive::I32 | Primitive::I64 => quote!(10),
            Primitive::F32 | Primitive::F64 => quote!(1.5),
            Primitive::Decimal => quote!(#types::Decimal::ONE),
            Primitive::Uuid => quote!(#types::uuid::Uuid::nil()),
            Primitive::Date => quote!("2024-01-31".parse::<#types::calendar::Date>()?),
            Primitive::DateTime => quote!("2024-01-31T12:00:00Z".parse::<#types::calendar::DateTime>()?),
        }
    }

    fn named(&self, id: TypeId, depth: usize) -> Option<TokenStream> {
        let def = self.api.ty(id);
        let types = &self.types;
        let name = ident(&def.name.rust);
        match &def.kind {
            TypeKind::Struct(s) => match Building::of(s) {
                Building::Default => Some(quote!(#types::#name::default())),
                Building::Wrapper => Some(quote!(#types::#name::clear())),
                Building::New => {
                    let mut args = Vec::new();
                    for f in s.fields.iter().filter(|f| f.presence == Presence::Plain) {
                        // The client overwrites its credentials in every body.
                        let value = if self.body_credentials.contains(f.name.wire.as_str()) {
                            quote!(Default::default())
                        } else {
                            self.at(&f.ty, depth + 1)?
                        };
                        args.push(if f.boxed { quote!(Box::new(#value)) } else { value });
                    }
                    Some(quote!(#types::#name::new(#(#args),*)))
                }
            },
            TypeKind::Enum(e) => {
                let first = ident(&e.variants.first()?.name.rust);
                Some(quote!(#types::#name::#first))
            }
            TypeKind::Union(u) => {
                if matches!(u.tagging, Tagging::Sibling { .. }) {
                    return None;
                }
                let v = u.variants.first()?;
                let variant = ident(&v.name.rust);
                let Some(ty) = &v.ty else { return Some(quote!(#types::#name::#variant)) };
                let mut value = self.at(ty, depth + 1)?;
                if v.boxed {
                    value = quote!(Box::new(#value));
                }
                if v.nullable {
                    value = quote!(Some(#value));
                }
                Some(quote!(#types::#name::#variant(#value)))
            }
            TypeKind::Alias(inner) => self.at(inner, depth + 1),
            TypeKind::Newtype(_) => None,
        }
    }
}

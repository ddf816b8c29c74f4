//! The enum of an event stream's kinds of event, which the client and the server crates both
//! hold: one variant per kind named by the spec (by the events' `event` field) and `Other`. The
//! client decodes by the event's name; the server names each event by its variant.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{Encoding, NamedEvent, Operation, Primitive, TypeRef};
use crate::naming;

/// The kinds of event of the operation's event stream, when the spec names them.
pub(crate) fn named(op: &Operation) -> Option<&[NamedEvent]> {
    op.responses.iter().filter(|r| r.status.is_success()).find_map(|r| match &r.body.as_ref()?.encoding {
        Encoding::EventStream(events) if !events.is_empty() => Some(events.as_slice()),
        _ => None,
    })
}

/// The enum's name: `<Operation>Event`.
pub(crate) fn enum_name(op: &Operation) -> Ident {
    format_ident!("{}Event", naming::type_name(naming::unraw(&op.name.rust), "Operation"))
}

/// The enum, with `decode` (client) or its `rt::EventData` implementation (server); `ty`
/// spells a data type, `method` is the intra-doc link of the operation's method.
pub(crate) fn event_enum(
    op: &Operation,
    events: &[NamedEvent],
    mut ty: impl FnMut(&TypeRef) -> TokenStream,
    server: bool,
    method: &str,
) -> TokenStream {
    let name = enum_name(op);
    let text = |t: &TypeRef| matches!(t, TypeRef::Primitive(Primitive::String));
    let mut variants = TokenStream::new();
    let mut decodes = TokenStream::new();
    let mut names = TokenStream::new();
    let mut datas = TokenStream::new();
    for event in events {
        let variant = format_ident!("{}", event.name.rust);
        let wire = &event.name.wire;
        let doc = format!(" An event {}.", crate::emit::docs::code_span(wire));
        let t = if text(&event.ty) { quote!(String) } else { ty(&event.ty) };
        variants.extend(quote!(#[doc = #doc] #variant(#t),));
        decodes.extend(if text(&event.ty) {
            quote!(Some(#wire) => Ok(Self::#variant(data.to_owned())),)
        } else {
            quote!(Some(#wire) => rt::serde_json::from_str(data).map(Self::#variant).map_err(|e| e.to_string()),)
        });
        names.extend(quote!(Self::#variant(_) => Some(#wire),));
        datas.extend(if text(&event.ty) {
            quote!(Self::#variant(text) => Ok(text.clone()),)
        } else {
            quote!(Self::#variant(value) => rt::serde_json::to_string(value),)
        });
    }
    let doc = format!(" The kinds of event of {method}, by the events' `event` field.");
    let behaviour = if server {
        quote! {
            impl rt::EventData for #name {
                fn event(&self) -> Option<&str> {
                    match self {
                        #names
                        Self::Other { event, .. } => event.as_deref(),
                    }
                }

                fn data(&self) -> Result<String, rt::serde_json::Error> {
                    match self {
                        #datas
                        Self::Other { data, .. } => Ok(data.clone()),
                    }
                }
            }
        }
    } else {
        quote! {
            impl #name {
                /// Decodes an event's data by its `event` field; an event of another kind is
                /// `Other`, as received.
                pub fn decode(event: Option<&str>, data: &str) -> Result<Self, String> {
                    match event {
                        #decodes
                        _ => Ok(Self::Other { event: event.map(str::to_owned), data: data.to_owned() }),
                    }
                }
            }
        }
    };
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub enum #name {
            #variants
            /// An event of another kind, or without a name, as received.
            Other {
                /// Its `event` field.
                event: Option<String>,
                /// Its data.
                data: String,
            },
        }

        #behaviour
    }
}

//! WebSocket channels in the client and server-stub crates: one module per channel, thin code
//! over `triad-runtime`'s `ws` feature (listener, hub). Called from `client.rs` and `server.rs`.

use proc_macro2::TokenStream;
use quote::quote;

use super::spell::{Uses, ident, type_path};
use super::{doc_attrs, docs};
use crate::config::Config;
use crate::ir::{
    Api, Channel, ChannelCredential, Delivery, Direction, Message, Placement, Presence, Primitive, Tagging, TypeId,
    TypeKind, TypeRef,
};
use crate::naming;

mod client;
mod examples;
mod server;

pub(crate) use client::{client_credentials, client_modules};
pub(crate) use examples::{listen_example, push_example};
pub(crate) use server::{server_library, server_modules};

/// The channel an example named `name` runs on, with its module name.
fn example_channel<'a>(api: &'a Api, name: &str, channel_name: &str) -> Result<(&'a Channel, String), String> {
    api.channels
        .iter()
        .zip(module_names(api))
        .find(|(c, _)| c.name.wire == channel_name)
        .ok_or_else(|| format!("example `{name}`: channel `{channel_name}` does not exist"))
}

/// Rust module names of the channels, kept apart from the crate's own items.
pub(crate) fn module_names(api: &Api) -> Vec<String> {
    let reserved = ["types", "runtime", "websocket", "rt", "ws", "serde_json"];
    let mut names: Vec<String> = api
        .channels
        .iter()
        .map(|c| {
            let name = naming::unraw(&c.name.rust).to_owned();
            if name.is_empty() || reserved.contains(&name.as_str()) || c.name.rust.starts_with("r#") {
                format!("{name}_channel")
            } else {
                name
            }
        })
        .collect();
    naming::dedupe(names.iter_mut(), true);
    names
}

/// Every credential field of every channel, each field once (the first placement names it).
pub(crate) fn credential_fields(api: &Api) -> Vec<&ChannelCredential> {
    let mut out: Vec<&ChannelCredential> = Vec::new();
    for credential in api.channels.iter().flat_map(|c| &c.credentials) {
        if !out.iter().any(|c| c.field == credential.field) {
            out.push(credential);
        }
    }
    out
}

fn placement_doc(placement: &Placement) -> String {
    match placement {
        Placement::Cookie(name) => format!("the {} cookie", docs::code_span(name)),
        Placement::Header(name) => format!("the {} header", docs::code_span(name)),
        Placement::Query(name) => format!("the {} query parameter", docs::code_span(name)),
        Placement::Bearer => "an `Authorization: Bearer` header".to_owned(),
    }
}

/// Doc line of a credential field sent as `placement`.
pub(crate) fn credential_doc(placement: &Placement) -> String {
    format!(" Sent as {} on WebSocket connection requests.", placement_doc(placement))
}

/// Calls applying credentials to a `ws::Auth` (client) or `ws::Expect` (server) named `auth`,
/// from a struct `credentials` whose fields are `Option<Secret>`.
fn apply(credentials: &[ChannelCredential]) -> TokenStream {
    let mut out = TokenStream::new();
    for c in credentials {
        let field = ident(&c.field);
        let call = match &c.placement {
            Placement::Cookie(name) => quote!(auth.cookie(#name, value.clone())),
            Placement::Header(name) => quote!(auth.header(#name, value.clone())),
            Placement::Query(name) => quote!(auth.query(#name, value.clone())),
            Placement::Bearer => quote!(auth.bearer(value.clone())),
        };
        out.extend(quote! {
            if let Some(value) = &credentials.#field {
                auth = #call;
            }
        });
    }
    out
}

/// How a channel's frames become items: the channel's [`Delivery`] (decided by `analyze`), as
/// the channel modules spell it.
enum Frame {
    /// `{list: [event, ...]}`: one item per element of the list of a tagged union (`nullable`:
    /// the list is an `Option`, `None` giving no item).
    Batch { envelope: TypeRef, field: String, nullable: bool, event: TypeRef, unknown: String },
    /// A tagged union: one item, `Unknown` for an unknown tag.
    Tagged { ty: TypeRef, unknown: String },
    /// Any other type: one item.
    Whole { ty: TypeRef },
    /// Nothing is received: frames are kept as raw JSON.
    Raw,
}

fn unknown_of(api: &Api, union: TypeId) -> String {
    match &api.ty(union).kind {
        TypeKind::Union(u) => u.unknown.clone(),
        _ => "Unknown".to_owned(),
    }
}

fn frame(api: &Api, channel: &Channel) -> Frame {
    match &channel.delivery {
        Delivery::Batch { ty, envelope, field, item, union, .. } => {
            let list = match &api.ty(*envelope).kind {
                TypeKind::Struct(s) => s.fields.get(*field),
                _ => None,
            };
            match list {
                Some(f) => Frame::Batch {
                    envelope: ty.clone(),
                    field: f.name.rust.clone(),
                    nullable: f.presence != Presence::Plain,
                    event: item.clone(),
                    unknown: unknown_of(api, *union),
                },
                None => Frame::Whole { ty: ty.clone() },
            }
        }
        Delivery::Tagged { ty, union } => Frame::Tagged { ty: ty.clone(), unknown: unknown_of(api, *union) },
        Delivery::Whole { ty } => Frame::Whole { ty: ty.clone() },
        Delivery::Nothing => Frame::Raw,
    }
}

/// Module docs: the channel's docs, its address, then `extra` (written here, not from the spec).
fn module_docs(channel: &Channel, extra: &str) -> TokenStream {
    let mut text = channel.docs.text.as_deref().map(docs::sanitize).unwrap_or_default();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "The {} channel, at {}.{extra}",
        docs::code_span(&channel.name.wire),
        docs::code_span(&channel.address)
    ));
    crate::emit::inner_docs(&text)
}

/// One function per message of `channel` going in `direction` (and, for a request, having a
/// reply), named `<prefix>_<message>` (made unique within the channel), documented from the
/// message and `line`, with the body `function` gives for the function's name, the message's
/// payload type and the message.
fn message_fns(
    api: &Api,
    channel: &Channel,
    direction: Direction,
    prefix: &str,
    uses: &mut Uses,
    line: impl Fn(&str) -> String,
    mut function: impl FnMut(proc_macro2::Ident, TokenStream, &Message, &mut Uses) -> TokenStream,
) -> TokenStream {
    let types = quote!(super::types);
    let mut out = TokenStream::new();
    let mut taken: Vec<String> = Vec::new();
    let requests = prefix == "request";
    for message in channel.messages.iter().filter(|m| m.direction == direction && (!requests || m.reply.is_some())) {
        let mut name = format!("{prefix}_{}", naming::unraw(&naming::field_name(&message.name.wire)));
        while taken.contains(&name) {
            name.push_str("_message");
        }
        taken.push(name.clone());
        let ty = type_path(api, &message.payload, &types, uses);
        let mut doc = doc_attrs(&crate::ir::Docs { deprecated: None, ..message.docs.clone() });
        if !doc.is_empty() {
            doc.extend(quote!(#[doc = ""]));
        }
        let line = line(&message.name.wire);
        doc.extend(quote!(#[doc = #line]));
        let function = function(ident(&name), ty, message, uses);
        out.extend(quote! {
            #doc
            #function
        });
    }
    out
}

/// The tag property of a channel's events, when they are a tagged union.
fn event_tag(api: &Api, channel: &Channel) -> Option<String> {
    let union = match frame(api, channel) {
        Frame::Batch { event, .. } => event,
        Frame::Tagged { ty, .. } => ty,
        _ => return None,
    };
    let mut current = &union;
    for _ in 0..=api.types.len() {
        let TypeRef::Named(id) = current else { return None };
        match &api.ty(*id).kind {
            TypeKind::Union(u) => {
                return match &u.tagging {
                    Tagging::Internal { tag } | Tagging::Adjacent { tag, .. } => Some(tag.clone()),
                    _ => None,
                };
            }
            TypeKind::Alias(next) => current = next,
            _ => return None,
        }
    }
    None
}

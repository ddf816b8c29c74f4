//! WebSocket channels in the client and server-stub crates: one module per channel, thin code
//! over `triad-runtime`'s `ws` feature (listener, hub). Called from `client.rs` and `server.rs`.

use proc_macro2::TokenStream;
use quote::quote;

use super::spell::{Uses, ident, type_path};
use super::{doc_attrs, docs};
use crate::config::Config;
use crate::ir::{
    Api, Channel, Delivery, Direction, Message, ParamLocation, Presence, Primitive, SecurityKind, Tagging, TypeId,
    TypeKind, TypeRef,
};
use crate::naming;

/// Where a credential goes on the connection request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    Cookie(String),
    Header(String),
    Query(String),
    Bearer,
}

/// One credential of the connection request: the `Credentials` field holding it and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credential {
    /// Wire name the field is named after (a cookie or a security scheme).
    pub wire: String,
    /// Rust field name.
    pub field: String,
    pub placement: Placement,
}

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

/// The credentials a channel's connection request carries: the config's WebSocket cookies, then
/// the keys and tokens of its servers' security schemes.
pub(crate) fn channel_credentials(config: &Config, channel: &Channel) -> Vec<Credential> {
    let mut out: Vec<Credential> = Vec::new();
    let mut add = |wire: &str, placement: Placement| {
        let field = naming::field_name(wire);
        if !out.iter().any(|c| c.field == field && c.placement == placement) {
            out.push(Credential { wire: wire.to_owned(), field, placement });
        }
    };
    for cookie in &config.auth.websocket_cookies {
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

/// Every credential field of every channel, each field once (the first placement names it).
pub(crate) fn credential_fields(api: &Api, config: &Config) -> Vec<Credential> {
    let mut out: Vec<Credential> = Vec::new();
    for channel in &api.channels {
        for credential in channel_credentials(config, channel) {
            if !out.iter().any(|c| c.field == credential.field) {
                out.push(credential);
            }
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

/// Doc line of a credential field.
pub(crate) fn credential_doc(credential: &Credential) -> String {
    format!(" Sent as {} on WebSocket connection requests.", placement_doc(&credential.placement))
}

/// Calls applying credentials to a `ws::Auth` (client) or `ws::Expect` (server) named `auth`,
/// from a struct `credentials` whose fields are `Option<Secret>`.
fn apply(credentials: &[Credential]) -> TokenStream {
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
        Delivery::Batch { ty, envelope, field, item, union } => {
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
    text.lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#![doc = #l])
        })
        .collect()
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

/// The client crate's channel modules. `http` is true when the crate has an HTTP `Client`.
pub(crate) fn client_modules(
    api: &Api,
    config: &Config,
    client_crate: &str,
    http: bool,
    uses: &mut Uses,
) -> TokenStream {
    let types = quote!(super::types);
    let mut modules = TokenStream::new();
    for (channel, module) in api.channels.iter().zip(module_names(api)) {
        let module_ident = ident(&module);
        let frame = frame(api, channel);
        let (event, decode_body) = match &frame {
            Frame::Batch { envelope, field, nullable, event, unknown } => {
                let envelope = type_path(api, envelope, &types, uses);
                let event = type_path(api, event, &types, uses);
                let field = ident(field);
                let unknown = ident(unknown);
                let flatten = nullable.then(|| quote!(.flatten()));
                (
                    event.clone(),
                    quote! {
                        match ws::serde_json::from_slice::<#envelope>(frame) {
                            Ok(message) => out.extend(message.#field.into_iter() #flatten .map(|event| match event {
                                types::model::Decoded::Ok(#event::#unknown(raw)) => Item::Unknown(raw),
                                types::model::Decoded::Ok(event) => Item::Event(event),
                                types::model::Decoded::Malformed { raw, error } => {
                                    Item::Malformed(ws::Malformed { raw: raw.to_string(), error })
                                }
                            })),
                            Err(error) => out.push(Item::Malformed(ws::Malformed::new(frame, error))),
                        }
                    },
                )
            }
            Frame::Tagged { ty, unknown } => {
                let ty = type_path(api, ty, &types, uses);
                let unknown = ident(unknown);
                (
                    ty.clone(),
                    quote! {
                        out.push(match ws::serde_json::from_slice::<#ty>(frame) {
                            Ok(#ty::#unknown(raw)) => Item::Unknown(raw),
                            Ok(event) => Item::Event(event),
                            Err(error) => Item::Malformed(ws::Malformed::new(frame, error)),
                        });
                    },
                )
            }
            Frame::Whole { ty } => {
                let ty = type_path(api, ty, &types, uses);
                (
                    ty.clone(),
                    quote! {
                        out.push(match ws::serde_json::from_slice::<#ty>(frame) {
                            Ok(event) => Item::Event(event),
                            Err(error) => Item::Malformed(ws::Malformed::new(frame, error)),
                        });
                    },
                )
            }
            Frame::Raw => (
                quote!(ws::serde_json::Value),
                quote! {
                    out.push(match ws::serde_json::from_slice::<ws::serde_json::Value>(frame) {
                        Ok(event) => Item::Event(event),
                        Err(error) => Item::Malformed(ws::Malformed::new(frame, error)),
                    });
                },
            ),
        };
        let batch_note = if matches!(frame, Frame::Batch { .. }) {
            " A frame is a batch: each of its events is one item."
        } else {
            ""
        };
        let templated = !channel.params.is_empty();
        // One constant per server: the channel's whole URL, or the server's when the address
        // has parameters (then `url` joins them).
        let mut consts = TokenStream::new();
        let mut first_const = None;
        for server in &channel.servers {
            let name = ident(&server.name.rust);
            first_const.get_or_insert_with(|| server.name.rust.clone());
            let (value, what) = if templated {
                (server.url.clone(), "URL (pass it to [`url`]) of the")
            } else {
                (server.join(&channel.address), "URL of the channel on the")
            };
            let mut doc = format!(" {what} {} server", docs::code_span(&server.name.wire));
            if let Some(d) = server.description.as_deref().map(docs::inline).filter(|d| !d.is_empty()) {
                doc.push_str(&format!(": {d}"));
            } else {
                doc.push('.');
            }
            consts.extend(quote!(#[doc = #doc] pub const #name: &str = #value;));
        }
        let mut url_fn = TokenStream::new();
        if templated || channel.query.is_some() {
            let mut params = TokenStream::new();
            let mut param_docs = String::new();
            let mut build = if templated {
                let template = channel.address.as_str();
                let mut values = Vec::new();
                for param in &channel.params {
                    let arg = ident(&param.name.rust);
                    let wire = param.name.wire.as_str();
                    let ty = match &param.ty {
                        TypeRef::Primitive(Primitive::String) => {
                            // `&str` is not sized: its reference is what becomes `&dyn Display`.
                            values.push(quote!((#wire, &#arg)));
                            quote!(&str)
                        }
                        ty => {
                            values.push(quote!((#wire, #arg)));
                            let ty = type_path(api, ty, &types, uses);
                            quote!(&#ty)
                        }
                    };
                    params.extend(quote!(#arg: #ty,));
                    let doc = param.docs.text.as_deref().map(docs::inline).unwrap_or_default();
                    param_docs.push_str(&format!("\n- {}: {doc}", docs::code_span(&param.name.wire)));
                }
                quote!(ws::address(server, #template, &[#(#values),*]))
            } else {
                quote!(server.to_owned())
            };
            if let Some(query) = &channel.query {
                let ty = type_path(api, query, &types, uses);
                params.extend(quote!(query: Option<&#ty>,));
                param_docs.push_str("\n- `query`: query parameters of the connection (`None` sends none).");
                build = quote!(ws::with_query(#build, query));
            }
            let server_doc = if templated {
                "`server` is a server URL (one of this module's constants)"
            } else {
                "`server` is the channel's URL (one of this module's constants)"
            };
            let doc = format!(" The URL to connect to: {server_doc}, values percent-encoded.{param_docs}");
            let doc: TokenStream = doc
                .lines()
                .map(|l| {
                    let l = format!(" {}", l.trim_start());
                    quote!(#[doc = #l])
                })
                .collect();
            url_fn = quote! {
                #doc
                pub fn url(server: &str, #params) -> String {
                    #build
                }
            };
        }
        let credentials = channel_credentials(config, channel);
        let auth_body = apply(&credentials);
        let auth_doc = if credentials.is_empty() {
            " The connection request needs no credentials.".to_owned()
        } else {
            let places: Vec<String> = credentials.iter().map(|c| placement_doc(&c.placement)).collect();
            format!(" Credentials of the connection request: {}; unset ones are not sent.", places.join(", "))
        };
        let credentials_arg = if credentials.is_empty() { quote!(_credentials) } else { quote!(credentials) };
        let auth_fn = if credentials.is_empty() {
            quote! {
                #[doc = #auth_doc]
                pub fn auth(#credentials_arg: &super::Credentials) -> ws::Auth {
                    ws::Auth::new()
                }
            }
        } else {
            quote! {
                #[doc = #auth_doc]
                pub fn auth(#credentials_arg: &super::Credentials) -> ws::Auth {
                    let mut auth = ws::Auth::new();
                    #auth_body
                    auth
                }
            }
        };
        let sends = message_fns(
            api,
            channel,
            Direction::Send,
            "send",
            uses,
            |message| {
                format!(
                    " Sends the {} message as JSON; a message sent while the listener reconnects waits for the next connection.",
                    docs::code_span(message)
                )
            },
            |name, ty, _, _| {
                quote! {
                    pub async fn #name(sender: &ws::Sender, message: &#ty) -> Result<(), ws::SendError> {
                        sender.send_json(message).await
                    }
                }
            },
        );
        let requests = message_fns(
            api,
            channel,
            Direction::Send,
            "request",
            uses,
            |message| {
                format!(
                    " Sends the {} message as JSON and waits up to [`ws::REQUEST_TIMEOUT`] for the reply carrying \
                     its correlation id, decoded (the reply does not reach the listener's items). A reply that \
                     does not decode is [`ws::RequestError::Reply`] with the raw JSON; a request without an id is \
                     [`ws::RequestError::NoId`]; a lost connection or no reply in time is [`ws::RequestError::Send`].",
                    docs::code_span(message)
                )
            },
            |name, ty, message, uses| {
                let (Some(pointer), Some(reply)) = (&message.correlation, &message.reply) else {
                    return TokenStream::new();
                };
                let reply_ty = type_path(api, &reply.ty, &types, uses);
                let replies: Vec<String> = reply.messages.iter().map(|m| docs::code_span(m)).collect();
                let doc = format!(
                    " The request's id is at {} in it; the reply is {}.",
                    docs::code_span(pointer),
                    replies.join(" or ")
                );
                quote! {
                    #[doc = ""]
                    #[doc = #doc]
                    pub async fn #name(sender: &ws::Sender, message: &#ty) -> Result<#reply_ty, ws::RequestError> {
                        ws::request(sender, message, #pointer, ws::REQUEST_TIMEOUT).await
                    }
                }
            },
        );
        let example_url = match (&first_const, templated || channel.query.is_some()) {
            (Some(c), false) => format!("{module}::{c}"),
            (Some(c), true) => format!("{module}::url({module}::{c}, ...)"),
            (None, _) => "\"wss://...\"".to_owned(),
        };
        let krate = client_crate.replace('-', "_");
        let example = if http {
            format!(
                "\n\n# Example\n\n```ignore\nuse {krate}::{{Client, Credentials, {module}}};\nuse {krate}::websocket::{{Item, StreamExt}};\n\n\
                 async fn listen(client: Client, credentials: &Credentials) {{\n    \
                 let mut items = {module}::listener({example_url}, credentials)\n        \
                 // After every reconnect: re-read what may have changed during the gap.\n        \
                 .on_resync(client.clone(), |client, gap| async move {{ let _ = (client, gap.last_message); }})\n        \
                 .connect();\n    \
                 while let Some(item) = items.next().await {{\n        \
                 if let Item::Event(event) = item {{\n            println!(\"{{event:?}}\");\n        }}\n    }}\n}}\n```"
            )
        } else {
            format!(
                "\n\n# Example\n\n```ignore\nuse {krate}::{{Credentials, {module}}};\nuse {krate}::websocket::{{Item, StreamExt}};\n\n\
                 async fn listen(credentials: &Credentials) {{\n    \
                 let mut items = {module}::listener({example_url}, credentials).connect();\n    \
                 while let Some(item) = items.next().await {{\n        \
                 if let Item::Event(event) = item {{\n            println!(\"{{event:?}}\");\n        }}\n    }}\n}}\n```"
            )
        };
        let docs = module_docs(channel, &format!("{batch_note}{example}"));
        let event_doc = match &frame {
            Frame::Batch { .. } => " One event of a received batch.",
            Frame::Raw => " The channel declares nothing received: frames are kept as JSON.",
            _ => " One received message.",
        };
        let (correlate, listener_doc) = match &channel.correlation {
            Some(pointer) => {
                let doc = format!(
                    " Replies to requests are matched by their correlation id at {} and go to their \
                     `request_` call, not to the items.",
                    docs::code_span(pointer)
                );
                (quote!(.correlate(#pointer)), quote!(#[doc = ""] #[doc = #doc]))
            }
            None => (TokenStream::new(), TokenStream::new()),
        };
        modules.extend(quote! {
            pub mod #module_ident {
                #docs
                #[allow(unused_imports)]
                use super::types;
                use triad_runtime::ws;
                #[doc = #event_doc]
                pub type Event = #event;
                /// What the listener yields: events, unknown and malformed events, and states.
                pub type Item = ws::Item<Event>;
                #consts
                #url_fn
                /// Turns one frame into items (the listener's `DecodeFn`): what does not decode
                /// becomes a malformed item, an event of an unknown kind an unknown one.
                pub fn decode(frame: &[u8], out: &mut Vec<Item>) {
                    #decode_body
                }
                #auth_fn
                /// A listener of this channel at `url` with `credentials`: set options or a resync
                /// hook, then `connect`.
                #listener_doc
                pub fn listener(url: impl Into<String>, credentials: &super::Credentials) -> ws::Listener<Event> {
                    ws::Listener::new(url, decode).auth(auth(credentials))#correlate
                }
                #sends
                #requests
            }
        });
    }
    modules
}

/// `Credentials` of a client crate without operations: one secret per channel credential.
pub(crate) fn client_credentials(api: &Api, config: &Config) -> TokenStream {
    let mut decls = TokenStream::new();
    for c in credential_fields(api, config) {
        let field = ident(&c.field);
        let doc = credential_doc(&c);
        decls.extend(quote!(#[doc = #doc] pub #field: Option<websocket::Secret>,));
    }
    quote! {
        /// Credentials of the connection requests; unset ones are not sent. `Debug` never shows them.
        #[derive(Clone, Debug, Default)]
        pub struct Credentials {
            #decls
        }
    }
}

/// The server crate's channel modules and the `Expected` credentials they check.
pub(crate) fn server_modules(api: &Api, config: &Config, uses: &mut Uses) -> TokenStream {
    let mut out = TokenStream::new();
    let mut decls = TokenStream::new();
    for c in credential_fields(api, config) {
        let field = ident(&c.field);
        let doc = format!(" Expected as {} on WebSocket upgrades.", placement_doc(&c.placement));
        decls.extend(quote!(#[doc = #doc] pub #field: Option<websocket::Secret>,));
    }
    out.extend(quote! {
        /// The WebSocket runtime the channel modules build on (`triad-runtime`'s `ws`).
        pub use triad_runtime::ws as websocket;
        /// What WebSocket upgrades must carry; unset ones are not checked. `Debug` never shows them.
        #[derive(Clone, Debug, Default)]
        pub struct Expected {
            #decls
        }
    });
    for (channel, module) in api.channels.iter().zip(module_names(api)) {
        let module_ident = ident(&module);
        let path =
            if channel.address.starts_with('/') { channel.address.clone() } else { format!("/{}", channel.address) };
        let credentials = channel_credentials(config, channel);
        let body = apply(&credentials);
        let arg = if credentials.is_empty() { quote!(_credentials) } else { quote!(credentials) };
        let expect_fn = if credentials.is_empty() {
            quote! {
                /// The upgrade needs no credentials.
                pub fn expect(#arg: &super::Expected) -> ws::Expect {
                    ws::Expect::new()
                }
            }
        } else {
            quote! {
                /// What the upgrade must carry, placed as the client sends it; unset ones are not checked.
                pub fn expect(#arg: &super::Expected) -> ws::Expect {
                    let mut auth = ws::Expect::new();
                    #body
                    auth
                }
            }
        };
        let pushes = message_fns(
            api,
            channel,
            Direction::Receive,
            "push",
            uses,
            |message| {
                format!(
                    " Pushes the {} message as JSON to every connected client; returns how many it was queued for.",
                    docs::code_span(message)
                )
            },
            |name, ty, _, _| {
                quote! {
                    pub fn #name(hub: &ws::Hub, message: &#ty) -> Result<usize, ws::serde_json::Error> {
                        hub.push_json(message)
                    }
                }
            },
        );
        let docs = module_docs(channel, " Serve it with [`router`] and push messages through a [`ws::Hub`].");
        out.extend(quote! {
            pub mod #module_ident {
                #docs
                #[allow(unused_imports)]
                use super::types;
                use triad_runtime::ws;
                /// Path of the endpoint.
                pub const PATH: &str = #path;
                #expect_fn
                /// An axum router serving the endpoint at [`PATH`] for `hub`, authenticated by `expect`.
                pub fn router(hub: &ws::Hub, expect: ws::Expect) -> triad_runtime::server::axum::Router {
                    hub.router(PATH, expect)
                }
                #pushes
            }
        });
    }
    out
}

/// The crate root of a server crate for an API with channels only.
pub(crate) fn server_library(api: &Api, config: &Config) -> TokenStream {
    let types_crate = super::spell::crate_ident(&config.types_crate.name);
    let title = if api.title.is_empty() { config.name.clone() } else { api.title.clone() };
    let mut crate_doc = format!("WebSocket endpoints of the {}", docs::inline(&title));
    if !api.version.is_empty() {
        crate_doc.push_str(&format!(" (version {})", docs::inline(&api.version)));
    }
    crate_doc.push_str(&format!(
        ".\n\nOne module per channel: its path, the upgrade's expected credentials, an axum router over a \
         [`websocket::Hub`] and a typed push per message. Message types come from [`{types_crate}`] \
         (re-exported as [`types`])."
    ));
    let crate_docs: TokenStream = crate_doc
        .lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#![doc = #l])
        })
        .collect();
    quote! {
        #crate_docs
        #![allow(deprecated, clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]
        pub use #types_crate as types;
        pub use triad_runtime as runtime;
    }
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

/// `--flag` names of a channel's credentials (kebab-case of their wire names) with their fields.
fn credential_flags(config: &Config, channel: &Channel) -> Vec<(String, String)> {
    use heck::ToKebabCase;
    let mut out: Vec<(String, String)> = Vec::new();
    for c in channel_credentials(config, channel) {
        let flag = c.wire.to_kebab_case();
        if !flag.is_empty() && !["url", "addr", "help"].contains(&flag.as_str()) && !out.iter().any(|(f, _)| *f == flag)
        {
            out.push((flag, c.field));
        }
    }
    out
}

/// Flag parsing shared by the listener and the pusher: `fixed` flags (name, variable) and the
/// credential flags, each taking one value; `-h`/`--help` prints `HELP`.
fn parse_flags(fixed: &[(&str, &str)], credentials: &[(String, String)]) -> TokenStream {
    let mut decls = TokenStream::new();
    let mut arms = TokenStream::new();
    for (flag, var) in fixed {
        let var = ident(var);
        let flag = format!("--{flag}");
        decls.extend(quote!(let mut #var: Option<String> = None;));
        arms.extend(quote!(#flag => &mut #var,));
    }
    for (flag, field) in credentials {
        let var = ident(&format!("credential_{}", naming::unraw(field)));
        let flag = format!("--{flag}");
        decls.extend(quote!(let mut #var: Option<String> = None;));
        arms.extend(quote!(#flag => &mut #var,));
    }
    quote! {
        #decls
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let slot = match flag.as_str() {
                "-h" | "--help" => {
                    println!("{HELP}");
                    return Ok(std::process::ExitCode::SUCCESS);
                }
                #arms
                other => return Err(format!("unknown option `{other}`")),
            };
            match args.next() {
                Some(value) => *slot = Some(value),
                None => return Err(format!("{flag} needs a value")),
            }
        }
    }
}

/// `main`, usage errors (exit 2) and the SIGTERM/Ctrl-C future shared by both programs.
fn program_frame(help: &str, body: TokenStream, flavor: TokenStream) -> TokenStream {
    quote! {
        const HELP: &str = #help;

        #[tokio::main(#flavor)]
        async fn main() -> std::process::ExitCode {
            match run().await {
                Ok(code) => code,
                Err(message) => {
                    eprintln!("error: {message}\n\n{HELP}");
                    std::process::ExitCode::from(2)
                }
            }
        }

        #body

        /// Completes on SIGTERM or Ctrl-C.
        async fn shutdown() {
            #[cfg(unix)]
            {
                let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(_) => return std::future::pending().await,
                };
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

fn credential_struct(krate: &proc_macro2::Ident, ty: &str, credentials: &[(String, String)]) -> TokenStream {
    let ty = ident(ty);
    let mut fields = TokenStream::new();
    for (_, field) in credentials {
        let var = ident(&format!("credential_{}", naming::unraw(field)));
        let field = ident(field);
        fields.extend(quote!(#field: #var.map(#krate::websocket::Secret::new),));
    }
    quote!(#krate::#ty { #fields ..Default::default() })
}

fn usage_flags(credentials: &[(String, String)]) -> (String, String) {
    let mut usage = String::new();
    let mut help = String::new();
    for (flag, _) in credentials {
        usage.push_str(&format!(" --{flag} T"));
        help.push_str(&format!("\n  --{flag:<14} credential sent on the connection request"));
    }
    (usage, help)
}

/// The client crate's listener example: connects to `--url` and prints one JSON line per item.
pub(crate) fn listen_example(
    api: &Api,
    config: &Config,
    name: &str,
    description: Option<&str>,
    channel_name: &str,
    id: &[String],
) -> Result<TokenStream, String> {
    let (channel, module) = example_channel(api, name, channel_name)?;
    let krate = super::spell::crate_ident(&config.client.krate.name);
    let module = ident(&module);
    let credentials = credential_flags(config, channel);
    let (usage_creds, help_creds) = usage_flags(&credentials);
    let mut help = String::new();
    if let Some(d) = description {
        help.push_str(d.trim());
        help.push_str("\n\n");
    }
    help.push_str(&format!(
        "usage: {name} --url WS_URL{usage_creds}\n\noptions:\n  --url            WebSocket URL of the channel\
         {help_creds}\n\nPrints one JSON line per item: {{\"event\": TYPE, \"id\": ID}}, {{\"unknown\": TYPE}}, \
         {{\"malformed\": ERROR}} or {{\"state\": STATE}}. SIGTERM or Ctrl-C closes the connection and exits 0; \
         a refused authentication exits 1 without retrying."
    ));
    let parse = parse_flags(&[("url", "url")], &credentials);
    let creds = credential_struct(&krate, "Credentials", &credentials);
    let tag = event_tag(api, channel).unwrap_or_default();
    let pointers: Vec<String> = id
        .iter()
        .map(|path| path.split('.').map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect())
        .collect();
    let body = quote! {
        /// The tag of an event (or raw unknown event), if it has one.
        fn tag(value: &ws::serde_json::Value) -> ws::serde_json::Value {
            value.get(#tag).cloned().unwrap_or(ws::serde_json::Value::Null)
        }

        /// The first of the configured id properties an event has.
        fn id(value: &ws::serde_json::Value) -> ws::serde_json::Value {
            for pointer in [#(#pointers),*] {
                if let Some(found) = value.pointer(pointer) {
                    return found.clone();
                }
            }
            ws::serde_json::Value::Null
        }

        async fn run() -> Result<std::process::ExitCode, String> {
            #parse
            let url = url.ok_or("missing --url")?;
            // Every field may already be set by a flag.
            #[allow(clippy::needless_update)]
            let credentials = #creds;
            let mut connection = #krate::#module::listener(url, &credentials).connect();
            let closer = connection.closer();
            tokio::spawn(async move {
                shutdown().await;
                closer.close();
            });
            let mut code = std::process::ExitCode::SUCCESS;
            let mut out = std::io::stdout();
            while let Some(item) = connection.next().await {
                let line = match item {
                    ws::Item::Event(event) => {
                        let value = ws::serde_json::to_value(&event).unwrap_or_default();
                        ws::serde_json::json!({"event": tag(&value), "id": id(&value)})
                    }
                    ws::Item::Unknown(raw) => ws::serde_json::json!({"unknown": tag(&raw)}),
                    ws::Item::Malformed(malformed) => ws::serde_json::json!({"malformed": malformed.error}),
                    ws::Item::State(state) => {
                        let name = match state {
                            ws::State::Connecting => continue,
                            ws::State::Connected => "connected",
                            ws::State::Reconnecting { .. } => "reconnecting",
                            ws::State::Resync => "resync",
                            ws::State::AuthFailed { .. } => {
                                code = std::process::ExitCode::FAILURE;
                                "auth_failed"
                            }
                            ws::State::Closed => "closed",
                            ws::State::Failed(reason) => {
                                eprintln!("error: {reason}");
                                code = std::process::ExitCode::FAILURE;
                                "failed"
                            }
                        };
                        ws::serde_json::json!({"state": name})
                    }
                };
                writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
            }
            Ok(code)
        }
    };
    let program = program_frame(&help, body, quote!(flavor = "current_thread"));
    let doc =
        format!(" {}", description.map(super::one_line).unwrap_or_else(|| "Listens to a WebSocket channel.".into()));
    Ok(quote! {
        #![doc = #doc]
        use std::io::Write as _;
        use #krate::websocket::{self as ws, StreamExt as _};
        #program
    })
}

/// The server crate's pusher example: serves the channel's endpoint on `--addr` and pushes each
/// line of standard input to every connected client; it keeps serving after the end of input
/// until SIGTERM or Ctrl-C.
pub(crate) fn push_example(
    api: &Api,
    config: &Config,
    name: &str,
    description: Option<&str>,
    channel_name: &str,
) -> Result<TokenStream, String> {
    let (channel, module) = example_channel(api, name, channel_name)?;
    let krate = super::spell::crate_ident(&config.server.krate.name);
    let module = ident(&module);
    let credentials = credential_flags(config, channel);
    let (usage_creds, help_creds) = usage_flags(&credentials);
    let mut help = String::new();
    if let Some(d) = description {
        help.push_str(d.trim());
        help.push_str("\n\n");
    }
    help.push_str(&format!(
        "usage: {name} --addr HOST:PORT{usage_creds}\n\noptions:\n  --addr           address to listen on\
         {help_creds}\n\nServes the endpoint and pushes each line of standard input, as it is, to every connected \
         client. It keeps serving after the end of input; SIGTERM or Ctrl-C stops it (exit 0)."
    ));
    let parse = parse_flags(&[("addr", "addr")], &credentials);
    let expected = credential_struct(&krate, "Expected", &credentials);
    let axum = if api.operations.is_empty() && api.webhooks.is_empty() {
        quote!(#krate::runtime::server::axum)
    } else {
        quote!(#krate::runtime::axum)
    };
    let body = quote! {
        async fn run() -> Result<std::process::ExitCode, String> {
            #parse
            let addr = addr.ok_or("missing --addr")?;
            // Every field may already be set by a flag.
            #[allow(clippy::needless_update)]
            let expected = #expected;
            let hub = ws::Hub::new(ws::HubOptions::default());
            let router = #krate::#module::router(&hub, #krate::#module::expect(&expected));
            let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| format!("{addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            eprintln!("listening on ws://{local}{}", #krate::#module::PATH);
            let pusher = hub.clone();
            std::thread::spawn(move || {
                for line in std::io::stdin().lines() {
                    let Ok(line) = line else { break };
                    pusher.push_text(line);
                }
            });
            #axum::serve(listener, router).with_graceful_shutdown(shutdown()).await.map_err(|e| e.to_string())?;
            eprintln!("stopped: {:?}", hub.counters());
            Ok(std::process::ExitCode::SUCCESS)
        }
    };
    let program = program_frame(&help, body, quote!());
    let doc = format!(" {}", description.map(super::one_line).unwrap_or_else(|| "Serves a WebSocket channel.".into()));
    Ok(quote! {
        #![doc = #doc]
        use #krate::websocket as ws;
        #program
    })
}

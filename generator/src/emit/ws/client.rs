//! The client crate's channel modules: events, items, URLs, the `decode` of each channel's
//! frames, credentials, the listener and the typed sends and requests.

use super::*;

/// The client crate's channel modules, each behind `gate` (the attributes of a feature, or
/// none). `http` is true when the crate has an HTTP `Client`.
pub(crate) fn client_modules(
    api: &Api,
    client_crate: &str,
    http: bool,
    gate: &TokenStream,
    uses: &mut Uses,
) -> TokenStream {
    let types = quote!(super::types);
    let mut modules = TokenStream::new();
    for (channel, module) in api.channels.iter().zip(module_names(api)) {
        let module_ident = ident(&module);
        let frame = frame(api, channel);
        let (event, decode_body) = decoding(api, &frame, &types, uses);
        let batch_note = if matches!(frame, Frame::Batch { .. }) {
            " A frame is a batch: each of its events is one item."
        } else {
            ""
        };
        let templated = !channel.params.is_empty();
        let (consts, first_const) = url_consts(channel);
        let url_fn = url_fn(api, channel, &types, uses);
        let auth_fn = auth_fn(channel);
        let (sends, requests) = sends_and_requests(api, channel, &types, uses);
        let example =
            module_example(&module, first_const.as_deref(), templated || channel.query.is_some(), client_crate, http);
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
            #gate
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

/// A channel's `Event` type and the body of its `decode`.
fn decoding(api: &Api, frame: &Frame, types: &TokenStream, uses: &mut Uses) -> (TokenStream, TokenStream) {
    match frame {
        Frame::Batch { envelope, field, nullable, event, unknown } => {
            let envelope = type_path(api, envelope, types, uses);
            let event = type_path(api, event, types, uses);
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
            let ty = type_path(api, ty, types, uses);
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
            let ty = type_path(api, ty, types, uses);
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
    }
}

/// One URL constant per server: the channel's whole URL, or the server's when the address has
/// parameters (then `url` joins them); and the first constant's name.
fn url_consts(channel: &Channel) -> (TokenStream, Option<String>) {
    let templated = !channel.params.is_empty();
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
    (consts, first_const)
}

/// `url(server, params..., query)`, for a channel whose address has parameters or that takes a
/// query; nothing otherwise.
fn url_fn(api: &Api, channel: &Channel, types: &TokenStream, uses: &mut Uses) -> TokenStream {
    let templated = !channel.params.is_empty();
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
                        let ty = type_path(api, ty, types, uses);
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
            let ty = type_path(api, query, types, uses);
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
    url_fn
}

/// `auth(credentials)`: the channel's credentials on the upgrade request.
fn auth_fn(channel: &Channel) -> TokenStream {
    let credentials = &channel.credentials;
    let auth_body = apply(credentials);
    let auth_doc = if credentials.is_empty() {
        " The connection request needs no credentials.".to_owned()
    } else {
        let places: Vec<String> = credentials.iter().map(|c| placement_doc(&c.placement)).collect();
        format!(" Credentials of the connection request: {}; unset ones are not sent.", places.join(", "))
    };
    let credentials_arg = if credentials.is_empty() { quote!(_credentials) } else { quote!(credentials) };
    if credentials.is_empty() {
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
    }
}

/// The channel's `send_<message>` and `request_<message>` functions.
fn sends_and_requests(
    api: &Api,
    channel: &Channel,
    types: &TokenStream,
    uses: &mut Uses,
) -> (TokenStream, TokenStream) {
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
            let reply_ty = type_path(api, &reply.ty, types, uses);
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
    (sends, requests)
}

/// The module docs' example: a listener of the channel (with a resync hook on the HTTP client
/// when the crate has one).
fn module_example(module: &str, first_const: Option<&str>, built_url: bool, client_crate: &str, http: bool) -> String {
    let example_url = match (first_const, built_url) {
        (Some(c), false) => format!("{module}::{c}"),
        (Some(c), true) => format!("{module}::url({module}::{c}, ...)"),
        (None, _) => "\"wss://...\"".to_owned(),
    };
    let krate = client_crate.replace('-', "_");
    if http {
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
    }
}

/// `Credentials` of a client crate without operations: one secret per channel credential.
pub(crate) fn client_credentials(api: &Api) -> TokenStream {
    let mut decls = TokenStream::new();
    for c in credential_fields(api) {
        let field = ident(&c.field);
        let doc = credential_doc(&c.placement);
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

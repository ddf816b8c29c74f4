//! The server crate's channel modules: the endpoint on the runtime's hub and the typed pushes.

use super::*;

/// The server crate's channel modules and the `Expected` credentials they check, each item
/// behind `gate` (the attributes of a feature, or none).
pub(crate) fn server_modules(api: &Api, gate: &TokenStream, uses: &mut Uses) -> TokenStream {
    let mut out = TokenStream::new();
    let mut decls = TokenStream::new();
    for c in credential_fields(api) {
        let field = ident(&c.field);
        let doc = format!(" Expected as {} on WebSocket upgrades.", placement_doc(&c.placement));
        decls.extend(quote!(#[doc = #doc] pub #field: Option<websocket::Secret>,));
    }
    out.extend(quote! {
        /// The WebSocket runtime the channel modules build on (`triad-runtime`'s `ws`).
        #gate
        pub use triad_runtime::ws as websocket;
        /// What WebSocket upgrades must carry; unset ones are not checked. `Debug` never shows them.
        #gate
        #[derive(Clone, Debug, Default)]
        pub struct Expected {
            #decls
        }
    });
    for (channel, module) in api.channels.iter().zip(module_names(api)) {
        let module_ident = ident(&module);
        let path =
            if channel.address.starts_with('/') { channel.address.clone() } else { format!("/{}", channel.address) };
        let credentials = &channel.credentials;
        let body = apply(credentials);
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
                    " Pushes the {} message as JSON to every connected client; returns how many it was \
                     queued for (with a fan-out, the clients of this replica, which get it back from NATS \
                     like every replica's).",
                    docs::code_span(message)
                )
            },
            |name, ty, _, _| {
                quote! {
                    pub fn #name(hub: &ws::Hub, message: &#ty) -> Result<usize, ws::PushError> {
                        hub.push_json(message)
                    }
                }
            },
        );
        let docs = module_docs(channel, " Serve it with [`router`] and push messages through a [`ws::Hub`].");
        // Module names are snake-case identifiers: one NATS subject token each.
        let subject = module.as_str();
        let subject_doc = format!(
            " The channel's token in NATS subjects: a fan-out under `prefix` publishes on `{{prefix}}.{subject}` \
             (feature `nats`)."
        );
        let fan_out_doc = format!(
            " Makes `hub` fan out across server replicas through the NATS core subject \
             `{{prefix}}.{subject}` ([`ws::Hub::fan_out_nats`]): every push is published there, and every \
             replica, this one included, delivers what arrives to its own clients, once each. A push while \
             the NATS connection is down fails; a replica that is away misses what is pushed meanwhile."
        );
        let nats_gate = crate::emit::feature_gate("nats");
        out.extend(quote! {
            #gate
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
                #[doc = #subject_doc]
                pub const SUBJECT: &str = #subject;
                #[doc = #fan_out_doc]
                #nats_gate
                pub async fn fan_out_nats(
                    hub: ws::Hub,
                    nats: impl Into<ws::Nats>,
                    prefix: &str,
                ) -> Result<ws::Hub, ws::FanOutError> {
                    hub.fan_out_nats(nats, ws::nats_subject(prefix, SUBJECT)).await
                }
                #pushes
            }
        });
    }
    out
}

/// The crate root of a server crate for an API with channels only.
pub(crate) fn server_library(api: &Api, config: &Config) -> TokenStream {
    let types_crate = crate::emit::spell::crate_ident(&config.types_crate.name);
    let mut crate_doc = docs::crate_intro("WebSocket endpoints", api, &config.name);
    crate_doc.push_str(&format!(
        "\n\nOne module per channel: its path, the upgrade's expected credentials, an axum router over a \
         [`websocket::Hub`] and a typed push per message. Message types come from [`{types_crate}`] \
         (re-exported as [`types`])."
    ));
    let crate_docs: TokenStream = crate::emit::inner_docs(&crate_doc);
    quote! {
        #crate_docs
        #![allow(deprecated, clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]
        pub use #types_crate as types;
        pub use triad_runtime as runtime;
    }
}

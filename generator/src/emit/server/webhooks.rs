//! The `Webhooks` trait, its `Dispatcher` and the helpers the server crate's library has
//! around them: per-event helpers of batches and single events, `<webhook>_entities`, and
//! `verifier`.

use super::*;

/// `<webhook>_entities`: for a batch webhook whose events all carry an id property
/// ([`crate::ir::EntityId`]), the batch's entities, each once, with the kinds of event about it.
pub(super) fn entities_helper(
    api: &Api,
    webhook: &Webhook,
    shape: &Shape<'_>,
    types: &TokenStream,
    uses: &mut Uses,
    taken: &mut BTreeSet<String>,
) -> TokenStream {
    let Shape::Batch { envelope, events: field, union, entity: Some(entity) } = shape else {
        return TokenStream::new();
    };
    let Some(u) = union_of(api, *union) else { return TokenStream::new() };
    let EntityId { wire, ty: id_ty, fields: per_variant } = entity;
    let mut name = naming::join_snake(&naming::field_name(&webhook.name.rust), "entities");
    while !taken.insert(name.clone()) {
        name.push('_');
    }
    let name = ident(&name);
    let envelope_ty = type_path(api, &TypeRef::Named(*envelope), types, uses);
    let union_ty = type_path(api, &TypeRef::Named(*union), types, uses);
    let key_ty = type_path(api, id_ty, types, uses);
    let events_field = ident(&field.name.rust);
    // Uuids and integers are `Copy`; a string is cloned. A nullable field is an `Option`.
    let copy = *id_ty != TypeRef::Primitive(Primitive::String);
    let mut arms = TokenStream::new();
    for (v, rust) in u.variants.iter().zip(per_variant) {
        let (Some((rust, nullable)), Some(_)) = (rust, &v.ty) else { continue };
        let access = match (copy, nullable) {
            (true, false) => TokenStream::new(),
            (true, true) => quote!(?),
            (false, false) => quote!(.clone()),
            (false, true) => quote!(.clone()?),
        };
        let (variant, f, kind) = (ident(&v.name.rust), ident(rust), &v.name.wire);
        arms.extend(quote!(#union_ty::#variant(event) => Some((index, #kind, event.#f #access)),));
    }
    let item = if field.isolated { quote!(event.ok()?) } else { quote!(event) };
    let items = if field.nullable { quote!(.iter().flatten()) } else { quote!(.iter()) };
    let doc = format!(
        " The entities the events of a {} batch name, each once, in order of first mention: events are \
         grouped by their {} property, so that, for example, an entity created and changed in one message is \
         fetched once. Events of unknown kinds and events that did not decode are left out.",
        docs::code_span(&webhook.name.wire),
        docs::code_span(wire)
    );
    quote! {
        #[doc = #doc]
        pub fn #name(batch: &#envelope_ty) -> Vec<rt::Entity<#key_ty>> {
            rt::coalesce(batch.#events_field #items.enumerate().filter_map(|(index, event)| match #item {
                #arms
                #[allow(unreachable_patterns)]
                _ => None,
            }))
        }
    }
}

pub(super) fn variant_type(
    api: &Api,
    v: &crate::ir::UnionVariant,
    types: &TokenStream,
    uses: &mut Uses,
) -> Option<TokenStream> {
    let ty = v.ty.as_ref()?;
    let mut ty = type_path(api, ty, types, uses);
    if v.boxed {
        ty = quote!(Box<#ty>);
    }
    if v.nullable {
        ty = quote!(Option<#ty>);
    }
    Some(ty)
}

/// The crate's inner doc attributes.
fn crate_docs(api: &Api, config: &Config) -> TokenStream {
    let types_crate = crate_ident(&config.types_crate.name);
    let mut crate_doc = docs::crate_intro("Server stubs", api, &config.name);
    crate_doc.push_str(&format!(
        "\n\nImplement [`Webhooks`] (every method has a default that ignores the event) and serve it with \
         [`receiver`], which builds `triad-runtime`'s webhook receiver (re-exported as [`runtime`]): \
         verification over the raw body, duplicate detection, inline or journaled delivery. Payload types \
         come from [`{types_crate}`] (re-exported as [`types`])."
    ));
    crate::emit::inner_docs(&crate_doc)
}

/// The `Webhooks` trait's methods, each with a default that leaves its event unhandled.
fn trait_methods(methods: &[Method]) -> TokenStream {
    let mut trait_methods = TokenStream::new();
    for m in methods {
        let Method { name, payload, batch, docs, .. } = m;
        let mut params = TokenStream::new();
        let mut names = Vec::new();
        if let Some(batch) = batch {
            params.extend(quote!(batch: &#batch,));
            names.push(quote!(batch));
        }
        if let Some(payload) = payload {
            params.extend(quote!(event: #payload,));
            names.push(quote!(event));
        }
        let ignore = match names.as_slice() {
            [] => None,
            [one] => Some(quote!(let _ = #one;)),
            all => Some(quote!(let _ = (#(#all),*);)),
        };
        trait_methods.extend(quote! {
            #docs
            fn #name(&self, #params delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                #ignore
                std::future::ready(delivery.unhandled())
            }
        });
    }
    trait_methods
}

/// The dispatcher's shape tests and per-webhook helpers.
#[derive(Default)]
struct Dispatch {
    /// Batches, told by their array property.
    batch_tests: TokenStream,
    /// Single events, told by their tag property.
    single_tests: TokenStream,
    /// Whole values, tried in order.
    whole_tries: TokenStream,
    /// `Dispatcher::event_N`.
    helpers: TokenStream,
}

/// How the dispatcher tells each webhook's deliveries apart and hands their events over:
/// tests most specific first (batches by their array, single events by their tag), then whole
/// values tried in order.
fn dispatch(api: &Api, types: &TokenStream, methods: &[Method], hooks: &[Hook<'_>]) -> Result<Dispatch, EmitError> {
    let Dispatch { mut batch_tests, mut single_tests, mut whole_tries, mut helpers } = Dispatch::default();
    for (n, hook) in hooks.iter().enumerate() {
        let helper = format_ident!("event_{n}");
        match &hook.shape {
            Shape::Batch { envelope, events: field, union, .. } => {
                let envelope_ty = type_path(api, &TypeRef::Named(*envelope), types, &mut Uses::default());
                let events = &field.name.wire;
                let isolated = field.isolated;
                helpers.extend(batch_helper(api, *union, types, &helper, isolated, hook, methods, &envelope_ty));
                let events_field = ident(&field.name.rust);
                // The envelope is decoded without its events, which are then decoded one by
                // one straight from their text and put back: the handlers get the whole batch.
                let decoded = if isolated {
                    let list = quote!(events.iter().map(|event| rt::decode_item(event.get())).collect());
                    // A nullable list (every required one with `tolerate_null`) is an `Option`.
                    let list = if field.nullable { quote!(Some(#list)) } else { list };
                    quote! {
                        object.map(|o| o.decode_without::<#envelope_ty>(#events)).map(|batch| batch.map(|mut batch| {
                            batch.#events_field = #list;
                            batch
                        }))
                    }
                } else {
                    quote!(Some(rt::decode_raw::<#envelope_ty>(body)))
                };
                let items = if field.nullable { quote!(.iter().flatten()) } else { quote!(.iter()) };
                batch_tests.extend(quote! {
                    if let Some(events) = object.and_then(|o| o.array(#events)) {
                        match #decoded {
                            Some(Ok(batch)) => {
                                for (index, event) in batch.#events_field #items.enumerate() {
                                    out.push(self.#helper(&batch, index, event, delivery).await);
                                }
                            }
                            Some(Err(error)) => out.push(self.malformed(0, whole(), error.to_string(), delivery).await),
                            None => {}
                        }
                        return out;
                    }
                });
            }
            Shape::Single { union } => {
                let Some(tag) = union_of(api, *union).and_then(tag_of) else {
                    // Externally tagged: one property, no tag to look for; tried with the whole values.
                    helpers.extend(union_helper(api, *union, types, &helper, hook, methods));
                    let ty = type_path(api, &TypeRef::Named(*union), types, &mut Uses::default());
                    whole_tries.extend(quote! {
                        if rt::decode_raw::<#ty>(body).is_ok() {
                            out.push(self.#helper(0, body, delivery).await);
                            return out;
                        }
                    });
                    continue;
                };
                helpers.extend(union_helper(api, *union, types, &helper, hook, methods));
                single_tests.extend(quote! {
                    if object.is_some_and(|o| o.get(#tag).is_some()) {
                        out.push(self.#helper(0, body, delivery).await);
                        return out;
                    }
                });
            }
            Shape::Whole { ty } => {
                let ty = type_path(api, ty, types, &mut Uses::default());
                let method = hook
                    .arms
                    .first()
                    .and_then(|a| methods.get(a.2))
                    .ok_or_else(|| EmitError::item(&hook.webhook.origin, "a webhook without its method"))?;
                let (name, kind) = (&method.name, &method.kind);
                whole_tries.extend(quote! {
                    match rt::decode_raw::<#ty>(body) {
                        Ok(event) => {
                            out.push(rt::run_event(delivery, #kind, 0, rt::Outcome::Handled, self.0.#name(event, delivery)).await);
                            return out;
                        }
                        Err(error) => whole_error = Some(error.to_string()),
                    }
                });
            }
        }
    }
    Ok(Dispatch { batch_tests, single_tests, whole_tries, helpers })
}

pub(super) fn library(
    api: &Api,
    config: &Config,
    types: &TokenStream,
    methods: &[Method],
    hooks: &[Hook<'_>],
) -> Result<TokenStream, EmitError> {
    let types_crate = crate_ident(&config.types_crate.name);
    let crate_docs = crate_docs(api, config);
    let trait_methods = trait_methods(methods);
    let Dispatch { batch_tests, single_tests, whole_tries, helpers } = dispatch(api, types, methods, hooks)?;
    let verifier_fn = verifier_fn(config);
    Ok(quote! {
        #crate_docs
        #![cfg_attr(docsrs, feature(doc_cfg))]
        #![allow(deprecated, clippy::too_many_arguments, clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, clippy::needless_return)]
        pub use #types_crate as types;
        pub use triad_runtime::server as runtime;
        use triad_runtime::server as rt;
        #[allow(unused_imports)]
        use rt::serde::Deserialize as _;
        #[allow(unused_imports)]
        use rt::serde_json;
        use std::future::Future;
        #[cfg(doctest)]
        #[doc = include_str!("../README.md")]
        pub struct ReadmeDoctests;

        /// The webhook events of the API, one method per kind. Every method has a default that
        /// leaves the event unhandled: counted and logged once per kind, then acknowledged, or
        /// failed when the receiver is built with `Builder::fail_unhandled` (so the provider, or
        /// the journal, keeps it until a handler is deployed). An error from a method makes the
        /// receiver answer 500 (inline) or retry the delivery later (journaled). `delivery` tells which delivery the event is in
        /// (its digest, the provider's id, the attempt).
        pub trait Webhooks: Send + Sync + 'static {
            #trait_methods
            /// An event, or a whole delivery, of a kind this crate does not know, as received.
            fn unknown(&self, raw: rt::serde_json::Value, delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                let _ = (raw, delivery);
                std::future::ready(Ok(()))
            }
            /// An event (or a batch envelope) that does not decode: its raw JSON and the error.
            /// The other events of the delivery are handled all the same.
            fn malformed(&self, raw: rt::serde_json::Value, error: String, delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                let _ = (raw, error, delivery);
                std::future::ready(Ok(()))
            }
        }

        /// The [`runtime::Dispatch`] over a [`Webhooks`] implementation: tells the API's
        /// webhooks apart by the shape of the body and decodes each event on its own.
        #[derive(Debug, Default, Clone)]
        pub struct Dispatcher<W>(pub W);

        impl<W: Webhooks> Dispatcher<W> {
            #helpers
            async fn malformed(&self, index: usize, raw: rt::serde_json::Value, error: String, delivery: &rt::Delivery) -> rt::Outcome {
                rt::run_event(delivery, "malformed", index, rt::Outcome::Malformed, self.0.malformed(raw, error, delivery)).await
            }
            async fn unknown(&self, index: usize, raw: rt::serde_json::Value, delivery: &rt::Delivery) -> rt::Outcome {
                rt::run_event(delivery, "unknown", index, rt::Outcome::Unknown, self.0.unknown(raw, delivery)).await
            }
        }

        impl<W: Webhooks> rt::Dispatch for Dispatcher<W> {
            #[allow(unused_mut, unused_assignments, unused_variables)]
            async fn dispatch(&self, delivery: &rt::Delivery, parsed: &rt::Body<'_>) -> Vec<rt::Outcome> {
                let mut out = Vec::new();
                // The body was read once, on arrival, into its top-level properties kept as
                // JSON text; each event is decoded from its own text.
                let (body, object) = (parsed.text(), parsed.object());
                let whole = || rt::raw_to_value(body);
                #batch_tests
                #single_tests
                let mut whole_error: Option<String> = None;
                #whole_tries
                // A body no shape claims is unknown; one that only failed to decode is malformed.
                match whole_error {
                    Some(error) => out.push(self.malformed(0, whole(), error, delivery).await),
                    None => out.push(self.unknown(0, whole(), delivery).await),
                }
                out
            }
        }

        /// A receiver builder for `webhooks`, verified by `verifier`: set the path, limits and
        /// mode on it, then `start()` and serve.
        pub fn receiver<W: Webhooks>(webhooks: W, verifier: rt::Verifier) -> rt::Builder<Dispatcher<W>> {
            rt::Receiver::builder(Dispatcher(webhooks), verifier)
        }

        #verifier_fn
    })
}

/// `verifier`: the [`Verifier`] the codegen config's `auth` names, given the secrets.
pub(super) fn verifier_fn(config: &Config) -> TokenStream {
    let (doc, body) = match (&config.auth.webhook_query_token, &config.auth.webhook_signature) {
        (Some(param), _) => (
            format!(" a shared secret in the URL's query, `?{}=SECRET`", docs::inline(param)),
            quote! {
                let secrets: Vec<&[u8]> = secrets.iter().map(|s| s.as_ref().as_bytes()).collect();
                rt::Verifier::query_token(#param, &secrets)
            },
        ),
        (None, Some(WebhookSignature::HmacSha256 { header, hex })) => {
            let (encoding, name) = if *hex { (quote!(Hex), "hexadecimal") } else { (quote!(Base64), "Base64") };
            (
                format!(" the {name} HMAC-SHA256 of the raw body in the `{}` header", docs::inline(header)),
                quote! {
                    let secrets: Vec<&[u8]> = secrets.iter().map(|s| s.as_ref().as_bytes()).collect();
                    rt::Verifier::hmac_sha256_encoded(#header, rt::Encoding::#encoding, &secrets)
                },
            )
        }
        (None, Some(WebhookSignature::StandardWebhooks { tolerance_seconds })) => (
            format!(
                " Standard Webhooks signatures (`webhook-id`, `webhook-timestamp` within {tolerance_seconds} s, \
                 `webhook-signature`; secrets written `whsec_...`)"
            ),
            quote!(rt::Verifier::standard_webhooks(secrets, std::time::Duration::from_secs(#tolerance_seconds))),
        ),
        (None, None) => (
            " nothing (the codegen config names no verification): every delivery is accepted, so \
             something in front of the receiver must authenticate"
                .to_owned(),
            quote! {
                let _ = secrets;
                Ok(rt::Verifier::none())
            },
        ),
    };
    let mut doc = format!(" The verifier of this API's webhook deliveries, from the codegen config:{doc}.");
    if config.auth.webhook_query_token.is_some() || config.auth.webhook_signature.is_some() {
        doc.push_str(" Give the current secret, and while rotating the previous one too; an empty secret is refused.");
    }
    quote! {
        #[doc = #doc]
        pub fn verifier<S: AsRef<str>>(secrets: &[S]) -> Result<rt::Verifier, rt::ConfigError> {
            #body
        }
    }
}

/// One match arm per variant of `hook`, calling the variant's method through `run_event`:
/// `pattern(variant, binding)` spells what the arm matches (`binding` is `(event)` for a
/// variant with a payload), `before` the arguments ahead of the event, `event` how the event is
/// passed.
fn method_arms(
    hook: &Hook<'_>,
    methods: &[Method],
    pattern: impl Fn(&proc_macro2::Ident, TokenStream) -> TokenStream,
    before: TokenStream,
    event: TokenStream,
) -> TokenStream {
    let mut arms = TokenStream::new();
    for (variant, payload, index) in &hook.arms {
        let Some(method) = methods.get(*index) else { continue };
        let (name, kind) = (&method.name, &method.kind);
        let variant = ident(variant);
        let (binding, arg) = match payload {
            Some(_) => (quote!((event)), event.clone()),
            None => (TokenStream::new(), TokenStream::new()),
        };
        let pattern = pattern(&variant, binding);
        arms.extend(quote! {
            #pattern => rt::run_event(delivery, #kind, index, rt::Outcome::Handled, self.0.#name(#before #arg delivery)).await,
        });
    }
    arms
}

/// `Dispatcher::event_N` of a batch: calls the method of one event of the decoded batch (an
/// item of the events list, `Decoded<Union>` when the list is `isolated`) with the whole batch.
#[allow(clippy::too_many_arguments)]
pub(super) fn batch_helper(
    api: &Api,
    union: TypeId,
    types: &TokenStream,
    helper: &proc_macro2::Ident,
    isolated: bool,
    hook: &Hook<'_>,
    methods: &[Method],
    envelope: &TokenStream,
) -> TokenStream {
    let ty = type_path(api, &TypeRef::Named(union), types, &mut Uses::default());
    let Some(u) = union_of(api, union) else { return TokenStream::new() };
    let unknown = ident(&u.unknown);
    let (ok, item) = if isolated {
        (quote!(rt::Decoded::Ok), quote!(&rt::Decoded<#ty>))
    } else {
        (TokenStream::new(), quote!(&#ty))
    };
    // The events are the batch's: each method gets its own copy.
    let arms = method_arms(
        hook,
        methods,
        |variant, event| quote!(#ok(#ty::#variant #event)),
        quote!(batch,),
        quote!(event.clone(),),
    );
    let malformed = isolated.then(|| {
        quote! {
            rt::Decoded::Malformed { raw, error } => self.malformed(index, raw.clone(), error.clone(), delivery).await,
        }
    });
    quote! {
        async fn #helper(&self, batch: &#envelope, index: usize, event: #item, delivery: &rt::Delivery) -> rt::Outcome {
            match event {
                #arms
                #ok(#ty::#unknown(raw)) => self.unknown(index, raw.clone(), delivery).await,
                // The union is `#[non_exhaustive]`: a kind this crate has no method for is unknown.
                #ok(other) => self.unknown(index, rt::serde_json::to_value(other).unwrap_or_default(), delivery).await,
                #malformed
            }
        }
    }
}

/// `Dispatcher::event_N` of a single event: decodes the delivery as the union and calls its method.
pub(super) fn union_helper(
    api: &Api,
    union: TypeId,
    types: &TokenStream,
    helper: &proc_macro2::Ident,
    hook: &Hook<'_>,
    methods: &[Method],
) -> TokenStream {
    let ty = type_path(api, &TypeRef::Named(union), types, &mut Uses::default());
    if union_of(api, union).is_none() {
        return TokenStream::new();
    }
    let arms = method_arms(hook, methods, |variant, event| quote!(Ok(#ty::#variant #event)), quote!(), quote!(event,));
    quote! {
        async fn #helper(&self, index: usize, raw: &str, delivery: &rt::Delivery) -> rt::Outcome {
            match rt::decode_raw::<#ty>(raw) {
                #arms
                // An unknown kind, or one this crate has no method for (the union is `#[non_exhaustive]`).
                Ok(_) => self.unknown(index, rt::raw_to_value(raw), delivery).await,
                Err(error) => self.malformed(index, rt::raw_to_value(raw), error.to_string(), delivery).await,
            }
        }
    }
}

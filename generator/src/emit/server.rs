//! The server-stub crate: a webhook trait with one async method per event kind, and the
//! `Dispatch` that decodes deliveries for `triad-runtime`'s receiver.
//!
//! Everything is derived from the IR's webhooks. A webhook whose payload is a struct with one
//! array of a tagged union (a *batch*) gets one method per variant, each given the envelope
//! (its array emptied) as context; a webhook whose payload is a tagged union gets one method
//! per variant; any other payload gets one method for the whole value. Deliveries are told
//! apart by shape (the batch's array property, the union's tag property), and every event is
//! decoded on its own, so one that fails reaches `malformed` while the rest are handled.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::spell::{Uses, crate_ident, ident, type_path};
use super::{Dependency, Files, Provenance, doc_attrs, docs, render_rust, render_template};
use crate::config::{Config, ReceiverExample, WebhookSignature};
use crate::ir::{
    Api, Operation, ParamLocation, PathSegment, Primitive, Status, Tagging, TypeId, TypeKind, TypeRef, Union, Webhook,
};
use crate::naming;

const README: &str = include_str!("../../../templates/server/README.md.j2");

/// How one webhook's deliveries are decoded.
enum Shape<'a> {
    /// A struct with an array of tagged union events (`events` is the field's wire name).
    Batch { envelope: TypeId, events: &'a str, union: TypeId },
    /// A tagged union, one event per delivery.
    Single { union: TypeId },
    /// Anything else: one value per delivery.
    Whole { ty: TypeRef },
}

/// One generated trait method.
struct Method {
    name: proc_macro2::Ident,
    /// Tag value or webhook key: the event kind as the provider writes it.
    kind: String,
    /// The payload's type as the method receives it (`None`: a tag without content).
    payload: Option<TokenStream>,
    /// The batch envelope's type, when the event came in a batch.
    batch: Option<TokenStream>,
    docs: TokenStream,
}

struct Hook<'a> {
    shape: Shape<'a>,
    /// For `Batch` and `Single`: (variant Rust name, method index); for `Whole`: the method index.
    arms: Vec<(String, Option<bool>, usize)>,
}

fn tagged<'a>(api: &'a Api, ty: &TypeRef) -> Option<(TypeId, &'a Union)> {
    let TypeRef::Named(id) = ty else { return None };
    match &api.ty(*id).kind {
        TypeKind::Union(u) if !matches!(u.tagging, Tagging::Untagged) && !u.variants.is_empty() => Some((*id, u)),
        TypeKind::Alias(inner) => tagged(api, inner),
        _ => None,
    }
}

fn shape<'a>(api: &'a Api, webhook: &'a Webhook) -> Shape<'a> {
    let ty = match &webhook.payload {
        Some(body) if body.media_type.contains("json") => body.ty.clone(),
        _ => TypeRef::Any,
    };
    if let Some((union, _)) = tagged(api, &ty) {
        return Shape::Single { union };
    }
    let strukt = match &ty {
        TypeRef::Named(id) => match &api.ty(*id).kind {
            TypeKind::Struct(s) => Some((*id, s)),
            _ => None,
        },
        _ => None,
    };
    if let Some((id, s)) = strukt {
        let arrays: Vec<_> = s
            .fields
            .iter()
            .filter_map(|f| match &f.ty {
                TypeRef::List(item) => tagged(api, item).map(|(union, _)| (f, union)),
                _ => None,
            })
            .collect();
        if let [(field, union)] = arrays.as_slice() {
            // Required, and so always there: an `Option` only when nullable (with `tolerate_null`).
            if field.required {
                return Shape::Batch { envelope: id, events: &field.name.wire, union: *union };
            }
        }
    }
    Shape::Whole { ty }
}

/// The tag property that marks a union's events, when it has one.
fn tag_of(u: &Union) -> Option<&str> {
    match &u.tagging {
        Tagging::Internal { tag } | Tagging::Adjacent { tag, .. } => Some(tag),
        _ => None,
    }
}

fn union_of(api: &Api, id: TypeId) -> Option<&Union> {
    match &api.ty(id).kind {
        TypeKind::Union(u) => Some(u),
        _ => None,
    }
}

pub(super) fn emit(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), String> {
    let krate = &config.server.krate;
    // Types are named through the crate's `types` re-export, so examples need no other crate.
    let types = quote!(types);
    let mut uses = Uses::default();
    let mut taken: BTreeSet<String> = ["unknown", "malformed"].iter().map(|s| s.to_string()).collect();
    let mut methods: Vec<Method> = Vec::new();
    let mut hooks = Vec::new();
    for webhook in &api.webhooks {
        let shape = shape(api, webhook);
        let mut arms = Vec::new();
        let hook_doc = format!("the {} webhook", docs::code_span(&webhook.name.wire));
        let mut add =
            |kind: &str, base: &str, payload: Option<TokenStream>, batch: Option<TokenStream>, doc: TokenStream| {
                let mut name = naming::field_name(base);
                if naming::unraw(&name) != name || naming::self_convention_clash(&name) {
                    name = naming::join_snake("on", &name);
                }
                let stem = name.clone();
                let mut n = 2;
                while !taken.insert(name.clone()) {
                    name = format!("{stem}_{n}");
                    n += 1;
                }
                methods.push(Method { name: ident(&name), kind: kind.to_owned(), payload, batch, docs: doc });
                methods.len() - 1
            };
        match &shape {
            Shape::Batch { union, envelope, .. } => {
                let envelope_ty = type_path(api, &TypeRef::Named(*envelope), &types, &mut uses);
                let u = union_of(api, *union).ok_or("a batch without its union")?;
                for v in &u.variants {
                    let payload = variant_type(api, v, &types, &mut uses);
                    let mut doc = doc_attrs(&v.docs);
                    let line = format!(
                        " Event {} of {hook_doc}; `batch` is the whole message it came in, all its events included.",
                        docs::code_span(&v.name.wire)
                    );
                    if !doc.is_empty() {
                        doc.extend(quote!(#[doc = ""]));
                    }
                    doc.extend(quote!(#[doc = #line]));
                    let index = add(&v.name.wire, &v.name.rust, payload.clone(), Some(envelope_ty.clone()), doc);
                    arms.push((v.name.rust.clone(), payload.as_ref().map(|_| true), index));
                }
            }
            Shape::Single { union } => {
                let u = union_of(api, *union).ok_or("a webhook without its union")?;
                for v in &u.variants {
                    let payload = variant_type(api, v, &types, &mut uses);
                    let mut doc = doc_attrs(&v.docs);
                    let line = format!(" Event {} of {hook_doc}.", docs::code_span(&v.name.wire));
                    if !doc.is_empty() {
                        doc.extend(quote!(#[doc = ""]));
                    }
                    doc.extend(quote!(#[doc = #line]));
                    let index = add(&v.name.wire, &v.name.rust, payload.clone(), None, doc);
                    arms.push((v.name.rust.clone(), payload.as_ref().map(|_| true), index));
                }
            }
            Shape::Whole { ty } => {
                let payload = type_path(api, ty, &types, &mut uses);
                let mut doc = doc_attrs(&webhook.docs);
                let line = format!(" A delivery of {hook_doc}.");
                if !doc.is_empty() {
                    doc.extend(quote!(#[doc = ""]));
                }
                doc.extend(quote!(#[doc = #line]));
                let index = add(&webhook.name.wire, &webhook.name.rust, Some(payload), None, doc);
                arms.push((String::new(), Some(true), index));
            }
        }
        hooks.push(Hook { shape, arms });
    }
    let mut lib = if api.operations.is_empty() && api.webhooks.is_empty() {
        super::ws::server_library(api, config)
    } else {
        let mut lib = library(api, config, &types, &methods, &hooks)?;
        let mut helper_names: BTreeSet<String> = BTreeSet::new();
        for (webhook, hook) in api.webhooks.iter().zip(&hooks) {
            lib.extend(entities_helper(api, config, webhook, &hook.shape, &types, &mut uses, &mut helper_names));
        }
        lib.extend(api_server(api, &types, &mut uses));
        lib
    };
    if !api.channels.is_empty() {
        lib.extend(super::ws::server_modules(api, config, &mut uses));
    }
    let prefix = &krate.name;
    files.insert(format!("{prefix}/src/lib.rs"), render_rust(lib, provenance)?);
    let mut example_runs = Vec::new();
    for example in &config.server.examples {
        let code = match &example.channel {
            Some(channel) => {
                super::ws::push_example(api, config, &example.name, example.description.as_deref(), channel)?
            }
            None if example.journal => journal_example(config, example),
            None => receiver_example(config, example, &methods),
        };
        files.insert(format!("{prefix}/examples/{}.rs", example.name), render_rust(code, provenance)?);
        example_runs.push(format!("cargo run -p {prefix} --example {}", example.name));
    }
    let title = if api.title.is_empty() { config.name.clone() } else { api.title.clone() };
    let description = match &krate.description {
        Some(text) => super::one_line(text),
        None => format!("Server stubs of the {}", super::one_line(&title)),
    };
    let kinds: Vec<String> = methods.iter().map(|m| docs::code_span(&m.kind)).collect();
    let context = minijinja::context! {
        header => provenance.header(),
        crate_name => docs::inline(&krate.name),
        title => docs::inline(&title),
        types_crate => docs::inline(&config.types_crate.name),
        webhooks => api.webhooks.len(),
        kinds => kinds,
        examples => example_runs,
    };
    let mut dependencies = BTreeMap::new();
    let types_path = format!("../{}", config.types_crate.name);
    dependencies.insert(
        config.types_crate.name.as_str(),
        Dependency::local(&config.types_crate.version, Some(types_path), &[]),
    );
    let features: &[&str] = if api.channels.is_empty() { &["server"] } else { &["server", "ws"] };
    dependencies.insert("triad-runtime", Dependency::local("0.1.0", config.server.runtime_path.clone(), features));
    if uses.uuid {
        dependencies.insert("uuid", Dependency::registry("1", &["std", "serde"]));
    }
    if uses.chrono {
        dependencies.insert("chrono", Dependency::registry("0.4", &["std", "serde"]));
    }
    let mut dev_dependencies = BTreeMap::new();
    if !config.server.examples.is_empty() {
        dev_dependencies.insert("tokio", Dependency::registry("1", &["rt-multi-thread", "macros", "net", "signal"]));
    }
    let manifest =
        super::manifest(&krate.name, &krate.version, description, dependencies, dev_dependencies, provenance)?;
    files.insert(format!("{prefix}/Cargo.toml"), manifest);
    files.insert(format!("{prefix}/README.md"), render_template("README.md", README, context)?);
    Ok(())
}

/// Rust field name and nullability of an id property, per variant of a union (`None` for
/// variants without payload).
type IdFields = Vec<Option<(String, bool)>>;

/// The property that names the entity of every event of a batch: in each variant's payload
/// struct, a required property of one wire name and one type that is a string, an integer or a
/// uuid; `Id` (any case) is preferred, then the first name ending in `id`. Returns its wire name,
/// type, and [`IdFields`].
fn common_id(api: &Api, u: &Union) -> Option<(String, TypeRef, IdFields)> {
    /// Wire name → (type, Rust field name and nullability per variant so far).
    type Candidates = BTreeMap<String, (TypeRef, IdFields)>;
    let mut candidates: Option<Candidates> = None;
    for (index, v) in u.variants.iter().enumerate() {
        let Some(ty) = &v.ty else {
            if let Some(c) = candidates.as_mut() {
                c.values_mut().for_each(|(_, rust)| rust.push(None));
            }
            continue;
        };
        if v.nullable {
            return None;
        }
        let id = super::spell::struct_id(api, ty)?;
        let TypeKind::Struct(s) = &api.ty(id).kind else { return None };
        let mut here: BTreeMap<String, (TypeRef, (String, bool))> = BTreeMap::new();
        for f in &s.fields {
            let scalar = matches!(
                f.ty,
                TypeRef::Primitive(Primitive::String | Primitive::I32 | Primitive::I64 | Primitive::Uuid)
            );
            // Required; nullable too (always, with `tolerate_null`): an event without its id is
            // left out of the entities.
            if f.required && scalar && f.name.wire.to_ascii_lowercase().ends_with("id") {
                here.insert(f.name.wire.clone(), (f.ty.clone(), (f.name.rust.clone(), f.nullable)));
            }
        }
        match candidates.as_mut() {
            None => {
                let nones = index;
                candidates = Some(
                    here.into_iter()
                        .map(|(wire, (ty, rust))| {
                            let mut list = vec![None; nones];
                            list.push(Some(rust));
                            (wire, (ty, list))
                        })
                        .collect(),
                );
            }
            Some(c) => {
                c.retain(|wire, (ty, _)| here.get(wire).is_some_and(|(t, _)| t == ty));
                for (wire, (_, rust)) in c.iter_mut() {
                    rust.push(here.get(wire).map(|(_, r)| r.clone()));
                }
            }
        }
    }
    let candidates = candidates?;
    let pick =
        candidates.keys().find(|wire| wire.eq_ignore_ascii_case("id")).or_else(|| candidates.keys().next())?.clone();
    let (ty, rust) = candidates.get(&pick)?.clone();
    Some((pick, ty, rust))
}

/// `<webhook>_entities`: for a batch webhook whose events all carry an id property
/// ([`common_id`]), the batch's entities, each once, with the kinds of event about it.
fn entities_helper(
    api: &Api,
    config: &Config,
    webhook: &Webhook,
    shape: &Shape<'_>,
    types: &TokenStream,
    uses: &mut Uses,
    taken: &mut BTreeSet<String>,
) -> TokenStream {
    let Shape::Batch { envelope, events, union } = shape else { return TokenStream::new() };
    let (Some(u), TypeKind::Struct(env)) = (union_of(api, *union), &api.ty(*envelope).kind) else {
        return TokenStream::new();
    };
    let Some((wire, id_ty, per_variant)) = common_id(api, u) else { return TokenStream::new() };
    let Some(field) = env.fields.iter().find(|f| f.name.wire == *events) else { return TokenStream::new() };
    let isolated = super::spell::isolated_fields(api, config).contains(&(*envelope, field.name.wire.clone()));
    let mut name = naming::join_snake(&naming::field_name(&webhook.name.rust), "entities");
    while !taken.insert(name.clone()) {
        name.push('_');
    }
    let name = ident(&name);
    let envelope_ty = type_path(api, &TypeRef::Named(*envelope), types, uses);
    let union_ty = type_path(api, &TypeRef::Named(*union), types, uses);
    let key_ty = type_path(api, &id_ty, types, uses);
    let events_field = ident(&field.name.rust);
    // Uuids and integers are `Copy`; a string is cloned. A nullable field is an `Option`.
    let copy = id_ty != TypeRef::Primitive(Primitive::String);
    let mut arms = TokenStream::new();
    for (v, rust) in u.variants.iter().zip(&per_variant) {
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
    let item = if isolated { quote!(event.ok()?) } else { quote!(event) };
    let items = if field.nullable { quote!(.iter().flatten()) } else { quote!(.iter()) };
    let doc = format!(
        " The entities the events of a {} batch name, each once, in order of first mention: events are \
         grouped by their {} property, so that, for example, an entity created and changed in one message is \
         fetched once. Events of unknown kinds and events that did not decode are left out.",
        docs::code_span(&webhook.name.wire),
        docs::code_span(&wire)
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

fn variant_type(api: &Api, v: &crate::ir::UnionVariant, types: &TokenStream, uses: &mut Uses) -> Option<TokenStream> {
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

fn library(
    api: &Api,
    config: &Config,
    types: &TokenStream,
    methods: &[Method],
    hooks: &[Hook<'_>],
) -> Result<TokenStream, String> {
    let types_crate = crate_ident(&config.types_crate.name);
    let title = if api.title.is_empty() { config.name.clone() } else { api.title.clone() };
    let mut crate_doc = format!("Server stubs of the {}", docs::inline(&title));
    if !api.version.is_empty() {
        crate_doc.push_str(&format!(" (version {})", docs::inline(&api.version)));
    }
    crate_doc.push_str(&format!(
        ".\n\nImplement [`Webhooks`] (every method has a default that ignores the event) and serve it with \
         [`receiver`], which builds `triad-runtime`'s webhook receiver (re-exported as [`runtime`]): \
         verification over the raw body, duplicate detection, inline or journaled delivery. Payload types \
         come from [`{types_crate}`] (re-exported as [`types`])."
    ));
    let crate_docs: TokenStream = crate_doc
        .lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#![doc = #l])
        })
        .collect();
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
    // Shape tests, most specific first: batches by their array, single events by their tag,
    // then whole values, tried in order.
    let mut batch_tests = TokenStream::new();
    let mut single_tests = TokenStream::new();
    let mut whole_tries = TokenStream::new();
    let mut helpers = TokenStream::new();
    let isolated = super::spell::isolated_fields(api, config);
    for (n, hook) in hooks.iter().enumerate() {
        let helper = format_ident!("event_{n}");
        match &hook.shape {
            Shape::Batch { envelope, events, union } => {
                let envelope_ty = type_path(api, &TypeRef::Named(*envelope), types, &mut Uses::default());
                let TypeKind::Struct(env) = &api.ty(*envelope).kind else { continue };
                let field = env.fields.iter().find(|f| f.name.wire == **events).ok_or("a batch without its events")?;
                let isolated = isolated.contains(&(*envelope, field.name.wire.clone()));
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
                let method = hook.arms.first().and_then(|a| methods.get(a.2)).ok_or("a webhook without its method")?;
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
    let verifier_fn = verifier_fn(config);
    Ok(quote! {
        #crate_docs
        #![allow(deprecated, clippy::too_many_arguments, clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, clippy::needless_return)]
        pub use #types_crate as types;
        pub use triad_runtime::server as runtime;
        use triad_runtime::server as rt;
        #[allow(unused_imports)]
        use rt::serde::Deserialize as _;
        #[allow(unused_imports)]
        use rt::serde_json;
        use std::future::Future;

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
fn verifier_fn(config: &Config) -> TokenStream {
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

/// `Dispatcher::event_N` of a batch: calls the method of one event of the decoded batch (an
/// item of the events list, `Decoded<Union>` when the list is `isolated`) with the whole batch.
#[allow(clippy::too_many_arguments)]
fn batch_helper(
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
    let mut arms = TokenStream::new();
    for (variant, payload, index) in &hook.arms {
        let Some(method) = methods.get(*index) else { continue };
        let (name, kind) = (&method.name, &method.kind);
        let variant = ident(variant);
        arms.extend(match payload {
            Some(_) => quote! {
                #ok(#ty::#variant(event)) => rt::run_event(delivery, #kind, index, rt::Outcome::Handled, self.0.#name(batch, event.clone(), delivery)).await,
            },
            None => quote! {
                #ok(#ty::#variant) => rt::run_event(delivery, #kind, index, rt::Outcome::Handled, self.0.#name(batch, delivery)).await,
            },
        });
    }
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
                #malformed
            }
        }
    }
}

/// `Dispatcher::event_N` of a single event: decodes the delivery as the union and calls its method.
fn union_helper(
    api: &Api,
    union: TypeId,
    types: &TokenStream,
    helper: &proc_macro2::Ident,
    hook: &Hook<'_>,
    methods: &[Method],
) -> TokenStream {
    let ty = type_path(api, &TypeRef::Named(union), types, &mut Uses::default());
    let Some(u) = union_of(api, union) else { return TokenStream::new() };
    let unknown = ident(&u.unknown);
    let mut arms = TokenStream::new();
    for (variant, payload, index) in &hook.arms {
        let Some(method) = methods.get(*index) else { continue };
        let (name, kind) = (&method.name, &method.kind);
        let variant = ident(variant);
        arms.extend(match payload {
            Some(_) => quote! {
                Ok(#ty::#variant(event)) => rt::run_event(delivery, #kind, index, rt::Outcome::Handled, self.0.#name(event, delivery)).await,
            },
            None => quote! {
                Ok(#ty::#variant) => rt::run_event(delivery, #kind, index, rt::Outcome::Handled, self.0.#name(delivery)).await,
            },
        });
    }
    quote! {
        async fn #helper(&self, index: usize, raw: &str, delivery: &rt::Delivery) -> rt::Outcome {
            match rt::decode_raw::<#ty>(raw) {
                #arms
                Ok(#ty::#unknown(_)) => self.unknown(index, rt::raw_to_value(raw), delivery).await,
                Err(error) => self.malformed(index, rt::raw_to_value(raw), error.to_string(), delivery).await,
            }
        }
    }
}

/// A receiver program: serves the crate's receiver and writes a JSON line per handled event.
/// The operator's view of a receiver's journal: the runtime's `journal_tool` on the command
/// line (`--journal DIR list | requeue SEQ | purge SEQ`).
fn journal_example(config: &Config, example: &ReceiverExample) -> TokenStream {
    let krate = crate_ident(&config.server.krate.name);
    let name = example.name.as_str();
    let description = match example.description.as_deref().map(docs::inline) {
        Some(text) => quote!(Some(#text)),
        None => quote!(None),
    };
    let doc = format!(
        " Lists, requeues and purges the deliveries a receiver gave up on: `cargo run --example {name} -- \
         --journal DIR list | requeue SEQ | purge SEQ` (stop the receiver first)."
    );
    quote! {
        #![doc = #doc]
        fn main() -> std::process::ExitCode {
            #krate::runtime::journal_tool(#name, #description, std::env::args().skip(1).collect())
        }
    }
}

fn receiver_example(config: &Config, example: &ReceiverExample, methods: &[Method]) -> TokenStream {
    let krate = crate_ident(&config.server.krate.name);
    // `--token` carries the secret of whichever verification the config names.
    let token = match (&config.auth.webhook_query_token, &config.auth.webhook_signature) {
        (Some(param), _) => Some(format!("shared secret expected as `?{param}=` on every delivery")),
        (None, Some(WebhookSignature::HmacSha256 { header, .. })) => {
            Some(format!("secret of the HMAC-SHA256 signature in `{header}`"))
        }
        (None, Some(WebhookSignature::StandardWebhooks { .. })) => {
            Some("Standard Webhooks secret (`whsec_...`)".to_owned())
        }
        (None, None) => None,
    };
    let pointers: Vec<String> = example
        .id
        .iter()
        .map(|path| path.split('.').map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect())
        .collect();
    let mut usage = format!("usage: {} --addr HOST:PORT", example.name);
    if token.is_some() {
        usage.push_str(" --token SECRET");
    }
    usage.push_str(" [--journal DIR] [--handled FILE]");
    let mut help = String::new();
    if let Some(description) = &example.description {
        help.push_str(description);
        help.push_str("\n\n");
    }
    help.push_str(&usage);
    help.push_str(
        "\n\noptions:\n  --addr      address to listen on; deliveries are POSTed to /webhooks, and GET /healthz and \
         /metrics (Prometheus text format) report on the receiver\n",
    );
    if let Some(what) = &token {
        help.push_str(&format!("  --token     {what}\n"));
    }
    help.push_str(
        "  --journal   folder of the delivery journal: acknowledge after a durable write, handle afterwards\n  \
         --handled   file that gets one JSON line per handled event (default: standard output)",
    );
    let mut impls = TokenStream::new();
    for m in methods {
        let Method { name, kind, payload, batch, .. } = m;
        let mut params = TokenStream::new();
        if let Some(batch) = batch {
            params.extend(quote!(_batch: &#batch,));
        }
        let value = match payload {
            Some(payload) => {
                params.extend(quote!(event: #payload,));
                quote!(rt::serde_json::to_value(&event).unwrap_or_default())
            }
            None => quote!(rt::serde_json::Value::Null),
        };
        impls.extend(quote! {
            fn #name(&self, #params delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                std::future::ready(self.line(#kind, &#value, delivery))
            }
        });
    }
    let doc_top = example.description.clone().unwrap_or_else(|| "A webhook receiver.".into());
    let doc_top = format!(" {}", docs::inline(&doc_top));
    let doc_run = format!(
        " Run with `cargo run -p {} --example {} -- --help`. Exits with 0 after a graceful shutdown (SIGTERM or Ctrl-C), 1 when it cannot serve, 2 on bad options.",
        config.server.krate.name, example.name
    );
    let verifier = match &token {
        Some(_) => quote! {
            let Some(token) = token else {
                return Err(Failure::Usage("missing --token".to_owned()));
            };
            let verifier = #krate::verifier(&[token]).map_err(|e| Failure::Usage(e.to_string()))?;
        },
        None => quote! {
            let _ = token;
            let verifier = rt::Verifier::none();
        },
    };
    let token_flag = if token.is_some() { quote!("--token" => &mut token,) } else { TokenStream::new() };
    quote! {
        #![doc = #doc_top]
        #![doc = ""]
        #![doc = #doc_run]
        use std::future::Future;
        use std::io::Write as _;
        use std::sync::{Arc, Mutex};

        use #krate::{Webhooks, runtime as rt};
        #[allow(unused_imports)]
        use #krate::types;
        #[allow(unused_imports)]
        use rt::serde_json;

        const HELP: &str = #help;
        /// JSON pointers of the id written for each event, the first present wins.
        const ID: &[&str] = &[#(#pointers),*];

        enum Failure {
            Usage(String),
            Serve(String),
        }

        /// Writes one JSON line per handled event, flushed before the handler returns.
        struct Lines {
            out: Mutex<Box<dyn std::io::Write + Send>>,
        }

        impl Lines {
            fn line(&self, kind: &str, event: &rt::serde_json::Value, delivery: &rt::Delivery) -> Result<(), rt::HandlerError> {
                let id = ID.iter().find_map(|pointer| event.pointer(pointer)).map(|id| match id {
                    rt::serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                });
                let line = rt::serde_json::json!({"kind": kind, "id": id, "delivery": delivery.digest});
                let mut out = self.out.lock().map_err(|_| rt::HandlerError("output lock poisoned".into()))?;
                out.write_all(format!("{line}\n").as_bytes())?;
                out.flush()?;
                Ok(())
            }
        }

        impl Webhooks for Lines {
            #impls
            fn unknown(&self, raw: rt::serde_json::Value, delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                std::future::ready(self.line("unknown", &raw, delivery))
            }
            fn malformed(&self, raw: rt::serde_json::Value, _error: String, delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                std::future::ready(self.line("malformed", &raw, delivery))
            }
        }

        #[tokio::main]
        async fn main() -> std::process::ExitCode {
            match run().await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(Failure::Usage(message)) => {
                    eprintln!("error: {message}\n\n{HELP}");
                    std::process::ExitCode::from(2)
                }
                Err(Failure::Serve(message)) => {
                    eprintln!("error: {message}");
                    std::process::ExitCode::from(1)
                }
            }
        }

        async fn run() -> Result<(), Failure> {
            let mut addr: Option<String> = None;
            let mut token: Option<String> = None;
            let mut journal: Option<String> = None;
            let mut handled: Option<String> = None;
            let mut args = std::env::args().skip(1);
            while let Some(flag) = args.next() {
                let slot = match flag.as_str() {
                    "-h" | "--help" => {
                        println!("{HELP}");
                        return Ok(());
                    }
                    "--addr" => &mut addr,
                    #token_flag
                    "--journal" => &mut journal,
                    "--handled" => &mut handled,
                    other => return Err(Failure::Usage(format!("unknown option `{other}`"))),
                };
                match args.next() {
                    Some(value) => *slot = Some(value),
                    None => return Err(Failure::Usage(format!("{flag} needs a value"))),
                }
            }
            let Some(addr) = addr else {
                return Err(Failure::Usage("missing --addr".to_owned()));
            };
            #verifier
            let out: Box<dyn std::io::Write + Send> = match &handled {
                Some(path) => Box::new(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .map_err(|e| Failure::Serve(format!("{path}: {e}")))?,
                ),
                None => Box::new(std::io::stdout()),
            };
            let builder = #krate::receiver(Lines { out: Mutex::new(out) }, verifier);
            let builder = match &journal {
                Some(dir) => {
                    let store = rt::RedbJournal::open(std::path::Path::new(dir)).map_err(|e| Failure::Serve(e.to_string()))?;
                    builder.journaled(Arc::new(store), rt::JournalOptions::default())
                }
                None => builder.inline(None),
            };
            let receiver = builder.start().map_err(|e| Failure::Serve(e.to_string()))?;
            let listener = rt::tokio::net::TcpListener::bind(&addr).await.map_err(|e| Failure::Serve(format!("{addr}: {e}")))?;
            let local = listener.local_addr().map_err(|e| Failure::Serve(e.to_string()))?;
            eprintln!("listening on http://{local}/webhooks");
            receiver.serve_with(listener, receiver.status_router(), shutdown()).await.map_err(|e| Failure::Serve(e.to_string()))?;
            eprintln!("stopped: {:?}", receiver.counters());
            Ok(())
        }

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

/// A JSON body's type (`None` for no body); `Err` for a body that is not JSON.
fn json_body(body: Option<&crate::ir::Body>) -> Result<Option<&TypeRef>, ()> {
    match body {
        None => Ok(None),
        Some(b) if b.media_type.contains("json") => Ok(Some(&b.ty)),
        Some(_) => Err(()),
    }
}

/// One piece of a path segment of an operation's template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Param(String),
}

/// Where the API server serves an operation: the axum route (a literal segment as written when
/// it is plain text, any other segment a capture named by its position, `{p0}`, `{p1}`...) and
/// the template's segments, which the operation matches itself. Positional capture names make
/// templates that differ only in parameter names one route, so axum never sees two captures
/// with different names in one place, nor a spec's text as route syntax. `None` when the
/// template has a literal `?` or `#` (no request path holds one) or an undeclared parameter.
fn served_path(op: &Operation) -> Option<(String, Vec<Vec<Piece>>)> {
    let mut segments: Vec<Vec<Piece>> = vec![Vec::new()];
    for segment in &op.segments {
        match segment {
            PathSegment::Literal(text) => {
                if text.contains(['?', '#']) {
                    return None;
                }
                for (i, part) in text.split('/').enumerate() {
                    if i > 0 {
                        segments.push(Vec::new());
                    }
                    if !part.is_empty() {
                        segments.last_mut()?.push(Piece::Literal(part.to_owned()));
                    }
                }
            }
            PathSegment::Param(name) => {
                op.params.iter().find(|p| p.location == ParamLocation::Path && &p.name.wire == name)?;
                segments.last_mut()?.push(Piece::Param(name.clone()));
            }
        }
    }
    if op.path.starts_with('/') {
        segments.remove(0);
    }
    let plain = |text: &str| {
        text != "."
            && text != ".."
            && text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c))
    };
    let mut captures = 0;
    let route: Vec<String> = segments
        .iter()
        .map(|pieces| match pieces.as_slice() {
            [] => String::new(),
            [Piece::Literal(text)] if plain(text) => text.clone(),
            _ => {
                captures += 1;
                format!("{{p{}}}", captures - 1)
            }
        })
        .collect();
    Some((format!("/{}", route.join("/")), segments))
}

/// How a parameter's type is split from text: a list, an object or one value.
fn param_shape(api: &Api, ty: &TypeRef) -> TokenStream {
    let mut current = ty;
    for _ in 0..=api.types.len() {
        match current {
            TypeRef::List(_) => return quote!(rt::Shape::List),
            TypeRef::Map(_) => return quote!(rt::Shape::Object),
            TypeRef::Named(id) => match &api.ty(*id).kind {
                TypeKind::Alias(inner) => current = inner,
                TypeKind::Struct(_) => return quote!(rt::Shape::Object),
                _ => break,
            },
            _ => break,
        }
    }
    quote!(rt::Shape::Scalar)
}

/// Whether a type is a list, following aliases.
fn is_list(api: &Api, ty: &TypeRef) -> bool {
    let mut current = ty;
    for _ in 0..=api.types.len() {
        match current {
            TypeRef::List(_) => return true,
            TypeRef::Named(id) => match &api.ty(*id).kind {
                TypeKind::Alias(inner) => current = inner,
                _ => return false,
            },
            _ => return false,
        }
    }
    false
}

/// The property of an error body that carries a message: the first string property whose name
/// says `message`, else the first string property.
fn message_field(api: &Api, ty: &TypeRef) -> Option<String> {
    let TypeRef::Named(id) = ty else { return None };
    let TypeKind::Struct(s) = &api.ty(*id).kind else { return None };
    let strings: Vec<&crate::ir::Field> =
        s.fields.iter().filter(|f| f.ty == TypeRef::Primitive(Primitive::String)).collect();
    strings
        .iter()
        .find(|f| f.name.wire.to_ascii_lowercase().contains("message"))
        .or(strings.first())
        .map(|f| f.name.wire.clone())
}

/// How an operation's request body arrives.
enum RequestBody {
    None,
    Json(TypeRef),
    Form(TypeRef),
    Raw,
}

fn request_body(body: Option<&crate::ir::Body>) -> RequestBody {
    match body {
        None => RequestBody::None,
        Some(b) if b.media_type.contains("json") => RequestBody::Json(b.ty.clone()),
        Some(b) if b.media_type.starts_with("application/x-www-form-urlencoded") => RequestBody::Form(b.ty.clone()),
        Some(_) => RequestBody::Raw,
    }
}

/// Warnings about the API server: an operation it never reaches, because an earlier one has
/// the same method and the same path template but for parameter names (the API server routes
/// by template, so the earlier one takes every request), and one it does not serve.
pub(crate) fn warnings(api: &Api) -> Vec<crate::diag::Diagnostic> {
    use crate::diag::Diagnostic;
    let unserved = api.operations.iter().filter(|op| served_path(op).is_none()).map(|op| {
        Diagnostic::warning(op.origin.clone(), format!("the API server does not serve operation `{}`", op.name.wire))
            .expected("a path template without a literal `?` or `#`")
    });
    let never = shadowed(api).into_iter().map(|(later, earlier)| {
        Diagnostic::warning(
            later.origin.clone(),
            format!(
                "the API server never reaches operation `{}`: `{}` with the same method and path takes its requests",
                later.name.wire, earlier.name.wire
            ),
        )
        .expected("a path template that differs from every other one of the method in more than parameter names")
        .related(earlier.origin.clone(), "the operation that takes its requests")
    });
    unserved.chain(never).collect()
}

/// Each served operation that an earlier one with the same method and template but for
/// parameter names shadows (routes are tried by template, so the earlier one takes every
/// request), with that earlier one.
fn shadowed(api: &Api) -> Vec<(&Operation, &Operation)> {
    let mut out = Vec::new();
    let mut seen: Vec<(&str, Pattern, &Operation)> = Vec::new();
    for op in &api.operations {
        let Some((_, template)) = served_path(op) else { continue };
        let (method, pattern) = (op.method.as_str(), erased(&template));
        match seen.iter().find(|(m, p, _)| *m == method && *p == pattern) {
            Some((_, _, earlier)) => out.push((op, *earlier)),
            None => seen.push((method, pattern, op)),
        }
    }
    out
}

/// A template with parameter names left out: two operations alike in this and in method take
/// the same requests.
type Pattern = Vec<Vec<Option<String>>>;

fn erased(template: &[Vec<Piece>]) -> Pattern {
    template
        .iter()
        .map(|s| {
            s.iter()
                .map(|p| match p {
                    Piece::Literal(t) => Some(t.clone()),
                    Piece::Param(_) => None,
                })
                .collect()
        })
        .collect()
}

/// An operation served on a route, tried in order of its literal text (longest first).
struct Candidate {
    method: &'static str,
    template: Vec<Vec<Piece>>,
    serve: proc_macro2::Ident,
}

impl Candidate {
    fn literal_len(&self) -> usize {
        self.template.iter().flatten().map(|p| if let Piece::Literal(t) = p { t.len() } else { 0 }).sum()
    }
}

/// The `Api` trait (one async method per operation, answering 501 by default, taking the
/// client's arguments) and `router`, which reads parameters and bodies (400 in the provider's
/// error shape) and encodes responses.
fn api_server(api: &Api, types: &TokenStream, uses: &mut Uses) -> TokenStream {
    let mut methods = TokenStream::new();
    let mut routes: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    let mut serve_fns = TokenStream::new();
    let mut unserved = Vec::new();
    for (n, op) in api.operations.iter().enumerate() {
        let Some((route, template)) = served_path(op) else {
            unserved.push(docs::code_span(&op.name.wire));
            continue;
        };
        let name = ident(&op.name.rust);
        let successes: Vec<&crate::ir::Response> = op.responses.iter().filter(|r| r.status.is_success()).collect();
        let json_success = successes.iter().find_map(|r| match json_body(r.body.as_ref()) {
            Ok(Some(ty)) => Some((r.status, ty)),
            _ => None,
        });
        let code = |status: Status| match status {
            Status::Code(code) => code,
            _ => 200,
        };
        let (status, ok) = match json_success {
            Some((status, ty)) => (code(status), type_path(api, ty, types, uses)),
            None => (successes.first().map(|r| code(r.status)).unwrap_or(204), quote!(())),
        };
        let errors: Vec<&crate::ir::Response> =
            op.responses.iter().filter(|r| !r.status.is_success() && r.body.is_some()).collect();
        let error_types: BTreeSet<String> =
            errors.iter().map(|r| format!("{:?}", json_body(r.body.as_ref()))).collect();
        let single_error = match (error_types.len(), errors.first().map(|r| json_body(r.body.as_ref()))) {
            (1, Some(Ok(Some(ty)))) => Some(ty),
            _ => None,
        };
        let (error, message) = match single_error {
            Some(ty) => (type_path(api, ty, types, uses), message_field(api, ty)),
            None => (quote!(rt::serde_json::Value), None),
        };
        let message = match message {
            Some(field) => quote!(Some(#field)),
            None => quote!(None),
        };
        // Arguments: the client's, owned.
        let mut args = TokenStream::new();
        let mut names = Vec::new();
        let mut reads = TokenStream::new();
        let mut passed = Vec::new();
        let ordered = super::client::ordered_params(op);
        for (i, param) in ordered.iter().enumerate() {
            let arg = super::client::param_ident(&param.name.rust);
            let ty = type_path(api, &param.ty, types, uses);
            let local = format_ident!("p{i}");
            let wire = &param.name.wire;
            let shape = param_shape(api, &param.ty);
            let style = super::client::style_tokens(param.style);
            let explode = param.explode;
            let (location, read) = match param.location {
                ParamLocation::Path => {
                    ("path", quote!(request.path_param::<#ty>(&path, #wire, #style, #explode, #shape).map(Some)))
                }
                ParamLocation::Query => ("query", quote!(request.query::<#ty>(#wire, #style, #explode, #shape))),
                ParamLocation::Header => ("header", quote!(request.header::<#ty>(#wire, #explode, #shape))),
                ParamLocation::Cookie => ("cookie", quote!(request.cookie::<#ty>(#wire, #explode, #shape))),
            };
            let (arg_ty, read) = if param.required {
                (ty, quote!(rt::required(#read, #location, #wire)))
            } else {
                (quote!(Option<#ty>), read)
            };
            args.extend(quote!(#arg: #arg_ty,));
            names.push(arg);
            reads.extend(quote! {
                let #local = match #read {
                    Ok(value) => value,
                    Err(message) => return Some(rt::bad_request(&message, #message)),
                };
            });
            passed.push(local);
        }
        let body_required = op.request.as_ref().is_some_and(|b| b.required);
        let body = format_ident!("body");
        let decoded = match request_body(op.request.as_ref()) {
            RequestBody::None => None,
            RequestBody::Json(ty) => {
                let t = type_path(api, &ty, types, uses);
                let decode = quote!(rt::decode_request::<#t>(body, #message));
                Some((t, decode))
            }
            RequestBody::Form(ty) => {
                let t = type_path(api, &ty, types, uses);
                let lists: Vec<&String> = super::client::struct_of(api, &ty)
                    .map(|s| s.fields.iter().filter(|f| is_list(api, &f.ty)).map(|f| &f.name.wire).collect())
                    .unwrap_or_default();
                let decode = quote!(rt::decode_form::<#t>(body, &[#(#lists),*], #message));
                Some((t, decode))
            }
            RequestBody::Raw => {
                let t = quote!(rt::axum::body::Bytes);
                let (arg_ty, read) = if body_required {
                    (t, quote!(let body = request.body().clone();))
                } else {
                    (quote!(Option<#t>), quote!(let body = request.body_opt().cloned();))
                };
                args.extend(quote!(#body: #arg_ty,));
                names.push(body.clone());
                reads.extend(read);
                passed.push(body.clone());
                None
            }
        };
        if let Some((t, decode)) = decoded {
            let (arg_ty, read) = if body_required {
                (t, quote!(let body = request.body(); let body = match #decode))
            } else {
                (quote!(Option<#t>), quote!(let body = match request.body_opt().map(|body| #decode).transpose()))
            };
            args.extend(quote!(#body: #arg_ty,));
            names.push(body.clone());
            reads.extend(quote! {
                #read {
                    Ok(value) => value,
                    Err(response) => return Some(*response),
                };
            });
            passed.push(body);
        }
        let mut doc = super::doc_attrs(&op.docs);
        if !doc.is_empty() {
            doc.extend(quote!(#[doc = ""]));
        }
        let line = format!(
            " Serves {} {} (operation {}); answers {status} with the result.",
            op.method.as_str(),
            docs::code_span(&op.path),
            docs::code_span(&op.name.wire)
        );
        doc.extend(quote!(#[doc = #line]));
        let described: Vec<String> = ordered
            .iter()
            .filter_map(|p| {
                let text = docs::inline(p.docs.text.as_deref()?);
                Some(format!(" - `{}`: {text}", super::client::param_ident(&p.name.rust)))
            })
            .collect();
        if !described.is_empty() {
            doc.extend(quote!(#[doc = ""] #[doc = " # Parameters"] #[doc = ""]));
            for line in described {
                doc.extend(quote!(#[doc = #line]));
            }
        }
        let drop = match names.as_slice() {
            [] => TokenStream::new(),
            [one] => quote!(let _ = #one;),
            many => quote!(let _ = (#(#many),*);),
        };
        methods.extend(quote! {
            #doc
            fn #name(&self, #args) -> impl Future<Output = Result<#ok, rt::ApiError<#error>>> + Send {
                #drop
                std::future::ready(Err(rt::ApiError::NotImplemented))
            }
        });
        let serve = format_ident!("serve_{n}");
        let http_method = op.method.as_str();
        let segments = template.iter().map(|pieces| {
            let pieces = pieces.iter().map(|p| match p {
                Piece::Literal(t) => quote!(rt::Piece::Literal(#t)),
                Piece::Param(n) => quote!(rt::Piece::Param(#n)),
            });
            quote!(&[#(#pieces),*])
        });
        let matched = if ordered.iter().any(|p| p.location == ParamLocation::Path) {
            quote!(let path = request.match_path(TEMPLATE)?;)
        } else {
            quote!(request.match_path(TEMPLATE)?;)
        };
        serve_fns.extend(quote! {
            async fn #serve<A: Api>(api: &A, request: &rt::ApiRequest) -> Option<rt::axum::response::Response> {
                const TEMPLATE: &[&[rt::Piece]] = &[#(#segments),*];
                if request.method().as_str() != #http_method {
                    return None;
                }
                #matched
                #reads
                Some(rt::respond(#status, api.#name(#(#passed),*).await))
            }
        });
        routes.entry(route).or_default().push(Candidate { method: op.method.as_str(), template, serve });
    }
    let shadowed: Vec<String> = shadowed(api)
        .into_iter()
        .map(|(later, earlier)| {
            format!("{} (by {})", docs::code_span(&later.name.wire), docs::code_span(&earlier.name.wire))
        })
        .collect();
    let mut route_fns = TokenStream::new();
    let mut registrations = TokenStream::new();
    for (k, (route, mut candidates)) in routes.into_iter().enumerate() {
        candidates.sort_by_key(|c| std::cmp::Reverse(c.literal_len()));
        let arms = candidates.iter().map(|c| {
            let serve = &c.serve;
            quote! {
                if let Some(response) = #serve(api, &request).await {
                    return response;
                }
            }
        });
        let methods: BTreeSet<&str> = candidates.iter().map(|c| c.method).collect();
        // A HEAD no operation takes is answered as a GET of the same path would be.
        let (binding, head) = if methods.contains("GET") {
            let gets = candidates.iter().filter(|c| c.method == "GET").map(|c| {
                let serve = &c.serve;
                quote! {
                    if as_get && let Some(response) = #serve(api, &request).await {
                        return response;
                    }
                }
            });
            (quote!(mut request), quote!(let as_get = request.head_as_get(); #(#gets)*))
        } else {
            (quote!(request), TokenStream::new())
        };
        let methods = methods.into_iter();
        let handler = format_ident!("route_{k}");
        route_fns.extend(quote! {
            async fn #handler<A: Api>(api: &A, request: rt::axum::extract::Request) -> rt::axum::response::Response {
                let #binding = match rt::ApiRequest::read(request).await {
                    Ok(request) => request,
                    Err(response) => return *response,
                };
                #(#arms)*
                #head
                request.unmatched(&[#(#methods),*])
            }
        });
        registrations.extend(quote! {
            .route(#route, rt::axum::routing::any({
                let api = api.clone();
                move |request: rt::axum::extract::Request| {
                    let api = api.clone();
                    async move { #handler(&*api, request).await }
                }
            }))
        });
    }
    let mut doc = vec![
        " The API's operations, one method per operation; each answers 501 until implemented.".to_owned(),
        String::new(),
        " A method takes the client's arguments, owned: path parameters in template order, then the \
         query, header and cookie parameters as declared, then the body: JSON and form-urlencoded \
         bodies decoded into their type, others as raw bytes (an optional body is `None` when the \
         request has none). A missing required parameter, or a parameter or body that does not \
         decode, is answered 400 in the provider's error shape, naming it. A method returns the \
         first JSON success response's type, answered with its status; an operation without a \
         JSON success response answers its first success status (else 204) without a body."
            .to_owned(),
    ];
    if !unserved.is_empty() {
        doc.push(String::new());
        doc.push(format!(
            " Not served (a path template with a literal `?` or `#`, or an undeclared parameter): {}.",
            unserved.join(", ")
        ));
    }
    if !shadowed.is_empty() {
        doc.push(String::new());
        doc.push(format!(
            " Never reached (an earlier operation has the same method and path but for parameter names): {}.",
            shadowed.join(", ")
        ));
    }
    let api_param = if registrations.is_empty() { quote!(_api) } else { quote!(api) };
    let arc = if registrations.is_empty() { TokenStream::new() } else { quote!(let api = std::sync::Arc::new(api);) };
    quote! {
        #(#[doc = #doc])*
        pub trait Api: Send + Sync + 'static {
            #methods
        }

        /// The router serving `api`: each operation at its path and method (a HEAD as its GET,
        /// without the body; other methods on a path answer 405). A missing or undecodable
        /// parameter or body is answered 400 in the provider's error shape.
        pub fn router<A: Api>(#api_param: A) -> rt::axum::Router {
            #arc
            rt::axum::Router::new().without_v07_checks() #registrations
        }

        #route_fns
        #serve_fns
    }
}

//! The server-stub crate: a webhook trait with one async method per event kind, the
//! `Dispatch` that decodes deliveries for `triad-runtime`'s receiver, the example programs, and
//! the API server.
//!
//! Everything about webhooks is derived from each webhook's `Delivery` (decided by
//! `analyze`). A batch (a struct with one required list of a tagged union) gets one method
//! per variant, each given the whole batch and its event; a tagged union gets one method per
//! variant; any other payload one method for the whole value. Deliveries are told apart by
//! shape (the batch's array property, the union's tag property), and every event is decoded
//! on its own, so one that fails reaches `malformed` while the rest are handled.

use crate::emit::EmitError;
use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::spell::{Uses, crate_ident, ident, type_path};
use super::{Dependency, Files, Provenance, doc_attrs, docs, render_rust, render_template};
use crate::config::{Config, ReceiverExample, WebhookSignature};
use crate::ir::{
    Api, Delivery, Operation, ParamLocation, PathSegment, Primitive, Status, Tagging, TypeId, TypeKind, TypeRef, Union,
    Webhook,
};
use crate::ir::{EntityId, ErrorBodies, Field};
use crate::naming;

mod api;
mod examples;
mod media;
mod webhooks;

pub(crate) use api::warnings;
use api::*;
use examples::*;
use webhooks::*;

const README: &str = include_str!("../../../../templates/server/README.md.j2");

/// How one webhook's deliveries are decoded.
enum Shape<'a> {
    /// A struct with an array of tagged union events (`events` is that field), whose events may
    /// all name their `entity`.
    Batch { envelope: TypeId, events: &'a Field, union: TypeId, entity: Option<&'a EntityId> },
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
    webhook: &'a Webhook,
    shape: Shape<'a>,
    /// For `Batch` and `Single`: (variant Rust name, method index); for `Whole`: the method index.
    arms: Vec<(String, Option<bool>, usize)>,
}

/// The server's view of the webhook's [`Delivery`] (decided by `analyze`).
fn shape<'a>(api: &'a Api, webhook: &'a Webhook) -> Shape<'a> {
    match &webhook.delivery {
        Delivery::Batch { envelope, field, union, entity, .. } => match &api.ty(*envelope).kind {
            TypeKind::Struct(s) => match s.fields.get(*field) {
                Some(f) => Shape::Batch { envelope: *envelope, events: f, union: *union, entity: entity.as_ref() },
                None => Shape::Whole { ty: TypeRef::Any },
            },
            _ => Shape::Whole { ty: TypeRef::Any },
        },
        Delivery::Tagged { union, .. } => Shape::Single { union: *union },
        Delivery::Whole { ty } => Shape::Whole { ty: ty.clone() },
        Delivery::Nothing => Shape::Whole { ty: TypeRef::Any },
    }
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

/// One trait method per event kind of every webhook (per variant of a batch's or a single
/// event's union, or one for the whole value), named without clashes, and each webhook's
/// [`Hook`] for the dispatcher.
fn webhook_methods<'a>(
    api: &'a Api,
    types: &TokenStream,
    uses: &mut Uses,
) -> Result<(Vec<Method>, Vec<Hook<'a>>), EmitError> {
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
                let envelope_ty = type_path(api, &TypeRef::Named(*envelope), types, uses);
                let u = union_of(api, *union)
                    .ok_or_else(|| EmitError::item(&webhook.origin, "a batch without its union"))?;
                for v in &u.variants {
                    let payload = variant_type(api, v, types, uses);
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
                let u = union_of(api, *union)
                    .ok_or_else(|| EmitError::item(&webhook.origin, "a webhook without its union"))?;
                for v in &u.variants {
                    let payload = variant_type(api, v, types, uses);
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
                let payload = type_path(api, ty, types, uses);
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
        hooks.push(Hook { webhook, shape, arms });
    }
    Ok((methods, hooks))
}

/// The library's code, printed in two consecutive parts: the second (the API server's route
/// and serve functions, most of its lines, then the WebSocket modules) on a thread of its
/// own; tokens cannot cross threads, so each thread builds its own.
fn library_text(
    api: &Api,
    config: &Config,
    methods: &[Method],
    hooks: &[Hook<'_>],
    uses: &mut Uses,
) -> Result<String, EmitError> {
    // Only the endpoints of an API with nothing but channels are the whole crate.
    let channels_only = api.operations.is_empty() && api.webhooks.is_empty();
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let types = quote!(types);
            let mut uses = Uses::default();
            let mut tokens = TokenStream::new();
            if !channels_only {
                tokens.extend(api_server(api, &types, &mut uses, ApiPart::Functions));
            }
            if !api.channels.is_empty() {
                let gate = if channels_only { TokenStream::new() } else { super::feature_gate("ws") };
                tokens.extend(super::ws::server_modules(api, &gate, &mut uses));
            }
            super::unparse(tokens).map(|text| (text, uses))
        });
        let types = quote!(types);
        let first = if channels_only {
            Ok(super::ws::server_library(api, config))
        } else {
            library(api, config, &types, methods, hooks).map(|mut lib| {
                let mut helper_names: BTreeSet<String> = BTreeSet::new();
                for (webhook, hook) in api.webhooks.iter().zip(hooks) {
                    lib.extend(entities_helper(api, webhook, &hook.shape, &types, uses, &mut helper_names));
                }
                lib.extend(api_server(api, &types, uses, ApiPart::Head));
                lib
            })
        }
        .and_then(super::unparse);
        (first, second.join().map_err(|_| EmitError::Panicked("server")))
    });
    let (second, second_uses) = second??;
    *uses |= second_uses;
    Ok(first? + &second)
}

pub(super) fn emit(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), EmitError> {
    let krate = &config.server.krate;
    // Types are named through the crate's `types` re-export, so examples need no other crate.
    let types = quote!(types);
    let mut uses = Uses::default();
    let (methods, hooks) = webhook_methods(api, &types, &mut uses)?;
    // Only the endpoints of an API with nothing but channels are the whole crate; elsewhere
    // the journal and the WebSocket stack are features (`journal`, `ws`), on by default.
    let channels_only = api.operations.is_empty() && api.webhooks.is_empty();
    let lib = library_text(api, config, &methods, &hooks, &mut uses)?;
    let prefix = &krate.name;
    let lib = super::finish_rust(&lib, provenance);
    files.insert(format!("{prefix}/src/lib.rs"), lib);
    let mut example_runs = Vec::new();
    let mut example_features = Vec::new();
    for example in &config.server.examples {
        let code = match &example.channel {
            Some(channel) => {
                super::ws::push_example(api, config, &example.name, example.description.as_deref(), channel)
                    .map_err(|message| EmitError::Example { name: example.name.clone(), message })?
            }
            None if example.journal => journal_example(config, example),
            None => receiver_example(config, example, &methods),
        };
        files.insert(format!("{prefix}/examples/{}.rs", example.name), render_rust(code, provenance)?);
        example_runs.push(format!("cargo run -p {prefix} --example {}", example.name));
        let needs = match (&example.channel, example.journal) {
            (Some(_), _) if !channels_only => vec!["ws"],
            (None, true) => vec!["journal"],
            _ => Vec::new(),
        };
        if !needs.is_empty() {
            example_features.push((example.name.clone(), needs));
        }
    }
    let title = docs::api_title(api, &config.name).to_owned();
    let description = match &krate.description {
        Some(text) => super::one_line(text),
        None => format!("Server stubs of the {}", super::one_line(&title)),
    };
    let kinds: Vec<String> = methods.iter().map(|m| docs::code_span(&m.kind)).collect();
    let usage = if channels_only { None } else { Some(readme_usage(api, config, &methods)?) };
    let context = minijinja::context! {
        usage => usage,
        features => !channels_only,
        channels => !api.channels.is_empty(),
        header => provenance.header(),
        crate_name => docs::inline(&krate.name),
        title => docs::inline(&title),
        api_version => docs::inline(&api.version),
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
    let runtime_features: &[&str] = if channels_only { &["server", "ws"] } else { &["server"] };
    let runtime = Dependency::local(super::RUNTIME_VERSION, config.server.runtime_path.clone(), runtime_features);
    dependencies.insert("triad-runtime", runtime);
    if uses.uuid {
        dependencies.insert("uuid", Dependency::registry("1", &["std", "serde"]));
    }
    let mut dev_dependencies = BTreeMap::new();
    if !config.server.examples.is_empty() {
        dev_dependencies.insert("tokio", Dependency::registry("1", &["rt-multi-thread", "macros"]));
        let runtime = Dependency::local(super::RUNTIME_VERSION, config.server.runtime_path.clone(), &["cli"]);
        dev_dependencies.insert("triad-runtime", runtime);
    }
    let manifest = super::Manifest {
        krate,
        description,
        keyword: "server",
        categories: server_categories(api, channels_only),
        dependencies,
        dev_dependencies,
        features: server_features(api, channels_only),
        examples: example_features,
    };
    let manifest = super::manifest(manifest, config, provenance)?;
    files.insert(format!("{prefix}/Cargo.toml"), manifest);
    files.insert(format!("{prefix}/README.md"), render_template("README.md", README, context)?);
    Ok(())
}

/// The server crate's features: the receiver's embedded journal and the WebSocket endpoints,
/// both on by default; the receiver's journals on PostgreSQL and NATS JetStream (`postgres`,
/// `nats-journal`) and, with channels, `nats` (the endpoints' fan-out across replicas), off by
/// default; a crate of channels only has `nats` alone.
fn server_features(api: &Api, channels_only: bool) -> BTreeMap<&'static str, Vec<&'static str>> {
    if channels_only {
        return BTreeMap::from([("nats", vec!["triad-runtime/nats"])]);
    }
    let mut features = BTreeMap::from([("journal", vec!["triad-runtime/journal"])]);
    if !api.channels.is_empty() {
        features.insert("ws", vec!["triad-runtime/ws"]);
    }
    features.insert("default", features.keys().copied().collect());
    // Not by default: a journal on PostgreSQL that several receiver processes share.
    features.insert("postgres", vec!["triad-runtime/postgres"]);
    features.insert("nats-journal", vec!["triad-runtime/nats-journal"]);
    if !api.channels.is_empty() {
        features.insert("nats", vec!["ws", "triad-runtime/nats"]);
    }
    features
}

/// The server crate's crates.io categories.
fn server_categories(api: &Api, channels_only: bool) -> Vec<&'static str> {
    let mut categories = vec!["api-bindings"];
    if !channels_only {
        categories.push("web-programming::http-server");
    }
    if !api.channels.is_empty() {
        categories.push("web-programming::websocket");
    }
    categories
}

/// The README's usage example (a doctest, compiled but not run, as it serves until stopped):
/// a `Webhooks` implementation handling the first event kind, the receiver serving it with the
/// config's verifier, and beside it, for an API with operations, the API server with every
/// operation left at its default (501). Only identifiers come from the spec.
fn readme_usage(api: &Api, config: &Config, methods: &[Method]) -> Result<String, EmitError> {
    let krate = crate_ident(&config.server.krate.name);
    let handler = match methods.first() {
        Some(Method { name, payload, batch, .. }) => {
            let batch_param = batch.as_ref().map(|batch| quote!(batch: &#batch,));
            let event_param = payload.as_ref().map(|payload| quote!(event: #payload,));
            let uses = match (batch, payload) {
                (Some(_), Some(_)) => quote!(let _ = batch; println!("{event:?}");),
                (None, Some(_)) => quote!(println!("{event:?}");),
                (Some(_), None) => quote!(let _ = batch;),
                (None, None) => TokenStream::new(),
            };
            quote! {
                async fn #name(&self, #batch_param #event_param delivery: &rt::Delivery) -> Result<(), rt::HandlerError> {
                    #uses
                    println!("handled in delivery {} (attempt {})", delivery.id, delivery.attempt);
                    Ok(())
                }
            }
        }
        None => quote! {
            async fn unknown(&self, raw: rt::serde_json::Value, delivery: &rt::Delivery) -> Result<(), rt::HandlerError> {
                println!("an event of a kind this crate does not know, in delivery {}: {raw}", delivery.id);
                Ok(())
            }
        },
    };
    let secret = match &config.auth.webhook_signature {
        Some(WebhookSignature::StandardWebhooks { .. }) => "whsec_c2VjcmV0LXNoYXJlZC13aXRoLXRoZS1wcm92aWRlcg==",
        _ => "secret shared with the provider",
    };
    let (stand, extra) = if api.operations.is_empty() {
        (TokenStream::new(), quote!(rt::axum::Router::new()))
    } else {
        let stand = quote! {
            /// Stands in for the provider's API: every operation answers 501 until written.
            struct Stand;
            impl #krate::Api for Stand {}
        };
        (stand, quote!(#krate::router(Stand)))
    };
    let tokens = quote! {
        use #krate::{runtime as rt, types};

        /// Handles one kind of event; every other kind keeps its default.
        struct Handlers;

        impl #krate::Webhooks for Handlers {
            #handler
        }

        #stand

        async fn serve() -> Result<(), Box<dyn std::error::Error>> {
            let verifier = #krate::verifier(&[#secret])?;
            let receiver = #krate::receiver(Handlers, verifier).start()?;
            let listener = rt::tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
            receiver.serve_with(listener, #extra, std::future::pending()).await?;
            Ok(())
        }
    };
    Ok(super::space_items(&super::unparse(tokens)?).trim_end().to_owned())
}

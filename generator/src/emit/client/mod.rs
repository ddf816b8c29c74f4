//! The client crate: one async method per operation, on `triad-runtime`'s transport, with the
//! types crate's types (named by its crate path, never copied).

use crate::emit::EmitError;
use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::params::{ordered_params, param_ident, style_tokens};
use super::spell::{Uses, crate_ident, ident, type_path};
use super::{Dependency, Files, Provenance, doc_attrs, docs, render_rust, render_template};
use crate::config::{Config, Example};
use crate::ir::ErrorBodies;
use crate::ir::{
    Alternative, Api, Body, Encoding, Multipart, Operation, ParamLocation, PartKind, PathSegment, Presence, Primitive,
    Response, SecurityKind, Status, TypeRef,
};
use crate::naming;

mod auth;
mod examples;
mod operations;
mod pagination;
mod readme;

use auth::*;
use examples::*;
use operations::*;
use pagination::*;
use readme::*;

const README: &str = include_str!("../../../../templates/client/README.md.j2");
/// The README of a client crate without operations (channels only).
const CHANNELS_README: &str = include_str!("../../../../templates/client/README.channels.md.j2");

/// What the emitted code of one crate needs to know about the API and its settings.
struct Ctx<'a> {
    api: &'a Api,
    config: &'a Config,
    /// Path of the types crate (`mews_types`).
    types: TokenStream,
    uses: Uses,
    /// The error body type most operations share, which the crate's `CallResult` alias names.
    common_error: Option<ErrorKey>,
}

/// Which error type an operation's methods return, as a value to compare.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ErrorKey {
    /// `serde_json::Value`: no error response has a body.
    Value,
    /// The one JSON type every error body has.
    One(TypeRef),
    /// The operation's own enum of error bodies, by its wire name.
    Own(String),
}

impl ErrorKey {
    fn of(op: &Operation) -> ErrorKey {
        match &op.errors {
            // Bodies of any JSON are read as `serde_json::Value` too.
            ErrorBodies::None | ErrorBodies::One(TypeRef::Any) => ErrorKey::Value,
            ErrorBodies::One(ty) => ErrorKey::One(ty.clone()),
            ErrorBodies::Several => ErrorKey::Own(op.name.wire.clone()),
        }
    }
}

impl Ctx<'_> {
    fn ty(&mut self, ty: &TypeRef) -> TokenStream {
        type_path(self.api, ty, &self.types, &mut self.uses)
    }

    /// What a method of `op` returns: `CallResult<T>` for the common error body, else
    /// `rt::Result<T, E>`.
    fn result(&self, op: &Operation, ok: &TokenStream, error: &TokenStream) -> TokenStream {
        if self.common_error.as_ref() == Some(&ErrorKey::of(op)) {
            quote!(CallResult<#ok>)
        } else {
            quote!(rt::Result<#ok, #error>)
        }
    }
}

/// The type an operation's error bodies decode into: the one JSON type they share, an enum of
/// them by status (`<Operation>Error`, emitted with the method), or `serde_json::Value`.
fn error_type(cx: &mut Ctx<'_>, op: &Operation) -> TokenStream {
    match &op.errors {
        ErrorBodies::None => quote!(serde_json::Value),
        ErrorBodies::One(ty) => cx.ty(ty),
        ErrorBodies::Several => {
            let name = format_ident!("{}Error", pascal_name(op));
            quote!(#name)
        }
    }
}

/// The name of the associated constant holding the `rt::Operation` of a paginated operation,
/// which its method and its `_stream` method share.
fn op_const(op: &Operation) -> proc_macro2::Ident {
    ident(&naming::unraw(&op.name.rust).to_ascii_uppercase())
}

/// How a body is read or written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Payload {
    Json(TypeRef),
    Form(TypeRef),
    Text,
    /// Bytes, streamed (`rt::Upload` sent, `rt::Download` received).
    Binary,
    /// A multipart body: the struct of its parts, by name.
    Multipart(String),
    /// Server-Sent Events whose data decode as the type.
    Events(TypeRef),
    None,
}

fn payload(body: Option<&Body>) -> Payload {
    let Some(body) = body else { return Payload::None };
    match &body.encoding {
        Encoding::Json => Payload::Json(body.ty.clone()),
        Encoding::Form => Payload::Form(body.ty.clone()),
        Encoding::Text => Payload::Text,
        Encoding::Binary => Payload::Binary,
        Encoding::Multipart(multipart) => Payload::Multipart(multipart.rust.clone()),
        Encoding::EventStream(_) => Payload::Events(body.ty.clone()),
    }
}

/// One named constructor per server (`Client::production(credentials)`), named after the first
/// word of its description and never clashing with `taken`; and the first server's URL.
fn constructors(api: &Api, taken: &mut BTreeSet<String>) -> (TokenStream, Option<String>) {
    let mut constructors = TokenStream::new();
    let mut first_url = None;
    for server in &api.servers {
        let url = server.default_url();
        first_url.get_or_insert_with(|| url.clone());
        let word = server.description.as_deref().and_then(|d| d.split_whitespace().next()).unwrap_or("server");
        let mut name = naming::field_name(word);
        if name.is_empty() || name.starts_with("r#") || name.ends_with('_') {
            name = "server".into();
        }
        while !taken.insert(name.clone()) {
            name.push_str("_server");
        }
        let name = ident(&name);
        let mut doc = format!(
            " The {} server, {}",
            docs::inline(server.description.as_deref().unwrap_or("API")),
            docs::code_span(&url)
        );
        if !server.variables.is_empty() {
            let vars: Vec<String> = server
                .variables
                .iter()
                .map(|v| format!("{} = {}", docs::code_span(&v.name), docs::code_span(&v.default)))
                .collect();
            doc.push_str(&format!(" (variables at their defaults: {})", vars.join(", ")));
        }
        doc.push('.');
        constructors.extend(quote! {
            #[doc = #doc]
            pub fn #name(credentials: &Credentials) -> Result<Self, rt::reqwest::Error> {
                Self::new(#url, credentials)
            }
        });
    }
    (constructors, first_url)
}

/// The client crate's dependencies: the types crate, `triad-runtime` with `features`, and the
/// value crates its own code spells.
fn dependencies<'a>(config: &'a Config, features: &[&'static str], uses: &Uses) -> BTreeMap<&'a str, Dependency> {
    let mut dependencies = BTreeMap::new();
    let types_path = format!("../{}", config.types_crate.name);
    dependencies.insert(
        config.types_crate.name.as_str(),
        Dependency::local(&config.types_crate.version, Some(types_path), &[]),
    );
    dependencies.insert(
        "triad-runtime",
        Dependency::local(super::RUNTIME_VERSION, config.client.runtime_path.clone(), features),
    );
    if uses.uuid {
        dependencies.insert("uuid", Dependency::registry("1", &["std", "serde"]));
    }
    dependencies
}

/// The client crate's dev-dependencies: the example programs run on tokio, their command line
/// is `triad-runtime`'s `cli`.
fn dev_dependencies(config: &Config) -> BTreeMap<&'static str, Dependency> {
    let mut dev_dependencies = BTreeMap::new();
    if !config.client.examples.is_empty() {
        dev_dependencies.insert("tokio", Dependency::registry("1", &["rt", "macros"]));
        dev_dependencies.insert(
            "triad-runtime",
            Dependency::local(super::RUNTIME_VERSION, config.client.runtime_path.clone(), &["cli"]),
        );
    }
    dev_dependencies
}

/// The error body type shared by most operations (at least two): recorded in `cx`, and named
/// by the crate's `CallResult` alias.
fn common_error(cx: &mut Ctx<'_>) -> TokenStream {
    let api = cx.api;
    let mut error_counts: BTreeMap<ErrorKey, (usize, usize, TokenStream)> = BTreeMap::new();
    for (i, op) in api.operations.iter().enumerate() {
        let error = error_type(cx, op);
        error_counts.entry(ErrorKey::of(op)).or_insert((0, i, error)).0 += 1;
    }
    let common = error_counts
        .into_iter()
        .filter(|(_, (count, ..))| *count >= 2)
        .min_by_key(|(_, (count, first, _))| (std::cmp::Reverse(*count), *first))
        .map(|(key, (.., tokens))| (key, tokens));
    cx.common_error = common.as_ref().map(|(key, _)| key.clone());
    let common = common.map(|(_, tokens)| tokens);
    match &common {
        Some(error) => {
            let doc = format!(
                " What a call returns: its result, or a [`runtime::Error`] carrying the error body most \
                 operations document, [`{}`].",
                error.to_string().replace(' ', "")
            );
            quote! {
                #[doc = #doc]
                pub type CallResult<T> = rt::Result<T, #error>;
            }
        }
        None => TokenStream::new(),
    }
}

/// The crate's `PAGING` constant (the wire paths of the request's cursor and count), when a
/// method streams pages.
fn paging(config: &Config, streams: bool) -> TokenStream {
    match &config.pagination {
        Some(pagination) if streams => {
            let cursor = pagination.request_cursor.split('.');
            let count = if pagination.request_count.is_empty() {
                quote!(None)
            } else {
                let count = pagination.request_count.split('.');
                quote!(Some(&[#(#count),*]))
            };
            quote! {
                const PAGING: rt::Paging = rt::Paging { cursor: &[#(#cursor),*], count: #count };
            }
        }
        _ => TokenStream::new(),
    }
}

/// The provider's documented rate limit (the config's `crates.client.rate_limit`): the
/// `RATE_LIMIT` constant and the builder call that applies it by default, shared by every client
/// of the process using the same credential when the limit is counted per one.
fn rate_limit(config: &Config, credentials: &[(String, String)]) -> (TokenStream, TokenStream) {
    let Some(limit) = &config.client.rate_limit else { return (TokenStream::new(), TokenStream::new()) };
    let (requests, seconds) = (limit.requests, limit.per_seconds);
    let (requests_lit, seconds_lit) =
        (proc_macro2::Literal::u32_unsuffixed(requests), proc_macro2::Literal::u64_unsuffixed(seconds));
    let field = limit.per.as_ref().and_then(|per| credentials.iter().find(|(_, wire)| wire == per));
    let (doc, apply) = match (field, &limit.per) {
        (Some((rust, wire)), _) => {
            let field = ident(rust);
            (
                format!(
                    " The provider's rate limit: {requests} requests per {seconds} s per {}. Every client of \
                     this process with the same {} shares it; [`rt::Builder::without_rate_limit`] turns it off.",
                    docs::code_span(wire),
                    docs::code_span(wire)
                ),
                quote!(.shared_rate_limit(Self::RATE_LIMIT, credentials.#field.as_ref())),
            )
        }
        _ => (
            format!(
                " The provider's rate limit: {requests} requests per {seconds} s, per client; \
                 [`rt::Builder::without_rate_limit`] turns it off."
            ),
            quote!(.rate_limit(Self::RATE_LIMIT)),
        ),
    };
    // Not a link: the method exists only with the feature.
    let redis = " With the crate's `redis` feature, `runtime::Builder::redis_rate_limit` keeps the window in \
                 Redis, shared by every process using the same credential (`runtime::RedisStore`, \
                 `runtime::OnUnreachable`).";
    let constant = quote! {
        #[doc = #doc]
        #[doc = ""]
        #[doc = #redis]
        pub const RATE_LIMIT: rt::RateLimit =
            rt::RateLimit { requests: #requests_lit, per: std::time::Duration::from_secs(#seconds_lit) };
    };
    (constant, apply)
}

/// The crate docs: what the client is and where its parts come from.
fn crate_docs(api: &Api, name: &str, types_crate: &proc_macro2::Ident) -> TokenStream {
    let mut crate_doc = docs::crate_intro("Async client", api, name);
    crate_doc.push_str(&format!(
        "\n\nOne method per operation on [`Client`]; request and response types come from [`{types_crate}`] \
         (re-exported as [`types`]). Transport, retries, pagination and errors come from `triad-runtime` \
         (re-exported as [`runtime`]): every call returns a [`runtime::Error`] on failure, carrying the \
         provider's error body decoded into the operation's documented error type."
    ));
    crate::emit::inner_docs(&crate_doc)
}

/// The `Client` type: its transport, constructors, and one method per operation.
fn client_type(
    paging: TokenStream,
    constructors: TokenStream,
    methods: TokenStream,
    limit: TokenStream,
) -> TokenStream {
    quote! {
    /// A client of the API: cheap to clone, clones share connections and the rate limit.
    #[derive(Clone, Debug)]
    pub struct Client {
        transport: rt::Transport,
    }
    impl Client {
        #paging
        /// Transport settings for `base_url` with `credentials`: adjust the retry policy,
        /// timeout, HTTP client, rate limit or request hook, then [`Client::from_transport`].
        pub fn builder(base_url: impl Into<String>, credentials: &Credentials) -> rt::Builder {
            rt::Builder::new(base_url)
                .auth(credentials.auth())
                .user_agent(concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")))
                #limit
        }
        /// A client of the server at `base_url`, with default transport settings.
        pub fn new(base_url: impl Into<String>, credentials: &Credentials) -> Result<Self, rt::reqwest::Error> {
            Self::builder(base_url, credentials).build().map(Self::from_transport)
        }
        /// A client sending through `transport`.
        pub fn from_transport(transport: rt::Transport) -> Self {
            Client { transport }
        }
        /// The transport this client sends through.
        pub fn transport(&self) -> &rt::Transport {
            &self.transport
        }
        #constructors
        #methods
    }
    }
}

pub(super) fn emit(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), EmitError> {
    if api.operations.is_empty() {
        return channels_only(api, config, provenance, files);
    }
    let krate = &config.client.krate;
    let types_crate = crate_ident(&config.types_crate.name);
    // Inside the client crate, the types crate is named by its re-export.
    let mut cx = Ctx { api, config, types: quote!(types), uses: Uses::default(), common_error: None };
    let aliases = common_error(&mut cx);
    let mut methods = TokenStream::new();
    let mut items = TokenStream::new();
    let mut taken: BTreeSet<String> =
        ["new", "builder", "from_transport", "transport"].iter().map(|s| s.to_string()).collect();
    for op in &api.operations {
        taken.insert(naming::unraw(&op.name.rust).to_owned());
    }
    let mut streams = Vec::new();
    let mut signatures = BTreeMap::new();
    for op in &api.operations {
        let stream = stream_method(&mut cx, op, &mut taken);
        let (method, signature) = with_alternatives(&mut cx, op, &mut items, stream.is_some(), &mut taken)?;
        methods.extend(method);
        signatures.insert(op.name.wire.clone(), signature);
        if let Some((name, tokens)) = stream {
            streams.push((op.name.wire.clone(), name));
            methods.extend(tokens);
        }
    }
    let paging = paging(config, !streams.is_empty());
    let (credentials, credential_names, credentials_example) = credentials(api);
    let (constructors, first_url) = constructors(api, &mut taken);
    let title = docs::api_title(api, &config.name).to_owned();
    let crate_docs = crate_docs(api, &config.name, &types_crate);
    let websocket = if api.channels.is_empty() {
        TokenStream::new()
    } else {
        // The WebSocket stack is the crate's `ws` feature, on by default.
        let gate = super::feature_gate("ws");
        let modules = super::ws::client_modules(api, &krate.name, true, &gate, &mut cx.uses);
        quote! {
            /// The WebSocket runtime the channel modules build on (`triad-runtime`'s `ws`).
            #gate
            pub use triad_runtime::ws as websocket;
            #modules
        }
    };
    let (limit_const, limit) = rate_limit(config, &credential_names);
    let client = client_type(quote!(#paging #limit_const), constructors, methods, limit);
    let doc_cfg = (!api.channels.is_empty()).then(|| quote!(#![cfg_attr(docsrs, feature(doc_cfg))]));
    let lib = quote! {
        #crate_docs
        #doc_cfg
        #![allow(deprecated, clippy::too_many_arguments, clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]
        pub use #types_crate as types;
        pub use triad_runtime::client as runtime;
        use triad_runtime::client as rt;
        #[allow(unused_imports)]
        use triad_runtime::client::serde_json;
        #[cfg(doctest)]
        #[doc = include_str!("../README.md")]
        pub struct ReadmeDoctests;
        #credentials
        #aliases
        #websocket
        #client
        #items
    };
    let prefix = &krate.name;
    let lib = render_rust(lib, provenance)?;
    let mut example_runs = Vec::new();
    let mut example_features = Vec::new();
    // Examples name types through the client's re-export, so they need only the client crate.
    let client_crate = crate_ident(&krate.name);
    cx.types = quote!(#client_crate::types);
    for example in &config.client.examples {
        let code = match &example.channel {
            Some(channel) => super::ws::listen_example(
                api,
                config,
                &example.name,
                example.description.as_deref(),
                channel,
                &example.id,
            ),
            // The config's checks report an example that has no plan, where it is written.
            None => crate::analyze::example_plan(api, example)
                .map(|plan| example_program(&mut cx, example, &plan, &streams, &credential_names)),
        }
        .map_err(|message| EmitError::Example { name: example.name.clone(), message })?;
        files.insert(format!("{prefix}/examples/{}.rs", example.name), render_rust(code, provenance)?);
        example_runs.push(format!("cargo run -p {prefix} --example {}", example.name));
        if example.channel.is_some() {
            example_features.push((example.name.clone(), vec!["ws"]));
        }
    }
    let usage = readme_usage(&cx, &krate.name, first_url.as_deref(), &signatures, &credentials_example)
        .map_err(|message| EmitError::Text { what: "the README's usage example".to_owned(), message })?;
    let description = description(krate, "Async client", &title);
    let context = minijinja::context! {
        header => provenance.header(),
        crate_name => docs::inline(&krate.name),
        crate_ident => krate.name.replace('-', "_"),
        title => docs::inline(&title),
        api_version => docs::inline(&api.version),
        types_crate => docs::inline(&config.types_crate.name),
        examples => example_runs,
        usage => usage,
        operations => api.operations.len(),
        streams => streams.len(),
        channels => !api.channels.is_empty(),
        redis => config.client.rate_limit.is_some(),
    };
    let manifest = manifest(api, config, description, &cx.uses, example_features, provenance)?;
    files.insert(format!("{prefix}/src/lib.rs"), lib);
    files.insert(format!("{prefix}/Cargo.toml"), manifest);
    files.insert(format!("{prefix}/README.md"), render_template("README.md", README, context)?);
    Ok(())
}

/// The crate's one-line description: the config's, else `{what} of the {title}`.
fn description(krate: &crate::config::CrateSettings, what: &str, title: &str) -> String {
    match &krate.description {
        Some(text) => super::one_line(text),
        None => format!("{what} of the {}", super::one_line(title)),
    }
}

/// The client crate's manifest: with channels, the `ws` feature (on by default) that the
/// channel modules and the examples listening to them need; with a rate limit, the `redis`
/// feature (off by default) that shares it between processes.
fn manifest(
    api: &Api,
    config: &Config,
    description: String,
    uses: &Uses,
    examples: Vec<(String, Vec<&'static str>)>,
    provenance: &Provenance,
) -> Result<String, EmitError> {
    let (mut features, categories) = if api.channels.is_empty() {
        (BTreeMap::new(), vec!["api-bindings", "web-programming::http-client"])
    } else {
        let features = BTreeMap::from([("default", vec!["ws"]), ("ws", vec!["triad-runtime/ws"])]);
        (features, vec!["api-bindings", "web-programming::http-client", "web-programming::websocket"])
    };
    // With a documented rate limit: the opt-in to share it between processes through Redis.
    if config.client.rate_limit.is_some() {
        features.insert("redis", vec!["triad-runtime/redis"]);
    }
    let manifest = super::Manifest {
        krate: &config.client.krate,
        description,
        keyword: "client",
        categories,
        dependencies: dependencies(config, &["client"], uses),
        dev_dependencies: dev_dependencies(config),
        features,
        examples,
    };
    super::manifest(manifest, config, provenance)
}

/// The client crate of an API with channels and no operations: the channel modules and their
/// `Credentials`, no HTTP client.
fn channels_only(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), EmitError> {
    let krate = &config.client.krate;
    let types_crate = crate_ident(&config.types_crate.name);
    let mut uses = Uses::default();
    let modules = super::ws::client_modules(api, &krate.name, false, &TokenStream::new(), &mut uses);
    let credentials = super::ws::client_credentials(api);
    let title = docs::api_title(api, &config.name).to_owned();
    let mut crate_doc = docs::crate_intro("WebSocket client", api, &config.name);
    crate_doc.push_str(&format!(
        "\n\nOne module per channel, each with a listener on `triad-runtime`'s WebSocket runtime \
         (re-exported as [`websocket`]); message types come from [`{types_crate}`] (re-exported as [`types`])."
    ));
    let crate_docs: TokenStream = crate::emit::inner_docs(&crate_doc);
    let lib = quote! {
        #crate_docs
        #![allow(deprecated, clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]
        pub use #types_crate as types;
        /// The WebSocket runtime the channel modules build on (`triad-runtime`'s `ws`).
        pub use triad_runtime::ws as websocket;
        #credentials
        #modules
    };
    let prefix = &krate.name;
    files.insert(format!("{prefix}/src/lib.rs"), render_rust(lib, provenance)?);
    let description = description(krate, "WebSocket client", &title);
    let manifest = super::Manifest {
        krate,
        description,
        keyword: "client",
        categories: vec!["api-bindings", "web-programming::websocket"],
        dependencies: dependencies(config, &["ws"], &uses),
        dev_dependencies: BTreeMap::new(),
        features: BTreeMap::new(),
        examples: Vec::new(),
    };
    let manifest = super::manifest(manifest, config, provenance)?;
    files.insert(format!("{prefix}/Cargo.toml"), manifest);
    let context = minijinja::context! {
        header => provenance.header(),
        crate_name => docs::inline(&krate.name),
        what => super::one_line(&format!("WebSocket client of the {title}")),
    };
    files.insert(format!("{prefix}/README.md"), render_template("README.md", CHANNELS_README, context)?);
    Ok(())
}

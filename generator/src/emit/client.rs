//! The client crate: one async method per operation, on `triad-runtime`'s transport, with the
//! types crate's types (named by its crate path, never copied).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::params::{ordered_params, param_ident, style_tokens};
use super::spell::{Uses, crate_ident, ident, type_path};
use super::{Dependency, Files, Provenance, doc_attrs, docs, render_rust, render_template};
use crate::config::{Config, Example};
use crate::ir::{
    Api, Body, Field, Operation, ParamLocation, PathSegment, Presence, Primitive, Response, SecurityKind, Status,
    Struct, TypeRef,
};
use crate::naming;

const README: &str = include_str!("../../../templates/client/README.md.j2");

/// What the emitted code of one crate needs to know about the API and its settings.
struct Ctx<'a> {
    api: &'a Api,
    config: &'a Config,
    /// Path of the types crate (`mews_types`).
    types: TokenStream,
    uses: Uses,
    /// The error body type most operations share (as its tokens print), which the crate's
    /// `CallResult` alias names.
    common_error: Option<String>,
}

impl Ctx<'_> {
    fn ty(&mut self, ty: &TypeRef) -> TokenStream {
        type_path(self.api, ty, &self.types, &mut self.uses)
    }

    /// What a method returns: `CallResult<T>` for the common error body, else `rt::Result<T, E>`.
    fn result(&self, ok: &TokenStream, error: &TokenStream) -> TokenStream {
        if self.common_error.as_deref() == Some(error.to_string().as_str()) {
            quote!(CallResult<#ok>)
        } else {
            quote!(rt::Result<#ok, #error>)
        }
    }
}

/// The type an operation's error bodies decode into: the one JSON type they share, an enum of
/// them by status (`<Operation>Error`, emitted with the method), or `serde_json::Value`.
fn error_type(cx: &mut Ctx<'_>, op: &Operation) -> TokenStream {
    let errors: Vec<&Response> = op.responses.iter().filter(|r| !r.status.is_success() && r.body.is_some()).collect();
    let kinds: BTreeSet<String> = errors.iter().map(|r| format!("{:?}", payload(r.body.as_ref()))).collect();
    if errors.is_empty() {
        quote!(serde_json::Value)
    } else if let (1, Some(Payload::Json(ty))) = (kinds.len(), errors.first().map(|r| payload(r.body.as_ref()))) {
        cx.ty(&ty)
    } else {
        let name = format_ident!("{}Error", pascal_name(op));
        quote!(#name)
    }
}

/// The name of the associated constant holding the `rt::Operation` of a paginated operation,
/// which its method and its `_stream` method share.
fn op_const(op: &Operation) -> proc_macro2::Ident {
    ident(&naming::unraw(&op.name.rust).to_ascii_uppercase())
}

/// How a body is read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Payload {
    Json(TypeRef),
    Form(TypeRef),
    Text,
    None,
}

fn payload(body: Option<&Body>) -> Payload {
    match body {
        None => Payload::None,
        Some(b) if b.media_type.contains("json") => Payload::Json(b.ty.clone()),
        Some(b) if b.media_type.starts_with("application/x-www-form-urlencoded") => Payload::Form(b.ty.clone()),
        Some(_) => Payload::Text,
    }
}

pub(super) fn emit(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), String> {
    if api.operations.is_empty() {
        return channels_only(api, config, provenance, files);
    }
    let krate = &config.client.krate;
    let types_crate = crate_ident(&config.types_crate.name);
    // Inside the client crate, the types crate is named by its re-export.
    let mut cx = Ctx { api, config, types: quote!(types), uses: Uses::default(), common_error: None };
    // The error body type shared by most operations (at least two) gets the crate's aliases.
    let mut error_counts: BTreeMap<String, (usize, usize, TokenStream)> = BTreeMap::new();
    for (i, op) in api.operations.iter().enumerate() {
        let error = error_type(&mut cx, op);
        error_counts.entry(error.to_string()).or_insert((0, i, error)).0 += 1;
    }
    let common = error_counts
        .into_values()
        .filter(|(count, ..)| *count >= 2)
        .min_by_key(|(count, first, _)| (std::cmp::Reverse(*count), *first))
        .map(|(.., tokens)| tokens);
    cx.common_error = common.as_ref().map(|t| t.to_string());
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
        let (method, signature) = operation(&mut cx, op, &mut items, stream.is_some())?;
        methods.extend(method);
        signatures.insert(op.name.wire.clone(), signature);
        if let Some((name, tokens)) = stream {
            streams.push((op.name.wire.clone(), name));
            methods.extend(tokens);
        }
    }
    let paging = match &config.pagination {
        Some(pagination) if !streams.is_empty() => {
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
    };
    let aliases = match &common {
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
    };
    let (credentials, credential_names, credentials_example) = credentials(api, config);
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
    let title = if api.title.is_empty() { config.name.clone() } else { api.title.clone() };
    let mut crate_doc = format!("Async client of the {}", docs::inline(&title));
    if !api.version.is_empty() {
        crate_doc.push_str(&format!(" (version {})", docs::inline(&api.version)));
    }
    crate_doc.push_str(&format!(
        ".\n\nOne method per operation on [`Client`]; request and response types come from [`{types_crate}`] \
         (re-exported as [`types`]). Transport, retries, pagination and errors come from `triad-runtime` \
         (re-exported as [`runtime`]): every call returns a [`runtime::Error`] on failure, carrying the \
         provider's error body decoded into the operation's documented error type."
    ));
    let crate_docs: TokenStream = crate_doc
        .lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#![doc = #l])
        })
        .collect();
    let websocket = if api.channels.is_empty() {
        TokenStream::new()
    } else {
        let modules = super::ws::client_modules(api, config, &krate.name, true, &mut cx.uses);
        quote! {
            /// The WebSocket runtime the channel modules build on (`triad-runtime`'s `ws`).
            pub use triad_runtime::ws as websocket;
            #modules
        }
    };
    let lib = quote! {
        #crate_docs
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
        #items
    };
    let prefix = &krate.name;
    let lib = render_rust(lib, provenance)?;
    let mut example_runs = Vec::new();
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
            )?,
            None => example_program(&mut cx, example, &streams, &credential_names)?,
        };
        files.insert(format!("{prefix}/examples/{}.rs", example.name), render_rust(code, provenance)?);
        example_runs.push(format!("cargo run -p {prefix} --example {}", example.name));
    }
    let usage = readme_usage(&cx, &krate.name, first_url.as_deref(), &signatures, &credentials_example)?;
    let description = match &krate.description {
        Some(text) => super::one_line(text),
        None => format!("Async client of the {}", super::one_line(&title)),
    };
    let context = minijinja::context! {
        header => provenance.header(),
        crate_name => docs::inline(&krate.name),
        crate_ident => krate.name.replace('-', "_"),
        title => docs::inline(&title),
        types_crate => docs::inline(&config.types_crate.name),
        examples => example_runs,
        usage => usage,
        operations => api.operations.len(),
        streams => streams.len(),
    };
    let mut dependencies = BTreeMap::new();
    let types_path = format!("../{}", config.types_crate.name);
    dependencies.insert(
        config.types_crate.name.as_str(),
        Dependency::local(&config.types_crate.version, Some(types_path), &[]),
    );
    dependencies.insert(
        "triad-runtime",
        Dependency::local(
            super::RUNTIME_VERSION,
            config.client.runtime_path.clone(),
            if api.channels.is_empty() { &["client"] } else { &["client", "ws"] },
        ),
    );
    if cx.uses.uuid {
        dependencies.insert("uuid", Dependency::registry("1", &["std", "serde"]));
    }
    let mut dev_dependencies = BTreeMap::new();
    if config.client.examples.iter().any(|e| e.channel.is_some()) {
        dev_dependencies.insert("tokio", Dependency::registry("1", &["rt", "macros", "signal"]));
    } else if !config.client.examples.is_empty() {
        dev_dependencies.insert("tokio", Dependency::registry("1", &["rt", "macros"]));
    }
    let manifest =
        super::manifest(&krate.name, &krate.version, description, dependencies, dev_dependencies, provenance)?;
    files.insert(format!("{prefix}/src/lib.rs"), lib);
    files.insert(format!("{prefix}/Cargo.toml"), manifest);
    files.insert(format!("{prefix}/README.md"), render_template("README.md", README, context)?);
    Ok(())
}

/// Why `example` cannot be generated, if it cannot (checked with the config, so the problem is
/// reported where the example is written).
pub(crate) fn example_problem(api: &Api, config: &Config, example: &Example) -> Option<String> {
    let types_crate = crate_ident(&config.types_crate.name);
    let mut cx = Ctx { api, config, types: quote!(#types_crate), uses: Uses::default(), common_error: None };
    let mut taken = BTreeSet::new();
    let mut streams = Vec::new();
    for op in api.operations.iter().filter(|op| op.name.wire == example.operation) {
        if let Some((name, _)) = stream_method(&mut cx, op, &mut taken) {
            streams.push((op.name.wire.clone(), name));
        }
    }
    let (_, credential_names, _) = credentials(api, config);
    example_program(&mut cx, example, &streams, &credential_names).err()
}

/// The `Credentials` struct (one optional field per auth body field and per security scheme the
/// generated code applies) and the names of its fields with the wire name each stands for.
fn credentials(api: &Api, config: &Config) -> (TokenStream, Vec<(String, String)>, TokenStream) {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for field in &config.auth.body_fields {
        let doc = format!(" Sent as {} in every JSON request body.", docs::code_span(field));
        let entry = quote!(rt::Credential::BodyField { name: #field.into(), value: value.clone() });
        fields.push((field.clone(), doc, quote!(Option<rt::Secret>), quote!(auth = auth.always(#entry)), None));
    }
    for scheme in &api.security_schemes {
        let name = &scheme.name;
        let (doc, ty, entry) = match &scheme.kind {
            SecurityKind::Bearer => (
                format!(" Bearer token of the {} security scheme.", docs::code_span(name)),
                quote!(Option<rt::Secret>),
                quote!(rt::Credential::Bearer(value.clone())),
            ),
            SecurityKind::Basic => (
                format!(" User and password of the {} security scheme (HTTP basic).", docs::code_span(name)),
                quote!(Option<(String, rt::Secret)>),
                quote!(rt::Credential::Basic { user: value.0.clone(), password: value.1.clone() }),
            ),
            SecurityKind::ApiKey { location, name: key } => {
                let (place, variant) = match location {
                    ParamLocation::Header => ("header", quote!(Header)),
                    ParamLocation::Query => ("query parameter", quote!(Query)),
                    _ => ("cookie", quote!(Cookie)),
                };
                (
                    format!(
                        " API key of the {} security scheme, sent as the {} {place}.",
                        docs::code_span(name),
                        docs::code_span(key)
                    ),
                    quote!(Option<rt::Secret>),
                    quote!(rt::Credential::#variant { name: #key.into(), value: value.clone() }),
                )
            }
            SecurityKind::Other(_) => continue,
        };
        fields.push((name.clone(), doc, ty, quote!(auth = auth.scheme(#name, #entry)), Some(())));
    }
    // Credentials only WebSocket connection requests carry.
    for credential in super::ws::credential_fields(api, config) {
        if !fields.iter().any(|f| naming::field_name(&f.0) == credential.field) {
            let doc = super::ws::credential_doc(&credential);
            fields.push((credential.wire, doc, quote!(Option<rt::Secret>), TokenStream::new(), None));
        }
    }
    let mut rust: Vec<String> = fields.iter().map(|f| naming::field_name(&f.0)).collect();
    naming::dedupe(rust.iter_mut(), true);
    // The README's example sets the first credential that is a single secret.
    let example = fields
        .iter()
        .zip(&rust)
        .find(|((.., ty, _, _), _)| ty.to_string().contains("Secret") && !ty.to_string().contains('('))
        .map(|(_, name)| {
            let field = ident(name);
            quote!(Credentials { #field: Some(rt::Secret::new("...")), ..Credentials::default() })
        })
        .unwrap_or_else(|| quote!(Credentials::default()));
    let mut decls = TokenStream::new();
    let mut adds = TokenStream::new();
    for ((wire, doc, ty, add, _), rust_name) in fields.iter().zip(&rust) {
        let field = ident(rust_name);
        decls.extend(quote!(#[doc = #doc] pub #field: #ty,));
        if !add.is_empty() {
            adds.extend(quote!(if let Some(value) = &self.#field { #add; }));
        }
        names.push((rust_name.clone(), wire.clone()));
    }
    let mut other = String::new();
    for scheme in &api.security_schemes {
        if let SecurityKind::Other(kind) = &scheme.kind {
            other.push_str(&format!(
                " The {} scheme ({}) is not applied by the client: add its credentials with a request hook ([`rt::Builder::hook`]).",
                docs::code_span(&scheme.name),
                docs::inline(kind)
            ));
        }
    }
    let doc = format!(" Credentials of the client; unset ones are not sent. `Debug` never shows them.{other}");
    let body = if fields.is_empty() {
        quote!(rt::Auth::new())
    } else {
        quote! {
            let mut auth = rt::Auth::new();
            #adds
            auth
        }
    };
    let tokens = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, Default)]
        pub struct Credentials {
            #decls
        }
        impl Credentials {
            /// The credentials as the transport applies them.
            pub fn auth(&self) -> rt::Auth {
                #body
            }
        }
    };
    (tokens, names, example)
}

/// A variant name for a status.
fn status_variant(status: Status) -> String {
    match status {
        Status::Code(code) => match code {
            200 => "Ok".into(),
            201 => "Created".into(),
            202 => "Accepted".into(),
            203 => "NonAuthoritative".into(),
            204 => "NoContent".into(),
            206 => "PartialContent".into(),
            400 => "BadRequest".into(),
            401 => "Unauthorized".into(),
            402 => "PaymentRequired".into(),
            403 => "Forbidden".into(),
            404 => "NotFound".into(),
            405 => "MethodNotAllowed".into(),
            406 => "NotAcceptable".into(),
            408 => "RequestTimeout".into(),
            409 => "Conflict".into(),
            410 => "Gone".into(),
            412 => "PreconditionFailed".into(),
            413 => "PayloadTooLarge".into(),
            415 => "UnsupportedMediaType".into(),
            422 => "UnprocessableEntity".into(),
            429 => "TooManyRequests".into(),
            500 => "InternalServerError".into(),
            501 => "NotImplemented".into(),
            502 => "BadGateway".into(),
            503 => "ServiceUnavailable".into(),
            504 => "GatewayTimeout".into(),
            other => format!("Status{other}"),
        },
        Status::Range(1) => "Informational".into(),
        Status::Range(2) => "Success".into(),
        Status::Range(3) => "Redirection".into(),
        Status::Range(4) => "ClientError".into(),
        Status::Range(5) => "ServerError".into(),
        Status::Range(class) => format!("Class{class}"),
        Status::Default => "Default".into(),
    }
}

fn status_pattern(status: Status) -> TokenStream {
    match status {
        Status::Code(code) => {
            let code = proc_macro2::Literal::u16_unsuffixed(code);
            quote!(#code)
        }
        Status::Range(class) => {
            let low = proc_macro2::Literal::u16_unsuffixed(u16::from(class) * 100);
            let high = proc_macro2::Literal::u16_unsuffixed(u16::from(class) * 100 + 99);
            quote!(#low..=#high)
        }
        Status::Default => quote!(_),
    }
}

/// The operation's name as the start of a type name (`get_file` → `GetFile`, `_3ds` → `V3ds`).
fn pascal_name(op: &Operation) -> String {
    naming::type_name(naming::unraw(&op.name.rust), "Operation")
}

/// True when `text` matches `pattern`, where `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else { return false };
            (0..=rest.len()).filter(|i| rest.is_char_boundary(*i)).any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// Rustdoc of a method: the spec's docs, then method, path and operation id, then the
/// parameters the spec describes. Spec text goes through `docs` (sanitized as a block, or as
/// one inline line, or as a code span).
fn method_docs(op: &Operation) -> TokenStream {
    let mut lines = vec![format!(
        "{} (operation {}).",
        docs::code_span(&format!("{} {}", op.method.as_str(), op.path)),
        docs::code_span(&op.name.wire)
    )];
    let described: Vec<String> = op
        .params
        .iter()
        .filter_map(|p| Some(format!("- `{}`: {}", naming::unraw(&p.name.rust), docs::inline(p.docs.text.as_deref()?))))
        .collect();
    if !described.is_empty() {
        lines.push(String::new());
        lines.push("# Parameters".into());
        lines.push(String::new());
        lines.extend(described);
    }
    let mut out = doc_attrs(&op.docs);
    if op.docs.text.is_some() {
        lines.insert(0, String::new());
    }
    for line in lines {
        let line = if line.is_empty() { String::new() } else { format!(" {line}") };
        out.extend(quote!(#[doc = #line]));
    }
    out
}

/// A method's parameters (as written in the client crate) and the names passed to it, for the
/// README's usage example.
struct Signature {
    params: TokenStream,
    args: Vec<proc_macro2::Ident>,
}

/// A paginated operation (`shared`) keeps its `rt::Operation` in an associated constant its
/// `_stream` method names too.
fn operation(
    cx: &mut Ctx<'_>,
    op: &Operation,
    items: &mut TokenStream,
    shared: bool,
) -> Result<(TokenStream, Signature), String> {
    let name = ident(&op.name.rust);
    let pascal = pascal_name(op);
    let wire = &op.name.wire;
    let method = format_ident!("{}", op.method.as_str());
    let mut args = TokenStream::new();
    let mut chain = quote!(rt::Request::new());
    let mut template = String::new();
    let param_name = param_ident;
    let arg_type = |cx: &mut Ctx<'_>, ty: &TypeRef, required: bool| -> TokenStream {
        let inner = match ty {
            TypeRef::Primitive(Primitive::String) => quote!(&str),
            other if is_copy(other) => cx.ty(other),
            other => {
                let t = cx.ty(other);
                quote!(&#t)
            }
        };
        if required { inner } else { quote!(Option<#inner>) }
    };
    let ordered = ordered_params(op);
    for param in &ordered {
        let arg = param_name(&param.name.rust);
        let ty = arg_type(cx, &param.ty, param.required);
        args.extend(quote!(#arg: #ty,));
    }
    for seg in &op.segments {
        match seg {
            PathSegment::Literal(text) => template.push_str(text),
            PathSegment::Param(p) => {
                template.push('{');
                template.push_str(p);
                template.push('}');
                let Some(param) = op.params.iter().find(|x| x.location == ParamLocation::Path && &x.name.wire == p)
                else {
                    return Err(format!("operation `{wire}`: path parameter `{p}` is not declared"));
                };
                let arg = param_name(&param.name.rust);
                let style = style_tokens(param.style);
                let explode = param.explode;
                chain.extend(quote!(.path_param(#p, #style, #explode, &#arg)));
            }
        }
    }
    for param in &ordered {
        let arg = param_name(&param.name.rust);
        let pw = &param.name.wire;
        let explode = param.explode;
        match param.location {
            ParamLocation::Path => {}
            ParamLocation::Query => {
                let style = style_tokens(param.style);
                chain.extend(quote!(.query(#pw, #style, #explode, &#arg)));
            }
            ParamLocation::Header => chain.extend(quote!(.header(#pw, #explode, &#arg))),
            ParamLocation::Cookie => chain.extend(quote!(.cookie(#pw, #explode, &#arg))),
        }
    }
    let request_payload = payload(op.request.as_ref());
    let body_required = op.request.as_ref().is_some_and(|b| b.required);
    match &request_payload {
        Payload::None => {}
        Payload::Json(ty) | Payload::Form(ty) => {
            let t = arg_type(cx, ty, body_required);
            let t = if matches!(ty, TypeRef::Primitive(Primitive::String)) {
                if body_required { quote!(&str) } else { quote!(Option<&str>) }
            } else {
                t
            };
            args.extend(quote!(body: #t,));
            let json = matches!(request_payload, Payload::Json(_));
            // References pass as they are; `Copy` values by reference.
            chain.extend(match (json, body_required, is_copy(ty)) {
                (true, true, false) => quote!(.json(body)),
                (true, true, true) => quote!(.json(&body)),
                (true, false, false) => quote!(.json_opt(body)),
                (true, false, true) => quote!(.json_opt(body.as_ref())),
                (false, true, false) => quote!(.form(body)),
                (false, true, true) => quote!(.form(&body)),
                (false, false, false) => quote!(.form_opt(body)),
                (false, false, true) => quote!(.form_opt(body.as_ref())),
            });
        }
        Payload::Text => {
            if body_required {
                args.extend(quote!(body: rt::Raw,));
                chain.extend(quote!(.raw(body)));
            } else {
                args.extend(quote!(body: Option<rt::Raw>,));
                chain.extend(quote!(.raw_opt(body)));
            }
        }
    }
    let retry_safe = matches!(op.method.as_str(), "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE")
        || cx.config.client.retry_safe.iter().any(|p| glob(p, wire));
    let security = op.security.as_ref().or((!cx.api.security.is_empty()).then_some(&cx.api.security));
    let schemes = match security {
        Some(requirements) => {
            let schemes: BTreeSet<&String> = requirements.iter().flatten().collect();
            let schemes = schemes.into_iter();
            quote!(Some(&[#(#schemes),*]))
        }
        None => quote!(None),
    };
    // Errors.
    let errors: Vec<&Response> = op.responses.iter().filter(|r| !r.status.is_success() && r.body.is_some()).collect();
    let error_payloads: BTreeSet<String> = errors.iter().map(|r| format!("{:?}", payload(r.body.as_ref()))).collect();
    let single_error = match (error_payloads.len(), errors.first().map(|r| payload(r.body.as_ref()))) {
        (1, Some(Payload::Json(ty))) => Some(ty),
        _ => None,
    };
    let error_ty = if errors.is_empty() {
        quote!(serde_json::Value)
    } else if let Some(ty) = single_error {
        cx.ty(&ty)
    } else {
        let enum_name = format_ident!("{pascal}Error");
        let mut variants = TokenStream::new();
        let mut arms: Vec<(Status, TokenStream)> = Vec::new();
        for r in &errors {
            let variant = format_ident!("{}", status_variant(r.status));
            let doc = format!(" Status {}.", r.status);
            match payload(r.body.as_ref()) {
                Payload::Json(ty) | Payload::Form(ty) => {
                    let t = cx.ty(&ty);
                    variants.extend(quote!(#[doc = #doc] #variant(#t),));
                    arms.push((r.status, quote!(Self::#variant(serde_json::from_slice(body)?))));
                }
                _ => {
                    variants.extend(quote!(#[doc = #doc] #variant(String),));
                    arms.push((r.status, quote!(Self::#variant(String::from_utf8_lossy(body).into_owned()))));
                }
            }
        }
        if !arms.iter().any(|(status, _)| *status == Status::Default) {
            variants.extend(quote!(
                /// A status the specification documents no body for.
                Other(serde_json::Value),
            ));
            arms.push((Status::Default, quote!(Self::Other(serde_json::from_slice(body)?))));
        }
        // Only a default: no match on the status.
        let decode_body = match arms.as_slice() {
            [(Status::Default, only)] => quote! {
                let _ = status;
                Ok(#only)
            },
            _ => {
                let arms = arms.iter().map(|(status, expr)| {
                    let pattern = status_pattern(*status);
                    quote!(#pattern => #expr,)
                });
                quote!(Ok(match status { #(#arms)* }))
            }
        };
        let doc = format!(" Error bodies of [`Client::{}`], by status.", naming::unraw(&op.name.rust));
        items.extend(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            pub enum #enum_name {
                #variants
            }
            impl rt::ErrorBody for #enum_name {
                fn decode(status: u16, body: &[u8]) -> Result<Self, serde_json::Error> {
                    #decode_body
                }
            }
        });
        quote!(#enum_name)
    };
    // Successes. A 204 or 205 has no content whatever the spec says (RFC 9110).
    let successes: Vec<(Status, Payload)> = op
        .responses
        .iter()
        .filter(|r| r.status.is_success())
        .map(|r| match r.status {
            Status::Code(204 | 205) => (r.status, Payload::None),
            _ => (r.status, payload(r.body.as_ref())),
        })
        .collect();
    let kinds: BTreeSet<String> = successes.iter().map(|(_, p)| format!("{p:?}")).collect();
    let bodies: Vec<&Payload> = successes.iter().map(|(_, p)| p).filter(|p| **p != Payload::None).collect();
    let send = quote!(self.transport.send(&OP, #chain).await);
    let (ok_ty, call) = match (bodies.first(), kinds.len(), bodies.len() == successes.len()) {
        (None, _, _) => (quote!(()), quote!(#send.map(drop))),
        (Some(Payload::Json(ty) | Payload::Form(ty)), 1, true) => {
            (cx.ty(ty), quote!(self.transport.call(&OP, #chain).await))
        }
        (Some(Payload::Json(ty) | Payload::Form(ty)), 2, false) => {
            let t = cx.ty(ty);
            (quote!(Option<#t>), quote!(self.transport.call_or_none(&OP, #chain).await))
        }
        (Some(Payload::Text), 1, true) => (quote!(String), quote!(#send.map(|response| response.text()))),
        _ => {
            let enum_name = format_ident!("{pascal}Response");
            let mut variants = TokenStream::new();
            let mut arms = TokenStream::new();
            for (status, body) in &successes {
                let variant = format_ident!("{}", status_variant(*status));
                let doc = format!(" Status {status}.");
                let pattern = status_pattern(*status);
                match body {
                    Payload::Json(ty) | Payload::Form(ty) => {
                        let t = cx.ty(ty);
                        variants.extend(quote!(#[doc = #doc] #variant(#t),));
                        arms.extend(quote!(#pattern => #enum_name::#variant(response.json()?),));
                    }
                    Payload::Text => {
                        variants.extend(quote!(#[doc = #doc] #variant(String),));
                        arms.extend(quote!(#pattern => #enum_name::#variant(response.text()),));
                    }
                    Payload::None => {
                        variants.extend(quote!(#[doc = #doc] #variant,));
                        arms.extend(quote!(#pattern => #enum_name::#variant,));
                    }
                }
            }
            let doc = format!(" Successful responses of [`Client::{}`], by status.", naming::unraw(&op.name.rust));
            items.extend(quote! {
                #[doc = #doc]
                #[derive(Clone, Debug)]
                pub enum #enum_name {
                    #variants
                }
            });
            let call = quote! {
                let response = #send?;
                Ok(match response.status() {
                    #arms
                    _ => return Err(response.unexpected()),
                })
            };
            (quote!(#enum_name), call)
        }
    };
    let docs = method_docs(op);
    let mut arg_names: Vec<proc_macro2::Ident> = ordered.iter().map(|p| param_name(&p.name.rust)).collect();
    if request_payload != Payload::None {
        arg_names.push(format_ident!("body"));
    }
    let signature = Signature { params: args.clone(), args: arg_names };
    let operation = quote! {
        rt::Operation {
            id: #wire,
            method: rt::Method::#method,
            path: #template,
            retry_safe: #retry_safe,
            schemes: #schemes,
        }
    };
    let result = cx.result(&ok_ty, &error_ty);
    let method = if shared {
        let constant = op_const(op);
        quote! {
            const #constant: rt::Operation = #operation;
            #docs
            pub async fn #name(&self, #args) -> #result {
                static OP: rt::Operation = Client::#constant;
                #call
            }
        }
    } else {
        quote! {
            #docs
            pub async fn #name(&self, #args) -> #result {
                static OP: rt::Operation = #operation;
                #call
            }
        }
    };
    Ok((method, signature))
}

/// True when the items of `field` of the page type decode one by one (`Decoded<T>`).
fn is_isolated(api: &Api, config: &Config, page: &TypeRef, field: &Field) -> bool {
    api.struct_id(page)
        .is_some_and(|id| crate::emit::spell::isolated_fields(api, config).contains(&(id, field.name.wire.clone())))
}

/// Follows a dotted path of wire names through struct fields: the Rust field path, the last
/// field, its struct, and whether every field before the last is required and not null.
fn field_path<'a>(api: &'a Api, ty: &TypeRef, path: &str) -> Option<(TokenStream, &'a Field, &'a Struct)> {
    let mut current = ty.clone();
    let mut access = TokenStream::new();
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let s = api.struct_of(&current)?;
        let field = s.fields.iter().find(|f| f.name.wire == *segment)?;
        let name = ident(&field.name.rust);
        access.extend(quote!(.#name));
        if i + 1 == segments.len() {
            return Some((access, field, s));
        }
        if field.presence != Presence::Plain {
            return None;
        }
        current = field.ty.clone();
    }
    None
}

/// The README's usage example (a doctest, compiled but not run): a client of the first server
/// calling the operation of the config's first example, or else the first operation, with the
/// method's own parameters. Only identifiers and the server URL (a string literal) come from
/// the spec.
fn readme_usage(
    cx: &Ctx<'_>,
    krate: &str,
    url: Option<&str>,
    signatures: &BTreeMap<String, Signature>,
    credentials: &TokenStream,
) -> Result<String, String> {
    let krate = crate_ident(krate);
    let url = url.unwrap_or("https://api.example.com");
    let chosen = cx
        .config
        .client
        .examples
        .iter()
        .find_map(|e| signatures.get_key_value(&e.operation))
        .or_else(|| cx.api.operations.first().and_then(|op| signatures.get_key_value(&op.name.wire)));
    let (params, call) =
        match chosen.and_then(|(wire, sig)| Some((cx.api.operations.iter().find(|o| &o.name.wire == wire)?, sig))) {
            Some((op, sig)) => {
                let name = ident(&op.name.rust);
                let args = &sig.args;
                (
                    sig.params.clone(),
                    quote! {
                        let response = client.#name(#(#args),*).await?;
                        println!("{response:?}");
                    },
                )
            }
            None => (TokenStream::new(), quote!(println!("{:?}", client.transport());)),
        };
    let tokens = quote! {
        use #krate::{Client, Credentials, runtime as rt, types};

        async fn call(#params) -> Result<(), Box<dyn std::error::Error>> {
            let credentials = #credentials;
            let client = Client::builder(#url, &credentials)
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .map(Client::from_transport)?;
            #call
            Ok(())
        }
    };
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("README example does not parse: {e}"))?;
    Ok(super::space_items(&prettyplease::unparse(&file)).trim_end().to_owned())
}

/// True for types whose Rust spelling is `Copy` (primitives other than text).
fn is_copy(ty: &TypeRef) -> bool {
    matches!(ty, TypeRef::Primitive(p) if *p != Primitive::String)
}

/// `Option<T>` from a field of the given shape at `access` (copied or cloned).
fn read_option(shape: Presence, access: TokenStream, copy: bool) -> TokenStream {
    let value = if copy { access } else { quote!(#access.clone()) };
    match shape {
        Presence::Plain => quote!(Some(#value)),
        Presence::Option => value,
        Presence::DoubleOption => quote!(#value.into_option()),
    }
}

/// For cursor-paginated operations, a method streaming every item.
fn stream_method(cx: &mut Ctx<'_>, op: &Operation, taken: &mut BTreeSet<String>) -> Option<(String, TokenStream)> {
    let pagination = cx.config.pagination.as_ref()?;
    let api = cx.api;
    let config = cx.config;
    let Payload::Json(request_ty) = payload(op.request.as_ref()) else { return None };
    if !op.params.is_empty() {
        return None;
    }
    // One page type; an answer without content (as the method reads it: `None`) ends the stream.
    let mut page_ty = None;
    let mut or_none = false;
    for r in op.responses.iter().filter(|r| r.status.is_success()) {
        match (r.status, payload(r.body.as_ref())) {
            (Status::Code(204 | 205), _) | (_, Payload::None) => or_none = true,
            (_, Payload::Json(ty)) if page_ty.as_ref().is_none_or(|page| *page == ty) => page_ty = Some(ty),
            _ => return None,
        }
    }
    let page_ty = page_ty?;
    // The cursor goes into the request's JSON at its wire path (the crate's `PAGING`), so the
    // request type only has to lead there.
    let (_, cursor_in_field, _) = field_path(api, &request_ty, &pagination.request_cursor)?;
    let (cursor_out, cursor_out_field, _) = field_path(api, &page_ty, &pagination.response_cursor)?;
    if cursor_in_field.ty != cursor_out_field.ty {
        return None;
    }
    let page_struct = api.struct_of(&page_ty)?;
    let items_field = match pagination.items.get(&op.name.wire) {
        Some(name) => page_struct.fields.iter().find(|f| &f.name.wire == name)?,
        None => {
            let mut lists = page_struct.fields.iter().filter(|f| matches!(f.ty, TypeRef::List(_)));
            let first = lists.next()?;
            if lists.next().is_some() {
                return None;
            }
            first
        }
    };
    let TypeRef::List(item_ty) = &items_field.ty else { return None };
    let mut item = cx.ty(item_ty);
    if is_isolated(api, config, &page_ty, items_field) {
        // Each item decodes on its own: a malformed one arrives as `Decoded::Malformed`.
        let types = &cx.types;
        item = quote!(#types::Decoded<#item>);
    }
    let request = cx.ty(&request_ty);
    let page = cx.ty(&page_ty);
    let items_name = ident(&items_field.name.rust);
    let items_take = match items_field.presence {
        Presence::Plain => quote!(page.#items_name),
        Presence::Option => quote!(page.#items_name.unwrap_or_default()),
        Presence::DoubleOption => quote!(page.#items_name.into_option().unwrap_or_default()),
    };
    // The page is taken apart by value: its items and its cursor move out.
    let cursor_read = read_option(cursor_out_field.presence, quote!(page #cursor_out), true);
    let error_ty = error_type(cx, op);
    let base = naming::unraw(&op.name.rust).to_owned();
    let mut stream_name = format!("{base}_stream");
    while !taken.insert(stream_name.clone()) {
        stream_name.push('_');
    }
    let name = ident(&stream_name);
    let doc = format!(
        " Every item of [`Client::{base}`], page after page, as a stream. Starts from `body` and \
         follows the cursor (`{}` of each page into `{}` of the next request); stops after a page \
         without a cursor or with fewer items than asked for, or after an error.",
        pagination.response_cursor, pagination.request_cursor
    );
    let items = if or_none { quote!(items_or_none) } else { quote!(items) };
    let constant = op_const(op);
    let result = cx.result(&item, &error_ty);
    let tokens = quote! {
        #[doc = #doc]
        pub fn #name(&self, body: #request) -> impl rt::Stream<Item = #result> + '_ {
            let split = |page: #page| (#items_take, #cursor_read);
            self.transport.#items(&Self::#constant, &Self::PAGING, body, split)
        }
    };
    Some((stream_name, tokens))
}

/// An example program: parses `--flag VALUE` options, calls the operation (streaming its items
/// when it is paginated), prints the `print` property of each item, then a count.
fn example_program(
    cx: &mut Ctx<'_>,
    example: &Example,
    streams: &[(String, String)],
    credentials: &[(String, String)],
) -> Result<TokenStream, String> {
    let fail = |message: String| format!("example `{}`: {message}", example.name);
    let api = cx.api;
    let config = cx.config;
    let op = api
        .operations
        .iter()
        .find(|o| o.name.wire == example.operation)
        .ok_or_else(|| fail(format!("no operation `{}`", example.operation)))?;
    let Payload::Json(request_ty) = payload(op.request.as_ref()) else {
        return Err(fail("the operation takes no JSON body".into()));
    };
    if !op.params.is_empty() {
        return Err(fail("the operation has parameters outside its body".into()));
    }
    let krate = crate_ident(&config.client.krate.name);
    // Options: the base URL, one per credential, then the example's own.
    struct Opt {
        flag: String,
        var: proc_macro2::Ident,
        required: bool,
        default: Option<String>,
        help: String,
    }
    let mut opts = vec![Opt {
        flag: "base-url".into(),
        var: format_ident!("base_url"),
        required: true,
        default: None,
        help: "URL of the server".into(),
    }];
    let request_struct = api.struct_of(&request_ty);
    // Credentials the request requires must be given, unless the example's config gives a
    // default; a required credential that is no secret (a client name) defaults to the
    // example's name.
    for (rust, wire) in credentials {
        let field = request_struct.and_then(|s| s.fields.iter().find(|f| &f.name.wire == wire));
        let required = field.is_some_and(|f| f.required);
        let secret = field.is_none_or(|f| f.secret);
        let flag = naming::unraw(rust).replace('_', "-");
        let default = example
            .credential_defaults
            .get(wire)
            .cloned()
            .or_else(|| (required && !secret).then(|| format!("{} {}", config.client.krate.name, example.name)));
        opts.push(Opt {
            var: ident(&naming::join_snake("credential", rust)),
            flag,
            required: required && default.is_none(),
            default,
            help: format!("credential `{wire}`"),
        });
    }
    for (i, arg) in example.args.iter().enumerate() {
        opts.push(Opt {
            flag: arg.flag.clone(),
            var: format_ident!("arg_{i}"),
            required: false,
            default: arg.default.clone(),
            help: format!("request `{}`", arg.field),
        });
    }
    let mut usage = format!("usage: {}", example.name);
    for o in &opts {
        let value = o.flag.to_ascii_uppercase().replace('-', "_");
        if o.required {
            usage.push_str(&format!(" --{} {value}", o.flag));
        } else {
            usage.push_str(&format!(" [--{} {value}]", o.flag));
        }
    }
    let mut help = String::new();
    if let Some(description) = &example.description {
        help.push_str(description);
        help.push_str("\n\n");
    }
    help.push_str(&usage);
    help.push_str("\n\noptions:");
    for o in &opts {
        help.push_str(&format!("\n  --{:<20} {}", o.flag, o.help));
        if let Some(d) = &o.default {
            help.push_str(&format!(" (default {d})"));
        }
    }
    let vars: Vec<_> = opts.iter().map(|o| o.var.clone()).collect();
    let flags: Vec<String> = opts.iter().map(|o| format!("--{}", o.flag)).collect();
    let mut checks = TokenStream::new();
    for o in &opts {
        let var = &o.var;
        let flag = format!("--{}", o.flag);
        if let Some(default) = &o.default {
            checks.extend(quote!(let #var = #var.or_else(|| Some(#default.to_owned()));));
        }
        if o.required {
            let message = format!("missing {flag}");
            checks.extend(quote! {
                let Some(#var) = #var else {
                    return Err(Failure::Usage(#message.to_owned()));
                };
            });
        }
    }
    // Credentials.
    let mut cred_fields = TokenStream::new();
    for (rust, _) in credentials {
        let field = ident(rust);
        let Some(o) = opts.iter().find(|o| o.var == ident(&naming::join_snake("credential", rust))) else {
            continue;
        };
        let var = &o.var;
        if o.required {
            cred_fields.extend(quote!(#field: Some(runtime::Secret::new(#var)),));
        } else {
            cred_fields.extend(quote!(#field: #var.map(runtime::Secret::new),));
        }
    }
    // The request body: every field set from an option, or to its empty value.
    let targets: Vec<Target<'_>> = example
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| Target { path: a.field.split('.').collect(), var: format_ident!("arg_{i}"), flag: &a.flag })
        .collect();
    let auth_fields: Vec<&str> = config.auth.body_fields.iter().map(String::as_str).collect();
    let body = build_value(cx, &request_ty, &targets, &[], &auth_fields).map_err(fail)?;
    let request = cx.ty(&request_ty);
    // Printing.
    let print = |cx: &mut Ctx<'_>, ty: &TypeRef, value: TokenStream| -> Result<TokenStream, String> {
        let s = cx.api.struct_of(ty).ok_or_else(|| fail("the printed value is not an object".into()))?;
        let f = s
            .fields
            .iter()
            .find(|f| f.name.wire == example.print)
            .ok_or_else(|| fail(format!("no property `{}` to print", example.print)))?;
        let name = ident(&f.name.rust);
        Ok(match f.presence {
            Presence::Plain => quote!(println!("{}", #value.#name);),
            Presence::Option => quote!(match &#value.#name {
                Some(value) => println!("{value}"),
                None => println!(),
            }),
            Presence::DoubleOption => quote!(match #value.#name.as_option() {
                Some(value) => println!("{value}"),
                None => println!(),
            }),
        })
    };
    let call = match streams.iter().find(|(wire, _)| wire == &op.name.wire) {
        Some((_, stream)) => {
            let stream = ident(stream);
            let successes: Vec<&Response> = op.responses.iter().filter(|r| r.status.is_success()).collect();
            let Some(Payload::Json(page_ty)) = successes.first().map(|r| payload(r.body.as_ref())) else {
                return Err(fail("no page type".into()));
            };
            let page = api.struct_of(&page_ty).ok_or_else(|| fail("no page struct".into()))?;
            let item_ty = page
                .fields
                .iter()
                .find_map(|f| match &f.ty {
                    TypeRef::List(inner)
                        if config
                            .pagination
                            .as_ref()
                            .and_then(|p| p.items.get(&op.name.wire))
                            .is_none_or(|n| n == &f.name.wire) =>
                    {
                        Some((**inner).clone())
                    }
                    _ => None,
                })
                .ok_or_else(|| fail("no item list".into()))?;
            let line = print(cx, &item_ty, quote!(item))?;
            let types = &cx.types;
            let decoded = page.fields.iter().any(|f| {
                matches!(&f.ty, TypeRef::List(inner) if **inner == item_ty) && is_isolated(api, config, &page_ty, f)
            });
            let unpack = decoded.then(|| {
                quote! {
                    let item = match item {
                        #types::Decoded::Ok(item) => item,
                        #types::Decoded::Malformed { error, .. } => {
                            eprintln!("skipped an item that does not decode: {error}");
                            continue;
                        }
                    };
                }
            });
            quote! {
                let mut items = std::pin::pin!(client.#stream(body));
                let mut count: u64 = 0;
                while let Some(item) = items.next().await {
                    let item = item.map_err(|e| Failure::Call(e.to_string()))?;
                    #unpack
                    #line
                    count += 1;
                }
            }
        }
        None => {
            let method = ident(&op.name.rust);
            let successes: Vec<&Response> = op.responses.iter().filter(|r| r.status.is_success()).collect();
            let Some(Payload::Json(ty)) = successes.first().map(|r| payload(r.body.as_ref())) else {
                return Err(fail("the operation returns no JSON body".into()));
            };
            let line = print(cx, &ty, quote!(response))?;
            quote! {
                let response = client.#method(&body).await.map_err(|e| Failure::Call(e.to_string()))?;
                #line
                let count: u64 = 1;
            }
        }
    };
    let count_line = format!("{{}} {}", example.name.replace('{', "{{").replace('}', "}}"));
    let help_text = help;
    let doc = format!(
        " {}\n\n Run with `cargo run -p {} --example {} -- --help`. Exits with 0 on success, 1 when the call fails (printing the error), 2 on bad options.",
        example
            .description
            .as_deref()
            .map(docs::inline)
            .unwrap_or_else(|| "Calls the API from the command line.".into()),
        config.client.krate.name,
        example.name
    );
    let doc_lines: TokenStream = doc
        .lines()
        .map(|l| {
            let l = if l.is_empty() { String::new() } else { l.to_owned() };
            quote!(#![doc = #l])
        })
        .collect();
    Ok(quote! {
        #doc_lines
        use #krate::{Client, Credentials, runtime};
        use runtime::StreamExt as _;

        const HELP: &str = #help_text;

        enum Failure {
            Usage(String),
            Call(String),
        }

        #[tokio::main(flavor = "current_thread")]
        async fn main() -> std::process::ExitCode {
            match run().await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(Failure::Usage(message)) => {
                    eprintln!("error: {message}\n\n{HELP}");
                    std::process::ExitCode::from(2)
                }
                Err(Failure::Call(message)) => {
                    eprintln!("error: {message}");
                    std::process::ExitCode::from(1)
                }
            }
        }

        async fn run() -> Result<(), Failure> {
            #(let mut #vars: Option<String> = None;)*
            let mut args = std::env::args().skip(1);
            while let Some(flag) = args.next() {
                let slot = match flag.as_str() {
                    "-h" | "--help" => {
                        println!("{HELP}");
                        return Ok(());
                    }
                    #(#flags => &mut #vars,)*
                    other => return Err(Failure::Usage(format!("unknown option `{other}`"))),
                };
                match args.next() {
                    Some(value) => *slot = Some(value),
                    None => return Err(Failure::Usage(format!("{flag} needs a value"))),
                }
            }
            #checks
            let credentials = Credentials { #cred_fields };
            let client = Client::new(base_url, &credentials).map_err(|e| Failure::Call(e.to_string()))?;
            let body: #request = #body;
            #call
            println!(#count_line, count);
            Ok(())
        }

        /// Parses an option value into the type of the field it sets.
        fn parse<T: runtime::serde::de::DeserializeOwned>(flag: &str, value: &str) -> Result<T, Failure> {
            runtime::parse_arg(value).map_err(|e| Failure::Usage(format!("--{flag} `{value}`: {e}")))
        }
    })
}

/// A value of type `ty` for the example's request: fields the options target are parsed from
/// them, auth body fields are left empty (the client fills them in), optional fields are `None`.
/// An example option that sets a request property.
struct Target<'a> {
    path: Vec<&'a str>,
    var: proc_macro2::Ident,
    flag: &'a str,
}

fn build_value(
    cx: &mut Ctx<'_>,
    ty: &TypeRef,
    targets: &[Target<'_>],
    at: &[&str],
    auth: &[&str],
) -> Result<TokenStream, String> {
    let s = cx.api.struct_of(ty).ok_or_else(|| format!("`{}` is not an object", at.join(".")))?;
    let path = cx.ty(ty);
    let mut fields = TokenStream::new();
    for f in &s.fields {
        let name = ident(&f.name.rust);
        let mut here: Vec<&str> = at.to_vec();
        here.push(&f.name.wire);
        let shape = f.presence;
        let direct = targets.iter().find(|t| t.path == here);
        let below: Vec<&Target<'_>> =
            targets.iter().filter(|t| t.path.len() > here.len() && t.path.starts_with(&here)).collect();
        let value = if let Some(target) = direct {
            let var = &target.var;
            let flag_name = target.flag;
            let parsed = quote!(#var.as_deref().map(|v| parse(#flag_name, v)).transpose()?);
            match shape {
                Presence::Plain => {
                    let msg = format!("missing value for `{}`", here.join("."));
                    quote!(#parsed.ok_or_else(|| Failure::Usage(#msg.to_owned()))?)
                }
                Presence::Option => parsed,
                Presence::DoubleOption => quote!(#parsed.into()),
            }
        } else if !below.is_empty() {
            let inner = build_value(cx, &f.ty, targets, &here, auth)?;
            let inner = if f.boxed { quote!(Box::new(#inner)) } else { inner };
            let vars = below.iter().map(|t| &t.var);
            let any = quote!(#(#vars.is_some())||*);
            match shape {
                Presence::Plain => inner,
                Presence::Option => quote!(if #any { Some(#inner) } else { None }),
                Presence::DoubleOption => quote!((if #any { Some(#inner) } else { None }).into()),
            }
        } else if at.is_empty() && auth.contains(&f.name.wire.as_str()) && shape == Presence::Plain {
            // Overwritten by the client's credentials before sending.
            quote!(Default::default())
        } else {
            match shape {
                Presence::Plain => return Err(format!("required property `{}` is set by no option", here.join("."))),
                Presence::Option => quote!(None),
                Presence::DoubleOption => quote!(Default::default()),
            }
        };
        fields.extend(quote!(#name: #value,));
    }
    Ok(quote!(#path { #fields }))
}

/// The client crate of an API with channels and no operations: the channel modules and their
/// `Credentials`, no HTTP client.
fn channels_only(api: &Api, config: &Config, provenance: &Provenance, files: &mut Files) -> Result<(), String> {
    let krate = &config.client.krate;
    let types_crate = crate_ident(&config.types_crate.name);
    let mut uses = Uses::default();
    let modules = super::ws::client_modules(api, config, &krate.name, false, &mut uses);
    let credentials = super::ws::client_credentials(api, config);
    let title = if api.title.is_empty() { config.name.clone() } else { api.title.clone() };
    let mut crate_doc = format!("WebSocket client of the {}", docs::inline(&title));
    if !api.version.is_empty() {
        crate_doc.push_str(&format!(" (version {})", docs::inline(&api.version)));
    }
    crate_doc.push_str(&format!(
        ".\n\nOne module per channel, each with a listener on `triad-runtime`'s WebSocket runtime \
         (re-exported as [`websocket`]); message types come from [`{types_crate}`] (re-exported as [`types`])."
    ));
    let crate_docs: TokenStream = crate_doc
        .lines()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#![doc = #l])
        })
        .collect();
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
    let description = match &krate.description {
        Some(text) => super::one_line(text),
        None => format!("WebSocket client of the {}", super::one_line(&title)),
    };
    let mut dependencies = BTreeMap::new();
    let types_path = format!("../{}", config.types_crate.name);
    dependencies.insert(
        config.types_crate.name.as_str(),
        Dependency::local(&config.types_crate.version, Some(types_path), &[]),
    );
    dependencies.insert(
        "triad-runtime",
        Dependency::local(super::RUNTIME_VERSION, config.client.runtime_path.clone(), &["ws"]),
    );
    if uses.uuid {
        dependencies.insert("uuid", Dependency::registry("1", &["std", "serde"]));
    }
    let manifest =
        super::manifest(&krate.name, &krate.version, description, dependencies, BTreeMap::new(), provenance)?;
    files.insert(format!("{prefix}/Cargo.toml"), manifest);
    let readme = format!(
        "<!-- {} -->\n# {}\n\n{}: one module per channel with a typed, reconnecting listener.\n",
        provenance.header(),
        docs::inline(&krate.name),
        super::one_line(&format!("WebSocket client of the {title}"))
    );
    files.insert(format!("{prefix}/README.md"), readme);
    Ok(())
}

//! The API server: an `Api` trait with one async method per operation and the axum router
//! that serves it, and the warnings about operations it cannot reach.

use super::*;

/// One piece of a path segment of an operation's template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    Literal(String),
    Param(String),
}

/// Where the API server serves an operation: the axum route (a literal segment as written when
/// it is plain text, any other segment a capture named by its position, `{p0}`, `{p1}`...) and
/// the template's segments, which the operation matches itself. Positional capture names make
/// templates that differ only in parameter names one route, so axum never sees two captures
/// with different names in one place, nor a spec's text as route syntax. `None` when the
/// template has a literal `?` or `#` (no request path holds one) or an undeclared parameter.
pub(super) fn served_path(op: &Operation) -> Option<(String, Vec<Vec<Piece>>)> {
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
pub(super) fn param_shape(api: &Api, ty: &TypeRef) -> TokenStream {
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
pub(super) fn is_list(api: &Api, ty: &TypeRef) -> bool {
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
pub(super) fn message_field(api: &Api, ty: &TypeRef) -> Option<String> {
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
pub(super) enum RequestBody {
    None,
    Json(TypeRef),
    Form(TypeRef),
    Raw,
}

pub(super) fn request_body(body: Option<&crate::ir::Body>) -> RequestBody {
    match body {
        None => RequestBody::None,
        Some(b) if b.encoding == crate::ir::Encoding::Json => RequestBody::Json(b.ty.clone()),
        Some(b) if b.encoding == crate::ir::Encoding::Form => RequestBody::Form(b.ty.clone()),
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
pub(super) fn shadowed(api: &Api) -> Vec<(&Operation, &Operation)> {
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
pub(super) type Pattern = Vec<Vec<Option<String>>>;

pub(super) fn erased(template: &[Vec<Piece>]) -> Pattern {
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

/// The credential body fields of the API (the config's `auth.body_fields`), as (wire name,
/// `Credentials` field name).
fn body_credential_names(api: &Api) -> Vec<(String, String)> {
    let wires: Vec<&str> = api
        .credentials
        .iter()
        .filter(|c| c.carried == crate::ir::Carried::BodyField)
        .map(|c| c.wire.as_str())
        .collect();
    let mut rust: Vec<String> = wires.iter().map(|w| naming::field_name(w)).collect();
    naming::dedupe(rust.iter_mut(), true);
    wires.into_iter().map(str::to_owned).zip(rust).collect()
}

/// The server crate's `Credentials`: the credential body fields a request carried, which its
/// body's type has no fields for (analysis took them out); nothing when the API has none.
fn credentials_struct(api: &Api) -> TokenStream {
    let names = body_credential_names(api);
    if names.is_empty() {
        return TokenStream::new();
    }
    let fields = names.iter().map(|(wire, rust)| {
        let doc = format!(" {}, as the request body carried it.", docs::code_span(wire));
        let field = ident(rust);
        quote!(#[doc = #doc] pub #field: Option<rt::Secret>,)
    });
    quote! {
        /// The credentials a request carried in its JSON body (the codegen config's
        /// `auth.body_fields`), read apart from the body's own type, which has no fields for
        /// them: the client writes them into every body it sends. `Debug` never shows them.
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Credentials {
            #(#fields)*
        }
    }
}

/// For an operation with a JSON body when the API has credential body fields: the statement
/// reading them into `credentials` (a required one the body's type declared and the request
/// lacks is a 400 naming it), as the first argument of its trait method.
fn credentials_read(api: &Api, op: &Operation, message: &TokenStream) -> Option<TokenStream> {
    let names = body_credential_names(api);
    if names.is_empty() || !matches!(request_body(op.request.as_ref()), RequestBody::Json(_)) {
        return None;
    }
    let entries = names.iter().map(|(wire, _)| {
        let required = op.body_credentials.iter().any(|c| &c.wire == wire && c.required);
        quote!((#wire, #required))
    });
    let slots: Vec<proc_macro2::Ident> = (0..names.len()).map(|i| format_ident!("c{i}")).collect();
    let fields = names.iter().zip(&slots).map(|((_, rust), slot)| {
        let field = ident(rust);
        quote!(#field: #slot)
    });
    let entries = quote!([#(#entries),*]);
    let read = if op.request.as_ref().is_some_and(|b| b.required) {
        quote!(rt::body_credentials(request.body(), #entries, #message))
    } else {
        quote!(request.body_opt().map_or(Ok(Default::default()), |body| rt::body_credentials(body, #entries, #message)))
    };
    Some(quote! {
        let credentials = match #read {
            Ok([#(#slots),*]) => Credentials { #(#fields),* },
            Err(response) => return Some(*response),
        };
    })
}

/// An operation served on a route, tried in order of its literal text (longest first).
pub(super) struct Candidate {
    method: &'static str,
    template: Vec<Vec<Piece>>,
    serve: proc_macro2::Ident,
    /// The route leaves bodies unread (an operation on it takes its body as a stream).
    streams: bool,
}

impl Candidate {
    fn literal_len(&self) -> usize {
        self.template.iter().flatten().map(|p| if let Piece::Literal(t) = p { t.len() } else { 0 }).sum()
    }
}

/// The arguments of an operation's trait method (the client's, owned, in the same order) and
/// how the router reads each from the request; `message` is where the error type puts a 400's
/// message.
struct Arguments {
    /// `name: Type,` per argument.
    args: TokenStream,
    names: Vec<proc_macro2::Ident>,
    /// The statements that read them into `passed`, answering 400 when one does not decode.
    reads: TokenStream,
    passed: Vec<proc_macro2::Ident>,
}

fn arguments(api: &Api, op: &Operation, types: &TokenStream, uses: &mut Uses, message: &TokenStream) -> Arguments {
    let mut args = TokenStream::new();
    let mut names = Vec::new();
    let mut reads = TokenStream::new();
    let mut passed = Vec::new();
    if let Some(read) = credentials_read(api, op, message) {
        let credentials = format_ident!("credentials");
        args.extend(quote!(#credentials: Credentials,));
        names.push(credentials.clone());
        reads.extend(read);
        passed.push(credentials);
    }
    let ordered = crate::emit::params::ordered_params(op);
    for (i, param) in ordered.iter().enumerate() {
        let arg = crate::emit::params::param_ident(&param.name.rust);
        let ty = type_path(api, &param.ty, types, uses);
        let local = format_ident!("p{i}");
        let wire = &param.name.wire;
        let shape = param_shape(api, &param.ty);
        let style = crate::emit::params::style_tokens(param.style);
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
    // A JSON body that may also come as a form of the same type (or the other way round) is
    // decoded by its `Content-Type`.
    let both = op.request.as_ref().is_some_and(|b| {
        matches!(b.encoding, crate::ir::Encoding::Json | crate::ir::Encoding::Form)
            && b.alternatives.iter().any(|a| {
                matches!(a.encoding, crate::ir::Encoding::Json | crate::ir::Encoding::Form)
                    && a.encoding != b.encoding
                    && a.ty == b.ty
            })
    });
    let form = |ty: &TypeRef, t: &TokenStream| {
        let lists: Vec<&String> = api
            .struct_of(ty)
            .map(|s| s.fields.iter().filter(|f| is_list(api, &f.ty)).map(|f| &f.name.wire).collect())
            .unwrap_or_default();
        quote!(rt::decode_form::<#t>(body, &[#(#lists),*], #message))
    };
    let decoded = match request_body(op.request.as_ref()) {
        RequestBody::None => None,
        RequestBody::Json(ty) | RequestBody::Form(ty) if both => {
            let t = type_path(api, &ty, types, uses);
            let form = form(&ty, &t);
            let decode = quote!(if request.is_form() { #form } else { rt::decode_request::<#t>(body, #message) });
            Some((t, decode))
        }
        RequestBody::Json(ty) => {
            let t = type_path(api, &ty, types, uses);
            let decode = quote!(rt::decode_request::<#t>(body, #message));
            Some((t, decode))
        }
        RequestBody::Form(ty) => {
            let t = type_path(api, &ty, types, uses);
            let decode = form(&ty, &t);
            Some((t, decode))
        }
        RequestBody::Raw => {
            if let Some(request_body) = op.request.as_ref() {
                let (arg_ty, read) = super::media::raw_body(request_body, message);
                args.extend(quote!(#body: #arg_ty,));
                names.push(body.clone());
                reads.extend(read);
                passed.push(body.clone());
            }
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
    if matches!(super::media::answer(op).1, super::media::Answer::Events(_) | super::media::Answer::NamedEvents(_)) {
        let last = format_ident!("last_event_id");
        args.extend(quote!(#last: Option<String>,));
        names.push(last.clone());
        reads.extend(quote!(let last_event_id = rt::last_event_id(request);));
        passed.push(last);
    }
    Arguments { args, names, reads, passed }
}

/// One axum handler per route, trying its operations most literal text first (a HEAD no
/// operation takes is answered as the route's GET), and the router's registrations of them.
fn route_handlers(routes: BTreeMap<String, Vec<Candidate>>) -> (TokenStream, TokenStream) {
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
        let read = if candidates.iter().any(|c| c.streams) {
            quote!(let #binding = rt::ApiRequest::read_head(request);)
        } else {
            quote! {
                let #binding = match rt::ApiRequest::read(request).await {
                    Ok(request) => request,
                    Err(response) => return *response,
                };
            }
        };
        route_fns.extend(quote! {
            async fn #handler<A: Api>(api: &A, request: rt::axum::extract::Request) -> rt::axum::response::Response {
                #read
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
    (route_fns, registrations)
}

/// The `Api` trait's docs: what its methods take and return, and the operations it cannot
/// serve or never reaches.
fn trait_doc(unserved: &[String], shadowed: &[String], credentials: bool) -> Vec<String> {
    let mut doc = vec![
        " The API's operations, one method per operation; each answers 501 until implemented.".to_owned(),
        String::new(),
        " A method takes the client's arguments, owned: path parameters in template order, then the \
         query, header and cookie parameters as declared, then the body: JSON and form-urlencoded \
         bodies decoded into their type, text as a `String`, bytes as a [`runtime::BodyStream`] read as \
         they arrive (413 past the upload limit), multipart bodies as a struct of their typed \
         parts (an optional body is `None` when the request has none); an operation answering \
         with Server-Sent Events also takes the `Last-Event-ID` a reconnecting client sent. A \
         missing required parameter, or a parameter or body that does not decode, is answered \
         400 in the provider's error shape, naming it. A method returns the first JSON success \
         response's type, else a [`runtime::EventStream`], a [`runtime::Download`] or a `String` for the first \
         event stream, byte stream or text success, answered with its status; an operation \
         without a success body answers its first success status (else 204) without a body."
            .to_owned(),
    ];
    if credentials {
        doc.push(String::new());
        doc.push(
            " The credentials a JSON body carries (the codegen config's `auth.body_fields`) are no \
             fields of its type: a method of an operation with a JSON body takes them first, as \
             [`Credentials`], so a stand-in for the provider can check them."
                .to_owned(),
        );
    }
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
    doc
}

/// A trait method's docs: the operation's, what it serves and answers, and its parameters.
fn method_doc(op: &Operation, status: u16, ordered: &[&crate::ir::Param]) -> TokenStream {
    let mut doc = crate::emit::doc_attrs(&op.docs);
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
            Some(format!(" - `{}`: {text}", crate::emit::params::param_ident(&p.name.rust)))
        })
        .collect();
    if !described.is_empty() {
        doc.extend(quote!(#[doc = ""] #[doc = " # Parameters"] #[doc = ""]));
        for line in described {
            doc.extend(quote!(#[doc = #line]));
        }
    }
    doc
}

/// The `Api` trait (one async method per operation, answering 501 by default, taking the
/// client's arguments) and `router`, which reads parameters and bodies (400 in the provider's
/// error shape) and encodes responses.
/// A part of the API server's code: the two are consecutive in the library and built apart, so
/// each can be printed on a thread of its own (tokens cannot cross threads).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ApiPart {
    /// The credentials struct, the `Api` trait and the router.
    Head,
    /// The route and serve functions the router calls (most of the lines).
    Functions,
}

/// The API server's `part`.
pub(super) fn api_server(api: &Api, types: &TokenStream, uses: &mut Uses, part: ApiPart) -> TokenStream {
    let mut methods = TokenStream::new();
    let mut routes: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    let mut serve_fns = TokenStream::new();
    let mut unserved = Vec::new();
    let mut methods_items = TokenStream::new();
    let streaming = super::media::streaming_routes(api);
    for (n, op) in api.operations.iter().enumerate() {
        let Some((route, template)) = served_path(op) else {
            unserved.push(docs::code_span(&op.name.wire));
            continue;
        };
        let name = ident(&op.name.rust);
        let (status, answer) = super::media::answer(op);
        let ok = super::media::ok_type(api, &answer, types, uses);
        let single_error = match &op.errors {
            ErrorBodies::One(ty) => Some(ty),
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
        let Arguments { args, names, reads, passed } = arguments(api, op, types, uses, &message);
        let reads = super::media::loading(op, streaming.contains(&route), reads);
        if part == ApiPart::Head {
            methods_items.extend(super::media::body_items(api, op, types, uses));
        }
        let ordered = crate::emit::params::ordered_params(op);
        let doc = method_doc(op, status, &ordered);
        let drop = match names.as_slice() {
            [] => TokenStream::new(),
            [one] => quote!(let _ = #one;),
            many => quote!(let _ = (#(#many),*);),
        };
        if part == ApiPart::Head {
            methods.extend(quote! {
                #doc
                fn #name(&self, #args) -> impl Future<Output = Result<#ok, rt::ApiError<#error>>> + Send {
                    #drop
                    std::future::ready(Err(rt::ApiError::NotImplemented))
                }
            });
        }
        let serve = format_ident!("serve_{n}");
        let respond = super::media::respond(&answer, status, quote!(api.#name(#(#passed),*).await));
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
        if part == ApiPart::Functions {
            serve_fns.extend(quote! {
                async fn #serve<A: Api>(api: &A, request: &rt::ApiRequest) -> Option<rt::axum::response::Response> {
                    const TEMPLATE: &[&[rt::Piece]] = &[#(#segments),*];
                    if request.method().as_str() != #http_method {
                        return None;
                    }
                    #matched
                    #reads
                    Some(#respond)
                }
            });
        }
        let streams = streaming.contains(&route);
        routes.entry(route).or_default().push(Candidate { method: op.method.as_str(), template, serve, streams });
    }
    let shadowed: Vec<String> = shadowed(api)
        .into_iter()
        .map(|(later, earlier)| {
            format!("{} (by {})", docs::code_span(&later.name.wire), docs::code_span(&earlier.name.wire))
        })
        .collect();
    let (route_fns, registrations) = route_handlers(routes);
    let doc = trait_doc(&unserved, &shadowed, !body_credential_names(api).is_empty());
    let api_param = if registrations.is_empty() { quote!(_api) } else { quote!(api) };
    let arc = if registrations.is_empty() { TokenStream::new() } else { quote!(let api = std::sync::Arc::new(api);) };
    let credentials = credentials_struct(api);
    if part == ApiPart::Functions {
        return quote!(#route_fns #serve_fns);
    }
    quote! {
        #credentials

        #methods_items

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
    }
}

//! One client method per operation: its docs, signature, request building and the typed
//! results of its responses.

use super::*;

/// A variant name for a status.
pub(super) fn status_variant(status: Status) -> String {
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

pub(super) fn status_pattern(status: Status) -> TokenStream {
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
pub(super) fn pascal_name(op: &Operation) -> String {
    naming::type_name(naming::unraw(&op.name.rust), "Operation")
}

/// Rustdoc of a method: the spec's docs, then method, path and operation id, then the
/// parameters the spec describes. Spec text goes through `docs` (sanitized as a block, or as
/// one inline line, or as a code span).
pub(super) fn method_docs(op: &Operation) -> TokenStream {
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
pub(super) struct Signature {
    pub(super) params: TokenStream,
    pub(super) args: Vec<proc_macro2::Ident>,
}

/// The error type of an operation's method: the one JSON type its error bodies share, or an
/// enum of them by status (`<Operation>Error`, added to `items`), or `serde_json::Value`.
fn error_type(cx: &mut Ctx<'_>, op: &Operation, pascal: &str, items: &mut TokenStream) -> TokenStream {
    let errors: Vec<&Response> = op.responses.iter().filter(|r| !r.status.is_success() && r.body.is_some()).collect();
    let single_error = match &op.errors {
        ErrorBodies::One(ty) => Some(ty.clone()),
        _ => None,
    };
    if errors.is_empty() {
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
    }
}

/// The success type of an operation's method and the call that gets it: one type, an `Option`
/// of it when the other success has no content, or an enum by status (`<Operation>Response`,
/// added to `items`). `chain` builds the request.
fn success(
    cx: &mut Ctx<'_>,
    op: &Operation,
    pascal: &str,
    chain: &TokenStream,
    items: &mut TokenStream,
) -> (TokenStream, TokenStream) {
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
    let kinds: BTreeSet<&Payload> = successes.iter().map(|(_, p)| p).collect();
    let bodies: Vec<&Payload> = successes.iter().map(|(_, p)| p).filter(|p| **p != Payload::None).collect();
    let send = quote!(self.transport.send(&OP, #chain).await);
    // A byte stream is handed over unread, whatever the other successes are; its status and
    // headers go with it.
    if bodies.iter().any(|p| **p == Payload::Binary) {
        return (quote!(rt::Download), quote!(self.transport.download(&OP, #chain).await));
    }
    match (bodies.first(), kinds.len(), bodies.len() == successes.len()) {
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
                    // Bytes are taken above; multipart responses are bytes, and event streams
                    // get a method of their own.
                    Payload::Text | Payload::Binary | Payload::Multipart(_) | Payload::Events(_) => {
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
    }
}

/// An operation's request as its method builds it.
struct RequestParts {
    /// The method's parameters (`name: Type,` each).
    args: TokenStream,
    /// The runtime's request builder with every parameter and the body.
    chain: TokenStream,
    /// The path template (`/pets/{petId}`).
    template: String,
    /// True when the method takes a body.
    has_body: bool,
}

fn request_parts(cx: &mut Ctx<'_>, op: &Operation) -> Result<RequestParts, EmitError> {
    let wire = &op.name.wire;
    let mut args = TokenStream::new();
    let mut chain = quote!(rt::Request::new());
    let mut template = String::new();
    let param_name = param_ident;
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
                    return Err(EmitError::item(
                        &op.origin,
                        format!("operation `{wire}`: path parameter `{p}` is not declared"),
                    ));
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
    body_argument(cx, op, &request_payload, &mut args, &mut chain);
    if let Some(accept) = accept(op) {
        chain.extend(quote!(.header("Accept", false, #accept)));
    }
    Ok(RequestParts { args, chain, template, has_body: request_payload != Payload::None })
}

/// A paginated operation (`shared`) keeps its `rt::Operation` in an associated constant its
/// `_stream` method names too.
pub(super) fn operation(
    cx: &mut Ctx<'_>,
    op: &Operation,
    items: &mut TokenStream,
    shared: bool,
) -> Result<(TokenStream, Signature), EmitError> {
    let name = ident(&op.name.rust);
    let pascal = pascal_name(op);
    let wire = &op.name.wire;
    let method = format_ident!("{}", op.method.as_str());
    let RequestParts { args, chain, template, has_body } = request_parts(cx, op)?;
    let ordered = ordered_params(op);
    let retry_safe = op.retry_safe;
    let security = op.security.as_ref().or((!cx.api.security.is_empty()).then_some(&cx.api.security));
    let schemes = match security {
        Some(requirements) => {
            let schemes: BTreeSet<&String> = requirements.iter().flatten().collect();
            let schemes = schemes.into_iter();
            quote!(Some(&[#(#schemes),*]))
        }
        None => quote!(None),
    };
    if let Some(Body { encoding: Encoding::Multipart(multipart), .. }) = &op.request {
        items.extend(multipart_struct(cx, op, multipart));
    }
    let events = op.responses.iter().filter(|r| r.status.is_success()).find_map(|r| match payload(r.body.as_ref()) {
        Payload::Events(ty) => Some(ty),
        _ => None,
    });
    let docs = method_docs(op);
    let mut arg_names: Vec<proc_macro2::Ident> = ordered.iter().map(|p| param_ident(&p.name.rust)).collect();
    if has_body {
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
    if let Some(ty) = events {
        let (t, decode) = match (crate::emit::events::named(op), ty) {
            (Some(events), _) => {
                let method = format!("[`Client::{}`]", naming::unraw(&op.name.rust));
                items.extend(crate::emit::events::event_enum(op, events, |ty| cx.ty(ty), false, &method));
                let name = crate::emit::events::enum_name(op);
                (quote!(#name), quote!(#name::decode))
            }
            (None, TypeRef::Primitive(Primitive::String)) => (quote!(String), quote!(rt::sse::text)),
            (None, other) => (cx.ty(&other), quote!(rt::sse::json)),
        };
        let resumable = op.resumable;
        let resume_doc = if resumable {
            " The stream reconnects after a lost connection, sending the last event id as `Last-Event-ID`."
        } else {
            " The stream is not resumed: a lost connection ends it with `State::Failed`."
        };
        let method = quote! {
            #docs
            ///
            /// Returns the operation's Server-Sent Events as a stream; it connects when first polled.
            #[doc = #resume_doc]
            pub fn #name(&self, #args) -> rt::sse::Events<#t> {
                static OP: rt::Operation = #operation;
                self.transport.events(&OP, #chain, #decode, #resumable)
            }
        };
        return Ok((method, signature));
    }
    let error_ty = error_type(cx, op, &pascal, items);
    let (ok_ty, call) = success(cx, op, &pascal, &chain, items);
    let result = cx.result(op, &ok_ty, &error_ty);
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

/// The struct of a multipart body's parts, and how it writes them into a request: text
/// fields typed as the schema says, files as `rt::FilePart`, lists as repeated parts.
fn multipart_struct(cx: &mut Ctx<'_>, op: &Operation, multipart: &Multipart) -> TokenStream {
    let name = format_ident!("{}", multipart.rust);
    let mut fields = TokenStream::new();
    let mut writes = TokenStream::new();
    for part in &multipart.parts {
        let field = ident(&part.name.rust);
        let wire = &part.name.wire;
        let content_type = match &part.content_type {
            Some(ct) => quote!(Some(#ct)),
            None => quote!(None),
        };
        let inner = match &part.kind {
            PartKind::File => quote!(rt::FilePart),
            PartKind::Text(ty) | PartKind::Json(ty) => cx.ty(ty),
        };
        let ty = match (part.repeated, part.required) {
            (true, _) => quote!(Vec<#inner>),
            (false, true) => inner,
            (false, false) => quote!(Option<#inner>),
        };
        let docs = doc_attrs(&part.docs);
        fields.extend(quote!(#docs pub #field: #ty,));
        writes.extend(match (&part.kind, part.repeated || !part.required) {
            (PartKind::File, true) => quote!(.part_files(#wire, #content_type, self.#field)),
            (PartKind::File, false) => quote!(.part_files(#wire, #content_type, [self.#field])),
            (PartKind::Text(_), _) => quote!(.part_text(#wire, #content_type, &self.#field)),
            (PartKind::Json(_), _) => quote!(.part_json(#wire, #content_type, &self.#field)),
        });
    }
    let mut docs = doc_attrs(&multipart.docs);
    let summary = format!(" The parts of the multipart body of [`Client::{}`].", naming::unraw(&op.name.rust));
    if multipart.docs.text.is_some() {
        docs.extend(quote!(#[doc = ""]));
    }
    docs.extend(quote!(#[doc = #summary]));
    quote! {
        #docs
        #[derive(Clone, Debug)]
        pub struct #name {
            #fields
        }

        impl #name {
            /// Writes the parts into `request`.
            fn write(self, request: rt::Request) -> rt::Request {
                request.multipart() #writes
            }
        }
    }
}

/// The method of `op` and those of its alternative media types ([`alternative_ops`]).
pub(super) fn with_alternatives(
    cx: &mut Ctx<'_>,
    op: &Operation,
    items: &mut TokenStream,
    shared: bool,
    taken: &mut BTreeSet<String>,
) -> Result<(TokenStream, Signature), EmitError> {
    let (mut methods, signature) = operation(cx, op, items, shared)?;
    for alternative in alternative_ops(op, taken) {
        methods.extend(operation(cx, &alternative, items, false)?.0);
    }
    Ok((methods, signature))
}

/// The operations the client offers besides `op` for its bodies' other media types, as
/// operations of their own: one per other media type of the request body (`<op>_<kind>`,
/// `create_pet_form`), one per other kind of success body (`<op>_as_<kind>`,
/// `get_report_as_text`, asking for it with `Accept`). Each keeps the chosen media type as its
/// body's alternative, so its method sends `Accept` too.
pub(super) fn alternative_ops(op: &Operation, taken: &mut BTreeSet<String>) -> Vec<Operation> {
    let base = naming::unraw(&op.name.rust).to_owned();
    let mut name = |suffix: &str| {
        let mut name = naming::field_name(&naming::join_snake(&base, suffix));
        while !taken.insert(naming::unraw(&name).to_owned()) {
            name = naming::field_name(&naming::join_snake(&name, "alt"));
        }
        name
    };
    let swap = |body: &Body, alternative: &Alternative| Body {
        media_type: alternative.media_type.clone(),
        encoding: alternative.encoding.clone(),
        ty: alternative.ty.clone(),
        required: body.required,
        alternatives: vec![Alternative {
            media_type: body.media_type.clone(),
            encoding: body.encoding.clone(),
            ty: body.ty.clone(),
        }],
    };
    let with_line = |line: String| {
        let mut docs = op.docs.clone();
        docs.text = Some(match docs.text.take() {
            Some(text) => format!("{text}\n\n{line}"),
            None => line,
        });
        docs
    };
    let mut out = Vec::new();
    if let Some(body) = &op.request {
        for alternative in &body.alternatives {
            let mut alt = op.clone();
            alt.paging = None;
            alt.name.rust = name(alternative.encoding.word());
            alt.request = Some(swap(body, alternative));
            alt.docs = with_line(format!(
                "Sends the body as `{}`; `{base}` sends it as `{}`.",
                alternative.media_type, body.media_type
            ));
            out.push(alt);
        }
    }
    let mut words: Vec<&'static str> = Vec::new();
    for r in op.responses.iter().filter(|r| r.status.is_success()) {
        for alternative in r.body.iter().flat_map(|b| &b.alternatives) {
            if !words.contains(&alternative.encoding.word()) {
                words.push(alternative.encoding.word());
            }
        }
    }
    for word in words {
        let mut alt = op.clone();
        alt.paging = None;
        alt.name.rust = name(&format!("as_{word}"));
        let mut asked = Vec::new();
        let mut instead = Vec::new();
        for r in alt.responses.iter_mut().filter(|r| r.status.is_success()) {
            let Some(body) = &mut r.body else { continue };
            if let Some(alternative) = body.alternatives.iter().find(|a| a.encoding.word() == word).cloned() {
                asked.push(alternative.media_type.clone());
                instead.push(body.media_type.clone());
                *body = swap(body, &alternative);
            }
        }
        asked.dedup();
        instead.dedup();
        alt.docs = with_line(format!(
            "Asks for the answer as `{}`; `{base}` asks for `{}`.",
            asked.join("`, `"),
            instead.join("`, `")
        ));
        out.push(alt);
    }
    out
}

/// The `Accept` header of an operation whose success bodies have several media types: the
/// ones this method reads.
fn accept(op: &Operation) -> Option<String> {
    let bodies: Vec<&Body> =
        op.responses.iter().filter(|r| r.status.is_success()).filter_map(|r| r.body.as_ref()).collect();
    if !bodies.iter().any(|b| !b.alternatives.is_empty()) {
        return None;
    }
    let mut media: Vec<&str> = bodies.iter().map(|b| b.media_type.as_str()).collect();
    media.dedup();
    Some(media.join(", "))
}

/// An argument's type: a string as `&str`, `Copy` values as they are, others by reference,
/// `Option` when not required.
fn arg_type(cx: &mut Ctx<'_>, ty: &TypeRef, required: bool) -> TokenStream {
    let inner = match ty {
        TypeRef::Primitive(Primitive::String) => quote!(&str),
        other if is_copy(other) => cx.ty(other),
        other => {
            let t = cx.ty(other);
            quote!(&#t)
        }
    };
    if required { inner } else { quote!(Option<#inner>) }
}

/// The body's argument and its part of the request chain, by how the body is written.
fn body_argument(
    cx: &mut Ctx<'_>,
    op: &Operation,
    request_payload: &Payload,
    args: &mut TokenStream,
    chain: &mut TokenStream,
) {
    let body_required = op.request.as_ref().is_some_and(|b| b.required);
    match request_payload {
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
            let media = op.request.as_ref().map_or("text/plain", |b| b.media_type.as_str());
            if body_required {
                args.extend(quote!(body: &str,));
                chain.extend(quote!(.text(#media, body)));
            } else {
                args.extend(quote!(body: Option<&str>,));
                chain.extend(quote!(.text_opt(#media, body)));
            }
        }
        // Bytes of an event stream's media type cannot be a request; sent as bytes.
        Payload::Binary | Payload::Events(_) => {
            let media = op.request.as_ref().map_or("application/octet-stream", |b| b.media_type.as_str());
            if body_required {
                args.extend(quote!(body: impl Into<rt::Upload>,));
                chain.extend(quote!(.upload(#media, body.into())));
            } else {
                args.extend(quote!(body: Option<rt::Upload>,));
                chain.extend(quote!(.upload_opt(#media, body)));
            }
        }
        Payload::Multipart(name) => {
            let name = format_ident!("{name}");
            if body_required {
                args.extend(quote!(body: #name,));
                chain.extend(quote!(.apply(|request| body.write(request))));
            } else {
                args.extend(quote!(body: Option<#name>,));
                chain.extend(quote!(.apply(|request| match body {
                    Some(body) => body.write(request),
                    None => request,
                })));
            }
        }
    }
}

//! What the API server reads and answers besides JSON and forms: text, byte streams, multipart
//! bodies (a struct of typed parts per body) and Server-Sent Events.

use super::*;
use crate::ir::{Body, Encoding, Multipart, PartKind};

/// What an operation's method answers with on success.
pub(super) enum Answer<'a> {
    /// The JSON type (or `()` for none), encoded as JSON.
    Json(Option<&'a TypeRef>),
    /// Server-Sent Events whose data are the type.
    Events(&'a TypeRef),
    /// Server-Sent Events of several kinds: the crate's enum of them.
    NamedEvents(proc_macro2::Ident),
    /// A byte stream of the media type.
    Binary(&'a str),
    /// Text of the media type.
    Text(&'a str),
}

/// The success an operation's method answers with, and its status: the first JSON success,
/// else the first event stream, byte stream or text, else the first success status (204 when
/// there is none) without a body.
pub(super) fn answer(op: &Operation) -> (u16, Answer<'_>) {
    let code = |status: Status| match status {
        Status::Code(code) => code,
        _ => 200,
    };
    let successes: Vec<(&crate::ir::Response, &Body)> = op
        .responses
        .iter()
        .filter(|r| r.status.is_success() && !matches!(r.status, Status::Code(204 | 205)))
        .filter_map(|r| Some((r, r.body.as_ref()?)))
        .collect();
    let find = |wanted: fn(&Encoding) -> bool| successes.iter().find(|(_, b)| wanted(&b.encoding));
    if let Some((r, b)) = find(|e| *e == Encoding::Json) {
        return (code(r.status), Answer::Json(Some(&b.ty)));
    }
    if let Some((r, b)) = find(|e| matches!(e, Encoding::EventStream(_))) {
        if crate::emit::events::named(op).is_some() {
            return (code(r.status), Answer::NamedEvents(crate::emit::events::enum_name(op)));
        }
        return (code(r.status), Answer::Events(&b.ty));
    }
    if let Some((r, b)) = find(|e| matches!(e, Encoding::Binary | Encoding::Multipart(_))) {
        return (code(r.status), Answer::Binary(&b.media_type));
    }
    if let Some((r, b)) = find(|e| *e == Encoding::Text) {
        return (code(r.status), Answer::Text(&b.media_type));
    }
    let first = op.responses.iter().find(|r| r.status.is_success()).map_or(204, |r| code(r.status));
    (first, Answer::Json(None))
}

/// The method's success type.
pub(super) fn ok_type(api: &Api, answer: &Answer<'_>, types: &TokenStream, uses: &mut Uses) -> TokenStream {
    match answer {
        Answer::Json(Some(ty)) => type_path(api, ty, types, uses),
        Answer::Json(None) => quote!(()),
        Answer::Events(TypeRef::Primitive(Primitive::String)) => quote!(rt::EventStream<String>),
        Answer::Events(ty) => {
            let t = type_path(api, ty, types, uses);
            quote!(rt::EventStream<#t>)
        }
        Answer::NamedEvents(name) => quote!(rt::EventStream<#name>),
        Answer::Binary(_) => quote!(rt::Download),
        Answer::Text(_) => quote!(String),
    }
}

/// The response made of the method's result (`call`).
pub(super) fn respond(answer: &Answer<'_>, status: u16, call: TokenStream) -> TokenStream {
    match answer {
        Answer::Json(_) => quote!(rt::respond(#status, #call)),
        Answer::Events(TypeRef::Primitive(Primitive::String)) => quote!(rt::respond_text_events(#call)),
        Answer::Events(_) => quote!(rt::respond_events(#call)),
        Answer::NamedEvents(_) => quote!(rt::respond_named_events(#call)),
        Answer::Binary(media) => quote!(rt::respond_download(#status, #media, #call)),
        Answer::Text(media) => quote!(rt::respond_text(#status, #media, #call)),
    }
}

/// True when the operation takes its body as a stream (bytes or multipart parts), so its route
/// leaves bodies unread until an operation takes one.
pub(super) fn streams_body(op: &Operation) -> bool {
    op.request.as_ref().is_some_and(|b| matches!(b.encoding, Encoding::Binary | Encoding::Multipart(_)))
}

/// The routes with an operation taking its body as a stream: their bodies stay unread.
pub(super) fn streaming_routes(api: &Api) -> BTreeSet<String> {
    api.operations.iter().filter(|op| streams_body(op)).filter_map(|op| Some(super::served_path(op)?.0)).collect()
}

/// An operation's `reads`, preceded on a route whose bodies stay unread (`streaming`) by the
/// loading of the whole body when the operation reads it whole.
pub(super) fn loading(op: &Operation, streaming: bool, reads: TokenStream) -> TokenStream {
    if !streaming || streams_body(op) || op.request.is_none() {
        return reads;
    }
    quote! {
        if let Err(response) = request.load().await {
            return Some(*response);
        }
        #reads
    }
}

/// The items an operation's bodies need in the server crate: the struct of a multipart body,
/// the enum of the kinds of event it answers with.
pub(super) fn body_items(api: &Api, op: &Operation, types: &TokenStream, uses: &mut Uses) -> TokenStream {
    let mut items = match &op.request {
        Some(Body { encoding: Encoding::Multipart(multipart), .. }) => {
            multipart_struct(api, op, multipart, types, uses)
        }
        _ => TokenStream::new(),
    };
    if let Some(events) = crate::emit::events::named(op) {
        let method = format!("[`Api::{}`]", naming::unraw(&op.name.rust));
        items.extend(crate::emit::events::event_enum(op, events, |ty| type_path(api, ty, types, uses), true, &method));
    }
    items
}

/// The argument type and the statements reading a body that is neither JSON nor a form into
/// `body`: text as a `String` (400 when not UTF-8), bytes as `rt::BodyStream` (413 past the
/// upload limit), multipart parts into their struct (413 past the limit, 400 for a malformed
/// body or a part that is missing or does not decode).
pub(super) fn raw_body(body: &Body, message: &TokenStream) -> (TokenStream, TokenStream) {
    let required = body.required;
    match &body.encoding {
        Encoding::Multipart(multipart) => {
            let name = format_ident!("{}", multipart.rust);
            let read = quote! {
                let body = match rt::Parts::read(request, #message).await {
                    Ok(parts) => match #name::from_parts(&parts) {
                        Ok(body) => body,
                        Err(message) => return Some(rt::bad_request(&message, #message)),
                    },
                    Err(response) => return Some(*response),
                };
            };
            if required {
                (quote!(#name), read)
            } else {
                let read = quote! {
                    let body = if request.headers().contains_key(rt::axum::http::header::CONTENT_TYPE) {
                        #read
                        Some(body)
                    } else {
                        None
                    };
                };
                (quote!(Option<#name>), read)
            }
        }
        Encoding::Text => {
            let text = quote! {
                match String::from_utf8(body.to_vec()) {
                    Ok(text) => text,
                    Err(_) => return Some(rt::bad_request("Invalid request body: not UTF-8 text", #message)),
                }
            };
            if required {
                (quote!(String), quote!(let body = request.body(); let body = #text;))
            } else {
                (
                    quote!(Option<String>),
                    quote!(let body = match request.body_opt() { Some(body) => Some(#text), None => None };),
                )
            }
        }
        _ => {
            let (ty, take) = if required {
                (quote!(rt::BodyStream), quote!(rt::BodyStream::take(request)))
            } else {
                (quote!(Option<rt::BodyStream>), quote!(rt::BodyStream::take_opt(request)))
            };
            let read = quote! {
                let body = match #take {
                    Ok(body) => body,
                    Err(response) => return Some(*response),
                };
            };
            (ty, read)
        }
    }
}

/// The function building a multipart body's struct from an `rt::Parts`: a part that is
/// missing, repeated where one is expected, or does not decode is an error naming it.
fn multipart_read(multipart: &Multipart) -> TokenStream {
    let fields = multipart.parts.iter().map(|part| {
        let field = ident(&part.name.rust);
        let wire = &part.name.wire;
        let method = match (&part.kind, part.repeated, part.required) {
            (PartKind::File, true, _) => "files",
            (PartKind::File, false, true) => "file",
            (PartKind::File, false, false) => "file_opt",
            (PartKind::Text(_), true, _) => "texts",
            (PartKind::Text(_), false, true) => "text",
            (PartKind::Text(_), false, false) => "text_opt",
            (PartKind::Json(_), true, _) => "jsons",
            (PartKind::Json(_), false, true) => "json",
            (PartKind::Json(_), false, false) => "json_opt",
        };
        let method = format_ident!("{method}");
        quote!(#field: parts.#method(#wire)?,)
    });
    quote! {
        fn from_parts(parts: &rt::Parts) -> Result<Self, String> {
            Ok(Self { #(#fields)* })
        }
    }
}

/// The server crate's struct of a multipart body's parts: text and JSON parts typed as the
/// schema says, files as `rt::FilePart`, lists as repeated parts.
fn multipart_struct(
    api: &Api,
    op: &Operation,
    multipart: &Multipart,
    types: &TokenStream,
    uses: &mut Uses,
) -> TokenStream {
    let name = format_ident!("{}", multipart.rust);
    let fields = multipart.parts.iter().map(|part| {
        let field = ident(&part.name.rust);
        let inner = match &part.kind {
            PartKind::File => quote!(rt::FilePart),
            PartKind::Text(ty) | PartKind::Json(ty) => type_path(api, ty, types, uses),
        };
        let ty = match (part.repeated, part.required) {
            (true, _) => quote!(Vec<#inner>),
            (false, true) => inner,
            (false, false) => quote!(Option<#inner>),
        };
        let docs = doc_attrs(&part.docs);
        quote!(#docs pub #field: #ty,)
    });
    let fields: Vec<TokenStream> = fields.collect();
    let mut docs = doc_attrs(&multipart.docs);
    if multipart.docs.text.is_some() {
        docs.extend(quote!(#[doc = ""]));
    }
    let summary = format!(" The parts of the multipart body of [`Api::{}`].", naming::unraw(&op.name.rust));
    docs.extend(quote!(#[doc = #summary]));
    let read = multipart_read(multipart);
    quote! {
        #docs
        #[derive(Clone, Debug)]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            #read
        }
    }
}

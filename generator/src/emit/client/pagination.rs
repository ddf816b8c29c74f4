//! Cursor pagination: the `_stream` method of each listing whose request and page carry the
//! config's cursor, and how the page's fields are read.

use super::*;

/// True when the items of `field` of the page type decode one by one (`Decoded<T>`).
pub(super) fn is_isolated(_api: &Api, _config: &Config, _page: &TypeRef, field: &Field) -> bool {
    field.isolated
}

/// Follows a dotted path of wire names through struct fields: the Rust field path, the last
/// field, its struct, and whether every field before the last is required and not null.
pub(super) fn field_path<'a>(api: &'a Api, ty: &TypeRef, path: &str) -> Option<(TokenStream, &'a Field, &'a Struct)> {
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

/// True for types whose Rust spelling is `Copy` (primitives other than text).
pub(super) fn is_copy(ty: &TypeRef) -> bool {
    matches!(ty, TypeRef::Primitive(p) if *p != Primitive::String)
}

/// `Option<T>` from a field of the given shape at `access` (copied or cloned).
pub(super) fn read_option(shape: Presence, access: TokenStream, copy: bool) -> TokenStream {
    let value = if copy { access } else { quote!(#access.clone()) };
    match shape {
        Presence::Plain => quote!(Some(#value)),
        Presence::Option => value,
        Presence::DoubleOption => quote!(#value.into_option()),
    }
}

/// For cursor-paginated operations, a method streaming every item.
pub(super) fn stream_method(
    cx: &mut Ctx<'_>,
    op: &Operation,
    taken: &mut BTreeSet<String>,
) -> Option<(String, TokenStream)> {
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
    let result = cx.result(op, &item, &error_ty);
    let tokens = quote! {
        #[doc = #doc]
        pub fn #name(&self, body: #request) -> impl rt::Stream<Item = #result> + '_ {
            let split = |page: #page| (#items_take, #cursor_read);
            self.transport.#items(&Self::#constant, &Self::PAGING, body, split)
        }
    };
    Some((stream_name, tokens))
}

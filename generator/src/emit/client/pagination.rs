//! Cursor pagination: the `_stream` method of each listing whose request and page carry the
//! config's cursor, and how the page's fields are read.

use super::*;

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
    let paging = op.paging.as_ref()?;
    let mut item = cx.ty(&paging.item);
    if paging.isolated {
        // Each item decodes on its own: a malformed one arrives as `Decoded::Malformed`.
        let types = &cx.types;
        item = quote!(#types::Decoded<#item>);
    }
    let request = cx.ty(&paging.request);
    let page = cx.ty(&paging.page);
    let items_name = ident(&paging.items);
    let items_take = match paging.items_presence {
        Presence::Plain => quote!(page.#items_name),
        Presence::Option => quote!(page.#items_name.unwrap_or_default()),
        Presence::DoubleOption => quote!(page.#items_name.into_option().unwrap_or_default()),
    };
    // The page is taken apart by value: its items and its cursor move out.
    let cursor_out = paging.cursor.iter().map(|name| ident(name));
    let cursor_read = read_option(paging.cursor_presence, quote!(page #(.#cursor_out)*), true);
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
        paging.response_cursor, paging.request_cursor
    );
    let items = if paging.or_none { quote!(items_or_none) } else { quote!(items) };
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

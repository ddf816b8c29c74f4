//! The client crate's `Credentials`: one field per credential the API's security schemes and
//! the config's auth placement name, and the code that injects them.

use super::*;

/// The `Credentials` struct (one optional field per auth body field and per security scheme the
/// generated code applies) and the names of its fields with the wire name each stands for.
pub(super) fn credentials(api: &Api, config: &Config) -> (TokenStream, Vec<(String, String)>, TokenStream) {
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
    for credential in crate::emit::ws::credential_fields(api, config) {
        if !fields.iter().any(|f| naming::field_name(&f.0) == credential.field) {
            let doc = crate::emit::ws::credential_doc(&credential);
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

//! The client crate's `Credentials`: one field per credential the API's security schemes and
//! the config's auth placement name, and the code that injects them.

use super::*;

/// What one `Credentials` field holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    /// One secret (`Option<rt::Secret>`).
    Secret,
    /// A user and a password (`Option<(String, rt::Secret)>`).
    UserAndSecret,
}

/// One field of the `Credentials` struct.
struct CredentialField {
    /// The name the provider knows it by (the wire name of a body field or header, the
    /// security scheme's name).
    wire: String,
    doc: String,
    held: Held,
    /// The statement that adds it to the transport's `auth` (empty for credentials only
    /// WebSocket upgrades carry, which the channel modules apply).
    apply: TokenStream,
}

impl CredentialField {
    fn ty(&self) -> TokenStream {
        match self.held {
            Held::Secret => quote!(Option<rt::Secret>),
            Held::UserAndSecret => quote!(Option<(String, rt::Secret)>),
        }
    }
}

/// The fields of `Credentials`, one per credential of the API ([`crate::ir::Credential`]): how
/// each is documented, held and applied.
fn credential_fields(api: &Api) -> Vec<CredentialField> {
    api.credentials.iter().map(credential_field).collect()
}

fn credential_field(credential: &crate::ir::Credential) -> CredentialField {
    use crate::ir::{Applied, Carried};
    let name = &credential.wire;
    let (doc, held, apply) = match &credential.carried {
        Carried::BodyField => {
            let entry = quote!(rt::Credential::BodyField { name: #name.into(), value: value.clone() });
            (
                format!(" Sent as {} in every JSON request body.", docs::code_span(name)),
                Held::Secret,
                quote!(auth = auth.always(#entry)),
            )
        }
        Carried::Upgrade(placement) => (crate::emit::ws::credential_doc(placement), Held::Secret, TokenStream::new()),
        Carried::Scheme(kind) => {
            let (doc, held, entry) = match kind {
                Applied::Basic => (
                    format!(" User and password of the {} security scheme (HTTP basic).", docs::code_span(name)),
                    Held::UserAndSecret,
                    quote!(rt::Credential::Basic { user: value.0.clone(), password: value.1.clone() }),
                ),
                Applied::ApiKey { location, name: key } => {
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
                        Held::Secret,
                        quote!(rt::Credential::#variant { name: #key.into(), value: value.clone() }),
                    )
                }
                Applied::Bearer => (
                    format!(" Bearer token of the {} security scheme.", docs::code_span(name)),
                    Held::Secret,
                    quote!(rt::Credential::Bearer(value.clone())),
                ),
            };
            (doc, held, quote!(auth = auth.scheme(#name, #entry)))
        }
    };
    CredentialField { wire: name.clone(), doc, held, apply }
}

/// The `Credentials` struct, the names of its fields with the wire name each stands for, and
/// the value the README's example builds.
pub(super) fn credentials(api: &Api) -> (TokenStream, Vec<(String, String)>, TokenStream) {
    let fields = credential_fields(api);
    let mut rust: Vec<String> = fields.iter().map(|f| naming::field_name(&f.wire)).collect();
    naming::dedupe(rust.iter_mut(), true);
    // The README's example sets every credential that is a single secret.
    let secrets: Vec<proc_macro2::Ident> =
        fields.iter().zip(&rust).filter(|(f, _)| f.held == Held::Secret).map(|(_, name)| ident(name)).collect();
    let example = if secrets.is_empty() {
        quote!(Credentials::default())
    } else {
        quote!(Credentials { #(#secrets: Some(rt::Secret::new("...")),)* ..Credentials::default() })
    };
    let mut names = Vec::new();
    let mut decls = TokenStream::new();
    let mut adds = TokenStream::new();
    for (f, rust_name) in fields.iter().zip(&rust) {
        let field = ident(rust_name);
        let (doc, ty, apply) = (&f.doc, f.ty(), &f.apply);
        decls.extend(quote!(#[doc = #doc] pub #field: #ty,));
        if !apply.is_empty() {
            adds.extend(quote!(if let Some(value) = &self.#field { #apply; }));
        }
        names.push((rust_name.clone(), f.wire.clone()));
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

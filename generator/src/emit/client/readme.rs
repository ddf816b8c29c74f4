//! The README's usage example of the client crate, a doctest compiled (not run, as it calls
//! the provider's server): a client built with `Client::builder`, one call with a request built
//! from the types crate's constructors, and a `match` on its error.

use super::*;
use crate::emit::sample::Sampler;

/// The arguments of one call: `let` statements binding the values passed by reference, and the
/// arguments themselves.
struct Call {
    lets: TokenStream,
    args: Vec<TokenStream>,
}

/// The arguments of a call of `op` with every required parameter and the body written by
/// `sampler` (optional parameters left out), or `None` when one cannot be written.
fn call_args(sampler: &Sampler<'_>, op: &Operation) -> Option<Call> {
    let mut lets = TokenStream::new();
    let mut args = Vec::new();
    for param in ordered_params(op) {
        if !param.required {
            args.push(quote!(None));
            continue;
        }
        let name = param_ident(&param.name.rust);
        args.push(match &param.ty {
            TypeRef::Primitive(Primitive::String) => quote!("example"),
            ty if is_copy(ty) => sampler.value(ty)?,
            ty => {
                let value = sampler.value(ty)?;
                lets.extend(quote!(let #name = #value;));
                quote!(&#name)
            }
        });
    }
    let required = op.request.as_ref().is_some_and(|b| b.required);
    let body = match payload(op.request.as_ref()) {
        Payload::None => None,
        Payload::Json(TypeRef::Primitive(Primitive::String)) | Payload::Form(TypeRef::Primitive(Primitive::String)) => {
            Some(quote!("example"))
        }
        Payload::Json(ty) | Payload::Form(ty) => match sampler.value(&ty) {
            Some(value) if is_copy(&ty) => Some(value),
            Some(value) => {
                lets.extend(quote!(let body = #value;));
                Some(quote!(&body))
            }
            None if required => return None,
            None => {
                args.push(quote!(None));
                None
            }
        },
        Payload::Text => Some(quote!("example")),
        Payload::Binary => Some(quote!(rt::Upload::bytes("example"))),
        // A multipart body's files have no sample.
        Payload::Multipart(_) | Payload::Events(_) => return None,
    };
    if let Some(body) = body {
        args.push(if required { body } else { quote!(Some(#body)) });
    }
    Some(Call { lets, args })
}

/// The README's usage example: a client of the first server calling the operation of the
/// config's first example whose arguments can be written, else the first such operation (with
/// the method's own parameters when none can). Only identifiers, fixed literals and the
/// server URL and media types (string literals) come from the spec.
pub(super) fn readme_usage(
    cx: &Ctx<'_>,
    krate: &str,
    url: Option<&str>,
    signatures: &BTreeMap<String, Signature>,
    credentials: &TokenStream,
) -> Result<String, String> {
    let krate = crate_ident(krate);
    let url = url.unwrap_or("https://api.example.com");
    let sampler = Sampler::new(cx.api, quote!(types));
    let by_wire = |wire: &str| cx.api.operations.iter().find(|op| op.name.wire == wire);
    // An event stream's method is no call to await: the example shows another operation.
    let streams_events =
        |op: &&Operation| op.responses.iter().any(|r| matches!(payload(r.body.as_ref()), Payload::Events(_)));
    let candidates = cx
        .config
        .client
        .examples
        .iter()
        .filter_map(|e| by_wire(&e.operation))
        .chain(&cx.api.operations)
        .filter(|op| !streams_events(op));
    let built = candidates.clone().find_map(|op| Some((op, call_args(&sampler, op)?)));
    let (params, op, Call { lets, args }) = match built {
        Some((op, call)) => (TokenStream::new(), Some(op), call),
        // No operation's arguments can be written: the example takes them.
        None => match candidates.clone().find_map(|op| Some((op, signatures.get(&op.name.wire)?))) {
            Some((op, sig)) => {
                let args = sig.args.iter().map(|a| quote!(#a)).collect();
                (sig.params.clone(), Some(op), Call { lets: TokenStream::new(), args })
            }
            None => (TokenStream::new(), None, Call { lets: TokenStream::new(), args: Vec::new() }),
        },
    };
    let call = match op {
        Some(op) => {
            let name = ident(&op.name.rust);
            quote! {
                #lets
                match client.#name(#(#args),*).await {
                    Ok(response) => println!("{response:?}"),
                    Err(rt::Error::Api { status, body: Some(error), .. }) => {
                        eprintln!("the API refused the call ({status}): {error:?}");
                    }
                    Err(error) => eprintln!("the call failed: {error}"),
                }
            }
        }
        None => quote!(println!("{:?}", client.transport());),
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
    Ok(crate::emit::space_items(&prettyplease::unparse(&file)).trim_end().to_owned())
}

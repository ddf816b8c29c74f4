//! The README's usage example and the config's example programs of the client crate.

use super::*;

/// The README's usage example (a doctest, compiled but not run): a client of the first server
/// calling the operation of the config's first example, or else the first operation, with the
/// method's own parameters. Only identifiers and the server URL (a string literal) come from
/// the spec.
pub(super) fn readme_usage(
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
    Ok(crate::emit::space_items(&prettyplease::unparse(&file)).trim_end().to_owned())
}

/// An example program: parses `--flag VALUE` options, calls the operation (streaming its items
/// when it is paginated), prints the `print` property of each item, then a count.
pub(super) fn example_program(
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
pub(super) struct Target<'a> {
    path: Vec<&'a str>,
    var: proc_macro2::Ident,
    flag: &'a str,
}

pub(super) fn build_value(
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

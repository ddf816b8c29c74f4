//! The README's usage example and the config's example programs of the client crate.

use super::*;
use crate::analyze::{BodyPlan, CallPlan, ExamplePlan, Source};
use crate::emit::examples::{Opt, Program, help_text, program};
use crate::ir::Field;

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

/// An example program: reads its options, calls the operation (streaming its items when it is
/// paginated), prints the `print` property of each item, then a count. What it does is its
/// [`ExamplePlan`] (made and checked with the config); this spells it.
pub(super) fn example_program(
    cx: &mut Ctx<'_>,
    example: &Example,
    plan: &ExamplePlan<'_>,
    streams: &[(String, String)],
    credentials: &[(String, String)],
) -> TokenStream {
    let config = cx.config;
    let krate = crate_ident(&config.client.krate.name);
    let (opts, credential_fields) = example_options(cx, example, plan.body.ty, credentials);
    let help = help_text(example.description.as_deref(), &example.name, &opts, 20, "");
    // The request body: every field set from an option, or to its empty value.
    let body = build_value(cx, &plan.body);
    let request = cx.ty(plan.body.ty);
    let call = call_and_print(cx, plan, streams);
    let count_line = format!("{{}} {}", example.name.replace('{', "{{").replace('}', "}}"));
    let description = example.description.as_deref().map(docs::inline);
    let doc = vec![
        description.unwrap_or_else(|| "Calls the API from the command line.".into()),
        String::new(),
        format!(
            "Run with `cargo run -p {} --example {} -- --help`. Exits with 0 on success, 1 when the call fails \
             (printing the error), 2 on bad options.",
            config.client.krate.name, example.name
        ),
    ];
    // Every field of the request is written, deprecated ones included.
    let allow = plan.deprecated.then(|| quote!(#[allow(deprecated)]));
    let run = quote! {
        #allow
        async fn run(args: cli::Args) -> Result<std::process::ExitCode, Failure> {
            let base_url = args.required("base-url")?;
            let credentials = Credentials { #credential_fields };
            let client = Client::new(base_url, &credentials).map_err(Failure::failed)?;
            let body: #request = #body;
            #call
            println!(#count_line, count);
            Ok(std::process::ExitCode::SUCCESS)
        }
    };
    program(Program {
        doc,
        uses: match plan.call {
            CallPlan::Stream { .. } => quote! {
                use #krate::{Client, Credentials, runtime};
                use runtime::StreamExt as _;
            },
            CallPlan::Single { .. } => quote!(use #krate::{Client, Credentials};),
        },
        help,
        opts,
        flavor: quote!(flavor = "current_thread"),
        items: TokenStream::new(),
        run,
    })
}

/// The options of a client example: the base URL, one per credential (each a secret), then the
/// example's own; and the `Credentials` fields the credential options fill. Credentials the
/// request requires must be given, unless the example's config gives a default; a required
/// credential that is no secret (a client name) defaults to the example's name.
fn example_options(
    cx: &Ctx<'_>,
    example: &Example,
    request_ty: &TypeRef,
    credentials: &[(String, String)],
) -> (Vec<Opt>, TokenStream) {
    let value = |flag: &str| flag.to_ascii_uppercase().replace('-', "_");
    let mut opts = vec![Opt::new("base-url", "BASE_URL", "URL of the server")];
    let mut fields = TokenStream::new();
    let request_struct = cx.api.struct_of(request_ty);
    for (rust, wire) in credentials {
        let field = request_struct.and_then(|s| s.fields.iter().find(|f| &f.name.wire == wire));
        let required = field.is_some_and(|f| f.required);
        let secret = field.is_none_or(|f| f.secret);
        let flag = naming::unraw(rust).replace('_', "-");
        let default = example
            .credential_defaults
            .get(wire)
            .cloned()
            .or_else(|| (required && !secret).then(|| format!("{} {}", cx.config.client.krate.name, example.name)));
        let name = ident(rust);
        let given = required && default.is_none();
        let basic = cx
            .api
            .credentials
            .iter()
            .any(|c| &c.wire == wire && c.carried == crate::ir::Carried::Scheme(crate::ir::Applied::Basic));
        if basic {
            // A user (an ordinary option) and a password (a secret one).
            let user = format!("{flag}-user");
            fields.extend(
                quote!(#name: args.secret(#flag).map(|password| (args.value(#user).unwrap_or_default(), password)),),
            );
            let opt = Opt::new(&user, &value(&user), format!("user of credential `{wire}`")).optional();
            opts.push(opt);
        } else {
            fields.extend(if given {
                quote!(#name: Some(args.required_secret(#flag)?),)
            } else {
                quote!(#name: args.secret(#flag),)
            });
        }
        let opt = Opt::new(&flag, &value(&flag), format!("credential `{wire}`")).secret();
        opts.push(Opt { optional: !given || basic, default, ..opt });
    }
    for arg in &example.args {
        let opt = Opt::new(&arg.flag, &value(&arg.flag), format!("request `{}`", arg.field)).optional();
        opts.push(Opt { default: arg.default.clone(), ..opt });
    }
    (opts, fields)
}

/// The call of the example's operation and the printing of what it returns: a line per item of
/// its stream when it is paginated (items that do not decode are skipped, said on standard
/// error), else a line for its response; `count` is how many lines.
fn call_and_print(cx: &mut Ctx<'_>, plan: &ExamplePlan<'_>, streams: &[(String, String)]) -> TokenStream {
    let op = plan.operation;
    let stream = streams.iter().find(|(wire, _)| wire == &op.name.wire).map(|(_, name)| ident(name));
    let (CallPlan::Stream { isolated, .. }, Some(stream)) = (&plan.call, stream) else {
        let method = ident(&op.name.rust);
        let line = print_line(plan.print, quote!(response));
        // A method whose body may be left out takes `Option<&T>`.
        let body = if op.request.as_ref().is_some_and(|b| b.required) { quote!(&body) } else { quote!(Some(&body)) };
        return quote! {
            let response = client.#method(#body).await.map_err(Failure::failed)?;
            #line
            let count: u64 = 1;
        };
    };
    let line = print_line(plan.print, quote!(item));
    let types = &cx.types;
    let unpack = isolated.then(|| {
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
            let item = item.map_err(Failure::failed)?;
            #unpack
            #line
            count += 1;
        }
    }
}

/// Prints the field `f` of `value` on a line of its own (an empty line when it has none).
fn print_line(f: &Field, value: TokenStream) -> TokenStream {
    let name = ident(&f.name.rust);
    match f.presence {
        Presence::Plain => quote!(println!("{}", #value.#name);),
        Presence::Option => quote!(match &#value.#name {
            Some(value) => println!("{value}"),
            None => println!(),
        }),
        Presence::DoubleOption => quote!(match #value.#name.as_option() {
            Some(value) => println!("{value}"),
            None => println!(),
        }),
    }
}

/// The request value a [`BodyPlan`] describes: fields the options target are parsed from them,
/// credential body fields are left empty (the client fills them in), optional fields are `None`.
pub(super) fn build_value(cx: &mut Ctx<'_>, plan: &BodyPlan<'_>) -> TokenStream {
    let path = cx.ty(plan.ty);
    let mut fields = TokenStream::new();
    for (f, source) in &plan.fields {
        let name = ident(&f.name.rust);
        let shape = f.presence;
        let value = match source {
            Source::Option { flag, path } => {
                let parsed = quote!(args.parse(#flag)?);
                match shape {
                    Presence::Plain => {
                        let msg = format!("missing value for `{path}`");
                        quote!(#parsed.ok_or_else(|| Failure::usage(#msg))?)
                    }
                    Presence::Option => parsed,
                    Presence::DoubleOption => quote!(#parsed.into()),
                }
            }
            Source::Nested { plan, flags } => {
                let inner = build_value(cx, plan);
                let inner = if f.boxed { quote!(Box::new(#inner)) } else { inner };
                let any = quote!(#(args.is_set(#flags))||*);
                match shape {
                    Presence::Plain => inner,
                    Presence::Option => quote!(if #any { Some(#inner) } else { None }),
                    Presence::DoubleOption => quote!((if #any { Some(#inner) } else { None }).into()),
                }
            }
            // Overwritten by the client's credentials before sending.
            Source::Credential => quote!(Default::default()),
            Source::Empty => match shape {
                Presence::Option | Presence::Plain => quote!(None),
                Presence::DoubleOption => quote!(Default::default()),
            },
        };
        fields.extend(quote!(#name: #value,));
    }
    quote!(#path { #fields })
}

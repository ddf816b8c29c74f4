//! The config's example programs of the client crate.

use super::*;
use crate::analyze::{BodyPlan, CallPlan, ExamplePlan, Source};
use crate::emit::examples::{Opt, Program, help_text, program};
use crate::ir::Field;

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
    let (opts, credential_fields) = example_options(cx, example, plan.operation, credentials);
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
    operation: &crate::ir::Operation,
    credentials: &[(String, String)],
) -> (Vec<Opt>, TokenStream) {
    let value = |flag: &str| flag.to_ascii_uppercase().replace('-', "_");
    let mut opts = vec![Opt::new("base-url", "BASE_URL", "URL of the server")];
    let mut fields = TokenStream::new();
    for (rust, wire) in credentials {
        // Analysis noted the credential body fields the request declared (and took them out of
        // its type); every credential is a secret.
        let required = operation.body_credentials.iter().any(|c| &c.wire == wire && c.required);
        let default = example.credential_defaults.get(wire).cloned();
        let flag = naming::unraw(rust).replace('_', "-");
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

/// The request value a [`BodyPlan`] describes, built as another crate must build a
/// `#[non_exhaustive]` struct: `new` with the fields that must be given (or `Default`), then a
/// setter per optional field an option sets; credential body fields are no fields of it (the
/// client writes them).
pub(super) fn build_value(cx: &mut Ctx<'_>, plan: &BodyPlan<'_>) -> TokenStream {
    let path = cx.ty(plan.ty);
    let Some(s) = cx.api.struct_of(plan.ty) else { return quote!(#path::default()) };
    let mut args = Vec::new();
    let mut sets = TokenStream::new();
    for (f, source) in &plan.fields {
        let shape = f.presence;
        let (value, given) = match source {
            Source::Option { flag, path } => {
                let mut ty = cx.ty(&f.ty);
                if f.boxed {
                    ty = quote!(Box<#ty>);
                }
                let parsed = quote!(args.parse::<#ty>(#flag)?);
                if shape == Presence::Plain {
                    let msg = format!("missing value for `{path}`");
                    (quote!(#parsed.ok_or_else(|| Failure::usage(#msg))?), None)
                } else {
                    (parsed, None)
                }
            }
            Source::Nested { plan, flags } => {
                let inner = build_value(cx, plan);
                (inner, Some(quote!(#(args.is_set(#flags))||*)))
            }
            Source::Empty => continue,
        };
        if shape == Presence::Plain {
            args.push(value);
            continue;
        }
        if s.update_wrapper {
            // A keep/set/clear wrapper: set when its value is given, else cleared.
            return match given {
                Some(_) => quote!(#path::set(#value)),
                None => quote!(match #value {
                    Some(value) => #path::set(value),
                    None => #path::clear(),
                }),
            };
        }
        let setter = ident(&naming::setter(&f.name.rust));
        sets.extend(match given {
            Some(any) => quote!(if #any { value = value.#setter(#value); }),
            None => quote!(if let Some(parsed) = #value { value = value.#setter(parsed); }),
        });
    }
    let start = if s.has_new() { quote!(#path::new(#(#args),*)) } else { quote!(#path::default()) };
    if sets.is_empty() {
        return start;
    }
    quote!({
        let mut value = #start;
        #sets
        value
    })
}

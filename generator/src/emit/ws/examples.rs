//! The `listen` and `push` example programs of the channels.

use super::*;
use crate::emit::examples::{Opt, Program, help_text, pointers, program};

/// `--flag` names of a channel's credentials (kebab-case of their wire names) with their fields.
pub(super) fn credential_flags(channel: &Channel) -> Vec<(String, String)> {
    use heck::ToKebabCase;
    let mut out: Vec<(String, String)> = Vec::new();
    for c in &channel.credentials {
        let flag = c.wire.to_kebab_case();
        if !flag.is_empty()
            && !["url", "addr", "help", "fan-out", "fan-out-prefix"].contains(&flag.as_str())
            && !out.iter().any(|(f, _)| *f == flag)
        {
            out.push((flag, c.field.clone()));
        }
    }
    out
}

/// The options of a listener or pusher: `first` (`--url` or `--addr`), then one secret per
/// credential.
fn options(first: Opt, credentials: &[(String, String)]) -> Vec<Opt> {
    let mut opts = vec![first];
    for (flag, _) in credentials {
        opts.push(Opt::new(flag, "T", "credential sent on the connection request").secret());
    }
    opts
}

/// The crate's `ty` (`Credentials` or `Expected`) with each credential field read from its
/// flag.
fn credential_struct(krate: &proc_macro2::Ident, ty: &str, credentials: &[(String, String)]) -> TokenStream {
    let ty = ident(ty);
    let fields = credentials.iter().map(|(flag, field)| {
        let field = ident(field);
        quote!(#field: args.secret(#flag),)
    });
    // Every field may already be set by a flag.
    quote! {
        #[allow(clippy::needless_update)]
        let credentials = #krate::#ty { #(#fields)* ..Default::default() };
    }
}

/// The listener and the pusher report every failure as a usage error (exit 2, with the help).
fn as_usage() -> TokenStream {
    quote!(|failure| Failure::Usage(failure.to_string()))
}

/// The client crate's listener example: connects to `--url` and prints one JSON line per item.
pub(crate) fn listen_example(
    api: &Api,
    config: &Config,
    name: &str,
    description: Option<&str>,
    channel_name: &str,
    id: &[String],
) -> Result<TokenStream, String> {
    let (channel, module) = example_channel(api, name, channel_name)?;
    let krate = crate::emit::spell::crate_ident(&config.client.krate.name);
    let module = ident(&module);
    let credentials = credential_flags(channel);
    let opts = options(Opt::new("url", "WS_URL", "WebSocket URL of the channel"), &credentials);
    let notes = "Prints one JSON line per item: {\"event\": TYPE, \"id\": ID}, {\"unknown\": TYPE}, {\"malformed\": \
                 ERROR} or {\"state\": STATE}. SIGTERM or Ctrl-C closes the connection and exits 0; a refused \
                 authentication exits 1 without retrying.";
    let help = help_text(description.map(str::trim), name, &opts, 14, notes);
    let credentials = credential_struct(&krate, "Credentials", &credentials);
    let tag = event_tag(api, channel).unwrap_or_default();
    let pointers = pointers(id);
    let items = quote! {
        /// The property an event's kind is read from.
        const TAG: &str = #tag;
        /// JSON pointers of the id printed for each event, the first present wins.
        const ID: &[&str] = &[#(#pointers),*];
    };
    let as_usage = as_usage();
    let run = quote! {
        async fn run(args: cli::Args) -> Result<std::process::ExitCode, Failure> {
            let url = args.required("url")?;
            #credentials
            let connection = #krate::#module::listener(url, &credentials).connect();
            cli::print_items(connection, TAG, ID).await.map_err(#as_usage)
        }
    };
    let doc = description.map(docs::inline).unwrap_or_else(|| "Listens to a WebSocket channel.".into());
    Ok(program(Program {
        doc: vec![doc],
        uses: TokenStream::new(),
        help,
        opts,
        flavor: quote!(flavor = "current_thread"),
        items,
        run,
    }))
}

/// The server crate's pusher example: serves the channel's endpoint on `--addr` and pushes each
/// line of standard input to every connected client; it keeps serving after the end of input
/// until SIGTERM or Ctrl-C.
pub(crate) fn push_example(
    api: &Api,
    config: &Config,
    name: &str,
    description: Option<&str>,
    channel_name: &str,
) -> Result<TokenStream, String> {
    let (channel, module) = example_channel(api, name, channel_name)?;
    let krate = crate::emit::spell::crate_ident(&config.server.krate.name);
    let module = ident(&module);
    let credentials = credential_flags(channel);
    let mut opts = options(Opt::new("addr", "HOST:PORT", "address to listen on"), &credentials);
    opts.push(
        Opt::new(
            "fan-out",
            "URL",
            "NATS server: share pushes with every pusher of the same subject (needs the crate's `nats` feature)",
        )
        .optional(),
    );
    let prefix = config.server.krate.name.as_str();
    let mut prefix_opt = Opt::new("fan-out-prefix", "PREFIX", "NATS subject prefix of --fan-out").optional();
    prefix_opt.default = Some(prefix.to_owned());
    opts.push(prefix_opt);
    let notes = "Serves the endpoint and pushes each line of standard input, as it is, to every connected client \
                 (with --fan-out, to the clients of every pusher of the subject PREFIX.CHANNEL). It keeps serving \
                 after the end of input; SIGTERM or Ctrl-C stops it (exit 0).";
    let help = help_text(description.map(str::trim), name, &opts, 14, notes);
    let credentials = credential_struct(&krate, "Expected", &credentials);
    let as_usage = as_usage();
    let run = quote! {
        async fn run(args: cli::Args) -> Result<std::process::ExitCode, Failure> {
            let addr = args.required("addr")?;
            #credentials
            let hub = #krate::websocket::Hub::new(#krate::websocket::HubOptions::default());
            let prefix = args.required("fan-out-prefix")?;
            let hub = cli::fan_out(hub, args.value("fan-out"), &prefix, #krate::#module::SUBJECT)
                .await
                .map_err(#as_usage)?;
            let router = #krate::#module::router(&hub, #krate::#module::expect(&credentials));
            cli::push_stdin(&hub, router, #krate::#module::PATH, &addr).await.map_err(#as_usage)
        }
    };
    let doc = description.map(docs::inline).unwrap_or_else(|| "Serves a WebSocket channel.".into());
    Ok(program(Program {
        doc: vec![doc],
        uses: TokenStream::new(),
        help,
        opts,
        flavor: TokenStream::new(),
        items: TokenStream::new(),
        run,
    }))
}

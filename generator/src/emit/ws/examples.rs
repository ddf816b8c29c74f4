//! The `listen` and `push` example programs of the channels.

use super::*;

/// `--flag` names of a channel's credentials (kebab-case of their wire names) with their fields.
pub(super) fn credential_flags(_config: &Config, channel: &Channel) -> Vec<(String, String)> {
    use heck::ToKebabCase;
    let mut out: Vec<(String, String)> = Vec::new();
    for c in &channel.credentials {
        let flag = c.wire.to_kebab_case();
        if !flag.is_empty() && !["url", "addr", "help"].contains(&flag.as_str()) && !out.iter().any(|(f, _)| *f == flag)
        {
            out.push((flag, c.field.clone()));
        }
    }
    out
}

/// Flag parsing shared by the listener and the pusher: `fixed` flags (name, variable) and the
/// credential flags, each taking one value; `-h`/`--help` prints `HELP`.
pub(super) fn parse_flags(fixed: &[(&str, &str)], credentials: &[(String, String)]) -> TokenStream {
    let mut decls = TokenStream::new();
    let mut arms = TokenStream::new();
    for (flag, var) in fixed {
        let var = ident(var);
        let flag = format!("--{flag}");
        decls.extend(quote!(let mut #var: Option<String> = None;));
        arms.extend(quote!(#flag => &mut #var,));
    }
    for (flag, field) in credentials {
        let var = ident(&format!("credential_{}", naming::unraw(field)));
        let flag = format!("--{flag}");
        decls.extend(quote!(let mut #var: Option<String> = None;));
        arms.extend(quote!(#flag => &mut #var,));
    }
    quote! {
        #decls
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let slot = match flag.as_str() {
                "-h" | "--help" => {
                    println!("{HELP}");
                    return Ok(std::process::ExitCode::SUCCESS);
                }
                #arms
                other => return Err(format!("unknown option `{other}`")),
            };
            match args.next() {
                Some(value) => *slot = Some(value),
                None => return Err(format!("{flag} needs a value")),
            }
        }
    }
}

/// `main`, usage errors (exit 2) and the SIGTERM/Ctrl-C future shared by both programs.
pub(super) fn program_frame(help: &str, body: TokenStream, flavor: TokenStream) -> TokenStream {
    quote! {
        const HELP: &str = #help;

        #[tokio::main(#flavor)]
        async fn main() -> std::process::ExitCode {
            match run().await {
                Ok(code) => code,
                Err(message) => {
                    eprintln!("error: {message}\n\n{HELP}");
                    std::process::ExitCode::from(2)
                }
            }
        }

        #body

        /// Completes on SIGTERM or Ctrl-C.
        async fn shutdown() {
            #[cfg(unix)]
            {
                let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(_) => return std::future::pending().await,
                };
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

pub(super) fn credential_struct(krate: &proc_macro2::Ident, ty: &str, credentials: &[(String, String)]) -> TokenStream {
    let ty = ident(ty);
    let mut fields = TokenStream::new();
    for (_, field) in credentials {
        let var = ident(&format!("credential_{}", naming::unraw(field)));
        let field = ident(field);
        fields.extend(quote!(#field: #var.map(#krate::websocket::Secret::new),));
    }
    quote!(#krate::#ty { #fields ..Default::default() })
}

pub(super) fn usage_flags(credentials: &[(String, String)]) -> (String, String) {
    let mut usage = String::new();
    let mut help = String::new();
    for (flag, _) in credentials {
        usage.push_str(&format!(" --{flag} T"));
        help.push_str(&format!("\n  --{flag:<14} credential sent on the connection request"));
    }
    (usage, help)
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
    let credentials = credential_flags(config, channel);
    let (usage_creds, help_creds) = usage_flags(&credentials);
    let mut help = String::new();
    if let Some(d) = description {
        help.push_str(d.trim());
        help.push_str("\n\n");
    }
    help.push_str(&format!(
        "usage: {name} --url WS_URL{usage_creds}\n\noptions:\n  --url            WebSocket URL of the channel\
         {help_creds}\n\nPrints one JSON line per item: {{\"event\": TYPE, \"id\": ID}}, {{\"unknown\": TYPE}}, \
         {{\"malformed\": ERROR}} or {{\"state\": STATE}}. SIGTERM or Ctrl-C closes the connection and exits 0; \
         a refused authentication exits 1 without retrying."
    ));
    let parse = parse_flags(&[("url", "url")], &credentials);
    let creds = credential_struct(&krate, "Credentials", &credentials);
    let tag = event_tag(api, channel).unwrap_or_default();
    let pointers: Vec<String> = id
        .iter()
        .map(|path| path.split('.').map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect())
        .collect();
    let body = quote! {
        /// The tag of an event (or raw unknown event), if it has one.
        fn tag(value: &ws::serde_json::Value) -> ws::serde_json::Value {
            value.get(#tag).cloned().unwrap_or(ws::serde_json::Value::Null)
        }

        /// The first of the configured id properties an event has.
        fn id(value: &ws::serde_json::Value) -> ws::serde_json::Value {
            for pointer in [#(#pointers),*] {
                if let Some(found) = value.pointer(pointer) {
                    return found.clone();
                }
            }
            ws::serde_json::Value::Null
        }

        async fn run() -> Result<std::process::ExitCode, String> {
            #parse
            let url = url.ok_or("missing --url")?;
            // Every field may already be set by a flag.
            #[allow(clippy::needless_update)]
            let credentials = #creds;
            let mut connection = #krate::#module::listener(url, &credentials).connect();
            let closer = connection.closer();
            tokio::spawn(async move {
                shutdown().await;
                closer.close();
            });
            let mut code = std::process::ExitCode::SUCCESS;
            let mut out = std::io::stdout();
            while let Some(item) = connection.next().await {
                let line = match item {
                    ws::Item::Event(event) => {
                        let value = ws::serde_json::to_value(&event).unwrap_or_default();
                        ws::serde_json::json!({"event": tag(&value), "id": id(&value)})
                    }
                    ws::Item::Unknown(raw) => ws::serde_json::json!({"unknown": tag(&raw)}),
                    ws::Item::Malformed(malformed) => ws::serde_json::json!({"malformed": malformed.error}),
                    ws::Item::State(state) => {
                        let name = match state {
                            ws::State::Connecting => continue,
                            ws::State::Connected => "connected",
                            ws::State::Reconnecting { .. } => "reconnecting",
                            ws::State::Resync => "resync",
                            ws::State::AuthFailed { .. } => {
                                code = std::process::ExitCode::FAILURE;
                                "auth_failed"
                            }
                            ws::State::Closed => "closed",
                            ws::State::Failed(reason) => {
                                eprintln!("error: {reason}");
                                code = std::process::ExitCode::FAILURE;
                                "failed"
                            }
                        };
                        ws::serde_json::json!({"state": name})
                    }
                };
                writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
            }
            Ok(code)
        }
    };
    let program = program_frame(&help, body, quote!(flavor = "current_thread"));
    let doc = format!(
        " {}",
        description.map(crate::emit::one_line).unwrap_or_else(|| "Listens to a WebSocket channel.".into())
    );
    Ok(quote! {
        #![doc = #doc]
        use std::io::Write as _;
        use #krate::websocket::{self as ws, StreamExt as _};
        #program
    })
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
    let credentials = credential_flags(config, channel);
    let (usage_creds, help_creds) = usage_flags(&credentials);
    let mut help = String::new();
    if let Some(d) = description {
        help.push_str(d.trim());
        help.push_str("\n\n");
    }
    help.push_str(&format!(
        "usage: {name} --addr HOST:PORT{usage_creds}\n\noptions:\n  --addr           address to listen on\
         {help_creds}\n\nServes the endpoint and pushes each line of standard input, as it is, to every connected \
         client. It keeps serving after the end of input; SIGTERM or Ctrl-C stops it (exit 0)."
    ));
    let parse = parse_flags(&[("addr", "addr")], &credentials);
    let expected = credential_struct(&krate, "Expected", &credentials);
    let axum = if api.operations.is_empty() && api.webhooks.is_empty() {
        quote!(#krate::runtime::server::axum)
    } else {
        quote!(#krate::runtime::axum)
    };
    let body = quote! {
        async fn run() -> Result<std::process::ExitCode, String> {
            #parse
            let addr = addr.ok_or("missing --addr")?;
            // Every field may already be set by a flag.
            #[allow(clippy::needless_update)]
            let expected = #expected;
            let hub = ws::Hub::new(ws::HubOptions::default());
            let router = #krate::#module::router(&hub, #krate::#module::expect(&expected));
            let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| format!("{addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            eprintln!("listening on ws://{local}{}", #krate::#module::PATH);
            let pusher = hub.clone();
            std::thread::spawn(move || {
                for line in std::io::stdin().lines() {
                    let Ok(line) = line else { break };
                    pusher.push_text(line);
                }
            });
            #axum::serve(listener, router).with_graceful_shutdown(shutdown()).await.map_err(|e| e.to_string())?;
            eprintln!("stopped: {:?}", hub.counters());
            Ok(std::process::ExitCode::SUCCESS)
        }
    };
    let program = program_frame(&help, body, quote!());
    let doc =
        format!(" {}", description.map(crate::emit::one_line).unwrap_or_else(|| "Serves a WebSocket channel.".into()));
    Ok(quote! {
        #![doc = #doc]
        use #krate::websocket as ws;
        #program
    })
}

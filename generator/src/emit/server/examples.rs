//! The server crate's example programs: the `receiver` (a webhook receiver writing a JSON line
//! per handled event) and the `journal` tool over its journal.

use super::*;

/// The operator's view of a receiver's journal: the runtime's `journal_tool` on the command
/// line (`--journal DIR list | requeue SEQ | purge SEQ`).
pub(super) fn journal_example(config: &Config, example: &ReceiverExample) -> TokenStream {
    let krate = crate_ident(&config.server.krate.name);
    let name = example.name.as_str();
    let description = match example.description.as_deref().map(docs::inline) {
        Some(text) => quote!(Some(#text)),
        None => quote!(None),
    };
    let doc = format!(
        " Lists, requeues and purges the deliveries a receiver gave up on: `cargo run --example {name} -- \
         --journal DIR list | requeue SEQ | purge SEQ` (stop the receiver first)."
    );
    quote! {
        #![doc = #doc]
        fn main() -> std::process::ExitCode {
            #krate::runtime::journal_tool(#name, #description, std::env::args().skip(1).collect())
        }
    }
}

/// A receiver program: serves the crate's receiver and writes a JSON line per handled event.
pub(super) fn receiver_example(config: &Config, example: &ReceiverExample, methods: &[Method]) -> TokenStream {
    let krate = crate_ident(&config.server.krate.name);
    // `--token` carries the secret of whichever verification the config names.
    let token = match (&config.auth.webhook_query_token, &config.auth.webhook_signature) {
        (Some(param), _) => Some(format!("shared secret expected as `?{param}=` on every delivery")),
        (None, Some(WebhookSignature::HmacSha256 { header, .. })) => {
            Some(format!("secret of the HMAC-SHA256 signature in `{header}`"))
        }
        (None, Some(WebhookSignature::StandardWebhooks { .. })) => {
            Some("Standard Webhooks secret (`whsec_...`)".to_owned())
        }
        (None, None) => None,
    };
    let pointers: Vec<String> = example
        .id
        .iter()
        .map(|path| path.split('.').map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect())
        .collect();
    let mut usage = format!("usage: {} --addr HOST:PORT", example.name);
    if token.is_some() {
        usage.push_str(" --token SECRET");
    }
    usage.push_str(" [--journal DIR] [--handled FILE]");
    let mut help = String::new();
    if let Some(description) = &example.description {
        help.push_str(description);
        help.push_str("\n\n");
    }
    help.push_str(&usage);
    help.push_str(
        "\n\noptions:\n  --addr      address to listen on; deliveries are POSTed to /webhooks, and GET /healthz and \
         /metrics (Prometheus text format) report on the receiver\n",
    );
    if let Some(what) = &token {
        help.push_str(&format!("  --token     {what}\n"));
    }
    help.push_str(
        "  --journal   folder of the delivery journal: acknowledge after a durable write, handle afterwards\n  \
         --handled   file that gets one JSON line per handled event (default: standard output)",
    );
    let mut impls = TokenStream::new();
    for m in methods {
        let Method { name, kind, payload, batch, .. } = m;
        let mut params = TokenStream::new();
        if let Some(batch) = batch {
            params.extend(quote!(_batch: &#batch,));
        }
        let value = match payload {
            Some(payload) => {
                params.extend(quote!(event: #payload,));
                quote!(rt::serde_json::to_value(&event).unwrap_or_default())
            }
            None => quote!(rt::serde_json::Value::Null),
        };
        impls.extend(quote! {
            fn #name(&self, #params delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                std::future::ready(self.line(#kind, &#value, delivery))
            }
        });
    }
    let doc_top = example.description.clone().unwrap_or_else(|| "A webhook receiver.".into());
    let doc_top = format!(" {}", docs::inline(&doc_top));
    let doc_run = format!(
        " Run with `cargo run -p {} --example {} -- --help`. Exits with 0 after a graceful shutdown (SIGTERM or Ctrl-C), 1 when it cannot serve, 2 on bad options.",
        config.server.krate.name, example.name
    );
    let verifier = match &token {
        Some(_) => quote! {
            let Some(token) = token else {
                return Err(Failure::Usage("missing --token".to_owned()));
            };
            let verifier = #krate::verifier(&[token]).map_err(|e| Failure::Usage(e.to_string()))?;
        },
        None => quote! {
            let _ = token;
            let verifier = rt::Verifier::none();
        },
    };
    let token_flag = if token.is_some() { quote!("--token" => &mut token,) } else { TokenStream::new() };
    quote! {
        #![doc = #doc_top]
        #![doc = ""]
        #![doc = #doc_run]
        use std::future::Future;
        use std::io::Write as _;
        use std::sync::{Arc, Mutex};

        use #krate::{Webhooks, runtime as rt};
        #[allow(unused_imports)]
        use #krate::types;
        #[allow(unused_imports)]
        use rt::serde_json;

        const HELP: &str = #help;
        /// JSON pointers of the id written for each event, the first present wins.
        const ID: &[&str] = &[#(#pointers),*];

        enum Failure {
            Usage(String),
            Serve(String),
        }

        /// Writes one JSON line per handled event, flushed before the handler returns.
        struct Lines {
            out: Mutex<Box<dyn std::io::Write + Send>>,
        }

        impl Lines {
            fn line(&self, kind: &str, event: &rt::serde_json::Value, delivery: &rt::Delivery) -> Result<(), rt::HandlerError> {
                let id = ID.iter().find_map(|pointer| event.pointer(pointer)).map(|id| match id {
                    rt::serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                });
                let line = rt::serde_json::json!({"kind": kind, "id": id, "delivery": delivery.digest});
                let mut out = self.out.lock().map_err(|_| rt::HandlerError("output lock poisoned".into()))?;
                out.write_all(format!("{line}\n").as_bytes())?;
                out.flush()?;
                Ok(())
            }
        }

        impl Webhooks for Lines {
            #impls
            fn unknown(&self, raw: rt::serde_json::Value, delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                std::future::ready(self.line("unknown", &raw, delivery))
            }
            fn malformed(&self, raw: rt::serde_json::Value, _error: String, delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
                std::future::ready(self.line("malformed", &raw, delivery))
            }
        }

        #[tokio::main]
        async fn main() -> std::process::ExitCode {
            match run().await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(Failure::Usage(message)) => {
                    eprintln!("error: {message}\n\n{HELP}");
                    std::process::ExitCode::from(2)
                }
                Err(Failure::Serve(message)) => {
                    eprintln!("error: {message}");
                    std::process::ExitCode::from(1)
                }
            }
        }

        async fn run() -> Result<(), Failure> {
            let mut addr: Option<String> = None;
            let mut token: Option<String> = None;
            let mut journal: Option<String> = None;
            let mut handled: Option<String> = None;
            let mut args = std::env::args().skip(1);
            while let Some(flag) = args.next() {
                let slot = match flag.as_str() {
                    "-h" | "--help" => {
                        println!("{HELP}");
                        return Ok(());
                    }
                    "--addr" => &mut addr,
                    #token_flag
                    "--journal" => &mut journal,
                    "--handled" => &mut handled,
                    other => return Err(Failure::Usage(format!("unknown option `{other}`"))),
                };
                match args.next() {
                    Some(value) => *slot = Some(value),
                    None => return Err(Failure::Usage(format!("{flag} needs a value"))),
                }
            }
            let Some(addr) = addr else {
                return Err(Failure::Usage("missing --addr".to_owned()));
            };
            #verifier
            let out: Box<dyn std::io::Write + Send> = match &handled {
                Some(path) => Box::new(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .map_err(|e| Failure::Serve(format!("{path}: {e}")))?,
                ),
                None => Box::new(std::io::stdout()),
            };
            let builder = #krate::receiver(Lines { out: Mutex::new(out) }, verifier);
            let builder = match &journal {
                Some(dir) => {
                    let store = rt::RedbJournal::open(std::path::Path::new(dir)).map_err(|e| Failure::Serve(e.to_string()))?;
                    builder.journaled(Arc::new(store), rt::JournalOptions::default())
                }
                None => builder.inline(None),
            };
            let receiver = builder.start().map_err(|e| Failure::Serve(e.to_string()))?;
            let listener = rt::tokio::net::TcpListener::bind(&addr).await.map_err(|e| Failure::Serve(format!("{addr}: {e}")))?;
            let local = listener.local_addr().map_err(|e| Failure::Serve(e.to_string()))?;
            eprintln!("listening on http://{local}/webhooks");
            receiver.serve_with(listener, receiver.status_router(), shutdown()).await.map_err(|e| Failure::Serve(e.to_string()))?;
            eprintln!("stopped: {:?}", receiver.counters());
            Ok(())
        }

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

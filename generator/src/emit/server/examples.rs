//! The server crate's example programs: the `receiver` (a webhook receiver writing a JSON line
//! per handled event) and the `journal` tool over its journal.

use super::*;
use crate::emit::examples::{Opt, Program, help_text, pointers, program};

/// The operator's view of a receiver's journal: the runtime's `journal_tool` on the command
/// line (`--journal DIR|URL list | requeue SEQ | purge SEQ`).
pub(super) fn journal_example(config: &Config, example: &ReceiverExample) -> TokenStream {
    let krate = crate_ident(&config.server.krate.name);
    let name = example.name.as_str();
    let description = match example.description.as_deref().map(docs::inline) {
        Some(text) => quote!(Some(#text)),
        None => quote!(None),
    };
    let doc = format!(
        " Lists, requeues and purges the deliveries a receiver gave up on: `cargo run --example {name} -- \
         --journal DIR list | requeue SEQ | purge SEQ` (stop the receiver first), or with a shared \
         journal's `postgres://` or `nats://` URL instead of `DIR` (features `postgres`, `nats-journal`; \
         receivers may keep running)."
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
    let mut opts = vec![Opt::new(
        "addr",
        "HOST:PORT",
        "address to listen on; deliveries are POSTed to /webhooks, and GET /healthz and /metrics (Prometheus \
         text format) report on the receiver",
    )];
    let verifier = match token_option(config) {
        Some(opt) => {
            opts.push(opt);
            quote! {
                let token = args.required_secret("token")?;
                let verifier = #krate::verifier(&[token.expose()]).map_err(Failure::usage)?;
            }
        }
        None => quote!(let verifier = rt::Verifier::none();),
    };
    opts.push(
        Opt::new(
            "journal",
            "DIR",
            "the delivery journal: a folder, or a postgres:// or nats://HOST:PORT/NAME URL (features postgres, nats-journal) that several receivers share; acknowledge after a durable write, handle afterwards",
        )
        .optional(),
    );
    opts.push(
        Opt::new("handled", "FILE", "file that gets one JSON line per handled event (default: standard output)")
            .optional(),
    );
    let help = help_text(example.description.as_deref(), &example.name, &opts, 9, "");
    let pointers = pointers(&example.id);
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
                quote!(event)
            }
            None => quote!(rt::serde_json::Value::Null),
        };
        impls.extend(handler(name, params, kind, value));
    }
    let raw = quote!(raw: rt::serde_json::Value,);
    impls.extend(handler(&format_ident!("unknown"), raw.clone(), "unknown", quote!(raw)));
    impls.extend(handler(&format_ident!("malformed"), quote!(#raw _error: String,), "malformed", quote!(raw)));
    let doc = vec![
        docs::inline(example.description.as_deref().unwrap_or("A webhook receiver.")),
        String::new(),
        format!(
            "Run with `cargo run -p {} --example {} -- --help`. Exits with 0 after a graceful shutdown (SIGTERM or \
             Ctrl-C), 1 when it cannot serve, 2 on bad options.",
            config.server.krate.name, example.name
        ),
    ];
    let items = quote! {
        /// JSON pointers of the id written for each event, the first present wins.
        const ID: &[&str] = &[#(#pointers),*];

        /// Writes one JSON line per handled event, flushed before the handler returns.
        struct Lines(cli::Handled);

        impl Webhooks for Lines {
            #impls
        }
    };
    let run = quote! {
        async fn run(args: cli::Args) -> Result<std::process::ExitCode, Failure> {
            let addr = args.required("addr")?;
            #verifier
            let lines = cli::Lines::open(args.value("handled").as_deref())?;
            let receiver = #krate::receiver(Lines(cli::Handled::new(lines, ID)), verifier);
            cli::serve_receiver(receiver, args.value("journal").as_deref(), &addr).await
        }
    };
    program(Program {
        doc,
        uses: quote! {
            use std::future::Future;

            use #krate::{Webhooks, runtime as rt};
            #[allow(unused_imports)]
            use #krate::types;
            #[allow(unused_imports)]
            use rt::serde_json;
        },
        help,
        opts,
        flavor: TokenStream::new(),
        items,
        run,
    })
}

/// `--token`, the secret of whichever verification the config names, if it names one.
fn token_option(config: &Config) -> Option<Opt> {
    let help = match (&config.auth.webhook_query_token, &config.auth.webhook_signature) {
        (Some(param), _) => format!("shared secret expected as `?{param}=` on every delivery"),
        (None, Some(WebhookSignature::HmacSha256 { header, .. })) => {
            format!("secret of the HMAC-SHA256 signature in `{header}`")
        }
        (None, Some(WebhookSignature::StandardWebhooks { .. })) => "Standard Webhooks secret (`whsec_...`)".to_owned(),
        (None, None) => return None,
    };
    Some(Opt::new("token", "SECRET", help).secret())
}

/// A `Webhooks` method of the receiver example: writes the line of `value`, an event of `kind`.
fn handler(name: &proc_macro2::Ident, params: TokenStream, kind: &str, value: TokenStream) -> TokenStream {
    quote! {
        fn #name(&self, #params delivery: &rt::Delivery) -> impl Future<Output = Result<(), rt::HandlerError>> + Send {
            std::future::ready(self.0.line(#kind, &#value, delivery))
        }
    }
}

//! What the example programs of the client and server crates share. The command line itself
//! (reading options, secret flags, exit codes, SIGTERM and Ctrl-C, output lines) is
//! `triad_runtime::cli`; a program holds its help text, its options as data (`FLAGS`) and a
//! `run` function, all framed here.

use proc_macro2::TokenStream;
use quote::quote;

/// One `--flag VALUE` option of an example program.
pub(crate) struct Opt {
    /// Name without the leading `--`.
    pub flag: String,
    /// What stands for the value in the usage line.
    pub value: String,
    /// Shown as `[--flag VALUE]` in the usage line.
    pub optional: bool,
    /// The option's line in the help.
    pub help: String,
    /// Value taken when the option is not given, shown in the help.
    pub default: Option<String>,
    /// A credential: read only as a secret, never shown.
    pub secret: bool,
}

impl Opt {
    /// A plain option shown as required in the usage line.
    pub(crate) fn new(flag: &str, value: &str, help: impl Into<String>) -> Opt {
        Opt {
            flag: flag.to_owned(),
            value: value.to_owned(),
            optional: false,
            help: help.into(),
            default: None,
            secret: false,
        }
    }

    /// The same option shown as `[--flag VALUE]`.
    pub(crate) fn optional(self) -> Opt {
        Opt { optional: true, ..self }
    }

    /// The same option holding a credential.
    pub(crate) fn secret(self) -> Opt {
        Opt { secret: true, ..self }
    }
}

/// The help text: the description, the usage line, one line per option (flags padded to
/// `width`) and `notes`, each part after a blank line.
pub(crate) fn help_text(description: Option<&str>, name: &str, opts: &[Opt], width: usize, notes: &str) -> String {
    let mut help = String::new();
    if let Some(description) = description {
        help.push_str(description);
        help.push_str("\n\n");
    }
    help.push_str(&format!("usage: {name}"));
    for o in opts {
        if o.optional {
            help.push_str(&format!(" [--{} {}]", o.flag, o.value));
        } else {
            help.push_str(&format!(" --{} {}", o.flag, o.value));
        }
    }
    help.push_str("\n\noptions:");
    for o in opts {
        help.push_str(&format!("\n  --{:<width$} {}", o.flag, o.help));
        if let Some(d) = &o.default {
            help.push_str(&format!(" (default {d})"));
        }
    }
    if !notes.is_empty() {
        help.push_str("\n\n");
        help.push_str(notes);
    }
    help
}

/// JSON pointers of dotted paths of wire property names (`Integration.Id` → `/Integration/Id`).
pub(crate) fn pointers(paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .map(|path| path.split('.').map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect())
        .collect()
}

/// An example program.
pub(crate) struct Program {
    /// Lines of the file's docs.
    pub doc: Vec<String>,
    /// Imports of the crate's items.
    pub uses: TokenStream,
    pub help: String,
    pub opts: Vec<Opt>,
    /// The tokio runtime's flavor.
    pub flavor: TokenStream,
    /// Items beside `main` and `run`.
    pub items: TokenStream,
    /// `async fn run(args: cli::Args) -> Result<std::process::ExitCode, Failure>`.
    pub run: TokenStream,
}

/// The program's file: docs, imports, `HELP`, `FLAGS`, its items, `main` (the runtime's
/// `cli::main`) and `run`.
pub(crate) fn program(p: Program) -> TokenStream {
    let Program { doc, uses, help, opts, flavor, items, run } = p;
    let doc = doc.iter().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    let flags = opts.iter().map(|o| {
        let flag = &o.flag;
        let made = if o.secret { quote!(cli::Flag::secret(#flag)) } else { quote!(cli::Flag::plain(#flag)) };
        match &o.default {
            Some(default) => quote!(#made.with_default(#default)),
            None => made,
        }
    });
    quote! {
        #(#![doc = #doc])*
        #uses
        use triad_runtime::cli::{self, Failure};

        const HELP: &str = #help;
        /// The options, as `cli::Args` reads them.
        const FLAGS: &[cli::Flag] = &[#(#flags),*];

        #items

        #[tokio::main(#flavor)]
        async fn main() -> std::process::ExitCode {
            cli::main(HELP, FLAGS, run).await
        }

        #run
    }
}

//! The `triad` command line: generating crates from a codegen config (`triad CONFIG --out
//! DIR`) or from spec files alone (`triad generate`), writing a starting config (`triad init`)
//! and comparing two versions of an API (`triad diff OLD NEW`).
//!
//! The binary (`src/main.rs`) only sets up the process and calls [`main`]; everything here is a
//! library function so tests drive it in-process.

pub mod diff;
pub mod oneshot;
mod version;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use diff::compare;
pub use version::{Loaded, Source, in_memory, load_version};

use crate::{Provenance, sync};

/// Generate Rust crates from OpenAPI/AsyncAPI specs described by a codegen config.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    generate: GenerateArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Compare two versions of an API: what changed in each generated crate's Rust API and on
    /// the wire, and which version each crate needs next.
    Diff(diff::DiffArgs),
    /// Generate crates from spec files with every setting's default, without a config.
    Generate(oneshot::GenerateArgs),
    /// Write a commented codegen config for spec files: the defaults, spelled out, and what the
    /// specs hold (auth schemes, pagination candidates, webhooks, channels).
    Init(oneshot::InitArgs),
}

/// `triad CONFIG --out DIR`.
#[derive(clap::Args)]
struct GenerateArgs {
    /// The codegen config (YAML) naming the spec files.
    #[arg(required = true)]
    config: Option<PathBuf>,
    /// Directory the crates are written into (one sub-directory per crate), for one config.
    /// triad lists the files it writes in `DIR/.triad-generated` and only ever replaces or
    /// deletes those.
    #[arg(long, short, required = true)]
    out: Option<PathBuf>,
    /// The folder every spec file, overlay and `$ref` target must lie under (default: the
    /// config's folder, or the `root:` setting of the config).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Write nothing (except finishing a write a killed run left unfinished); exit with status
    /// 1 if the output is out of date.
    #[arg(long)]
    check: bool,
    /// Treat warnings (ignored or guessed input) as errors: print them and exit with status 2
    /// without writing anything.
    #[arg(long)]
    deny_warnings: bool,
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    run(Cli::parse())
}

/// Parses `args` (the first being the program name) and runs the command: its exit status, `2`
/// for arguments that do not parse (the usage error is printed).
pub fn run_from<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => status(run(cli)),
        Err(e) => {
            let _ = e.print();
            2
        }
    }
}

/// The status an [`ExitCode`] made by this module stands for.
fn status(code: ExitCode) -> u8 {
    [0, 1, 2].into_iter().find(|n| ExitCode::from(*n) == code).unwrap_or(2)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Diff(args)) => diff::run(&args),
        Some(Command::Generate(args)) => oneshot::generate(&args),
        Some(Command::Init(args)) => oneshot::init(&args),
        None => generate(&cli.generate),
    }
}

fn generate(args: &GenerateArgs) -> ExitCode {
    let (Some(config), Some(out)) = (&args.config, &args.out) else {
        eprintln!("error: a codegen config and --out are required");
        return ExitCode::from(2);
    };
    let source = config.to_string_lossy().replace('\\', "/");
    let loaded = match load_version(&version::Source::Work(source.clone()), args.root.as_deref()) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let provenance = Provenance { source: source.clone(), command: format!("triad {source} --out {}", out.display()) };
    let files = match loaded.generate(&provenance) {
        Ok(generated) => {
            if !generated.warnings.is_empty() {
                eprintln!("{}", crate::diag::Diagnostics::new(generated.warnings));
                if args.deny_warnings {
                    eprintln!("warnings are denied (--deny-warnings): nothing written");
                    return ExitCode::from(2);
                }
            }
            generated.files
        }
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
    finish(if args.check { sync::diff(out, &files) } else { sync::write(out, &files) }, args.check)
}

/// Reports what a write (or, with `check`, a comparison) of generated files found.
fn finish(result: Result<Vec<sync::Drift>, sync::Error>, check: bool) -> ExitCode {
    match result {
        Ok(drift) if check && !drift.is_empty() => {
            for d in &drift {
                eprintln!("{d}");
            }
            eprintln!("output is out of date; run without --check to update it");
            ExitCode::from(1)
        }
        Ok(drift) => {
            // After a write, what it did to each file.
            for d in &drift {
                match d {
                    sync::Drift::Missing(path) => println!("created: {path}"),
                    sync::Drift::Stale(path) => println!("updated: {path}"),
                    sync::Drift::Orphan(path) => println!("deleted: {path}"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

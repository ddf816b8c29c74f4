//! The `triad` command: generate crates from a codegen config outside this repository.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use triad::config::Config;
use triad::load::FsReader;
use triad::{Provenance, sync};

/// Generate Rust crates from OpenAPI/AsyncAPI specs described by a codegen config.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The codegen config (YAML) naming the spec files.
    config: PathBuf,
    /// Directory the crates are written into (one sub-directory per crate).
    #[arg(long, short)]
    out: PathBuf,
    /// Write nothing; exit with status 1 if the output is out of date.
    #[arg(long)]
    check: bool,
    /// Treat warnings (ignored or guessed input) as errors: print them and exit with status 2
    /// without writing anything.
    #[arg(long)]
    deny_warnings: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config_path = args.config.to_string_lossy().replace('\\', "/");
    let text = match std::fs::read_to_string(&args.config) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {config_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::parse(&config_path, &text) {
        Ok(config) => config,
        Err(diags) => {
            eprintln!("{}", triad::diag::Diagnostics::new(diags));
            return ExitCode::from(2);
        }
    };
    let dir = match config_path.rfind('/') {
        Some(i) => config_path[..i].to_owned(),
        None => ".".to_owned(),
    };
    let provenance = Provenance {
        source: config_path.clone(),
        command: format!("triad {config_path} --out {}", args.out.display()),
    };
    let files = match triad::generate(&config, &dir, &FsReader::default(), &provenance) {
        Ok(generated) => {
            if !generated.warnings.is_empty() {
                eprintln!("{}", triad::diag::Diagnostics::new(generated.warnings));
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
    let owned: Vec<String> = files
        .keys()
        .filter_map(|p| p.split('/').next())
        .map(str::to_owned)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let result =
        if args.check { sync::diff(&args.out, &files, &owned) } else { sync::write(&args.out, &files, &owned) };
    match result {
        Ok(drift) if args.check && !drift.is_empty() => {
            for d in &drift {
                eprintln!("{d}");
            }
            eprintln!("output is out of date; run without --check to update it");
            ExitCode::from(1)
        }
        Ok(drift) => {
            for d in &drift {
                println!("{d}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

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
    /// Directory the crates are written into (one sub-directory per crate), for one config.
    /// triad lists the files it writes in `DIR/.triad-generated` and only ever replaces or
    /// deletes those.
    #[arg(long, short)]
    out: PathBuf,
    /// Write nothing (except finishing a write a killed run left unfinished); exit with status
    /// 1 if the output is out of date.
    #[arg(long)]
    check: bool,
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
        Ok(files) => files,
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
    let result = if args.check { sync::diff(&args.out, &files) } else { sync::write(&args.out, &files) };
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

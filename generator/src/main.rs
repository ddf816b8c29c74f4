//! The `triad` command: generate crates from a codegen config outside this repository.

// The same panic-free lints as the library's root: crate-level attributes cannot be shared
// between two crate roots.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use triad::config::Config;
use triad::load::FsReader;
use triad::{Provenance, sync};

// The generator allocates many small token trees; mimalloc makes that markedly cheaper.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// The folder every spec file and `$ref` target must lie under (default: the config's
    /// folder, or the `root:` setting of the config).
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

fn main() -> ExitCode {
    // A run is short: transparent huge pages only make the kernel zero 2 MiB at the first touch
    // of each of the allocator's arenas, which costs about as much system time as the whole
    // generation takes in user time.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let args = Args::parse();
    let config_path = args.config.to_string_lossy().replace('\\', "/");
    let mut config = match Config::from_file(&args.config, &config_path) {
        Ok(config) => config,
        Err(diags) => {
            eprintln!("{}", triad::diag::Diagnostics::new(diags));
            return ExitCode::from(2);
        }
    };
    // Spec paths are read relative to a base folder: the working directory when the spec root
    // lies under it (so messages show paths as the user typed them), else the root itself.
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().replace('\\', "/")).unwrap_or_default();
    let absolute =
        |p: &str| triad::load::normalize_path(&if p.starts_with('/') { p.to_owned() } else { format!("{cwd}/{p}") });
    let config_dir = absolute(config_path.rsplit_once('/').map_or(".", |(dir, _)| dir));
    let root = match &args.root {
        Some(root) => absolute(&root.to_string_lossy().replace('\\', "/")),
        None => triad::load::join_path(&format!("{config_dir}/"), config.root.as_deref().unwrap_or(".")),
    };
    config.root = Some(triad::load::relative_path(&config_dir, &root));
    let base = if triad::load::relative_path(&cwd, &root).starts_with("..") { root.clone() } else { cwd.clone() };
    let dir = match triad::load::relative_path(&base, &config_dir) {
        d if d == "." => String::new(),
        d => d,
    };
    let provenance = Provenance {
        source: config_path.clone(),
        command: format!("triad {config_path} --out {}", args.out.display()),
    };
    let files = match triad::generate(&config, &dir, &FsReader::new(&base), &provenance) {
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

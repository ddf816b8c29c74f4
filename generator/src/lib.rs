//! triad: generates Rust crates from API specifications.
//!
//! One spec set (OpenAPI 3.0/3.1 for operations and webhooks, AsyncAPI 2.6/3.0 for WebSocket
//! channels) plus a small codegen config becomes a types crate (and, built on the same IR, the
//! client and server crates). The pipeline is
//!
//! ```text
//! files --load--> node trees --lower--> ir::Api --emit--> path → bytes
//! ```
//!
//! [`generate`] runs it. Loading reads through a [`load::SourceReader`]; nothing after loading
//! touches the file system. Writing the result is the caller's job ([`sync`] helps).

pub mod check;
pub mod config;
pub mod diag;
pub mod emit;
pub mod ir;
pub mod load;
pub mod lower;
pub mod naming;
pub mod node;
pub mod sync;

use config::Config;
use diag::{Diagnostic, Diagnostics, Location};
use load::{SourceReader, Workspace};

pub use emit::{Files, Provenance};

/// What [`generate`] produced: the files, and warnings about input it ignored or guessed at.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    /// Every file of every crate, keyed by path relative to the output directory.
    pub files: Files,
    /// Warnings (severity [`diag::Severity::Warning`]), sorted by position.
    pub warnings: Vec<Diagnostic>,
}

/// Loads the specs named by `config` (paths relative to `config_dir`) and lowers them to the IR.
pub fn load(config: &Config, config_dir: &str, reader: &dyn SourceReader) -> Result<ir::Api, Diagnostics> {
    load_with_warnings(config, config_dir, reader).map(|(api, _)| api)
}

/// [`load`], also returning the warnings of lowering.
fn load_with_warnings(
    config: &Config,
    config_dir: &str,
    reader: &dyn SourceReader,
) -> Result<(ir::Api, Vec<Diagnostic>), Diagnostics> {
    let mut entries: Vec<String> = config
        .specs
        .iter()
        .map(|s| {
            if config_dir.is_empty() { load::normalize_path(s) } else { load::join_path(&format!("{config_dir}/"), s) }
        })
        .collect();
    // The order files are listed in must not change the output.
    entries.sort();
    entries.dedup();
    let workspace = Workspace::load(&entries, reader).map_err(Diagnostics::new)?;
    let (api, warnings) = lower::lower(&workspace, config).map_err(Diagnostics::new)?;
    let problems = check::config_against_api(config, &api);
    if problems.is_empty() { Ok((api, warnings)) } else { Err(Diagnostics::new(problems)) }
}

/// Loads, lowers and emits: every file of every crate for one API, with the warnings about
/// input that was ignored or guessed at.
pub fn generate(
    config: &Config,
    config_dir: &str,
    reader: &dyn SourceReader,
    provenance: &Provenance,
) -> Result<Generated, Diagnostics> {
    let (api, warnings) = load_with_warnings(config, config_dir, reader)?;
    let files = emit::emit(&api, config, provenance).map_err(|message| {
        Diagnostics::from(Diagnostic::new(Location::file(&provenance.source), format!("emission failed: {message}")))
    })?;
    let warnings = if warnings.is_empty() { warnings } else { Diagnostics::new(warnings).0 };
    Ok(Generated { files, warnings })
}

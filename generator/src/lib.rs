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

/// Loads the specs named by `config` (paths relative to `config_dir`) and lowers them to the IR.
pub fn load(config: &Config, config_dir: &str, reader: &dyn SourceReader) -> Result<ir::Api, Diagnostics> {
    let listed: Vec<String> = config
        .specs
        .iter()
        .map(|s| {
            if config_dir.is_empty() { load::normalize_path(s) } else { load::join_path(&format!("{config_dir}/"), s) }
        })
        .collect();
    // The order files are listed in must not change the output.
    let mut entries = listed.clone();
    entries.sort();
    entries.dedup();
    let workspace = Workspace::load(&entries, reader)
        .map_err(|diags| Diagnostics::new(diags.into_iter().map(|d| at_config_entry(d, config, &listed)).collect()))?;
    let api = lower::lower(&workspace, config).map_err(Diagnostics::new)?;
    let problems = check::config_against_api(config, &api);
    if problems.is_empty() { Ok(api) } else { Err(Diagnostics::new(problems)) }
}

/// A spec file the config lists but that cannot be read is reported where the config lists it
/// (the file itself has no line to point at), when the config came from a file.
fn at_config_entry(diagnostic: Diagnostic, config: &Config, listed: &[String]) -> Diagnostic {
    let Some(reason) = diagnostic.message.strip_prefix("cannot read the file") else { return diagnostic };
    let Some(i) = listed.iter().position(|path| Location::file(path) == diagnostic.location) else {
        return diagnostic;
    };
    match config.origins.get(&format!("/specs/{i}")) {
        Some(origin) => Diagnostic {
            location: origin.clone(),
            message: format!("cannot read the spec file `{}`{reason}", listed[i]),
            expected: Some("a path relative to the config file".into()),
            ..diagnostic
        },
        None => diagnostic,
    }
}

/// Loads, lowers and emits: every file of every crate for one API.
pub fn generate(
    config: &Config,
    config_dir: &str,
    reader: &dyn SourceReader,
    provenance: &Provenance,
) -> Result<Files, Diagnostics> {
    let api = load(config, config_dir, reader)?;
    emit::emit(&api, config, provenance).map_err(|message| {
        Diagnostics::from(Diagnostic::new(Location::file(&provenance.source), format!("emission failed: {message}")))
    })
}

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

// The generator takes untrusted input: no code path may panic. Each remaining exception carries
// an `allow` with the reason it cannot fail.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod analyze;
pub mod build;
pub mod check;
pub mod cli;
pub mod config;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod ir;
pub mod load;
pub mod lower;
pub mod naming;
pub mod node;
pub mod overlay;
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

/// Loads the specs named by `config` (paths relative to `config_dir`), applies its overlays, and
/// lowers them to the IR.
///
/// Every file read must lie under the spec root: `config.root` (relative to `config_dir`), or
/// `config_dir` itself when the config sets none.
pub fn load(config: &Config, config_dir: &str, reader: &dyn SourceReader) -> Result<ir::Api, Diagnostics> {
    load_with_warnings(config, config_dir, reader).map(|(api, _)| api)
}

/// [`load`], also returning the warnings of lowering.
fn load_with_warnings(
    config: &Config,
    config_dir: &str,
    reader: &dyn SourceReader,
) -> Result<(ir::Api, Vec<Diagnostic>), Diagnostics> {
    let in_config_dir = |path: &str| {
        if config_dir.is_empty() {
            load::normalize_path(path)
        } else {
            load::join_path(&format!("{config_dir}/"), path)
        }
    };
    let root = in_config_dir(config.root.as_deref().unwrap_or("."));
    if root == ".." || root.starts_with("../") {
        let d = Diagnostic::new(
            config.origin("/root"),
            format!("the spec root `{root}` lies above the folder specs are read from"),
        )
        .expected("a root inside the reader's base folder (the `triad` command picks the base itself)");
        return Err(Diagnostics::from(d));
    }
    let mut entries = Vec::new();
    let mut overlays = Vec::new();
    let mut problems = Vec::new();
    let shown = if root.is_empty() { "." } else { root.as_str() };
    let listed_files = config.specs.iter().map(|spec| ("specs", spec)).enumerate();
    let overlay_files = config.overlays.iter().map(|overlay| ("overlays", overlay)).enumerate();
    for (i, (key, file)) in listed_files.chain(overlay_files) {
        let path = in_config_dir(file);
        let listed_at = config.origin(&format!("/{key}/{i}"));
        if !load::is_under(&root, &path) {
            problems.push(
                Diagnostic::new(listed_at, format!("`{file}` lies outside the spec root `{shown}`")).expected(
                    "a file under the spec root; set `root:` in the codegen config (or pass `--root`) to widen it",
                ),
            );
        } else if key == "specs" {
            entries.push(path);
        } else {
            overlays.push(load::OverlayFile { path, listed_at });
        }
    }
    if !problems.is_empty() {
        return Err(Diagnostics::new(problems));
    }
    let listed = entries.clone();
    // The order files are listed in must not change the output.
    entries.sort();
    entries.dedup();
    let options = load::LoadOptions { root, limits: config.limits, overlays };
    let workspace = Workspace::load(&entries, reader, &options)
        .map_err(|diags| Diagnostics::new(diags.into_iter().map(|d| at_config_entry(d, config, &listed)).collect()))?;
    let (api, warnings) = lower::lower(&workspace, config).map_err(Diagnostics::new)?;
    let problems = check::config_against_api(config, &api);
    if problems.is_empty() { Ok((api, warnings)) } else { Err(Diagnostics::new(problems)) }
}

/// A spec file the config lists but that cannot be read is reported where the config lists it
/// (the file itself has no line to point at).
fn at_config_entry(diagnostic: Diagnostic, config: &Config, listed: &[String]) -> Diagnostic {
    let Some(i) = listed.iter().position(|path| Location::file(path) == diagnostic.location) else {
        return diagnostic;
    };
    if !diagnostic.message.starts_with("cannot read") {
        return diagnostic;
    }
    match config.origins.get(&format!("/specs/{i}")) {
        Some(origin) => Diagnostic { location: origin.clone(), ..diagnostic },
        None => diagnostic,
    }
}

/// Loads, lowers and emits: every file of every crate for one API, with the warnings about
/// input that was ignored or guessed at.
pub fn generate(
    config: &Config,
    config_dir: &str,
    reader: &dyn SourceReader,
    provenance: &Provenance,
) -> Result<Generated, Diagnostics> {
    build(config, config_dir, reader, provenance).map(|(_, generated)| generated)
}

/// [`generate`], also returning the API the files were generated from.
pub fn build(
    config: &Config,
    config_dir: &str,
    reader: &dyn SourceReader,
    provenance: &Provenance,
) -> Result<(ir::Api, Generated), Diagnostics> {
    let (api, mut warnings) = load_with_warnings(config, config_dir, reader)?;
    warnings.extend(emit::warnings(&api, config));
    let files = emit::emit(&api, config, provenance).map_err(|error| {
        let location = match &error {
            emit::EmitError::Item { location, .. } => location.clone(),
            _ => Location::file(&provenance.source),
        };
        Diagnostics::from(Diagnostic::new(location, format!("emission failed: {error}")))
    })?;
    let warnings = if warnings.is_empty() { warnings } else { Diagnostics::new(warnings).0 };
    Ok((api, Generated { files, warnings }))
}

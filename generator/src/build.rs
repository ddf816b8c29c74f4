//! Generating from a build script: the types of an API into `OUT_DIR`, for a crate that
//! `include!`s them, rerun only when the config or a file it read changes.
//!
//! In `build.rs`'s `main`:
//!
//! ```no_run
//! triad::build::types("api/codegen.yaml");
//! ```
//!
//! In `src/lib.rs` (for a types crate named `api-types`):
//!
//! ```text
//! include!(concat!(env!("OUT_DIR"), "/api_types.rs"));
//! ```
//!
//! The including crate needs the dependencies the types crate's manifest would list (serde,
//! serde_json, `triad-runtime`, and uuid or the calendar feature when the API has such fields).
//! The file holds the items of the types crate's `lib.rs` without its crate-level attributes
//! and documentation, which `include!` cannot take.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use crate::cli::{Source, load_version};
use crate::load::{ReadError, SourceReader};

/// What [`types_into`] wrote and read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// The file written (`OUT/<crate name with _>.rs`).
    pub file: PathBuf,
    /// Every file read to produce it: the config, the specs and every `$ref` target, as
    /// absolute paths, sorted.
    pub inputs: Vec<PathBuf>,
    /// Warnings about input that was ignored or guessed at.
    pub warnings: Vec<String>,
}

/// For `build.rs`: generates the types of the API that `config` (relative to the crate's
/// manifest folder) describes into `OUT_DIR`, and prints `cargo:rerun-if-changed` for every
/// file read and `cargo:warning` for every warning. Exits the build script with the located
/// errors when the specs or the config are wrong.
pub fn types(config: &str) {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let out = std::env::var_os("OUT_DIR").map(PathBuf::from).unwrap_or_default();
    match types_into(&manifest.join(config), &out) {
        Ok(output) => {
            for input in &output.inputs {
                println!("cargo:rerun-if-changed={}", input.display());
            }
            for warning in &output.warnings {
                for line in warning.lines() {
                    println!("cargo:warning={line}");
                }
            }
        }
        Err(message) => {
            eprintln!("{message}");
            // The config and everything it named so far stay watched, so fixing them reruns.
            println!("cargo:rerun-if-changed={}", manifest.join(config).display());
            std::process::exit(1);
        }
    }
}

/// Generates the types crate of `config` into `out` (see the module docs); the file is only
/// rewritten when its bytes change.
pub fn types_into(config: &Path, out: &Path) -> Result<Output, String> {
    let config = config.canonicalize().map_err(|e| format!("{}: {e}", config.display()))?;
    let shown = config.display().to_string();
    let loaded = load_version(&Source::Work(shown.clone()), None)?;
    let base = loaded.base().to_owned();
    let recording = Recording { inner: loaded.reader(), read: RefCell::new(Vec::new()) };
    let provenance = crate::Provenance { source: shown.clone(), command: "cargo build (build script)".into() };
    let generated =
        crate::generate(&loaded.config, loaded.dir(), &recording, &provenance).map_err(|d| d.to_string())?;
    let name = &loaded.config.types_crate.name;
    let lib = generated
        .files
        .get(&format!("{name}/src/lib.rs"))
        .ok_or_else(|| format!("{shown}: the config generates no types crate"))?;
    let file = out.join(format!("{}.rs", name.replace('-', "_")));
    let text = includable(lib);
    if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    let mut inputs: Vec<PathBuf> = recording.read.into_inner().iter().map(|p| base.join(p)).collect();
    inputs.push(config);
    inputs.sort();
    inputs.dedup();
    let warnings = generated.warnings.iter().map(ToString::to_string).collect();
    Ok(Output { file, inputs, warnings })
}

/// A `lib.rs` as items `include!` accepts: without inner attributes, inner doc comments and
/// the item that runs the crate's README as doctests.
fn includable(lib: &str) -> String {
    let mut out = String::with_capacity(lib.len());
    let mut in_attribute = false;
    // The README's doctests are an item of the types crate only (they include its README).
    let mut in_readme_doctests = false;
    for line in lib.lines() {
        let trimmed = line.trim_start();
        if trimmed == "#[cfg(doctest)]" {
            in_readme_doctests = true;
        }
        if in_readme_doctests {
            in_readme_doctests = !trimmed.starts_with("pub struct ReadmeDoctests");
            continue;
        }
        if in_attribute {
            in_attribute = !trimmed.ends_with(")]");
            continue;
        }
        if trimmed.starts_with("//!") {
            continue;
        }
        if trimmed.starts_with("#![") {
            in_attribute = !trimmed.ends_with(']');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A reader that remembers every path asked for, found or not (a missing `$ref` target that
/// appears later must rerun the build too).
struct Recording {
    inner: Box<dyn SourceReader>,
    read: RefCell<Vec<String>>,
}

impl SourceReader for Recording {
    fn read(&self, path: &str, root: &str, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        self.read.borrow_mut().push(path.to_owned());
        self.inner.read(path, root, max_bytes)
    }
}

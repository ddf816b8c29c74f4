//! Shared pieces of the xtask commands, also used by the test suite.

use std::path::Path;

use triad::config::Config;
use triad::load::FsReader;
use triad::{Files, Provenance};

pub mod import;

/// The scratch folder of an xtask command: `$ENV` when set, else `NAME` under this checkout's
/// target directory (`CARGO_TARGET_DIR` or `target/`). Each checkout has its own, so two runs of
/// the same command from two clones never rewrite each other's crates.
pub fn scratch_dir(env: &str, name: &str) -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os(env) {
        return dir.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).join("target"));
    target.join(name)
}

/// Generates the crates of every API under `spec/` (each folder with a `codegen.yaml`), keyed by
/// path relative to `generated/`. Spec paths in diagnostics are relative to `root`.
pub fn generate_all(root: &Path) -> Result<Files, String> {
    let mut configs: Vec<String> = std::fs::read_dir(root.join("spec"))
        .map_err(|e| format!("cannot list spec/: {e}"))?
        .filter_map(Result::ok)
        .filter(|e| e.path().join("codegen.yaml").is_file())
        .map(|e| format!("spec/{}/codegen.yaml", e.file_name().to_string_lossy()))
        .collect();
    configs.sort();
    let mut files = Files::new();
    for config_path in configs {
        let config = Config::from_file(&root.join(&config_path), &config_path)
            .map_err(|d| triad::diag::Diagnostics::new(d).to_string())?;
        let dir = config_path.trim_end_matches("/codegen.yaml");
        let provenance = Provenance { source: config_path.clone(), command: "cargo xtask codegen".into() };
        let generated = triad::generate(&config, dir, &FsReader::new(root), &provenance).map_err(|d| d.to_string())?;
        if !generated.warnings.is_empty() {
            eprintln!("{}", triad::diag::Diagnostics::new(generated.warnings));
        }
        for (path, content) in generated.files {
            if files.insert(path.clone(), content).is_some() {
                return Err(format!("two APIs generate `{path}`: give their crates different names"));
            }
        }
    }
    Ok(files)
}

pub mod diff_pairs;

/// Says why `generated/` drifted, per API: `triad diff` between the specs as they were when the
/// drifted crates were last committed and the specs now, or that the specs did not change the
/// API (so the generator did).
pub fn explain_drift(root: &Path, drift: &[triad::sync::Drift]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let paths: Vec<String> = drift
        .iter()
        .map(|d| match d {
            triad::sync::Drift::Missing(p) | triad::sync::Drift::Stale(p) | triad::sync::Drift::Orphan(p) => p.clone(),
        })
        .collect();
    let Ok(listing) = std::fs::read_dir(root.join("spec")) else { return out };
    let mut configs: Vec<std::path::PathBuf> =
        listing.filter_map(Result::ok).map(|e| e.path().join("codegen.yaml")).filter(|p| p.is_file()).collect();
    configs.sort();
    for config_path in configs {
        let Ok(config) = triad::config::Config::from_file(&config_path, &config_path.display().to_string()) else {
            continue;
        };
        let crates = [&config.types_crate.name, &config.client.krate.name, &config.server.krate.name];
        let touched: Vec<&String> =
            crates.into_iter().filter(|c| paths.iter().any(|p| p.starts_with(&format!("{c}/")))).collect();
        if touched.is_empty() {
            continue;
        }
        let mut log = std::process::Command::new("git");
        log.current_dir(root).args(["log", "-1", "--format=%h", "--"]);
        log.args(touched.iter().map(|c| format!("generated/{c}")));
        let rev = log.output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
        let shown = config_path.strip_prefix(root).unwrap_or(&config_path).display().to_string();
        if rev.is_empty() {
            let _ = writeln!(
                out,
                "{shown}: its crates were never committed, so there is no earlier version to compare with"
            );
            continue;
        }
        let old = triad::cli::Source::Git { rev: rev.clone(), path: config_path.display().to_string() };
        let new = triad::cli::Source::Work(config_path.display().to_string());
        match triad::cli::compare(&old, &new, None) {
            Ok(report) if report.crates.iter().all(|c| c.changes.is_empty()) => {
                let _ = writeln!(
                    out,
                    "{shown}: the API is the same as when its crates were last committed ({rev}): the difference comes from the generator"
                );
            }
            Ok(report) => {
                let _ = writeln!(out, "{shown}: what changed in the API since its crates were last committed ({rev}):");
                out.push_str(&triad::diff::render::text(&report));
            }
            Err(e) => {
                let _ = writeln!(out, "{shown}: cannot compare with {rev}: {e}");
            }
        }
    }
    out
}

/// A throw-away cargo workspace for building generated crates outside the repository.
pub mod scratch {
    use std::fmt::Write as _;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    use triad::Files;

    /// Replaces the crates of the scratch workspace at `dir` with `files` (paths start with the
    /// crate directory) and writes a workspace manifest listing every crate.
    pub fn prepare(dir: &Path, files: &Files) -> Result<Vec<String>, String> {
        // Named after the scratch workspace: cargo names a workspace member's artifacts after
        // its path relative to the workspace root, and every scratch workspace builds into one
        // target directory, so two workspaces' crates of one name must not share a path.
        let folder = format!("crates-{}", dir.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        let crates_dir = dir.join(&folder);
        match std::fs::remove_dir_all(&crates_dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot clear {}: {e}", crates_dir.display())),
        }
        std::fs::create_dir_all(&crates_dir).map_err(|e| e.to_string())?;
        triad::sync::write(&crates_dir, files).map_err(|e| e.to_string())?;
        let mut crates: Vec<String> = files.keys().filter_map(|p| p.split('/').next()).map(str::to_owned).collect();
        crates.dedup();
        let members: Vec<String> = crates.iter().map(|c| format!("\"{folder}/{c}\"")).collect();
        // Built to be tested and linted, not debugged: line tables for the crates, nothing for
        // their dependencies.
        let manifest = format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\ndebug = false\n",
            members.join(", ")
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
        // The versions this repository's lock file holds, so the crates build against what
        // the workspace was tested with (cargo adds what it lacks and drops what is unused).
        let lock = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).join("Cargo.lock");
        std::fs::copy(&lock, dir.join("Cargo.lock")).map_err(|e| format!("cannot copy {}: {e}", lock.display()))?;
        Ok(crates)
    }

    /// Builds and runs the tests of one crate of the scratch workspace, warnings denied.
    pub fn test(dir: &Path, krate: &str) -> Result<(), String> {
        cargo(dir, &["test", "--quiet", "-p", krate])
    }

    /// Builds one crate, then lints it with clippy and documents it with rustdoc, all with
    /// warnings denied; names the first step that fails.
    pub fn build_lint_doc(dir: &Path, krate: &str) -> Result<(), String> {
        cargo(dir, &["build", "--quiet", "-p", krate]).map_err(|e| format!("build failed:\n{e}"))?;
        cargo(dir, &["clippy", "--quiet", "-p", krate, "--", "-D", "warnings"])
            .map_err(|e| format!("clippy failed:\n{e}"))?;
        cargo(dir, &["doc", "--quiet", "--no-deps", "-p", krate]).map_err(|e| format!("rustdoc failed:\n{e}"))
    }

    /// Runs the doctests of one crate (its README's usage example), warnings denied.
    pub fn doc_test(dir: &Path, krate: &str) -> Result<(), String> {
        cargo(dir, &["test", "--quiet", "--doc", "-p", krate]).map_err(|e| format!("doctests failed:\n{e}"))
    }

    /// Lints one crate and its examples with clippy, warnings denied, built without its default
    /// features and with `feature` alone (none when empty).
    pub fn lint_with_features(dir: &Path, krate: &str, feature: &str) -> Result<(), String> {
        let mut args = vec!["clippy", "--quiet", "-p", krate, "--all-targets", "--no-default-features"];
        if !feature.is_empty() {
            args.extend(["--features", feature]);
        }
        args.extend(["--", "-D", "warnings"]);
        cargo(dir, &args)
    }

    /// How many doctests rustdoc collects from one crate (none are run).
    pub fn doctests(dir: &Path, krate: &str) -> Result<usize, String> {
        let output = cargo_output(dir, &["test", "--doc", "-p", krate, "--", "--list", "--format", "terse"])?;
        Ok(output.lines().filter(|l| l.ends_with(": test")).count())
    }

    /// Runs cargo in the scratch workspace with warnings denied; on failure, returns the first
    /// lines of its output.
    fn cargo(dir: &Path, args: &[&str]) -> Result<(), String> {
        cargo_output(dir, args).map(drop)
    }

    /// [`cargo`], returning standard output on success.
    fn cargo_output(dir: &Path, args: &[&str]) -> Result<String, String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // One target directory for every scratch workspace: their dependencies are compiled
        // once, whichever test or command builds first.
        let target: PathBuf = super::scratch_dir("TRIAD_SCRATCH_TARGET", "triad-scratch-target");
        let output = Command::new(cargo)
            .current_dir(dir)
            .env("RUSTFLAGS", "-D warnings")
            .env("RUSTDOCFLAGS", "-D warnings")
            .env("CARGO_TARGET_DIR", target)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        Err(text.lines().take(80).fold(String::new(), |mut s, l| {
            let _ = writeln!(s, "    {l}");
            s
        }))
    }
}

/// The APIs of a corpus folder and their codegen configs, shared by `cargo xtask corpus` and
/// the test suite.
pub mod corpus {
    use std::path::{Path, PathBuf};

    use triad::config::Config;

    /// One API of the corpus: a name, its spec files (relative to the corpus directory), and the
    /// folder's `codegen.yaml` when it has one.
    pub struct Entry {
        /// The file or folder name.
        pub name: String,
        /// Spec files relative to the corpus folder (empty when `config` names them).
        pub specs: Vec<String>,
        /// The folder's `codegen.yaml`, if it has one.
        pub config: Option<PathBuf>,
    }

    /// Every API of the corpus folder `dir`, sorted by name: each spec file, each folder with a
    /// `codegen.yaml` (which names the folder's entry documents, so fragments beside them are not
    /// taken for APIs), and each other folder holding spec files (all of them one API).
    pub fn entries(dir: &Path) -> Result<Vec<Entry>, String> {
        let is_spec = |p: &Path| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"));
        let mut out = Vec::new();
        let listing = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in listing.filter_map(Result::ok) {
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() && path.join("codegen.yaml").is_file() {
                out.push(Entry { name: file_name, specs: Vec::new(), config: Some(path.join("codegen.yaml")) });
            } else if path.is_dir() {
                let mut specs: Vec<String> = std::fs::read_dir(&path)
                    .map_err(|e| e.to_string())?
                    .filter_map(Result::ok)
                    .filter(|e| is_spec(&e.path()))
                    .map(|e| format!("{file_name}/{}", e.file_name().to_string_lossy()))
                    .collect();
                specs.sort();
                if !specs.is_empty() {
                    out.push(Entry { name: file_name, specs, config: None });
                }
            } else if is_spec(&path) {
                let stem = file_name.rsplit_once('.').map(|(s, _)| s.to_owned()).unwrap_or(file_name.clone());
                out.push(Entry { name: stem, specs: vec![file_name], config: None });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The codegen config of `entry` and the folder its spec paths are relative to (within the
    /// corpus folder): the folder's `codegen.yaml` as written, or a default config over the
    /// entry's spec files with crate names derived from the entry name.
    pub fn config(entry: &Entry) -> Result<(Config, String), String> {
        match &entry.config {
            Some(path) => {
                let shown = format!("{}/codegen.yaml", entry.name);
                Config::from_file(path, &shown)
                    .map(|config| (config, entry.name.clone()))
                    .map_err(|d| format!("bad codegen.yaml:\n{}", triad::diag::Diagnostics::new(d)))
            }
            None => {
                let base = crate_base(&entry.name);
                let mut config = Config::for_name(&base, entry.specs.clone());
                config.types_crate.name = format!("{base}-types");
                config.client.krate.name = format!("{base}-client");
                config.server.krate.name = format!("{base}-server");
                Ok((config, String::new()))
            }
        }
    }

    /// A crate name from an entry name: lowercase, `-` separated.
    pub fn crate_base(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_matches('-').to_owned()
    }
}

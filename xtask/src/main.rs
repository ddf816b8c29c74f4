//! Project automation, run as `cargo xtask <command>`:
//!
//! - `codegen [--check]`: regenerate `generated/` from every `spec/*/codegen.yaml`, writing only
//!   files whose bytes change; with `--check`, write nothing and fail naming stale or orphaned files.
//! - `corpus DIR`: generate every crate the generator can make for each API in DIR (a file, or
//!   a folder of spec files forming one API) into a scratch workspace outside the repository,
//!   build, lint (clippy), document (rustdoc) and run the doctests of it with warnings denied, and
//!   print one row per API;
//!   `--only TEXT` (repeatable) keeps the APIs whose name contains one of the texts.
//! - `import-mews [--check] DIR`: import the structure of the Mews Connector API from the
//!   provider's OpenAPI files in DIR into `spec/mews/connector/openapi.yaml` (see
//!   `xtask::import`); with `--check`, write nothing and fail when the file differs.
//! - `bench`: run the criterion benchmarks.
//! - `client-cost [--corpus DIR] [--rounds N] [--runs N]`: the whole Mews Connector API's client
//!   against oas3-gen's (lines, dev build time, generation time); see `client_cost.rs`.
//! - `compile-cost [DIR] [--rounds N]`: time the dev build of our types crate for the API in DIR
//!   (default: the corpus' Mews Connector API) against oas3-gen's `types` output for the same
//!   merged file, and print medians, their ratio and line counts.
//! - `semver-oracle [--corpus DIR] [--only NAME]...`: check `triad diff`'s verdicts on the Rust
//!   API against cargo-semver-checks on the crates generated from pairs of spec versions
//!   (`diff_pairs.rs`); opt-in, since it builds every pair's crates twice.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod client_cost;
mod compile_cost;
mod corpus;
mod semver_oracle;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen(args[1..].iter().any(|a| a == "--check")),
        Some("corpus") => match args.get(1) {
            Some(dir) => {
                let only: Vec<String> = args[2..]
                    .windows(2)
                    .filter(|pair| pair[0] == "--only")
                    .map(|pair| pair[1].clone())
                    .collect();
                corpus::run(Path::new(dir), &only)
            }
            None => Err("usage: cargo xtask corpus DIR".into()),
        },
        Some("import-mews") => import_mews(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("client-cost") => client_cost::run(&project_root(), &args[1..]),
        Some("compile-cost") => compile_cost::run(&args[1..], &project_root()),
        Some("semver-oracle") => semver_oracle::run(&project_root(), &args[1..]),
        _ => Err("usage: cargo xtask <codegen [--check] | import-mews [--check] DIR | corpus DIR [--only TEXT]... | bench [criterion args] | client-cost [--corpus DIR] [--rounds N] [--runs N] | compile-cost [DIR] [--rounds N] | semver-oracle [--corpus DIR] [--only NAME]...>".into()),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The repository root.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn codegen(check: bool) -> Result<ExitCode, String> {
    let root = project_root();
    let files = xtask::generate_all(&root)?;
    let out = root.join("generated");
    if check {
        let drift = triad::sync::diff(&out, &files).map_err(|e| e.to_string())?;
        if drift.is_empty() {
            println!("generated/ is up to date ({} files)", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        for d in &drift {
            eprintln!("generated/{d}");
        }
        eprint!("{}", xtask::explain_drift(&root, &drift));
        eprintln!("generated/ is out of date: run `cargo xtask codegen` and commit the result");
        return Ok(ExitCode::from(1));
    }
    let changed = triad::sync::write(&out, &files).map_err(|e| e.to_string())?;
    for d in &changed {
        match d {
            triad::sync::Drift::Missing(path) => println!("created generated/{path}"),
            triad::sync::Drift::Stale(path) => println!("updated generated/{path}"),
            triad::sync::Drift::Orphan(path) => println!("removed generated/{path}"),
        }
    }
    println!("{} files, {} changed", files.len(), changed.len());
    Ok(ExitCode::SUCCESS)
}

fn import_mews(args: &[String]) -> Result<ExitCode, String> {
    let check = args.iter().any(|a| a == "--check");
    let dirs: Vec<&String> = args.iter().filter(|a| *a != "--check").collect();
    let [dir] = dirs.as_slice() else {
        return Err("usage: cargo xtask import-mews [--check] DIR (a folder of the provider's OpenAPI files)".into());
    };
    let (outcome, imported) = xtask::import::run(&project_root(), Path::new(dir.as_str()), check)?;
    let what = format!(
        "{} ({} operations, {} schemas, release {})",
        xtask::import::OUTPUT,
        imported.operations,
        imported.schemas,
        imported.release
    );
    Ok(match outcome {
        xtask::import::Outcome::Written { changed: true } => {
            println!("wrote {what}; now run `cargo xtask codegen`");
            ExitCode::SUCCESS
        }
        xtask::import::Outcome::Written { changed: false } | xtask::import::Outcome::UpToDate => {
            println!("{what} is up to date");
            ExitCode::SUCCESS
        }
        xtask::import::Outcome::Stale => {
            eprintln!("{} differs from an import of {dir}: run `cargo xtask import-mews {dir}`", xtask::import::OUTPUT);
            ExitCode::from(1)
        }
    })
}

fn bench(args: &[String]) -> Result<ExitCode, String> {
    let root = project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (package, bench) in [
        ("triad", "generate"),
        ("triad-tests", "decode"),
        ("triad-tests", "receiver"),
        ("triad-tests", "ws"),
        ("triad-tests", "journals"),
        ("triad-tests", "sse"),
    ] {
        let status = Command::new(&cargo)
            .current_dir(&root)
            .args(["bench", "-p", package, "--bench", bench, "--"])
            .args(args)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Ok(ExitCode::from(1));
        }
    }
    // Criterion keeps its estimates per benchmark; print medians against each group's baseline.
    let criterion = root.join("target/criterion");
    let mut groups: Vec<_> = std::fs::read_dir(&criterion).map_err(|e| e.to_string())?.filter_map(Result::ok).collect();
    groups.sort_by_key(|g| g.file_name());
    println!("\n{:<22} {:<32} {:>12} {:>11}", "group", "benchmark", "median", "× baseline");
    for group in groups.iter().filter(|g| g.path().is_dir() && g.file_name() != "report") {
        let median = |bench: &str| -> Option<f64> {
            let text = std::fs::read_to_string(group.path().join(bench).join("new/estimates.json")).ok()?;
            let after = &text[text.find("\"median\"")?..];
            let value = &after[after.find("\"point_estimate\":")? + 17..];
            value[..value.find([',', '}'])?].trim().parse().ok()
        };
        let mut benches: Vec<String> = std::fs::read_dir(group.path())
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "report")
            .collect();
        benches.sort();
        let Some(baseline) = benches.iter().find(|b| b.contains("(baseline)")).and_then(|b| median(b)) else {
            continue;
        };
        let name = group.file_name().to_string_lossy().into_owned();
        for bench in &benches {
            if let Some(ns) = median(bench) {
                println!("{name:<22} {bench:<32} {:>9.3} ms {:>11.2}", ns / 1e6, ns / baseline);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

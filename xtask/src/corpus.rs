//! `cargo xtask corpus DIR`: generate and build every API of a corpus of real specs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use triad::Provenance;
use triad::load::FsReader;

/// The repository root (the runtime crate lives in `runtime/`).
fn xtask_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

struct Row {
    name: String,
    /// `types`, `client` or `server`.
    kind: &'static str,
    crate_name: String,
    millis: f64,
    lines: usize,
    /// Types, operations, webhooks, channels.
    counts: [usize; 4],
    result: Result<(), String>,
}

pub fn run(dir: &Path, only: &[String]) -> Result<ExitCode, String> {
    let dir = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    let scratch = xtask::scratch_dir("TRIAD_CORPUS_SCRATCH", "triad-corpus");
    let reader = FsReader::new(&dir);
    let mut rows = Vec::new();
    let mut all_files = triad::Files::new();
    // Client and server crates depend on this repository's runtime by path.
    let runtime = xtask_root().join("runtime");
    for entry in xtask::corpus::entries(&dir)? {
        if !only.is_empty() && !only.iter().any(|text| entry.name.contains(text.as_str())) {
            continue;
        }
        let (config, config_dir) = match xtask::corpus::config(&entry) {
            Ok(found) => found,
            Err(message) => {
                rows.push(Row {
                    name: entry.name,
                    kind: "types",
                    crate_name: String::new(),
                    millis: 0.0,
                    lines: 0,
                    counts: [0; 4],
                    result: Err(message),
                });
                continue;
            }
        };
        let mut config = config;
        config.client.runtime_path = Some(runtime.display().to_string());
        config.server.runtime_path = config.client.runtime_path.clone();
        let provenance =
            Provenance { source: entry.name.clone(), command: format!("cargo xtask corpus {}", dir.display()) };
        let start = Instant::now();
        let generated = triad::load(&config, &config_dir, &reader).and_then(|api| {
            triad::emit::emit(&api, &config, &provenance).map(|files| (api, files)).map_err(|e| {
                triad::diag::Diagnostic::new(triad::diag::Location::file(&entry.name), e.to_string()).into()
            })
        });
        let millis = start.elapsed().as_secs_f64() * 1000.0;
        match generated {
            Ok((api, files)) => {
                let counts = [api.types.len(), api.operations.len(), api.webhooks.len(), api.channels.len()];
                let kinds = [
                    ("types", &config.types_crate.name),
                    ("client", &config.client.krate.name),
                    ("server", &config.server.krate.name),
                ];
                for (kind, krate) in kinds {
                    let prefix = format!("{krate}/");
                    if !files.keys().any(|p| p.starts_with(&prefix)) {
                        continue;
                    }
                    let lines = files
                        .iter()
                        .filter(|(p, _)| p.starts_with(&prefix) && p.ends_with(".rs"))
                        .map(|(_, c)| c.lines().count())
                        .sum();
                    rows.push(Row {
                        name: entry.name.clone(),
                        kind,
                        crate_name: krate.clone(),
                        millis,
                        lines,
                        counts,
                        result: Ok(()),
                    });
                }
                all_files.extend(files);
            }
            Err(diags) => rows.push(Row {
                name: entry.name,
                kind: "types",
                crate_name: String::new(),
                millis,
                lines: 0,
                counts: [0; 4],
                result: Err(format!("generation failed:\n{diags}")),
            }),
        }
    }
    xtask::scratch::prepare(&scratch, &all_files)?;
    for row in rows.iter_mut().filter(|r| r.result.is_ok()) {
        let checked = xtask::scratch::build_lint_doc(&scratch, &row.crate_name)
            .and_then(|()| xtask::scratch::doc_test(&scratch, &row.crate_name));
        if let Err(output) = checked {
            row.result = Err(output);
        }
    }
    println!(
        "{:<34} {:<6} {:>6} {:>5} {:>5} {:>5} {:>12} {:>8}  build, clippy, rustdoc, doctests",
        "api", "crate", "types", "ops", "hooks", "chans", "generate ms", "lines"
    );
    let mut failed = 0;
    for row in &rows {
        let status = match &row.result {
            Ok(()) => "ok".to_owned(),
            Err(_) => {
                failed += 1;
                "FAILED".to_owned()
            }
        };
        let [types, ops, hooks, chans] = row.counts;
        println!(
            "{:<34} {:<6} {:>6} {:>5} {:>5} {:>5} {:>12.1} {:>8}  {status}",
            row.name, row.kind, types, ops, hooks, chans, row.millis, row.lines
        );
    }
    for row in &rows {
        if let Err(message) = &row.result {
            println!("\n{} ({}): {message}", row.name, row.kind);
        }
    }
    println!("\n{} passed, {} failed", rows.len() - failed, failed);
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

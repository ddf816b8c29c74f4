//! `cargo xtask semver-oracle [--corpus DIR] [--only NAME]...`: for every pair of spec versions
//! of [`xtask::diff_pairs`], generate both versions' crates, ask `triad diff` whether each
//! crate's Rust API breaks, ask cargo-semver-checks the same on the generated crates, and print
//! one row per crate with both verdicts. Exits 1 when they disagree anywhere.
//!
//! Both versions are generated at 1.0.0 and checked with `--release-type minor`, so
//! cargo-semver-checks fails exactly when it finds a change that needs a major release. The
//! verdict compared is the crate's own: `triad diff` also counts a crate as breaking when the
//! types crate it shows breaks (Cargo's rule for public dependencies), which
//! cargo-semver-checks does not check; that propagated entry is left out of the comparison and
//! shown in its own column.
//!
//! cargo-semver-checks has no lint for a changed type (a field's, a parameter's, a result's):
//! where `triad diff` finds only such breaks, the row says so and is not a disagreement.
//!
//! Needs `cargo-semver-checks` on the PATH (`cargo install cargo-semver-checks --locked`).

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use xtask::diff_pairs;

pub fn run(root: &Path, args: &[String]) -> Result<ExitCode, String> {
    let mut corpus = root.join("../shared/corpus");
    let mut only = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--corpus" => corpus = rest.next().ok_or("--corpus needs a folder")?.into(),
            "--only" => only.push(rest.next().ok_or("--only needs a pair name")?.clone()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let probe =
        Command::new("cargo").args(["semver-checks", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !probe.is_ok_and(|s| s.success()) {
        return Err("cargo-semver-checks is not installed: cargo install cargo-semver-checks --locked".into());
    }
    let scratch = root.join("target/semver-oracle");
    let runtime = root.join("runtime");
    let mut disagreements = 0;
    println!("{:<24} {:<8} {:<9} {:<15} {:<16} agree", "pair", "crate", "triad", "semver-checks", "via types crate");
    for pair in diff_pairs::pairs(&corpus)? {
        if !only.is_empty() && !only.iter().any(|o| pair.name.contains(o.as_str())) {
            continue;
        }
        let dir = scratch.join(pair.name);
        let _ = std::fs::remove_dir_all(&dir);
        let (old, new) = diff_pairs::write(&pair, &corpus, &dir, &runtime, Some("1.0.0"))?;
        let report = triad::cli::compare(
            &triad::cli::Source::Work(old.display().to_string()),
            &triad::cli::Source::Work(new.display().to_string()),
            None,
        )?;
        for (version, config) in [("old", &old), ("new", &new)] {
            generate(config, &dir.join(version).join("out"))?;
        }
        for krate in &report.crates {
            let own = krate.changes.iter().any(|c| c.class == triad::diff::Class::Breaking && !propagated(c, krate));
            let via_types = krate.changes.iter().any(|c| propagated(c, krate));
            let checks = semver_checks(&dir.join("new/out").join(&krate.name), &dir.join("old/out").join(&krate.name))?;
            // cargo-semver-checks has no lint for a changed type (of a field, a parameter, a
            // result): such a break only triad sees, and it is not counted against either.
            let unseen = own
                && !checks
                && krate
                    .changes
                    .iter()
                    .filter(|c| c.class == triad::diff::Class::Breaking && !propagated(c, krate))
                    .all(|c| TYPE_CHANGES.iter().any(|words| c.message.contains(words)));
            let agree = own == checks || unseen;
            if !agree {
                disagreements += 1;
            }
            let word = |breaking: bool| if breaking { "breaking" } else { "ok" };
            println!(
                "{:<24} {:<8} {:<9} {:<15} {:<16} {}",
                pair.name,
                krate.kind.as_str(),
                word(own),
                word(checks),
                if via_types { "breaking" } else { "-" },
                if unseen {
                    "yes (a type change, which cargo-semver-checks does not check)"
                } else if agree {
                    "yes"
                } else {
                    "NO"
                }
            );
            if !agree {
                print!("{}", triad::diff::render::text(&triad::diff::Report { crates: vec![krate.clone()] }));
            }
        }
    }
    if disagreements == 0 {
        println!("triad diff agrees with cargo-semver-checks on every crate");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{disagreements} disagreement(s)");
        Ok(ExitCode::from(1))
    }
}

/// Words of the messages of changes that only change a type.
const TYPE_CHANGES: &[&str] =
    &["changed type from", " takes (", "now stands for", "is now held as", " answers ", "payload"];

/// The change a client or server crate gets because the types crate it shows breaks.
fn propagated(change: &triad::diff::Change, krate: &triad::diff::CrateReport) -> bool {
    krate.kind != triad::diff::Kind::Types && change.message.starts_with("its public API shows the types of")
}

/// Generates the crates of a config into `out`.
fn generate(config: &Path, out: &Path) -> Result<(), String> {
    let loaded = triad::cli::load_version(&triad::cli::Source::Work(config.display().to_string()), None)?;
    let provenance = triad::Provenance { source: "semver-oracle".into(), command: "cargo xtask semver-oracle".into() };
    let generated = loaded.generate(&provenance).map_err(|d| d.to_string())?;
    triad::sync::write(out, &generated.files).map_err(|e| e.to_string())?;
    // Each generated crate builds on its own, not as part of an enclosing workspace.
    for name in generated.files.keys().filter_map(|p| p.split('/').next()).collect::<std::collections::BTreeSet<_>>() {
        let manifest = out.join(name).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
        if !text.contains("[workspace]") {
            std::fs::write(&manifest, format!("{text}\n[workspace]\n")).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Whether cargo-semver-checks finds a change in `current` against `baseline` that needs a
/// major release.
fn semver_checks(current: &Path, baseline: &Path) -> Result<bool, String> {
    let output = Command::new("cargo")
        .args(["semver-checks", "check-release", "--release-type", "minor", "--manifest-path"])
        .arg(current.join("Cargo.toml"))
        .arg("--baseline-root")
        .arg(baseline)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo-semver-checks: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(false)
    } else if text.contains("semver requires new major version") {
        Ok(true)
    } else {
        Err(format!("cargo-semver-checks failed on {} ({}):\n{text}", current.display(), output.status))
    }
}

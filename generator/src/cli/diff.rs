//! `triad diff OLD [NEW]`: what changed between two versions of an API, for whom, and which
//! version each generated crate needs next.

use std::path::PathBuf;
use std::process::ExitCode;

use super::version::{Source, load_version};
use crate::diff::{self, Class, Kind, Report, Version};
use crate::{Generated, Provenance, ir};

/// `triad diff`.
#[derive(clap::Args)]
pub struct DiffArgs {
    /// The old version: a codegen config, or `REV:path` for the config (and every file it
    /// names) at a git revision, such as `HEAD~1:spec/codegen.yaml`.
    old: String,
    /// The new version (default: the old version's config path in the work tree).
    new: Option<String>,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write a Markdown changelog section to this file.
    #[arg(long, value_name = "FILE")]
    changelog: Option<PathBuf>,
    /// Exit with status 1 when a change of this class is found (`breaking` also fails on
    /// breaking changes only; `wire` on wire changes only).
    #[arg(long, value_enum)]
    fail_on: Vec<FailOn>,
    /// Write each crate's next version into the new config (which must be in the work tree).
    #[arg(long)]
    bump: bool,
    /// The folder every spec file and `$ref` target must lie under, for both versions.
    #[arg(long)]
    root: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// A summary per crate.
    Text,
    /// `{"crates": [{"name", "kind", "bump", "changes": [{"class", "item", "message", "location"}]}]}`.
    Json,
    /// A changelog section.
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FailOn {
    /// Changes that break code written against the old crates.
    Breaking,
    /// Changes that break programs built from the old version on the wire.
    Wire,
}

/// Runs `triad diff`: 0 when done, 1 when a `--fail-on` class was found, 2 when a version
/// cannot be loaded or an output cannot be written.
pub fn run(args: &DiffArgs) -> ExitCode {
    let old = Source::parse(&args.old);
    let new = match &args.new {
        Some(new) => Source::parse(new),
        None => match &old {
            Source::Git { path, .. } => Source::Work(path.clone()),
            Source::Work(_) => {
                eprintln!("error: give two configs, or `REV:path` to compare a git revision with the work tree");
                return ExitCode::from(2);
            }
        },
    };
    let report = match compare(&old, &new, args.root.as_deref()) {
        Ok(report) => report,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    print!(
        "{}",
        match args.format {
            Format::Text => diff::render::text(&report),
            Format::Json => diff::render::json(&report),
            Format::Markdown => diff::render::markdown(&report),
        }
    );
    if let Some(path) = &args.changelog
        && let Err(e) = write_atomically(path, diff::render::markdown(&report).as_bytes())
    {
        eprintln!("error: cannot write the changelog {}: {e}", path.display());
        return ExitCode::from(2);
    }
    if args.bump {
        let Source::Work(path) = &new else {
            eprintln!("error: --bump writes into the new config, which must be a file of the work tree");
            return ExitCode::from(2);
        };
        if let Err(message) = bump(path, &report) {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    let failed = args.fail_on.iter().any(|class| match class {
        FailOn::Breaking => report.has(Class::Breaking),
        FailOn::Wire => report.has(Class::Wire),
    });
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Loads and generates both versions and compares them. An error names the version that
/// failed and lists its located diagnostics.
pub fn compare(old: &Source, new: &Source, root: Option<&std::path::Path>) -> Result<Report, String> {
    // One provenance for both, so the generated files differ only where the API does.
    let provenance = Provenance { source: "triad diff".into(), command: "triad diff".into() };
    let build = |source: &Source| -> Result<(crate::config::Config, ir::Api, Generated), String> {
        let loaded = load_version(source, root).map_err(|e| format!("{} cannot be loaded:\n{e}", source.shown()))?;
        let (api, generated) =
            loaded.build(&provenance).map_err(|e| format!("{} cannot be loaded:\n{e}", source.shown()))?;
        Ok((loaded.config, api, generated))
    };
    let (old_config, old_api, old_files) = build(old)?;
    let (new_config, new_api, new_files) = build(new)?;
    Ok(diff::compare(
        &Version { config: &old_config, api: &old_api, files: &old_files.files },
        &Version { config: &new_config, api: &new_api, files: &new_files.files },
    ))
}

/// Writes each crate's next version into the config at `path`, editing only the version
/// values (comments and layout stay).
fn bump(path: &str, report: &Report) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let config = crate::config::Config::parse(path, &text).map_err(|d| crate::diag::Diagnostics::new(d).to_string())?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for krate in report.crates.iter().filter(|k| k.bump != diff::Bump::None) {
        let section = match krate.kind {
            Kind::Types => "types",
            Kind::Client => "client",
            Kind::Server => "server",
        };
        let pointer = format!("/crates/{section}/version");
        let Some(at) = config.origins.get(&pointer) else {
            return Err(format!(
                "{path}: `crates.{section}.version` is not set; add it so --bump can write {}",
                krate.next_version
            ));
        };
        let line = lines.get_mut((at.line as usize).saturating_sub(1)).ok_or("the config changed while read")?;
        let start = line.char_indices().nth((at.column as usize).saturating_sub(1)).map_or(line.len(), |(i, _)| i);
        let rest = line.get(start..).unwrap_or_default();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
        let end = match quote {
            Some(q) => rest.get(1..).and_then(|r| r.find(q)).map_or(rest.len(), |i| i + 2),
            None => rest.find(" #").unwrap_or(rest.len()).min(rest.find(['}', ',']).unwrap_or(rest.len())),
        };
        let value = match quote {
            Some(q) => format!("{q}{}{q}", krate.next_version),
            None => krate.next_version.clone(),
        };
        line.replace_range(start..start + end.min(rest.len()), &value);
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    write_atomically(std::path::Path::new(path), out.as_bytes()).map_err(|e| format!("cannot write {path}: {e}"))
}

/// Writes through a temporary file in the same folder and a rename: readers see the old file or
/// the new one, never half of it.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.triad-tmp"));
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path)
}

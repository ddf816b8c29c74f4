//! Working without a config: `triad generate -i SPEC... -o DIR` generates with every setting's
//! default; `triad init SPEC...` writes a commented `codegen.yaml` with those same defaults and
//! what it found in the specs (auth schemes, pagination candidates, webhooks, channels), so
//! `triad codegen.yaml --out DIR` gives the same crates and a maintainer starts from a working
//! file.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::version::{Loaded, in_memory};
use crate::config::Config;
use crate::ir::{Api, ParamLocation, SecurityKind, TypeKind, TypeRef};
use crate::{Provenance, sync};

/// What both commands take: the specs, and the crates' names.
#[derive(clap::Args, Clone)]
pub struct Specs {
    /// Spec files (OpenAPI 3.0/3.1, AsyncAPI 2.6/3.0) forming one API.
    #[arg(short = 'i', long = "input", value_name = "SPEC", required = true)]
    specs: Vec<PathBuf>,
    /// Base name of the crates (`NAME-types`, `NAME-client`, `NAME-server`; default: the first
    /// spec's file name without its extension).
    #[arg(long)]
    name: Option<String>,
    /// Which crates to generate (the types crate always is: the others build on it).
    #[arg(long, value_delimiter = ',', default_value = "types,client,server")]
    kinds: Vec<CrateKind>,
    /// Where the client and server crates find `triad-runtime` (a path; default: crates.io).
    #[arg(long, value_name = "PATH")]
    runtime_path: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CrateKind {
    Types,
    Client,
    Server,
}

/// `triad generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    specs: Specs,
    /// Directory the crates are written into (one sub-directory per crate).
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// Write nothing; exit with status 1 if the output is out of date.
    #[arg(long)]
    check: bool,
}

/// `triad init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// Spec files forming one API.
    #[arg(value_name = "SPEC", required = true)]
    specs: Vec<PathBuf>,
    /// Base name of the crates (default: the first spec's file name without its extension).
    #[arg(long)]
    name: Option<String>,
    /// Where the client and server crates find `triad-runtime` (a path relative to each crate's
    /// folder; default: crates.io).
    #[arg(long, value_name = "PATH")]
    runtime_path: Option<String>,
    /// The config file to write; an existing file is never overwritten.
    #[arg(short, long, default_value = "codegen.yaml")]
    out: PathBuf,
}

/// A crate base name from a file or API name: lowercase ASCII letters and digits, `-` between
/// runs.
pub fn crate_base(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() { "api".to_owned() } else { out }
}

/// The default config over spec files, and the folder their paths are relative to (the
/// deepest folder holding them all, which is also the spec root).
pub fn default_config(specs: &[PathBuf], name: Option<&str>) -> (Config, String) {
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().replace('\\', "/")).unwrap_or_default();
    let absolute: Vec<String> = specs
        .iter()
        .map(|p| {
            let p = p.to_string_lossy().replace('\\', "/");
            crate::load::normalize_path(&if p.starts_with('/') { p } else { format!("{cwd}/{p}") })
        })
        .collect();
    let folder = common_folder(&absolute);
    let relative = absolute.iter().map(|p| crate::load::relative_path(&folder, p)).collect();
    let stem = specs.first().and_then(|p| p.file_stem()).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let base = crate_base(name.unwrap_or(&stem));
    (Config::for_name(&base, relative), folder)
}

/// The deepest folder that holds every path.
fn common_folder(paths: &[String]) -> String {
    let folders: Vec<Vec<&str>> =
        paths.iter().map(|p| p.rsplit_once('/').map_or("", |(dir, _)| dir).split('/').collect()).collect();
    let Some(first) = folders.first() else { return ".".to_owned() };
    let depth = (0..first.len()).take_while(|&i| folders.iter().all(|f| f.get(i) == first.get(i))).count();
    let joined = first.iter().take(depth).copied().collect::<Vec<_>>().join("/");
    if joined.is_empty() { "/".to_owned() } else { joined }
}

impl Specs {
    fn loaded(&self) -> Loaded {
        let (mut config, folder) = default_config(&self.specs, self.name.as_deref());
        config.client.enabled = self.kinds.contains(&CrateKind::Client);
        config.server.enabled = self.kinds.contains(&CrateKind::Server);
        config.client.runtime_path = self.runtime_path.clone();
        config.server.runtime_path = self.runtime_path.clone();
        in_memory(config, &folder, None)
    }
}

/// Runs `triad generate`.
pub fn generate(args: &GenerateArgs) -> ExitCode {
    let loaded = args.specs.loaded();
    let shown: Vec<String> = args.specs.specs.iter().map(|p| p.display().to_string()).collect();
    let provenance = Provenance {
        source: shown.join(", "),
        command: format!("triad generate -i {} -o {}", shown.join(" -i "), args.out.display()),
    };
    let files = match loaded.generate(&provenance) {
        Ok(generated) => {
            if !generated.warnings.is_empty() {
                eprintln!("{}", crate::diag::Diagnostics::new(generated.warnings));
            }
            generated.files
        }
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
    super::finish(if args.check { sync::diff(&args.out, &files) } else { sync::write(&args.out, &files) }, args.check)
}

/// Runs `triad init`.
pub fn init(args: &InitArgs) -> ExitCode {
    if args.out.exists() {
        eprintln!("error: {} exists; triad init never overwrites a config", args.out.display());
        return ExitCode::from(2);
    }
    let specs = Specs {
        specs: args.specs.clone(),
        name: args.name.clone(),
        kinds: vec![CrateKind::Types, CrateKind::Client, CrateKind::Server],
        runtime_path: args.runtime_path.clone(),
    };
    let loaded = specs.loaded();
    let provenance = Provenance { source: "triad init".into(), command: "triad init".into() };
    let api = match loaded.build(&provenance) {
        Ok((api, _)) => api,
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
    // Spec paths in the config are relative to the config's own folder.
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().replace('\\', "/")).unwrap_or_default();
    let out = args.out.to_string_lossy().replace('\\', "/");
    let out_abs = crate::load::normalize_path(&if out.starts_with('/') { out.clone() } else { format!("{cwd}/{out}") });
    let out_dir = out_abs.rsplit_once('/').map_or("/", |(dir, _)| if dir.is_empty() { "/" } else { dir });
    let (_, folder) = default_config(&args.specs, None);
    let specs: Vec<String> = loaded
        .config
        .specs
        .iter()
        .map(|s| crate::load::relative_path(out_dir, &crate::load::join_path(&format!("{folder}/"), s)))
        .collect();
    let mut config = loaded.config.clone();
    // Specs outside the config's folder need the spec root widened to the folder holding them.
    let root = crate::load::relative_path(out_dir, &folder);
    config.root = root.starts_with("..").then_some(root);
    let text = render_init(&config, &specs, &api);
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&args.out) {
        Ok(mut file) => match std::io::Write::write_all(&mut file, text.as_bytes()) {
            Ok(()) => {
                println!("wrote {}", args.out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", args.out.display());
                ExitCode::from(2)
            }
        },
        Err(e) => {
            eprintln!("error: cannot create {}: {e}", args.out.display());
            ExitCode::from(2)
        }
    }
}

/// A YAML string scalar, quoted when plain style could misread it.
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !text.starts_with(['-', '.'])
        && !matches!(text, "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~");
    if plain && text.parse::<f64>().is_err() { text.to_owned() } else { format!("{text:?}") }
}

/// The commented config `triad init` writes: the defaults, spelled out, and what the specs hold.
pub fn render_init(config: &Config, specs: &[String], api: &Api) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Codegen config of {} (written by `triad init`; edit freely).", api.title);
    out.push_str("# Every setting below is the default; `triad THIS_FILE --out DIR` generates the crates.\n");
    let _ = writeln!(out, "name: {}", scalar(&config.name));
    if let Some(root) = &config.root {
        out.push_str("# The folder every spec file and `$ref` target must lie under.\n");
        let _ = writeln!(out, "root: {}", scalar(root));
    }
    out.push_str("specs:\n");
    for spec in specs {
        let _ = writeln!(out, "  - {}", scalar(spec));
    }
    out.push_str("crates:\n");
    for (kind, krate, runtime) in [
        ("types", &config.types_crate, None),
        ("client", &config.client.krate, Some(&config.client.runtime_path)),
        ("server", &config.server.krate, Some(&config.server.runtime_path)),
    ] {
        let _ = writeln!(out, "  {kind}:\n    name: {}\n    version: {}", scalar(&krate.name), scalar(&krate.version));
        match runtime {
            Some(Some(path)) => {
                let _ = writeln!(out, "    runtime_path: {}", scalar(path));
            }
            Some(None) => {
                out.push_str("    # runtime_path: ../triad-runtime  # default: triad-runtime from crates.io\n")
            }
            None => {}
        }
    }
    auth_section(&mut out, api);
    pagination_section(&mut out, api);
    if !api.webhooks.is_empty() {
        let names: Vec<&str> = api.webhooks.iter().map(|w| w.name.wire.as_str()).collect();
        let _ = writeln!(out, "# Webhooks the server crate receives: {}.", names.join(", "));
        out.push_str("# A shared secret or signature scheme is set under `auth:` (see the README of triad).\n");
    }
    if !api.channels.is_empty() {
        let names: Vec<String> = api.channels.iter().map(|c| format!("{} ({})", c.name.wire, c.address)).collect();
        let _ = writeln!(out, "# WebSocket channels: {}; the client listens, the server pushes.", names.join(", "));
    }
    out
}

fn auth_section(out: &mut String, api: &Api) {
    if api.security_schemes.is_empty() {
        out.push_str("# No security schemes in the specs. Credentials carried in request bodies go here:\n");
        out.push_str("# auth:\n#   body_fields: [ApiToken]\n");
        return;
    }
    out.push_str("# Security schemes found (the client's `Credentials` has one field per scheme):\n");
    for scheme in &api.security_schemes {
        let what = match &scheme.kind {
            SecurityKind::Bearer => "bearer token".to_owned(),
            SecurityKind::Basic => "HTTP basic".to_owned(),
            SecurityKind::ApiKey { location, name } => {
                let place = match location {
                    ParamLocation::Header => "header",
                    ParamLocation::Query => "query",
                    ParamLocation::Cookie => "cookie",
                    ParamLocation::Path => "path",
                };
                format!("API key in {place} `{name}`")
            }
            SecurityKind::Other(kind) => format!("{kind} (not applied by the client)"),
        };
        let _ = writeln!(out, "#   {}: {what}", scheme.name);
    }
}

/// Lists operations whose request has a cursor-like field and whose response has one too.
fn pagination_section(out: &mut String, api: &Api) {
    let cursorish = |name: &str| {
        let lower = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
        lower.contains("cursor") || lower.contains("pagetoken") || lower.contains("page_token") || lower == "after"
    };
    let fields = |ty: &TypeRef| -> Vec<String> {
        let mut out = Vec::new();
        // Properties and the properties of object properties (`Limitation.Cursor`).
        let mut stack = vec![(ty.clone(), String::new(), 0)];
        while let Some((ty, prefix, depth)) = stack.pop() {
            let TypeRef::Named(id) = ty else { continue };
            let Some(TypeKind::Struct(s)) = api.types.get(id.0).map(|t| &t.kind) else { continue };
            for f in &s.fields {
                let path = format!("{prefix}{}", f.name.wire);
                if depth == 0 {
                    stack.push((f.ty.clone(), format!("{path}."), 1));
                }
                out.push(path);
            }
        }
        out
    };
    let mut found = Vec::new();
    for op in &api.operations {
        let mut request: Vec<String> = op.params.iter().map(|p| p.name.wire.clone()).collect();
        request.extend(op.request.iter().flat_map(|b| fields(&b.ty)));
        let response: Vec<String> = op
            .responses
            .iter()
            .filter(|r| r.status.is_success())
            .filter_map(|r| r.body.as_ref())
            .flat_map(|b| fields(&b.ty))
            .collect();
        let (Some(asked), Some(given)) = (
            request.iter().find(|n| cursorish(n)),
            response.iter().find(|n| {
                cursorish(n) || n.rsplit('.').next().is_some_and(|last| last.to_ascii_lowercase().starts_with("next"))
            }),
        ) else {
            continue;
        };
        found.push(format!("#   {}: request `{asked}`, response `{given}`", op.name.wire));
    }
    if found.is_empty() {
        return;
    }
    out.push_str("# Pagination candidates (set `pagination:` to give these `_stream` methods):\n");
    for line in found.iter().take(20) {
        out.push_str(line);
        out.push('\n');
    }
    if found.len() > 20 {
        let _ = writeln!(out, "#   ... and {} more", found.len() - 20);
    }
    out.push_str("# pagination:\n#   request_cursor: Limitation.Cursor  # the request property, dotted\n#   response_cursor: Cursor\n");
}

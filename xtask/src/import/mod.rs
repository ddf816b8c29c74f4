//! `cargo xtask import-mews DIR`: the structure of the Mews Connector API, as the provider
//! publishes it (several OpenAPI 3.0 files that repeat shared component schemas), merged into
//! one OpenAPI document of this project's own (`spec/mews/connector/openapi.yaml`).
//!
//! Kept: servers, security, paths, methods, operation ids, parameters, request and response
//! media types with their schemas, status codes, and every component schema's structure (types,
//! formats, enums, `required`, `nullable`, properties, composition, validation keywords).
//! Dropped: the provider's prose (descriptions, summaries, examples, tags, titles except a union
//! member's, which names the member for the generator's tag matching), contact and
//! terms, and every `x-` extension. A response's description, which OpenAPI requires, becomes the
//! status' reason phrase. Any key the importer does not know is an error, so nothing structural
//! is lost unnoticed.
//!
//! The files are hostile input: they are parsed by the generator's own parser (depth and alias
//! limits, located errors), every problem is reported with its file, line, column and JSON
//! pointer, and two files defining one name differently (compared after dropping prose) is an
//! error naming both. The output is a function of the input bytes alone: paths and component
//! names sorted, keys in source order, written by `saphyr`'s emitter, with a header naming the
//! provider release (`info.version`, `x-last-validated` and a SHA-256 of the input files).

mod strip;
mod write;

use std::collections::BTreeMap;

use indexmap::IndexMap;
use sha2::{Digest, Sha256};
use triad::diag::{Diagnostic, Diagnostics, Location};
use triad::node::{self, Node, Value};

use strip::Reader;

/// The command that writes the imported document, as its header names it.
pub const COMMAND: &str = "cargo xtask import-mews";

/// Where the imported document lives, relative to the repository root.
pub const OUTPUT: &str = "spec/mews/connector/openapi.yaml";

/// Largest provider file read (bytes).
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// The title of the imported API (the provider's files each carry a title of their own part).
const TITLE: &str = "Mews Connector API";

/// The imported document and the release it was imported from.
#[derive(Debug)]
pub struct Imported {
    /// The YAML text of the merged document, header included.
    pub text: String,
    /// The provider release: `info.version`, `x-last-validated` and a digest of the input.
    pub release: String,
    /// How many operations and component schemas it holds.
    pub operations: usize,
    /// How many component schemas it holds.
    pub schemas: usize,
}

/// One definition kept from a file: the file it came from and the stripped node.
struct Defined {
    file: String,
    node: Node,
}

/// What the files agree on, and everything they define, before it is written.
#[derive(Default)]
struct Merged {
    openapi: Option<Defined>,
    version: Option<Defined>,
    validated: Option<Defined>,
    servers: Option<Defined>,
    security: Option<Defined>,
    paths: BTreeMap<String, Defined>,
    operation_ids: BTreeMap<String, (String, Location)>,
    schemas: BTreeMap<String, Defined>,
    /// The first title given to each component schema: kept only for the schemas a union
    /// member references, where it names the member.
    titles: BTreeMap<String, Node>,
    schemes: BTreeMap<String, Defined>,
}

/// Imports `files` (file name and text, in any order; they are sorted by name).
pub fn import(files: &[(String, String)]) -> Result<Imported, Diagnostics> {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    if sorted.is_empty() {
        return Err(Diagnostic::new(Location::file("."), "no provider files to import")
            .expected("the provider's OpenAPI files (`*.yml`, `*.yaml` or `*.json`) in the folder")
            .into());
    }
    let mut merged = Merged::default();
    let mut diags = Vec::new();
    for (name, text) in &sorted {
        let format = node::Format::of_path(name);
        match node::parse_with(text, format, &node::ParseLimits::default()) {
            Ok(root) => diags.extend(read_file(name, &root, &mut merged)),
            Err(errors) => diags.extend(errors.into_iter().map(|e| {
                let location =
                    Location { file: name.as_str().into(), line: e.line, column: e.column, pointer: String::new() };
                Diagnostic::new(location, e.message)
            })),
        }
    }
    diags.extend(check_references(&merged));
    if !diags.is_empty() {
        return Err(Diagnostics::new(diags));
    }
    let release = release(&merged, &sorted);
    let operations = merged.operation_ids.len();
    let schemas = merged.schemas.len();
    let document = document(merged, &release);
    let header = format!(
        "# Imported by `{COMMAND}` from the {TITLE} release {release}\n\
         # (the provider's files: {}; SHA-256 {}).\n\
         # Do not edit by hand: re-run the import on the provider's files. This project's own\n\
         # text and fixes live in the overlays beside this file.\n",
        sorted.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
        digest(&sorted),
    );
    let text = write::yaml(&document).map_err(|e| Diagnostics::from(Diagnostic::new(Location::file(OUTPUT), e)))?;
    Ok(Imported { text: format!("{header}{text}"), release, operations, schemas })
}

/// SHA-256 of the input: each file's name, length and bytes, in name order.
fn digest(files: &[&(String, String)]) -> String {
    let mut hash = Sha256::new();
    for (name, text) in files {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update((text.len() as u64).to_be_bytes());
        hash.update(text.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The release as the generated crates name it: `v1 2026-06-02 sha256:0123456789abcdef`.
fn release(merged: &Merged, files: &[&(String, String)]) -> String {
    let text = |d: &Option<Defined>| d.as_ref().and_then(|d| d.node.scalar_text()).unwrap_or_default();
    let digest = digest(files);
    let short = digest.get(..16).unwrap_or(&digest);
    [text(&merged.version), text(&merged.validated), format!("sha256:{short}")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads one file into `merged`, returning its problems.
fn read_file(file: &str, root: &Node, merged: &mut Merged) -> Vec<Diagnostic> {
    let mut r = Reader::new(file);
    let Some(entries) = r.entries(root, "the document") else { return r.diags };
    let mut found = Vec::new();
    for (key, value) in entries {
        r.at(key, |r| match key.as_str() {
            "openapi" => {
                let version = r.string(value, key);
                if let Some(v) = version.as_ref().and_then(Node::as_str).filter(|v| !v.starts_with("3.0.")) {
                    r.error(value, format!("OpenAPI {v}"), "OpenAPI 3.0.x, as the provider publishes it");
                }
                found.extend(version.map(|n| (Slot::OpenApi, n)));
            }
            "info" => read_info(r, value, &mut found),
            "servers" => found.push((Slot::Servers, r.servers(value))),
            "security" => found.extend(r.security(value).map(|n| (Slot::Security, n))),
            "paths" => read_paths(r, value, merged),
            "components" => read_components(r, value, merged),
            "tags" | "externalDocs" => {}
            _ if key.starts_with("x-") => {}
            _ => r.error(
                value,
                format!("`{key}` is not a key the importer knows at the top of a document"),
                "`openapi`, `info`, `servers`, `security`, `paths`, `components`, `tags` or `x-` extensions",
            ),
        });
    }
    if !entries.contains_key("openapi") {
        r.error(root, "the document has no `openapi` version", "`openapi: 3.0.x`");
    }
    for (slot, node) in found {
        let target = match slot {
            Slot::OpenApi => &mut merged.openapi,
            Slot::Version => &mut merged.version,
            Slot::Validated => &mut merged.validated,
            Slot::Servers => &mut merged.servers,
            Slot::Security => &mut merged.security,
        };
        agree(&mut r.diags, target, file, node, slot.what());
    }
    r.diags
}

/// The document-wide values every file must agree on.
#[derive(Clone, Copy)]
enum Slot {
    OpenApi,
    Version,
    Validated,
    Servers,
    Security,
}

impl Slot {
    fn what(self) -> &'static str {
        match self {
            Slot::OpenApi => "`openapi`",
            Slot::Version => "`info.version`",
            Slot::Validated => "`info.x-last-validated`",
            Slot::Servers => "`servers`",
            Slot::Security => "`security`",
        }
    }
}

fn read_info(r: &mut Reader<'_>, info: &Node, found: &mut Vec<(Slot, Node)>) {
    let Some(entries) = r.entries(info, "`info`") else { return };
    for (key, slot) in [("version", Slot::Version), ("x-last-validated", Slot::Validated)] {
        if let Some(value) = entries.get(key) {
            r.at(key, |r| match value.scalar_text() {
                Some(text) => found.push((slot, Node::at(Value::Str(text), value.line, value.column))),
                None => r.error(value, format!("`{key}` is {}", value.kind_name()), format!("`{key}` as a string")),
            });
        }
    }
}

/// Keeps the first file's value of a document-wide setting; a later file must have the same.
fn agree(diags: &mut Vec<Diagnostic>, slot: &mut Option<Defined>, file: &str, node: Node, what: &str) {
    match slot {
        None => *slot = Some(Defined { file: file.to_owned(), node }),
        Some(first) if first.node == node => {}
        Some(first) => diags.push(
            Diagnostic::new(at(file, &node, ""), format!("{what} differs between {} and {file}", first.file))
                .expected(format!("the same {what} in every provider file"))
                .related(at(&first.file, &first.node, ""), format!("{what} as {} has it", first.file)),
        ),
    }
}

fn at(file: &str, node: &Node, pointer: &str) -> Location {
    Location { file: file.into(), line: node.line, column: node.column, pointer: pointer.to_owned() }
}

fn read_paths(r: &mut Reader<'_>, paths: &Node, merged: &mut Merged) {
    let Some(entries) = r.entries(paths, "`paths`") else { return };
    for (path, item) in entries {
        if path.starts_with("x-") {
            continue;
        }
        r.at(path, |r| {
            if !path.starts_with('/') {
                r.error(
                    item,
                    format!("the path `{path}` does not start with `/`"),
                    "a path such as `/api/connector/v1/bills/getAll`",
                );
                return;
            }
            let Some(kept) = r.path_item(item) else { return };
            if merged.paths.get(path.as_str()).is_some_and(|first| first.node == kept) {
                return;
            }
            for (method, op) in kept.as_map().into_iter().flatten() {
                let Some(id) = op.get("operationId").and_then(Node::as_str) else { continue };
                let location = r.at(method, |r| r.at("operationId", |r| r.location(op)));
                if let Some((first_file, first)) = merged.operation_ids.get(id) {
                    let diag = Diagnostic::new(location, format!("the operation id `{id}` is used twice"))
                        .expected("operation ids unique across the provider's files")
                        .related(first.clone(), format!("first used in {first_file}"));
                    r.diags.push(diag);
                    continue;
                }
                merged.operation_ids.insert(id.to_owned(), (r_file(&location), location));
            }
            let location = r.location(item);
            define(&mut r.diags, &mut merged.paths, path, location, kept, "the path");
        });
    }
}

fn r_file(location: &Location) -> String {
    location.file.to_string()
}

/// Adds a named definition; the same name defined otherwise in another file is an error.
fn define(
    diags: &mut Vec<Diagnostic>,
    map: &mut BTreeMap<String, Defined>,
    name: &str,
    location: Location,
    node: Node,
    what: &str,
) {
    let file = r_file(&location);
    match map.get(name) {
        None => {
            map.insert(name.to_owned(), Defined { file, node });
        }
        Some(first) if first.node == node => {}
        Some(first) => diags.push(
            Diagnostic::new(
                location.clone(),
                format!("{what} `{name}` is defined differently in {} and {file}", first.file),
            )
            .expected(format!("one definition of {what} `{name}`, or the same one (ignoring prose) in every file"))
            .related(at(&first.file, &first.node, &location.pointer), format!("as {} defines it", first.file)),
        ),
    }
}

fn read_components(r: &mut Reader<'_>, components: &Node, merged: &mut Merged) {
    let Some(entries) = r.entries(components, "`components`") else { return };
    for (key, value) in entries {
        r.at(key, |r| {
            let (map, what): (&mut BTreeMap<String, Defined>, &str) = match key.as_str() {
                "schemas" => (&mut merged.schemas, "the schema"),
                "securitySchemes" => (&mut merged.schemes, "the security scheme"),
                _ if key.starts_with("x-") => return,
                _ => {
                    let message = format!("`components.{key}` is not imported");
                    r.error(value, message, "only `schemas` and `securitySchemes` in `components`");
                    return;
                }
            };
            let Some(named) = r.entries(value, &format!("`{key}`")) else { return };
            for (name, node) in named {
                r.at(name, |r| {
                    let kept = if key == "schemas" { r.schema(node) } else { r.security_scheme(node) };
                    if let Some(title) = node.get("title").filter(|t| key == "schemas" && t.as_str().is_some()) {
                        merged.titles.entry(name.clone()).or_insert_with(|| title.clone());
                    }
                    if let Some(kept) = kept {
                        let location = r.location(node);
                        define(&mut r.diags, map, name, location, kept, what);
                    }
                });
            }
        });
    }
}

/// Every `$ref` of the merged document names a schema it defines.
fn check_references(merged: &Merged) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut check = |defined: &Defined, base: String| {
        visit_refs(
            &defined.node,
            &mut |node, pointer| {
                let name = node.as_str().and_then(|s| s.strip_prefix("#/components/schemas/")).unwrap_or_default();
                if !merged.schemas.contains_key(name) {
                    let location = at(&defined.file, node, &format!("{base}{pointer}"));
                    diags.push(
                        Diagnostic::new(
                            location,
                            format!("`$ref` names the schema `{name}`, which no provider file defines"),
                        )
                        .expected("a reference to a schema of `components.schemas`"),
                    );
                }
            },
            String::new(),
        );
    };
    for (path, defined) in &merged.paths {
        check(defined, format!("/paths/{}", node::escape_pointer_segment(path)));
    }
    for (name, defined) in &merged.schemas {
        check(defined, format!("/components/schemas/{}", node::escape_pointer_segment(name)));
    }
    diags
}

/// Calls `f` on every `$ref` value under `node`, with its pointer relative to `node`.
fn visit_refs(node: &Node, f: &mut impl FnMut(&Node, &str), pointer: String) {
    match &node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                let here = format!("{pointer}/{}", node::escape_pointer_segment(key));
                // `enum` and `default` values are data, not schemas.
                if key == "$ref" {
                    f(value, &here);
                } else if key != "enum" && key != "default" {
                    visit_refs(value, f, here);
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                visit_refs(item, f, format!("{pointer}/{i}"));
            }
        }
        _ => {}
    }
}

/// The schema names that members of a `oneOf` or `anyOf` under `node` reference.
fn union_members(node: &Node, out: &mut std::collections::BTreeSet<String>) {
    match &node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                if key == "enum" || key == "default" {
                    continue;
                }
                if key == "oneOf" || key == "anyOf" {
                    for member in value.as_seq().unwrap_or_default() {
                        let target = member.get("$ref").and_then(Node::as_str);
                        if let Some(name) = target.and_then(|r| r.strip_prefix("#/components/schemas/")) {
                            out.insert(name.to_owned());
                        }
                    }
                }
                union_members(value, out);
            }
        }
        Value::Seq(items) => items.iter().for_each(|item| union_members(item, out)),
        _ => {}
    }
}

/// The merged document, in the order it is written.
fn document(mut merged: Merged, release: &str) -> Node {
    let str_node = |s: &str| Node::at(Value::Str(s.to_owned()), 0, 0);
    let map_node = |entries: IndexMap<String, Node>| Node::at(Value::Map(entries), 0, 0);
    let mut root = IndexMap::new();
    let openapi = merged.openapi.map_or_else(|| str_node("3.0.3"), |d| d.node);
    root.insert("openapi".to_owned(), openapi);
    let mut info = IndexMap::new();
    info.insert("title".to_owned(), str_node(TITLE));
    info.insert("version".to_owned(), str_node(release));
    root.insert("info".to_owned(), map_node(info));
    if let Some(servers) = merged.servers {
        root.insert("servers".to_owned(), servers.node);
    }
    if let Some(security) = merged.security {
        root.insert("security".to_owned(), security.node);
    }
    let mut members = std::collections::BTreeSet::new();
    for defined in merged.paths.values().chain(merged.schemas.values()) {
        union_members(&defined.node, &mut members);
    }
    for name in members {
        if let (Some(title), Some(Value::Map(entries))) =
            (merged.titles.get(&name), merged.schemas.get_mut(&name).map(|d| &mut d.node.value))
        {
            entries.shift_insert(0, "title".to_owned(), title.clone());
        }
    }
    let named = |map: BTreeMap<String, Defined>| map_node(map.into_iter().map(|(k, d)| (k, d.node)).collect());
    root.insert("paths".to_owned(), named(merged.paths));
    let mut components = IndexMap::new();
    components.insert("schemas".to_owned(), named(merged.schemas));
    if !merged.schemes.is_empty() {
        components.insert("securitySchemes".to_owned(), named(merged.schemes));
    }
    root.insert("components".to_owned(), map_node(components));
    map_node(root)
}

/// What `run` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The document was written (or already had these bytes).
    Written { changed: bool },
    /// `--check`: the document on disk has exactly the bytes an import gives.
    UpToDate,
    /// `--check`: the document on disk differs from what an import gives (or is missing).
    Stale,
}

/// Reads the provider files of `dir` (every `*.yml`, `*.yaml` and `*.json` regular file, each at
/// most [`MAX_FILE_BYTES`]), imports them and writes [`OUTPUT`] under `root` through a
/// temporary file in the same folder and a rename; with `check`, compares instead of writing.
pub fn run(root: &std::path::Path, dir: &std::path::Path, check: bool) -> Result<(Outcome, Imported), String> {
    let files = read_dir(dir)?;
    let imported = import(&files).map_err(|d| d.to_string())?;
    let out = root.join(OUTPUT);
    let current = std::fs::read(&out).ok();
    let same = current.as_deref() == Some(imported.text.as_bytes());
    if check {
        return Ok((if same { Outcome::UpToDate } else { Outcome::Stale }, imported));
    }
    if !same {
        let folder = out.parent().ok_or("the output has no folder")?;
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        let temp = folder.join(format!(".openapi.yaml.{}.tmp", std::process::id()));
        std::fs::write(&temp, &imported.text).map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        if let Err(e) = std::fs::rename(&temp, &out) {
            let _ = std::fs::remove_file(&temp);
            return Err(format!("cannot replace {}: {e}", out.display()));
        }
    }
    Ok((Outcome::Written { changed: !same }, imported))
}

/// The spec files of `dir` (name relative to `dir`, text), sorted by name.
fn read_dir(dir: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    use std::io::Read as _;
    let listing = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_spec = [".yml", ".yaml", ".json"].iter().any(|ext| name.ends_with(ext));
        // Only regular files: a link could point anywhere.
        let kind = entry.file_type().map_err(|e| format!("{name}: {e}"))?;
        if !is_spec || !kind.is_file() {
            continue;
        }
        let file = std::fs::File::open(entry.path()).map_err(|e| format!("cannot read {name}: {e}"))?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {name}: {e}"))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(format!("{name}: larger than {MAX_FILE_BYTES} bytes"));
        }
        let text = node::decode_utf8(&bytes).map_err(|e| format!("{name}:{}:{}: {}", e.line, e.column, e.message))?;
        files.push((name, text.to_owned()));
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no provider files (`*.yml`, `*.yaml`, `*.json`)", dir.display()));
    }
    Ok(files)
}

//! Loading: reads spec files through a [`SourceReader`], parses them into [`Node`] trees and
//! follows relative `$ref`s to further files, so later stages can resolve any reference without
//! IO.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::diag::{Diagnostic, Location};
use crate::node::{self, Node, Value};

/// Where spec text comes from. The library never touches the file system itself.
pub trait SourceReader {
    /// Returns the text of the file at `path` (a `/`-separated path as written by the user or
    /// derived from a relative `$ref`).
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Reads from the file system, relative to a base directory (paths in diagnostics stay
/// relative, as the user wrote them).
#[derive(Clone, Debug, Default)]
pub struct FsReader {
    base: std::path::PathBuf,
}

impl FsReader {
    /// Reads paths relative to `base`.
    pub fn new(base: impl Into<std::path::PathBuf>) -> Self {
        FsReader { base: base.into() }
    }
}

impl SourceReader for FsReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.base.join(path)).map_err(|e| e.to_string())
    }
}

/// Files held in memory, for tests and for callers that already have the text.
#[derive(Clone, Debug, Default)]
pub struct MemoryReader {
    files: HashMap<String, String>,
}

impl MemoryReader {
    /// An empty set of files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file.
    pub fn with(mut self, path: &str, text: &str) -> Self {
        self.files.insert(normalize_path(path), text.to_owned());
        self
    }
}

impl SourceReader for MemoryReader {
    fn read(&self, path: &str) -> Result<String, String> {
        self.files.get(&normalize_path(path)).cloned().ok_or_else(|| "no such file".to_owned())
    }
}

/// One parsed file.
#[derive(Debug)]
pub struct Document {
    /// Normalised path.
    pub path: Arc<str>,
    /// Parsed content.
    pub root: Node,
    /// True for files the user named; false for files reached through `$ref`.
    pub entry: bool,
}

/// Every file of one API, parsed.
#[derive(Debug, Default)]
pub struct Workspace {
    /// Files in load order: entries first (in the order given), then referenced files.
    pub documents: Vec<Document>,
    index: HashMap<String, usize>,
}

/// A resolved reference: a document and a pointer inside it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// Index into [`Workspace::documents`].
    pub doc: usize,
    /// JSON pointer, `""` for the root.
    pub pointer: String,
}

impl Workspace {
    /// Loads `entries` and every file they reference. All problems are returned together.
    pub fn load(entries: &[String], reader: &dyn SourceReader) -> Result<Workspace, Vec<Diagnostic>> {
        let mut ws = Workspace::default();
        let mut diags = Vec::new();
        let mut queue: VecDeque<(String, bool, Option<Location>)> =
            entries.iter().map(|p| (normalize_path(p), true, None)).collect();
        while let Some((path, entry, referrer)) = queue.pop_front() {
            if ws.index.contains_key(&path) {
                continue;
            }
            let text = match reader.read(&path) {
                Ok(text) => text,
                Err(error) => {
                    let diag = match referrer {
                        Some(location) => {
                            Diagnostic::new(location, format!("cannot read `{path}` named by this $ref: {error}"))
                                .expected("a path relative to the referring file")
                        }
                        None => Diagnostic::new(Location::file(&path), format!("cannot read the file: {error}")),
                    };
                    diags.push(diag);
                    continue;
                }
            };
            let path_arc: Arc<str> = path.as_str().into();
            match node::parse(&text) {
                Ok(root) => {
                    let mut refs = Vec::new();
                    collect_file_refs(&root, &mut String::new(), &mut refs);
                    for (reference, pointer, line, column) in refs {
                        let file = reference.split('#').next().unwrap_or_default();
                        if file.contains("://") {
                            diags.push(
                                Diagnostic::new(
                                    Location { file: path_arc.clone(), line, column, pointer },
                                    format!("remote reference `{reference}` is not supported"),
                                )
                                .expected("a local reference (`#/...`) or a relative file path"),
                            );
                            continue;
                        }
                        let target = join_path(&path, file);
                        queue.push_back((
                            target,
                            false,
                            Some(Location { file: path_arc.clone(), line, column, pointer }),
                        ));
                    }
                    ws.index.insert(path.clone(), ws.documents.len());
                    ws.documents.push(Document { path: path_arc, root, entry });
                }
                Err(errors) => {
                    for e in errors {
                        diags.push(Diagnostic::new(
                            Location { file: path_arc.clone(), line: e.line, column: e.column, pointer: String::new() },
                            e.message,
                        ));
                    }
                }
            }
        }
        if diags.is_empty() { Ok(ws) } else { Err(diags) }
    }

    /// Resolves `reference` written in document `from`. The error says what is wrong.
    pub fn resolve(&self, from: usize, reference: &str) -> Result<(Target, &Node), String> {
        let (file, fragment) = match reference.split_once('#') {
            Some((file, fragment)) => (file, fragment),
            None => (reference, ""),
        };
        let doc = if file.is_empty() {
            from
        } else {
            let path = join_path(&self.documents[from].path, file);
            *self.index.get(&path).ok_or_else(|| format!("file `{path}` was not loaded"))?
        };
        let fragment = percent_decode(fragment);
        let segments = node::split_pointer(&fragment)
            .ok_or_else(|| format!("`#{fragment}` is not a JSON pointer (it must start with `/`)"))?;
        let node = self.documents[doc]
            .root
            .pointer(&segments)
            .ok_or_else(|| format!("nothing at `#{fragment}` in `{}`", self.documents[doc].path))?;
        Ok((Target { doc, pointer: fragment }, node))
    }

    /// The location of a node, for diagnostics.
    pub fn location(&self, doc: usize, pointer: &str, node: &Node) -> Location {
        Location {
            file: self.documents[doc].path.clone(),
            line: node.line,
            column: node.column,
            pointer: pointer.to_owned(),
        }
    }
}

fn collect_file_refs(node: &Node, pointer: &mut String, out: &mut Vec<(String, String, u32, u32)>) {
    match &node.value {
        Value::Map(map) => {
            if let Some(Value::Str(reference)) = map.get("$ref").map(|n| &n.value) {
                if !reference.starts_with('#') {
                    let r = &map["$ref"];
                    out.push((reference.clone(), format!("{pointer}/$ref"), r.line, r.column));
                }
            }
            for (key, child) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&node::escape_pointer_segment(key));
                collect_file_refs(child, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                collect_file_refs(child, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Normalises a `/`-separated path: removes `.` segments and folds `..` where possible.
pub fn normalize_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute { format!("/{joined}") } else { joined }
}

/// Resolves `relative` against the directory of `base`.
pub fn join_path(base: &str, relative: &str) -> String {
    if relative.starts_with('/') {
        return normalize_path(relative);
    }
    match base.rfind('/') {
        Some(i) => normalize_path(&format!("{}/{relative}", &base[..i])),
        None => normalize_path(relative),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_normalizes_paths() {
        assert_eq!(join_path("spec/a/root.yaml", "./schemas/x.yaml"), "spec/a/schemas/x.yaml");
        assert_eq!(join_path("spec/a/schemas/x.yaml", "../y.yaml"), "spec/a/y.yaml");
        assert_eq!(join_path("root.yaml", "x.yaml"), "x.yaml");
        assert_eq!(normalize_path("../a/./b"), "../a/b");
    }

    #[test]
    fn loads_referenced_files_and_resolves() {
        let reader = MemoryReader::new()
            .with("api/root.yaml", "a:\n  $ref: 'parts/b.yaml#/B'\n")
            .with("api/parts/b.yaml", "B:\n  type: string\n");
        let ws = Workspace::load(&["api/root.yaml".into()], &reader).unwrap();
        assert_eq!(ws.documents.len(), 2);
        let (target, node) = ws.resolve(0, "parts/b.yaml#/B").unwrap();
        assert_eq!(target.pointer, "/B");
        assert_eq!(node.get("type").unwrap().as_str(), Some("string"));
        assert!(ws.resolve(0, "#/missing").unwrap_err().contains("nothing at"));
    }

    #[test]
    fn reports_missing_referenced_file_at_the_ref() {
        let reader = MemoryReader::new().with("root.yaml", "a:\n  b:\n    $ref: 'gone.yaml'\n");
        let diags = Workspace::load(&["root.yaml".into()], &reader).unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location.line, 3);
        assert_eq!(diags[0].location.pointer, "/a/b/$ref");
    }
}

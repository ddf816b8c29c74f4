//! Loading: reads spec files through a [`SourceReader`], parses them into [`Node`] trees, applies
//! the config's overlays to the entry files they extend ([`crate::overlay`]) and follows
//! relative `$ref`s to further files, so later stages can resolve any reference without IO.
//!
//! A spec is untrusted input. Every file read (overlays, entries and `$ref` targets) must lie under one
//! *root* folder, checked on the path as written and, by [`FsReader`], on the real path after
//! symlinks; only regular files are read; every file and the whole set are bounded in size, and
//! parsing is bounded in nesting depth and alias expansion ([`Limits`]). `$ref`s are followed
//! only where a Reference Object may stand: literal data (examples, defaults, `const`, `enum`,
//! `x-` extensions) may hold a `$ref` key that is just data.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Location};
use crate::node::{self, Format, Node, ParseLimits, Value};
use crate::overlay;

/// Bounds on what loading may read and build. Each has a codegen config setting under
/// `limits:` (named in the error that reports it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one file (`limits.file_bytes`).
    pub file_bytes: u64,
    /// Bytes of all files of one API together (`limits.total_bytes`).
    pub total_bytes: u64,
    /// Nodes that YAML aliases may add by copying anchors, per file (`limits.alias_nodes`).
    pub alias_nodes: usize,
    /// Deepest nesting of mappings and sequences (`limits.depth`).
    pub depth: usize,
    /// Longest chain of `$ref`s to `$ref`s (`limits.ref_chain`).
    pub ref_chain: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: 16 << 20,
            total_bytes: 64 << 20,
            alias_nodes: node::DEFAULT_MAX_ALIAS_NODES,
            depth: node::DEFAULT_MAX_DEPTH,
            ref_chain: 32,
        }
    }
}

impl Limits {
    /// The parser's share of the limits.
    pub fn parse_limits(&self) -> ParseLimits {
        ParseLimits { max_depth: self.depth, max_alias_nodes: self.alias_nodes }
    }
}

/// Where loading may read, and how much.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The folder every file must lie under, as a `/`-separated path in the same terms as the
    /// paths given to the reader (`""` is the reader's base folder).
    pub root: String,
    /// Resource bounds.
    pub limits: Limits,
    /// Overlays to apply to the entries, in order.
    pub overlays: Vec<OverlayFile>,
}

/// An overlay file to read and apply ([`crate::overlay`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlayFile {
    /// Its path, in the same terms as the entries.
    pub path: String,
    /// Where the codegen config names it.
    pub listed_at: Location,
}

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// No such file.
    NotFound,
    /// The path names something other than a regular file (a directory, FIFO, device...).
    NotRegular(&'static str),
    /// The path leads outside the root once symlinks are followed.
    OutsideRoot(String),
    /// The file is larger than allowed.
    TooLarge(u64),
    /// Any other IO error.
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "no such file"),
            ReadError::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::OutsideRoot(real) => write!(f, "it leads outside the spec root (to `{real}`)"),
            ReadError::TooLarge(size) => write!(f, "it is larger than allowed ({size} bytes or more)"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Where spec text comes from. The library never touches the file system itself.
pub trait SourceReader {
    /// Returns the bytes of the file at `path` (a normalised `/`-separated path that lies under
    /// `root` as written). Implementations must refuse anything but regular files, files that
    /// lead outside `root` through links, and files of more than `max_bytes`.
    fn read(&self, path: &str, root: &str, max_bytes: u64) -> Result<Vec<u8>, ReadError>;
}

/// Reads from the file system, relative to a base directory (paths in diagnostics stay
/// relative, as the user wrote them).
#[derive(Clone, Debug, Default)]
pub struct FsReader {
    base: PathBuf,
}

impl FsReader {
    /// Reads paths relative to `base`.
    pub fn new(base: impl Into<PathBuf>) -> Self {
        FsReader { base: base.into() }
    }
}

impl SourceReader for FsReader {
    fn read(&self, path: &str, root: &str, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        let root = self.base.join(if root.is_empty() { "." } else { root });
        let root = root.canonicalize().map_err(|e| ReadError::Io(format!("cannot open the spec root: {e}")))?;
        let real = match self.base.join(path).canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::NotFound),
            Err(e) => return Err(ReadError::Io(e.to_string())),
        };
        if !real.starts_with(&root) {
            return Err(ReadError::OutsideRoot(real.display().to_string()));
        }
        read_regular_file(&real, max_bytes)
    }
}

/// Reads a regular file of at most `max_bytes` without ever blocking on a FIFO or device:
/// the kind of file is checked before opening, and again on the open handle.
pub fn read_regular_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let kind_error = |meta: &std::fs::Metadata| -> Option<ReadError> {
        let ft = meta.file_type();
        if ft.is_file() {
            return None;
        }
        Some(ReadError::NotRegular(if ft.is_dir() {
            "a directory"
        } else if ft.is_symlink() {
            "a symbolic link"
        } else {
            special_kind(&ft)
        }))
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::NotFound),
        Err(e) => return Err(ReadError::Io(e.to_string())),
    };
    if let Some(error) = kind_error(&meta) {
        return Err(error);
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never wait for a writer if the file was swapped for a FIFO after the check above.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|e| ReadError::Io(e.to_string()))?;
    let meta = file.metadata().map_err(|e| ReadError::Io(e.to_string()))?;
    if let Some(error) = kind_error(&meta) {
        return Err(error);
    }
    if meta.len() > max_bytes {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| ReadError::Io(e.to_string()))?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn special_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Files held in memory, for tests and for callers that already have the text.
#[derive(Clone, Debug, Default)]
pub struct MemoryReader {
    files: HashMap<String, Vec<u8>>,
}

impl MemoryReader {
    /// An empty set of files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file.
    pub fn with(self, path: &str, text: &str) -> Self {
        self.with_bytes(path, text.as_bytes())
    }

    /// Adds a file given as bytes (which need not be UTF-8).
    pub fn with_bytes(mut self, path: &str, bytes: &[u8]) -> Self {
        self.files.insert(normalize_path(path), bytes.to_vec());
        self
    }
}

impl SourceReader for MemoryReader {
    fn read(&self, path: &str, _root: &str, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        let bytes = self.files.get(&normalize_path(path)).ok_or(ReadError::NotFound)?;
        if bytes.len() as u64 > max_bytes {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes.clone())
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

impl std::ops::Index<usize> for Workspace {
    type Output = Document;

    /// The document at an index taken from this workspace (a [`Target`] it resolved, or a
    /// position in [`Workspace::documents`]).
    // Document indices are only handed out by the workspace that holds the documents.
    #[allow(clippy::indexing_slicing)]
    fn index(&self, doc: usize) -> &Document {
        &self.documents[doc]
    }
}

/// A resolved reference: a document and a pointer inside it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// Index into [`Workspace::documents`].
    pub doc: usize,
    /// JSON pointer, `""` for the root.
    pub pointer: String,
}

/// True when the normalised `path` lies under the normalised folder `root`.
pub fn is_under(root: &str, path: &str) -> bool {
    if path.starts_with('/') != root.starts_with('/') {
        return false;
    }
    let root_parts: Vec<&str> = root.split('/').filter(|p| !p.is_empty()).collect();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    parts.len() > root_parts.len()
        && parts.iter().zip(&root_parts).all(|(a, b)| a == b)
        && !parts.iter().skip(root_parts.len()).any(|p| *p == "..")
}

/// The URL scheme a `$ref` (or an overlay's `extends`) names its file by, when it has one.
pub(crate) fn file_scheme(reference: &str) -> Option<&str> {
    let (scheme, _) = reference.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (valid && !scheme.contains('/')).then_some(scheme)
}

impl Workspace {
    /// Loads `entries` and every file they reference, under `options.root`, after applying
    /// `options.overlays` to the entries they extend. All problems are returned together.
    pub fn load(
        entries: &[String],
        reader: &dyn SourceReader,
        options: &LoadOptions,
    ) -> Result<Workspace, Vec<Diagnostic>> {
        let mut loader = Loader {
            ws: Workspace::default(),
            diags: Vec::new(),
            root: normalize_path(&options.root),
            limits: options.limits,
            total: 0,
            reader,
            queue: VecDeque::new(),
        };
        let mut overlays = Vec::new();
        for listed in &options.overlays {
            let path = normalize_path(&listed.path);
            if let Some(node) = loader.read(&path, Referrer::Config(&listed.listed_at)) {
                match overlay::read(&path.as_str().into(), &node) {
                    Ok(overlay) => overlays.push(overlay),
                    Err(problems) => loader.diags.extend(problems),
                }
            }
        }
        let mut parsed: Vec<(Arc<str>, Node)> = Vec::new();
        let listed: Vec<String> = entries.iter().map(|p| normalize_path(p)).collect();
        for path in &listed {
            if loader.ws.index.contains_key(path) || parsed.iter().any(|(p, _)| **p == **path) {
                continue;
            }
            if let Some(node) = loader.read(path, Referrer::Entry) {
                parsed.push((path.as_str().into(), node));
            }
        }
        if !overlays.is_empty() {
            let mut targets: Vec<overlay::Entry<'_>> =
                parsed.iter_mut().map(|(path, root)| overlay::Entry { path, root }).collect();
            let problems = overlay::apply(&mut targets, &listed, &overlays, &loader.limits);
            loader.diags.extend(problems);
        }
        for (path, root) in parsed {
            loader.add(path, root, true, Context::Keywords);
        }
        while let Some((path, referrer, context)) = loader.queue.pop_front() {
            if loader.ws.index.contains_key(&path) {
                continue;
            }
            if let Some(root) = loader.read(&path, Referrer::Ref(&referrer)) {
                loader.add(path.as_str().into(), root, false, context);
            }
        }
        let Loader { mut ws, diags, .. } = loader;
        ws.index.retain(|_, i| *i != usize::MAX);
        if diags.is_empty() { Ok(ws) } else { Err(diags) }
    }

    /// Resolves `reference` written in document `from`. The error says what is wrong.
    pub fn resolve(&self, from: usize, reference: &str) -> Result<(Target, &Node), String> {
        let (file, fragment) = match reference.split_once('#') {
            Some((file, fragment)) => (file, fragment),
            None => (reference, ""),
        };
        let from_doc = self.documents.get(from).ok_or_else(|| format!("no document {from}"))?;
        let doc = if file.is_empty() {
            from
        } else {
            let path = join_path(&from_doc.path, file);
            *self.index.get(&path).ok_or_else(|| format!("file `{path}` was not loaded"))?
        };
        let segments = decode_fragment(fragment)?;
        let document = self.documents.get(doc).ok_or_else(|| format!("no document {doc}"))?;
        let node = document
            .root
            .pointer(&segments)
            .ok_or_else(|| format!("nothing at `#{fragment}` in `{}`", document.path))?;
        let pointer: String = segments.iter().map(|s| format!("/{}", node::escape_pointer_segment(s))).collect();
        Ok((Target { doc, pointer }, node))
    }

    /// The location of a node, for diagnostics: where its document holds it, or, for a node an
    /// overlay added, where the overlay writes it.
    pub fn location(&self, doc: usize, pointer: &str, node: &Node) -> Location {
        if let Some(origin) = &node.origin {
            return (**origin).clone();
        }
        Location {
            file: self.documents.get(doc).map_or_else(|| Arc::from(""), |d| d.path.clone()),
            line: node.line,
            column: node.column,
            pointer: pointer.to_owned(),
        }
    }
}

/// Where a file to read is named.
#[derive(Clone, Copy)]
enum Referrer<'a> {
    /// An entry the config lists (reported at the file itself).
    Entry,
    /// In the codegen config (an overlay).
    Config(&'a Location),
    /// By a `$ref`.
    Ref(&'a Location),
}

/// The state of one [`Workspace::load`].
struct Loader<'r> {
    ws: Workspace,
    diags: Vec<Diagnostic>,
    root: String,
    limits: Limits,
    /// Bytes read so far.
    total: u64,
    reader: &'r dyn SourceReader,
    /// Files still to read: each with where it is referred to and what its root's keys are (a
    /// whole file referenced in place of a map of names, `properties: {$ref: props.yaml}`, is
    /// read as names; any other as keywords).
    queue: VecDeque<(String, Location, Context)>,
}

impl Loader<'_> {
    /// Reads and parses the file at `path`, named at `referrer`, and marks the path as read.
    /// Problems are recorded.
    fn read(&mut self, path: &str, referrer: Referrer<'_>) -> Option<Node> {
        self.ws.index.insert(path.to_owned(), usize::MAX);
        let widen = "set `root:` in the codegen config (or pass `--root`) to a folder that holds every spec file";
        let at = || match referrer {
            Referrer::Entry => Location::file(path),
            Referrer::Config(at) | Referrer::Ref(at) => at.clone(),
        };
        let (root, limits) = (&self.root, self.limits);
        if !is_under(root, path) {
            let shown = if root.is_empty() { "." } else { root.as_str() };
            self.diags.push(
                Diagnostic::new(at(), format!("`{path}` lies outside the spec root `{shown}`"))
                    .expected(format!("a file under `{shown}`; {widen}")),
            );
            return None;
        }
        let remaining = limits.total_bytes.saturating_sub(self.total);
        let bytes = match self.reader.read(path, root, limits.file_bytes.min(remaining)) {
            Ok(bytes) => bytes,
            Err(error) => {
                let (message, expected) = match &error {
                    ReadError::TooLarge(_) if remaining < limits.file_bytes => (
                        format!(
                            "cannot read `{path}`: the files of this API exceed {} bytes together",
                            limits.total_bytes
                        ),
                        "a smaller spec, or a larger `limits.total_bytes` in the codegen config".to_owned(),
                    ),
                    ReadError::TooLarge(_) => (
                        format!("cannot read `{path}`: it is larger than {} bytes", limits.file_bytes),
                        "a smaller file, or a larger `limits.file_bytes` in the codegen config".to_owned(),
                    ),
                    ReadError::OutsideRoot(_) => (format!("cannot read `{path}`: {error}"), widen.to_owned()),
                    _ => (
                        format!("cannot read `{path}`: {error}"),
                        if matches!(referrer, Referrer::Ref(_)) {
                            "a regular file, at a path relative to the referring file".to_owned()
                        } else {
                            "a regular file".to_owned()
                        },
                    ),
                };
                self.diags.push(Diagnostic::new(at(), message).expected(expected));
                return None;
            }
        };
        self.total = self.total.saturating_add(bytes.len() as u64);
        let file: Arc<str> = path.into();
        let located = |e: node::ParseError| {
            Diagnostic::new(
                Location { file: file.clone(), line: e.line, column: e.column, pointer: String::new() },
                e.message,
            )
        };
        let text = match node::decode_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => {
                self.diags.push(located(e).expected("a file encoded as UTF-8"));
                return None;
            }
        };
        match node::parse_with(text, Format::of_path(path), &limits.parse_limits()) {
            Ok(root) => Some(root),
            Err(errors) => {
                self.diags.extend(errors.into_iter().map(located));
                None
            }
        }
    }

    /// Adds a parsed file to the workspace and queues the files its `$ref`s name.
    fn add(&mut self, path: Arc<str>, root: Node, entry: bool, context: Context) {
        let mut refs = Vec::new();
        collect_file_refs(&root, context, &mut String::new(), &mut refs);
        for (reference, pointer, node_at, context) in refs {
            let location = match node_at {
                NodeAt::Here(line, column) => Location { file: path.clone(), line, column, pointer },
                NodeAt::Origin(origin) => (*origin).clone(),
            };
            let file = reference.split('#').next().unwrap_or_default();
            if let Some(scheme) = file_scheme(file) {
                self.diags.push(
                    Diagnostic::new(
                        location,
                        format!("`{reference}` is a `{scheme}:` reference; triad reads only local files"),
                    )
                    .expected("a local reference (`#/...`) or a path relative to this file"),
                );
                continue;
            }
            if file.starts_with('/') || file.starts_with('\\') {
                self.diags.push(
                    Diagnostic::new(location, format!("`{reference}` is an absolute path"))
                        .expected("a path relative to this file"),
                );
                continue;
            }
            let target = join_path(&path, file);
            let whole = reference.len() == file.len() || reference.ends_with('#');
            let context = if whole { context } else { Context::Keywords };
            self.queue.push_back((target, location, context));
        }
        self.ws.index.insert(path.to_string(), self.ws.documents.len());
        self.ws.documents.push(Document { path, root, entry });
    }
}

/// Decodes the fragment of a `$ref` (a URI fragment holding a JSON pointer) into unescaped
/// segments: percent-escapes first (any bytes, which must then form UTF-8), then `~1` and `~0`.
pub fn decode_fragment(fragment: &str) -> Result<Vec<String>, String> {
    let bytes = fragment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(byte) => {
                    decoded.push(byte);
                    i += 3;
                }
                None => {
                    return Err(format!(
                        "`#{fragment}` has an invalid percent-escape at character {}; `%` must be followed by two hex digits",
                        fragment.get(..i).map_or(0, |s| s.chars().count()) + 1
                    ));
                }
            }
        } else {
            decoded.push(b);
            i += 1;
        }
    }
    let text =
        String::from_utf8(decoded).map_err(|_| format!("`#{fragment}` percent-decodes to bytes that are not UTF-8"))?;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!("`#{fragment}` is not a JSON pointer (it must be empty or start with `/`)"));
    };
    rest.split('/').map(|segment| unescape_segment(segment).map_err(|e| format!("`#{fragment}`: {e}"))).collect()
}

/// `~1` → `/`, `~0` → `~`; any other `~` is an error.
fn unescape_segment(segment: &str) -> Result<String, String> {
    let mut out = String::with_capacity(segment.len());
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                Some(other) => return Err(format!("`~{other}` is not a JSON pointer escape (only `~0` and `~1` are)")),
                None => return Err("a JSON pointer segment ends with a lone `~`".to_owned()),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// What the keys of a mapping are, while looking for `$ref`s to other files.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Keywords of an object of the specification (schema, operation, parameter...).
    Keywords,
    /// Names chosen by the author (property names, schema names, status codes...); each value
    /// is an object of the specification.
    Names,
    /// Names, where `x-` keys are extensions rather than names (Paths, Responses, Callbacks).
    NamesWithExtensions,
    /// `examples` of a media type or parameter: names of Example Objects (or references).
    Examples,
}

/// Keywords whose mapping value is keyed by names.
fn names_context(keyword: &str) -> Option<Context> {
    Some(match keyword {
        "paths" | "responses" | "callbacks" => Context::NamesWithExtensions,
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" | "schemas"
        | "parameters" | "requestBodies" | "headers" | "securitySchemes" | "links" | "pathItems" | "content"
        | "encoding" | "webhooks" | "channels" | "operations" | "messages" | "servers" | "variables"
        | "messageTraits" | "operationTraits" | "serverVariables" | "correlationIds" | "replies" | "replyAddresses"
        | "serverBindings" | "channelBindings" | "operationBindings" | "messageBindings" => Context::Names,
        _ => return None,
    })
}

/// The reference of an object whose only key is `$ref` (with a string value). Under JSON
/// Reference such an object stands for the value it points at wherever the document allows an
/// object: a schema, but also a whole map of properties, responses or headers, or a list of
/// parameters.
pub fn ref_only(node: &Node) -> Option<&str> {
    match node.as_map() {
        Some(map) if map.len() == 1 => map.get("$ref").and_then(Node::as_str),
        _ => None,
    }
}

/// Keywords whose value is literal data, never a place for a Reference Object.
fn is_literal(keyword: &str) -> bool {
    matches!(keyword, "example" | "default" | "const" | "enum" | "value" | "externalValue") || keyword.starts_with("x-")
}

/// A `$ref` to another file: the reference, its JSON pointer, line and column, and what the
/// keys of the value it stands for are.
type FileRef = (String, String, NodeAt, Context);

/// Where a `$ref` is written: at a line and column of the file that holds it, or, when an
/// overlay added it, in the overlay.
enum NodeAt {
    Here(u32, u32),
    Origin(Arc<Location>),
}

impl NodeAt {
    fn of(node: &Node) -> NodeAt {
        match &node.origin {
            Some(origin) => NodeAt::Origin(origin.clone()),
            None => NodeAt::Here(node.line, node.column),
        }
    }
}

/// Collects `$ref`s to other files, at the places where references may stand.
fn collect_file_refs(node: &Node, context: Context, pointer: &mut String, out: &mut Vec<FileRef>) {
    match &node.value {
        Value::Map(map) => {
            if context != Context::Keywords {
                // A map of names written as a reference to it: its file holds names too.
                if let Some(reference) = ref_only(node) {
                    if let Some(r) = map.get("$ref").filter(|_| !reference.starts_with('#')) {
                        out.push((reference.to_owned(), format!("{pointer}/$ref"), NodeAt::of(r), context));
                    }
                    return;
                }
            }
            if context == Context::Keywords {
                if let Some(r) = map.get("$ref") {
                    if let Some(reference) = r.as_str() {
                        if !reference.starts_with('#') {
                            out.push((reference.to_owned(), format!("{pointer}/$ref"), NodeAt::of(r), context));
                        }
                    }
                }
            }
            for (key, child) in map {
                let child_context = match context {
                    Context::Keywords => {
                        if key == "mapping" {
                            collect_mapping_refs(child, pointer, out);
                            continue;
                        }
                        if key == "$ref" || is_literal(key) {
                            continue;
                        }
                        match (key.as_str(), &child.value) {
                            // Schema `examples` (a list of values) and AsyncAPI message examples.
                            ("examples", Value::Seq(_)) => continue,
                            ("examples", _) => Context::Examples,
                            _ => names_context(key).unwrap_or(Context::Keywords),
                        }
                    }
                    Context::NamesWithExtensions if key.starts_with("x-") => continue,
                    Context::Names | Context::NamesWithExtensions | Context::Examples => Context::Keywords,
                };
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&node::escape_pointer_segment(key));
                collect_file_refs(child, child_context, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                collect_file_refs(child, Context::Keywords, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// A discriminator `mapping` names schemas by name or by reference; references to other files
/// are followed.
fn collect_mapping_refs(node: &Node, pointer: &str, out: &mut Vec<FileRef>) {
    for (name, value) in node.as_map().into_iter().flatten() {
        if let Some(reference) = value.as_str() {
            let names_a_file =
                reference.contains(['/', '#']) || reference.contains(".y") || reference.contains(".json");
            if names_a_file && !reference.starts_with('#') {
                let at = format!("{pointer}/mapping/{}", node::escape_pointer_segment(name));
                out.push((reference.to_owned(), at, NodeAt::of(value), Context::Keywords));
            }
        }
    }
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
        Some(i) => normalize_path(&format!("{}/{relative}", base.get(..i).unwrap_or_default())),
        None => normalize_path(relative),
    }
}

/// The path that leads from folder `from` to `to` (both `/`-separated, in the same terms).
pub fn relative_path(from: &str, to: &str) -> String {
    let from = normalize_path(from);
    let to = normalize_path(to);
    let a: Vec<&str> = from.split('/').filter(|p| !p.is_empty()).collect();
    let b: Vec<&str> = to.split('/').filter(|p| !p.is_empty()).collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = a.iter().skip(common).map(|_| "..").collect();
    parts.extend(b.iter().skip(common));
    if parts.is_empty() { ".".to_owned() } else { parts.join("/") }
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
        let ws = Workspace::load(&["api/root.yaml".into()], &reader, &LoadOptions::default()).unwrap();
        assert_eq!(ws.documents.len(), 2);
        let (target, node) = ws.resolve(0, "parts/b.yaml#/B").unwrap();
        assert_eq!(target.pointer, "/B");
        assert_eq!(node.get("type").unwrap().as_str(), Some("string"));
        assert!(ws.resolve(0, "#/missing").unwrap_err().contains("nothing at"));
    }

    #[test]
    fn reports_missing_referenced_file_at_the_ref() {
        let reader = MemoryReader::new().with("root.yaml", "a:\n  b:\n    $ref: 'gone.yaml'\n");
        let diags = Workspace::load(&["root.yaml".into()], &reader, &LoadOptions::default()).unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location.line, 3);
        assert_eq!(diags[0].location.pointer, "/a/b/$ref");
    }
}

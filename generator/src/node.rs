//! A YAML/JSON value tree in which every node remembers where it was written.
//!
//! Specs are parsed with `saphyr-parser`'s event API into [`Node`]s. Anchors and aliases are
//! resolved here (an alias becomes a copy of its anchored node, keeping the anchor's position),
//! so later stages never see them. JSON is parsed by the same code: it is a subset of YAML 1.2.

use std::borrow::Cow;
use std::collections::HashMap;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

/// A parsed value plus its 1-based line and column.
#[derive(Clone, Debug)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line of the node's first character.
    pub line: u32,
    /// 1-based column of the node's first character.
    pub column: u32,
}

/// The value of a [`Node`].
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`, `~` or an empty scalar.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string (quoted, or a plain scalar that is not a null, bool or number).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in document order.
    Map(IndexMap<String, Node>),
}

impl PartialEq for Node {
    /// Structural equality: positions are ignored.
    fn eq(&self, other: &Self) -> bool {
        match (&self.value, &other.value) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a.len() == b.len() && a.iter().all(|(k, v)| b.get(k) == Some(v)),
            _ => false,
        }
    }
}

impl Node {
    /// The member `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// The mapping's entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&IndexMap<String, Node>> {
        match &self.value {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The sequence's items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A scalar written as text (numbers and booleans included), for enum values and keys.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A short word for the kind of value, for messages ("a mapping", "a string"...).
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// Follows a JSON pointer (`/a/b/0`, already split and unescaped) from this node.
    pub fn pointer<'a>(&'a self, segments: &[String]) -> Option<&'a Node> {
        let mut node = self;
        for segment in segments {
            node = match &node.value {
                Value::Map(map) => map.get(segment.as_str())?,
                Value::Seq(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// Escapes one JSON pointer segment (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// Splits a JSON pointer into unescaped segments; `None` if it does not start with `/`.
pub fn split_pointer(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect())
}

/// A problem found while parsing, with a 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What went wrong.
    pub message: String,
}

impl ParseError {
    fn at(line: u32, column: u32, message: impl Into<String>) -> Self {
        ParseError { line, column, message: message.into() }
    }
}

/// The syntax a file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.2 (one document per file).
    Yaml,
    /// JSON (RFC 8259), read by a JSON parser.
    Json,
}

impl Format {
    /// JSON for `*.json` files, YAML for everything else.
    pub fn of_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") { Format::Json } else { Format::Yaml }
    }
}

/// Bounds on what one document may build, so a small hostile file cannot exhaust memory or the
/// stack. The messages name the codegen config setting that raises each bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Deepest nesting of mappings and sequences (`limits.depth`).
    pub max_depth: usize,
    /// Nodes that aliases may add by copying their anchors, over the whole document
    /// (`limits.alias_nodes`).
    pub max_alias_nodes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits { max_depth: DEFAULT_MAX_DEPTH, max_alias_nodes: DEFAULT_MAX_ALIAS_NODES }
    }
}

/// Default of [`ParseLimits::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 128;
/// Default of [`ParseLimits::max_alias_nodes`].
pub const DEFAULT_MAX_ALIAS_NODES: usize = 200_000;

/// Decodes a file's bytes as UTF-8 (a leading byte-order mark is dropped). Invalid UTF-8 is
/// reported with its byte offset, line and column.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        let valid = String::from_utf8_lossy(bytes.get(..offset).unwrap_or_default());
        let (line, column) = line_column(&valid, valid.len());
        ParseError::at(line, column, format!("invalid UTF-8 at byte offset {offset}"))
    })
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (u32, u32) {
    LineIndex::new(text).at(offset)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses one YAML document with the default [`ParseLimits`].
pub fn parse(text: &str) -> Result<Node, Vec<ParseError>> {
    parse_with(text, Format::Yaml, &ParseLimits::default())
}

/// Parses one document of the given format. Syntax errors stop parsing; structural problems
/// (duplicate keys, non-scalar keys, unknown aliases, exceeded limits) are all collected.
pub fn parse_with(text: &str, format: Format, limits: &ParseLimits) -> Result<Node, Vec<ParseError>> {
    match format {
        Format::Yaml => parse_yaml(text, limits),
        Format::Json => parse_json(text, limits),
    }
}

fn parse_yaml(text: &str, limits: &ParseLimits) -> Result<Node, Vec<ParseError>> {
    let mut builder = Builder { limits: *limits, ..Builder::default() };
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    // Events are pulled one at a time (the parser's own `load` recurses once per nesting level).
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(pair) => pair,
            Err(error) => {
                // The parser's own bound on flow nesting: our depth error, if any, says more.
                let depth_reported = builder.errors.iter().any(|e| e.message.starts_with("nesting deeper"));
                if error.info().contains("recursion limit") {
                    if !depth_reported {
                        let (line, column) = marker_position(text, error.marker());
                        builder.errors.push(ParseError::at(
                            line,
                            column,
                            "nesting deeper than the YAML parser allows for flow collections (`[...]`, `{...}`); \
                             reduce the nesting (`limits.depth` cannot raise this bound)",
                        ));
                    }
                } else {
                    builder.errors.push(scan_error(text, &error));
                }
                return Err(builder.errors);
            }
        };
        if let Event::DocumentStart(_) = event {
            documents += 1;
            if documents > 1 {
                let (line, column) = position(&span);
                builder.errors.push(ParseError::at(
                    line,
                    column,
                    "a second YAML document starts here; a spec file must hold exactly one document",
                ));
                break;
            }
        }
        builder.on_event(event, span);
    }
    if !builder.errors.is_empty() {
        // An empty node at the very end (`? ` with nothing after it) is placed past the text.
        for e in &mut builder.errors {
            (e.line, e.column) = clamp_position(text, e.line as usize, e.column as usize);
        }
        return Err(builder.errors);
    }
    match builder.root {
        Some(root) => Ok(root),
        None => Err(vec![ParseError::at(1, 1, "the file is empty")]),
    }
}

fn scan_error(text: &str, error: &ScanError) -> ParseError {
    let (line, column) = marker_position(text, error.marker());
    ParseError::at(line, column, format!("invalid YAML: {}", error.info()))
}

/// A scanner marker as a position inside `text`: the parser may place its marker one line past
/// the end of the input, or count a column in bytes; positions are clamped to a real line and
/// to at most one past its last character. Lines end at `\n`, `\r\n` or a lone `\r`, as in YAML.
fn marker_position(text: &str, marker: &saphyr_parser::Marker) -> (u32, u32) {
    clamp_position(text, marker.line(), marker.col() + 1)
}

fn clamp_position(text: &str, line: usize, column: usize) -> (u32, u32) {
    let lines: Vec<&str> = text.split("\r\n").flat_map(|l| l.split(['\n', '\r'])).collect();
    let count = lines.len().max(1);
    let line = line.clamp(1, count);
    let width = lines.get(line - 1).map_or(0, |l| l.chars().count());
    let column = column.clamp(1, width + 1);
    (to_u32(line), to_u32(column))
}

/// A mapping key as written: the text it stands for and the typed value used to find
/// duplicates the way YAML 1.2's core schema compares keys.
#[derive(Clone, Debug)]
struct Key {
    text: String,
    identity: KeyIdentity,
    line: u32,
    column: u32,
    /// A plain `<<`: a merge key.
    merge: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum KeyIdentity {
    Str(String),
    Int(i64),
    Float(u64),
    Bool(bool),
}

impl KeyIdentity {
    fn kind(&self) -> &'static str {
        match self {
            KeyIdentity::Str(_) => "a string",
            KeyIdentity::Int(_) => "an integer",
            KeyIdentity::Float(_) => "a float",
            KeyIdentity::Bool(_) => "a boolean",
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        anchor: usize,
        line: u32,
        column: u32,
        size: usize,
    },
    Map {
        map: IndexMap<String, Node>,
        identities: Vec<(KeyIdentity, String)>,
        key: Option<Key>,
        /// `<<` merges: position in `map` where the key was written, and the merged value.
        merges: Vec<(usize, Node)>,
        anchor: usize,
        line: u32,
        column: u32,
        size: usize,
    },
}

#[derive(Default)]
struct Builder {
    limits: ParseLimits,
    stack: Vec<Frame>,
    /// Anchored nodes with their size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes added so far by copying anchors.
    alias_nodes: usize,
    /// Set once the alias limit is reported; later aliases are refused without a word.
    alias_limit_hit: bool,
    /// Levels of nesting being skipped because they exceed the depth limit.
    skipped_depth: usize,
    root: Option<Node>,
    errors: Vec<ParseError>,
}

impl Builder {
    fn finish(&mut self, node: Node, size: usize, anchor: usize, key: Option<Key>) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.push(node, size, key);
    }

    /// Adds a finished node to the collection being built. `key` is the key reading of a scalar
    /// (`None` for collections and aliases).
    fn push(&mut self, node: Node, size: usize, scalar_key: Option<Key>) {
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        match frame {
            Frame::Seq { items, size: total, .. } => {
                items.push(node);
                *total = total.saturating_add(size);
            }
            Frame::Map { map, identities, key, merges, size: total, .. } => {
                *total = total.saturating_add(size);
                match key.take() {
                    None => match scalar_key {
                        Some(k) => *key = Some(k),
                        None => {
                            let message = match node.value {
                                Value::Null => "a mapping key must be a string or a number, found null".to_owned(),
                                _ => format!("a mapping key must be a scalar, found {}", node.kind_name()),
                            };
                            self.errors.push(ParseError::at(node.line, node.column, message));
                            *key = Some(Key {
                                text: String::new(),
                                identity: KeyIdentity::Str(String::new()),
                                line: node.line,
                                column: node.column,
                                merge: false,
                            });
                        }
                    },
                    Some(k) if k.merge => {
                        let ok = match &node.value {
                            Value::Map(_) => true,
                            Value::Seq(items) => items.iter().all(|i| matches!(i.value, Value::Map(_))),
                            _ => false,
                        };
                        if ok {
                            merges.push((map.len(), node));
                        } else {
                            self.errors.push(ParseError::at(
                                node.line,
                                node.column,
                                format!(
                                    "the merge key `<<` needs a mapping or a list of mappings, found {}",
                                    node.kind_name()
                                ),
                            ));
                        }
                    }
                    Some(k) => {
                        if let Some((_, first)) =
                            identities.iter().find(|(id, text)| *id == k.identity || *text == k.text)
                        {
                            let message = if *first == k.text {
                                match identities.iter().find(|(_, text)| *text == k.text).map(|(id, _)| id) {
                                    Some(id) if id.kind() != k.identity.kind() => format!(
                                        "duplicate key `{}`: written once as {} and once as {}; both name the same property",
                                        k.text,
                                        id.kind(),
                                        k.identity.kind()
                                    ),
                                    _ => format!("duplicate key `{}` in a mapping", k.text),
                                }
                            } else {
                                format!(
                                    "duplicate key: `{}` and `{first}` are the same {} under YAML 1.2's core schema",
                                    k.text,
                                    k.identity.kind().trim_start_matches("an ").trim_start_matches("a ")
                                )
                            };
                            self.errors.push(ParseError::at(k.line, k.column, message));
                        } else {
                            identities.push((k.identity, k.text.clone()));
                            map.insert(k.text, node);
                        }
                    }
                }
            }
        }
    }

    fn start(&mut self, line: u32, column: u32) -> bool {
        if self.skipped_depth > 0 || self.stack.len() >= self.limits.max_depth {
            if self.skipped_depth == 0 {
                self.errors.push(ParseError::at(
                    line,
                    column,
                    format!(
                        "nesting deeper than {} levels; raise `limits.depth` in the codegen config if the spec needs it",
                        self.limits.max_depth
                    ),
                ));
            }
            self.skipped_depth += 1;
            return false;
        }
        true
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) {
        let (line, column) = position(&span);
        if self.skipped_depth > 0 {
            match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => self.skipped_depth += 1,
                Event::SequenceEnd | Event::MappingEnd => self.skipped_depth -= 1,
                _ => {}
            }
            return;
        }
        match event {
            Event::SequenceStart(anchor, tag) => {
                self.check_tag(tag.as_deref(), "seq", line, column);
                if self.start(line, column) {
                    self.stack.push(Frame::Seq { items: Vec::new(), anchor, line, column, size: 1 });
                }
            }
            Event::MappingStart(anchor, tag) => {
                self.check_tag(tag.as_deref(), "map", line, column);
                if self.start(line, column) {
                    self.stack.push(Frame::Map {
                        map: IndexMap::new(),
                        identities: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                        anchor,
                        line,
                        column,
                        size: 1,
                    });
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor, line, column, size) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, line, column, size }) => {
                        (Value::Seq(items), anchor, line, column, size)
                    }
                    Some(Frame::Map { map, merges, anchor, line, column, size, .. }) => {
                        (Value::Map(apply_merges(map, merges)), anchor, line, column, size)
                    }
                    None => return,
                };
                self.finish(Node { value, line, column }, size, anchor, None);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let (value, key) = self.scalar(&text, style, tag.as_deref(), line, column);
                self.finish(Node { value, line, column }, 1, anchor, key);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, size)) => {
                    let size = *size;
                    self.alias_nodes = self.alias_nodes.saturating_add(size);
                    if self.alias_nodes > self.limits.max_alias_nodes {
                        if self.alias_limit_hit {
                            self.push(Node { value: Value::Null, line, column }, 1, None);
                            return;
                        }
                        self.alias_limit_hit = true;
                        self.errors.push(ParseError::at(
                            line,
                            column,
                            format!(
                                "aliases expand to more than {} nodes; raise `limits.alias_nodes` in the codegen config if the spec needs it",
                                self.limits.max_alias_nodes
                            ),
                        ));
                        self.push(Node { value: Value::Null, line, column }, 1, None);
                        return;
                    }
                    let node = node.clone();
                    let key = key_of_node(&node);
                    self.push(node, size, key);
                }
                None => {
                    self.errors.push(ParseError::at(
                        line,
                        column,
                        "alias refers to an anchor that is not defined before it",
                    ));
                    self.push(Node { value: Value::Null, line, column }, 1, None);
                }
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd => {}
        }
    }

    fn check_tag(&mut self, tag: Option<&Tag>, expected: &str, line: u32, column: u32) {
        if let Some(tag) = tag {
            if !(tag.handle == "!!" && tag.suffix == expected) {
                self.errors.push(ParseError::at(
                    line,
                    column,
                    format!("unsupported tag `{}{}`: specs use plain YAML 1.2 (core schema)", tag.handle, tag.suffix),
                ));
            }
        }
    }

    /// The value of a scalar, and how it reads as a mapping key.
    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        line: u32,
        column: u32,
    ) -> (Value, Option<Key>) {
        let plain = style == ScalarStyle::Plain;
        let value = match tag {
            None if plain => resolve_plain(text),
            None => Value::Str(text.to_owned()),
            Some(tag) if tag.handle == "!!" => match tag.suffix.as_str() {
                "str" => Value::Str(text.to_owned()),
                suffix => {
                    let resolved = resolve_plain(text);
                    let fits = matches!(
                        (suffix, &resolved),
                        ("int", Value::Int(_))
                            | ("float", Value::Float(_) | Value::Int(_))
                            | ("bool", Value::Bool(_))
                            | ("null", Value::Null)
                    );
                    if !fits {
                        self.errors.push(ParseError::at(
                            line,
                            column,
                            format!("`{text}` is not a valid `!!{suffix}` under YAML 1.2's core schema"),
                        ));
                    }
                    match (suffix, resolved) {
                        ("float", Value::Int(i)) => Value::Float(i as f64),
                        (_, v) => v,
                    }
                }
            },
            Some(tag) => {
                self.errors.push(ParseError::at(
                    line,
                    column,
                    format!("unsupported tag `{}{}`: specs use plain YAML 1.2 (core schema)", tag.handle, tag.suffix),
                ));
                Value::Str(text.to_owned())
            }
        };
        let identity = match &value {
            Value::Null => None,
            Value::Bool(b) => Some(KeyIdentity::Bool(*b)),
            Value::Int(i) => Some(KeyIdentity::Int(*i)),
            Value::Float(f) => Some(KeyIdentity::Float(if *f == 0.0 { 0 } else { f.to_bits() })),
            Value::Str(s) => Some(KeyIdentity::Str(s.clone())),
            Value::Seq(_) | Value::Map(_) => None,
        };
        let key = identity.map(|identity| Key {
            text: text.to_owned(),
            identity,
            line,
            column,
            merge: plain && tag.is_none() && text == "<<",
        });
        (value, key)
    }
}

/// How a node copied by an alias reads as a key (its written text is not kept, so numbers are
/// spelled canonically).
fn key_of_node(node: &Node) -> Option<Key> {
    let identity = match &node.value {
        Value::Bool(b) => KeyIdentity::Bool(*b),
        Value::Int(i) => KeyIdentity::Int(*i),
        Value::Float(f) => KeyIdentity::Float(f.to_bits()),
        Value::Str(s) => KeyIdentity::Str(s.clone()),
        Value::Null | Value::Seq(_) | Value::Map(_) => return None,
    };
    Some(Key { text: node.scalar_text()?, identity, line: node.line, column: node.column, merge: false })
}

/// Applies `<<` merge keys: keys written in the mapping win over merged ones, and an earlier
/// merged mapping wins over a later one. Merged entries take the place of the `<<` key.
fn apply_merges(map: IndexMap<String, Node>, merges: Vec<(usize, Node)>) -> IndexMap<String, Node> {
    if merges.is_empty() {
        return map;
    }
    let mut taken: std::collections::HashSet<String> = map.keys().cloned().collect();
    let mut groups: Vec<(usize, Vec<(String, Node)>)> = Vec::new();
    for (at, node) in merges {
        let sources: Vec<Node> = match node.value {
            Value::Map(_) => vec![node],
            Value::Seq(items) => items,
            _ => Vec::new(),
        };
        let mut group = Vec::new();
        for source in sources {
            if let Value::Map(entries) = source.value {
                for (k, v) in entries {
                    if taken.insert(k.clone()) {
                        group.push((k, v));
                    }
                }
            }
        }
        groups.push((at, group));
    }
    let mut out = IndexMap::with_capacity(map.len() + groups.iter().map(|(_, g)| g.len()).sum::<usize>());
    let mut groups = groups.into_iter().peekable();
    for (i, (k, v)) in map.into_iter().enumerate() {
        while let Some((_, group)) = groups.next_if(|(at, _)| *at <= i) {
            out.extend(group);
        }
        out.insert(k, v);
    }
    for (_, group) in groups {
        out.extend(group);
    }
    out
}

fn position(span: &Span) -> (u32, u32) {
    (to_u32(span.start.line()), to_u32(span.start.col() + 1))
}

/// JSON, read by a JSON parser (strict RFC 8259: no comments, no trailing commas), with the
/// position of every node.
fn parse_json(text: &str, limits: &ParseLimits) -> Result<Node, Vec<ParseError>> {
    use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions};
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let collect = CollectOptions { comments: CommentCollectionStrategy::Off, tokens: false };
    let lines = LineIndex::new(text);
    let parsed = jsonc_parser::parse_to_ast(text, &collect, &options).map_err(|error| {
        let (line, column) = lines.at(error.range().start);
        vec![ParseError::at(line, column, format!("invalid JSON: {}", error.kind()))]
    })?;
    let Some(value) = parsed.value else {
        return Err(vec![ParseError::at(1, 1, "the file is empty")]);
    };
    let mut errors = Vec::new();
    let node = json_node(value, &lines, limits, 0, &mut errors);
    if errors.is_empty() { Ok(node) } else { Err(errors) }
}

fn json_node(
    value: jsonc_parser::ast::Value<'_>,
    lines: &LineIndex,
    limits: &ParseLimits,
    depth: usize,
    errors: &mut Vec<ParseError>,
) -> Node {
    use jsonc_parser::ast::{ObjectPropName, Value as J};
    let start = match &value {
        J::StringLit(s) => s.range.start,
        J::NumberLit(n) => n.range.start,
        J::BooleanLit(b) => b.range.start,
        J::Object(o) => o.range.start,
        J::Array(a) => a.range.start,
        J::NullKeyword(n) => n.range.start,
    };
    let (line, column) = lines.at(start);
    let nested = matches!(value, J::Object(_) | J::Array(_));
    if nested && depth >= limits.max_depth {
        if !errors.iter().any(|e| e.message.starts_with("nesting deeper")) {
            errors.push(ParseError::at(
                line,
                column,
                format!(
                    "nesting deeper than {} levels; raise `limits.depth` in the codegen config if the spec needs it",
                    limits.max_depth
                ),
            ));
        }
        return Node { value: Value::Null, line, column };
    }
    let value = match value {
        J::StringLit(s) => Value::Str(s.value.into_owned()),
        J::NumberLit(n) => match n.value.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(n.value.parse().unwrap_or(f64::NAN)),
        },
        J::BooleanLit(b) => Value::Bool(b.value),
        J::NullKeyword(_) => Value::Null,
        J::Array(a) => {
            Value::Seq(a.elements.into_iter().map(|v| json_node(v, lines, limits, depth + 1, errors)).collect())
        }
        J::Object(o) => {
            let mut map = IndexMap::with_capacity(o.properties.len());
            for prop in o.properties {
                let (name, name_start) = match prop.name {
                    ObjectPropName::String(s) => (s.value.into_owned(), s.range.start),
                    ObjectPropName::Word(w) => (w.value.to_owned(), w.range.start),
                };
                let child = json_node(prop.value, lines, limits, depth + 1, errors);
                if map.contains_key(&name) {
                    let (line, column) = lines.at(name_start);
                    errors.push(ParseError::at(line, column, format!("duplicate key `{name}` in an object")));
                } else {
                    map.insert(name, child);
                }
            }
            Value::Map(map)
        }
    };
    Node { value, line, column }
}

/// Byte offset → line and column, for parsers that report offsets. Columns count characters;
/// the characters before every block of [`LINE_INDEX_BLOCK`] bytes are counted once, so a
/// column costs at most one block's scan even on a multi-megabyte single line (minified JSON).
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Characters before each block start.
    blocks: Vec<usize>,
}

const LINE_INDEX_BLOCK: usize = 256;

/// Characters in `bytes` (valid UTF-8 cut anywhere): the bytes that start a character.
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        // Lines end at `\n`, `\r\n` or a lone `\r`, as YAML and editors count them.
        let bytes = text.as_bytes();
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i + 1),
        );
        let mut blocks = Vec::with_capacity(text.len() / LINE_INDEX_BLOCK + 2);
        let mut count = 0;
        for chunk in bytes.chunks(LINE_INDEX_BLOCK) {
            blocks.push(count);
            count += char_starts(chunk);
        }
        blocks.push(count);
        LineIndex { text, starts, blocks }
    }

    /// Characters before byte `offset`.
    fn chars_before(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let block = offset / LINE_INDEX_BLOCK;
        let before_block = self.blocks.get(block).copied().unwrap_or(0);
        before_block + self.text.as_bytes().get(block * LINE_INDEX_BLOCK..offset).map_or(0, char_starts)
    }

    fn at(&self, offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self.chars_before(offset).saturating_sub(self.chars_before(start)) + 1;
        (to_u32(line), to_u32(column))
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let Some(&first) = text.as_bytes().first() else { return Value::Null };
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Value::Str(text.to_owned());
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Int(i);
        }
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(text.parse().unwrap_or(f64::NAN)),
        };
    }
    if is_core_float(digits) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text.to_owned())
}

fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_core_schema_scalars() {
        let node = parse("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: 200\ng: 1e3\nh: x1\n").unwrap();
        assert!(matches!(node.get("a").unwrap().value, Value::Int(1)));
        assert!(matches!(node.get("b").unwrap().value, Value::Float(f) if f == 1.5));
        assert!(matches!(node.get("c").unwrap().value, Value::Bool(true)));
        assert!(matches!(node.get("d").unwrap().value, Value::Null));
        assert_eq!(node.get("e").unwrap().as_str(), Some("1"));
        assert!(matches!(node.get("g").unwrap().value, Value::Float(f) if f == 1000.0));
        assert_eq!(node.get("h").unwrap().as_str(), Some("x1"));
    }

    #[test]
    fn resolves_aliases_and_keeps_positions() {
        let node = parse("base: &b\n  type: string\nother: *b\n").unwrap();
        let other = node.get("other").unwrap();
        assert_eq!(other.get("type").unwrap().as_str(), Some("string"));
        let base = node.get("base").unwrap().get("type").unwrap();
        assert_eq!((base.line, base.column), (2, 9));
    }

    #[test]
    fn reports_duplicate_keys_and_syntax_errors() {
        let errors = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (3, 1));
        assert!(errors[0].message.contains("duplicate key `a`"));
        let errors = parse("{\"a\": [1, 2}").unwrap_err();
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn parses_json() {
        let node = parse("{\"a\": {\"b\": [1, \"x\", null]}, \"200\": {}}").unwrap();
        let b = node.pointer(&split_pointer("/a/b/1").unwrap()).unwrap();
        assert_eq!(b.as_str(), Some("x"));
        assert!(node.get("200").is_some());
    }
}

#[cfg(test)]
mod line_index_tests {
    use super::*;

    #[test]
    fn columns_count_characters_across_blocks_and_lines() {
        // A long first line of multi-byte characters crossing many blocks, then a short line.
        let first = "é€😀a".repeat(700);
        let text = format!("{first}\nxé€y");
        let index = LineIndex::new(&text);
        let naive = |offset: usize| {
            let before = &text[..offset];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
        };
        for (offset, _) in text.char_indices().step_by(7).chain([(text.len(), ' ')]) {
            let (line, column) = index.at(offset);
            assert_eq!((line as usize, column as usize), naive(offset), "offset {offset}");
        }
    }
}

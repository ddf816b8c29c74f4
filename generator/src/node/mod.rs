//! A YAML/JSON value tree in which every node remembers where it was written.
//!
//! YAML is read with `saphyr-parser`'s event API (`yaml`), JSON with a strict JSON parser
//! (`json`), both into [`Node`]s. Anchors and aliases are resolved while building (an alias
//! becomes a copy of its anchored node, keeping the anchor's position), so later stages never
//! see them.

use std::borrow::Cow;
use std::sync::Arc;

use indexmap::IndexMap;

pub mod de;
mod json;
mod yaml;

/// A parsed value plus its 1-based line and column.
#[derive(Clone, Debug)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line of the node's first character.
    pub line: u32,
    /// 1-based column of the node's first character.
    pub column: u32,
    /// Where the node was written when that is another file than the document holding it: a
    /// node an overlay added to the document carries the overlay file, its own line and column
    /// there and its JSON pointer in the overlay. `None` for every node read from the document.
    pub origin: Option<Arc<crate::diag::Location>>,
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
    /// A node read from its own document at `line`, `column`.
    pub fn at(value: Value, line: u32, column: u32) -> Node {
        Node { value, line, column, origin: None }
    }

    /// The node's JSON value, without locations (a float JSON cannot hold, such as `.nan`, is
    /// `null`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

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
    json::LineIndex::new(text).at(offset)
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
        Format::Yaml => yaml::parse(text, limits),
        Format::Json => json::parse(text, limits),
    }
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

//! A YAML/JSON value tree in which every node remembers where it was written.
//!
//! Specs are parsed with `saphyr-parser`'s event API into [`Node`]s. Anchors and aliases are
//! resolved here (an alias becomes a copy of its anchored node, keeping the anchor's position),
//! so later stages never see them. JSON is parsed by the same code: it is a subset of YAML 1.2.

use std::borrow::Cow;
use std::collections::HashMap;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, SpannedEventReceiver};

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

/// Parses one YAML (or JSON) document. Syntax errors stop parsing; structural problems (duplicate
/// keys, non-scalar keys, unknown aliases) are all collected.
pub fn parse(text: &str) -> Result<Node, Vec<ParseError>> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(error) = parser.load(&mut builder, false) {
        return Err(vec![scan_error(&error)]);
    }
    if !builder.errors.is_empty() {
        return Err(builder.errors);
    }
    match builder.root {
        Some(root) => Ok(root),
        None => Err(vec![ParseError { line: 1, column: 1, message: "the file is empty".into() }]),
    }
}

fn scan_error(error: &ScanError) -> ParseError {
    let marker = error.marker();
    ParseError {
        line: marker.line() as u32,
        column: marker.col() as u32 + 1,
        message: format!("invalid YAML/JSON: {}", error.info()),
    }
}

enum Frame {
    Seq { items: Vec<Node>, anchor: usize, line: u32, column: u32 },
    Map { map: IndexMap<String, Node>, key: Option<(String, u32, u32)>, anchor: usize, line: u32, column: u32 },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    errors: Vec<ParseError>,
}

impl Builder {
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push(node);
    }

    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                None => match node.scalar_text().or_else(|| matches!(node.value, Value::Null).then(String::new)) {
                    Some(text) => *key = Some((text, node.line, node.column)),
                    None => {
                        self.errors.push(ParseError {
                            line: node.line,
                            column: node.column,
                            message: format!("a mapping key must be a scalar, found {}", node.kind_name()),
                        });
                        *key = Some((String::new(), node.line, node.column));
                    }
                },
                Some((text, line, column)) => {
                    if map.contains_key(&text) {
                        self.errors.push(ParseError {
                            line,
                            column,
                            message: format!("duplicate key `{text}` in a mapping"),
                        });
                    } else {
                        map.insert(text, node);
                    }
                }
            },
        }
    }
}

fn position(span: &Span) -> (u32, u32) {
    (span.start.line() as u32, span.start.col() as u32 + 1)
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        let (line, column) = position(&span);
        match event {
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq { items: Vec::new(), anchor, line, column }),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map { map: IndexMap::new(), key: None, anchor, line, column })
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor, line, column) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, line, column }) => (Value::Seq(items), anchor, line, column),
                    Some(Frame::Map { map, anchor, line, column, .. }) => (Value::Map(map), anchor, line, column),
                    None => return,
                };
                self.finish(Node { value, line, column }, anchor);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let forced_string = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == ScalarStyle::Plain && !forced_string {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.into_owned())
                };
                self.finish(Node { value, line, column }, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let node = node.clone();
                    self.push(node);
                }
                None => {
                    self.errors.push(ParseError {
                        line,
                        column,
                        message: "alias refers to an anchor that is not defined before it".into(),
                    });
                    self.push(Node { value: Value::Null, line, column });
                }
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd => {}
        }
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
    let first = text.as_bytes()[0];
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
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
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

//! Reading a [`Node`] tree into Rust types with `serde`: a [`serde::Deserializer`] over `&Node`
//! whose errors carry the line, column and JSON pointer of the node they concern.
//!
//! A [`Reader`] reads strictly (the first error ends the read, as in any serde format) or
//! recovering: a value of the wrong kind is recorded and read as the empty value of the kind
//! asked for (`""`, `false`, `0`, an empty sequence or mapping), and keys a struct does not
//! declare are recorded and skipped, so that one read reports every such problem. Errors a
//! visitor raises itself end the read in both modes. Either way the reader notes where each
//! mapping, string and integer it read was written.
//!
//! Scalars read by kind: a string setting takes any scalar but null (a number or boolean reads
//! as its text), integers are [`Value::Int`] (given to visitors as `i64`), floats
//! [`Value::Float`]; `null` is `None` for an `Option`; an enum is read from a string naming a
//! unit variant.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, Deserialize, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor};

use super::{Node, Value, escape_pointer_segment};

/// A problem found while reading a node, located at that node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What was found, or what is wrong.
    pub message: String,
    /// What was expected instead, when that can be said.
    pub expected: Option<String>,
    /// 1-based line of the node.
    pub line: u32,
    /// 1-based column of the node.
    pub column: u32,
    /// JSON pointer of the node, from the node the read started at.
    pub pointer: String,
    /// Whether `line`, `column` and `pointer` are set (errors a visitor raises are not, until
    /// they leave the node they were raised for).
    located: bool,
}

impl Error {
    fn new(message: String, expected: Option<String>) -> Self {
        Error { message, expected, line: 0, column: 0, pointer: String::new(), located: false }
    }

    /// A value of another kind than the one `expected`.
    fn wrong_kind(node: &Node, expected: &dyn Expected) -> Self {
        Error::new(format!("found {}", node.kind_name()), Some(expected.to_string()))
    }

    /// Places the error at `node` unless it is placed already (at a node nested deeper).
    fn locate(mut self, node: &Node, pointer: &str) -> Self {
        if !self.located {
            (self.line, self.column, self.pointer, self.located) = (node.line, node.column, pointer.to_owned(), true);
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.located {
            write!(f, "{}:{} (#{}): ", self.line, self.column, self.pointer)?;
        }
        f.write_str(&self.message)?;
        match &self.expected {
            Some(expected) => write!(f, ", expected {expected}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

/// The kind of an unexpected value, in the words [`Node::kind_name`] uses.
fn kind_of(unexpected: &Unexpected<'_>) -> String {
    match unexpected {
        Unexpected::Bool(_) => "a boolean".into(),
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number".into(),
        Unexpected::Char(_) | Unexpected::Str(_) => "a string".into(),
        Unexpected::Unit | Unexpected::Option => "null".into(),
        Unexpected::Seq => "a sequence".into(),
        Unexpected::Map => "a mapping".into(),
        other => other.to_string(),
    }
}

fn one_of(names: &[&str]) -> String {
    format!("one of: {}", names.join(", "))
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::new(message.to_string(), None)
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Error::new(format!("found {}", kind_of(&unexpected)), Some(expected.to_string()))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Error::invalid_type(unexpected, expected)
    }

    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        Error::new(format!("found {len} items"), Some(expected.to_string()))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::new(format!("unknown value `{variant}`"), Some(one_of(expected)))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Error::new(format!("unknown setting `{field}`"), Some(one_of(expected)))
    }

    fn missing_field(field: &'static str) -> Self {
        Error::new(format!("missing setting `{field}`"), None)
    }
}

/// Reads values out of node trees, strictly or recovering (see the module's documentation),
/// and keeps what the reads found: the errors recorded while recovering, and where each
/// mapping, string and integer read was written.
#[derive(Debug, Default)]
pub struct Reader {
    recover: bool,
    errors: RefCell<Vec<Error>>,
    positions: RefCell<BTreeMap<String, (u32, u32)>>,
}

impl Reader {
    /// A reader whose reads end at the first error.
    pub fn strict() -> Self {
        Reader::default()
    }

    /// A reader that records values of the wrong kind and unknown keys, and reads on.
    pub fn recovering() -> Self {
        Reader { recover: true, ..Reader::default() }
    }

    /// Reads `node`, found at `pointer`, as a `T`.
    pub fn read<'de, T: Deserialize<'de>>(&self, node: &'de Node, pointer: &str) -> Result<T, Error> {
        T::deserialize(NodeDeserializer { node, pointer: pointer.to_owned(), reader: self })
    }

    /// Reads `node`, found at `pointer`, as a `T`; an error that ends the read is recorded and
    /// `T::default()` given instead.
    pub fn read_or_default<'de, T: Deserialize<'de> + Default>(&self, node: &'de Node, pointer: &str) -> T {
        self.read(node, pointer).unwrap_or_else(|error| {
            self.record(error);
            T::default()
        })
    }

    /// The errors recorded so far, in the order they were found.
    pub fn errors(&self) -> Vec<Error> {
        self.errors.borrow().clone()
    }

    /// Whether an error was recorded at `pointer`.
    pub fn has_error_at(&self, pointer: &str) -> bool {
        self.errors.borrow().iter().any(|e| e.pointer == pointer)
    }

    /// Line and column of every mapping, string and integer read so far, by JSON pointer.
    pub fn positions(&self) -> BTreeMap<String, (u32, u32)> {
        self.positions.borrow().clone()
    }

    fn record(&self, error: Error) {
        self.errors.borrow_mut().push(error);
    }
}

/// Reads `node` as a `T`, strictly.
pub fn from_node<'de, T: Deserialize<'de>>(node: &'de Node) -> Result<T, Error> {
    Reader::strict().read(node, "")
}

fn child_pointer(parent: &str, key: &str) -> String {
    format!("{parent}/{}", escape_pointer_segment(key))
}

/// A node to read, where it is, and the reader reading it.
struct NodeDeserializer<'de, 'r> {
    node: &'de Node,
    pointer: String,
    reader: &'r Reader,
}

impl<'de, 'r> NodeDeserializer<'de, 'r> {
    fn locate(&self, error: Error) -> Error {
        error.locate(self.node, &self.pointer)
    }

    fn note_position(&self) {
        self.reader.positions.borrow_mut().insert(self.pointer.clone(), (self.node.line, self.node.column));
    }

    /// The node is not of the kind `visitor` asks for: an error, or when recovering a recorded
    /// error and `empty` read instead.
    fn mismatch<V: Visitor<'de>>(
        &self,
        visitor: V,
        empty: impl FnOnce(V) -> Result<V::Value, Error>,
    ) -> Result<V::Value, Error> {
        let error = self.locate(Error::wrong_kind(self.node, &visitor));
        if !self.reader.recover {
            return Err(error);
        }
        self.reader.record(error);
        empty(visitor)
    }

    fn entries(&self, map: &'de IndexMap<String, Node>, fields: Option<&'static [&'static str]>) -> Entries<'de, '_> {
        Entries { iter: map.iter(), pointer: &self.pointer, reader: self.reader, fields, value: None }
    }

    fn items(&self, items: &'de [Node]) -> Items<'de, '_> {
        Items { iter: items.iter().enumerate(), pointer: &self.pointer, reader: self.reader }
    }

    /// Records the keys of `map` that are not among `fields`.
    fn report_unknown_keys(&self, map: &IndexMap<String, Node>, fields: &'static [&'static str]) {
        for (key, value) in map.iter().filter(|(key, _)| !fields.contains(&key.as_str())) {
            let error = <Error as de::Error>::unknown_field(key, fields);
            self.reader.record(error.locate(value, &child_pointer(&self.pointer, key)));
        }
    }
}

/// An empty sequence or mapping, read in place of a value of the wrong kind.
fn empty_seq<'de, V: Visitor<'de>>(visitor: V) -> Result<V::Value, Error> {
    visitor.visit_seq(de::value::SeqDeserializer::new(std::iter::empty::<()>()))
}

fn empty_map<'de, V: Visitor<'de>>(visitor: V) -> Result<V::Value, Error> {
    visitor.visit_map(de::value::MapDeserializer::new(std::iter::empty::<((), ())>()))
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => visit_all_items(visitor, self.items(items)),
            Value::Map(map) => visitor.visit_map(self.entries(map, None)),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.note_position();
        let result = match &self.node.value {
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                visitor.visit_string(self.node.scalar_text().unwrap_or_default())
            }
            Value::Null | Value::Seq(_) | Value::Map(_) => self.mismatch(visitor, |v| v.visit_borrowed_str("")),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.node.value {
            Value::Bool(b) => visitor.visit_bool(b),
            _ => self.mismatch(visitor, |v| v.visit_bool(false)),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.note_position();
        let result = match self.node.value {
            Value::Int(i) => visitor.visit_i64(i),
            _ => self.mismatch(visitor, |v| v.visit_i64(0)),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (node, pointer) = (self.node, self.pointer.clone());
        let result = match node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        };
        result.map_err(|e| e.locate(node, &pointer))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Seq(items) => visit_all_items(visitor, self.items(items)),
            _ => self.mismatch(visitor, empty_seq),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.note_position();
        let result = match &self.node.value {
            Value::Map(map) => visitor.visit_map(self.entries(map, None)),
            _ => self.mismatch(visitor, empty_map),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.note_position();
        let result = match &self.node.value {
            Value::Map(map) if self.reader.recover => {
                self.report_unknown_keys(map, fields);
                visitor.visit_map(self.entries(map, Some(fields)))
            }
            Value::Map(map) => visitor.visit_map(self.entries(map, None)),
            _ => self.mismatch(visitor, empty_map),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(Error::wrong_kind(self.node, &visitor)),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        let (node, pointer) = (self.node, self.pointer.clone());
        visitor.visit_newtype_struct(self).map_err(|e| e.locate(node, &pointer))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char bytes byte_buf unit unit_struct tuple tuple_struct identifier
    }
}

/// Visits a whole sequence: items the visitor leaves unread are an error.
fn visit_all_items<'de, V: Visitor<'de>>(visitor: V, mut items: Items<'de, '_>) -> Result<V::Value, Error> {
    let value = visitor.visit_seq(&mut items)?;
    match items.iter.len() {
        0 => Ok(value),
        left => Err(Error::new(format!("found {left} more items than expected"), None)),
    }
}

/// The entries of a mapping, each value read at its key's pointer. When `fields` is set (a
/// struct read while recovering, whose other keys are reported already), only those keys.
struct Entries<'de, 'a> {
    iter: indexmap::map::Iter<'de, String, Node>,
    pointer: &'a str,
    reader: &'a Reader,
    fields: Option<&'static [&'static str]>,
    /// The value of the key just read, and its pointer.
    value: Option<(&'de Node, String)>,
}

impl<'de> de::MapAccess<'de> for Entries<'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let fields = self.fields;
        let Some((key, node)) = self.iter.find(|(key, _)| fields.is_none_or(|f| f.contains(&key.as_str()))) else {
            return Ok(None);
        };
        let pointer = child_pointer(self.pointer, key);
        // A key the visitor rejects (an unknown field) is placed at its entry.
        let key = seed.deserialize(BorrowedStrDeserializer::<Error>::new(key)).map_err(|e| e.locate(node, &pointer))?;
        self.value = Some((node, pointer));
        Ok(Some(key))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let (node, pointer) =
            self.value.take().ok_or_else(|| Error::new("a value read before its key".into(), None))?;
        seed.deserialize(NodeDeserializer { node, pointer, reader: self.reader })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The items of a sequence, each read at its index's pointer.
struct Items<'de, 'a> {
    iter: std::iter::Enumerate<std::slice::Iter<'de, Node>>,
    pointer: &'a str,
    reader: &'a Reader,
}

impl<'de> de::SeqAccess<'de> for Items<'de, '_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Error> {
        let Some((i, node)) = self.iter.next() else { return Ok(None) };
        let pointer = format!("{}/{i}", self.pointer);
        seed.deserialize(NodeDeserializer { node, pointer, reader: self.reader }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::node::parse;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Settings {
        name: String,
        count: Option<u32>,
        tags: Vec<String>,
        mode: Option<Mode>,
        nested: Nested,
        extra: BTreeMap<String, i64>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        Fast,
        SlowAndSteady,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Nested {
        on: bool,
        ratio: f64,
    }

    fn strict(text: &str) -> Result<Settings, Error> {
        from_node(&parse(text).unwrap())
    }

    fn place(error: &Error) -> (u32, u32, &str) {
        (error.line, error.column, error.pointer.as_str())
    }

    #[test]
    fn reads_values_by_kind() {
        let text = "name: 5\ncount: ~\ntags: [a, 1.5, true]\nmode: slow-and-steady\nnested: {on: true, ratio: 2}\n\
                    extra: {a/b: -3}\n";
        let settings = strict(text).unwrap();
        assert_eq!(settings.name, "5", "a number read as a string is its text");
        assert_eq!(settings.count, None);
        assert_eq!(settings.tags, ["a", "1.5", "true"]);
        assert_eq!(settings.mode, Some(Mode::SlowAndSteady));
        assert_eq!(settings.nested, Nested { on: true, ratio: 2.0 });
        assert_eq!(settings.extra["a/b"], -3);
    }

    #[test]
    fn an_unknown_key_is_placed_at_its_entry() {
        let error = strict("name: x\nnested:\n  on: true\n  colour: red\n").unwrap_err();
        assert_eq!(place(&error), (4, 11, "/nested/colour"));
        assert_eq!(error.message, "unknown setting `colour`");
        assert_eq!(error.expected.as_deref(), Some("one of: on, ratio"));
        // Keys are escaped in pointers.
        let error = strict("nested: {a/b~: 1}\n").unwrap_err();
        assert_eq!(error.pointer, "/nested/a~1b~0");
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_placed_at_the_value() {
        let error = strict("tags:\n  - a\n  - [b]\n").unwrap_err();
        assert_eq!(place(&error), (3, 5, "/tags/1"));
        assert_eq!((error.message.as_str(), error.expected.as_deref()), ("found a sequence", Some("a string")));
        let error = strict("nested: {on: 1}\n").unwrap_err();
        assert_eq!(place(&error), (1, 14, "/nested/on"));
        assert_eq!(error.message, "found a number");
        let error = strict("- name\n").unwrap_err();
        assert_eq!(place(&error), (1, 1, ""));
        assert_eq!(error.message, "found a sequence");
    }

    #[test]
    fn errors_a_visitor_raises_take_the_innermost_node() {
        let error = strict("name: x\ncount: -1\n").unwrap_err();
        assert_eq!(place(&error), (2, 8, "/count"));
        assert_eq!(error.expected.as_deref(), Some("u32"));
        let error = strict("mode: medium\n").unwrap_err();
        assert_eq!(place(&error), (1, 7, "/mode"));
        assert_eq!(error.message, "unknown value `medium`");
        assert_eq!(error.expected.as_deref(), Some("one of: fast, slow-and-steady"));
        let error = strict("mode: [fast]\n").unwrap_err();
        assert_eq!(place(&error), (1, 7, "/mode"));
    }

    #[test]
    fn a_recovering_read_records_every_problem_and_reads_on() {
        let root =
            parse("name: [x]\ncolour: red\ntags: [a, {b: c}]\nnested: {on: yes, ratio: 0.5, depth: 2}\n").unwrap();
        let reader = Reader::recovering();
        let settings: Settings = reader.read(&root, "").unwrap();
        assert_eq!(settings.name, "", "read as the empty value of its kind");
        assert_eq!(settings.tags, ["a", ""]);
        assert_eq!(settings.nested, Nested { on: false, ratio: 0.5 });
        let errors = reader.errors();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/colour", "/name", "/tags/1", "/nested/depth", "/nested/on"]);
        assert!(reader.has_error_at("/nested/on"));
        // Mappings, strings and numbers read are placed; booleans and sequences are not.
        let positions = reader.positions();
        assert_eq!(positions.get(""), Some(&(1, 1)));
        assert_eq!(positions.get("/tags/0"), Some(&(3, 8)));
        assert_eq!(positions.get("/nested"), Some(&(4, 9)));
        assert!(!positions.contains_key("/tags") && !positions.contains_key("/nested/on"));
    }
}

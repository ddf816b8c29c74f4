//! YAML documents, read with `saphyr-parser`'s event API into [`Node`]s.

use std::collections::HashMap;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use super::{Node, ParseError, ParseLimits, Value, to_u32};

pub(super) fn parse(text: &str, limits: &ParseLimits) -> Result<Node, Vec<ParseError>> {
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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
    Seq { items: Vec<Node>, anchor: usize, line: u32, column: u32, size: usize },
    Map(Box<MapFrame>),
}

/// A mapping being read.
struct MapFrame {
    map: IndexMap<String, Node>,
    /// The keys written so far, in order (the keys of `map` until merges are applied).
    identities: Vec<(KeyIdentity, String)>,
    /// The position in `identities` of each key's identity: duplicates are found in constant
    /// time, whatever the number of keys.
    positions: HashMap<KeyIdentity, usize>,
    key: Option<Key>,
    /// `<<` merges: position in `map` where the key was written, and the merged value.
    merges: Vec<(usize, Node)>,
    anchor: usize,
    line: u32,
    column: u32,
    size: usize,
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
            Frame::Map(frame) => {
                let MapFrame { map, identities, positions, key, merges, size: total, .. } = &mut **frame;
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
                        // The first key written that has the same identity or the same text.
                        let same_text = map.get_index_of(&k.text);
                        let earliest = match (positions.get(&k.identity).copied(), same_text) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        if let Some((_, first)) = earliest.and_then(|i| identities.get(i)) {
                            let message = if *first == k.text {
                                match same_text.and_then(|i| identities.get(i)).map(|(id, _)| id) {
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
                            positions.insert(k.identity.clone(), identities.len());
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
                    self.stack.push(Frame::Map(Box::new(MapFrame {
                        map: IndexMap::new(),
                        identities: Vec::new(),
                        positions: HashMap::new(),
                        key: None,
                        merges: Vec::new(),
                        anchor,
                        line,
                        column,
                        size: 1,
                    })));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor, line, column, size) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, line, column, size }) => {
                        (Value::Seq(items), anchor, line, column, size)
                    }
                    Some(Frame::Map(frame)) => {
                        let MapFrame { map, merges, anchor, line, column, size, .. } = *frame;
                        (Value::Map(apply_merges(map, merges)), anchor, line, column, size)
                    }
                    None => return,
                };
                self.finish(Node::at(value, line, column), size, anchor, None);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let (value, key) = self.scalar(&text, style, tag.as_deref(), line, column);
                self.finish(Node::at(value, line, column), 1, anchor, key);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, size)) => {
                    let size = *size;
                    self.alias_nodes = self.alias_nodes.saturating_add(size);
                    if self.alias_nodes > self.limits.max_alias_nodes {
                        if self.alias_limit_hit {
                            self.push(Node::at(Value::Null, line, column), 1, None);
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
                        self.push(Node::at(Value::Null, line, column), 1, None);
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
                    self.push(Node::at(Value::Null, line, column), 1, None);
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

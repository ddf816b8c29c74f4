//! JSON documents, read with `jsonc-parser` in its strict mode, and the byte offset → line and
//! column index its positions need.

use indexmap::IndexMap;

use super::{Node, ParseError, ParseLimits, Value, to_u32};

/// JSON, read by a JSON parser (strict RFC 8259: no comments, no trailing commas), with the
/// position of every node.
pub(super) fn parse(text: &str, limits: &ParseLimits) -> Result<Node, Vec<ParseError>> {
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
        return Node::at(Value::Null, line, column);
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
    Node::at(value, line, column)
}

/// Byte offset → line and column, for parsers that report offsets. Columns count characters;
/// the characters before every block of [`LINE_INDEX_BLOCK`] bytes are counted once, so a
/// column costs at most one block's scan even on a multi-megabyte single line (minified JSON).
pub(super) struct LineIndex<'a> {
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
    pub(super) fn new(text: &'a str) -> Self {
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

    pub(super) fn at(&self, offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self.chars_before(offset).saturating_sub(self.chars_before(start)) + 1;
        (to_u32(line), to_u32(column))
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

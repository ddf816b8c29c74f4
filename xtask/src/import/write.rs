//! The imported document as YAML text, written by `saphyr`'s emitter: block style, two-space
//! indentation, strings quoted only where YAML would read them otherwise, keys in tree order.

use std::borrow::Cow;

use saphyr::{Mapping, Scalar, Yaml, YamlEmitter};
use triad::node::{Node, Value};

/// The YAML text of `node`, without the emitter's leading `---` line, ending in a line break.
pub(super) fn yaml(node: &Node) -> Result<String, String> {
    let mut text = String::new();
    YamlEmitter::new(&mut text).dump(&to_yaml(node)).map_err(|e| format!("cannot write the document: {e}"))?;
    let body = text.strip_prefix("---\n").unwrap_or(&text);
    Ok(format!("{body}\n"))
}

fn to_yaml(node: &Node) -> Yaml<'_> {
    match &node.value {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Int(i) => Yaml::Value(Scalar::Integer(*i)),
        Value::Float(f) => Yaml::Value(Scalar::FloatingPoint((*f).into())),
        Value::Str(s) => Yaml::Value(Scalar::String(Cow::Borrowed(s))),
        Value::Seq(items) => Yaml::Sequence(items.iter().map(to_yaml).collect()),
        Value::Map(entries) => {
            let mut map = Mapping::new();
            for (key, value) in entries {
                map.insert(Yaml::Value(Scalar::String(Cow::Borrowed(key))), to_yaml(value));
            }
            Yaml::Mapping(map)
        }
    }
}

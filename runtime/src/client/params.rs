//! Parameter serialization: a value becomes text by the style and `explode` flag the
//! specification gives it (RFC 6570 as used by OpenAPI).

use serde_json::Value;

pub use crate::style::Style;

/// A scalar as text; `None` for null, arrays and objects.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Any value as text: scalars as themselves, nested structures as compact JSON.
fn text(value: &Value) -> String {
    scalar(value).unwrap_or_else(|| value.to_string())
}

/// Name/value pairs for a query parameter (or a form body field). Null gives nothing.
pub(crate) fn query_pairs(name: &str, value: &Value, style: Style, explode: bool) -> Vec<(String, String)> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().filter(|v| !v.is_null()).map(text).collect();
            match style {
                Style::SpaceDelimited => vec![(name.to_owned(), items.join(" "))],
                Style::PipeDelimited => vec![(name.to_owned(), items.join("|"))],
                _ if explode => items.into_iter().map(|v| (name.to_owned(), v)).collect(),
                _ => vec![(name.to_owned(), items.join(","))],
            }
        }
        Value::Object(map) => {
            let entries = map.iter().filter(|(_, v)| !v.is_null());
            match style {
                Style::DeepObject => entries.map(|(k, v)| (format!("{name}[{k}]"), text(v))).collect(),
                _ if explode => entries.map(|(k, v)| (k.clone(), text(v))).collect(),
                _ => {
                    let flat: Vec<String> = entries.flat_map(|(k, v)| [k.clone(), text(v)]).collect();
                    vec![(name.to_owned(), flat.join(","))]
                }
            }
        }
        scalar => vec![(name.to_owned(), text(scalar))],
    }
}

/// Text of a path or header parameter (before percent-encoding); `None` for null.
pub(crate) fn simple(name: &str, value: &Value, style: Style, explode: bool) -> Option<String> {
    let (prefix, separator) = match style {
        Style::Label => (".".to_owned(), if explode { "." } else { "," }),
        Style::Matrix => (format!(";{name}="), if explode { ";" } else { "," }),
        _ => (String::new(), ","),
    };
    let body = match value {
        Value::Null => return None,
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(text).collect();
            if style == Style::Matrix && explode {
                return Some(items.iter().map(|v| format!(";{name}={v}")).collect());
            }
            items.join(separator)
        }
        Value::Object(map) => {
            if explode {
                map.iter().map(|(k, v)| format!("{k}={}", text(v))).collect::<Vec<_>>().join(separator)
            } else {
                map.iter().flat_map(|(k, v)| [k.clone(), text(v)]).collect::<Vec<_>>().join(",")
            }
        }
        scalar => text(scalar),
    };
    Some(format!("{prefix}{body}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pairs(value: Value, style: Style, explode: bool) -> Vec<String> {
        query_pairs("id", &value, style, explode).into_iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn query_styles() {
        assert_eq!(pairs(json!([3, 4]), Style::Form, true), ["id=3", "id=4"]);
        assert_eq!(pairs(json!([3, 4]), Style::Form, false), ["id=3,4"]);
        assert_eq!(pairs(json!([3, 4]), Style::SpaceDelimited, false), ["id=3 4"]);
        assert_eq!(pairs(json!([3, 4]), Style::PipeDelimited, false), ["id=3|4"]);
        assert_eq!(pairs(json!({"a": 1, "b": "x"}), Style::Form, true), ["a=1", "b=x"]);
        assert_eq!(pairs(json!({"a": 1, "b": "x"}), Style::Form, false), ["id=a,1,b,x"]);
        assert_eq!(pairs(json!({"a": 1, "b": null}), Style::DeepObject, true), ["id[a]=1"]);
        assert_eq!(pairs(json!(null), Style::Form, true), Vec::<String>::new());
        assert_eq!(pairs(json!(true), Style::Form, true), ["id=true"]);
    }

    #[test]
    fn path_styles() {
        assert_eq!(simple("id", &json!(5), Style::Simple, false).unwrap(), "5");
        assert_eq!(simple("id", &json!([3, 4]), Style::Simple, false).unwrap(), "3,4");
        assert_eq!(simple("id", &json!({"a": 1}), Style::Simple, true).unwrap(), "a=1");
        assert_eq!(simple("id", &json!([3, 4]), Style::Label, true).unwrap(), ".3.4");
        assert_eq!(simple("id", &json!([3, 4]), Style::Matrix, true).unwrap(), ";id=3;id=4");
        assert_eq!(simple("id", &json!(5), Style::Matrix, false).unwrap(), ";id=5");
        assert_eq!(simple("id", &json!(null), Style::Simple, false), None);
    }
}

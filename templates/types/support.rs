//! Serde plumbing shared by the types of this crate: open enums, tagged unions that keep
//! unknown variants, and redaction of secrets in `Debug` output.

// Each crate uses the subset of these helpers its types need.
#![allow(dead_code)]

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::ser::{self, SerializeMap, Serializer};
use serde_json::Value;

/// Shown by `Debug` in place of a secret.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Deserializes a string enum through `From<&str>`, which maps unknown values to `Unknown`.
pub(crate) struct OpenEnumVisitor<T>(PhantomData<T>);

impl<T> OpenEnumVisitor<T> {
    pub(crate) fn new() -> Self {
        OpenEnumVisitor(PhantomData)
    }
}

impl<T: for<'a> From<&'a str>> Visitor<'_> for OpenEnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from(value))
    }
}

/// The string value of `tag` in an object, if there is one.
pub(crate) fn tag_of<'v>(value: &'v Value, tag: &str) -> Option<&'v str> {
    value.get(tag).and_then(Value::as_str)
}

/// Decodes a variant's payload, reporting failures as errors of the outer deserializer.
pub(crate) fn decode<T: DeserializeOwned, E: de::Error>(value: &Value) -> Result<T, E> {
    T::deserialize(value).map_err(E::custom)
}

/// Decodes the member `key` of an object (`null` when absent).
pub(crate) fn decode_member<T: DeserializeOwned, E: de::Error>(
    value: &Value,
    key: &str,
) -> Result<T, E> {
    decode(value.get(key).unwrap_or(&Value::Null))
}

/// Writes `{tag: name, ...fields of content}`.
pub(crate) fn serialize_internal<S: Serializer, T: Serialize>(
    serializer: S,
    tag: &str,
    name: &str,
    content: &T,
) -> Result<S::Ok, S::Error> {
    let fields = match serde_json::to_value(content).map_err(ser::Error::custom)? {
        Value::Object(fields) => fields,
        _ => return Err(ser::Error::custom("an internally tagged variant must be an object")),
    };
    let mut map = serializer.serialize_map(Some(fields.len() + 1))?;
    map.serialize_entry(tag, name)?;
    for (key, value) in &fields {
        if key != tag {
            map.serialize_entry(key, value)?;
        }
    }
    map.end()
}

/// Writes `{tag: name, content_key: content}`.
pub(crate) fn serialize_adjacent<S: Serializer, T: Serialize>(
    serializer: S,
    tag: &str,
    name: &str,
    content_key: &str,
    content: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry(tag, name)?;
    map.serialize_entry(content_key, content)?;
    map.end()
}

/// Writes `{name: content}`.
pub(crate) fn serialize_external<S: Serializer, T: Serialize>(
    serializer: S,
    name: &str,
    content: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(name, content)?;
    map.end()
}

/// Reads any JSON value; unions inspect it before choosing a variant.
pub(crate) fn buffer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    <Value as serde::Deserialize>::deserialize(deserializer)
}

/// `Option<Option<T>>` for fields that may be absent, `null`, or set: `None` is absent (and not
/// written), `Some(None)` is an explicit `null`, `Some(Some(v))` a value.
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

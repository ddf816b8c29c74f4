//! What generated dispatchers read deliveries with: the body parsed once on arrival ([`Body`]),
//! its top-level object with the values left as unparsed JSON text ([`RawObject`]), so that
//! telling webhooks apart and decoding each event into its type reads the bytes without
//! building a `serde_json::Value`.

use std::borrow::Cow;

use crate::model::Decoded;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

pub use serde_json::value::RawValue as Raw;

/// A delivery's body, checked to be JSON (and UTF-8) by the one parse that also splits a
/// top-level object into its properties. The receiver parses each body once, before it is
/// admitted, and hands this parse to the [`Dispatch`](super::Dispatch).
#[derive(Debug)]
pub struct Body<'a> {
    text: &'a str,
    object: Option<RawObject<'a>>,
}

impl<'a> Body<'a> {
    /// Parses `bytes`; an error when they are not one JSON value.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, serde_json::Error> {
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            // Buffering the value as raw text checks the whole of it, UTF-8 included.
            let raw = serde_json::from_slice::<&'a RawValue>(bytes)?;
            return Ok(Self { text: raw.get(), object: None });
        }
        let fields = serde_json::from_slice::<RawFields<'a>>(bytes)?.0;
        // Every key was decoded and every value taken as checked raw text, so the body is
        // UTF-8 (what lies between them is JSON punctuation and whitespace).
        let text = std::str::from_utf8(bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
        Ok(Self { text, object: Some(RawObject { fields }) })
    }

    /// The whole body as text (without leading or trailing whitespace when it is not an object).
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The top-level object, when the body is one.
    pub fn object(&self) -> Option<&RawObject<'a>> {
        self.object.as_ref()
    }
}

/// A JSON object whose property values are kept as text.
#[derive(Debug)]
pub struct RawObject<'a> {
    fields: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> RawObject<'a> {
    /// The object `body` holds; `None` when the body is valid JSON of another kind, an error
    /// when it is not JSON.
    pub fn parse(body: &'a [u8]) -> Result<Option<Self>, serde_json::Error> {
        Ok(Body::parse(body)?.object)
    }

    /// The value of property `name` (the last, if it is written twice).
    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.fields.iter().rev().find(|(key, _)| key == name).map(|(_, value)| *value)
    }

    /// The items of property `name` when it is an array.
    pub fn array(&self, name: &str) -> Option<Vec<&'a RawValue>> {
        let value = self.get(name)?;
        if !value.get().starts_with('[') {
            return None;
        }
        serde_json::from_str(value.get()).ok()
    }

    /// Decodes the object as `T`, with property `name` given as an empty array: the envelope
    /// of a batch without its events.
    pub fn decode_without<T: DeserializeOwned>(&self, name: &str) -> Result<T, serde_json::Error> {
        let empty: &RawValue = serde_json::from_str("[]")?;
        let entries = self.fields.iter().map(|(key, value)| (&**key, if key == name { empty } else { *value }));
        T::deserialize(serde::de::value::MapDeserializer::<_, serde_json::Error>::new(entries))
    }

    /// The object as a `serde_json::Value` (for `unknown` and `malformed`).
    pub fn to_value(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (key, value) in &self.fields {
            map.insert(key.to_string(), to_value(value.get()));
        }
        serde_json::Value::Object(map)
    }
}

/// Decodes one JSON text (a body, or a value of a [`RawObject`]) as `T`.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(text)
}

/// One item of a batch from its JSON text, with the result [`Decoded`]'s own decoding gives,
/// sooner: the text is decoded directly, and only an item that fails goes through a
/// `serde_json::Value` for its raw form and the path of the error.
pub fn decode_item<T: DeserializeOwned>(text: &str) -> Decoded<T> {
    Decoded::from_text(text)
}

/// A JSON text as a `serde_json::Value` (`null` if it is not JSON, which a value taken from a
/// parsed body always is).
pub fn to_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_default()
}

/// An object's properties in order, values as text.
struct RawFields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

/// A property name, borrowed from the body unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a property name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl<'de> serde::Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawFields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some((Key(key), value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    fields.push((key, value));
                }
                Ok(RawFields(fields))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Map = std::collections::BTreeMap<String, serde_json::Value>;

    #[test]
    fn reads_properties_arrays_and_the_envelope_without_its_events() {
        let body = br#"{"id": 7, "events": [1, {"a": "x\"y"}, [2]], "id": 8}"#;
        let object = RawObject::parse(body).unwrap().unwrap();
        assert_eq!(object.get("id").map(|v| v.get()), Some("8"));
        let events = object.array("events").unwrap();
        assert_eq!(events.iter().map(|e| e.get()).collect::<Vec<_>>(), ["1", r#"{"a": "x\"y"}"#, "[2]"]);
        assert!(object.array("id").is_none());
        assert_eq!(decode::<u32>(events[0].get()).unwrap(), 1);
        assert_eq!(to_value(events[1].get()), serde_json::json!({"a": "x\"y"}));
        let single = RawObject::parse(br#"{"id": 7, "events": [1, 2]}"#).unwrap().unwrap();
        let envelope: Map = single.decode_without("events").unwrap();
        assert_eq!(serde_json::to_value(envelope).unwrap(), serde_json::json!({"id": 7, "events": []}));
        assert!(single.decode_without::<u32>("events").is_err());
        assert_eq!(decode_item::<u32>(events[0].get()), Decoded::Ok(1));
        let Decoded::Malformed { raw, error } = decode_item::<Vec<u32>>("[1, \"x\"]") else { panic!() };
        assert_eq!((raw, error.starts_with("[1]")), (serde_json::json!([1, "x"]), true), "the error's path");
        assert_eq!(single.to_value(), serde_json::json!({"id": 7, "events": [1, 2]}));
    }

    #[test]
    fn a_body_is_parsed_once_with_its_text() {
        let body = Body::parse(br#"{"k\u0065y": 1, "plain": "\u00e9"}"#).unwrap();
        let object = body.object().unwrap();
        assert_eq!(object.get("key").map(|v| v.get()), Some("1"), "an escaped name is decoded");
        assert_eq!(object.get("plain").map(|v| v.get()), Some(r#""\u00e9""#));
        assert_eq!(body.text(), r#"{"k\u0065y": 1, "plain": "\u00e9"}"#);
        let other = Body::parse(b" [1, \"a\"] ").unwrap();
        assert!(other.object().is_none());
        assert_eq!(other.text(), r#"[1, "a"]"#);
        // Invalid UTF-8 inside a string is refused, in an object's value and in any other value.
        assert!(Body::parse(b"{\"a\": \"\xff\"}").is_err());
        assert!(Body::parse(b"[\"\xff\"]").is_err());
        assert!(Body::parse(b"{\"\xff\": 1}").is_err());
    }

    #[test]
    fn other_kinds_and_broken_json() {
        assert!(RawObject::parse(b"[1, 2]").unwrap().is_none());
        assert!(RawObject::parse(b"\"text\"").unwrap().is_none());
        assert!(RawObject::parse(b"{\"a\": 1,}").is_err());
        assert!(RawObject::parse(b"").is_err());
        assert!(RawObject::parse(b"[1,]").is_err());
        assert!(RawObject::parse(b" {\"a\": 1} x").is_err());
    }
}

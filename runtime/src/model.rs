//! What generated types crates share, compiled once here instead of in every crate:
//! [`Nullable`] for optional nullable fields, the serde plumbing of open enums and of tagged
//! unions that keep unknown variants, unions chosen by a sibling property ([`TaggedBy`]),
//! untagged unions chosen by shape, items decoded one by one
//! ([`Decoded`]), and redaction of secrets in `Debug` output. Available
//! without features; it needs only serde and serde_json.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::ser::{self, SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[cfg(feature = "decimal")]
#[path = "exact.rs"]
pub mod exact;

/// Shown by `Debug` in place of a secret.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Deserializes a string enum through `From<&str>`, which maps unknown values to `Unknown`.
pub struct OpenEnumVisitor<T>(PhantomData<T>);

impl<T> Default for OpenEnumVisitor<T> {
    fn default() -> Self {
        OpenEnumVisitor(PhantomData)
    }
}

impl<T> OpenEnumVisitor<T> {
    pub fn new() -> Self {
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

/// Decodes a variant's payload, reporting failures as errors of the outer deserializer.
pub fn decode<T: DeserializeOwned, E: de::Error>(value: &Value) -> Result<T, E> {
    T::deserialize(value).map_err(E::custom)
}

/// Decodes the member `key` of an object (`null` when absent).
pub fn decode_member<T: DeserializeOwned, E: de::Error>(value: &Value, key: &str) -> Result<T, E> {
    decode(value.get(key).unwrap_or(&Value::Null))
}

/// Writes `{tag: name, ...fields of content}`.
pub fn serialize_internal<S: Serializer, T: Serialize>(
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
pub fn serialize_adjacent<S: Serializer, T: Serialize>(
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
pub fn serialize_external<S: Serializer, T: Serialize>(
    serializer: S,
    name: &str,
    content: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(name, content)?;
    map.end()
}

/// Reads any JSON value; unions inspect it before choosing a variant.
pub fn buffer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    <Value as serde::Deserialize>::deserialize(deserializer)
}

/// A struct whose `Deserialize` impl is [`deserialize_struct`]: generated code lists its
/// fields and fills them in [`Struct::visit_map`]; the visitor is written once, here.
pub trait Struct: Sized {
    /// The Rust name (errors say they expected `struct NAME`).
    const NAME: &'static str;
    /// The wire names of the fields, in declaration order ([`FieldSeed`] gives their indices).
    const FIELDS: &'static [&'static str];
    /// Reads the value from the properties of an object.
    fn visit_map<'de, A: de::MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// Deserializes a [`Struct`] from an object.
pub fn deserialize_struct<'de, D: Deserializer<'de>, T: Struct>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_struct(T::NAME, T::FIELDS, StructVisitor(PhantomData))
}

struct StructVisitor<T>(PhantomData<T>);

impl<'de, T: Struct> Visitor<'de> for StructVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", T::NAME)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::visit_map(map)
    }
}

/// Recognises the property names of a struct: the index of a declared field in `FIELDS`, or
/// [`UNKNOWN_FIELD`] for a property the struct does not declare (ignored). Generated
/// `Deserialize` impls of structs read their keys through it, so the name matching is compiled
/// once here rather than once per struct.
pub struct FieldSeed(pub &'static [&'static str]);

/// The index [`FieldSeed`] gives a property no field declares.
pub const UNKNOWN_FIELD: usize = usize::MAX;

impl<'de> de::DeserializeSeed<'de> for FieldSeed {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<usize, E> {
        Ok(usize::try_from(index).ok().filter(|i| *i < self.0.len()).unwrap_or(UNKNOWN_FIELD))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<usize, E> {
        Ok(self.0.iter().position(|field| *field == name).unwrap_or(UNKNOWN_FIELD))
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<usize, E> {
        Ok(self.0.iter().position(|field| field.as_bytes() == name).unwrap_or(UNKNOWN_FIELD))
    }
}

/// Reads the value of a struct field into its slot; a second value for the same field is an
/// error (`duplicate field`), as with serde's derive.
pub fn field<'de, T: Deserialize<'de>, A: de::MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Skips the value of a property no field declares.
pub fn skip<'de, A: de::MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<de::IgnoredAny>().map(drop)
}

/// The value of a required field, or the `missing field` error.
pub fn required<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

/// An optional field that may also be `null`, where the three differ: [`Nullable::Absent`] is
/// not written (on an update: keep the current value), [`Nullable::Null`] is written as `null`
/// (clear it), [`Nullable::Value`] is written as the value (set it). An absent field decodes as
/// `Absent` when the field is declared `#[serde(default)]`, as generated fields are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nullable<T> {
    /// Not present.
    #[default]
    Absent,
    /// Present as `null`.
    Null,
    /// Present with a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// True for [`Nullable::Absent`] (what `skip_serializing_if` asks).
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// True for [`Nullable::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }

    /// The value, if there is one (absent and null both give `None`).
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Value(value) => Some(value),
            Nullable::Absent | Nullable::Null => None,
        }
    }

    /// A reference to the value, if there is one.
    pub fn as_option(&self) -> Option<&T> {
        match self {
            Nullable::Value(value) => Some(value),
            Nullable::Absent | Nullable::Null => None,
        }
    }
}

/// `None` is absent (nothing written), `Some(v)` a value; write [`Nullable::Null`] to send `null`.
impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Nullable::Value(value),
            None => Nullable::Absent,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(value) => serializer.serialize_some(value),
            Nullable::Absent | Nullable::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| match value {
            Some(value) => Nullable::Value(value),
            None => Nullable::Null,
        })
    }
}

/// A union whose variants are named by a tag property.
pub trait Tagged: Sized {
    /// The tag property.
    const TAG: &'static str;
    /// True for tags this version knows.
    fn known(tag: &str) -> bool;
    /// Decodes the payload of a known tag.
    fn content<'de, D: Deserializer<'de>>(tag: &str, content: D) -> Result<Self, D::Error>;
    /// Keeps a value with an unknown tag, as received. Only an object whose tag is a string
    /// this version does not know is kept so; a value that is no object, an object without the
    /// tag and a tag that is no string are errors.
    fn unknown(raw: Value) -> Self;
}

/// A union written as `{tag: name, content_key: content}`, decoded without buffering the
/// content when the tag comes first (the usual order).
pub trait Adjacent: Tagged {
    /// The content property.
    const CONTENT: &'static str;
}

/// Deserializes an [`Adjacent`] union.
pub fn deserialize_adjacent<'de, D: Deserializer<'de>, T: Adjacent>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(AdjacentVisitor(PhantomData))
}

/// Deserializes a union written as `{tag: name, ...payload fields}`. Properties before the tag
/// are buffered; the rest stream straight into the payload type.
pub fn deserialize_internal<'de, D: Deserializer<'de>, T: Tagged>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(InternalVisitor(PhantomData))
}

/// The error for a tag property that holds something other than a string.
fn not_a_tag<E: de::Error>(tag: &str, value: &Value) -> E {
    E::custom(format_args!("{tag}: expected a string naming the kind; found {}", describe_value(value)))
}

struct AdjacentVisitor<T>(PhantomData<T>);

struct InternalVisitor<T>(PhantomData<T>);

/// Decodes a content value for a tag read earlier.
struct ContentSeed<'t, T> {
    tag: &'t str,
    marker: PhantomData<T>,
}

impl<'de, T: Tagged> de::DeserializeSeed<'de> for ContentSeed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::content(self.tag, deserializer)
    }
}

impl<'de, T: Adjacent> Visitor<'de> for AdjacentVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}` and `{}`", T::TAG, T::CONTENT)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut tag: Option<Scalar<'de>> = None;
        let mut decoded: Option<T> = None;
        let mut content: Option<Value> = None;
        let mut rest: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed { tag: T::TAG, content: Some(T::CONTENT) })? {
            match key {
                Key::Tag if tag.is_none() => tag = Some(map.next_value()?),
                Key::Content if decoded.is_none() && content.is_none() => match tag.as_ref().and_then(Scalar::as_str) {
                    Some(name) if T::known(name) => {
                        decoded = Some(map.next_value_seed(ContentSeed { tag: name, marker: PhantomData })?)
                    }
                    _ => content = Some(map.next_value()?),
                },
                Key::Tag => rest.push((T::TAG.to_owned(), map.next_value()?)),
                Key::Content => rest.push((T::CONTENT.to_owned(), map.next_value()?)),
                Key::Other(name) => rest.push((name, map.next_value()?)),
            }
        }
        if let Some(value) = decoded {
            return Ok(value);
        }
        let tag = match tag {
            Some(Scalar::Str(name)) => name,
            Some(Scalar::Other(value)) => return Err(not_a_tag(T::TAG, &value)),
            None => return Err(de::Error::missing_field(T::TAG)),
        };
        if T::known(&tag) {
            // The content came before the tag, or is absent (`null`).
            return T::content(&tag, content.unwrap_or(Value::Null))
                .map_err(|e| de::Error::custom(format_args!("{}: {e}", T::CONTENT)));
        }
        let mut raw = serde_json::Map::new();
        raw.insert(T::TAG.to_owned(), Value::String(tag.into_owned()));
        if let Some(content) = content {
            raw.insert(T::CONTENT.to_owned(), content);
        }
        raw.extend(rest);
        Ok(T::unknown(Value::Object(raw)))
    }
}

impl<'de, T: Tagged> Visitor<'de> for InternalVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}`", T::TAG)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut buffered: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed { tag: T::TAG, content: None })? {
            let Key::Tag = key else {
                let name = match key {
                    Key::Other(name) => name,
                    _ => T::TAG.to_owned(),
                };
                buffered.push((name, map.next_value()?));
                continue;
            };
            let name = match map.next_value()? {
                Scalar::Str(name) => name,
                Scalar::Other(value) => return Err(not_a_tag(T::TAG, &value)),
            };
            if T::known(&name) {
                // The payload sees the tag too, in case its type declares it.
                buffered.push((T::TAG.to_owned(), Value::String(name.clone().into_owned())));
                let rest = Chain { buffered: buffered.into_iter(), value: None, live: map };
                return T::content(&name, de::value::MapAccessDeserializer::new(rest));
            }
            buffered.push((T::TAG.to_owned(), Value::String(name.into_owned())));
            while let Some(name) = map.next_key::<String>()? {
                buffered.push((name, map.next_value()?));
            }
            return Ok(T::unknown(Value::Object(buffered.into_iter().collect())));
        }
        // No tag: nothing says which kind this is.
        Err(de::Error::missing_field(T::TAG))
    }
}

/// Buffered properties first, then the rest of a live map.
struct Chain<A> {
    buffered: std::vec::IntoIter<(String, Value)>,
    value: Option<(String, Value)>,
    live: A,
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Chain<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        match self.buffered.next() {
            Some((key, value)) => {
                self.value = Some((key.clone(), value));
                seed.deserialize(de::value::StringDeserializer::<A::Error>::new(key)).map(Some)
            }
            None => self.live.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.value.take() {
            // A buffered value is decoded away from the input: its error names the property.
            Some((key, value)) => seed.deserialize(value).map_err(|e| de::Error::custom(format_args!("{key}: {e}"))),
            None => self.live.next_value_seed(seed),
        }
    }
}

/// A key of a tagged object, recognised without allocating.
enum Key {
    Tag,
    Content,
    Other(String),
}

struct KeySeed {
    tag: &'static str,
    content: Option<&'static str>,
}

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(if key == self.tag {
            Key::Tag
        } else if Some(key) == self.content {
            Key::Content
        } else {
            Key::Other(key.to_owned())
        })
    }
}

/// A tag value: borrowed from the input when it is a plain string, any JSON otherwise.
enum Scalar<'de> {
    Str(std::borrow::Cow<'de, str>),
    Other(Value),
}

impl Scalar<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Other(_) => None,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(std::borrow::Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(std::borrow::Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(std::borrow::Cow::Owned(v)))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other(Value::Null))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other(Value::Bool(v)))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other(Value::from(v)))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other(Value::from(v)))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other(Value::from(v)))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Scalar::Other)
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Scalar::Other)
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// A union chosen by a property outside it: a sibling of the field that holds it, or a
/// property inside such a sibling (`Device.Type` for `Data`). The struct holding the field
/// buffers the field's JSON, reads the tag from its own decoded fields, then calls
/// [`tagged_by`].
pub trait TaggedBy: Sized {
    /// The path of the tag from the struct holding the field (`Device.Type`), for errors.
    const TAG: &'static str;
    /// Decodes the payload for tag value `tag`; `None` for a value this version does not know.
    fn content(tag: &str, raw: &Value) -> Option<Result<Self, String>>;
    /// Keeps a payload whose tag value this version does not know, as received.
    fn unknown(raw: Value) -> Self;
}

/// Decodes the JSON of `field` as the variant the tag value names: a known value whose
/// variant does not decode is an error naming the field and the variant; an unknown value
/// keeps the raw JSON; no tag value at all is an error, since nothing says what the field is.
pub fn tagged_by<T: TaggedBy, E: de::Error>(field: &str, tag: Option<&str>, raw: Value) -> Result<T, E> {
    let Some(tag) = tag else {
        return Err(E::custom(format_args!(
            "{field}: its kind is chosen by `{}`, which is absent; found {}",
            T::TAG,
            describe_value(&raw)
        )));
    };
    match T::content(tag, &raw) {
        Some(Ok(value)) => Ok(value),
        Some(Err(error)) => Err(E::custom(format_args!("{field} (`{}` is `{tag}`): {error}", T::TAG))),
        None => Ok(T::unknown(raw)),
    }
}

/// The standalone `Deserialize` of a [`TaggedBy`] union: without the object holding it there
/// is no tag, so this always fails, saying where the value must be decoded from.
pub fn deserialize_tagged_by<'de, D: Deserializer<'de>, T: TaggedBy>(deserializer: D) -> Result<T, D::Error> {
    let raw = buffer(deserializer)?;
    Err(de::Error::custom(format_args!(
        "the kind of this value is chosen by `{}` of the object that holds it: decode that object; found {}",
        T::TAG,
        describe_value(&raw)
    )))
}

/// Decodes `value` as `T`; the error names the path of the failing field (`Events[1].Value.Id`).
pub fn decode_traced<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." { inner.to_string() } else { format!("{path}: {inner}") }
    })
}

/// One item of a batch, a message or a page: decoded, or kept as received with the reason it
/// does not decode, so that one malformed item never sinks the others.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded<T> {
    /// The item, decoded.
    Ok(T),
    /// An item that does not decode as `T`.
    Malformed {
        /// The item as received.
        raw: Value,
        /// Why it does not decode, with the path of the failing field.
        error: String,
    },
}

impl<T> Decoded<T> {
    /// The decoded item, if it decoded.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Decoded::Ok(item) => Some(item),
            Decoded::Malformed { .. } => None,
        }
    }

    /// The decoded item, or the raw item and the reason it does not decode.
    pub fn into_result(self) -> Result<T, (Value, String)> {
        match self {
            Decoded::Ok(item) => Ok(item),
            Decoded::Malformed { raw, error } => Err((raw, error)),
        }
    }

    /// True when the item does not decode.
    pub fn is_malformed(&self) -> bool {
        matches!(self, Decoded::Malformed { .. })
    }
}

impl<T> From<T> for Decoded<T> {
    fn from(item: T) -> Self {
        Decoded::Ok(item)
    }
}

impl<T: Serialize> Serialize for Decoded<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Decoded::Ok(item) => item.serialize(serializer),
            Decoded::Malformed { raw, .. } => raw.serialize(serializer),
        }
    }
}

/// Reads an item from its own JSON text when the deserializer has it (serde_json), so its
/// numbers are decoded as written (exact decimals) and no `Value` is built for an item that
/// decodes; from any JSON value otherwise.
impl<'de, T: DeserializeOwned> Deserialize<'de> for Decoded<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match deserializer.deserialize_newtype_struct(raw_token(), ItemVisitor)? {
            Item::Text(text) => Decoded::from_text(&text),
            Item::Value(raw) => match decode_traced(&raw) {
                Ok(item) => Decoded::Ok(item),
                Err(error) => Decoded::Malformed { raw, error },
            },
        })
    }
}

impl<T: DeserializeOwned> Decoded<T> {
    /// An item from its JSON text: decoded from the text directly; only an item that does not
    /// decode goes through a `serde_json::Value`, for its raw form and the path of the error
    /// (`null` for text that is no JSON).
    pub fn from_text(text: &str) -> Self {
        if let Ok(item) = serde_json::from_str(text) {
            return Decoded::Ok(item);
        }
        let raw: Value = serde_json::from_str(text).unwrap_or_default();
        match decode_traced(&raw) {
            Ok(item) => Decoded::Ok(item),
            Err(error) => Decoded::Malformed { raw, error },
        }
    }
}

/// An item as [`Decoded`] buffers it.
enum Item {
    /// Its JSON text (serde_json's raw value).
    Text(String),
    /// Any JSON value, from a deserializer without raw values.
    Value(Value),
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item, D::Error> {
        Value::deserialize(deserializer).map(Item::Value)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Item, E> {
        Ok(Item::Value(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item, E> {
        Ok(Item::Value(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
        Ok(Item::Value(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Item, E> {
        Ok(Item::Value(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
        Ok(Item::Value(Value::String(v.to_owned())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::Value(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::Value(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item, D::Error> {
        Value::deserialize(deserializer).map(Item::Value)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Item::Value)
    }

    /// serde_json's raw value (one member named by its token, holding the text), or an object.
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let Some(first) = map.next_key::<String>()? else { return Ok(Item::Value(Value::Object(Default::default()))) };
        if first == raw_token() {
            return map.next_value::<String>().map(Item::Text);
        }
        let mut object = serde_json::Map::new();
        object.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        Ok(Item::Value(Value::Object(object)))
    }
}

/// The name serde_json's raw values are asked for by (`deserialize_newtype_struct`), learnt
/// once from serde_json itself, so no private name is spelled here.
pub(crate) fn raw_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        let probe = Probe::default();
        let _ = <Box<serde_json::value::RawValue> as Deserialize>::deserialize(&probe);
        probe.0.get()
    })
}

/// A deserializer that only notes the name a newtype struct is asked for by.
#[derive(Default)]
struct Probe(std::cell::Cell<&'static str>);

impl<'de> Deserializer<'de> for &Probe {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("probe"))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, _: V) -> Result<V::Value, Self::Error> {
        self.0.set(name);
        Err(de::Error::custom("probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// JSON kinds, as bits: what a variant of an untagged union accepts.
pub mod kind {
    pub const NULL: u8 = 1;
    pub const BOOL: u8 = 2;
    pub const INTEGER: u8 = 4;
    pub const FRACTION: u8 = 8;
    pub const STRING: u8 = 16;
    pub const ARRAY: u8 = 32;
    pub const OBJECT: u8 = 64;
    pub const ANY: u8 = 127;
}

/// What a variant of an untagged union looks like on the wire.
pub struct Shape {
    /// The variant's name.
    pub variant: &'static str,
    /// The JSON kinds it accepts ([`kind`] bits).
    pub kinds: u8,
    /// Properties only this variant requires: an object with any of them is this variant (or
    /// an error), an object with none of them is not.
    pub keys: &'static [&'static str],
}

fn kind_of(value: &Value) -> u8 {
    match value {
        Value::Null => kind::NULL,
        Value::Bool(_) => kind::BOOL,
        Value::Number(n) if n.is_f64() => kind::FRACTION,
        Value::Number(_) => kind::INTEGER,
        Value::String(_) => kind::STRING,
        Value::Array(_) => kind::ARRAY,
        Value::Object(_) => kind::OBJECT,
    }
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(_) => format!("the number {value}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(map) if map.is_empty() => "an empty object".to_owned(),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().take(8).map(|k| format!("`{k}`")).collect();
            format!("an object with {}", keys.join(", "))
        }
    }
}

fn describe_shape(shape: &Shape) -> String {
    const NAMES: [(u8, &str); 7] = [
        (kind::NULL, "null"),
        (kind::BOOL, "a boolean"),
        (kind::INTEGER, "an integer"),
        (kind::FRACTION, "a number"),
        (kind::STRING, "a string"),
        (kind::ARRAY, "an array"),
        (kind::OBJECT, "an object"),
    ];
    let mut kinds: Vec<&str> = NAMES.iter().filter(|(bit, _)| shape.kinds & bit != 0).map(|(_, n)| *n).collect();
    if shape.kinds & kind::FRACTION != 0 {
        kinds.retain(|k| *k != "an integer");
    }
    let mut text = if shape.kinds == kind::ANY { "any value".to_owned() } else { kinds.join(" or ") };
    if !shape.keys.is_empty() {
        let keys: Vec<String> = shape.keys.iter().map(|k| format!("`{k}`")).collect();
        text.push_str(&format!(" with {}", keys.join(" or ")));
    }
    format!("{text} (`{}`)", shape.variant)
}

/// Decoding of an untagged union. The candidates are the variants whose JSON kind fits; for an
/// object, the variants some of whose own required properties it has, or, when it has none,
/// the variants that have no such properties. Candidates are tried in declaration order and
/// the first that decodes wins; when none does, the error says why each failed.
pub struct Untagged<'v> {
    union: &'static str,
    value: &'v Value,
    shapes: &'static [Shape],
    candidates: Vec<bool>,
    failures: Vec<String>,
}

impl<'v> Untagged<'v> {
    pub fn new(union: &'static str, value: &'v Value, shapes: &'static [Shape]) -> Self {
        let kind = kind_of(value);
        let fits: Vec<bool> = shapes.iter().map(|s| s.kinds & kind != 0).collect();
        let mut candidates = fits.clone();
        if let Value::Object(map) = value {
            let by_key: Vec<bool> =
                shapes.iter().zip(&fits).map(|(s, fit)| *fit && s.keys.iter().any(|k| map.contains_key(*k))).collect();
            candidates = if by_key.contains(&true) {
                by_key
            } else {
                shapes.iter().zip(&fits).map(|(s, fit)| *fit && s.keys.is_empty()).collect()
            };
        }
        Untagged { union, value, shapes, candidates, failures: Vec::new() }
    }

    /// Decodes variant `index` if it is a candidate; a failure is kept for the error.
    pub fn decode<T: DeserializeOwned>(&mut self, index: usize) -> Option<T> {
        if !self.candidates.get(index).copied().unwrap_or(false) {
            return None;
        }
        match decode_traced(self.value) {
            Ok(value) => Some(value),
            Err(error) => {
                let variant = self.shapes.get(index).map_or("?", |s| s.variant);
                self.failures.push(format!("as `{variant}`: {error}"));
                None
            }
        }
    }

    /// The error when no candidate decoded.
    pub fn error<E: de::Error>(self) -> E {
        if self.failures.is_empty() {
            let expected: Vec<String> = self.shapes.iter().map(describe_shape).collect();
            E::custom(format_args!(
                "`{}`: expected {}; found {}",
                self.union,
                expected.join(", or "),
                describe_value(self.value)
            ))
        } else {
            E::custom(format_args!("`{}` {}", self.union, self.failures.join("; ")))
        }
    }
}

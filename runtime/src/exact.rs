//! Exact decimals on the wire (feature `decimal`, `model::exact`): a
//! [`Decimal`] is read from a JSON number's own text and written as a JSON number of its own
//! digits, never through `f64`, so `0.1` reads as exactly 0.1 and `12345678901234567.891`
//! survives a round trip. Without serde_json's `arbitrary_precision` (a global feature that
//! changes how every `Value` and untagged enum of a program reads numbers), the only way to a
//! number's text is serde_json's raw value: reading asks the deserializer for one (serde_json
//! hands over the number as written; a `serde_json::Value` its shortest `f64` text, exact up to
//! 15 significant digits), and writing goes through [`RawValue`]. A deserializer that has no
//! raw values (serde's buffering of a downstream `#[serde(untagged)]` or `flatten`, other
//! formats) gives the number it parsed, as with any `f64`.
//!
//! A JSON string holding a decimal (`"12.50"`) is accepted on purpose, as providers that write
//! money as text send it; anything else is an error saying a decimal number was expected.
//!
//! Generated types use it through [`Exact`], implemented for `Decimal` and for the containers a
//! field or variant may wrap it in (`Option`, `Vec`, `BTreeMap<String, _>`, `Box`,
//! [`Nullable`]): `#[serde(serialize_with = "model::exact::serialize")]` on a field, [`field`]
//! in a struct's `visit_map`, and [`Ser`] and [`As`] where a type is needed (union variants).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

pub use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::model::{Nullable, raw_token};

/// A value whose decimals are read and written exactly.
pub trait Exact: Sized {
    /// Writes the value, each decimal as a JSON number of its own digits.
    fn serialize_exact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads the value, each decimal from the number's own text.
    fn deserialize_exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// `serialize_with` of a field holding decimals.
pub fn serialize<T: Exact, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    value.serialize_exact(serializer)
}

/// `deserialize_with` of a field holding decimals.
pub fn deserialize<'de, T: Exact, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    T::deserialize_exact(deserializer)
}

/// Reads a struct field holding decimals into its slot, as [`crate::model::field`] does for
/// other fields (a second value is `duplicate field`).
pub fn field<'de, T: Exact, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value_seed(Seed(PhantomData))?);
    Ok(())
}

/// A borrowed value that serializes exactly.
pub struct Ser<'a, T>(pub &'a T);

impl<T: Exact> Serialize for Ser<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_exact(serializer)
    }
}

/// A value that deserializes (and serializes) exactly, for places that need a type.
#[derive(Clone, Debug, PartialEq)]
pub struct As<T>(pub T);

impl<'de, T: Exact> de::Deserialize<'de> for As<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_exact(deserializer).map(As)
    }
}

impl<T: Exact> Serialize for As<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_exact(serializer)
    }
}

/// Reads a `T` exactly.
struct Seed<T>(PhantomData<T>);

impl<'de, T: Exact> DeserializeSeed<'de> for Seed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize_exact(deserializer)
    }
}

impl Exact for Decimal {
    fn serialize_exact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `Display` writes the digits without an exponent: a valid JSON number.
        RawValue::from_string(self.to_string()).map_err(ser::Error::custom)?.serialize(serializer)
    }

    fn deserialize_exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(raw_token(), DecimalVisitor)
    }
}

impl<T: Exact> Exact for Option<T> {
    fn serialize_exact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => serializer.serialize_some(&Ser(value)),
            None => serializer.serialize_none(),
        }
    }

    fn deserialize_exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_option(OptionVisitor(PhantomData))
    }
}

impl<T: Exact> Exact for Nullable<T> {
    fn serialize_exact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(value) => serializer.serialize_some(&Ser(value)),
            Nullable::Absent | Nullable::Null => serializer.serialize_none(),
        }
    }

    fn deserialize_exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize_exact(deserializer)? {
            Some(value) => Nullable::Value(value),
            None => Nullable::Null,
        })
    }
}

impl<T: Exact> Exact for Box<T> {
    fn serialize_exact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize_exact(serializer)
    }

    fn deserialize_exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_exact(deserializer).map(Box::new)
    }
}

impl<T: Exact> Exact for Vec<T> {
    fn serialize_exact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Ser))
    }

    fn deserialize_exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ListVisitor(PhantomData))
    }
}

impl<T: Exact> Exact for BTreeMap<String, T> {
    fn serialize_exact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(key, value)| (key, Ser(value))))
    }

    fn deserialize_exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T: Exact> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        T::deserialize_exact(deserializer).map(Some)
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Exact> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Seed(PhantomData))? {
            out.push(item);
        }
        Ok(out)
    }
}

struct MapVisitor<T>(PhantomData<T>);

impl<'de, T: Exact> Visitor<'de> for MapVisitor<T> {
    type Value = BTreeMap<String, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed(PhantomData))?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// A decimal from its JSON text: a number as written, or a string holding one.
pub(crate) fn parse_json_text(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|e| e.to_string())?;
        return parse_number(&inner).map_err(|e| format!("the string {text} {e}"));
    }
    if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return parse_number(text).map_err(|e| format!("the number {text} {e}"));
    }
    let found = match text.chars().next() {
        Some('{') => "an object",
        Some('[') => "an array",
        Some('t' | 'f') => "a boolean",
        Some('n') => "null",
        _ => "something else",
    };
    Err(format!("expected a decimal number, found {found}"))
}

/// A decimal from number text (`-12.50`, `1e-3`); an error when it has more digits than a
/// `Decimal` holds (28) or is not a number.
fn parse_number(text: &str) -> Result<Decimal, String> {
    let parsed = if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { Decimal::from_str_exact(text) };
    parsed.map_err(|e| format!("is no decimal this crate can hold exactly ({e})"))
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number")
    }

    /// serde_json's raw value: one member, named by the token, holding the JSON text.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        let raw = map.next_key_seed(IsToken)?;
        if raw != Some(true) {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        map.next_value_seed(TextSeed)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
        parse_number(text).map_err(|e| E::custom(format_args!("the string \"{text}\" {e}")))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        // What a deserializer without raw values parsed: its shortest text is what was written
        // for up to 15 significant digits.
        if !value.is_finite() {
            return Err(E::invalid_value(de::Unexpected::Float(value), &self));
        }
        Decimal::from_str(&value.to_string()).map_err(E::custom)
    }
}

/// True when the key is serde_json's raw value token.
struct IsToken;

impl<'de> DeserializeSeed<'de> for IsToken {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for IsToken {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == raw_token())
    }
}

/// The JSON text of a raw value, parsed as a decimal.
struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Decimal;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for TextSeed {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the JSON text of a decimal number")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
        parse_json_text(text).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn read<T: Exact>(json: &str) -> Result<T, String> {
        serde_json::from_str::<As<T>>(json).map(|a| a.0).map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_are_read_from_their_text_and_written_as_their_digits() {
        assert_eq!(read::<Decimal>("0.1").unwrap(), dec("0.1"));
        assert_eq!(read::<Decimal>("12345678901234567.891").unwrap(), dec("12345678901234567.891"));
        assert_eq!(read::<Decimal>("-1.5e-3").unwrap(), dec("-0.0015"));
        assert_eq!(read::<Decimal>("7").unwrap(), dec("7"));
        let big = read::<Decimal>("12345678901234567.891").unwrap();
        assert_eq!(serde_json::to_string(&Ser(&big)).unwrap(), "12345678901234567.891");
        assert_eq!(serde_json::to_string(&Ser(&dec("12.50"))).unwrap(), "12.50");
        // Through serde_json's `Value` the number is written, not quoted.
        assert_eq!(serde_json::to_value(Ser(&dec("0.3"))).unwrap(), json!(0.3));
    }

    #[test]
    fn containers_hold_exact_decimals() {
        assert_eq!(read::<Option<Decimal>>("null").unwrap(), None);
        assert_eq!(read::<Option<Decimal>>("0.1").unwrap(), Some(dec("0.1")));
        assert_eq!(read::<Vec<Decimal>>("[0.1, 0.2]").unwrap(), [dec("0.1"), dec("0.2")]);
        let map: BTreeMap<String, Decimal> = read(r#"{"a": 1.10}"#).unwrap();
        assert_eq!(serde_json::to_string(&Ser(&map)).unwrap(), r#"{"a":1.10}"#);
        assert_eq!(read::<Nullable<Decimal>>("null").unwrap(), Nullable::Null);
        assert_eq!(serde_json::to_string(&Ser(&Some(vec![dec("0.10")]))).unwrap(), "[0.10]");
    }

    #[test]
    fn strings_are_accepted_and_other_values_are_errors() {
        assert_eq!(read::<Decimal>(r#""12.50""#).unwrap(), dec("12.50"));
        let error = read::<Decimal>("true").unwrap_err();
        assert!(error.contains("expected a decimal number, found a boolean"), "{error}");
        let error = read::<Decimal>(r#"{"a": 1}"#).unwrap_err();
        assert!(error.contains("expected a decimal number, found an object"), "{error}");
        let error = read::<Decimal>(r#""ten""#).unwrap_err();
        assert!(error.contains("the string \"ten\" is no decimal"), "{error}");
        let error = read::<Decimal>("1234567890123456789012345678901234567890").unwrap_err();
        assert!(error.contains("is no decimal this crate can hold exactly"), "{error}");
    }

    #[test]
    fn items_decoded_one_by_one_keep_their_digits() {
        use crate::model::Decoded;
        let items: Vec<Decoded<As<Decimal>>> = serde_json::from_str("[12345678901234567.891, true]").unwrap();
        assert_eq!(items[0], Decoded::Ok(As(dec("12345678901234567.891"))));
        match &items[1] {
            Decoded::Malformed { raw, error } => {
                assert_eq!(raw, &json!(true));
                assert!(error.contains("expected a decimal number"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deserializers_without_raw_values_give_what_they_parsed() {
        // A `Value` holds an `f64`: its shortest text is the number written, up to 15 digits.
        let value = json!({"a": 0.1});
        let a: As<Decimal> = serde_json::from_value(value["a"].clone()).unwrap();
        assert_eq!(a.0, dec("0.1"));
        // A deserializer that has no raw values (serde's buffering, other formats) gives a number.
        let amount: As<Decimal> =
            de::Deserialize::deserialize(de::value::F64Deserializer::<de::value::Error>::new(2.25)).unwrap();
        assert_eq!(amount.0, dec("2.25"));
        let count: As<Decimal> =
            de::Deserialize::deserialize(de::value::U64Deserializer::<de::value::Error>::new(3)).unwrap();
        assert_eq!(count.0, dec("3"));
    }
}

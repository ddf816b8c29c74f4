//! What generated API servers share: the error a method returns, request decoding with a 400
//! in the provider's error shape, and response encoding with status codes.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::secret::Secret;

/// The failure of an API server method.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError<E> {
    /// Answer with this status and the operation's documented error body.
    Status(u16, E),
    /// The method is not implemented: 501.
    NotImplemented,
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// Decodes a JSON request body; on failure, the 400 answer: `{"<message_field>": "..."}` in
/// the provider's error shape when it has a message property, else the message as text.
pub fn decode<T: serde::de::DeserializeOwned>(body: &Bytes, message_field: Option<&str>) -> Result<T, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(bad_request(&format!("Invalid request body: {e}"), message_field)))
}

/// The credentials a JSON request body carries as top-level string properties, read apart from
/// the body's own type (which has no fields for them): per `(name, required)`, its value when
/// present (`null` counts as absent). A required one that is absent, one that is no string, or
/// one given twice is the 400 answer, as when a body does not decode. A body that is no JSON
/// object carries none (its own decoding answers for it).
pub fn body_credentials<const N: usize>(
    body: &Bytes,
    names: [(&str, bool); N],
    message_field: Option<&str>,
) -> Result<[Option<Secret>; N], Box<Response>> {
    let fail = |message: String| Box::new(bad_request(&format!("Invalid request body: {message}"), message_field));
    let keys = names.map(|(name, _)| name);
    let mut reader = serde_json::Deserializer::from_slice(body);
    let found = match serde::de::DeserializeSeed::deserialize(Members(keys), &mut reader) {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(std::array::from_fn(|_| None)),
        Err(e) if e.is_data() => return Err(fail(e.to_string())),
        Err(_) => return Ok(std::array::from_fn(|_| None)),
    };
    for ((name, required), value) in names.iter().zip(&found) {
        if *required && value.is_none() {
            return Err(fail(format!("missing field `{name}`")));
        }
    }
    Ok(found)
}

/// Reads the members `0` names from a JSON object (`None` for any other value), skipping the rest.
struct Members<'a, const N: usize>([&'a str; N]);

impl<'de, const N: usize> serde::de::DeserializeSeed<'de> for Members<'_, N> {
    type Value = Option<[Option<Secret>; N]>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize> serde::de::Visitor<'de> for Members<'_, N> {
    type Value = Option<[Option<Secret>; N]>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found: [Option<Secret>; N] = std::array::from_fn(|_| None);
        let mut seen = [false; N];
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(i) = self.0.iter().position(|name| *name == key) else {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[i], true) {
                return Err(serde::de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            found[i] = map.next_value::<Option<String>>()?.map(Secret::new);
        }
        Ok(Some(found))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A 400 answer carrying `message`, in the provider's error shape when known.
pub fn bad_request(message: &str, message_field: Option<&str>) -> Response {
    match message_field {
        Some(field) => {
            let mut map = serde_json::Map::new();
            map.insert(field.to_owned(), serde_json::Value::String(message.to_owned()));
            json(StatusCode::BAD_REQUEST, serde_json::Value::Object(map).to_string().into_bytes())
        }
        None => (StatusCode::BAD_REQUEST, message.to_owned()).into_response(),
    }
}

/// Encodes a method's result: its success status and JSON body, or the error's.
pub fn respond<T: serde::Serialize, E: serde::Serialize>(success: u16, result: Result<T, ApiError<E>>) -> Response {
    let encode = |status: u16, value: Result<Vec<u8>, serde_json::Error>| match (StatusCode::from_u16(status), value) {
        (Ok(status), Ok(_)) if status == StatusCode::NO_CONTENT => status.into_response(),
        (Ok(status), Ok(body)) => json(status, body),
        (Err(_), _) => (StatusCode::INTERNAL_SERVER_ERROR, "invalid status").into_response(),
        (_, Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot encode the response: {e}")).into_response(),
    };
    match result {
        Ok(value) => encode(success, serde_json::to_vec(&value)),
        Err(ApiError::Status(status, body)) => encode(status, serde_json::to_vec(&body)),
        Err(ApiError::NotImplemented) => (StatusCode::NOT_IMPLEMENTED, "not implemented").into_response(),
    }
}

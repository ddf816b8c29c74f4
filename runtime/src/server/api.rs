//! What generated API servers share: the error a method returns, request decoding with a 400
//! in the provider's error shape, and response encoding with status codes.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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

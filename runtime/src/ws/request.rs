//! Typed requests over a correlated listener: the id is read from the request, the reply is
//! decoded into the reply type.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{SendError, Sender};

/// How long [`request`] waits for a reply (sending included) unless told otherwise: 30 seconds.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a typed request has no typed reply.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestError {
    /// The request was not sent or no reply came: the connection is closed or was lost, no
    /// reply came in time, or the listener does not match replies ([`SendError`]).
    Send(SendError),
    /// The request holds no correlation id (a string or a number) at `pointer`.
    NoId {
        /// JSON pointer of the id in the request.
        pointer: String,
    },
    /// The reply came but does not decode as the reply type.
    Reply {
        /// The reply as received.
        raw: serde_json::Value,
        /// Why it does not decode.
        error: serde_json::Error,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Send(e) => e.fmt(f),
            RequestError::NoId { pointer } => {
                write!(f, "the request has no correlation id (a string or a number) at `{pointer}`")
            }
            RequestError::Reply { error, .. } => write!(f, "the reply does not decode: {error}"),
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::Send(e) => Some(e),
            RequestError::Reply { error, .. } => Some(error),
            RequestError::NoId { .. } => None,
        }
    }
}

impl From<SendError> for RequestError {
    fn from(e: SendError) -> Self {
        RequestError::Send(e)
    }
}

/// Sends `message` as JSON and waits up to `timeout` for the reply carrying the same
/// correlation id, decoded as `R`. The id is the request's value at JSON pointer `pointer` (a
/// string, or a number read as its decimal text); the listener must match replies
/// ([`super::Listener::correlate`]).
pub async fn request<T, R>(sender: &Sender, message: &T, pointer: &str, timeout: Duration) -> Result<R, RequestError>
where
    T: Serialize + ?Sized,
    R: DeserializeOwned,
{
    let value = serde_json::to_value(message).map_err(|e| RequestError::Send(SendError::Encode(e)))?;
    let id = match value.pointer(pointer) {
        Some(serde_json::Value::String(id)) => id.clone(),
        Some(serde_json::Value::Number(id)) => id.to_string(),
        _ => return Err(RequestError::NoId { pointer: pointer.to_owned() }),
    };
    let raw = sender.request_json(&value, id, timeout).await?;
    match R::deserialize(&raw) {
        Ok(reply) => Ok(reply),
        Err(error) => Err(RequestError::Reply { raw, error }),
    }
}

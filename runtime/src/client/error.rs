//! What can go wrong with a call.

use std::fmt;
use std::time::Duration;

/// A failed call. `E` is the type of the provider's documented error body for the operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E = serde_json::Value> {
    /// The request could not be built (a parameter or body that does not serialize, a bad URL).
    Request(String),
    /// The request could not be sent or the response not read (connection refused, reset, TLS).
    Transport(reqwest::Error),
    /// No complete response arrived within the configured timeout.
    Timeout {
        /// The operation that timed out.
        operation: &'static str,
    },
    /// The server kept answering 429 Too Many Requests after every retry the policy allowed.
    RateLimited {
        /// The delay the server asked for in its last `Retry-After` header.
        retry_after: Option<Duration>,
        /// The error body, if it decoded.
        body: Option<E>,
        /// Request id from a response header or the body.
        request_id: Option<String>,
    },
    /// The server answered with an error status.
    Api {
        /// HTTP status code.
        status: u16,
        /// The provider's error body, decoded; `None` when it did not decode (see `raw`).
        body: Option<E>,
        /// The body as received (lossy UTF-8).
        raw: String,
        /// Request id from a response header or the body, for support requests.
        request_id: Option<String>,
    },
    /// A successful response whose body does not decode into the documented type.
    Decode {
        /// HTTP status code.
        status: u16,
        /// The body as received (lossy UTF-8).
        body: String,
        /// Why it did not decode.
        source: serde_json::Error,
    },
    /// A success status the specification does not document for the operation.
    UnexpectedStatus {
        /// HTTP status code.
        status: u16,
        /// The body as received (lossy UTF-8).
        body: String,
    },
    /// The store that keeps the rate limit shared between processes (Redis) could not be
    /// reached, and the client was built to fail rather than limit within its own process
    /// ([`crate::client::Builder::redis_rate_limit`]). Nothing was sent.
    LimiterUnreachable {
        /// Which store, and what went wrong (refused, timed out, failing).
        reason: String,
    },
}

/// An operation's documented error body: decoded from an error response by its status and
/// bytes. Every JSON type is one; generated crates implement it for operations whose error
/// bodies differ by status.
pub trait ErrorBody: Sized {
    /// Decodes the body of a response with status `status`.
    fn decode(status: u16, body: &[u8]) -> std::result::Result<Self, serde_json::Error>;
}

impl<T: serde::de::DeserializeOwned> ErrorBody for T {
    fn decode(_status: u16, body: &[u8]) -> std::result::Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// What a call of an operation returns: its result, or an [`Error`] carrying the operation's
/// documented error body `E`.
pub type Result<T, E = serde_json::Value> = std::result::Result<T, Error<E>>;

impl<E> Error<E> {
    /// HTTP status of the response that caused the error, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::RateLimited { .. } => Some(429),
            Error::Api { status, .. } | Error::Decode { status, .. } | Error::UnexpectedStatus { status, .. } => {
                Some(*status)
            }
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            Error::Request(_) | Error::Timeout { .. } | Error::LimiterUnreachable { .. } => None,
        }
    }

    /// Request id the server gave for the failed request, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::RateLimited { request_id, .. } | Error::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Request(message) => write!(f, "invalid request: {message}"),
            Error::Transport(e) => write!(f, "transport error: {e}"),
            Error::Timeout { operation } => write!(f, "{operation} timed out"),
            Error::RateLimited { retry_after, request_id, .. } => {
                write!(f, "rate limited (429)")?;
                if let Some(delay) = retry_after {
                    write!(f, ", retry after {} s", delay.as_secs_f64())?;
                }
                if let Some(id) = request_id {
                    write!(f, ", request id {id}")?;
                }
                Ok(())
            }
            Error::Api { status, body, raw, request_id } => {
                write!(f, "API error {status}")?;
                match body {
                    Some(body) => write!(f, ": {body:?}")?,
                    None if !raw.is_empty() => write!(f, ": {}", truncate(raw))?,
                    None => {}
                }
                if let Some(id) = request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::Decode { status, body, source } => {
                write!(f, "response {status} does not decode: {source}; body: {}", truncate(body))
            }
            Error::UnexpectedStatus { status, body } => {
                write!(f, "undocumented status {status}; body: {}", truncate(body))
            }
            Error::LimiterUnreachable { reason } => {
                write!(f, "the shared rate limit's store is unreachable, nothing was sent: {reason}")
            }
        }
    }
}

impl<E: fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => Some(e),
            Error::Decode { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(500) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

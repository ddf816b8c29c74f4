//! The transport of generated client crates.
//!
//! A generated client wraps one [`Transport`]. Each operation is a static [`Operation`] (id,
//! method, path template, retry safety, security schemes); a method adds the call's values as
//! a [`Request`] (path parameters, query, headers, cookies, body) and [`Transport::send`]s it:
//! credentials are added, the [`RetryPolicy`] decides about repeats, and failures become an
//! [`Error`] whose API variant carries the provider's error body decoded into its own type
//! ([`ErrorBody`]).

mod auth;
mod body;
mod error;
mod json;
mod limit;
mod paginate;
mod params;
#[cfg(feature = "redis")]
mod redis_limit;
mod request;
mod retry;
pub mod sse;
mod transport;

pub use auth::{Auth, Credential, Secret};
pub use body::{Download, FilePart, StreamError, Upload};
pub use bytes::Bytes;
pub use error::{Error, ErrorBody, Result};
pub use futures_util::stream::{Stream, StreamExt, TryStreamExt};
pub use limit::RateLimit;
pub use paginate::{Cursor, Paging, cursor_items, cursor_items_or_none, pages, paginate};
pub use params::Style;
/// The Redis client ([`RedisStore`] is made from a [`redis::Client`] as well as from a URL).
#[cfg(feature = "redis")]
pub use redis;
#[cfg(feature = "redis")]
pub use redis_limit::{
    DEFAULT_REDIS_CONNECT_TIMEOUT, DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_RECONNECT_DELAY, DEFAULT_REDIS_RESPONSE_TIMEOUT,
    OnUnreachable, RedisStore,
};
pub use request::{Operation, Raw, Request, Response};
pub use reqwest;
pub use reqwest::Method;
pub use retry::RetryPolicy;
pub use serde;
pub use serde_json;
pub use transport::{Builder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Hook, Transport};

/// Parses a command-line argument into `T`: as JSON first (numbers, booleans, quoted text),
/// then as a JSON string holding the text as written (dates, UUIDs, enum values).
pub fn parse_arg<T: serde::de::DeserializeOwned>(text: &str) -> std::result::Result<T, serde_json::Error> {
    serde_json::from_str(text).or_else(|_| serde_json::from_value(serde_json::Value::String(text.to_owned())))
}

//! Runtime of the crates triad generates: everything that is the same for every API, written
//! and tested once, so generated code stays thin.
//!
//! - always: the serde helpers of generated types crates ([`model`]): [`model::Nullable`] for
//!   optional nullable fields, open enums, tagged unions that keep unknown variants, redaction.
//! - feature `decimal`: `model::exact`, exact decimals (`rust_decimal::Decimal`) read from a
//!   JSON number's own text and written as its digits, never through `f64`.
//! - feature `calendar`: [`calendar::Date`] and [`calendar::DateTime`] on chrono, which accept a
//!   date or a date-time whichever the spec says and keep the form received.
//! - feature `client`: the HTTP transport of generated client crates ([`client`]): requests on
//!   `reqwest` with rustls, credentials injected into headers, query, cookies or JSON bodies,
//!   retries with exponential backoff and jitter that honour `Retry-After`, an optional
//!   client-side rate limit, cursor pagination as a [`futures_util::Stream`], typed errors, a
//!   `tracing` span per request and a hook to change requests before they are sent.
//! - feature `redis` (with `client`): the client rate limit kept in Redis
//!   (`client::RedisStore`, `client::Builder::redis_rate_limit`), shared by every process that
//!   uses the same credential: one atomic Lua script on the server's clock per request, the
//!   window named by a keyed digest of the server, the limit and the credential; when Redis
//!   cannot be reached, a call fails or falls back to the in-process limit, as chosen.
//! - feature `server`: the webhook receiver of generated server-stub crates ([`server`]) on
//!   axum: verification (query token, HMAC-SHA256 header, Standard Webhooks), duplicate
//!   detection, inline or journaled delivery, counters and spans; the API server of generated
//!   server-stub crates.
//! - feature `journal` (with `server`): the embedded journal of journaled delivery,
//!   `server::RedbJournal` on redb, and the operator's `server::journal_tool`.
//! - feature `ws`: WebSockets ([`ws`]): the listener of generated client crates on
//!   tokio-tungstenite (rustls) with auth on the upgrade, keepalive, reconnect with backoff and
//!   jitter, a resync hook, a bounded buffer and clean close; with `server` as well, the hub of
//!   generated server-stub crates that pushes messages to authenticated clients on axum.
//! - feature `nats` (with `ws` and `server`): the hub's fan-out across server replicas through
//!   a NATS core subject on async-nats (`ws::Hub::fan_out_nats`): a message pushed on any
//!   replica reaches the clients of every replica.
//! - feature `cli`: the command line of the example programs generated crates ship (`cli`):
//!   `--flag value` options (secret ones readable only as [`Secret`]s), exit codes, graceful
//!   shutdown on SIGTERM or Ctrl-C, output lines; with `server` the receiver example's serving,
//!   with `ws` the listener's and pusher's.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
pub mod client;

#[cfg(feature = "server")]
pub mod server;

pub mod model;

#[cfg(feature = "calendar")]
pub mod calendar;

mod secret;
pub use secret::Secret;

#[cfg(any(feature = "client", feature = "server"))]
mod style;

#[cfg(feature = "ws")]
pub mod ws;

#[cfg(feature = "cli")]
pub mod cli;

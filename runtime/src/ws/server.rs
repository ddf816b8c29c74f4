//! The hub: a WebSocket endpoint on axum that pushes every message to every connected client.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use subtle::ConstantTimeEq;
use tokio::sync::{broadcast, watch};
use tokio::time::sleep_until;
use tracing::Instrument;

use crate::secret::Secret;

/// One credential the upgrade request must carry.
#[derive(Clone, Debug)]
enum Wanted {
    Cookie(String, Secret),
    Header(String, Secret),
    Query(String, Secret),
}

/// What the upgrade request must carry: every credential listed, compared in constant time
/// (after a length check). A request missing one, or with a wrong value, is answered 401
/// before the upgrade. Empty names or values are refused ([`Expect::check`]).
#[derive(Clone, Debug, Default)]
pub struct Expect {
    wanted: Vec<Wanted>,
    error: Option<ExpectError>,
}

/// An [`Expect`] that cannot be checked safely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectError(String);

impl fmt::Display for ExpectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExpectError {}

impl Expect {
    /// Expects nothing: every upgrade is accepted.
    pub fn new() -> Self {
        Expect::default()
    }

    fn with(mut self, kind: &str, name: String, value: &Secret, wanted: impl FnOnce(String) -> Wanted) -> Self {
        if self.error.is_none() {
            if name.is_empty() {
                self.error = Some(ExpectError(format!("an expected {kind} has an empty name")));
            } else if value.expose().is_empty() {
                self.error = Some(ExpectError(format!("the expected {kind} `{name}` has an empty value")));
            }
        }
        self.wanted.push(wanted(name));
        self
    }

    /// A cookie `name` with exactly `value`.
    pub fn cookie(self, name: impl Into<String>, value: Secret) -> Self {
        let v = value.clone();
        self.with("cookie", name.into(), &value, move |n| Wanted::Cookie(n, v))
    }

    /// A header `name` with exactly `value`.
    pub fn header(self, name: impl Into<String>, value: Secret) -> Self {
        let v = value.clone();
        self.with("header", name.into(), &value, move |n| Wanted::Header(n, v))
    }

    /// A query parameter `name` with exactly `value`.
    pub fn query(self, name: impl Into<String>, value: Secret) -> Self {
        let v = value.clone();
        self.with("query parameter", name.into(), &value, move |n| Wanted::Query(n, v))
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: Secret) -> Self {
        if token.expose().is_empty() {
            return self.with("bearer token", "Authorization".to_owned(), &token, |_| {
                Wanted::Header(String::new(), Secret::new(""))
            });
        }
        self.header("Authorization", Secret::new(format!("Bearer {}", token.expose())))
    }

    /// Fails when a credential was given with an empty name or value (such an `Expect`
    /// refuses every upgrade rather than accept an empty credential).
    pub fn check(&self) -> Result<(), ExpectError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// True when the request carries every expected credential.
    fn admits(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        if self.error.is_some() {
            return false;
        }
        self.wanted.iter().all(|wanted| match wanted {
            Wanted::Header(name, value) => {
                headers.get_all(name.as_str()).iter().any(|given| same(value.expose().as_bytes(), given.as_bytes()))
            }
            Wanted::Cookie(name, value) => headers.get_all(header::COOKIE).iter().any(|line| {
                line.as_bytes().split(|b| *b == b';').any(|pair| {
                    let pair = pair.trim_ascii();
                    let Some(eq) = pair.iter().position(|b| *b == b'=') else { return false };
                    &pair[..eq] == name.as_bytes() && same(value.expose().as_bytes(), &pair[eq + 1..])
                })
            }),
            Wanted::Query(name, value) => query.is_some_and(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .any(|(n, v)| n == name.as_str() && same(value.expose().as_bytes(), v.as_bytes()))
            }),
        })
    }
}

/// Constant-time comparison of equal-length values (the length itself is not secret).
fn same(expected: &[u8], given: &[u8]) -> bool {
    !expected.is_empty() && expected.len() == given.len() && bool::from(expected.ct_eq(given))
}

/// What the hub does with a client whose buffer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lagging {
    /// Skip the messages it missed (counted in [`HubCounters::lagged`]) and go on.
    Drop,
    /// Close its connection (counted in [`HubCounters::disconnected_lagging`]).
    #[default]
    Disconnect,
}

/// Settings of a [`Hub`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// Messages held per client (rounded up to a power of two, at most 65,536). Default 1024.
    pub buffer: usize,
    /// What happens to a client that falls behind by more than `buffer`. Default: disconnect.
    pub lagging: Lagging,
    /// How often the hub pings each client. Default 15 s.
    pub ping_interval: Duration,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions { buffer: 1024, lagging: Lagging::Disconnect, ping_interval: Duration::from_secs(15) }
    }
}

/// What a [`Hub`] has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HubCounters {
    /// Upgrades accepted.
    pub connected: u64,
    /// Upgrades refused (401).
    pub rejected: u64,
    /// Messages skipped for lagging clients ([`Lagging::Drop`]).
    pub lagged: u64,
    /// Clients closed for lagging ([`Lagging::Disconnect`]).
    pub disconnected_lagging: u64,
    /// Messages pushed (each counted once, whatever the number of clients). With a fan-out,
    /// those handed on to be published; the ones refused are counted in `fan_out_failed`.
    pub pushed: u64,
    /// With a fan-out (feature `nats`): messages that arrived on the subject (from any replica,
    /// this one included) and were queued for this replica's clients.
    pub fan_out_received: u64,
    /// With a fan-out: messages pushed on this replica that did not reach NATS, whether the
    /// push returned the error or the message was lost after it was accepted (then logged).
    pub fan_out_failed: u64,
    /// With a fan-out: messages that arrived on the subject but are not UTF-8 text, skipped
    /// (and logged).
    pub fan_out_malformed: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    connected: AtomicU64,
    rejected: AtomicU64,
    lagged: AtomicU64,
    disconnected_lagging: AtomicU64,
    pushed: AtomicU64,
    pub(super) fan_out_received: AtomicU64,
    pub(super) fan_out_failed: AtomicU64,
    pub(super) fan_out_malformed: AtomicU64,
}

pub(super) struct Inner {
    tx: broadcast::Sender<Utf8Bytes>,
    pub(super) options: HubOptions,
    pub(super) counters: Counters,
    /// Bumped by [`Hub::disconnect_all`].
    drops: watch::Sender<u64>,
    /// Set once by [`Hub::fan_out_nats`]: pushes go through NATS and come back to every replica.
    #[cfg(feature = "nats")]
    pub(super) fan_out: std::sync::OnceLock<super::fan_out::FanOut>,
}

impl Inner {
    /// Queues `text` for every client of this hub; returns how many.
    pub(super) fn deliver(&self, text: Utf8Bytes) -> usize {
        self.tx.send(text).unwrap_or(0)
    }
}

/// Why a push reached no client.
#[derive(Debug)]
#[non_exhaustive]
pub enum PushError {
    /// The value could not be written as JSON.
    Json(serde_json::Error),
    /// The hub fans out through NATS ([`Hub::fan_out_nats`]) and its connection is down: the
    /// message went to no replica, this one included.
    FanOutDown,
    /// The hub fans out through NATS and as many messages as [`HubOptions::buffer`] already
    /// wait to be published: the message went to no replica. [`Hub::push_text_async`] waits for
    /// room instead.
    FanOutBacklog,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Json(e) => write!(f, "the message could not be written as JSON: {e}"),
            PushError::FanOutDown => {
                f.write_str("the NATS connection of the hub's fan-out is down; nothing was pushed")
            }
            PushError::FanOutBacklog => {
                f.write_str("too many messages wait to be published to NATS by the hub's fan-out; nothing was pushed")
            }
        }
    }
}

impl std::error::Error for PushError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PushError::Json(e) => Some(e),
            _ => None,
        }
    }
}

impl From<serde_json::Error> for PushError {
    fn from(e: serde_json::Error) -> Self {
        PushError::Json(e)
    }
}

/// A broadcast to WebSocket clients: every message pushed goes to every connected client,
/// each with its own bounded buffer (a `tokio::sync::broadcast` channel underneath).
#[derive(Clone)]
pub struct Hub {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Hub");
        debug.field("clients", &self.clients()).field("options", &self.inner.options);
        #[cfg(feature = "nats")]
        debug.field("fan_out", &self.inner.fan_out.get());
        debug.finish()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new(HubOptions::default())
    }
}

impl Hub {
    /// A hub without clients.
    pub fn new(options: HubOptions) -> Self {
        // The channel allocates every slot up front: bounded to 65,536 messages per client.
        let options = HubOptions { buffer: options.buffer.clamp(1, 1 << 16), ..options };
        let (tx, _) = broadcast::channel(options.buffer);
        let (drops, _) = watch::channel(0);
        let inner = Inner {
            tx,
            options,
            counters: Counters::default(),
            drops,
            #[cfg(feature = "nats")]
            fan_out: std::sync::OnceLock::new(),
        };
        Hub { inner: Arc::new(inner) }
    }

    /// Queues a text message for every connected client; returns how many it was queued for.
    ///
    /// With a fan-out ([`Hub::fan_out_nats`]) the message is handed on to be published to
    /// NATS, and reaches this replica's clients, like every other replica's, when it comes back
    /// from NATS; the number returned is then the clients connected to this replica now. It
    /// never waits: when the NATS connection is down, or [`HubOptions::buffer`] messages
    /// already wait to be published, the push fails and goes to no replica
    /// ([`PushError::FanOutDown`], [`PushError::FanOutBacklog`]). Without a fan-out it never
    /// fails.
    pub fn push_text(&self, text: impl Into<String>) -> Result<usize, PushError> {
        #[cfg(feature = "nats")]
        if let Some(fan_out) = self.inner.fan_out.get() {
            return self.fanned_out(fan_out.try_publish(text.into()));
        }
        self.inner.counters.pushed.fetch_add(1, Ordering::Relaxed);
        Ok(self.inner.deliver(Utf8Bytes::from(text.into())))
    }

    /// [`Hub::push_text`], waiting for room when messages already wait to be published to NATS
    /// (so a fast pusher is slowed down rather than refused). Without a fan-out it does not
    /// wait.
    pub async fn push_text_async(&self, text: impl Into<String>) -> Result<usize, PushError> {
        #[cfg(feature = "nats")]
        if let Some(fan_out) = self.inner.fan_out.get() {
            return self.fanned_out(fan_out.publish(text.into()).await);
        }
        self.push_text(text)
    }

    /// Counts a push handed to the fan-out, or its failure.
    #[cfg(feature = "nats")]
    fn fanned_out(&self, handed_on: Result<(), PushError>) -> Result<usize, PushError> {
        let counters = &self.inner.counters;
        match handed_on {
            Ok(()) => {
                counters.pushed.fetch_add(1, Ordering::Relaxed);
                Ok(self.clients())
            }
            Err(e) => {
                counters.fan_out_failed.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %e, "push refused");
                Err(e)
            }
        }
    }

    /// Queues `value` as a JSON text message for every connected client ([`Hub::push_text`]).
    pub fn push_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<usize, PushError> {
        self.push_text(serde_json::to_string(value)?)
    }

    /// Queues `value` as a JSON text message for every connected client
    /// ([`Hub::push_text_async`]).
    pub async fn push_json_async<T: Serialize + ?Sized>(&self, value: &T) -> Result<usize, PushError> {
        self.push_text_async(serde_json::to_string(value)?).await
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.inner.tx.receiver_count()
    }

    /// Drops every connection at once, without a Close frame (clients see a lost connection).
    pub fn disconnect_all(&self) {
        self.inner.drops.send_modify(|n| *n += 1);
    }

    /// The counters so far.
    pub fn counters(&self) -> HubCounters {
        let c = &self.inner.counters;
        HubCounters {
            connected: c.connected.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            lagged: c.lagged.load(Ordering::Relaxed),
            disconnected_lagging: c.disconnected_lagging.load(Ordering::Relaxed),
            pushed: c.pushed.load(Ordering::Relaxed),
            fan_out_received: c.fan_out_received.load(Ordering::Relaxed),
            fan_out_failed: c.fan_out_failed.load(Ordering::Relaxed),
            fan_out_malformed: c.fan_out_malformed.load(Ordering::Relaxed),
        }
    }

    /// An axum router serving the WebSocket endpoint at `path` (a GET upgrade), authenticated
    /// by `expect`. An `expect` that fails [`Expect::check`] refuses every upgrade; use
    /// [`Hub::try_router`] to get that error instead.
    pub fn router(&self, path: &str, expect: Expect) -> Router {
        if let Err(e) = expect.check() {
            tracing::error!(error = %e, "WebSocket endpoint refuses every upgrade");
        }
        Router::new().route(path, get(upgrade)).with_state((self.clone(), Arc::new(expect)))
    }

    /// [`Hub::router`], failing when `expect` holds an empty credential.
    pub fn try_router(&self, path: &str, expect: Expect) -> Result<Router, ExpectError> {
        expect.check()?;
        Ok(self.router(path, expect))
    }
}

async fn upgrade(
    State((hub, expect)): State<(Hub, Arc<Expect>)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let inner = &hub.inner;
    if !expect.admits(&headers, query.as_deref()) {
        inner.counters.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::info!("WebSocket upgrade refused: credentials missing or wrong");
        return (StatusCode::UNAUTHORIZED, "missing or wrong credentials\n").into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    // Subscribed before the answer, so everything pushed after the client sees the upgrade arrives.
    let rx = inner.tx.subscribe();
    let drops = inner.drops.subscribe();
    inner.counters.connected.fetch_add(1, Ordering::Relaxed);
    let id = inner.counters.connected.load(Ordering::Relaxed);
    let span = tracing::info_span!("ws_client", id);
    upgrade.on_upgrade(move |socket| client(hub, socket, rx, drops).instrument(span)).into_response()
}

/// Serves one client until it goes away, lags (by policy) or the hub drops it.
async fn client(
    hub: Hub,
    mut socket: WebSocket,
    mut rx: broadcast::Receiver<Utf8Bytes>,
    mut drops: watch::Receiver<u64>,
) {
    let options = &hub.inner.options;
    let counters = &hub.inner.counters;
    // The broadcast channel's real capacity; a receiver further behind than this has lagged.
    let capacity = options.buffer.max(1).next_power_of_two();
    let ping_every = options.ping_interval.max(Duration::from_millis(1));
    let mut next_ping = super::client::after(ping_every);
    drops.mark_unchanged();
    loop {
        let message = tokio::select! {
            received = rx.recv() => match received {
                Ok(text) => Message::Text(text),
                Err(broadcast::error::RecvError::Lagged(missed)) => match options.lagging {
                    Lagging::Drop => {
                        counters.lagged.fetch_add(missed, Ordering::Relaxed);
                        continue;
                    }
                    Lagging::Disconnect => {
                        lagged_out(&hub, socket).await;
                        return;
                    }
                },
                Err(broadcast::error::RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                // Pings are answered by the socket itself; client messages are not used.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
            _ = sleep_until(next_ping) => {
                next_ping = super::client::after(ping_every);
                Message::Ping(Bytes::new())
            }
            _ = drops.changed() => return,
        };
        // A client that does not read blocks this write; meanwhile watch how far behind it falls.
        let send = socket.send(message);
        tokio::pin!(send);
        loop {
            tokio::select! {
                sent = &mut send => {
                    if sent.is_err() {
                        return;
                    }
                    break;
                }
                _ = tokio::time::sleep(ping_every.min(Duration::from_millis(100))) => {
                    if options.lagging == Lagging::Disconnect && rx.len() > capacity {
                        counters.disconnected_lagging.fetch_add(1, Ordering::Relaxed);
                        tracing::info!("WebSocket client closed: it fell behind");
                        return;
                    }
                }
                _ = drops.changed() => return,
            }
        }
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame { code: 1001, reason: Utf8Bytes::from_static("going away") })))
        .await;
}

/// Closes a client that fell behind ([`Lagging::Disconnect`]).
async fn lagged_out(hub: &Hub, mut socket: WebSocket) {
    hub.inner.counters.disconnected_lagging.fetch_add(1, Ordering::Relaxed);
    tracing::info!("WebSocket client closed: it fell behind");
    let frame = CloseFrame { code: 1008, reason: Utf8Bytes::from_static("too slow: messages were lost") };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(frame)))).await;
}

//! The listener: one task per connection that connects, keeps alive and reconnects, handing
//! the messages it reads to the [`Connection`] stream, which decodes each one as it is reached.

use std::collections::HashMap;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, Stream, StreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::Instrument;

use crate::secret::Secret;

/// One thing a [`Connection`] yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<E> {
    /// A decoded event (one per event of a batch).
    Event(E),
    /// An event of a kind this crate does not know, as received.
    Unknown(serde_json::Value),
    /// An event or frame that did not decode.
    Malformed(Malformed),
    /// A change of the connection's state, in order with the events.
    State(State),
}

/// An event or frame that did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The raw JSON text of the event (or of the whole frame).
    pub raw: String,
    /// The decoder's error, with the path to the offending value.
    pub error: String,
}

impl Malformed {
    /// A malformed item from raw bytes (shown lossily when they are not UTF-8) and an error.
    pub fn new(raw: &[u8], error: impl fmt::Display) -> Self {
        Malformed { raw: String::from_utf8_lossy(raw).into_owned(), error: error.to_string() }
    }
}

/// The state of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not connected yet (only seen through [`Connection::state`] before the first connect).
    Connecting,
    /// The upgrade succeeded; frames are being read.
    Connected,
    /// The connection failed or was lost: waiting `delay`, then retry number `attempt`.
    Reconnecting {
        /// 1 for the first retry after a loss, then 2, 3... (reset once a connection works).
        attempt: u32,
        /// How long the listener waits before this attempt.
        delay: Duration,
        /// Why the previous connection or attempt ended.
        reason: String,
    },
    /// The resync hook finished after a reconnect (or after the first connect, with
    /// [`Listener::resync_on_first_connect`]); the events the new connection delivered while it
    /// ran follow, in order.
    Resync,
    /// The server answered the upgrade with 401 or 403. Terminal: nothing is retried.
    AuthFailed {
        /// The HTTP status of the answer.
        status: u16,
    },
    /// Closed on request. Terminal.
    Closed,
    /// Given up (attempts exhausted, invalid URL or credentials). Terminal.
    Failed(String),
}

impl State {
    /// True for the states after which the stream ends.
    pub fn is_terminal(&self) -> bool {
        matches!(self, State::AuthFailed { .. } | State::Closed | State::Failed(_))
    }
}

/// How a frame (its payload bytes) becomes items: pushes one item per event of the frame.
/// Generated crates pass a plain function per channel.
pub type DecodeFn<E> = fn(&[u8], &mut Vec<Item<E>>);

/// Characters escaped in query parameters added by [`Auth::query`]: all but the unreserved.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Credentials sent with the upgrade request. `Debug` never shows their values.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    cookies: Vec<(String, Secret)>,
    headers: Vec<(String, Secret)>,
    query: Vec<(String, Secret)>,
}

impl Auth {
    /// No credentials.
    pub fn new() -> Self {
        Auth::default()
    }

    /// A cookie. All cookies go in one header, `Cookie: a=1; b=2`, in the order given.
    pub fn cookie(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.cookies.push((name.into(), value));
        self
    }

    /// A request header.
    pub fn header(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.headers.push((name.into(), value));
        self
    }

    /// A query parameter appended to the URL, percent-encoded.
    pub fn query(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.query.push((name.into(), value));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: Secret) -> Self {
        let value = Secret::new(format!("Bearer {}", token.expose()));
        self.header("Authorization", value)
    }

    /// The upgrade request for `url` with these credentials.
    fn request(&self, url: &str) -> Result<Request, String> {
        let mut url = url.to_owned();
        for (name, value) in &self.query {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.extend(utf8_percent_encode(name, QUERY));
            url.push('=');
            url.extend(utf8_percent_encode(value.expose(), QUERY));
        }
        let mut request = url.into_client_request().map_err(|e| format!("invalid WebSocket URL: {e}"))?;
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name `{name}`"))?;
            let mut value =
                HeaderValue::from_str(value.expose()).map_err(|_| format!("invalid value of header `{name}`"))?;
            value.set_sensitive(true);
            headers.append(name, value);
        }
        if !self.cookies.is_empty() {
            let mut line = String::new();
            for (name, value) in &self.cookies {
                if !line.is_empty() {
                    line.push_str("; ");
                }
                line.push_str(name);
                line.push('=');
                line.push_str(value.expose());
            }
            let mut value = HeaderValue::from_str(&line).map_err(|_| "invalid cookie value".to_owned())?;
            value.set_sensitive(true);
            headers.append(tungstenite::http::header::COOKIE, value);
        }
        Ok(request)
    }
}

/// Delays between connection attempts: exponential, with full jitter (each delay is drawn
/// uniformly between zero and `min(max, initial × multiplier^(attempt-1))`).
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    /// Upper bound of the first delay.
    pub initial: Duration,
    /// Upper bound of every delay.
    pub max: Duration,
    /// Growth of the bound per attempt.
    pub multiplier: f64,
    /// Attempts after which the listener gives up ([`State::Failed`]); `None`: never.
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
            multiplier: 2.0,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// The bound of the delay before attempt `attempt` (1-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(1024) as i32;
        let factor = if self.multiplier.is_finite() && self.multiplier >= 1.0 { self.multiplier } else { 1.0 };
        let bound = self.initial.as_secs_f64() * factor.powi(exponent);
        if !bound.is_finite() || bound >= self.max.as_secs_f64() { self.max } else { Duration::from_secs_f64(bound) }
    }

    /// A delay before attempt `attempt`: uniform in `0..=ceiling(attempt)`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// What the listener does when the buffer between it and the consumer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Stop reading the socket until there is room: TCP back-pressure reaches the server and
    /// memory stays bounded. The idle timeout does not run meanwhile.
    #[default]
    Wait,
    /// Drop the new message and count it ([`Connection::dropped`]); states are never dropped.
    DropNewest,
}

/// Settings of a [`Listener`].
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// How often the listener sends a ping. Default 15 s.
    pub ping_interval: Duration,
    /// A connection over which no frame at all (data, ping, pong) arrived for this long while
    /// the listener waited for one is dead and replaced. Default 45 s.
    pub idle_timeout: Duration,
    /// Bound of the TCP connect, TLS and upgrade of one attempt. Default 10 s.
    pub connect_timeout: Duration,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// Messages (and state changes) held between the connection task and the consumer, not yet
    /// decoded: each message is decoded when the consumer reaches it, so at most this many
    /// messages of up to `max_message_size` wait, plus the items of the one being read.
    /// Default 1024.
    pub buffer: usize,
    /// What happens when that buffer is full.
    pub overflow: Overflow,
    /// The largest message (and frame) accepted; a larger one ends the connection. Default 16 MiB.
    pub max_message_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(45),
            connect_timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
            buffer: 1024,
            overflow: Overflow::Wait,
            max_message_size: 16 << 20,
        }
    }
}

/// What a resync hook is told about the gap it has to cover. Times are wall-clock times, as
/// the provider's listings filter by them: fetch what changed since `last_message` (or since
/// `lost`, when nothing arrived) up to `connected`, with whatever margin the provider's lag needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gap {
    /// When the last data message of the previous connections arrived; `None` when none has.
    pub last_message: Option<SystemTime>,
    /// When the previous connection was lost; `None` before the first connect.
    pub lost: Option<SystemTime>,
    /// When the new connection opened (its upgrade succeeded). Events from then on are read by
    /// this connection and follow [`State::Resync`].
    pub connected: SystemTime,
    /// False when the hook runs after the first connect ([`Listener::resync_on_first_connect`]).
    pub reconnect: bool,
}

type HookFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Hook = Arc<dyn Fn(Gap) -> HookFuture + Send + Sync>;

/// A listener not yet connected: the builder of a [`Connection`].
pub struct Listener<E> {
    url: String,
    decode: DecodeFn<E>,
    auth: Auth,
    options: Options,
    resync: Option<Hook>,
    resync_first: bool,
    correlate: Option<String>,
}

impl<E> fmt::Debug for Listener<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("url", &self.url)
            .field("auth", &self.auth)
            .field("options", &self.options)
            .field("resync", &self.resync.is_some())
            .field("resync_first", &self.resync_first)
            .finish()
    }
}

impl<E: Send + 'static> Listener<E> {
    /// A listener of `url` (`ws://` or `wss://`) whose frames `decode` turns into items.
    pub fn new(url: impl Into<String>, decode: DecodeFn<E>) -> Self {
        Listener {
            url: url.into(),
            decode,
            auth: Auth::new(),
            options: Options::default(),
            resync: None,
            resync_first: false,
            correlate: None,
        }
    }

    /// Enables [`Sender::request_json`]: `pointer` is the JSON pointer (`/id`, say) of the
    /// correlation id in the server's replies. A frame whose value there (a string, or a
    /// number read as its decimal text) matches a waiting request goes to that request, not
    /// to the stream.
    pub fn correlate(mut self, pointer: impl Into<String>) -> Self {
        self.correlate = Some(pointer.into());
        self
    }

    /// Credentials of the upgrade request.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Settings.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Runs `hook(context.clone(), gap)` after every *re*connect (not the first connect, unless
    /// [`Listener::resync_on_first_connect`]); then yields [`State::Resync`]. Events missed
    /// during the [`Gap`] can be fetched there (over REST, for example), and subscriptions sent
    /// again through the [`Sender`].
    ///
    /// The new connection is read while the hook runs: pings are answered, replies reach
    /// [`Sender::request_json`], and events are held back (within [`Options::buffer`], by the
    /// [`Overflow`] policy) to follow [`State::Resync`] in order. So a long catch-up cannot
    /// starve the connection it catches up for.
    pub fn on_resync<C, F, Fut>(mut self, context: C, hook: F) -> Self
    where
        C: Clone + Send + Sync + 'static,
        F: Fn(C, Gap) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.resync = Some(Arc::new(move |gap| Box::pin(hook(context.clone(), gap))));
        self
    }

    /// Runs the resync hook after the first connect too (with [`Gap::reconnect`] false), for a
    /// consumer that catches up on what happened while it was not running at all.
    pub fn resync_on_first_connect(mut self, yes: bool) -> Self {
        self.resync_first = yes;
        self
    }

    /// Spawns the connection task (this needs a tokio runtime) and returns the stream of items.
    pub fn connect(self) -> Connection<E> {
        let buffer = self.options.buffer.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        let (tx, rx) = mpsc::unbounded_channel();
        let room = Arc::new(Semaphore::new(buffer));
        let (state_tx, state) = watch::channel(State::Connecting);
        let (close_tx, close_rx) = watch::channel(false);
        let (out_tx, out_rx) = mpsc::channel(64);
        let dropped = Arc::new(AtomicU64::new(0));
        let span = tracing::info_span!("ws_listener", url = %redacted(&self.url));
        let task = Task {
            url: self.url,
            auth: self.auth,
            options: self.options,
            resync: self.resync,
            resync_first: self.resync_first,
            last_message: None,
            lost: None,
            messages: 0,
            items: Handoff { tx, room: room.clone(), buffer },
            state: state_tx,
            close: close_rx,
            outgoing: out_rx,
            dropped: dropped.clone(),
            batch: Vec::new(),
            correlate: self.correlate.clone(),
            pending: HashMap::new(),
        };
        let handle = tokio::spawn(task.run().instrument(span));
        Connection {
            rx,
            current: Vec::new().into_iter(),
            held: 0,
            decode: self.decode,
            decoded: Vec::new(),
            room,
            buffer,
            state,
            closer: Closer { tx: Arc::new(close_tx) },
            sender: Sender { tx: out_tx, correlates: self.correlate.is_some() },
            dropped,
            task: Some(handle),
            done: false,
        }
    }
}

/// The URL without its query (which may hold credentials), for logs.
fn redacted(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// A running listener: a [`Stream`] of [`Item`]s that ends after a terminal [`State`]
/// ([`State::AuthFailed`], [`State::Closed`], [`State::Failed`]). Dropping it closes the
/// connection and stops its task.
pub struct Connection<E> {
    /// Messages and states come in batches (those read in one burst, at most `buffer`), each
    /// holding one permit of `room` per entry until the consumer has taken its last entry.
    rx: mpsc::UnboundedReceiver<Vec<Handed>>,
    current: std::vec::IntoIter<Handed>,
    held: usize,
    /// Turns the message being read into items.
    decode: DecodeFn<E>,
    /// The items of that message not yet yielded, last first.
    decoded: Vec<Item<E>>,
    room: Arc<Semaphore>,
    buffer: usize,
    state: watch::Receiver<State>,
    closer: Closer,
    sender: Sender,
    dropped: Arc<AtomicU64>,
    task: Option<JoinHandle<()>>,
    done: bool,
}

impl<E> fmt::Debug for Connection<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").field("state", &*self.state.borrow()).finish_non_exhaustive()
    }
}

impl<E> Connection<E> {
    /// The latest state (for health checks); may be ahead of the items not yet consumed.
    pub fn state(&self) -> State {
        self.state.borrow().clone()
    }

    /// A handle that closes the connection from another task (on SIGTERM, say).
    pub fn closer(&self) -> Closer {
        self.closer.clone()
    }

    /// A handle that sends messages to the server.
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Messages and states waiting in the buffer (never more than [`Options::buffer`]), not
    /// counting the items left of the message being read.
    pub fn buffered_len(&self) -> usize {
        self.buffer.saturating_sub(self.room.available_permits())
    }

    /// Messages dropped, undecoded, because the buffer was full ([`Overflow::DropNewest`]).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Closes the connection (a Close frame, then a bounded wait for the server's) and waits
    /// for the task to end. Items still buffered remain readable; the stream then yields
    /// [`State::Closed`] and ends.
    pub async fn close(&mut self) {
        self.closer.close();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

// Nothing is pinned structurally: the items are only moved out of their buffers.
impl<E> Unpin for Connection<E> {}

impl<E> Stream for Connection<E> {
    type Item = Item<E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item<E>>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.decoded.pop() {
                return Poll::Ready(Some(item));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let handed = match this.current.next() {
                Some(handed) => handed,
                None => match this.rx.poll_recv(cx) {
                    Poll::Ready(Some(batch)) => {
                        this.room.add_permits(std::mem::take(&mut this.held));
                        this.held = batch.len();
                        this.current = batch.into_iter();
                        continue;
                    }
                    Poll::Ready(None) => {
                        // The task ended: its terminal state comes last, whatever the buffer held.
                        this.done = true;
                        let state = this.state.borrow().clone();
                        let state = if state.is_terminal() {
                            state
                        } else {
                            State::Failed("the connection task ended".to_owned())
                        };
                        return Poll::Ready(Some(Item::State(state)));
                    }
                    Poll::Pending => return Poll::Pending,
                },
            };
            if this.current.len() == 0 {
                // The batch is taken: its room goes back before its last message is decoded.
                this.room.add_permits(std::mem::take(&mut this.held));
            }
            match handed {
                Handed::State(state) => return Poll::Ready(Some(Item::State(state))),
                Handed::Message(payload) => {
                    // Decoded here, by the consumer: the items are made and dropped on the same
                    // thread, and a message dropped for lack of room is never decoded.
                    (this.decode)(&payload, &mut this.decoded);
                    this.decoded.reverse();
                }
            }
        }
    }
}

impl<E> Drop for Connection<E> {
    fn drop(&mut self) {
        self.room.close();
        self.closer.close();
    }
}

/// Closes a [`Connection`] from anywhere; cheap to clone.
#[derive(Clone, Debug)]
pub struct Closer {
    tx: Arc<watch::Sender<bool>>,
}

impl Closer {
    /// Asks the connection to close: it sends a Close frame and ends with [`State::Closed`].
    pub fn close(&self) {
        self.tx.send_replace(true);
    }
}

/// Why a message was not sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closed or gave up.
    Closed,
    /// The connection was lost before the message was written.
    Disconnected(String),
    /// The value did not serialize.
    Encode(serde_json::Error),
    /// No reply came in time ([`Sender::request_json`]).
    Timeout,
    /// [`Sender::request_json`] on a listener without [`Listener::correlate`].
    NotCorrelated,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed => f.write_str("the WebSocket connection is closed"),
            SendError::Disconnected(reason) => write!(f, "the WebSocket connection was lost: {reason}"),
            SendError::Encode(e) => write!(f, "the message did not serialize: {e}"),
            SendError::Timeout => f.write_str("no reply came in time"),
            SendError::NotCorrelated => f.write_str("the listener has no correlation id pointer for replies"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Encode(e) => Some(e),
            _ => None,
        }
    }
}

type Reply = oneshot::Sender<Result<serde_json::Value, SendError>>;

struct Outgoing {
    message: Message,
    done: oneshot::Sender<Result<(), SendError>>,
    /// For a request: its correlation id and where the reply goes.
    reply: Option<(String, Reply)>,
}

/// Sends messages to the server over a [`Connection`]; cheap to clone. A message sent while
/// the listener reconnects waits for the next connection.
#[derive(Clone, Debug)]
pub struct Sender {
    tx: mpsc::Sender<Outgoing>,
    correlates: bool,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing").finish_non_exhaustive()
    }
}

impl Sender {
    /// Sends a text message; resolves once it is written to the socket.
    pub async fn send_text(&self, text: String) -> Result<(), SendError> {
        let (done, result) = oneshot::channel();
        self.tx
            .send(Outgoing { message: Message::text(text), done, reply: None })
            .await
            .map_err(|_| SendError::Closed)?;
        result.await.unwrap_or(Err(SendError::Closed))
    }

    /// Sends `value` as a JSON text message and waits up to `timeout` (sending included) for
    /// the server's reply carrying correlation id `id` (see [`Listener::correlate`]). A
    /// connection lost before the reply fails the request ([`SendError::Disconnected`]).
    pub async fn request_json<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        id: impl Into<String>,
        timeout: Duration,
    ) -> Result<serde_json::Value, SendError> {
        if !self.correlates {
            return Err(SendError::NotCorrelated);
        }
        let text = serde_json::to_string(value).map_err(SendError::Encode)?;
        let (done, written) = oneshot::channel();
        let (reply, replied) = oneshot::channel();
        let exchange = async {
            let outgoing = Outgoing { message: Message::text(text), done, reply: Some((id.into(), reply)) };
            self.tx.send(outgoing).await.map_err(|_| SendError::Closed)?;
            written.await.unwrap_or(Err(SendError::Closed))?;
            replied.await.unwrap_or(Err(SendError::Closed))
        };
        tokio::time::timeout(timeout, exchange).await.unwrap_or(Err(SendError::Timeout))
    }

    /// Sends `value` as a JSON text message.
    pub async fn send_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<(), SendError> {
        let text = serde_json::to_string(value).map_err(SendError::Encode)?;
        self.send_text(text).await
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How one connection ended.
enum End {
    /// Lost (or never made): retry. `worked` tells whether it delivered frames or stayed up.
    Lost { reason: String, worked: bool },
    /// Terminal.
    Stop(State),
}

/// What the connection task hands to the consumer, in order.
enum Handed {
    /// A data message (text or binary) to decode.
    Message(Bytes),
    /// A change of state.
    State(State),
}

struct Task {
    url: String,
    auth: Auth,
    options: Options,
    resync: Option<Hook>,
    resync_first: bool,
    /// When the last data message arrived, over all connections.
    last_message: Option<SystemTime>,
    /// When the last connection was lost.
    lost: Option<SystemTime>,
    /// Data messages taken so far (to date `last_message` once per burst, not per frame).
    messages: u64,
    items: Handoff,
    state: watch::Sender<State>,
    close: watch::Receiver<bool>,
    outgoing: mpsc::Receiver<Outgoing>,
    dropped: Arc<AtomicU64>,
    batch: Vec<Handed>,
    correlate: Option<String>,
    /// Requests written and waiting for their reply, by correlation id.
    pending: HashMap<String, Reply>,
}

impl Task {
    async fn run(mut self) {
        let terminal = self.connections().await;
        if !matches!(terminal, State::Closed) {
            tracing::warn!(state = ?terminal, "WebSocket listener stopped");
        }
        self.state.send_replace(terminal);
        // Dropping `self.items` ends the stream, which then yields the terminal state.
    }

    /// Connects, reads, and reconnects until a terminal state.
    async fn connections(&mut self) -> State {
        let request = match self.auth.request(&self.url) {
            Ok(request) => request,
            Err(e) => return State::Failed(e),
        };
        let mut attempt: u32 = 0;
        let mut connected_before = false;
        loop {
            let end = match self.open(request.clone()).await {
                Err(end) => end,
                Ok(socket) => {
                    let reconnect = connected_before;
                    connected_before = true;
                    let end = self.serve(socket, reconnect).await;
                    self.lost = Some(SystemTime::now());
                    let reason = match &end {
                        End::Lost { reason, .. } => reason.clone(),
                        End::Stop(state) => format!("{state:?}"),
                    };
                    for (_, reply) in self.pending.drain() {
                        let _ = reply.send(Err(SendError::Disconnected(reason.clone())));
                    }
                    end
                }
            };
            let reason = match end {
                End::Stop(state) => return state,
                End::Lost { reason, worked } => {
                    if worked {
                        attempt = 0;
                    }
                    reason
                }
            };
            attempt = attempt.saturating_add(1);
            if let Some(max) = self.options.backoff.max_attempts {
                if attempt > max {
                    return State::Failed(format!("gave up after {max} attempts: {reason}"));
                }
            }
            let delay = self.options.backoff.delay(attempt);
            tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, reason = %reason, "WebSocket reconnecting");
            if self.emit(State::Reconnecting { attempt, delay, reason }).await.is_err() {
                return State::Closed;
            }
            tokio::select! {
                _ = sleep(delay) => {}
                _ = closing(&mut self.close) => return State::Closed,
                _ = self.items.closed() => return State::Closed,
            }
        }
    }

    /// One connection attempt, bounded by the connect timeout.
    async fn open(&mut self, request: Request) -> Result<Socket, End> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.options.max_message_size))
            .max_frame_size(Some(self.options.max_message_size));
        let attempt = timeout(
            self.options.connect_timeout,
            tokio_tungstenite::connect_async_with_config(request, Some(config), true),
        );
        let result = tokio::select! {
            result = attempt => result,
            _ = closing(&mut self.close) => return Err(End::Stop(State::Closed)),
            _ = self.items.closed() => return Err(End::Stop(State::Closed)),
        };
        match result {
            Ok(Ok((socket, _))) => Ok(socket),
            Ok(Err(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                if status == 401 || status == 403 {
                    Err(End::Stop(State::AuthFailed { status }))
                } else {
                    Err(End::Lost { reason: format!("upgrade answered HTTP {status}"), worked: false })
                }
            }
            Ok(Err(e @ (tungstenite::Error::Url(_) | tungstenite::Error::HttpFormat(_)))) => {
                Err(End::Stop(State::Failed(format!("invalid WebSocket request: {e}"))))
            }
            Ok(Err(e)) => Err(End::Lost { reason: format!("connect failed: {e}"), worked: false }),
            Err(_) => Err(End::Lost {
                reason: format!("connect timed out after {:?}", self.options.connect_timeout),
                worked: false,
            }),
        }
    }

    /// Reads one connection until it ends.
    async fn serve(&mut self, mut socket: Socket, reconnect: bool) -> End {
        let started = Instant::now();
        let connected = SystemTime::now();
        let mut frames = false;
        let stay = self.options.backoff.max;
        let worked = |frames: bool| frames || started.elapsed() >= stay;
        tracing::info!(reconnect, "WebSocket connected");
        if self.emit(State::Connected).await.is_err() {
            return self.finish(socket).await;
        }
        // The resync hook runs beside the reading of the connection; until it ends, messages
        // read are held in `batch` (never more than the free room) to follow `Resync`.
        // Every reconnect yields `Resync` (at once without a hook).
        let gap = Gap { last_message: self.last_message, lost: self.lost, connected, reconnect };
        let mut hook: Option<HookFuture> = match &self.resync {
            Some(hook) if reconnect || self.resync_first => Some(hook(gap)),
            None if reconnect => Some(Box::pin(std::future::ready(()))),
            _ => None,
        };
        let ping_every = self.options.ping_interval.max(Duration::from_millis(1));
        let idle = self.options.idle_timeout;
        let mut next_ping = after(ping_every);
        // Moved forward after every frame without touching the timer; the timer, set to the
        // earlier of the next ping and the deadline, checks it when it fires.
        let mut deadline = after(idle);
        let timer = sleep_until(next_ping.min(deadline));
        tokio::pin!(timer);
        // One close future for the whole connection (not one per frame).
        let close = closing_owned(self.close.clone());
        tokio::pin!(close);
        let mut outgoing_open = true;
        loop {
            // While the hook runs with no room left for what it holds back, reading waits
            // (with `Overflow::Wait`) until the consumer frees some, or the hook ends.
            let held_full = hook.is_some()
                && self.options.overflow == Overflow::Wait
                && self.batch.len() >= self.items.room.available_permits();
            tokio::select! {
                biased;
                _ = &mut close => return self.finish(socket).await,
                _ = run(&mut hook), if hook.is_some() => {
                    hook = None;
                    let held = std::mem::take(&mut self.batch);
                    if self.emit(State::Resync).await.is_err() {
                        return self.finish(socket).await;
                    }
                    self.batch = held;
                    if self.flush_batch().await.is_err() {
                        return self.finish(socket).await;
                    }
                    deadline = after(idle);
                }
                // (Once the held messages fill the whole buffer, only the hook's end frees room.)
                _ = self.items.room_for(self.batch.len() + 1), if held_full && self.batch.len() < self.items.buffer => {}
                frame = socket.next(), if !held_full => {
                    // Frames already received join the same hand-over while their items fit
                    // in the free room: one wake-up of the consumer per burst, not per frame,
                    // and nothing is read that the buffer could not take at once.
                    let mut frame = frame;
                    let mut read = 1;
                    let messages = self.messages;
                    let lost = loop {
                        if let Err(reason) = self.take(frame, &mut frames) {
                            break Some(reason);
                        }
                        if read >= self.items.buffer || self.batch.len() >= self.items.room.available_permits() {
                            break None;
                        }
                        match poll_fn(|cx| Poll::Ready(socket.poll_next_unpin(cx))).await {
                            Poll::Ready(next) => {
                                frame = next;
                                read += 1;
                            }
                            Poll::Pending => break None,
                        }
                    };
                    if self.messages != messages {
                        self.last_message = Some(SystemTime::now());
                    }
                    if hook.is_none() {
                        if self.flush_batch().await.is_err() {
                            return self.finish(socket).await;
                        }
                    } else if self.options.overflow == Overflow::DropNewest {
                        let room = self.items.room.available_permits();
                        if self.batch.len() > room {
                            self.dropped.fetch_add((self.batch.len() - room) as u64, Ordering::Relaxed);
                            self.batch.truncate(room);
                        }
                    }
                    if let Some(reason) = lost {
                        return End::Lost { reason, worked: worked(frames) };
                    }
                    // Idle time counts only while waiting for a frame, not while the buffer was full.
                    deadline = after(idle);
                }
                _ = &mut timer => {
                    let now = Instant::now();
                    if held_full {
                        // Not reading: silence is ours, not the server's.
                        deadline = after(idle);
                    } else if now >= deadline {
                        return End::Lost { reason: format!("no frame for {idle:?}"), worked: worked(frames) };
                    }
                    if now >= next_ping {
                        next_ping = after(ping_every);
                        match tokio::time::timeout_at(deadline, socket.send(Message::Ping(Bytes::new()))).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => return End::Lost { reason: format!("ping failed: {e}"), worked: worked(frames) },
                            Err(_) => return End::Lost { reason: format!("no frame for {idle:?}"), worked: worked(frames) },
                        }
                    }
                    timer.as_mut().reset(next_ping.min(deadline));
                }
                out = self.outgoing.recv(), if outgoing_open => {
                    let Some(Outgoing { message, done, reply }) = out else {
                        outgoing_open = false;
                        continue;
                    };
                    match tokio::time::timeout_at(deadline, socket.send(message)).await {
                        Ok(Ok(())) => {
                            if let Some((id, reply)) = reply {
                                self.pending.retain(|_, waiting| !waiting.is_closed());
                                self.pending.insert(id, reply);
                            }
                            let _ = done.send(Ok(()));
                        }
                        Ok(Err(e)) => {
                            let reason = format!("write failed: {e}");
                            let _ = done.send(Err(SendError::Disconnected(reason.clone())));
                            return End::Lost { reason, worked: worked(frames) };
                        }
                        Err(_) => {
                            let reason = format!("write blocked for {idle:?}");
                            let _ = done.send(Err(SendError::Disconnected(reason.clone())));
                            return End::Lost { reason, worked: worked(frames) };
                        }
                    }
                }
            }
        }
    }

    /// Takes one read of the socket: puts a data message into `batch` (or hands a reply to its
    /// request); returns why the connection ended, if it did.
    fn take(&mut self, frame: Option<Result<Message, tungstenite::Error>>, frames: &mut bool) -> Result<(), String> {
        let message = match frame {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(format!("read failed: {e}")),
            None => return Err("the server closed the connection".to_owned()),
        };
        let payload: Bytes = match message {
            Message::Text(text) => text.into(),
            Message::Binary(bytes) => bytes,
            Message::Close(frame) => {
                return Err(match frame {
                    Some(frame) => {
                        format!("the server closed the connection ({} {})", u16::from(frame.code), frame.reason)
                    }
                    None => "the server closed the connection".to_owned(),
                });
            }
            // Pongs to pings are queued by tungstenite and flushed on the next read.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(()),
        };
        *frames = true;
        self.messages += 1;
        if self.pending.is_empty() || !self.take_reply(&payload) {
            self.batch.push(Handed::Message(payload));
        }
        Ok(())
    }

    /// Hands a frame that replies to a waiting request to it; false for any other frame.
    fn take_reply(&mut self, payload: &[u8]) -> bool {
        let Some(pointer) = &self.correlate else { return false };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(payload) else { return false };
        let id = match value.pointer(pointer) {
            Some(serde_json::Value::String(id)) => id.clone(),
            Some(serde_json::Value::Number(id)) => id.to_string(),
            _ => return false,
        };
        match self.pending.remove(&id) {
            Some(reply) => {
                let _ = reply.send(Ok(value));
                true
            }
            None => false,
        }
    }

    /// Closes on request: a Close frame, then a bounded wait for the server's answer.
    async fn finish(&mut self, mut socket: Socket) -> End {
        let bound = self.options.connect_timeout.min(Duration::from_secs(2));
        let _ = timeout(bound, async {
            if socket.close(None).await.is_ok() {
                while let Some(Ok(_)) = socket.next().await {}
            }
        })
        .await;
        End::Stop(State::Closed)
    }

    /// Hands one state to the consumer (always waits for room: states are never dropped).
    async fn emit(&mut self, state: State) -> Result<(), ()> {
        self.state.send_replace(state.clone());
        let mut batch = std::mem::take(&mut self.batch);
        batch.push(Handed::State(state));
        let sent = tokio::select! {
            sent = self.items.send_waiting(&mut batch) => sent,
            _ = closing(&mut self.close) => Err(()),
        };
        batch.clear();
        self.batch = batch;
        sent
    }

    /// Hands the messages read in one burst to the consumer, by the overflow policy.
    async fn flush_batch(&mut self) -> Result<(), ()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.batch);
        let result = match self.options.overflow {
            Overflow::Wait => tokio::select! {
                sent = async {
                    self.items.send_waiting(&mut batch).await?;
                    // Once the buffer is more than half full, wait until half of it is free
                    // before reading on: the consumer is behind anyway, and reading a frame
                    // whenever one slot frees would hand over (and wake both sides) per frame.
                    self.items.room_for(self.items.buffer.div_ceil(2)).await
                } => sent,
                _ = closing(&mut self.close) => Err(()),
            },
            Overflow::DropNewest => {
                let dropped = self.items.send_dropping(&mut batch);
                if dropped > 0 {
                    self.dropped.fetch_add(dropped as u64, Ordering::Relaxed);
                }
                if self.items.tx.is_closed() { Err(()) } else { Ok(()) }
            }
        };
        batch.clear();
        self.batch = batch;
        result
    }
}

/// The producer's end of the buffer: batches on an unbounded channel, bounded in entries by
/// the permits of `room` (one per message or state, given back by the consumer).
struct Handoff {
    tx: mpsc::UnboundedSender<Vec<Handed>>,
    room: Arc<Semaphore>,
    buffer: usize,
}

impl Handoff {
    /// Resolves when the consumer is gone.
    async fn closed(&self) {
        self.tx.closed().await
    }

    /// Sends every item of `batch` (leaving it empty), waiting for room as needed.
    async fn send_waiting(&self, batch: &mut Vec<Handed>) -> Result<(), ()> {
        while !batch.is_empty() {
            let n = batch.len().min(self.buffer);
            // The consumer closes `room` when it goes away.
            self.room.acquire_many(n as u32).await.map_err(|_| ())?.forget();
            let chunk = if n == batch.len() { std::mem::take(batch) } else { batch.drain(..n).collect() };
            self.tx.send(chunk).map_err(|_| ())?;
        }
        Ok(())
    }

    /// Resolves once `n` entries of room are free (or at once when they are), without taking them.
    async fn room_for(&self, n: usize) -> Result<(), ()> {
        if self.room.available_permits() >= n {
            return Ok(());
        }
        self.room.acquire_many(n as u32).await.map(drop).map_err(|_| ())
    }

    /// Sends what fits of `batch` without waiting and drops the rest; returns how many it dropped.
    fn send_dropping(&self, batch: &mut Vec<Handed>) -> usize {
        let mut n = batch.len().min(self.room.available_permits());
        while n > 0 {
            match self.room.try_acquire_many(n as u32) {
                Ok(permits) => {
                    permits.forget();
                    break;
                }
                Err(_) => n = n.min(self.room.available_permits()),
            }
        }
        let dropped = batch.len() - n;
        batch.truncate(n);
        if n > 0 {
            let _ = self.tx.send(std::mem::take(batch));
        }
        dropped
    }
}

/// Resolves once a close was requested (or every [`Closer`] and the [`Connection`] are gone).
async fn closing(close: &mut watch::Receiver<bool>) {
    let _ = close.wait_for(|closed| *closed).await;
}

/// Now plus `duration`, or a far future when that overflows (a "never" timeout).
pub(crate) fn after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration).unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// Runs the resync hook to its end (never resolves without one).
async fn run(hook: &mut Option<HookFuture>) {
    match hook {
        Some(hook) => hook.await,
        None => std::future::pending().await,
    }
}

/// [`closing`] on its own receiver, for a future that lives across loop iterations.
async fn closing_owned(mut close: watch::Receiver<bool>) {
    closing(&mut close).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_bound_with_full_jitter() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            multiplier: 2.0,
            max_attempts: None,
        };
        let ceilings: Vec<u128> = (1..=6).map(|a| backoff.ceiling(a).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(1));
        for attempt in [1, 3, 10] {
            let delays: Vec<Duration> = (0..200).map(|_| backoff.delay(attempt)).collect();
            assert!(delays.iter().all(|d| *d <= backoff.ceiling(attempt)));
            // Full jitter: spread over the whole range, not clustered at the bound.
            assert!(delays.iter().any(|d| *d < backoff.ceiling(attempt) / 2), "{delays:?}");
        }
        let odd = Backoff { multiplier: f64::NAN, ..backoff.clone() };
        assert_eq!(odd.ceiling(5), Duration::from_millis(100));
    }

    #[test]
    fn auth_builds_the_upgrade_request_and_hides_values() {
        let auth = Auth::new()
            .cookie("ClientToken", Secret::new("t1"))
            .cookie("AccessToken", Secret::new("t2"))
            .bearer(Secret::new("tok"))
            .query("k", Secret::new("v w"));
        let request = auth.request("wss://ws.example.com/ws/connector?x=1").unwrap();
        assert_eq!(request.uri().to_string(), "wss://ws.example.com/ws/connector?x=1&k=v%20w");
        assert_eq!(request.headers()["cookie"], "ClientToken=t1; AccessToken=t2");
        assert_eq!(request.headers()["authorization"], "Bearer tok");
        let shown = format!("{auth:?}");
        for secret in ["t1", "t2", "tok", "v w"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let bad = Auth::new().header("X", Secret::new("line\nbreak"));
        assert!(bad.request("ws://h/").unwrap_err().contains("header `x`"));
        assert!(Auth::new().request("not a url").unwrap_err().contains("invalid WebSocket URL"));
    }
}

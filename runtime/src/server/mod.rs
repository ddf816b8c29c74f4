//! The webhook receiver of generated server-stub crates.
//!
//! A [`Receiver`] answers the provider's POSTs on axum. For each delivery, in this order: the
//! body is read up to a limit (413 past it), the [`Verifier`] checks it over the raw bytes (401,
//! the handler is never called), the body must be JSON (400 with the parser's message), and
//! the [`Journal`] decides whether it is a duplicate (by the provider's delivery id, else by
//! the SHA-256 digest of the body, within a window; a duplicate is acknowledged and not handled
//! again). Then, by [`Mode`]:
//!
//! - *inline*: the generated [`Dispatch`] runs before the answer; if a handler fails the
//!   answer is 500 and the delivery is forgotten, so the provider's retry is handled;
//! - *journaled*: the raw body is committed durably to the journal before the 202; workers
//!   hand it to the [`Dispatch`], retrying with exponential backoff, and remove it once handled.
//!   Deliveries left in the journal (a crash, a shutdown) are replayed on start. A full journal
//!   answers 503 with `Retry-After`.
//!
//! Each delivery runs in a `tracing` span (`webhook_delivery`), each event in one made by
//! [`event_span`]; [`Receiver::counters`] tells accepted, duplicate, rejected (by reason),
//! handled, failed, malformed, unknown and pending.

mod api;
mod journal;
mod verify;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, mpsc};
use tracing::Instrument;

pub use api::{ApiError, bad_request, decode as decode_request, respond};
pub use axum;
pub use journal::{Admission, Entry, Journal, JournalError, RedbJournal};
pub use serde;
pub use serde_json;
pub use tokio;
pub use tracing;
pub use verify::{ConfigError, Rejection, Verifier, sign_hmac_sha256, sign_standard_webhooks};

/// One verified delivery, as the [`Dispatch`] sees it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The raw body.
    pub body: Bytes,
    /// Lowercase hex SHA-256 of the body: names the delivery in logs and handlers.
    pub digest: String,
    /// The provider's delivery id, when its scheme has one.
    pub id: Option<String>,
    /// 1 for the first attempt at handling this delivery, then 2, 3... (journaled mode).
    pub attempt: u32,
}

/// A handler's failure: the delivery is retried (journaled) or answered with 500 (inline).
/// Made from any error with `?`, or from a message with `HandlerError(text)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError(pub String);

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Any error converts, so handlers can use `?` (hence `HandlerError` is not itself an `Error`).
impl<E: std::error::Error> From<E> for HandlerError {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

/// What became of one event of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Decoded and handled by its method.
    Handled,
    /// A kind this crate does not know, handed to the `unknown` method.
    Unknown,
    /// Did not decode, handed with its error to the `malformed` method.
    Malformed,
    /// Its handler (or the `unknown`/`malformed` method) failed.
    Failed(HandlerError),
}

/// Decodes and handles one raw delivery: what a generated server-stub crate implements over
/// the user's webhook trait. It returns one outcome per event, in order.
pub trait Dispatch: Send + Sync + 'static {
    /// Handles every event of `delivery` (whose body is verified JSON).
    fn dispatch(&self, delivery: &Delivery) -> impl Future<Output = Vec<Outcome>> + Send;
}

/// Runs one event's handler inside its `tracing` span and turns its result into an
/// [`Outcome`] (`ok` is the outcome on success).
pub async fn run_event<F>(kind: &str, index: usize, ok: Outcome, handler: F) -> Outcome
where
    F: Future<Output = Result<(), HandlerError>>,
{
    let span = event_span(kind, index);
    match handler.instrument(span.clone()).await {
        Ok(()) => ok,
        Err(e) => {
            span.in_scope(|| tracing::warn!(error = %e, "handler failed"));
            Outcome::Failed(e)
        }
    }
}

/// The span of one event: its kind and position in the delivery.
pub fn event_span(kind: &str, index: usize) -> tracing::Span {
    tracing::info_span!("webhook_event", kind, index)
}

/// How deliveries reach the handlers.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Handlers run before the answer; a failure answers 500 so the provider retries.
    Inline,
    /// Deliveries are journaled durably before the answer and handled from the journal.
    Journaled(JournalOptions),
}

/// Settings of journaled delivery.
#[derive(Debug, Clone)]
pub struct JournalOptions {
    /// Pending deliveries the journal holds before answering 503.
    pub capacity: u64,
    /// Deliveries handled at once.
    pub workers: usize,
    /// Attempts at handling one delivery before it is moved to the failed set.
    pub max_attempts: u32,
    /// Delay before the second attempt; doubled for each further one.
    pub backoff: Duration,
    /// Longest delay between attempts.
    pub max_backoff: Duration,
    /// `Retry-After` (seconds) sent with a 503 for a full journal.
    pub retry_after: u32,
}

impl Default for JournalOptions {
    fn default() -> Self {
        Self {
            capacity: 100_000,
            workers: 4,
            max_attempts: 8,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(300),
            retry_after: 30,
        }
    }
}

/// Counters of a receiver, read with [`Receiver::counters`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Deliveries accepted (verified, JSON, not duplicates).
    pub accepted: u64,
    /// Deliveries acknowledged as duplicates and not handled again.
    pub duplicate: u64,
    /// Deliveries refused, by reason (`missing credential`, `invalid credential`,
    /// `stale timestamp`, `too large`, `malformed JSON`, `journal full`, `journal error`).
    pub rejected: BTreeMap<&'static str, u64>,
    /// Events handled by their method (including `unknown` and `malformed`).
    pub handled: u64,
    /// Events whose handler failed (each attempt counts).
    pub failed: u64,
    /// Events that reached the `malformed` method.
    pub malformed: u64,
    /// Events that reached the `unknown` method.
    pub unknown: u64,
    /// Deliveries waiting in the journal.
    pub pending: u64,
    /// Deliveries given up on after `max_attempts` (kept in the journal's failed set).
    pub given_up: u64,
}

#[derive(Default)]
struct Stats {
    accepted: AtomicU64,
    duplicate: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    handled: AtomicU64,
    failed: AtomicU64,
    malformed: AtomicU64,
    unknown: AtomicU64,
    pending: AtomicU64,
    given_up: AtomicU64,
}

impl Stats {
    fn reject(&self, reason: &'static str) {
        if let Ok(mut map) = self.rejected.lock() {
            *map.entry(reason).or_default() += 1;
        }
    }

    /// Counts the outcomes; true when every event succeeded.
    fn record(&self, outcomes: &[Outcome]) -> bool {
        let mut ok = true;
        for outcome in outcomes {
            match outcome {
                Outcome::Handled => self.handled.fetch_add(1, Ordering::Relaxed),
                Outcome::Unknown => {
                    self.handled.fetch_add(1, Ordering::Relaxed);
                    self.unknown.fetch_add(1, Ordering::Relaxed)
                }
                Outcome::Malformed => {
                    self.handled.fetch_add(1, Ordering::Relaxed);
                    self.malformed.fetch_add(1, Ordering::Relaxed)
                }
                Outcome::Failed(_) => {
                    ok = false;
                    self.failed.fetch_add(1, Ordering::Relaxed)
                }
            };
        }
        ok
    }
}

/// A receiver that cannot start.
#[derive(Debug)]
pub enum StartError {
    /// The journal could not be opened or read.
    Journal(JournalError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Journal(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StartError {}

/// Builds a [`Receiver`]: the dispatch, the verifier, then optional settings.
pub struct Builder<D> {
    dispatch: D,
    verifier: Verifier,
    path: String,
    body_limit: usize,
    window: Duration,
    mode: Mode,
    journal: Option<Arc<dyn Journal>>,
}

impl<D: Dispatch> Builder<D> {
    /// The route (default `/webhooks`).
    pub fn path(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }

    /// Largest body accepted, in bytes (default 1 MiB); larger ones get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a delivery's key is remembered to find duplicates (default 24 hours).
    pub fn dedupe_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Inline delivery (the default); duplicates are found through `journal` when given, else
    /// through an in-memory one.
    pub fn inline(mut self, journal: Option<Arc<dyn Journal>>) -> Self {
        self.mode = Mode::Inline;
        self.journal = journal;
        self
    }

    /// Journaled delivery through `journal`.
    pub fn journaled(mut self, journal: Arc<dyn Journal>, options: JournalOptions) -> Self {
        self.mode = Mode::Journaled(options);
        self.journal = Some(journal);
        self
    }

    /// Starts the receiver: in journaled mode its workers start and replay what the journal
    /// holds. Must be called inside a tokio runtime.
    pub fn start(self) -> Result<Receiver<D>, StartError> {
        let journal = match self.journal {
            Some(journal) => journal,
            None => Arc::new(RedbJournal::in_memory().map_err(StartError::Journal)?),
        };
        let (queue, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            dispatch: self.dispatch,
            verifier: self.verifier,
            journal,
            window: self.window,
            mode: self.mode,
            stats: Stats::default(),
            queue,
            stop: Notify::new(),
            stopping: std::sync::atomic::AtomicBool::new(false),
        });
        let mut workers = Vec::new();
        if let Mode::Journaled(options) = &shared.mode {
            let pending = shared.journal.pending().map_err(StartError::Journal)?;
            shared.stats.pending.store(pending.len() as u64, Ordering::Relaxed);
            for entry in pending {
                let _ = shared.queue.send(Job { seq: entry.seq, attempt: 1 });
            }
            let rx = Arc::new(tokio::sync::Mutex::new(rx));
            for _ in 0..options.workers.max(1) {
                workers.push(tokio::spawn(work(shared.clone(), rx.clone())));
            }
        }
        Ok(Receiver { shared, path: self.path, body_limit: self.body_limit, workers: Mutex::new(workers) })
    }
}

struct Job {
    seq: u64,
    attempt: u32,
}

struct Shared<D> {
    dispatch: D,
    verifier: Verifier,
    journal: Arc<dyn Journal>,
    window: Duration,
    mode: Mode,
    stats: Stats,
    queue: mpsc::UnboundedSender<Job>,
    stop: Notify,
    stopping: std::sync::atomic::AtomicBool,
}

/// A running webhook receiver. [`Receiver::router`] gives the axum router to serve;
/// [`Receiver::serve`] serves it until a shutdown signal.
pub struct Receiver<D> {
    shared: Arc<Shared<D>>,
    path: String,
    body_limit: usize,
    workers: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl<D> std::fmt::Debug for Receiver<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver").field("path", &self.path).field("mode", &self.shared.mode).finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Lowercase hex SHA-256 of `body`.
pub fn digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

impl<D: Dispatch> Receiver<D> {
    /// Starts building a receiver for `dispatch`, verified by `verifier`.
    pub fn builder(dispatch: D, verifier: Verifier) -> Builder<D> {
        Builder {
            dispatch,
            verifier,
            path: "/webhooks".to_owned(),
            body_limit: 1 << 20,
            window: Duration::from_secs(24 * 3600),
            mode: Mode::Inline,
            journal: None,
        }
    }

    /// The router answering POSTs on the receiver's path.
    pub fn router(&self) -> Router {
        Router::new()
            .route(&self.path, axum::routing::post(receive::<D>))
            .layer(DefaultBodyLimit::max(self.body_limit))
            .with_state(self.shared.clone())
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        let s = &self.shared.stats;
        Counters {
            accepted: s.accepted.load(Ordering::Relaxed),
            duplicate: s.duplicate.load(Ordering::Relaxed),
            rejected: s.rejected.lock().map(|m| m.clone()).unwrap_or_default(),
            handled: s.handled.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            malformed: s.malformed.load(Ordering::Relaxed),
            unknown: s.unknown.load(Ordering::Relaxed),
            pending: s.pending.load(Ordering::Relaxed),
            given_up: s.given_up.load(Ordering::Relaxed),
        }
    }

    /// The dispatch the receiver was built with.
    pub fn dispatch(&self) -> &D {
        &self.shared.dispatch
    }

    /// Serves on `listener` until `shutdown` completes, then shuts down gracefully: no new
    /// connections, requests in progress are answered, each worker finishes the handler it is
    /// running, and what is left stays in the journal for the next start.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = axum::serve(listener, self.router()).with_graceful_shutdown(shutdown).await;
        self.stop().await;
        served
    }

    /// Stops the workers after the handlers in progress (journaled mode).
    pub async fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.stop.notify_waiters();
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in workers {
            let _ = worker.await;
        }
    }
}

fn answer(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))], message.to_owned())
        .into_response()
}

async fn receive<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            let status = e.status();
            shared.stats.reject(if status == StatusCode::PAYLOAD_TOO_LARGE { "too large" } else { "unreadable body" });
            return answer(status, &e.body_text());
        }
    };
    let digest = digest(&body);
    let span = tracing::info_span!("webhook_delivery", digest = %digest, bytes = body.len());
    async move {
        let id = match shared.verifier.verify(uri.query(), &headers, &body, SystemTime::now()) {
            Ok(id) => id,
            Err(rejection) => {
                shared.stats.reject(rejection.name());
                tracing::warn!(reason = rejection.name(), "delivery refused");
                return answer(StatusCode::UNAUTHORIZED, rejection.name());
            }
        };
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
            shared.stats.reject("malformed JSON");
            return answer(StatusCode::BAD_REQUEST, &format!("the body is not JSON: {e}"));
        }
        let key = match &id {
            Some(id) => format!("id:{id}").into_bytes(),
            None => format!("sha256:{digest}").into_bytes(),
        };
        let (keep, capacity, retry_after) = match &shared.mode {
            Mode::Inline => (false, u64::MAX, 0),
            Mode::Journaled(o) => (true, o.capacity, o.retry_after),
        };
        let admitted = {
            let journal = shared.journal.clone();
            let (key, body) = (key.clone(), body.clone());
            let window = shared.window.as_millis() as u64;
            tokio::task::spawn_blocking(move || journal.admit(&key, &body, keep, now_ms(), window, capacity)).await
        };
        let seq = match admitted {
            Ok(Ok(Admission::Stored(seq))) => seq,
            Ok(Ok(Admission::Duplicate)) => {
                shared.stats.duplicate.fetch_add(1, Ordering::Relaxed);
                tracing::info!("duplicate delivery acknowledged");
                return answer(StatusCode::OK, "duplicate");
            }
            Ok(Ok(Admission::Full)) => {
                shared.stats.reject("journal full");
                let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, "journal full");
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                return response;
            }
            Ok(Err(e)) => {
                shared.stats.reject("journal error");
                tracing::error!(error = %e, "journal write failed");
                return answer(StatusCode::SERVICE_UNAVAILABLE, "journal unavailable");
            }
            Err(e) => {
                shared.stats.reject("journal error");
                tracing::error!(error = %e, "journal task failed");
                return answer(StatusCode::SERVICE_UNAVAILABLE, "journal unavailable");
            }
        };
        shared.stats.accepted.fetch_add(1, Ordering::Relaxed);
        match shared.mode {
            Mode::Journaled(_) => {
                shared.stats.pending.fetch_add(1, Ordering::Relaxed);
                let _ = shared.queue.send(Job { seq, attempt: 1 });
                answer(StatusCode::ACCEPTED, "accepted")
            }
            Mode::Inline => {
                let delivery = Delivery { body, digest, id, attempt: 1 };
                let outcomes = shared.dispatch.dispatch(&delivery).await;
                if shared.stats.record(&outcomes) {
                    answer(StatusCode::OK, "handled")
                } else {
                    let journal = shared.journal.clone();
                    let _ = tokio::task::spawn_blocking(move || journal.forget(&key)).await;
                    answer(StatusCode::INTERNAL_SERVER_ERROR, "a handler failed; send again")
                }
            }
        }
    }
    .instrument(span)
    .await
}

async fn work<D: Dispatch>(shared: Arc<Shared<D>>, rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>>) {
    let Mode::Journaled(options) = &shared.mode else { return };
    loop {
        let stopped = shared.stop.notified();
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let job = tokio::select! {
            job = async { rx.lock().await.recv().await } => job,
            () = stopped => return,
        };
        let Some(job) = job else { return };
        let journal = shared.journal.clone();
        let seq = job.seq;
        let body = match tokio::task::spawn_blocking(move || journal.body(seq)).await {
            Ok(Ok(Some(body))) => Bytes::from(body),
            Ok(Ok(None)) => continue,
            Ok(Err(e)) => {
                tracing::error!(error = %e, seq, "journal read failed");
                retry_later(&shared, options, job);
                continue;
            }
            Err(_) => continue,
        };
        let digest = digest(&body);
        let span = tracing::info_span!("webhook_delivery", digest = %digest, seq, attempt = job.attempt);
        let delivery = Delivery { body, digest, id: None, attempt: job.attempt };
        let outcomes = shared.dispatch.dispatch(&delivery).instrument(span).await;
        let journal = shared.journal.clone();
        if shared.stats.record(&outcomes) {
            match tokio::task::spawn_blocking(move || journal.complete(seq)).await {
                Ok(Ok(())) => {
                    shared.stats.pending.fetch_sub(1, Ordering::Relaxed);
                }
                _ => tracing::error!(seq, "could not mark a handled delivery; it will be handled again on restart"),
            }
        } else if job.attempt >= options.max_attempts {
            tracing::error!(seq, attempts = job.attempt, "giving up on a delivery; kept in the journal's failed set");
            if let Ok(Ok(())) = tokio::task::spawn_blocking(move || journal.give_up(seq)).await {
                shared.stats.pending.fetch_sub(1, Ordering::Relaxed);
                shared.stats.given_up.fetch_add(1, Ordering::Relaxed);
            }
        } else {
            retry_later(&shared, options, job);
        }
    }
}

fn retry_later<D: Dispatch>(shared: &Arc<Shared<D>>, options: &JournalOptions, job: Job) {
    let factor = 2u32.saturating_pow(job.attempt.saturating_sub(1).min(20));
    let delay = options.backoff.saturating_mul(factor).min(options.max_backoff);
    let delay = delay.mul_f64(0.5 + fastrand::f64() / 2.0);
    let queue = shared.queue.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = queue.send(Job { seq: job.seq, attempt: job.attempt + 1 });
    });
}

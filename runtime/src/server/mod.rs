//! The webhook receiver of generated server-stub crates.
//!
//! A [`Receiver`] answers the provider's POSTs on axum. For each delivery, in this order: the
//! body is read up to a limit (413 past it), the [`Verifier`] checks it over the raw bytes (401,
//! the handler is never called), the body must be JSON (400 with the parser's message), and
//! duplicates are found by the rule of the delivery's key:
//!
//! - a delivery that carries the provider's id (Standard Webhooks `webhook-id`) is a duplicate
//!   when that id was seen within a window (24 hours by default): it is acknowledged and not
//!   handled again;
//! - a delivery known only by its body (providers that send no id, such as Mews) is never
//!   dropped as a duplicate: an identical body can be a later change to the same entity (Mews
//!   sends `{Discriminator, Value: {Id}}` for every change to one reservation). It is only
//!   *coalesced* with an identical delivery that is still waiting in the journal, not yet
//!   started, whose handling will start after it arrived. Once handling has started, an
//!   identical body is a new delivery.
//!
//! The invariant, for thin events whose handler fetches the entity: every acknowledged
//! delivery is followed by a handling that starts after it arrived.
//!
//! Everything after the body is read runs on a task of its own, so the provider hanging up
//! (Mews gives up after 5 seconds) never cuts a handler or a journal write short. Then, by
//! [`Mode`]:
//!
//! - *inline*: the generated [`Dispatch`] runs before the answer; if a handler fails the
//!   answer is 500 and the delivery's key is forgotten, so the provider's retry is handled;
//! - *journaled*: the raw body is committed durably to the journal before the 202; workers
//!   hand it to the [`Dispatch`], retrying with exponential backoff, and remove it once handled.
//!   Deliveries left in the journal (a crash, a shutdown) are replayed on start. A full journal
//!   answers 503 with `Retry-After`.
//!
//! Journal writes are group-committed: the writes of every delivery (and every completion)
//! waiting while a commit runs go into the next one, a single durable transaction, so one fsync
//! serves them all; each delivery is still answered only once its own write is durable. An
//! inline receiver without a journal finds duplicates in memory ([`Builder::inline`]).
//!
//! A journal is any [`Journal`]; the embedded one, `RedbJournal` (one redb file), and the
//! operator's `journal_tool` come with the feature `journal`, so a receiver that only runs
//! inline, or on a journal of its own, compiles no redb.
//!
//! Each delivery runs in a `tracing` span (`webhook_delivery`), each event in one made by
//! [`event_span`]; [`Receiver::counters`] tells accepted, duplicate, coalesced, rejected (by
//! reason), handled, failed, malformed, unknown and pending.

mod api;
mod journal;
mod media;
#[cfg(feature = "nats-journal")]
mod nats;
mod params;
#[cfg(feature = "postgres")]
mod postgres;
mod raw;
#[cfg(feature = "journal")]
mod redb_journal;
mod shared;
mod status;
#[cfg(feature = "journal")]
mod tool;
mod verify;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, mpsc};
use tracing::Instrument;

pub use crate::model::Decoded;
pub use crate::secret::Secret;
pub use api::{ApiError, bad_request, body_credentials, decode as decode_request, respond};
pub use axum;
pub use journal::{Admission, Admit, Entry, Journal, JournalError, Write};
use journal::{MemoryKey, MemoryWindow};
pub use media::{
    BodyError, BodyStream, DEFAULT_UPLOAD_LIMIT, Download, EventData, EventStream, FilePart, Parts, SseEvent,
    UploadLimit, last_event_id, respond_download, respond_events, respond_named_events, respond_text,
    respond_text_events,
};
#[cfg(feature = "nats-journal")]
pub use nats::{NatsJournal, NatsJournalOptions};
pub use params::{ApiRequest, PathParams, Piece, Shape, Style, decode_form, required};
#[cfg(feature = "postgres")]
pub use postgres::{PgJournal, PgTransaction};
pub use raw::{Body, Raw, RawObject, decode as decode_raw, decode_item, to_value as raw_to_value};
#[cfg(feature = "journal")]
pub use redb_journal::RedbJournal;
pub use serde;
pub use serde_json;
pub use shared::{Claimed, JournalFuture, SharedJournal};
pub use status::encode as encode_metrics;
pub use tokio;
/// The PostgreSQL driver of [`PgJournal`], whose client a handler writes through.
#[cfg(feature = "postgres")]
pub use tokio_postgres;
#[cfg(feature = "journal")]
pub use tool::journal_tool;
pub use tracing;
pub use verify::{ConfigError, Encoding, Rejection, Verifier, sign_hmac_sha256, sign_standard_webhooks};

/// One verified delivery, as the [`Dispatch`] and every handler see it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The raw body.
    pub body: Bytes,
    /// Lowercase hex SHA-256 of the body.
    pub digest: String,
    /// The delivery's id, which is also its duplicate key: the provider's when its scheme sends
    /// one, else the digest. The same on every attempt of the delivery, and after a restart.
    pub id: DeliveryId,
    /// 1 for the first attempt at handling this delivery, then 2, 3... (journaled mode).
    pub attempt: u32,
    /// The positions of the events an earlier attempt handled (journaled mode, where a batch
    /// with a failing event is retried): [`run_event`] does not run their handlers again.
    pub done: Vec<u32>,
    /// Set by [`Delivery::unhandled`] while one event's handler runs.
    unhandled: Flag,
    /// The handler transaction of a delivery claimed from a PostgreSQL journal.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    tx: TxHandle,
}

/// The handler transaction a delivery offers, if any ([`Delivery::pg_transaction`]).
#[derive(Debug, Clone, Default)]
struct TxHandle(#[cfg(feature = "postgres")] Option<Arc<postgres::TxSlot>>);

/// A flag a handler sets through `&Delivery`; a clone starts with the same value.
#[derive(Debug, Default)]
struct Flag(std::sync::atomic::AtomicBool);

impl Clone for Flag {
    fn clone(&self) -> Self {
        Flag(std::sync::atomic::AtomicBool::new(self.0.load(Ordering::Relaxed)))
    }
}

impl Delivery {
    /// What a handler the user did not write returns (generated default methods call it): the
    /// event is marked unhandled, which [`run_event`] reports as [`Outcome::Unhandled`].
    pub fn unhandled(&self) -> Result<(), HandlerError> {
        self.unhandled.0.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The transaction of the PostgreSQL journal this delivery was claimed from, opened on first
    /// use: rows a handler writes through it commit together with the mark that the delivery
    /// was handled, or not at all. When any event of the delivery fails, the transaction rolls
    /// back and the next attempt runs every event again (events handled without the
    /// transaction included), so effects written here happen exactly once. An error for a
    /// delivery that did not come from a PostgreSQL journal.
    #[cfg(feature = "postgres")]
    pub async fn pg_transaction(&self) -> Result<PgTransaction<'_>, HandlerError> {
        match &self.tx.0 {
            Some(slot) => slot.open().await.map_err(|e| HandlerError(e.to_string())),
            None => Err(HandlerError("this delivery was not claimed from a PostgreSQL journal".into())),
        }
    }

    /// True when the event at `index` was handled by an earlier attempt.
    pub fn handled_before(&self, index: usize) -> bool {
        u32::try_from(index).is_ok_and(|index| self.done.contains(&index))
    }
}

/// The id of a delivery ([`Delivery::id`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeliveryId {
    /// The provider's own id (Standard Webhooks `webhook-id`), the same on each resend.
    Provider(String),
    /// Lowercase hex SHA-256 of the body, for providers that send no id (Mews): a resent
    /// delivery has the same body, so the same digest.
    Digest(String),
}

impl DeliveryId {
    /// The id as text (the provider's id, or the hex digest).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Provider(id) | Self::Digest(id) => id,
        }
    }

    /// The duplicate key in the journal: `id:<id>` or `sha256:<digest>`.
    fn key(&self) -> Vec<u8> {
        let (prefix, text): (&[u8], &str) = match self {
            Self::Provider(id) => (b"id:", id),
            Self::Digest(digest) => (b"sha256:", digest),
        };
        [prefix, text.as_bytes()].concat()
    }
}

impl std::fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// Handled by an earlier attempt at this delivery: its handler was not run again.
    AlreadyHandled,
    /// Of a kind whose method the user did not write (the generated default ran): counted and
    /// logged once per kind, then acknowledged, or failed with [`Builder::fail_unhandled`].
    Unhandled(String),
}

/// Decodes and handles one raw delivery: what a generated server-stub crate implements over
/// the user's webhook trait. It returns one outcome per event, in order.
pub trait Dispatch: Send + Sync + 'static {
    /// Handles every event of `delivery`, whose verified body `body` holds as parsed once
    /// (on arrival inline, from the journal when journaled).
    fn dispatch(&self, delivery: &Delivery, body: &Body<'_>) -> impl Future<Output = Vec<Outcome>> + Send;
}

/// Runs one event's handler inside its `tracing` span and turns its result into an
/// [`Outcome`] (`ok` is the outcome on success). An event an earlier attempt at `delivery`
/// handled ([`Delivery::handled_before`]) is not run again: `handler` is dropped unpolled.
pub async fn run_event<F>(delivery: &Delivery, kind: &str, index: usize, ok: Outcome, handler: F) -> Outcome
where
    F: Future<Output = Result<(), HandlerError>>,
{
    if delivery.handled_before(index) {
        return Outcome::AlreadyHandled;
    }
    let span = event_span(kind, index);
    delivery.unhandled.0.store(false, Ordering::Relaxed);
    match handler.instrument(span.clone()).await {
        Ok(()) if delivery.unhandled.0.swap(false, Ordering::Relaxed) => Outcome::Unhandled(kind.to_owned()),
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

/// One entity named by the events of a batch ([`coalesce`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity<K> {
    /// The entity's id.
    pub id: K,
    /// The kinds of the events about it, each once, in order (`CustomerAdded`, `CustomerUpdated`).
    pub kinds: Vec<&'static str>,
    /// The positions of those events in the batch.
    pub events: Vec<usize>,
}

/// Groups events, given as (position in the batch, kind, entity id), by entity id, in order of
/// first mention. For providers whose events are thin (ids only, fetched afterwards), it tells
/// which entities to fetch, each once: an entity created and changed in one batch is one entry.
pub fn coalesce<K: Eq + std::hash::Hash + Clone>(
    events: impl IntoIterator<Item = (usize, &'static str, K)>,
) -> Vec<Entity<K>> {
    let mut at: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    let mut out: Vec<Entity<K>> = Vec::new();
    for (index, kind, id) in events {
        let slot = *at.entry(id.clone()).or_insert_with(|| {
            out.push(Entity { id, kinds: Vec::new(), events: Vec::new() });
            out.len() - 1
        });
        if let Some(entity) = out.get_mut(slot) {
            if !entity.kinds.contains(&kind) {
                entity.kinds.push(kind);
            }
            entity.events.push(index);
        }
    }
    out
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
    /// Shared journals: how long a claim lasts without renewal, the longest a delivery waits
    /// after its process dies before another process takes it over. Renewed every third of it
    /// while its handlers run.
    pub lease: Duration,
    /// Shared journals: the longest an idle worker waits before looking for due deliveries
    /// (retries come due, leases expire) when no admission wakes it.
    pub poll: Duration,
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
            lease: Duration::from_secs(15),
            poll: Duration::from_millis(500),
        }
    }
}

/// Counters of a receiver, read with [`Receiver::counters`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Deliveries accepted (verified, JSON, not duplicates).
    pub accepted: u64,
    /// Deliveries acknowledged as duplicates (the provider's id seen within the window) and not
    /// handled again.
    pub duplicate: u64,
    /// Deliveries without a provider id acknowledged because an identical one waits in the
    /// journal, not yet started: that one's handling starts after this one arrived.
    pub coalesced: u64,
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
    /// Events of a kind whose method was not written (each attempt counts).
    pub unhandled: u64,
    /// Deliveries waiting in the journal.
    pub pending: u64,
    /// Deliveries given up on after `max_attempts` (kept in the journal's failed set).
    pub given_up: u64,
    /// Journal transactions committed (each one fsync for a file journal).
    pub commits: u64,
    /// Writes (admissions, forgets, completions, give-ups) carried by those commits.
    pub commit_writes: u64,
    /// Deliveries whose provider stopped waiting before the answer (its timeout is shorter
    /// than verification, journaling and, inline, the handlers): their handling went on.
    pub abandoned: u64,
}

#[derive(Default)]
struct Stats {
    accepted: AtomicU64,
    duplicate: AtomicU64,
    coalesced: AtomicU64,
    abandoned: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    handled: AtomicU64,
    failed: AtomicU64,
    malformed: AtomicU64,
    unknown: AtomicU64,
    unhandled: AtomicU64,
    /// Kinds already logged as unhandled (each is logged once).
    unhandled_kinds: Mutex<std::collections::BTreeSet<String>>,
    pending: AtomicU64,
    given_up: AtomicU64,
    commits: AtomicU64,
    commit_writes: AtomicU64,
}

impl Stats {
    fn reject(&self, reason: &'static str) {
        if let Ok(mut map) = self.rejected.lock() {
            *map.entry(reason).or_default() += 1;
        }
    }

    /// Counts the outcomes; true when every event succeeded (an unhandled kind fails when
    /// `fail_unhandled`).
    fn record(&self, outcomes: &[Outcome], fail_unhandled: bool) -> bool {
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
                Outcome::AlreadyHandled => 0,
                Outcome::Unhandled(kind) => {
                    ok &= !fail_unhandled;
                    let first =
                        self.unhandled_kinds.lock().map(|mut kinds| kinds.insert(kind.clone())).unwrap_or(false);
                    if first && fail_unhandled {
                        tracing::warn!(kind = %kind, "no handler for this event kind: failed, so it is kept until one is deployed");
                    } else if first {
                        tracing::warn!(kind = %kind, "no handler for this event kind: acknowledged without handling");
                    }
                    self.unhandled.fetch_add(1, Ordering::Relaxed)
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
    shared_journal: Option<Arc<dyn SharedJournal>>,
    fail_unhandled: bool,
}

impl<D: Dispatch> Builder<D> {
    /// Fails events of a kind whose method was not written instead of acknowledging them: the
    /// provider (inline, through a 500) or the journal keeps them until a handler is deployed.
    pub fn fail_unhandled(mut self, fail: bool) -> Self {
        self.fail_unhandled = fail;
        self
    }

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

    /// How long the provider's id of a delivery is remembered to find duplicates (default 24
    /// hours). Deliveries without one are never dropped as duplicates.
    pub fn dedupe_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Inline delivery (the default); duplicates are found through `journal` when given (kept
    /// across restarts, one durable write per delivery, group-committed), else in memory.
    pub fn inline(mut self, journal: Option<Arc<dyn Journal>>) -> Self {
        self.mode = Mode::Inline;
        self.journal = journal;
        self.shared_journal = None;
        self
    }

    /// Inline delivery with duplicates found through `journal`, which several receiver
    /// processes share.
    pub fn inline_shared(mut self, journal: Arc<dyn SharedJournal>) -> Self {
        self.mode = Mode::Inline;
        self.journal = None;
        self.shared_journal = Some(journal);
        self
    }

    /// Journaled delivery through `journal`, which several receiver processes share: each
    /// process's workers claim due deliveries whichever process admitted them, and take over
    /// those of a process that died once their leases expire.
    pub fn journaled_shared(mut self, journal: Arc<dyn SharedJournal>, options: JournalOptions) -> Self {
        self.mode = Mode::Journaled(options);
        self.journal = None;
        self.shared_journal = Some(journal);
        self
    }

    /// Journaled delivery through `journal`.
    pub fn journaled(mut self, journal: Arc<dyn Journal>, options: JournalOptions) -> Self {
        self.mode = Mode::Journaled(options);
        self.journal = Some(journal);
        self.shared_journal = None;
        self
    }

    /// Starts the receiver: in journaled mode its workers start and replay what the journal
    /// holds. Must be called inside a tokio runtime.
    pub fn start(self) -> Result<Receiver<D>, StartError> {
        let store = match (self.journal, self.shared_journal) {
            (_, Some(journal)) => Store::Shared(journal),
            (Some(journal), None) => {
                Store::Journal(Arc::new(Committer { journal, queue: Mutex::default(), tasks: Mutex::default() }))
            }
            (None, None) => Store::Memory(MemoryWindow::default()),
        };
        let (queue, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            dispatch: self.dispatch,
            verifier: self.verifier,
            store,
            waiting: Mutex::default(),
            fail_unhandled: self.fail_unhandled,
            window: self.window,
            mode: self.mode,
            stats: Arc::default(),
            queue,
            stop: Notify::new(),
            stopping: std::sync::atomic::AtomicBool::new(false),
        });
        let mut workers = Vec::new();
        if let (Mode::Journaled(options), Store::Journal(committer)) = (&shared.mode, &shared.store) {
            let pending = committer.journal.pending().map_err(StartError::Journal)?;
            shared.stats.pending.store(pending.len() as u64, Ordering::Relaxed);
            {
                // Nothing replayed has started in this process: each may take identical bodies.
                let mut waiting = shared.waiting.lock().unwrap_or_else(|e| e.into_inner());
                for entry in pending.iter().filter(|e| e.id.is_none()) {
                    waiting.entry(digest(&entry.body)).or_insert(entry.seq);
                }
            }
            for entry in pending {
                let _ = shared.queue.send(Job { seq: entry.seq, attempt: 1, delivery: None });
            }
            let rx = Arc::new(tokio::sync::Mutex::new(rx));
            for _ in 0..options.workers.max(1) {
                workers.push(tokio::spawn(work(shared.clone(), rx.clone())));
            }
        }
        if let (Mode::Journaled(options), Store::Shared(_)) = (&shared.mode, &shared.store) {
            let owner = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
            for _ in 0..options.workers.max(1) {
                workers.push(tokio::spawn(work_shared(shared.clone(), owner.clone())));
            }
        }
        Ok(Receiver { shared, path: self.path, body_limit: self.body_limit, workers: Mutex::new(workers) })
    }
}

struct Job {
    seq: u64,
    attempt: u32,
    /// The delivery, when still in memory (read from the journal otherwise).
    delivery: Option<Delivery>,
}

/// Where duplicate keys (and, journaled, deliveries) are kept.
enum Store {
    /// An inline receiver without a journal: keys in memory, no IO on the delivery path.
    Memory(MemoryWindow),
    /// A journal, written through group commits.
    Journal(Arc<Committer>),
    /// A journal several processes share.
    Shared(Arc<dyn SharedJournal>),
}

type Reply = tokio::sync::oneshot::Sender<Result<Option<Admission>, JournalError>>;

/// Group commit: writes wait in `queue`; the first writer to find no commit running starts one
/// on a blocking thread, which commits everything waiting as one transaction, answers each
/// writer, and repeats until the queue is empty. Writes arriving during a commit (its fsync)
/// share the next one.
struct Committer {
    journal: Arc<dyn Journal>,
    queue: Mutex<GroupQueue>,
    /// Commit loops not known to have ended, awaited by [`Receiver::stop`] so that the journal
    /// is released when it returns.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

#[derive(Default)]
struct GroupQueue {
    waiting: Vec<(Write, Reply)>,
    running: bool,
}

/// Marks the commit loop stopped if it ends without doing so itself (the journal panicked, or
/// the blocking task never ran), so the next writer starts a new one.
struct Running {
    committer: Arc<Committer>,
    ended: std::cell::Cell<bool>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.ended.get() {
            self.committer.queue.lock().unwrap_or_else(|e| e.into_inner()).running = false;
        }
    }
}

impl Committer {
    /// Moves a pending delivery to the failed set, and counts it there.
    async fn give_up(self: &Arc<Self>, seq: u64, stats: &Arc<Stats>) {
        if self.write(Write::GiveUp(seq), stats).await.is_ok() {
            stats.pending.fetch_sub(1, Ordering::Relaxed);
            stats.given_up.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes one change durably, together with whatever else is waiting.
    async fn write(self: &Arc<Self>, write: Write, stats: &Arc<Stats>) -> Result<Option<Admission>, JournalError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let lead = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.waiting.push((write, reply));
            !std::mem::replace(&mut queue.running, true)
        };
        if lead {
            let running = Running { committer: self.clone(), ended: std::cell::Cell::new(false) };
            let stats = stats.clone();
            let task = tokio::task::spawn_blocking(move || {
                running.committer.drain(&stats);
                running.ended.set(true);
            });
            let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
            tasks.retain(|task| !task.is_finished());
            tasks.push(task);
        }
        answer.await.unwrap_or_else(|_| Err(JournalError("the commit was abandoned".into())))
    }

    fn drain(&self, stats: &Stats) {
        loop {
            let batch = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                if queue.waiting.is_empty() {
                    // Under the lock: a writer that comes next sees no commit running and starts one.
                    queue.running = false;
                    return;
                }
                std::mem::take(&mut queue.waiting)
            };
            let (writes, replies): (Vec<Write>, Vec<Reply>) = batch.into_iter().unzip();
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats.commit_writes.fetch_add(writes.len() as u64, Ordering::Relaxed);
            match self.journal.commit(&writes) {
                Ok(done) => {
                    for (reply, done) in replies.into_iter().zip(done) {
                        let _ = reply.send(Ok(done));
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
            }
        }
    }
}

struct Shared<D> {
    dispatch: D,
    verifier: Verifier,
    store: Store,
    /// Journaled deliveries without a provider id that wait, not yet started: digest → sequence
    /// number. An identical body arriving meanwhile is coalesced with them.
    waiting: Mutex<std::collections::HashMap<String, u64>>,
    fail_unhandled: bool,
    window: Duration,
    mode: Mode,
    stats: Arc<Stats>,
    queue: mpsc::UnboundedSender<Job>,
    stop: Notify,
    stopping: std::sync::atomic::AtomicBool,
}

impl<D> Shared<D> {
    fn counters(&self) -> Counters {
        let s = &self.stats;
        Counters {
            accepted: s.accepted.load(Ordering::Relaxed),
            duplicate: s.duplicate.load(Ordering::Relaxed),
            coalesced: s.coalesced.load(Ordering::Relaxed),
            rejected: s.rejected.lock().map(|m| m.clone()).unwrap_or_default(),
            handled: s.handled.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            malformed: s.malformed.load(Ordering::Relaxed),
            unknown: s.unknown.load(Ordering::Relaxed),
            unhandled: s.unhandled.load(Ordering::Relaxed),
            pending: s.pending.load(Ordering::Relaxed),
            given_up: s.given_up.load(Ordering::Relaxed),
            commits: s.commits.load(Ordering::Relaxed),
            commit_writes: s.commit_writes.load(Ordering::Relaxed),
            abandoned: s.abandoned.load(Ordering::Relaxed),
        }
    }
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
    hex_digest(&Sha256::digest(body).into())
}

/// Lowercase hex of a SHA-256, written into place (`hex::encode` goes through one `char` at a time).
fn hex_digest(sha256: &[u8; 32]) -> String {
    let mut text = [0u8; 64];
    // The buffer is exactly twice the input's length, so this cannot fail.
    let _ = hex::encode_to_slice(sha256, &mut text);
    std::str::from_utf8(&text).map(str::to_owned).unwrap_or_default()
}

/// The key of a provider's delivery id in the in-memory window ([`MemoryKey`]).
fn memory_key(id: &str) -> MemoryKey {
    Sha256::new().chain_update(b"id:").chain_update(id.as_bytes()).finalize().into()
}

fn answer(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))], message).into_response()
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
            shared_journal: None,
            fail_unhandled: false,
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
        self.shared.counters()
    }

    /// The dispatch the receiver was built with.
    pub fn dispatch(&self) -> &D {
        &self.shared.dispatch
    }

    /// [`Receiver::serve`], with `extra` routes beside the receiver's own (such as
    /// [`Receiver::status_router`]).
    pub async fn serve_with(
        &self,
        listener: tokio::net::TcpListener,
        extra: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = axum::serve(listener, self.router().merge(extra)).with_graceful_shutdown(shutdown).await;
        self.stop().await;
        served
    }

    /// Serves on `listener` until `shutdown` completes, then shuts down gracefully: no new
    /// connections, requests in progress are answered, each worker finishes the handler it is
    /// running, and what is left stays in the journal for the next start.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.serve_with(listener, Router::new(), shutdown).await
    }

    /// Stops the workers after the handlers in progress (journaled mode), and waits for the
    /// journal commits in progress, so the journal is free once the receiver is dropped.
    pub async fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.stop.notify_waiters();
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in workers {
            let _ = worker.await;
        }
        if let Store::Journal(committer) = &self.shared.store {
            let tasks = std::mem::take(&mut *committer.tasks.lock().unwrap_or_else(|e| e.into_inner()));
            for task in tasks {
                let _ = task.await;
            }
        }
    }
}

/// An answer whose text is made for this delivery.
fn answer_text(status: StatusCode, message: String) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))], message).into_response()
}

async fn receive<D: Dispatch>(State(shared): State<Arc<Shared<D>>>, request: axum::extract::Request) -> Response {
    // The headers and the URI are taken out of the request, not copied; the body limit set on
    // the router still applies to the body.
    let (mut parts, body) = request.into_parts();
    let headers = std::mem::take(&mut parts.headers);
    let uri = std::mem::take(&mut parts.uri);
    let body = match <Bytes as axum::extract::FromRequest<()>>::from_request(
        axum::extract::Request::from_parts(parts, body),
        &(),
    )
    .await
    {
        Ok(body) => body,
        Err(e) => {
            let status = e.status();
            shared.stats.reject(if status == StatusCode::PAYLOAD_TOO_LARGE { "too large" } else { "unreadable body" });
            return answer_text(status, e.body_text());
        }
    };
    // From here on nothing depends on the provider's connection: if it hangs up, the task
    // still admits, journals and handles the delivery it sent.
    let sha256: [u8; 32] = Sha256::digest(&body).into();
    let digest = hex_digest(&sha256);
    let span = tracing::info_span!("webhook_delivery", digest = %digest, bytes = body.len());
    let future = deliver(shared.clone(), uri, headers, body, digest).instrument(span);
    Detached { future: Some(Box::pin(future)), shared }.await
}

/// Runs a future in place, and moves it onto a task of its own when it is dropped unfinished
/// (the provider hung up): the delivery it sent is still admitted, journaled and handled. Only
/// the deliveries whose connection drops pay for a task.
struct Detached<D, F: Future<Output = Response> + Send + 'static> {
    future: Option<Pin<Box<F>>>,
    /// Where the abandoned deliveries are counted.
    shared: Arc<Shared<D>>,
}

impl<D, F: Future<Output = Response> + Send + 'static> Future for Detached<D, F> {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Response> {
        let Some(future) = self.future.as_mut() else {
            return std::task::Poll::Ready(answer(StatusCode::INTERNAL_SERVER_ERROR, "polled after its answer"));
        };
        let answer = std::task::ready!(future.as_mut().poll(cx));
        self.future = None;
        std::task::Poll::Ready(answer)
    }
}

impl<D, F: Future<Output = Response> + Send + 'static> Drop for Detached<D, F> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            self.shared.stats.abandoned.fetch_add(1, Ordering::Relaxed);
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    tracing::info!("the provider hung up; the delivery is still handled");
                    drop(runtime.spawn(future));
                }
                Err(_) => tracing::error!("the provider hung up while the runtime shuts down; the delivery is dropped"),
            }
        }
    }
}

/// The admission of `delivery` (keyed by the provider's id when it has one), now.
fn admission(delivery: &Delivery, provider: Option<&str>, keep: bool, window_ms: u64, capacity: u64) -> Admit {
    Admit {
        key: provider.map(|_| delivery.id.key()),
        id: provider.map(str::to_owned),
        body: delivery.body.clone(),
        keep,
        now_ms: now_ms(),
        window_ms,
        capacity,
    }
}

/// Verifies, admits and (inline) handles one delivery, on a task of its own.
async fn deliver<D: Dispatch>(
    shared: Arc<Shared<D>>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: Bytes,
    digest: String,
) -> Response {
    let id = match shared.verifier.verify(uri.query(), &headers, &body, SystemTime::now()) {
        Ok(Some(id)) => DeliveryId::Provider(id),
        Ok(None) => DeliveryId::Digest(digest.clone()),
        Err(rejection) => {
            shared.stats.reject(rejection.name());
            tracing::warn!(reason = rejection.name(), "delivery refused");
            return answer(StatusCode::UNAUTHORIZED, rejection.name());
        }
    };
    let delivery = Delivery {
        body,
        digest,
        id,
        attempt: 1,
        done: Vec::new(),
        unhandled: Flag::default(),
        tx: TxHandle::default(),
    };
    // The one parse of the body: the JSON check before admission, and what the dispatch
    // reads (inline).
    let parsed = match Body::parse(&delivery.body) {
        Ok(parsed) => parsed,
        Err(e) => {
            shared.stats.reject("malformed JSON");
            return answer_text(StatusCode::BAD_REQUEST, format!("the body is not JSON: {e}"));
        }
    };
    let (keep, capacity, retry_after) = match &shared.mode {
        Mode::Inline => (false, u64::MAX, 0),
        Mode::Journaled(o) => (true, o.capacity, o.retry_after),
    };
    let provider = match &delivery.id {
        DeliveryId::Provider(id) => Some(id.as_str()),
        DeliveryId::Digest(_) => None,
    };
    if keep && provider.is_none() {
        let waiting = shared.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if waiting.contains_key(&delivery.digest) {
            drop(waiting);
            shared.stats.coalesced.fetch_add(1, Ordering::Relaxed);
            tracing::info!("coalesced with an identical delivery not yet started");
            return answer(StatusCode::ACCEPTED, "coalesced");
        }
    }
    let window = shared.window.as_millis() as u64;
    let admitted = match (&shared.store, provider) {
        // Inline, a delivery without the provider's id is never a duplicate: nothing to record.
        (_, None) if !keep => Ok(Admission::Stored(0)),
        (Store::Memory(memory), Some(id)) => Ok(if memory.admit(&memory_key(id), now_ms(), window) {
            Admission::Stored(0)
        } else {
            Admission::Duplicate
        }),
        (Store::Memory(_), None) => Ok(Admission::Stored(0)),
        (Store::Journal(committer), provider) => committer
            .write(Write::Admit(admission(&delivery, provider, keep, window, capacity)), &shared.stats)
            .await
            .and_then(|done| done.ok_or_else(|| JournalError("an admission without its result".into()))),
        (Store::Shared(journal), provider) => {
            journal.admit(admission(&delivery, provider, keep, window, capacity)).await
        }
    };
    let seq = match admitted {
        Ok(Admission::Stored(seq)) => seq,
        Ok(Admission::Duplicate) => {
            shared.stats.duplicate.fetch_add(1, Ordering::Relaxed);
            tracing::info!("duplicate delivery acknowledged");
            return answer(StatusCode::OK, "duplicate");
        }
        Ok(Admission::Coalesced(seq)) => {
            shared.stats.coalesced.fetch_add(1, Ordering::Relaxed);
            tracing::info!(seq, "coalesced with an identical delivery not yet started");
            return answer(StatusCode::ACCEPTED, "coalesced");
        }
        Ok(Admission::Full) => {
            shared.stats.reject("journal full");
            let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, "journal full");
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return response;
        }
        Err(e) => {
            shared.stats.reject("journal error");
            tracing::error!(error = %e, "journal write failed");
            return answer(StatusCode::SERVICE_UNAVAILABLE, "journal unavailable");
        }
    };
    shared.stats.accepted.fetch_add(1, Ordering::Relaxed);
    match shared.mode {
        Mode::Journaled(_) => {
            drop(parsed);
            shared.stats.pending.fetch_add(1, Ordering::Relaxed);
            if let Store::Shared(_) = &shared.store {
                // Whichever process's worker claims it first handles it.
                return answer(StatusCode::ACCEPTED, "accepted");
            }
            if provider.is_none() {
                let mut waiting = shared.waiting.lock().unwrap_or_else(|e| e.into_inner());
                waiting.entry(delivery.digest.clone()).or_insert(seq);
            }
            let _ = shared.queue.send(Job { seq, attempt: 1, delivery: Some(delivery) });
            answer(StatusCode::ACCEPTED, "accepted")
        }
        Mode::Inline => {
            let outcomes = shared.dispatch.dispatch(&delivery, &parsed).await;
            if shared.stats.record(&outcomes, shared.fail_unhandled) {
                // No body: the status says it all, and the provider reads nothing more.
                return StatusCode::OK.into_response();
            }
            // The provider's retry of a failed delivery must be handled: forget its id.
            match (&shared.store, provider) {
                (Store::Memory(memory), Some(id)) => memory.forget(&memory_key(id)),
                (Store::Journal(committer), Some(_)) => {
                    if let Err(e) = committer.write(Write::Forget(delivery.id.key()), &shared.stats).await {
                        tracing::error!(error = %e, "could not forget a failed delivery; its resend counts as a duplicate");
                    }
                }
                (Store::Shared(journal), Some(_)) => {
                    if let Err(e) = journal.forget(delivery.id.key()).await {
                        tracing::error!(error = %e, "could not forget a failed delivery; its resend counts as a duplicate");
                    }
                }
                (_, None) => {}
            }
            answer(StatusCode::INTERNAL_SERVER_ERROR, "a handler failed; send again")
        }
    }
}

async fn work<D: Dispatch>(shared: Arc<Shared<D>>, rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>>) {
    let (Mode::Journaled(options), Store::Journal(committer)) = (&shared.mode, &shared.store) else { return };
    loop {
        let stopped = shared.stop.notified();
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let job = tokio::select! {
            job = async { rx.lock().await.recv().await } => job,
            () = stopped => return,
        };
        let Some(mut job) = job else { return };
        let seq = job.seq;
        let delivery = match job.delivery.take() {
            Some(delivery) => delivery,
            None => {
                let journal = committer.journal.clone();
                match tokio::task::spawn_blocking(move || journal.entry(seq)).await {
                    Ok(Ok(Some(entry))) => {
                        let digest = digest(&entry.body);
                        let id = match entry.id {
                            Some(id) => DeliveryId::Provider(id),
                            None => DeliveryId::Digest(digest.clone()),
                        };
                        Delivery {
                            body: Bytes::from(entry.body),
                            digest,
                            id,
                            attempt: job.attempt,
                            done: entry.done,
                            unhandled: Flag::default(),
                            tx: TxHandle::default(),
                        }
                    }
                    Ok(Ok(None)) => {
                        // Gone (handled already): it must not take identical bodies any more.
                        shared.waiting.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, s| *s != seq);
                        continue;
                    }
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, seq, "journal read failed");
                        retry_later(&shared, options, job);
                        continue;
                    }
                    Err(_) => continue,
                }
            }
        };
        let delivery = Delivery { attempt: job.attempt, ..delivery };
        if matches!(delivery.id, DeliveryId::Digest(_)) {
            // Handling starts now: an identical body arriving from here on is a new delivery.
            let mut waiting = shared.waiting.lock().unwrap_or_else(|e| e.into_inner());
            if waiting.get(&delivery.digest) == Some(&seq) {
                waiting.remove(&delivery.digest);
            }
        }
        let span = tracing::info_span!("webhook_delivery", digest = %delivery.digest, seq, attempt = job.attempt);
        let parsed = match Body::parse(&delivery.body) {
            Ok(parsed) => parsed,
            Err(e) => {
                // Every admitted body was JSON: this entry was damaged in the journal. It is
                // kept in the journal's failed set rather than retried.
                span.in_scope(|| tracing::error!(seq, error = %e, "a journaled delivery is no longer JSON"));
                committer.give_up(seq, &shared.stats).await;
                continue;
            }
        };
        let outcomes = shared.dispatch.dispatch(&delivery, &parsed).instrument(span).await;
        if shared.stats.record(&outcomes, shared.fail_unhandled) {
            match committer.write(Write::Complete(seq), &shared.stats).await {
                Ok(_) => {
                    shared.stats.pending.fetch_sub(1, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::error!(seq, error = %e, "could not mark a handled delivery; it will be handled again on restart")
                }
            }
        } else {
            // Progress per event: what this attempt handled is not run again, by a retry, a
            // requeue, or a replay after a restart.
            let done = handled_events(&outcomes, shared.fail_unhandled);
            let mut delivery = delivery;
            if done != delivery.done {
                if let Err(e) = committer.write(Write::Progress(seq, done.clone()), &shared.stats).await {
                    tracing::error!(seq, error = %e, "could not record which events were handled; a retry runs them again");
                }
                delivery.done = done;
            }
            if job.attempt >= options.max_attempts {
                tracing::error!(
                    seq,
                    attempts = job.attempt,
                    "giving up on a delivery; kept in the journal's failed set"
                );
                committer.give_up(seq, &shared.stats).await;
            } else {
                job.delivery = Some(delivery);
                retry_later(&shared, options, job);
            }
        }
    }
}

/// The delay before the attempt after `attempt`: doubling from the first, capped, jittered.
fn backoff_delay(options: &JournalOptions, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
    let delay = options.backoff.saturating_mul(factor).min(options.max_backoff);
    delay.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// The positions of the events handled (or acknowledged unhandled) in `outcomes`.
fn handled_events(outcomes: &[Outcome], fail_unhandled: bool) -> Vec<u32> {
    outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| match o {
            Outcome::Failed(_) => false,
            Outcome::Unhandled(_) => !fail_unhandled,
            _ => true,
        })
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}

/// One pending delivery fewer (a shared journal's may have been admitted by another process).
fn pending_gone(stats: &Stats) {
    let _ = stats.pending.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_sub(1)));
}

/// A worker of a receiver on a shared journal: claims one due delivery at a time (whichever
/// process admitted it), handles it while renewing its lease, then completes, retries or gives
/// it up, each only while the claim is still its own.
async fn work_shared<D: Dispatch>(shared: Arc<Shared<D>>, owner: String) {
    let (Mode::Journaled(options), Store::Shared(journal)) = (&shared.mode, &shared.store) else { return };
    loop {
        let stopped = shared.stop.notified();
        tokio::pin!(stopped);
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let claimed = tokio::select! {
            claimed = journal.claim(&owner, 1, options.lease) => claimed,
            () = &mut stopped => return,
        };
        let claim = match claimed {
            Ok(mut claimed) if !claimed.is_empty() => claimed.swap_remove(0),
            Ok(_) => {
                tokio::select! {
                    () = journal.wait(options.poll) => {}
                    () = &mut stopped => return,
                }
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "journal claim failed");
                tokio::select! {
                    () = tokio::time::sleep(options.poll) => {}
                    () = &mut stopped => return,
                }
                continue;
            }
        };
        handle_claimed(&shared, options, journal, &owner, claim).await;
    }
}

async fn handle_claimed<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    options: &JournalOptions,
    journal: &Arc<dyn SharedJournal>,
    owner: &str,
    claim: Claimed,
) {
    let Claimed { entry, attempt } = claim;
    let seq = entry.seq;
    if attempt > options.max_attempts {
        // Claimed more often than attempts allowed: earlier claims died with their processes
        // (a delivery that crashes its handler, say). Not run again: kept in the failed set.
        tracing::error!(seq, attempts = attempt, "giving up on a delivery whose earlier claims never settled");
        if journal.give_up(owner, seq, entry.done).await.unwrap_or(false) {
            pending_gone(&shared.stats);
            shared.stats.given_up.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    let digest = digest(&entry.body);
    let id = match entry.id {
        Some(id) => DeliveryId::Provider(id),
        None => DeliveryId::Digest(digest.clone()),
    };
    #[cfg(feature = "postgres")]
    let tx =
        TxHandle(journal.postgres().map(|_| {
            Arc::new(postgres::TxSlot { journal: journal.clone(), connection: tokio::sync::Mutex::new(None) })
        }));
    #[cfg(not(feature = "postgres"))]
    let tx = TxHandle::default();
    let delivery = Delivery {
        body: Bytes::from(entry.body),
        digest,
        id,
        attempt,
        done: entry.done,
        unhandled: Flag::default(),
        tx,
    };
    let span = tracing::info_span!("webhook_delivery", digest = %delivery.digest, seq, attempt);
    let Ok(parsed) = Body::parse(&delivery.body) else {
        span.in_scope(|| tracing::error!(seq, "a journaled delivery is no longer JSON"));
        if journal.give_up(owner, seq, delivery.done.clone()).await.unwrap_or(false) {
            pending_gone(&shared.stats);
            shared.stats.given_up.fetch_add(1, Ordering::Relaxed);
        }
        return;
    };
    let handling = shared.dispatch.dispatch(&delivery, &parsed).instrument(span);
    tokio::pin!(handling);
    let outcomes = loop {
        tokio::select! {
            outcomes = &mut handling => break outcomes,
            () = tokio::time::sleep(options.lease / 3) => {
                if let Err(e) = journal.renew(owner, vec![seq], options.lease).await {
                    tracing::warn!(seq, error = %e, "could not renew a claim; another process may take the delivery over");
                }
            }
        }
    };
    let handled = shared.stats.record(&outcomes, shared.fail_unhandled);
    #[cfg(feature = "postgres")]
    let open_tx = match (&delivery.tx.0, journal.postgres()) {
        (Some(slot), Some(pg)) => slot.connection.lock().await.take().map(|tx| (pg, tx)),
        _ => None,
    };
    #[cfg(not(feature = "postgres"))]
    let open_tx: Option<((), ())> = None;
    if handled {
        let completed = match open_tx {
            #[cfg(feature = "postgres")]
            Some((pg, tx)) => pg.complete_in(&tx, owner, seq).await,
            #[cfg(not(feature = "postgres"))]
            Some(_) => Ok(false),
            None => journal.complete(owner, seq).await,
        };
        match completed {
            Ok(true) => pending_gone(&shared.stats),
            Ok(false) => tracing::warn!(seq, "handled after its claim expired; another process took the delivery over"),
            Err(e) => {
                tracing::error!(seq, error = %e, "could not mark a handled delivery; it will be handled again")
            }
        }
        return;
    }
    // With the handler transaction rolled back, nothing of this attempt is kept: the next one
    // runs every event again.
    let done = match open_tx {
        #[cfg(feature = "postgres")]
        Some((_, tx)) => {
            if let Err(e) = tx.batch_execute("ROLLBACK").await {
                tracing::error!(seq, error = %e, "could not roll back a handler transaction");
                drop(deadpool_postgres::Object::take(tx));
            }
            delivery.done.clone()
        }
        #[cfg(not(feature = "postgres"))]
        Some(_) => delivery.done.clone(),
        None => handled_events(&outcomes, shared.fail_unhandled),
    };
    let released = if attempt >= options.max_attempts {
        tracing::error!(seq, attempts = attempt, "giving up on a delivery; kept in the journal's failed set");
        let given_up = journal.give_up(owner, seq, done).await;
        if matches!(given_up, Ok(true)) {
            pending_gone(&shared.stats);
            shared.stats.given_up.fetch_add(1, Ordering::Relaxed);
        }
        given_up
    } else {
        journal.retry(owner, seq, done, backoff_delay(options, attempt)).await
    };
    match released {
        Ok(true) => {}
        Ok(false) => tracing::warn!(seq, "failed after its claim expired; another process took the delivery over"),
        Err(e) => {
            tracing::error!(seq, error = %e, "could not release a failed delivery; it is retried once its claim expires")
        }
    }
}

fn retry_later<D: Dispatch>(shared: &Arc<Shared<D>>, options: &JournalOptions, job: Job) {
    let delay = backoff_delay(options, job.attempt);
    let queue = shared.queue.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = queue.send(Job { seq: job.seq, attempt: job.attempt + 1, delivery: job.delivery });
    });
}

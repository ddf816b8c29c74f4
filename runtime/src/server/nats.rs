//! [`NatsJournal`], the [`SharedJournal`] on NATS JetStream (feature `nats-journal`).
//!
//! For a journal named `N` (default `triad_journal`):
//! - stream `N` (subject `N.pending`, file storage, work-queue retention, at most `capacity`
//!   messages with new ones refused) holds the pending deliveries; an admission is a publish
//!   whose stream acknowledgement is awaited before the receiver answers;
//! - the durable pull consumer `N_workers` (explicit acks, ack wait = the lease) hands them to
//!   the workers of every process: a claim is a fetch, a renewal an `in progress` ack,
//!   completion a double ack, a retry a negative ack with the backoff delay, so JetStream
//!   redelivers it when due; a process that dies stops acking and its messages are redelivered
//!   after the ack wait;
//! - stream `N_failed` (subject `N.failed`) is the failed set, its sequence numbers the ones the
//!   operator requeues and purges by;
//! - stream `N_progress` (subjects `N.progress.SEQ`, one message per subject) keeps the events
//!   already handled of a delivery being retried; stream `N_seen` (subjects `N.seen.KEY`, one
//!   message per subject, each expiring after the duplicate window) is the duplicate window of
//!   inline receivers, a key admitted by a publish that expects its subject to be empty.
//!   Plain streams rather than key-value buckets: they need nothing newer than NATS 2.9.
//!
//! The duplicate rule: a delivery with the provider's id is published with that id as
//! `Nats-Msg-Id`, so the stream's duplicate window (set to the receiver's) drops a resend. A
//! delivery known only by its body gets no message id: a body digest as `Nats-Msg-Id` would
//! drop a later identical change. Bodies are not coalesced (a work-queue stream cannot be
//! searched for an unclaimed twin): each identical body is handled. A completion cannot tell a
//! claim taken over after its ack wait from one still held: JetStream accepts the ack.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, AckKind, Message};
use futures_util::StreamExt;

use super::journal::{Admission, Admit, Entry, JournalError};
use super::shared::{Claimed, JournalFuture, SharedJournal};

fn err(what: &str) -> impl Fn(String) -> JournalError + '_ {
    move |e| JournalError(format!("nats {what}: {e}"))
}

const SEQ: &str = "Triad-Seq";
const ID: &str = "Triad-Id";
const DONE: &str = "Triad-Done";

/// The journal on NATS JetStream (see the module docs for its streams and rules).
pub struct NatsJournal {
    js: jetstream::Context,
    name: String,
    pending: stream::Stream,
    failed: stream::Stream,
    consumer: PullConsumer,
    progress: stream::Stream,
    seen: stream::Stream,
    /// Messages claimed by this process and not yet settled, by stream sequence.
    claimed: Mutex<HashMap<u64, Message>>,
}

impl fmt::Debug for NatsJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsJournal").field("name", &self.name).finish_non_exhaustive()
    }
}

/// True for a journal name usable in stream, consumer, bucket and subject names.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Settings of a [`NatsJournal`] fixed when its streams are created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatsJournalOptions {
    /// Pending deliveries the stream holds before refusing new ones (the receiver answers 503).
    pub capacity: u64,
    /// How long a claim lasts without renewal (the consumer's ack wait).
    pub lease: Duration,
    /// How long the provider's delivery id is remembered to drop a resend.
    pub window: Duration,
}

impl Default for NatsJournalOptions {
    fn default() -> Self {
        Self { capacity: 100_000, lease: Duration::from_secs(15), window: Duration::from_secs(24 * 3600) }
    }
}

impl NatsJournal {
    /// The name used when none is given.
    pub const DEFAULT_NAME: &'static str = "triad_journal";

    /// Connects to the journal a `nats://HOST:PORT/NAME` URL names (the name defaulting to
    /// [`Self::DEFAULT_NAME`]), as [`Self::connect`] does.
    pub async fn connect_url(url: &str, options: NatsJournalOptions) -> Result<Self, JournalError> {
        let rest = url.strip_prefix("nats://").unwrap_or(url);
        let (server, name) = match rest.split_once('/') {
            Some((server, name)) if !name.is_empty() => (server, name),
            Some((server, _)) => (server, Self::DEFAULT_NAME),
            None => (rest, Self::DEFAULT_NAME),
        };
        Self::connect(&format!("nats://{server}"), name, options).await
    }

    /// Connects to the NATS server at `url` and creates (or opens) the journal's streams,
    /// consumer and buckets named after `name`. Streams and the consumer that exist keep the
    /// settings they were created with.
    pub async fn connect(url: &str, name: &str, options: NatsJournalOptions) -> Result<Self, JournalError> {
        if !valid_name(name) {
            return Err(JournalError(format!(
                "journal name `{name}`: expected ASCII letters, digits, `_` and `-`, at most 64 bytes"
            )));
        }
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| JournalError(format!("{url}: {e}")))?;
        let js = jetstream::new(client);
        let pending = js
            .get_or_create_stream(stream::Config {
                name: name.to_owned(),
                subjects: vec![format!("{name}.pending")],
                retention: RetentionPolicy::WorkQueue,
                storage: StorageType::File,
                max_messages: i64::try_from(options.capacity).unwrap_or(i64::MAX),
                discard: DiscardPolicy::New,
                duplicate_window: options.window,
                ..Default::default()
            })
            .await
            .map_err(|e| err("stream")(e.to_string()))?;
        let failed = js
            .get_or_create_stream(stream::Config {
                name: format!("{name}_failed"),
                subjects: vec![format!("{name}.failed")],
                storage: StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| err("failed stream")(e.to_string()))?;
        let consumer: PullConsumer = pending
            .get_or_create_consumer(
                &format!("{name}_workers"),
                pull::Config {
                    durable_name: Some(format!("{name}_workers")),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: options.lease,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| err("consumer")(e.to_string()))?;
        let progress = js
            .get_or_create_stream(stream::Config {
                name: format!("{name}_progress"),
                subjects: vec![format!("{name}.progress.*")],
                max_messages_per_subject: 1,
                storage: StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| err("progress stream")(e.to_string()))?;
        let seen = js
            .get_or_create_stream(stream::Config {
                name: format!("{name}_seen"),
                subjects: vec![format!("{name}.seen.*")],
                max_messages_per_subject: 1,
                max_age: options.window,
                storage: StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| err("seen stream")(e.to_string()))?;
        Ok(NatsJournal {
            js,
            name: name.to_owned(),
            pending,
            failed,
            consumer,
            progress,
            seen,
            claimed: Mutex::new(HashMap::new()),
        })
    }

    /// The journal's name (its streams, consumer and buckets start with it).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn take(&self, seq: u64) -> Option<Message> {
        self.claimed.lock().unwrap_or_else(|e| e.into_inner()).remove(&seq)
    }

    async fn admit_now(&self, a: Admit) -> Result<Admission, JournalError> {
        if !a.keep {
            // Inline: only the window, in the bucket whose entries expire with it.
            let Some(key) = &a.key else { return Ok(Admission::Stored(0)) };
            let mut headers = HeaderMap::new();
            headers.insert("Nats-Expected-Last-Subject-Sequence", "0");
            let subject = format!("{}.seen.{}", self.name, hex::encode(key));
            let published = self
                .js
                .publish_with_headers(subject, headers, Default::default())
                .await
                .map_err(|e| err("seen")(e.to_string()))?
                .await;
            return match published {
                Ok(_) => Ok(Admission::Stored(0)),
                Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => {
                    Ok(Admission::Duplicate)
                }
                Err(e) => Err(err("seen")(e.to_string())),
            };
        }
        let mut headers = HeaderMap::new();
        if let Some(key) = &a.key {
            headers.insert("Nats-Msg-Id", hex::encode(key).as_str());
        }
        if let Some(id) = &a.id {
            headers.insert(ID, id.as_str());
        }
        let ack = self
            .js
            .publish_with_headers(format!("{}.pending", self.name), headers, a.body.clone())
            .await
            .map_err(|e| err("publish")(e.to_string()))?
            .await;
        match ack {
            Ok(ack) if ack.duplicate => Ok(Admission::Duplicate),
            Ok(ack) => Ok(Admission::Stored(ack.sequence)),
            Err(e) if e.to_string().contains("maximum messages") => Ok(Admission::Full),
            Err(e) => Err(err("publish")(e.to_string())),
        }
    }

    async fn claim_now(&self, max: usize) -> Result<Vec<Claimed>, JournalError> {
        let mut batch = self
            .consumer
            .fetch()
            .max_messages(max.max(1))
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .map_err(|e| err("fetch")(e.to_string()))?;
        let mut claimed = Vec::new();
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| err("fetch")(e.to_string()))?;
            let (seq, attempt) = match message.info() {
                Ok(info) => (info.stream_sequence, u32::try_from(info.delivered).unwrap_or(1)),
                Err(e) => return Err(err("message info")(e.to_string())),
            };
            let done = self.progress_of(seq).await?;
            let id = message.headers.as_ref().and_then(|h| h.get(ID)).map(|v| v.as_str().to_owned());
            let entry = Entry { seq, id, body: message.payload.to_vec(), done };
            self.claimed.lock().unwrap_or_else(|e| e.into_inner()).insert(seq, message);
            claimed.push(Claimed { entry, attempt });
        }
        Ok(claimed)
    }

    fn progress_subject(&self, seq: u64) -> String {
        format!("{}.progress.{seq}", self.name)
    }

    /// The events already handled of the pending delivery `seq`.
    async fn progress_of(&self, seq: u64) -> Result<Vec<u32>, JournalError> {
        match self.progress.get_last_raw_message_by_subject(&self.progress_subject(seq)).await {
            Ok(message) => Ok(parse_done(&String::from_utf8_lossy(&message.payload))),
            Err(e) if matches!(e.kind(), stream::LastRawMessageErrorKind::NoMessageFound) => Ok(Vec::new()),
            Err(e) => Err(err("progress")(e.to_string())),
        }
    }

    async fn set_progress(&self, seq: u64, done: &str) -> Result<(), JournalError> {
        self.js
            .publish(self.progress_subject(seq), done.to_owned().into())
            .await
            .map_err(|e| err("progress")(e.to_string()))?
            .await
            .map_err(|e| err("progress")(e.to_string()))?;
        Ok(())
    }

    async fn clear_progress(&self, seq: u64) {
        let _ = self.progress.purge().filter(self.progress_subject(seq)).await;
    }

    async fn give_up_now(&self, seq: u64, done: Vec<u32>) -> Result<bool, JournalError> {
        let Some(message) = self.take(seq) else { return Ok(false) };
        let mut headers = HeaderMap::new();
        headers.insert(SEQ, seq.to_string().as_str());
        headers.insert(DONE, join_done(&done).as_str());
        if let Some(id) = message.headers.as_ref().and_then(|h| h.get(ID)) {
            headers.insert(ID, id.as_str());
        }
        self.js
            .publish_with_headers(format!("{}.failed", self.name), headers, message.payload.clone())
            .await
            .map_err(|e| err("publish failed")(e.to_string()))?
            .await
            .map_err(|e| err("publish failed")(e.to_string()))?;
        message.double_ack_with(AckKind::Term).await.map_err(|e| err("term")(e.to_string()))?;
        self.clear_progress(seq).await;
        Ok(true)
    }

    /// Deletes message `seq` of the failed set; false when there is none.
    async fn delete_failed(&self, seq: u64) -> Result<bool, JournalError> {
        use async_nats::jetstream::ErrorCode;
        use async_nats::jetstream::stream::DeleteMessageErrorKind;
        // Servers say "no such message" in three ways, depending on their version and on
        // whether the sequence was ever used: sequence not found, no message found, and a
        // failed delete whose description is "no message found".
        let missing = [ErrorCode::SEQUENCE_NOT_FOUND, ErrorCode::NO_MESSAGE_FOUND];
        match self.failed.delete_message(seq).await {
            Ok(deleted) => Ok(deleted),
            Err(e) => match e.kind() {
                DeleteMessageErrorKind::JetStream(js)
                    if missing.contains(&js.error_code())
                        || (js.error_code() == ErrorCode::STREAM_MESSAGE_DELETE_FAILED
                            && js.to_string().contains("no message found")) =>
                {
                    Ok(false)
                }
                _ => Err(err("delete")(e.to_string())),
            },
        }
    }

    async fn failed_entries(&self) -> Result<Vec<Entry>, JournalError> {
        let mut failed = self.failed.clone();
        let state = failed.info().await.map_err(|e| err("failed stream")(e.to_string()))?.state.clone();
        let mut entries = Vec::new();
        if state.messages == 0 {
            return Ok(entries);
        }
        for seq in state.first_sequence..=state.last_sequence {
            let Ok(message) = self.failed.get_raw_message(seq).await else { continue };
            let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_owned());
            entries.push(Entry {
                seq,
                id: header(ID),
                body: message.payload.to_vec(),
                done: header(DONE).map(|d| parse_done(&d)).unwrap_or_default(),
            });
        }
        Ok(entries)
    }
}

fn join_done(done: &[u32]) -> String {
    done.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn parse_done(text: &str) -> Vec<u32> {
    text.split(',').filter_map(|n| n.trim().parse().ok()).collect()
}

impl SharedJournal for NatsJournal {
    fn admit(&self, admit: Admit) -> JournalFuture<'_, Admission> {
        Box::pin(self.admit_now(admit))
    }

    fn forget(&self, key: Vec<u8>) -> JournalFuture<'_, ()> {
        Box::pin(async move {
            let subject = format!("{}.seen.{}", self.name, hex::encode(key));
            self.seen.purge().filter(subject).await.map(drop).map_err(|e| err("seen")(e.to_string()))
        })
    }

    fn claim(&self, _owner: &str, max: usize, _lease: Duration) -> JournalFuture<'_, Vec<Claimed>> {
        Box::pin(self.claim_now(max))
    }

    fn renew(&self, _owner: &str, seqs: Vec<u64>, _lease: Duration) -> JournalFuture<'_, ()> {
        Box::pin(async move {
            let messages: Vec<Message> = {
                let claimed = self.claimed.lock().unwrap_or_else(|e| e.into_inner());
                seqs.iter().filter_map(|s| claimed.get(s).cloned()).collect()
            };
            for message in messages {
                message.ack_with(AckKind::Progress).await.map_err(|e| err("progress ack")(e.to_string()))?;
            }
            Ok(())
        })
    }

    fn complete(&self, _owner: &str, seq: u64) -> JournalFuture<'_, bool> {
        Box::pin(async move {
            let Some(message) = self.take(seq) else { return Ok(false) };
            message.double_ack().await.map_err(|e| err("ack")(e.to_string()))?;
            self.clear_progress(seq).await;
            Ok(true)
        })
    }

    fn retry(&self, _owner: &str, seq: u64, done: Vec<u32>, delay: Duration) -> JournalFuture<'_, bool> {
        Box::pin(async move {
            let Some(message) = self.take(seq) else { return Ok(false) };
            if !done.is_empty() {
                self.set_progress(seq, &join_done(&done)).await?;
            }
            message.ack_with(AckKind::Nak(Some(delay))).await.map_err(|e| err("nak")(e.to_string()))?;
            Ok(true)
        })
    }

    fn give_up(&self, _owner: &str, seq: u64, done: Vec<u32>) -> JournalFuture<'_, bool> {
        Box::pin(self.give_up_now(seq, done))
    }

    fn wait(&self, _timeout: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        // A claim already waits for messages (a fetch that expires).
        Box::pin(async {})
    }

    fn pending_count(&self) -> JournalFuture<'_, u64> {
        Box::pin(async move {
            let mut pending = self.pending.clone();
            let info = pending.info().await.map_err(|e| err("stream")(e.to_string()))?;
            Ok(info.state.messages)
        })
    }

    fn failed(&self) -> JournalFuture<'_, Vec<Entry>> {
        Box::pin(self.failed_entries())
    }

    fn requeue(&self, seq: u64) -> JournalFuture<'_, bool> {
        Box::pin(async move {
            let Ok(message) = self.failed.get_raw_message(seq).await else { return Ok(false) };
            let mut headers = HeaderMap::new();
            if let Some(id) = message.headers.get(ID) {
                headers.insert(ID, id.as_str());
            }
            let ack = self
                .js
                .publish_with_headers(format!("{}.pending", self.name), headers, message.payload.clone())
                .await
                .map_err(|e| err("publish")(e.to_string()))?
                .await
                .map_err(|e| err("publish")(e.to_string()))?;
            // Its progress comes along, under its new sequence number.
            if let Some(done) = message.headers.get(DONE).filter(|d| !d.as_str().is_empty()) {
                self.set_progress(ack.sequence, done.as_str()).await?;
            }
            self.delete_failed(seq).await
        })
    }

    fn purge(&self, seq: u64) -> JournalFuture<'_, bool> {
        Box::pin(self.delete_failed(seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_progress_text() {
        assert!(valid_name("triad_journal"));
        assert!(valid_name("t-1"));
        assert!(!valid_name("a.b"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(""));
        assert_eq!(parse_done(&join_done(&[0, 3, 7])), vec![0, 3, 7]);
        assert!(parse_done("").is_empty());
    }
}

//! The hub's fan-out across server replicas through a NATS core subject (feature `nats`).
//!
//! Every push is published on the subject; every replica, the pushing one included, is
//! subscribed to it and queues what arrives for its own clients. A replica delivers only what
//! comes back from NATS, never its own pushes directly, so each message reaches each client
//! exactly once, and all clients of all replicas see one publisher's messages in the order it
//! pushed them.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_nats::connection::State as Connection;
use async_nats::{Client, ConnectOptions, Subject};
use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use super::server::{Hub, Inner, PushError};

/// How long setting up the fan-out waits for the server to confirm the subscription, and how
/// long one message may wait to enter the client's own queue before it counts as lost.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// First and last delay before subscribing again after a subscription ended.
const RESUBSCRIBE_FIRST: Duration = Duration::from_millis(100);
const RESUBSCRIBE_MAX: Duration = Duration::from_secs(10);

/// The NATS connection a hub fans out through: a client of the application's, or a URL the
/// hub connects to itself.
#[derive(Clone, Debug)]
pub enum Nats {
    /// A connected client; the hub publishes and subscribes on it.
    Client(Client),
    /// A server URL (`nats://host:4222`, several separated by commas). The hub connects
    /// once, failing when the server cannot be reached, then reconnects for as long as it
    /// lives; connection changes are logged through `tracing`.
    Url(String),
}

impl From<Client> for Nats {
    fn from(client: Client) -> Self {
        Nats::Client(client)
    }
}

impl From<String> for Nats {
    fn from(url: String) -> Self {
        Nats::Url(url)
    }
}

impl From<&str> for Nats {
    fn from(url: &str) -> Self {
        Nats::Url(url.to_owned())
    }
}

/// Why a hub could not start fanning out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FanOutError {
    /// The subject cannot be published on: it is empty, has an empty token, a wildcard token
    /// (`*`, `>`), white space or a control character.
    Subject {
        /// The subject given.
        subject: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The NATS server at the URL could not be reached.
    Connect(String),
    /// The subscription to the subject failed or was not confirmed by the server in time.
    Subscribe(String),
    /// The hub already fans out; a hub has one subject.
    AlreadyFansOut,
}

impl fmt::Display for FanOutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FanOutError::Subject { subject, reason } => write!(f, "invalid NATS subject `{subject}`: {reason}"),
            FanOutError::Connect(e) => write!(f, "cannot connect to NATS: {e}"),
            FanOutError::Subscribe(e) => write!(f, "cannot subscribe to the fan-out subject: {e}"),
            FanOutError::AlreadyFansOut => f.write_str("the hub already fans out through NATS"),
        }
    }
}

impl std::error::Error for FanOutError {}

/// The subject of a channel's fan-out: `prefix` and `channel` joined by a dot (the subject
/// the generated `fan_out_nats` functions use). Checked when the hub starts fanning out.
pub fn nats_subject(prefix: &str, channel: &str) -> String {
    format!("{prefix}.{channel}")
}

/// Checks that `subject` is a literal subject (one that can be published on).
fn check_subject(subject: &str) -> Result<(), &'static str> {
    if subject.is_empty() {
        return Err("it is empty");
    }
    if subject.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it holds white space or a control character");
    }
    for token in subject.split('.') {
        match token {
            "" => return Err("it has an empty token (a leading, trailing or doubled `.`)"),
            "*" | ">" => return Err("it has a wildcard token (`*` or `>`)"),
            _ => {}
        }
    }
    Ok(())
}

/// A hub's fan-out: the queue of messages its publishing task sends to NATS.
pub(super) struct FanOut {
    client: Client,
    subject: String,
    queue: mpsc::Sender<Bytes>,
    /// Dropped with the hub: ends the subscribing task, which unsubscribes.
    _stop: oneshot::Sender<()>,
}

impl fmt::Debug for FanOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FanOut")
            .field("subject", &self.subject)
            .field("connection", &self.client.connection_state())
            .field("waiting", &(self.queue.max_capacity() - self.queue.capacity()))
            .finish()
    }
}

impl FanOut {
    fn check_connected(&self) -> Result<(), PushError> {
        match self.client.connection_state() {
            Connection::Connected => Ok(()),
            Connection::Pending | Connection::Disconnected => Err(PushError::FanOutDown),
        }
    }

    /// Hands `text` to the publishing task without waiting.
    pub(super) fn try_publish(&self, text: String) -> Result<(), PushError> {
        self.check_connected()?;
        self.queue.try_send(Bytes::from(text)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => PushError::FanOutBacklog,
            mpsc::error::TrySendError::Closed(_) => PushError::FanOutDown,
        })
    }

    /// Hands `text` to the publishing task, waiting for room.
    pub(super) async fn publish(&self, text: String) -> Result<(), PushError> {
        self.check_connected()?;
        self.queue.send(Bytes::from(text)).await.map_err(|_| PushError::FanOutDown)
    }
}

impl Hub {
    /// Fans this hub out across replicas through the NATS core subject `subject`: from now
    /// on every push is published on the subject, and whatever arrives on it, from any replica
    /// of the same subject (this one included), goes to this hub's clients, each client with
    /// its own bounded buffer and [`super::Lagging`] policy as before. Generated server crates
    /// call it with a subject made of a prefix and the channel (`<channel>::fan_out_nats`,
    /// [`nats_subject`]). Must run within a tokio runtime; it returns once the server has
    /// confirmed the subscription, so every message pushed after that on any replica reaches
    /// this hub's clients.
    ///
    /// - **Exactly once, one path**: a replica delivers only what comes back from NATS, its own
    ///   pushes too, rather than delivering them at once and skipping its own echoes. So each
    ///   client gets each message once, every client sees one publisher's messages in the order
    ///   it pushed them, and a push either goes to every replica or fails for all of them: a
    ///   push while the connection is down is an error ([`PushError::FanOutDown`]), not a
    ///   message only this replica's clients see. The price is a round trip to NATS before
    ///   local clients see a push.
    /// - **Order**: NATS core keeps the order of one connection's messages, and the hub
    ///   publishes in push order, so one replica's pushes arrive everywhere in the order they
    ///   were pushed; pushes of different replicas interleave in the order the server got them.
    /// - **At most once**: NATS core keeps nothing. A replica that is down, or disconnected
    ///   from NATS, misses what is pushed meanwhile, and a message on the wire when a
    ///   connection breaks may be lost. This is a live fan-out, not a journal: clients that
    ///   must not miss anything resync over the API after a reconnect.
    /// - **Failures**: a push while the connection is down, or with
    ///   [`super::HubOptions::buffer`] messages already waiting to be published, fails with an
    ///   error and is counted ([`super::HubCounters::fan_out_failed`]); a message accepted
    ///   and lost before it reached the client's queue is counted too and logged. The
    ///   connection reconnects by itself (async-nats), and the subscription with it; should
    ///   the subscription end anyway, the hub subscribes again with a growing delay.
    pub async fn fan_out_nats(self, nats: impl Into<Nats>, subject: impl Into<String>) -> Result<Hub, FanOutError> {
        let subject = subject.into();
        if let Err(reason) = check_subject(&subject) {
            return Err(FanOutError::Subject { subject, reason });
        }
        if self.inner.fan_out.get().is_some() {
            return Err(FanOutError::AlreadyFansOut);
        }
        let client = match nats.into() {
            Nats::Client(client) => client,
            Nats::Url(url) => connect(&url).await?,
        };
        let nats_subject = Subject::from(subject.as_str());
        let subscriber =
            client.subscribe(nats_subject.clone()).await.map_err(|e| FanOutError::Subscribe(e.to_string()))?;
        match tokio::time::timeout(CONFIRM_TIMEOUT, round_trip(&client)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(FanOutError::Subscribe(e)),
            Err(_) => return Err(FanOutError::Subscribe(format!("not confirmed within {CONFIRM_TIMEOUT:?}"))),
        }
        let (queue, waiting) = mpsc::channel(self.inner.options.buffer.max(1));
        let (stop, stopped) = oneshot::channel();
        let fan_out = FanOut { client: client.clone(), subject: subject.clone(), queue, _stop: stop };
        if self.inner.fan_out.set(fan_out).is_err() {
            return Err(FanOutError::AlreadyFansOut);
        }
        let hub = Arc::downgrade(&self.inner);
        tokio::spawn(publishing(client.clone(), nats_subject.clone(), waiting, hub.clone()));
        tokio::spawn(subscribed(client, nats_subject, subscriber, hub, stopped));
        tracing::info!(subject, "WebSocket hub fans out through NATS");
        Ok(self)
    }

    /// The NATS subject this hub fans out through, if it does.
    pub fn fan_out_subject(&self) -> Option<&str> {
        self.inner.fan_out.get().map(|f| f.subject.as_str())
    }
}

/// Returns once the server has processed everything `client` sent before: a message on a
/// subject of its own comes back (the server handles one connection's messages in order, and
/// async-nats' `flush` only writes them out).
async fn round_trip(client: &Client) -> Result<(), String> {
    let inbox = client.new_inbox();
    let mut probe = client.subscribe(inbox.clone()).await.map_err(|e| e.to_string())?;
    client.publish(inbox, Bytes::new()).await.map_err(|e| e.to_string())?;
    client.flush().await.map_err(|e| e.to_string())?;
    match probe.next().await {
        Some(_) => Ok(()),
        None => Err("the connection closed".to_owned()),
    }
}

/// Connects to `url`, failing when no server answers; reconnects for the client's lifetime.
async fn connect(url: &str) -> Result<Client, FanOutError> {
    ConnectOptions::new()
        .name("triad-runtime hub fan-out")
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("NATS connection of the hub's fan-out is up"),
                async_nats::Event::Disconnected => {
                    tracing::warn!("NATS connection of the hub's fan-out lost; pushes fail until it is back")
                }
                other => tracing::warn!(event = %other, "NATS connection of the hub's fan-out"),
            }
        })
        .connect(url)
        .await
        .map_err(|e| FanOutError::Connect(e.to_string()))
}

/// Publishes the hub's pushes in order until the hub is dropped. A message that cannot be
/// handed to the client is counted as failed; a run of them is logged at its start and end.
async fn publishing(client: Client, subject: Subject, mut waiting: mpsc::Receiver<Bytes>, hub: Weak<Inner>) {
    let mut lost: u64 = 0;
    while let Some(payload) = waiting.recv().await {
        let failure = match client.connection_state() {
            Connection::Connected => {
                match tokio::time::timeout(CONFIRM_TIMEOUT, client.publish(subject.clone(), payload)).await {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(_) => Some(format!("not taken by the NATS client within {CONFIRM_TIMEOUT:?}")),
                }
            }
            Connection::Pending | Connection::Disconnected => Some("the NATS connection is down".to_owned()),
        };
        match failure {
            None if lost > 0 => {
                tracing::warn!(subject = %subject, lost, "publishing to NATS works again; messages pushed were lost");
                lost = 0;
            }
            None => {}
            Some(reason) => {
                if let Some(inner) = hub.upgrade() {
                    inner.counters.fan_out_failed.fetch_add(1, Ordering::Relaxed);
                }
                if lost == 0 {
                    tracing::warn!(subject = %subject, %reason, "a pushed message was not published to NATS and reaches no replica");
                }
                lost += 1;
            }
        }
    }
    if lost > 0 {
        tracing::warn!(subject = %subject, lost, "messages pushed were lost before the hub stopped");
    }
}

/// Queues what arrives on the subject for the hub's clients until the hub is dropped,
/// subscribing again should the subscription end.
async fn subscribed(
    client: Client,
    subject: Subject,
    mut subscriber: async_nats::Subscriber,
    hub: Weak<Inner>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut delay = RESUBSCRIBE_FIRST;
    loop {
        loop {
            let message = tokio::select! {
                _ = &mut stopped => return,
                message = subscriber.next() => message,
            };
            let Some(message) = message else { break };
            let Some(inner) = hub.upgrade() else { return };
            delay = RESUBSCRIBE_FIRST;
            match Utf8Bytes::try_from(message.payload) {
                Ok(text) => {
                    inner.counters.fan_out_received.fetch_add(1, Ordering::Relaxed);
                    inner.deliver(text);
                }
                Err(_) => {
                    inner.counters.fan_out_malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(subject = %subject, "a message on the fan-out subject is not UTF-8 text; skipped");
                }
            }
        }
        tracing::warn!(subject = %subject, "the fan-out's NATS subscription ended; subscribing again");
        subscriber = loop {
            tokio::select! {
                _ = &mut stopped => return,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(RESUBSCRIBE_MAX);
            match client.subscribe(subject.clone()).await {
                Ok(subscriber) => break subscriber,
                Err(e) => tracing::warn!(subject = %subject, error = %e, "subscribing to the fan-out subject failed"),
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::{check_subject, nats_subject};

    #[test]
    fn subjects_are_literal() {
        assert_eq!(check_subject(&nats_subject("triad.mews", "connector")), Ok(()));
        assert_eq!(check_subject("a-b_c.D9"), Ok(()));
        for bad in ["", ".a", "a.", "a..b", "a.*.b", "a.>", "a b", "a\tb", "a\u{7f}"] {
            assert!(check_subject(bad).is_err(), "{bad:?} accepted");
        }
    }
}

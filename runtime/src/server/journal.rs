//! The receiver's store: deliveries not yet handled, and the keys of recent deliveries for
//! finding duplicates, behind the [`Journal`] trait so that a shared engine can replace the
//! embedded one.
//!
//! Every change goes through [`Journal::commit`], which applies a list of [`Write`]s as one
//! atomic transaction made durable before it returns. The receiver gathers the writes of every
//! delivery waiting at the same moment into one such call (a *group commit*): one fsync then
//! covers them all, and each delivery is still answered only after its own write is durable.

use std::collections::{HashMap, VecDeque, hash_map};
use std::fmt;
use std::sync::Mutex;

use axum::body::Bytes;

/// A journal operation that failed (the store's own error, as text).
#[derive(Debug, Clone)]
pub struct JournalError(pub String);

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "journal: {}", self.0)
    }
}

impl std::error::Error for JournalError {}

/// What an [`Admit`] write did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// New: recorded durably (with its body when asked) under this sequence number.
    Stored(u64),
    /// Its key was seen within the window: nothing recorded.
    Duplicate,
    /// The journal holds `capacity` pending deliveries already: nothing recorded.
    Full,
    /// A delivery without a key whose body is identical to one admitted under this sequence
    /// number and not yet started: nothing recorded, the waiting one covers both (shared
    /// journals; the embedded one leaves coalescing to the receiver).
    Coalesced(u64),
}

/// One delivery waiting in (or given up by) the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number, in order of admission.
    pub seq: u64,
    /// The provider's delivery id, when it sent one.
    pub id: Option<String>,
    /// The raw body as received.
    pub body: Vec<u8>,
    /// The positions of the events already handled (an earlier attempt handled them and a
    /// later event failed), in order: a retry runs only the others.
    pub done: Vec<u32>,
}

/// The admission of one delivery: unless its `key` was seen less than `window_ms` before
/// `now_ms`, record the key and, when `keep` (journaled mode), store the body (and the
/// provider's `id`) as pending; a journal already holding `capacity` pending deliveries
/// refuses a new one.
#[derive(Debug, Clone)]
pub struct Admit {
    /// The duplicate key, for deliveries that carry the provider's id (the same id is the same
    /// delivery). `None` for deliveries known only by their body: an identical body may be a
    /// later change to the same entity, so the journal never calls it a duplicate.
    pub key: Option<Vec<u8>>,
    /// The provider's delivery id, kept with the body.
    pub id: Option<String>,
    /// The raw body.
    pub body: Bytes,
    /// Store the body as pending (journaled mode), or only remember the key (inline).
    pub keep: bool,
    /// Now, in milliseconds since the epoch.
    pub now_ms: u64,
    /// How long a key is remembered.
    pub window_ms: u64,
    /// Most pending deliveries the journal holds.
    pub capacity: u64,
}

/// One change of a [`Journal::commit`].
#[derive(Debug, Clone)]
pub enum Write {
    /// Admits a delivery (see [`Admit`]).
    Admit(Admit),
    /// Forgets a duplicate key, so that the provider's next attempt of a delivery whose
    /// handler failed (inline mode) is handled again.
    Forget(Vec<u8>),
    /// Removes a handled delivery.
    Complete(u64),
    /// Moves a delivery whose handlers kept failing out of the pending set, keeping its body.
    GiveUp(u64),
    /// Records the positions of the events of a pending delivery handled so far.
    Progress(u64, Vec<u32>),
    /// Moves a delivery from the failed set back to the pending set (its progress kept), for
    /// the receiver to handle on its next start.
    Requeue(u64),
    /// Deletes a delivery from the failed set.
    Purge(u64),
}

/// A durable store of deliveries. Every method is blocking; the receiver calls them off the
/// async threads. A write that returns `Ok` has reached stable storage.
pub trait Journal: Send + Sync + 'static {
    /// Applies `writes` in order as one atomic transaction, durable before it returns: one
    /// result per write, the admission for an [`Write::Admit`] and `None` for the others.
    fn commit(&self, writes: &[Write]) -> Result<Vec<Option<Admission>>, JournalError>;
    /// Every pending delivery, oldest first (replayed on start).
    fn pending(&self) -> Result<Vec<Entry>, JournalError>;
    /// One pending delivery.
    fn entry(&self, seq: u64) -> Result<Option<Entry>, JournalError>;
    /// Number of pending deliveries.
    fn pending_count(&self) -> Result<u64, JournalError>;
    /// Deliveries given up on, oldest first.
    fn failed(&self) -> Result<Vec<Entry>, JournalError>;

    /// Moves a failed delivery back to the pending set; false when no failed delivery has
    /// that sequence number.
    fn requeue(&self, seq: u64) -> Result<bool, JournalError> {
        if !self.failed()?.iter().any(|e| e.seq == seq) {
            return Ok(false);
        }
        self.commit(&[Write::Requeue(seq)]).map(|_| true)
    }
    /// Deletes a failed delivery; false when no failed delivery has that sequence number.
    fn purge(&self, seq: u64) -> Result<bool, JournalError> {
        if !self.failed()?.iter().any(|e| e.seq == seq) {
            return Ok(false);
        }
        self.commit(&[Write::Purge(seq)]).map(|_| true)
    }

    /// Admits one delivery in a transaction of its own.
    fn admit(&self, admit: Admit) -> Result<Admission, JournalError> {
        let done = self.commit(&[Write::Admit(admit)])?;
        done.into_iter().next().flatten().ok_or_else(|| JournalError("an admission without its result".into()))
    }
    /// Forgets one key in a transaction of its own.
    fn forget(&self, key: &[u8]) -> Result<(), JournalError> {
        self.commit(&[Write::Forget(key.to_vec())]).map(drop)
    }
    /// Removes one handled delivery in a transaction of its own.
    fn complete(&self, seq: u64) -> Result<(), JournalError> {
        self.commit(&[Write::Complete(seq)]).map(drop)
    }
    /// Gives up one delivery in a transaction of its own.
    fn give_up(&self, seq: u64) -> Result<(), JournalError> {
        self.commit(&[Write::GiveUp(seq)]).map(drop)
    }
}

/// The duplicate window of an inline receiver without a journal: keys in memory, each
/// remembered for the window and pruned from the old end as new ones arrive. Lost on exit.
/// A key is 32 bytes ([`MemoryKey`]), kept inline in the map and the queue: admitting a
/// delivery allocates nothing once the map has grown to the window's size.
#[derive(Debug, Default)]
pub(crate) struct MemoryWindow {
    inner: Mutex<WindowInner>,
}

/// A duplicate key of the in-memory window: the SHA-256 of the body for deliveries without a
/// provider id (the digest already computed, so no second hash), else the SHA-256 of `id:`
/// and the provider's id. The two never meet: a body equal to `id:...` is not JSON, so it is
/// never admitted.
pub(crate) type MemoryKey = [u8; 32];

#[derive(Debug, Default)]
struct WindowInner {
    seen: HashMap<MemoryKey, u64>,
    by_time: VecDeque<(u64, MemoryKey)>,
}

impl MemoryWindow {
    /// Records `key` unless it was seen less than `window_ms` before `now_ms`; true when new.
    pub(crate) fn admit(&self, key: &MemoryKey, now_ms: u64, window_ms: u64) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let WindowInner { seen, by_time } = &mut *inner;
        let cutoff = now_ms.saturating_sub(window_ms);
        while let Some((at, _)) = by_time.front() {
            if *at >= cutoff {
                break;
            }
            if let Some((at, old)) = by_time.pop_front() {
                // One probe each: the table can be large, and each probe a cache miss.
                if let hash_map::Entry::Occupied(entry) = seen.entry(old) {
                    if *entry.get() == at {
                        entry.remove();
                    }
                }
            }
        }
        match seen.entry(*key) {
            hash_map::Entry::Occupied(entry) if *entry.get() >= cutoff => return false,
            entry => {
                entry.insert_entry(now_ms);
            }
        }
        by_time.push_back((now_ms, *key));
        true
    }

    /// Forgets `key`, so that the next delivery carrying it is new.
    pub(crate) fn forget(&self, key: &MemoryKey) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).seen.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_window_finds_duplicates_within_the_window_and_forgets() {
        let w = MemoryWindow::default();
        let (k, other, late) = ([1; 32], [2; 32], [3; 32]);
        assert!(w.admit(&k, 1_000, 500));
        assert!(!w.admit(&k, 1_400, 500));
        assert!(w.admit(&other, 1_400, 500));
        assert!(w.admit(&k, 1_600, 500), "past the window the key is new again");
        assert!(!w.admit(&k, 1_700, 500));
        w.forget(&k);
        assert!(w.admit(&k, 1_800, 500), "a forgotten key is new");
        // The old end is pruned as time moves on.
        assert!(w.admit(&late, 10_000, 500));
        assert_eq!(w.inner.lock().unwrap().seen.len(), 1);
    }
}

//! The receiver's store: deliveries not yet handled, and the keys of recent deliveries for
//! finding duplicates, behind the [`Journal`] trait so that a shared engine can replace the
//! embedded one.

use std::fmt;
use std::path::Path;

use redb::{Database, Durability, ReadableTable, ReadableTableMetadata, TableDefinition};

/// Deliveries accepted and not yet handled: sequence number → raw body.
const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");
/// Deliveries whose handlers kept failing: sequence number → raw body.
const FAILED: TableDefinition<u64, &[u8]> = TableDefinition::new("failed");
/// Duplicate keys → when (milliseconds since the epoch) the delivery was first seen.
const SEEN: TableDefinition<&[u8], u64> = TableDefinition::new("seen");
/// The same keys ordered by time, so the window can be pruned from its old end.
const SEEN_BY_TIME: TableDefinition<(u64, &[u8]), ()> = TableDefinition::new("seen_by_time");
/// Counters that survive restarts (`next`: the next sequence number).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Keys older than the window removed per admission, so pruning never stalls a delivery.
const PRUNE_PER_ADMIT: usize = 64;

/// A journal operation that failed (the store's own error, as text).
#[derive(Debug, Clone)]
pub struct JournalError(pub String);

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "journal: {}", self.0)
    }
}

impl std::error::Error for JournalError {}

fn err(e: impl fmt::Display) -> JournalError {
    JournalError(e.to_string())
}

/// What [`Journal::admit`] did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// New: recorded durably (with its body when asked) under this sequence number.
    Stored(u64),
    /// Its key was seen within the window: nothing recorded.
    Duplicate,
    /// The journal holds `capacity` pending deliveries already: nothing recorded.
    Full,
}

/// One delivery waiting in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number, in order of admission.
    pub seq: u64,
    /// The raw body as received.
    pub body: Vec<u8>,
}

/// A durable store of deliveries. Every method is blocking; the receiver calls them off the
/// async threads. A write that returns `Ok` has reached stable storage.
pub trait Journal: Send + Sync + 'static {
    /// In one atomic, durable step: unless `key` was seen less than `window_ms` before
    /// `now_ms`, records it and, when `keep` (journaled mode), stores `body` as pending; a
    /// journal already holding `capacity` pending deliveries refuses a new one.
    fn admit(
        &self,
        key: &[u8],
        body: &[u8],
        keep: bool,
        now_ms: u64,
        window_ms: u64,
        capacity: u64,
    ) -> Result<Admission, JournalError>;
    /// Forgets `key`, so that the provider's next attempt of a delivery whose handler failed
    /// (inline mode) is handled again.
    fn forget(&self, key: &[u8]) -> Result<(), JournalError>;
    /// Every pending delivery, oldest first (replayed on start).
    fn pending(&self) -> Result<Vec<Entry>, JournalError>;
    /// The body of one pending delivery.
    fn body(&self, seq: u64) -> Result<Option<Vec<u8>>, JournalError>;
    /// Removes a handled delivery.
    fn complete(&self, seq: u64) -> Result<(), JournalError>;
    /// Moves a delivery whose handlers kept failing out of the pending set, keeping its body.
    fn give_up(&self, seq: u64) -> Result<(), JournalError>;
    /// Number of pending deliveries.
    fn pending_count(&self) -> Result<u64, JournalError>;
    /// Deliveries given up on, oldest first.
    fn failed(&self) -> Result<Vec<Entry>, JournalError>;
}

/// The embedded journal: one redb database file, each write a transaction made durable
/// (fsync) before it returns.
pub struct RedbJournal {
    db: Database,
}

impl fmt::Debug for RedbJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedbJournal")
    }
}

impl RedbJournal {
    /// Opens (or creates) the journal file `dir/journal.redb`, creating `dir` if needed.
    pub fn open(dir: &Path) -> Result<Self, JournalError> {
        std::fs::create_dir_all(dir).map_err(|e| JournalError(format!("{}: {e}", dir.display())))?;
        let path = dir.join("journal.redb");
        let db = Database::create(&path).map_err(|e| JournalError(format!("{}: {e}", path.display())))?;
        Self::init(db)
    }

    /// A journal in memory: duplicate detection for inline receivers, lost on exit.
    pub fn in_memory() -> Result<Self, JournalError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new()).map_err(err)?;
        Self::init(db)
    }

    fn init(db: Database) -> Result<Self, JournalError> {
        let tx = db.begin_write().map_err(err)?;
        {
            tx.open_table(PENDING).map_err(err)?;
            tx.open_table(FAILED).map_err(err)?;
            tx.open_table(SEEN).map_err(err)?;
            tx.open_table(SEEN_BY_TIME).map_err(err)?;
            tx.open_table(META).map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(Self { db })
    }

    fn write(&self, f: impl FnOnce(&redb::WriteTransaction) -> Result<(), JournalError>) -> Result<(), JournalError> {
        let mut tx = self.db.begin_write().map_err(err)?;
        tx.set_durability(Durability::Immediate);
        f(&tx)?;
        tx.commit().map_err(err)
    }

    fn list(&self, table: TableDefinition<u64, &[u8]>) -> Result<Vec<Entry>, JournalError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(table).map_err(err)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(err)? {
            let (seq, body) = row.map_err(err)?;
            out.push(Entry { seq: seq.value(), body: body.value().to_vec() });
        }
        Ok(out)
    }
}

impl Journal for RedbJournal {
    fn admit(
        &self,
        key: &[u8],
        body: &[u8],
        keep: bool,
        now_ms: u64,
        window_ms: u64,
        capacity: u64,
    ) -> Result<Admission, JournalError> {
        let mut outcome = Admission::Duplicate;
        self.write(|tx| {
            let mut seen = tx.open_table(SEEN).map_err(err)?;
            let mut by_time = tx.open_table(SEEN_BY_TIME).map_err(err)?;
            let cutoff = now_ms.saturating_sub(window_ms);
            // Prune a bounded number of keys that have left the window.
            let old: Vec<(u64, Vec<u8>)> = by_time
                .range::<(u64, &[u8])>(..(cutoff, &[][..]))
                .map_err(err)?
                .take(PRUNE_PER_ADMIT)
                .map(|row| row.map(|(k, _)| (k.value().0, k.value().1.to_vec())))
                .collect::<Result<_, _>>()
                .map_err(err)?;
            for (at, old_key) in &old {
                by_time.remove((*at, old_key.as_slice())).map_err(err)?;
                if seen.get(old_key.as_slice()).map_err(err)?.map(|v| v.value()) == Some(*at) {
                    seen.remove(old_key.as_slice()).map_err(err)?;
                }
            }
            let previous = seen.get(key).map_err(err)?.map(|v| v.value());
            if previous.is_some_and(|at| at >= cutoff) {
                return Ok(());
            }
            let mut pending = tx.open_table(PENDING).map_err(err)?;
            if keep && pending.len().map_err(err)? >= capacity {
                outcome = Admission::Full;
                return Ok(());
            }
            if let Some(at) = previous {
                by_time.remove((at, key)).map_err(err)?;
            }
            seen.insert(key, now_ms).map_err(err)?;
            by_time.insert((now_ms, key), ()).map_err(err)?;
            let mut meta = tx.open_table(META).map_err(err)?;
            let seq = meta.get("next").map_err(err)?.map(|v| v.value()).unwrap_or(0);
            meta.insert("next", seq + 1).map_err(err)?;
            if keep {
                pending.insert(seq, body).map_err(err)?;
            }
            outcome = Admission::Stored(seq);
            Ok(())
        })?;
        Ok(outcome)
    }

    fn forget(&self, key: &[u8]) -> Result<(), JournalError> {
        self.write(|tx| {
            let mut seen = tx.open_table(SEEN).map_err(err)?;
            let at = seen.remove(key).map_err(err)?.map(|v| v.value());
            if let Some(at) = at {
                tx.open_table(SEEN_BY_TIME).map_err(err)?.remove((at, key)).map_err(err)?;
            }
            Ok(())
        })
    }

    fn pending(&self) -> Result<Vec<Entry>, JournalError> {
        self.list(PENDING)
    }

    fn body(&self, seq: u64) -> Result<Option<Vec<u8>>, JournalError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(PENDING).map_err(err)?;
        Ok(table.get(seq).map_err(err)?.map(|v| v.value().to_vec()))
    }

    fn complete(&self, seq: u64) -> Result<(), JournalError> {
        self.write(|tx| {
            tx.open_table(PENDING).map_err(err)?.remove(seq).map_err(err)?;
            Ok(())
        })
    }

    fn give_up(&self, seq: u64) -> Result<(), JournalError> {
        self.write(|tx| {
            let body = tx.open_table(PENDING).map_err(err)?.remove(seq).map_err(err)?.map(|v| v.value().to_vec());
            if let Some(body) = body {
                tx.open_table(FAILED).map_err(err)?.insert(seq, body.as_slice()).map_err(err)?;
            }
            Ok(())
        })
    }

    fn pending_count(&self) -> Result<u64, JournalError> {
        let tx = self.db.begin_read().map_err(err)?;
        tx.open_table(PENDING).map_err(err)?.len().map_err(err)
    }

    fn failed(&self) -> Result<Vec<Entry>, JournalError> {
        self.list(FAILED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_within_the_window_only() {
        let j = RedbJournal::in_memory().unwrap();
        assert_eq!(j.admit(b"k", b"{}", true, 1_000, 500, 10).unwrap(), Admission::Stored(0));
        assert_eq!(j.admit(b"k", b"{}", true, 1_400, 500, 10).unwrap(), Admission::Duplicate);
        assert_eq!(j.admit(b"other", b"{}", true, 1_400, 500, 10).unwrap(), Admission::Stored(1));
        // Past the window the same key is new again (and the old key was pruned).
        assert_eq!(j.admit(b"k", b"{}", true, 1_600, 500, 10).unwrap(), Admission::Stored(2));
        assert_eq!(j.pending_count().unwrap(), 3);
    }

    #[test]
    fn full_journal_refuses_and_forget_allows_a_retry() {
        let j = RedbJournal::in_memory().unwrap();
        assert_eq!(j.admit(b"a", b"1", true, 0, 10, 1).unwrap(), Admission::Stored(0));
        assert_eq!(j.admit(b"b", b"2", true, 0, 10, 1).unwrap(), Admission::Full);
        // A refused delivery was not recorded: once there is room it is accepted.
        j.complete(0).unwrap();
        assert_eq!(j.admit(b"b", b"2", true, 1, 10, 1).unwrap(), Admission::Stored(1));
        // Inline mode keeps no body; a forgotten key is new again.
        assert_eq!(j.admit(b"c", b"3", false, 1, 10, 1).unwrap(), Admission::Stored(2));
        assert_eq!(j.admit(b"c", b"3", false, 2, 10, 1).unwrap(), Admission::Duplicate);
        j.forget(b"c").unwrap();
        assert_eq!(j.admit(b"c", b"3", false, 3, 10, 1).unwrap(), Admission::Stored(3));
    }

    #[test]
    fn pending_survives_reopening_and_give_up_keeps_the_body() {
        let dir = tempfile::tempdir().unwrap();
        {
            let j = RedbJournal::open(dir.path()).unwrap();
            j.admit(b"a", b"first", true, 0, 10, 10).unwrap();
            j.admit(b"b", b"second", true, 0, 10, 10).unwrap();
            j.admit(b"c", b"third", true, 0, 10, 10).unwrap();
            j.complete(0).unwrap();
            j.give_up(2).unwrap();
        }
        let j = RedbJournal::open(dir.path()).unwrap();
        assert_eq!(j.pending().unwrap(), vec![Entry { seq: 1, body: b"second".to_vec() }]);
        assert_eq!(j.failed().unwrap(), vec![Entry { seq: 2, body: b"third".to_vec() }]);
        assert_eq!(j.body(1).unwrap(), Some(b"second".to_vec()));
        assert_eq!(j.admit(b"b", b"again", true, 5, 10, 10).unwrap(), Admission::Duplicate);
        assert_eq!(j.admit(b"d", b"fourth", true, 5, 10, 10).unwrap(), Admission::Stored(3));
    }
}

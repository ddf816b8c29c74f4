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
use std::path::Path;
use std::sync::Mutex;

use axum::body::Bytes;
use redb::{Database, Durability, ReadableTable, ReadableTableMetadata, TableDefinition};

/// Deliveries accepted and not yet handled: sequence number → raw body.
const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");
/// Deliveries whose handlers kept failing: sequence number → raw body.
const FAILED: TableDefinition<u64, &[u8]> = TableDefinition::new("failed");
/// The provider's delivery ids of pending and failed deliveries that came with one.
const IDS: TableDefinition<u64, &str> = TableDefinition::new("ids");
/// Duplicate keys → when (milliseconds since the epoch) the delivery was first seen.
const SEEN: TableDefinition<&[u8], u64> = TableDefinition::new("seen");
/// The same keys ordered by time, so the window can be pruned from its old end.
const SEEN_BY_TIME: TableDefinition<(u64, &[u8]), ()> = TableDefinition::new("seen_by_time");
/// Counters that survive restarts (`next`: the next sequence number).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// The events of a pending or failed delivery already handled, by sequence number: their
/// positions in the batch, each a little-endian `u32`. A retry runs only the others.
const PROGRESS: TableDefinition<u64, &[u8]> = TableDefinition::new("progress");

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

/// What an [`Admit`] write did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// New: recorded durably (with its body when asked) under this sequence number.
    Stored(u64),
    /// Its key was seen within the window: nothing recorded.
    Duplicate,
    /// The journal holds `capacity` pending deliveries already: nothing recorded.
    Full,
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

/// The embedded journal: one redb database file, each commit a transaction made durable
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
    /// Opens (or creates) the journal file `dir/journal.redb`, creating `dir` if needed. The
    /// journal holds raw bodies, which may carry secrets (Mews integration events carry an
    /// `AccessToken`): on Unix the folder is made readable by its owner only (0700) and the
    /// file too (0600), whatever the umask, and so are ones that already exist. Only one
    /// process can have the journal open: another gets an error saying it is in use.
    pub fn open(dir: &Path) -> Result<Self, JournalError> {
        fn at(path: &Path) -> impl Fn(std::io::Error) -> JournalError + '_ {
            move |e| JournalError(format!("{}: {e}", path.display()))
        }
        std::fs::create_dir_all(dir).map_err(at(dir))?;
        let path = dir.join("journal.redb");
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(at(dir))?;
            std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(&path).map_err(at(&path))?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(at(&path))?;
        }
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => JournalError(format!(
                "{}: the journal is in use by another process (a running receiver?)",
                path.display()
            )),
            e => JournalError(format!("{}: {e}", path.display())),
        })?;
        Self::init(db)
    }

    /// A journal in memory, lost on exit.
    pub fn in_memory() -> Result<Self, JournalError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new()).map_err(err)?;
        Self::init(db)
    }

    fn init(db: Database) -> Result<Self, JournalError> {
        let tx = db.begin_write().map_err(err)?;
        {
            tx.open_table(PENDING).map_err(err)?;
            tx.open_table(FAILED).map_err(err)?;
            tx.open_table(IDS).map_err(err)?;
            tx.open_table(SEEN).map_err(err)?;
            tx.open_table(SEEN_BY_TIME).map_err(err)?;
            tx.open_table(META).map_err(err)?;
            tx.open_table(PROGRESS).map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(Self { db })
    }

    fn list(&self, table: TableDefinition<u64, &[u8]>) -> Result<Vec<Entry>, JournalError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(table).map_err(err)?;
        let ids = tx.open_table(IDS).map_err(err)?;
        let progress = tx.open_table(PROGRESS).map_err(err)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(err)? {
            let (seq, body) = row.map_err(err)?;
            let seq = seq.value();
            let id = ids.get(seq).map_err(err)?.map(|v| v.value().to_owned());
            let done = progress.get(seq).map_err(err)?.map(|v| decode_done(v.value())).unwrap_or_default();
            out.push(Entry { seq, id, body: body.value().to_vec(), done });
        }
        Ok(out)
    }
}

/// Event positions as stored in [`PROGRESS`]: little-endian `u32`s.
fn encode_done(done: &[u32]) -> Vec<u8> {
    done.iter().flat_map(|i| i.to_le_bytes()).collect()
}

fn decode_done(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// The tables one commit writes, opened once for all its writes.
struct Tables<'t> {
    pending: redb::Table<'t, u64, &'static [u8]>,
    failed: redb::Table<'t, u64, &'static [u8]>,
    ids: redb::Table<'t, u64, &'static str>,
    seen: redb::Table<'t, &'static [u8], u64>,
    by_time: redb::Table<'t, (u64, &'static [u8]), ()>,
    meta: redb::Table<'t, &'static str, u64>,
    progress: redb::Table<'t, u64, &'static [u8]>,
}

impl Tables<'_> {
    fn admit(&mut self, a: &Admit) -> Result<Admission, JournalError> {
        let cutoff = a.now_ms.saturating_sub(a.window_ms);
        // Prune a bounded number of keys that have left the window.
        let old: Vec<(u64, Vec<u8>)> = self
            .by_time
            .range::<(u64, &[u8])>(..(cutoff, &[][..]))
            .map_err(err)?
            .take(PRUNE_PER_ADMIT)
            .map(|row| row.map(|(k, _)| (k.value().0, k.value().1.to_vec())))
            .collect::<Result<_, _>>()
            .map_err(err)?;
        for (at, old_key) in &old {
            self.by_time.remove((*at, old_key.as_slice())).map_err(err)?;
            if self.seen.get(old_key.as_slice()).map_err(err)?.map(|v| v.value()) == Some(*at) {
                self.seen.remove(old_key.as_slice()).map_err(err)?;
            }
        }
        let previous = match &a.key {
            Some(key) => self.seen.get(key.as_slice()).map_err(err)?.map(|v| v.value()),
            None => None,
        };
        if previous.is_some_and(|at| at >= cutoff) {
            return Ok(Admission::Duplicate);
        }
        if a.keep && self.pending.len().map_err(err)? >= a.capacity {
            return Ok(Admission::Full);
        }
        if let Some(key) = &a.key {
            let key = key.as_slice();
            if let Some(at) = previous {
                self.by_time.remove((at, key)).map_err(err)?;
            }
            self.seen.insert(key, a.now_ms).map_err(err)?;
            self.by_time.insert((a.now_ms, key), ()).map_err(err)?;
        }
        let seq = self.meta.get("next").map_err(err)?.map(|v| v.value()).unwrap_or(0);
        self.meta.insert("next", seq + 1).map_err(err)?;
        if a.keep {
            self.pending.insert(seq, a.body.as_ref()).map_err(err)?;
            if let Some(id) = &a.id {
                self.ids.insert(seq, id.as_str()).map_err(err)?;
            }
        }
        Ok(Admission::Stored(seq))
    }

    fn apply(&mut self, write: &Write) -> Result<Option<Admission>, JournalError> {
        match write {
            Write::Admit(a) => return self.admit(a).map(Some),
            Write::Forget(key) => {
                let at = self.seen.remove(key.as_slice()).map_err(err)?.map(|v| v.value());
                if let Some(at) = at {
                    self.by_time.remove((at, key.as_slice())).map_err(err)?;
                }
            }
            Write::Complete(seq) => {
                self.pending.remove(*seq).map_err(err)?;
                self.ids.remove(*seq).map_err(err)?;
                self.progress.remove(*seq).map_err(err)?;
            }
            Write::GiveUp(seq) => {
                let body = self.pending.remove(*seq).map_err(err)?.map(|v| v.value().to_vec());
                if let Some(body) = body {
                    self.failed.insert(*seq, body.as_slice()).map_err(err)?;
                }
            }
            Write::Progress(seq, done) => {
                if self.pending.get(*seq).map_err(err)?.is_some() {
                    self.progress.insert(*seq, encode_done(done).as_slice()).map_err(err)?;
                }
            }
            Write::Requeue(seq) => {
                let body = self.failed.remove(*seq).map_err(err)?.map(|v| v.value().to_vec());
                if let Some(body) = body {
                    self.pending.insert(*seq, body.as_slice()).map_err(err)?;
                }
            }
            Write::Purge(seq) => {
                if self.failed.remove(*seq).map_err(err)?.is_some() {
                    self.ids.remove(*seq).map_err(err)?;
                    self.progress.remove(*seq).map_err(err)?;
                }
            }
        }
        Ok(None)
    }
}

impl Journal for RedbJournal {
    fn commit(&self, writes: &[Write]) -> Result<Vec<Option<Admission>>, JournalError> {
        let mut tx = self.db.begin_write().map_err(err)?;
        tx.set_durability(Durability::Immediate);
        let done = {
            let mut tables = Tables {
                pending: tx.open_table(PENDING).map_err(err)?,
                failed: tx.open_table(FAILED).map_err(err)?,
                ids: tx.open_table(IDS).map_err(err)?,
                seen: tx.open_table(SEEN).map_err(err)?,
                by_time: tx.open_table(SEEN_BY_TIME).map_err(err)?,
                meta: tx.open_table(META).map_err(err)?,
                progress: tx.open_table(PROGRESS).map_err(err)?,
            };
            writes.iter().map(|w| tables.apply(w)).collect::<Result<Vec<_>, _>>()?
        };
        tx.commit().map_err(err)?;
        Ok(done)
    }

    fn pending(&self) -> Result<Vec<Entry>, JournalError> {
        self.list(PENDING)
    }

    fn entry(&self, seq: u64) -> Result<Option<Entry>, JournalError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(PENDING).map_err(err)?;
        let Some(body) = table.get(seq).map_err(err)?.map(|v| v.value().to_vec()) else { return Ok(None) };
        let id = tx.open_table(IDS).map_err(err)?.get(seq).map_err(err)?.map(|v| v.value().to_owned());
        let done = tx.open_table(PROGRESS).map_err(err)?.get(seq).map_err(err)?.map(|v| decode_done(v.value()));
        Ok(Some(Entry { seq, id, body, done: done.unwrap_or_default() }))
    }

    fn pending_count(&self) -> Result<u64, JournalError> {
        let tx = self.db.begin_read().map_err(err)?;
        tx.open_table(PENDING).map_err(err)?.len().map_err(err)
    }

    fn failed(&self) -> Result<Vec<Entry>, JournalError> {
        self.list(FAILED)
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

    fn admit(
        j: &RedbJournal,
        key: &[u8],
        body: &[u8],
        keep: bool,
        now_ms: u64,
        window_ms: u64,
        capacity: u64,
    ) -> Admission {
        let a = Admit {
            key: Some(key.to_vec()),
            id: None,
            body: Bytes::copy_from_slice(body),
            keep,
            now_ms,
            window_ms,
            capacity,
        };
        j.admit(a).unwrap()
    }

    #[test]
    fn duplicates_within_the_window_only() {
        let j = RedbJournal::in_memory().unwrap();
        assert_eq!(admit(&j, b"k", b"{}", true, 1_000, 500, 10), Admission::Stored(0));
        assert_eq!(admit(&j, b"k", b"{}", true, 1_400, 500, 10), Admission::Duplicate);
        assert_eq!(admit(&j, b"other", b"{}", true, 1_400, 500, 10), Admission::Stored(1));
        // Past the window the same key is new again (and the old key was pruned).
        assert_eq!(admit(&j, b"k", b"{}", true, 1_600, 500, 10), Admission::Stored(2));
        assert_eq!(j.pending_count().unwrap(), 3);
    }

    #[test]
    fn deliveries_without_a_key_are_never_duplicates() {
        let j = RedbJournal::in_memory().unwrap();
        let a = |now_ms| Admit {
            key: None,
            id: None,
            body: Bytes::from_static(b"{}"),
            keep: true,
            now_ms,
            window_ms: 500,
            capacity: 2,
        };
        assert_eq!(j.admit(a(1_000)).unwrap(), Admission::Stored(0));
        assert_eq!(j.admit(a(1_001)).unwrap(), Admission::Stored(1));
        assert_eq!(j.admit(a(1_002)).unwrap(), Admission::Full);
        assert_eq!(j.pending_count().unwrap(), 2);
    }

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

    #[test]
    fn one_commit_applies_every_write_in_order() {
        let j = RedbJournal::in_memory().unwrap();
        let a = |key: &[u8], id: Option<&str>| {
            Write::Admit(Admit {
                key: Some(key.to_vec()),
                id: id.map(str::to_owned),
                body: Bytes::copy_from_slice(key),
                keep: true,
                now_ms: 0,
                window_ms: 10,
                capacity: 3,
            })
        };
        let done =
            j.commit(&[a(b"x", Some("msg_1")), a(b"x", None), a(b"y", None), a(b"z", None), a(b"w", None)]).unwrap();
        // The second `x` is a duplicate of the first in the same commit; `w` finds it full.
        assert_eq!(
            done,
            vec![
                Some(Admission::Stored(0)),
                Some(Admission::Duplicate),
                Some(Admission::Stored(1)),
                Some(Admission::Stored(2)),
                Some(Admission::Full)
            ]
        );
        assert_eq!(
            j.entry(0).unwrap(),
            Some(Entry { seq: 0, id: Some("msg_1".into()), body: b"x".to_vec(), done: vec![] })
        );
        let done = j.commit(&[Write::Complete(0), Write::GiveUp(1), a(b"w", None)]).unwrap();
        assert_eq!(done, vec![None, None, Some(Admission::Stored(3))]);
        assert_eq!(j.entry(0).unwrap(), None);
        assert_eq!(j.pending().unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(j.failed().unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn full_journal_refuses_and_forget_allows_a_retry() {
        let j = RedbJournal::in_memory().unwrap();
        assert_eq!(admit(&j, b"a", b"1", true, 0, 10, 1), Admission::Stored(0));
        assert_eq!(admit(&j, b"b", b"2", true, 0, 10, 1), Admission::Full);
        // A refused delivery was not recorded: once there is room it is accepted.
        j.complete(0).unwrap();
        assert_eq!(admit(&j, b"b", b"2", true, 1, 10, 1), Admission::Stored(1));
        // Inline mode keeps no body; a forgotten key is new again.
        assert_eq!(admit(&j, b"c", b"3", false, 1, 10, 1), Admission::Stored(2));
        assert_eq!(admit(&j, b"c", b"3", false, 2, 10, 1), Admission::Duplicate);
        j.forget(b"c").unwrap();
        assert_eq!(admit(&j, b"c", b"3", false, 3, 10, 1), Admission::Stored(3));
    }

    #[test]
    fn pending_survives_reopening_and_give_up_keeps_the_body() {
        let dir = tempfile::tempdir().unwrap();
        {
            let j = RedbJournal::open(dir.path()).unwrap();
            admit(&j, b"a", b"first", true, 0, 10, 10);
            admit(&j, b"b", b"second", true, 0, 10, 10);
            admit(&j, b"c", b"third", true, 0, 10, 10);
            j.complete(0).unwrap();
            j.give_up(2).unwrap();
        }
        let j = RedbJournal::open(dir.path()).unwrap();
        assert_eq!(j.pending().unwrap(), vec![Entry { seq: 1, id: None, body: b"second".to_vec(), done: vec![] }]);
        assert_eq!(j.failed().unwrap(), vec![Entry { seq: 2, id: None, body: b"third".to_vec(), done: vec![] }]);
        assert_eq!(j.entry(1).unwrap().map(|e| e.body), Some(b"second".to_vec()));
        assert_eq!(admit(&j, b"b", b"again", true, 5, 10, 10), Admission::Duplicate);
        assert_eq!(admit(&j, b"d", b"fourth", true, 5, 10, 10), Admission::Stored(3));
    }

    #[test]
    fn progress_requeue_and_purge() {
        let dir = tempfile::tempdir().unwrap();
        {
            let j = RedbJournal::open(dir.path()).unwrap();
            admit(&j, b"a", b"first", true, 0, 10, 10);
            admit(&j, b"b", b"second", true, 0, 10, 10);
            j.commit(&[Write::Progress(0, vec![0, 2]), Write::GiveUp(0), Write::GiveUp(1)]).unwrap();
            assert!(j.pending().unwrap().is_empty());
        }
        let j = RedbJournal::open(dir.path()).unwrap();
        let failed = j.failed().unwrap();
        assert_eq!(
            failed.iter().map(|e| (e.seq, e.done.clone())).collect::<Vec<_>>(),
            vec![(0, vec![0, 2]), (1, vec![])]
        );
        assert!(j.requeue(0).unwrap());
        assert!(!j.requeue(0).unwrap(), "no longer failed");
        assert_eq!(j.entry(0).unwrap().map(|e| e.done), Some(vec![0, 2]), "progress kept");
        assert!(j.purge(1).unwrap());
        assert!(!j.purge(7).unwrap());
        assert!(j.failed().unwrap().is_empty());
        j.complete(0).unwrap();
        assert!(j.pending().unwrap().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn journal_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal");
        std::fs::create_dir(&journal).unwrap();
        std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o777)).unwrap();
        let j = RedbJournal::open(&journal).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&journal), 0o700);
        assert_eq!(mode(&journal.join("journal.redb")), 0o600);
        // A second process (here: a second open) is told the journal is in use.
        let again = RedbJournal::open(&journal).unwrap_err();
        assert!(again.0.contains("in use"), "{again}");
        drop(j);
    }
}

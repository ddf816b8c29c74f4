//! [`RedbJournal`], the embedded [`Journal`]: one redb database file (feature `journal`).

use std::fmt;
use std::path::Path;

use redb::{Database, Durability, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::journal::{Admission, Admit, Entry, Journal, JournalError, Write};

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

fn err(e: impl fmt::Display) -> JournalError {
    JournalError(e.to_string())
}

/// Keys older than the window removed per admission, so pruning never stalls a delivery.
const PRUNE_PER_ADMIT: usize = 64;

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

#[cfg(test)]
mod tests {
    use axum::body::Bytes;

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

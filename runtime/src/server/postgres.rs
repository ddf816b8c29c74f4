//! [`PgJournal`], the [`SharedJournal`] on PostgreSQL (feature `postgres`).
//!
//! Tables live in one schema of their own (default `triad_journal`), created and migrated by
//! the journal itself: each migration is applied once, in order, under a session advisory lock
//! so that receivers starting together never race, and a schema written by a newer version is
//! refused. Claims use `FOR UPDATE SKIP LOCKED`, so workers of every process take due
//! deliveries without blocking each other; the database's clock decides due times and leases.
//! An admission notifies the schema's channel (`NOTIFY`, sent at commit), which wakes idle
//! workers of every process.
//!
//! Connections are plain TCP (no TLS): the journal is meant for a database on the same host or
//! private network as its receivers.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::sync::Notify;
use tokio_postgres::NoTls;

use super::journal::{Admission, Admit, Entry, JournalError};
use super::shared::{Claimed, JournalFuture, SharedJournal};

/// The migrations of the journal's schema, in order; `{s}` is the schema's name. Applied ones
/// are never edited: a change is a new migration.
const MIGRATIONS: &[&str] = &[
    // 1: deliveries (pending and failed), the duplicate window.
    "CREATE TABLE {s}.deliveries (
        seq bigserial PRIMARY KEY,
        provider_id text,
        digest bytea NOT NULL,
        body bytea NOT NULL,
        failed boolean NOT NULL DEFAULT false,
        attempts integer NOT NULL DEFAULT 0,
        due_at timestamptz NOT NULL DEFAULT now(),
        owner text,
        lease_until timestamptz,
        done integer[] NOT NULL DEFAULT '{}',
        coalesced integer NOT NULL DEFAULT 0,
        received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX deliveries_due ON {s}.deliveries (due_at, seq) WHERE NOT failed;
    CREATE INDEX deliveries_unstarted ON {s}.deliveries (digest)
        WHERE NOT failed AND attempts = 0 AND provider_id IS NULL;
    CREATE TABLE {s}.seen (key bytea PRIMARY KEY, at_ms bigint NOT NULL);
    CREATE INDEX seen_at ON {s}.seen (at_ms);",
];

/// Admissions between two prunings of the duplicate window's old end.
const PRUNE_EVERY: u64 = 256;
/// Keys removed per pruning at most, so pruning never stalls an admission.
const PRUNE_AT_MOST: i64 = 1000;
/// How long a count of pending deliveries serves the capacity check.
const COUNT_FOR: Duration = Duration::from_secs(1);

fn err(e: impl fmt::Display) -> JournalError {
    JournalError(e.to_string())
}

/// An error of the database, with its detail when it has one.
fn db(e: tokio_postgres::Error) -> JournalError {
    match e.as_db_error() {
        Some(d) => JournalError(format!("postgres: {} ({})", d.message(), d.code().code())),
        None => JournalError(format!("postgres: {e}")),
    }
}

/// The journal on PostgreSQL: a pool of connections to one database, tables in one schema.
pub struct PgJournal {
    pool: Pool,
    schema: String,
    /// Woken by the schema's notifications (admissions of every process) and local admissions.
    work: Arc<Notify>,
    admitted: AtomicU64,
    /// The last count of pending deliveries and when it was taken.
    count: std::sync::Mutex<Option<(Instant, u64)>>,
    listener: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for PgJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgJournal").field("schema", &self.schema).finish_non_exhaustive()
    }
}

impl Drop for PgJournal {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// True for a schema name the journal accepts: lowercase ASCII letters, digits and `_`, not
/// starting with a digit, at most 63 bytes (it is written into statements unquoted).
fn valid_schema(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl PgJournal {
    /// The schema used when none is given.
    pub const DEFAULT_SCHEMA: &'static str = "triad_journal";

    /// Connects to the database at `url` (`postgres://user@host:port/database`, or the
    /// key=value form), creates the schema `schema` and its tables if needed and applies the
    /// migrations this version knows, under an advisory lock. Must be called inside a Tokio
    /// runtime.
    pub async fn connect(url: &str, schema: &str) -> Result<Self, JournalError> {
        if !valid_schema(schema) {
            return Err(JournalError(format!(
                "schema `{schema}`: expected lowercase letters, digits and `_`, not starting with a digit, at most 63 bytes"
            )));
        }
        let config: tokio_postgres::Config = url.parse().map_err(|e| JournalError(format!("{}: {e}", redact(url))))?;
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(16)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(err)?;
        let client = pool.get().await.map_err(|e| JournalError(format!("{}: {e}", redact(url))))?;
        migrate(&client, schema).await?;
        drop(client);
        let work = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(config, schema.to_owned(), work.clone()));
        Ok(PgJournal {
            pool,
            schema: schema.to_owned(),
            work,
            admitted: AtomicU64::new(0),
            count: std::sync::Mutex::new(None),
            listener,
        })
    }

    /// The schema the journal's tables live in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// A connection of the journal's pool.
    pub(crate) async fn connection(&self) -> Result<Object, JournalError> {
        self.pool.get().await.map_err(|e| JournalError(format!("postgres pool: {e}")))
    }

    /// Runs one statement (`{s}` standing for the schema) on a connection of the pool; the
    /// number of rows it changed.
    async fn execute(
        &self,
        text: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, JournalError> {
        let client = self.connection().await?;
        client.execute(&self.sql(text), params).await.map_err(db)
    }

    /// Statement text with the schema's name in place of `{s}`.
    fn sql(&self, text: &str) -> String {
        text.replace("{s}", &self.schema)
    }

    /// Completes a delivery inside the handler's open transaction `tx` (a connection after
    /// `BEGIN`) and commits it; rolls back and answers false when `owner` no longer holds it.
    pub(crate) async fn complete_in(&self, tx: &Object, owner: &str, seq: u64) -> Result<bool, JournalError> {
        let seq = to_i64(seq)?;
        let removed = tx
            .execute(
                &self.sql("DELETE FROM {s}.deliveries WHERE seq = $1 AND owner = $2 AND NOT failed"),
                &[&seq, &owner],
            )
            .await
            .map_err(db)?;
        if removed == 0 {
            tx.batch_execute("ROLLBACK").await.map_err(db)?;
            return Ok(false);
        }
        tx.batch_execute("COMMIT").await.map_err(db)?;
        Ok(true)
    }

    async fn pending_estimate(&self, client: &Object) -> Result<u64, JournalError> {
        if let Some((at, count)) = *self.count.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < COUNT_FOR {
                return Ok(count);
            }
        }
        let row = client
            .query_one(&self.sql("SELECT count(*) FROM {s}.deliveries WHERE NOT failed"), &[])
            .await
            .map_err(db)?;
        let count = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0);
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), count));
        Ok(count)
    }

    async fn admit_now(&self, a: Admit) -> Result<Admission, JournalError> {
        let mut client = self.connection().await?;
        let now = to_i64(a.now_ms)?;
        let cutoff = to_i64(a.now_ms.saturating_sub(a.window_ms))?;
        if self.admitted.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == 0 {
            let prune = self.sql(
                "DELETE FROM {s}.seen WHERE key IN (SELECT key FROM {s}.seen WHERE at_ms < $1 ORDER BY at_ms LIMIT $2)",
            );
            client.execute(&prune, &[&cutoff, &PRUNE_AT_MOST]).await.map_err(db)?;
        }
        let capacity_full = a.keep && self.pending_estimate(&client).await? >= a.capacity;
        let tx = client.transaction().await.map_err(db)?;
        if let Some(key) = &a.key {
            let fresh = tx
                .query_opt(
                    &self.sql(
                        "INSERT INTO {s}.seen (key, at_ms) VALUES ($1, $2)
                         ON CONFLICT (key) DO UPDATE SET at_ms = EXCLUDED.at_ms WHERE {s}.seen.at_ms < $3
                         RETURNING 1",
                    ),
                    &[key, &now, &cutoff],
                )
                .await
                .map_err(db)?;
            if fresh.is_none() {
                tx.rollback().await.map_err(db)?;
                return Ok(Admission::Duplicate);
            }
        }
        if !a.keep {
            tx.commit().await.map_err(db)?;
            return Ok(Admission::Stored(0));
        }
        let digest: [u8; 32] = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&a.body)).into();
        let digest = digest.as_slice();
        if a.key.is_none() {
            // Locked here, an unstarted twin cannot be claimed before this commits; one a claim
            // holds is skipped (it has started).
            let twin = tx
                .query_opt(
                    &self.sql(
                        "UPDATE {s}.deliveries SET coalesced = coalesced + 1 WHERE seq = (
                            SELECT seq FROM {s}.deliveries
                            WHERE digest = $1 AND provider_id IS NULL AND NOT failed AND attempts = 0
                            LIMIT 1 FOR UPDATE SKIP LOCKED)
                         RETURNING seq",
                    ),
                    &[&digest],
                )
                .await
                .map_err(db)?;
            if let Some(row) = twin {
                tx.commit().await.map_err(db)?;
                return Ok(Admission::Coalesced(from_i64(row.get(0))));
            }
        }
        if capacity_full {
            tx.rollback().await.map_err(db)?;
            return Ok(Admission::Full);
        }
        let row = tx
            .query_one(
                &self.sql("INSERT INTO {s}.deliveries (provider_id, digest, body) VALUES ($1, $2, $3) RETURNING seq"),
                &[&a.id, &digest, &a.body.as_ref()],
            )
            .await
            .map_err(db)?;
        tx.execute("SELECT pg_notify($1, '')", &[&self.schema]).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        self.work.notify_waiters();
        Ok(Admission::Stored(from_i64(row.get(0))))
    }

    async fn entries(&self, failed: bool) -> Result<Vec<Entry>, JournalError> {
        let client = self.connection().await?;
        let rows = client
            .query(
                &self.sql("SELECT seq, provider_id, body, done FROM {s}.deliveries WHERE failed = $1 ORDER BY seq"),
                &[&failed],
            )
            .await
            .map_err(db)?;
        Ok(rows.iter().map(entry).collect())
    }
}

fn to_i64(n: u64) -> Result<i64, JournalError> {
    i64::try_from(n).map_err(|_| JournalError(format!("{n} is out of PostgreSQL's bigint range")))
}

fn from_i64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn done_ints(done: &[u32]) -> Vec<i32> {
    done.iter().filter_map(|&i| i32::try_from(i).ok()).collect()
}

fn entry(row: &tokio_postgres::Row) -> Entry {
    let done: Vec<i32> = row.get(3);
    Entry {
        seq: from_i64(row.get(0)),
        id: row.get(1),
        body: row.get(2),
        done: done.into_iter().filter_map(|i| u32::try_from(i).ok()).collect(),
    }
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if scheme < at => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Creates the schema and applies the migrations not yet applied, under an advisory lock.
async fn migrate(client: &Object, schema: &str) -> Result<(), JournalError> {
    let lock = format!("triad-journal:{schema}");
    client.execute("SELECT pg_advisory_lock(hashtext($1))", &[&lock]).await.map_err(db)?;
    let applied = apply(client, schema).await;
    let unlocked = client.execute("SELECT pg_advisory_unlock(hashtext($1))", &[&lock]).await.map_err(db);
    applied?;
    unlocked.map(drop)
}

async fn apply(client: &Object, schema: &str) -> Result<(), JournalError> {
    client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.migrations (
                 version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        ))
        .await
        .map_err(db)?;
    let row = client
        .query_one(&format!("SELECT coalesce(max(version), 0) FROM {schema}.migrations"), &[])
        .await
        .map_err(db)?;
    let current: i32 = row.get(0);
    let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    if current > known {
        return Err(JournalError(format!(
            "schema `{schema}` is at migration {current}, written by a newer version than this one (which knows {known})"
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current).unwrap_or(0)) {
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        let text = migration.replace("{s}", schema);
        client
            .batch_execute(&format!(
                "BEGIN; {text}; INSERT INTO {schema}.migrations (version) VALUES ({version}); COMMIT"
            ))
            .await
            .map_err(|e| JournalError(format!("schema `{schema}`, migration {version}: {}", db(e).0)))?;
    }
    Ok(())
}

/// Listens to the schema's channel on a connection of its own and wakes idle workers on each
/// notification; reconnects after an error (workers poll meanwhile).
async fn listen(config: tokio_postgres::Config, schema: String, work: Arc<Notify>) {
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let listening = async {
                    client.batch_execute(&format!("LISTEN {schema}")).await?;
                    // Keep the client alive while the connection runs.
                    std::future::pending::<Result<(), tokio_postgres::Error>>().await
                };
                let receive = async {
                    use futures_util::StreamExt;
                    let mut messages = std::pin::pin!(messages);
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => work.notify_waiters(),
                            Ok(_) => {}
                            Err(e) => return e,
                        }
                    }
                    work.notify_waiters();
                    std::future::pending().await
                };
                tokio::select! {
                    result = listening => {
                        if let Err(e) = result {
                            tracing::warn!(error = %e, "journal notifications: LISTEN failed; polling");
                        }
                    }
                    e = receive => tracing::warn!(error = %e, "journal notifications lost; reconnecting"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "journal notifications: cannot connect; polling"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl SharedJournal for PgJournal {
    fn admit(&self, admit: Admit) -> JournalFuture<'_, Admission> {
        Box::pin(self.admit_now(admit))
    }

    fn forget(&self, key: Vec<u8>) -> JournalFuture<'_, ()> {
        Box::pin(async move {
            let client = self.connection().await?;
            client.execute(&self.sql("DELETE FROM {s}.seen WHERE key = $1"), &[&key]).await.map_err(db)?;
            Ok(())
        })
    }

    fn claim(&self, owner: &str, max: usize, lease: Duration) -> JournalFuture<'_, Vec<Claimed>> {
        let owner = owner.to_owned();
        Box::pin(async move {
            let client = self.connection().await?;
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            let rows = client
                .query(
                    &self.sql(
                        "UPDATE {s}.deliveries d
                         SET owner = $1, lease_until = now() + $2 * interval '1 millisecond', attempts = d.attempts + 1
                         WHERE d.seq IN (
                             SELECT seq FROM {s}.deliveries
                             WHERE NOT failed AND due_at <= now() AND (lease_until IS NULL OR lease_until < now())
                             ORDER BY due_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
                         RETURNING d.seq, d.provider_id, d.body, d.done, d.attempts",
                    ),
                    &[&owner, &millis(lease), &max],
                )
                .await
                .map_err(db)?;
            let mut claimed: Vec<Claimed> = rows
                .iter()
                .map(|row| Claimed { entry: entry(row), attempt: u32::try_from(row.get::<_, i32>(4)).unwrap_or(1) })
                .collect();
            claimed.sort_by_key(|c| c.entry.seq);
            Ok(claimed)
        })
    }

    fn renew(&self, owner: &str, seqs: Vec<u64>, lease: Duration) -> JournalFuture<'_, ()> {
        let owner = owner.to_owned();
        Box::pin(async move {
            let seqs: Vec<i64> = seqs.into_iter().filter_map(|s| i64::try_from(s).ok()).collect();
            let client = self.connection().await?;
            client
                .execute(
                    &self.sql(
                        "UPDATE {s}.deliveries SET lease_until = now() + $3 * interval '1 millisecond'
                         WHERE owner = $1 AND seq = ANY($2) AND NOT failed",
                    ),
                    &[&owner, &seqs, &millis(lease)],
                )
                .await
                .map_err(db)?;
            Ok(())
        })
    }

    fn complete(&self, owner: &str, seq: u64) -> JournalFuture<'_, bool> {
        let owner = owner.to_owned();
        Box::pin(async move {
            let client = self.connection().await?;
            let removed = client
                .execute(
                    &self.sql("DELETE FROM {s}.deliveries WHERE seq = $1 AND owner = $2 AND NOT failed"),
                    &[&to_i64(seq)?, &owner],
                )
                .await
                .map_err(db)?;
            Ok(removed == 1)
        })
    }

    fn retry(&self, owner: &str, seq: u64, done: Vec<u32>, delay: Duration) -> JournalFuture<'_, bool> {
        let owner = owner.to_owned();
        Box::pin(async move {
            let changed = self
                .execute(
                    "UPDATE {s}.deliveries
                         SET owner = NULL, lease_until = NULL, done = $3, due_at = now() + $4 * interval '1 millisecond'
                         WHERE seq = $1 AND owner = $2 AND NOT failed",
                    &[&to_i64(seq)?, &owner, &done_ints(&done), &millis(delay)],
                )
                .await?;
            Ok(changed == 1)
        })
    }

    fn give_up(&self, owner: &str, seq: u64, done: Vec<u32>) -> JournalFuture<'_, bool> {
        let owner = owner.to_owned();
        Box::pin(async move {
            let changed = self
                .execute(
                    "UPDATE {s}.deliveries SET failed = true, owner = NULL, lease_until = NULL, done = $3
                         WHERE seq = $1 AND owner = $2 AND NOT failed",
                    &[&to_i64(seq)?, &owner, &done_ints(&done)],
                )
                .await?;
            Ok(changed == 1)
        })
    }

    fn wait(&self, timeout: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let _ = tokio::time::timeout(timeout, self.work.notified()).await;
        })
    }

    fn pending_count(&self) -> JournalFuture<'_, u64> {
        Box::pin(async move {
            let client = self.connection().await?;
            *self.count.lock().unwrap_or_else(|e| e.into_inner()) = None;
            self.pending_estimate(&client).await
        })
    }

    fn failed(&self) -> JournalFuture<'_, Vec<Entry>> {
        Box::pin(self.entries(true))
    }

    fn requeue(&self, seq: u64) -> JournalFuture<'_, bool> {
        Box::pin(async move {
            let changed = self
                .execute(
                    "UPDATE {s}.deliveries SET failed = false, attempts = 0, due_at = now()
                         WHERE seq = $1 AND failed",
                    &[&to_i64(seq)?],
                )
                .await?;
            if changed == 1 {
                self.execute("SELECT pg_notify($1, '')", &[&self.schema]).await?;
            }
            Ok(changed == 1)
        })
    }

    fn purge(&self, seq: u64) -> JournalFuture<'_, bool> {
        Box::pin(async move {
            let client = self.connection().await?;
            let removed = client
                .execute(&self.sql("DELETE FROM {s}.deliveries WHERE seq = $1 AND failed"), &[&to_i64(seq)?])
                .await
                .map_err(db)?;
            Ok(removed == 1)
        })
    }

    fn postgres(&self) -> Option<&PgJournal> {
        Some(self)
    }
}

/// The transaction a handler writes its own rows in ([`super::Delivery::pg_transaction`]):
/// one connection of the journal's pool after `BEGIN`, committed together with the mark that
/// the delivery was handled, or rolled back with everything in it.
pub struct PgTransaction<'a> {
    pub(crate) guard: tokio::sync::MappedMutexGuard<'a, Object>,
}

impl fmt::Debug for PgTransaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PgTransaction")
    }
}

impl std::ops::Deref for PgTransaction<'_> {
    type Target = tokio_postgres::Client;

    fn deref(&self) -> &tokio_postgres::Client {
        &self.guard
    }
}

/// The handler transaction of one delivery: opened on first use.
pub(crate) struct TxSlot {
    pub(crate) journal: Arc<dyn SharedJournal>,
    pub(crate) connection: tokio::sync::Mutex<Option<Object>>,
}

impl fmt::Debug for TxSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxSlot").finish_non_exhaustive()
    }
}

impl TxSlot {
    pub(crate) async fn open(&self) -> Result<PgTransaction<'_>, JournalError> {
        let mut guard = self.connection.lock().await;
        if guard.is_none() {
            let Some(pg) = self.journal.postgres() else {
                return Err(JournalError("this journal has no transactions".into()));
            };
            let connection = pg.connection().await?;
            connection.batch_execute("BEGIN").await.map_err(db)?;
            *guard = Some(connection);
        }
        tokio::sync::MutexGuard::try_map(guard, Option::as_mut)
            .map(|guard| PgTransaction { guard })
            .map_err(|_| JournalError("the transaction is gone".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked_and_passwords_redacted() {
        assert!(valid_schema("triad_journal"));
        assert!(valid_schema("t1"));
        assert!(!valid_schema("1t"));
        assert!(!valid_schema("a; DROP TABLE x"));
        assert!(!valid_schema("Upper"));
        assert!(!valid_schema(""));
        assert_eq!(redact("postgres://me:pw@host/db"), "postgres://me:***@host/db");
        assert_eq!(redact("postgres://me@host/db"), "postgres://me@host/db");
    }
}

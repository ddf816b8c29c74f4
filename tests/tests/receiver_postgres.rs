//! Receivers sharing one journal on the real PostgreSQL (127.0.0.1:5432): three `receiver`
//! example processes behind one burst with one SIGKILLed in the middle, and handlers whose own
//! rows commit together with the mark that their delivery was handled. Each test works in a
//! database of its own, dropped at the end.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use triad_runtime::server::{
    Body, Delivery, Dispatch, JournalOptions, Outcome, PgJournal, Receiver, SharedJournal, Verifier,
};

mod receiver_process;

use receiver_process::{digest, journal_tool, journal_tool_on_shared, post, three_receivers_burst};

const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A database of its own for one test, dropped (with its connections) when the test ends.
struct Database {
    name: String,
}

async fn admin() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&format!("{SERVER}/postgres"), tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432 (.ci/services starts it)");
    tokio::spawn(connection);
    client
}

impl Database {
    async fn create(prefix: &str) -> Database {
        let name = format!("{prefix}_{}_{:08x}", std::process::id(), fastrand_u32());
        admin().await.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        Database { name }
    }

    fn url(&self) -> String {
        format!("{SERVER}/{}", self.name)
    }

    async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let name = self.name.clone();
        // A runtime of its own: the test's may be shutting down.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let _ = admin().await.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            });
        })
        .join();
    }
}

fn fastrand_u32() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    nanos ^ std::process::id().rotate_left(16)
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

/// Three receivers on one journal share a burst of 3,000 deliveries; one is SIGKILLed in the
/// middle. Every acknowledged delivery is handled, by one of the three; none twice except what
/// the killed process had in flight, which the others take over once its leases expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_receivers_share_a_burst_and_a_sigkilled_one_loses_nothing() {
    let database = Database::create("triad_three").await;
    let db = database.client().await;
    three_receivers_burst(&database.url(), async || {
        count(&db, "SELECT count(*) FROM triad_journal.deliveries").await == 0
    })
    .await;
}

/// The handler of the child receiver: per delivery, one row in `effects` written through the
/// journal's transaction. A body with `"pause": true` stops its first attempt after the write
/// (saying so on standard output) until the process is killed; one with `"fail": true` fails
/// its first attempt after the write.
struct Effects;

impl Dispatch for Effects {
    async fn dispatch(&self, delivery: &Delivery, _body: &Body<'_>) -> Vec<Outcome> {
        let text = String::from_utf8_lossy(&delivery.body).into_owned();
        let result: Result<(), triad_runtime::server::HandlerError> = async {
            let tx = delivery.pg_transaction().await?;
            tx.execute("INSERT INTO effects (digest) VALUES ($1)", &[&delivery.digest]).await?;
            if delivery.attempt == 1 && text.contains("\"pause\":true") {
                println!("wrote {}", delivery.digest);
                std::io::stdout().flush().ok();
                std::future::pending::<()>().await;
            }
            if delivery.attempt == 1 && text.contains("\"fail\":true") {
                return Err(triad_runtime::server::HandlerError("failing the first attempt".into()));
            }
            Ok(())
        }
        .await;
        vec![match result {
            Ok(()) => Outcome::Handled,
            Err(e) => Outcome::Failed(e),
        }]
    }
}

const CHILD: &str = "TRIAD_PG_RECEIVER_CHILD";

/// In the child process: a receiver of [`Effects`] on the journal at `url`, until killed.
async fn serve_child(url: &str) {
    let journal = PgJournal::connect(url, PgJournal::DEFAULT_SCHEMA).await.unwrap();
    let journal: Arc<dyn SharedJournal> = Arc::new(journal);
    let options = JournalOptions {
        workers: 2,
        lease: Duration::from_secs(2),
        backoff: Duration::from_millis(50),
        ..JournalOptions::default()
    };
    let receiver = Receiver::builder(Effects, Verifier::none()).journaled_shared(journal, options).start().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{}/webhooks", listener.local_addr().unwrap());
    std::io::stdout().flush().ok();
    receiver.serve(listener, std::future::pending()).await.unwrap();
}

/// Starts this test binary again as the child receiver; returns it with its URL and a channel
/// of the lines it writes after `listening on`.
fn spawn_child(url: &str) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "handler_rows_commit_with_the_handled_mark_or_not_at_all", "--nocapture", "--test-threads=1"])
        .env(CHILD, url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let address = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("the child receiver starts");
        // The test harness may have written `test NAME ... ` on the same line.
        if let Some((_, address)) = line.split_once("listening on ") {
            break address.to_owned();
        }
    };
    (child, address, rx)
}

/// Effectively once: a handler's rows and the handled mark commit together. A process killed
/// between the handler's write and the commit leaves no row (the transaction dies with it);
/// the delivery is taken over and its row written once. A failed attempt's rows roll back too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_rows_commit_with_the_handled_mark_or_not_at_all() {
    if let Ok(url) = std::env::var(CHILD) {
        serve_child(&url).await;
        return;
    }
    let database = Database::create("triad_once").await;
    let db = database.client().await;
    db.batch_execute("CREATE TABLE effects (id bigserial PRIMARY KEY, digest text NOT NULL)").await.unwrap();
    let (mut child, address, lines) = spawn_child(&database.url());
    let client = triad_runtime::client::reqwest::Client::new();
    let body = |n: u32, flag: &str| format!(r#"{{"Events":[],"n":{n}{flag}}}"#).into_bytes();
    let paused = body(0, r#","pause":true"#);
    let failing = body(1, r#","fail":true"#);
    assert_eq!(post(&client, &address, paused.clone()).await, Some(202));
    let wrote = loop {
        let line = lines.recv_timeout(Duration::from_secs(30)).expect("the handler writes its row");
        if let Some((_, digest)) = line.split_once("wrote ") {
            break digest.to_owned();
        }
    };
    assert_eq!(wrote, digest(&paused));
    // The row is written in the open transaction: not visible, and gone with the process.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM effects").await, 0, "the killed transaction left a row");
    let (mut child, address, _lines) = spawn_child(&database.url());
    let mut sent = vec![paused, failing.clone()];
    assert_eq!(post(&client, &address, failing).await, Some(202));
    for n in 2..202 {
        let b = body(n, "");
        assert_eq!(post(&client, &address, b.clone()).await, Some(202));
        sent.push(b);
    }
    let mut left = -1;
    for _ in 0..600 {
        left = count(&db, "SELECT count(*) FROM triad_journal.deliveries").await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "deliveries left in the journal");
    let rows = db.query("SELECT digest, count(*) FROM effects GROUP BY digest", &[]).await.unwrap();
    let per_digest: BTreeMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for b in &sent {
        assert_eq!(per_digest.get(&digest(b)), Some(&1), "one row for {}", String::from_utf8_lossy(b));
    }
    assert_eq!(per_digest.len(), sent.len());
    child.kill().unwrap();
    child.wait().unwrap();
}

fn admit(key: Option<&str>, body: &[u8], capacity: u64) -> triad_runtime::server::Admit {
    triad_runtime::server::Admit {
        key: key.map(|k| k.as_bytes().to_vec()),
        id: key.map(str::to_owned),
        body: body.to_vec().into(),
        keep: true,
        now_ms: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64,
        window_ms: 60_000,
        capacity,
    }
}

/// The journal's rules between two processes (two journals on one schema): duplicates by the
/// provider's id, coalescing of identical bodies not yet started, claims that exclude each
/// other until their lease expires, retries due later with their progress, the failed set,
/// capacity, and migrations applied once and refused from a newer version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_journals_on_one_schema_follow_the_shared_rules() {
    use triad_runtime::server::Admission;
    let database = Database::create("triad_rules").await;
    let url = database.url();
    // Two start at once: the advisory lock makes one migrate and the other wait.
    let (a, b) = tokio::join!(PgJournal::connect(&url, "rules"), PgJournal::connect(&url, "rules"));
    let (a, b) = (a.unwrap(), b.unwrap());
    let lease = Duration::from_millis(400);

    // The provider's id: a duplicate whichever process sees it, until forgotten.
    assert!(matches!(a.admit(admit(Some("d-1"), b"{\"n\":1}", 100)).await.unwrap(), Admission::Stored(_)));
    assert_eq!(b.admit(admit(Some("d-1"), b"{\"n\":1}", 100)).await.unwrap(), Admission::Duplicate);
    b.forget(b"d-1".to_vec()).await.unwrap();
    assert!(matches!(a.admit(admit(Some("d-1"), b"{\"n\":1}", 100)).await.unwrap(), Admission::Stored(_)));

    // Identical bodies without an id: coalesced while the first waits unclaimed, new after.
    let Admission::Stored(first) = a.admit(admit(None, b"{\"same\":1}", 100)).await.unwrap() else { panic!() };
    assert_eq!(b.admit(admit(None, b"{\"same\":1}", 100)).await.unwrap(), Admission::Coalesced(first));
    let claimed = a.claim("a", 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 3, "{claimed:?}");
    assert!(claimed.iter().all(|c| c.attempt == 1));
    assert!(matches!(b.admit(admit(None, b"{\"same\":1}", 100)).await.unwrap(), Admission::Stored(s) if s != first));

    // Claims exclude each other until the lease expires; then the other process takes over
    // and the first learns it has lost the delivery.
    let taken = b.claim("b", 10, lease).await.unwrap();
    assert_eq!(taken.len(), 1, "only the new delivery is free: {taken:?}");
    b.complete("b", taken[0].entry.seq).await.unwrap();
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    let over = b.claim("b", 10, lease).await.unwrap();
    assert_eq!(over.len(), 3);
    assert!(over.iter().all(|c| c.attempt == 2));
    assert!(!a.complete("a", first).await.unwrap(), "a claim taken over is not completed");
    assert!(b.complete("b", first).await.unwrap());

    assert!(b.complete("b", over[0].entry.seq).await.unwrap());
    // A retry is due after its delay, with the events handled so far.
    let second = over[1].entry.seq;
    assert!(b.retry("b", second, vec![0, 2], Duration::from_millis(300)).await.unwrap());
    assert!(a.claim("a", 10, lease).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = a.claim("a", 10, lease).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].entry.seq, again[0].attempt, again[0].entry.done.clone()), (second, 3, vec![0, 2]));

    // Given up: in the failed set, requeued to pending, or purged.
    assert!(a.give_up("a", second, vec![0]).await.unwrap());
    let failed = b.failed().await.unwrap();
    assert_eq!(failed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![second]);
    assert!(b.requeue(second).await.unwrap());
    assert!(!b.requeue(second).await.unwrap(), "no longer failed");
    let requeued = a.claim("a", 10, lease).await.unwrap();
    assert_eq!(requeued.iter().map(|c| c.entry.seq).collect::<Vec<_>>(), vec![second]);
    assert!(a.give_up("a", second, vec![]).await.unwrap());
    assert!(b.purge(second).await.unwrap());
    assert!(b.failed().await.unwrap().is_empty());

    // Capacity: pending deliveries (claimed or not) count.
    assert_eq!(a.pending_count().await.unwrap(), 0);
    assert!(matches!(a.admit(admit(None, b"{\"n\":8}", 1)).await.unwrap(), Admission::Stored(_)));
    assert_eq!(a.pending_count().await.unwrap(), 1);
    assert_eq!(a.admit(admit(None, b"{\"n\":9}", 1)).await.unwrap(), Admission::Full);

    // A schema migrated by a newer version is refused, saying so.
    let db = database.client().await;
    db.batch_execute("INSERT INTO rules.migrations (version) VALUES (99)").await.unwrap();
    let refused = PgJournal::connect(&url, "rules").await.unwrap_err();
    assert!(refused.to_string().contains("newer version"), "{refused}");
    let bad = PgJournal::connect(&url, "Robert'); DROP TABLE x").await.unwrap_err();
    assert!(bad.to_string().contains("expected lowercase"), "{bad}");
}

/// Counts the deliveries it is given.
struct Counting(Arc<std::sync::atomic::AtomicUsize>);

impl Dispatch for Counting {
    fn dispatch(&self, _delivery: &Delivery, _body: &Body<'_>) -> impl Future<Output = Vec<Outcome>> + Send {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { vec![Outcome::Handled] }
    }
}

/// A delivery whose claims keep dying with their processes (one that crashes its handler, say)
/// is not run again once it has been claimed more often than attempts allow: a worker moves it
/// to the failed set without handling it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_whose_claims_keep_dying_ends_in_the_failed_set() {
    let database = Database::create("triad_poison").await;
    let journal = Arc::new(PgJournal::connect(&database.url(), "poison").await.unwrap());
    let triad_runtime::server::Admission::Stored(seq) =
        journal.admit(admit(None, b"{\"Events\":[]}", 100)).await.unwrap()
    else {
        panic!()
    };
    // Two claims that never settle, as two processes killed while handling it.
    for attempt in 1..=2 {
        let claimed = journal.claim(&format!("dead-{attempt}"), 1, Duration::from_millis(100)).await.unwrap();
        assert_eq!(claimed.iter().map(|c| (c.entry.seq, c.attempt)).collect::<Vec<_>>(), vec![(seq, attempt)]);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let handled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let options = JournalOptions { max_attempts: 2, poll: Duration::from_millis(50), ..JournalOptions::default() };
    let shared: Arc<dyn SharedJournal> = journal.clone();
    let receiver = Receiver::builder(Counting(handled.clone()), Verifier::none())
        .journaled_shared(shared, options)
        .start()
        .unwrap();
    let mut failed = Vec::new();
    for _ in 0..100 {
        failed = journal.failed().await.unwrap();
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(failed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![seq]);
    assert_eq!(handled.load(std::sync::atomic::Ordering::SeqCst), 0, "not run a third time");
    assert_eq!(receiver.counters().given_up, 1);
    receiver.stop().await;
}

/// The `journal` example on a PostgreSQL journal in use: lists the failed set, purges and
/// requeues; a URL without the database answering is a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_tool_works_on_a_postgres_journal_in_use() {
    let database = Database::create("triad_tool").await;
    let journal = PgJournal::connect(&database.url(), PgJournal::DEFAULT_SCHEMA).await.unwrap();
    journal_tool_on_shared(&database.url(), &journal).await;
    let (code, _, err) = journal_tool(&format!("{SERVER}/{}_missing", database.name), &["list"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("_missing"), "{err}");
    let (code, _, err) = journal_tool("redis://127.0.0.1/0", &["list"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown scheme `redis`"), "{err}");
}

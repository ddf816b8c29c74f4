//! The generated `receiver` example of `mews-server` as a real child process, shared by the
//! tests that start it: its start, its JSON lines, posting deliveries to it.

// Each test file uses part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

pub const EXAMPLE: &str = env!("CARGO_BIN_EXE_mews-receiver-example");
pub const TOKEN: &str = "s3cret";

pub struct Example {
    pub child: Child,
    pub url: String,
}

/// Starts the example on a free port and waits for its `listening on` line.
pub fn spawn(extra: &[&str]) -> Example {
    let mut child = Command::new(EXAMPLE)
        .args(["--addr", "127.0.0.1:0", "--token", TOKEN])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line}")).to_owned();
    // Keep draining stderr so the child never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Example { child, url: format!("{url}?Token={TOKEN}") }
}

/// The JSON lines of a `--handled` file; a line cut by SIGKILL is incomplete only at the very
/// end, and left out.
pub fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

pub fn digest(body: &[u8]) -> String {
    triad_runtime::server::digest(body)
}

/// Posts `body` as JSON; the status, or `None` when the receiver cannot be reached.
pub fn post(
    client: &triad_runtime::client::reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> impl Future<Output = Option<u16>> {
    let request = client.post(url).header("content-type", "application/json").body(body);
    async move { request.send().await.ok().map(|r| r.status().as_u16()) }
}

/// A Mews general webhook with one `CustomerUpdated` event whose id is made of `n`.
pub fn batch(n: u32) -> Vec<u8> {
    let id = format!("00000000-0000-0000-0000-{n:012}");
    serde_json::to_vec(&json!({
        "EnterpriseId": "5d1f2c8e-7a41-4b93-9e0c-2f6a8b3d4c51",
        "IntegrationId": "a3c9e7b1-0d24-4f68-8b5a-1e7c9d3f2a60",
        "Events": [{"Discriminator": "CustomerUpdated", "Value": {"Id": id}}]
    }))
    .unwrap()
}

/// Three `receiver` examples on the shared journal at `journal` take a burst of 3,000
/// deliveries, spread over them as a load balancer would; the first is SIGKILLed once 600 are
/// acknowledged. Asserts that every acknowledged delivery is handled, that each process handled
/// a share, that the engine then holds nothing pending (`settled`, asked until the killed
/// process's leases have long expired), and that, counted once everything settled, none is
/// handled twice except one per worker of the killed process (its deliveries in flight, taken
/// over once their leases expire). Stops the survivors.
pub async fn three_receivers_burst(journal: &str, settled: impl AsyncFn() -> bool) {
    let url = journal;
    let dir = tempfile::tempdir().unwrap();
    let handled: Vec<_> = (0..3).map(|i| dir.path().join(format!("handled-{i}.jsonl"))).collect();
    let mut examples: Vec<_> =
        handled.iter().map(|file| spawn(&["--journal", url, "--handled", file.to_str().unwrap()])).collect();
    let urls: Vec<String> = examples.iter().map(|e| e.url.clone()).collect();
    let Burst { acknowledged, resent, tasks } = post_burst(&urls, 24, 3000);
    wait_acknowledged(&acknowledged, 600, Duration::from_secs(20)).await;
    examples[0].child.kill().unwrap(); // SIGKILL
    examples[0].child.wait().unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), 3000, "the two other receivers acknowledge the rest");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_process = [0usize; 3];
    // The killed process's leases expire after 15 s; then its claims are taken over.
    for _ in 0..1800 {
        counts.clear();
        for (i, file) in handled.iter().enumerate() {
            let lines = lines(file);
            per_process[i] = lines.len();
            for line in lines {
                *counts.entry(line["delivery"].as_str().unwrap().to_owned()).or_default() += 1;
            }
        }
        if acknowledged.iter().all(|d| counts.contains_key(d)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let missing = acknowledged.iter().filter(|d| !counts.contains_key(*d)).count();
    assert_eq!(missing, 0, "acknowledged deliveries never handled");
    // A claim the killed process held, or a message handed to a fetch that had already given
    // up, comes back once its lease (15 s) expires: wait for the engine to hold nothing.
    let mut empty = false;
    for _ in 0..600 {
        if settled().await {
            empty = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(empty, "deliveries left pending in the journal");
    counts.clear();
    for (i, file) in handled.iter().enumerate() {
        let lines = lines(file);
        per_process[i] = lines.len();
        for line in lines {
            *counts.entry(line["delivery"].as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    assert!(per_process.iter().all(|&n| n > 0), "every process handled a share: {per_process:?}");
    assert_eq!(counts.len(), acknowledged.len(), "only acknowledged deliveries are handled");
    // Handled twice only when the kill struck while its handler ran or before its completion
    // committed (at most one per worker of the killed process), or when the killed process
    // committed a delivery whose answer never came and the poster sent it again to another
    // (two deliveries of one body, both handled, plus the first's takeover at worst).
    let resent = resent.lock().unwrap().clone();
    let twice: Vec<_> = counts.iter().filter(|(d, n)| **n > 1 && !resent.contains(*d)).collect();
    assert!(
        twice.len() <= triad_runtime::server::JournalOptions::default().workers && twice.iter().all(|(_, n)| **n == 2),
        "{twice:?}"
    );
    assert!(counts.iter().filter(|(d, _)| resent.contains(*d)).all(|(_, n)| *n <= 3), "{counts:?}");
    for example in &mut examples[1..] {
        example.child.kill().unwrap();
        example.child.wait().unwrap();
    }
}

/// The `journal` example program (the runtime's journal tool).
pub const JOURNAL: &str = env!("CARGO_BIN_EXE_mews-journal-example");

/// Runs the `journal` example on `journal` (a folder or a shared journal's URL): its exit
/// code, standard output and standard error.
pub fn journal_tool(journal: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(JOURNAL).arg("--journal").arg(journal).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The journal tool on a shared journal at `url` while a receiver's journal (`journal`) is
/// open on it: two deliveries given up on are listed, one purged, the other requeued and
/// claimed again with the events its first attempts handled.
pub async fn journal_tool_on_shared(url: &str, journal: &dyn triad_runtime::server::SharedJournal) {
    use triad_runtime::server::Admission;
    let lease = Duration::from_secs(5);
    let (kept, dropped) = (batch(51), batch(52));
    let mut seqs = Vec::new();
    for body in [&kept, &dropped] {
        let Admission::Stored(seq) = journal.admit(by_body(body)).await.unwrap() else { panic!("stored") };
        seqs.push(seq);
    }
    let claimed = journal.claim("operator-test", 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(journal.give_up("operator-test", seqs[0], vec![0]).await.unwrap());
    assert!(journal.give_up("operator-test", seqs[1], vec![]).await.unwrap());

    let (code, out, err) = journal_tool(url, &["list"]);
    assert_eq!(code, Some(0), "{err}");
    let mut listed: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(listed.pop(), Some(json!({"pending": 0, "failed": 2})), "{out}");
    // The number each is listed under (the engine's number for it in the failed set) is the
    // one the tool's other commands take.
    let failed_seqs: Vec<u64> =
        listed.iter_mut().map(|l| l.as_object_mut().unwrap().remove("seq").unwrap().as_u64().unwrap()).collect();
    assert_eq!(
        listed,
        vec![
            json!({"id": null, "digest": digest(&kept), "bytes": kept.len(), "done": [0]}),
            json!({"id": null, "digest": digest(&dropped), "bytes": dropped.len(), "done": []}),
        ],
        "{out}"
    );
    let seqs = failed_seqs;
    let purge = seqs[1].to_string();
    assert_eq!(journal_tool(url, &["purge", &purge]).1, format!("purged {purge}\n"));
    let (code, _, err) = journal_tool(url, &["purge", &purge]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("no failed delivery {purge}")), "{err}");
    let requeue = seqs[0].to_string();
    assert_eq!(journal_tool(url, &["requeue", &requeue]).1, format!("requeued {requeue}\n"));
    assert_eq!(journal_tool(url, &["list"]).1, "{\"failed\":0,\"pending\":1}\n");
    // The requeued delivery is due again, with the event its first attempt handled.
    let mut again = Vec::new();
    for _ in 0..100 {
        again = journal.claim("operator-test", 10, lease).await.unwrap();
        if !again.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].entry.body, kept);
    assert_eq!(again[0].entry.done, vec![0]);
    assert!(journal.complete("operator-test", again[0].entry.seq).await.unwrap());
}

/// The journaled admission of a delivery known only by its body.
pub fn by_body(body: &[u8]) -> triad_runtime::server::Admit {
    triad_runtime::server::Admit {
        key: None,
        id: None,
        body: body.to_vec().into(),
        keep: true,
        now_ms: 0,
        window_ms: 0,
        capacity: 100,
    }
}

/// Digests of the deliveries a receiver acknowledged, shared by the tasks posting them.
pub type Acknowledged = Arc<Mutex<BTreeSet<String>>>;

/// A burst in progress ([`post_burst`]).
pub struct Burst {
    /// The digests of the deliveries a receiver acknowledged.
    pub acknowledged: Acknowledged,
    /// The digests of the deliveries posted again to another receiver after one could not be
    /// reached: the first may have committed the delivery before it died, and the second then
    /// rightly takes it as a new one (an identical body can be a later change).
    pub resent: Acknowledged,
    /// The posting tasks; they end when the burst is posted.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Posts deliveries 1 to `total` (each `batch(n)`) from `clients` concurrent tasks, spread
/// over `urls` as a load balancer would: the next receiver when one cannot be reached. A task
/// stops when none can be reached.
pub fn post_burst(urls: &[String], clients: usize, total: u32) -> Burst {
    let client = triad_runtime::client::reqwest::Client::new();
    let acknowledged = Acknowledged::default();
    let resent = Acknowledged::default();
    let next = Arc::new(Mutex::new(0u32));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, urls, acknowledged, resent, next) =
            (client.clone(), urls.to_vec(), acknowledged.clone(), resent.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = {
                    let mut next = next.lock().unwrap();
                    *next += 1;
                    *next
                };
                if n > total {
                    return;
                }
                let body = batch(n);
                let key = digest(&body);
                let mut taken = false;
                for turn in 0..urls.len() {
                    let url = &urls[(n as usize + turn) % urls.len()];
                    match post(&client, url, body.clone()).await {
                        Some(202) => {
                            acknowledged.lock().unwrap().insert(key);
                            taken = true;
                            break;
                        }
                        Some(other) => panic!("unexpected status {other}"),
                        None => {
                            resent.lock().unwrap().insert(key.clone());
                        }
                    }
                }
                if !taken {
                    return; // every receiver is gone
                }
            }
        }));
    }
    Burst { acknowledged, resent, tasks }
}

/// Waits until at least `count` deliveries are acknowledged, or `patience` has passed.
pub async fn wait_acknowledged(acknowledged: &Acknowledged, count: usize, patience: Duration) {
    let start = std::time::Instant::now();
    while acknowledged.lock().unwrap().len() < count && start.elapsed() < patience {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

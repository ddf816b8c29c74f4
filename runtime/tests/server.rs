//! The webhook receiver over real HTTP on loopback, with a hand-written `Dispatch`.
#![cfg(feature = "journal")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use triad_runtime::server::{
    Admission, Admit, Body, Delivery, DeliveryId, Dispatch, Entry, HandlerError, Journal, JournalError, JournalOptions,
    Outcome, Receiver, RedbJournal, Verifier, Write, run_event, sign_hmac_sha256, sign_standard_webhooks,
};

/// Events are `{"events": [{"kind": K, "id": I}]}`; kind `fail` fails its first `fails`
/// attempts; an event without a string `kind` is malformed; kind `other` is unknown.
#[derive(Default)]
struct Recorder {
    handled: Mutex<Vec<(String, String)>>,
    fails: AtomicU32,
    /// The id of every delivery dispatched (each attempt), in order.
    ids: Mutex<Vec<DeliveryId>>,
    /// When each dispatch started, with the id of its first event.
    started: Mutex<Vec<(String, std::time::Instant)>>,
}

impl Recorder {
    fn handled(&self) -> Vec<(String, String)> {
        self.handled.lock().unwrap().clone()
    }
}

impl Dispatch for Recorder {
    async fn dispatch(&self, delivery: &Delivery, body: &Body<'_>) -> Vec<Outcome> {
        self.ids.lock().unwrap().push(delivery.id.clone());
        let value: Value = serde_json::from_str(body.text()).unwrap();
        let first = value["events"][0]["id"].as_str().unwrap_or_default().to_owned();
        self.started.lock().unwrap().push((first, std::time::Instant::now()));
        let mut out = Vec::new();
        // Through `run_event`, as generated dispatchers do: an event handled by an earlier
        // attempt is not run again.
        for (index, event) in value["events"].as_array().cloned().unwrap_or_default().into_iter().enumerate() {
            let (Some(kind), Some(id)) = (event["kind"].as_str(), event["id"].as_str()) else {
                out.push(run_event(delivery, "malformed", index, Outcome::Malformed, async { Ok(()) }).await);
                continue;
            };
            let ok = if kind == "other" { Outcome::Unknown } else { Outcome::Handled };
            let handler = async move {
                if kind == "nohandler" {
                    // What a generated default method does.
                    return delivery.unhandled();
                }
                if kind == "fail" && self.fails.load(Ordering::SeqCst) > 0 {
                    self.fails.fetch_sub(1, Ordering::SeqCst);
                    return Err(HandlerError("not now".into()));
                }
                if kind == "slow" {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                self.handled.lock().unwrap().push((kind.to_owned(), id.to_owned()));
                Ok(())
            };
            out.push(run_event(delivery, kind, index, ok, handler).await);
        }
        out
    }
}

struct Running {
    url: String,
    receiver: Arc<Receiver<Recorder>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    fn recorder(&self) -> &Recorder {
        self.receiver.dispatch()
    }

    async fn shutdown(mut self) -> Arc<Receiver<Recorder>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap();
        self.receiver
    }
}

async fn start(builder: impl FnOnce(Recorder) -> Receiver<Recorder>) -> Running {
    let receiver = Arc::new(builder(Recorder::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = receiver.clone();
    let task = tokio::spawn(async move {
        served
            .serve(listener, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Running { url, receiver, stop: Some(stop), task }
}

fn token() -> Verifier {
    Verifier::query_token("Token", &["old-secret", "new-secret"]).unwrap()
}

fn inline(verifier: Verifier) -> impl FnOnce(Recorder) -> Receiver<Recorder> {
    move |r| Receiver::builder(r, verifier).body_limit(4096).start().unwrap()
}

fn body(events: &[(&str, &str)]) -> Vec<u8> {
    let events: Vec<Value> = events.iter().map(|(k, i)| json!({"kind": k, "id": i})).collect();
    serde_json::to_vec(&json!({ "events": events })).unwrap()
}

async fn post(url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> (u16, String, Option<String>) {
    let client = reqwest::Client::new();
    let mut request = client.post(url).body(body).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), retry_after)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_token_refuses_before_any_handler_and_accepts_both_rotated_secrets() {
    let r = start(inline(token())).await;
    let one = body(&[("a", "1")]);
    assert_eq!(post(&r.url, one.clone(), &[]).await.0, 401);
    assert_eq!(post(&format!("{}?Token=wrong", r.url), one.clone(), &[]).await.0, 401);
    assert_eq!(post(&format!("{}?Token=", r.url), one.clone(), &[]).await.0, 401);
    assert!(r.recorder().handled().is_empty());
    assert_eq!(post(&format!("{}?Token=old-secret", r.url), one, &[]).await.0, 200);
    assert_eq!(post(&format!("{}?Token=new-secret", r.url), body(&[("b", "2")]), &[]).await.0, 200);
    assert_eq!(r.recorder().handled(), pairs(&[("a", "1"), ("b", "2")]));
    let c = r.receiver.counters();
    assert_eq!(c.rejected, BTreeMap::from([("invalid credential", 2), ("missing credential", 1)]));
    assert_eq!((c.accepted, c.handled), (2, 2));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hmac_signature_over_raw_bytes_and_tampering_is_refused() {
    let r = start(inline(Verifier::hmac_sha256("X-Signature", &["k1"]).unwrap())).await;
    let one = body(&[("a", "1")]);
    let signature = sign_hmac_sha256(b"k1", &one);
    let mut tampered = one.clone();
    let at = tampered.len() - 4;
    tampered[at] = b'9';
    assert_eq!(post(&r.url, tampered, &[("X-Signature", signature.clone())]).await.0, 401);
    assert_eq!(post(&r.url, one.clone(), &[("X-Signature", String::new())]).await.0, 401);
    assert!(r.recorder().handled().is_empty());
    assert_eq!(post(&r.url, one, &[("X-Signature", signature)]).await.0, 200);
    assert_eq!(r.recorder().handled(), pairs(&[("a", "1")]));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_webhooks_stale_empty_and_replayed_ids() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let v = Verifier::standard_webhooks(&["whsec_c2Vjb25k", secret], Duration::from_secs(300)).unwrap();
    let r = start(inline(v)).await;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let send = |id: &'static str, ts: u64, payload: Vec<u8>, sig: Option<String>| {
        let sig = sig.unwrap_or_else(|| sign_standard_webhooks(secret, id, ts, &payload).unwrap());
        let url = r.url.clone();
        async move {
            post(
                &url,
                payload,
                &[("webhook-id", id.into()), ("webhook-timestamp", ts.to_string()), ("webhook-signature", sig)],
            )
            .await
            .0
        }
    };
    assert_eq!(send("m1", now - 3600, body(&[("a", "1")]), None).await, 401);
    assert_eq!(send("m1", now, body(&[("a", "1")]), Some("v1,".into())).await, 401);
    assert!(r.recorder().handled().is_empty());
    assert_eq!(send("m1", now, body(&[("a", "1")]), None).await, 200);
    // The same id again, even re-signed over a different timestamp, is a duplicate.
    assert_eq!(send("m1", now + 1, body(&[("a", "1")]), None).await, 200);
    assert_eq!(r.recorder().handled(), pairs(&[("a", "1")]));
    let c = r.receiver.counters();
    assert_eq!(
        (c.duplicate, c.rejected.get("stale timestamp"), c.rejected.get("invalid credential")),
        (1, Some(&1), Some(&1))
    );
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_too_large_malformed_json_and_event_outcomes() {
    let r = start(inline(Verifier::none())).await;
    let one = body(&[("a", "1"), ("other", "2")]);
    assert_eq!(post(&r.url, one, &[]).await.0, 200);
    assert_eq!(post(&r.url, vec![b' '; 5000], &[]).await.0, 413);
    let (status, message, _) = post(&r.url, b"{\"events\": [1,]}".to_vec(), &[]).await;
    assert_eq!(status, 400);
    assert!(message.contains("line 1 column"), "{message}");
    assert_eq!(post(&r.url, br#"{"events": [{"kind": 5}, {"kind": "b", "id": "3"}]}"#.to_vec(), &[]).await.0, 200);
    assert_eq!(r.recorder().handled(), pairs(&[("a", "1"), ("other", "2"), ("b", "3")]));
    let c = r.receiver.counters();
    assert_eq!((c.accepted, c.duplicate, c.handled, c.unknown, c.malformed), (2, 0, 4, 1, 1));
    assert_eq!(c.rejected, BTreeMap::from([("malformed JSON", 1), ("too large", 1)]));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_handler_failure_answers_500_and_the_retry_is_handled() {
    let r = start(inline(Verifier::none())).await;
    r.recorder().fails.store(1, Ordering::SeqCst);
    let one = body(&[("fail", "1")]);
    assert_eq!(post(&r.url, one.clone(), &[]).await.0, 500);
    assert!(r.recorder().handled().is_empty());
    assert_eq!(post(&r.url, one, &[]).await.0, 200);
    assert_eq!(r.recorder().handled(), pairs(&[("fail", "1")]));
    assert_eq!(r.receiver.counters().failed, 1);
    r.shutdown().await;
}

fn journaled(dir: &std::path::Path, options: JournalOptions) -> impl FnOnce(Recorder) -> Receiver<Recorder> {
    let journal: Arc<dyn Journal> = Arc::new(RedbJournal::open(dir).unwrap());
    move |r| Receiver::builder(r, Verifier::none()).journaled(journal, options).start().unwrap()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaled_burst_from_50_tasks_is_handled_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let r = start(journaled(dir.path(), JournalOptions::default())).await;
    let mut tasks = Vec::new();
    for t in 0..50 {
        let url = r.url.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..40 {
                let id = format!("{t}-{n}");
                let payload = body(&[("a", &id)]);
                assert_eq!(post(&url, payload.clone(), &[]).await.0, 202);
                if n % 10 == 0 {
                    // The same bytes again: coalesced while the first waits, else handled again.
                    assert_eq!(post(&url, payload, &[]).await.0, 202);
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    until("everything handled", || r.receiver.counters().pending == 0).await;
    let c = r.receiver.counters();
    assert_eq!((c.accepted + c.coalesced, c.duplicate, c.pending), (2200, 0, 0));
    let mut handled = r.recorder().handled();
    assert_eq!(handled.len() as u64, c.accepted);
    assert_eq!(c.handled, c.accepted);
    handled.sort();
    handled.dedup();
    assert_eq!(handled.len(), 2000, "every delivery handled");
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaled_failures_are_retried_with_backoff_then_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let options = JournalOptions {
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_attempts: 4,
        ..JournalOptions::default()
    };
    let r = start(journaled(dir.path(), options)).await;
    r.recorder().fails.store(2, Ordering::SeqCst);
    assert_eq!(post(&r.url, body(&[("fail", "1")]), &[]).await.0, 202);
    until("the third attempt", || !r.recorder().handled().is_empty()).await;
    until("completion", || r.receiver.counters().pending == 0).await;
    assert_eq!(r.recorder().handled(), pairs(&[("fail", "1")]));
    assert_eq!(r.receiver.counters().failed, 2);
    // Failing on every attempt: moved to the failed set, kept in the journal.
    r.recorder().fails.store(100, Ordering::SeqCst);
    assert_eq!(post(&r.url, body(&[("fail", "2")]), &[]).await.0, 202);
    until("giving up", || r.receiver.counters().given_up == 1).await;
    assert_eq!(r.receiver.counters().pending, 0);
    r.shutdown().await;
    let journal = RedbJournal::open(dir.path()).unwrap();
    assert_eq!(journal.failed().unwrap().len(), 1);
    assert_eq!(journal.failed().unwrap()[0].body, body(&[("fail", "2")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_journal_answers_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let options = JournalOptions { capacity: 1, workers: 1, retry_after: 7, ..JournalOptions::default() };
    let r = start(journaled(dir.path(), options)).await;
    assert_eq!(post(&r.url, body(&[("slow", "1")]), &[]).await.0, 202);
    let (status, _, retry_after) = post(&r.url, body(&[("a", "2")]), &[]).await;
    assert_eq!((status, retry_after.as_deref()), (503, Some("7")));
    until("the slow one", || r.receiver.counters().pending == 0).await;
    // Refused deliveries were not recorded: the provider's retry is accepted.
    assert_eq!(post(&r.url, body(&[("a", "2")]), &[]).await.0, 202);
    until("the retry", || r.receiver.counters().pending == 0).await;
    assert_eq!(r.recorder().handled(), pairs(&[("slow", "1"), ("a", "2")]));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_keeps_what_is_left_and_a_restart_replays_it() {
    let dir = tempfile::tempdir().unwrap();
    let options = JournalOptions { workers: 1, ..JournalOptions::default() };
    let r = start(journaled(dir.path(), options.clone())).await;
    for n in 0..5 {
        assert_eq!(post(&r.url, body(&[("slow", &n.to_string())]), &[]).await.0, 202);
    }
    let stopped = r.shutdown().await;
    // The handler in progress finished; the rest stayed in the journal.
    let first = stopped.dispatch().handled();
    drop(stopped);
    assert!(!first.is_empty() && first.len() < 5, "{first:?}");
    let r = start(journaled(dir.path(), options)).await;
    until("the replay", || r.receiver.counters().pending == 0).await;
    let mut all = first;
    all.extend(r.recorder().handled());
    all.sort();
    assert_eq!(all, pairs(&[("slow", "0"), ("slow", "1"), ("slow", "2"), ("slow", "3"), ("slow", "4")]));
    // Without a provider id the same bytes are a new change, after a restart too.
    assert_eq!(post(&r.url, body(&[("slow", "0")]), &[]).await, (202, "accepted".to_owned(), None));
    until("the new change", || r.receiver.counters().pending == 0).await;
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_get_the_provider_id_or_the_digest_journaled_and_after_a_restart() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let dir = tempfile::tempdir().unwrap();
    let standard = || Verifier::standard_webhooks(&[secret], Duration::from_secs(300)).unwrap();
    let options = JournalOptions { workers: 1, ..JournalOptions::default() };
    let build = |verifier: Verifier, options: JournalOptions| {
        let journal: Arc<dyn Journal> = Arc::new(RedbJournal::open(dir.path()).unwrap());
        move |r| Receiver::builder(r, verifier).journaled(journal, options).start().unwrap()
    };
    let r = start(build(standard(), options.clone())).await;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let signed = |id: &str, payload: &[u8]| {
        vec![
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", sign_standard_webhooks(secret, id, now, payload).unwrap()),
        ]
    };
    // A slow first delivery keeps the single worker busy while the next ones wait in the journal.
    let slow = body(&[("slow", "0")]);
    assert_eq!(post(&r.url, slow.clone(), &signed("msg_slow", &slow)).await.0, 202);
    let second = body(&[("slow", "1")]);
    assert_eq!(post(&r.url, second.clone(), &signed("msg_2", &second)).await.0, 202);
    let third = body(&[("slow", "2")]);
    assert_eq!(post(&r.url, third.clone(), &signed("msg_3", &third)).await.0, 202);
    let stopped = r.shutdown().await;
    let first_ids = stopped.dispatch().ids.lock().unwrap().clone();
    drop(stopped);
    assert!(!first_ids.is_empty() && first_ids.len() < 3, "{first_ids:?}");
    assert_eq!(first_ids[0], DeliveryId::Provider("msg_slow".into()));
    // Replayed from the journal after a restart: still the provider's ids.
    let r = start(build(standard(), options.clone())).await;
    until("the replay", || r.receiver.counters().pending == 0).await;
    let mut all = first_ids;
    all.extend(r.recorder().ids.lock().unwrap().iter().cloned());
    all.dedup();
    let expected: Vec<DeliveryId> =
        ["msg_slow", "msg_2", "msg_3"].iter().map(|id| DeliveryId::Provider((*id).to_owned())).collect();
    assert_eq!(all, expected);
    r.shutdown().await;
    // Without a provider id, the id is the body's digest.
    let r = start(build(Verifier::none(), options)).await;
    let plain = body(&[("a", "1")]);
    assert_eq!(post(&r.url, plain.clone(), &[]).await.0, 202);
    until("the plain one", || r.receiver.counters().pending == 0).await;
    let digest = triad_runtime::server::digest(&plain);
    assert_eq!(*r.recorder().ids.lock().unwrap(), vec![DeliveryId::Digest(digest.clone())]);
    assert_eq!(r.recorder().ids.lock().unwrap()[0].as_str(), digest);
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_journal_writes_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let r = start(journaled(dir.path(), JournalOptions::default())).await;
    let mut tasks = Vec::new();
    for t in 0..32 {
        let url = r.url.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..25 {
                assert_eq!(post(&url, body(&[("a", &format!("{t}-{n}"))]), &[]).await.0, 202);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    until("800 handled", || r.receiver.counters().pending == 0).await;
    let c = r.receiver.counters();
    assert_eq!((c.accepted, c.handled), (800, 800));
    // 800 admissions and 800 completions: every one committed, several per transaction.
    assert_eq!(c.commit_writes, 1600);
    assert!(c.commits < 1600, "{} commits for 1600 writes", c.commits);
    r.shutdown().await;
    // Every handled delivery's completion is durable.
    assert_eq!(RedbJournal::open(dir.path()).unwrap().pending_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_bodies_without_a_provider_id_are_handled_again_inline() {
    // Mews sends the same bytes for two changes to one entity: each must be handled.
    let journal: Arc<dyn Journal> = Arc::new(RedbJournal::in_memory().unwrap());
    for journal in [None, Some(journal)] {
        let r = start(move |rec| Receiver::builder(rec, Verifier::none()).inline(journal).start().unwrap()).await;
        let one = body(&[("a", "1")]);
        assert_eq!(post(&r.url, one.clone(), &[]).await.0, 200);
        assert_eq!(post(&r.url, one.clone(), &[]).await.0, 200);
        // One arriving while the first is being handled is handled too, after it arrived.
        let slow = body(&[("slow", "s")]);
        let url = r.url.clone();
        let first = tokio::spawn({
            let slow = slow.clone();
            async move { post(&url, slow, &[]).await.0 }
        });
        until("the slow handler to start", || r.recorder().started.lock().unwrap().len() == 3).await;
        let arrived = std::time::Instant::now();
        assert_eq!(post(&r.url, slow, &[]).await.0, 200);
        assert_eq!(first.await.unwrap(), 200);
        let started = r.recorder().started.lock().unwrap().clone();
        assert_eq!(started.len(), 4);
        assert!(started[3].1 >= arrived);
        let c = r.receiver.counters();
        assert_eq!((c.accepted, c.duplicate, c.handled), (4, 0, 4));
        // No key is recorded for them: nothing committed on the delivery path.
        assert_eq!(c.commits, 0);
        r.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaled_identical_bodies_coalesce_only_while_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let r = start(journaled(dir.path(), JournalOptions { workers: 1, ..JournalOptions::default() })).await;
    // The single worker is busy with a slow delivery: the next ones wait.
    assert_eq!(post(&r.url, body(&[("slow", "s")]), &[]).await.0, 202);
    until("the slow handler to start", || r.recorder().started.lock().unwrap().len() == 1).await;
    let change = body(&[("slow", "b")]);
    assert_eq!(post(&r.url, change.clone(), &[]).await, (202, "accepted".to_owned(), None));
    let second_arrival = std::time::Instant::now();
    assert_eq!(post(&r.url, change.clone(), &[]).await, (202, "coalesced".to_owned(), None));
    // Once its handling has started, the same bytes are a new change, handled again.
    until("b to start", || r.recorder().started.lock().unwrap().len() == 2).await;
    assert_eq!(post(&r.url, change, &[]).await, (202, "accepted".to_owned(), None));
    until("everything handled", || r.receiver.counters().pending == 0 && r.recorder().handled().len() == 3).await;
    assert_eq!(r.recorder().handled(), pairs(&[("slow", "s"), ("slow", "b"), ("slow", "b")]));
    let started = r.recorder().started.lock().unwrap().clone();
    // The coalesced delivery was followed by a handling that started after it arrived.
    assert!(started[1].1 >= second_arrival, "{started:?}");
    let c = r.receiver.counters();
    assert_eq!((c.accepted, c.coalesced, c.duplicate, c.handled), (3, 1, 0, 3));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_handlers_finish_when_the_provider_hangs_up_and_its_retry_is_handled() {
    let r = start(inline(Verifier::none())).await;
    let slow = body(&[("slow", "1")]);
    // The provider gives up long before the handler ends (as Mews does after 5 seconds).
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(50)).build().unwrap();
    assert!(impatient.post(&r.url).body(slow.clone()).send().await.is_err());
    until("the handler to finish", || r.recorder().handled().len() == 1).await;
    assert_eq!(r.receiver.counters().handled, 1);
    // The request's future was dropped with the connection, and the delivery went on alone.
    assert_eq!(r.receiver.counters().abandoned, 1);
    // Its retry is handled again: nothing was recorded that would call it a duplicate.
    assert_eq!(post(&r.url, slow, &[]).await.0, 200);
    assert_eq!(r.recorder().handled(), pairs(&[("slow", "1"), ("slow", "1")]));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_without_a_journal_keys_deliveries_by_the_provider_id_when_there_is_one() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let v = Verifier::standard_webhooks(&[secret], Duration::from_secs(300)).unwrap();
    let r = start(inline(v)).await;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let send = |id: &'static str, payload: Vec<u8>| {
        let sig = sign_standard_webhooks(secret, id, now, &payload).unwrap();
        let url = r.url.clone();
        async move {
            let headers =
                [("webhook-id", id.into()), ("webhook-timestamp", now.to_string()), ("webhook-signature", sig)];
            let (status, text, _) = post(&url, payload, &headers).await;
            format!("{status} {text}")
        }
    };
    // Handled: 200 with nothing more to say.
    assert_eq!(send("m1", body(&[("a", "1")])).await, "200 ");
    // The same body under another id is another delivery; another body under a known id is a resend.
    assert_eq!(send("m2", body(&[("a", "1")])).await, "200 ");
    assert_eq!(send("m1", body(&[("b", "2")])).await, "200 duplicate");
    assert_eq!(r.recorder().handled(), pairs(&[("a", "1"), ("a", "1")]));
    let c = r.receiver.counters();
    assert_eq!((c.accepted, c.duplicate, c.commits), (2, 1, 0));
    r.shutdown().await;
}

/// A journal whose stored bodies come back damaged (not JSON any more).
struct Damaged(RedbJournal);

impl Damaged {
    fn damage(mut entry: Entry) -> Entry {
        entry.body = b"{\"events\": [".to_vec();
        entry
    }
}

impl Journal for Damaged {
    fn commit(&self, writes: &[Write]) -> Result<Vec<Option<Admission>>, JournalError> {
        self.0.commit(writes)
    }
    fn pending(&self) -> Result<Vec<Entry>, JournalError> {
        Ok(self.0.pending()?.into_iter().map(Self::damage).collect())
    }
    fn entry(&self, seq: u64) -> Result<Option<Entry>, JournalError> {
        Ok(self.0.entry(seq)?.map(Self::damage))
    }
    fn pending_count(&self) -> Result<u64, JournalError> {
        self.0.pending_count()
    }
    fn failed(&self) -> Result<Vec<Entry>, JournalError> {
        self.0.failed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journaled_body_damaged_in_storage_is_set_aside_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let inner = RedbJournal::open(dir.path()).unwrap();
    let admit = Admit {
        key: None,
        id: None,
        body: body(&[("a", "1")]).into(),
        keep: true,
        now_ms: 1,
        window_ms: 1_000,
        capacity: 10,
    };
    assert!(matches!(inner.admit(admit).unwrap(), Admission::Stored(_)));
    let journal = Arc::new(Damaged(inner));
    let shared: Arc<dyn Journal> = journal.clone();
    let options = JournalOptions { workers: 1, ..JournalOptions::default() };
    let r =
        start(move |rec| Receiver::builder(rec, Verifier::none()).journaled(shared, options).start().unwrap()).await;
    until("the replay", || r.receiver.counters().pending == 0).await;
    let c = r.receiver.counters();
    assert_eq!((c.given_up, c.handled, c.failed), (1, 0, 0));
    assert!(r.recorder().ids.lock().unwrap().is_empty(), "nothing reached the dispatch");
    r.shutdown().await;
    // Kept, with the body as stored, in the failed set.
    let failed = journal.0.failed().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].body, body(&[("a", "1")]));
}

#[test]
fn the_digest_is_lowercase_hex_sha256() {
    assert_eq!(
        triad_runtime::server::digest(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaled_retries_run_only_the_events_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let fast = JournalOptions { workers: 1, backoff: Duration::from_millis(20), ..JournalOptions::default() };
    let r = start(journaled(dir.path(), fast.clone())).await;
    r.recorder().fails.store(1, Ordering::SeqCst);
    assert_eq!(post(&r.url, body(&[("a", "1"), ("fail", "2"), ("b", "3")]), &[]).await.0, 202);
    until("the retry", || r.receiver.counters().pending == 0).await;
    assert_eq!(r.recorder().handled(), pairs(&[("a", "1"), ("b", "3"), ("fail", "2")]));
    let c = r.receiver.counters();
    assert_eq!((c.handled, c.failed), (3, 1));
    r.shutdown().await;

    // Given up after one attempt, requeued by an operator, handled after a restart: still only
    // the event that failed runs again.
    let once = JournalOptions { max_attempts: 1, ..fast.clone() };
    let r = start(journaled(dir.path(), once)).await;
    r.recorder().fails.store(1, Ordering::SeqCst);
    assert_eq!(post(&r.url, body(&[("a", "4"), ("fail", "5"), ("b", "6")]), &[]).await.0, 202);
    until("the give-up", || r.receiver.counters().given_up == 1).await;
    assert_eq!(r.recorder().handled(), pairs(&[("a", "4"), ("b", "6")]));
    drop(r.shutdown().await);
    let journal = RedbJournal::open(dir.path()).unwrap();
    let failed = journal.failed().unwrap();
    assert_eq!(failed.iter().map(|e| e.done.clone()).collect::<Vec<_>>(), vec![vec![0, 2]]);
    assert!(journal.requeue(failed[0].seq).unwrap());
    drop(journal);
    let r = start(journaled(dir.path(), fast)).await;
    until("the requeued delivery", || r.receiver.counters().pending == 0 && !r.recorder().handled().is_empty()).await;
    assert_eq!(r.recorder().handled(), pairs(&[("fail", "5")]));
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhandled_kinds_are_counted_and_fail_only_when_asked() {
    let r = start(inline(Verifier::none())).await;
    let mixed = body(&[("nohandler", "1"), ("a", "2")]);
    assert_eq!(post(&r.url, mixed.clone(), &[]).await.0, 200);
    assert_eq!(post(&r.url, mixed.clone(), &[]).await.0, 200);
    let c = r.receiver.counters();
    assert_eq!((c.unhandled, c.handled, c.failed), (2, 2, 0));
    assert_eq!(r.recorder().handled(), pairs(&[("a", "2"), ("a", "2")]));
    r.shutdown().await;
    // Failed instead: the provider keeps the delivery until a handler is deployed.
    let r = start(|rec| Receiver::builder(rec, Verifier::none()).fail_unhandled(true).start().unwrap()).await;
    assert_eq!(post(&r.url, mixed, &[]).await, (500, "a handler failed; send again".to_owned(), None));
    let c = r.receiver.counters();
    assert_eq!((c.unhandled, c.handled), (1, 1));
    r.shutdown().await;
    // Journaled, failing: retried, then kept in the failed set with its handled event marked.
    let dir = tempfile::tempdir().unwrap();
    let options =
        JournalOptions { workers: 1, max_attempts: 2, backoff: Duration::from_millis(10), ..JournalOptions::default() };
    let journal: Arc<dyn Journal> = Arc::new(RedbJournal::open(dir.path()).unwrap());
    let r = start(move |rec| {
        Receiver::builder(rec, Verifier::none()).fail_unhandled(true).journaled(journal, options).start().unwrap()
    })
    .await;
    assert_eq!(post(&r.url, body(&[("a", "3"), ("nohandler", "4")]), &[]).await.0, 202);
    until("the give-up", || r.receiver.counters().given_up == 1).await;
    assert_eq!(r.recorder().handled(), pairs(&[("a", "3")]), "the handled event ran once");
    assert_eq!(r.receiver.counters().unhandled, 2);
    drop(r.shutdown().await);
    let failed = RedbJournal::open(dir.path()).unwrap().failed().unwrap();
    assert_eq!(failed.iter().map(|e| e.done.clone()).collect::<Vec<_>>(), vec![vec![0]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_beside_the_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let journal: Arc<dyn Journal> = Arc::new(RedbJournal::open(dir.path()).unwrap());
    let receiver = Arc::new(
        Receiver::builder(Recorder::default(), Verifier::none())
            .journaled(journal, JournalOptions::default())
            .start()
            .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = receiver.clone();
    let task = tokio::spawn(async move {
        served
            .serve_with(listener, served.status_router(), async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    assert_eq!(post(&format!("{base}/webhooks"), body(&[("a", "1")]), &[]).await.0, 202);
    until("handled", || receiver.counters().handled == 1).await;
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = metrics.text().await.unwrap();
    assert!(text.contains("webhook_accepted_total 1\n") && text.contains("webhook_pending 0\n"), "{text}");
    let _ = stop.send(());
    task.await.unwrap();
}

/// A journal whose disk has gone away: every commit fails.
struct Unwritable;

impl Journal for Unwritable {
    fn commit(&self, _: &[Write]) -> Result<Vec<Option<Admission>>, JournalError> {
        Err(JournalError("disk full".into()))
    }
    fn pending(&self) -> Result<Vec<Entry>, JournalError> {
        Ok(Vec::new())
    }
    fn entry(&self, _: u64) -> Result<Option<Entry>, JournalError> {
        Ok(None)
    }
    fn pending_count(&self) -> Result<u64, JournalError> {
        Ok(0)
    }
    fn failed(&self) -> Result<Vec<Entry>, JournalError> {
        Ok(Vec::new())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_journal_is_unhealthy_and_acknowledges_nothing() {
    let journal: Arc<dyn Journal> = Arc::new(Unwritable);
    let receiver = Receiver::builder(Recorder::default(), Verifier::none())
        .journaled(journal, JournalOptions::default())
        .start()
        .unwrap();
    let router = receiver.router().merge(receiver.status_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { triad_runtime::server::axum::serve(listener, router).await.unwrap() });
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 503);
    assert!(health.text().await.unwrap().contains("disk full"));
    let (status, text, _) = post(&format!("{base}/webhooks"), body(&[("a", "1")]), &[]).await;
    assert_eq!((status, text.as_str()), (503, "journal unavailable"));
    assert_eq!(receiver.counters().rejected, BTreeMap::from([("journal error", 1)]));
    assert!(receiver.dispatch().handled().is_empty());
    server.abort();
}

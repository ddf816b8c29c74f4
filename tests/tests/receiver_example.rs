//! The generated `receiver` example of `mews-server`, run as a real child process: its fixed
//! command line, the JSON lines it writes per handled event, a graceful stop on SIGTERM, and no
//! acknowledged delivery lost when it is killed with SIGKILL in the middle of a burst.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

mod receiver_process;

use receiver_process::{
    EXAMPLE, TOKEN, batch, by_body, digest, journal_tool, lines, post, post_burst, spawn, wait_acknowledged,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_a_line_per_event_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let handled = dir.path().join("handled.jsonl");
    let mut example = spawn(&["--handled", handled.to_str().unwrap()]);
    let client = triad_runtime::client::reqwest::Client::new();
    let root = triad_tests::root().join("tests/data/mews");
    let general = std::fs::read(root.join("general-webhook.json")).unwrap();
    let created = std::fs::read(root.join("integration-webhook-created.json")).unwrap();
    assert_eq!(post(&client, &example.url, general.clone()).await, Some(200));
    assert_eq!(post(&client, &example.url, created.clone()).await, Some(200));
    let unauthorized = example.url.replace(TOKEN, "wrong");
    assert_eq!(post(&client, &unauthorized, general.clone()).await, Some(401));
    let got = lines(&handled);
    assert_eq!(got.len(), 8, "{got:?}");
    // Health and counters on the same port.
    let base = example.url.split("/webhooks").next().unwrap().to_owned();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("webhook_handled_total 8\n"), "{metrics}");
    assert!(metrics.contains("webhook_rejected_total{reason=\"invalid credential\"} 1\n"), "{metrics}");
    assert_eq!(
        got[0],
        json!({"kind": "CustomerAdded", "id": "e84b6f20-3c1a-4d9e-a7f5-90b2c4d6e813", "delivery": digest(&general)})
    );
    assert_eq!(
        got[7],
        json!({"kind": "IntegrationCreated", "id": "a3c9e7b1-0d24-4f68-8b5a-1e7c9d3f2a60", "delivery": digest(&created)})
    );
    // SIGTERM: a graceful stop, exit code 0.
    let pid = example.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || example.child.wait().unwrap()).await.unwrap();
    assert_eq!(status.code(), Some(0));
}

/// Mews sends the same bytes for a second change to one entity: after the first is handled,
/// the second must be handled too (inline and journaled), or the partner's copy stays stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_bytes_after_handling_are_handled_again() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    for journaled in [false, true] {
        let handled = dir.path().join(format!("handled-{journaled}.jsonl"));
        let mut args = vec!["--handled", handled.to_str().unwrap()];
        if journaled {
            args.extend(["--journal", journal.to_str().unwrap()]);
        }
        let mut example = spawn(&args);
        let client = triad_runtime::client::reqwest::Client::new();
        let body = batch(7);
        let expected = if journaled { 202 } else { 200 };
        assert_eq!(post(&client, &example.url, body.clone()).await, Some(expected));
        for _ in 0..600 {
            if lines(&handled).len() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(lines(&handled).len(), 1, "the first change is handled");
        assert_eq!(post(&client, &example.url, body.clone()).await, Some(expected));
        for _ in 0..600 {
            if lines(&handled).len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let got = lines(&handled);
        assert_eq!(got.len(), 2, "the second change is handled too: {got:?}");
        assert_eq!(got[0], got[1]);
        assert_eq!(got[1]["delivery"], json!(digest(&body)));
        example.child.kill().unwrap();
        example.child.wait().unwrap();
    }
}

/// A FIFO whose buffer is full, so the example's next write to it blocks until the test reads:
/// a handler slowed by its output. Returns the reading end (non-blocking), open before the
/// example opens the writing end.
fn full_fifo(path: &Path) -> std::fs::File {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
    let reader = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).unwrap();
    let mut filler = std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path).unwrap();
    // Empty lines, in chunks and then byte by byte, until not one more byte fits.
    for chunk in [&[b'\n'; 512][..], &[b'\n'][..]] {
        loop {
            match filler.write(chunk) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    reader
}

/// Reads the FIFO until it has given `count` JSON lines (empty lines skipped), for up to 10 s.
async fn read_lines(reader: &mut std::fs::File, text: &mut String, count: usize) -> Vec<Value> {
    use std::io::Read;
    for _ in 0..1000 {
        let mut buffer = [0u8; 65536];
        match reader.read(&mut buffer) {
            Ok(n) => text.push_str(std::str::from_utf8(&buffer[..n]).unwrap()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        let got: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {count} lines: {text:?}")
}

/// Mews gives up on a delivery after 5 seconds and sends it again later. A handler still
/// running when the provider hangs up finishes, and the provider's retry of the same bytes is
/// handled again (not answered as a duplicate of a change that may not be applied yet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_outlives_the_providers_hangup_and_its_retry_is_handled() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("handled.fifo");
    let mut reader = full_fifo(&fifo);
    let mut example = spawn(&["--handled", fifo.to_str().unwrap()]);
    let body = batch(9);
    // The handler blocks on its output; the provider stops waiting.
    let impatient =
        triad_runtime::client::reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    assert_eq!(post(&impatient, &example.url, body.clone()).await, None, "the first attempt must time out");
    // The output drains: the handler of the abandoned attempt finishes.
    let mut text = String::new();
    let got = read_lines(&mut reader, &mut text, 1).await;
    assert_eq!(
        got,
        [json!({"kind": "CustomerUpdated", "id": "00000000-0000-0000-0000-000000000009", "delivery": digest(&body)})]
    );
    // The provider's retry is handled again.
    let client = triad_runtime::client::reqwest::Client::new();
    assert_eq!(post(&client, &example.url, body.clone()).await, Some(200));
    let got = read_lines(&mut reader, &mut text, 2).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], got[1]);
    let base = example.url.split("/webhooks").next().unwrap().to_owned();
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("webhook_handled_total 2\n"), "{metrics}");
    example.child.kill().unwrap();
    example.child.wait().unwrap();
}

/// The `journal` example against a journal holding deliveries given up on: list them, purge
/// one, requeue the other, which the `receiver` example then handles on its next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_lists_requeues_and_purges_what_was_given_up() {
    use triad_runtime::server::{Journal, RedbJournal, Write};
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let (kept, dropped) = (batch(41), batch(42));
    {
        let j = RedbJournal::open(&journal).unwrap();
        for body in [&kept, &dropped] {
            j.admit(by_body(body)).unwrap();
        }
        j.commit(&[Write::GiveUp(0), Write::GiveUp(1)]).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&journal), mode(&journal.join("journal.redb"))), (0o700, 0o600));
    }
    let run = |args: &[&str]| journal_tool(journal.to_str().unwrap(), args);
    let (code, out, _) = run(&["list"]);
    assert_eq!(code, Some(0));
    let listed: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(listed.len(), 3, "{out}");
    assert_eq!(listed[0], json!({"seq": 0, "id": null, "digest": digest(&kept), "bytes": kept.len(), "done": []}));
    assert_eq!(listed[2], json!({"pending": 0, "failed": 2}));
    assert_eq!(run(&["purge", "1"]).1, "purged 1\n");
    let (code, _, err) = run(&["purge", "1"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no failed delivery 1"), "{err}");
    assert_eq!(run(&["requeue", "0"]).1, "requeued 0\n");
    assert_eq!(run(&["frobnicate"]).0, Some(2));
    // The receiver handles the requeued delivery on its next start; the journal tool is then
    // told the journal is in use.
    let handled = dir.path().join("handled.jsonl");
    let mut example = spawn(&["--journal", journal.to_str().unwrap(), "--handled", handled.to_str().unwrap()]);
    for _ in 0..600 {
        if !lines(&handled).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = lines(&handled);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["delivery"], json!(digest(&kept)));
    let (code, _, err) = run(&["list"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("in use"), "{err}");
    // A graceful stop commits the handled mark (a SIGKILL here may come between the handler's
    // line and that commit, and the delivery would rightly stay pending).
    let pid = example.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || example.child.wait().unwrap()).await.unwrap();
    assert_eq!(status.code(), Some(0));
    let (_, out, _) = run(&["list"]);
    assert_eq!(out, "{\"failed\":0,\"pending\":0}\n");
}

#[test]
fn bad_options_exit_with_2() {
    let output = Command::new(EXAMPLE).args(["--addr", "127.0.0.1:0"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing --token"));
    let help = Command::new(EXAMPLE).arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--journal DIR"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let handled = dir.path().join("handled.jsonl");
    let args = ["--journal", journal.to_str().unwrap(), "--handled", handled.to_str().unwrap()];
    let mut example = spawn(&args);
    let receiver_process::Burst { acknowledged, tasks, .. } = post_burst(std::slice::from_ref(&example.url), 20, 3000);
    // Kill once a good part of the burst is acknowledged.
    wait_acknowledged(&acknowledged, 300, Duration::from_secs(10)).await;
    example.child.kill().unwrap(); // SIGKILL
    example.child.wait().unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300, "only {} acknowledged before the kill", acknowledged.len());
    // Restart on the same journal: what was acknowledged and not yet handled is replayed.
    let mut example = spawn(&args);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..1200 {
        counts.clear();
        for line in lines(&handled) {
            *counts.entry(line["delivery"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        if acknowledged.iter().all(|d| counts.contains_key(d)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let missing: Vec<&String> = acknowledged.iter().filter(|d| !counts.contains_key(*d)).collect();
    assert!(missing.is_empty(), "{} acknowledged deliveries never handled", missing.len());
    // A delivery is handled twice only when the kill struck while its handler ran: at most one
    // per journal worker.
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 4 && twice.iter().all(|(_, n)| **n == 2), "{twice:?}");
    example.child.kill().unwrap();
    example.child.wait().unwrap();
}

//! The generated `listen` (mews-client) and `push` (mews-server) examples as real child
//! processes: lines written to push's standard input arrive as listen's JSON lines in order,
//! SIGTERM closes listen cleanly, and a wrong token fails after one upgrade attempt.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const LISTEN: &str = env!("CARGO_BIN_EXE_mews-listen-example");
const PUSH: &str = env!("CARGO_BIN_EXE_mews-push-example");
const CLIENT_TOKEN: &str = "client-token-1";
const ACCESS_TOKEN: &str = "access-token-1";
/// Guards every wait so a broken build fails instead of hanging; never a speed assertion.
const PATIENCE: Duration = Duration::from_secs(30);

struct Push {
    child: Child,
    stdin: ChildStdin,
    url: String,
    stderr: mpsc::Receiver<String>,
}

fn push() -> Push {
    let mut child = Command::new(PUSH)
        .args(["--addr", "127.0.0.1:0", "--client-token", CLIENT_TOKEN, "--access-token", ACCESS_TOKEN])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stderr = lines_of(child.stderr.take().unwrap());
    let first = stderr.recv_timeout(PATIENCE).unwrap();
    let url = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {first}")).to_owned();
    Push { child, stdin, url, stderr }
}

fn listen(url: &str, access_token: &str) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(LISTEN)
        .args(["--url", url, "--client-token", CLIENT_TOKEN, "--access-token", access_token])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    (child, out)
}

/// Lines of a child's stream, read on a thread as they come.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_json(rx: &mpsc::Receiver<String>) -> Value {
    let line = rx.recv_timeout(PATIENCE).expect("a line in time");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

fn terminate(child: &Child) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
}

fn wait(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "the child did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pushed_lines_arrive_as_json_lines_in_order_and_sigterm_closes() {
    let mut server = push();
    let (mut client, out) = listen(&server.url, ACCESS_TOKEN);
    assert_eq!(next_json(&out), json!({"state": "connected"}));
    // The hub may register the connection a moment after the client sees it: push until the
    // first line arrives, then the rest.
    let first = r#"{"Events":[{"Type":"Resource","Id":"8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a01","State":"Clean"}]}"#;
    let got = loop {
        writeln!(server.stdin, "{first}").unwrap();
        if let Ok(line) = out.recv_timeout(Duration::from_millis(200)) {
            break serde_json::from_str::<Value>(&line).unwrap();
        }
    };
    assert_eq!(got, json!({"event": "Resource", "id": "8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a01"}));
    // Drain copies of the first line pushed while waiting.
    let lines = [
        r#"{"Events":[{"Type":"DeviceCommand","Id":"8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a02","State":"Pending"},{"Type":"Unheard","Id":"3"}]}"#,
        "this is not JSON",
        r#"{"Events":[{"Type":"Resource","Id":"8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a03","State":"Clean"}]}"#,
    ];
    for line in lines {
        writeln!(server.stdin, "{line}").unwrap();
    }
    server.stdin.flush().unwrap();
    let mut next = next_json(&out);
    while next == got {
        next = next_json(&out);
    }
    assert_eq!(next, json!({"event": "DeviceCommand", "id": "8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a02"}));
    assert_eq!(next_json(&out), json!({"unknown": "Unheard"}));
    let malformed = next_json(&out);
    assert!(malformed["malformed"].as_str().is_some_and(|e| !e.is_empty()), "{malformed}");
    assert_eq!(next_json(&out), json!({"event": "Resource", "id": "8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a03"}));
    terminate(&client);
    assert_eq!(next_json(&out), json!({"state": "closed"}));
    assert!(wait(&mut client).success());
    terminate(&server.child);
    assert!(wait(&mut server.child).success());
}

#[test]
fn a_wrong_token_fails_after_one_upgrade_attempt() {
    let mut server = push();
    let (mut client, out) = listen(&server.url, "wrong-token");
    assert_eq!(next_json(&out), json!({"state": "auth_failed"}));
    let status = wait(&mut client);
    assert!(!status.success(), "{status:?}");
    assert!(out.recv_timeout(Duration::from_millis(100)).is_err(), "nothing after the failure");
    terminate(&server.child);
    assert!(wait(&mut server.child).success());
    let stopped = server.stderr.recv_timeout(PATIENCE).unwrap();
    assert!(stopped.contains("rejected: 1,"), "{stopped}");
    assert!(stopped.contains("connected: 0,"), "{stopped}");
}

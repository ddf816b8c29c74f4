//! Two generated `push` examples (mews-server, feature `nats`) as separate processes fanning
//! out through the NATS server on 127.0.0.1:4222, each with a real WebSocket client: lines
//! written to one pusher reach the clients of both, each once and in order.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const PUSH: &str = env!("CARGO_BIN_EXE_mews-push-example");
const NATS: &str = "nats://127.0.0.1:4222";
const CLIENT_TOKEN: &str = "client-token-1";
const ACCESS_TOKEN: &str = "access-token-1";
/// Guards every wait so a broken build fails instead of hanging; never a speed assertion.
const PATIENCE: Duration = Duration::from_secs(30);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A subject prefix no other test or run uses.
fn prefix() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("triad-test.push-{}-{nanos}", std::process::id())
}

struct Push {
    child: Child,
    stdin: ChildStdin,
    url: String,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Push {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn push(fan_out: &str, prefix: &str) -> Push {
    let mut child = Command::new(PUSH)
        .args(["--addr", "127.0.0.1:0", "--client-token", CLIENT_TOKEN, "--access-token", ACCESS_TOKEN])
        .args(["--fan-out", fan_out, "--fan-out-prefix", prefix])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stderr = lines_of(child.stderr.take().unwrap());
    let fanning = stderr.recv_timeout(PATIENCE).unwrap();
    assert_eq!(fanning, format!("fanning out through NATS on {prefix}.connector"));
    let first = stderr.recv_timeout(PATIENCE).unwrap();
    let url = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {first}")).to_owned();
    Push { child, stdin, url, stderr }
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

/// A WebSocket client of a pusher, with the cookies it expects. The hub registers a client
/// before it answers the upgrade, so everything pushed from now on reaches it.
async fn connect(url: &str) -> Socket {
    let mut request = url.into_client_request().unwrap();
    let cookies = format!("ClientToken={CLIENT_TOKEN}; AccessToken={ACCESS_TOKEN}");
    request.headers_mut().insert("Cookie", HeaderValue::from_str(&cookies).unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// The next text message of `socket` (pings skipped).
async fn text(socket: &mut Socket) -> String {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a message in time")
            .expect("the connection stays open")
            .unwrap();
        match message {
            Message::Text(text) => return text.as_str().to_owned(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Asserts that no text message arrives on `socket` for half a second.
async fn silent(socket: &mut Socket, what: &str) {
    let extra = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => return text.as_str().to_owned(),
                Some(Ok(_)) => continue,
                other => panic!("{what}: connection ended: {other:?}"),
            }
        }
    })
    .await;
    if let Ok(extra) = extra {
        panic!("{what}: unexpected message {extra}");
    }
}

fn stop(mut pusher: Push) -> String {
    assert!(Command::new("kill").args(["-TERM", &pusher.child.id().to_string()]).status().unwrap().success());
    let deadline = std::time::Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = pusher.child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the pusher did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    pusher.stderr.recv_timeout(PATIENCE).unwrap()
}

#[tokio::test]
async fn lines_pushed_to_one_pusher_reach_the_clients_of_both_once_and_in_order() {
    let prefix = prefix();
    let mut a = push(NATS, &prefix);
    let mut b = push(NATS, &prefix);
    let mut on_a = connect(&a.url).await;
    let mut on_b = connect(&b.url).await;
    const N: usize = 1000;
    let lines: Vec<String> = (0..N).map(|n| format!(r#"{{"n":{n}}}"#)).collect();
    for line in &lines {
        writeln!(a.stdin, "{line}").unwrap();
    }
    a.stdin.flush().unwrap();
    for (name, socket) in [("A", &mut on_a), ("B", &mut on_b)] {
        for line in &lines {
            let got = text(socket).await;
            if &got != line {
                // The counters each pusher prints on stopping tell which side lost what.
                let sa = stop(a);
                let sb = stop(b);
                panic!("{name}: {got} for {line}\nA: {sa}\nB: {sb}");
            }
        }
    }
    // And the other way round.
    writeln!(b.stdin, "from B").unwrap();
    b.stdin.flush().unwrap();
    assert_eq!(text(&mut on_a).await, "from B");
    assert_eq!(text(&mut on_b).await, "from B");
    silent(&mut on_a, "client of A").await;
    silent(&mut on_b, "client of B").await;
    let stopped_a = stop(a);
    assert!(stopped_a.contains(&format!("pushed: {N},")), "{stopped_a}");
    assert!(stopped_a.contains(&format!("fan_out_received: {},", N + 1)), "{stopped_a}");
    assert!(stopped_a.contains("fan_out_failed: 0,"), "{stopped_a}");
    let stopped_b = stop(b);
    assert!(stopped_b.contains("pushed: 1,"), "{stopped_b}");
    assert!(stopped_b.contains(&format!("fan_out_received: {},", N + 1)), "{stopped_b}");
}

#[test]
fn a_nats_server_that_does_not_answer_stops_the_pusher() {
    // Port 1 on loopback: nothing listens there.
    let output = Command::new(PUSH)
        .args(["--addr", "127.0.0.1:0", "--fan-out", "nats://127.0.0.1:1", "--fan-out-prefix", &prefix()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: cannot connect to NATS"), "{stderr}");
}

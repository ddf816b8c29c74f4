//! The hub's fan-out across replicas against the NATS server on 127.0.0.1:4222: two hubs,
//! each with its own NATS connection and its own axum server on a loopback port, and a real
//! WebSocket client on each. Every test uses a subject prefix of its own.
#![cfg(feature = "nats")]

use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use triad_runtime::ws::async_nats::{self, connection::State as NatsState};
use triad_runtime::ws::{Expect, FanOutError, Hub, HubOptions, PushError, nats_subject};

const NATS: &str = "127.0.0.1:4222";
/// Guards every wait so a broken build fails instead of hanging; never a speed assertion.
const PATIENCE: Duration = Duration::from_secs(30);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A subject prefix no other test or run uses.
fn prefix() -> String {
    format!("triad-test.{:016x}", fastrand::u64(..))
}

/// Serves `hub` at `/ws` on a loopback port of its own; returns the URL.
async fn serve(hub: &Hub) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let router = hub.router("/ws", Expect::new());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// A WebSocket client of `url` that the hub has registered.
async fn client(hub: &Hub, url: &str) -> Socket {
    let before = hub.clients();
    let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    tokio::time::timeout(PATIENCE, async {
        while hub.clients() == before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the hub registers the client");
    socket
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

/// Asserts that no text message arrives on `socket` for a while.
async fn silent(socket: &mut Socket, what: &str) {
    let quiet = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => return text.as_str().to_owned(),
                Some(Ok(_)) => continue,
                other => panic!("{what}: connection ended: {other:?}"),
            }
        }
    })
    .await;
    if let Ok(extra) = quiet {
        panic!("{what}: unexpected message {extra}");
    }
}

/// Waits until the server has processed what `client` sent so far (its subscriptions): a
/// message on an inbox of its own comes back.
async fn processed(client: &async_nats::Client) {
    let inbox = client.new_inbox();
    let mut probe = client.subscribe(inbox.clone()).await.unwrap();
    client.publish(inbox, "probe".into()).await.unwrap();
    tokio::time::timeout(PATIENCE, probe.next()).await.expect("the probe comes back").unwrap();
}

async fn fan_out(hub: Hub, nats: impl Into<triad_runtime::ws::Nats>, subject: &str) -> Hub {
    hub.fan_out_nats(nats, subject).await.unwrap_or_else(|e| panic!("fan-out on {subject}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_on_one_replica_reaches_every_client_of_every_replica_once_in_order() {
    let subject = nats_subject(&prefix(), "connector");
    // A connects by URL, B with a client of its own making.
    let a = fan_out(Hub::new(HubOptions::default()), format!("nats://{NATS}"), &subject).await;
    let b_client = async_nats::connect(NATS).await.unwrap();
    let b = fan_out(Hub::new(HubOptions::default()), b_client, &subject).await;
    assert_eq!(a.fan_out_subject(), Some(subject.as_str()));
    // What goes over NATS, seen by a plain subscriber: each push published once.
    let observer = async_nats::connect(NATS).await.unwrap();
    let mut published = observer.subscribe(subject.clone()).await.unwrap();
    processed(&observer).await;
    let (url_a, url_b) = (serve(&a).await, serve(&b).await);
    let mut on_a = client(&a, &url_a).await;
    let mut on_b = client(&b, &url_b).await;

    const N: u64 = 1000;
    for n in 0..N {
        // The count is this replica's clients; the message reaches them back from NATS.
        assert_eq!(a.push_json(&n).unwrap(), 1);
    }
    for n in N..N + 10 {
        b.push_json_async(&n).await.unwrap();
    }
    // Each replica's pushes arrive in the order pushed; the two replicas' interleave as the
    // NATS server got them.
    let in_order = |got: Vec<u64>, whose: &str| {
        let (from_a, from_b): (Vec<u64>, Vec<u64>) = got.into_iter().partition(|n| *n < N);
        assert_eq!(from_a, (0..N).collect::<Vec<_>>(), "{whose}: A's pushes");
        assert_eq!(from_b, (N..N + 10).collect::<Vec<_>>(), "{whose}: B's pushes");
    };
    for (name, socket) in [("A", &mut on_a), ("B", &mut on_b)] {
        let mut got = Vec::new();
        for _ in 0..N + 10 {
            got.push(text(socket).await.parse().unwrap());
        }
        in_order(got, &format!("client of {name}"));
    }
    let mut got = Vec::new();
    for _ in 0..N + 10 {
        let message = tokio::time::timeout(PATIENCE, published.next()).await.unwrap().unwrap();
        got.push(std::str::from_utf8(&message.payload).unwrap().parse().unwrap());
    }
    in_order(got, "the subject");
    // Exactly once: nothing more on either client, nor on the subject.
    silent(&mut on_a, "client of A").await;
    silent(&mut on_b, "client of B").await;
    assert!(tokio::time::timeout(Duration::from_millis(200), published.next()).await.is_err());

    for (name, hub, pushed) in [("A", &a, N), ("B", &b, 10)] {
        let counters = hub.counters();
        assert_eq!(counters.pushed, pushed, "{name}");
        assert_eq!(counters.fan_out_received, N + 10, "{name}");
        assert_eq!(counters.fan_out_failed, 0, "{name}");
        assert_eq!(counters.fan_out_malformed, 0, "{name}");
    }
    // Bytes that are not UTF-8 text reach no client and are counted.
    observer.publish(subject.clone(), vec![0xff, 0xfe].into()).await.unwrap();
    observer.publish(subject.clone(), "after".into()).await.unwrap();
    assert_eq!(text(&mut on_a).await, "after");
    assert_eq!(text(&mut on_b).await, "after");
    assert_eq!(a.counters().fan_out_malformed, 1);
}

/// Forwards loopback connections to the NATS server until stopped, each connection
/// dropped with it: a NATS server that can go away and come back at the same address.
struct Relay {
    port: u16,
    task: JoinHandle<()>,
}

/// The relay's forwarding tasks, ended with it.
struct Links(Vec<JoinHandle<()>>);

impl Drop for Links {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

impl Relay {
    /// Listens on `port` (0: any free port).
    async fn start(port: u16) -> Relay {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(format!("127.0.0.1:{port}").parse().unwrap()).unwrap();
        let listener = socket.listen(64).unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut links = Links(Vec::new());
            while let Ok((mut inbound, _)) = listener.accept().await {
                links.0.retain(|link| !link.is_finished());
                links.0.push(tokio::spawn(async move {
                    let mut outbound = TcpStream::connect(NATS).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }));
            }
        });
        Relay { port, task }
    }

    /// Closes the listener and every forwarded connection.
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn state_becomes(client: &async_nats::Client, want: NatsState) {
    tokio::time::timeout(PATIENCE, async {
        while client.connection_state() != want {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("NATS connection not {want:?}: {:?}", client.connection_state()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_while_nats_is_down_fails_and_the_fan_out_comes_back() {
    let subject = nats_subject(&prefix(), "connector");
    let relay = Relay::start(0).await;
    let port = relay.port;
    let a_client = async_nats::ConnectOptions::new()
        .reconnect_delay_callback(|_| Duration::from_millis(100))
        .connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let a = fan_out(Hub::new(HubOptions::default()), a_client.clone(), &subject).await;
    let b = fan_out(Hub::new(HubOptions::default()), format!("nats://{NATS}"), &subject).await;
    let (url_a, url_b) = (serve(&a).await, serve(&b).await);
    let mut on_a = client(&a, &url_a).await;
    let mut on_b = client(&b, &url_b).await;
    a.push_text("before").unwrap();
    assert_eq!(text(&mut on_a).await, "before");
    assert_eq!(text(&mut on_b).await, "before");

    // NATS goes away for A: its pushes fail, for every replica, with an error.
    relay.stop().await;
    state_becomes(&a_client, NatsState::Disconnected).await;
    assert!(matches!(a.push_text("lost"), Err(PushError::FanOutDown)));
    assert!(matches!(a.push_json_async(&1).await, Err(PushError::FanOutDown)));
    assert_eq!(a.counters().fan_out_failed, 2);
    assert_eq!(a.counters().pushed, 1);
    // B still fans out; A, away from NATS, misses it (NATS core keeps nothing).
    b.push_text("while A is away").unwrap();
    assert_eq!(text(&mut on_b).await, "while A is away");

    // NATS is back at the same address: A reconnects and its subscription with it.
    let relay = Relay::start(port).await;
    state_becomes(&a_client, NatsState::Connected).await;
    // The subscription is sent again right after the reconnect; make sure the server has it.
    processed(&a_client).await;
    b.push_text("from B after").unwrap();
    a.push_text("from A after").unwrap();
    // Each replica's messages keep their order; the two replicas' may interleave either way.
    for (name, socket) in [("A", &mut on_a), ("B", &mut on_b)] {
        let mut got = [text(socket).await, text(socket).await];
        got.sort();
        assert_eq!(got, ["from A after", "from B after"], "client of {name}");
    }
    silent(&mut on_a, "client of A").await;
    assert_eq!(a.counters().fan_out_failed, 2);
    relay.stop().await;
}

#[tokio::test]
async fn an_unreachable_server_or_a_bad_subject_fails_the_fan_out() {
    // Port 1 on loopback: nothing listens there.
    let error = Hub::default().fan_out_nats("nats://127.0.0.1:1", "triad-test.x").await.unwrap_err();
    assert!(matches!(error, FanOutError::Connect(_)), "{error}");
    for bad in ["", "a..b", "a.*", "a.>", "with space"] {
        let error = Hub::default().fan_out_nats(format!("nats://{NATS}"), bad).await.unwrap_err();
        assert!(matches!(error, FanOutError::Subject { .. }), "{bad:?}: {error}");
    }
    let subject = nats_subject(&prefix(), "x");
    let hub = fan_out(Hub::default(), format!("nats://{NATS}"), &subject).await;
    let again = hub.clone().fan_out_nats(format!("nats://{NATS}"), &subject).await.unwrap_err();
    assert_eq!(again, FanOutError::AlreadyFansOut);
    // Without a fan-out a push never fails.
    assert_eq!(Hub::default().push_text("x").unwrap(), 0);
}

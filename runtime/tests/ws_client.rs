//! The WebSocket listener against hand-written tokio-tungstenite servers on loopback.
#![cfg(feature = "ws")]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::{Bytes, Message};
use triad_runtime::ws::{Auth, Backoff, Connection, Item, Listener, Malformed, Options, Overflow, Secret, State};

/// Frames are JSON arrays: a number is an event, a string an unknown event, anything else a
/// malformed event; a frame that is not an array is malformed as a whole.
fn decode(frame: &[u8], out: &mut Vec<Item<u64>>) {
    match serde_json::from_slice::<Vec<serde_json::Value>>(frame) {
        Ok(values) => {
            for value in values {
                out.push(match &value {
                    serde_json::Value::Number(n) if n.is_u64() => Item::Event(n.as_u64().unwrap_or_default()),
                    serde_json::Value::String(_) => Item::Unknown(value),
                    other => Item::Malformed(Malformed::new(other.to_string().as_bytes(), "not a number")),
                });
            }
        }
        Err(e) => out.push(Item::Malformed(Malformed::new(frame, e))),
    }
}

fn quick() -> Options {
    Options {
        ping_interval: Duration::from_millis(150),
        idle_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_secs(2),
        backoff: Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
            multiplier: 2.0,
            max_attempts: None,
        },
        buffer: 64,
        overflow: Overflow::Wait,
        max_message_size: 1 << 20,
    }
}

/// What a test server saw of the upgrade requests.
#[derive(Default)]
struct Seen {
    upgrades: AtomicUsize,
    requests: Mutex<Vec<Request>>,
}

/// A server that answers each upgrade with `status` (101 accepts) and hands each accepted
/// socket, with its number (0, 1, ...), to `serve`.
#[allow(clippy::result_large_err)] // the handshake callback's type is tungstenite's
async fn server<F, Fut>(status: u16, serve: F) -> (String, Arc<Seen>)
where
    F: Fn(usize, WebSocketStream<TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/connector", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let serve = Arc::new(serve);
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let seen = seen2.clone();
            let serve = serve.clone();
            tokio::spawn(async move {
                let slot = Arc::new(AtomicUsize::new(0));
                let number = slot.clone();
                let callback = move |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
                    number.store(seen.upgrades.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
                    let mut copy = Request::new(());
                    *copy.uri_mut() = request.uri().clone();
                    *copy.headers_mut() = request.headers().clone();
                    seen.requests.lock().unwrap().push(copy);
                    if status == 101 {
                        Ok(response)
                    } else {
                        let mut refusal = ErrorResponse::new(Some("refused".to_owned()));
                        *refusal.status_mut() = status.try_into().unwrap();
                        Err(refusal)
                    }
                };
                if let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await {
                    serve(slot.load(Ordering::SeqCst), socket).await;
                }
            });
        }
    });
    (url, seen)
}

async fn next(connection: &mut Connection<u64>) -> Item<u64> {
    tokio::time::timeout(Duration::from_secs(10), connection.next())
        .await
        .expect("an item within 10 s")
        .expect("the stream goes on")
}

/// Reads until a state that matches `want`, returning the items before it.
async fn until_state(connection: &mut Connection<u64>, want: impl Fn(&State) -> bool) -> (Vec<Item<u64>>, State) {
    let mut before = Vec::new();
    loop {
        match next(connection).await {
            Item::State(state) if want(&state) => return (before, state),
            item => before.push(item),
        }
    }
}

async fn text(socket: &mut WebSocketStream<TcpStream>, text: &str) {
    socket.send(Message::text(text)).await.unwrap();
}

/// Reads (answering pings) until the client goes away.
async fn drain(socket: &mut WebSocketStream<TcpStream>) -> Vec<Message> {
    let mut seen = Vec::new();
    while let Some(Ok(message)) = socket.next().await {
        seen.push(message);
    }
    seen
}

#[tokio::test]
async fn credentials_go_on_the_upgrade_and_items_come_in_order() {
    let (url, seen) = server(101, |_, mut socket| async move {
        text(&mut socket, "[1, 2, \"Later\"]").await;
        text(&mut socket, "not json").await;
        text(&mut socket, "[3, {\"x\": 1}, 4]").await;
        socket.send(Message::binary(b"[5]".to_vec())).await.unwrap();
        drain(&mut socket).await;
    })
    .await;
    let auth = Auth::new()
        .cookie("ClientToken", Secret::new("a"))
        .cookie("AccessToken", Secret::new("b"))
        .header("X-Api-Key", Secret::new("key"))
        .bearer(Secret::new("tok"))
        .query("token", Secret::new("a b&c=d/é"));
    let mut connection = Listener::new(url, decode).auth(auth).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let mut items = Vec::new();
    for _ in 0..8 {
        items.push(next(&mut connection).await);
    }
    assert_eq!(items[0], Item::Event(1));
    assert_eq!(items[1], Item::Event(2));
    assert_eq!(items[2], Item::Unknown(serde_json::json!("Later")));
    let Item::Malformed(bad) = &items[3] else { panic!("a malformed frame, got {:?}", items[3]) };
    assert_eq!(bad.raw, "not json");
    assert!(bad.error.contains("expected"), "{}", bad.error);
    assert_eq!(items[4], Item::Event(3));
    assert!(matches!(&items[5], Item::Malformed(m) if m.raw == "{\"x\":1}"));
    assert_eq!(items[6], Item::Event(4));
    assert_eq!(items[7], Item::Event(5));

    let requests = seen.requests.lock().unwrap();
    let request = &requests[0];
    let cookies: Vec<_> = request.headers().get_all("cookie").iter().collect();
    assert_eq!(cookies.len(), 1);
    assert_eq!(cookies[0].as_bytes(), b"ClientToken=a; AccessToken=b");
    assert_eq!(request.headers()["x-api-key"], "key");
    assert_eq!(request.headers()["authorization"], "Bearer tok");
    assert_eq!(request.uri().path(), "/ws/connector");
    assert_eq!(request.uri().query(), Some("token=a%20b%26c%3Dd%2F%C3%A9"));
}

#[tokio::test]
async fn a_server_that_never_answers_is_detected_and_replaced() {
    let (url, seen) = server(101, |number, socket| async move {
        if number == 0 {
            // Upgrade, then never read (so no pong) and never write: a silent peer.
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(socket);
        } else {
            let mut socket = socket;
            text(&mut socket, "[7]").await;
            drain(&mut socket).await;
        }
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let (before, state) = until_state(&mut connection, |s| matches!(s, State::Reconnecting { .. })).await;
    assert!(before.is_empty(), "{before:?}");
    let State::Reconnecting { attempt, reason, .. } = state else { unreachable!() };
    assert_eq!(attempt, 1);
    assert!(reason.contains("no frame"), "{reason}");
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::State(State::Resync));
    assert_eq!(next(&mut connection).await, Item::Event(7));
    assert!(seen.upgrades.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn pongs_keep_a_quiet_connection_alive() {
    // The server sends no data, but reads (and so answers pings): no reconnect.
    let (url, seen) = server(101, |_, mut socket| async move {
        drain(&mut socket).await;
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    // Three idle timeouts without data.
    let quiet = tokio::time::timeout(Duration::from_millis(1500), connection.next()).await;
    assert!(quiet.is_err(), "nothing may happen on a quiet, healthy connection: {quiet:?}");
    assert_eq!(connection.state(), State::Connected);
    assert_eq!(seen.upgrades.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn forced_drops_give_as_many_reconnects_and_resyncs() {
    const DROPS: usize = 3;
    let (url, seen) = server(101, |number, mut socket| async move {
        let n = number as u64 * 10;
        text(&mut socket, &format!("[{}, {}]", n + 1, n + 2)).await;
        if number < DROPS {
            // Drop the TCP connection without a Close frame.
            drop(socket);
        } else {
            drain(&mut socket).await;
        }
    })
    .await;
    let hooks = Arc::new(AtomicUsize::new(0));
    let mut connection = Listener::new(url, decode)
        .options(quick())
        .on_resync(hooks.clone(), |hooks: Arc<AtomicUsize>, _gap| async move {
            hooks.fetch_add(1, Ordering::SeqCst);
        })
        .connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::Event(1));
    assert_eq!(next(&mut connection).await, Item::Event(2));
    for round in 1..=DROPS as u64 {
        let item = next(&mut connection).await;
        let Item::State(State::Reconnecting { attempt, delay, reason }) = item else {
            panic!("Reconnecting expected, got {item:?}")
        };
        // The connection delivered frames, so the backoff starts over.
        assert_eq!(attempt, 1, "{reason}");
        assert!(delay <= Duration::from_millis(20), "{delay:?}");
        assert_eq!(next(&mut connection).await, Item::State(State::Connected));
        assert_eq!(next(&mut connection).await, Item::State(State::Resync));
        assert_eq!(hooks.load(Ordering::SeqCst), round as usize);
        assert_eq!(next(&mut connection).await, Item::Event(round * 10 + 1));
        assert_eq!(next(&mut connection).await, Item::Event(round * 10 + 2));
    }
    assert_eq!(hooks.load(Ordering::SeqCst), DROPS);
    assert_eq!(seen.upgrades.load(Ordering::SeqCst), DROPS + 1);
}

#[tokio::test]
async fn failing_attempts_back_off_and_give_up_after_max_attempts() {
    // A port with nothing listening: connection refused, retried.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let mut options = quick();
    options.backoff.max_attempts = Some(3);
    let mut connection = Listener::new(format!("ws://127.0.0.1:{port}/"), decode).options(options).connect();
    for expected in 1..=3 {
        let item = next(&mut connection).await;
        let Item::State(State::Reconnecting { attempt, delay, reason }) = item else { panic!("{item:?}") };
        assert_eq!(attempt, expected);
        assert!(delay <= quick().backoff.ceiling(expected), "{delay:?}");
        assert!(reason.contains("connect failed"), "{reason}");
    }
    let item = next(&mut connection).await;
    assert!(matches!(&item, Item::State(State::Failed(reason)) if reason.contains("3 attempts")), "{item:?}");
    assert!(connection.next().await.is_none());
}

#[tokio::test]
async fn rejected_credentials_end_the_stream_after_one_attempt() {
    for status in [401u16, 403] {
        let (url, seen) = server(status, |_, _| async {}).await;
        let mut connection = Listener::new(url, decode).options(quick()).connect();
        assert_eq!(next(&mut connection).await, Item::State(State::AuthFailed { status }));
        assert!(tokio::time::timeout(Duration::from_secs(1), connection.next()).await.unwrap().is_none());
        assert_eq!(connection.state(), State::AuthFailed { status });
        // Several backoff ceilings later, still one attempt.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(seen.upgrades.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn server_errors_on_the_upgrade_are_retried() {
    let (url, seen) = server(503, |_, _| async {}).await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    for _ in 0..2 {
        let item = next(&mut connection).await;
        assert!(matches!(&item, Item::State(State::Reconnecting { reason, .. }) if reason.contains("503")), "{item:?}");
    }
    assert!(seen.upgrades.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn closing_sends_a_close_frame_and_ends_the_stream() {
    let (got, mut saw) = tokio::sync::mpsc::channel(4);
    let (url, _) = server(101, move |_, mut socket| {
        let got = got.clone();
        async move {
            text(&mut socket, "[1]").await;
            let messages = drain(&mut socket).await;
            let _ = got.send(messages.iter().any(|m| matches!(m, Message::Close(_)))).await;
        }
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::Event(1));
    let closer = connection.closer();
    tokio::spawn(async move { closer.close() });
    let (before, state) = until_state(&mut connection, State::is_terminal).await;
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(state, State::Closed);
    assert!(connection.next().await.is_none());
    assert!(tokio::time::timeout(Duration::from_secs(5), saw.recv()).await.unwrap().unwrap(), "a Close frame");

    // Connection::close waits for the task.
    let (got, mut saw) = tokio::sync::mpsc::channel(4);
    let (url, _) = server(101, move |_, mut socket| {
        let got = got.clone();
        async move {
            let messages = drain(&mut socket).await;
            let _ = got.send(messages.iter().any(|m| matches!(m, Message::Close(_)))).await;
        }
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    connection.close().await;
    assert_eq!(connection.state(), State::Closed);
    assert_eq!(next(&mut connection).await, Item::State(State::Closed));
    assert!(connection.next().await.is_none());
    assert!(tokio::time::timeout(Duration::from_secs(5), saw.recv()).await.unwrap().unwrap(), "a Close frame");
}

#[tokio::test]
async fn dropping_the_connection_stops_it() {
    let (got, mut saw) = tokio::sync::mpsc::channel(4);
    let (url, seen) = server(101, move |_, mut socket| {
        let got = got.clone();
        async move {
            let _ = drain(&mut socket).await;
            let _ = got.send(()).await;
        }
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    drop(connection);
    tokio::time::timeout(Duration::from_secs(5), saw.recv()).await.expect("the socket ends").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.upgrades.load(Ordering::SeqCst), 1, "no reconnect after the drop");
}

const FRAMES: u64 = 50_000;

/// Pushes FRAMES frames of one event each (numbered from 0), padded to `pad` bytes, counting
/// the frames written.
async fn pusher(pad: usize) -> (String, Arc<AtomicUsize>) {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let (url, _) = server(101, move |_, mut socket| {
        let sent = counter.clone();
        async move {
            let filler = " ".repeat(pad);
            for n in 0..FRAMES {
                if socket.send(Message::text(format!("[{n}]{filler}"))).await.is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
            drain(&mut socket).await;
        }
    })
    .await;
    (url, sent)
}

#[tokio::test]
async fn a_slow_consumer_holds_the_server_back_within_the_buffer() {
    let (url, sent) = pusher(1000).await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    // Not reading for several idle timeouts: the buffer fills, the socket is not read, the
    // server's writes block. 50,000 frames of 1 kB do not fit in the socket buffers.
    let mut last = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(connection.buffered_len() <= 64, "{}", connection.buffered_len());
        last = sent.load(Ordering::SeqCst);
    }
    assert!(last < FRAMES as usize, "the server could write everything: {last}");
    assert_eq!(connection.buffered_len(), 64);
    // Now read: everything arrives, in order, on the same connection (the idle timer did not
    // fire while the buffer was full).
    for n in 0..FRAMES {
        let item = next(&mut connection).await;
        assert_eq!(item, Item::Event(n));
    }
    assert_eq!(connection.state(), State::Connected);
}

#[tokio::test]
async fn a_slow_consumer_loses_new_items_when_dropping() {
    let (url, sent) = pusher(0).await;
    let mut options = quick();
    options.overflow = Overflow::DropNewest;
    let mut connection = Listener::new(url, decode).options(options).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    // Wait until the server wrote everything, while not reading.
    tokio::time::timeout(Duration::from_secs(20), async {
        while sent.load(Ordering::SeqCst) < FRAMES as usize {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    let mut received = 0u64;
    let mut last = None;
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            assert!(connection.buffered_len() <= 64);
            if received + connection.dropped() == FRAMES {
                break;
            }
            match connection.next().await {
                Some(Item::Event(n)) => {
                    assert!(last.is_none_or(|last| n > last), "in order");
                    last = Some(n);
                    received += 1;
                }
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(connection.dropped() > 0);
    assert!(received >= 64, "{received}");
}

#[tokio::test]
async fn sent_messages_reach_the_server() {
    // An echo server.
    let (url, _) = server(101, |_, mut socket| async move {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                socket.send(Message::Text(text)).await.unwrap();
            }
        }
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let sender = connection.sender();
    sender.send_text("[41]".to_owned()).await.unwrap();
    sender.send_json(&[42, 43]).await.unwrap();
    assert_eq!(next(&mut connection).await, Item::Event(41));
    assert_eq!(next(&mut connection).await, Item::Event(42));
    assert_eq!(next(&mut connection).await, Item::Event(43));
    connection.close().await;
    assert!(sender.send_text("[1]".to_owned()).await.is_err());
}

#[tokio::test]
async fn server_pings_count_as_life() {
    // The server pings; the client's own pings get no answer (the server only writes).
    let (url, seen) = server(101, |_, socket| async move {
        let (mut write, _read) = socket.split();
        loop {
            if write.send(Message::Ping(Bytes::from_static(b"hi"))).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let quiet = tokio::time::timeout(Duration::from_millis(1500), connection.next()).await;
    assert!(quiet.is_err(), "{quiet:?}");
    assert_eq!(seen.upgrades.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_invalid_url_fails_at_once() {
    let mut connection = Listener::new("http//nowhere", decode).options(quick()).connect();
    let item = next(&mut connection).await;
    assert!(matches!(&item, Item::State(State::Failed(reason)) if reason.contains("URL")), "{item:?}");
    assert!(connection.next().await.is_none());
}

/// Records the fields of every `tracing` event as text.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl tracing::Subscriber for Log {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = String::new();
        event.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn each_reconnect_is_logged_without_credentials() {
    let log = Log::default();
    let _guard = tracing::subscriber::set_default(log.clone());
    let (url, _) = server(101, |number, socket| async move {
        if number < 2 {
            drop(socket);
        } else {
            let mut socket = socket;
            drain(&mut socket).await;
        }
    })
    .await;
    let auth = Auth::new().query("token", Secret::new("very-secret")).cookie("c", Secret::new("cookie-secret"));
    let mut connection = Listener::new(url, decode).auth(auth).options(quick()).connect();
    for _ in 0..2 {
        until_state(&mut connection, |s| matches!(s, State::Reconnecting { .. })).await;
    }
    until_state(&mut connection, |s| *s == State::Connected).await;
    let lines = log.0.lock().unwrap().clone();
    let reconnects: Vec<_> = lines.iter().filter(|l| l.contains("WebSocket reconnecting")).collect();
    assert_eq!(reconnects.len(), 2, "{lines:#?}");
    assert!(reconnects[0].contains("attempt=1") && reconnects[0].contains("delay_ms="), "{}", reconnects[0]);
    assert!(reconnects[1].contains("attempt=2"), "{}", reconnects[1]);
    assert!(lines.iter().all(|l| !l.contains("secret")), "{lines:#?}");
}

#[tokio::test]
async fn requests_get_their_correlated_replies() {
    // Answers {"id": X, "op": "ping"} with an unrelated event, then {"reply_to": X}; ignores "mute".
    let (url, _) = server(101, |_, mut socket| async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else { continue };
            let request: serde_json::Value = serde_json::from_str(&text).unwrap();
            if request["op"] == "mute" {
                continue;
            }
            text_json(&mut socket, &serde_json::json!([9])).await;
            text_json(&mut socket, &serde_json::json!({"reply_to": request["id"], "ok": true})).await;
        }
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).correlate("/reply_to").connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let sender = connection.sender();
    let reply = sender
        .request_json(&serde_json::json!({"id": "r1", "op": "ping"}), "r1", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(reply, serde_json::json!({"reply_to": "r1", "ok": true}));
    let reply = sender.request_json(&serde_json::json!({"id": 7, "op": "ping"}), "7", Duration::from_secs(5)).await;
    assert_eq!(reply.unwrap()["reply_to"], 7);
    // The unrelated events reach the stream; the replies do not.
    assert_eq!(next(&mut connection).await, Item::Event(9));
    assert_eq!(next(&mut connection).await, Item::Event(9));
    let silent =
        sender.request_json(&serde_json::json!({"id": "r2", "op": "mute"}), "r2", Duration::from_millis(200)).await;
    assert!(matches!(silent, Err(triad_runtime::ws::SendError::Timeout)), "{silent:?}");
    // Without a correlation pointer there is nothing to wait for.
    let plain = Listener::new("ws://127.0.0.1:9/", decode).options(quick()).connect();
    let refused = plain.sender().request_json(&1, "1", Duration::from_secs(1)).await;
    assert!(matches!(refused, Err(triad_runtime::ws::SendError::NotCorrelated)), "{refused:?}");
}

async fn text_json(socket: &mut WebSocketStream<TcpStream>, value: &serde_json::Value) {
    socket.send(Message::text(value.to_string())).await.unwrap();
}

#[tokio::test]
async fn extreme_options_do_not_panic() {
    let (url, _) = server(101, |_, mut socket| async move {
        text(&mut socket, "[1]").await;
        drain(&mut socket).await;
    })
    .await;
    let options = Options {
        ping_interval: Duration::MAX,
        idle_timeout: Duration::MAX,
        connect_timeout: Duration::MAX,
        backoff: Backoff {
            initial: Duration::MAX,
            max: Duration::MAX,
            multiplier: f64::INFINITY,
            max_attempts: Some(0),
        },
        buffer: usize::MAX,
        overflow: Overflow::Wait,
        max_message_size: usize::MAX,
    };
    let mut connection = Listener::new(url, decode).options(options).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::Event(1));
    connection.close().await;
}

#[tokio::test]
async fn a_burst_is_handed_over_in_order_within_the_buffer() {
    // After a request: 2,000 frames of 5 events, its reply after the first 1,000, and a Close
    // frame, all written at once so the listener finds them already received.
    let (url, seen) = server(101, |number, mut socket| async move {
        if number > 0 {
            drain(&mut socket).await;
            return;
        }
        let Some(Ok(Message::Text(request))) = socket.next().await else { return };
        let request: serde_json::Value = serde_json::from_str(&request).unwrap();
        for frame in 0..2_000u64 {
            if frame == 1_000 {
                let reply = serde_json::json!({"reply_to": request["id"], "ok": true});
                socket.feed(Message::text(reply.to_string())).await.unwrap();
            }
            let events: Vec<u64> = (frame * 5..frame * 5 + 5).collect();
            socket.feed(Message::text(serde_json::to_string(&events).unwrap())).await.unwrap();
        }
        socket.feed(Message::Close(None)).await.unwrap();
        socket.flush().await.unwrap();
        drain(&mut socket).await;
    })
    .await;
    let mut connection = Listener::new(url, decode).options(quick()).correlate("/reply_to").connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let sender = connection.sender();
    let request = tokio::spawn(async move {
        sender.request_json(&serde_json::json!({"id": "r1"}), "r1", Duration::from_secs(10)).await
    });
    // Every event before the loss, in order, the reply not among them, the buffer never over
    // its bound although a burst holds far more than it.
    for n in 0..10_000u64 {
        assert!(connection.buffered_len() <= 64, "{}", connection.buffered_len());
        assert_eq!(next(&mut connection).await, Item::Event(n));
        if n == 100 {
            // Let the buffer fill while nothing is read (up to a frame's worth short of the bound).
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(connection.buffered_len() > 64 - 5, "{}", connection.buffered_len());
        }
    }
    let (before, state) = until_state(&mut connection, |_| true).await;
    assert!(before.is_empty(), "{before:?}");
    assert!(
        matches!(&state, State::Reconnecting { attempt: 1, reason, .. } if reason.contains("closed the connection")),
        "{state:?}"
    );
    let reply = request.await.unwrap().unwrap();
    assert_eq!(reply, serde_json::json!({"reply_to": "r1", "ok": true}));
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(seen.upgrades.load(Ordering::SeqCst), 2);
    connection.close().await;
}

/// A server that pings every 100 ms and hangs up when a ping stays unanswered for 400 ms
/// (as providers do with clients that stop reading); sends `events` one per 100 ms meanwhile.
async fn strict(socket: &mut WebSocketStream<TcpStream>, events: &[u64]) -> Result<(), String> {
    let mut events = events.iter();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut unanswered: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if unanswered.is_some_and(|since| since.elapsed() > Duration::from_millis(400)) {
                    let _ = socket.close(None).await;
                    return Err("a ping went unanswered".to_owned());
                }
                if unanswered.is_none() {
                    unanswered = Some(tokio::time::Instant::now());
                    socket.send(Message::Ping(Bytes::from_static(b"p"))).await.map_err(|e| e.to_string())?;
                }
                if let Some(n) = events.next() {
                    text(socket, &format!("[{n}]")).await;
                }
            }
            message = socket.next() => match message {
                Some(Ok(Message::Pong(_))) => unanswered = None,
                Some(Ok(_)) => {}
                _ => return Ok(()),
            },
        }
    }
}

#[tokio::test]
async fn a_long_resync_keeps_the_new_connection_alive_and_holds_its_events_back() {
    let hangups = Arc::new(AtomicUsize::new(0));
    let counter = hangups.clone();
    let (url, seen) = server(101, move |number, mut socket| {
        let hangups = counter.clone();
        async move {
            if number == 0 {
                text(&mut socket, "[1]").await;
                return; // dropped without a Close frame
            }
            if strict(&mut socket, &[2, 3, 4, 5]).await.is_err() {
                hangups.fetch_add(1, Ordering::SeqCst);
            }
        }
    })
    .await;
    let mut connection = Listener::new(url, decode)
        .options(quick())
        // Three idle timeouts and many of the server's ping deadlines long.
        .on_resync((), |(), _gap| tokio::time::sleep(Duration::from_millis(1500)))
        .connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::Event(1));
    assert!(matches!(next(&mut connection).await, Item::State(State::Reconnecting { .. })));
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    // Nothing of the new connection passes the hook; what it read meanwhile follows Resync.
    assert_eq!(next(&mut connection).await, Item::State(State::Resync));
    for n in 2..=5 {
        assert_eq!(next(&mut connection).await, Item::Event(n));
    }
    assert_eq!(hangups.load(Ordering::SeqCst), 0, "the server saw its pings unanswered");
    assert_eq!(seen.upgrades.load(Ordering::SeqCst), 2);
    assert_eq!(connection.state(), State::Resync);
}

#[tokio::test]
async fn the_hook_is_told_the_gap_and_may_run_after_the_first_connect() {
    use triad_runtime::ws::Gap;
    let (url, _) = server(101, |number, mut socket| async move {
        if number == 0 {
            text(&mut socket, "[1]").await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        } else {
            drain(&mut socket).await;
        }
    })
    .await;
    let gaps: Arc<Mutex<Vec<Gap>>> = Arc::default();
    let start = std::time::SystemTime::now();
    let mut connection = Listener::new(url, decode)
        .options(quick())
        .resync_on_first_connect(true)
        .on_resync(gaps.clone(), |gaps: Arc<Mutex<Vec<Gap>>>, gap| async move {
            gaps.lock().unwrap().push(gap);
        })
        .connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::State(State::Resync));
    assert_eq!(next(&mut connection).await, Item::Event(1));
    assert!(matches!(next(&mut connection).await, Item::State(State::Reconnecting { .. })));
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::State(State::Resync));
    let gaps = gaps.lock().unwrap().clone();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    let (first, second) = (gaps[0], gaps[1]);
    assert!(!first.reconnect && first.last_message.is_none() && first.lost.is_none(), "{first:?}");
    assert!(first.connected >= start);
    assert!(second.reconnect, "{second:?}");
    let (last, lost) = (second.last_message.unwrap(), second.lost.unwrap());
    // The event arrived on the first connection, which then stayed up ~200 ms.
    assert!(first.connected <= last && last <= lost && lost <= second.connected, "{gaps:?}");
    assert!(lost.duration_since(last).unwrap() >= Duration::from_millis(100), "{gaps:?}");
}

#[tokio::test]
async fn the_hook_can_talk_to_the_server_over_the_new_connection() {
    // Answers every request with its reply, then an event.
    let (url, _) = server(101, |number, mut socket| async move {
        if number == 0 {
            return;
        }
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else { continue };
            let request: serde_json::Value = serde_json::from_str(&text).unwrap();
            text_json(&mut socket, &serde_json::json!({"reply_to": request["id"]})).await;
            text_json(&mut socket, &serde_json::json!([42])).await;
        }
    })
    .await;
    let sender: Arc<std::sync::OnceLock<triad_runtime::ws::Sender>> = Arc::default();
    let replies = Arc::new(AtomicUsize::new(0));
    let context = (sender.clone(), replies.clone());
    let mut connection = Listener::new(url, decode)
        .options(quick())
        .correlate("/reply_to")
        .on_resync(context, |(sender, replies), _gap| async move {
            // Subscribe again and wait for the server's answer, inside the hook.
            let sender = sender.get().expect("set before the first reconnect").clone();
            let reply = sender.request_json(&serde_json::json!({"id": "s1"}), "s1", Duration::from_secs(5)).await;
            if reply.is_ok() {
                replies.fetch_add(1, Ordering::SeqCst);
            }
        })
        .connect();
    sender.set(connection.sender()).unwrap();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert!(matches!(next(&mut connection).await, Item::State(State::Reconnecting { .. })));
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::State(State::Resync));
    assert_eq!(replies.load(Ordering::SeqCst), 1);
    assert_eq!(next(&mut connection).await, Item::Event(42));
}

/// A server whose second connection writes `count` one-event frames at once.
async fn burst_on_reconnect(count: u64) -> String {
    server(101, move |number, mut socket| async move {
        if number == 0 {
            return;
        }
        for n in 0..count {
            if socket.send(Message::text(format!("[{n}]"))).await.is_err() {
                return;
            }
        }
        drain(&mut socket).await;
    })
    .await
    .0
}

#[tokio::test]
async fn events_held_during_a_resync_stay_within_the_buffer() {
    const COUNT: u64 = 200;
    let slow_hook = |(), _gap| tokio::time::sleep(Duration::from_millis(400));
    // Wait: reading stops when the held events fill the room; all of them arrive, in order.
    let mut options = quick();
    options.buffer = 8;
    let mut connection = Listener::new(burst_on_reconnect(COUNT).await, decode)
        .options(options.clone())
        .on_resync((), slow_hook)
        .connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert!(matches!(next(&mut connection).await, Item::State(State::Reconnecting { .. })));
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::State(State::Resync));
    for n in 0..COUNT {
        assert_eq!(next(&mut connection).await, Item::Event(n));
    }
    assert_eq!(connection.dropped(), 0);
    // DropNewest: what does not fit the buffer during the hook is dropped and counted.
    options.overflow = Overflow::DropNewest;
    let mut connection =
        Listener::new(burst_on_reconnect(COUNT).await, decode).options(options).on_resync((), slow_hook).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert!(matches!(next(&mut connection).await, Item::State(State::Reconnecting { .. })));
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    assert_eq!(next(&mut connection).await, Item::State(State::Resync));
    let mut received = Vec::new();
    while received.len() as u64 + connection.dropped() < COUNT {
        match next(&mut connection).await {
            Item::Event(n) => received.push(n),
            other => panic!("{other:?}"),
        }
    }
    assert!(received.len() <= 8, "{received:?}");
    assert!(received.windows(2).all(|w| w[0] < w[1]), "{received:?}");
    assert!(connection.dropped() > 0);
}

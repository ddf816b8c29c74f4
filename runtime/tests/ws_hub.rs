//! The WebSocket hub on axum against the runtime's listener and raw clients, on loopback.
#![cfg(all(feature = "ws", feature = "server"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use triad_runtime::ws::{
    Auth, Backoff, Connection, Expect, Hub, HubOptions, Item, Lagging, Listener, Options, Overflow, Secret, State,
};

fn decode(frame: &[u8], out: &mut Vec<Item<u64>>) {
    match serde_json::from_slice::<u64>(frame) {
        Ok(n) => out.push(Item::Event(n)),
        Err(e) => out.push(Item::Malformed(triad_runtime::ws::Malformed::new(frame, e))),
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
        buffer: 1024,
        overflow: Overflow::Wait,
        max_message_size: 1 << 20,
    }
}

fn mews_expect() -> Expect {
    Expect::new().cookie("ClientToken", Secret::new("client")).cookie("AccessToken", Secret::new("access"))
}

fn mews_auth() -> Auth {
    Auth::new().cookie("ClientToken", Secret::new("client")).cookie("AccessToken", Secret::new("access"))
}

/// Serves `hub` at `/ws/connector`; returns the URL.
async fn serve(hub: &Hub, expect: Expect) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/connector", listener.local_addr().unwrap());
    let router = hub.router("/ws/connector", expect);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn next(connection: &mut Connection<u64>) -> Item<u64> {
    tokio::time::timeout(Duration::from_secs(10), connection.next())
        .await
        .expect("an item within 10 s")
        .expect("the stream goes on")
}

async fn clients(hub: &Hub, n: usize) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while hub.clients() != n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{n} clients expected, {} connected", hub.clients()));
}

#[tokio::test]
async fn pushed_messages_reach_every_client_in_order() {
    let hub = Hub::new(HubOptions::default());
    let url = serve(&hub, mews_expect()).await;
    let mut a = Listener::new(url.clone(), decode).auth(mews_auth()).options(quick()).connect();
    let mut b = Listener::new(url, decode).auth(mews_auth()).options(quick()).connect();
    assert_eq!(next(&mut a).await, Item::State(State::Connected));
    assert_eq!(next(&mut b).await, Item::State(State::Connected));
    clients(&hub, 2).await;
    for n in 0..500u64 {
        assert_eq!(hub.push_json(&n).unwrap(), 2);
    }
    for client in [&mut a, &mut b] {
        for n in 0..500u64 {
            assert_eq!(next(client).await, Item::Event(n));
        }
    }
    let counters = hub.counters();
    assert_eq!(counters.connected, 2);
    assert_eq!(counters.pushed, 500);
    assert_eq!(counters.rejected, 0);
    a.close().await;
    clients(&hub, 1).await;
}

#[tokio::test]
async fn wrong_credentials_are_refused_before_the_upgrade() {
    let hub = Hub::new(HubOptions::default());
    let url = serve(&hub, mews_expect()).await;
    let wrong = [
        Auth::new().cookie("ClientToken", Secret::new("client")).cookie("AccessToken", Secret::new("accesS")),
        Auth::new().cookie("ClientToken", Secret::new("client")),
        Auth::new().cookie("ClientToken", Secret::new("client")).cookie("AccessToken", Secret::new("access2")),
        Auth::new().header("ClientToken", Secret::new("client")).header("AccessToken", Secret::new("access")),
        Auth::new(),
    ];
    for (i, auth) in wrong.into_iter().enumerate() {
        let mut connection = Listener::new(url.clone(), decode).auth(auth).options(quick()).connect();
        assert_eq!(next(&mut connection).await, Item::State(State::AuthFailed { status: 401 }));
        assert!(connection.next().await.is_none());
        assert_eq!(hub.counters().rejected, i as u64 + 1);
    }
    assert_eq!(hub.counters().connected, 0);
    // Cookies in another order, with other cookies around, are fine.
    let auth = Auth::new()
        .cookie("Other", Secret::new("x"))
        .cookie("AccessToken", Secret::new("access"))
        .cookie("ClientToken", Secret::new("client"));
    let mut connection = Listener::new(url, decode).auth(auth).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
}

#[tokio::test]
async fn headers_query_and_bearer_are_checked() {
    let hub = Hub::new(HubOptions::default());
    let expect =
        Expect::new().header("X-Key", Secret::new("k")).query("token", Secret::new("a b&c")).bearer(Secret::new("t"));
    let url = serve(&hub, expect).await;
    let good =
        Auth::new().header("X-Key", Secret::new("k")).query("token", Secret::new("a b&c")).bearer(Secret::new("t"));
    let mut connection = Listener::new(url.clone(), decode).auth(good).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let bad =
        Auth::new().header("X-Key", Secret::new("k")).query("token", Secret::new("a b&c")).bearer(Secret::new("u"));
    let mut connection = Listener::new(url, decode).auth(bad).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::AuthFailed { status: 401 }));
}

#[tokio::test]
async fn empty_secrets_are_refused() {
    let hub = Hub::new(HubOptions::default());
    for expect in [
        Expect::new().cookie("ClientToken", Secret::new("")),
        Expect::new().header("", Secret::new("x")),
        Expect::new().query("q", Secret::new("")),
        Expect::new().bearer(Secret::new("")),
    ] {
        let error = expect.check().unwrap_err();
        assert!(error.to_string().contains("empty"), "{error}");
        assert!(hub.try_router("/ws", expect.clone()).is_err());
        // The router made anyway refuses everything, even a request without credentials.
        let url = serve(&hub, expect).await;
        let mut connection = Listener::new(url, decode).options(quick()).connect();
        assert_eq!(next(&mut connection).await, Item::State(State::AuthFailed { status: 401 }));
    }
    assert!(Expect::new().check().is_ok());
}

/// A raw client that upgrades and then never reads.
async fn deaf_client(url: &str) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("cookie", "ClientToken=client; AccessToken=access".parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}

/// Pushes `total` messages of about 4 kB in chunks the reading `client` keeps up with.
async fn push_while_reading(hub: &Hub, client: &mut Connection<u64>, total: u64) {
    let pad = " ".repeat(4096);
    let mut n = 0;
    while n < total {
        for _ in 0..8 {
            hub.push_text(format!("{n}{pad}")).unwrap();
            n += 1;
        }
        for k in n - 8..n {
            assert_eq!(next(client).await, Item::Event(k));
        }
    }
}

#[tokio::test]
async fn a_client_that_does_not_read_is_disconnected() {
    let hub = Hub::new(HubOptions { buffer: 16, lagging: Lagging::Disconnect, ping_interval: Duration::from_secs(5) });
    let url = serve(&hub, mews_expect()).await;
    let mut reader = Listener::new(url.clone(), decode).auth(mews_auth()).options(quick()).connect();
    assert_eq!(next(&mut reader).await, Item::State(State::Connected));
    let deaf = deaf_client(&url).await;
    clients(&hub, 2).await;
    push_while_reading(&hub, &mut reader, 8000).await;
    clients(&hub, 1).await;
    let counters = hub.counters();
    assert_eq!(counters.disconnected_lagging, 1);
    assert_eq!(counters.lagged, 0);
    drop(deaf);
}

#[tokio::test]
async fn a_client_that_does_not_read_loses_messages_when_dropping() {
    let hub = Hub::new(HubOptions { buffer: 16, lagging: Lagging::Drop, ping_interval: Duration::from_secs(5) });
    let url = serve(&hub, mews_expect()).await;
    let mut reader = Listener::new(url.clone(), decode).auth(mews_auth()).options(quick()).connect();
    assert_eq!(next(&mut reader).await, Item::State(State::Connected));
    let deaf = deaf_client(&url).await;
    clients(&hub, 2).await;
    push_while_reading(&hub, &mut reader, 8000).await;
    // The deaf client's task notices its lag once a write gets through; it stays connected.
    assert_eq!(hub.clients(), 2);
    assert_eq!(hub.counters().disconnected_lagging, 0);
    // Let the deaf client read now: its task resumes and counts what it skipped.
    let mut deaf = deaf;
    let read = tokio::spawn(async move { while let Some(Ok(_)) = deaf.next().await {} });
    tokio::time::timeout(Duration::from_secs(10), async {
        while hub.counters().lagged == 0 {
            hub.push_text("0").unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("skipped messages are counted");
    read.abort();
}

#[tokio::test]
async fn disconnect_all_forces_reconnects_and_resyncs() {
    let hub = Hub::new(HubOptions::default());
    let url = serve(&hub, mews_expect()).await;
    let resyncs = Arc::new(AtomicUsize::new(0));
    let mut connection = Listener::new(url, decode)
        .auth(mews_auth())
        .options(quick())
        .on_resync(resyncs.clone(), |r: Arc<AtomicUsize>, _gap| async move {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    for round in 1..=3u64 {
        clients(&hub, 1).await;
        hub.push_json(&round).unwrap();
        assert_eq!(next(&mut connection).await, Item::Event(round));
        hub.disconnect_all();
        assert!(matches!(next(&mut connection).await, Item::State(State::Reconnecting { .. })));
        assert_eq!(next(&mut connection).await, Item::State(State::Connected));
        assert_eq!(next(&mut connection).await, Item::State(State::Resync));
        assert_eq!(resyncs.load(Ordering::SeqCst), round as usize);
    }
    assert_eq!(hub.counters().connected, 4);
}

#[tokio::test]
async fn the_hub_pings_its_clients() {
    let hub = Hub::new(HubOptions { ping_interval: Duration::from_millis(50), ..HubOptions::default() });
    let url = serve(&hub, mews_expect()).await;
    let mut socket = deaf_client(&url).await;
    let message = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(message, Message::Ping(_)), "{message:?}");
}

#[tokio::test]
async fn a_plain_get_is_not_upgraded() {
    let hub = Hub::new(HubOptions::default());
    let url = serve(&hub, Expect::new()).await;
    let addr = url.trim_start_matches("ws://").split('/').next().unwrap().to_owned();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /ws/connector HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert_eq!(hub.counters().connected, 0);
}

#[tokio::test]
async fn extreme_hub_options_do_not_panic() {
    let hub = Hub::new(HubOptions { buffer: usize::MAX, lagging: Lagging::Drop, ping_interval: Duration::MAX });
    let url = serve(&hub, Expect::new()).await;
    let mut connection = Listener::new(url, decode).options(quick()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    clients(&hub, 1).await;
    hub.push_json(&5u64).unwrap();
    assert_eq!(next(&mut connection).await, Item::Event(5));
}

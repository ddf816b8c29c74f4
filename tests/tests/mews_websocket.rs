//! The generated `mews-client` listener against the generated `mews-server` endpoint, over a
//! real WebSocket on loopback: typed events in order, reconnects with a resync hook per forced
//! drop, malformed and unknown events, a refused upgrade, and the exact `Cookie` header.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mews_client::connector::{self, Item};
use mews_client::websocket::{self as ws, State, StreamExt};
use mews_types::{ResourceState, WebSocketEvent, WebSocketMessage};

const CLIENT_TOKEN: &str = "E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D";
const ACCESS_TOKEN: &str = "C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D";

/// Guards every wait so a broken build fails instead of hanging; never a speed assertion.
const PATIENCE: Duration = Duration::from_secs(20);

struct Server {
    hub: ws::Hub,
    url: String,
}

async fn serve(client_token: &str, access_token: &str) -> Server {
    let hub = ws::Hub::new(ws::HubOptions {
        buffer: 256,
        lagging: ws::Lagging::Disconnect,
        ping_interval: Duration::from_secs(5),
    });
    let expected = mews_server::Expected {
        client_token: Some(ws::Secret::new(client_token)),
        access_token: Some(ws::Secret::new(access_token)),
    };
    let router = mews_server::connector::router(&hub, mews_server::connector::expect(&expected));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        mews_server::runtime::axum::serve(listener, router).await.unwrap();
    });
    Server { hub, url: format!("ws://{addr}{}", mews_server::connector::PATH) }
}

fn credentials(access_token: &str) -> mews_client::Credentials {
    mews_client::Credentials {
        client_token: Some(ws::Secret::new(CLIENT_TOKEN)),
        access_token: Some(ws::Secret::new(access_token)),
        ..Default::default()
    }
}

fn options() -> ws::Options {
    ws::Options {
        backoff: ws::Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(50),
            multiplier: 2.0,
            max_attempts: None,
        },
        ..ws::Options::default()
    }
}

async fn next(connection: &mut ws::Connection<connector::Event>) -> Item {
    tokio::time::timeout(PATIENCE, connection.next()).await.expect("an item in time").expect("the stream goes on")
}

/// Waits until the hub has `n` clients.
async fn clients(hub: &ws::Hub, n: usize) {
    tokio::time::timeout(PATIENCE, async {
        while hub.clients() != n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("clients in time");
}

fn resource(id: &str) -> String {
    format!(r#"{{"Type":"Resource","Id":"{id}","State":"Clean"}}"#)
}

const IDS: [&str; 3] = [
    "8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a01",
    "8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a02",
    "8f8b3a0e-44c7-4c3e-9a6e-0d3a7d6f5a03",
];

fn expect_resource(item: Item, id: &str) {
    match item {
        Item::Event(WebSocketEvent::Resource(event)) => {
            assert_eq!(event.id.to_string(), id);
            assert_eq!(event.state, ResourceState::Clean);
        }
        other => panic!("expected the resource event {id}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_events_arrive_typed_and_in_order() {
    let server = serve(CLIENT_TOKEN, ACCESS_TOKEN).await;
    let mut connection = connector::listener(&server.url, &credentials(ACCESS_TOKEN)).options(options()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    clients(&server.hub, 1).await;
    // A batch of two as raw text, then one through the typed push.
    server.hub.push_text(format!(r#"{{"Events":[{},{}]}}"#, resource(IDS[0]), resource(IDS[1]))).unwrap();
    let typed: WebSocketMessage = serde_json::from_str(&format!(r#"{{"Events":[{}]}}"#, resource(IDS[2]))).unwrap();
    assert_eq!(mews_server::connector::push_events_message(&server.hub, &typed).unwrap(), 1);
    for id in IDS {
        expect_resource(next(&mut connection).await, id);
    }
    connection.close().await;
    assert_eq!(next(&mut connection).await, Item::State(State::Closed));
    assert!(connection.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_drops_reconnect_and_resync_with_the_client_each_time() {
    const DROPS: usize = 3;
    let server = serve(CLIENT_TOKEN, ACCESS_TOKEN).await;
    let client = mews_client::Client::new("http://127.0.0.1:9", &credentials(ACCESS_TOKEN)).unwrap();
    let resyncs = Arc::new(AtomicUsize::new(0));
    let counter = resyncs.clone();
    let mut connection = connector::listener(&server.url, &credentials(ACCESS_TOKEN))
        .options(options())
        .on_resync(client, move |client: mews_client::Client, _gap| {
            let counter = counter.clone();
            async move {
                // The hook gets the HTTP client, to re-read state after the gap.
                let _ = client.transport();
                counter.fetch_add(1, Ordering::SeqCst);
            }
        })
        .connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let mut reconnects = 0;
    for drop in 0..DROPS {
        clients(&server.hub, 1).await;
        server.hub.disconnect_all();
        // Reconnecting (one or more attempts), then Connected, then Resync.
        loop {
            match next(&mut connection).await {
                Item::State(State::Reconnecting { .. }) => {}
                Item::State(State::Connected) => break,
                other => panic!("expected a reconnect, got {other:?}"),
            }
        }
        reconnects += 1;
        assert_eq!(next(&mut connection).await, Item::State(State::Resync));
        assert_eq!(resyncs.load(Ordering::SeqCst), drop + 1);
        clients(&server.hub, 1).await;
        server.hub.push_text(format!(r#"{{"Events":[{}]}}"#, resource(IDS[drop % IDS.len()]))).unwrap();
        expect_resource(next(&mut connection).await, IDS[drop % IDS.len()]);
    }
    assert_eq!(reconnects, DROPS);
    assert_eq!(resyncs.load(Ordering::SeqCst), DROPS);
    assert_eq!(server.hub.counters().connected, DROPS as u64 + 1);
    connection.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unknown_events_are_items_and_later_events_still_arrive() {
    let server = serve(CLIENT_TOKEN, ACCESS_TOKEN).await;
    let mut connection = connector::listener(&server.url, &credentials(ACCESS_TOKEN)).options(options()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    clients(&server.hub, 1).await;
    // Not JSON at all: one malformed item carrying the whole frame.
    server.hub.push_text("{not json").unwrap();
    // One bad event among good ones, and an event of a kind this crate does not know.
    server.hub.push_text(format!(
        r#"{{"Events":[{},{{"Type":"Resource","Id":"not-a-uuid","State":"Clean"}},{{"Type":"SpaceBooked","Id":"1"}},{}]}}"#,
        resource(IDS[0]),
        resource(IDS[1])
    ))
    .unwrap();
    match next(&mut connection).await {
        Item::Malformed(malformed) => {
            assert_eq!(malformed.raw, "{not json");
            assert!(!malformed.error.is_empty());
        }
        other => panic!("expected a malformed frame, got {other:?}"),
    }
    expect_resource(next(&mut connection).await, IDS[0]);
    match next(&mut connection).await {
        Item::Malformed(malformed) => {
            assert!(malformed.raw.contains("not-a-uuid"), "{}", malformed.raw);
            assert!(malformed.error.contains("Id"), "the error names the field: {}", malformed.error);
        }
        other => panic!("expected a malformed event, got {other:?}"),
    }
    match next(&mut connection).await {
        Item::Unknown(raw) => assert_eq!(raw["Type"], "SpaceBooked"),
        other => panic!("expected an unknown event, got {other:?}"),
    }
    expect_resource(next(&mut connection).await, IDS[1]);
    server.hub.push_text(format!(r#"{{"Events":[{}]}}"#, resource(IDS[2]))).unwrap();
    expect_resource(next(&mut connection).await, IDS[2]);
    connection.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upgrade_is_reported_once_without_retrying() {
    let server = serve(CLIENT_TOKEN, ACCESS_TOKEN).await;
    let mut connection =
        connector::listener(&server.url, &credentials("wrong-access-token")).options(options()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::AuthFailed { status: 401 }));
    assert!(connection.next().await.is_none(), "the stream ends after the refusal");
    // Give a retry (10 ms backoff) every chance to happen before counting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let counters = server.hub.counters();
    assert_eq!(counters.rejected, 1, "{counters:?}");
    assert_eq!(counters.connected, 0, "{counters:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The accept callback's error type is tungstenite's.
#[allow(clippy::result_large_err)]
async fn cookies_are_sent_exactly_as_mews_requires() {
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut tx = Some(tx);
        let callback = |request: &Request, response: Response| {
            let cookies: Vec<String> = request
                .headers()
                .get_all("cookie")
                .iter()
                .map(|v| v.to_str().unwrap_or("(not text)").to_owned())
                .collect();
            if let Some(tx) = tx.take() {
                let _ = tx.send((request.uri().path().to_owned(), cookies));
            }
            Ok(response)
        };
        let socket = tokio_tungstenite::accept_hdr_async(stream, callback).await.unwrap();
        // Keep the connection open until the client goes.
        let (_, mut read) = socket.split();
        while read.next().await.is_some() {}
    });
    let url = format!("ws://{addr}{}", mews_server::connector::PATH);
    let mut connection = connector::listener(url, &credentials(ACCESS_TOKEN)).options(options()).connect();
    assert_eq!(next(&mut connection).await, Item::State(State::Connected));
    let (path, cookies) = tokio::time::timeout(PATIENCE, rx).await.unwrap().unwrap();
    assert_eq!(path, "/ws/connector");
    assert_eq!(cookies, [format!("ClientToken={CLIENT_TOKEN}; AccessToken={ACCESS_TOKEN}")]);
    connection.close().await;
}

#[test]
fn the_channel_constants_are_the_mews_addresses() {
    assert_eq!(connector::PRODUCTION, "wss://ws.mews.com/ws/connector");
    assert_eq!(connector::DEMO, "wss://ws.mews-demo.com/ws/connector");
    assert_eq!(mews_server::connector::PATH, "/ws/connector");
}

//! Events per second decoded from a WebSocket on loopback: triad-runtime's `Listener` (a
//! `DecodeFn` unbatching `mews_types::WebSocketMessage` into one item per event, read as a
//! stream) against a hand-written tokio-tungstenite client running the same serde decode in a
//! loop (the baseline). A plain tokio-tungstenite server pushes the same pre-built frames to
//! both: FRAMES frames of EVENTS_PER_FRAME Mews events each. One iteration is one connection
//! receiving all of them, so events per second = FRAMES × EVENTS_PER_FRAME / median. Afterwards
//! both are measured again in alternating rounds (one connection of each per round), which
//! gives the ratio least disturbed by a noisy machine.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use mews_types::{Decoded, WebSocketEvent, WebSocketMessage};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use triad_runtime::ws::{Item, Listener, Malformed, Options};

const FRAMES: usize = 20_000;
const EVENTS_PER_FRAME: usize = 10;
const EVENTS: usize = FRAMES * EVENTS_PER_FRAME;
/// Rounds of the alternating comparison (one connection of each per round).
const ROUNDS: usize = 15;

/// Frames of EVENTS_PER_FRAME events cycling through the four Mews event shapes of the
/// example message, each event with its own id.
fn frames() -> Vec<Utf8Bytes> {
    let root = triad_tests::root();
    let text = std::fs::read(root.join("tests/data/mews/websocket-message.json")).unwrap();
    let example: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let shapes = example["Events"].as_array().unwrap().clone();
    (0..FRAMES)
        .map(|f| {
            let events: Vec<serde_json::Value> = (0..EVENTS_PER_FRAME)
                .map(|e| {
                    let n = f * EVENTS_PER_FRAME + e;
                    let mut event = shapes[n % shapes.len()].clone();
                    event["Id"] = format!("00000000-0000-4000-8000-{n:012}").into();
                    event
                })
                .collect();
            Utf8Bytes::from(serde_json::json!({ "Events": events }).to_string())
        })
        .collect()
}

/// A server that pushes every frame to each client that connects, then waits for it to go.
async fn server(frames: Vec<Utf8Bytes>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/connector", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let _ = stream.set_nodelay(true);
            let frames = frames.clone();
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else { return };
                for frame in frames {
                    if socket.feed(Message::Text(frame)).await.is_err() {
                        return;
                    }
                }
                if socket.flush().await.is_err() {
                    return;
                }
                while let Some(Ok(_)) = socket.next().await {}
            });
        }
    });
    url
}

/// The listener's decoder: one item per event of a frame.
fn decode(frame: &[u8], out: &mut Vec<Item<WebSocketEvent>>) {
    match serde_json::from_slice::<WebSocketMessage>(frame) {
        Ok(message) => out.extend(message.events.into_iter().map(|event| match event {
            Decoded::Ok(WebSocketEvent::Unknown(raw)) => Item::Unknown(raw),
            Decoded::Ok(event) => Item::Event(event),
            Decoded::Malformed { raw, error } => Item::Malformed(Malformed { raw: raw.to_string(), error }),
        })),
        Err(error) => out.push(Item::Malformed(Malformed::new(frame, error))),
    }
}

/// The baseline: a hand-written client decoding every frame, counting events.
async fn baseline(url: &str) -> usize {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut events = 0;
    while events < EVENTS {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let message: WebSocketMessage = serde_json::from_slice(text.as_bytes()).unwrap();
                for event in message.events {
                    if let Decoded::Ok(event) = event {
                        std::hint::black_box(&event);
                        events += 1;
                    }
                }
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    events
}

/// The runtime's listener, read as a stream.
async fn listener(url: &str) -> usize {
    let mut connection = Listener::new(url, decode).options(Options::default()).connect();
    let mut events = 0;
    while events < EVENTS {
        match connection.next().await {
            Some(Item::Event(event)) => {
                std::hint::black_box(&event);
                events += 1;
            }
            Some(Item::State(state)) if state.is_terminal() => panic!("{state:?}"),
            Some(_) => {}
            None => panic!("the stream ended"),
        }
    }
    events
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let url = runtime.block_on(server(frames()));
    let mut group = c.benchmark_group("ws-listener");
    group.sample_size(10).measurement_time(Duration::from_secs(10)).warm_up_time(Duration::from_secs(2));
    group.bench_function("tungstenite+serde (baseline)", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    assert_eq!(baseline(&url).await, EVENTS);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("listener", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    assert_eq!(listener(&url).await, EVENTS);
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    // The ratio to trust: one connection of each in turn (in a shuffled order) for ROUNDS
    // rounds, so that drift in the machine's speed reaches both alike; medians over the rounds.
    // The ratio to trust: one run of each in turn for ROUNDS rounds; medians over the rounds.
    let [base, ours] = triad_tests::alternating_medians(ROUNDS, |i| {
        let events = runtime.block_on(async { if i == 0 { baseline(&url).await } else { listener(&url).await } });
        assert_eq!(events, EVENTS);
    });
    println!("\nalternating rounds ({ROUNDS} connections of {EVENTS} events each), median time per connection:");
    println!("tungstenite+serde (baseline) {base:>8.1} ms ({:.0} events/s)", EVENTS as f64 / base * 1e3);
    println!(
        "listener                     {ours:>8.1} ms ({:.0} events/s)   throughput ratio to the baseline {:.3}",
        EVENTS as f64 / ours * 1e3,
        base / ours
    );
}

criterion_group!(ws, benches);
criterion_main!(ws);

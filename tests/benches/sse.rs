//! Server-Sent Events per second decoded on loopback: triad-runtime's `Events` (the stream a
//! generated client's event-stream method returns: the bounded parser, each event's data
//! decoded as `mews_types::WebSocketEvent`, ids and event names kept, read as a stream)
//! against a hand-written reqwest client splitting the body on blank lines and running the
//! same serde decode on each `data:` line in a loop (the baseline). A plain tokio server sends
//! both the same pre-built body of EVENTS events. One iteration is one request reading all of
//! them. Afterwards both are measured again in alternating rounds, which gives the ratio least
//! disturbed by a noisy machine.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::StreamExt;
use mews_types::WebSocketEvent;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use triad_runtime::client::sse::{self, Item};
use triad_runtime::client::{Auth, Builder, Method, Operation, Request, RetryPolicy};

const EVENTS: usize = 100_000;
/// Rounds of the alternating comparison (one request of each per round).
const ROUNDS: usize = 15;

static OP: Operation =
    Operation { id: "events", method: Method::GET, path: "/events", retry_safe: true, schemes: None };

/// The body: EVENTS events cycling through the four Mews event shapes of the example
/// WebSocket message, each with its own id, as `id`, `event` and `data` lines.
fn body() -> Vec<u8> {
    let root = triad_tests::root();
    let text = std::fs::read(root.join("tests/data/mews/websocket-message.json")).unwrap();
    let example: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let shapes = example["Events"].as_array().unwrap().clone();
    let mut body = Vec::new();
    for n in 0..EVENTS {
        let mut event = shapes[n % shapes.len()].clone();
        event["Id"] = format!("00000000-0000-4000-8000-{n:012}").into();
        body.extend_from_slice(format!("id: {n}\nevent: update\ndata: {event}\n\n").as_bytes());
    }
    body
}

/// A server that answers every request with the body, then closes the connection.
async fn server(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = std::sync::Arc::new(body);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    url
}

/// The baseline: reqwest's byte stream split on blank lines, each `data:` line decoded.
async fn baseline(http: &reqwest::Client, url: &str) -> usize {
    let response = http.get(format!("{url}/events")).send().await.unwrap();
    let mut chunks = response.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut events = 0;
    while let Some(chunk) = chunks.next().await {
        buf.extend_from_slice(&chunk.unwrap());
        let mut start = 0;
        while let Some(end) = buf[start..].windows(2).position(|w| w == b"\n\n") {
            let event = &buf[start..start + end];
            for line in event.split(|b| *b == b'\n') {
                if let Some(data) = line.strip_prefix(b"data: ") {
                    let event: WebSocketEvent = serde_json::from_slice(data).unwrap();
                    std::hint::black_box(&event);
                    events += 1;
                }
            }
            start += end + 2;
        }
        buf.drain(..start);
    }
    events
}

/// The runtime's event stream, as a generated client's method makes it.
async fn runtime_events(transport: &triad_runtime::client::Transport) -> usize {
    let mut stream = transport.events(&OP, Request::new(), sse::json::<WebSocketEvent>, false);
    let mut events = 0;
    while let Some(item) = stream.next().await {
        match item {
            Item::Event(event) => {
                std::hint::black_box(&event);
                events += 1;
            }
            Item::State(state) if state.is_terminal() => break,
            Item::State(_) => {}
            Item::Malformed(m) => panic!("{m:?}"),
        }
    }
    events
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let url = runtime.block_on(server(body()));
    let http = reqwest::Client::new();
    let transport = Builder::new(url.clone())
        .auth(Auth::new())
        .retry(RetryPolicy::default())
        .http_client(http.clone())
        .build()
        .unwrap();
    let mut group = c.benchmark_group("sse-events");
    group.sample_size(10).measurement_time(Duration::from_secs(10)).warm_up_time(Duration::from_secs(2));
    group.bench_function("reqwest+serde (baseline)", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    assert_eq!(baseline(&http, &url).await, EVENTS);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("events", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    assert_eq!(runtime_events(&transport).await, EVENTS);
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    // The ratio to trust: one run of each in turn for ROUNDS rounds; medians over the rounds.
    let [base, ours] = triad_tests::alternating_medians(ROUNDS, |i| {
        let events = runtime
            .block_on(async { if i == 0 { baseline(&http, &url).await } else { runtime_events(&transport).await } });
        assert_eq!(events, EVENTS);
    });
    println!("\nalternating rounds ({ROUNDS} requests of {EVENTS} events each), median time per request:");
    println!("reqwest+serde (baseline) {base:>8.1} ms ({:.0} events/s)", EVENTS as f64 / base * 1e3);
    println!(
        "events                   {ours:>8.1} ms ({:.0} events/s)   throughput ratio to the baseline {:.3}",
        EVENTS as f64 / ours * 1e3,
        base / ours
    );
}

criterion_group!(sse_events, benches);
criterion_main!(sse_events);

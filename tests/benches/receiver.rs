//! The generated Mews webhook receiver on loopback, inline and journaled, against a hand-written
//! axum handler that only parses the same payloads (the baseline). First the two handlers'
//! CPU cost alone (requests straight into each router on one thread, no sockets). Each measurement posts
//! deliveries from 16 concurrent clients, so the time per iteration is the time per delivery
//! under load (deliveries per second = 1 s / median). Afterwards the baseline and the inline
//! receiver are measured again in alternating rounds, which gives the ratio least disturbed by
//! a noisy machine; the p99 latency of the 2xx of each receiver is measured over sequential
//! deliveries and printed, then a journaled burst is
//! timed until handled, with the deliveries each journal commit (fsync) carried, and the cost
//! of one commit alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use mews_server::runtime::axum::{self, body::Bytes, http::StatusCode};
use mews_server::runtime::{Journal as _, JournalOptions, RedbJournal, Verifier};
use triad_runtime::client::reqwest;

const CLIENTS: u64 = 16;
const TOKEN: &str = "bench-token";
/// Rounds of the alternating comparison, and deliveries per receiver in each.
const ROUNDS: usize = 31;
const PER_ROUND: u64 = 2_000;
/// Rounds of the handlers-alone comparison, and requests to each handler in each.
const CPU_ROUNDS: usize = 21;
const CPU_PER_ROUND: u64 = 20_000;

struct Noop;
impl mews_server::Webhooks for Noop {}

async fn baseline(body: Bytes) -> StatusCode {
    match serde_json::from_slice::<mews_types::GeneralWebhookMessage>(&body) {
        Ok(message) => {
            std::hint::black_box(message);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks?Token={TOKEN}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// A distinct general webhook message per call (duplicates would skip the handlers).
fn body(template: &serde_json::Value, n: u64) -> Vec<u8> {
    let mut message = template.clone();
    message["Events"][0]["Value"]["Id"] = format!("00000000-0000-0000-0000-{n:012}").into();
    serde_json::to_vec(&message).unwrap()
}

async fn burst(client: &reqwest::Client, url: &str, template: &serde_json::Value, next: &AtomicU64, count: u64) {
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, url, template) = (client.clone(), url.to_owned(), template.clone());
        let share = count / CLIENTS + u64::from(c < count % CLIENTS);
        let start = next.fetch_add(share, Ordering::Relaxed);
        tasks.push(tokio::spawn(async move {
            for n in start..start + share {
                let response = client.post(&url).body(body(&template, n)).send().await.unwrap();
                let status = response.status();
                // Read to the end, as a provider does: an unread body keeps the connection
                // out of the pool, and the next delivery would open a new one.
                response.bytes().await.unwrap();
                assert!(status.is_success(), "{status}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// The CPU cost of the handlers alone, without HTTP or sockets: each request goes straight
/// into the router on one thread, so nothing but the handler (extractors, verification,
/// digest, duplicate window, parse, dispatch; or the baseline's parse) is timed. The body
/// differs on every call, by an id written in place. Measured in alternating rounds, like the
/// loopback comparison, and printed as medians.
fn handler_cpu(template: &serde_json::Value) {
    use tower::ServiceExt;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut message = template.clone();
    let placeholder = "00000000-0000-0000-0000-000000000000";
    message["Events"][0]["Value"]["Id"] = placeholder.into();
    let text = serde_json::to_vec(&message).unwrap();
    let at = text.windows(placeholder.len()).position(|w| w == placeholder.as_bytes()).unwrap() + 24;
    let inline = runtime.block_on(async {
        let verifier = Verifier::query_token("Token", &[TOKEN]).unwrap();
        mews_server::receiver(Noop, verifier).inline(None).start().unwrap()
    });
    let routers = [
        ("parse only (baseline)", axum::Router::new().route("/webhooks", axum::routing::post(baseline))),
        ("inline", inline.router()),
    ];
    let uri = format!("/webhooks?Token={TOKEN}");
    let mut n = 0u64;
    let mut times = [Vec::new(), Vec::new()];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..=CPU_ROUNDS {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let order = if seed >> 63 == 1 { [1, 0] } else { [0, 1] };
        for i in order {
            let elapsed = runtime.block_on(async {
                let mut elapsed = Duration::ZERO;
                for _ in 0..CPU_PER_ROUND {
                    n += 1;
                    let mut body = text.clone();
                    body[at..at + 12].copy_from_slice(format!("{n:012}").as_bytes());
                    let request = axum::http::Request::post(&uri).body(axum::body::Body::from(body)).unwrap();
                    let start = Instant::now();
                    let response = routers[i].1.clone().oneshot(request).await.unwrap();
                    elapsed += start.elapsed();
                    assert!(response.status().is_success());
                }
                elapsed
            });
            // Round 0 warms up.
            if round > 0 {
                times[i].push(elapsed.as_secs_f64() * 1e6 / CPU_PER_ROUND as f64);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let base = median(&mut times[0]);
    let ours = median(&mut times[1]);
    println!(
        "\nhandlers alone, one thread ({CPU_ROUNDS} alternating rounds of {CPU_PER_ROUND} requests), median CPU time per delivery:"
    );
    println!("{:<24} {base:>8.2} µs", routers[0].0);
    println!("{:<24} {ours:>8.2} µs   cost ratio to the baseline {:.3}", routers[1].0, ours / base);
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let root = triad_tests::root();
    let text = std::fs::read(root.join("tests/data/mews/general-webhook.json")).unwrap();
    let template: serde_json::Value = serde_json::from_slice(&text).unwrap();
    handler_cpu(&template);
    let journal_dir = tempfile::tempdir().unwrap();
    let (receivers, urls) = runtime.block_on(async {
        let verifier = || Verifier::query_token("Token", &[TOKEN]).unwrap();
        let inline = mews_server::receiver(Noop, verifier()).inline(None).start().unwrap();
        let journal = Arc::new(RedbJournal::open(journal_dir.path()).unwrap());
        let journaled = mews_server::receiver(Noop, verifier()).journaled(journal, JournalOptions::default()).start();
        let journaled = journaled.unwrap();
        let baseline = serve(axum::Router::new().route("/webhooks", axum::routing::post(baseline))).await;
        let inline_url = serve(inline.router()).await;
        let journaled_url = serve(journaled.router()).await;
        (
            (inline, journaled),
            [("parse only (baseline)", baseline), ("inline", inline_url), ("journaled", journaled_url)],
        )
    });
    let client = reqwest::Client::new();
    let next = AtomicU64::new(0);
    let mut group = c.benchmark_group("webhook-receiver");
    group.sample_size(10).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(1));
    for (name, url) in &urls {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let start = Instant::now();
                    burst(&client, url, &template, &next, iters).await;
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
    let (_inline, journaled) = receivers;
    let settle = |receiver: &mews_server::runtime::Receiver<_>| {
        runtime.block_on(async {
            while receiver.counters().pending > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    settle(&journaled);
    // The ratio to trust: the baseline and the inline receiver measured in alternation, in
    // rounds of one burst each (in a shuffled order), so that drift in the machine's speed
    // reaches both alike; medians over the rounds. The journaled receiver stays out: its
    // handling goes on after its burst is answered and would slow whatever runs next.
    let compared = [0, 1];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); urls.len()];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..ROUNDS {
        let mut order = compared;
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        if seed >> 63 == 1 {
            order.reverse();
        }
        for i in order {
            // New connections each round, so that where their tasks happen to run in one
            // round does not favour one receiver for the whole comparison.
            let client = reqwest::Client::new();
            let start = Instant::now();
            runtime.block_on(burst(&client, &urls[i].1, &template, &next, PER_ROUND));
            times[i].push(start.elapsed().as_secs_f64() * 1e6 / PER_ROUND as f64);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let base = median(&mut times[0]);
    println!("\nalternating rounds ({ROUNDS} of {PER_ROUND} deliveries each), median time per delivery:");
    for i in compared {
        let m = median(&mut times[i]);
        println!("{:<24} {m:>8.2} µs   throughput ratio to the baseline {:.3}", urls[i].0, base / m);
    }
    // p99 of the 2xx, one delivery at a time.
    println!("\n{:<24} {:>10} {:>10}", "receiver", "p50 µs", "p99 µs");
    for (name, url) in &urls {
        let mut latencies: Vec<Duration> = runtime.block_on(async {
            let mut out = Vec::new();
            for _ in 0..500 {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let start = Instant::now();
                let response = client.post(url).body(body(&template, n)).send().await.unwrap();
                let status = response.status();
                response.bytes().await.unwrap();
                out.push(start.elapsed());
                assert!(status.is_success());
            }
            out
        });
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_micros();
        println!("{name:<24} {:>10} {:>10}", at(0.50), at(0.99));
    }
    // Journaled throughput end to end: a burst acknowledged and then handled, and how many
    // deliveries each commit (fsync) carried.
    let journaled_url = &urls[2].1;
    settle(&journaled);
    let before = journaled.counters();
    let count = 4_000;
    let start = Instant::now();
    runtime.block_on(burst(&client, journaled_url, &template, &next, count));
    let acknowledged = start.elapsed();
    settle(&journaled);
    let handled = start.elapsed();
    let after = journaled.counters();
    let commits = after.commits - before.commits;
    let writes = after.commit_writes - before.commit_writes;
    println!(
        "journaled burst of {count}: {:.0} deliveries/s acknowledged, {:.0}/s handled; {commits} commits for {writes} writes ({:.1} per commit), {:.0} µs of wall time per commit",
        count as f64 / acknowledged.as_secs_f64(),
        count as f64 / handled.as_secs_f64(),
        writes as f64 / commits.max(1) as f64,
        handled.as_micros() as f64 / commits.max(1) as f64,
    );
    // The cost of one durable transaction alone: a write that changes nothing, committed and fsynced.
    let alone = RedbJournal::open(&journal_dir.path().join("alone")).unwrap();
    let start = Instant::now();
    for _ in 0..200 {
        alone.complete(u64::MAX).unwrap();
    }
    println!("one commit (fsync) alone: {:.0} µs", start.elapsed().as_micros() as f64 / 200.0);
}

criterion_group!(receiver, benches);
criterion_main!(receiver);

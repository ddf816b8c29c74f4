//! The rate limit shared through Redis (127.0.0.1:6379), over real HTTP on loopback: two client
//! processes with one token stay under one limit together; an unreachable store fails fast or
//! falls back to the in-process limit, as chosen. Each test writes under a prefix of its own and
//! deletes its keys.
#![cfg(feature = "redis")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use triad_runtime::client::redis::AsyncCommands as _;
use triad_runtime::client::{
    Builder, Credential, Error, Method, OnUnreachable, Operation, RateLimit, RedisStore, Request, Secret, Transport,
};

const REDIS: &str = "redis://127.0.0.1:6379";

/// Set in the environment of the child processes [`two_processes_with_one_token_share_one_window`]
/// starts: the loopback server's URL.
const CHILD_SERVER: &str = "TRIAD_REDIS_LIMIT_CHILD_SERVER";
const CHILD_PREFIX: &str = "TRIAD_REDIS_LIMIT_CHILD_PREFIX";
const CHILD_NAME: &str = "TRIAD_REDIS_LIMIT_CHILD_NAME";

/// The shared limit of the two processes.
const LIMIT: RateLimit = RateLimit { requests: 20, per: Duration::from_secs(2) };
/// Requests each process sends.
const PER_PROCESS: usize = 40;
/// The token both processes use.
const TOKEN: &str = "token-of-the-property-1234";

const WARM_UP: Operation =
    Operation { id: "warm_up", method: Method::GET, path: "/warm-up", retry_safe: true, schemes: None };
const PING: Operation = Operation { id: "ping", method: Method::GET, path: "/ping", retry_safe: true, schemes: None };

/// One request as the server saw it: when, from which client, and how long after the client's
/// hook stamped it (`x-sent`, microseconds since the epoch; zero when absent).
#[derive(Clone, Debug)]
struct Arrival {
    at: Instant,
    client: String,
    transit: Duration,
}

/// A loopback HTTP server answering `{}` to everything and recording each arrival.
async fn serve() -> (SocketAddr, Arc<Mutex<Vec<Arrival>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let recorded = arrivals.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                    let counted = request.uri().path() != WARM_UP.path;
                    let client =
                        request.headers().get("x-client").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    let sent: u128 = request
                        .headers()
                        .get("x-sent")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or_default();
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros();
                    let transit = Duration::from_micros(u64::try_from(now.saturating_sub(sent)).unwrap_or(u64::MAX));
                    if counted {
                        recorded.lock().unwrap().push(Arrival { at: Instant::now(), client, transit });
                    }
                    async { Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"{}")))) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    (addr, arrivals)
}

/// A prefix no other run uses.
fn prefix() -> String {
    format!("triad-test:{:016x}:", fastrand::u64(..))
}

async fn redis() -> triad_runtime::client::redis::aio::MultiplexedConnection {
    let client = triad_runtime::client::redis::Client::open(REDIS).unwrap();
    client.get_multiplexed_async_connection().await.expect("Redis runs on 127.0.0.1:6379")
}

/// The keys under `prefix`.
async fn keys(prefix: &str) -> Vec<String> {
    redis().await.keys(format!("{prefix}*")).await.unwrap()
}

/// Deletes the keys under `prefix`.
async fn clean(prefix: &str) {
    let keys = keys(prefix).await;
    if !keys.is_empty() {
        let _: u64 = redis().await.del(&keys).await.unwrap();
    }
    assert!(self::keys(prefix).await.is_empty());
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The most arrivals in any window of `window` starting at an arrival.
fn most_in_a_window(times: &[Instant], window: Duration) -> usize {
    (0..times.len()).map(|i| times[i..].iter().take_while(|t| **t - times[i] < window).count()).max().unwrap_or(0)
}

/// Not a test of its own: the client process [`two_processes_with_one_token_share_one_window`]
/// starts (this test binary run again with the child variables set). Without them it does
/// nothing. It sends [`PER_PROCESS`] requests at once through a transport limited to [`LIMIT`]
/// in Redis, failing rather than falling back, and fails unless every one succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_client() {
    let (Ok(server), Ok(prefix), Ok(name)) =
        (std::env::var(CHILD_SERVER), std::env::var(CHILD_PREFIX), std::env::var(CHILD_NAME))
    else {
        return;
    };
    let token = Secret::new(TOKEN);
    let store = RedisStore::open(REDIS).unwrap().prefix(prefix);
    // Connections are opened first, outside the limit and not counted by the server, so the
    // limited requests all go out on open connections.
    let http = reqwest::Client::new();
    let warm_up = Builder::new(&server).http_client(http.clone()).build().unwrap();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..LIMIT.requests {
        let warm_up = warm_up.clone();
        calls.spawn(async move { warm_up.send::<serde_json::Value>(&WARM_UP, Request::new()).await.map(|_| ()) });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap().unwrap();
    }
    let transport = Builder::new(server)
        .http_client(http)
        .credential(Credential::Header { name: "x-token".to_owned(), value: token.clone() })
        .shared_rate_limit(LIMIT, Some(&token))
        .redis_rate_limit(store, OnUnreachable::Fail)
        .hook(move |request| {
            request.headers_mut().insert("x-client", name.parse().unwrap());
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros();
            request.headers_mut().insert("x-sent", now.to_string().parse().unwrap());
        })
        .build()
        .unwrap();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..PER_PROCESS {
        let transport = transport.clone();
        calls.spawn(async move { transport.send::<serde_json::Value>(&PING, Request::new()).await.map(|_| ()) });
    }
    while let Some(done) = calls.join_next().await {
        if let Err(e) = done.unwrap() {
            panic!("a request failed: {e}");
        }
    }
}

fn spawn_child(server: &str, prefix: &str, name: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child_client", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_SERVER, server)
        .env(CHILD_PREFIX, prefix)
        .env(CHILD_NAME, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` at most `limit`, killing it past that; its output and whether it passed.
fn finish(mut child: Child, limit: Duration) -> (bool, String) {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_with_one_token_share_one_window() {
    let (addr, arrivals) = serve().await;
    let prefix = prefix();
    let server = format!("http://{addr}");
    let children = [spawn_child(&server, &prefix, "a"), spawn_child(&server, &prefix, "b")];
    let results = tokio::task::spawn_blocking(move || children.map(|child| finish(child, Duration::from_secs(60))))
        .await
        .unwrap();
    for (passed, output) in &results {
        assert!(passed, "a client process failed:\n{output}");
        assert!(output.contains("1 passed"), "the child ran its client:\n{output}");
    }
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2 * PER_PROCESS, "every request arrived");
    for name in ["a", "b"] {
        assert_eq!(arrivals.iter().filter(|a| a.client == name).count(), PER_PROCESS, "from {name}");
    }
    let mut times: Vec<Instant> = arrivals.iter().map(|a| a.at).collect();
    times.sort();
    // The limit counts a request when the script reads Redis' clock; the server sees it
    // later: after the script's answer travels back, the client's task is polled among the 40
    // of its process and the request crosses the socket. That delay differs from request to
    // request (from the hook's stamp to the arrival alone it spans 0.3 to about 30 ms here,
    // two processes and the server sharing two cores), so an arrival may come that much closer
    // to the one 20 requests before it than its acquisition did. Windows 50 ms shorter than the
    // limit's allow for it; a limit not shared would put 40 requests in the first window.
    let tolerance = Duration::from_millis(50);
    let strict = most_in_a_window(&times, LIMIT.per);
    let most = most_in_a_window(&times, LIMIT.per - tolerance);
    let transits: Vec<Duration> = arrivals.iter().map(|a| a.transit).collect();
    eprintln!(
        "arrivals over {:?}; most in any 2 s window: {strict}, in any {:?} window: {most}; from hook to arrival: {:?} to {:?}",
        times[times.len() - 1] - times[0],
        LIMIT.per - tolerance,
        transits.iter().min().unwrap(),
        transits.iter().max().unwrap(),
    );
    assert!(most <= LIMIT.requests as usize, "{most} requests within {:?}", LIMIT.per - tolerance);
    // 80 requests at 20 per 2 s: the 21st, 41st and 61st each wait a whole window.
    let span = times[times.len() - 1] - times[0];
    assert!(span >= 3 * LIMIT.per - tolerance, "all arrived within {span:?}");
    // One window in Redis, named by a digest: the token is nowhere in it.
    let keys = keys(&prefix).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(!keys[0].contains(TOKEN), "{keys:?}");
    clean(&prefix).await;
}

/// A transport limited to 3 requests per second in the Redis at `store`.
fn limited(server: SocketAddr, store: RedisStore, on_unreachable: OnUnreachable) -> Transport {
    let token = Secret::new(TOKEN);
    Builder::new(format!("http://{server}"))
        .shared_rate_limit(RateLimit { requests: 3, per: Duration::from_secs(1) }, Some(&token))
        .redis_rate_limit(store, on_unreachable)
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_unreachable_store_fails_the_call_quickly_when_told_to() {
    let (addr, arrivals) = serve().await;
    let store = RedisStore::open(&format!("redis://127.0.0.1:{}", closed_port())).unwrap();
    let transport = limited(addr, store, OnUnreachable::Fail);
    let start = Instant::now();
    let error = transport.send::<serde_json::Value>(&PING, Request::new()).await.unwrap_err();
    assert!(matches!(&error, Error::LimiterUnreachable { .. }), "{error:?}");
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    let text = error.to_string();
    assert!(text.contains("unreachable") && text.contains("127.0.0.1"), "{text}");
    assert!(!text.contains(TOKEN) && !format!("{error:?}").contains(TOKEN));
    assert_eq!(error.status(), None);
    assert!(arrivals.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_store_that_never_answers_fails_the_call_within_its_timeouts() {
    let (addr, arrivals) = serve().await;
    // Accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            connections.push(stream);
        }
    });
    let store = RedisStore::open(&format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .connect_timeout(Duration::from_millis(300))
        .response_timeout(Duration::from_millis(300));
    let transport = limited(addr, store, OnUnreachable::Fail);
    let start = Instant::now();
    let error = transport.send::<serde_json::Value>(&PING, Request::new()).await.unwrap_err();
    let took = start.elapsed();
    assert!(matches!(&error, Error::LimiterUnreachable { .. }), "{error:?}");
    assert!(took < Duration::from_millis(1500), "bounded by the store's timeouts: {took:?}");
    assert!(arrivals.lock().unwrap().is_empty(), "nothing was sent");
    held.abort();
}

/// The warnings logged while it is the default subscriber, each as its fields' text.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl tracing::Subscriber for Warnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn an_unreachable_store_falls_back_to_the_in_process_limit_with_a_warning() {
    let warnings = Warnings::default();
    let _default = tracing::subscriber::set_default(warnings.clone());
    let (addr, arrivals) = serve().await;
    let port = closed_port();
    let store = RedisStore::open(&format!("redis://127.0.0.1:{port}")).unwrap();
    let transport = limited(addr, store, OnUnreachable::LimitInProcess);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let transport = transport.clone();
        calls.spawn(async move { transport.send::<serde_json::Value>(&PING, Request::new()).await.map(|_| ()) });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap().unwrap();
    }
    let mut times: Vec<Instant> = arrivals.lock().unwrap().iter().map(|a| a.at).collect();
    times.sort();
    assert_eq!(times.len(), 6, "every request was sent");
    // Still 3 per second, counted in this process.
    assert!(most_in_a_window(&times, Duration::from_millis(950)) <= 3, "{times:?}");
    assert!(times[3] - times[0] >= Duration::from_millis(950), "{:?}", times[3] - times[0]);
    // Warned at once, then quiet within the warning interval, and never the token.
    let warnings = warnings.0.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("unreachable") && warnings[0].contains(&format!("127.0.0.1:{port}")), "{warnings:?}");
    assert!(warnings[0].contains("fell_back=1"), "{warnings:?}");
    assert!(!warnings[0].contains(TOKEN), "{warnings:?}");
}

#[tokio::test]
async fn without_redis_the_in_process_limit_is_the_default_and_redis_is_untouched() {
    let (addr, arrivals) = serve().await;
    let prefix = prefix();
    let token = Secret::new(TOKEN);
    let transport = Builder::new(format!("http://{addr}"))
        .shared_rate_limit(RateLimit { requests: 2, per: Duration::from_secs(30) }, Some(&token))
        .build()
        .unwrap();
    for _ in 0..2 {
        transport.send::<serde_json::Value>(&PING, Request::new()).await.unwrap();
    }
    assert_eq!(arrivals.lock().unwrap().len(), 2);
    assert!(keys(&prefix).await.is_empty());
    // `without_rate_limit` drops a Redis limit too.
    let unlimited = Builder::new(format!("http://{addr}"))
        .rate_limit(RateLimit { requests: 1, per: Duration::from_secs(30) })
        .redis_rate_limit(RedisStore::open(REDIS).unwrap().prefix(&prefix), OnUnreachable::Fail)
        .without_rate_limit()
        .build()
        .unwrap();
    assert_eq!(unlimited.rate_limit(), None);
    for _ in 0..3 {
        unlimited.send::<serde_json::Value>(&PING, Request::new()).await.unwrap();
    }
    assert!(keys(&prefix).await.is_empty());
}

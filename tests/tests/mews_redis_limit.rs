//! The generated `mews-client` with its `redis` feature: the provider's rate limit counted in
//! Redis (127.0.0.1:6379) through `Client::builder`, against a scripted server on loopback. The
//! window's key is under a prefix of the test's own, deleted afterwards.

mod loopback;

use std::time::{Duration, Instant};

use loopback::{Reply, Server};
use mews_client::runtime::redis::AsyncCommands as _;
use mews_client::runtime::{Error, OnUnreachable, RedisStore, Secret};
use mews_client::{Client, Credentials, types};
use serde_json::json;

const REDIS: &str = "redis://127.0.0.1:6379";
const ACCESS_TOKEN: &str = "access-token-of-the-redis-test";

fn credentials() -> Credentials {
    Credentials {
        client_token: Some(Secret::new("client-token-1")),
        access_token: Some(Secret::new(ACCESS_TOKEN)),
        client: Some(Secret::new("Redis Limit Tests 1.0")),
    }
}

fn request() -> types::ReservationServiceOrderFilterParameters {
    types::ReservationServiceOrderFilterParameters::new(types::Limitation::new(1))
}

async fn redis() -> mews_client::runtime::redis::aio::MultiplexedConnection {
    let client = mews_client::runtime::redis::Client::open(REDIS).unwrap();
    client.get_multiplexed_async_connection().await.expect("Redis runs on 127.0.0.1:6379")
}

#[tokio::test]
async fn the_provider_limit_is_counted_in_redis_under_a_digest_of_the_access_token() {
    let server = Server::start(|_, _| Reply::json(200, json!({"Reservations": [], "Cursor": null}))).await;
    let prefix = format!("triad-test:{:016x}:", fastrand_seed());
    let store = RedisStore::open(REDIS).unwrap().prefix(&prefix);
    let transport =
        Client::builder(&server.url, &credentials()).redis_rate_limit(store, OnUnreachable::Fail).build().unwrap();
    assert_eq!(transport.rate_limit(), Some(Client::RATE_LIMIT));
    let client = Client::from_transport(transport);
    for _ in 0..3 {
        client.reservations_get_all_2023_06_06(&request()).await.unwrap();
    }
    assert_eq!(server.received().len(), 3);
    let mut connection = redis().await;
    let keys: Vec<String> = connection.keys(format!("{prefix}*")).await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(!keys[0].contains(ACCESS_TOKEN), "{keys:?}");
    let counted: u64 = connection.zcard(&keys[0]).await.unwrap();
    assert_eq!(counted, 3, "each call counted once in the shared window");
    // Another access token is another window.
    let mut other = credentials();
    other.access_token = Some(Secret::new("another-access-token"));
    let store = RedisStore::open(REDIS).unwrap().prefix(&prefix);
    let transport = Client::builder(&server.url, &other).redis_rate_limit(store, OnUnreachable::Fail).build().unwrap();
    Client::from_transport(transport).reservations_get_all_2023_06_06(&request()).await.unwrap();
    let keys: Vec<String> = connection.keys(format!("{prefix}*")).await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let _: u64 = connection.del(&keys).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_store_is_a_typed_error_of_the_generated_method() {
    let server = Server::start(|_, _| Reply::json(200, json!({"Reservations": [], "Cursor": null}))).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let store = RedisStore::open(&format!("redis://127.0.0.1:{port}")).unwrap();
    let transport =
        Client::builder(&server.url, &credentials()).redis_rate_limit(store, OnUnreachable::Fail).build().unwrap();
    let client = Client::from_transport(transport);
    let start = Instant::now();
    let error = client.reservations_get_all_2023_06_06(&request()).await.unwrap_err();
    assert!(matches!(error, Error::LimiterUnreachable { .. }), "{error:?}");
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    assert!(!error.to_string().contains(ACCESS_TOKEN), "{error}");
    assert!(server.received().is_empty(), "nothing was sent");
}

/// A number unlikely to repeat between runs, for key prefixes.
fn fastrand_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

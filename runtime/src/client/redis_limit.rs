//! A client rate limit whose window lives in Redis, so every process that uses one credential
//! shares it (feature `redis`).
//!
//! Each acquisition is one Lua script run on the server (EVALSHA, EVAL when the server does not
//! know it yet): it reads the server's clock (`TIME`), drops the entries older than the window
//! from a sorted set, and either adds one entry or answers how long to wait until the oldest
//! one leaves the window. The script is atomic, and only the server's clock is read, so the
//! processes' clocks do not matter. The set's key is a keyed digest (HMAC-SHA256) of the
//! server URL, the limit and the credential, under a prefix: the credential is never written
//! to Redis.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use redis::aio::MultiplexedConnection;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::limit::{Limiter, RateLimit};

/// The prefix of the keys a [`RedisStore`] writes, unless [`RedisStore::prefix`] says otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "triad:rate:";

/// How long connecting to Redis may take (TCP and handshake), unless
/// [`RedisStore::connect_timeout`] says otherwise.
pub const DEFAULT_REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long Redis may take to answer one acquisition, unless [`RedisStore::response_timeout`]
/// says otherwise.
pub const DEFAULT_REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a limiter waits after failing to reach Redis before it tries again, unless
/// [`RedisStore::reconnect_delay`] says otherwise; meanwhile it counts as unreachable.
pub const DEFAULT_REDIS_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// The least time between two warnings that a limiter fell back to this process alone; the
/// warning says how many acquisitions fell back since the one before.
const FALLBACK_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// The digest key used unless [`RedisStore::digest_key`] gives one.
const DEFAULT_DIGEST_KEY: &[u8] = b"triad-runtime shared rate limit";

/// The acquisition, run atomically on the server.
///
/// KEYS[1]: the window, a sorted set of acquisitions scored by their time in microseconds of
/// the server's clock. ARGV[1]: requests per window; ARGV[2]: the window in microseconds;
/// ARGV[3]: a member name no other acquisition uses. Answers 0 when the acquisition was
/// counted, else the microseconds until the oldest entry leaves the window. Times are written
/// with `%.0f`: Lua's own number-to-text conversion keeps only 14 digits.
const SCRIPT: &str = r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil(window / 1000) + 1000))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then
  wait = 1
end
return wait
";

/// A Redis server that keeps the window of a shared rate limit
/// ([`crate::client::Builder::redis_rate_limit`]), with the settings of the connection to it.
/// Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    /// The digest key as HMAC uses it: one block, zero-padded (a longer key hashed first).
    digest_key: [u8; 64],
    connect_timeout: Duration,
    response_timeout: Duration,
    reconnect_delay: Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The address only: the URL may hold a password.
        f.debug_struct("RedisStore")
            .field("addr", &self.addr())
            .field("prefix", &self.prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("reconnect_delay", &self.reconnect_delay)
            .finish_non_exhaustive()
    }
}

impl From<redis::Client> for RedisStore {
    fn from(client: redis::Client) -> Self {
        RedisStore {
            client,
            prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            digest_key: hmac_key(DEFAULT_DIGEST_KEY),
            connect_timeout: DEFAULT_REDIS_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_REDIS_RESPONSE_TIMEOUT,
            reconnect_delay: DEFAULT_REDIS_RECONNECT_DELAY,
        }
    }
}

impl RedisStore {
    /// The server at `url` (`redis://[user:password@]host[:port][/db]`, `redis+unix:///path`).
    /// Nothing is connected yet: the first request connects. Fails only on a URL that does
    /// not parse.
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        redis::Client::open(url).map(RedisStore::from)
    }

    /// Writes keys under `prefix` ([`DEFAULT_REDIS_PREFIX`] unless set), followed by the hex
    /// digest of the server URL, the limit and the credential.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Keys the digest that names each window with `key`, a secret every process sharing the
    /// limit is given, so that someone who reads the keys cannot check a guessed credential
    /// against them. Without it the digest is keyed with a constant of this crate.
    pub fn digest_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.digest_key = hmac_key(key.as_ref());
        self
    }

    /// Gives up connecting after `timeout` ([`DEFAULT_REDIS_CONNECT_TIMEOUT`] unless set).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Gives up waiting for Redis to answer one acquisition after `timeout`
    /// ([`DEFAULT_REDIS_RESPONSE_TIMEOUT`] unless set).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// After failing to reach Redis, treats it as unreachable for `delay`
    /// ([`DEFAULT_REDIS_RECONNECT_DELAY`] unless set) before connecting again, so a dead server
    /// does not cost every request a connection attempt.
    pub fn reconnect_delay(mut self, delay: Duration) -> Self {
        self.reconnect_delay = delay;
        self
    }

    /// The name of the window of `limit` on `base_url` counted per `credential`.
    pub(crate) fn key(&self, limit: RateLimit, base_url: &str, credential: Option<&str>) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.digest_key.into());
        // Each part is preceded by its length, so no two lists of parts give the same bytes.
        let requests = limit.requests.to_string();
        let per = limit.per.as_micros().to_string();
        let credential = match credential {
            Some(value) => ["1", value],
            None => ["0", ""],
        };
        for part in [base_url, &requests, &per, credential[0], credential[1]] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        let digest = mac.finalize().into_bytes();
        let mut key = String::with_capacity(self.prefix.len() + digest.len() * 2);
        key.push_str(&self.prefix);
        for byte in digest {
            key.push_str(&format!("{byte:02x}"));
        }
        key
    }

    /// Where the server is (host and port, or socket path), without credentials.
    fn addr(&self) -> String {
        self.client.get_connection_info().addr().to_string()
    }
}

/// `key` as the one block HMAC-SHA256 keys itself with: zero-padded, or its SHA-256 zero-padded
/// when longer than a block (RFC 2104).
fn hmac_key(key: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    block
}

/// What a request does when the rate limit's Redis cannot be reached (refused, timed out,
/// failing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnUnreachable {
    /// The call fails with [`crate::client::Error::LimiterUnreachable`] before anything is sent.
    Fail,
    /// The request waits for the same limit counted in this process alone (shared by the
    /// clients of this process that use the same credential, as without Redis), and a
    /// `tracing` warning says so: at once, then at most every 10 seconds with the number of
    /// requests that fell back meanwhile.
    LimitInProcess,
}

/// The connection, or when it last failed.
enum Link {
    Idle,
    Up(MultiplexedConnection),
    Down { at: Instant, reason: String },
}

/// Warnings about falling back: when the last was given and how many fell back since.
struct Warnings {
    last: Option<Instant>,
    since: u64,
}

/// The limiter of one transport on a [`RedisStore`].
pub(crate) struct RedisLimiter {
    store: RedisStore,
    script: redis::Script,
    key: String,
    limit: RateLimit,
    on_unreachable: OnUnreachable,
    /// The limiter used when Redis cannot be reached and the transport falls back.
    local: Arc<Limiter>,
    link: tokio::sync::Mutex<Link>,
    warnings: Mutex<Warnings>,
}

/// Why an acquisition could not be made in Redis.
pub(crate) struct Unreachable(pub(crate) String);

/// A failed run of the script: why, and whether a connection that had worked broke.
struct Failed {
    reason: String,
    lost: bool,
}

impl RedisLimiter {
    pub(crate) fn new(store: RedisStore, key: String, on_unreachable: OnUnreachable, local: Arc<Limiter>) -> Self {
        RedisLimiter {
            store,
            script: redis::Script::new(SCRIPT),
            key,
            limit: local.limit(),
            on_unreachable,
            local,
            link: tokio::sync::Mutex::new(Link::Idle),
            warnings: Mutex::new(Warnings { last: None, since: 0 }),
        }
    }

    /// The limit.
    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Waits until one more request fits in the shared window, and counts it there. When Redis
    /// cannot be reached: fails, or waits for the in-process limiter, as chosen.
    pub(crate) async fn acquire(&self) -> Result<(), Unreachable> {
        let mut reconnected = false;
        loop {
            let reason = match self.try_acquire().await {
                Ok(None) => return Ok(()),
                Ok(Some(wait)) => {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                // A connection that was open and broke (the server restarted, or closed it for
                // idling): one new connection at once before counting the store unreachable.
                Err(Failed { lost: true, .. }) if !reconnected => {
                    reconnected = true;
                    continue;
                }
                Err(Failed { reason, .. }) => reason,
            };
            return match self.on_unreachable {
                OnUnreachable::Fail => Err(Unreachable(format!(
                    "Redis at {} (rate limit {} requests per {:?}): {reason}",
                    self.store.addr(),
                    self.limit.requests,
                    self.limit.per
                ))),
                OnUnreachable::LimitInProcess => {
                    self.warn_fallback(&reason);
                    self.local.acquire().await;
                    Ok(())
                }
            };
        }
    }

    /// One run of the script: `None` when counted, else how long to wait before trying again.
    async fn try_acquire(&self) -> Result<Option<Duration>, Failed> {
        let (mut connection, fresh) = self.connection().await.map_err(|reason| Failed { reason, lost: false })?;
        let member = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let window = u64::try_from(self.limit.per.as_micros()).unwrap_or(u64::MAX).max(1);
        let mut invocation = self.script.key(&self.key);
        invocation.arg(self.limit.requests.max(1)).arg(window).arg(member);
        let answer =
            tokio::time::timeout(self.store.response_timeout, invocation.invoke_async::<u64>(&mut connection)).await;
        match answer {
            Ok(Ok(0)) => Ok(None),
            Ok(Ok(micros)) => Ok(Some(Duration::from_micros(micros))),
            Ok(Err(e)) => {
                let reason = format!("the rate limit script failed: {e}");
                let broken = e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error();
                if broken && !fresh && !e.is_timeout() {
                    *self.link.lock().await = Link::Idle;
                    return Err(Failed { reason, lost: true });
                }
                if broken || e.is_timeout() {
                    self.mark_down(reason.clone()).await;
                }
                Err(Failed { reason, lost: false })
            }
            Err(_) => {
                let reason = format!("no answer within {:?}", self.store.response_timeout);
                self.mark_down(reason.clone()).await;
                Err(Failed { reason, lost: false })
            }
        }
    }

    /// The connection, made now if there is none and the last failure is older than the
    /// reconnect delay (true: made now). Connecting is bounded by the connect and response
    /// timeouts.
    async fn connection(&self) -> Result<(MultiplexedConnection, bool), String> {
        let mut link = self.link.lock().await;
        match &*link {
            Link::Up(connection) => return Ok((connection.clone(), false)),
            Link::Down { at, reason } if at.elapsed() < self.store.reconnect_delay => {
                return Err(format!("{reason} (not retried for {:?})", self.store.reconnect_delay));
            }
            Link::Down { .. } | Link::Idle => {}
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.store.connect_timeout))
            .set_response_timeout(Some(self.store.response_timeout));
        // The handshake after the TCP connection is bounded by the response timeout; the whole
        // is bounded here too, whatever the driver does.
        let bound = self.store.connect_timeout + self.store.response_timeout;
        let connected =
            tokio::time::timeout(bound, self.store.client.get_multiplexed_async_connection_with_config(&config)).await;
        match connected {
            Ok(Ok(connection)) => {
                *link = Link::Up(connection.clone());
                Ok((connection, true))
            }
            Ok(Err(e)) => {
                let reason = format!("cannot connect: {e}");
                *link = Link::Down { at: Instant::now(), reason: reason.clone() };
                Err(reason)
            }
            Err(_) => {
                let reason = format!("cannot connect within {bound:?}");
                *link = Link::Down { at: Instant::now(), reason: reason.clone() };
                Err(reason)
            }
        }
    }

    /// Drops the connection after a failure on it; the next acquisition after the reconnect
    /// delay connects again.
    async fn mark_down(&self, reason: String) {
        *self.link.lock().await = Link::Down { at: Instant::now(), reason };
    }

    /// Says that an acquisition fell back to this process: at once the first time, then at
    /// most every [`FALLBACK_WARNING_INTERVAL`], with the count since the last warning.
    fn warn_fallback(&self, reason: &str) {
        let mut warnings = self.warnings.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        warnings.since += 1;
        let due = warnings.last.is_none_or(|last| last.elapsed() >= FALLBACK_WARNING_INTERVAL);
        if !due {
            return;
        }
        let fell_back = std::mem::take(&mut warnings.since);
        warnings.last = Some(Instant::now());
        drop(warnings);
        tracing::warn!(
            store = %self.store.addr(),
            reason,
            fell_back,
            "rate limit store unreachable: limiting within this process only"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REDIS: &str = "redis://127.0.0.1:6379";

    /// A prefix no other run uses.
    fn prefix() -> String {
        format!("triad-test:{:016x}:", fastrand::u64(..))
    }

    async fn connection() -> MultiplexedConnection {
        let client = redis::Client::open(REDIS).expect("the URL parses");
        client.get_multiplexed_async_connection().await.expect("Redis runs on 127.0.0.1:6379")
    }

    /// Deletes every key under `prefix`.
    async fn clean(prefix: &str) {
        let mut connection = connection().await;
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut connection).await.expect("KEYS answers");
        if !keys.is_empty() {
            let _: u64 = redis::cmd("DEL").arg(&keys).query_async(&mut connection).await.expect("DEL answers");
        }
    }

    #[test]
    fn the_key_is_a_keyed_digest_of_server_limit_and_credential() {
        let store = RedisStore::open(REDIS).unwrap().prefix("p:");
        let limit = RateLimit { requests: 200, per: Duration::from_secs(30) };
        let key = store.key(limit, "https://api.test", Some("secret-token"));
        assert!(key.starts_with("p:") && key.len() == 2 + 64, "{key}");
        assert!(!key.contains("secret-token"));
        assert_eq!(key, store.key(limit, "https://api.test", Some("secret-token")));
        let others = [
            store.key(limit, "https://api.test", Some("other-token")),
            store.key(limit, "https://api.test", None),
            store.key(limit, "https://other.test", Some("secret-token")),
            store.key(RateLimit { requests: 100, ..limit }, "https://api.test", Some("secret-token")),
            store.key(RateLimit { per: Duration::from_secs(60), ..limit }, "https://api.test", Some("secret-token")),
            store.clone().digest_key("shared secret").key(limit, "https://api.test", Some("secret-token")),
            store.clone().digest_key([7u8; 100]).key(limit, "https://api.test", Some("secret-token")),
        ];
        for (i, other) in others.iter().enumerate() {
            assert_ne!(&key, other, "{i}");
        }
        // The parts are length-prefixed: moving text from one part to the next is another key.
        assert_ne!(store.key(limit, "https://a", Some("b")), store.key(limit, "https://ab", Some("")));
        assert!(!format!("{store:?}").contains("secret"));
    }

    #[test]
    fn a_password_in_the_url_is_not_shown() {
        let store = RedisStore::open("redis://user:hunter2@127.0.0.1:6379/0").unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("hunter2") && shown.contains("127.0.0.1:6379"), "{shown}");
    }

    #[tokio::test]
    async fn n_acquisitions_pass_at_once_and_the_next_waits_for_the_window_to_free() {
        let prefix = prefix();
        let store = RedisStore::open(REDIS).unwrap().prefix(&prefix);
        let limit = RateLimit { requests: 5, per: Duration::from_millis(1500) };
        let key = store.key(limit, "https://api.test", Some("token"));
        let local = Arc::new(Limiter::new(limit));
        let limiter = RedisLimiter::new(store, key.clone(), OnUnreachable::Fail, local);
        let start = std::time::Instant::now();
        let mut times = Vec::new();
        for _ in 0..5 {
            assert!(limiter.acquire().await.is_ok());
            times.push(start.elapsed());
        }
        assert!(times[4] < Duration::from_millis(500), "{times:?}");
        let mut connection = connection().await;
        let count: u64 = redis::cmd("ZCARD").arg(&key).query_async(&mut connection).await.unwrap();
        assert_eq!(count, 5);
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut connection).await.unwrap();
        assert!(ttl > 1500 && ttl <= 2500, "the window expires after its length and a second: {ttl} ms");
        assert!(limiter.acquire().await.is_ok());
        let sixth = start.elapsed();
        // It waits until the first acquisition is one window old, and not much longer.
        assert!(sixth >= times[0] + Duration::from_millis(1450), "{sixth:?} after {times:?}");
        assert!(sixth < times[0] + Duration::from_millis(1900), "{sixth:?} after {times:?}");
        let count: u64 = redis::cmd("ZCARD").arg(&key).query_async(&mut connection).await.unwrap();
        // The first left the window (and those that followed it within the timer's resolution).
        assert!((1..=5).contains(&count), "{count}");
        clean(&prefix).await;
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_replaced_at_once() {
        let prefix = prefix();
        let store = RedisStore::open(REDIS).unwrap().prefix(&prefix);
        let limit = RateLimit { requests: 10, per: Duration::from_secs(5) };
        let key = store.key(limit, "https://api.test", Some("token"));
        let limiter = RedisLimiter::new(store, key.clone(), OnUnreachable::Fail, Arc::new(Limiter::new(limit)));
        assert!(limiter.acquire().await.is_ok());
        let Link::Up(mut used) = std::mem::replace(&mut *limiter.link.lock().await, Link::Idle) else {
            panic!("connected")
        };
        *limiter.link.lock().await = Link::Up(used.clone());
        let id: u64 = redis::cmd("CLIENT").arg("ID").query_async(&mut used).await.unwrap();
        let killed: u64 =
            redis::cmd("CLIENT").arg("KILL").arg("ID").arg(id).query_async(&mut connection().await).await.unwrap();
        assert_eq!(killed, 1);
        let start = std::time::Instant::now();
        assert!(limiter.acquire().await.is_ok(), "a new connection, not an error");
        assert!(start.elapsed() < Duration::from_millis(500), "{:?}", start.elapsed());
        let count: u64 = redis::cmd("ZCARD").arg(&key).query_async(&mut connection().await).await.unwrap();
        assert_eq!(count, 2);
        clean(&prefix).await;
    }

    #[tokio::test]
    async fn an_unreachable_store_fails_fast_or_falls_back_and_is_retried_after_the_delay() {
        // A port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let store =
            RedisStore::open(&format!("redis://127.0.0.1:{port}")).unwrap().reconnect_delay(Duration::from_millis(200));
        let limit = RateLimit { requests: 1, per: Duration::from_secs(60) };
        let key = store.key(limit, "https://api.test", None);
        let failing = RedisLimiter::new(store.clone(), key.clone(), OnUnreachable::Fail, Arc::new(Limiter::new(limit)));
        let start = std::time::Instant::now();
        let Err(Unreachable(reason)) = failing.acquire().await else { panic!("a closed port is unreachable") };
        assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
        // Within the reconnect delay, no connection is attempted: the last failure is repeated.
        let Err(Unreachable(again)) = failing.acquire().await else { panic!("still unreachable") };
        assert!(again.contains("not retried"), "{again}");
        assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Err(Unreachable(later)) = failing.acquire().await else { panic!("still unreachable") };
        assert!(!later.contains("not retried"), "connected again after the delay: {later}");
        let falling_back = RedisLimiter::new(store, key, OnUnreachable::LimitInProcess, Arc::new(Limiter::new(limit)));
        assert!(falling_back.acquire().await.is_ok());
        assert_eq!(falling_back.warnings.lock().unwrap().since, 0, "the first fallback warns at once");
        assert!(
            tokio::time::timeout(Duration::from_millis(300), falling_back.acquire()).await.is_err(),
            "the in-process limit holds the second request"
        );
        assert_eq!(falling_back.warnings.lock().unwrap().since, 1, "the next warning counts it");
    }
}

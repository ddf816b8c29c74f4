//! An optional client-side rate limit, so a client stays under the provider's quota instead of
//! collecting 429 answers.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::time::Instant;

/// At most `requests` requests in any window of `per` (a sliding window).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub per: Duration,
}

/// The start times of the requests in the current window.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    sent: Mutex<VecDeque<Instant>>,
}

/// The limiters shared by key (a digest of the server, the limit and the credential it is
/// counted per), so every client of this process using one access token shares one window.
/// Entries whose clients are all gone are dropped when a new one is added.
type Shared = Mutex<(RandomState, HashMap<u64, Weak<Limiter>>)>;

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Mutex::new((RandomState::new(), HashMap::new())))
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Limiter { limit, sent: Mutex::new(VecDeque::new()) }
    }

    /// The limiter every client of this process shares for `limit` on `base_url` counted per
    /// `key` (an access token). Only a keyed digest of the key is kept.
    pub(crate) fn shared(limit: RateLimit, base_url: &str, key: &str) -> Arc<Limiter> {
        let mut guard = shared().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (state, map) = &mut *guard;
        let digest = state.hash_one((base_url, limit.requests, limit.per, key));
        if let Some(limiter) = map.get(&digest).and_then(Weak::upgrade) {
            return limiter;
        }
        map.retain(|_, limiter| limiter.strong_count() > 0);
        let limiter = Arc::new(Limiter::new(limit));
        map.insert(digest, Arc::downgrade(&limiter));
        limiter
    }

    /// The limit.
    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Waits until one more request fits in the window, and counts it.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait = {
                let mut sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let now = Instant::now();
                while sent.front().is_some_and(|t| now.duration_since(*t) >= self.limit.per) {
                    sent.pop_front();
                }
                if sent.len() < self.limit.requests.max(1) as usize {
                    sent.push_back(now);
                    return;
                }
                match sent.front() {
                    Some(oldest) => self.limit.per.saturating_sub(now.duration_since(*oldest)),
                    None => Duration::ZERO,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn clients_with_one_token_share_a_window_and_other_tokens_do_not() {
        let limit = RateLimit { requests: 2, per: Duration::from_secs(30) };
        let a = Limiter::shared(limit, "https://api.test", "token-1");
        let b = Limiter::shared(limit, "https://api.test", "token-1");
        let other = Limiter::shared(limit, "https://api.test", "token-2");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));
        let start = tokio::time::Instant::now();
        a.acquire().await;
        b.acquire().await;
        other.acquire().await;
        assert!(start.elapsed() < Duration::from_secs(1), "another token has a window of its own");
        b.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(30), "{:?}", start.elapsed());
        // Once every client of a token is gone, its window goes too.
        drop((a, b));
        let fresh = Limiter::shared(limit, "https://api.test", "token-1");
        let start = tokio::time::Instant::now();
        fresh.acquire().await;
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_window_to_free_a_slot() {
        let limiter = Limiter::new(RateLimit { requests: 2, per: Duration::from_secs(30) });
        let start = tokio::time::Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        assert!(start.elapsed() < Duration::from_secs(1));
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(30), "{:?}", start.elapsed());
    }
}

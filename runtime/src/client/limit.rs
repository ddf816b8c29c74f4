//! An optional client-side rate limit, so a client stays under the provider's quota instead of
//! collecting 429 answers.

use std::collections::VecDeque;
use std::sync::Mutex;
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

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Limiter { limit, sent: Mutex::new(VecDeque::new()) }
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

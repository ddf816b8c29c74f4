//! When to try again, and how long to wait.

use std::time::{Duration, SystemTime};

/// Retry policy: exponential backoff with jitter, capped in attempts and in total time.
///
/// A 429 answer is retried for every operation (the server did not process it), after the
/// `Retry-After` delay when one is given. 408, 5xx, timeouts and connection errors are retried
/// only for operations that are safe to repeat (reads, or operations the codegen config marks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts in all, the first included (1: never retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled for each further one.
    pub initial_backoff: Duration,
    /// Largest backoff between two attempts (a longer `Retry-After` is still honoured).
    pub max_backoff: Duration,
    /// No attempt starts after this much time since the first one.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The wait before the next attempt after `attempts` attempts made over `elapsed`, or
    /// `None` when the policy allows no more. `retry_after` is the server's requested delay.
    pub fn next_delay(&self, attempts: u32, elapsed: Duration, retry_after: Option<Duration>) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let delay = match retry_after {
            Some(delay) => delay,
            None => self.backoff(attempts),
        };
        (elapsed.saturating_add(delay) <= self.max_elapsed).then_some(delay)
    }

    /// Backoff after `attempts` attempts: `initial · 2^(attempts-1)`, capped, with "equal
    /// jitter" (a random point in its upper half) so clients that failed together spread out.
    fn backoff(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        let full = self.initial_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Reads a `Retry-After` value: delay seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            max_elapsed: Duration::from_secs(100),
        };
        for _ in 0..50 {
            let first = policy.next_delay(1, Duration::ZERO, None).unwrap();
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
            let third = policy.next_delay(3, Duration::ZERO, None).unwrap();
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400), "{third:?}");
            let late = policy.next_delay(9, Duration::ZERO, None).unwrap();
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000), "{late:?}");
        }
    }

    #[test]
    fn attempts_and_total_time_are_capped_and_retry_after_wins() {
        let policy = RetryPolicy { max_attempts: 3, max_elapsed: Duration::from_secs(10), ..RetryPolicy::default() };
        assert_eq!(policy.next_delay(3, Duration::ZERO, None), None);
        assert_eq!(policy.next_delay(1, Duration::ZERO, Some(Duration::from_secs(7))), Some(Duration::from_secs(7)));
        assert_eq!(policy.next_delay(1, Duration::from_secs(4), Some(Duration::from_secs(7))), None);
        assert_eq!(RetryPolicy::none().next_delay(1, Duration::ZERO, None), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5", now), Some(Duration::from_millis(500)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}

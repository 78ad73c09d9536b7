//! When to try a request again, and how long to wait.
//!
//! One policy, used by every HTTP provider, and only ever applied before the
//! first event of a reply reaches the caller: once output has started, a
//! retry would duplicate it.

use std::time::Duration;

use yat_core::YatError;

/// Bounded exponential backoff with jitter that honours `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// The first backoff delay.
    pub initial_delay: Duration,
    /// The largest backoff delay (a longer `Retry-After` is still honoured
    /// if it fits in `max_total`).
    pub max_delay: Duration,
    /// No retry starts later than this after the first attempt.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_total: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub const fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            initial_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_total: Duration::ZERO,
        }
    }

    /// How long to wait before retry number `retry` (0-based) after `error`,
    /// given `elapsed` since the first attempt; `None` means give up.
    pub fn delay(&self, retry: u32, error: &YatError, elapsed: Duration) -> Option<Duration> {
        if retry >= self.max_retries || !error.is_retryable() {
            return None;
        }
        let wait = match error.retry_after() {
            Some(asked) => asked,
            None => {
                let exp = self
                    .initial_delay
                    .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
                    .min(self.max_delay);
                // "Equal jitter": at least half the backoff, so clients that
                // failed together spread out without retrying at once.
                let half = exp / 2;
                half + half.mul_f64(fastrand::f64())
            }
        };
        (elapsed.saturating_add(wait) <= self.max_total).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::Failure;

    fn server() -> YatError {
        YatError::Server(Failure::http("p", 500, "boom"))
    }

    #[test]
    fn backoff_grows_is_jittered_and_bounded() {
        let p = RetryPolicy {
            max_retries: 5,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_total: Duration::from_secs(10),
        };
        for _ in 0..100 {
            let d0 = p.delay(0, &server(), Duration::ZERO).unwrap();
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d3 = p.delay(3, &server(), Duration::ZERO).unwrap();
            assert!(d3 >= Duration::from_millis(150) && d3 <= Duration::from_millis(300));
        }
        assert_eq!(p.delay(5, &server(), Duration::ZERO), None);
    }

    #[test]
    fn honours_retry_after_within_total_budget() {
        let p = RetryPolicy::default();
        let limited = YatError::RateLimited {
            failure: Failure::http("p", 429, "slow"),
            retry_after: Some(Duration::from_secs(20)),
        };
        assert_eq!(
            p.delay(0, &limited, Duration::ZERO),
            Some(Duration::from_secs(20))
        );
        assert_eq!(p.delay(0, &limited, Duration::from_secs(45)), None);
    }

    #[test]
    fn non_retryable_errors_are_not_retried() {
        let p = RetryPolicy::default();
        let auth = YatError::Authentication(Failure::http("p", 401, "no"));
        assert_eq!(p.delay(0, &auth, Duration::ZERO), None);
        let quota = YatError::QuotaExhausted(Failure::http("p", 429, "no"));
        assert_eq!(p.delay(0, &quota, Duration::ZERO), None);
    }
}

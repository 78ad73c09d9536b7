//! The one "before the first output" policy: when a failed request is tried
//! again, and how long to wait.
//!
//! [`ProviderManager::chat`](crate::ProviderManager::chat) applies it to every
//! provider — bundled, third-party, not HTTP at all — and only while nothing
//! has reached the caller: once output has started, a retry would show a
//! second reply. What counts as output is [`is_output`].
//!
//! ```
//! use std::time::Duration;
//! use yat_core::retry::RetryPolicy;
//! use yat_core::{Failure, YatError};
//!
//! let policy = RetryPolicy::default().with_max_retries(3);
//! let busy = YatError::Server(Failure::http("acme", 503, "busy"));
//! let wait = policy.delay(0, &busy, Duration::ZERO).unwrap();
//! assert!(wait <= policy.initial_delay());
//! // A rejected key says nothing a second try would change.
//! let key = YatError::Authentication(Failure::http("acme", 401, "bad key"));
//! assert_eq!(policy.delay(0, &key, Duration::ZERO), None);
//! ```

use std::time::Duration;

use crate::settings::{SettingKind, SettingSpec};
use crate::types::ChatEvent;
use crate::YatError;

/// Retries before the first output (default 2). Every provider has this
/// setting, declared or not: the manager reads it as `<ID>_MAX_RETRIES` or
/// from `provider_config.json`. A provider that lists it in its own settings
/// shows it in its settings list (and may give it another default).
pub const MAX_RETRIES: SettingSpec =
    SettingSpec::new("max_retries", "Max retries", SettingKind::Integer, &[])
        .help("Retries of a failed request before any output (default 2)");

/// Whether `event` is output: anything the caller shows or acts on — text,
/// reasoning, a tool call, the finish. Usage alone is not: a provider may
/// report the prompt's tokens before it fails, and that failure still
/// allows a retry or a fallback. Reasoning counts, so a thinking model's
/// reasoning streams as it comes instead of waiting for the answer.
///
/// ```
/// use yat_core::retry::is_output;
/// use yat_core::{ChatEvent, Usage};
/// assert!(is_output(&ChatEvent::Delta { text: "Hi".into() }));
/// assert!(!is_output(&ChatEvent::Usage(Usage::new(12, 0))));
/// ```
pub fn is_output(event: &ChatEvent) -> bool {
    !matches!(event, ChatEvent::Usage(_))
}

/// Bounded exponential backoff with jitter that honours `Retry-After`, within
/// a total budget. Only errors that [`YatError::is_retryable`] are retried.
///
/// ```
/// use std::time::Duration;
/// use yat_core::retry::RetryPolicy;
/// let p = RetryPolicy::new(4)
///     .with_initial_delay(Duration::from_millis(100))
///     .with_max_delay(Duration::from_secs(2))
///     .with_max_total(Duration::from_secs(10));
/// assert_eq!(p.max_retries(), 4);
/// assert_eq!(RetryPolicy::none().max_retries(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    max_total: Duration,
}

impl Default for RetryPolicy {
    /// Two retries, starting at half a second, at most 8 s apart, none
    /// later than a minute after the first attempt.
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
    /// The default delays with `max_retries` retries after the first attempt.
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy::default().with_max_retries(max_retries)
    }

    /// A policy that never retries.
    pub const fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            initial_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_total: Duration::ZERO,
        }
    }

    /// Retries after the first attempt (0 disables retrying).
    #[must_use]
    pub const fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The first backoff delay; each next one doubles, up to the maximum.
    #[must_use]
    pub const fn with_initial_delay(mut self, d: Duration) -> Self {
        self.initial_delay = d;
        self
    }

    /// The largest backoff delay (a longer `Retry-After` is still honoured
    /// if it fits in the total budget).
    #[must_use]
    pub const fn with_max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// No retry starts later than this after the first attempt.
    #[must_use]
    pub const fn with_max_total(mut self, d: Duration) -> Self {
        self.max_total = d;
        self
    }

    /// Retries after the first attempt.
    pub const fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The first backoff delay.
    pub const fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The largest backoff delay.
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The budget: no retry starts later than this after the first attempt.
    pub const fn max_total(&self) -> Duration {
        self.max_total
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
    use crate::Failure;

    fn server() -> YatError {
        YatError::Server(Failure::http("p", 500, "boom"))
    }

    #[test]
    fn backoff_grows_is_jittered_and_bounded() {
        let p = RetryPolicy::new(5)
            .with_initial_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(300))
            .with_max_total(Duration::from_secs(10));
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

    #[test]
    fn none_never_retries() {
        assert_eq!(
            RetryPolicy::none().delay(0, &server(), Duration::ZERO),
            None
        );
    }

    #[test]
    fn a_huge_retry_number_saturates_instead_of_overflowing() {
        let p = RetryPolicy::new(u32::MAX).with_max_total(Duration::MAX);
        let d = p.delay(200, &server(), Duration::ZERO).unwrap();
        assert!(d <= p.max_delay());
    }
}

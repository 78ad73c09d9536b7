//! Requests per minute per gateway key: the generic cell rate algorithm
//! (one timestamp per key, no background task), which lets a key burst up
//! to its whole minute's allowance and then holds it to the steady rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-key request rates.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    /// Each key's theoretical arrival time: when its allowance is whole again.
    tat: Mutex<HashMap<String, Instant>>,
}

impl RateLimiter {
    /// Admits one request of `key` at `now` under `per_minute`, or says how
    /// long until one would be admitted.
    pub(crate) fn check(&self, key: &str, per_minute: u32, now: Instant) -> Result<(), Duration> {
        let minute = Duration::from_secs(60);
        let interval = minute / per_minute.max(1);
        let tolerance = minute.saturating_sub(interval);
        let mut tat = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        let current = tat.get(key).copied().unwrap_or(now).max(now);
        let ahead = current - now;
        if ahead > tolerance {
            return Err(ahead - tolerance);
        }
        match tat.get_mut(key) {
            Some(t) => *t = current + interval,
            None => {
                tat.insert(key.to_owned(), current + interval);
            }
        }
        Ok(())
    }

    /// Forgets keys that are back to a whole allowance (called now and
    /// then so revoked keys leave no state behind).
    pub(crate) fn prune(&self, now: Instant) {
        let mut tat = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        tat.retain(|_, t| *t > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minutes_allowance_bursts_then_the_steady_rate_holds() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..60 {
            limiter.check("a", 60, t0).unwrap();
        }
        let wait = limiter.check("a", 60, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        // Other keys are not affected.
        limiter.check("b", 60, t0).unwrap();
        // One interval later, exactly one more.
        let t1 = t0 + Duration::from_secs(1);
        limiter.check("a", 60, t1).unwrap();
        assert!(limiter.check("a", 60, t1).is_err());
    }

    #[test]
    fn prune_forgets_idle_keys_only() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        limiter.check("a", 1, t0).unwrap();
        limiter.prune(t0);
        assert!(
            limiter.check("a", 1, t0).is_err(),
            "a is still inside its minute"
        );
        limiter.prune(t0 + Duration::from_secs(61));
        limiter.check("a", 1, t0 + Duration::from_secs(61)).unwrap();
    }
}

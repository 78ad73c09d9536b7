//! The timeouts and retries of one provider instance, and how they are
//! read from its settings.

use std::time::Duration;

use yat_core::{ResolvedSettings, YatError};

use super::retry::RetryPolicy;

/// Timeouts and retries of one provider instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// Establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// From sending the request to the response headers.
    pub first_byte_timeout: Duration,
    /// Between two reads of a streaming body.
    pub idle_timeout: Duration,
    /// Retries before the first event.
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(90),
            retry: RetryPolicy::default(),
        }
    }
}

impl HttpOptions {
    /// Reads the shared HTTP settings ([`super::CONNECT_TIMEOUT`] and friends)
    /// from `settings`, keeping the defaults for what is not set.
    pub fn from_settings(settings: &ResolvedSettings) -> Result<Self, YatError> {
        let mut o = HttpOptions::default();
        let secs = |key: &str| -> Result<Option<Duration>, YatError> {
            let Some(v) = settings.get_f64(key)? else {
                return Ok(None);
            };
            // `try_from` also refuses a value too large for a `Duration`
            // (`1e30`), on which `from_secs_f64` panicked.
            match Duration::try_from_secs_f64(v) {
                Ok(d) if v > 0.0 => Ok(Some(d)),
                _ => Err(YatError::InvalidSetting {
                    provider: settings.provider().to_owned(),
                    key: key.to_owned(),
                    message: "must be a positive number of seconds".into(),
                }),
            }
        };
        if let Some(d) = secs("connect_timeout")? {
            o.connect_timeout = d;
        }
        if let Some(d) = secs("first_byte_timeout")? {
            o.first_byte_timeout = d;
        }
        if let Some(d) = secs("idle_timeout")? {
            o.idle_timeout = d;
        }
        if let Some(n) = settings.get_u64("max_retries")? {
            o.retry.max_retries = u32::try_from(n).unwrap_or(u32::MAX);
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_timeouts_are_invalid_settings_not_panics() {
        // Found by fuzz/fuzz_targets/config_json.rs: a timeout of 1.3e25 s
        // in provider_config.json panicked in `Duration::from_secs_f64`.
        for bad in [
            "12999999999999999999999990.5",
            "1e30",
            "inf",
            "NaN",
            "0",
            "-1",
        ] {
            let s = ResolvedSettings::from_pairs("p", &[("first_byte_timeout", bad)]);
            match HttpOptions::from_settings(&s) {
                Err(YatError::InvalidSetting { key, .. }) => assert_eq!(key, "first_byte_timeout"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let s = ResolvedSettings::from_pairs(
            "p",
            &[("idle_timeout", "1e9"), ("connect_timeout", "0.5")],
        );
        let o = HttpOptions::from_settings(&s).unwrap();
        assert_eq!(o.idle_timeout, Duration::from_secs(1_000_000_000));
        assert_eq!(o.connect_timeout, Duration::from_millis(500));
    }
}

//! The timeouts of one provider instance, the settings that choose them,
//! and how they are read.

use std::time::Duration;

use yat_core::{ResolvedSettings, SettingKind, SettingSpec, YatError};

/// Seconds allowed to establish a connection (default 10).
pub const CONNECT_TIMEOUT: SettingSpec = SettingSpec::new(
    "connect_timeout",
    "Connect timeout (s)",
    SettingKind::Float,
    &[],
)
.help("Seconds allowed to connect (default 10)");
/// Seconds allowed until the response starts (default 120).
pub const FIRST_BYTE_TIMEOUT: SettingSpec = SettingSpec::new(
    "first_byte_timeout",
    "First-byte timeout (s)",
    SettingKind::Float,
    &[],
)
.help("Seconds allowed until the response starts (default 120)");
/// Seconds allowed between two pieces of a stream (default 90).
pub const IDLE_TIMEOUT: SettingSpec =
    SettingSpec::new("idle_timeout", "Idle timeout (s)", SettingKind::Float, &[])
        .help("Seconds allowed between two pieces of a stream (default 90)");
/// Retries before the first output (default 2): yat-core's setting, read
/// by [`ProviderManager`](yat_core::ProviderManager) for every provider. An
/// HTTP provider lists it with the timeouts so that its settings show it.
pub use yat_core::retry::MAX_RETRIES;

/// The settings of every HTTP provider, for a provider to list after its
/// own: the timeouts [`HttpOptions::from_settings`] reads, and
/// [`MAX_RETRIES`], which the manager reads. A `const` list of settings cannot splice a slice in,
/// so a provider's `const SETTINGS` names the four items
/// ([`CONNECT_TIMEOUT`], [`FIRST_BYTE_TIMEOUT`], [`IDLE_TIMEOUT`],
/// [`MAX_RETRIES`]); one built at run time extends from this.
///
/// ```
/// use yat_core::SettingSpec;
/// let mut settings = vec![SettingSpec::url("base_url", "Base URL", &[])];
/// settings.extend_from_slice(yat_http::COMMON_SETTINGS);
/// assert_eq!(settings.len(), 5);
/// ```
pub const COMMON_SETTINGS: &[SettingSpec] = &[
    CONNECT_TIMEOUT,
    FIRST_BYTE_TIMEOUT,
    IDLE_TIMEOUT,
    MAX_RETRIES,
];

/// The timeouts of one provider instance. Start from
/// [`default`](Self::default) or [`from_settings`](Self::from_settings)
/// and change what you need:
///
/// ```
/// use std::time::Duration;
/// use yat_http::HttpOptions;
///
/// let options = HttpOptions::default().with_idle_timeout(Duration::from_secs(30));
/// assert_eq!(options.idle_timeout, Duration::from_secs(30));
/// ```
///
/// Retries are not here: [`ProviderManager`](yat_core::ProviderManager)
/// retries a chat before its first output, by one policy for every
/// provider ([`RetryPolicy`](yat_core::retry::RetryPolicy) and the
/// provider's `max_retries` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// From sending the request to the response headers.
    pub first_byte_timeout: Duration,
    /// Between two reads of a streaming body.
    pub idle_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(90),
        }
    }
}

impl HttpOptions {
    /// The same options with `timeout` to establish a connection.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The same options with `timeout` until the response headers.
    pub fn with_first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.first_byte_timeout = timeout;
        self
    }

    /// The same options with `timeout` between two reads of a body.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Reads the shared HTTP settings ([`COMMON_SETTINGS`]) from
    /// `settings`, keeping the defaults for what is not set.
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

//! The gateway's settings: the `serve` object of `provider_config.json`,
//! beside `providers` and the aliases, so one file holds a whole setup.
//!
//! ```json
//! {
//!   "providers": [ ... ],
//!   "aliases": { "fast": "groq/llama-3.1-8b-instant" },
//!   "serve": {
//!     "listen": "127.0.0.1:8787",
//!     "models": { "gpt-4o": "openai/gpt-4o", "claude-sonnet-4-5": "anthropic/claude-sonnet-4-5" },
//!     "limits": { "max_body_bytes": 33554432, "max_concurrent_streams": 1024,
//!                 "requests_per_minute": 600, "idle_timeout_secs": 60 },
//!     "cors_origins": ["https://app.example"],
//!     "log_prompts": false
//!   }
//! }
//! ```
//!
//! Every field is optional. Everything but `listen` applies to the next
//! request after the file changes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use yat_core::{ProviderConfig, YatError};

/// The top-level field of `provider_config.json` holding these settings.
pub const SERVE_KEY: &str = "serve";

/// Where `yat serve` listens unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// The gateway's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ServeConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Bare model names clients may send, each mapped to an alias or
    /// `PROVIDER/MODEL` (`"gpt-4o": "openai/gpt-4o"`), for clients that
    /// only know a vendor's own names. The entry `"*"` maps every other
    /// bare name, `*` standing for it: `"*": "openai/*"` sends `gpt-4.1`
    /// to `openai/gpt-4.1`.
    pub models: BTreeMap<String, String>,
    /// Limits a public server needs.
    pub limits: Limits,
    /// Origins allowed to call the gateway from a browser. Empty (the
    /// default): no CORS headers at all, so browsers refuse cross-origin
    /// calls. `"*"` allows any origin.
    pub cors_origins: Vec<String>,
    /// Whether the request log may carry prompt text. Off by default.
    pub log_prompts: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: DEFAULT_LISTEN.parse().expect("a valid address"),
            models: BTreeMap::new(),
            limits: Limits::default(),
            cors_origins: Vec::new(),
            log_prompts: false,
        }
    }
}

/// Limits on what one client can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body accepted (a 413 above it). Default 32 MiB:
    /// room for a few inline images.
    pub max_body_bytes: usize,
    /// Streams open at once across all clients (a 503 with `retry-after`
    /// above it). Default 1024.
    pub max_concurrent_streams: usize,
    /// Requests a minute per gateway key, unless the key sets its own
    /// (a 429 with `retry-after` above it). Default: no limit.
    pub requests_per_minute: Option<u32>,
    /// How long a client may leave the gateway's writes unread, or take to
    /// send its request, before it is dropped (and its upstream request
    /// cancelled). Default 60 s.
    pub idle_timeout_secs: u64,
    /// How long shutdown waits for streams in flight to finish. Default 30 s.
    pub shutdown_grace_secs: u64,
    /// How often a silent stream gets a keep-alive frame. Default 15 s.
    pub keepalive_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 32 << 20,
            max_concurrent_streams: 1024,
            requests_per_minute: None,
            idle_timeout_secs: 60,
            shutdown_grace_secs: 30,
            keepalive_secs: 15,
        }
    }
}

impl Limits {
    /// [`Limits::idle_timeout_secs`] as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }
    /// [`Limits::shutdown_grace_secs`] as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
    /// [`Limits::keepalive_secs`] as a duration.
    pub fn keepalive(&self) -> Duration {
        Duration::from_secs(self.keepalive_secs.max(1))
    }
}

impl ServeConfig {
    /// The `serve` object of `config` (the defaults when there is none).
    /// A field of the wrong type or an unknown field is a
    /// [`YatError::Config`] naming `path`, so a typo never silently turns a
    /// limit off.
    pub fn from_config(config: &ProviderConfig, path: &Path) -> Result<Self, YatError> {
        let Some(value) = config.extra.get(SERVE_KEY) else {
            return Ok(ServeConfig::default());
        };
        serde_path_to_error::deserialize(value).map_err(|e| YatError::Config {
            path: path.to_owned(),
            line: None,
            column: None,
            message: format!("{SERVE_KEY}.{}: {}", e.path(), e.inner()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ServeConfig, YatError> {
        let config = ProviderConfig::parse(json, Path::new("provider_config.json"))?;
        ServeConfig::from_config(&config, Path::new("provider_config.json"))
    }

    #[test]
    fn no_section_is_the_defaults_on_loopback() {
        let c = parse(r#"{"providers": []}"#).unwrap();
        assert_eq!(c, ServeConfig::default());
        assert!(c.listen.ip().is_loopback());
        assert!(c.cors_origins.is_empty());
        assert!(!c.log_prompts);
    }

    #[test]
    fn fields_parse_and_missing_ones_default() {
        let c = parse(
            r#"{"serve": {"listen": "0.0.0.0:9000", "models": {"gpt-4o": "openai/gpt-4o"},
                "limits": {"requests_per_minute": 60}}}"#,
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.models["gpt-4o"], "openai/gpt-4o");
        assert_eq!(c.limits.requests_per_minute, Some(60));
        assert_eq!(c.limits.max_concurrent_streams, 1024);
    }

    #[test]
    fn a_typo_or_a_wrong_type_names_the_field() {
        for (json, field) in [
            (
                r#"{"serve": {"limits": {"max_body_byte": 1}}}"#,
                "serve.limits",
            ),
            (
                r#"{"serve": {"limits": {"max_body_bytes": "big"}}}"#,
                "serve.limits.max_body_bytes",
            ),
            (r#"{"serve": {"listen": "localhost"}}"#, "serve.listen"),
        ] {
            let e = parse(json).unwrap_err().to_string();
            assert!(e.contains(field), "{json}: {e}");
        }
    }
}

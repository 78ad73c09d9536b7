//! The HTTP plumbing every HTTP provider shares: one reqwest client per
//! provider instance (built on first use), timeouts, retries before the
//! first event, a WHATWG SSE decoder, and the status/body → error mapping.
//!
//! A provider supplies only translators (rust-genai's shape): a function
//! from [`ChatRequest`](yat_core::ChatRequest) to [`HttpRequest`], a
//! [`StreamDecoder`] from SSE events to chat events, and an [`ErrorParser`]
//! for its error body. Everything else lives here, once; a decoder's tests
//! run it through the same [`DecodeDriver`] (or [`decode_all`]) as a live
//! reply.

pub mod connection;
pub mod driver;
pub mod error_map;
// The fast path of the OpenAI decoder; other decoders may use it too.
#[cfg_attr(not(feature = "openai-wire"), allow(dead_code))]
pub(crate) mod json_scan;
pub mod json_text;
mod live;
pub mod options;
pub mod pagination;
pub mod redact;
pub mod request;
pub mod retry;
pub mod sse;
pub mod transport;

pub use driver::{decode_all, DecodeDriver, Ending, Step, StreamDecoder};
pub use error_map::{classify, parse_generic, ErrorBody};
pub use json_text::JsonText;
pub use options::HttpOptions;
pub use request::HttpRequest;
pub use retry::RetryPolicy;
pub use sse::{SseDecoder, SseError, SseEvent};
pub use transport::{ErrorParser, Transport};

use yat_core::{SettingKind, SettingSpec};

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
/// Retries before the first event (default 2).
pub const MAX_RETRIES: SettingSpec =
    SettingSpec::new("max_retries", "Max retries", SettingKind::Integer, &[])
        .help("Retries of a failed request before any output (default 2)");

/// Joins a base URL and a path with exactly one `/` between them.
///
/// ```
/// use yat_providers::http::join_url;
/// assert_eq!(join_url("http://h/v1/", "/models"), "http://h/v1/models");
/// assert_eq!(join_url("http://h/v1", "models"), "http://h/v1/models");
/// ```
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

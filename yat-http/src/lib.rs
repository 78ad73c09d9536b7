//! # yat-http
//!
//! The HTTP kit for yat provider crates: everything between a provider's
//! two pure translators (its request → an [`HttpRequest`], the messages of
//! its stream → chat events) and the network, written once. yat's bundled
//! providers are built on it exactly as a third-party crate would be.
//!
//! - [`Transport`]: one lazily built reqwest client per provider instance
//!   (connection pool, rustls), connect, first-byte and idle timeouts
//!   ([`HttpOptions`], read from the settings in [`COMMON_SETTINGS`]), and
//!   the key scrubbed from every error. Retries are not the transport's:
//!   [`ProviderManager`](yat_core::ProviderManager) retries every
//!   provider's chat before its first output by one [`RetryPolicy`].
//! - [`HttpRequest`]: a request as data, with credential headers
//!   ([`HttpRequest::bearer_auth`], [`HttpRequest::secret_header`]) that
//!   never print.
//! - [`SseDecoder`] and [`NdjsonDecoder`]: incremental decoders of
//!   `text/event-stream` and newline-delimited JSON bodies — bounded lines,
//!   a UTF-8 character or a CRLF split across reads, CR, LF and CRLF, a
//!   last line without its newline.
//! - [`DecodeDriver`]: the one loop from body bytes to chat events, for
//!   either [`Framing`]; the live stream, decoder tests ([`decode_pieces`]),
//!   fuzz targets and benchmarks all run it. A reply that ends without a
//!   finish ends with a typed error, never as if complete.
//! - [`classify`]: an HTTP status, its headers (`Retry-After` and friends,
//!   the vendor's request id) and the provider's error body ([`ErrorBody`],
//!   read by an [`ErrorParser`] such as [`parse_generic`]) → one
//!   [`YatError`](yat_core::YatError).
//! - [`connection`]: the `api_key` and `base_url` settings every HTTP
//!   provider reads the same way; [`pagination`] for paged model lists;
//!   [`JsonText`] for deltas that borrow from the event instead of
//!   allocating.
//!
//! ## A provider on the kit
//!
//! A complete provider for a small API that streams NDJSON: one JSON object
//! per line, `{"text": "..."}` for each piece of the reply and
//! `{"done": true, "reason": "stop"}` at its end.
//!
//! ```no_run
//! use std::collections::VecDeque;
//!
//! use serde::Deserialize;
//! use yat_core::assemble::ReplyState;
//! use yat_core::{
//!     async_trait, ChatEvent, ChatRequest, ChatStream, Finish, FinishReason, LlmProvider,
//!     ModelInfo, ResolvedSettings, SettingSpec, YatError,
//! };
//! use yat_http::connection::{base_url, endpoint, not_initialized, Connection};
//! use yat_http::{parse_generic, Framing, HttpRequest, SseEvent, Step, StreamDecoder, Url};
//!
//! const ID: &str = "zeta";
//!
//! /// What the provider reads: its key, where the API lives, the kit's
//! /// timeouts, and the retries the manager reads.
//! const SETTINGS: &[SettingSpec] = &[
//!     SettingSpec::secret("api_key", "API key", &["ZETA_API_KEY"]).required(),
//!     SettingSpec::url("base_url", "Base URL", &[]).default_value("https://api.zeta.example/v1"),
//!     yat_http::CONNECT_TIMEOUT,
//!     yat_http::FIRST_BYTE_TIMEOUT,
//!     yat_http::IDLE_TIMEOUT,
//!     yat_http::MAX_RETRIES,
//! ];
//!
//! #[derive(Default)]
//! struct Zeta {
//!     live: Option<(Connection, Url)>,
//! }
//!
//! #[async_trait]
//! impl LlmProvider for Zeta {
//!     async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
//!         self.live = None;
//!         let base = base_url(ID, settings, "https://api.zeta.example/v1")?;
//!         self.live = Some((Connection::from_settings(ID, settings, parse_generic)?, base));
//!         Ok(())
//!     }
//!
//!     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
//!         Ok(vec![ModelInfo::new(ID, "zeta-1")])
//!     }
//!
//!     async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
//!         let (conn, base) = self.live.as_ref().ok_or_else(|| not_initialized(ID))?;
//!         let body = serde_json::json!({
//!             "model": req.model,
//!             "prompt": req.messages.iter().map(|m| m.text()).collect::<Vec<_>>().join("\n"),
//!         });
//!         let mut http = HttpRequest::post_json(endpoint(base, &["chat"]).into(), &body)?;
//!         if let Some(key) = &conn.key {
//!             http = http.bearer_auth(key);
//!         }
//!         // Send, check the status and the content type, then stream the
//!         // body through the decoder. The manager reads to the first text
//!         // and retries what failed before it.
//!         conn.transport
//!             .stream(&http, Framing::Ndjson, Box::new(ZetaDecoder::new()))
//!             .await
//!     }
//! }
//!
//! /// One line of the stream.
//! #[derive(Deserialize)]
//! struct Line<'a> {
//!     #[serde(borrow)]
//!     text: Option<yat_http::JsonText<'a>>,
//!     #[serde(default)]
//!     done: bool,
//!     reason: Option<String>,
//! }
//!
//! /// The lines of a reply → chat events.
//! struct ZetaDecoder {
//!     reply: ReplyState,
//! }
//!
//! impl ZetaDecoder {
//!     fn new() -> Self {
//!         ZetaDecoder { reply: ReplyState::new(ID) }
//!     }
//! }
//!
//! impl StreamDecoder for ZetaDecoder {
//!     fn decode(&mut self, ev: &SseEvent<'_>, out: &mut VecDeque<ChatEvent>) -> Result<Step, YatError> {
//!         let line: Line<'_> = serde_json::from_str(ev.data)
//!             .map_err(|e| self.reply.malformed(format!("invalid JSON: {e}"), ev.data.as_bytes()))?;
//!         if let Some(text) = line.text.filter(|t| !t.is_empty()) {
//!             out.push_back(ChatEvent::Delta { text: text.into_string() });
//!         }
//!         if !line.done {
//!             return Ok(Step::Continue);
//!         }
//!         let raw = line.reason.unwrap_or_else(|| "stop".into());
//!         let reason = if raw == "length" { FinishReason::Length } else { FinishReason::Stop };
//!         self.reply.finish(Finish::new(reason, raw));
//!         self.reply.complete(out)?;
//!         Ok(Step::Done)
//!     }
//!
//!     fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
//!         // The body ended before `done`: the reply was cut short.
//!         self.reply.cut(out, "no done line")
//!     }
//! }
//!
//! yat_core::register_provider! {
//!     id: ID,
//!     name: "Zeta",
//!     constructor: || Ok(Box::new(Zeta::default())),
//!     settings: SETTINGS,
//! }
//! # fn main() {}
//! ```
//!
//! A decoder's tests feed it recorded bodies through the same driver with
//! [`decode_pieces`], cut at every byte if they like: what a test sees is
//! what a live reply produces.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod connection;
#[cfg(test)]
mod cuts;
pub mod driver;
pub mod error_map;
mod framing;
pub mod json_text;
mod lines;
mod live;
pub mod ndjson;
pub mod options;
pub mod pagination;
pub mod redact;
pub mod request;
pub mod sse;
pub mod transport;

pub use connection::Connection;
pub use driver::{
    decode_all, decode_pieces, DecodeDriver, Decoded, Ending, Step, StreamDecoder, FEED_PIECE,
};
pub use error_map::{classify, parse_generic, retry_after, ErrorBody};
pub use framing::Framing;
pub use json_text::JsonText;
pub use ndjson::{LineError, NdjsonDecoder};
pub use options::{
    HttpOptions, COMMON_SETTINGS, CONNECT_TIMEOUT, FIRST_BYTE_TIMEOUT, IDLE_TIMEOUT, MAX_RETRIES,
};
pub use request::HttpRequest;
pub use sse::{SseDecoder, SseError, SseEvent};
pub use transport::{ErrorParser, Transport};
/// The one retry policy, yat-core's, where a provider author looks for it.
pub use yat_core::retry::{self, RetryPolicy};

/// The HTTP client the kit is built on, for the types its API names
/// ([`header::HeaderName`], [`Method`], [`Url`]): a provider crate needs no
/// reqwest dependency of its own, and cannot get a mismatched version.
pub use reqwest;
pub use reqwest::{header, Method, Url};

/// Joins a base URL and a path with exactly one `/` between them.
///
/// ```
/// use yat_http::join_url;
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

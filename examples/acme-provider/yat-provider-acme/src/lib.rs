//! # yat-provider-acme
//!
//! A yat provider for **Acme Chat**, shipped as its own crate: this is how a
//! third party adds a provider to yat without forking it. It depends on
//! `yat-core` (the plugin API) and `yat-http` (the HTTP kit the bundled
//! providers use), registers itself with one `register_provider!`, and any
//! program that links it lists it next to yat's bundled providers.
//!
//! Acme Chat is a made-up API, small enough to read in one sitting:
//!
//! | | |
//! |---|---|
//! | auth | `X-Acme-Key: <key>` header |
//! | models | `GET /v1/models` → `{"data": [{"name", "label", "context_window", "max_reply"}]}` |
//! | chat | `POST /v1/chat` `{"model", "conversation": [{"from": "system"\|"human"\|"bot", "text"}], "stream": true, "temperature", "max_tokens", "top_p", "stop"}` |
//! | stream | `application/x-ndjson`, one object per line: `{"type":"chunk","text"}`, then `{"type":"done","reason":"complete"\|"length"\|"stop_sequence"\|"filtered","tokens":{"in","out"}}`, or `{"type":"error","code","message"}` |
//! | errors | non-2xx with `{"error": {"code", "message"}}`; 429 and 503 may send `Retry-After` (seconds) |
//!
//! Settings: `api_key` (required; `ACME_API_KEY`), `base_url` (default
//! `https://api.acme-chat.invalid`; `ACME_BASE_URL`), and the kit's
//! `connect_timeout`, `first_byte_timeout`, `idle_timeout`. Retries
//! (`max_retries`) and fallbacks come from yat's manager, as for every
//! provider.
//!
//! Layout, one concept per file: `wire.rs` (serde types, request
//! translation), `stream.rs` (NDJSON lines → events), `error.rs` (Acme's
//! error codes → yat's taxonomy), and this file (settings, registration,
//! the trait). Sending, timeouts, status mapping, `Retry-After`, the line
//! decoder and keeping the key out of errors are yat-http's.

use yat_core::manager::ManagerBuilder;
use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, Failure, LlmProvider, ModelInfo,
    ResolvedSettings, Secret, SettingSpec, YatError,
};
use yat_http::connection::{base_url, endpoint, not_initialized, Connection};
use yat_http::header::{HeaderName, ACCEPT};
use yat_http::{Framing, HttpRequest, Url};

mod error;
mod stream;
mod wire;

/// The provider id.
pub const ID: &str = "acme";

const DEFAULT_BASE_URL: &str = "https://api.acme-chat.invalid";

/// The settings Acme reads (each also from `ACME_<KEY>`).
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"])
        .required()
        .help("Create one in the Acme console"),
    SettingSpec::url("base_url", "Base URL", &[])
        .default_value(DEFAULT_BASE_URL)
        .help("Point at a proxy or a local fake server"),
    yat_http::CONNECT_TIMEOUT,
    yat_http::FIRST_BYTE_TIMEOUT,
    yat_http::IDLE_TIMEOUT,
];

yat_core::register_provider! {
    id: ID,
    name: "Acme Chat",
    constructor: || Ok(Box::new(AcmeProvider::default())),
    settings: SETTINGS,
    description: "Acme Chat (an example third-party provider crate)",
}

/// Keeps this crate linked, and fails the program's build if it uses a
/// different yat-core than this crate (the types would not match).
///
/// ```
/// let builder = yat_provider_acme::link(yat_core::ProviderManager::builder());
/// # let _ = builder;
/// ```
pub fn link(builder: ManagerBuilder) -> ManagerBuilder {
    builder
}

/// What `initialize` sets up: the kit's transport (its client is built on
/// the first request), the key, and where the API lives.
#[derive(Debug)]
struct Live {
    conn: Connection,
    key: Secret,
    base: Url,
}

/// The Acme Chat provider.
#[derive(Debug, Default)]
pub struct AcmeProvider {
    live: Option<Live>,
}

/// Acme's credential header.
const X_ACME_KEY: HeaderName = HeaderName::from_static("x-acme-key");

impl Live {
    fn url(&self, path: &[&str]) -> String {
        endpoint(&self.base, path).into()
    }

    /// The key goes on as a secret header: sent marked sensitive, shown as
    /// `[redacted]` in `Debug`, and scrubbed from errors by the transport.
    fn authed(&self, req: HttpRequest) -> HttpRequest {
        req.secret_header(X_ACME_KEY, &self.key)
    }
}

#[async_trait]
impl LlmProvider for AcmeProvider {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        // A re-initialization starts clean: the old transport (and its
        // connection pool) is dropped here.
        self.live = None;
        let base = base_url(ID, settings, DEFAULT_BASE_URL)?;
        let conn = Connection::from_settings(ID, settings, error::parse)?;
        let key = conn.key.clone().ok_or_else(|| YatError::Unavailable {
            provider: ID.into(),
            reason: "ACME_API_KEY is not set".into(),
        })?;
        self.live = Some(Live { conn, key, base });
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        let live = self.live.as_ref().ok_or_else(|| not_initialized(ID))?;
        let req = live.authed(HttpRequest::get(live.url(&["v1", "models"])));
        let list: wire::ModelList = live.conn.transport.json(&req).await?;
        Ok(list.data.into_iter().map(wire::Model::into_info).collect())
    }

    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError> {
        let live = self.live.as_ref().ok_or_else(|| not_initialized(ID))?;
        if request.messages.is_empty() {
            return Err(YatError::InvalidRequest(Failure::new(
                ID,
                "the conversation is empty",
            )));
        }
        let http = HttpRequest::post_json(live.url(&["v1", "chat"]), &wire::chat_body(request))?
            .header(ACCEPT, "application/x-ndjson");
        // Errors before the first event (bad key, unknown model, rate limit)
        // come back from here, typed; the stream carries the rest, and
        // dropping it closes the connection.
        live.conn
            .transport
            .stream(
                &live.authed(http),
                Framing::Ndjson,
                Box::new(stream::AcmeDecoder::new()),
            )
            .await
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_usage(true)
            .with_rejects_unknown_models(true)
            .with_max_tokens(true)
            .with_stop_sequences(true)
    }
}

//! # yat-provider-acme
//!
//! A yat provider for **Acme Chat**, shipped as its own crate: this is how a
//! third party adds a provider to yat without forking it. It depends on
//! `yat-core` only (the plugin API), registers itself with one
//! `register_provider!`, and any program that links it lists it next to
//! yat's bundled providers.
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
//! `https://api.acme-chat.invalid`; `ACME_BASE_URL`), `timeout_secs`
//! (connect and idle timeout, default 30).
//!
//! Layout, one concept per file: `wire.rs` (serde types, request
//! translation), `ndjson.rs` (bytes → events), `error.rs` (status and body →
//! `YatError`), and this file (settings, registration, the trait).

use std::sync::OnceLock;
use std::time::Duration;

use yat_core::manager::ManagerBuilder;
use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, Failure, LlmProvider, ModelInfo,
    ResolvedSettings, Secret, SettingKind, SettingSpec, YatError,
};

mod error;
mod ndjson;
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
    SettingSpec::new(
        "timeout_secs",
        "Connect and idle timeout (s)",
        SettingKind::Integer,
        &[],
    )
    .default_value("30"),
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

/// What `initialize` sets up. The HTTP client itself is built on first use
/// (yat-core's rule: start-up stays cheap for providers a command does not
/// touch).
#[derive(Debug)]
struct Client {
    http: OnceLock<Result<reqwest::Client, String>>,
    key: Secret,
    base_url: String,
    timeout: Duration,
}

/// The Acme Chat provider.
#[derive(Debug, Default)]
pub struct AcmeProvider {
    client: Option<Client>,
}

impl AcmeProvider {
    fn client(&self) -> Result<&Client, YatError> {
        self.client.as_ref().ok_or_else(|| YatError::Unavailable {
            provider: ID.into(),
            reason: "not initialized".into(),
        })
    }
}

impl Client {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The connection pool, created by the first request of this instance.
    fn http(&self) -> Result<&reqwest::Client, YatError> {
        self.http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .connect_timeout(self.timeout)
                    .read_timeout(self.timeout)
                    .user_agent(concat!("yat-provider-acme/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|reason| YatError::Unavailable {
                provider: ID.into(),
                reason: reason.clone(),
            })
    }

    /// Sends a request; a non-2xx status becomes the matching error.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, YatError> {
        let resp = req
            .header("X-Acme-Key", self.key.expose())
            .send()
            .await
            .map_err(|e| error::from_transport(&e, self.timeout))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(resp);
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.unwrap_or_default();
        Err(error::from_status(status, retry_after.as_deref(), &body))
    }
}

#[async_trait]
impl LlmProvider for AcmeProvider {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        // A re-initialization starts clean: the old client (and its
        // connection pool) is dropped here.
        self.client = None;
        let key = settings
            .secret("api_key")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| YatError::Unavailable {
                provider: ID.into(),
                reason: "ACME_API_KEY is not set".into(),
            })?;
        let base_url = settings
            .get("base_url")
            .unwrap_or(DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_owned();
        let timeout = Duration::from_secs(settings.get_u64("timeout_secs")?.unwrap_or(30));
        self.client = Some(Client {
            http: OnceLock::new(),
            key,
            base_url,
            timeout,
        });
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        let c = self.client()?;
        let resp = c.send(c.http()?.get(c.url("/v1/models"))).await?;
        let body = resp
            .bytes()
            .await
            .map_err(|e| error::from_transport(&e, c.timeout))?;
        let list: wire::ModelList = serde_json::from_slice(&body).map_err(|e| {
            YatError::malformed(ID, format!("model list is not Acme JSON: {e}"), &body)
        })?;
        Ok(list
            .data
            .into_iter()
            .map(|m| {
                let mut info = ModelInfo::new(ID, &m.name);
                info.display_name = m.label.unwrap_or(m.name);
                info.context_length = m.context_window;
                info.max_output_tokens = m.max_reply;
                info
            })
            .collect())
    }

    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError> {
        let c = self.client()?;
        if request.messages.is_empty() {
            return Err(YatError::InvalidRequest(Failure::new(
                ID,
                "the conversation is empty",
            )));
        }
        let body = serde_json::to_vec(&wire::chat_body(request)).map_err(|e| {
            YatError::InvalidRequest(Failure::new(ID, format!("cannot encode the request: {e}")))
        })?;
        // Errors before the first event (bad key, unknown model, rate limit)
        // come back from here, typed; the stream carries the rest.
        let resp = c
            .send(
                c.http()?
                    .post(c.url("/v1/chat"))
                    .header("content-type", "application/json")
                    .header("accept", "application/x-ndjson")
                    .body(body),
            )
            .await?;
        Ok(ndjson::events(Box::pin(resp.bytes_stream()), c.timeout))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_usage(true)
            .with_rejects_unknown_models(true)
            .with_max_tokens(true)
            .with_stop_sequences(true)
    }
}

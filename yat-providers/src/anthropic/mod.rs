//! `anthropic`: Anthropic's Messages API (Claude models).
//!
//! API reference: platform.claude.com/docs/en/api/messages,
//! platform.claude.com/docs/en/build-with-claude/streaming (the stream
//! events), .../agents-and-tools/tool-use, .../build-with-claude/extended-thinking,
//! .../build-with-claude/structured-outputs, .../build-with-claude/vision,
//! .../build-with-claude/pdf-support, platform.claude.com/docs/en/api/errors,
//! platform.claude.com/docs/en/api/rate-limits and
//! platform.claude.com/docs/en/api/models; see `shared/wire-formats.md` §2
//! and §6.
//!
//! - Chat: `POST {base}/v1/messages` with `"stream": true`, authenticated by
//!   `x-api-key` and versioned by `anthropic-version` (`2023-06-01`, the
//!   current and only stable version); optional beta features are named in
//!   `anthropic-beta` (a comma-separated list). The base URL ends before
//!   `/v1`, as the official SDKs' does.
//! - `max_tokens` is required by the API: a request without one is sent
//!   with the `max_tokens` setting (default [`DEFAULT_MAX_TOKENS`]), plus
//!   the thinking budget when reasoning is asked for ([`request`]).
//! - Roles are only `user` and `assistant`: system messages become the
//!   top-level `system`, tool results are `user` turns, consecutive turns
//!   of one role are merged; images, documents, tool calls, tool results
//!   and signed reasoning are content blocks ([`turns`]). Tools, tool
//!   choice, thinking and JSON-schema output are mapped in [`request`];
//!   `extra` fields for `anthropic` are written over the top-level fields.
//! - The stream has named events and ends with `message_stop` ([`stream`]);
//!   usage arrives in `message_start` and, cumulative, in `message_delta`,
//!   with the prompt-cache reads and writes kept apart from the input.
//!   Text, thinking (with its signature), redacted thinking and tool calls
//!   are decoded; tool calls through the shared assembler.
//! - Errors have one shape, `{"type":"error","error":{"type","message"}}`,
//!   over HTTP and inside the stream; 529 `overloaded_error` is retried
//!   like a 503, 429 honours `retry-after` ([`error`]).
//! - Models: `GET {base}/v1/models`, newest first, paged with
//!   `after_id`/`has_more`; retired models are left out; what a model's
//!   `capabilities` say about images, PDFs, structured outputs and
//!   thinking is kept.
//! - Key: `ANTHROPIC_API_KEY` (the SDK's variable); `ANTHROPIC_BASE_URL`
//!   overrides the endpoint.

mod delta_scan;
pub mod error;
pub mod request;
pub mod stream;
pub mod turns;
pub mod wire;

use yat_core::options::{OptionKind, OptionSpec};
use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, Failure, LlmProvider, ModelInfo,
    ResolvedSettings, SettingKind, SettingSpec, YatError,
};
use yat_http::connection::not_initialized;
use yat_http::header::HeaderName;
use yat_http::pagination::{self, Page};
use yat_http::{self as http, HttpRequest};

use crate::api::{sse_post, Api};

const ID: &str = "anthropic";

/// The public endpoint, ending before `/v1`.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The API version sent in `anthropic-version`.
pub const DEFAULT_API_VERSION: &str = "2023-06-01";

/// The token limit of a request that sets none. The API has no default of
/// its own; 4096 is the figure the API reference's examples and the SDKs'
/// READMEs use, and every current model allows at least that much.
///
/// The API counts thinking within `max_tokens` and requires `max_tokens`
/// to exceed the thinking budget, so a request that asks for reasoning and
/// sets no limit is sent with the budget plus this default (the configured
/// `max_tokens` setting, when there is one): the answer keeps its usual
/// room after the thinking.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// Models asked for per page of the list (the documented maximum).
const PAGE_SIZE: &str = "1000";

/// The settings of `anthropic`.
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec::secret("api_key", "API key", &["ANTHROPIC_API_KEY"])
        .required()
        .help("An Anthropic key (platform.claude.com → API keys)"),
    SettingSpec::url("base_url", "Base URL", &["ANTHROPIC_BASE_URL"])
        .default_value(DEFAULT_BASE_URL)
        .help("Ends before /v1"),
    SettingSpec::text("anthropic_version", "API version", &["ANTHROPIC_VERSION"])
        .default_value(DEFAULT_API_VERSION)
        .help("Sent as the anthropic-version header"),
    SettingSpec::text("anthropic_beta", "Beta features", &["ANTHROPIC_BETA"])
        .help("Comma-separated beta names, sent as the anthropic-beta header"),
    SettingSpec::new(
        "max_tokens",
        "Default max tokens",
        SettingKind::Integer,
        &[],
    )
    .default_value("4096")
    .help("Token limit of a request that sets none (the API requires one)"),
    http::CONNECT_TIMEOUT,
    http::FIRST_BYTE_TIMEOUT,
    http::IDLE_TIMEOUT,
    http::MAX_RETRIES,
];

yat_core::register_provider! {
    id: ID,
    name: "Anthropic",
    constructor: || Ok(Box::new(Anthropic::default())),
    settings: SETTINGS,
    description: "Anthropic Messages API (Claude models)",
}

/// An Anthropic provider instance.
#[derive(Debug, Default)]
pub struct Anthropic {
    live: Option<Live>,
}

#[derive(Debug)]
struct Live {
    api: Api,
    version: String,
    beta: Option<String>,
    max_tokens: u32,
}

/// The headers every request carries: key, version, betas.
fn authorize(live: &Live, mut r: HttpRequest) -> HttpRequest {
    if let Some(k) = &live.api.conn.key {
        r = r.secret_header(HeaderName::from_static("x-api-key"), k);
    }
    r = r.header(
        HeaderName::from_static("anthropic-version"),
        live.version.clone(),
    );
    if let Some(b) = &live.beta {
        r = r.header(HeaderName::from_static("anthropic-beta"), b.clone());
    }
    r
}

/// One page of the model list (pure): the models still offered, and the
/// cursor of the next page (the last id) while the API says there is one.
fn model_page(page: wire::ModelList) -> Page<ModelInfo> {
    let to_u32 = |n: Option<u64>| n.filter(|n| *n > 0).map(|n| n.min(u32::MAX as u64) as u32);
    let items = page
        .data
        .into_iter()
        .filter(|m| m.is_usable())
        .map(|m| {
            let mut info = ModelInfo::new(ID, m.id.clone())
                .display_name(m.display_name.clone().unwrap_or_else(|| m.id.clone()));
            info.context_length = to_u32(m.max_input_tokens);
            info.max_output_tokens = to_u32(m.max_tokens);
            info.capabilities = m.capabilities();
            info
        })
        .collect();
    let next = if page.has_more { page.last_id } else { None };
    Page::new(items, next)
}

/// `" a, ,b "` → `"a,b"`; nothing left → `None`.
fn beta_list(raw: &str) -> Option<String> {
    let list: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!list.is_empty()).then(|| list.join(","))
}

impl Anthropic {
    fn live(&self) -> Result<&Live, YatError> {
        self.live.as_ref().ok_or_else(|| not_initialized(ID))
    }

    /// The chat request as it goes on the wire (pure: no I/O).
    pub fn chat_request(&self, req: &ChatRequest) -> Result<HttpRequest, YatError> {
        let live = self.live()?;
        let invalid = |m: &str| YatError::InvalidRequest(Failure::new(ID, m));
        if req.model.trim().is_empty() {
            return Err(invalid("no model given"));
        }
        let body = request::MessagesBody::new(ID, req, live.max_tokens)?;
        if !body.has_messages() {
            return Err(invalid("the conversation has no user or assistant message"));
        }
        let url = live.api.url(&["v1", "messages"]).into();
        // `stream: true` is what selects the stream; the Accept header says
        // which form the decoder reads.
        let r = sse_post(ID, url, &body, req.extra_for(ID))?;
        Ok(authorize(live, r))
    }

    /// The model list request for one page (pure: no I/O).
    pub fn list_request(&self, after_id: Option<&str>) -> Result<HttpRequest, YatError> {
        let live = self.live()?;
        let url = live.api.page_url(
            &["v1", "models"],
            &[("limit", PAGE_SIZE)],
            "after_id",
            after_id,
        );
        Ok(authorize(live, HttpRequest::get(url.into())))
    }
}

#[async_trait]
impl LlmProvider for Anthropic {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        // A re-initialization starts clean: the old client goes with `live`.
        self.live = None;
        let api = Api::from_settings(ID, settings, DEFAULT_BASE_URL, error::parse_error)?;
        let max_tokens = match settings.get_u64("max_tokens")? {
            None => DEFAULT_MAX_TOKENS,
            Some(n) => u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                YatError::InvalidSetting {
                    provider: ID.into(),
                    key: "max_tokens".into(),
                    message: format!("{n} is not between 1 and {}", u32::MAX),
                }
            })?,
        };
        let version = settings
            .get("anthropic_version")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_API_VERSION)
            .to_owned();
        let beta = settings.get("anthropic_beta").and_then(beta_list);
        self.live = Some(Live {
            api,
            version,
            beta,
            max_tokens,
        });
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        let transport = &self.live()?.api.conn.transport;
        pagination::collect_models(transport, |after| self.list_request(after), model_page).await
    }

    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        let http = self.chat_request(req)?;
        self.live()?
            .api
            .stream_sse(&http, Box::new(stream::AnthropicDecoder::new(ID)))
            .await
    }

    /// Size limits from Anthropic's documentation, both counted on what is
    /// sent, where inline media are base64 text (4 characters per 3 bytes),
    /// so yat's limits on the media's own bytes are three quarters of them:
    /// an image's base64 may be 5 MB (3.75 MB of image), and a whole request
    /// 32 MB (so at most 24 MB of images and PDFs, less the text around
    /// them, which the server still checks). PDFs have no limit of their own.
    fn capabilities(&self) -> Capabilities {
        const MB: u64 = Capabilities::MB;
        Capabilities::default()
            .with_stop_sequences(true)
            .with_usage_details(true)
            .with_tools(true)
            .with_parallel_tools(true)
            .with_images(true)
            .with_documents(true)
            .with_json_schema(true)
            .with_reasoning(true)
            .with_max_image_bytes(5 * MB / 4 * 3)
            .with_max_inline_bytes(32 * MB / 4 * 3)
    }

    fn model_options(&self, _model: &str) -> Vec<OptionSpec> {
        OPTIONS.to_vec()
    }
}

/// The Messages API's request fields the contract does not name (the
/// Messages reference: `top_k`, `metadata.user_id`, `service_tier`).
const OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "top_k",
        OptionKind::Integer,
        "sample from the K likeliest tokens only",
    ),
    OptionSpec::new(
        "metadata",
        OptionKind::Json,
        "{\"user_id\": \"...\"}: an opaque id of the end user",
    ),
    OptionSpec::new(
        "service_tier",
        OptionKind::String,
        "auto or standard_only: whether priority capacity may serve it",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup_check::{self, headers, BAD_BASE_URLS};
    use yat_core::Message;

    async fn ready(pairs: &[(&str, &str)]) -> Anthropic {
        setup_check::ready(Anthropic::default(), ID, pairs).await
    }

    #[tokio::test]
    async fn chat_request_has_the_documented_path_and_headers() {
        let p = ready(&[
            ("api_key", "sk-ant-planted"),
            ("base_url", "http://127.0.0.1:9/"),
        ])
        .await;
        let r = p
            .chat_request(&ChatRequest::new(
                "claude-sonnet-4-5",
                vec![Message::system("Be brief."), Message::user("Hi")],
            ))
            .unwrap();
        setup_check::assert_request(
            &r,
            yat_http::Method::POST,
            "http://127.0.0.1:9/v1/messages",
            &[
                ("content-type", "application/json"),
                ("accept", "text/event-stream"),
                ("x-api-key", "sk-ant-planted"),
                ("anthropic-version", "2023-06-01"),
            ],
        );
        let body = r.json_body();
        assert_eq!(body["stream"], true);
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(body["system"], "Be brief.");
    }

    #[tokio::test]
    async fn version_betas_and_default_max_tokens_come_from_settings() {
        let p = ready(&[
            ("api_key", "k"),
            ("anthropic_version", "2099-01-01"),
            (
                "anthropic_beta",
                " token-efficient-tools-2025-02-19, ,output-128k-2025-02-19 ",
            ),
            ("max_tokens", "1000"),
        ])
        .await;
        let req = ChatRequest::new("m", vec![Message::user("x")]);
        let r = p.chat_request(&req).unwrap();
        let h = headers(&r);
        assert!(h.contains(&("anthropic-version", "2099-01-01")), "{h:?}");
        assert!(
            h.contains(&(
                "anthropic-beta",
                "token-efficient-tools-2025-02-19,output-128k-2025-02-19"
            )),
            "{h:?}"
        );
        assert_eq!(r.json_body()["max_tokens"], 1000);
        // The request's own limit wins.
        assert_eq!(
            p.chat_request(&req.max_tokens(5)).unwrap().json_body()["max_tokens"],
            5
        );
        // The default base URL.
        assert_eq!(r.url, "https://api.anthropic.com/v1/messages");
    }

    #[tokio::test]
    async fn list_request_pages_with_an_encoded_cursor_and_the_same_headers() {
        let p = ready(&[("api_key", "k"), ("base_url", "http://h/proxy/")]).await;
        setup_check::assert_pages(
            |cursor| p.list_request(cursor),
            "http://h/proxy/v1/models?limit=1000",
            "claude a&b",
            "http://h/proxy/v1/models?limit=1000&after_id=claude+a%26b",
        );
        assert_eq!(
            headers(&p.list_request(None).unwrap()),
            vec![("x-api-key", "k"), ("anthropic-version", "2023-06-01")]
        );
    }

    #[tokio::test]
    async fn requests_that_cannot_succeed_fail_before_sending() {
        let p = ready(&[("api_key", "k")]).await;
        let sys_only = ChatRequest::new("claude-sonnet-4-5", vec![Message::system("s")]);
        assert!(matches!(
            p.chat_request(&sys_only),
            Err(YatError::InvalidRequest(_))
        ));
        setup_check::assert_blank_model_and_uninitialized_refused(
            |r| p.chat_request(r),
            |r| Anthropic::default().chat_request(r),
            ID,
        );
    }

    #[tokio::test]
    async fn bad_settings_are_setting_errors() {
        setup_check::assert_bad_settings_rejected(Anthropic::default, ID, BAD_BASE_URLS).await;
        let bad_max_tokens = [
            ("max_tokens", "0"),
            ("max_tokens", "many"),
            ("max_tokens", "99999999999"),
        ];
        setup_check::assert_bad_settings_rejected(Anthropic::default, ID, &bad_max_tokens).await;
    }

    #[tokio::test]
    async fn reinitialization_starts_clean() {
        let mut p = ready(&[("api_key", "old"), ("anthropic_beta", "b1")]).await;
        p.initialize(&ResolvedSettings::from_pairs(ID, &[("api_key", "new")]))
            .await
            .unwrap();
        let r = p
            .chat_request(&ChatRequest::new("m", vec![Message::user("x")]))
            .unwrap();
        let h = headers(&r);
        assert!(h.contains(&("x-api-key", "new")));
        assert!(!h.iter().any(|(n, _)| *n == "anthropic-beta"), "{h:?}");
        // A failed re-initialization leaves no half-configured instance.
        assert!(p
            .initialize(&ResolvedSettings::from_pairs(ID, &[("base_url", "nope")]))
            .await
            .is_err());
        assert!(matches!(
            p.chat_request(&ChatRequest::new("m", vec![Message::user("x")])),
            Err(YatError::Unavailable { .. })
        ));
    }

    #[test]
    fn settings_declare_the_sdk_variables_and_defaults() {
        let get = |k: &str| SETTINGS.iter().find(|s| s.key == k).unwrap();
        assert_eq!(get("api_key").env_vars, &["ANTHROPIC_API_KEY"]);
        assert!(get("api_key").required);
        assert_eq!(get("base_url").default, Some(DEFAULT_BASE_URL));
        assert_eq!(get("anthropic_version").default, Some(DEFAULT_API_VERSION));
        assert_eq!(
            get("max_tokens").default,
            Some(DEFAULT_MAX_TOKENS.to_string().as_str())
        );
        assert!(get("anthropic_beta").default.is_none());
    }
}

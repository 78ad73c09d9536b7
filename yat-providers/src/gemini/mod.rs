//! `gemini`, and its alias `google`: the Google Gemini API (Generative
//! Language API, v1beta).
//!
//! API reference: ai.google.dev/api/generate-content
//! (`models.streamGenerateContent`), ai.google.dev/api/models (`models.list`),
//! ai.google.dev/gemini-api/docs/generate-content/api-errors; see
//! `shared/wire-formats.md` §3.
//!
//! - Chat: `POST {base}/models/{model}:streamGenerateContent?alt=sse` with the
//!   key in the `x-goog-api-key` header, never in the URL (a `?key=` ends up
//!   in proxy and server logs). `alt=sse` matters: without it the method
//!   streams one big JSON array.
//! - Model ids are accepted with or without the `models/` prefix
//!   (`gemini-2.5-flash` or `models/gemini-2.5-flash`); `tunedModels/…`
//!   names pass through.
//! - The body (`request`, `content`): the system prompt is the top-level
//!   `systemInstruction`; assistant turns have the role `model`, tool
//!   results go back as `user` turns of `functionResponse` parts, and
//!   consecutive turns of one role are merged. Images and documents are
//!   `inlineData` or `fileData`; tools are `functionDeclarations` with JSON
//!   Schema parameters; JSON output, thinking budgets and the seed go in
//!   `generationConfig`; signatures are echoed on the parts they came on.
//! - The stream has no end marker ([`stream`]): a reply is complete when
//!   the body ends after a `finishReason` with no content behind it, and
//!   cut otherwise. Function calls arrive whole; thoughts and their
//!   signatures are reasoning events. Usage keeps cached prompt tokens and
//!   thinking tokens apart; a blocked prompt, or a reply withheld before any
//!   content, is [`YatError::ContentBlocked`].
//! - The model listing's `thinking` flag becomes the model's reasoning
//!   capability.
//! - An invalid key is a 400 (not a 401) with `ErrorInfo.reason:
//!   API_KEY_INVALID`; 429s carry their retry delay in the body
//!   (`RetryInfo.retryDelay`), not in a header ([`error`]).
//!
//! The alias: the original app called this provider `google` and read
//! `GOOGLE_API_KEY`, so a `provider_config.json` written for it has an entry
//! with id `google`. The `google` cargo feature registers a second provider
//! with that id, built by the same code, reading `GOOGLE_API_KEY` first (then
//! `GEMINI_API_KEY`); `gemini` reads `GEMINI_API_KEY` first, then
//! `GOOGLE_API_KEY`. The base URL follows the same order
//! (`GOOGLE_BASE_URL`, then `GEMINI_BASE_URL`, for `google`;
//! `GEMINI_BASE_URL` for `gemini`). Each also reads `<ID>_API_KEY`.

mod content;
pub mod error;
mod parts;
mod request;
pub mod stream;
pub mod wire;

use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, Failure, LlmProvider, ModelCapabilities,
    ModelInfo, ResolvedSettings, SettingSpec, YatError,
};
use yat_http::connection::not_initialized;
use yat_http::header::HeaderName;
use yat_http::pagination::{self, Page};
use yat_http::{self as http, HttpRequest};

use crate::api::Api;

/// The public endpoint, ending before `/models`.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta";

/// Models asked for per page of `models.list` (the documented maximum).
const PAGE_SIZE: &str = "1000";

/// The settings of `gemini`.
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec::secret("api_key", "API key", &["GEMINI_API_KEY", "GOOGLE_API_KEY"])
        .required()
        .help("A Google AI Studio key (aistudio.google.com/apikey)"),
    SettingSpec::url("base_url", "Base URL", &[]).default_value(DEFAULT_BASE_URL),
    http::CONNECT_TIMEOUT,
    http::FIRST_BYTE_TIMEOUT,
    http::IDLE_TIMEOUT,
    http::MAX_RETRIES,
];

/// The settings of the `google` alias: the same, with the original app's
/// variable first.
pub const GOOGLE_SETTINGS: &[SettingSpec] = &[
    SettingSpec::secret("api_key", "API key", &["GOOGLE_API_KEY", "GEMINI_API_KEY"])
        .required()
        .help("A Google AI Studio key (aistudio.google.com/apikey)"),
    SettingSpec::url(
        "base_url",
        "Base URL",
        &["GOOGLE_BASE_URL", "GEMINI_BASE_URL"],
    )
    .default_value(DEFAULT_BASE_URL),
    http::CONNECT_TIMEOUT,
    http::FIRST_BYTE_TIMEOUT,
    http::IDLE_TIMEOUT,
    http::MAX_RETRIES,
];

#[cfg(feature = "gemini")]
yat_core::register_provider! {
    id: "gemini",
    name: "Google Gemini",
    constructor: || Ok(Box::new(Gemini::new("gemini"))),
    settings: SETTINGS,
    description: "Google Gemini API (streamGenerateContent over SSE)",
}

#[cfg(feature = "google")]
yat_core::register_provider! {
    id: "google",
    name: "Google Gemini",
    constructor: || Ok(Box::new(Gemini::new("google"))),
    settings: GOOGLE_SETTINGS,
    description: "Alias of gemini, under the original app's id (reads GOOGLE_API_KEY first)",
}

/// A Gemini provider instance.
#[derive(Debug)]
pub struct Gemini {
    id: &'static str,
    live: Option<Api>,
}

impl Gemini {
    /// An uninitialized instance that reports itself as `id` (`gemini` or
    /// `google`).
    pub fn new(id: &'static str) -> Self {
        Gemini { id, live: None }
    }

    fn live(&self) -> Result<&Api, YatError> {
        self.live.as_ref().ok_or_else(|| not_initialized(self.id))
    }

    fn invalid(&self, message: &str) -> YatError {
        YatError::InvalidRequest(Failure::new(self.id, message))
    }

    /// The chat request as it goes on the wire (pure: no I/O).
    pub fn chat_request(&self, req: &ChatRequest) -> Result<HttpRequest, YatError> {
        let live = self.live()?;
        if req.model.trim().is_empty() {
            return Err(self.invalid("no model given"));
        }
        let body = request::GenerateBody::new(req, req.extra_for(self.id))
            .map_err(|m| self.invalid(&m))?;
        if !body.has_contents() {
            return Err(self.invalid("the conversation has no user or assistant message"));
        }
        let mut url = wire::method_url(&live.base_url, &req.model, "streamGenerateContent");
        url.query_pairs_mut().append_pair("alt", "sse");
        Ok(authorize(live, HttpRequest::post_json(url.into(), &body)?))
    }

    /// One page of `models.list` (pure): the models that generate content,
    /// by their bare ids, and the next page's token.
    fn model_page(&self, page: wire::ModelList) -> Page<ModelInfo> {
        let items = page
            .models
            .into_iter()
            .filter(|m| m.can_generate())
            .map(|m| {
                let id = m.name.strip_prefix("models/").unwrap_or(&m.name).to_owned();
                let mut info =
                    ModelInfo::new(self.id, id.clone()).display_name(m.display_name.unwrap_or(id));
                info.context_length = m.input_token_limit;
                info.max_output_tokens = m.output_token_limit;
                if let Some(thinks) = m.thinking {
                    info = info.capabilities(ModelCapabilities::default().reasoning(thinks));
                }
                info
            })
            .collect();
        Page::new(items, page.next_page_token)
    }

    /// The `models.list` request for one page (pure: no I/O).
    pub fn list_request(&self, page_token: Option<&str>) -> Result<HttpRequest, YatError> {
        let live = self.live()?;
        let url = live.page_url(
            &["models"],
            &[("pageSize", PAGE_SIZE)],
            "pageToken",
            page_token,
        );
        Ok(authorize(live, HttpRequest::get(url.into())))
    }
}

fn authorize(live: &Api, r: HttpRequest) -> HttpRequest {
    match &live.conn.key {
        Some(k) => r.secret_header(HeaderName::from_static("x-goog-api-key"), k),
        None => r,
    }
}

#[async_trait]
impl LlmProvider for Gemini {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        // A re-initialization starts clean: the old client goes with `live`.
        self.live = None;
        self.live = Some(Api::from_settings(
            self.id,
            settings,
            DEFAULT_BASE_URL,
            error::parse_error,
        )?);
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        let transport = &self.live()?.conn.transport;
        pagination::collect_models(
            transport,
            |token| self.list_request(token),
            |page| self.model_page(page),
        )
        .await
    }

    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        let http = self.chat_request(req)?;
        let decoder = Box::new(stream::GeminiDecoder::new(self.id));
        self.live()?.stream_sse(&http, decoder).await
    }

    /// Inline data (`inlineData`, which is every inline image and PDF yat
    /// sends) is limited to 20 MB for the whole request; larger files go
    /// through the Files API, which yat does not use.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_stop_sequences(true)
            .with_usage_details(true)
            .with_tools(true)
            .with_parallel_tools(true)
            .with_images(true)
            .with_documents(true)
            .with_json_schema(true)
            .with_json_object(true)
            .with_reasoning(true)
            .with_max_inline_bytes(20 * Capabilities::MB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup_check::{self, BAD_BASE_URLS};
    use yat_core::Message;

    async fn ready(pairs: &[(&str, &str)]) -> Gemini {
        setup_check::ready(Gemini::new("gemini"), "gemini", pairs).await
    }

    #[tokio::test]
    async fn chat_request_puts_the_key_in_a_header_never_the_url() {
        let p = ready(&[
            ("api_key", "AIza-planted"),
            ("base_url", "http://127.0.0.1:9/v1beta"),
        ])
        .await;
        let req = ChatRequest::new("models/gemini-2.5-flash", vec![Message::user("Hi")]);
        let r = p.chat_request(&req).unwrap();
        setup_check::assert_request(
            &r,
            yat_http::Method::POST,
            "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            &[
                ("content-type", "application/json"),
                ("x-goog-api-key", "AIza-planted"),
            ],
        );
        assert!(!r.url.contains("AIza"));
        assert_eq!(r.json_body()["contents"][0]["parts"][0]["text"], "Hi");
    }

    #[tokio::test]
    async fn requests_that_cannot_succeed_fail_before_sending() {
        let p = ready(&[("api_key", "k")]).await;
        let sys_only = ChatRequest::new("gemini-2.5-flash", vec![Message::system("s")]);
        assert!(matches!(
            p.chat_request(&sys_only),
            Err(YatError::InvalidRequest(_))
        ));
        setup_check::assert_blank_model_and_uninitialized_refused(
            |r| p.chat_request(r),
            |r| Gemini::new("google").chat_request(r),
            "google",
        );
    }

    #[tokio::test]
    async fn list_request_pages_with_encoded_tokens() {
        let p = ready(&[("api_key", "k"), ("base_url", "http://h/v1beta/")]).await;
        setup_check::assert_pages(
            |token| p.list_request(token),
            "http://h/v1beta/models?pageSize=1000",
            "a+b/c=",
            "http://h/v1beta/models?pageSize=1000&pageToken=a%2Bb%2Fc%3D",
        );
    }

    #[tokio::test]
    async fn bad_base_urls_are_setting_errors() {
        let new = || Gemini::new("gemini");
        setup_check::assert_bad_settings_rejected(new, "gemini", BAD_BASE_URLS).await;
    }

    #[test]
    fn settings_read_both_key_variables() {
        assert_eq!(SETTINGS[0].env_vars, &["GEMINI_API_KEY", "GOOGLE_API_KEY"]);
        assert_eq!(
            GOOGLE_SETTINGS[0].env_vars,
            &["GOOGLE_API_KEY", "GEMINI_API_KEY"]
        );
        assert_eq!(SETTINGS[1].default, Some(DEFAULT_BASE_URL));
        assert_eq!(
            GOOGLE_SETTINGS[1].env_vars,
            &["GOOGLE_BASE_URL", "GEMINI_BASE_URL"]
        );
        assert_eq!(GOOGLE_SETTINGS[1].default, Some(DEFAULT_BASE_URL));
    }
}

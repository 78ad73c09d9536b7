//! `cohere`: Cohere's Chat API, v2.
//!
//! API reference: docs.cohere.com/v2/reference/chat-stream,
//! docs.cohere.com/v2/docs/streaming and docs.cohere.com/v2/docs/tool-use-streaming
//! (the stream events), docs.cohere.com/v2/docs/tool-use-overview (the
//! tool loop's messages), docs.cohere.com/docs/reasoning,
//! docs.cohere.com/reference/errors, docs.cohere.com/reference/list-models,
//! and the official spec `cohere-openapi.yaml`; see `shared/wire-formats.md` §4.
//!
//! - Chat: `POST {base}/v2/chat` with `Authorization: Bearer` and
//!   `"stream": true`; roles `system`/`user`/`assistant`/`tool`; top-p is
//!   called `p` and must lie in 0.01–0.99 (a `top_p` of 1.0 goes out as
//!   0.99), stop sequences are `stop_sequences`. Images, tool calls and
//!   results, tools, `tool_choice`, `response_format` and `thinking` are
//!   mapped in [`request`]; the request's extra fields for `cohere` are
//!   written over the body's top level.
//! - The stream uses its own event names ([`stream`]) and ends with
//!   `data: [DONE]`; finish and usage arrive only in `message-end`, usage
//!   from `tokens` (what the model processed), falling back to
//!   `billed_units`. A tool plan and thinking blocks are reasoning.
//! - Models: `GET {base}/v1/models?endpoint=chat` (a v1 path), paged with
//!   `page_token`; deprecated models are left out; each model's `features`
//!   say whether it takes tools and images.
//! - Keys: `CO_API_KEY` (the SDK's variable), `COHERE_API_KEY`.

pub mod error;
pub mod request;
pub mod stream;
pub mod wire;

use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, Failure, LlmProvider, ModelInfo,
    ResolvedSettings, SettingSpec, YatError,
};
use yat_http::connection::not_initialized;
use yat_http::pagination::{self, Page};
use yat_http::{self as http, HttpRequest};

use crate::api::{sse_post, Api};

const ID: &str = "cohere";

/// The public endpoint, ending before `/v2/chat`.
pub const DEFAULT_BASE_URL: &str = "https://api.cohere.com";

/// Models asked for per page of the list (the documented maximum).
const PAGE_SIZE: &str = "1000";

/// The settings of `cohere`.
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec::secret("api_key", "API key", &["CO_API_KEY", "COHERE_API_KEY"])
        .required()
        .help("A Cohere key (dashboard.cohere.com/api-keys)"),
    SettingSpec::url("base_url", "Base URL", &[]).default_value(DEFAULT_BASE_URL),
    http::CONNECT_TIMEOUT,
    http::FIRST_BYTE_TIMEOUT,
    http::IDLE_TIMEOUT,
    http::MAX_RETRIES,
];

yat_core::register_provider! {
    id: ID,
    name: "Cohere",
    constructor: || Ok(Box::new(Cohere::default())),
    settings: SETTINGS,
    description: "Cohere Chat API v2 (Command models)",
}

/// A Cohere provider instance.
#[derive(Debug, Default)]
pub struct Cohere {
    live: Option<Api>,
}

fn authorize(live: &Api, r: HttpRequest) -> HttpRequest {
    match &live.conn.key {
        Some(k) => r.bearer_auth(k),
        None => r,
    }
}

/// One page of the model list (pure): the models not deprecated, and the
/// next page's token.
fn model_page(page: wire::ModelList) -> Page<ModelInfo> {
    let items = page
        .models
        .into_iter()
        .filter(|m| !m.is_deprecated)
        .map(|m| {
            let caps = m.capabilities();
            let mut info = ModelInfo::new(ID, m.name);
            info.context_length = m
                .context_length
                .filter(|n| n.is_finite() && *n > 0.0)
                .map(|n| n.min(u32::MAX as f64) as u32);
            info.capabilities = caps;
            info
        })
        .collect();
    Page::new(items, page.next_page_token)
}

impl Cohere {
    fn live(&self) -> Result<&Api, YatError> {
        self.live.as_ref().ok_or_else(|| not_initialized(ID))
    }

    /// The chat request as it goes on the wire (pure: no I/O).
    pub fn chat_request(&self, req: &ChatRequest) -> Result<HttpRequest, YatError> {
        let live = self.live()?;
        if req.model.trim().is_empty() {
            return Err(YatError::InvalidRequest(Failure::new(ID, "no model given")));
        }
        let url = live.url(&["v2", "chat"]).into();
        let body = request::ChatBody::new(req)?;
        // `stream: true` is what selects the stream; the Accept header asks
        // for it in the SSE form the decoder reads.
        let r = sse_post(ID, url, &body, req.extra_for(ID))?;
        Ok(authorize(live, r))
    }

    /// The model list request for one page (pure: no I/O).
    pub fn list_request(&self, page_token: Option<&str>) -> Result<HttpRequest, YatError> {
        let live = self.live()?;
        let url = live.page_url(
            &["v1", "models"],
            &[("endpoint", "chat"), ("page_size", PAGE_SIZE)],
            "page_token",
            page_token,
        );
        Ok(authorize(live, HttpRequest::get(url.into())))
    }
}

#[async_trait]
impl LlmProvider for Cohere {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        // A re-initialization starts clean: the old client goes with `live`.
        self.live = None;
        self.live = Some(Api::from_settings(
            ID,
            settings,
            DEFAULT_BASE_URL,
            error::parse_error,
        )?);
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        let transport = &self.live()?.conn.transport;
        pagination::collect_models(transport, |token| self.list_request(token), model_page).await
    }

    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        let http = self.chat_request(req)?;
        self.live()?
            .stream_sse(&http, Box::new(stream::CohereDecoder::new(ID)))
            .await
    }

    fn capabilities(&self) -> Capabilities {
        // Images, JSON schemas and reasoning need a model that has them
        // (the listing's `features` say which); the API refuses the rest.
        // docs.cohere.com "Image Inputs", Limitations: at most 20 images or
        // 20 MB of image data per request, whichever comes first; no limit
        // per image beyond that.
        Capabilities::default()
            .with_stop_sequences(true)
            .with_tools(true)
            .with_parallel_tools(true)
            .with_images(true)
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

    async fn ready(pairs: &[(&str, &str)]) -> Cohere {
        setup_check::ready(Cohere::default(), ID, pairs).await
    }

    #[tokio::test]
    async fn chat_request_has_the_documented_path_and_headers() {
        let p = ready(&[
            ("api_key", "co-planted"),
            ("base_url", "http://127.0.0.1:9/"),
        ])
        .await;
        let r = p
            .chat_request(&ChatRequest::new(
                "command-a-03-2025",
                vec![Message::user("Hi")],
            ))
            .unwrap();
        setup_check::assert_request(
            &r,
            yat_http::Method::POST,
            "http://127.0.0.1:9/v2/chat",
            &[
                ("content-type", "application/json"),
                ("accept", "text/event-stream"),
                ("authorization", "Bearer co-planted"),
            ],
        );
        assert_eq!(r.json_body()["stream"], true);
    }

    #[tokio::test]
    async fn list_request_filters_chat_models_and_pages() {
        let p = ready(&[("api_key", "k"), ("base_url", "http://h")]).await;
        setup_check::assert_pages(
            |token| p.list_request(token),
            "http://h/v1/models?endpoint=chat&page_size=1000",
            "t/1=",
            "http://h/v1/models?endpoint=chat&page_size=1000&page_token=t%2F1%3D",
        );
    }

    #[tokio::test]
    async fn bad_base_urls_are_setting_errors() {
        setup_check::assert_bad_settings_rejected(Cohere::default, ID, BAD_BASE_URLS).await;
    }

    #[tokio::test]
    async fn requests_that_cannot_succeed_fail_before_sending() {
        let p = ready(&[("api_key", "k")]).await;
        setup_check::assert_blank_model_and_uninitialized_refused(
            |r| p.chat_request(r),
            |r| Cohere::default().chat_request(r),
            ID,
        );
    }
}

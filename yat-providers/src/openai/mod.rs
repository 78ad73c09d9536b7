//! `openai` and the OpenAI-compatible family.
//!
//! API reference: OpenAI Chat Completions (`POST /chat/completions` with
//! `stream: true`) and `GET /models`; see `shared/wire-formats.md` §1.
//!
//! One implementation serves OpenAI itself, every compatible vendor in
//! [`presets`] (each a registered provider with its own id, base URL, key
//! variable and quirks, written down as data), and user-defined endpoints
//! declared in `provider_config.json` ([`custom`]).
//!
//! Quirks worth knowing: OpenAI wants `max_completion_tokens` (reasoning
//! models reject `max_tokens`), compatible servers mostly want `max_tokens`
//! (the `openai` provider pointed elsewhere sends that: [`token_field`]);
//! usage only arrives when `stream_options.include_usage` is sent, which some
//! servers reject, so it is a per-preset switch; OpenAI's 401 messages echo a
//! masked key prefix, which the transport scrubs.
//!
//! The request is built in [`request`] (messages of parts, tools, response
//! formats, reasoning), the stream read in [`stream`]. What each server
//! takes beyond text is its profile's [`Capabilities`], written down per
//! preset; what it sends back is read the same way for all of them, since
//! servers differ in how they fragment tool calls and name reasoning, not
//! in whether a decoder should understand them.

pub(crate) mod chunk;
mod chunk_scan;
pub mod custom;
pub(crate) mod models;
pub mod presets;
pub mod request;
pub mod stream;
pub mod token_field;
mod tool_results;

use std::sync::Arc;

use yat_core::options::{OptionKind, OptionSpec};
use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, LlmProvider, ModelInfo, ResolvedSettings,
    YatError,
};
use yat_http::header::HeaderName;

pub use request::{MaxTokensField, ReasoningField};
use yat_http::connection::{not_initialized, Connection};
use yat_http::{join_url, parse_generic, Framing, HttpRequest};

use crate::api::sse_post;

/// What differs between OpenAI-compatible servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Provider id.
    pub id: String,
    /// Base URL used when the `base_url` setting is not set.
    pub default_base_url: String,
    /// The token-limit field the server understands.
    pub max_tokens_field: MaxTokensField,
    /// Whether to send `stream_options.include_usage` (servers that reject it
    /// may still volunteer usage; it is read whenever it appears).
    pub stream_usage: bool,
    /// Models to offer when the server has no usable `GET /models`.
    pub static_models: Vec<String>,
    /// Whether `GET /models` exists.
    pub list_models: bool,
    /// What the server takes: the manager refuses requests that need more
    /// before they are sent.
    pub capabilities: Capabilities,
    /// How the server takes a reasoning request.
    pub reasoning_field: ReasoningField,
}

/// An OpenAI-compatible provider instance.
#[derive(Debug)]
pub struct OpenAiCompatible {
    profile: Arc<Profile>,
    live: Option<Live>,
}

#[derive(Debug)]
struct Live {
    /// Kept as written and joined as text ([`join_url`]) rather than read
    /// with [`connection::base_url`](yat_http::connection::base_url) as
    /// the other providers' are: this family has always taken any
    /// `http(s)://` prefix (presets and user-defined endpoints alike), and a
    /// parsed `Url` would reject or rewrite some of those.
    base_url: String,
    organization: Option<String>,
    project: Option<String>,
    /// The token-limit field this server reads ([`token_field`]).
    max_tokens_field: MaxTokensField,
    conn: Connection,
}

impl OpenAiCompatible {
    /// An uninitialized instance for `profile`.
    pub fn new(profile: Profile) -> Self {
        OpenAiCompatible {
            profile: Arc::new(profile),
            live: None,
        }
    }

    fn live(&self) -> Result<&Live, YatError> {
        self.live
            .as_ref()
            .ok_or_else(|| not_initialized(&self.profile.id))
    }

    /// The chat request as it goes on the wire (pure: no I/O).
    pub fn chat_request(&self, req: &ChatRequest) -> Result<HttpRequest, YatError> {
        let live = self.live()?;
        let body = request::ChatBody::new(req, &self.profile, live.max_tokens_field)?;
        let url = join_url(&live.base_url, "chat/completions");
        let id = &self.profile.id;
        let r = sse_post(id, url, &body, req.extra_for(id))?;
        Ok(self.authorize(live, r))
    }

    fn authorize(&self, live: &Live, mut r: HttpRequest) -> HttpRequest {
        if let Some(k) = &live.conn.key {
            r = r.bearer_auth(k);
        }
        if let Some(o) = &live.organization {
            r = r.header(HeaderName::from_static("openai-organization"), o.clone());
        }
        if let Some(p) = &live.project {
            r = r.header(HeaderName::from_static("openai-project"), p.clone());
        }
        r
    }
}

#[async_trait]
impl LlmProvider for OpenAiCompatible {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        // A re-initialization starts clean: the old client goes with `live`.
        self.live = None;
        let base_url = settings
            .get("base_url")
            .filter(|u| !u.is_empty())
            .unwrap_or(&self.profile.default_base_url)
            .to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(YatError::InvalidSetting {
                provider: self.profile.id.clone(),
                key: "base_url".into(),
                message: format!("{base_url:?} is not an http(s) URL"),
            });
        }
        let max_tokens_field = token_field::resolve(&self.profile, &base_url, settings)?;
        self.live = Some(Live {
            base_url,
            max_tokens_field,
            organization: settings.get("organization").map(str::to_owned),
            project: settings.get("project").map(str::to_owned),
            conn: Connection::from_settings(&self.profile.id, settings, parse_generic)?,
        });
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        let live = self.live()?;
        let statics = || {
            self.profile
                .static_models
                .iter()
                .map(|m| ModelInfo::new(&self.profile.id, m.clone()))
                .collect::<Vec<_>>()
        };
        if !self.profile.list_models {
            return Ok(statics());
        }
        // One request, not `pagination::collect_models`: `GET /models` is
        // not paged, and the list is only sorted, not deduplicated, as it
        // always was.
        let req = self.authorize(live, HttpRequest::get(join_url(&live.base_url, "models")));
        let list: models::ModelList = live.conn.transport.json(&req).await?;
        let mut models: Vec<ModelInfo> = list
            .data
            .into_iter()
            .map(|m| m.into_info(&self.profile.id))
            .collect();
        if models.is_empty() {
            models = statics();
        }
        models.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(models)
    }

    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        let http = self.chat_request(req)?;
        let decoder = Box::new(stream::ChunkDecoder::new(&self.profile.id));
        self.live()?
            .conn
            .transport
            .stream(&http, Framing::Sse, decoder)
            .await
    }

    fn capabilities(&self) -> Capabilities {
        self.profile.capabilities
    }

    /// OpenAI's own options, declared for OpenAI's API only: a compatible
    /// server has sampling fields of its own (`top_k`, `min_p`, ...), which
    /// go through undeclared.
    fn model_options(&self, _model: &str) -> Vec<OptionSpec> {
        match &self.live {
            Some(live) if token_field::is_openai(&self.profile, &live.base_url) => {
                OPENAI_OPTIONS.to_vec()
            }
            _ => Vec::new(),
        }
    }
}

/// Chat Completions request fields the contract does not name (OpenAI's
/// API reference).
const OPENAI_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "seed",
        OptionKind::Integer,
        "sample deterministically, as far as the model can",
    ),
    OptionSpec::new(
        "frequency_penalty",
        OptionKind::Number,
        "-2 to 2: penalise tokens by how often they appeared",
    ),
    OptionSpec::new(
        "presence_penalty",
        OptionKind::Number,
        "-2 to 2: penalise tokens that appeared at all",
    ),
    OptionSpec::new(
        "logit_bias",
        OptionKind::Json,
        "{\"TOKEN_ID\": -100..100}: make tokens likelier or rarer",
    ),
    OptionSpec::new(
        "logprobs",
        OptionKind::Boolean,
        "return the log probability of each token",
    ),
    OptionSpec::new(
        "top_logprobs",
        OptionKind::Integer,
        "0 to 20: the likeliest alternatives of each token (with logprobs)",
    ),
    OptionSpec::new(
        "user",
        OptionKind::String,
        "an id of the end user, for abuse monitoring",
    ),
    OptionSpec::new(
        "service_tier",
        OptionKind::String,
        "auto, default, flex or priority",
    ),
    OptionSpec::new(
        "store",
        OptionKind::Boolean,
        "keep the completion for distillation and evals",
    ),
    OptionSpec::new(
        "metadata",
        OptionKind::Json,
        "up to 16 string pairs stored with the completion",
    ),
];

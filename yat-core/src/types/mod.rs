//! The data that flows between a caller and a provider: messages of parts,
//! requests, stream events, models and usage.

mod content;
mod event;
mod media;
mod message;
mod request;
mod tool_output;

use serde::{Deserialize, Serialize};

use crate::setters::setters;

pub use content::{Content, IntoParts};
pub use event::{ChatEvent, ChatResponse, Finish, FinishReason, ResponseBuilder, Usage};
pub use media::{Media, MediaSource};
pub use message::{Message, Part, Reasoning, Role, ToolCall, ToolResult};
pub use request::{
    merge_extra, ChatRequest, JsonSchema, ReasoningConfig, ReasoningEffort, ResponseFormat,
    ToolChoice, ToolSpec,
};
pub use tool_output::{ToolOutput, ToolPart};

/// A model a provider offers.
///
/// ```
/// use yat_core::ModelInfo;
/// let m = ModelInfo::new("acme", "acme-1")
///     .display_name("Acme One")
///     .context_length(128_000)
///     .max_output_tokens(4_096);
/// assert_eq!((m.provider.as_str(), m.id.as_str()), ("acme", "acme-1"));
/// assert!(m.supports_streaming);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelInfo {
    /// The id to put in [`ChatRequest::model`].
    pub id: String,
    /// A human name.
    pub display_name: String,
    /// The id of the provider that serves it.
    pub provider: String,
    /// Context window in tokens, when known.
    pub context_length: Option<u32>,
    /// Largest reply in tokens, when known.
    pub max_output_tokens: Option<u32>,
    /// Whether replies can be streamed.
    pub supports_streaming: bool,
    /// What the provider's model listing says this model can do; `None`
    /// when it says nothing (the provider's [`Capabilities`](crate::Capabilities) then apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<ModelCapabilities>,
}

impl ModelInfo {
    /// A streaming-capable model with unknown limits; fill in the rest with
    /// struct update syntax or the builder methods.
    pub fn new(provider: impl Into<String>, id: impl Into<String>) -> Self {
        let id = id.into();
        ModelInfo {
            display_name: id.clone(),
            id,
            provider: provider.into(),
            context_length: None,
            max_output_tokens: None,
            supports_streaming: true,
            capabilities: None,
        }
    }
    setters! { ModelInfo, fn, into:
        display_name(impl Into<String>) => display_name,
    }
    setters! { ModelInfo, fn, Some:
        context_length(u32) => context_length,
        capabilities(ModelCapabilities) => capabilities,
        max_output_tokens(u32) => max_output_tokens,
    }
}

/// What one model can do, as its provider's listing says. Each field is
/// `None` where the listing does not say.
///
/// ```
/// use yat_core::ModelCapabilities;
/// let c = ModelCapabilities::default().tools(true).images(false);
/// assert_eq!((c.tools, c.images, c.reasoning), (Some(true), Some(false), None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelCapabilities {
    /// Tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<bool>,
    /// Image input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<bool>,
    /// Document (PDF) input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<bool>,
    /// JSON-schema output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<bool>,
    /// Reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<bool>,
}

impl ModelCapabilities {
    setters! { ModelCapabilities, fn, Some:
        tools(bool) => tools,
        images(bool) => images,
        documents(bool) => documents,
        json_schema(bool) => json_schema,
        reasoning(bool) => reasoning,
    }
}

/// `PROVIDER/MODEL`: how users name a model everywhere.
///
/// The split is at the first `/`, so model ids that contain slashes (OpenRouter's
/// `anthropic/claude-3.5-sonnet`) survive.
///
/// ```
/// use yat_core::ModelRef;
/// let r: ModelRef = "openrouter/anthropic/claude-3.5-sonnet".parse().unwrap();
/// assert_eq!(r.provider, "openrouter");
/// assert_eq!(r.model, "anthropic/claude-3.5-sonnet");
/// assert!("no-slash".parse::<ModelRef>().is_err());
/// assert!(matches!("".parse::<ModelRef>(), Err(yat_core::YatError::NoModel)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelRef {
    /// Provider id.
    pub provider: String,
    /// Model id within the provider.
    pub model: String,
}

impl ModelRef {
    /// Builds one from its parts.
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        ModelRef {
            provider: provider.into(),
            model: model.into(),
        }
    }
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

/// A blank string names no model ([`YatError::NoModel`](crate::YatError::NoModel));
/// anything else that is not `PROVIDER/MODEL` is
/// [`YatError::InvalidModelRef`](crate::YatError::InvalidModelRef).
impl std::str::FromStr for ModelRef {
    type Err = crate::YatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((p, m)) if !p.is_empty() && !m.is_empty() => Ok(ModelRef::new(p, m)),
            _ if s.trim().is_empty() => Err(crate::YatError::NoModel),
            _ => Err(crate::YatError::InvalidModelRef {
                input: s.to_owned(),
            }),
        }
    }
}

//! The data that flows between a caller and a provider: messages, requests,
//! stream events, models and usage.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
///
/// ```
/// use yat_core::{Message, Role};
/// assert_eq!(Message::system("be brief").role, Role::System);
/// assert_eq!(Role::Assistant.as_str(), "assistant");
/// assert_eq!(serde_json::to_string(&Role::User).unwrap(), "\"user\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions that frame the conversation. Providers whose API takes the
    /// system prompt out of band (Anthropic, Gemini) lift these out of the list.
    System,
    /// The person (or program) asking.
    User,
    /// The model's earlier replies.
    Assistant,
}

impl Role {
    /// The lowercase wire name most APIs use (`system`, `user`, `assistant`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One turn of a conversation.
///
/// ```
/// use yat_core::{Message, Role};
/// let m = Message::user("Hello");
/// assert_eq!(m.role, Role::User);
/// assert_eq!(m.content, "Hello");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
}

impl Message {
    /// A message with the given role.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
        }
    }
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// What to ask a provider for: the conversation and the sampling parameters.
///
/// Optional parameters left at `None` are not sent, so each API applies its
/// own default.
///
/// ```
/// use yat_core::{ChatRequest, Message};
/// let req = ChatRequest::new("mock-echo", vec![Message::user("Hi")])
///     .temperature(0.2)
///     .max_tokens(64);
/// assert_eq!(req.max_tokens, Some(64));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ChatRequest {
    /// The model id as the provider knows it (without the `provider/` prefix).
    pub model: String,
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Upper bound on generated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Sequences that end generation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
}

impl ChatRequest {
    /// A request for `model` with `messages` and every parameter at the API default.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        ChatRequest {
            model: model.into(),
            messages,
            ..Default::default()
        }
    }
    /// Sets the temperature.
    pub fn temperature(mut self, t: f32) -> Self {
        self.temperature = Some(t);
        self
    }
    /// Sets the token limit.
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self
    }
    /// Sets top-p.
    pub fn top_p(mut self, p: f32) -> Self {
        self.top_p = Some(p);
        self
    }
    /// Adds a stop sequence.
    pub fn stop(mut self, s: impl Into<String>) -> Self {
        self.stop.push(s.into());
        self
    }
    /// The concatenated text of the system messages, if any (for APIs that
    /// take the system prompt as a separate field).
    pub fn system_prompt(&self) -> Option<String> {
        let mut parts = self
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str());
        let first = parts.next()?;
        Some(parts.fold(first.to_owned(), |mut acc, p| {
            acc.push_str("\n\n");
            acc.push_str(p);
            acc
        }))
    }
}

/// Token counts for one exchange.
///
/// ```
/// use yat_core::{ChatEvent, Usage};
/// let event = ChatEvent::Usage(Usage { input_tokens: 12, output_tokens: 40 });
/// assert_eq!(
///     serde_json::to_string(&event).unwrap(),
///     r#"{"type":"usage","input_tokens":12,"output_tokens":40}"#
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens read (the prompt).
    pub input_tokens: u64,
    /// Tokens generated.
    pub output_tokens: u64,
}

/// Why generation stopped, normalised across providers.
///
/// ```
/// use yat_core::{Finish, FinishReason};
/// // A provider maps its own word to the normalised reason and keeps the word.
/// fn from_acme(raw: &str) -> Finish {
///     let reason = match raw {
///         "complete" => FinishReason::Stop,
///         "max_tokens" => FinishReason::Length,
///         _ => FinishReason::Other,
///     };
///     Finish::new(reason, raw)
/// }
/// assert_eq!(from_acme("max_tokens").reason.as_str(), "length");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FinishReason {
    /// The model ended its answer.
    Stop,
    /// A stop sequence was produced.
    StopSequence,
    /// The token limit was reached: the text is cut short.
    Length,
    /// The provider's safety system withheld content.
    ContentFilter,
    /// The model asked to call a tool.
    ToolCalls,
    /// The provider reported an error while generating.
    Error,
    /// A reason this version of yat does not know; see [`Finish::raw`].
    Other,
}

impl FinishReason {
    /// The snake_case name used in JSON output.
    pub const fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::StopSequence => "stop_sequence",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Error => "error",
            FinishReason::Other => "other",
        }
    }
}

/// The end of a reply: the normalised reason and the provider's own word for it.
///
/// ```
/// use yat_core::{Finish, FinishReason};
/// let f = Finish::new(FinishReason::StopSequence, "stop_sequence");
/// assert_eq!(f.raw.as_deref(), Some("stop_sequence"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finish {
    /// Normalised reason.
    pub reason: FinishReason,
    /// The provider's raw value (`"end_turn"`, `"STOP"`, ...), when it sent one.
    pub raw: Option<String>,
}

impl Finish {
    /// A finish with a raw provider value.
    pub fn new(reason: FinishReason, raw: impl Into<String>) -> Self {
        Finish {
            reason,
            raw: Some(raw.into()),
        }
    }
}

/// One item of a chat stream.
///
/// A well-formed stream is any number of `Delta`s, at most one `Usage` (some
/// APIs send it before the text, some after), and exactly one `Finish`, last.
///
/// ```
/// use yat_core::{ChatEvent, Finish, FinishReason, Usage};
/// let stream = [
///     ChatEvent::Delta { text: "Hel".into() },
///     ChatEvent::Delta { text: "lo".into() },
///     ChatEvent::Usage(Usage { input_tokens: 3, output_tokens: 2 }),
///     ChatEvent::Finish(Finish::new(FinishReason::Stop, "stop")),
/// ];
/// assert!(matches!(stream.last(), Some(ChatEvent::Finish(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEvent {
    /// A piece of the reply's text.
    Delta {
        /// The text to append.
        text: String,
    },
    /// Token counts.
    Usage(Usage),
    /// The end of the reply.
    Finish(Finish),
}

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
        }
    }
    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }
    /// Sets the context length.
    pub fn context_length(mut self, n: u32) -> Self {
        self.context_length = Some(n);
        self
    }
    /// Sets the output limit.
    pub fn max_output_tokens(mut self, n: u32) -> Self {
        self.max_output_tokens = Some(n);
        self
    }
}

/// A complete reply, collected from a stream.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use yat_core::stream::{from_text, ChatStreamExt};
/// let reply = from_text("demo", vec!["Hi".into()]).collect_response().await?;
/// assert_eq!(reply.text, "Hi");
/// assert!(reply.usage.is_none()); // this stream reported none
/// assert!(reply.finish.is_some()); // complete, not cut
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChatResponse {
    /// All the text.
    pub text: String,
    /// Token counts, if the provider reported them.
    pub usage: Option<Usage>,
    /// How it ended; `None` only if the stream ended without a finish event.
    pub finish: Option<Finish>,
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

impl std::str::FromStr for ModelRef {
    type Err = crate::YatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((p, m)) if !p.is_empty() && !m.is_empty() => Ok(ModelRef::new(p, m)),
            _ => Err(crate::YatError::InvalidModelRef {
                input: s.to_owned(),
            }),
        }
    }
}

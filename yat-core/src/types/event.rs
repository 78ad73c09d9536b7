//! What a chat stream carries, and the reply it adds up to.

use serde::{Deserialize, Serialize};

use super::content::Content;
use super::message::{Message, Part, Reasoning, Role, ToolCall};
use crate::setters::setters;

/// Token counts for one exchange.
///
/// `input_tokens` counts the prompt tokens read at the full rate: tokens
/// read from the provider's prompt cache and tokens written to it are kept
/// apart in `cache_read_tokens` and `cache_write_tokens` (OpenAI's
/// `prompt_tokens` is split accordingly). `output_tokens` counts everything
/// generated, reasoning included; `reasoning_tokens` says how much of it
/// was reasoning. A detail a provider did not report is `None`, not 0.
///
/// ```
/// use yat_core::{ChatEvent, Usage};
/// let u = Usage::new(12, 40).with_cache_read(100).with_reasoning(25);
/// assert_eq!(u.total_input(), 112);
/// assert_eq!(
///     serde_json::to_string(&ChatEvent::Usage(u)).unwrap(),
///     r#"{"type":"usage","input_tokens":12,"output_tokens":40,"cache_read_tokens":100,"reasoning_tokens":25}"#
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Prompt tokens read at the full rate (not from or into the cache).
    pub input_tokens: u64,
    /// Tokens generated, reasoning included.
    pub output_tokens: u64,
    /// Prompt tokens read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_tokens: Option<u64>,
    /// Prompt tokens written to the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
    /// Of `output_tokens`, those spent reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
}

impl Usage {
    /// Input and output counts, no details.
    pub const fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Usage {
            input_tokens,
            output_tokens,
            cache_read_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        }
    }
    setters! { Usage, const, Some:
        with_cache_read(u64) => cache_read_tokens,
        with_cache_write(u64) => cache_write_tokens,
        with_reasoning(u64) => reasoning_tokens,
    }
    /// Every prompt token: full-rate, cache reads and cache writes.
    pub fn total_input(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.cache_read_tokens.unwrap_or(0))
            .saturating_add(self.cache_write_tokens.unwrap_or(0))
    }
    /// Combines two reports of the same exchange, `other` the later one.
    ///
    /// APIs that report twice report running totals, so each count is the
    /// larger and a detail known in either is kept — except the split of
    /// the prompt: a later report that says anything about the cache and
    /// covers at least as many prompt tokens replaces the earlier
    /// `input_tokens` and cache counts whole, since an earlier report
    /// without cache figures counted cached tokens as input.
    ///
    /// ```
    /// use yat_core::Usage;
    /// // Anthropic: message_start has the prompt, message_delta the final output.
    /// let u = Usage::new(25, 1).with_cache_read(100).merge(Usage::new(0, 42));
    /// assert_eq!((u.input_tokens, u.output_tokens, u.cache_read_tokens), (25, 42, Some(100)));
    /// // A first report without the cache, a later one with it: not 180.
    /// let u = Usage::new(100, 1).merge(Usage::new(20, 50).with_cache_read(80));
    /// assert_eq!(u.total_input(), 100);
    /// // A later report repeating only the cache keeps the earlier input.
    /// let u = Usage::new(25, 1).with_cache_read(100).merge(Usage::new(0, 42).with_cache_read(100));
    /// assert_eq!(u.total_input(), 125);
    /// ```
    pub fn merge(self, other: Usage) -> Usage {
        let max = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let later_splits_the_prompt = (other.cache_read_tokens.is_some()
            || other.cache_write_tokens.is_some())
            && other.total_input() >= self.total_input();
        let (input_tokens, cache_read_tokens, cache_write_tokens) = if later_splits_the_prompt {
            (
                other.input_tokens,
                other.cache_read_tokens.or(self.cache_read_tokens),
                other.cache_write_tokens.or(self.cache_write_tokens),
            )
        } else {
            (
                self.input_tokens.max(other.input_tokens),
                max(self.cache_read_tokens, other.cache_read_tokens),
                max(self.cache_write_tokens, other.cache_write_tokens),
            )
        };
        Usage {
            input_tokens,
            output_tokens: self.output_tokens.max(other.output_tokens),
            cache_read_tokens,
            cache_write_tokens,
            reasoning_tokens: max(self.reasoning_tokens, other.reasoning_tokens),
        }
    }
}

/// Two exchanges' counts added (a tool loop's steps): each count summed,
/// a detail known in only one kept as it is.
///
/// ```
/// use yat_core::Usage;
/// let total = Usage::new(10, 5).with_reasoning(2) + Usage::new(20, 7);
/// assert_eq!((total.input_tokens, total.output_tokens, total.reasoning_tokens), (30, 12, Some(2)));
/// ```
impl std::ops::Add for Usage {
    type Output = Usage;
    fn add(self, other: Usage) -> Usage {
        let add = |x: Option<u64>, y: Option<u64>| match (x, y) {
            (Some(x), Some(y)) => Some(x.saturating_add(y)),
            (x, y) => x.or(y),
        };
        Usage {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            cache_read_tokens: add(self.cache_read_tokens, other.cache_read_tokens),
            cache_write_tokens: add(self.cache_write_tokens, other.cache_write_tokens),
            reasoning_tokens: add(self.reasoning_tokens, other.reasoning_tokens),
        }
    }
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
    /// The model asked to call tools: run them and send the results.
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
/// assert_eq!(Finish::reason(FinishReason::Stop).raw, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// A finish without a raw value.
    pub const fn reason(reason: FinishReason) -> Self {
        Finish { reason, raw: None }
    }
}

/// One item of a chat stream.
///
/// A well-formed stream is any number of content events, at most one
/// `Usage` per report (some APIs send it before the content, some after,
/// some twice with running totals), and exactly one `Finish`, last. Tool
/// calls are numbered from 0 in the order they start: a `ToolCallStart`
/// comes before that index's `ToolCallDelta`s and its one `ToolCallEnd`,
/// and every started call has ended before the `Finish`. Reasoning deltas
/// belong to the reasoning block they follow; a `ReasoningSignature` closes
/// it.
///
/// ```
/// use yat_core::{ChatEvent, Finish, FinishReason, ToolCall, Usage};
/// let stream = [
///     ChatEvent::ReasoningDelta { text: "The user wants the time.".into() },
///     ChatEvent::ReasoningSignature { signature: "sig".into() },
///     ChatEvent::ToolCallStart { index: 0, id: "call_1".into(), name: "now".into() },
///     ChatEvent::ToolCallDelta { index: 0, arguments: "{}".into() },
///     ChatEvent::ToolCallEnd { index: 0, call: Box::new(ToolCall::new("call_1", "now", serde_json::json!({}))) },
///     ChatEvent::Usage(Usage::new(3, 2)),
///     ChatEvent::Finish(Finish::new(FinishReason::ToolCalls, "tool_calls")),
/// ];
/// assert!(matches!(stream.last(), Some(ChatEvent::Finish(_))));
/// assert_eq!(
///     serde_json::to_string(&stream[3]).unwrap(),
///     r#"{"type":"tool_call_delta","index":0,"arguments":"{}"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChatEvent {
    /// A piece of the reply's text.
    Delta {
        /// The text to append.
        text: String,
    },
    /// A piece of the model's reasoning.
    ReasoningDelta {
        /// The text to append.
        text: String,
    },
    /// The provider's signature over the reasoning block just streamed; it
    /// ends that block.
    ReasoningSignature {
        /// Opaque; send it back verbatim.
        signature: String,
    },
    /// A reasoning block the provider would not show, as an opaque payload.
    RedactedReasoning {
        /// Opaque; send it back verbatim.
        data: String,
    },
    /// A tool call begins.
    ToolCallStart {
        /// The call's number in this reply, from 0.
        index: u32,
        /// The provider's id for it.
        id: String,
        /// The tool's name.
        name: String,
    },
    /// A piece of a tool call's arguments (JSON text, to concatenate).
    ToolCallDelta {
        /// Which call.
        index: u32,
        /// The piece.
        arguments: String,
    },
    /// A tool call is complete.
    ToolCallEnd {
        /// Which call.
        index: u32,
        /// The whole call, arguments parsed. Boxed: a call is far larger
        /// than the other events, and every event of a stream (text deltas
        /// above all) is moved several times on its way to the caller, so
        /// the enum is kept small enough for those moves to stay inline.
        call: Box<ToolCall>,
    },
    /// Token counts.
    Usage(Usage),
    /// The end of the reply.
    Finish(Finish),
}

/// A complete reply, collected from a stream: its parts in the order they
/// streamed (reasoning, text, tool calls), usage and finish.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use yat_core::stream::{from_text, ChatStreamExt};
/// let reply = from_text("demo", vec!["Hi".into()]).collect_response().await?;
/// assert_eq!(reply.text(), "Hi");
/// assert!(reply.usage.is_none()); // this stream reported none
/// assert!(reply.finish.is_some()); // complete, not cut
/// let history_entry = reply.into_message(); // the assistant turn, ready to append
/// assert_eq!(history_entry.text(), "Hi");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatResponse {
    /// Everything the model produced, in order.
    pub parts: Vec<Part>,
    /// Token counts, if the provider reported them.
    pub usage: Option<Usage>,
    /// How it ended; `None` only if the stream ended without a finish event.
    pub finish: Option<Finish>,
}

impl ChatResponse {
    /// All the text.
    pub fn text(&self) -> String {
        match self.parts.as_slice() {
            [Part::Text(t)] => t.clone(),
            parts => parts.iter().filter_map(Part::as_text).collect(),
        }
    }
    /// All the readable reasoning.
    pub fn reasoning_text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Reasoning(r) => Some(r.text.as_str()),
                _ => None,
            })
            .collect()
    }
    /// The tool calls the model made.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.parts.iter().filter_map(|p| match p {
            Part::ToolCall(c) => Some(c),
            _ => None,
        })
    }
    /// Whether the model asked for tools to be run.
    pub fn has_tool_calls(&self) -> bool {
        self.tool_calls().next().is_some()
    }
    /// The assistant message to append to the conversation: every part,
    /// signatures included, so the next turn round-trips.
    pub fn into_message(self) -> Message {
        Message::new(Role::Assistant, Content::from(self.parts))
    }
}

/// Adds events up into a [`ChatResponse`], as [`collect`](crate::stream::collect)
/// does; for callers that look at each event as it passes (a terminal, a
/// tool loop) and want the whole reply at the end.
///
/// ```
/// use yat_core::{ChatEvent, ResponseBuilder};
/// let mut b = ResponseBuilder::default();
/// b.push(ChatEvent::ReasoningDelta { text: "hm".into() });
/// b.push(ChatEvent::Delta { text: "4".into() });
/// b.push(ChatEvent::Delta { text: "2".into() });
/// let reply = b.finish();
/// assert_eq!((reply.reasoning_text().as_str(), reply.text().as_str()), ("hm", "42"));
/// assert_eq!(reply.parts.len(), 2);
/// ```
#[derive(Debug, Default)]
pub struct ResponseBuilder {
    response: ChatResponse,
}

impl ResponseBuilder {
    /// Adds one event.
    pub fn push(&mut self, event: ChatEvent) {
        let parts = &mut self.response.parts;
        match event {
            ChatEvent::Delta { text } => match parts.last_mut() {
                Some(Part::Text(t)) => t.push_str(&text),
                _ => parts.push(Part::Text(text)),
            },
            ChatEvent::ReasoningDelta { text } => match parts.last_mut() {
                Some(Part::Reasoning(r)) if r.signature.is_none() && r.redacted.is_none() => {
                    r.text.push_str(&text)
                }
                _ => parts.push(Part::Reasoning(Reasoning::new(text))),
            },
            ChatEvent::ReasoningSignature { signature } => match parts.last_mut() {
                Some(Part::Reasoning(r)) if r.signature.is_none() && r.redacted.is_none() => {
                    r.signature = Some(signature)
                }
                // A signature with no readable reasoning before it (Gemini
                // signs parts whose thoughts it did not show).
                _ => parts.push(Part::Reasoning(
                    Reasoning::default().with_signature(signature),
                )),
            },
            ChatEvent::RedactedReasoning { data } => {
                parts.push(Part::Reasoning(Reasoning::redacted(data)))
            }
            ChatEvent::ToolCallEnd { call, .. } => parts.push(Part::ToolCall(*call)),
            ChatEvent::ToolCallStart { .. } | ChatEvent::ToolCallDelta { .. } => {}
            ChatEvent::Usage(u) => {
                self.response.usage = Some(match self.response.usage {
                    Some(old) => old.merge(u),
                    None => u,
                })
            }
            ChatEvent::Finish(f) => self.response.finish = Some(f),
        }
    }
    /// The reply so far.
    pub fn response(&self) -> &ChatResponse {
        &self.response
    }
    /// The reply.
    pub fn finish(self) -> ChatResponse {
        self.response
    }
}

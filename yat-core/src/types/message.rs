//! Messages and their parts: text, images, documents, tool calls, tool
//! results and reasoning.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::content::Content;
use super::media::Media;
use super::tool_output::ToolOutput;

/// Who wrote a message.
///
/// ```
/// use yat_core::{Message, Role};
/// assert_eq!(Message::system("be brief").role, Role::System);
/// assert_eq!(Role::Assistant.as_str(), "assistant");
/// assert_eq!(serde_json::to_string(&Role::Tool).unwrap(), "\"tool\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// Instructions that frame the conversation. Providers whose API takes the
    /// system prompt out of band (Anthropic, Gemini) lift these out of the list.
    System,
    /// The person (or program) asking.
    User,
    /// The model's earlier replies.
    Assistant,
    /// Results of tool calls, answering an assistant message's calls. APIs
    /// without a tool role (Anthropic, Gemini) send them as user turns.
    Tool,
}

impl Role {
    /// The lowercase wire name most APIs use (`system`, `user`, `assistant`, `tool`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// A tool call the model made: which tool, with which arguments.
///
/// ```
/// use yat_core::ToolCall;
/// let call = ToolCall::new("call_1", "get_weather", serde_json::json!({"city": "Paris"}));
/// assert_eq!(call.arguments["city"], "Paris");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// The provider's id for the call; a result names it. Providers that send
    /// none (some Gemini replies) get one made up by the decoder.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, parsed (an object for every well-behaved model).
    pub arguments: serde_json::Value,
    /// Opaque data the provider attached to the call and wants back verbatim
    /// on the next turn (Gemini's `thoughtSignature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl ToolCall {
    /// A call with parsed arguments.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: serde_json::Value,
    ) -> Self {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments,
            signature: None,
        }
    }
    /// Attaches the provider's opaque signature.
    pub fn with_signature(mut self, signature: impl Into<String>) -> Self {
        self.signature = Some(signature.into());
        self
    }
    /// The arguments as JSON text (what OpenAI-style APIs send back).
    pub fn arguments_text(&self) -> String {
        self.arguments.to_string()
    }
}

/// The answer to one [`ToolCall`].
///
/// ```
/// use yat_core::{ToolCall, ToolResult};
/// let call = ToolCall::new("call_1", "get_weather", serde_json::json!({}));
/// let ok = ToolResult::new(&call, "12°C");
/// let failed = ToolResult::error(&call, "the weather service is down");
/// assert_eq!((ok.call_id.as_str(), ok.is_error), ("call_1", false));
/// assert!(failed.is_error);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolResult {
    /// The [`ToolCall::id`] this answers.
    pub call_id: String,
    /// The tool's name (Gemini matches results by name).
    pub name: String,
    /// What the tool returned.
    pub content: ToolOutput,
    /// Whether the tool failed; the content then says why.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

impl ToolResult {
    /// A successful result for `call`.
    pub fn new(call: &ToolCall, content: impl Into<ToolOutput>) -> Self {
        Self::from_parts(&call.id, &call.name, content.into(), false)
    }
    /// A failed result for `call`: the model sees `message` and may try again.
    pub fn error(call: &ToolCall, message: impl Into<String>) -> Self {
        Self::from_parts(&call.id, &call.name, ToolOutput::Text(message.into()), true)
    }
    /// A result from its fields.
    pub fn from_parts(call_id: &str, name: &str, content: ToolOutput, is_error: bool) -> Self {
        ToolResult {
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            content,
            is_error,
        }
    }
}

/// The model's reasoning ("thinking") before or between its answers.
///
/// Providers that sign their reasoning (Anthropic, Gemini) require it back
/// unchanged on the next turn of a tool loop, so the signature and any
/// redacted payload are kept verbatim.
///
/// ```
/// use yat_core::Reasoning;
/// let r = Reasoning::new("Let me think.").with_signature("sig==");
/// assert_eq!(r.signature.as_deref(), Some("sig=="));
/// assert!(Reasoning::redacted("opaque").is_redacted());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reasoning {
    /// The readable reasoning (empty when redacted or not shown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The provider's signature over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// An encrypted block the provider would not show (Anthropic's
    /// `redacted_thinking`), to be sent back as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
}

impl Reasoning {
    /// Readable reasoning.
    pub fn new(text: impl Into<String>) -> Self {
        Reasoning {
            text: text.into(),
            ..Default::default()
        }
    }
    /// A redacted block.
    pub fn redacted(data: impl Into<String>) -> Self {
        Reasoning {
            redacted: Some(data.into()),
            ..Default::default()
        }
    }
    /// Sets the signature.
    pub fn with_signature(mut self, signature: impl Into<String>) -> Self {
        self.signature = Some(signature.into());
        self
    }
    /// Whether this is a redacted block.
    pub fn is_redacted(&self) -> bool {
        self.redacted.is_some()
    }
}

/// One piece of a message.
///
/// ```
/// use yat_core::{Media, Part};
/// let parts = [Part::text("What is in this picture?"), Part::Image(Media::url("https://example.com/cat.png"))];
/// assert_eq!(parts[0].as_text(), Some("What is in this picture?"));
/// assert_eq!(
///     serde_json::to_string(&parts[1]).unwrap(),
///     r#"{"type":"image","url":"https://example.com/cat.png"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Part {
    /// Text.
    Text(String),
    /// An image.
    Image(Media),
    /// A document (PDF and the like).
    Document(Media),
    /// A call the assistant made.
    ToolCall(ToolCall),
    /// A tool's answer.
    ToolResult(ToolResult),
    /// The assistant's reasoning.
    Reasoning(Reasoning),
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Part::Text(text.into())
    }
    /// The text, if this is a text part.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Part::Text(t) => Some(t),
            _ => None,
        }
    }
    /// The snake_case name of the kind of part (`text`, `image`, `tool_call`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Part::Text(_) => "text",
            Part::Image(_) => "image",
            Part::Document(_) => "document",
            Part::ToolCall(_) => "tool_call",
            Part::ToolResult(_) => "tool_result",
            Part::Reasoning(_) => "reasoning",
        }
    }
}

/// The serialized form of [`Part`]: internally tagged by `type`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum PartRepr {
    Text {
        text: String,
    },
    Image(Media),
    Document(Media),
    ToolCall(ToolCall),
    ToolResult(ToolResult),
    Reasoning(Reasoning),
    /// A part type this version does not know.
    #[serde(other)]
    Unknown,
}

impl TryFrom<PartRepr> for Part {
    type Error = ();
    fn try_from(repr: PartRepr) -> Result<Part, ()> {
        Ok(match repr {
            PartRepr::Text { text } => Part::Text(text),
            PartRepr::Image(m) => Part::Image(m),
            PartRepr::Document(m) => Part::Document(m),
            PartRepr::ToolCall(c) => Part::ToolCall(c),
            PartRepr::ToolResult(r) => Part::ToolResult(r),
            PartRepr::Reasoning(r) => Part::Reasoning(r),
            PartRepr::Unknown => return Err(()),
        })
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum PartRef<'a> {
    Text { text: &'a str },
    Image(&'a Media),
    Document(&'a Media),
    ToolCall(&'a ToolCall),
    ToolResult(&'a ToolResult),
    Reasoning(&'a Reasoning),
}

impl Serialize for Part {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Part::Text(text) => PartRef::Text { text },
            Part::Image(m) => PartRef::Image(m),
            Part::Document(m) => PartRef::Document(m),
            Part::ToolCall(c) => PartRef::ToolCall(c),
            Part::ToolResult(r) => PartRef::ToolResult(r),
            Part::Reasoning(r) => PartRef::Reasoning(r),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Part::try_from(PartRepr::deserialize(d)?)
            .map_err(|()| serde::de::Error::custom("unknown part type"))
    }
}

/// One turn of a conversation: who wrote it and its parts.
///
/// ```
/// use yat_core::{Media, Message, Part, Role};
/// let m = Message::user("Hello");
/// assert_eq!(m.role, Role::User);
/// assert_eq!(m.text(), "Hello");
///
/// let photo = Message::user("What is this?").with_part(Part::Image(Media::bytes("image/png", vec![0x89, b'P'])));
/// assert_eq!(photo.content.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its parts, in order.
    pub content: Content,
}

impl Message {
    /// A message with the given role and content (text, a part, or parts).
    pub fn new(role: Role, content: impl Into<Content>) -> Self {
        Message {
            role,
            content: content.into(),
        }
    }
    /// A system message.
    pub fn system(content: impl Into<Content>) -> Self {
        Self::new(Role::System, content)
    }
    /// A user message.
    pub fn user(content: impl Into<Content>) -> Self {
        Self::new(Role::User, content)
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<Content>) -> Self {
        Self::new(Role::Assistant, content)
    }
    /// A tool message holding results.
    pub fn tool_results(results: impl IntoIterator<Item = ToolResult>) -> Self {
        Self::new(
            Role::Tool,
            results
                .into_iter()
                .map(Part::ToolResult)
                .collect::<Content>(),
        )
    }
    /// Appends a part.
    pub fn with_part(mut self, part: Part) -> Self {
        self.content.push(part);
        self
    }
    /// The text parts joined, borrowed when there is one text part.
    pub fn text(&self) -> Cow<'_, str> {
        self.content.text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_of_an_unknown_type_is_skipped_not_fatal() {
        let c: Content = serde_json::from_str(
            r#"[{"type":"text","text":"a"},{"type":"audio","data":"AAAA"},{"type":"text","text":"b"}]"#,
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.text(), "ab");
        // Alone, it is an error that says what it is.
        let e = serde_json::from_str::<Part>(r#"{"type":"audio"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown part type"), "{e}");
    }

    #[test]
    fn a_broken_part_is_reported_as_itself() {
        let e = serde_json::from_str::<Content>(r#"[{"type":"image","data":"%%%"}]"#).unwrap_err();
        assert!(!e.to_string().contains("untagged"), "{e}");
        let e = serde_json::from_str::<Content>("42").unwrap_err();
        assert!(
            e.to_string().contains("a string or an array of parts"),
            "{e}"
        );
    }

    #[test]
    fn content_round_trips_in_both_forms() {
        for c in [
            Content::from("hi"),
            Content::new(),
            Content::from(vec![
                Part::text("look"),
                Part::ToolCall(ToolCall::new("c1", "f", serde_json::json!({"a": 1}))),
                Part::Reasoning(Reasoning::new("hm").with_signature("s")),
            ]),
        ] {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Content>(&json).unwrap(), c, "{json}");
        }
    }
}

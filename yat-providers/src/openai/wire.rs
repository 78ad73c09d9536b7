//! Chat Completions request and response shapes (the parts yat uses).
//!
//! Reference: OpenAI's `openapi.yaml`, schemas `CreateChatCompletionRequest`,
//! `CreateChatCompletionStreamResponse`, `CompletionUsage`, `ListModelsResponse`.

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use yat_core::{ChatRequest, Message};

use crate::http::JsonText;

/// Which field carries the token limit: OpenAI replaced `max_tokens` with
/// `max_completion_tokens` (reasoning models reject the old one), while most
/// compatible servers only know `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_completion_tokens`
    MaxCompletionTokens,
    /// `max_tokens`
    MaxTokens,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
pub(crate) struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
}

impl<'a> ChatBody<'a> {
    pub(crate) fn new(req: &'a ChatRequest, max_field: MaxTokensField, stream_usage: bool) -> Self {
        let (max_completion_tokens, max_tokens) = match max_field {
            MaxTokensField::MaxCompletionTokens => (req.max_tokens, None),
            MaxTokensField::MaxTokens => (None, req.max_tokens),
        };
        ChatBody {
            model: &req.model,
            messages: req.messages.iter().map(wire_message).collect(),
            stream: true,
            stream_options: stream_usage.then_some(StreamOptions {
                include_usage: true,
            }),
            temperature: req.temperature,
            top_p: req.top_p,
            max_completion_tokens,
            max_tokens,
            stop: &req.stop,
        }
    }
}

fn wire_message(m: &Message) -> WireMessage<'_> {
    WireMessage {
        role: m.role.as_str(),
        content: &m.content,
    }
}

/// One `chat.completion.chunk`. Only the first choice is kept (yat asks for
/// one, `n` = 1), and it is decoded without collecting the array, so a chunk
/// costs no allocation beyond its text.
#[derive(Deserialize)]
pub(crate) struct Chunk<'a> {
    #[serde(default, borrow)]
    pub choices: FirstChoice<'a>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
    #[serde(default)]
    pub error: Option<IgnoredAny>,
}

#[derive(Default)]
pub(crate) struct FirstChoice<'a>(pub Option<Choice<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstChoice<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = FirstChoice<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of choices or null")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first: Option<Choice<'a>> = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstChoice(first))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
pub(crate) struct Choice<'a> {
    #[serde(default, borrow)]
    pub delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    pub finish_reason: Option<JsonText<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct Delta<'a> {
    #[serde(default, borrow)]
    pub content: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub refusal: Option<JsonText<'a>>,
}

#[derive(Deserialize, Clone, Copy)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

/// `GET /models`.
#[derive(Deserialize)]
pub(crate) struct ModelList {
    #[serde(default)]
    pub data: Vec<WireModel>,
}

#[derive(Deserialize)]
pub(crate) struct WireModel {
    pub id: String,
    /// OpenRouter and some servers add these; OpenAI does not.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub context_length: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = ChatRequest::new(
            "gpt-4o-mini",
            vec![Message::system("Be brief."), Message::user("Say hello")],
        )
        .temperature(0.7)
        .top_p(1.0)
        .max_tokens(256)
        .stop("\n\n");
        // Compare the bytes as sent (f32 0.7 must go out as 0.7), parsed.
        let bytes =
            serde_json::to_vec(&ChatBody::new(&req, MaxTokensField::MaxCompletionTokens, true))
                .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.7,"top_p":1.0,"max_completion_tokens":256,"stop":["\n\n"],"stream":true,"stream_options":{"include_usage":true}}"#,
        )
        .unwrap();
        assert_eq!(v, expected);
    }

    #[test]
    fn compatible_servers_get_max_tokens_and_no_stream_options() {
        let req = ChatRequest::new("m", vec![Message::user("hi")]).max_tokens(5);
        let v = serde_json::to_value(ChatBody::new(&req, MaxTokensField::MaxTokens, false)).unwrap();
        assert_eq!(v["max_tokens"], 5);
        assert!(v.get("max_completion_tokens").is_none());
        assert!(v.get("stream_options").is_none());
        assert!(v.get("stop").is_none());
        assert!(v.get("temperature").is_none());
    }

    #[test]
    fn chunk_keeps_first_choice_only_and_borrows_text() {
        let c: Chunk = serde_json::from_str(
            r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null},{"index":1,"delta":{"content":"other"}}],"usage":null}"#,
        )
        .unwrap();
        let choice = c.choices.0.unwrap();
        let content = choice.delta.unwrap().content.unwrap();
        assert_eq!(content.as_str(), "Hi");
        assert!(matches!(content.0, std::borrow::Cow::Borrowed(_)));
        let c: Chunk = serde_json::from_str(r#"{"choices":null}"#).unwrap();
        assert!(c.choices.0.is_none());
    }
}

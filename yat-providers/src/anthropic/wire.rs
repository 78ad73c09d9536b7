//! Anthropic Messages request and response shapes (the parts yat uses).
//!
//! Reference: platform.claude.com/docs/en/api/messages ("Create a Message"),
//! platform.claude.com/docs/en/build-with-claude/streaming (the stream
//! events and their `delta` types), platform.claude.com/docs/en/api/models
//! ("List Models"), and the official SDK's generated types
//! (`raw_message_start_event.py`, `raw_content_block_delta_event.py`,
//! `raw_message_delta_event.py`, `message_delta_usage.py`, `model_info.py`).

use serde::{Deserialize, Serialize};
use yat_core::{ChatRequest, Role};

use crate::http::JsonText;

/// One `{"type":"text","text":"..."}` content block.
#[derive(Serialize)]
struct TextBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

/// A turn's `content`: a plain string for one message, an array of text
/// blocks for consecutive messages of one role merged into one turn (each
/// message stays its own block, so no separator is invented).
#[derive(Serialize)]
#[serde(untagged)]
enum Content<'a> {
    Text(&'a str),
    Blocks(Vec<TextBlock<'a>>),
}

impl<'a> Content<'a> {
    fn push(&mut self, text: &'a str) {
        let block = |text| TextBlock { kind: "text", text };
        match self {
            Content::Text(first) => *self = Content::Blocks(vec![block(*first), block(text)]),
            Content::Blocks(blocks) => blocks.push(block(text)),
        }
    }
}

#[derive(Serialize)]
struct Turn<'a> {
    role: &'static str,
    content: Content<'a>,
}

/// A `POST /v1/messages` request body.
#[derive(Serialize)]
pub(crate) struct MessagesBody<'a> {
    model: &'a str,
    /// Required by the API: there is no server-side default.
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    stream: bool,
}

impl<'a> MessagesBody<'a> {
    /// The body for `req`, with `default_max_tokens` when the request sets
    /// no limit. System messages become the top-level `system` (there is no
    /// system role); consecutive turns of one role are merged into one turn;
    /// empty messages are left out, because the API rejects an empty text
    /// block.
    pub(crate) fn new(req: &'a ChatRequest, default_max_tokens: u32) -> Self {
        let mut messages: Vec<Turn<'a>> = Vec::with_capacity(req.messages.len());
        for m in &req.messages {
            let role = match m.role {
                Role::System => continue,
                Role::User => "user",
                Role::Assistant => "assistant",
                _ => continue,
            };
            if m.text().is_empty() {
                continue;
            }
            match messages.last_mut() {
                Some(last) if last.role == role => last.content.push(
                    m.content
                        .first()
                        .and_then(yat_core::Part::as_text)
                        .unwrap_or(""),
                ),
                _ => messages.push(Turn {
                    role,
                    content: Content::Text(
                        m.content
                            .first()
                            .and_then(yat_core::Part::as_text)
                            .unwrap_or(""),
                    ),
                }),
            }
        }
        MessagesBody {
            model: &req.model,
            max_tokens: req.max_tokens.unwrap_or(default_max_tokens),
            system: req.system_prompt().filter(|s| !s.is_empty()),
            messages,
            temperature: req.temperature,
            top_p: req.top_p,
            stop_sequences: &req.stop,
            stream: true,
        }
    }

    /// Whether there is anything for the model to answer.
    pub(crate) fn has_messages(&self) -> bool {
        !self.messages.is_empty()
    }
}

/// Only the `type` of an event, for streams that carry no `event:` names.
#[derive(Deserialize)]
pub(crate) struct EventType<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<JsonText<'a>>,
}

/// `usage` of `message_start.message` and of `message_delta`. Every field
/// may be missing or null: `message_delta` often carries only
/// `output_tokens`, and the extended-thinking example of the streaming docs
/// carries no usage at all.
#[derive(Deserialize, Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
}

impl WireUsage {
    /// Takes every count `newer` has. The counts of `message_delta` are
    /// cumulative, so the latest value replaces the earlier one; nothing is
    /// added up.
    pub(crate) fn update(&mut self, newer: WireUsage) {
        let take = |old: &mut Option<u64>, new: Option<u64>| {
            if new.is_some() {
                *old = new;
            }
        };
        take(&mut self.input_tokens, newer.input_tokens);
        take(
            &mut self.cache_creation_input_tokens,
            newer.cache_creation_input_tokens,
        );
        take(
            &mut self.cache_read_input_tokens,
            newer.cache_read_input_tokens,
        );
        take(&mut self.output_tokens, newer.output_tokens);
    }

    /// Whether any count was reported.
    pub(crate) fn is_known(&self) -> bool {
        self.input_tokens.is_some()
            || self.cache_creation_input_tokens.is_some()
            || self.cache_read_input_tokens.is_some()
            || self.output_tokens.is_some()
    }

    /// `(input, output)`. Anthropic's `input_tokens` leaves out the prompt
    /// tokens written to or read from the cache; the prompt is all three, and
    /// that is what other providers report as input (OpenAI's
    /// `prompt_tokens` includes cached tokens), so they are added here.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let n = |v: Option<u64>| v.unwrap_or(0);
        (
            n(self.input_tokens)
                .saturating_add(n(self.cache_creation_input_tokens))
                .saturating_add(n(self.cache_read_input_tokens)),
            n(self.output_tokens),
        )
    }
}

/// `message_start`: `{"message": {..., "usage": {...}}}`.
#[derive(Deserialize)]
pub(crate) struct MessageStart {
    #[serde(default)]
    pub message: Option<StartedMessage>,
}

#[derive(Deserialize)]
pub(crate) struct StartedMessage {
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

/// A typed piece of text: `content_block_start.content_block`
/// (`{"type":"text","text":""}`) and `content_block_delta.delta`
/// (`{"type":"text_delta","text":"..."}`) share this shape. Other types
/// (`thinking_delta`, `signature_delta`, `input_json_delta`,
/// `citations_delta`, `tool_use` blocks...) carry no `text` or are skipped
/// by their type.
#[derive(Deserialize)]
pub(crate) struct TypedText<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub text: Option<JsonText<'a>>,
}

impl<'a> TypedText<'a> {
    /// The text, if this is of type `kind` and has some.
    pub(crate) fn text_if(self, kind: &str) -> Option<JsonText<'a>> {
        if self.kind.as_deref() == Some(kind) {
            self.text.filter(|t| !t.is_empty())
        } else {
            None
        }
    }
}

/// `content_block_start`.
#[derive(Deserialize)]
pub(crate) struct ContentBlockStart<'a> {
    #[serde(default, borrow)]
    pub content_block: Option<TypedText<'a>>,
}

/// `content_block_delta`.
#[derive(Deserialize)]
pub(crate) struct ContentBlockDelta<'a> {
    #[serde(default, borrow)]
    pub delta: Option<TypedText<'a>>,
}

/// `message_delta`: the stop reason and the cumulative usage.
#[derive(Deserialize)]
pub(crate) struct MessageDelta<'a> {
    #[serde(default, borrow)]
    pub delta: Option<StopDelta<'a>>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

#[derive(Deserialize)]
pub(crate) struct StopDelta<'a> {
    #[serde(default, borrow)]
    pub stop_reason: Option<JsonText<'a>>,
}

/// `GET /v1/models`.
#[derive(Deserialize)]
pub(crate) struct ModelList {
    #[serde(default)]
    pub data: Vec<WireModel>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

/// A `ModelInfo`. `max_input_tokens`, `max_tokens` and `lifecycle` are
/// newer fields (the SDK's `model_info.py`); older responses have only
/// `id`, `display_name`, `created_at` and `type`.
#[derive(Deserialize)]
pub(crate) struct WireModel {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// `active`, `deprecated` or `retired`.
    #[serde(default)]
    pub lifecycle: Option<String>,
}

impl WireModel {
    /// Whether a request naming it can still succeed: a `retired` model
    /// stays in the list as a record but "inference requests naming it
    /// fail".
    pub(crate) fn is_usable(&self) -> bool {
        self.lifecycle.as_deref() != Some("retired")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use yat_core::Message;

    fn sent(req: &ChatRequest, default_max: u32) -> String {
        String::from_utf8(serde_json::to_vec(&MessagesBody::new(req, default_max)).unwrap())
            .unwrap()
    }

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = ChatRequest::new(
            "claude-sonnet-4-5",
            vec![Message::system("Be brief."), Message::user("Say hello")],
        )
        .temperature(0.7)
        .top_p(0.9)
        .max_tokens(256)
        .stop("\n\nUser:");
        // The bytes sent, not a `Value`: f32 parameters must go out as
        // written (0.7, not 0.699999988079071).
        assert_eq!(
            sent(&req, 4096),
            r#"{"model":"claude-sonnet-4-5","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Say hello"}],"temperature":0.7,"top_p":0.9,"stop_sequences":["\n\nUser:"],"stream":true}"#
        );
    }

    #[test]
    fn max_tokens_is_always_sent_and_unset_parameters_are_not() {
        let req = ChatRequest::new("m", vec![Message::user("hi")]);
        assert_eq!(
            sent(&req, 4096),
            r#"{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"hi"}],"stream":true}"#
        );
        assert_eq!(
            serde_json::to_value(MessagesBody::new(&req.clone().max_tokens(7), 4096)).unwrap()
                ["max_tokens"],
            7
        );
    }

    #[test]
    fn systems_are_lifted_and_consecutive_turns_merge_into_blocks() {
        let req = ChatRequest::new(
            "m",
            vec![
                Message::system("s1"),
                Message::user("a"),
                Message::user("b"),
                Message::system("s2"),
                Message::assistant("c"),
                Message::assistant(""),
                Message::user(""),
                Message::assistant("d"),
                Message::assistant("e"),
                Message::user("f"),
            ],
        );
        let v = serde_json::to_value(MessagesBody::new(&req, 10)).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"model":"m","max_tokens":10,"system":"s1\n\ns2","stream":true,"messages":[
                {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                {"role":"assistant","content":[{"type":"text","text":"c"},{"type":"text","text":"d"},{"type":"text","text":"e"}]},
                {"role":"user","content":"f"}]}"#,
        )
        .unwrap();
        assert_eq!(v, expected);
        let only_system = ChatRequest::new("m", vec![Message::system("s")]);
        assert!(!MessagesBody::new(&only_system, 1).has_messages());
        // An empty system prompt is no system prompt.
        let empty_system = ChatRequest::new("m", vec![Message::system(""), Message::user("x")]);
        assert!(serde_json::to_value(MessagesBody::new(&empty_system, 1))
            .unwrap()
            .get("system")
            .is_none());
    }

    #[test]
    fn usage_updates_replace_and_cache_tokens_count_as_input() {
        let start: WireUsage = serde_json::from_str(
            r#"{"input_tokens":2679,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":3}"#,
        )
        .unwrap();
        let mut u = WireUsage::default();
        assert!(!u.is_known());
        u.update(start);
        assert_eq!(u.counts(), (2789, 3));
        u.update(serde_json::from_str(r#"{"output_tokens":15}"#).unwrap());
        assert_eq!(u.counts(), (2789, 15));
        u.update(
            serde_json::from_str(r#"{"input_tokens":10682,"cache_creation_input_tokens":0,"cache_read_input_tokens":null,"output_tokens":510,"server_tool_use":{"web_search_requests":1}}"#)
                .unwrap(),
        );
        assert_eq!(u.counts(), (10782, 510));
    }

    #[test]
    fn typed_text_borrows_and_filters_by_type() {
        let d: ContentBlockDelta = serde_json::from_str(
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
        )
        .unwrap();
        let t = d.delta.unwrap().text_if("text_delta").unwrap();
        assert!(matches!(t.0, Cow::Borrowed("Hello")));
        let d: ContentBlockDelta = serde_json::from_str(
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
        )
        .unwrap();
        assert!(d.delta.unwrap().text_if("text_delta").is_none());
        let s: ContentBlockStart = serde_json::from_str(
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
        )
        .unwrap();
        assert!(s.content_block.unwrap().text_if("text").is_none());
    }

    #[test]
    fn model_list_reads_old_and_new_shapes() {
        let l: ModelList = serde_json::from_str(
            r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},{"type":"model","id":"claude-x","display_name":"X","created_at":"2025-01-01T00:00:00Z","max_input_tokens":200000,"max_tokens":64000,"lifecycle":"retired","capabilities":{}}],"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-x","has_more":true}"#,
        )
        .unwrap();
        assert!(l.has_more);
        assert_eq!(l.last_id.as_deref(), Some("claude-x"));
        assert!(l.data[0].is_usable());
        assert_eq!(l.data[0].max_input_tokens, None);
        assert!(!l.data[1].is_usable());
        assert_eq!(l.data[1].max_tokens, Some(64000));
    }
}

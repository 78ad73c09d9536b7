//! A whole reply as the Messages API's `message` object.
//!
//! Source: platform.claude.com/docs/en/api/messages (the response) and the
//! SDK's `types/message.py`: `{id, type: "message", role: "assistant",
//! model, content, stop_reason, stop_sequence, usage}`.
//!
//! - `content` keeps the reply's parts in order: reasoning as `thinking`
//!   (with its signature, `""` for reasoning no upstream signed: the SDK
//!   types the field as a required string) or `redacted_thinking`, text as
//!   `text`, calls as `tool_use`. A reply holds nothing else; a part of
//!   another kind is left out.

use serde::{Serialize, Serializer};
use yat_core::{ChatResponse, Part};

use super::wire::{stop_reason, Block, ToolInput, WireUsage};
use crate::dialect::ReplyMeta;

#[derive(Serialize)]
struct MessageBody<'a> {
    id: &'a str,
    r#type: &'static str,
    role: &'static str,
    model: &'a str,
    content: Blocks<'a>,
    stop_reason: &'static str,
    stop_sequence: Option<&'static str>,
    usage: WireUsage,
}

/// The parts as blocks, serialized as they are walked.
struct Blocks<'a>(&'a [Part]);

impl Serialize for Blocks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().filter_map(block))
    }
}

/// The block `part` is in a reply, if it is one a reply holds.
fn block(part: &Part) -> Option<Block<'_>> {
    Some(match part {
        Part::Text(text) => Block::Text { text },
        Part::Reasoning(r) => match &r.redacted {
            Some(data) => Block::RedactedThinking { data },
            None => Block::Thinking {
                thinking: &r.text,
                signature: r.signature.as_deref().unwrap_or(""),
            },
        },
        Part::ToolCall(c) => Block::ToolUse {
            id: &c.id,
            name: &c.name,
            input: ToolInput::Value(&c.arguments),
        },
        other => {
            tracing::debug!(
                kind = other.kind(),
                "a reply part with no Messages block is left out"
            );
            return None;
        }
    })
}

/// The body of a non-streaming reply.
pub(super) fn body(meta: &ReplyMeta, reply: &ChatResponse) -> Vec<u8> {
    let body = MessageBody {
        id: &meta.id,
        r#type: "message",
        role: "assistant",
        model: &meta.model,
        content: Blocks(&reply.parts),
        stop_reason: stop_reason(reply.finish.as_ref()),
        stop_sequence: None,
        usage: WireUsage::new(reply.usage.as_ref()),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use yat_core::{Finish, FinishReason, Media, Reasoning, ToolCall, Usage};

    pub(crate) fn meta() -> ReplyMeta {
        ReplyMeta {
            id: "msg_test".into(),
            model: "anthropic/claude-sonnet-4-5".into(),
            created: 1_700_000_000,
        }
    }

    #[test]
    fn a_reply_keeps_every_block_in_order() {
        let mut reply = ChatResponse::default();
        reply.parts = vec![
            Part::Reasoning(Reasoning::new("Think.").with_signature("sig")),
            Part::Reasoning(Reasoning::redacted("opaque")),
            Part::Reasoning(Reasoning::new("unsigned")),
            Part::text("It is "),
            Part::Image(Media::url("https://x/never.png")),
            Part::ToolCall(ToolCall::new(
                "toolu_1",
                "get_weather",
                json!({"city": "Paris"}),
            )),
        ];
        reply.usage = Some(Usage::new(10, 20).with_cache_read(5));
        reply.finish = Some(Finish::new(FinishReason::ToolCalls, "tool_calls"));
        let body: serde_json::Value = serde_json::from_slice(&body(&meta(), &reply)).unwrap();
        assert_eq!(
            body,
            json!({
                "id": "msg_test", "type": "message", "role": "assistant",
                "model": "anthropic/claude-sonnet-4-5",
                "content": [
                    {"type": "thinking", "thinking": "Think.", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "thinking", "thinking": "unsigned", "signature": ""},
                    {"type": "text", "text": "It is "},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
                ],
                "stop_reason": "tool_use", "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 20,
                          "cache_creation_input_tokens": null, "cache_read_input_tokens": 5}
            })
        );
    }

    #[test]
    fn an_empty_reply_is_still_a_whole_message() {
        let bytes = body(&meta(), &ChatResponse::default());
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"id":"msg_test","type":"message","role":"assistant","model":"anthropic/claude-sonnet-4-5","content":[],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":null,"cache_read_input_tokens":null}}"#
        );
    }
}

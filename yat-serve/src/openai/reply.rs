//! The body of a non-streaming reply: a `chat.completion` (the spec's
//! `CreateChatCompletionResponse`) with one choice.
//!
//! The message's `content` is the reply's text, or `null` when it has none
//! (a turn that only calls tools); its reasoning, if readable, is in
//! `reasoning_content` as in the stream; signed and redacted reasoning have
//! no field here and are left out. `usage` is left out when the provider
//! reported none, rather than reported as zero.

use serde::Serialize;
use yat_core::ChatResponse;

use super::wire::{finish_reason, write_json, WireUsage};
use crate::dialect::ReplyMeta;

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [Choice<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<WireUsage>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: AssistantMessage<'a>,
    finish_reason: &'static str,
    /// Always `null`: yat asks for no log probabilities.
    logprobs: (),
}

#[derive(Serialize)]
struct AssistantMessage<'a> {
    role: &'static str,
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ToolCallOut<'a>>,
    /// Always `null`: a provider's refusal arrives as text.
    refusal: (),
}

#[derive(Serialize)]
struct ToolCallOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionOut<'a>,
}

#[derive(Serialize)]
struct FunctionOut<'a> {
    name: &'a str,
    /// JSON text, as the format has it.
    arguments: String,
}

/// The body for `reply`.
pub(super) fn body(meta: &ReplyMeta, reply: &ChatResponse) -> Vec<u8> {
    let text = reply.text();
    let reasoning = reply.reasoning_text();
    let completion = Completion {
        id: &meta.id,
        object: "chat.completion",
        created: meta.created,
        model: &meta.model,
        choices: [Choice {
            index: 0,
            message: AssistantMessage {
                role: "assistant",
                content: (!text.is_empty()).then_some(text),
                reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
                tool_calls: reply
                    .tool_calls()
                    .map(|c| ToolCallOut {
                        id: &c.id,
                        kind: "function",
                        function: FunctionOut {
                            name: &c.name,
                            arguments: c.arguments_text(),
                        },
                    })
                    .collect(),
                refusal: (),
            },
            finish_reason: finish_reason(reply.finish.as_ref()),
            logprobs: (),
        }],
        usage: reply.usage.as_ref().map(WireUsage::from),
    };
    let mut out = Vec::with_capacity(256);
    write_json(&mut out, &completion);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use yat_core::{ChatEvent, Finish, FinishReason, ResponseBuilder, ToolCall, Usage};

    use super::*;

    fn meta() -> ReplyMeta {
        ReplyMeta {
            id: "chatcmpl-1".into(),
            model: "fast".into(),
            created: 1_700_000_000,
        }
    }

    fn reply(events: Vec<ChatEvent>) -> ChatResponse {
        let mut b = ResponseBuilder::default();
        for e in events {
            b.push(e);
        }
        b.finish()
    }

    fn body_text(reply: &ChatResponse) -> String {
        String::from_utf8(body(&meta(), reply)).unwrap()
    }

    #[test]
    fn a_text_reply() {
        let r = reply(vec![
            ChatEvent::ReasoningDelta {
                text: "Easy.".into(),
            },
            ChatEvent::ReasoningSignature {
                signature: "sig".into(),
            },
            ChatEvent::Delta { text: "4".into() },
            ChatEvent::Usage(Usage::new(10, 3).with_reasoning(2)),
            ChatEvent::Finish(Finish::new(FinishReason::Length, "max_tokens")),
        ]);
        assert_eq!(
            body_text(&r),
            concat!(
                r#"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"fast","#,
                r#""choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning_content":"Easy.","refusal":null},"#,
                r#""finish_reason":"length","logprobs":null}],"#,
                r#""usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13,"#,
                r#""prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":2}}}"#
            )
        );
    }

    #[test]
    fn a_reply_that_calls_tools_has_null_content_and_json_text_arguments() {
        let call = |index: u32, id: &str, args: serde_json::Value| ChatEvent::ToolCallEnd {
            index,
            call: Box::new(ToolCall::new(id, "weather", args)),
        };
        let r = reply(vec![
            call(0, "call_1", json!({"city": "Paris"})),
            call(1, "call_2", json!({})),
            ChatEvent::Finish(Finish::reason(FinishReason::ToolCalls)),
        ]);
        assert_eq!(
            body_text(&r),
            concat!(
                r#"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"fast","#,
                r#""choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":["#,
                r#"{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},"#,
                r#"{"id":"call_2","type":"function","function":{"name":"weather","arguments":"{}"}}"#,
                r#"],"refusal":null},"finish_reason":"tool_calls","logprobs":null}]}"#
            )
        );
    }

    #[test]
    fn text_and_calls_together_and_a_reply_cut_short() {
        let r = reply(vec![
            ChatEvent::Delta {
                text: "Looking.".into(),
            },
            ChatEvent::ToolCallEnd {
                index: 0,
                call: Box::new(ToolCall::new("c", "now", json!({}))),
            },
        ]);
        let v: serde_json::Value = serde_json::from_slice(&body(&meta(), &r)).unwrap();
        let choice = &v["choices"][0];
        assert_eq!(choice["message"]["content"], "Looking.");
        assert_eq!(
            choice["message"]["tool_calls"][0]["function"]["name"],
            "now"
        );
        // No finish (a cut stream): `stop`, the format's only neutral word.
        assert_eq!(choice["finish_reason"], "stop");
        assert!(v.get("usage").is_none());
    }
}

//! What the stream and the whole reply share: content blocks as a client
//! sees them, the usage object, stop reasons, and the SSE frame.
//!
//! Shapes are those of the official SDK's generated types (anthropic-sdk-python
//! `types/text_block.py`, `thinking_block.py`, `redacted_thinking_block.py`,
//! `tool_use_block.py`, `usage.py`, `message_delta_usage.py`,
//! `output_tokens_details.py`, `stop_reason.py`).

use serde::{Serialize, Serializer};
use yat_core::{Finish, FinishReason, Usage};

/// Appends one SSE event, `event: NAME\ndata: JSON\n\n`, serializing `data`
/// straight into `out`.
pub(super) fn write_event<T: Serialize>(out: &mut Vec<u8>, name: &str, data: &T) {
    let mark = out.len();
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    if let Err(e) = serde_json::to_writer(&mut *out, data) {
        // Our types have string keys and no fallible `Serialize`, and a
        // `Vec` never refuses a write: this cannot happen. Should it, a
        // half-written frame would corrupt every frame after it, so the
        // frame is dropped whole.
        tracing::error!(event = name, error = %e, "an SSE frame failed to serialize");
        out.truncate(mark);
        return;
    }
    out.extend_from_slice(b"\n\n");
}

/// A `tool_use` block's `input`: the documented `{}` while a stream opens
/// the block, else the call's arguments (an object; a call with none gets
/// `{}`, since the SDK types `input` as a dict).
#[derive(Clone, Copy)]
pub(super) enum ToolInput<'a> {
    /// `{}`.
    Empty,
    /// The arguments.
    Value(&'a serde_json::Value),
}

impl Serialize for ToolInput<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolInput::Value(v) if !v.is_null() => v.serialize(s),
            _ => s.collect_map(std::iter::empty::<((), ())>()),
        }
    }
}

/// A content block of the assistant's message: in `content_block_start`
/// (with empty text) and in a whole reply's `content`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Block<'a> {
    Text {
        text: &'a str,
    },
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    RedactedThinking {
        data: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: ToolInput<'a>,
    },
}

/// The `usage` object. `input_tokens` is the prompt read at the full rate,
/// which is both Anthropic's meaning (the SDK: "total input tokens in a
/// request is the summation of `input_tokens`, `cache_creation_input_tokens`,
/// and `cache_read_input_tokens`") and the contract's. A cache count the
/// upstream did not report is `null` (the SDK types both as optional), not
/// a made-up 0.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub(super) struct WireUsage {
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_tokens_details: Option<OutputDetails>,
}

/// How much of the output was reasoning (`output_tokens_details`).
#[derive(Serialize, Debug, PartialEq, Eq)]
struct OutputDetails {
    thinking_tokens: u64,
}

impl WireUsage {
    /// The counts of `usage`, zeros when the upstream reported none
    /// (`input_tokens` and `output_tokens` are required numbers).
    pub(super) fn new(usage: Option<&Usage>) -> Self {
        let u = usage.copied().unwrap_or_default();
        WireUsage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_creation_input_tokens: u.cache_write_tokens,
            cache_read_input_tokens: u.cache_read_tokens,
            output_tokens_details: u
                .reasoning_tokens
                .map(|thinking_tokens| OutputDetails { thinking_tokens }),
        }
    }
}

/// Every `stop_reason` the API documents (the SDK's `StopReason`).
const STOP_REASONS: [&str; 7] = [
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
];

/// The `stop_reason` for how a reply ended. An upstream's own word that is
/// one of Anthropic's passes through unchanged (an Anthropic upstream's
/// `pause_turn` or `model_context_window_exceeded` have no contract
/// equivalent but mean something to the client); otherwise the normalised
/// reason picks it. A reply that ended without a finish (or with an error
/// or an unknown reason) says `end_turn`, the API's word for a plain end.
pub(super) fn stop_reason(finish: Option<&Finish>) -> &'static str {
    let Some(finish) = finish else {
        return "end_turn";
    };
    if let Some(raw) = finish.raw.as_deref() {
        if let Some(known) = STOP_REASONS.iter().find(|r| **r == raw) {
            return known;
        }
    }
    match finish.reason {
        FinishReason::Stop => "end_turn",
        FinishReason::StopSequence => "stop_sequence",
        FinishReason::Length => "max_tokens",
        FinishReason::ToolCalls => "tool_use",
        FinishReason::ContentFilter => "refusal",
        _ => "end_turn",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reasons_map_and_anthropic_words_pass_through() {
        let cases = [
            (None, "end_turn"),
            (Some(Finish::new(FinishReason::Stop, "stop")), "end_turn"),
            (
                Some(Finish::reason(FinishReason::StopSequence)),
                "stop_sequence",
            ),
            (
                Some(Finish::new(FinishReason::Length, "length")),
                "max_tokens",
            ),
            (
                Some(Finish::new(FinishReason::ToolCalls, "tool_calls")),
                "tool_use",
            ),
            (Some(Finish::reason(FinishReason::ContentFilter)), "refusal"),
            (Some(Finish::reason(FinishReason::Error)), "end_turn"),
            (Some(Finish::new(FinishReason::Other, "weird")), "end_turn"),
            (
                Some(Finish::new(FinishReason::Other, "pause_turn")),
                "pause_turn",
            ),
            (
                Some(Finish::new(
                    FinishReason::Length,
                    "model_context_window_exceeded",
                )),
                "model_context_window_exceeded",
            ),
        ];
        for (finish, expected) in cases {
            assert_eq!(stop_reason(finish.as_ref()), expected, "{finish:?}");
        }
    }

    #[test]
    fn usage_keeps_unknown_cache_counts_null_and_reports_thinking() {
        let json = |u: Option<&Usage>| serde_json::to_string(&WireUsage::new(u)).unwrap();
        assert_eq!(
            json(None),
            r#"{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":null,"cache_read_input_tokens":null}"#
        );
        let u = Usage::new(12, 40)
            .with_cache_read(100)
            .with_cache_write(7)
            .with_reasoning(25);
        assert_eq!(
            json(Some(&u)),
            r#"{"input_tokens":12,"output_tokens":40,"cache_creation_input_tokens":7,"cache_read_input_tokens":100,"output_tokens_details":{"thinking_tokens":25}}"#
        );
    }

    #[test]
    fn blocks_serialize_in_the_sdk_shapes() {
        let args = serde_json::json!({"city": "Paris"});
        let null = serde_json::Value::Null;
        let cases = [
            (Block::Text { text: "" }, r#"{"type":"text","text":""}"#),
            (
                Block::Thinking {
                    thinking: "hm",
                    signature: "s",
                },
                r#"{"type":"thinking","thinking":"hm","signature":"s"}"#,
            ),
            (
                Block::RedactedThinking { data: "x" },
                r#"{"type":"redacted_thinking","data":"x"}"#,
            ),
            (
                Block::ToolUse {
                    id: "t",
                    name: "f",
                    input: ToolInput::Empty,
                },
                r#"{"type":"tool_use","id":"t","name":"f","input":{}}"#,
            ),
            (
                Block::ToolUse {
                    id: "t",
                    name: "f",
                    input: ToolInput::Value(&args),
                },
                r#"{"type":"tool_use","id":"t","name":"f","input":{"city":"Paris"}}"#,
            ),
            (
                Block::ToolUse {
                    id: "t",
                    name: "f",
                    input: ToolInput::Value(&null),
                },
                r#"{"type":"tool_use","id":"t","name":"f","input":{}}"#,
            ),
        ];
        for (block, expected) in cases {
            assert_eq!(serde_json::to_string(&block).unwrap(), expected);
        }
    }

    #[test]
    fn an_event_is_one_named_frame() {
        let mut out = b"before".to_vec();
        write_event(&mut out, "ping", &serde_json::json!({"type": "ping"}));
        assert_eq!(out, b"beforeevent: ping\ndata: {\"type\":\"ping\"}\n\n");
    }
}

//! The contract's events as a Messages stream: `message_start`, content
//! blocks (`content_block_start`, `content_block_delta`...,
//! `content_block_stop`), `message_delta`, `message_stop`; `ping` to keep
//! the line alive and `error` when the upstream fails.
//!
//! Sources: platform.claude.com/docs/en/build-with-claude/streaming (the
//! event flow and each delta type), and how the SDK reads it
//! (anthropic-sdk-python `lib/streaming/_messages.py`, `accumulate_event`):
//! `content_block_start` appends to the snapshot's `content` without looking
//! at `index`, every delta and stop addresses `content[index]`, and
//! `message_delta` sets `output_tokens` and, when present, `input_tokens`
//! and both cache counts.
//!
//! - Blocks open lazily, numbered from 0 in the order they open, so each
//!   `index` is the block's place in the SDK's `content`.
//! - Text and thinking are prose: one prose block is open at a time, and
//!   prose of the other kind, a redacted block, or a tool call closes it.
//!   A signature closes its thinking block (a signature with no thinking
//!   before it opens an empty one, as Gemini signs unshown thoughts).
//! - Tool calls: the contract lets calls interleave (the mock's
//!   `mock-parallel-tools` alternates two calls' argument pieces), the API
//!   never does. Several `tool_use` blocks are kept open at once, each
//!   call's pieces sent to its own block's index as they arrive, and each
//!   block closed at its call's end. The SDK accepts this, since it
//!   accumulates by index; the alternative, holding back a call's pieces
//!   until the one before it ends, would buffer tool calls, which the
//!   gateway promises not to do.
//! - A call whose arguments never streamed (an upstream that gives the
//!   whole call at its end) gets them as one `input_json_delta` at its end.
//! - Usage usually arrives last, so `message_start` reports zeros and the
//!   final `message_delta` carries every count; the SDK takes them from it.
//! - The event JSON is serialized straight into the output buffer from
//!   borrowed structs: no `Value` per event.

use serde::Serialize;
use yat_core::{ChatEvent, Usage};

use super::error::write_stream_error;
use super::wire::{stop_reason, write_event, Block, ToolInput, WireUsage};
use crate::api_error::ApiError;
use crate::dialect::{Encoder, ReplyMeta};

/// Which kind of prose block is open.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prose {
    Text,
    Thinking,
}

/// A `tool_use` block still open.
#[derive(Debug)]
struct OpenCall {
    /// The contract's call index.
    call: u32,
    /// The block's index.
    block: u32,
    /// Whether any argument piece was sent.
    streamed: bool,
}

/// Turns one reply's events into a Messages stream.
#[derive(Debug)]
pub(crate) struct StreamEncoder {
    meta: ReplyMeta,
    /// How many blocks have opened: the next block's index.
    opened: u32,
    /// The open prose block.
    prose: Option<(Prose, u32)>,
    /// Open tool blocks, in the order they opened.
    calls: Vec<OpenCall>,
    usage: Option<Usage>,
    stop_reason: &'static str,
    /// An error event was written: nothing may follow it.
    failed: bool,
}

impl StreamEncoder {
    /// The encoder for the reply `meta` describes.
    pub(crate) fn new(meta: ReplyMeta) -> Self {
        StreamEncoder {
            meta,
            opened: 0,
            prose: None,
            calls: Vec::new(),
            usage: None,
            stop_reason: stop_reason(None),
            failed: false,
        }
    }

    /// Opens `block` at the next index and returns it.
    fn open(&mut self, block: Block<'_>, out: &mut Vec<u8>) -> u32 {
        let index = self.opened;
        self.opened += 1;
        write_event(
            out,
            "content_block_start",
            &BlockStart {
                r#type: "content_block_start",
                index,
                content_block: block,
            },
        );
        index
    }

    fn stop(index: u32, out: &mut Vec<u8>) {
        write_event(
            out,
            "content_block_stop",
            &BlockStop {
                r#type: "content_block_stop",
                index,
            },
        );
    }

    fn delta(index: u32, delta: Delta<'_>, out: &mut Vec<u8>) {
        write_event(
            out,
            "content_block_delta",
            &BlockDelta {
                r#type: "content_block_delta",
                index,
                delta,
            },
        );
    }

    /// The index of an open prose block of `kind`, opening one (and closing
    /// prose of the other kind) if needed.
    fn prose(&mut self, kind: Prose, out: &mut Vec<u8>) -> u32 {
        match self.prose {
            Some((open, index)) if open == kind => index,
            _ => {
                self.close_prose(out);
                let block = match kind {
                    Prose::Text => Block::Text { text: "" },
                    Prose::Thinking => Block::Thinking {
                        thinking: "",
                        signature: "",
                    },
                };
                let index = self.open(block, out);
                self.prose = Some((kind, index));
                index
            }
        }
    }

    fn close_prose(&mut self, out: &mut Vec<u8>) {
        if let Some((_, index)) = self.prose.take() {
            Self::stop(index, out);
        }
    }

    /// Closes every open block, prose and calls, in the order they opened.
    fn close_all(&mut self, out: &mut Vec<u8>) {
        let prose = self.prose.take().map(|(_, index)| index);
        let mut open: Vec<u32> = self.calls.drain(..).map(|c| c.block).collect();
        open.extend(prose);
        open.sort_unstable();
        for index in open {
            Self::stop(index, out);
        }
    }

    fn call(&mut self, call: u32) -> Option<&mut OpenCall> {
        self.calls.iter_mut().find(|c| c.call == call)
    }

    fn start_call(&mut self, call: u32, id: &str, name: &str, out: &mut Vec<u8>) {
        if self.call(call).is_some() {
            tracing::debug!(
                call,
                "a tool call started twice; the second start is ignored"
            );
            return;
        }
        self.close_prose(out);
        let block = self.open(
            Block::ToolUse {
                id,
                name,
                input: ToolInput::Empty,
            },
            out,
        );
        self.calls.push(OpenCall {
            call,
            block,
            streamed: false,
        });
    }
}

#[derive(Serialize)]
struct MessageStart<'a> {
    r#type: &'static str,
    message: StartedMessage<'a>,
}

/// `message_start`'s message: no content and no stop reason yet, and zero
/// usage (the counts come in the final `message_delta`).
#[derive(Serialize)]
struct StartedMessage<'a> {
    id: &'a str,
    r#type: &'static str,
    role: &'static str,
    /// Always `[]`.
    content: [(); 0],
    model: &'a str,
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'static str>,
    usage: StartUsage,
}

#[derive(Serialize)]
struct StartUsage {
    input_tokens: u64,
    output_tokens: u64,
}

#[derive(Serialize)]
struct BlockStart<'a> {
    r#type: &'static str,
    index: u32,
    content_block: Block<'a>,
}

#[derive(Serialize)]
struct BlockDelta<'a> {
    r#type: &'static str,
    index: u32,
    delta: Delta<'a>,
}

/// A `content_block_delta`'s `delta`, tagged `text_delta`,
/// `thinking_delta`, `signature_delta` or `input_json_delta`.
#[derive(Serialize)]
#[serde(tag = "type")]
enum Delta<'a> {
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    #[serde(rename = "signature_delta")]
    Signature { signature: &'a str },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
}

#[derive(Serialize)]
struct BlockStop {
    r#type: &'static str,
    index: u32,
}

#[derive(Serialize)]
struct MessageDelta {
    r#type: &'static str,
    delta: StopDelta,
    usage: WireUsage,
}

#[derive(Serialize)]
struct StopDelta {
    stop_reason: &'static str,
    /// The contract does not say which sequence matched.
    stop_sequence: Option<&'static str>,
}

/// A body that is only its `type`: `message_stop`, `ping`.
#[derive(Serialize)]
struct Bare {
    r#type: &'static str,
}

impl Encoder for StreamEncoder {
    fn start(&mut self, out: &mut Vec<u8>) {
        let message = MessageStart {
            r#type: "message_start",
            message: StartedMessage {
                id: &self.meta.id,
                r#type: "message",
                role: "assistant",
                content: [],
                model: &self.meta.model,
                stop_reason: None,
                stop_sequence: None,
                usage: StartUsage {
                    input_tokens: 0,
                    output_tokens: 0,
                },
            },
        };
        write_event(out, "message_start", &message);
    }

    fn event(&mut self, event: &ChatEvent, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        match event {
            ChatEvent::Delta { text } if !text.is_empty() => {
                let index = self.prose(Prose::Text, out);
                Self::delta(index, Delta::Text { text }, out);
            }
            ChatEvent::ReasoningDelta { text } if !text.is_empty() => {
                let index = self.prose(Prose::Thinking, out);
                Self::delta(index, Delta::Thinking { thinking: text }, out);
            }
            ChatEvent::ReasoningSignature { signature } => {
                let index = self.prose(Prose::Thinking, out);
                Self::delta(index, Delta::Signature { signature }, out);
                self.close_prose(out);
            }
            ChatEvent::RedactedReasoning { data } => {
                self.close_prose(out);
                let index = self.open(Block::RedactedThinking { data }, out);
                Self::stop(index, out);
            }
            ChatEvent::ToolCallStart { index, id, name } => {
                self.start_call(*index, id, name, out);
            }
            ChatEvent::ToolCallDelta { index, arguments } if !arguments.is_empty() => {
                match self.call(*index) {
                    Some(call) => {
                        call.streamed = true;
                        let block = call.block;
                        Self::delta(
                            block,
                            Delta::InputJson {
                                partial_json: arguments,
                            },
                            out,
                        );
                    }
                    None => tracing::debug!(
                        call = index,
                        "arguments for a call that never started are dropped"
                    ),
                }
            }
            ChatEvent::ToolCallEnd { index, call } => {
                if self.call(*index).is_none() {
                    self.start_call(*index, &call.id, &call.name, out);
                }
                let Some(position) = self.calls.iter().position(|c| c.call == *index) else {
                    return;
                };
                let open = self.calls.remove(position);
                if !open.streamed {
                    let whole = match &call.arguments {
                        serde_json::Value::Null => "{}".to_owned(),
                        args => args.to_string(),
                    };
                    Self::delta(
                        open.block,
                        Delta::InputJson {
                            partial_json: &whole,
                        },
                        out,
                    );
                }
                Self::stop(open.block, out);
            }
            ChatEvent::Usage(u) => {
                self.usage = Some(match self.usage {
                    Some(old) => old.merge(*u),
                    None => *u,
                });
            }
            ChatEvent::Finish(f) => {
                self.close_all(out);
                self.stop_reason = stop_reason(Some(f));
            }
            _ => {}
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        // A well-formed stream closed everything at its finish; this is for
        // one that did not.
        self.close_all(out);
        write_event(
            out,
            "message_delta",
            &MessageDelta {
                r#type: "message_delta",
                delta: StopDelta {
                    stop_reason: self.stop_reason,
                    stop_sequence: None,
                },
                usage: WireUsage::new(self.usage.as_ref()),
            },
        );
        write_event(
            out,
            "message_stop",
            &Bare {
                r#type: "message_stop",
            },
        );
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        self.failed = true;
        write_stream_error(error, out);
    }

    fn keepalive(&mut self, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        write_event(out, "ping", &Bare { r#type: "ping" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error::ErrorKind;
    use yat_core::{Finish, FinishReason, ToolCall};

    pub(crate) fn meta() -> ReplyMeta {
        ReplyMeta {
            id: "msg_test".into(),
            model: "m".into(),
            created: 0,
        }
    }

    /// The whole stream for `events`: start, each event, end.
    fn encode(events: &[ChatEvent]) -> String {
        let mut encoder = StreamEncoder::new(meta());
        let mut out = Vec::new();
        encoder.start(&mut out);
        for e in events {
            encoder.event(e, &mut out);
        }
        encoder.end(&mut out);
        String::from_utf8(out).unwrap()
    }

    /// Frames from `(event name, data)` pairs.
    fn frames(list: &[(&str, &str)]) -> String {
        list.iter()
            .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
            .collect()
    }

    const START: (&str, &str) = (
        "message_start",
        r#"{"type":"message_start","message":{"id":"msg_test","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}"#,
    );
    const STOP: (&str, &str) = ("message_stop", r#"{"type":"message_stop"}"#);

    fn start_text(index: u32) -> (&'static str, String) {
        (
            "content_block_start",
            format!(
                r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"text","text":""}}}}"#
            ),
        )
    }

    fn delta(index: u32, delta: &str) -> (&'static str, String) {
        (
            "content_block_delta",
            format!(r#"{{"type":"content_block_delta","index":{index},"delta":{delta}}}"#),
        )
    }

    fn stop(index: u32) -> (&'static str, String) {
        (
            "content_block_stop",
            format!(r#"{{"type":"content_block_stop","index":{index}}}"#),
        )
    }

    fn start_tool(index: u32, id: &str, name: &str) -> (&'static str, String) {
        (
            "content_block_start",
            format!(
                r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"tool_use","id":"{id}","name":"{name}","input":{{}}}}}}"#
            ),
        )
    }

    fn message_delta(stop_reason: &str, usage: &str) -> (&'static str, String) {
        (
            "message_delta",
            format!(
                r#"{{"type":"message_delta","delta":{{"stop_reason":"{stop_reason}","stop_sequence":null}},"usage":{usage}}}"#
            ),
        )
    }

    const NO_USAGE: &str = r#"{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":null,"cache_read_input_tokens":null}"#;

    /// `START`, the `middle` frames, then `STOP`.
    fn whole(middle: Vec<(&str, String)>) -> String {
        let mut list: Vec<(&str, &str)> = vec![START];
        list.extend(middle.iter().map(|(n, d)| (*n, d.as_str())));
        list.push(STOP);
        frames(&list)
    }

    fn text(t: &str) -> ChatEvent {
        ChatEvent::Delta { text: t.into() }
    }

    fn finish(reason: FinishReason) -> ChatEvent {
        ChatEvent::Finish(Finish::reason(reason))
    }

    fn call_start(index: u32, id: &str, name: &str) -> ChatEvent {
        ChatEvent::ToolCallStart {
            index,
            id: id.into(),
            name: name.into(),
        }
    }

    fn call_delta(index: u32, arguments: &str) -> ChatEvent {
        ChatEvent::ToolCallDelta {
            index,
            arguments: arguments.into(),
        }
    }

    fn call_end(index: u32, id: &str, name: &str, args: serde_json::Value) -> ChatEvent {
        ChatEvent::ToolCallEnd {
            index,
            call: Box::new(ToolCall::new(id, name, args)),
        }
    }

    #[test]
    fn text_opens_one_block_and_usage_comes_last() {
        let got = encode(&[
            text("Hel"),
            text(""),
            text("lo"),
            ChatEvent::Usage(yat_core::Usage::new(3, 2)),
            finish(FinishReason::Stop),
        ]);
        let expected = whole(vec![
            start_text(0),
            delta(0, r#"{"type":"text_delta","text":"Hel"}"#),
            delta(0, r#"{"type":"text_delta","text":"lo"}"#),
            stop(0),
            message_delta(
                "end_turn",
                r#"{"input_tokens":3,"output_tokens":2,"cache_creation_input_tokens":null,"cache_read_input_tokens":null}"#,
            ),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn reasoning_is_a_thinking_block_closed_by_its_signature() {
        let got = encode(&[
            ChatEvent::ReasoningDelta {
                text: "Let me".into(),
            },
            ChatEvent::ReasoningDelta {
                text: " think.".into(),
            },
            ChatEvent::ReasoningSignature {
                signature: "sig==".into(),
            },
            text("42"),
            // A signature alone (nothing shown) still makes a thinking block.
            ChatEvent::ReasoningSignature {
                signature: "s2".into(),
            },
            finish(FinishReason::Stop),
        ]);
        let thinking = |index: u32| {
            (
                "content_block_start",
                format!(
                    r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"thinking","thinking":"","signature":""}}}}"#
                ),
            )
        };
        let expected = whole(vec![
            thinking(0),
            delta(0, r#"{"type":"thinking_delta","thinking":"Let me"}"#),
            delta(0, r#"{"type":"thinking_delta","thinking":" think."}"#),
            delta(0, r#"{"type":"signature_delta","signature":"sig=="}"#),
            stop(0),
            start_text(1),
            delta(1, r#"{"type":"text_delta","text":"42"}"#),
            stop(1),
            thinking(2),
            delta(2, r#"{"type":"signature_delta","signature":"s2"}"#),
            stop(2),
            message_delta("end_turn", NO_USAGE),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn redacted_reasoning_is_a_whole_block_that_closes_open_prose() {
        let got = encode(&[
            text("a"),
            ChatEvent::RedactedReasoning {
                data: "opaque".into(),
            },
            text("b"),
            finish(FinishReason::Stop),
        ]);
        let expected = whole(vec![
            start_text(0),
            delta(0, r#"{"type":"text_delta","text":"a"}"#),
            stop(0),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"opaque"}}"#.into(),
            ),
            stop(1),
            start_text(2),
            delta(2, r#"{"type":"text_delta","text":"b"}"#),
            stop(2),
            message_delta("end_turn", NO_USAGE),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn one_tool_call_streams_its_arguments() {
        let got = encode(&[
            text("Checking."),
            call_start(0, "toolu_1", "get_weather"),
            call_delta(0, r#"{"city":"#),
            call_delta(0, r#""Paris"}"#),
            call_end(
                0,
                "toolu_1",
                "get_weather",
                serde_json::json!({"city": "Paris"}),
            ),
            finish(FinishReason::ToolCalls),
        ]);
        let expected = whole(vec![
            start_text(0),
            delta(0, r#"{"type":"text_delta","text":"Checking."}"#),
            stop(0),
            start_tool(1, "toolu_1", "get_weather"),
            delta(
                1,
                r#"{"type":"input_json_delta","partial_json":"{\"city\":"}"#,
            ),
            delta(
                1,
                r#"{"type":"input_json_delta","partial_json":"\"Paris\"}"}"#,
            ),
            stop(1),
            message_delta("tool_use", NO_USAGE),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn interleaved_calls_keep_their_own_blocks() {
        let got = encode(&[
            call_start(0, "a", "f"),
            call_delta(0, "{\"x\":"),
            call_start(1, "b", "g"),
            call_delta(1, "{\"y\":"),
            call_delta(0, "1}"),
            call_delta(1, "2}"),
            call_end(0, "a", "f", serde_json::json!({"x": 1})),
            call_end(1, "b", "g", serde_json::json!({"y": 2})),
            finish(FinishReason::ToolCalls),
        ]);
        let expected = whole(vec![
            start_tool(0, "a", "f"),
            delta(0, r#"{"type":"input_json_delta","partial_json":"{\"x\":"}"#),
            start_tool(1, "b", "g"),
            delta(1, r#"{"type":"input_json_delta","partial_json":"{\"y\":"}"#),
            delta(0, r#"{"type":"input_json_delta","partial_json":"1}"}"#),
            delta(1, r#"{"type":"input_json_delta","partial_json":"2}"}"#),
            stop(0),
            stop(1),
            message_delta("tool_use", NO_USAGE),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn a_call_given_whole_at_its_end_sends_its_arguments_once() {
        let got = encode(&[
            call_start(0, "a", "f"),
            call_end(0, "a", "f", serde_json::json!({"x": 1})),
            // An end with no start opens the block itself; no arguments is `{}`.
            call_end(1, "b", "g", serde_json::Value::Null),
            finish(FinishReason::ToolCalls),
        ]);
        let expected = whole(vec![
            start_tool(0, "a", "f"),
            delta(
                0,
                r#"{"type":"input_json_delta","partial_json":"{\"x\":1}"}"#,
            ),
            stop(0),
            start_tool(1, "b", "g"),
            delta(1, r#"{"type":"input_json_delta","partial_json":"{}"}"#),
            stop(1),
            message_delta("tool_use", NO_USAGE),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn usage_reports_merge_and_cache_counts_reach_message_delta() {
        let got = encode(&[
            ChatEvent::Usage(
                yat_core::Usage::new(25, 1)
                    .with_cache_read(100)
                    .with_cache_write(10),
            ),
            text("x"),
            ChatEvent::Usage(yat_core::Usage::new(0, 42)),
            finish(FinishReason::Stop),
        ]);
        let expected = whole(vec![
            start_text(0),
            delta(0, r#"{"type":"text_delta","text":"x"}"#),
            stop(0),
            message_delta(
                "end_turn",
                r#"{"input_tokens":25,"output_tokens":42,"cache_creation_input_tokens":10,"cache_read_input_tokens":100}"#,
            ),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn each_finish_picks_its_stop_reason() {
        let cases = [
            (FinishReason::Stop, "end_turn"),
            (FinishReason::StopSequence, "stop_sequence"),
            (FinishReason::Length, "max_tokens"),
            (FinishReason::ToolCalls, "tool_use"),
            (FinishReason::ContentFilter, "refusal"),
            (FinishReason::Error, "end_turn"),
            (FinishReason::Other, "end_turn"),
        ];
        for (reason, word) in cases {
            let expected = whole(vec![message_delta(word, NO_USAGE)]);
            assert_eq!(encode(&[finish(reason)]), expected, "{reason:?}");
        }
    }

    #[test]
    fn a_stream_that_ends_without_a_finish_still_closes_its_blocks() {
        let got = encode(&[text("cut"), call_start(0, "a", "f")]);
        let expected = whole(vec![
            start_text(0),
            delta(0, r#"{"type":"text_delta","text":"cut"}"#),
            stop(0),
            start_tool(1, "a", "f"),
            stop(1),
            message_delta("end_turn", NO_USAGE),
        ]);
        assert_eq!(got, expected);
    }

    #[test]
    fn an_error_is_the_last_frame() {
        let mut encoder = StreamEncoder::new(meta());
        let mut out = Vec::new();
        encoder.start(&mut out);
        encoder.event(&text("Hel"), &mut out);
        encoder.keepalive(&mut out);
        encoder.error(
            &ApiError::new(ErrorKind::Unavailable, "Overloaded"),
            &mut out,
        );
        // Whatever the server does next writes nothing more.
        encoder.event(&text("lo"), &mut out);
        encoder.keepalive(&mut out);
        encoder.error(&ApiError::new(ErrorKind::Upstream, "again"), &mut out);
        encoder.end(&mut out);
        let expected = whole(vec![
            start_text(0),
            delta(0, r#"{"type":"text_delta","text":"Hel"}"#),
            ("ping", r#"{"type":"ping"}"#.into()),
            (
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                    .into(),
            ),
        ]);
        let expected = expected.strip_suffix(&frames(&[STOP])).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}

//! Messages stream → chat events.
//!
//! Every event is named (`event: content_block_delta`) and its `data:` JSON
//! repeats the name in `type`; the name is read from the `event:` line when
//! there is one and from `type` otherwise. The documented flow is
//! `message_start`, then per content block `content_block_start`,
//! `content_block_delta`s and `content_block_stop`, then `message_delta`s,
//! then `message_stop`, with `ping`s anywhere:
//!
//! - `message_start`: `message.usage` holds the input counts (cache reads
//!   and writes apart from `input_tokens`) and a provisional
//!   `output_tokens`;
//! - blocks, each known by its `index`: `text` (`text_delta` → a delta),
//!   `thinking` (`thinking_delta` → a reasoning delta, `signature_delta` →
//!   the reasoning's signature), `redacted_thinking` (its `data` → redacted
//!   reasoning), `tool_use` (`id` and `name` at the start, the input as
//!   `input_json_delta` pieces, the first often `""`; no piece at all is
//!   `{}`). Other block and delta types (`server_tool_use`,
//!   `citations_delta`, whatever comes next) are skipped. A delta for a
//!   block that never started is a malformed response;
//! - tool calls are put together by the shared
//!   [`ToolCallAssembler`](yat_core::assemble::ToolCallAssembler), keyed by
//!   the call's id: `tool_use` blocks that share one id are pieces of one
//!   call (a gateway translating another format sends one block per
//!   fragment), so a call does not end at its `content_block_stop` but when
//!   a block of another kind starts, or at `message_delta` /
//!   `message_stop`; unparsable input is
//!   [`YatError::InvalidToolArguments`];
//! - `message_delta`: `delta.stop_reason` and the usage, which is
//!   cumulative (the reports are merged keeping the larger counts);
//! - `message_stop`: open calls end, then usage, then the finish, which is
//!   always last; the stream is done;
//! - `error`: the error body's shape, mapped like an HTTP error of the
//!   status its `error.type` stands for (an `overloaded_error` is a 529);
//! - `ping` and any event type this version does not know are skipped, as
//!   the docs ask ("handle unknown event types gracefully").
//!
//! A body that ends before `message_stop` was cut, even after a
//! `message_delta` with a stop reason: it is an error, never a short reply.
//! The stop reason is therefore only handed to the reply state at
//! `message_stop`.

use std::borrow::Cow;
use std::collections::VecDeque;

use yat_core::assemble::ReplyState;
use yat_core::{ChatEvent, Finish, FinishReason, YatError};

use super::error::{parse_error, stream_status};
use super::wire::{ContentBlockDelta, ContentBlockStart, EventType, MessageDelta, MessageStart};
use yat_http::{classify, JsonText, SseEvent, Step, StreamDecoder};

/// Maps a `stop_reason` to the normalised reason.
///
/// `refusal` (the model declined for safety reasons) is
/// [`FinishReason::ContentFilter`]; `model_context_window_exceeded` (the
/// reply filled the context window) is [`FinishReason::Length`], the text
/// being cut short either way; `pause_turn` (a long server-tool turn the
/// caller should continue) and anything newer are [`FinishReason::Other`],
/// with the raw value kept in [`Finish::raw`].
pub fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "end_turn" => FinishReason::Stop,
        "stop_sequence" => FinishReason::StopSequence,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

/// What a started content block is, as far as its deltas care.
#[derive(Debug)]
enum Block {
    /// Text, thinking, redacted thinking, or a type this version skips:
    /// their deltas say by their own type what they carry.
    Content,
    /// A `tool_use` block, with the id its input pieces belong to (`None`
    /// when the server sent none: the block's index keys the call then).
    ToolUse(Option<String>),
}

/// The decoder of one Anthropic stream.
pub struct AnthropicDecoder {
    reply: ReplyState,
    /// The blocks started so far, by the server's index, latest last.
    blocks: Vec<(u64, Block)>,
    /// `message_delta`'s stop reason, held until `message_stop`.
    stop: Option<Finish>,
}

impl AnthropicDecoder {
    /// A decoder for `provider`'s stream.
    pub fn new(provider: &str) -> Self {
        AnthropicDecoder {
            reply: ReplyState::new(provider),
            blocks: Vec::new(),
            stop: None,
        }
    }

    fn malformed(&self, what: &str, e: serde_json::Error, data: &str) -> YatError {
        self.reply
            .malformed(format!("invalid {what} event: {e}"), data.as_bytes())
    }

    fn in_stream_error(&self, data: &str) -> YatError {
        let bytes = data.as_bytes();
        classify(
            self.reply.provider(),
            stream_status(bytes),
            &Default::default(),
            bytes,
            parse_error(bytes),
        )
    }

    fn start(&mut self, data: &str, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let s: ContentBlockStart = serde_json::from_str(data)
            .map_err(|e| self.malformed("content_block_start", e, data))?;
        let index = s
            .index
            .unwrap_or_else(|| self.blocks.last().map_or(0, |(i, _)| i + 1));
        let Some(b) = s.content_block else {
            return Err(self.reply.malformed(
                "a content_block_start without its content_block",
                data.as_bytes(),
            ));
        };
        let kind = b.kind.unwrap_or_default();
        if &*kind == "tool_use" {
            let id = b.id.filter(|i| !i.is_empty());
            let tools = &mut self.reply.tools;
            tools.fragment(Some(index), id.as_deref(), b.name.as_deref(), None, out)?;
            // Documented as `{}`, with the input in deltas; a server that
            // sends the input whole here is taken at its word.
            match b.input {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Object(o)) if o.is_empty() => {}
                Some(input) => {
                    let text = input.to_string();
                    tools.fragment(Some(index), id.as_deref(), None, Some(&text), out)?;
                }
            }
            self.blocks
                .push((index, Block::ToolUse(id.map(JsonText::into_string))));
            return Ok(());
        }
        // Any other block ends the calls still open.
        self.reply.tools.end_all(out)?;
        self.blocks.push((index, Block::Content));
        let some = |t: Option<JsonText<'_>>| t.filter(|t| !t.is_empty()).map(JsonText::into_string);
        match &*kind {
            // Documented with empty text, but a block may open with some.
            "text" => {
                if let Some(text) = some(b.text) {
                    out.push_back(ChatEvent::Delta { text });
                }
            }
            "thinking" => {
                if let Some(text) = some(b.thinking) {
                    out.push_back(ChatEvent::ReasoningDelta { text });
                }
                if let Some(signature) = some(b.signature) {
                    out.push_back(ChatEvent::ReasoningSignature { signature });
                }
            }
            "redacted_thinking" => out.push_back(ChatEvent::RedactedReasoning {
                data: b.data.map(JsonText::into_string).unwrap_or_default(),
            }),
            other => tracing::debug!(
                provider = self.reply.provider(),
                block = other,
                "content block of an unknown type skipped"
            ),
        }
        Ok(())
    }

    fn delta(&mut self, data: &str, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let d = ContentBlockDelta::parse(data)
            .map_err(|e| self.malformed("content_block_delta", e, data))?;
        let Some(delta) = d.delta else {
            return Ok(());
        };
        let block = match d.index {
            Some(i) => self.blocks.iter().rev().find(|(k, _)| *k == i),
            None => self.blocks.last(),
        };
        let Some((index, block)) = block else {
            return Err(self.reply.malformed(
                match d.index {
                    Some(i) => format!("a delta for content block {i}, which never started"),
                    None => "a delta before any content block started".into(),
                },
                data.as_bytes(),
            ));
        };
        let kind = delta.kind.unwrap_or_default();
        match (&*kind, block) {
            ("text_delta", _) => {
                if let Some(text) = delta.text.filter(|t| !t.is_empty()) {
                    out.push_back(ChatEvent::Delta {
                        text: text.into_string(),
                    });
                }
            }
            ("thinking_delta", _) => {
                if let Some(text) = delta.thinking.filter(|t| !t.is_empty()) {
                    out.push_back(ChatEvent::ReasoningDelta {
                        text: text.into_string(),
                    });
                }
            }
            ("signature_delta", _) => {
                if let Some(s) = delta.signature.filter(|t| !t.is_empty()) {
                    out.push_back(ChatEvent::ReasoningSignature {
                        signature: s.into_string(),
                    });
                }
            }
            ("input_json_delta", Block::ToolUse(id)) => {
                // Owned when it held escapes: moved into the event, not copied.
                let piece = delta.partial_json.map(|t| t.0);
                self.reply
                    .tools
                    .fragment_cow(Some(*index), id.as_deref(), None, piece, out)?;
            }
            ("input_json_delta", Block::Content) => {
                return Err(self.reply.malformed(
                    format!("tool input for content block {index}, which is not a tool_use block"),
                    data.as_bytes(),
                ))
            }
            (other, _) => tracing::debug!(
                provider = self.reply.provider(),
                delta = other,
                "content block delta of an unknown type skipped"
            ),
        }
        Ok(())
    }
}

impl StreamDecoder for AnthropicDecoder {
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let data = event.data;
        if self.reply.is_complete() {
            return Ok(Step::Done);
        }
        if data.trim_ascii().is_empty() {
            return Ok(Step::Continue);
        }
        let kind: Cow<'_, str> = if !event.event.is_empty() && event.event != "message" {
            Cow::Borrowed(event.event)
        } else {
            let t: EventType =
                serde_json::from_str(data).map_err(|e| self.malformed("stream", e, data))?;
            t.kind.unwrap_or_default().0
        };
        match &*kind {
            "content_block_delta" => self.delta(data, out)?,
            "content_block_start" => self.start(data, out)?,
            "message_start" => {
                let s: MessageStart = serde_json::from_str(data)
                    .map_err(|e| self.malformed("message_start", e, data))?;
                if let Some(u) = s.message.and_then(|m| m.usage).and_then(|u| u.to_usage()) {
                    self.reply.usage(u);
                }
            }
            "message_delta" => {
                let d: MessageDelta = serde_json::from_str(data)
                    .map_err(|e| self.malformed("message_delta", e, data))?;
                if let Some(u) = d.usage.and_then(|u| u.to_usage()) {
                    self.reply.usage(u);
                }
                if let Some(raw) = d.delta.and_then(|d| d.stop_reason) {
                    self.stop = Some(Finish::new(finish_reason(&raw), raw.into_string()));
                }
                // No block follows: the calls are whole.
                self.reply.tools.end_all(out)?;
            }
            "message_stop" => {
                if let Some(f) = self.stop.take() {
                    self.reply.finish(f);
                }
                self.reply.complete(out)?;
                return Ok(Step::Done);
            }
            "error" => return Err(self.in_stream_error(data)),
            // A call does not end with its block: see the module docs.
            "ping" | "content_block_stop" => {}
            other => tracing::debug!(
                provider = self.reply.provider(),
                event = other,
                "stream event of an unknown type skipped"
            ),
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        self.reply.cut(out, "no message_stop")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transcript_run::{self, delta, run_sized, Documented, End, Run};
    use yat_core::{ToolCall, Usage};

    /// The docs' "Basic streaming request" response (shared/wire-formats.md
    /// §2), byte for byte.
    const TRANSCRIPT: &str = "event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-opus-4-1-20250805\", \"stop_reason\": null, \"stop_sequence\": null, \"usage\": {\"input_tokens\": 25, \"output_tokens\": 1}}}\n\nevent: content_block_start\ndata: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\nevent: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hello\"}}\n\nevent: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"!\"}}\n\nevent: content_block_stop\ndata: {\"type\": \"content_block_stop\", \"index\": 0}\n\nevent: message_delta\ndata: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n\nevent: message_stop\ndata: {\"type\": \"message_stop\"}\n\n";

    /// A fuller reply in the documented shapes: cache counts, a thinking
    /// block with its signature, text with escapes and multi-byte
    /// characters, a tool-use block, pings, cumulative usage repeating the
    /// input counts, and an event type from the future.
    const RICH: &str = concat!(
        "event: message_start\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01G\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":2679,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":120,\"output_tokens\":3}}}\n\n",
        "event: content_block_start\n",
        "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"thinking\", \"thinking\": \"\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\", \"thinking\": \"Let me solve this step by step:\\n\\n1. First break down 27 * 453\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"signature_delta\", \"signature\": \"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...\"}}\n\n",
        "event: content_block_stop\n",
        "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"27 \u{d7} 453 \"}}\n\n",
        "event: ping\n",
        "data: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"= 12,231 \u{2014} \\\"d\u{f6}ne\\\" \u{1F600}\\n\"}}\n\n",
        "event: content_block_stop\n",
        "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\":\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\" \\\"San Francisco, CA\\\"}\"}}\n\n",
        "event: content_block_stop\n",
        "data: {\"type\":\"content_block_stop\",\"index\":2 }\n\n",
        "event: some_future_event\n",
        "data: {\"type\":\"some_future_event\",\"anything\":[1,2,3]}\n\n",
        ": a comment\n\n",
        "event: message_delta\n",
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":2679,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":120,\"output_tokens\":89}}\n\n",
        "event: message_stop\n",
        "data: {\"type\":\"message_stop\"}\n\n",
    );

    fn run_pieces(pieces: &[&[u8]]) -> Run {
        transcript_run::run_pieces("anthropic", AnthropicDecoder::new("anthropic"), pieces)
    }

    fn run(bytes: &[u8], size: usize) -> Run {
        run_sized("anthropic", AnthropicDecoder::new("anthropic"), bytes, size)
    }

    fn usage(input_tokens: u64, output_tokens: u64) -> ChatEvent {
        ChatEvent::Usage(Usage::new(input_tokens, output_tokens))
    }

    fn expected() -> Vec<ChatEvent> {
        vec![
            delta("Hello"),
            delta("!"),
            usage(25, 15),
            ChatEvent::Finish(Finish::new(FinishReason::Stop, "end_turn")),
        ]
    }

    fn rich_expected() -> Vec<ChatEvent> {
        let id = "toolu_01T1x1fJ34qAmk2tNTrN7Up6";
        vec![
            ChatEvent::ReasoningDelta {
                text: "Let me solve this step by step:\n\n1. First break down 27 * 453".into(),
            },
            ChatEvent::ReasoningSignature {
                signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...".into(),
            },
            delta("27 \u{d7} 453 "),
            delta("= 12,231 \u{2014} \"d\u{f6}ne\" \u{1F600}\n"),
            ChatEvent::ToolCallStart {
                index: 0,
                id: id.into(),
                name: "get_weather".into(),
            },
            ChatEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"location\":".into(),
            },
            ChatEvent::ToolCallDelta {
                index: 0,
                arguments: " \"San Francisco, CA\"}".into(),
            },
            ChatEvent::ToolCallEnd {
                index: 0,
                call: Box::new(ToolCall::new(
                    id,
                    "get_weather",
                    serde_json::json!({"location": "San Francisco, CA"}),
                )),
            },
            ChatEvent::Usage(
                Usage::new(2679, 89)
                    .with_cache_read(120)
                    .with_cache_write(0),
            ),
            ChatEvent::Finish(Finish::new(FinishReason::ToolCalls, "tool_use")),
        ]
    }

    /// The documented transcript's row of the table every SSE format is
    /// checked against.
    pub(crate) fn documented() -> Documented {
        Documented {
            format: "anthropic",
            run: run_pieces,
            transcript: TRANSCRIPT,
            expected: expected(),
            end: End::Done,
            finish_reasons: &[
                ("end_turn", FinishReason::Stop),
                ("stop_sequence", FinishReason::StopSequence),
                ("max_tokens", FinishReason::Length),
                ("model_context_window_exceeded", FinishReason::Length),
                ("tool_use", FinishReason::ToolCalls),
                ("refusal", FinishReason::ContentFilter),
                ("pause_turn", FinishReason::Other),
                ("something_new", FinishReason::Other),
            ],
            rich: RICH,
            rich_expected: rich_expected(),
        }
    }

    #[test]
    fn a_stream_without_usage_has_no_usage_event() {
        // The docs' extended-thinking example carries no usage anywhere.
        let t = concat!(
            "event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01...\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-sonnet-4-5-20250929\", \"stop_reason\": null, \"stop_sequence\": null}}\n\n",
            "event: content_block_start\ndata: {\"type\": \"content_block_start\", \"index\": 1, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 1, \"delta\": {\"type\": \"text_delta\", \"text\": \"27 * 453 = 12,231\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\": \"content_block_stop\", \"index\": 1}\n\n",
            "event: message_delta\ndata: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\": null}}\n\n",
            "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n",
        );
        let (events, end, _) = run(t.as_bytes(), 11);
        assert_eq!(end, End::Done);
        assert_eq!(
            events,
            vec![
                delta("27 * 453 = 12,231"),
                ChatEvent::Finish(Finish::new(FinishReason::Stop, "end_turn")),
            ]
        );
    }

    #[test]
    fn a_text_block_that_opens_with_text_keeps_it() {
        let t = TRANSCRIPT.replace(
            "\"content_block\": {\"type\": \"text\", \"text\": \"\"}",
            "\"content_block\": {\"type\": \"text\", \"text\": \"Oh. \"}",
        );
        let (events, _, _) = run(t.as_bytes(), usize::MAX);
        assert_eq!(events[..3], [delta("Oh. "), delta("Hello"), delta("!")]);
    }

    #[test]
    fn a_stream_cut_before_message_stop_is_an_error_after_its_text() {
        let cut = &TRANSCRIPT[..TRANSCRIPT.find("event: content_block_stop").unwrap()];
        let (events, end, err) = run(cut.as_bytes(), 1);
        assert_eq!(events, vec![delta("Hello"), delta("!")]);
        assert_eq!(end, End::Failed("network".into()));
        assert!(err.unwrap().to_string().contains("message_stop"));
        // A stop reason is not the end marker: without message_stop the
        // body was still cut.
        let no_stop = &TRANSCRIPT[..TRANSCRIPT.find("event: message_stop").unwrap()];
        assert_eq!(run(no_stop.as_bytes(), 9).1, End::Failed("network".into()));
        assert_eq!(run(b"", 1).1, End::Failed("network".into()));
    }

    #[test]
    fn an_error_event_is_a_typed_error_after_the_text() {
        let head = &TRANSCRIPT[..TRANSCRIPT.find("event: content_block_stop").unwrap()];
        // The docs' example, byte for byte.
        let t = format!("{head}event: error\ndata: {{\"type\": \"error\", \"error\": {{\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}}}\n\n");
        let (events, end, err) = run(t.as_bytes(), 2);
        assert_eq!(events, vec![delta("Hello"), delta("!")]);
        assert_eq!(end, End::Failed("overloaded".into()));
        let e = err.unwrap();
        assert_eq!(e.status(), Some(529));
        assert!(e.is_retryable());
        assert!(e.to_string().contains("Overloaded"), "{e}");
        for (kind, expected) in [
            ("rate_limit_error", "rate_limited"),
            ("api_error", "server_error"),
            ("invalid_request_error", "invalid_request"),
            ("billing_error", "quota_exhausted"),
            ("brand_new_error", "server_error"),
        ] {
            let t = format!("{head}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"{kind}\",\"message\":\"m\"}},\"request_id\":\"req_1\"}}\n\n");
            assert_eq!(
                run(t.as_bytes(), 64).1,
                End::Failed(expected.into()),
                "{kind}"
            );
        }
        let t = format!("{head}event: error\ndata: upstream went away\n\n");
        let (_, end, err) = run(t.as_bytes(), 64);
        assert_eq!(end, End::Failed("server_error".into()));
        assert!(err.unwrap().to_string().contains("upstream went away"));
    }

    #[test]
    fn garbage_in_a_known_event_is_a_malformed_response_with_an_excerpt() {
        let t = "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"delta\": [oops\n\n";
        let (_, end, err) = run(t.as_bytes(), usize::MAX);
        assert_eq!(end, End::Failed("malformed_response".into()));
        match err.unwrap() {
            YatError::MalformedResponse { excerpt, .. } => assert!(excerpt.contains("oops")),
            other => panic!("{other:?}"),
        }
        // In an unknown event it is nobody's business.
        let t = format!("event: whatever\ndata: [oops\n\n{TRANSCRIPT}");
        assert_eq!(run(t.as_bytes(), 5).0, expected());
    }

    #[test]
    fn nothing_after_message_stop_is_read() {
        let mut dec = AnthropicDecoder::new("anthropic");
        let mut out = VecDeque::new();
        let ev = SseEvent::new;
        let stop = ev("message_stop", "{\"type\":\"message_stop\"}");
        assert_eq!(dec.decode(&stop, &mut out).unwrap(), Step::Done);
        assert_eq!(
            Vec::from(std::mem::take(&mut out)),
            vec![ChatEvent::Finish(Finish::reason(FinishReason::Stop))]
        );
        let late = ev(
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"late\"}}",
        );
        assert_eq!(dec.decode(&late, &mut out).unwrap(), Step::Done);
        assert!(out.is_empty());
        assert!(dec.end_of_body(&mut out).is_ok());
    }
}

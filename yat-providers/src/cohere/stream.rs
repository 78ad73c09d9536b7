//! Cohere Chat v2 stream → chat events, on the shared [`ReplyState`].
//!
//! Each event's `data:` JSON names its kind in `type`; the spec's example
//! also puts the name on an `event:` line, while other servers of the format
//! send bare `data:` lines. The name is read from the `event:` line when
//! there is one and from `type` otherwise, so only the events that carry
//! something for yat are parsed in full:
//!
//! - `content-start`, `content-delta`: `delta.message.content.text` → a
//!   delta, `delta.message.content.thinking` (a reasoning model's block) →
//!   reasoning;
//! - `tool-plan-delta`: `delta.message.tool_plan`, the plan the model
//!   writes before its calls → reasoning (sent back as `tool_plan`);
//! - `tool-call-start` (`id`, `function.name`, maybe a first piece of
//!   `function.arguments`), `tool-call-delta` (a piece of the arguments),
//!   keyed by the event's `index`, and `tool-call-end`, which ends the call
//!   (Cohere streams calls one after another, so it ends the open one);
//! - `message-end`: `delta.usage` and `delta.finish_reason` (`TOOL_CALL`
//!   → tool calls); `ERROR` (with `delta.error`, the spec's in-stream
//!   failure) and `TIMEOUT` end the stream with an error instead;
//! - an `error` event, or an unnamed event without a `type` that has the
//!   error body's `message`: an error (undocumented; read rather than
//!   skipped, so the provider's words reach the caller).
//!
//! `message-start`, `content-end`, `citation-*` and `debug` carry nothing
//! yat keeps; anything newer is logged at debug level and skipped. Usage
//! comes from `tokens` (what the model read and wrote), falling back to
//! `billed_units`, with `cached_tokens` kept apart as cache reads.
//!
//! The stream ends with a `data: [DONE]` after `message-end`, but the reply
//! is complete at `message-end`: reading stops there, so a body that ends
//! right after it is complete too, and nothing after it is read. A body
//! that ends before it, or inside an event, was cut, and so is a `[DONE]`
//! with no `message-end` before it.

use std::borrow::Cow;
use std::collections::VecDeque;

use yat_core::assemble::ReplyState;
use yat_core::{ChatEvent, Failure, Finish, FinishReason, YatError};

use super::error::parse_error;
use super::wire::{ContentDelta, EventType, MessageEnd, ToolCallEvent, ToolPlanDelta};
use yat_http::{classify, ErrorBody, JsonText, SseEvent, Step, StreamDecoder};

/// What is missing when the stream ends early.
const NO_END: &str = "no message-end";

/// Maps a `finish_reason` to the normalised reason. `ERROR` and `TIMEOUT`
/// never reach a finish (they become errors); unknown values are
/// [`FinishReason::Other`]. The spec writes the values in capitals, one
/// schema copy in lower case: both are accepted.
pub fn finish_reason(raw: &str) -> FinishReason {
    const TABLE: &[(&str, FinishReason)] = &[
        ("COMPLETE", FinishReason::Stop),
        ("STOP_SEQUENCE", FinishReason::StopSequence),
        ("MAX_TOKENS", FinishReason::Length),
        ("TOOL_CALL", FinishReason::ToolCalls),
        ("ERROR", FinishReason::Error),
    ];
    TABLE
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(raw))
        .map_or(FinishReason::Other, |(_, r)| *r)
}

/// The decoder of one Cohere stream.
pub struct CohereDecoder {
    reply: ReplyState,
}

impl CohereDecoder {
    /// A decoder for `provider`'s stream.
    pub fn new(provider: &str) -> Self {
        CohereDecoder {
            reply: ReplyState::new(provider),
        }
    }

    fn provider(&self) -> &str {
        self.reply.provider()
    }

    fn malformed(&self, what: &str, e: serde_json::Error, data: &str) -> YatError {
        if e.is_eof() {
            // The JSON stops short: the body ended inside this event.
            return YatError::network(
                self.provider(),
                format!("the stream ended inside a {what} event (cut short)"),
            );
        }
        self.reply
            .malformed(format!("invalid {what} event: {e}"), data.as_bytes())
    }

    /// An error event: read like an error body, as a server-side failure
    /// unless its message says more (a context overflow, an overload).
    fn error_event(&self, data: &str) -> YatError {
        classify(
            self.provider(),
            500,
            &Default::default(),
            data.as_bytes(),
            parse_error(data.as_bytes()),
        )
    }

    fn content(&self, data: &str, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let d: ContentDelta =
            serde_json::from_str(data).map_err(|e| self.malformed("content", e, data))?;
        let content = d.content();
        if let Some(text) = content.thinking.filter(|t| !t.is_empty()) {
            out.push_back(ChatEvent::ReasoningDelta {
                text: text.into_string(),
            });
        }
        if let Some(text) = content.text.filter(|t| !t.is_empty()) {
            out.push_back(ChatEvent::Delta {
                text: text.into_string(),
            });
        }
        Ok(())
    }

    fn tool_plan(&self, data: &str, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let d: ToolPlanDelta =
            serde_json::from_str(data).map_err(|e| self.malformed("tool-plan-delta", e, data))?;
        if let Some(text) = d.text().filter(|t| !t.is_empty()) {
            out.push_back(ChatEvent::ReasoningDelta {
                text: text.into_string(),
            });
        }
        Ok(())
    }

    /// `tool-call-start` and `tool-call-delta`: a fragment of the call at
    /// the event's `index`. A delta before its call started is refused by
    /// the assembler, as a malformed response.
    fn tool_call(
        &mut self,
        what: &str,
        data: &str,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<(), YatError> {
        let e: ToolCallEvent =
            serde_json::from_str(data).map_err(|e| self.malformed(what, e, data))?;
        let (index, call) = e.call();
        let function = call.function.unwrap_or_default();
        self.reply.tools.fragment(
            index,
            call.id.as_deref(),
            function.name.as_deref(),
            function.arguments.as_deref(),
            out,
        )
    }

    fn message_end(&mut self, data: &str, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let end: MessageEnd =
            serde_json::from_str(data).map_err(|e| self.malformed("message-end", e, data))?;
        let delta = end.delta.unwrap_or_default();
        let raw = delta.finish_reason;
        match raw.as_deref() {
            Some(r) if r.eq_ignore_ascii_case("ERROR") => {
                // The spec's in-stream failure: `delta.error` holds the
                // message. Read it like an error body so a "too many
                // tokens" or an overload is still told apart.
                let message = delta
                    .error
                    .map(JsonText::into_string)
                    .unwrap_or_else(|| "the model reported an error (finish_reason ERROR)".into());
                let body = ErrorBody::new(Some(message));
                return Err(classify(
                    self.provider(),
                    500,
                    &Default::default(),
                    data.as_bytes(),
                    body,
                ));
            }
            Some(r) if r.eq_ignore_ascii_case("TIMEOUT") => {
                // Cohere's own generation deadline, not one of ours: a
                // retryable server-side failure.
                return Err(YatError::Server(Failure::new(
                    self.provider(),
                    "the model timed out while generating (finish_reason TIMEOUT)",
                )));
            }
            _ => {}
        }
        if let Some(u) = delta.usage {
            self.reply.usage(u.usage());
        }
        if let Some(r) = raw {
            self.reply
                .finish(Finish::new(finish_reason(&r), r.into_string()));
        }
        // Without a reason the shared default applies: tool calls if any
        // were made, else stop.
        self.reply.complete(out)
    }
}

impl StreamDecoder for CohereDecoder {
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let data = event.data;
        if data == "[DONE]" {
            self.reply.cut(out, NO_END)?;
            return Ok(Step::Done);
        }
        if self.reply.is_complete() || data.trim_ascii().is_empty() {
            return Ok(Step::Continue);
        }
        let kind: Cow<'_, str> = if !event.event.is_empty() && event.event != "message" {
            Cow::Borrowed(event.event)
        } else {
            let t: EventType =
                serde_json::from_str(data).map_err(|e| self.malformed("stream", e, data))?;
            match t.kind {
                Some(k) => k.0,
                // No type but a message: the error body's shape, sent
                // after the 200 (how Cohere reports other mid-stream
                // failures is not documented; this is the likely form).
                None if t.message.is_some() => Cow::Borrowed("error"),
                None => Cow::Borrowed(""),
            }
        };
        match &*kind {
            "content-delta" | "content-start" => self.content(data, out)?,
            "tool-plan-delta" => self.tool_plan(data, out)?,
            "tool-call-start" | "tool-call-delta" => self.tool_call(&kind, data, out)?,
            // Calls stream one after another, so the end of one is the end
            // of every call still open; its arguments are parsed here.
            "tool-call-end" => self.reply.tools.end_all(out)?,
            // The reply is complete at `message-end`, whose finish must stay
            // the last event: stop reading there, so that nothing after it
            // (a broken tail, a stall before `[DONE]`) can follow the finish
            // with an error.
            "message-end" => {
                self.message_end(data, out)?;
                return Ok(Step::Done);
            }
            "error" => return Err(self.error_event(data)),
            "message-start" | "content-end" | "citation-start" | "citation-end" | "debug" => {}
            other => tracing::debug!(event = other, "cohere: skipping an unknown stream event"),
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        self.reply.cut(out, NO_END)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transcript_run::{self, delta, run_sized, Documented, End, Run};
    use yat_core::Usage;

    /// The documented transcript (shared/wire-formats.md §4), byte for byte.
    const TRANSCRIPT: &str = "event: message-start\ndata: {\"type\":\"message-start\",\"id\":\"29f14a5a-11de-4cae-9800-25e4747408ea\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\nevent: content-start\ndata: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}\n\nevent: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"LL\"}}}}\n\nevent: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Ms\"}}}}\n\nevent: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\" stand\"}}}}\n\nevent: content-end\ndata: {\"type\":\"content-end\",\"index\":0}\n\nevent: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"billed_units\":{\"input_tokens\":5,\"output_tokens\":26},\"tokens\":{\"input_tokens\":71,\"output_tokens\":26}}}}\n\ndata: [DONE]\n\n";

    fn run_pieces(pieces: &[&[u8]]) -> Run {
        transcript_run::run_pieces("cohere", CohereDecoder::new("cohere"), pieces)
    }

    fn run(bytes: &[u8], size: usize) -> Run {
        run_sized("cohere", CohereDecoder::new("cohere"), bytes, size)
    }

    fn expected() -> Vec<ChatEvent> {
        vec![
            delta("LL"),
            delta("Ms"),
            delta(" stand"),
            ChatEvent::Usage(Usage::new(71, 26)),
            ChatEvent::Finish(Finish::new(FinishReason::Stop, "COMPLETE")),
        ]
    }

    /// The documented transcript's row of the table every SSE format is
    /// checked against.
    pub(crate) fn documented() -> Documented {
        Documented {
            format: "cohere",
            run: run_pieces,
            transcript: TRANSCRIPT,
            expected: expected(),
            end: End::Done,
            finish_reasons: &[
                ("COMPLETE", FinishReason::Stop),
                ("STOP_SEQUENCE", FinishReason::StopSequence),
                ("MAX_TOKENS", FinishReason::Length),
                ("TOOL_CALL", FinishReason::ToolCalls),
                ("max_tokens", FinishReason::Length),
                ("SOMETHING_NEW", FinishReason::Other),
            ],
            rich: RICH,
            rich_expected: rich_events(),
        }
    }

    #[test]
    fn a_body_ending_right_after_message_end_is_complete() {
        let no_done = TRANSCRIPT.strip_suffix("data: [DONE]\n\n").unwrap();
        let (events, end, _) = run(no_done.as_bytes(), 1);
        assert_eq!((events, end), (expected(), End::Done));
    }

    #[test]
    fn nothing_after_message_end_can_follow_its_finish_with_an_error() {
        // Found by fuzz/fuzz_targets/stream_cohere.rs: a broken tail after
        // `message-end` (here invalid UTF-8 before `[DONE]`) gave the
        // caller the finish and then an error.
        let no_done = TRANSCRIPT.strip_suffix("data: [DONE]\n\n").unwrap();
        for tail in [
            &b"data: [DONE]\ndata: \xFF\xFF\n\n"[..],
            b"data: {not json\n\n",
            b"event: error\ndata: {\"message\":\"late\"}\n\n",
        ] {
            let mut body = no_done.as_bytes().to_vec();
            body.extend_from_slice(tail);
            for size in [1, 7, usize::MAX] {
                let (events, end, err) = run(&body, size);
                assert!(err.is_none(), "{tail:?}: {err:?}");
                assert_eq!((events, end), (expected(), End::Done), "{tail:?}");
            }
        }
    }

    #[test]
    fn a_stream_cut_before_message_end_is_an_error_after_its_text() {
        let cut = &TRANSCRIPT[..TRANSCRIPT.find("event: content-end").unwrap()];
        let (events, end, _) = run(cut.as_bytes(), 1);
        assert_eq!(events, vec![delta("LL"), delta("Ms"), delta(" stand")]);
        assert_eq!(end, End::Failed("network".into()));
        // [DONE] without message-end is no complete reply either.
        let done_early = format!("{cut}data: [DONE]\n\n");
        assert_eq!(
            run(done_early.as_bytes(), 4).1,
            End::Failed("network".into())
        );
    }

    #[test]
    fn error_and_timeout_end_the_stream_with_typed_errors() {
        let head = &TRANSCRIPT[..TRANSCRIPT.find("event: content-end").unwrap()];
        let t = format!("{head}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"ERROR\",\"error\":\"internal error: the model is overloaded\"}}}}\n\ndata: [DONE]\n\n");
        let (events, end, err) = run(t.as_bytes(), 2);
        assert_eq!(events.len(), 3);
        assert_eq!(end, End::Failed("overloaded".into()));
        assert!(err
            .unwrap()
            .to_string()
            .contains("internal error: the model is overloaded"));
        let t = format!("{head}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"ERROR\",\"error\":\"boom\"}}}}\n\n");
        assert_eq!(run(t.as_bytes(), 9).1, End::Failed("server_error".into()));
        let t = format!("{head}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"TIMEOUT\"}}}}\n\n");
        let (_, end, err) = run(t.as_bytes(), 9);
        assert_eq!(end, End::Failed("server_error".into()));
        assert!(err.unwrap().is_retryable());
    }

    #[test]
    fn unknown_and_citation_events_are_ignored() {
        let extra = "event: citation-start\ndata: {\"type\":\"citation-start\",\"index\":0,\"delta\":{\"message\":{\"citations\":{\"start\":0,\"end\":2,\"text\":\"LL\",\"sources\":[]}}}}\n\nevent: debug\ndata: {\"type\":\"debug\",\"prompt\":\"...\"}\n\nevent: tool-call-end\ndata: {\"type\":\"tool-call-end\",\"index\":0}\n\nevent: something-new\ndata: not even json\n\n: a comment\n\n";
        let at = TRANSCRIPT.find("event: content-end").unwrap();
        let t = format!("{}{extra}{}", &TRANSCRIPT[..at], &TRANSCRIPT[at..]);
        let (events, end, _) = run(t.as_bytes(), 1);
        assert_eq!((events, end), (expected(), End::Done));
    }

    #[test]
    fn multibyte_text_split_across_reads_arrives_whole() {
        let t = TRANSCRIPT.replace("\" stand\"", "\" st\u{e4}nd \u{1F600}\"");
        let at = t.find('\u{e4}').unwrap() + 1;
        let (events, _, _) = run(t.as_bytes(), at);
        assert_eq!(events[2], delta(" st\u{e4}nd \u{1F600}"));
        assert_eq!(run(t.as_bytes(), 1).0, events);
    }

    /// A longer reply in the documented shape (illustrative values): CRLF
    /// line ends, a citation pair, escapes and multi-byte text, the
    /// terminator.
    const RICH: &str = concat!(
        "event: message-start\r\ndata: {\"id\":\"c14c80c3-18eb-4519-9460-6c92edd8cfb4\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\",\"content\":[],\"tool_plan\":\"\",\"tool_calls\":[],\"citations\":[]}}}\r\n\r\n",
        "event: content-start\r\ndata: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}\r\n\r\n",
        "event: content-delta\r\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Caf\\u00e9 \\\"cr\\u00e8me\\\"\"}}}}\r\n\r\n",
        "event: content-delta\r\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\" \u{2014} \u{1F370}\\nbon app\\u00e9tit\"}}}}\r\n\r\n",
        "event: citation-start\r\ndata: {\"type\":\"citation-start\",\"index\":0,\"delta\":{\"message\":{\"citations\":{\"start\":0,\"end\":4,\"text\":\"Caf\\u00e9\",\"sources\":[{\"type\":\"document\",\"id\":\"doc:0\",\"document\":{\"id\":\"doc:0\",\"text\":\"...\"}}],\"type\":\"TEXT_CONTENT\"}}}}\r\n\r\n",
        "event: citation-end\r\ndata: {\"type\":\"citation-end\",\"index\":0}\r\n\r\n",
        "event: content-end\r\ndata: {\"type\":\"content-end\",\"index\":0}\r\n\r\n",
        "event: message-end\r\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"MAX_TOKENS\",\"usage\":{\"billed_units\":{\"input_tokens\":12,\"output_tokens\":9},\"tokens\":{\"input_tokens\":210,\"output_tokens\":9}}}}\r\n\r\n",
        "data: [DONE]\r\n\r\n",
    );

    fn rich_events() -> Vec<ChatEvent> {
        vec![
            delta("Caf\u{e9} \"cr\u{e8}me\""),
            delta(" \u{2014} \u{1F370}\nbon app\u{e9}tit"),
            ChatEvent::Usage(Usage::new(210, 9)),
            ChatEvent::Finish(Finish::new(FinishReason::Length, "MAX_TOKENS")),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Cut anywhere before `message-end` is whole, the transcript never
        /// passes for a complete reply.
        #[test]
        fn any_truncation_before_message_end_is_an_error(
            cut in 0..RICH.find("\"usage\"").unwrap(),
        ) {
            let (events, end, _) = run(&RICH.as_bytes()[..cut], 5);
            // A network error, or a malformed one where the cut split a
            // character (the SSE layer reports that).
            proptest::prop_assert!(
                matches!(&end, End::Failed(k) if k == "network" || k == "malformed_response"),
                "cut at {}: {:?}", cut, end
            );
            proptest::prop_assert!(!events.iter().any(|e| matches!(e, ChatEvent::Finish(_))));
        }
    }

    #[test]
    fn a_body_cut_inside_message_end_is_a_network_error() {
        let at = TRANSCRIPT.find("\"tokens\"").unwrap();
        let (events, end, err) = run(&TRANSCRIPT.as_bytes()[..at], 3);
        assert_eq!(events, vec![delta("LL"), delta("Ms"), delta(" stand")]);
        assert_eq!(end, End::Failed("network".into()));
        assert!(err.unwrap().to_string().contains("cut short"));
    }

    #[test]
    fn error_events_and_error_bodies_after_the_200_are_typed_errors() {
        let head = &TRANSCRIPT[..TRANSCRIPT.find("event: content-end").unwrap()];
        // An unnamed event with the error body's shape.
        let t =
            format!("{head}data: {{\"id\":\"5d1b\",\"message\":\"internal server error\"}}\n\n");
        let (events, end, err) = run(t.as_bytes(), 6);
        assert_eq!(events.len(), 3);
        assert_eq!(end, End::Failed("server_error".into()));
        assert!(err.unwrap().to_string().contains("internal server error"));
        // A named `error` event whose message tells more.
        let t = format!("{head}event: error\ndata: {{\"message\":\"too many tokens: size limit exceeded by 1021 tokens\"}}\n\n");
        assert_eq!(
            run(t.as_bytes(), 6).1,
            End::Failed("context_length_exceeded".into())
        );
    }

    #[test]
    fn message_end_without_usage_or_reason_still_finishes() {
        let t = "event: content-delta\ndata: {\"type\":\"content-delta\",\"delta\":{\"message\":{\"content\":{\"text\":\"hi\"}}}}\n\nevent: message-end\ndata: {\"type\":\"message-end\",\"delta\":{}}\n\ndata: [DONE]\n\n";
        let (events, end, _) = run(t.as_bytes(), 4);
        assert_eq!(end, End::Done);
        assert_eq!(
            events,
            vec![
                delta("hi"),
                ChatEvent::Finish(Finish::reason(FinishReason::Stop))
            ]
        );
    }

    #[test]
    fn thinking_deltas_are_reasoning_not_reply_text() {
        let t = "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"thinking\":\"Let me see.\"}}}}\n\nevent: content-delta\ndata: {\"type\":\"content-delta\",\"index\":1,\"delta\":{\"message\":{\"content\":{\"text\":\"Yes.\"}}}}\n\nevent: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\"}}\n\ndata: [DONE]\n\n";
        let (events, end, _) = run(t.as_bytes(), 7);
        assert_eq!(end, End::Done);
        assert_eq!(
            events,
            vec![
                ChatEvent::ReasoningDelta {
                    text: "Let me see.".into()
                },
                delta("Yes."),
                ChatEvent::Finish(Finish::new(FinishReason::Stop, "COMPLETE")),
            ]
        );
    }

    #[test]
    fn garbage_in_a_known_event_is_a_malformed_response() {
        let t = "event: content-delta\ndata: {\"type\":\"content-delta\",\"delta\":[1,2]}\n\n";
        assert_eq!(
            run(t.as_bytes(), usize::MAX).1,
            End::Failed("malformed_response".into())
        );
        let t = "data: not json\n\n";
        assert_eq!(
            run(t.as_bytes(), usize::MAX).1,
            End::Failed("malformed_response".into())
        );
    }
}

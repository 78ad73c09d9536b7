//! Messages stream → chat events.
//!
//! Every event is named (`event: content_block_delta`) and its `data:` JSON
//! repeats the name in `type`; the name is read from the `event:` line when
//! there is one and from `type` otherwise. The documented flow is
//! `message_start`, then per content block `content_block_start`,
//! `content_block_delta`s and `content_block_stop`, then `message_delta`s,
//! then `message_stop`, with `ping`s anywhere:
//!
//! - `message_start`: `message.usage` holds the input counts (and cache
//!   counts) and a provisional `output_tokens`;
//! - `content_block_start` of a `text` block, and `content_block_delta` of
//!   type `text_delta` → a delta. The other delta types belong to blocks
//!   that are not the reply's text: `thinking_delta` and `signature_delta`
//!   (extended thinking; yat has no event for reasoning), `input_json_delta`
//!   (tool input), `citations_delta`; they are skipped;
//! - `message_delta`: `delta.stop_reason` and the usage, which is
//!   cumulative: the latest count replaces the earlier one;
//! - `message_stop`: usage, then the finish, which is always last; the
//!   stream is done;
//! - `error`: the error body's shape, mapped like an HTTP error of the
//!   status its `error.type` stands for (an `overloaded_error` is a 529);
//! - `ping` and any event type this version does not know are skipped, as
//!   the docs ask ("handle unknown event types gracefully").
//!
//! A body that ends before `message_stop` was cut, even after a
//! `message_delta` with a stop reason: it is an error, never a short reply.

use std::borrow::Cow;
use std::collections::VecDeque;

use yat_core::{ChatEvent, Finish, FinishReason, Usage, YatError};

use super::error::{parse_error, stream_status};
use super::wire::{
    ContentBlockDelta, ContentBlockStart, EventType, MessageDelta, MessageStart, WireUsage,
};
use crate::http::{classify, JsonText, SseEvent, Step, StreamDecoder};

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

/// The decoder of one Anthropic stream.
pub struct AnthropicDecoder {
    provider: String,
    usage: WireUsage,
    finish: Option<Finish>,
    /// `message_stop` was decoded: the reply is complete.
    done: bool,
}

impl AnthropicDecoder {
    /// A decoder for `provider`'s stream.
    pub fn new(provider: &str) -> Self {
        AnthropicDecoder {
            provider: provider.to_owned(),
            usage: WireUsage::default(),
            finish: None,
            done: false,
        }
    }

    fn malformed(&self, what: &str, e: serde_json::Error, data: &str) -> YatError {
        YatError::malformed(
            &self.provider,
            format!("invalid {what} event: {e}"),
            data.as_bytes(),
        )
    }

    fn text(out: &mut VecDeque<ChatEvent>, text: Option<JsonText<'_>>) {
        if let Some(t) = text {
            out.push_back(ChatEvent::Delta {
                text: t.into_string(),
            });
        }
    }

    fn complete(&mut self, out: &mut VecDeque<ChatEvent>) {
        self.done = true;
        if self.usage.is_known() {
            let (input_tokens, output_tokens) = self.usage.counts();
            out.push_back(ChatEvent::Usage(Usage::new(input_tokens, output_tokens)));
        }
        let finish = self
            .finish
            .take()
            .unwrap_or(Finish::reason(FinishReason::Stop));
        out.push_back(ChatEvent::Finish(finish));
    }

    fn in_stream_error(&self, data: &str) -> YatError {
        let bytes = data.as_bytes();
        classify(
            &self.provider,
            stream_status(bytes),
            &Default::default(),
            bytes,
            parse_error(bytes),
        )
    }
}

impl StreamDecoder for AnthropicDecoder {
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let data = event.data;
        if self.done {
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
            "content_block_delta" => {
                let d: ContentBlockDelta = serde_json::from_str(data)
                    .map_err(|e| self.malformed("content_block_delta", e, data))?;
                Self::text(out, d.delta.and_then(|d| d.text_if("text_delta")));
            }
            "content_block_start" => {
                // Documented with empty text, but a block may open with some.
                let s: ContentBlockStart = serde_json::from_str(data)
                    .map_err(|e| self.malformed("content_block_start", e, data))?;
                Self::text(out, s.content_block.and_then(|b| b.text_if("text")));
            }
            "message_start" => {
                let s: MessageStart = serde_json::from_str(data)
                    .map_err(|e| self.malformed("message_start", e, data))?;
                if let Some(u) = s.message.and_then(|m| m.usage) {
                    self.usage.update(u);
                }
            }
            "message_delta" => {
                let d: MessageDelta = serde_json::from_str(data)
                    .map_err(|e| self.malformed("message_delta", e, data))?;
                if let Some(u) = d.usage {
                    self.usage.update(u);
                }
                if let Some(raw) = d.delta.and_then(|d| d.stop_reason) {
                    self.finish = Some(Finish::new(finish_reason(&raw), raw.into_string()));
                }
            }
            "message_stop" => {
                self.complete(out);
                return Ok(Step::Done);
            }
            "error" => return Err(self.in_stream_error(data)),
            // `ping`, `content_block_stop`, and whatever comes next.
            _ => {}
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, _out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        if self.done {
            return Ok(());
        }
        Err(YatError::Network {
            provider: self.provider.clone(),
            message: "the stream ended before the reply was complete (no message_stop)".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::SseDecoder;
    use proptest::prelude::*;

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

    /// What the decoder made of a body, and how it ended.
    #[derive(Debug, PartialEq)]
    enum End {
        Done,
        Eof,
        Failed(String),
    }

    /// Feeds `pieces` through the SSE decoder and the Anthropic decoder, as
    /// the transport does, and then ends the body.
    fn run_pieces(pieces: &[&[u8]]) -> (Vec<ChatEvent>, End, Option<YatError>) {
        let mut sse = SseDecoder::new();
        let mut dec = AnthropicDecoder::new("anthropic");
        let mut out = VecDeque::new();
        let fail = |out: VecDeque<ChatEvent>, e: YatError| {
            (out.into(), End::Failed(e.kind().into()), Some(e))
        };
        for piece in pieces {
            sse.feed(piece);
            while let Some(ev) = sse.next_event() {
                match dec.decode(&ev.unwrap(), &mut out) {
                    Err(e) => return fail(out, e),
                    Ok(Step::Done) => return (out.into(), End::Done, None),
                    Ok(Step::Continue) => {}
                }
            }
        }
        if let Some(last) = sse.finish() {
            match dec.decode(&last.unwrap(), &mut out) {
                Err(e) => return fail(out, e),
                Ok(Step::Done) => return (out.into(), End::Done, None),
                Ok(Step::Continue) => {}
            }
        }
        match dec.end_of_body(&mut out) {
            Err(e) => fail(out, e),
            Ok(()) => (out.into(), End::Eof, None),
        }
    }

    fn run(bytes: &[u8], size: usize) -> (Vec<ChatEvent>, End, Option<YatError>) {
        let pieces: Vec<&[u8]> = bytes.chunks(size.max(1)).collect();
        run_pieces(&pieces)
    }

    /// `bytes` cut at each of `points` (taken modulo its length).
    fn split_at_points<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
        let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut pieces = Vec::with_capacity(cuts.len() + 1);
        let mut start = 0;
        for c in cuts {
            pieces.push(&bytes[start..c]);
            start = c;
        }
        pieces.push(&bytes[start..]);
        pieces
    }

    fn delta(t: &str) -> ChatEvent {
        ChatEvent::Delta { text: t.into() }
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
        vec![
            delta("27 \u{d7} 453 "),
            delta("= 12,231 \u{2014} \"d\u{f6}ne\" \u{1F600}\n"),
            usage(2799, 89),
            ChatEvent::Finish(Finish::new(FinishReason::ToolCalls, "tool_use")),
        ]
    }

    #[test]
    fn documented_transcript_gives_exact_events_however_it_is_cut() {
        for size in [usize::MAX, 1, 2, 3, 7, 64] {
            let (events, end, err) = run(TRANSCRIPT.as_bytes(), size);
            assert!(err.is_none(), "size {size}: {err:?}");
            assert_eq!((events, end), (expected(), End::Done), "size {size}");
        }
        let crlf = TRANSCRIPT.replace('\n', "\r\n");
        assert_eq!(run(crlf.as_bytes(), 3).0, expected());
        let cr = TRANSCRIPT.replace('\n', "\r");
        assert_eq!(run(cr.as_bytes(), 5).0, expected());
    }

    #[test]
    fn thinking_tool_input_pings_and_unknown_events_are_skipped() {
        let (events, end, err) = run(RICH.as_bytes(), usize::MAX);
        assert!(err.is_none(), "{err:?}");
        assert_eq!((events, end), (rich_expected(), End::Done));
    }

    #[test]
    fn events_without_names_are_told_by_their_type() {
        let unnamed: String = TRANSCRIPT
            .lines()
            .filter(|l| !l.starts_with("event:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let (events, end, _) = run(unnamed.as_bytes(), 7);
        assert_eq!((events, end), (expected(), End::Done));
    }

    #[test]
    fn stop_reasons_are_mapped_and_raw_kept() {
        for (raw, reason) in [
            ("end_turn", FinishReason::Stop),
            ("stop_sequence", FinishReason::StopSequence),
            ("max_tokens", FinishReason::Length),
            ("model_context_window_exceeded", FinishReason::Length),
            ("tool_use", FinishReason::ToolCalls),
            ("refusal", FinishReason::ContentFilter),
            ("pause_turn", FinishReason::Other),
            ("something_new", FinishReason::Other),
        ] {
            let t = TRANSCRIPT.replace("\"end_turn\"", &format!("\"{raw}\""));
            let (events, end, _) = run(t.as_bytes(), usize::MAX);
            assert_eq!(end, End::Done, "{raw}");
            assert_eq!(
                events.last(),
                Some(&ChatEvent::Finish(Finish::new(reason, raw))),
                "{raw}"
            );
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
        let ev = |event, data| SseEvent {
            event,
            data,
            id: None,
            retry: None,
        };
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_split_of_a_realistic_transcript_gives_the_same_events(
            points in prop::collection::vec(0usize..4096, 0..24),
            crlf in any::<bool>(),
        ) {
            let body = if crlf { RICH.replace('\n', "\r\n") } else { RICH.to_owned() };
            let pieces = split_at_points(body.as_bytes(), &points);
            let (events, end, err) = run_pieces(&pieces);
            prop_assert!(err.is_none(), "{:?}", err);
            prop_assert_eq!(end, End::Done);
            prop_assert_eq!(events, rich_expected());
        }
    }
}

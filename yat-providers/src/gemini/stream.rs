//! `streamGenerateContent?alt=sse` → chat events.
//!
//! Each SSE event is one `data:` line holding a whole
//! `GenerateContentResponse`; there are no event names and no end marker:
//! the body simply ends after the chunk with the final `finishReason`.
//! Early models repeat `finishReason` on every chunk, so its presence does
//! not end the stream either. The finish and the last `usageMetadata` seen
//! are therefore held until the body ends, then emitted: usage, then the
//! finish.
//!
//! Without an end marker, a cut is told from a complete reply by what the
//! decoder saw last (the transport also reports a connection that breaks
//! inside the HTTP framing):
//!
//! - no `finishReason` at all: cut;
//! - text after the last `finishReason`: cut (a finish is only final when no
//!   text follows it; early models put one on every chunk, including the
//!   last, so they pass);
//! - an event whose JSON stops short (the body ended inside it): cut.
//!
//! What cannot be told apart is an early model's stream cut exactly between
//! two events, since each of them carries a `finishReason`.
//!
//! Safety: a blocked prompt (`promptFeedback.blockReason`, no candidates) and
//! a reply withheld before any text (a safety-family `finishReason` with
//! nothing said) are [`YatError::ContentBlocked`]: the caller gets nothing
//! either way. A reply stopped for safety after some text ends normally with
//! [`FinishReason::ContentFilter`], the raw value kept.
//!
//! Usage: `input_tokens` is `promptTokenCount + toolUsePromptTokenCount`,
//! `output_tokens` is `candidatesTokenCount + thoughtsTokenCount`. Gemini
//! counts a thinking model's reasoning apart from the reply, but bills both
//! as output ("output price (including thinking tokens)"), which is what
//! OpenAI's `completion_tokens` and Anthropic's `output_tokens` count too;
//! so yat's numbers mean the same thing for every provider, and they add up
//! to Gemini's `totalTokenCount`.

use std::collections::VecDeque;

use yat_core::{ChatEvent, Failure, Finish, FinishReason, Usage, YatError};

use super::error::{parse_error, status_code};
use super::wire::Chunk;
use crate::http::{classify, SseEvent, Step, StreamDecoder};

/// Maps a `finishReason` to the normalised reason.
///
/// The safety and recitation family (including the image model's
/// `IMAGE_SAFETY`, `IMAGE_PROHIBITED_CONTENT` and `IMAGE_RECITATION`) means
/// content was withheld; `LANGUAGE`, `OTHER`, `MALFORMED_FUNCTION_CALL`,
/// tool-call limits, `FINISH_REASON_UNSPECIFIED` and anything newer are
/// [`FinishReason::Other`], with the raw value kept in [`Finish::raw`].
///
/// ```
/// use yat_core::FinishReason;
/// use yat_providers::gemini::stream::finish_reason;
/// assert_eq!(finish_reason("MAX_TOKENS"), FinishReason::Length);
/// assert_eq!(finish_reason("PROHIBITED_CONTENT"), FinishReason::ContentFilter);
/// assert_eq!(finish_reason("SOMETHING_NEW"), FinishReason::Other);
/// ```
pub fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

/// The decoder of one Gemini stream.
pub struct GeminiDecoder {
    provider: String,
    /// The latest `finishReason`, forgotten when text follows it.
    finish: Option<Finish>,
    /// `finishMessage` of that finish, when the API explained it.
    finish_message: Option<String>,
    /// The last `usageMetadata` seen (running totals: the last one wins).
    usage: Option<Usage>,
    /// Whether any reply text has been emitted.
    said_something: bool,
}

impl GeminiDecoder {
    /// A decoder for `provider`'s stream (`gemini`, or `google` for the alias).
    pub fn new(provider: &str) -> Self {
        GeminiDecoder {
            provider: provider.to_owned(),
            finish: None,
            finish_message: None,
            usage: None,
            said_something: false,
        }
    }

    fn in_stream_error(&self, data: &str) -> YatError {
        let body = parse_error(data.as_bytes());
        let status = status_code(data.as_bytes())
            .filter(|s| (400..600).contains(s))
            .unwrap_or(500);
        classify(
            &self.provider,
            status,
            &Default::default(),
            data.as_bytes(),
            body,
        )
    }

    fn cut(&self, why: &str) -> YatError {
        YatError::Network {
            provider: self.provider.clone(),
            message: format!("the stream ended before the reply was complete ({why})"),
        }
    }
}

impl StreamDecoder for GeminiDecoder {
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let data = event.data;
        if data.trim_ascii().is_empty() {
            return Ok(Step::Continue);
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
            if e.is_eof() {
                // The JSON stops short: the body ended inside this event.
                self.cut("the last event is cut short")
            } else {
                YatError::malformed(
                    &self.provider,
                    format!("invalid chunk: {e}"),
                    data.as_bytes(),
                )
            }
        })?;
        if chunk.error.is_some() {
            // The SDK treats a chunk with a top-level `error` as a failure
            // with the HTTP error body's shape; its `code` is the status.
            return Err(self.in_stream_error(data));
        }
        if let Some(reason) = chunk.prompt_feedback.and_then(|f| f.block_reason) {
            // A blocked prompt has no candidates at all: nothing will come.
            return Err(YatError::ContentBlocked(Failure::new(
                &self.provider,
                format!("the prompt was blocked (blockReason {})", reason.as_str()),
            )));
        }
        if let Some(u) = chunk.usage_metadata {
            // Saturating: counts near `u64::MAX` from a broken server
            // must not overflow (a panic in debug builds).
            self.usage = Some(Usage::new(
                u.prompt_token_count
                    .saturating_add(u.tool_use_prompt_token_count),
                u.candidates_token_count
                    .saturating_add(u.thoughts_token_count),
            ));
        }
        if let Some(candidate) = chunk.candidates.0 {
            if let Some(content) = candidate.content {
                let text = content.parts.0;
                if !text.is_empty() {
                    // Text after a finish: that finish was not the last word.
                    self.finish = None;
                    self.finish_message = None;
                    self.said_something = true;
                    out.push_back(ChatEvent::Delta { text });
                }
            }
            if let Some(raw) = candidate.finish_reason {
                self.finish = Some(Finish::new(finish_reason(&raw), raw.into_string()));
                self.finish_message = candidate.finish_message.map(|m| m.into_string());
            }
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let Some(finish) = self.finish.take() else {
            return Err(if self.said_something {
                self.cut("no finishReason after the last text")
            } else {
                self.cut("no finishReason")
            });
        };
        if finish.reason == FinishReason::ContentFilter && !self.said_something {
            let raw = finish.raw.as_deref().unwrap_or_default();
            let mut message = format!("the reply was withheld (finishReason {raw})");
            if let Some(m) = self.finish_message.take().filter(|m| !m.is_empty()) {
                message.push_str(": ");
                message.push_str(&m);
            }
            return Err(YatError::ContentBlocked(Failure::new(
                &self.provider,
                message,
            )));
        }
        if let Some(u) = self.usage.take() {
            out.push_back(ChatEvent::Usage(u));
        }
        out.push_back(ChatEvent::Finish(finish));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::SseDecoder;
    use proptest::prelude::*;

    /// The documented transcript (shared/wire-formats.md §3), byte for byte.
    const TRANSCRIPT: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"totalTokenCount\": 6},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\n\ndata: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"! How can I help today?\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"totalTokenCount\": 6},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\n\ndata: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"candidatesTokenCount\": 8,\"totalTokenCount\": 14},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\n\n";

    /// A thinking model's reply as the API sends it (illustrative values, the
    /// documented shape): CRLF line ends as in Google's own output, a thought
    /// summary first, escapes and multi-byte text, safety ratings and running
    /// usage on every chunk, the finish on the last.
    const THINKING: &str = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"**Greeting the user**\\n\\nA short, friendly answer.\",\"thought\": true}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 41,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}],\"thoughtsTokenCount\": 32},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"p1VRaYqKM9yXz7IPzs2H8AE\"}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Grüß dich! \\\"Hallo\\\" \u{1F44B}\"}],\"role\": \"model\"},\"index\": 0,\"safetyRatings\": [{\"category\": \"HARM_CATEGORY_HARASSMENT\",\"probability\": \"NEGLIGIBLE\"}]}],\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 41,\"thoughtsTokenCount\": 32},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"p1VRaYqKM9yXz7IPzs2H8AE\"}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\\nWie kann ich helfen?\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 12,\"totalTokenCount\": 53,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}],\"thoughtsTokenCount\": 32},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"p1VRaYqKM9yXz7IPzs2H8AE\"}\r\n\r\n",
    );

    fn thinking_events() -> Vec<ChatEvent> {
        vec![
            delta("Grüß dich! \"Hallo\" \u{1F44B}"),
            delta("\nWie kann ich helfen?"),
            ChatEvent::Usage(Usage::new(9, 44)),
            ChatEvent::Finish(Finish::new(FinishReason::Stop, "STOP")),
        ]
    }

    /// What the transport makes of an SSE-level error (invalid UTF-8, as a
    /// cut inside a character leaves at the end of the body).
    fn broken(e: crate::http::SseError) -> YatError {
        YatError::malformed("gemini", format!("broken event stream: {e}"), b"")
    }

    /// Feeds `pieces` through the SSE decoder and the Gemini decoder, as the
    /// transport does, and then ends the body.
    fn run_pieces(pieces: &[&[u8]]) -> (Vec<ChatEvent>, Option<YatError>) {
        let mut sse = SseDecoder::new();
        let mut dec = GeminiDecoder::new("gemini");
        let mut out = VecDeque::new();
        for piece in pieces {
            sse.feed(piece);
            while let Some(ev) = sse.next_event() {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(e) => return (out.into(), Some(broken(e))),
                };
                if let Err(e) = dec.decode(&ev, &mut out) {
                    return (out.into(), Some(e));
                }
            }
        }
        if let Some(last) = sse.finish() {
            let last = match last {
                Ok(ev) => ev,
                Err(e) => return (out.into(), Some(broken(e))),
            };
            if let Err(e) = dec.decode(&last, &mut out) {
                return (out.into(), Some(e));
            }
        }
        let end = dec.end_of_body(&mut out).err();
        (out.into(), end)
    }

    /// [`run_pieces`] with pieces of `size` bytes.
    fn run(bytes: &[u8], size: usize) -> (Vec<ChatEvent>, Option<YatError>) {
        let pieces: Vec<&[u8]> = bytes.chunks(size.max(1)).collect();
        run_pieces(&pieces)
    }

    fn delta(t: &str) -> ChatEvent {
        ChatEvent::Delta { text: t.into() }
    }

    /// One chunk with `text` and, if given, a `finishReason`.
    fn chunk(text: &str, finish: Option<&str>) -> String {
        let finish = finish
            .map(|f| format!(",\"finishReason\":\"{f}\""))
            .unwrap_or_default();
        format!(
            "data: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"{text}\"}}],\"role\":\"model\"}}{finish},\"index\":0}}]}}\n\n"
        )
    }

    #[test]
    fn documented_transcript_gives_exact_events_however_it_is_cut() {
        let expected = vec![
            delta("Hello"),
            delta("! How can I help today?"),
            ChatEvent::Usage(Usage::new(6, 8)),
            ChatEvent::Finish(Finish::new(FinishReason::Stop, "STOP")),
        ];
        for size in [usize::MAX, 1, 2, 3, 7, 64] {
            let (events, err) = run(TRANSCRIPT.as_bytes(), size);
            assert!(err.is_none(), "size {size}: {err:?}");
            assert_eq!(events, expected, "size {size}");
        }
        // Official output shows CRLF line ends; a lone CR ends lines too.
        for eol in ["\r\n", "\r"] {
            let other = TRANSCRIPT.replace('\n', eol);
            let (events, err) = run(other.as_bytes(), 1);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(events, expected);
        }
        // Some servers leave out the blank line after the last event.
        let (events, err) = run(TRANSCRIPT.trim_end().as_bytes(), 5);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(events, expected);
    }

    #[test]
    fn huge_token_counts_saturate_instead_of_overflowing() {
        // Overflowed (a panic in debug builds) before.
        let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":18446744073709551615,\"toolUsePromptTokenCount\":2,\"candidatesTokenCount\":18446744073709551615,\"thoughtsTokenCount\":1}}\n\n";
        let (events, err) = run(t.as_bytes(), 7);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(events[1], ChatEvent::Usage(Usage::new(u64::MAX, u64::MAX)));
    }

    #[test]
    fn thinking_transcript_skips_thoughts_and_counts_them_as_output() {
        let (events, err) = run(THINKING.as_bytes(), usize::MAX);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(events, thinking_events());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// However the network cuts the body (inside a CRLF, inside a
        /// multi-byte character, inside a JSON escape), the events are the
        /// same.
        #[test]
        fn any_split_of_a_realistic_transcript_gives_the_same_events(
            mut points in prop::collection::vec(0..THINKING.len(), 0..24),
        ) {
            points.sort_unstable();
            points.dedup();
            let bytes = THINKING.as_bytes();
            let mut pieces = Vec::with_capacity(points.len() + 1);
            let mut at = 0;
            for p in points {
                pieces.push(&bytes[at..p]);
                at = p;
            }
            pieces.push(&bytes[at..]);
            let (events, err) = run_pieces(&pieces);
            prop_assert!(err.is_none(), "{:?}", err);
            prop_assert_eq!(events, thinking_events());
        }

        /// Cut anywhere before its last byte, the transcript never passes
        /// for a complete reply: it ends in an error, never in a finish.
        #[test]
        fn any_truncation_is_an_error_not_a_short_reply(cut in 0..THINKING.len() - 4) {
            let (events, err) = run(&THINKING.as_bytes()[..cut], 7);
            prop_assert!(err.is_some(), "cut at {}: {:?}", cut, events);
            prop_assert!(!events.iter().any(|e| matches!(e, ChatEvent::Finish(_))));
        }
    }

    #[test]
    fn text_split_inside_a_utf8_character_arrives_whole() {
        let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"h\u{e9}llo \u{1F30D}\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":2}}\n\n";
        let at = t.find('\u{e9}').unwrap() + 1;
        let (events, err) = run(t.as_bytes(), at);
        assert!(err.is_none());
        assert_eq!(events[0], delta("h\u{e9}llo \u{1F30D}"));
        assert_eq!(run(t.as_bytes(), 1).0, events);
    }

    #[test]
    fn finish_reasons_are_mapped_and_raw_kept() {
        for (raw, reason) in [
            ("STOP", FinishReason::Stop),
            ("MAX_TOKENS", FinishReason::Length),
            ("SAFETY", FinishReason::ContentFilter),
            ("RECITATION", FinishReason::ContentFilter),
            ("BLOCKLIST", FinishReason::ContentFilter),
            ("PROHIBITED_CONTENT", FinishReason::ContentFilter),
            ("SPII", FinishReason::ContentFilter),
            ("IMAGE_SAFETY", FinishReason::ContentFilter),
            ("IMAGE_PROHIBITED_CONTENT", FinishReason::ContentFilter),
            ("IMAGE_RECITATION", FinishReason::ContentFilter),
            ("LANGUAGE", FinishReason::Other),
            ("OTHER", FinishReason::Other),
            ("MALFORMED_FUNCTION_CALL", FinishReason::Other),
            ("UNEXPECTED_TOOL_CALL", FinishReason::Other),
            ("TOO_MANY_TOOL_CALLS", FinishReason::Other),
            ("NO_IMAGE", FinishReason::Other),
            ("IMAGE_OTHER", FinishReason::Other),
            ("FINISH_REASON_UNSPECIFIED", FinishReason::Other),
            ("SOMETHING_NEW", FinishReason::Other),
        ] {
            let t = chunk("x", Some(raw));
            let (events, err) = run(t.as_bytes(), usize::MAX);
            assert!(err.is_none(), "{raw}: {err:?}");
            assert_eq!(
                events,
                vec![delta("x"), ChatEvent::Finish(Finish::new(reason, raw))],
                "{raw}"
            );
        }
    }

    #[test]
    fn early_models_repeat_the_finish_on_every_chunk() {
        let t = [
            chunk("One", Some("STOP")),
            chunk(" two", Some("STOP")),
            chunk(" three", Some("MAX_TOKENS")),
        ]
        .concat();
        let (events, err) = run(t.as_bytes(), 3);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(
            events,
            vec![
                delta("One"),
                delta(" two"),
                delta(" three"),
                ChatEvent::Finish(Finish::new(FinishReason::Length, "MAX_TOKENS")),
            ]
        );
    }

    #[test]
    fn text_after_the_last_finish_means_the_stream_was_cut() {
        // A finish that text follows was not the end; the body then ended
        // without another one.
        let t = [chunk("One", Some("STOP")), chunk(" two", None)].concat();
        let (events, err) = run(t.as_bytes(), 4);
        assert_eq!(events, vec![delta("One"), delta(" two")]);
        let err = err.unwrap();
        assert_eq!(err.kind(), "network", "{err}");
        assert!(err.to_string().contains("after the last text"), "{err}");
    }

    #[test]
    fn a_trailing_chunk_without_text_keeps_the_finish() {
        let usage_only = "data: {\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5}}\n\n";
        let empty_candidate = "data: {\"candidates\":[{\"index\":0,\"safetyRatings\":[]}]}\n\n";
        let t = [
            chunk("Hi", Some("STOP")).as_str(),
            usage_only,
            empty_candidate,
        ]
        .concat();
        let (events, err) = run(t.as_bytes(), 2);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(
            events,
            vec![
                delta("Hi"),
                ChatEvent::Usage(Usage::new(3, 2)),
                ChatEvent::Finish(Finish::new(FinishReason::Stop, "STOP")),
            ]
        );
    }

    #[test]
    fn blocked_prompt_is_a_content_blocked_error() {
        let t = "data: {\"promptFeedback\": {\"blockReason\": \"SAFETY\",\"safetyRatings\": [{\"category\": \"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\": \"HIGH\"}]},\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.5-flash\"}\n\n";
        let (events, err) = run(t.as_bytes(), 5);
        assert!(events.is_empty());
        let err = err.unwrap();
        assert!(matches!(err, YatError::ContentBlocked(_)), "{err:?}");
        assert!(err.to_string().contains("SAFETY"), "{err}");
        assert!(!err.is_retryable());
        for reason in ["OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"] {
            let t = format!("data: {{\"promptFeedback\":{{\"blockReason\":\"{reason}\"}}}}\n\n");
            let err = run(t.as_bytes(), 3).1.unwrap();
            assert_eq!(err.kind(), "content_blocked", "{reason}");
            assert!(err.to_string().contains(reason), "{err}");
        }
    }

    #[test]
    fn prompt_feedback_without_a_block_reason_is_not_a_block() {
        let t = format!(
            "data: {{\"promptFeedback\":{{\"safetyRatings\":[]}},\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"ok\"}}]}}}}]}}\n\n{}",
            chunk("", Some("STOP"))
        );
        let (events, err) = run(t.as_bytes(), 6);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(events.first(), Some(&delta("ok")));
    }

    #[test]
    fn a_reply_withheld_before_any_text_is_content_blocked() {
        let t = "data: {\"candidates\":[{\"finishReason\":\"SAFETY\",\"finishMessage\":\"The response was blocked.\",\"index\":0,\"safetyRatings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"probability\":\"HIGH\",\"blocked\":true}]}],\"usageMetadata\":{\"promptTokenCount\":7,\"totalTokenCount\":7}}\n\n";
        let (events, err) = run(t.as_bytes(), 11);
        assert!(events.is_empty(), "{events:?}");
        let err = err.unwrap();
        assert_eq!(err.kind(), "content_blocked");
        let shown = err.to_string();
        assert!(
            shown.contains("SAFETY") && shown.contains("The response was blocked."),
            "{shown}"
        );
    }

    #[test]
    fn safety_stop_mid_reply_is_a_content_filter_finish() {
        let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Once\"}],\"role\":\"model\"},\"index\":0}]}\n\ndata: {\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0,\"safetyRatings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"probability\":\"MEDIUM\",\"blocked\":true}]}],\"usageMetadata\":{\"promptTokenCount\":4,\"candidatesTokenCount\":1}}\n\n";
        let (events, err) = run(t.as_bytes(), 3);
        assert!(err.is_none());
        assert_eq!(
            events,
            vec![
                delta("Once"),
                ChatEvent::Usage(Usage::new(4, 1)),
                ChatEvent::Finish(Finish::new(FinishReason::ContentFilter, "SAFETY")),
            ]
        );
    }

    #[test]
    fn an_empty_reply_that_hit_the_token_limit_is_a_length_finish() {
        // A thinking model can spend the whole budget thinking: no text, but
        // a complete reply.
        let t = "data: {\"candidates\":[{\"content\":{\"role\":\"model\"},\"finishReason\":\"MAX_TOKENS\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":8,\"totalTokenCount\":9,\"thoughtsTokenCount\":1}}\n\n";
        let (events, err) = run(t.as_bytes(), usize::MAX);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(
            events,
            vec![
                ChatEvent::Usage(Usage::new(8, 1)),
                ChatEvent::Finish(Finish::new(FinishReason::Length, "MAX_TOKENS")),
            ]
        );
    }

    #[test]
    fn usage_keeps_the_last_report_and_counts_tool_prompts_as_input() {
        let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"usageMetadata\":{\"promptTokenCount\":5,\"totalTokenCount\":5}}\n\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"toolUsePromptTokenCount\":3,\"cachedContentTokenCount\":4,\"candidatesTokenCount\":2,\"totalTokenCount\":10}}\n\n";
        let (events, err) = run(t.as_bytes(), 9);
        assert!(err.is_none());
        assert_eq!(events[2], ChatEvent::Usage(Usage::new(8, 2)));
    }

    #[test]
    fn a_stream_cut_before_the_finish_reports_an_error_after_its_text() {
        let cut = &TRANSCRIPT[..TRANSCRIPT.rfind("data:").unwrap()];
        let (events, err) = run(cut.as_bytes(), 1);
        assert_eq!(
            events,
            vec![delta("Hello"), delta("! How can I help today?")]
        );
        let err = err.unwrap();
        assert!(matches!(err, YatError::Network { .. }), "{err:?}");
        // Cut in the middle of the last event: the partial JSON is not taken
        // for a complete one, and the error says the stream was cut.
        let mid = &TRANSCRIPT[..TRANSCRIPT.len() - 40];
        let err = run(mid.as_bytes(), 1).1.unwrap();
        assert_eq!(err.kind(), "network", "{err}");
        assert!(err.to_string().contains("cut short"), "{err}");
        // An empty body is no reply either.
        assert_eq!(run(b"", 1).1.unwrap().kind(), "network");
    }

    #[test]
    fn in_stream_errors_are_typed_by_their_code() {
        let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}\n\ndata: {\"error\": {\"code\": 503,\"message\": \"The model is overloaded. Please try again later.\",\"status\": \"UNAVAILABLE\"}}\n\n";
        let (events, err) = run(t.as_bytes(), 1);
        assert_eq!(events, vec![delta("Hi")]);
        let err = err.unwrap();
        assert!(matches!(err, YatError::Overloaded { .. }), "{err:?}");
        assert!(err.to_string().contains("overloaded"), "{err}");
        let t = "data: {\"error\": {\"code\": 500,\"message\": \"An internal error has occurred.\",\"status\": \"INTERNAL\"}}\n\n";
        assert!(matches!(run(t.as_bytes(), 4).1, Some(YatError::Server(_))));
        let t = "data: {\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"7s\"}]}}\n\n";
        let err = run(t.as_bytes(), 4).1.unwrap();
        assert_eq!(err.kind(), "rate_limited", "{err}");
        assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)));
        // No usable code: a server error.
        let t = "data: {\"error\":{\"message\":\"boom\"}}\n\n";
        assert_eq!(run(t.as_bytes(), 4).1.unwrap().kind(), "server_error");
    }

    #[test]
    fn garbage_is_a_malformed_response_with_an_excerpt() {
        let (_, err) = run(b"data: {\"candidates\": [oops]}\n\n", usize::MAX);
        match err.unwrap() {
            YatError::MalformedResponse { excerpt, .. } => assert!(excerpt.contains("oops")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn comments_and_blank_data_are_ignored() {
        let t = format!(": keep-alive\n\ndata:\n\n{}", chunk("x", Some("STOP")));
        let (events, err) = run(t.as_bytes(), 2);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(events.len(), 2);
    }
}

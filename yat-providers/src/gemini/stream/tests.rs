//! The decoder against byte-exact transcripts, cut every way.

use super::*;
use crate::transcript_run::{self, delta, run_sized, Documented, End, Run};
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
        ChatEvent::ReasoningDelta {
            text: "**Greeting the user**\n\nA short, friendly answer.".into(),
        },
        delta("Grüß dich! \"Hallo\" \u{1F44B}"),
        delta("\nWie kann ich helfen?"),
        // 12 reply tokens and 32 thinking ones: output counts both.
        ChatEvent::Usage(Usage::new(9, 44).with_reasoning(32)),
        ChatEvent::Finish(Finish::new(FinishReason::Stop, "STOP")),
    ]
}

/// The events of a run through the Gemini decoder, and the error that
/// ended them if one did.
fn events_and_error((events, end, err): Run) -> (Vec<ChatEvent>, Option<YatError>) {
    // Gemini's stream has no end marker: a reply ends with its body.
    assert_ne!(end, End::Done);
    (events, err)
}

fn run(bytes: &[u8], size: usize) -> (Vec<ChatEvent>, Option<YatError>) {
    events_and_error(run_sized(
        "gemini",
        GeminiDecoder::new("gemini"),
        bytes,
        size,
    ))
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

/// The documented transcript's row of the table every SSE format is
/// checked against (official output shows CRLF line ends). The stream has
/// no end marker: a complete reply ends with its body.
pub(crate) fn documented() -> Documented {
    Documented {
        format: "gemini",
        run: |pieces| transcript_run::run_pieces("gemini", GeminiDecoder::new("gemini"), pieces),
        transcript: TRANSCRIPT,
        expected: vec![
            delta("Hello"),
            delta("! How can I help today?"),
            ChatEvent::Usage(Usage::new(6, 8)),
            ChatEvent::Finish(Finish::new(FinishReason::Stop, "STOP")),
        ],
        end: End::Eof,
        finish_reasons: &[
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
        ],
        rich: THINKING,
        rich_expected: thinking_events(),
    }
}

#[test]
fn huge_token_counts_saturate_instead_of_overflowing() {
    // Overflowed (a panic in debug builds) before.
    let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":18446744073709551615,\"toolUsePromptTokenCount\":2,\"candidatesTokenCount\":18446744073709551615,\"thoughtsTokenCount\":1}}\n\n";
    let (events, err) = run(t.as_bytes(), 7);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        events[1],
        ChatEvent::Usage(Usage::new(u64::MAX, u64::MAX).with_reasoning(1))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

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
            ChatEvent::Usage(Usage::new(8, 1).with_reasoning(1)),
            ChatEvent::Finish(Finish::new(FinishReason::Length, "MAX_TOKENS")),
        ]
    );
}

#[test]
fn usage_keeps_the_last_report_counts_tool_prompts_as_input_and_cache_reads_apart() {
    let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"usageMetadata\":{\"promptTokenCount\":5,\"totalTokenCount\":5}}\n\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"toolUsePromptTokenCount\":3,\"cachedContentTokenCount\":4,\"candidatesTokenCount\":2,\"totalTokenCount\":10}}\n\n";
    let (events, err) = run(t.as_bytes(), 9);
    assert!(err.is_none());
    // 5 prompt tokens, 4 of them cached, plus 3 of tool-use prompt.
    assert_eq!(
        events[2],
        ChatEvent::Usage(Usage::new(4, 2).with_cache_read(4))
    );
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

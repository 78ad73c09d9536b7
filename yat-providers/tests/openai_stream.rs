//! The Chat Completions stream beyond text: tool-call fragments in every
//! shape servers send them, reasoning deltas and detailed usage, served
//! byte for byte by a local fake server.
#![cfg(feature = "openai")]

mod support;
use support::vendors::openai::vendor;
use support::{delta, end, ended_calls, finish, piece, start, thought};

use yat_core::{ChatEvent, ChatRequest, FinishReason, Message, ToolCall, Usage, YatError};
use yat_fakeserver::{Response, Split};

const LLAMA_CPP_PYTHON: &str = include_str!("fixtures/openai/tool-call-llama-cpp-python.sse");

/// A `data:` line holding a chunk whose first choice has `delta`, and
/// optionally a finish reason.
fn chunk(delta: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or("null".to_owned(), |f| format!("\"{f}\""));
    format!(
        "data: {{\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}]}}\n\n"
    )
}

fn usage_chunk(usage: &str) -> String {
    format!("data: {{\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{usage}}}\n\n")
}

fn transcript(parts: &[String]) -> String {
    let mut body: String = parts.concat();
    body.push_str("data: [DONE]\n\n");
    body
}

const NO_RETRIES: [(&str, &str); 1] = [("max_retries", "0")];

fn request() -> ChatRequest {
    ChatRequest::new("gpt-4o-mini", vec![Message::user("What time is it?")])
}

async fn events_of(body: &str, split: Split) -> Result<Vec<ChatEvent>, YatError> {
    let resp = Response::sse(body).split(split);
    let (_server, p) = vendor().answering(resp, &NO_RETRIES).await;
    support::events(&p, &request()).await
}

/// The error the reply `body` ends with, inside the stream, and the events
/// before it.
async fn error_of(body: &str) -> (Vec<ChatEvent>, YatError) {
    let (_server, p) = vendor().answering(Response::sse(body), &NO_RETRIES).await;
    let (events, e) = support::events_until_error(&p, &request()).await;
    assert!(!events.is_empty(), "the error came before the stream: {e}");
    (events, e)
}

fn finish_tool_calls() -> ChatEvent {
    finish(FinishReason::ToolCalls, "tool_calls")
}

#[tokio::test]
async fn llama_cpp_python_repeating_id_and_name_on_every_chunk_is_one_call() {
    let args = r#"{ "timezone": "US-RU (GMT) time zone, UTC -12:00" }"#;
    for split in [Split::Whole, Split::Events, Split::EveryByte] {
        let events = events_of(LLAMA_CPP_PYTHON, split).await.unwrap();
        let id = "call__0_get_current_time_cmpl-b9d4a343-5c11-43c1-adae-630169d2abde";
        assert_eq!(events[0], start(0, id, "get_current_time"));
        let pieces: String = events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::ToolCallDelta {
                    index: 0,
                    arguments,
                } => Some(arguments.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(pieces, args);
        let starts = events
            .iter()
            .filter(|e| matches!(e, ChatEvent::ToolCallStart { .. }))
            .count();
        assert_eq!(starts, 1);
        let calls = ended_calls(&events);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].name, "get_current_time");
        assert_eq!(
            calls[0].arguments,
            serde_json::json!({"timezone": "US-RU (GMT) time zone, UTC -12:00"})
        );
        assert_eq!(events.last(), Some(&finish_tool_calls()));
        assert!(!events.iter().any(|e| matches!(e, ChatEvent::Delta { .. })));
    }
}

#[tokio::test]
async fn several_calls_per_chunk_with_interleaved_indices() {
    let body = transcript(&[
        chunk(
            r#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}},{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]}"#,
            None,
        ),
        chunk(
            r#"{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":"}},{"index":0,"function":{"arguments":"{\"city\":"}}]}"#,
            None,
        ),
        chunk(
            r#"{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"#,
            None,
        ),
        chunk(
            r#"{"tool_calls":[{"index":1,"function":{"arguments":"\"UTC\"}"}}]}"#,
            None,
        ),
        chunk("{}", Some("tool_calls")),
        usage_chunk(r#"{"prompt_tokens":20,"completion_tokens":15,"total_tokens":35}"#),
    ]);
    let events = events_of(&body, Split::Whole).await.unwrap();
    assert_eq!(
        events,
        vec![
            start(0, "call_a", "get_weather"),
            start(1, "call_b", "get_time"),
            piece(1, "{\"tz\":"),
            piece(0, "{\"city\":"),
            piece(0, "\"Paris\"}"),
            piece(1, "\"UTC\"}"),
            end(
                0,
                "call_a",
                "get_weather",
                serde_json::json!({"city": "Paris"})
            ),
            end(1, "call_b", "get_time", serde_json::json!({"tz": "UTC"})),
            ChatEvent::Usage(Usage::new(20, 15)),
            finish_tool_calls(),
        ]
    );
}

#[tokio::test]
async fn parallel_calls_all_at_index_zero_are_told_apart_by_id() {
    // Ollama-style: each call whole, every one `index: 0`, and the
    // calls in the same chunk as the finish.
    let body = transcript(&[
        chunk(r#"{"role":"assistant","content":""}"#, None),
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"index":0,"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]}"#,
            Some("tool_calls"),
        ),
    ]);
    let events = events_of(&body, Split::Whole).await.unwrap();
    assert_eq!(
        events,
        vec![
            start(0, "call_1", "get_weather"),
            piece(0, "{\"city\":\"Paris\"}"),
            start(1, "call_2", "get_weather"),
            piece(1, "{\"city\":\"Oslo\"}"),
            end(
                0,
                "call_1",
                "get_weather",
                serde_json::json!({"city": "Paris"})
            ),
            end(
                1,
                "call_2",
                "get_weather",
                serde_json::json!({"city": "Oslo"})
            ),
            finish_tool_calls(),
        ]
    );
}

#[tokio::test]
async fn fragments_after_a_second_call_at_the_same_index_go_to_that_call() {
    let body = transcript(&[
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}"#,
            None,
        ),
        chunk(
            r#"{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}"#,
            None,
        ),
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"call_2","type":"function","function":{"name":"g","arguments":""}}]}"#,
            None,
        ),
        chunk(
            r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"b\":2}"}}]}"#,
            None,
        ),
        chunk("{}", Some("tool_calls")),
    ]);
    let calls = ended_calls(&events_of(&body, Split::Whole).await.unwrap());
    assert_eq!(
        calls,
        vec![
            ToolCall::new("call_1", "f", serde_json::json!({"a": 1})),
            ToolCall::new("call_2", "g", serde_json::json!({"b": 2})),
        ]
    );
}

#[tokio::test]
async fn calls_without_an_index_as_geminis_endpoint_sends_them() {
    let body = transcript(&[
        chunk(
            r#"{"role":"assistant","tool_calls":[{"id":"function-call-1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"function-call-2","type":"function","function":{"name":"get_time","arguments":"{}"}}]}"#,
            None,
        ),
        chunk("{}", Some("tool_calls")),
        usage_chunk(r#"{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}"#),
    ]);
    let events = events_of(&body, Split::EveryByte).await.unwrap();
    assert_eq!(
        ended_calls(&events),
        vec![
            ToolCall::new(
                "function-call-1",
                "get_weather",
                serde_json::json!({"city": "Paris"})
            ),
            ToolCall::new("function-call-2", "get_time", serde_json::json!({})),
        ]
    );
    assert_eq!(events.last(), Some(&finish_tool_calls()));
}

#[tokio::test]
async fn text_before_a_call_and_a_call_without_arguments() {
    let body = transcript(&[
        chunk(r#"{"role":"assistant","content":"Let me check."}"#, None),
        chunk(
            r#"{"content":null,"tool_calls":[{"index":0,"id":"call_n","type":"function","function":{"name":"now"}}]}"#,
            Some("tool_calls"),
        ),
    ]);
    let (_, reply) = vendor().exchange(&body, &request(), &NO_RETRIES).await;
    assert_eq!(reply.text(), "Let me check.");
    let calls: Vec<&ToolCall> = reply.tool_calls().collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].arguments, serde_json::json!({}));
    assert_eq!(reply.finish.unwrap().reason, FinishReason::ToolCalls);
}

#[tokio::test]
async fn reasoning_content_and_reasoning_deltas_come_before_the_text() {
    let body = transcript(&[
        chunk(
            r#"{"role":"assistant","content":null,"reasoning_content":""}"#,
            None,
        ),
        chunk(r#"{"content":null,"reasoning_content":"The user "}"#, None),
        chunk(
            r#"{"content":null,"reasoning_content":"wants \"2+2\"."}"#,
            None,
        ),
        // OpenRouter and Ollama name it `reasoning`.
        chunk(r#"{"content":null,"reasoning":" Easy."}"#, None),
        chunk(r#"{"content":"4","reasoning_content":null}"#, None),
        chunk("{}", Some("stop")),
        usage_chunk(
            r#"{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":29}}"#,
        ),
    ]);
    let events = events_of(&body, Split::Size(7)).await.unwrap();
    assert_eq!(
        events,
        vec![
            thought("The user "),
            thought("wants \"2+2\"."),
            thought(" Easy."),
            delta("4"),
            ChatEvent::Usage(Usage::new(12, 30).with_reasoning(29)),
            finish(FinishReason::Stop, "stop"),
        ]
    );
}

#[tokio::test]
async fn cached_and_reasoning_tokens_are_split_out_of_the_counts() {
    let body = transcript(&[
        chunk(r#"{"role":"assistant","content":"Hi"}"#, None),
        chunk("{}", Some("stop")),
        usage_chunk(
            r#"{"prompt_tokens":2048,"completion_tokens":300,"total_tokens":2348,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":256,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}"#,
        ),
    ]);
    let events = events_of(&body, Split::Whole).await.unwrap();
    let usage = Usage::new(128, 300)
        .with_cache_read(1920)
        .with_reasoning(256);
    assert_eq!(
        &events[1..],
        &[ChatEvent::Usage(usage), finish(FinishReason::Stop, "stop")]
    );
    assert_eq!(usage.total_input(), 2048);
}

#[tokio::test]
async fn malformed_arguments_are_a_typed_error_with_the_raw_text() {
    let body = transcript(&[
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Par"}}]}"#,
            None,
        ),
        chunk("{}", Some("tool_calls")),
    ]);
    let (_, e) = error_of(&body).await;
    let raw = "{\"city\": \"Par";
    support::assert_invalid_arguments(&e, "openai", "call_x", "get_weather", raw);
}

#[tokio::test]
async fn a_fragment_for_an_index_that_never_started_is_a_typed_error() {
    let body = transcript(&[
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}"#,
            None,
        ),
        chunk(
            r#"{"tool_calls":[{"index":3,"function":{"arguments":"{}"}}]}"#,
            None,
        ),
        chunk("{}", Some("tool_calls")),
    ]);
    let (_, e) = error_of(&body).await;
    support::assert_error(&e, "malformed_response", "index 3");
}

#[tokio::test]
async fn a_hundred_kilobytes_of_arguments_one_byte_per_chunk() {
    let value = "lorem ipsum 42 ".repeat(7_000);
    let args = serde_json::json!({ "text": value }).to_string();
    assert!(args.len() > 100_000);
    let mut parts = vec![chunk(
        r#"{"role":"assistant","tool_calls":[{"index":0,"id":"call_big","type":"function","function":{"name":"save","arguments":""}}]}"#,
        None,
    )];
    // One byte per chunk (the text is ASCII).
    for i in 0..args.len() {
        let piece = serde_json::to_string(&args[i..i + 1]).unwrap();
        parts.push(chunk(
            &format!(r#"{{"tool_calls":[{{"index":0,"function":{{"arguments":{piece}}}}}]}}"#),
            None,
        ));
    }
    parts.push(chunk("{}", Some("tool_calls")));
    let body = transcript(&parts);
    let (_, reply) = vendor().exchange(&body, &request(), &NO_RETRIES).await;
    let calls: Vec<&ToolCall> = reply.tool_calls().collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, "call_big");
    assert_eq!(calls[0].arguments["text"].as_str(), Some(value.as_str()));
}

#[tokio::test]
async fn a_finish_without_done_still_ends_the_calls() {
    let mut body = chunk(
        r#"{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}}]}"#,
        Some("tool_calls"),
    );
    body.push_str(&usage_chunk(
        r#"{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}"#,
    ));
    let events = events_of(&body, Split::Whole).await.unwrap();
    assert_eq!(
        &events[2..],
        &[
            end(0, "call_a", "f", serde_json::json!({})),
            ChatEvent::Usage(Usage::new(3, 1)),
            finish_tool_calls(),
        ]
    );
}

#[tokio::test]
async fn a_malformed_call_does_not_hide_the_good_call_beside_it() {
    let body = transcript(&[
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"call_ok","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},{"index":1,"id":"call_bad","type":"function","function":{"name":"get_weather","arguments":"{\"city\": Par"}}]}"#,
            None,
        ),
        chunk("{}", Some("tool_calls")),
    ]);
    let (events, e) = error_of(&body).await;
    assert_eq!(
        ended_calls(&events),
        [ToolCall::new(
            "call_ok",
            "get_weather",
            serde_json::json!({"city": "Oslo"})
        )]
    );
    assert!(!events.iter().any(|e| matches!(e, ChatEvent::Finish(_))));
    let raw = "{\"city\": Par";
    support::assert_invalid_arguments(&e, "openai", "call_bad", "get_weather", raw);
}

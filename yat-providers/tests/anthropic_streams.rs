//! What the Anthropic provider makes of the 0.2 stream shapes, served byte
//! for byte by a local fake server: tool calls (one split into blocks by a
//! gateway, the recorded capture), several calls, interleaved and redacted
//! thinking, a two-request tool round trip, cache usage, and the typed
//! errors for malformed input and out-of-order deltas.
#![cfg(feature = "anthropic")]

mod support;
use support::vendors::anthropic::vendor;
use support::{delta as text, end, finish, piece, response_of, signed, start, thought};

use serde_json::json;
use yat_core::{
    ChatEvent, ChatRequest, FinishReason, Message, Part, Reasoning, ReasoningConfig, ToolCall,
    ToolResult, ToolSpec, Usage, YatError,
};
use yat_fakeserver::Response;

/// Recorded from a gateway translating llama-cpp-python's stream (see
/// `shared/captures/README.md`), byte for byte.
const GATEWAY: &str = include_str!("fixtures/anthropic/anthropic-tool-use-split-by-a-gateway.sse");
const INTERLEAVED: &str = include_str!("fixtures/anthropic/interleaved-thinking-and-tool-use.sse");
const REDACTED: &str = include_str!("fixtures/anthropic/redacted-thinking.sse");
const PARALLEL: &str = include_str!("fixtures/anthropic/parallel-tool-use.sse");
const ROUND_TRIP_1: &str = include_str!("fixtures/anthropic/round-trip-1-tool-use.sse");
const ROUND_TRIP_2: &str = include_str!("fixtures/anthropic/round-trip-2-answer.sse");
const CACHE: &str = include_str!("fixtures/anthropic/cache-usage.sse");

const SIG1: &str = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+AfBiWeZfb0iO9RrNo1aYvNXSmsSxSmBuNbPWb0MoJ0o9TvmIanb5qV/A==";
const SIG2: &str = "ErUBCkYIBRgCIkC3nTgT4Y1CmHp2qV3e8X3LHq0nE9u8L1lJvUQ5b3cWmR1YV5a4Q2k2cF5mJ5eV6g0u1b9g7yq5dVvOqGLxEgx5a0QhGq==";

fn request() -> ChatRequest {
    ChatRequest::new("claude-sonnet-4-5", vec![Message::user("Go.")])
}

/// Every event of `body`, served whole and one byte at a time (a decoder
/// must not care where the network cuts).
async fn events_of(body: &str) -> Result<Vec<ChatEvent>, YatError> {
    vendor().events_however_cut(body, &request()).await
}

#[tokio::test]
async fn tool_use_blocks_sharing_an_id_are_one_call_in_index_order() {
    let id = "call__0_get_current_time_cmpl-481da9c4-c994-4533-ba69-fffcdde85f72";
    let pieces = [
        "{", " \"", "time", "zone", "\":", " \"", "UTC", "\"", " }", " ",
    ];
    let mut expected = vec![start(0, id, "get_current_time")];
    expected.extend(pieces.iter().map(|p| piece(0, p)));
    expected.extend([
        end(0, id, "get_current_time", json!({"timezone": "UTC"})),
        // The gateway's message_start reports zeros, message_delta the counts.
        ChatEvent::Usage(Usage::new(14, 74).with_cache_read(0).with_cache_write(0)),
        finish(FinishReason::ToolCalls, "tool_use"),
    ]);
    let events = events_of(GATEWAY).await.unwrap();
    assert_eq!(events, expected);
    let reply = response_of(&events);
    let calls: Vec<&ToolCall> = reply.tool_calls().collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].arguments, json!({"timezone": "UTC"}));
}

#[tokio::test]
async fn interleaved_thinking_ends_the_call_before_it_and_signatures_follow_their_text() {
    let (a, b) = (
        "toolu_01A09q90qw90lq917835lq9",
        "toolu_01B5cX8wZnTz4qEaYB1hPf2R",
    );
    let expected = vec![
        thought("The user wants the weather in Paris"),
        thought(" and the time in Tokyo. Weather first."),
        signed(SIG1),
        start(0, a, "get_weather"),
        piece(0, "{\"city\": \"Pa"),
        piece(0, "ris\", \"unit\": \"celsius\"}"),
        // A thinking block starts: the call before it is whole.
        end(
            0,
            a,
            "get_weather",
            json!({"city": "Paris", "unit": "celsius"}),
        ),
        thought("Now the time in Tokyo."),
        signed(SIG2),
        start(1, b, "get_time"),
        piece(1, "{\"timezone\": \"Asia/Tokyo\"}"),
        end(1, b, "get_time", json!({"timezone": "Asia/Tokyo"})),
        ChatEvent::Usage(Usage::new(472, 161).with_cache_read(0).with_cache_write(0)),
        finish(FinishReason::ToolCalls, "tool_use"),
    ];
    let events = events_of(INTERLEAVED).await.unwrap();
    assert_eq!(events, expected);
    // The reply keeps the order the next turn must send back.
    let parts = response_of(&events).parts;
    let kinds: Vec<&str> = parts.iter().map(Part::kind).collect();
    assert_eq!(kinds, ["reasoning", "tool_call", "reasoning", "tool_call"]);
    assert_eq!(
        parts[2],
        Part::Reasoning(Reasoning::new("Now the time in Tokyo.").with_signature(SIG2))
    );
}

#[tokio::test]
async fn redacted_thinking_is_kept_as_its_opaque_data() {
    let data = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB4URj2pLmN3kF8/dW5hR7xJ0aP";
    let events = events_of(REDACTED).await.unwrap();
    assert_eq!(
        events,
        vec![
            ChatEvent::RedactedReasoning { data: data.into() },
            thought("Some of my reasoning was redacted; the answer stands."),
            signed(SIG1),
            text("There are three r's in \u{201c}strawberry\u{201d}."),
            ChatEvent::Usage(Usage::new(92, 48)),
            finish(FinishReason::Stop, "end_turn"),
        ]
    );
    let parts = response_of(&events).parts;
    assert_eq!(parts[0], Part::Reasoning(Reasoning::redacted(data)));
    assert_eq!(parts.len(), 3);
}

#[tokio::test]
async fn several_tool_use_blocks_are_several_calls_and_no_input_is_an_empty_object() {
    let (a, b) = (
        "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        "toolu_01Nf4Q7aL2CkZ8vTe5Hr3mYw",
    );
    let events = events_of(PARALLEL).await.unwrap();
    assert_eq!(
        events,
        vec![
            text("I'll check both at once."),
            start(0, a, "get_weather"),
            piece(0, "{\"city\": \"Paris\","),
            piece(0, " \"unit\": \"celsius\"}"),
            start(1, b, "list_cities"),
            // Both end when the message does, in start order.
            end(
                0,
                a,
                "get_weather",
                json!({"city": "Paris", "unit": "celsius"})
            ),
            end(1, b, "list_cities", json!({})),
            ChatEvent::Usage(Usage::new(384, 97).with_cache_read(0).with_cache_write(0)),
            finish(FinishReason::ToolCalls, "tool_use"),
        ]
    );
}

#[tokio::test]
async fn a_tool_round_trip_sends_back_thinking_the_call_and_its_result() {
    let (server, p) = vendor()
        .conversing(&[ROUND_TRIP_1, ROUND_TRIP_2], &[("max_retries", "0")])
        .await;
    let tool = ToolSpec::new(
        "get_weather",
        "The current weather in a city.",
        json!({"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}, "required": ["city", "unit"]}),
    );
    let ask = Message::user("What is the weather in Paris?");
    let first = ChatRequest::new("claude-sonnet-4-5", vec![ask.clone()])
        .tool(tool.clone())
        .reasoning(ReasoningConfig::budget_tokens(1024));
    let reply = support::reply(&p, &first).await;
    assert_eq!(
        reply.finish.as_ref().unwrap().reason,
        FinishReason::ToolCalls
    );
    let call = reply.tool_calls().next().unwrap().clone();
    assert_eq!(call.arguments, json!({"city": "Paris", "unit": "celsius"}));

    let second = ChatRequest::new(
        "claude-sonnet-4-5",
        vec![
            ask,
            reply.into_message(),
            Message::tool_results([ToolResult::new(&call, "21 \u{b0}C and sunny")]),
        ],
    )
    .tool(tool)
    .reasoning(ReasoningConfig::budget_tokens(1024));
    let answer = support::reply(&p, &second).await;
    assert_eq!(answer.text(), "It is 21 \u{b0}C and sunny in Paris.");
    assert_eq!(answer.finish.unwrap().reason, FinishReason::Stop);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let body = reqs[1].json();
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 1024})
    );
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "I need the weather tool for Paris.", "signature": SIG1},
                {"type": "text", "text": "Let me look that up."},
                {"type": "tool_use", "id": "toolu_01D7FLrfh4GYq7yT1ULFeyMV", "name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01D7FLrfh4GYq7yT1ULFeyMV", "content": "21 \u{b0}C and sunny"}
            ]}
        ])
    );
}

#[tokio::test]
async fn cache_reads_and_writes_are_kept_apart_from_the_input() {
    let events = events_of(CACHE).await.unwrap();
    assert_eq!(
        events,
        vec![
            text("Cached."),
            ChatEvent::Usage(
                Usage::new(21, 5)
                    .with_cache_read(1968)
                    .with_cache_write(188)
            ),
            finish(FinishReason::Stop, "end_turn"),
        ]
    );
    match &events[1] {
        ChatEvent::Usage(u) => assert_eq!(u.total_input(), 21 + 1968 + 188),
        other => panic!("{other:?}"),
    }
}

/// The documented head of a tool-use stream, up to the tool block's start.
const TOOL_HEAD: &str = concat!(
    "event: message_start\n",
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n",
    "event: content_block_start\n",
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01Bad\",\"name\":\"get_weather\",\"input\":{}}}\n\n",
);

const TOOL_TAIL: &str = concat!(
    "event: content_block_stop\n",
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    "event: message_delta\n",
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":20}}\n\n",
    "event: message_stop\n",
    "data: {\"type\":\"message_stop\"}\n\n",
);

fn input_delta(index: u32, partial: &str) -> String {
    format!(
        "event: content_block_delta\ndata: {}\n\n",
        json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": partial}})
    )
}

#[tokio::test]
async fn tool_input_that_is_not_json_is_invalid_tool_arguments_with_the_raw_text() {
    let body = format!(
        "{TOOL_HEAD}{}{}{TOOL_TAIL}",
        input_delta(0, "{\"city\": \"Par"),
        input_delta(0, "is\"")
    );
    let resp = Response::sse(&body);
    let (_server, p) = vendor().answering(resp, &[("max_retries", "0")]).await;
    let (seen, e) = support::events_until_error(&p, &request()).await;
    assert_eq!(
        seen,
        vec![
            start(0, "toolu_01Bad", "get_weather"),
            piece(0, "{\"city\": \"Par"),
            piece(0, "is\""),
        ]
    );
    let raw = "{\"city\": \"Paris\"";
    support::assert_invalid_arguments(&e, "anthropic", "toolu_01Bad", "get_weather", raw);
    assert!(!seen.iter().any(|e| matches!(e, ChatEvent::Finish(_))));
}

#[tokio::test]
async fn a_delta_for_a_block_that_never_started_is_a_malformed_response() {
    // Block 1 never started.
    let body = format!("{TOOL_HEAD}{}{TOOL_TAIL}", input_delta(1, "{}"));
    let e = events_of(&body).await.unwrap_err();
    assert!(matches!(e, YatError::MalformedResponse { .. }), "{e:?}");
    assert!(e.to_string().contains("content block 1"), "{e}");
    // A text delta before any block.
    let body = TOOL_HEAD.replace(
        "event: content_block_start\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"early\"}}\n\nevent: content_block_start\n",
    );
    let e = events_of(&format!("{body}{TOOL_TAIL}")).await.unwrap_err();
    assert!(matches!(e, YatError::MalformedResponse { .. }), "{e:?}");
    // Tool input for a text block.
    let body = format!(
        "{}{}{}",
        TOOL_HEAD.replace(
            "{\"type\":\"tool_use\",\"id\":\"toolu_01Bad\",\"name\":\"get_weather\",\"input\":{}}",
            "{\"type\":\"text\",\"text\":\"\"}"
        ),
        input_delta(0, "{}"),
        TOOL_TAIL
    );
    let e = events_of(&body).await.unwrap_err();
    assert!(matches!(e, YatError::MalformedResponse { .. }), "{e:?}");
    assert!(e.to_string().contains("not a tool_use"), "{e}");
}

#[tokio::test]
async fn a_stream_cut_after_a_call_is_not_a_reply() {
    // Everything but message_stop: the call is whole, the reply is not.
    let cut = &PARALLEL[..PARALLEL.find("event: message_stop").unwrap()];
    let e = events_of(cut).await.unwrap_err();
    assert_eq!(e.kind(), "network", "{e}");
    assert!(e.to_string().contains("message_stop"), "{e}");
}

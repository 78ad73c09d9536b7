//! The stream read back the way the official SDK reads it, checked against
//! the non-streaming body of the same reply, and fed back to the mock as
//! the next turn of a conversation.
//!
//! The reader follows anthropic-sdk-python `lib/streaming/_messages.py`
//! (`accumulate_event`): the snapshot is `message_start.message`;
//! `content_block_start` appends its block; deltas address
//! `content[index]` (text appended, thinking appended, signature set,
//! `partial_json` concatenated and parsed); `message_delta` sets the stop
//! reason, `output_tokens`, and `input_tokens` and the cache counts when
//! they are not null; `ping` is skipped and `error` raises. It also checks
//! what the SDK takes on trust: that each `index` is the next free one, and
//! that no block is written to after its stop.

use futures::StreamExt;
use serde_json::{json, Value};
use yat_core::{
    ChatEvent, ChatRequest, Finish, FinishReason, LlmProvider, ResponseBuilder, ToolCall,
};
use yat_providers::mock::MockProvider;

use super::{reply, request, StreamEncoder};
use crate::api_error::{ApiError, ErrorKind};
use crate::dialect::{Encoder, ReplyMeta};

fn meta() -> ReplyMeta {
    ReplyMeta {
        id: "msg_roundtrip".into(),
        model: "mock/x".into(),
        created: 0,
    }
}

/// The `(event, data)` frames of an SSE body.
fn frames(body: &str) -> Vec<(String, Value)> {
    let body = body
        .strip_suffix("\n\n")
        .expect("the stream ends with a whole frame");
    body.split("\n\n")
        .map(|frame| {
            let (event, data) = frame.split_once('\n').expect("event and data lines");
            let event = event
                .strip_prefix("event: ")
                .expect("an event line")
                .to_owned();
            let data = data.strip_prefix("data: ").expect("one data line");
            let data: Value = serde_json::from_str(data).expect("data is JSON");
            assert_eq!(
                data["type"],
                event.as_str(),
                "the data repeats the event name"
            );
            (event, data)
        })
        .collect()
}

/// The message the SDK's accumulator builds from `body`, or the error
/// event's data.
fn accumulate(body: &str) -> Result<Value, Value> {
    let mut snapshot: Option<Value> = None;
    let mut json_bufs: Vec<String> = Vec::new();
    let mut stopped: Vec<bool> = Vec::new();
    let mut ended = false;
    for (event, data) in frames(body) {
        assert!(!ended, "nothing follows message_stop");
        if event == "ping" {
            continue;
        }
        if event == "error" {
            return Err(data);
        }
        if event == "message_start" {
            assert!(snapshot.is_none(), "one message_start");
            snapshot = Some(data["message"].clone());
            continue;
        }
        let message = snapshot.as_mut().expect("message_start comes first");
        let content = message["content"].as_array_mut().unwrap();
        let index = data["index"].as_u64().map(|i| i as usize);
        match event.as_str() {
            "content_block_start" => {
                assert_eq!(index, Some(content.len()), "blocks are numbered in order");
                content.push(data["content_block"].clone());
                json_bufs.push(String::new());
                stopped.push(false);
            }
            "content_block_delta" => {
                let i = index.unwrap();
                assert!(!stopped[i], "a delta after block {i} stopped");
                let block = &mut content[i];
                let delta = &data["delta"];
                let append = |field: &mut Value, piece: &Value| {
                    *field =
                        Value::String(field.as_str().unwrap().to_owned() + piece.as_str().unwrap());
                };
                match (
                    delta["type"].as_str().unwrap(),
                    block["type"].as_str().unwrap(),
                ) {
                    ("text_delta", "text") => append(&mut block["text"], &delta["text"]),
                    ("thinking_delta", "thinking") => {
                        append(&mut block["thinking"], &delta["thinking"])
                    }
                    ("signature_delta", "thinking") => {
                        block["signature"] = delta["signature"].clone()
                    }
                    ("input_json_delta", "tool_use") => {
                        json_bufs[i].push_str(delta["partial_json"].as_str().unwrap())
                    }
                    (d, b) => panic!("a {d} for a {b} block"),
                }
            }
            "content_block_stop" => {
                let i = index.unwrap();
                assert!(!stopped[i], "block {i} stopped twice");
                stopped[i] = true;
                if !json_bufs[i].is_empty() {
                    content[i]["input"] = serde_json::from_str(&json_bufs[i]).expect("whole JSON");
                }
            }
            "message_delta" => {
                message["stop_reason"] = data["delta"]["stop_reason"].clone();
                message["stop_sequence"] = data["delta"]["stop_sequence"].clone();
                let usage = &data["usage"];
                message["usage"]["output_tokens"] = usage["output_tokens"].clone();
                for field in [
                    "input_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                ] {
                    if !usage[field].is_null() {
                        message["usage"][field] = usage[field].clone();
                    }
                }
            }
            "message_stop" => ended = true,
            other => panic!("unknown event {other}"),
        }
    }
    assert!(ended, "the stream ends with message_stop");
    assert!(stopped.iter().all(|s| *s), "every block stopped");
    let mut message = snapshot.unwrap();
    // The SDK's `Usage` model has both cache counts, `None` unless set.
    for field in ["cache_creation_input_tokens", "cache_read_input_tokens"] {
        if message["usage"].get(field).is_none() {
            message["usage"][field] = Value::Null;
        }
    }
    Ok(message)
}

/// `events` encoded as a stream, and as a whole reply.
fn stream_and_reply(events: &[ChatEvent]) -> (String, Value) {
    let mut encoder = StreamEncoder::new(meta());
    let mut out = Vec::new();
    encoder.start(&mut out);
    let mut builder = ResponseBuilder::default();
    for e in events {
        encoder.event(e, &mut out);
        encoder.keepalive(&mut out);
        builder.push(e.clone());
    }
    encoder.end(&mut out);
    let mut whole: Value =
        serde_json::from_slice(&reply::body(&meta(), &builder.finish())).unwrap();
    // The SDK's accumulator does not copy `output_tokens_details` from
    // `message_delta`, so a streamed snapshot never has it.
    if let Some(usage) = whole["usage"].as_object_mut() {
        usage.remove("output_tokens_details");
    }
    (String::from_utf8(out).unwrap(), whole)
}

/// Asserts the SDK reads `events`' stream as their whole reply; returns it.
fn assert_round_trip(events: &[ChatEvent]) -> Value {
    let (stream, whole) = stream_and_reply(events);
    let read = accumulate(&stream).unwrap();
    assert_eq!(read, whole, "{stream}");
    read
}

fn call(index: u32, id: &str, pieces: &[&str]) -> Vec<ChatEvent> {
    let mut events = vec![ChatEvent::ToolCallStart {
        index,
        id: id.into(),
        name: format!("tool_{index}"),
    }];
    events.extend(pieces.iter().map(|p| ChatEvent::ToolCallDelta {
        index,
        arguments: (*p).into(),
    }));
    events
}

fn end(index: u32, id: &str, args: Value) -> ChatEvent {
    ChatEvent::ToolCallEnd {
        index,
        call: Box::new(ToolCall::new(id, format!("tool_{index}"), args)),
    }
}

#[test]
fn every_kind_of_block_reads_back_as_the_whole_reply() {
    let mut events = vec![
        ChatEvent::Usage(
            yat_core::Usage::new(25, 1)
                .with_cache_read(100)
                .with_cache_write(3),
        ),
        ChatEvent::ReasoningDelta {
            text: "Two tools.".into(),
        },
        ChatEvent::ReasoningSignature {
            signature: "sig".into(),
        },
        ChatEvent::RedactedReasoning {
            data: "opaque".into(),
        },
        ChatEvent::Delta {
            text: "Calling ".into(),
        },
        ChatEvent::Delta {
            text: "them.".into(),
        },
    ];
    // Two calls whose pieces alternate, then one given whole at its end.
    let (a, b) = (
        call(0, "a", &["{\"x\":", "1}"]),
        call(1, "b", &["{\"y\"", ":[2]}"]),
    );
    events.extend([a[0].clone(), a[1].clone(), b[0].clone(), b[1].clone()]);
    events.extend([a[2].clone(), b[2].clone()]);
    events.push(end(0, "a", json!({"x": 1})));
    events.push(end(1, "b", json!({"y": [2]})));
    events.extend(call(2, "c", &[]));
    events.push(end(2, "c", json!({"z": true})));
    events.push(ChatEvent::Usage(
        yat_core::Usage::new(0, 40).with_reasoning(5),
    ));
    events.push(ChatEvent::Finish(Finish::new(
        FinishReason::ToolCalls,
        "tool_calls",
    )));
    let read = assert_round_trip(&events);
    assert_eq!(read["content"].as_array().unwrap().len(), 6);
    assert_eq!(read["content"][5]["input"], json!({"z": true}));
    assert_eq!(
        read["usage"],
        json!({"input_tokens": 25, "output_tokens": 40, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 100})
    );
    assert_eq!(read["stop_reason"], "tool_use");
}

#[test]
fn a_plain_reply_and_an_empty_one_read_back() {
    assert_round_trip(&[
        ChatEvent::Delta { text: "Hi".into() },
        ChatEvent::Finish(Finish::reason(FinishReason::Length)),
    ]);
    assert_round_trip(&[ChatEvent::Finish(Finish::reason(FinishReason::Stop))]);
}

#[test]
fn an_error_mid_stream_raises_with_its_type() {
    let mut encoder = StreamEncoder::new(meta());
    let mut out = Vec::new();
    encoder.start(&mut out);
    encoder.event(&ChatEvent::Delta { text: "par".into() }, &mut out);
    encoder.error(
        &ApiError::new(ErrorKind::Timeout, "the upstream stalled"),
        &mut out,
    );
    encoder.end(&mut out);
    let err = accumulate(&String::from_utf8(out).unwrap()).unwrap_err();
    assert_eq!(
        err,
        json!({"type": "error", "error": {"type": "timeout_error", "message": "the upstream stalled"}})
    );
}

/// Streams `body` (an Anthropic request) from the mock model `model`; the
/// SDK's reading of the encoded stream, checked against the whole reply.
async fn through_mock(model: &str, body: &Value) -> Value {
    let mut inbound = request::parse(body.to_string().as_bytes()).unwrap();
    inbound.request.model = model.to_owned();
    let stream = MockProvider::default()
        .stream_chat(&inbound.request)
        .await
        .unwrap();
    let events: Vec<ChatEvent> = stream.map(|e| e.unwrap()).collect().await;
    assert_round_trip(&events)
}

/// The tool-loop's next request: the reply as the assistant's turn, and a
/// result for each of its calls.
fn next_turn(first: &Value, reply: &Value) -> Value {
    let results: Vec<Value> = reply["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .map(|b| json!({"type": "tool_result", "tool_use_id": b["id"], "content": format!("{} ok", b["name"].as_str().unwrap())}))
        .collect();
    let mut next = first.clone();
    let messages = next["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": reply["content"]}));
    if !results.is_empty() {
        messages.push(json!({"role": "user", "content": results}));
    } else {
        messages.push(json!({"role": "user", "content": "And again?"}));
    }
    next
}

#[tokio::test]
async fn parallel_tool_calls_from_the_mock_survive_a_whole_tool_loop() {
    let first = json!({"model": "mock/mock-parallel-tools", "max_tokens": 256,
    "messages": [{"role": "user", "content": "Weather and time?"}],
    "tools": [
        {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        {"name": "now", "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}}
    ]});
    let reply = through_mock("mock-parallel-tools", &first).await;
    let calls: Vec<&Value> = reply["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .collect();
    assert_eq!(calls.len(), 2, "{reply}");
    assert_eq!(reply["stop_reason"], "tool_use");
    // The mock answers only if each result names a call of the turn before.
    let answer = through_mock("mock-parallel-tools", &next_turn(&first, &reply)).await;
    let text = answer["content"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Tool results: get_weather returned get_weather ok"),
        "{text}"
    );
    assert_eq!(answer["stop_reason"], "end_turn");
}

#[tokio::test]
async fn the_mocks_stream_interleaves_and_the_sdk_still_reads_it() {
    let body = json!({"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "x"}],
    "tools": [
        {"name": "a", "input_schema": {"type": "object", "properties": {"long_name_one": {"type": "string"}}, "required": ["long_name_one"]}},
        {"name": "b", "input_schema": {"type": "object", "properties": {"long_name_two": {"type": "string"}}, "required": ["long_name_two"]}}
    ]});
    let mut inbound = request::parse(body.to_string().as_bytes()).unwrap();
    inbound.request.model = "mock-parallel-tools".into();
    let events: Vec<ChatEvent> = MockProvider::default()
        .stream_chat(&inbound.request)
        .await
        .unwrap()
        .map(|e| e.unwrap())
        .collect()
        .await;
    let (stream, _) = stream_and_reply(&events);
    let indexes: Vec<u64> = frames(&stream)
        .iter()
        .filter(|(_, d)| d["delta"]["type"] == "input_json_delta")
        .map(|(_, d)| d["index"].as_u64().unwrap())
        .collect();
    assert!(
        indexes.windows(2).any(|w| w[0] > w[1]),
        "the mock should alternate its calls' pieces: {indexes:?}"
    );
    assert_round_trip(&events);
}

#[tokio::test]
async fn signed_reasoning_goes_back_to_the_mock_unchanged() {
    let first = json!({"model": "mock/mock-reasoning", "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "Why is the sky blue?"}]});
    let reply = through_mock("mock-reasoning", &first).await;
    assert_eq!(reply["content"][0]["type"], "thinking", "{reply}");
    assert!(!reply["content"][0]["signature"]
        .as_str()
        .unwrap()
        .is_empty());
    // The mock refuses reasoning whose signature does not match its text.
    let again = through_mock("mock-reasoning", &next_turn(&first, &reply)).await;
    assert_eq!(again["stop_reason"], "end_turn");
}

#[test]
fn a_request_of_every_block_reads_the_same_through_the_contract() {
    // What an SDK client sends for a reply it read, parsed back, is the
    // reply's own message.
    let mut events = vec![
        ChatEvent::ReasoningDelta { text: "hm".into() },
        ChatEvent::ReasoningSignature {
            signature: "s".into(),
        },
        ChatEvent::RedactedReasoning { data: "r".into() },
        ChatEvent::Delta { text: "t".into() },
    ];
    events.extend(call(0, "c", &["{}"]));
    events.push(end(0, "c", json!({})));
    events.push(ChatEvent::Finish(Finish::reason(FinishReason::ToolCalls)));
    let read = assert_round_trip(&events);
    let mut builder = ResponseBuilder::default();
    events.into_iter().for_each(|e| builder.push(e));
    let expected = builder.finish().into_message();
    let body = json!({"model": "m", "max_tokens": 1, "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": read["content"]}
    ]});
    let parsed: ChatRequest = request::parse(body.to_string().as_bytes()).unwrap().request;
    assert_eq!(parsed.messages[1], expected);
}

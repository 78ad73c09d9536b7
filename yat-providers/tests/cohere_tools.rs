//! Cohere tool use against a local fake server: streamed plans and calls,
//! a tool round trip over two requests, and the typed errors of broken
//! call streams. Transcripts are in `fixtures/cohere/`.
#![cfg(feature = "cohere")]

mod support;
use support::vendors::cohere::vendor;
use support::{end, finish, piece, response_of, start, thoughts as reasoning};

use serde_json::json;
use yat_core::{
    ChatEvent, ChatRequest, Finish, FinishReason, Message, ToolCall, ToolResult, ToolSpec, Usage,
};
use yat_fakeserver::{Response, Split};

const MODEL: &str = "command-a-03-2025";

const PLAN_AND_CALL: &str = include_str!("fixtures/cohere/plan_and_call.sse");
const PARALLEL_CALLS: &str = include_str!("fixtures/cohere/parallel_calls.sse");
const ANSWER: &str = include_str!("fixtures/cohere/answer_with_citations.sse");
const THINKING_THEN_CALL: &str = include_str!("fixtures/cohere/thinking_then_call.sse");

fn weather_tool() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "gets the weather of a given location",
        json!({"type":"object","properties":{"location":{"type":"string","description":"the location to get the weather, example: San Francisco."}},"required":["location"]}),
    )
}

fn request(messages: Vec<Message>) -> ChatRequest {
    ChatRequest::new(MODEL, messages).tool(weather_tool())
}

/// The events of one call streamed as the documented pieces of
/// `{"location": "<city>"}`.
fn call_events(index: u32, id: &str, city_pieces: &[&str], city: &str) -> Vec<ChatEvent> {
    let mut pieces = vec!["{\n    \"", "location", "\":", " \""];
    pieces.extend_from_slice(city_pieces);
    pieces.extend_from_slice(&["\"", "\n", "}"]);
    let mut events = vec![start(index, id, "get_weather")];
    events.extend(pieces.into_iter().map(|a| piece(index, a)));
    events.push(end(index, id, "get_weather", json!({ "location": city })));
    events
}

fn tool_call_finish() -> Vec<ChatEvent> {
    vec![
        ChatEvent::Usage(Usage::new(913, 83)),
        finish(FinishReason::ToolCalls, "TOOL_CALL"),
    ]
}

#[tokio::test]
async fn a_plan_and_a_call_stream_as_reasoning_then_the_call() {
    let (_server, p) = vendor().answering(Response::sse(PLAN_AND_CALL), &[]).await;
    let req = request(vec![Message::user("What's the weather in Madrid?")]);
    let mut expected = reasoning(&[
        "I", " will", " search", " for", " the", " weather", " in", " Madrid", ".",
    ]);
    expected.extend(call_events(
        0,
        "get_weather_p1t92w7gfgq7",
        &["Madrid"],
        "Madrid",
    ));
    expected.extend(tool_call_finish());
    assert_eq!(support::events(&p, &req).await.unwrap(), expected);
}

#[tokio::test]
async fn two_calls_in_one_turn_are_numbered_in_order_however_the_body_is_cut() {
    let mut expected = reasoning(&[
        "I",
        " will",
        " search",
        " for",
        " the",
        " weather",
        " in",
        " Madrid",
        " and",
        " Brasilia",
        ".",
    ]);
    expected.extend(call_events(
        0,
        "get_weather_p1t92w7gfgq7",
        &["Madrid"],
        "Madrid",
    ));
    expected.extend(call_events(
        1,
        "get_weather_ay6nmvjgp9vn",
        &["Bras", "ilia"],
        "Brasilia",
    ));
    expected.extend(tool_call_finish());
    let in_call = PARALLEL_CALLS.find("ilia").unwrap() + 2;
    for split in [
        Split::Whole,
        Split::EveryByte,
        Split::Size(13),
        Split::At(vec![in_call]),
        Split::Events,
    ] {
        let resp = Response::sse(PARALLEL_CALLS).split(split.clone());
        let (_server, p) = vendor().answering(resp, &[]).await;
        let req = request(vec![Message::user(
            "What's the weather in Madrid and Brasilia?",
        )]);
        assert_eq!(
            support::events(&p, &req).await.unwrap(),
            expected,
            "{split:?}"
        );
    }
    // Without `event:` lines the events are told by their `type`.
    let unnamed: String = PARALLEL_CALLS
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("event:"))
        .collect();
    let (_server, p) = vendor().answering(Response::sse(&unnamed), &[]).await;
    let req = request(vec![Message::user(
        "What's the weather in Madrid and Brasilia?",
    )]);
    assert_eq!(support::events(&p, &req).await.unwrap(), expected);
}

#[tokio::test]
async fn a_tool_round_trip_sends_the_plan_the_call_and_the_result_back() {
    let (server, p) = vendor().conversing(&[PLAN_AND_CALL, ANSWER], &[]).await;
    let mut history = vec![Message::user("What's the weather in Madrid?")];

    let first = support::reply(&p, &request(history.clone())).await;
    assert_eq!(
        first.reasoning_text(),
        "I will search for the weather in Madrid."
    );
    let calls: Vec<ToolCall> = first.tool_calls().cloned().collect();
    assert_eq!(
        calls,
        [ToolCall::new(
            "get_weather_p1t92w7gfgq7",
            "get_weather",
            json!({"location": "Madrid"})
        )]
    );
    assert_eq!(
        first.finish.as_ref().unwrap().reason,
        FinishReason::ToolCalls
    );
    history.push(first.into_message());
    history.push(Message::tool_results([ToolResult::new(
        &calls[0],
        json!({"temperature": "24°C"}),
    )]));

    let second = support::reply(&p, &request(history)).await;
    assert_eq!(second.text(), "It is currently 24°C in Madrid.");
    assert!(!second.has_tool_calls());
    assert_eq!(second.usage, Some(Usage::new(1061, 85)));
    assert_eq!(
        second.finish,
        Some(Finish::new(FinishReason::Stop, "COMPLETE"))
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let tools = r#""tools":[{"type":"function","function":{"name":"get_weather","description":"gets the weather of a given location","parameters":{"type":"object","properties":{"location":{"type":"string","description":"the location to get the weather, example: San Francisco."}},"required":["location"]}}}]"#;
    assert_eq!(
        reqs[0].text(),
        format!(
            r#"{{"model":"command-a-03-2025","messages":[{{"role":"user","content":"What's the weather in Madrid?"}}],{tools},"stream":true}}"#
        )
    );
    // The documented shape of the loop's second request: the plan as
    // `tool_plan`, the call's arguments as JSON text, the result as a
    // document whose data is JSON text.
    assert_eq!(
        reqs[1].text(),
        format!(
            concat!(
                r#"{{"model":"command-a-03-2025","messages":["#,
                r#"{{"role":"user","content":"What's the weather in Madrid?"}},"#,
                r#"{{"role":"assistant","tool_plan":"I will search for the weather in Madrid.","tool_calls":[{{"id":"get_weather_p1t92w7gfgq7","type":"function","function":{{"name":"get_weather","arguments":"{{\"location\":\"Madrid\"}}"}}}}]}},"#,
                r#"{{"role":"tool","tool_call_id":"get_weather_p1t92w7gfgq7","content":[{{"type":"document","document":{{"data":"{{\"temperature\":\"24°C\"}}"}}}}]}}"#,
                r#"],{tools},"stream":true}}"#
            ),
            tools = tools
        )
    );
}

#[tokio::test]
async fn a_reasoning_models_thinking_is_reasoning_and_goes_back_as_the_plan() {
    let (server, p) = vendor()
        .conversing(&[THINKING_THEN_CALL, ANSWER], &[])
        .await;
    let mut history = vec![Message::user("What's the weather in Toronto?")];
    let events = support::events(&p, &request(history.clone()))
        .await
        .unwrap();
    let mut expected = reasoning(&[
        "The user wants",
        " the weather in Toronto.",
        " I'll call get_weather.",
    ]);
    let id = "get_weather_sfnmhqhb8g2p";
    expected.extend([
        start(0, id, "get_weather"),
        // The start event's own piece of the arguments, then the delta's.
        piece(0, "{\"location\":"),
        piece(0, "\"Toronto\"}"),
        end(0, id, "get_weather", json!({"location": "Toronto"})),
        ChatEvent::Usage(Usage::new(1320, 61)),
        finish(FinishReason::ToolCalls, "TOOL_CALL"),
    ]);
    assert_eq!(events, expected);

    let reply = response_of(&events);
    let call = reply.tool_calls().next().unwrap().clone();
    history.push(reply.into_message());
    history.push(Message::tool_results([ToolResult::new(&call, "20°C")]));
    support::reply(&p, &request(history)).await;
    let body = server.requests()[1].json();
    assert_eq!(
        body["messages"][1],
        json!({"role":"assistant","tool_plan":"The user wants the weather in Toronto. I'll call get_weather.","tool_calls":[{"id":"get_weather_sfnmhqhb8g2p","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Toronto\"}"}}]})
    );
    assert_eq!(
        body["messages"][2],
        json!({"role":"tool","tool_call_id":"get_weather_sfnmhqhb8g2p","content":[{"type":"text","text":"20°C"}]})
    );
}

/// A one-call stream whose call carries `arguments` as its pieces.
fn one_call(arguments: &[&str], end_event: bool) -> String {
    let mut s = String::from(
        "event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":{\"id\":\"get_weather_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}}}}\n\n",
    );
    for a in arguments {
        s.push_str(&format!(
            "event: tool-call-delta\ndata: {{\"type\":\"tool-call-delta\",\"index\":0,\"delta\":{{\"message\":{{\"tool_calls\":{{\"function\":{{\"arguments\":{}}}}}}}}}}}\n\n",
            serde_json::to_string(a).unwrap()
        ));
    }
    if end_event {
        s.push_str("event: tool-call-end\ndata: {\"type\":\"tool-call-end\",\"index\":0}\n\n");
    }
    s.push_str("event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"TOOL_CALL\",\"usage\":{\"billed_units\":{\"input_tokens\":3,\"output_tokens\":4},\"tokens\":{\"input_tokens\":30,\"output_tokens\":4}}}}\n\ndata: [DONE]\n\n");
    s
}

#[tokio::test]
async fn malformed_arguments_are_a_typed_error_with_the_raw_text() {
    for end_event in [true, false] {
        let body = one_call(&["{\"location\": ", "\"Mad"], end_event);
        let (_server, p) = vendor().answering(Response::sse(&body), &[]).await;
        let (events, e) =
            support::events_until_error(&p, &request(vec![Message::user("Weather?")])).await;
        assert_eq!(
            events,
            vec![
                start(0, "get_weather_1", "get_weather"),
                piece(0, "{\"location\": "),
                piece(0, "\"Mad"),
            ],
            "end event {end_event}"
        );
        let raw = "{\"location\": \"Mad";
        support::assert_invalid_arguments(&e, "cohere", "get_weather_1", "get_weather", raw);
    }
}

#[tokio::test]
async fn a_call_left_open_is_ended_at_message_end_and_empty_arguments_are_an_object() {
    for (pieces, args) in [
        (
            &["{\"location\":\"Oslo\"}"][..],
            json!({"location": "Oslo"}),
        ),
        (&[][..], json!({})),
    ] {
        let req = request(vec![Message::user("Weather?")]);
        let (_, reply) = vendor().exchange(&one_call(pieces, false), &req, &[]).await;
        let calls: Vec<&ToolCall> = reply.tool_calls().collect();
        assert_eq!(
            calls,
            [&ToolCall::new("get_weather_1", "get_weather", args)]
        );
        assert_eq!(reply.usage, Some(Usage::new(30, 4)));
    }
}

#[tokio::test]
async fn a_call_delta_before_any_start_is_a_typed_error() {
    let body = concat!(
        "event: message-start\ndata: {\"type\":\"message-start\",\"id\":\"1\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n",
        "event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":{\"function\":{\"arguments\":\"{}\"}}}}}\n\n",
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"TOOL_CALL\"}}\n\ndata: [DONE]\n\n",
    );
    let (_server, p) = vendor().answering(Response::sse(body), &[]).await;
    let (events, e) =
        support::events_until_error(&p, &request(vec![Message::user("Weather?")])).await;
    assert!(events.is_empty(), "{events:?}");
    support::assert_error(&e, "malformed_response", "before its call started");
    assert_eq!(e.provider(), Some("cohere"));
}

#[tokio::test]
async fn a_call_start_without_a_name_is_a_typed_error() {
    let body = concat!(
        "event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":{\"id\":\"x_1\",\"type\":\"function\",\"function\":{\"arguments\":\"\"}}}}}\n\n",
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"TOOL_CALL\"}}\n\ndata: [DONE]\n\n",
    );
    let (_server, p) = vendor().answering(Response::sse(body), &[]).await;
    let e = support::reply_error(&p, &request(vec![Message::user("Weather?")])).await;
    support::assert_error(&e, "malformed_response", "without a name");
}

#[tokio::test]
async fn a_stream_cut_inside_a_call_is_a_network_error_not_a_call() {
    let at = PLAN_AND_CALL.find("event: tool-call-end").unwrap();
    let resp =
        Response::sse(&PLAN_AND_CALL[..at]).transfer(yat_fakeserver::Transfer::CloseDelimited);
    let (_server, p) = vendor().answering(resp, &[("max_retries", "0")]).await;
    let (events, e) =
        support::events_until_error(&p, &request(vec![Message::user("Weather?")])).await;
    assert!(!events
        .iter()
        .any(|e| matches!(e, ChatEvent::ToolCallEnd { .. } | ChatEvent::Finish(_))));
    support::assert_error(&e, "network", "no message-end");
}

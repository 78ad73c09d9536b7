//! yat's own OpenAI and Anthropic providers as clients of the gateway:
//! what the contract carries goes through both wire formats and comes back
//! as the mock produced it (the mock asked directly is the oracle); and
//! across formats, with the fake server as an OpenAI or Anthropic upstream.

mod support;

use serde_json::json;
use support::{bounded, clients, status_and_json, Format, Running, Setup};
use yat_core::{
    ChatRequest, ChatResponse, ChatStreamExt, FinishReason, JsonSchema, LlmProvider, Media,
    Message, Part, ReasoningConfig, ReasoningEffort, ResponseFormat, ToolResult, ToolSpec,
    YatError,
};
use yat_fakeserver::{FakeServer, Response, Route};
use yat_providers::mock::MockProvider;

/// `req` to `model` through `client`, read whole.
async fn ask(
    client: &dyn LlmProvider,
    model: &str,
    req: &ChatRequest,
) -> Result<ChatResponse, YatError> {
    let mut req = req.clone();
    req.model = model.to_owned();
    bounded("a reply", async {
        client.stream_chat(&req).await?.collect_response().await
    })
    .await
}

/// `req` to the mock's `model` asked directly: what the gateway must
/// deliver.
async fn direct(model: &str, req: &ChatRequest) -> ChatResponse {
    ask(&MockProvider::default(), model, req).await.unwrap()
}

fn tool(name: &str, property: &str) -> ToolSpec {
    ToolSpec::new(
        name,
        format!("Looks up the {property}"),
        json!({
            "type": "object",
            "properties": { property: { "type": "string" } },
            "required": [property]
        }),
    )
}

/// A PNG's signature and header: enough for the mock to check the type.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// Each kind of content the contract carries, to a mock model that
/// produces it: the reply through each of yat's clients equals the mock's
/// own — parts (text, tool calls with ids and parsed arguments), finish
/// reason and detailed usage.
#[tokio::test]
async fn every_kind_of_content_comes_back_as_the_mock_made_it_through_both_formats() {
    let gw = Setup::default().start().await;
    let schema = JsonSchema::new(
        "book",
        json!({
            "type": "object",
            "properties": { "title": { "type": "string" }, "pages": { "type": "integer" } },
            "required": ["title", "pages"]
        }),
    );
    let cases: Vec<(&str, ChatRequest)> = vec![
        (
            "mock-echo",
            ChatRequest::new("", vec![Message::user("hello through the gateway")]),
        ),
        (
            // Cached system prompt tokens: usage details survive.
            "mock-tools",
            ChatRequest::new(
                "",
                vec![Message::system("be brief"), Message::user("weather?")],
            )
            .tool(tool("weather", "city")),
        ),
        (
            "mock-parallel-tools",
            ChatRequest::new("", vec![Message::user("weather and time?")])
                .tool(tool("weather", "city"))
                .tool(tool("time", "zone")),
        ),
        (
            "mock-vision",
            ChatRequest::new(
                "",
                vec![Message::user("What is this?")
                    .with_part(Part::Image(Media::bytes("image/png", PNG)))],
            ),
        ),
        (
            "mock-json",
            ChatRequest::new("", vec![Message::user("A book, please")])
                .response_format(ResponseFormat::JsonSchema(schema)),
        ),
        (
            "mock-long",
            ChatRequest::new("", vec![Message::user("x")]).max_tokens(5),
        ),
    ];
    for (name, client) in clients(&gw).await {
        for (model, req) in &cases {
            let want = direct(model, req).await;
            let got = ask(&*client, &format!("mock/{model}"), req)
                .await
                .unwrap_or_else(|e| panic!("{name} {model}: {e}"));
            assert_eq!(got.parts, want.parts, "{name} {model}");
            assert_eq!(
                got.finish.as_ref().map(|f| f.reason),
                want.finish.as_ref().map(|f| f.reason),
                "{name} {model}"
            );
            assert_eq!(got.usage, want.usage, "{name} {model}");
        }
    }
    // The oracle itself said something worth checking.
    let echo = direct("mock-echo", &cases[0].1).await;
    assert_eq!(echo.text(), "hello through the gateway");
    let calls = direct("mock-parallel-tools", &cases[2].1).await;
    assert_eq!(calls.tool_calls().count(), 2);
    let vision = direct("mock-vision", &cases[3].1).await;
    assert!(vision.text().contains("image/png"), "{}", vision.text());
}

/// A whole tool loop through each client: the call, its result sent back
/// (the mock refuses results that do not answer the calls), the answer.
#[tokio::test]
async fn a_tool_loop_completes_through_both_formats() {
    let gw = Setup::default().start().await;
    for (name, client) in clients(&gw).await {
        let mut history = vec![Message::user("weather in Paris?")];
        let req = |h: &Vec<Message>| ChatRequest::new("", h.clone()).tool(tool("weather", "city"));
        let first = ask(&*client, "mock/mock-tools", &req(&history))
            .await
            .unwrap();
        assert_eq!(
            first.finish.as_ref().unwrap().reason,
            FinishReason::ToolCalls,
            "{name}"
        );
        let call = first.tool_calls().next().unwrap().clone();
        assert_eq!(
            (call.name.as_str(), &call.arguments),
            ("weather", &json!({ "city": "mock" })),
            "{name}"
        );
        history.push(first.into_message());
        history.push(Message::tool_results([ToolResult::new(
            &call,
            json!({ "temp": 21 }),
        )]));
        let answer = ask(&*client, "mock/mock-tools", &req(&history))
            .await
            .unwrap();
        assert_eq!(
            answer.text(),
            r#"Tool results: weather returned {"temp":21}."#,
            "{name}"
        );
    }
}

/// Reasoning crosses the Anthropic format with its signature, which the
/// next turn sends back and the mock accepts; an edited one is the
/// mock's 400, as the client's typed error. The OpenAI format carries the
/// reasoning text (`reasoning_content`) but has no place for a signature.
#[tokio::test]
async fn signed_reasoning_round_trips_over_the_anthropic_format() {
    let gw = Setup::default().start().await;
    let think = ReasoningConfig::effort(ReasoningEffort::High);
    let ask_with = |history: &Vec<Message>| ChatRequest::new("", history.clone()).reasoning(think);
    let client = support::anthropic_client(&gw).await;
    let mut history = vec![Message::user("Why is the sky blue?")];
    let want = direct("mock-reasoning", &ask_with(&history)).await;
    let first = ask(&client, "mock/mock-reasoning", &ask_with(&history))
        .await
        .unwrap();
    assert_eq!(first.parts, want.parts);
    // The Messages format counts thinking in `output_tokens` and has no
    // field for the share spent reasoning.
    let want_usage = want.usage.map(|mut u| {
        u.reasoning_tokens = None;
        u
    });
    assert_eq!(first.usage, want_usage);
    let Some(Part::Reasoning(r)) = first.parts.first() else {
        panic!("no reasoning first: {:?}", first.parts)
    };
    assert!(!r.text.is_empty() && r.signature.is_some(), "{r:?}");

    history.push(first.into_message());
    history.push(Message::user("Shorter?"));
    let second = ask(&client, "mock/mock-reasoning", &ask_with(&history))
        .await
        .unwrap();
    assert_eq!(second.text(), "Shorter?");

    if let Part::Reasoning(r) = &mut history[1].content[0] {
        r.text.push_str(" (edited)");
    }
    match ask(&client, "mock/mock-reasoning", &ask_with(&history)).await {
        Err(YatError::InvalidRequest(f)) => {
            assert!(f.message.contains("does not match its text"), "{f:?}")
        }
        other => panic!("an edited reasoning block is refused, got {other:?}"),
    }

    let openai = support::openai_client(&gw).await;
    let hi = ask_with(&vec![Message::user("hi")]);
    let over_openai = ask(&openai, "mock/mock-reasoning", &hi).await.unwrap();
    let want = direct("mock-reasoning", &hi).await;
    assert_eq!(over_openai.reasoning_text(), want.reasoning_text());
    assert_eq!(over_openai.text(), "hi");
    // Chat Completions does count reasoning tokens.
    assert_eq!(over_openai.usage, want.usage);
}

/// Non-streaming requests get each format's whole reply body.
#[tokio::test]
async fn whole_replies_have_each_format_s_body() {
    let gw = Setup::default().start().await;
    for format in Format::BOTH {
        let (status, body) = status_and_json(
            gw.say(format, "mock/mock-echo", "whole please", false)
                .await,
        )
        .await;
        assert_eq!(status, 200, "{format:?}: {body}");
        assert_eq!(format.reply_text(&body), "whole please", "{format:?}");
        match format {
            Format::OpenAi => {
                assert_eq!(body["object"], "chat.completion");
                assert_eq!(body["model"], "mock/mock-echo");
                assert_eq!(body["choices"][0]["finish_reason"], "stop");
                assert_eq!(body["usage"]["prompt_tokens"], 2);
                assert!(body["usage"]["completion_tokens"].as_u64() > Some(0));
            }
            Format::Anthropic => {
                assert_eq!(body["type"], "message");
                assert_eq!(body["model"], "mock/mock-echo");
                assert_eq!(body["stop_reason"], "end_turn");
                assert_eq!(body["usage"]["input_tokens"], 2);
                assert!(body["usage"]["output_tokens"].as_u64() > Some(0));
            }
        }
    }
}

/// One upstream vendor's stream: some text, then a call to `weather`
/// with `{"city":"Paris"}` in two pieces; 12 prompt tokens (4 from the
/// cache) and 7 generated.
fn openai_upstream_transcript() -> String {
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        json!({
            "id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1,
            "model": "gpt-up",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }]
        })
    };
    let usage = json!({
        "id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": "gpt-up",
        "choices": [],
        "usage": { "prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19,
                   "prompt_tokens_details": { "cached_tokens": 4 } }
    });
    let frames = [
        chunk(json!({ "role": "assistant", "content": "Let me " }), None),
        chunk(json!({ "content": "check." }), None),
        chunk(
            json!({ "tool_calls": [{ "index": 0, "id": "call_up", "type": "function",
                     "function": { "name": "weather", "arguments": "" } }] }),
            None,
        ),
        chunk(
            json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "{\"city\":" } }] }),
            None,
        ),
        chunk(
            json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "\"Paris\"}" } }] }),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
        usage,
    ];
    let mut out: String = frames.iter().map(|f| format!("data: {f}\n\n")).collect();
    out.push_str("data: [DONE]\n\n");
    out
}

/// The same reply as Anthropic streams it.
fn anthropic_upstream_transcript() -> String {
    let events = [
        json!({ "type": "message_start", "message": {
            "id": "msg_up", "type": "message", "role": "assistant", "model": "claude-up",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": { "input_tokens": 8, "cache_read_input_tokens": 4, "output_tokens": 1 } } }),
        json!({ "type": "content_block_start", "index": 0,
                "content_block": { "type": "text", "text": "" } }),
        json!({ "type": "content_block_delta", "index": 0,
                "delta": { "type": "text_delta", "text": "Let me " } }),
        json!({ "type": "content_block_delta", "index": 0,
                "delta": { "type": "text_delta", "text": "check." } }),
        json!({ "type": "content_block_stop", "index": 0 }),
        json!({ "type": "content_block_start", "index": 1,
                "content_block": { "type": "tool_use", "id": "call_up", "name": "weather", "input": {} } }),
        json!({ "type": "content_block_delta", "index": 1,
                "delta": { "type": "input_json_delta", "partial_json": "{\"city\":" } }),
        json!({ "type": "content_block_delta", "index": 1,
                "delta": { "type": "input_json_delta", "partial_json": "\"Paris\"}" } }),
        json!({ "type": "content_block_stop", "index": 1 }),
        json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use", "stop_sequence": null },
                "usage": { "output_tokens": 7 } }),
        json!({ "type": "message_stop" }),
    ];
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

/// A gateway whose `upstream` provider (`openai` or `anthropic`) is the
/// fake server, answering every chat with `transcript`.
async fn gateway_in_front_of(upstream: &str, transcript: String) -> (FakeServer, Running) {
    let (path, base, var) = match upstream {
        "openai" => ("/v1/chat/completions", "/v1", "OPENAI_API_KEY"),
        _ => ("/v1/messages", "", "ANTHROPIC_API_KEY"),
    };
    let server = FakeServer::start(vec![
        Route::new("POST", path).respond(Response::sse(&transcript))
    ])
    .await
    .unwrap();
    let base_url = format!("{}{base}", server.url());
    let gw = Setup::default()
        .provider(upstream, &[("base_url", &base_url)])
        .env(var, &format!("sk-upstream-{upstream}"))
        .start()
        .await;
    (server, gw)
}

/// A client of one format in front of a vendor of the other: text, a
/// streamed tool call and detailed usage arrive intact; the upstream sees
/// the gateway's own vendor key, never the client's gateway key.
#[tokio::test]
async fn each_format_reaches_an_upstream_of_the_other() {
    let cases = [
        ("openai", openai_upstream_transcript(), "anthropic"),
        ("anthropic", anthropic_upstream_transcript(), "openai"),
    ];
    for (upstream, transcript, client_name) in cases {
        let (server, gw) = gateway_in_front_of(upstream, transcript).await;
        let client = clients(&gw)
            .await
            .into_iter()
            .find(|(n, _)| *n == client_name)
            .unwrap()
            .1;
        let req = ChatRequest::new(
            "",
            vec![
                Message::system("be brief"),
                Message::user("weather in Paris?"),
            ],
        )
        .tool(tool("weather", "city"));
        let reply = ask(&*client, &format!("{upstream}/up-model"), &req)
            .await
            .unwrap_or_else(|e| panic!("{client_name} → {upstream}: {e}"));
        let case = format!("{client_name} client, {upstream} upstream");
        assert_eq!(reply.text(), "Let me check.", "{case}");
        let call = reply.tool_calls().next().expect("a tool call");
        assert_eq!(
            (call.id.as_str(), call.name.as_str(), &call.arguments),
            ("call_up", "weather", &json!({ "city": "Paris" })),
            "{case}"
        );
        assert_eq!(reply.finish.unwrap().reason, FinishReason::ToolCalls);
        let usage = reply.usage.unwrap();
        assert_eq!(
            (
                usage.total_input(),
                usage.output_tokens,
                usage.cache_read_tokens
            ),
            (12, 7, Some(4)),
            "{case}: {usage:?}"
        );

        let seen = server.requests();
        assert_eq!(seen.len(), 1, "{case}");
        let body = seen[0].json();
        assert_eq!(body["model"], "up-model", "{case}");
        assert_eq!(
            body["tools"][0]["name"]
                .as_str()
                .or(body["tools"][0]["function"]["name"].as_str()),
            Some("weather")
        );
        let upstream_key = format!("sk-upstream-{upstream}");
        let presented = seen[0]
            .header("x-api-key")
            .or(seen[0].header("authorization"))
            .unwrap_or_default();
        assert!(presented.ends_with(&upstream_key), "{case}: {presented}");
        let everything = format!("{:?}", seen[0]);
        assert!(
            !everything.contains(&gw.key),
            "{case}: the gateway key went upstream"
        );
    }
}

//! What the OpenAI provider (and its compatible presets) send: tools,
//! tool choice, response formats, reasoning, images, documents, tool
//! results and earlier tool calls, extra fields; and a tool round trip
//! over two requests. Each body is read back from a local fake server.
#![cfg(feature = "openai")]

mod support;

use serde_json::json;
use yat_core::{
    Capabilities, ChatRequest, ChatStreamExt, JsonSchema, LlmProvider, Media, Message, Part,
    Reasoning, ReasoningConfig, ReasoningEffort, ResponseFormat, ToolCall, ToolChoice, ToolResult,
    ToolSpec, YatError,
};
use yat_fakeserver::{FakeServer, Response};
use yat_providers::openai::presets::Preset;
use yat_providers::openai::request::TOOL_ERROR_PREFIX;
use yat_providers::openai::{presets, OpenAiCompatible};

const CHAT_PATH: &str = "/v1/chat/completions";

const DONE: &str = concat!(
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":null}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
);

async fn provider(server: &FakeServer, preset: &Preset) -> OpenAiCompatible {
    let base = format!("{}/v1", server.url());
    support::pointed_at(
        OpenAiCompatible::new(preset.profile()),
        preset.id,
        "sk-test-planted-0123456789",
        &base,
        &[("max_retries", "0")],
    )
    .await
}

/// The body `preset`'s provider sends for `req`.
async fn sent(preset: &Preset, req: &ChatRequest) -> serde_json::Value {
    let server = support::serve_post(CHAT_PATH, Response::sse(DONE)).await;
    let p = provider(&server, preset).await;
    support::events(&p, req).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    reqs[0].json()
}

fn weather_tool() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "Current weather in a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}),
    )
    .strict(true)
}

#[tokio::test]
async fn tools_choice_format_reasoning_seed_and_extra_as_documented() {
    let req = ChatRequest::new("gpt-5-mini", vec![Message::user("Weather in Paris?")])
        .tool(weather_tool())
        .tool(ToolSpec::new(
            "now",
            "The current time",
            json!({"type": "object"}),
        ))
        .tool_choice(ToolChoice::Tool {
            name: "get_weather".into(),
        })
        .parallel_tool_calls(false)
        .response_format(ResponseFormat::JsonSchema(JsonSchema::new(
            "answer",
            json!({"type": "object", "properties": {"text": {"type": "string"}}}),
        )))
        .reasoning(ReasoningConfig::effort(ReasoningEffort::High))
        .seed(42)
        .max_tokens(500)
        .extra("openai", "user", json!("u-42"))
        .extra("openai", "seed", json!(7))
        .extra(
            "anthropic",
            "metadata",
            json!({"user_id": "not for openai"}),
        );
    let body = sent(&presets::openai::PRESET, &req).await;
    assert_eq!(
        body,
        json!({
            "model": "gpt-5-mini",
            "messages": [{"role": "user", "content": "Weather in Paris?"}],
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_completion_tokens": 500,
            "tools": [
                {"type": "function", "function": {
                    "name": "get_weather",
                    "description": "Current weather in a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false},
                    "strict": true
                }},
                {"type": "function", "function": {
                    "name": "now",
                    "description": "The current time",
                    "parameters": {"type": "object"}
                }}
            ],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "parallel_tool_calls": false,
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "answer",
                "schema": {"type": "object", "properties": {"text": {"type": "string"}}},
                "strict": true
            }},
            "reasoning_effort": "high",
            // The extra field wins over the one yat sets.
            "seed": 7,
            "user": "u-42"
        })
    );
}

#[tokio::test]
async fn tool_choice_modes_and_json_object() {
    for (choice, wire) in [
        (ToolChoice::Auto, json!("auto")),
        (ToolChoice::None, json!("none")),
        (ToolChoice::Required, json!("required")),
    ] {
        let req = ChatRequest::new("m", vec![Message::user("hi")])
            .tool(weather_tool())
            .tool_choice(choice)
            .response_format(ResponseFormat::JsonObject)
            .reasoning(ReasoningConfig::budget_tokens(1_000));
        let body = sent(&presets::openai::PRESET, &req).await;
        assert_eq!(body["tool_choice"], wire);
        assert_eq!(body["response_format"], json!({"type": "json_object"}));
        // A budget goes as the nearest effort.
        assert_eq!(body["reasoning_effort"], "low");
    }
}

#[tokio::test]
async fn images_and_documents_go_as_content_parts() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let pdf = b"%PDF-1.7\n%yat".to_vec();
    let m = Message::user("Compare these.")
        .with_part(Part::Image(Media::url("https://example.com/cat.jpg")))
        .with_part(Part::Image(Media::bytes("image/png", png)))
        .with_part(Part::text("And read this:"))
        .with_part(Part::Document(
            Media::bytes("application/pdf", pdf).with_name("report.pdf"),
        ))
        .with_part(Part::Document(Media::url(
            "data:application/pdf;base64,JVBERi0xLjQ=",
        )));
    let req = ChatRequest::new("gpt-4o", vec![Message::system("Be brief."), m]);
    let body = sent(&presets::openai::PRESET, &req).await;
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "Compare these."},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}},
                {"type": "text", "text": "And read this:"},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjcKJXlhdA==", "filename": "report.pdf"}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjQ=", "filename": "document.pdf"}}
            ]}
        ])
    );
}

#[tokio::test]
async fn a_document_by_url_is_refused_before_anything_is_sent() {
    let server = support::serve_post(CHAT_PATH, Response::sse(DONE)).await;
    let p = provider(&server, &presets::openai::PRESET).await;
    let m = Message::user("Read").with_part(Part::Document(Media::url("https://x.test/a.pdf")));
    let e = support::reply_error(&p, &ChatRequest::new("m", vec![m])).await;
    match e {
        YatError::Unsupported { capability, .. } => assert_eq!(capability, "documents"),
        other => panic!("{other:?}"),
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn history_with_calls_results_errors_and_reasoning() {
    let weather = ToolCall::new("call_1", "get_weather", json!({"city": "Paris"}));
    let time = ToolCall::new("call_2", "now", json!({}));
    let messages = vec![
        Message::user("Weather and time in Paris?"),
        Message::assistant(vec![
            Part::Reasoning(Reasoning::new("Two tools.").with_signature("sig")),
            Part::ToolCall(weather.clone()),
            Part::ToolCall(time.clone()),
        ]),
        Message::tool_results([
            ToolResult::new(&weather, json!({"temp_c": 12, "sky": "clear"})),
            ToolResult::error(&time, "clock unavailable"),
        ]),
        Message::assistant(vec![
            Part::text("It is 12°C. "),
            Part::text("Let me retry the clock."),
            Part::ToolCall(ToolCall::new("call_3", "now", json!({"tz": "CET"}))),
        ]),
        Message::tool_results([ToolResult::from_parts(
            "call_3",
            "now",
            "09:30".into(),
            false,
        )]),
    ];
    let req = ChatRequest::new("gpt-4o", messages).tool(weather_tool());
    let body = sent(&presets::openai::PRESET, &req).await;
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "Weather and time in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":12,\"sky\":\"clear\"}"},
            {"role": "tool", "tool_call_id": "call_2", "content": format!("{TOOL_ERROR_PREFIX}clock unavailable")},
            {"role": "assistant", "content": "It is 12°C. Let me retry the clock.", "tool_calls": [
                {"id": "call_3", "type": "function", "function": {"name": "now", "arguments": "{\"tz\":\"CET\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_3", "content": "09:30"}
        ])
    );
}

#[tokio::test]
async fn a_tool_round_trip_over_two_requests() {
    let first = concat!(
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"Need the weather.\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_w\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
        "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20,\"total_tokens\":70}}\n\n",
        "data: [DONE]\n\n",
    );
    let second = concat!(
        "data: {\"id\":\"c2\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"It is 12°C in Paris.\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c2\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    let server =
        support::serve_post_in_turn(CHAT_PATH, [Response::sse(first), Response::sse(second)]).await;
    let p = provider(&server, &presets::openai::PRESET).await;

    let mut messages = vec![Message::user("Weather in Paris?")];
    let req = ChatRequest::new("gpt-4o", messages.clone()).tool(weather_tool());
    let reply = p
        .stream_chat(&req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(reply.reasoning_text(), "Need the weather.");
    let call = reply.tool_calls().next().unwrap().clone();
    assert_eq!(call.arguments, json!({"city": "Paris"}));
    messages.push(reply.into_message());
    messages.push(Message::tool_results([ToolResult::new(
        &call,
        "12°C, clear",
    )]));

    let req = ChatRequest::new("gpt-4o", messages).tool(weather_tool());
    let answer = p
        .stream_chat(&req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(answer.text(), "It is 12°C in Paris.");

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let body = reqs[1].json();
    // The reasoning is not sent back; the call and its result are.
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_w", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_w", "content": "12°C, clear"}
        ])
    );
    assert_eq!(body["tools"][0]["function"]["name"], "get_weather");
}

#[tokio::test]
async fn openai_claims_the_whole_contract() {
    let caps = OpenAiCompatible::new(presets::openai::PRESET.profile()).capabilities();
    assert_eq!(
        caps,
        Capabilities::default()
            .with_stop_sequences(true)
            .with_usage_details(true)
            .with_tools(true)
            .with_parallel_tools(true)
            .with_images(true)
            .with_documents(true)
            .with_json_schema(true)
            .with_json_object(true)
            .with_reasoning(true)
            .with_max_image_bytes(20 * Capabilities::MB)
            .with_max_document_bytes(32 * Capabilities::MB)
    );
}

#[cfg(feature = "deepseek")]
#[tokio::test]
async fn deepseek_takes_tools_and_reasoning_but_no_images() {
    let caps = OpenAiCompatible::new(presets::deepseek::PRESET.profile()).capabilities();
    assert!(caps.tools && caps.reasoning && caps.usage_details);
    assert!(!caps.images && !caps.documents && !caps.json_schema);
    let photo = ChatRequest::new(
        "deepseek-chat",
        vec![Message::user("What is this?").with_part(Part::Image(Media::url("https://x/y.png")))],
    );
    match caps.check("deepseek", &photo) {
        Err(YatError::Unsupported { capability, .. }) => assert_eq!(capability, "images"),
        other => panic!("{other:?}"),
    }
    // Its usage names the cached part of the prompt its own way.
    let body = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hm\"},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":9,\"total_tokens\":109,\"prompt_cache_hit_tokens\":64,\"prompt_cache_miss_tokens\":36,\"completion_tokens_details\":{\"reasoning_tokens\":8}}}\n\n",
        "data: [DONE]\n\n",
    );
    let server = support::serve_post(CHAT_PATH, Response::sse(body)).await;
    let p = provider(&server, &presets::deepseek::PRESET).await;
    let req = ChatRequest::new("deepseek-reasoner", vec![Message::user("hi")])
        .reasoning(ReasoningConfig::effort(ReasoningEffort::Medium));
    let reply = p
        .stream_chat(&req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(
        reply.usage,
        Some(
            yat_core::Usage::new(36, 9)
                .with_cache_read(64)
                .with_reasoning(8)
        )
    );
    assert_eq!(server.requests()[0].json()["reasoning_effort"], "medium");
}

#[cfg(feature = "openrouter")]
#[tokio::test]
async fn openrouter_takes_reasoning_as_its_object() {
    let req = ChatRequest::new("deepseek/deepseek-r1", vec![Message::user("hi")])
        .reasoning(ReasoningConfig::budget_tokens(3_000));
    let body = sent(&presets::openrouter::PRESET, &req).await;
    assert_eq!(body["reasoning"], json!({"max_tokens": 3_000}));
    assert!(body.get("reasoning_effort").is_none());
    let req = ChatRequest::new("openai/o3", vec![Message::user("hi")])
        .reasoning(ReasoningConfig::effort(ReasoningEffort::High))
        .extra("openrouter", "provider", json!({"sort": "price"}))
        .extra("openai", "user", json!("not for openrouter"));
    let body = sent(&presets::openrouter::PRESET, &req).await;
    assert_eq!(body["reasoning"], json!({"effort": "high"}));
    assert_eq!(body["provider"], json!({"sort": "price"}));
    assert!(body.get("user").is_none());
}

#[cfg(all(
    feature = "ollama",
    feature = "llamacpp",
    feature = "vllm",
    feature = "lmstudio"
))]
#[test]
fn local_servers_take_tools_and_images() {
    for preset in [
        presets::ollama::PRESET,
        presets::llamacpp::PRESET,
        presets::vllm::PRESET,
        presets::lmstudio::PRESET,
    ] {
        let caps = preset.capabilities;
        assert!(
            caps.tools && caps.images && caps.json_schema,
            "{}",
            preset.id
        );
        assert!(!caps.documents, "{}", preset.id);
    }
}

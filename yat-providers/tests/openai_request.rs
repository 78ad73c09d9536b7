//! What the OpenAI provider (and its compatible presets) send: tools,
//! tool choice, response formats, reasoning, images, documents, tool
//! results and earlier tool calls, extra fields; and a tool round trip
//! over two requests. Each body is read back from a local fake server.
#![cfg(feature = "openai")]

mod support;

use serde_json::json;
use support::vendors::openai::preset as vendor;
use support::wire::{assert_sends, Canned, Sends};
use yat_core::{
    Capabilities, ChatRequest, JsonSchema, LlmProvider, Media, Message, Part, Reasoning,
    ReasoningConfig, ReasoningEffort, ResponseFormat, ToolCall, ToolChoice, ToolOutput, ToolPart,
    ToolResult, ToolSpec, YatError,
};
use yat_providers::openai::presets::Preset;
use yat_providers::openai::request::TOOL_ERROR_PREFIX;
use yat_providers::openai::{presets, OpenAiCompatible};

const DONE: &str = concat!(
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":null}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
);

/// The short reply every request here is answered with.
fn done() -> Canned {
    Canned::new(DONE, "ok")
}

/// The body `preset`'s provider sends for `req`. The fake server stands in
/// for the vendor's own API: the `openai` preset is told so, since at any
/// other base URL it sends the token limit as compatible servers read it.
async fn sent(preset: &Preset, req: &ChatRequest) -> serde_json::Value {
    let mut settings = vec![("max_retries", "0")];
    if preset.id == "openai" {
        settings.push(("max_tokens_field", "max_completion_tokens"));
    }
    done().sent(&vendor(*preset), req, &settings).await.json()
}

/// The token limit in the field each server reads: OpenAI's own
/// `max_completion_tokens` for OpenAI, `max_tokens` for the `openai`
/// provider pointed at any other server (compatible servers ignore the
/// other field, and a reply asked to stop ran on) and for the presets of
/// compatible servers.
#[tokio::test]
async fn the_token_limit_goes_in_the_field_the_server_reads() {
    let req = ChatRequest::new("m", vec![Message::user("hi")]).max_tokens(5);
    let elsewhere: &[(&str, &str)] = &[("max_retries", "0")];
    let told_openai: &[(&str, &str)] = &[
        ("max_retries", "0"),
        ("max_tokens_field", "max_completion_tokens"),
    ];
    let cases = [
        (
            "openai at another server",
            presets::openai::PRESET,
            elsewhere,
            "max_tokens",
            "max_completion_tokens",
        ),
        (
            "openai told the server is OpenAI's",
            presets::openai::PRESET,
            told_openai,
            "max_completion_tokens",
            "max_tokens",
        ),
        #[cfg(feature = "llamacpp")]
        (
            "the llama.cpp preset",
            presets::llamacpp::PRESET,
            elsewhere,
            "max_tokens",
            "max_completion_tokens",
        ),
    ];
    for (name, preset, settings, field, other) in cases {
        let body = done().sent(&vendor(preset), &req, settings).await.json();
        assert_eq!(body[field], 5, "{name}: {body}");
        assert!(body.get(other).is_none(), "{name}: {body}");
    }
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
    let rows = [
        (ToolChoice::Auto, json!("auto")),
        (ToolChoice::None, json!("none")),
        (ToolChoice::Required, json!("required")),
    ]
    .map(|(choice, wire)| {
        let req = ChatRequest::new("m", vec![Message::user("hi")])
            .tool(weather_tool())
            .tool_choice(choice.clone())
            .response_format(ResponseFormat::JsonObject)
            .reasoning(ReasoningConfig::budget_tokens(1_000));
        Sends::new(format!("{choice:?}"), req)
            .field("/tool_choice", wire)
            .field("/response_format", json!({"type": "json_object"}))
            // A budget goes as the nearest effort.
            .field("/reasoning_effort", json!("low"))
    });
    assert_sends(&vendor(presets::openai::PRESET), &done(), rows).await;
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
    let m = Message::user("Read").with_part(Part::Document(Media::url("https://x.test/a.pdf")));
    let req = ChatRequest::new("m", vec![m]);
    match vendor(presets::openai::PRESET).refused(&req, &[]).await {
        YatError::Unsupported { capability, .. } => assert_eq!(capability, "documents"),
        other => panic!("{other:?}"),
    }
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
async fn tool_result_images_follow_the_turns_tool_messages_in_one_user_message() {
    let chart = ToolCall::new("call_1", "chart", json!({}));
    let table = ToolCall::new("call_2", "table", json!({}));
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let messages = vec![
        Message::user("Chart and table?"),
        Message::assistant(vec![
            Part::ToolCall(chart.clone()),
            Part::ToolCall(table.clone()),
        ]),
        // Two tool messages answer the one assistant message.
        Message::tool_results([ToolResult::new(
            &chart,
            ToolOutput::parts([
                ToolPart::text("the chart:"),
                ToolPart::Image(Media::bytes("image/png", png)),
            ]),
        )]),
        Message::tool_results([ToolResult::new(
            &table,
            ToolOutput::parts([
                ToolPart::Image(Media::url("https://x.test/t.png")),
                ToolPart::Document(
                    Media::bytes("application/pdf", b"%PDF-1.7\n".to_vec()).with_name("t.pdf"),
                ),
            ]),
        )]),
        Message::user("Describe them."),
    ];
    let req = ChatRequest::new("gpt-4o", messages);
    let body = sent(&presets::openai::PRESET, &req).await;
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "Chart and table?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "chart", "arguments": "{}"}},
                {"id": "call_2", "type": "function", "function": {"name": "table", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "the chart:\n[image: image/png, 16 bytes]"},
            {"role": "tool", "tool_call_id": "call_2", "content": "[image: https://x.test/t.png]\n[document: application/pdf, 9 bytes]"},
            {"role": "user", "content": [
                {"type": "text", "text": "The images and documents the chart tool returned (call call_1):"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}},
                {"type": "text", "text": "The images and documents the table tool returned (call call_2):"},
                {"type": "image_url", "image_url": {"url": "https://x.test/t.png"}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjcK", "filename": "t.pdf"}}
            ]},
            {"role": "user", "content": "Describe them."}
        ])
    );
    // At the end of the conversation too (the tool loop's next request).
    let req = ChatRequest::new("gpt-4o", req.messages[..3].to_vec());
    let body = sent(&presets::openai::PRESET, &req).await;
    let last = &body["messages"][3];
    assert_eq!(last["role"], "user");
    assert_eq!(
        last["content"][1]["image_url"]["url"],
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="
    );
    assert_eq!(body["messages"].as_array().unwrap().len(), 4);
    // A server that takes no images gets the description only: the
    // request is not refused over what a tool returned.
    let body = sent(&presets::deepseek::PRESET, &req).await;
    assert_eq!(body["messages"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(
        body["messages"][2]["content"],
        "the chart:\n[image: image/png, 16 bytes]"
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
    let (server, p) = vendor(presets::openai::PRESET)
        .conversing(&[first, second], &[("max_retries", "0")])
        .await;

    let mut messages = vec![Message::user("Weather in Paris?")];
    let req = ChatRequest::new("gpt-4o", messages.clone()).tool(weather_tool());
    let reply = support::reply(&p, &req).await;
    assert_eq!(reply.reasoning_text(), "Need the weather.");
    let call = reply.tool_calls().next().unwrap().clone();
    assert_eq!(call.arguments, json!({"city": "Paris"}));
    messages.push(reply.into_message());
    messages.push(Message::tool_results([ToolResult::new(
        &call,
        "12°C, clear",
    )]));

    let req = ChatRequest::new("gpt-4o", messages).tool(weather_tool());
    let answer = support::reply(&p, &req).await;
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
    let req = ChatRequest::new("deepseek-reasoner", vec![Message::user("hi")])
        .reasoning(ReasoningConfig::effort(ReasoningEffort::Medium));
    let deepseek = vendor(presets::deepseek::PRESET);
    let (sent, reply) = deepseek.exchange(body, &req, &[("max_retries", "0")]).await;
    assert_eq!(
        reply.usage,
        Some(
            yat_core::Usage::new(36, 9)
                .with_cache_read(64)
                .with_reasoning(8)
        )
    );
    assert_eq!(sent.json()["reasoning_effort"], "medium");
}

#[cfg(feature = "openrouter")]
#[tokio::test]
async fn openrouter_takes_reasoning_as_its_object() {
    let budget = ChatRequest::new("deepseek/deepseek-r1", vec![Message::user("hi")])
        .reasoning(ReasoningConfig::budget_tokens(3_000));
    let effort = ChatRequest::new("openai/o3", vec![Message::user("hi")])
        .reasoning(ReasoningConfig::effort(ReasoningEffort::High))
        .extra("openrouter", "provider", json!({"sort": "price"}))
        .extra("openai", "user", json!("not for openrouter"));
    let rows = [
        Sends::new("a budget", budget)
            .field("/reasoning", json!({"max_tokens": 3_000}))
            .absent("/reasoning_effort"),
        Sends::new("an effort, and extra fields", effort)
            .field("/reasoning", json!({"effort": "high"}))
            .field("/provider", json!({"sort": "price"}))
            .absent("/user"),
    ];
    assert_sends(&vendor(presets::openrouter::PRESET), &done(), rows).await;
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

//! What the Anthropic provider sends for the 0.2 contract, field by field,
//! as a local fake server receives it: content blocks, tool calls and
//! results, reasoning sent back, tools and tool choice, thinking, JSON
//! schema output, extra fields; and what it claims.
#![cfg(feature = "anthropic")]

mod support;

use serde_json::json;
use support::vendors::anthropic::vendor;
use support::wire::{assert_sends, Canned, Sends};
use yat_core::{
    ChatRequest, JsonSchema, LlmProvider, Media, Message, ModelCapabilities, Part, Reasoning,
    ReasoningConfig, ReasoningEffort, ResponseFormat, ToolCall, ToolChoice, ToolOutput, ToolPart,
    ToolResult, ToolSpec, YatError,
};
use yat_fakeserver::{anthropic_stream, Response};
use yat_providers::anthropic::Anthropic;

/// The short text every request here is answered with.
fn ok() -> Canned {
    Canned::new(anthropic_stream(&["ok"]), "ok")
}

/// The body the provider sent for `req`.
async fn sent(req: &ChatRequest) -> serde_json::Value {
    ok().sent(&vendor(), req, &[]).await.json()
}

/// The error `req` fails with, and that nothing was sent.
async fn refused(req: &ChatRequest) -> YatError {
    vendor().refused(req, &[]).await
}

fn weather() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "The current weather in a city.",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

#[tokio::test]
async fn user_content_goes_as_text_image_and_document_blocks() {
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let req = ChatRequest::new(
        "claude-sonnet-4-5",
        vec![Message::user(vec![
            Part::text("Compare these."),
            Part::Image(Media::bytes("image/png", png)),
            Part::Image(Media::url("https://upload.wikimedia.org/cat.jpg")),
            Part::Image(Media::url("data:image/webp;base64,UklGRg==")),
            Part::Document(
                Media::bytes("application/pdf", b"%PDF-1.7\n".to_vec()).with_name("report.pdf"),
            ),
            Part::Document(Media::url("https://example.com/paper.pdf")),
        ])],
    );
    assert_eq!(
        sent(&req).await["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "Compare these."},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="}},
            {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/cat.jpg"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "UklGRg=="}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjcK"}, "title": "report.pdf"},
            {"type": "document", "source": {"type": "url", "url": "https://example.com/paper.pdf"}}
        ]}])
    );
}

#[tokio::test]
async fn an_image_whose_type_cannot_be_told_is_refused_before_sending() {
    let mut unknown = Media::bytes("x", b"not an image".to_vec());
    unknown.media_type = None;
    let req = ChatRequest::new("m", vec![Message::user(Part::Image(unknown))]);
    let e = refused(&req).await;
    assert!(matches!(e, YatError::InvalidRequest(_)), "{e:?}");
    assert!(e.to_string().contains("media type"), "{e}");
}

#[tokio::test]
async fn assistant_calls_signed_reasoning_and_tool_results_go_back_verbatim() {
    let weather = ToolCall::new("toolu_01A", "get_weather", json!({"city": "Paris"}));
    let time = ToolCall::new("toolu_01B", "get_time", serde_json::Value::Null);
    let req = ChatRequest::new(
        "m",
        vec![
            Message::system("Use tools."),
            Message::user("Weather in Paris, time in Tokyo?"),
            Message::assistant(vec![
                Part::Reasoning(Reasoning::new("Two tools.").with_signature("sig-1==")),
                Part::Reasoning(Reasoning::redacted("EmwKAhgB")),
                // Unsigned (another provider's, or cut short): the API
                // would reject it.
                Part::Reasoning(Reasoning::new("unsigned musing")),
                Part::text("Checking both."),
                Part::ToolCall(weather.clone()),
                Part::ToolCall(time.clone()),
            ]),
            Message::tool_results([
                ToolResult::new(&weather, json!({"temp_c": 21, "sky": "sunny"})),
                ToolResult::error(&time, "the clock service is down"),
            ]),
        ],
    )
    .tool(self::weather());
    let body = sent(&req).await;
    assert_eq!(body["system"], "Use tools.");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "Weather in Paris, time in Tokyo?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Two tools.", "signature": "sig-1=="},
                {"type": "redacted_thinking", "data": "EmwKAhgB"},
                {"type": "text", "text": "Checking both."},
                {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_01B", "name": "get_time", "input": {}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "{\"temp_c\":21,\"sky\":\"sunny\"}"},
                {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "the clock service is down", "is_error": true}
            ]}
        ])
    );
}

#[tokio::test]
async fn tool_result_images_and_documents_go_as_blocks_of_its_content() {
    let call = ToolCall::new("toolu_01", "chart", json!({}));
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let req = ChatRequest::new(
        "m",
        vec![
            Message::user("Chart it."),
            Message::assistant(Part::ToolCall(call.clone())),
            Message::tool_results([ToolResult::new(
                &call,
                ToolOutput::parts([
                    ToolPart::text("the chart:"),
                    ToolPart::Image(Media::bytes("image/png", png)),
                    ToolPart::text(""),
                    ToolPart::Document(Media::url("https://example.com/data.pdf")),
                ]),
            )]),
        ],
    );
    assert_eq!(
        sent(&req).await["messages"][2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": [
                {"type": "text", "text": "the chart:"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="}},
                {"type": "document", "source": {"type": "url", "url": "https://example.com/data.pdf"}}
            ]}
        ]})
    );
    // Parts of text only stay a string, as every other result does.
    let text_only = ChatRequest::new(
        "m",
        vec![
            Message::user("Chart it."),
            Message::assistant(Part::ToolCall(call.clone())),
            Message::tool_results([ToolResult::new(
                &call,
                ToolOutput::parts([ToolPart::text("a"), ToolPart::text("b")]),
            )]),
        ],
    );
    assert_eq!(
        sent(&text_only).await["messages"][2]["content"][0]["content"],
        "a\nb"
    );
    // An image whose type cannot be told is refused, as in a user turn.
    let mut unknown = Media::bytes("x", b"not an image".to_vec());
    unknown.media_type = None;
    let bad = ChatRequest::new(
        "m",
        vec![
            Message::user("Chart it."),
            Message::assistant(Part::ToolCall(call.clone())),
            Message::tool_results([ToolResult::new(
                &call,
                ToolOutput::parts([ToolPart::Image(unknown)]),
            )]),
        ],
    );
    let e = refused(&bad).await;
    assert!(matches!(e, YatError::InvalidRequest(_)), "{e:?}");
}

#[tokio::test]
async fn tool_results_lead_the_user_turn_they_merge_into() {
    let call = ToolCall::new("toolu_01", "now", json!({}));
    let ask = Message::user("What time is it?");
    let calls = Message::assistant(Part::ToolCall(call.clone()));
    let results = Message::tool_results([ToolResult::new(&call, "12:00")]);
    let expected_turn = json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01", "content": "12:00"},
        {"type": "text", "text": "Answer in words."}
    ]});
    // Results, then the user's next words: one turn, results first.
    let after = ChatRequest::new(
        "m",
        vec![
            ask.clone(),
            calls.clone(),
            results.clone(),
            Message::user("Answer in words."),
        ],
    );
    let body = sent(&after).await;
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
    assert_eq!(body["messages"][2], expected_turn);
    // The user's words first, then the results: still results first.
    let before = ChatRequest::new(
        "m",
        vec![ask, calls, Message::user("Answer in words."), results],
    );
    assert_eq!(sent(&before).await["messages"][2], expected_turn);
}

#[tokio::test]
async fn tools_and_every_tool_choice_are_mapped() {
    let base = ChatRequest::new("m", vec![Message::user("x")])
        .tool(weather())
        .tool(ToolSpec::new("now", "", json!({"type": "object", "properties": {}})).strict(true));
    let tools = json!([
        {"name": "get_weather", "description": "The current weather in a city.", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        {"name": "now", "input_schema": {"type": "object", "properties": {}}, "strict": true}
    ]);
    let mut rows = vec![Sends::new("no choice", base.clone())
        .field("/tools", tools)
        .absent("/tool_choice")];
    for (choice, serial, expected) in [
        (ToolChoice::Auto, false, json!({"type": "auto"})),
        (ToolChoice::Required, false, json!({"type": "any"})),
        (ToolChoice::None, false, json!({"type": "none"})),
        (
            ToolChoice::Tool {
                name: "get_weather".into(),
            },
            false,
            json!({"type": "tool", "name": "get_weather"}),
        ),
        (
            ToolChoice::Auto,
            true,
            json!({"type": "auto", "disable_parallel_tool_use": true}),
        ),
        (
            ToolChoice::Required,
            true,
            json!({"type": "any", "disable_parallel_tool_use": true}),
        ),
        (
            ToolChoice::Tool { name: "now".into() },
            true,
            json!({"type": "tool", "name": "now", "disable_parallel_tool_use": true}),
        ),
        // `none` runs nothing, in parallel or not.
        (ToolChoice::None, true, json!({"type": "none"})),
    ] {
        let mut req = base.clone().tool_choice(choice.clone());
        if serial {
            req = req.parallel_tool_calls(false);
        }
        let name = format!("{choice:?} serial={serial}");
        rows.push(Sends::new(name, req).field("/tool_choice", expected));
    }
    // No choice, parallel calls forbidden: an `auto` choice carries the flag.
    rows.push(
        Sends::new("no choice, serial", base.clone().parallel_tool_calls(false)).field(
            "/tool_choice",
            json!({"type": "auto", "disable_parallel_tool_use": true}),
        ),
    );
    rows.push(
        Sends::new("no choice, parallel", base.parallel_tool_calls(true)).absent("/tool_choice"),
    );
    assert_sends(&vendor(), &ok(), rows).await;
}

#[tokio::test]
async fn reasoning_asks_for_thinking_with_room_for_the_answer() {
    let effort = ChatRequest::new("m", vec![Message::user("x")])
        .reasoning(ReasoningConfig::effort(ReasoningEffort::Medium));
    let req = ChatRequest::new("m", vec![Message::user("x")])
        .reasoning(ReasoningConfig::budget_tokens(1024))
        .max_tokens(2000);
    let rows = [
        Sends::new("an effort", effort)
            .setting("max_tokens", "1000")
            .field(
                "/thinking",
                json!({"type": "enabled", "budget_tokens": 8192}),
            )
            // The budget plus the configured default, so the answer keeps
            // its room.
            .field("/max_tokens", json!(9192)),
        Sends::new("a budget within the limit", req.clone())
            .field("/thinking/budget_tokens", json!(1024))
            .field("/max_tokens", json!(2000)),
    ];
    assert_sends(&vendor(), &ok(), rows).await;
    // A limit the thinking alone would use up is refused, naming both.
    let e = refused(&req.max_tokens(1024)).await;
    assert!(matches!(e, YatError::InvalidRequest(_)), "{e:?}");
    assert!(e.to_string().contains("1024"), "{e}");
}

#[tokio::test]
async fn a_json_schema_goes_in_output_config_and_the_reply_is_its_json() {
    let schema = json!({
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
        "additionalProperties": false
    });
    let req =
        ChatRequest::new("m", vec![Message::user("Largest city of France?")]).response_format(
            ResponseFormat::JsonSchema(JsonSchema::new("city", schema.clone())),
        );
    let reply = r#"{"city": "Paris", "population": 2102650}"#;
    let stream = anthropic_stream(&[&reply[..20], &reply[20..]]);
    let (sent, response) = vendor().exchange(&stream, &req, &[]).await;
    let body = sent.json();
    assert_eq!(
        body["output_config"],
        json!({"format": {"type": "json_schema", "schema": schema}})
    );
    assert!(body.get("tools").is_none() && body.get("tool_choice").is_none());
    let value: serde_json::Value = serde_json::from_str(&response.text()).unwrap();
    assert_eq!(value, json!({"city": "Paris", "population": 2102650}));
}

#[tokio::test]
async fn schemaless_json_is_unsupported_and_nothing_is_sent() {
    let req =
        ChatRequest::new("m", vec![Message::user("x")]).response_format(ResponseFormat::JsonObject);
    let e = refused(&req).await;
    assert_eq!(e.kind(), "unsupported", "{e}");
}

#[tokio::test]
async fn seed_is_not_sent_and_extra_fields_override_the_top_level() {
    let req = ChatRequest::new("claude-sonnet-4-5", vec![Message::user("hi")])
        .temperature(0.7)
        .max_tokens(64)
        .seed(42)
        .extra("anthropic", "top_k", json!(5))
        .extra("anthropic", "metadata", json!({"user_id": "u-42"}))
        .extra("anthropic", "max_tokens", json!(99))
        .extra("openai", "user", json!("someone else's"));
    // The bytes: the overridden field keeps its place, new ones follow,
    // and the float is still written as given.
    assert_eq!(
        ok().sent(&vendor(), &req, &[]).await.text(),
        r#"{"model":"claude-sonnet-4-5","max_tokens":99,"messages":[{"role":"user","content":"hi"}],"temperature":0.7,"stream":true,"top_k":5,"metadata":{"user_id":"u-42"}}"#
    );
}

#[tokio::test]
async fn the_contract_is_claimed() {
    let p = Anthropic::default();
    let c = p.capabilities();
    assert!(c.tools && c.parallel_tools && c.images && c.documents);
    assert!(c.json_schema && c.reasoning && c.usage_details);
    assert!(c.usage && c.max_tokens && c.stop_sequences && c.rejects_unknown_models);
}

#[tokio::test]
async fn model_capabilities_come_from_the_listing_where_it_has_them() {
    let listing = Response::json(
        200,
        r#"{"data":[
            {"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-15T00:00:00Z","max_input_tokens":200000,"max_tokens":64000,"lifecycle":"active","capabilities":{"batch":{"supported":true},"citations":{"supported":true},"image_input":{"supported":true},"pdf_input":{"supported":true},"structured_outputs":{"supported":true},"thinking":{"supported":true,"types":{"enabled":{"supported":true},"adaptive":{"supported":false}}}}},
            {"type":"model","id":"claude-3-haiku-20240307","display_name":"Claude Haiku 3","created_at":"2024-03-07T00:00:00Z","capabilities":{"image_input":{"supported":true},"pdf_input":{"supported":false},"structured_outputs":{"supported":false},"thinking":{"supported":false}}},
            {"type":"model","id":"claude-opus-4-1-20250805","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"}
        ],"first_id":"claude-haiku-4-5-20251001","last_id":"claude-opus-4-1-20250805","has_more":false}"#,
    );
    let server = support::serve_get("/v1/models", listing).await;
    let p = vendor().at(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    let caps = |id: &str| models.iter().find(|m| m.id == id).unwrap().capabilities;
    let all = ModelCapabilities::default()
        .images(true)
        .documents(true)
        .json_schema(true)
        .reasoning(true);
    assert_eq!(caps("claude-haiku-4-5-20251001"), Some(all));
    assert_eq!(
        caps("claude-3-haiku-20240307"),
        Some(
            ModelCapabilities::default()
                .images(true)
                .documents(false)
                .json_schema(false)
                .reasoning(false)
        )
    );
    // The listing says nothing about tools: that stays unknown.
    assert_eq!(caps("claude-haiku-4-5-20251001").unwrap().tools, None);
    assert_eq!(caps("claude-opus-4-1-20250805"), None);
}

//! Every part of the 0.2 contract as the Gemini provider puts it on the
//! wire: the bodies a local fake server received, byte for byte or field
//! by field.
#![cfg(any(feature = "gemini", feature = "google"))]

mod support;

use serde_json::{json, Value};
use support::vendors::gemini::vendor_as;
use support::wire::{assert_sends, Canned, Sends};
use yat_core::assemble::SYNTHETIC_ID_PREFIX;
use yat_core::{
    ChatRequest, JsonSchema, LlmProvider, Media, Message, ModelCapabilities, Part, Reasoning,
    ReasoningConfig, ReasoningEffort, ResponseFormat, ToolCall, ToolChoice, ToolOutput, ToolPart,
    ToolResult, ToolSpec, YatError,
};
use yat_fakeserver::Response;
use yat_providers::gemini::Gemini;

const REPLY: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"OK\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 5,\"candidatesTokenCount\": 1,\"totalTokenCount\": 6}}\r\n\r\n";

/// The short reply every request here is answered with.
fn ok() -> Canned {
    Canned::new(REPLY, "OK")
}

/// The body `id` sends for `req`, as the server received it.
async fn sent_as(id: &'static str, req: &ChatRequest) -> String {
    ok().sent(&vendor_as(id), req, &[]).await.text()
}

async fn sent(req: &ChatRequest) -> String {
    sent_as("gemini", req).await
}

async fn sent_json(req: &ChatRequest) -> Value {
    serde_json::from_str(&sent(req).await).unwrap()
}

fn ask(messages: Vec<Message>) -> ChatRequest {
    ChatRequest::new("gemini-2.5-flash", messages)
}

fn weather_tool() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "Current weather in a city",
        json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": false
        }),
    )
}

#[tokio::test]
async fn images_and_documents_go_out_as_inline_data_or_file_data() {
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let pdf = b"%PDF-1.7\n%\xe2\xe3".to_vec();
    let req = ask(vec![Message::user(vec![
        Part::text("Compare these."),
        Part::Image(Media::bytes("image/png", png).with_name("cat.png")),
        Part::Document(Media::bytes("application/pdf", pdf)),
        Part::Image(Media::url("https://example.com/dog.jpg").with_media_type("image/jpeg")),
        Part::Document(Media::url(
            "https://generativelanguage.googleapis.com/v1beta/files/abc-123",
        )),
        Part::Image(Media::url("data:image/gif;base64,R0lGODlhAQABAAAAACw=")),
    ])]);
    assert_eq!(
        sent(&req).await,
        concat!(
            r#"{"contents":[{"role":"user","parts":["#,
            r#"{"text":"Compare these."},"#,
            r#"{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgoAAAANSUhEUg=="}},"#,
            r#"{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0xLjcKJeLj"}},"#,
            r#"{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/dog.jpg"}},"#,
            r#"{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc-123"}},"#,
            r#"{"inlineData":{"mimeType":"image/gif","data":"R0lGODlhAQABAAAAACw="}}"#,
            r#"]}]}"#
        )
    );
}

#[tokio::test]
async fn media_that_cannot_be_typed_fails_before_anything_is_sent() {
    let mut unknown = Media::bytes("x", b"plain words".to_vec()).with_name("notes.bin");
    unknown.media_type = None;
    let req = ask(vec![Message::user(Part::Document(unknown))]);
    let e = vendor_as("gemini").refused(&req, &[]).await;
    assert!(matches!(e, YatError::InvalidRequest(_)), "{e:?}");
    assert!(e.to_string().contains("notes.bin"), "{e}");
}

#[tokio::test]
async fn tools_go_out_as_function_declarations_with_their_json_schema() {
    let req = ask(vec![Message::user("Weather in Paris?")])
        .tool(weather_tool())
        .tool(ToolSpec::new("now", "The current time", Value::Null));
    assert_eq!(
        sent(&req).await,
        concat!(
            r#"{"contents":[{"role":"user","parts":[{"text":"Weather in Paris?"}]}],"#,
            r#""tools":[{"functionDeclarations":["#,
            r#"{"name":"get_weather","description":"Current weather in a city","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}},"#,
            r#"{"name":"now","description":"The current time"}"#,
            r#"]}]}"#
        )
    );
}

#[tokio::test]
async fn each_tool_choice_is_a_function_calling_mode() {
    for (choice, config) in [
        (ToolChoice::Auto, json!({"mode": "AUTO"})),
        (ToolChoice::None, json!({"mode": "NONE"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (
            ToolChoice::Tool {
                name: "get_weather".into(),
            },
            json!({"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
        ),
    ] {
        let req = ask(vec![Message::user("Weather?")])
            .tool(weather_tool())
            .tool_choice(choice.clone())
            .parallel_tool_calls(true);
        let body = sent_json(&req).await;
        assert_eq!(
            body["toolConfig"],
            json!({ "functionCallingConfig": config }),
            "{choice:?}"
        );
        // Gemini has no switch for parallel calls: nothing else is sent.
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, ["contents", "tools", "toolConfig"], "{choice:?}");
    }
}

#[tokio::test]
async fn calls_and_results_go_back_as_function_parts_with_real_ids_and_signatures() {
    let signed = ToolCall::new("call-7", "get_weather", json!({"city": "Paris"}))
        .with_signature("CsUCAXLI2nxwG8hL3k1/Tf0xdGhpbmtpbmc=");
    let made_up = ToolCall::new(
        format!("{SYNTHETIC_ID_PREFIX}1"),
        "get_weather",
        json!({"city": "Oslo"}),
    );
    let lookup = ToolCall::new("call-9", "lookup", json!({}));
    let req = ask(vec![
        Message::user("Weather in Paris and Oslo?"),
        Message::assistant(vec![
            Part::ToolCall(signed.clone()),
            Part::ToolCall(made_up.clone()),
            Part::ToolCall(lookup.clone()),
        ]),
        Message::tool_results([
            ToolResult::new(&signed, "12°C"),
            ToolResult::error(&made_up, "the weather service is down"),
            ToolResult::new(&lookup, ToolOutput::Json(json!({"rows": 2, "ok": true}))),
        ]),
        Message::tool_results([ToolResult::new(&lookup, ToolOutput::Json(json!([1, 2])))]),
        Message::user("Thanks."),
    ]);
    assert_eq!(
        sent(&req).await,
        concat!(
            r#"{"contents":["#,
            r#"{"role":"user","parts":[{"text":"Weather in Paris and Oslo?"}]},"#,
            r#"{"role":"model","parts":["#,
            r#"{"functionCall":{"name":"get_weather","args":{"city":"Paris"},"id":"call-7"},"thoughtSignature":"CsUCAXLI2nxwG8hL3k1/Tf0xdGhpbmtpbmc="},"#,
            r#"{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}},"#,
            r#"{"functionCall":{"name":"lookup","args":{},"id":"call-9"}}"#,
            r#"]},"#,
            r#"{"role":"user","parts":["#,
            r#"{"functionResponse":{"name":"get_weather","response":{"result":"12°C"},"id":"call-7"}},"#,
            r#"{"functionResponse":{"name":"get_weather","response":{"error":"the weather service is down"}}},"#,
            r#"{"functionResponse":{"name":"lookup","response":{"rows":2,"ok":true},"id":"call-9"}},"#,
            r#"{"functionResponse":{"name":"lookup","response":{"result":[1,2]},"id":"call-9"}},"#,
            r#"{"text":"Thanks."}"#,
            r#"]}]}"#
        )
    );
}

#[tokio::test]
async fn a_results_images_go_nested_in_its_function_response() {
    let chart = ToolCall::new("call-1", "chart", json!({}));
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let req = ask(vec![
        Message::user("Chart it."),
        Message::assistant(Part::ToolCall(chart.clone())),
        Message::tool_results([ToolResult::new(
            &chart,
            ToolOutput::parts([
                ToolPart::text("the chart:"),
                ToolPart::Image(Media::bytes("image/png", png)),
                ToolPart::Document(
                    Media::url("https://x.test/data.pdf").with_media_type("application/pdf"),
                ),
            ]),
        )]),
    ]);
    assert_eq!(
        sent(&req).await,
        concat!(
            r#"{"contents":["#,
            r#"{"role":"user","parts":[{"text":"Chart it."}]},"#,
            r#"{"role":"model","parts":[{"functionCall":{"name":"chart","args":{},"id":"call-1"}}]},"#,
            r#"{"role":"user","parts":[{"functionResponse":{"name":"chart","#,
            r#""response":{"result":"the chart:\n[image: image/png, 16 bytes]\n[document: https://x.test/data.pdf]"},"#,
            r#""id":"call-1","parts":["#,
            r#"{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgoAAAANSUhEUg=="}},"#,
            r#"{"fileData":{"mimeType":"application/pdf","fileUri":"https://x.test/data.pdf"}}"#,
            r#"]}}]}]}"#
        )
    );
}

#[tokio::test]
async fn reasoning_goes_back_as_its_signatures_only() {
    let req = ask(vec![
        Message::user("2 + 2?"),
        Message::assistant(vec![
            Part::Reasoning(Reasoning::new("The user asks for a sum.")),
            Part::text("4."),
            Part::Reasoning(Reasoning::default().with_signature("EjQKMgEM0JtSx+Zr9cYb")),
            // Another provider's hidden reasoning means nothing to Gemini.
            Part::Reasoning(Reasoning::redacted("opaque-anthropic-data")),
        ]),
        Message::assistant(Part::Reasoning(
            Reasoning::new("Thinking, signed.").with_signature("c2lnbmVkLXRob3VnaHQ="),
        )),
        Message::user("And 3 + 3?"),
    ]);
    assert_eq!(
        sent(&req).await,
        concat!(
            r#"{"contents":["#,
            r#"{"role":"user","parts":[{"text":"2 + 2?"}]},"#,
            r#"{"role":"model","parts":[{"text":"4."},{"text":"","thoughtSignature":"EjQKMgEM0JtSx+Zr9cYb"},{"text":"","thoughtSignature":"c2lnbmVkLXRob3VnaHQ="}]},"#,
            r#"{"role":"user","parts":[{"text":"And 3 + 3?"}]}"#,
            r#"]}"#
        )
    );
}

#[tokio::test]
async fn response_formats_reasoning_and_the_seed_go_in_the_generation_config() {
    let schema = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": false
    });
    let x = || ask(vec![Message::user("x")]);
    let config = "/generationConfig";
    let rows = [
        Sends::new("JSON", x().response_format(ResponseFormat::JsonObject))
            .field(config, json!({"responseMimeType": "application/json"})),
        Sends::new(
            "a JSON schema",
            x().response_format(ResponseFormat::JsonSchema(JsonSchema::new(
                "city",
                schema.clone(),
            ))),
        )
        .field(
            config,
            json!({"responseMimeType": "application/json", "responseJsonSchema": schema}),
        ),
        Sends::new("text", x().response_format(ResponseFormat::Text)).absent(config),
        Sends::new(
            "an effort",
            x().reasoning(ReasoningConfig::effort(ReasoningEffort::High)),
        )
        .field(
            config,
            json!({"thinkingConfig": {"thinkingBudget": 24576, "includeThoughts": true}}),
        ),
        Sends::new(
            "a budget",
            x().reasoning(ReasoningConfig::budget_tokens(1024)),
        )
        .field(
            config,
            json!({"thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": true}}),
        ),
        Sends::new("a seed", x().seed(42)).field(config, json!({"seed": 42})),
    ];
    assert_sends(&vendor_as("gemini"), &ok(), rows).await;
    // All at once, in the documented order, the f32s as written.
    let req = ask(vec![Message::user("x")])
        .temperature(0.2)
        .max_tokens(100)
        .seed(7)
        .response_format(ResponseFormat::JsonObject)
        .reasoning(ReasoningConfig::effort(ReasoningEffort::Low));
    assert_eq!(
        sent(&req).await,
        r#"{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"temperature":0.2,"maxOutputTokens":100,"seed":7,"responseMimeType":"application/json","thinkingConfig":{"thinkingBudget":2048,"includeThoughts":true}}}"#
    );
}

#[tokio::test]
async fn extra_fields_for_this_provider_id_are_merged_over_the_body() {
    let req = ask(vec![Message::user("x")])
        .temperature(0.5)
        .extra(
            "gemini",
            "safetySettings",
            json!([{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]),
        )
        .extra("gemini", "generationConfig", json!({"topK": 40}))
        .extra("google", "cachedContent", json!("cachedContents/abc"))
        .extra("openai", "user", json!("u-1"));
    assert_eq!(
        sent(&req).await,
        r#"{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"topK":40},"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}"#
    );
    // The alias reads the extras filed under its own id.
    assert_eq!(
        sent_as("google", &req).await,
        r#"{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"temperature":0.5},"cachedContent":"cachedContents/abc"}"#
    );
}

#[tokio::test]
async fn the_provider_claims_the_whole_contract() {
    let caps = Gemini::new("gemini").capabilities();
    assert!(caps.usage && caps.usage_details && caps.stop_sequences && caps.max_tokens);
    assert!(caps.tools && caps.parallel_tools && caps.images && caps.documents);
    assert!(caps.json_schema && caps.reasoning);
    assert_eq!(Gemini::new("google").capabilities(), caps);
}

#[tokio::test]
async fn the_listing_says_which_models_think() {
    let page = r#"{"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash","supportedGenerationMethods":["generateContent"],"thinking":true},{"name":"models/gemini-2.0-flash","supportedGenerationMethods":["generateContent"],"thinking":false},{"name":"models/gemma-3-27b-it","supportedGenerationMethods":["generateContent"]}]}"#;
    let server = support::serve_get("/v1beta/models", Response::json(200, page)).await;
    let p = vendor_as("gemini").at(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    let caps: Vec<(&str, Option<ModelCapabilities>)> = models
        .iter()
        .map(|m| (m.id.as_str(), m.capabilities))
        .collect();
    assert_eq!(
        caps,
        [
            (
                "gemini-2.0-flash",
                Some(ModelCapabilities::default().reasoning(false))
            ),
            (
                "gemini-2.5-flash",
                Some(ModelCapabilities::default().reasoning(true))
            ),
            ("gemma-3-27b-it", None),
        ]
    );
}

//! The `/v2/chat` bodies the Cohere provider sends, field by field, as a
//! local fake server receives them: images, tool calls and results,
//! reasoning, tools and tool choice, response formats, seed and extra
//! fields; and the requests refused before anything is sent.
#![cfg(feature = "cohere")]

mod support;

use serde_json::{json, Value};
use support::vendors::cohere::vendor;
use support::wire::{assert_sends, Canned, Sends};
use yat_core::{
    ChatRequest, JsonSchema, LlmProvider, Media, Message, Part, Reasoning, ReasoningConfig,
    ReasoningEffort, ResponseFormat, Role, ToolCall, ToolChoice, ToolOutput, ToolPart, ToolResult,
    ToolSpec, YatError,
};

/// The shortest complete reply.
const OK: &str = concat!(
    "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"ok\"}}}}\n\n",
    "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\"}}\n\n",
    "data: [DONE]\n\n",
);

/// The 8-byte PNG signature.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The short reply every request here is answered with.
fn ok() -> Canned {
    Canned::new(OK, "ok")
}

/// The body the server received for `req`, parsed.
async fn body(req: &ChatRequest) -> Value {
    ok().sent(&vendor(), req, &[]).await.json()
}

/// The body the server received for `req`, byte for byte.
async fn body_text(req: &ChatRequest) -> String {
    ok().sent(&vendor(), req, &[]).await.text()
}

/// The error `req` is refused with, and that nothing reached the server.
async fn refused(req: &ChatRequest) -> YatError {
    vendor().refused(req, &[]).await
}

fn tool(name: &str) -> ToolSpec {
    ToolSpec::new(
        name,
        format!("the {name} tool"),
        json!({"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}),
    )
}

fn wire_tool(name: &str) -> Value {
    json!({"type":"function","function":{"name":name,"description":format!("the {name} tool"),"parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}})
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("command-a-vision-07-2025", vec![Message::user(text)])
}

#[tokio::test]
async fn images_are_image_url_blocks_and_bytes_go_as_data_urls() {
    let mut untyped_jpeg = Media::bytes("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF".to_vec());
    untyped_jpeg.media_type = None;
    let m = Message::user("Compare these:")
        .with_part(Part::Image(Media::url("https://example.com/cat.png")))
        .with_part(Part::Image(Media::bytes("image/png", PNG.to_vec())))
        .with_part(Part::Image(untyped_jpeg))
        .with_part(Part::text("Which is older?"));
    let sent = body_text(&ChatRequest::new("command-a-vision-07-2025", vec![m])).await;
    assert_eq!(
        sent,
        concat!(
            r#"{"model":"command-a-vision-07-2025","messages":[{"role":"user","content":["#,
            r#"{"type":"text","text":"Compare these:"},"#,
            r#"{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}},"#,
            r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},"#,
            r#"{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQSkZJRg=="}},"#,
            r#"{"type":"text","text":"Which is older?"}"#,
            r#"]}],"stream":true}"#
        )
    );
}

#[tokio::test]
async fn tools_and_each_tool_choice() {
    let tools = || {
        ChatRequest::new("command-a-03-2025", vec![Message::user("Find it")])
            .tool(tool("search"))
            .tool(tool("lookup"))
    };
    let both = json!([wire_tool("search"), wire_tool("lookup")]);
    let rows = [
        Sends::new("no choice", tools())
            .field("/tools", both.clone())
            .absent("/tool_choice")
            .absent("/strict_tools")
            .absent("/parallel_tool_calls"),
        Sends::new("auto", tools().tool_choice(ToolChoice::Auto)).absent("/tool_choice"),
        Sends::new("none", tools().tool_choice(ToolChoice::None))
            .field("/tool_choice", json!("NONE"))
            .field("/tools", both.clone()),
        Sends::new("required", tools().tool_choice(ToolChoice::Required))
            .field("/tool_choice", json!("REQUIRED"))
            .field("/tools", both),
        // Cohere cannot name a tool: the named one is the only one offered,
        // and a call is required.
        Sends::new(
            "a named tool",
            tools().tool_choice(ToolChoice::Tool {
                name: "lookup".into(),
            }),
        )
        .field("/tool_choice", json!("REQUIRED"))
        .field("/tools", json!([wire_tool("lookup")])),
        // Parallel calls have no switch at Cohere: nothing is sent for them.
        Sends::new("serial calls", tools().parallel_tool_calls(false))
            .absent("/parallel_tool_calls"),
    ];
    assert_sends(&vendor(), &ok(), rows).await;
}

#[tokio::test]
async fn strict_tools_is_request_wide_and_tools_carry_no_strict_field() {
    let req = ChatRequest::new("command-a-03-2025", vec![Message::user("Find it")])
        .tool(tool("search").strict(true))
        .tool(tool("lookup"));
    let v = body(&req).await;
    assert_eq!(v["strict_tools"], true);
    assert_eq!(
        v["tools"],
        json!([wire_tool("search"), wire_tool("lookup")])
    );
    let req = ChatRequest::new("m", vec![Message::user("x")]).tool(tool("a").strict(false));
    assert!(body(&req).await.get("strict_tools").is_none());
}

#[tokio::test]
async fn a_tool_without_a_description_sends_none() {
    let req = ChatRequest::new("m", vec![Message::user("x")]).tool(ToolSpec::new(
        "now",
        "",
        json!({"type":"object","properties":{}}),
    ));
    assert_eq!(
        body(&req).await["tools"],
        json!([{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}])
    );
}

#[tokio::test]
async fn an_assistant_turn_with_calls_sends_text_plan_and_calls() {
    let calls = [
        ToolCall::new("search_1", "search", json!({"q": "tool use"})),
        ToolCall::new(
            "search_2",
            "search",
            json!({"q": "tool_choice", "top_k": 3}),
        ),
    ];
    let turn = Message::assistant(vec![
        Part::Reasoning(Reasoning::new("I will search twice.")),
        Part::text("Searching."),
        Part::ToolCall(calls[0].clone()),
        Part::ToolCall(calls[1].clone()),
    ]);
    let results = Message::tool_results([
        ToolResult::new(
            &calls[0],
            json!({"title": "Tool use", "text": "Tools connect models."}),
        ),
        ToolResult::new(&calls[1], "REQUIRED or NONE"),
    ]);
    let req = ChatRequest::new(
        "command-a-03-2025",
        vec![Message::user("How does tool use work?"), turn, results],
    )
    .tool(tool("search"));
    let v = body(&req).await;
    assert_eq!(
        v["messages"],
        json!([
            {"role":"user","content":"How does tool use work?"},
            {"role":"assistant","content":"Searching.","tool_plan":"I will search twice.","tool_calls":[
                {"id":"search_1","type":"function","function":{"name":"search","arguments":"{\"q\":\"tool use\"}"}},
                {"id":"search_2","type":"function","function":{"name":"search","arguments":"{\"q\":\"tool_choice\",\"top_k\":3}"}}
            ]},
            {"role":"tool","tool_call_id":"search_1","content":[{"type":"document","document":{"data":"{\"title\":\"Tool use\",\"text\":\"Tools connect models.\"}"}}]},
            {"role":"tool","tool_call_id":"search_2","content":[{"type":"text","text":"REQUIRED or NONE"}]}
        ])
    );
}

#[tokio::test]
async fn a_failed_call_is_a_document_saying_error() {
    let call = ToolCall::new("w_1", "weather", json!({"city": "Oslo"}));
    let req = ChatRequest::new(
        "m",
        vec![
            Message::user("Weather in Oslo?"),
            Message::assistant(Part::ToolCall(call.clone())),
            Message::tool_results([ToolResult::error(&call, "the weather service is down")]),
        ],
    )
    .tool(tool("weather"));
    let v = body(&req).await;
    assert_eq!(
        v["messages"][1],
        json!({"role":"assistant","tool_calls":[{"id":"w_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Oslo\"}"}}]})
    );
    assert_eq!(
        v["messages"][2],
        json!({"role":"tool","tool_call_id":"w_1","content":[{"type":"document","document":{"data":"{\"error\":\"the weather service is down\"}"}}]})
    );
}

#[tokio::test]
async fn a_results_images_are_described_in_its_text_block() {
    let call = ToolCall::new("c_1", "chart", json!({}));
    let output = ToolOutput::parts([
        ToolPart::text("the chart:"),
        ToolPart::Image(Media::bytes("image/png", b"\x89PNG\r\n\x1a\n".to_vec())),
    ]);
    let req = ChatRequest::new(
        "m",
        vec![
            Message::user("Chart it."),
            Message::assistant(Part::ToolCall(call.clone())),
            Message::tool_results([ToolResult::new(&call, output)]),
        ],
    )
    .tool(tool("chart"));
    let v = body(&req).await;
    assert_eq!(
        v["messages"][2],
        json!({"role":"tool","tool_call_id":"c_1","content":[{"type":"text","text":"the chart:\n[image: image/png, 8 bytes]"}]})
    );
    assert_eq!(v["messages"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn results_inside_a_user_turn_become_tool_messages_before_its_text() {
    let call = ToolCall::new("w_1", "weather", json!({}));
    let user = Message::user(vec![
        Part::ToolResult(ToolResult::new(&call, "12°C")),
        Part::text("And tomorrow?"),
    ]);
    let req = ChatRequest::new(
        "m",
        vec![Message::assistant(Part::ToolCall(call.clone())), user],
    )
    .tool(tool("weather"));
    let v = body(&req).await;
    assert_eq!(
        v["messages"][1],
        json!({"role":"tool","tool_call_id":"w_1","content":[{"type":"text","text":"12°C"}]})
    );
    assert_eq!(
        v["messages"][2],
        json!({"role":"user","content":"And tomorrow?"})
    );
    assert_eq!(v["messages"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_assistant_turn_with_thinking_and_no_calls_sends_thinking_blocks() {
    let turn = Message::assistant(vec![
        Part::Reasoning(Reasoning::new("Alice's brother has Alice too.")),
        Part::Reasoning(Reasoning::redacted("opaque-from-elsewhere")),
        Part::text("3 sisters."),
    ]);
    let req = ChatRequest::new(
        "command-a-reasoning-08-2025",
        vec![
            Message::user("How many sisters?"),
            turn,
            Message::user("Sure?"),
        ],
    );
    let v = body(&req).await;
    assert_eq!(
        v["messages"][1],
        json!({"role":"assistant","content":[
            {"type":"thinking","thinking":"Alice's brother has Alice too."},
            {"type":"text","text":"3 sisters."}
        ]})
    );
}

#[tokio::test]
async fn reasoning_is_thinking_with_a_token_budget() {
    let think = |r| ask("Think.").reasoning(r);
    let rows = [
        Sends::new("a budget", think(ReasoningConfig::budget_tokens(31_000)))
            .field("/thinking", json!({"type":"enabled","token_budget":31000})),
        Sends::new(
            "an effort",
            think(ReasoningConfig::effort(ReasoningEffort::High)),
        )
        .field("/thinking", json!({"type":"enabled","token_budget":24576})),
        Sends::new("no reasoning", ask("Quick.")).absent("/thinking"),
    ];
    assert_sends(&vendor(), &ok(), rows).await;
}

#[tokio::test]
async fn response_formats_are_json_object_with_an_optional_schema() {
    let schema = json!({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]});
    let sent = body_text(
        &ChatRequest::new("m", vec![Message::user("Generate a JSON")]).response_format(
            ResponseFormat::JsonSchema(JsonSchema::new("person", schema)),
        ),
    )
    .await;
    assert_eq!(
        sent,
        r#"{"model":"m","messages":[{"role":"user","content":"Generate a JSON"}],"response_format":{"type":"json_object","json_schema":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}},"stream":true}"#
    );
    let rows = [
        Sends::new(
            "JSON",
            ask("Generate a JSON").response_format(ResponseFormat::JsonObject),
        )
        .field("/response_format", json!({"type":"json_object"})),
        Sends::new("text", ask("Hi").response_format(ResponseFormat::Text))
            .field("/response_format", json!({"type":"text"})),
    ];
    assert_sends(&vendor(), &ok(), rows).await;
}

#[tokio::test]
async fn seed_and_extra_fields_reach_the_top_level() {
    let req = ChatRequest::new("command-a-03-2025", vec![Message::user("Hi")])
        .temperature(0.3)
        .seed(42)
        .extra("cohere", "safety_mode", json!("STRICT"))
        .extra("cohere", "temperature", json!(0.7))
        .extra("cohere", "k", json!(40))
        .extra("openai", "user", json!("u-1"));
    assert_eq!(
        body_text(&req).await,
        r#"{"model":"command-a-03-2025","messages":[{"role":"user","content":"Hi"}],"temperature":0.7,"seed":42,"stream":true,"safety_mode":"STRICT","k":40}"#
    );
}

#[tokio::test]
async fn requests_cohere_cannot_take_are_refused_before_sending() {
    let pdf = Message::user("Summarize").with_part(Part::Document(Media::bytes(
        "application/pdf",
        b"%PDF-1.7\n".to_vec(),
    )));
    let e = refused(&ChatRequest::new("m", vec![pdf])).await;
    assert_eq!(e.kind(), "unsupported", "{e}");

    let sys = Message::system("Look:").with_part(Part::Image(Media::url("https://x/y.png")));
    let e = refused(&ChatRequest::new("m", vec![sys, Message::user("?")])).await;
    support::assert_error(&e, "invalid_request", "only in user messages");

    let mut mystery = Media::bytes("image/png", b"not an image".to_vec());
    mystery.media_type = None;
    let m = Message::user("?").with_part(Part::Image(mystery));
    let e = refused(&ChatRequest::new("m", vec![m])).await;
    support::assert_error(&e, "invalid_request", "media type");

    let e = refused(
        &ask("x")
            .tool(tool("a"))
            .tool_choice(ToolChoice::Tool { name: "b".into() }),
    )
    .await;
    support::assert_error(&e, "invalid_request", "`b`");

    let e = refused(&ask("x").tool_choice(ToolChoice::Required)).await;
    support::assert_error(&e, "invalid_request", "at least one tool");
}

#[tokio::test]
async fn the_claimed_capabilities_match_what_is_mapped() {
    let server = vendor().serve(yat_fakeserver::Response::sse(OK)).await;
    let caps = vendor().at(&server, &[]).await.capabilities();
    assert!(caps.tools && caps.parallel_tools && caps.images && caps.json_schema && caps.reasoning);
    assert!(!caps.documents);
    assert!(caps.stop_sequences && caps.usage && caps.max_tokens);
    // Every kind of history the contract has passes the manager's check.
    let call = ToolCall::new("c", "a", json!({}));
    let req = ChatRequest::new(
        "m",
        vec![
            Message::user("x").with_part(Part::Image(Media::url("https://x/y.png"))),
            Message::new(Role::Assistant, Part::ToolCall(call.clone())),
            Message::tool_results([ToolResult::new(&call, "ok")]),
        ],
    )
    .tool(tool("a"))
    .parallel_tool_calls(true)
    .reasoning(ReasoningConfig::budget_tokens(1024))
    .response_format(ResponseFormat::JsonSchema(JsonSchema::new("s", json!({}))));
    caps.check("cohere", &req).unwrap();
}

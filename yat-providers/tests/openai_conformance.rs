//! The conformance suite against a fake Chat Completions server that
//! answers each check's request as the real API would (recognised by its
//! prompt), and refuses, with a 400 naming the fault, any request whose
//! wire shape is wrong.
#![cfg(feature = "openai")]

mod support;

use serde_json::Value;
use yat_core::testkit::{assert_conformance, fixtures, Options, Outcome, Report};
use yat_fakeserver::{FakeServer, RecordedRequest, Response, Route};
use yat_providers::openai::presets::Preset;
use yat_providers::openai::{presets, OpenAiCompatible};

const CHAT_PATH: &str = "/v1/chat/completions";

fn chunk(delta: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or("null".to_owned(), |f| format!("\"{f}\""));
    format!(
        "data: {{\"id\":\"chatcmpl-c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}],\"usage\":null}}\n\n"
    )
}

fn stream(parts: &[String], usage: &str) -> Response {
    let mut body = parts.concat();
    body.push_str(&format!(
        "data: {{\"id\":\"chatcmpl-c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{usage}}}\n\n"
    ));
    body.push_str("data: [DONE]\n\n");
    Response::sse(&body)
}

/// A text reply; its usage reports cached prompt tokens.
fn text(t: &str, finish: &str) -> Response {
    let delta = serde_json::json!({"role": "assistant", "content": t}).to_string();
    stream(
        &[chunk(&delta, None), chunk("{}", Some(finish))],
        r#"{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}"#,
    )
}

fn refuse(why: &str) -> Response {
    let body = serde_json::json!({"error": {"message": why, "type": "invalid_request_error", "param": null, "code": null}});
    Response::json(400, &body.to_string())
}

/// The first user message's text, whether sent as a string or as parts.
fn first_prompt(body: &Value) -> String {
    let content = &body["messages"][0]["content"];
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

/// How the fake server answers: which token-limit field it reads, and
/// whether it streams reasoning as DeepSeek does.
#[derive(Clone, Copy)]
struct Server {
    max_field: &'static str,
    reasoning: bool,
}

impl Server {
    fn answer(self, req: &RecordedRequest) -> Response {
        let body = req.json();
        if body["model"] != "gpt-4o-mini" {
            return Response::json(
                404,
                r#"{"error":{"message":"The model `x` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            );
        }
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        match first_prompt(&body).as_str() {
            fixtures::TOOL_PROMPT => tool_turn(&body, &messages),
            fixtures::PARALLEL_PROMPT => parallel(&body),
            fixtures::IMAGE_PROMPT => image(&messages),
            fixtures::JSON_PROMPT => json_reply(&body),
            fixtures::REASONING_PROMPT => self.reasoning_turn(&body, &messages),
            _ if body[self.max_field] == 1 => stream(
                &[
                    chunk(r#"{"content":"Hello"}"#, None),
                    chunk("{}", Some("length")),
                ],
                r#"{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}"#,
            ),
            _ => text("Hello wörld ✓", "stop"),
        }
    }

    fn reasoning_turn(self, body: &Value, messages: &[Value]) -> Response {
        if body["reasoning_effort"] != "low" {
            return refuse("reasoning_effort low expected");
        }
        if messages.len() == 3 {
            // Turn 2: the reply went back without its reasoning.
            if messages[1]["role"] != "assistant" || messages[1].get("reasoning_content").is_some()
            {
                return refuse("reasoning_content must not be sent back");
            }
            return text("Three r's there.", "stop");
        }
        if !self.reasoning {
            return text("There are three.", "stop");
        }
        stream(
            &[
                chunk(
                    r#"{"role":"assistant","content":null,"reasoning_content":"s-t-r-a-w-"}"#,
                    None,
                ),
                chunk(r#"{"reasoning_content":"b-e-r-r-y: three."}"#, None),
                chunk(r#"{"content":"There are three."}"#, None),
                chunk("{}", Some("stop")),
            ],
            r#"{"prompt_tokens":20,"completion_tokens":30,"total_tokens":50,"completion_tokens_details":{"reasoning_tokens":26}}"#,
        )
    }
}

fn tool_turn(body: &Value, messages: &[Value]) -> Response {
    if body["tools"][0]["function"]["name"] != "get_weather" {
        return refuse("tools[0] is not get_weather");
    }
    if messages.len() == 1 {
        if body["tool_choice"]
            != serde_json::json!({"type": "function", "function": {"name": "get_weather"}})
        {
            return refuse("tool_choice does not name get_weather");
        }
        return stream(
            &[
                chunk(
                    r#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_w1","type":"function","function":{"name":"get_weather","arguments":""}}]}"#,
                    None,
                ),
                chunk(
                    r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\","}}]}"#,
                    None,
                ),
                chunk(
                    r#"{"tool_calls":[{"index":0,"function":{"arguments":"\"unit\":\"celsius\"}"}}]}"#,
                    None,
                ),
                chunk("{}", Some("tool_calls")),
            ],
            r#"{"prompt_tokens":60,"completion_tokens":18,"total_tokens":78}"#,
        );
    }
    let call = &messages[1]["tool_calls"][0];
    let result = &messages[2];
    if messages[1]["content"] != Value::Null || call["id"] != "call_w1" {
        return refuse("the assistant turn did not come back with its call");
    }
    if result["role"] != "tool"
        || result["tool_call_id"] != "call_w1"
        || result["content"] != fixtures::WEATHER_RESULT
    {
        return refuse("the tool result did not come back as a tool message");
    }
    text("It is 21 °C and sunny in Paris.", "stop")
}

fn parallel(body: &Value) -> Response {
    if body["parallel_tool_calls"] != true || body["tool_choice"] != "required" {
        return refuse("parallel_tool_calls true and tool_choice required expected");
    }
    stream(
        &[
            chunk(
                r#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_p1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"celsius\"}"}},{"index":1,"id":"call_p2","type":"function","function":{"name":"get_time","arguments":""}}]}"#,
                None,
            ),
            chunk(
                r#"{"tool_calls":[{"index":1,"function":{"arguments":"{\"timezone\":\"Asia/Tokyo\"}"}}]}"#,
                None,
            ),
            chunk("{}", Some("tool_calls")),
        ],
        r#"{"prompt_tokens":80,"completion_tokens":40,"total_tokens":120}"#,
    )
}

fn image(messages: &[Value]) -> Response {
    let url = messages[0]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap_or_default();
    if !url.starts_with("data:image/png;base64,iVBORw0KGgo") {
        return refuse("the image did not come as a PNG data URL");
    }
    text("The image is orange.", "stop")
}

fn json_reply(body: &Value) -> Response {
    let format = &body["response_format"];
    if format["type"] != "json_schema" || format["json_schema"]["name"] != "city_facts" {
        return refuse("response_format json_schema city_facts expected");
    }
    text(
        r#"{"city":"Paris","population":2102650,"coastal":false}"#,
        "stop",
    )
}

/// Asserts that nothing failed and that the checks `names` ran and passed
/// (were not skipped).
fn ran(report: &Report, names: &[&str]) {
    assert_eq!(report.failures().len(), 0, "{report}");
    for name in names {
        assert_eq!(report.outcome(name), Some(&Outcome::Passed), "{name}");
    }
}

async fn server(s: Server) -> FakeServer {
    FakeServer::start(vec![
        Route::new("GET", "/v1/models").respond(Response::json(
            200,
            r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}]}"#,
        )),
        Route::new("POST", CHAT_PATH).handle(move |r| s.answer(r)),
    ])
    .await
    .unwrap()
}

async fn provider(server: &FakeServer, preset: &Preset) -> OpenAiCompatible {
    let base = format!("{}/v1", server.url());
    support::pointed_at(
        OpenAiCompatible::new(preset.profile()),
        preset.id,
        "sk-test-planted-0123456789",
        &base,
        &[],
    )
    .await
}

#[tokio::test]
async fn openai_passes_the_conformance_suite() {
    let s = server(Server {
        max_field: "max_completion_tokens",
        reasoning: false,
    })
    .await;
    let p = provider(&s, &presets::openai::PRESET).await;
    // Chat Completions takes reasoning settings but never returns OpenAI's
    // own reasoning text; the DeepSeek run below shows the round trip.
    let report =
        assert_conformance(&p, &Options::default().skip_check("reasoning_round_trip")).await;
    ran(
        &report,
        &[
            "tool_round_trip",
            "parallel_tool_calls",
            "image_input",
            "json_schema_output",
            "usage_details",
        ],
    );
}

#[cfg(feature = "deepseek")]
#[tokio::test]
async fn deepseek_passes_the_conformance_suite_with_its_reasoning() {
    let s = server(Server {
        max_field: "max_tokens",
        reasoning: true,
    })
    .await;
    let p = provider(&s, &presets::deepseek::PRESET).await;
    let report = assert_conformance(&p, &Options::default()).await;
    ran(
        &report,
        &["tool_round_trip", "reasoning_round_trip", "usage_details"],
    );
    // What DeepSeek does not claim is not tried.
    for name in ["parallel_tool_calls", "image_input", "json_schema_output"] {
        assert!(
            matches!(report.outcome(name), Some(Outcome::Skipped(_))),
            "{name}"
        );
    }
}

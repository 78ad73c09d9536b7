//! The Cohere v2 Chat script: it lists three models with their `features`,
//! refuses what the API refuses (unknown models, fields in the wrong shape,
//! tools on the vision model, a tool result for no call) with Cohere's
//! error body, and answers each check's request with a recorded stream from
//! `fixtures/cohere/`.

use serde_json::Value;
use yat_core::testkit::fakeserver::{Action, RecordedRequest, Response, Route};
use yat_core::testkit::fixtures::{
    CANCEL_PROMPT, FOLLOW_UP_PROMPT, IMAGE_PROMPT, JSON_PROMPT, PARALLEL_PROMPT, REASONING_PROMPT,
    TOOL_PROMPT, WEATHER_RESULT,
};

use crate::script::{stop_probe, Script, STOP, STOPPED_REPLY};

const CHAT_PATH: &str = "/v2/chat";

pub fn script() -> Script {
    let routes = vec![
        Route::new("GET", "/v1/models").respond(Response::json(200, MODELS)),
        Route::new("POST", CHAT_PATH).handle(api),
    ];
    let mut script = Script::fake(routes, "", stop_probe());
    script.after = Some(each_model_asked);
    script
}

/// Each 0.2 check ran against the model its listing names.
fn each_model_asked(requests: &[RecordedRequest]) -> Result<(), String> {
    let models: Vec<String> = requests
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.json()["model"].as_str().unwrap_or("").to_owned())
        .collect();
    for (m, _) in FEATURES {
        if !models.iter().any(|x| x == m) {
            return Err(format!("{m} never asked: {models:?}"));
        }
    }
    Ok(())
}

/// A reply of `text` ending with `finish`, in the API's events.
fn text_reply(text: &str, finish: &str) -> String {
    let delta = serde_json::json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": text}}}});
    format!(
        "event: message-start\ndata: {{\"type\":\"message-start\",\"id\":\"2\",\"delta\":{{\"message\":{{\"role\":\"assistant\"}}}}}}\n\n\
         event: content-delta\ndata: {delta}\n\n\
         event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"{finish}\",\"usage\":{{\"billed_units\":{{\"input_tokens\":6,\"output_tokens\":4}},\"tokens\":{{\"input_tokens\":72,\"output_tokens\":4}}}}}}}}\n\n\
         data: [DONE]\n\n"
    )
}

/// The listing: the chat model (tools, JSON schemas), a vision model that
/// takes no tools, and a reasoning model.
const MODELS: &str = r#"{"models":[
{"name":"command-a-03-2025","is_deprecated":false,"endpoints":["chat"],"finetuned":false,"context_length":256000,"features":["json_mode","json_schema","strict_tools","tool_choice","tools"],"supports_vision":false},
{"name":"command-a-reasoning-08-2025","is_deprecated":false,"endpoints":["chat"],"finetuned":false,"context_length":256000,"features":["json_mode","json_schema","reasoning","strict_tools","tool_choice","tools"],"supports_vision":false},
{"name":"command-a-vision-07-2025","is_deprecated":false,"endpoints":["chat"],"finetuned":false,"context_length":128000,"features":["logprobs","vision"],"supports_vision":true}
]}"#;

/// The features of each listed model, as the handler checks them.
const FEATURES: &[(&str, &[&str])] = &[
    ("command-a-03-2025", &["json_schema", "tools"]),
    (
        "command-a-reasoning-08-2025",
        &["json_schema", "reasoning", "tools"],
    ),
    ("command-a-vision-07-2025", &["vision"]),
];

const TEXT: &str = concat!(
    "event: message-start\ndata: {\"type\":\"message-start\",\"id\":\"29f14a5a-11de-4cae-9800-25e4747408ea\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n",
    "event: content-start\ndata: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}\n\n",
    "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hello wörld ✓ STOP and after\"}}}}\n\n",
    "event: content-end\ndata: {\"type\":\"content-end\",\"index\":0}\n\n",
    "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"billed_units\":{\"input_tokens\":6,\"output_tokens\":7},\"tokens\":{\"input_tokens\":72,\"output_tokens\":7}}}}\n\n",
    "data: [DONE]\n\n",
);

const ONE_TOKEN: &str = concat!(
    "event: message-start\ndata: {\"type\":\"message-start\",\"id\":\"1\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n",
    "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hello\"}}}}\n\n",
    "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"MAX_TOKENS\",\"usage\":{\"billed_units\":{\"input_tokens\":6,\"output_tokens\":1},\"tokens\":{\"input_tokens\":72,\"output_tokens\":1}}}}\n\n",
    "data: [DONE]\n\n",
);

const WEATHER_CALL: &str = include_str!("../fixtures/cohere/conformance_weather_call.sse");
const WEATHER_AND_TIME: &str = include_str!("../fixtures/cohere/conformance_weather_and_time.sse");
const WEATHER_ANSWER: &str = include_str!("../fixtures/cohere/conformance_weather_answer.sse");
const CITY_JSON: &str = include_str!("../fixtures/cohere/conformance_city_json.sse");
const ORANGE: &str = include_str!("../fixtures/cohere/conformance_orange.sse");
const STRAWBERRY: &str = include_str!("../fixtures/cohere/conformance_strawberry.sse");
const FOLLOW_UP: &str = include_str!("../fixtures/cohere/conformance_strawberry_follow_up.sse");

/// Cohere's 400 body.
fn invalid(why: &str) -> Response {
    Response::json(
        400,
        &serde_json::json!({"id": "0d9c", "message": format!("invalid request: {why}")})
            .to_string(),
    )
}

fn not_found(model: &str) -> Response {
    Response::json(
        404,
        &format!(
            r#"{{"id":"0b3ab4bd","message":"model '{model}' not found, make sure the correct model ID was used and that you have access to the model."}}"#
        ),
    )
}

/// A message's text: its string content, or its text blocks joined.
fn text_of(m: &Value) -> String {
    match &m["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect(),
        _ => String::new(),
    }
}

fn blocks(m: &Value) -> &[Value] {
    m["content"].as_array().map_or(&[], Vec::as_slice)
}

/// What the API refuses about the body's fields, as its 400 says it.
fn check_fields(body: &Value, features: &[&str]) -> Result<(), String> {
    let has = |f: &str| features.contains(&f);
    if let Some(tools) = body.get("tools") {
        if !has("tools") {
            return Err("this model does not support tools".into());
        }
        for t in tools.as_array().ok_or("tools must be an array")? {
            let f = &t["function"];
            if t["type"] != "function" || !f["name"].is_string() || !f["parameters"].is_object() {
                return Err(format!(
                    "a tool is not {{type: function, function: {{name, parameters}}}}: {t}"
                ));
            }
            if f.get("strict").is_some() || t.get("strict").is_some() {
                return Err("unknown field: parameter 'strict' is not a valid field".into());
            }
        }
    }
    match body.get("tool_choice").and_then(Value::as_str) {
        Some("REQUIRED" | "NONE") if body.get("tools").is_some() => {}
        Some(other) => {
            return Err(format!(
                "tool_choice {other} needs tools and must be REQUIRED or NONE"
            ))
        }
        None if body.get("tool_choice").is_some() => {
            return Err("tool_choice must be a string".into())
        }
        None => {}
    }
    if let Some(f) = body.get("response_format") {
        match (f["type"].as_str(), f.get("json_schema")) {
            (Some("json_object"), Some(s)) if s.is_object() => {}
            (Some("json_object"), None) | (Some("text"), None) => {}
            _ => return Err(format!("response_format {f} is not text or json_object")),
        }
        if !has("json_schema") {
            return Err("this model does not support response_format".into());
        }
    }
    if let Some(t) = body.get("thinking") {
        if !has("reasoning") {
            return Err("thinking is not supported by this model".into());
        }
        let budget_ok = t
            .get("token_budget")
            .map_or(true, |b| b.as_u64().is_some_and(|b| b >= 1));
        if !matches!(t["type"].as_str(), Some("enabled" | "disabled")) || !budget_ok {
            return Err(format!("thinking {t} is not {{type, token_budget >= 1}}"));
        }
    }
    Ok(())
}

/// What the API refuses about the messages: images for a model without
/// vision, calls whose arguments are not JSON text, results for no call.
fn check_messages(messages: &[Value], features: &[&str]) -> Result<(), String> {
    let mut call_ids = Vec::new();
    for m in messages {
        for b in blocks(m) {
            match b["type"].as_str() {
                Some("text") | Some("thinking") | Some("document") => {}
                Some("image_url") => {
                    if !features.contains(&"vision") {
                        return Err("this model does not support image inputs".into());
                    }
                    let url = b["image_url"]["url"].as_str().unwrap_or("");
                    if !(url.starts_with("data:image/") || url.starts_with("https://")) {
                        return Err(format!("image_url.url {url:?} is no data or web URL"));
                    }
                }
                _ => return Err(format!("unknown content block {b}")),
            }
        }
        match m["role"].as_str() {
            Some("assistant") => {
                for c in m["tool_calls"].as_array().map_or(&[][..], Vec::as_slice) {
                    let args = c["function"]["arguments"].as_str().unwrap_or("");
                    if c["type"] != "function" || serde_json::from_str::<Value>(args).is_err() {
                        return Err(format!(
                            "tool call {c} is not {{type: function, arguments: JSON text}}"
                        ));
                    }
                    call_ids.push(c["id"].as_str().unwrap_or("").to_owned());
                }
            }
            Some("tool") => {
                let id = m["tool_call_id"].as_str().unwrap_or("");
                if !call_ids.iter().any(|c| c == id) {
                    return Err(format!("tool message for unknown tool call {id:?}"));
                }
            }
            Some("user" | "system") => {}
            other => return Err(format!("unknown role {other:?}")),
        }
    }
    Ok(())
}

/// Answers like the API: refusals first, then the recorded reply to each
/// check's request.
fn api(req: &RecordedRequest) -> Response {
    let body = req.json();
    let model = body["model"].as_str().unwrap_or("");
    let Some(&(_, features)) = FEATURES.iter().find(|(m, _)| *m == model) else {
        return not_found(model);
    };
    let messages = body["messages"].as_array().map_or(&[][..], Vec::as_slice);
    if let Err(why) =
        check_fields(&body, features).and_then(|()| check_messages(messages, features))
    {
        return invalid(&why);
    }
    if body["max_tokens"] == 1 {
        return Response::sse(ONE_TOKEN);
    }
    if body["stop_sequences"] == serde_json::json!([STOP]) {
        return Response::sse(&text_reply(STOPPED_REPLY, "STOP_SEQUENCE"));
    }
    let last = messages.last().cloned().unwrap_or_default();
    if last["role"] == "tool" {
        // The loop's second turn: the result must answer the call.
        return if text_of(&last) == WEATHER_RESULT {
            Response::sse(WEATHER_ANSWER)
        } else {
            invalid(&format!("unexpected tool result {last}"))
        };
    }
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    let prompt = text_of(&last);
    match prompt.as_str() {
        CANCEL_PROMPT => {
            // Still streaming when the kit drops it: the reply up to its
            // first delta, then nothing.
            let reply = text_reply("One,", "COMPLETE");
            let head = &reply[..reply.find("event: message-end").unwrap_or(reply.len())];
            Response::sse(head).then(Action::Stall)
        }
        TOOL_PROMPT if tools == ["get_weather"] && body["tool_choice"] == "REQUIRED" => {
            Response::sse(WEATHER_CALL)
        }
        PARALLEL_PROMPT if tools == ["get_weather", "get_time"] => Response::sse(WEATHER_AND_TIME),
        IMAGE_PROMPT if blocks(&last).iter().any(|b| b["type"] == "image_url") => {
            Response::sse(ORANGE)
        }
        JSON_PROMPT if body["response_format"]["json_schema"].is_object() => {
            Response::sse(CITY_JSON)
        }
        REASONING_PROMPT if body["thinking"]["type"] == "enabled" => Response::sse(STRAWBERRY),
        FOLLOW_UP_PROMPT => {
            // The earlier reply comes back with its thinking block.
            let turn = &messages[messages.len().saturating_sub(2)];
            let kinds: Vec<&str> = blocks(turn)
                .iter()
                .filter_map(|b| b["type"].as_str())
                .collect();
            if turn["role"] == "assistant" && kinds == ["thinking", "text"] {
                Response::sse(FOLLOW_UP)
            } else {
                invalid(&format!("the earlier reply came back as {turn}"))
            }
        }
        _ => Response::sse(TEXT),
    }
}

#[cfg(feature = "cohere")]
#[tokio::test]
async fn the_script_refuses_what_cohere_refuses() {
    let cohere = yat_core::registry::discover().find("cohere").unwrap();
    let (_script, _server, p) = crate::start(&crate::Target::Registered(cohere))
        .await
        .unwrap();
    let tools_to_vision = yat_core::ChatRequest::new(
        "command-a-vision-07-2025",
        vec![yat_core::Message::user("hi")],
    )
    .tool(yat_core::testkit::fixtures::weather_tool());
    let e = match p.stream_chat(&tools_to_vision).await {
        Err(e) => e,
        Ok(s) => yat_core::ChatStreamExt::collect_response(s)
            .await
            .unwrap_err(),
    };
    assert_eq!(e.kind(), "invalid_request", "{e}");
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("does not support tools"), "{e}");
}

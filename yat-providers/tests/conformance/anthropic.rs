//! The Messages API script (Anthropic): each check's request answered as
//! the API would, after checking the shape the API demands (a `tool_choice`
//! naming a given tool, tool results right after their calls, thinking
//! sent back unmodified, `max_tokens` above the thinking budget); an
//! unknown model gets the documented 404.

use serde_json::json;
use yat_core::testkit::fakeserver::{anthropic_stream, Action, RecordedRequest, Response, Route};
use yat_core::testkit::fixtures;

use crate::script::{stop_probe, Script, PLAIN_REPLY, STOP, STOPPED_REPLY};

/// The one model the fake API has.
const MODEL: &str = "claude-sonnet-4-5-20250929";

pub fn script() -> Script {
    let routes = vec![
        Route::new("GET", "/v1/models").respond(Response::json(
            200,
            r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-sonnet-4-5-20250929","has_more":false}"#,
        )),
        Route::new("POST", "/v1/messages").handle(model_aware),
    ];
    Script::fake(routes, "", stop_probe())
}

/// The API's error body.
fn error_body(kind: &str, message: &str) -> String {
    json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
    .to_string()
}

/// A stream of `blocks` in the documented shapes, ending with `stop`.
fn reply_stream(blocks: &[Block<'_>], stop: &str) -> String {
    let ev = |name: &str, data: serde_json::Value| format!("event: {name}\ndata: {data}\n\n");
    let mut s = ev(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_01Conf", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929", "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 50, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 40, "output_tokens": 1}}}),
    );
    for (index, block) in blocks.iter().enumerate() {
        let (start, deltas) = match block {
            Block::Text(t) => (
                json!({"type": "text", "text": ""}),
                vec![json!({"type": "text_delta", "text": t})],
            ),
            Block::Thinking(t, sig) => (
                json!({"type": "thinking", "thinking": "", "signature": ""}),
                vec![
                    json!({"type": "thinking_delta", "thinking": t}),
                    json!({"type": "signature_delta", "signature": sig}),
                ],
            ),
            Block::Tool(id, name, input) => (
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                vec![
                    json!({"type": "input_json_delta", "partial_json": ""}),
                    json!({"type": "input_json_delta", "partial_json": input}),
                ],
            ),
        };
        s += &ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        );
        for d in deltas {
            s += &ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": d}),
            );
        }
        s += &ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        );
    }
    s += &ev(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 30}}),
    );
    s + &ev("message_stop", json!({"type": "message_stop"}))
}

/// A content block of [`reply_stream`].
enum Block<'a> {
    Text(&'a str),
    /// Text and signature.
    Thinking(&'a str, &'a str),
    /// Id, name and the input's JSON text.
    Tool(&'a str, &'a str, &'a str),
}

/// The 400 the API gives a request that breaks its rules.
fn rejected(why: &str) -> Response {
    Response::json(400, &error_body("invalid_request_error", why))
}

/// The conformance suite's 0.2 requests (recognised by their fixtures'
/// prompts), answered as the API would, after checking that each request
/// has the shape the API demands.
fn contract_reply(body: &serde_json::Value) -> Option<Response> {
    let messages = body["messages"].as_array()?;
    let first = &messages.first()?["content"];
    let prompt = first
        .as_str()
        .or_else(|| first[0]["text"].as_str())
        .unwrap_or_default();
    let sig = "EqQBCgIYAhIMconformance==";
    let weather = r#"{"city":"Paris","unit":"celsius"}"#;
    Some(Response::sse(&match prompt {
        fixtures::TOOL_PROMPT if messages.len() == 1 => {
            if body["tool_choice"] != json!({"type": "tool", "name": "get_weather"})
                || body["tools"][0]["input_schema"] != fixtures::weather_tool().parameters
            {
                return Some(rejected("tool_choice names a tool that is not given"));
            }
            reply_stream(
                &[Block::Tool("toolu_01Conf", "get_weather", weather)],
                "tool_use",
            )
        }
        fixtures::TOOL_PROMPT => {
            let result = &messages[2]["content"][0];
            if messages[1]["content"][0]["type"] != "tool_use"
                || result["type"] != "tool_result"
                || result["tool_use_id"] != "toolu_01Conf"
                || result["content"] != fixtures::WEATHER_RESULT
            {
                return Some(rejected(
                    "tool_use ids were found without tool_result blocks immediately after",
                ));
            }
            reply_stream(
                &[Block::Text("It is 21 \u{b0}C and sunny in Paris.")],
                "end_turn",
            )
        }
        fixtures::PARALLEL_PROMPT => {
            if body["tool_choice"] != json!({"type": "any"}) {
                return Some(rejected("expected tool_choice any, parallel calls allowed"));
            }
            reply_stream(
                &[
                    Block::Tool("toolu_01W", "get_weather", weather),
                    Block::Tool("toolu_01T", "get_time", r#"{"timezone":"Asia/Tokyo"}"#),
                ],
                "tool_use",
            )
        }
        fixtures::IMAGE_PROMPT => {
            let image = &first[1]["source"];
            if image["type"] != "base64" || image["media_type"] != "image/png" {
                return Some(rejected("messages.0.content.1: expected an image block"));
            }
            reply_stream(&[Block::Text("It is orange.")], "end_turn")
        }
        fixtures::JSON_PROMPT => {
            if body["output_config"]["format"]["schema"] != fixtures::city_schema().schema {
                return Some(rejected("expected output_config.format"));
            }
            reply_stream(
                &[Block::Text(
                    r#"{"city":"Paris","population":2102650,"coastal":false}"#,
                )],
                "end_turn",
            )
        }
        fixtures::REASONING_PROMPT if messages.len() == 1 => {
            if body["thinking"]["type"] != "enabled"
                || body["max_tokens"].as_u64() <= body["thinking"]["budget_tokens"].as_u64()
            {
                return Some(rejected(
                    "max_tokens must be greater than thinking.budget_tokens",
                ));
            }
            reply_stream(
                &[
                    Block::Thinking("s-t-r-a-w-b-e-r-r-y: three r's.", sig),
                    Block::Text("Three."),
                ],
                "end_turn",
            )
        }
        fixtures::REASONING_PROMPT => {
            if messages[1]["content"][0]
                != json!({"type": "thinking", "thinking": "s-t-r-a-w-b-e-r-r-y: three r's.", "signature": sig})
            {
                return Some(rejected(
                    "messages.1.content.0: thinking blocks must be sent back unmodified",
                ));
            }
            reply_stream(&[Block::Text("There are three.")], "end_turn")
        }
        _ => return None,
    }))
}

/// Answers like the real API: an unknown model gets the documented 404, a
/// token limit of 1 gets one delta and `stop_reason: "max_tokens"`, a stop
/// sequence cuts the reply before it; the suite's 0.2 requests get the
/// replies of [`contract_reply`].
fn model_aware(req: &RecordedRequest) -> Response {
    let body = req.json();
    if body["model"] != MODEL {
        let model = body["model"].as_str().unwrap_or_default();
        return Response::json(
            404,
            &error_body("not_found_error", &format!("model: {model}")),
        );
    }
    if body["messages"][0]["content"] == fixtures::CANCEL_PROMPT {
        // Still streaming when the kit drops it: the first delta, then
        // nothing until the client hangs up.
        let reply = reply_stream(&[Block::Text("One,")], "end_turn");
        let head = &reply[..reply
            .find("event: content_block_stop")
            .unwrap_or(reply.len())];
        return Response::sse(head).then(Action::Stall);
    }
    if let Some(reply) = contract_reply(&body) {
        return reply;
    }
    if body["max_tokens"] == 1 {
        return Response::sse(
            &anthropic_stream(&["Hello"]).replace("\"end_turn\"", "\"max_tokens\""),
        );
    }
    if body["stop_sequences"][0] == STOP {
        return Response::sse(&anthropic_stream(&[STOPPED_REPLY]).replace(
            "\"stop_reason\":\"end_turn\",\"stop_sequence\":null",
            "\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"STOP\"",
        ));
    }
    let (head, tail) = PLAIN_REPLY.split_at(STOPPED_REPLY.len());
    Response::sse(&anthropic_stream(&[head, tail]))
}

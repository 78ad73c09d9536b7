//! The Chat Completions script: the OpenAI API and every server compatible
//! with it (the presets, declared endpoints), each in its own dialect. It
//! answers each check's request as the real API would (recognised by its
//! prompt) and refuses, with a 400 naming the fault, any request whose wire
//! shape is wrong or that the dialect does not take.

use serde_json::{json, Value};
use yat_core::testkit::fakeserver::{Action, RecordedRequest, Response, Route};
use yat_core::testkit::fixtures;

use crate::script::{stop_probe, Script, PLAIN_REPLY, STOP, STOPPED_REPLY};

/// The one model the fake server has.
const MODEL: &str = "gpt-4o-mini";

/// What one server of the family takes and how it streams.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// The token-limit field it reads; the other one is refused.
    max_field: &'static str,
    /// Whether it takes `stream_options` (refused when not) and sends
    /// usage only when asked; a server that does not take it sends usage
    /// unasked.
    stream_usage: bool,
    /// Whether it takes reasoning as `reasoning: {effort}` rather than
    /// `reasoning_effort`.
    reasoning_object: bool,
    /// The delta field it streams reasoning in; `None` for an API that
    /// takes reasoning settings but never shows the reasoning.
    reasoning_delta: Option<&'static str>,
}

impl Dialect {
    /// What a declared endpoint with no optional field is taken to be.
    #[cfg(feature = "openai-wire")]
    pub const DECLARED_BARE: Dialect = Dialect {
        max_field: "max_tokens",
        stream_usage: false,
        reasoning_object: false,
        reasoning_delta: Some("reasoning_content"),
    };

    /// The declared endpoint with every field set (see `wire::endpoints`).
    #[cfg(feature = "openai-wire")]
    pub const DECLARED_FULL: Dialect = Dialect {
        max_field: "max_completion_tokens",
        stream_usage: true,
        reasoning_object: true,
        reasoning_delta: Some("reasoning"),
    };

    /// A preset's dialect, from its own data, as it speaks to the fake
    /// server on 127.0.0.1 (where the `openai` preset sends `max_tokens`,
    /// as to any server that is not OpenAI's); the reasoning delta field is
    /// the one each vendor documents (`reasoning_content` unless named here).
    #[cfg(feature = "openai-wire")]
    pub fn of_preset(p: &yat_providers::openai::presets::Preset) -> Dialect {
        use yat_providers::openai::{token_field, MaxTokensField, ReasoningField};
        Dialect {
            max_field: match token_field::field_at(&p.profile(), "http://127.0.0.1/v1") {
                MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
                MaxTokensField::MaxTokens => "max_tokens",
            },
            stream_usage: p.stream_usage,
            reasoning_object: p.reasoning_field == ReasoningField::Object,
            reasoning_delta: match p.id {
                // Chat Completions takes OpenAI's reasoning settings but never
                // returns its reasoning text.
                "openai" => None,
                "groq" | "ollama" | "openrouter" => Some("reasoning"),
                _ => Some("reasoning_content"),
            },
        }
    }
}

/// The script for a server of `dialect`.
pub fn script(dialect: Dialect) -> Script {
    let routes = vec![
        Route::new("GET", "/v1/models").respond(Response::json(
            200,
            r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}]}"#,
        )),
        Route::new("POST", "/v1/chat/completions").handle(move |r| dialect.answer(r)),
    ];
    let mut script = Script::fake(routes, "/v1", stop_probe());
    if dialect.reasoning_delta.is_none() {
        script.options = script.options.skip_check("reasoning_round_trip");
        script.not_shown.push((
            "reasoning_round_trip",
            "this API takes reasoning settings but never streams the reasoning",
        ));
    }
    script
}

fn chunk(delta: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or("null".to_owned(), |f| format!("\"{f}\""));
    format!(
        "data: {{\"id\":\"chatcmpl-c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}],\"usage\":null}}\n\n"
    )
}

/// A reply: its chunks and the usage its last chunk reports.
struct Reply {
    chunks: Vec<String>,
    usage: &'static str,
}

impl Reply {
    fn new(chunks: Vec<String>, usage: &'static str) -> Self {
        Reply { chunks, usage }
    }

    /// The SSE body; the usage chunk only when the server sends it.
    fn render(self, with_usage: bool) -> Response {
        let mut body = self.chunks.concat();
        if with_usage {
            body.push_str(&format!(
                "data: {{\"id\":\"chatcmpl-c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{}}}\n\n",
                self.usage
            ));
        }
        body.push_str("data: [DONE]\n\n");
        Response::sse(&body)
    }
}

/// A text reply; its usage reports cached prompt tokens.
fn text(t: &str, finish: &str) -> Reply {
    let delta = json!({"role": "assistant", "content": t}).to_string();
    Reply::new(
        vec![chunk(&delta, None), chunk("{}", Some(finish))],
        r#"{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}"#,
    )
}

fn refuse(why: &str) -> Response {
    let body = json!({"error": {"message": why, "type": "invalid_request_error", "param": null, "code": null}});
    Response::json(400, &body.to_string())
}

/// The first user message's text, whether sent as a string or as parts.
fn first_prompt(body: &Value) -> String {
    match &body["messages"][0]["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

impl Dialect {
    fn answer(self, req: &RecordedRequest) -> Response {
        let body = req.json();
        if body["model"] != MODEL {
            return Response::json(
                404,
                r#"{"error":{"message":"The model `x` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            );
        }
        if let Err(why) = self.takes(&body) {
            return refuse(&why);
        }
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        let reply = match first_prompt(&body).as_str() {
            fixtures::CANCEL_PROMPT => {
                // Still streaming when the kit drops it.
                let first = chunk(r#"{"role":"assistant","content":"One,"}"#, None);
                return Response::sse(&first).then(Action::Stall);
            }
            fixtures::TOOL_PROMPT => tool_turn(&body, &messages),
            fixtures::PARALLEL_PROMPT => parallel(&body),
            fixtures::IMAGE_PROMPT => image(&messages),
            fixtures::JSON_PROMPT => json_reply(&body),
            fixtures::REASONING_PROMPT => self.reasoning_turn(&body, &messages),
            _ if body[self.max_field] == 1 => Ok(Reply::new(
                vec![
                    chunk(r#"{"content":"Hello"}"#, None),
                    chunk("{}", Some("length")),
                ],
                r#"{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}"#,
            )),
            _ if body["stop"] == json!([STOP]) => Ok(text(STOPPED_REPLY, "stop")),
            _ => Ok(text(PLAIN_REPLY, "stop")),
        };
        let asked = body["stream_options"]["include_usage"] == true;
        match reply {
            Ok(reply) => reply.render(asked || !self.stream_usage),
            Err(why) => refuse(&why),
        }
    }

    /// The fields this server refuses: the other token limit, stream
    /// options it does not take, a reply not streamed.
    fn takes(self, body: &Value) -> Result<(), String> {
        if body["stream"] != true {
            return Err("this server only streams here: stream must be true".into());
        }
        let other = match self.max_field {
            "max_tokens" => "max_completion_tokens",
            _ => "max_tokens",
        };
        if body.get(other).is_some() {
            return Err(format!("Unrecognized request argument supplied: {other}"));
        }
        if !self.stream_usage && body.get("stream_options").is_some() {
            return Err("Unrecognized request argument supplied: stream_options".into());
        }
        Ok(())
    }

    fn reasoning_turn(self, body: &Value, messages: &[Value]) -> Result<Reply, String> {
        let (field, other, wanted) = if self.reasoning_object {
            ("reasoning", "reasoning_effort", json!({"effort": "low"}))
        } else {
            ("reasoning_effort", "reasoning", json!("low"))
        };
        if body[field] != wanted || body.get(other).is_some() {
            return Err(format!("{field}: {wanted} expected, and no {other}"));
        }
        if messages.len() == 3 {
            // Turn 2: the reply went back without its reasoning.
            let earlier = &messages[1];
            if earlier["role"] != "assistant"
                || earlier.get("reasoning_content").is_some()
                || earlier.get("reasoning").is_some()
            {
                return Err("reasoning must not be sent back".into());
            }
            return Ok(text("Three r's there.", "stop"));
        }
        let Some(delta) = self.reasoning_delta else {
            return Ok(text("There are three.", "stop"));
        };
        let thought = |t: &str| json!({ delta: t }).to_string();
        Ok(Reply::new(
            vec![
                chunk(
                    &json!({"role": "assistant", "content": null, delta: "s-t-r-a-w-"}).to_string(),
                    None,
                ),
                chunk(&thought("b-e-r-r-y: three."), None),
                chunk(r#"{"content":"There are three."}"#, None),
                chunk("{}", Some("stop")),
            ],
            r#"{"prompt_tokens":20,"completion_tokens":30,"total_tokens":50,"completion_tokens_details":{"reasoning_tokens":26}}"#,
        ))
    }
}

fn tool_turn(body: &Value, messages: &[Value]) -> Result<Reply, String> {
    if body["tools"][0]["function"]["name"] != "get_weather" {
        return Err("tools[0] is not get_weather".into());
    }
    if messages.len() == 1 {
        if body["tool_choice"] != json!({"type": "function", "function": {"name": "get_weather"}}) {
            return Err("tool_choice does not name get_weather".into());
        }
        return Ok(Reply::new(
            vec![
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
        ));
    }
    let call = &messages[1]["tool_calls"][0];
    let result = &messages[2];
    if messages[1]["content"] != Value::Null || call["id"] != "call_w1" {
        return Err("the assistant turn did not come back with its call".into());
    }
    if result["role"] != "tool"
        || result["tool_call_id"] != "call_w1"
        || result["content"] != fixtures::WEATHER_RESULT
    {
        return Err("the tool result did not come back as a tool message".into());
    }
    Ok(text("It is 21 °C and sunny in Paris.", "stop"))
}

fn parallel(body: &Value) -> Result<Reply, String> {
    if body["parallel_tool_calls"] != true || body["tool_choice"] != "required" {
        return Err("parallel_tool_calls true and tool_choice required expected".into());
    }
    Ok(Reply::new(
        vec![
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
    ))
}

fn image(messages: &[Value]) -> Result<Reply, String> {
    let url = messages[0]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap_or_default();
    if !url.starts_with("data:image/png;base64,iVBORw0KGgo") {
        return Err("the image did not come as a PNG data URL".into());
    }
    Ok(text("The image is orange.", "stop"))
}

fn json_reply(body: &Value) -> Result<Reply, String> {
    let format = &body["response_format"];
    if format["type"] != "json_schema" || format["json_schema"]["name"] != "city_facts" {
        return Err("response_format json_schema city_facts expected".into());
    }
    Ok(text(
        r#"{"city":"Paris","population":2102650,"coastal":false}"#,
        "stop",
    ))
}

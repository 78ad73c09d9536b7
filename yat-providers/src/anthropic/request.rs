//! The `POST /v1/messages` body: the conversation ([`turns`](super::turns))
//! and everything around it.
//!
//! Sources: platform.claude.com/docs/en/api/messages ("Create a Message"),
//! .../agents-and-tools/tool-use/implement-tool-use (`tools`,
//! `tool_choice`, `disable_parallel_tool_use`),
//! .../build-with-claude/extended-thinking (`thinking`),
//! .../build-with-claude/structured-outputs (`output_config.format`).
//!
//! - `tools` are `{name, description, input_schema}` (plus `strict` when
//!   the caller set it); `tool_choice` is `{type: auto | any | none | tool,
//!   name?}`, and forbidding parallel calls is `disable_parallel_tool_use:
//!   true` inside it (with no choice given, inside an `auto` one). Without
//!   tools no choice is sent: the API refuses a choice among nothing.
//! - Reasoning is `thinking: {type: "enabled", budget_tokens}` with the
//!   budget of [`ReasoningConfig::budget`](yat_core::ReasoningConfig::budget).
//!   The API counts thinking inside `max_tokens` and requires `max_tokens`
//!   to exceed the budget: a request that sets no limit gets the budget
//!   plus the default limit, so the answer keeps its usual room; a request
//!   whose own limit does not exceed the budget is refused before sending.
//!   What else the API restricts while thinking (a forced `tool_choice`, a
//!   `temperature` other than 1) is sent as asked: its 400 names the rule.
//! - A JSON schema is asked for the documented way, `output_config:
//!   {format: {type: "json_schema", schema}}` (structured outputs, generally
//!   available, no beta header): the reply is text holding the JSON, so
//!   it decodes like any text reply. The API has no schema-less JSON mode,
//!   so [`ResponseFormat::JsonObject`] is refused as unsupported rather than
//!   sent as a request for free text.
//! - `seed` has no Anthropic counterpart and is not sent.
//! - Floats go out as written (`0.7`, not `0.699999988079071`), also when
//!   extra fields make the body pass through a `serde_json::Value`.

use serde::{Serialize, Serializer};
use yat_core::{ChatRequest, Failure, ResponseFormat, ToolChoice, YatError};

use super::turns::{turns, Turn};

/// An `f32` written with its shortest decimal form, also through
/// `serde_json::to_value` (which would widen it to `f64` digits).
fn short_f32<S: Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_f64(v.to_string().parse().unwrap_or(f64::from(*v))),
        None => s.serialize_none(),
    }
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    input_schema: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    strict: Option<bool>,
}

#[derive(Serialize)]
struct Choice<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disable_parallel_tool_use: bool,
}

#[derive(Serialize)]
struct Thinking {
    #[serde(rename = "type")]
    kind: &'static str,
    budget_tokens: u32,
}

#[derive(Serialize)]
struct OutputConfig<'a> {
    format: OutputFormat<'a>,
}

#[derive(Serialize)]
struct OutputFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: &'a serde_json::Value,
}

/// A `POST /v1/messages` request body.
#[derive(Serialize)]
pub(crate) struct MessagesBody<'a> {
    model: &'a str,
    /// Required by the API: there is no server-side default.
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "short_f32")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "short_f32")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Choice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<Thinking>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_config: Option<OutputConfig<'a>>,
    stream: bool,
}

impl<'a> MessagesBody<'a> {
    /// The body for `req` from `provider`, with `default_max_tokens` when
    /// the request sets no limit. System messages become the top-level
    /// `system` (there is no system role).
    pub(crate) fn new(
        provider: &str,
        req: &'a ChatRequest,
        default_max_tokens: u32,
    ) -> Result<Self, YatError> {
        let invalid = |m: String| YatError::InvalidRequest(Failure::new(provider, m));
        let thinking = req.reasoning.map(|r| Thinking {
            kind: "enabled",
            budget_tokens: r.budget(),
        });
        let max_tokens = match (req.max_tokens, &thinking) {
            (Some(n), Some(t)) if n <= t.budget_tokens => {
                return Err(invalid(format!(
                "max_tokens ({n}) must exceed the reasoning budget ({}): thinking counts toward it",
                t.budget_tokens
            )))
            }
            (Some(n), _) => n,
            (None, Some(t)) => t.budget_tokens.saturating_add(default_max_tokens),
            (None, None) => default_max_tokens,
        };
        let output_config =
            match &req.response_format {
                Some(ResponseFormat::JsonSchema(s)) => Some(OutputConfig {
                    format: OutputFormat {
                        kind: "json_schema",
                        schema: &s.schema,
                    },
                }),
                Some(ResponseFormat::JsonObject) => return Err(YatError::Unsupported {
                    provider: provider.to_owned(),
                    capability: "json_object".into(),
                    message:
                        "the Messages API has no JSON mode without a schema; ask with a JSON schema"
                            .into(),
                }),
                _ => None,
            };
        let tools: Vec<Tool<'a>> = req
            .tools
            .iter()
            .map(|t| Tool {
                name: &t.name,
                description: &t.description,
                input_schema: &t.parameters,
                strict: t.strict,
            })
            .collect();
        let tool_choice = if tools.is_empty() {
            if req.tool_choice.is_some() {
                tracing::debug!(provider, "tool_choice without tools is not sent");
            }
            None
        } else {
            choice(
                req.tool_choice.as_ref(),
                req.parallel_tool_calls == Some(false),
            )
        };
        Ok(MessagesBody {
            model: &req.model,
            max_tokens,
            system: req.system_prompt().filter(|s| !s.is_empty()),
            messages: turns(provider, &req.messages)?,
            temperature: req.temperature,
            top_p: req.top_p,
            stop_sequences: &req.stop,
            tools,
            tool_choice,
            thinking,
            output_config,
            stream: true,
        })
    }

    /// Whether there is anything for the model to answer.
    pub(crate) fn has_messages(&self) -> bool {
        !self.messages.is_empty()
    }
}

/// `tool_choice` for `choice`, forbidding parallel calls when `serial`.
/// `none` takes no parallel flag (there is nothing to run in parallel).
fn choice<'a>(choice: Option<&'a ToolChoice>, serial: bool) -> Option<Choice<'a>> {
    let (kind, name) = match choice {
        None if !serial => return None,
        None | Some(ToolChoice::Auto) => ("auto", None),
        Some(ToolChoice::Required) => ("any", None),
        Some(ToolChoice::None) => ("none", None),
        Some(ToolChoice::Tool { name }) => ("tool", Some(name.as_str())),
        Some(_) => ("auto", None),
    };
    Some(Choice {
        kind,
        name,
        disable_parallel_tool_use: serial && kind != "none",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_fixture;
    use serde_json::json;
    use yat_core::{JsonSchema, Message, ReasoningConfig, ReasoningEffort, ToolSpec};

    fn body(req: &ChatRequest) -> serde_json::Value {
        serde_json::to_value(MessagesBody::new("anthropic", req, 4096).unwrap()).unwrap()
    }

    fn sent(req: &ChatRequest) -> String {
        serde_json::to_string(&MessagesBody::new("anthropic", req, 4096).unwrap()).unwrap()
    }

    fn with_tool() -> ChatRequest {
        ChatRequest::new("m", vec![Message::user("x")]).tool(ToolSpec::new(
            "now",
            "The time",
            json!({"type": "object"}),
        ))
    }

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = request_fixture::sampled("claude-sonnet-4-5").seed(7);
        // The bytes sent, not a `Value`: f32 parameters must go out as
        // written (0.7, not 0.699999988079071). No seed: the API has none.
        assert_eq!(
            sent(&req),
            r#"{"model":"claude-sonnet-4-5","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Say hello"}],"temperature":0.7,"top_p":0.9,"stop_sequences":["\n\n"],"stream":true}"#
        );
        // And through a `Value` (the path extra fields take).
        assert_eq!(body(&req)["temperature"].to_string(), "0.7");
        assert_eq!(body(&req)["top_p"].to_string(), "0.9");
    }

    #[test]
    fn max_tokens_is_always_sent_and_unset_parameters_are_not() {
        let req = ChatRequest::new("m", vec![Message::user("hi")]);
        assert_eq!(
            sent(&req),
            r#"{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"hi"}],"stream":true}"#
        );
        assert_eq!(body(&req.clone().max_tokens(7))["max_tokens"], 7);
    }

    #[test]
    fn systems_are_lifted_and_consecutive_turns_merge_into_blocks() {
        let req = request_fixture::turns_to_merge();
        let expected = json!({"model":"m","max_tokens":4096,"system":"s1\n\ns2\n\ns3","messages":[
            {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
            {"role":"assistant","content":[{"type":"text","text":"c"},{"type":"text","text":"d"},{"type":"text","text":"e"}]},
            {"role":"user","content":"f"}],"stream":true});
        assert_eq!(body(&req), expected);
        let only_system = ChatRequest::new("m", vec![Message::system("s")]);
        assert!(!MessagesBody::new("a", &only_system, 1)
            .unwrap()
            .has_messages());
        let empty_system = ChatRequest::new("m", vec![Message::system(""), Message::user("x")]);
        assert!(body(&empty_system).get("system").is_none());
    }

    #[test]
    fn tool_choices_map_and_parallel_off_rides_inside_them() {
        let cases = [
            (None, None, None),
            (
                None,
                Some(false),
                Some(json!({"type": "auto", "disable_parallel_tool_use": true})),
            ),
            (None, Some(true), None),
            (Some(ToolChoice::Auto), None, Some(json!({"type": "auto"}))),
            (
                Some(ToolChoice::Required),
                Some(false),
                Some(json!({"type": "any", "disable_parallel_tool_use": true})),
            ),
            (
                Some(ToolChoice::None),
                Some(false),
                Some(json!({"type": "none"})),
            ),
            (
                Some(ToolChoice::Tool { name: "now".into() }),
                Some(false),
                Some(json!({"type": "tool", "name": "now", "disable_parallel_tool_use": true})),
            ),
        ];
        for (choice, parallel, expected) in cases {
            let mut req = with_tool();
            req.tool_choice = choice.clone();
            req.parallel_tool_calls = parallel;
            assert_eq!(
                body(&req).get("tool_choice").cloned(),
                expected,
                "{choice:?} {parallel:?}"
            );
        }
        // No tools, no choice.
        let req = ChatRequest::new("m", vec![Message::user("x")]).tool_choice(ToolChoice::Required);
        assert!(body(&req).get("tool_choice").is_none());
        assert!(body(&req).get("tools").is_none());
    }

    #[test]
    fn tools_carry_name_description_schema_and_strict() {
        let req =
            with_tool().tool(ToolSpec::new("quiet", "", json!({"type": "object"})).strict(true));
        assert_eq!(
            body(&req)["tools"],
            json!([
                {"name": "now", "description": "The time", "input_schema": {"type": "object"}},
                {"name": "quiet", "input_schema": {"type": "object"}, "strict": true}
            ])
        );
    }

    #[test]
    fn thinking_raises_the_default_limit_and_refuses_a_limit_below_the_budget() {
        let req = ChatRequest::new("m", vec![Message::user("x")])
            .reasoning(ReasoningConfig::effort(ReasoningEffort::Low));
        let b = body(&req);
        assert_eq!(
            b["thinking"],
            json!({"type": "enabled", "budget_tokens": 2048})
        );
        assert_eq!(b["max_tokens"], 2048 + 4096);
        assert_eq!(body(&req.clone().max_tokens(3000))["max_tokens"], 3000);
        assert!(matches!(
            MessagesBody::new("anthropic", &req.clone().max_tokens(2048), 4096),
            Err(YatError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_schema_goes_in_output_config_and_schemaless_json_is_refused() {
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": false});
        let req = ChatRequest::new("m", vec![Message::user("x")]).response_format(
            ResponseFormat::JsonSchema(JsonSchema::new("n", schema.clone())),
        );
        assert_eq!(
            body(&req)["output_config"],
            json!({"format": {"type": "json_schema", "schema": schema}})
        );
        let text =
            ChatRequest::new("m", vec![Message::user("x")]).response_format(ResponseFormat::Text);
        assert!(body(&text).get("output_config").is_none());
        let json_mode = text.response_format(ResponseFormat::JsonObject);
        assert!(matches!(
            MessagesBody::new("anthropic", &json_mode, 1),
            Err(YatError::Unsupported { .. })
        ));
    }
}

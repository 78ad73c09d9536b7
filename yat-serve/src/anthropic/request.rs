//! A `POST /v1/messages` body, read into an [`Inbound`].
//!
//! Sources: platform.claude.com/docs/en/api/messages ("Create a Message"),
//! the SDK's `message_create_params.py` and the param types it names
//! (`tool_param.py`, `tool_union_param.py`, `tool_choice_*_param.py`,
//! `thinking_config_*_param.py`, `output_config_param.py`,
//! `json_output_format_param.py`), and
//! platform.claude.com/docs/en/build-with-claude/structured-outputs.
//!
//! - `model`, `max_tokens` and `messages` are required; a missing one is a
//!   400 saying `Field required` with its name, as the API's own.
//! - Malformed JSON and wrong types are a 400 naming the field's path
//!   (`serde_path_to_error`); unknown fields are ignored, as new API fields
//!   must not break old gateways.
//! - `top_k` has no contract field: it rides in `extra["anthropic"]`, so an
//!   Anthropic upstream still gets it and other upstreams are not asked for
//!   what they cannot do.
//! - Tools are custom tools (`type` absent or `custom`). Server tools
//!   (`web_search_20250305`, `bash_20250124`, ...) run on Anthropic's side
//!   and yat cannot run them: a 400.
//! - `tool_choice.disable_parallel_tool_use` is the contract's
//!   `parallel_tool_calls: false`.
//! - `thinking: {type: "enabled", budget_tokens}` is a reasoning budget;
//!   `disabled` is none; `adaptive` (the model decides how much) is
//!   reasoning at the effort of `output_config.effort` (`xhigh` and `max`
//!   count as high), or at the provider's default.
//! - A JSON schema for the reply comes as `output_config.format` (generally
//!   available) or `output_format` (the `structured-outputs-2025-11-13`
//!   beta it replaced); both are `{type: "json_schema", schema}`, and the
//!   generally available one wins when both are sent. The schema gets a
//!   fixed name, which Anthropic's API does not take but OpenAI's requires.
//! - `metadata`, `service_tier`, `container` and the like are ignored.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use yat_core::{
    ChatRequest, JsonSchema, ReasoningConfig, ReasoningEffort, ResponseFormat, ToolChoice, ToolSpec,
};

use super::content::{conversation, required, system_message, TextOrBlocks, WireMessage};
use crate::api_error::{ApiError, ErrorKind};
use crate::dialect::Inbound;

/// The name a schema from this format gets (it carries none).
const SCHEMA_NAME: &str = "response";

/// The request body. Every field is optional here so that a missing
/// required one is reported by name, not as serde's "missing field" at
/// the root.
#[derive(Deserialize, Debug)]
#[serde(expecting = "a Messages request object")]
struct WireRequest {
    model: Option<String>,
    max_tokens: Option<u32>,
    messages: Option<Vec<WireMessage>>,
    system: Option<TextOrBlocks>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    top_k: Option<u32>,
    stop_sequences: Option<Vec<String>>,
    tools: Option<Vec<WireTool>>,
    tool_choice: Option<WireToolChoice>,
    thinking: Option<WireThinking>,
    output_format: Option<WireFormat>,
    output_config: Option<WireOutputConfig>,
    stream: Option<bool>,
    /// A server-held conversation (the `message-threads` beta): the
    /// gateway keeps no state, so it refuses one the way the SDK's tool
    /// runner recognises, and the runner resends the whole conversation.
    thread: Option<serde_json::Value>,
}

#[derive(Deserialize, Debug)]
#[serde(expecting = "a tool object")]
struct WireTool {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    description: Option<String>,
    input_schema: Option<serde_json::Value>,
    strict: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(expecting = "a tool_choice object")]
struct WireToolChoice {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    disable_parallel_tool_use: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(expecting = "a thinking object")]
struct WireThinking {
    #[serde(rename = "type")]
    kind: Option<String>,
    budget_tokens: Option<u32>,
}

#[derive(Deserialize, Debug)]
#[serde(expecting = "an output format object")]
struct WireFormat {
    #[serde(rename = "type")]
    kind: Option<String>,
    schema: Option<serde_json::Value>,
}

#[derive(Deserialize, Debug)]
#[serde(expecting = "an output_config object")]
struct WireOutputConfig {
    format: Option<WireFormat>,
    effort: Option<String>,
}

/// Reads a request body.
pub(super) fn parse(body: &[u8]) -> Result<Inbound, ApiError> {
    let wire: WireRequest = decode(body)?;
    if wire.thread.as_ref().is_some_and(|t| !t.is_null()) {
        return Err(ApiError::invalid(
            "thread",
            "server-held message threads are not supported by this gateway (it keeps no \
             conversation state): send the whole conversation",
        )
        .with_code("thread_unsupported_request"));
    }
    wire.into_inbound()
}

/// `body` as a `T`, or a 400 naming where it went wrong.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                ErrorKind::InvalidRequest,
                format!("the body is not valid JSON: {inner}"),
            )
        } else if path == "." {
            ApiError::new(ErrorKind::InvalidRequest, inner.to_string())
        } else {
            ApiError::invalid(path, inner.to_string())
        }
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            ErrorKind::InvalidRequest,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

impl WireRequest {
    fn into_inbound(self) -> Result<Inbound, ApiError> {
        let model = required(self.model, || "model")?;
        if model.trim().is_empty() {
            return Err(ApiError::invalid("model", "must name a model"));
        }
        let max_tokens = required(self.max_tokens, || "max_tokens")?;
        if max_tokens == 0 {
            return Err(ApiError::invalid(
                "max_tokens",
                "must be greater than or equal to 1",
            ));
        }
        let wire_messages = required(self.messages, || "messages")?;
        let mut messages = Vec::with_capacity(wire_messages.len() + 1);
        if let Some(system) = self.system {
            messages.extend(system_message(system)?);
        }
        conversation(wire_messages, &mut messages)?;

        let mut request = ChatRequest::new("", messages).max_tokens(max_tokens);
        request.temperature = self.temperature;
        request.top_p = self.top_p;
        request.stop = self.stop_sequences.unwrap_or_default();
        if let Some(k) = self.top_k {
            request = request.extra("anthropic", "top_k", serde_json::Value::from(k));
        }
        if let Some(tools) = self.tools {
            request.tools = tools
                .into_iter()
                .enumerate()
                .map(|(i, t)| tool(i, t))
                .collect::<Result<_, _>>()?;
        }
        if let Some(choice) = self.tool_choice {
            let (choice, serial) = tool_choice(choice)?;
            request.tool_choice = Some(choice);
            if serial {
                request.parallel_tool_calls = Some(false);
            }
        }
        let (format, effort) = match self.output_config {
            Some(c) => (
                c.format.map(|f| ("output_config.format", f)),
                c.effort.map(|e| effort(&e)).transpose()?,
            ),
            None => (None, None),
        };
        if let Some((path, format)) = format.or(self.output_format.map(|f| ("output_format", f))) {
            request.response_format = Some(response_format(path, format)?);
        }
        if let Some(thinking) = self.thinking {
            request.reasoning = reasoning(thinking, effort)?;
        }
        Ok(Inbound {
            model,
            request,
            stream: self.stream.unwrap_or(false),
            include_usage: true,
        })
    }
}

/// Tool `i` as a [`ToolSpec`]: custom tools only.
fn tool(i: usize, t: WireTool) -> Result<ToolSpec, ApiError> {
    let path = |field: &str| format!("tools[{i}].{field}");
    if let Some(kind) = t.kind.as_deref().filter(|k| *k != "custom") {
        return Err(ApiError::unsupported(
            path("type"),
            format!("server tool `{kind}` is not supported by this gateway: only custom tools (name, description, input_schema) are"),
        ));
    }
    let name = required(t.name, || path("name"))?;
    let schema = required(t.input_schema, || path("input_schema"))?;
    let mut spec = ToolSpec::new(name, t.description.unwrap_or_default(), schema);
    spec.strict = t.strict;
    Ok(spec)
}

/// The choice, and whether parallel calls are off.
fn tool_choice(c: WireToolChoice) -> Result<(ToolChoice, bool), ApiError> {
    let choice = match required(c.kind.as_deref(), || "tool_choice.type")? {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => ToolChoice::Tool {
            name: required(c.name, || "tool_choice.name")?,
        },
        other => {
            return Err(ApiError::invalid(
                "tool_choice.type",
                format!("unknown tool_choice type `{other}` (auto, any, tool, none)"),
            ))
        }
    };
    Ok((choice, c.disable_parallel_tool_use == Some(true)))
}

/// `output_config.effort` as a reasoning effort.
fn effort(e: &str) -> Result<ReasoningEffort, ApiError> {
    match e {
        "low" => Ok(ReasoningEffort::Low),
        "medium" => Ok(ReasoningEffort::Medium),
        "high" | "xhigh" | "max" => Ok(ReasoningEffort::High),
        other => Err(ApiError::invalid(
            "output_config.effort",
            format!("unknown effort `{other}` (low, medium, high, xhigh, max)"),
        )),
    }
}

/// `thinking` as the contract's reasoning, `None` when it is off.
fn reasoning(
    t: WireThinking,
    effort: Option<ReasoningEffort>,
) -> Result<Option<ReasoningConfig>, ApiError> {
    match required(t.kind.as_deref(), || "thinking.type")? {
        "enabled" => {
            let budget = required(t.budget_tokens, || "thinking.budget_tokens")?;
            Ok(Some(ReasoningConfig::budget_tokens(budget)))
        }
        "disabled" => Ok(None),
        "adaptive" => Ok(Some(
            effort.map_or_else(ReasoningConfig::default, ReasoningConfig::effort),
        )),
        other => Err(ApiError::invalid(
            "thinking.type",
            format!("unknown thinking type `{other}` (enabled, disabled, adaptive)"),
        )),
    }
}

/// A `json_schema` output format at `path`.
fn response_format(path: &str, f: WireFormat) -> Result<ResponseFormat, ApiError> {
    match required(f.kind.as_deref(), || format!("{path}.type"))? {
        "json_schema" => {
            let schema = required(f.schema, || format!("{path}.schema"))?;
            if !schema.is_object() {
                return Err(ApiError::invalid(
                    format!("{path}.schema"),
                    "must be a JSON Schema object",
                ));
            }
            Ok(ResponseFormat::JsonSchema(JsonSchema::new(
                SCHEMA_NAME,
                schema,
            )))
        }
        other => Err(ApiError::invalid(
            format!("{path}.type"),
            format!("unsupported output format `{other}` (json_schema)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use yat_core::{Message, Part};

    fn parse_json(v: serde_json::Value) -> Result<Inbound, ApiError> {
        parse(v.to_string().as_bytes())
    }

    /// A valid body with `extra` fields on top.
    fn body(extra: serde_json::Value) -> serde_json::Value {
        let mut b = json!({"model": "claude-sonnet-4-5", "max_tokens": 256,
                           "messages": [{"role": "user", "content": "Say hello"}]});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    }

    #[test]
    fn a_server_held_thread_is_refused_with_the_code_the_tool_runner_reads() {
        let e = parse_json(body(json!({"thread": {"type": "create"}}))).unwrap_err();
        assert_eq!(
            (e.kind, e.param.as_deref()),
            (ErrorKind::InvalidRequest, Some("thread"))
        );
        assert_eq!(e.code.as_deref(), Some("thread_unsupported_request"));
        let (status, bytes) = super::super::error::response(&e);
        assert_eq!(status, 400);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            v["error"]["details"]["error_code"],
            "thread_unsupported_request"
        );
        // `"thread": null` is no thread.
        assert!(parse_json(body(json!({"thread": null}))).is_ok());
    }

    fn request(extra: serde_json::Value) -> ChatRequest {
        parse_json(body(extra)).unwrap().request
    }

    #[test]
    fn the_documented_example_reads_whole() {
        let inbound = parse(
            br#"{"model":"claude-sonnet-4-5","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Say hello"}],"temperature":0.7,"stop_sequences":["\n\nUser:"],"stream":true,"metadata":{"user_id":"u"},"future_field":[1]}"#,
        )
        .unwrap();
        assert_eq!(inbound.model, "claude-sonnet-4-5");
        assert!(inbound.stream && inbound.include_usage);
        let r = inbound.request;
        assert_eq!(r.model, "");
        assert_eq!(
            r.messages,
            vec![Message::system("Be brief."), Message::user("Say hello")]
        );
        assert_eq!((r.max_tokens, r.temperature), (Some(256), Some(0.7)));
        assert_eq!(r.stop, vec!["\n\nUser:".to_owned()]);
        assert!(r.extra.is_empty());
        assert!(!parse_json(body(json!({}))).unwrap().stream);
    }

    #[test]
    fn sampling_tools_and_choices_map_to_the_contract() {
        let r = request(json!({"top_p": 0.9, "top_k": 40, "stream": false,
        "tools": [
            {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
            {"type": "custom", "name": "now", "input_schema": {"type": "object"}, "strict": true}
        ]}));
        assert_eq!(r.top_p, Some(0.9));
        assert_eq!(r.extra_for("anthropic").unwrap()["top_k"], 40);
        assert_eq!(
            r.tools,
            vec![
                ToolSpec::new("get_weather", "Weather", json!({"type": "object"})),
                ToolSpec::new("now", "", json!({"type": "object"})).strict(true),
            ]
        );
        let cases = [
            (json!({"type": "auto"}), ToolChoice::Auto, None),
            (json!({"type": "any"}), ToolChoice::Required, None),
            (json!({"type": "none"}), ToolChoice::None, None),
            (
                json!({"type": "tool", "name": "now"}),
                ToolChoice::Tool { name: "now".into() },
                None,
            ),
            (
                json!({"type": "auto", "disable_parallel_tool_use": true}),
                ToolChoice::Auto,
                Some(false),
            ),
            (
                json!({"type": "any", "disable_parallel_tool_use": false}),
                ToolChoice::Required,
                None,
            ),
        ];
        for (choice, expected, parallel) in cases {
            let r = request(json!({"tool_choice": choice}));
            assert_eq!(r.tool_choice, Some(expected), "{choice}");
            assert_eq!(r.parallel_tool_calls, parallel, "{choice}");
        }
    }

    #[test]
    fn thinking_and_output_formats_map_to_the_contract() {
        let cases = [
            (
                json!({"thinking": {"type": "enabled", "budget_tokens": 2048}}),
                Some(ReasoningConfig::budget_tokens(2048)),
            ),
            (json!({"thinking": {"type": "disabled"}}), None),
            (
                json!({"thinking": {"type": "adaptive"}}),
                Some(ReasoningConfig::default()),
            ),
            (
                json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}),
                Some(ReasoningConfig::effort(ReasoningEffort::High)),
            ),
            // Effort alone does not turn thinking on.
            (json!({"output_config": {"effort": "low"}}), None),
        ];
        for (extra, expected) in cases {
            assert_eq!(request(extra.clone()).reasoning, expected, "{extra}");
        }
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
        let expected = Some(ResponseFormat::JsonSchema(JsonSchema::new(
            "response",
            schema.clone(),
        )));
        for extra in [
            json!({"output_format": {"type": "json_schema", "schema": schema}}),
            json!({"output_config": {"format": {"type": "json_schema", "schema": schema}}}),
            json!({"output_config": {"format": {"type": "json_schema", "schema": schema}},
                   "output_format": {"type": "json_schema", "schema": {"type": "object"}}}),
        ] {
            assert_eq!(request(extra.clone()).response_format, expected, "{extra}");
        }
    }

    #[test]
    fn content_blocks_reach_the_request() {
        let r = request(json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is this?", "cache_control": {"type": "ephemeral"}},
            {"type": "image", "source": {"type": "url", "url": "https://x/cat.png"}}
        ]}]}));
        assert_eq!(r.messages.len(), 1);
        assert_eq!(r.messages[0].content[0], Part::text("What is this?"));
        assert_eq!(r.messages[0].content[1].kind(), "image");
    }

    #[test]
    fn each_bad_body_is_a_400_naming_its_field() {
        let without = |field: &str| {
            let mut b = body(json!({}));
            b.as_object_mut().unwrap().remove(field);
            b.to_string()
        };
        let with = |extra: serde_json::Value| body(extra).to_string();
        let cases: Vec<(String, Option<&str>, &str)> = vec![
            ("{\"model\":".into(), None, "not valid JSON"),
            ("{} x".into(), None, "not valid JSON"),
            ("[]".into(), None, "a Messages request object"),
            (without("model"), Some("model"), "Field required"),
            (without("max_tokens"), Some("max_tokens"), "Field required"),
            (without("messages"), Some("messages"), "Field required"),
            (
                with(json!({"model": 5})),
                Some("model"),
                "expected a string",
            ),
            (
                with(json!({"model": " "})),
                Some("model"),
                "must name a model",
            ),
            (
                with(json!({"max_tokens": "many"})),
                Some("max_tokens"),
                "u32",
            ),
            (with(json!({"max_tokens": -1})), Some("max_tokens"), "-1"),
            (
                with(json!({"max_tokens": 0})),
                Some("max_tokens"),
                "greater than",
            ),
            (
                with(json!({"temperature": "hot"})),
                Some("temperature"),
                "f32",
            ),
            (
                with(json!({"stop_sequences": "END"})),
                Some("stop_sequences"),
                "sequence",
            ),
            (with(json!({"messages": {}})), Some("messages"), "sequence"),
            (
                with(json!({"messages": [{"role": "user", "content": 5}]})),
                Some("messages[0].content"),
                "a string or an array of content blocks",
            ),
            (
                with(
                    json!({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}),
                ),
                Some("messages[0].content[0].text"),
                "expected a string",
            ),
            (
                with(
                    json!({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": 7}}]}]}),
                ),
                Some("messages[0].content[0].source.data"),
                "expected a string",
            ),
            (
                with(json!({"messages": []})),
                Some("messages"),
                "at least one",
            ),
            (
                with(json!({"system": 5})),
                Some("system"),
                "a string or an array",
            ),
            (
                with(json!({"tools": [{"type": "web_search_20250305", "name": "web_search"}]})),
                Some("tools[0].type"),
                "web_search_20250305",
            ),
            (
                with(json!({"tools": [{"name": "f"}]})),
                Some("tools[0].input_schema"),
                "Field required",
            ),
            (
                with(json!({"tools": [{"input_schema": {}}]})),
                Some("tools[0].name"),
                "Field required",
            ),
            (
                with(json!({"tools": {"name": "f"}})),
                Some("tools"),
                "sequence",
            ),
            (
                with(json!({"tool_choice": {"type": "tool"}})),
                Some("tool_choice.name"),
                "Field required",
            ),
            (
                with(json!({"tool_choice": {"type": "some"}})),
                Some("tool_choice.type"),
                "`some`",
            ),
            (
                with(json!({"tool_choice": "auto"})),
                Some("tool_choice"),
                "a tool_choice object",
            ),
            (
                with(json!({"thinking": {"type": "enabled"}})),
                Some("thinking.budget_tokens"),
                "Field required",
            ),
            (
                with(json!({"thinking": {"type": "on"}})),
                Some("thinking.type"),
                "`on`",
            ),
            (
                with(json!({"thinking": {"type": "enabled", "budget_tokens": 1.5}})),
                Some("thinking.budget_tokens"),
                "u32",
            ),
            (
                with(json!({"output_format": {"type": "json_object"}})),
                Some("output_format.type"),
                "`json_object`",
            ),
            (
                with(json!({"output_format": {"type": "json_schema"}})),
                Some("output_format.schema"),
                "Field required",
            ),
            (
                with(json!({"output_config": {"format": {"type": "json_schema", "schema": "x"}}})),
                Some("output_config.format.schema"),
                "JSON Schema object",
            ),
            (
                with(json!({"output_config": {"effort": "huge"}})),
                Some("output_config.effort"),
                "`huge`",
            ),
            (with(json!({"stream": "yes"})), Some("stream"), "boolean"),
        ];
        for (b, param, fragment) in cases {
            let e = parse(b.as_bytes()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{b}");
            assert_eq!(e.param.as_deref(), param, "{b}: {}", e.message);
            assert!(e.message.contains(fragment), "{b}: {}", e.message);
        }
    }
}

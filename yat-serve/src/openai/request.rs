//! The body of `POST /v1/chat/completions` (the spec's
//! `CreateChatCompletionRequest`), read into an [`Inbound`].
//!
//! What the contract carries maps field for field. What a client may ask
//! for but yat cannot deliver (`n` > 1, `logprobs`, audio output,
//! predicted outputs, the deprecated `functions`) is a 400 naming the
//! field, so the client learns it at once rather than from a reply that
//! quietly lacks it. A few OpenAI-only knobs (the penalties, `logit_bias`,
//! `user`, `safety_identifier`, `prompt_cache_key`, `verbosity`, and a
//! `reasoning_effort` the contract has no word for) go to the request's
//! extra fields for the `openai` provider: an OpenAI upstream receives them
//! as sent, every other provider ignores them. `store`, `metadata` and
//! `service_tier` concern OpenAI's own account and are ignored, as is any
//! field this version does not know (OpenAI adds fields often, and clients
//! send them).

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::{Map, Value};
use yat_core::{
    ChatRequest, JsonSchema, ReasoningConfig, ReasoningEffort, ResponseFormat, ToolChoice, ToolSpec,
};

use super::messages::{self, WireMessage};
use super::wire::{StringOr, Structured};
use crate::api_error::{ApiError, ErrorKind};
use crate::dialect::Inbound;

/// The provider id under which OpenAI-only fields ride in
/// [`ChatRequest::extra`].
const OPENAI_EXTRA: &str = "openai";

#[derive(Debug, Deserialize)]
struct WireRequest {
    model: String,
    messages: Vec<WireMessage>,
    #[serde(default)]
    temperature: Option<f32>,
    #[serde(default)]
    top_p: Option<f32>,
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    #[serde(default)]
    stop: Option<StringOr<Vec<String>>>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    tools: Option<Vec<WireTool>>,
    #[serde(default)]
    tool_choice: Option<StringOr<WireNamedToolChoice>>,
    #[serde(default)]
    parallel_tool_calls: Option<bool>,
    #[serde(default)]
    response_format: Option<WireResponseFormat>,
    #[serde(default)]
    reasoning_effort: Option<String>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<WireStreamOptions>,

    // Asked for, but not something yat can deliver.
    #[serde(default)]
    n: Option<u32>,
    #[serde(default)]
    logprobs: Option<bool>,
    #[serde(default)]
    audio: Option<IgnoredAny>,
    #[serde(default)]
    modalities: Option<Vec<String>>,
    #[serde(default)]
    prediction: Option<IgnoredAny>,
    #[serde(default)]
    functions: Option<IgnoredAny>,
    #[serde(default)]
    function_call: Option<IgnoredAny>,

    // OpenAI-only, forwarded to an OpenAI upstream.
    #[serde(default)]
    frequency_penalty: Option<f64>,
    #[serde(default)]
    presence_penalty: Option<f64>,
    #[serde(default)]
    logit_bias: Option<Map<String, Value>>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    safety_identifier: Option<String>,
    #[serde(default)]
    prompt_cache_key: Option<String>,
    #[serde(default)]
    verbosity: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireStreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct WireTool {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Debug, Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    strict: Option<bool>,
}

/// `tool_choice` as an object: `{"type":"function","function":{"name"}}`.
#[derive(Debug, Deserialize)]
struct WireNamedToolChoice {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    function: Option<WireName>,
}

impl Structured for WireNamedToolChoice {
    const EXPECTING: &'static str =
        "\"none\", \"auto\", \"required\" or an object naming a function";
}

#[derive(Debug, Deserialize)]
struct WireName {
    name: String,
}

#[derive(Debug, Deserialize)]
struct WireResponseFormat {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    json_schema: Option<WireJsonSchema>,
}

#[derive(Debug, Deserialize)]
struct WireJsonSchema {
    name: String,
    #[serde(default)]
    schema: Option<Value>,
    #[serde(default)]
    strict: Option<bool>,
}

/// Parses a request body.
pub(super) fn parse(body: &[u8]) -> Result<Inbound, ApiError> {
    from_body::<WireRequest>(body)?.into_inbound()
}

/// Reads `body` as a JSON object of type `T`. Malformed JSON and wrong
/// types are a 400 whose `param` is the JSON path of the field at fault.
fn from_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // A derived struct also reads a JSON array (field by position), so
    // the object is checked for first.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) => {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                "the request body must be a JSON object",
            ))
        }
        None => {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                "the request body is empty: expected a JSON object",
            ))
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
    de.end().map_err(|e| {
        ApiError::new(
            ErrorKind::InvalidRequest,
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// A deserialization error as a 400 naming the field: the path where it
/// happened, plus the field's own name when one is missing (serde reports
/// a missing field at the object that lacks it).
fn path_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::new(
            ErrorKind::InvalidRequest,
            format!("the request body is not valid JSON: {inner}"),
        );
    }
    let message = inner.to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let param = match (path.as_str(), missing) {
        (".", Some(field)) => field.to_owned(),
        (_, Some(field)) => format!("{path}.{field}"),
        (".", None) => {
            return ApiError::new(
                ErrorKind::InvalidRequest,
                format!("invalid request body: {message}"),
            )
        }
        (_, None) => path,
    };
    let message = match missing {
        Some(_) => format!("missing required parameter `{param}`"),
        None => format!("invalid `{param}`: {message}"),
    };
    ApiError::invalid(param, message)
}

impl WireRequest {
    fn into_inbound(self) -> Result<Inbound, ApiError> {
        self.refuse_undeliverable()?;
        if self.model.trim().is_empty() {
            return Err(ApiError::invalid("model", "model must name a model"));
        }
        let stream = self.stream.unwrap_or(false);
        let include_usage = stream
            && self
                .stream_options
                .as_ref()
                .and_then(|o| o.include_usage)
                .unwrap_or(false);
        let mut extra = Map::new();
        let (reasoning, effort_extra) = reasoning(self.reasoning_effort.as_deref())?;
        if let Some(effort) = effort_extra {
            extra.insert("reasoning_effort".into(), Value::from(effort));
        }
        let forwarded = [
            ("frequency_penalty", self.frequency_penalty.map(Value::from)),
            ("presence_penalty", self.presence_penalty.map(Value::from)),
            ("logit_bias", self.logit_bias.map(Value::Object)),
            ("user", self.user.map(Value::from)),
            ("safety_identifier", self.safety_identifier.map(Value::from)),
            ("prompt_cache_key", self.prompt_cache_key.map(Value::from)),
            ("verbosity", self.verbosity.map(Value::from)),
        ];
        for (key, value) in forwarded {
            if let Some(value) = value {
                extra.insert(key.into(), value);
            }
        }
        let mut request = ChatRequest::new(String::new(), messages::read(self.messages)?);
        request.temperature = self.temperature;
        request.top_p = self.top_p;
        request.max_tokens = self.max_completion_tokens.or(self.max_tokens);
        request.stop = match self.stop {
            None => Vec::new(),
            Some(StringOr::Text(s)) => vec![s],
            Some(StringOr::Other(v)) => v,
        };
        request.seed = self.seed;
        request.tools = tools(self.tools.unwrap_or_default())?;
        request.tool_choice = self.tool_choice.map(tool_choice).transpose()?;
        request.parallel_tool_calls = self.parallel_tool_calls;
        request.response_format = self.response_format.map(response_format).transpose()?;
        request.reasoning = reasoning;
        if !extra.is_empty() {
            request.extra.insert(OPENAI_EXTRA.into(), extra);
        }
        Ok(Inbound {
            model: self.model,
            request,
            stream,
            include_usage,
        })
    }

    /// A 400 for the first field asking for what yat cannot deliver.
    fn refuse_undeliverable(&self) -> Result<(), ApiError> {
        match self.n {
            Some(0) => return Err(ApiError::invalid("n", "n must be at least 1")),
            Some(n) if n > 1 => return Err(ApiError::unsupported(
                "n",
                "n > 1 is not supported: ask for one choice and send the request again for more",
            )),
            _ => {}
        }
        let text_only = |m: &Vec<String>| m.iter().all(|m| m == "text");
        let refused = [
            (
                self.logprobs == Some(true),
                "logprobs",
                "logprobs are not supported",
            ),
            (
                self.audio.is_some(),
                "audio",
                "audio output is not supported",
            ),
            (
                self.modalities.as_ref().is_some_and(|m| !text_only(m)),
                "modalities",
                "output modalities other than [\"text\"] are not supported",
            ),
            (
                self.prediction.is_some(),
                "prediction",
                "predicted outputs are not supported",
            ),
            (
                self.functions.is_some(),
                "functions",
                "the deprecated `functions` is not supported: use `tools`",
            ),
            (
                self.function_call.is_some(),
                "function_call",
                "the deprecated `function_call` is not supported: use `tool_choice`",
            ),
        ];
        match refused.into_iter().find(|(refuse, ..)| *refuse) {
            Some((_, param, what)) => Err(ApiError::unsupported(param, what)),
            None => Ok(()),
        }
    }
}

/// `reasoning_effort` in the contract's terms, and the value to forward to
/// an OpenAI upstream when the contract has no word for it: `none` (no
/// reasoning asked for, yet OpenAI's reasoning models reason by default
/// unless told `none`), `minimal` (read as low) and `xhigh`/`max` (read as
/// high).
fn reasoning(effort: Option<&str>) -> Result<(Option<ReasoningConfig>, Option<&str>), ApiError> {
    let Some(effort) = effort else {
        return Ok((None, None));
    };
    let (config, exact) = match effort {
        "none" => (None, false),
        "minimal" => (Some(ReasoningEffort::Low), false),
        "low" => (Some(ReasoningEffort::Low), true),
        "medium" => (Some(ReasoningEffort::Medium), true),
        "high" => (Some(ReasoningEffort::High), true),
        "xhigh" | "max" => (Some(ReasoningEffort::High), false),
        other => {
            return Err(ApiError::invalid(
                "reasoning_effort",
                format!(
                    "unknown reasoning_effort `{other}`: expected none, minimal, low, medium, high, xhigh or max"
                ),
            ))
        }
    };
    Ok((
        config.map(ReasoningConfig::effort),
        (!exact).then_some(effort),
    ))
}

fn tools(wire: Vec<WireTool>) -> Result<Vec<ToolSpec>, ApiError> {
    wire.into_iter()
        .enumerate()
        .map(|(i, t)| {
            if t.kind != "function" {
                return Err(ApiError::unsupported(
                    format!("tools[{i}].type"),
                    format!(
                        "tools of type `{}` are not supported, only `function`",
                        t.kind
                    ),
                ));
            }
            let f = t.function.ok_or_else(|| {
                ApiError::invalid(
                    format!("tools[{i}].function"),
                    "a function tool needs `function`",
                )
            })?;
            // OpenAI: leaving out `parameters` defines a function that
            // takes none.
            let parameters = f
                .parameters
                .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}}));
            let mut spec = ToolSpec::new(f.name, f.description.unwrap_or_default(), parameters);
            spec.strict = f.strict;
            Ok(spec)
        })
        .collect()
}

fn tool_choice(choice: StringOr<WireNamedToolChoice>) -> Result<ToolChoice, ApiError> {
    match choice {
        StringOr::Text(mode) => match mode.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" => Ok(ToolChoice::Required),
            other => Err(ApiError::invalid(
                "tool_choice",
                format!("unknown tool_choice `{other}`: expected none, auto, required or an object naming a function"),
            )),
        },
        StringOr::Other(named) if named.kind == "function" => match named.function {
            Some(f) => Ok(ToolChoice::Tool { name: f.name }),
            None => Err(ApiError::invalid(
                "tool_choice.function",
                "a function tool_choice needs `function` with its `name`",
            )),
        },
        StringOr::Other(named) => Err(ApiError::unsupported(
            "tool_choice.type",
            format!("a tool_choice of type `{}` is not supported, only `function`", named.kind),
        )),
    }
}

/// `response_format`. OpenAI's `json_schema.strict` defaults to false, so
/// a schema without it is not strict here either (the contract's default
/// is strict).
fn response_format(format: WireResponseFormat) -> Result<ResponseFormat, ApiError> {
    match format.kind.as_str() {
        "text" => Ok(ResponseFormat::Text),
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => {
            let s = format.json_schema.ok_or_else(|| {
                ApiError::invalid(
                    "response_format.json_schema",
                    "a json_schema response_format needs `json_schema`",
                )
            })?;
            let schema = s.schema.unwrap_or_else(|| Value::Object(Map::new()));
            Ok(ResponseFormat::JsonSchema(
                JsonSchema::new(s.name, schema).strict(s.strict.unwrap_or(false)),
            ))
        }
        other => Err(ApiError::invalid(
            "response_format.type",
            format!(
                "unknown response_format type `{other}`: expected text, json_object or json_schema"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use yat_core::Message;

    use super::*;

    /// A minimal valid request with `fields` added (or replaced).
    fn with(fields: Value) -> Value {
        let mut body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }

    fn parse_value(body: &Value) -> Result<Inbound, ApiError> {
        parse(body.to_string().as_bytes())
    }

    fn request(fields: Value) -> ChatRequest {
        parse_value(&with(fields)).unwrap().request
    }

    fn base() -> ChatRequest {
        ChatRequest::new("", vec![Message::user("hi")])
    }

    #[test]
    fn every_option_maps_onto_the_contract() {
        let inbound = parse_value(&with(json!({
            "model": "anthropic/claude-sonnet-4-5",
            "temperature": 0.5,
            "top_p": 0.9,
            "max_tokens": 100,
            "stop": "END",
            "seed": 7,
            "tools": [{"type": "function", "function": {
                "name": "get_weather", "description": "Weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                "strict": true,
            }}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "parallel_tool_calls": false,
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "city", "schema": {"type": "object"}, "strict": true,
            }},
            "reasoning_effort": "high",
            "stream": true,
            "stream_options": {"include_usage": true},
            "user": "u-1",
            "frequency_penalty": 0.5,
            "presence_penalty": -0.5,
            "logit_bias": {"50256": -100},
            "logprobs": false,
            "n": 1,
            "modalities": ["text"],
            "store": true,
            "metadata": {"team": "a"},
            "service_tier": "auto",
            "a_field_from_next_year": {"x": [1, 2]},
        })))
        .unwrap();
        assert_eq!(inbound.model, "anthropic/claude-sonnet-4-5");
        assert!(inbound.stream && inbound.include_usage);
        let want = base()
            .temperature(0.5)
            .top_p(0.9)
            .max_tokens(100)
            .stop("END")
            .seed(7)
            .tool(
                ToolSpec::new(
                    "get_weather",
                    "Weather in a city",
                    json!({"type": "object", "properties": {"city": {"type": "string"}}}),
                )
                .strict(true),
            )
            .tool_choice(ToolChoice::Tool {
                name: "get_weather".into(),
            })
            .parallel_tool_calls(false)
            .response_format(ResponseFormat::JsonSchema(JsonSchema::new(
                "city",
                json!({"type": "object"}),
            )))
            .reasoning(ReasoningConfig::effort(ReasoningEffort::High))
            .extra("openai", "user", json!("u-1"))
            .extra("openai", "frequency_penalty", json!(0.5))
            .extra("openai", "presence_penalty", json!(-0.5))
            .extra("openai", "logit_bias", json!({"50256": -100}));
        assert_eq!(inbound.request, want);
    }

    #[test]
    fn a_bare_request_asks_for_nothing_extra() {
        let inbound = parse_value(&with(json!({}))).unwrap();
        assert_eq!(inbound.model, "m");
        assert!(!inbound.stream && !inbound.include_usage);
        assert_eq!(inbound.request, base());
    }

    #[test]
    fn options_in_each_of_their_forms() {
        let cases: Vec<(Value, ChatRequest)> = vec![
            (json!({"max_completion_tokens": 50}), base().max_tokens(50)),
            (
                json!({"max_completion_tokens": 50, "max_tokens": 10}),
                base().max_tokens(50),
            ),
            (json!({"stop": ["a", "b"]}), base().stop("a").stop("b")),
            (json!({"stop": null}), base()),
            (
                json!({"tool_choice": "auto"}),
                base().tool_choice(ToolChoice::Auto),
            ),
            (
                json!({"tool_choice": "none"}),
                base().tool_choice(ToolChoice::None),
            ),
            (
                json!({"tool_choice": "required"}),
                base().tool_choice(ToolChoice::Required),
            ),
            (
                json!({"response_format": {"type": "text"}}),
                base().response_format(ResponseFormat::Text),
            ),
            (
                json!({"response_format": {"type": "json_object"}}),
                base().response_format(ResponseFormat::JsonObject),
            ),
            // OpenAI's `strict` defaults to false; a missing schema is any.
            (
                json!({"response_format": {"type": "json_schema", "json_schema": {"name": "s"}}}),
                base().response_format(ResponseFormat::JsonSchema(
                    JsonSchema::new("s", json!({})).strict(false),
                )),
            ),
            // A function without `parameters` takes none.
            (
                json!({"tools": [{"type": "function", "function": {"name": "now"}}]}),
                base().tool(ToolSpec::new(
                    "now",
                    "",
                    json!({"type": "object", "properties": {}}),
                )),
            ),
            (
                json!({"reasoning_effort": "low"}),
                base().reasoning(ReasoningConfig::effort(ReasoningEffort::Low)),
            ),
            (
                json!({"reasoning_effort": "medium"}),
                base().reasoning(ReasoningConfig::effort(ReasoningEffort::Medium)),
            ),
            // Efforts the contract cannot name: the nearest, and the exact
            // word for an OpenAI upstream.
            (
                json!({"reasoning_effort": "minimal"}),
                base()
                    .reasoning(ReasoningConfig::effort(ReasoningEffort::Low))
                    .extra("openai", "reasoning_effort", json!("minimal")),
            ),
            (
                json!({"reasoning_effort": "xhigh"}),
                base()
                    .reasoning(ReasoningConfig::effort(ReasoningEffort::High))
                    .extra("openai", "reasoning_effort", json!("xhigh")),
            ),
            (
                json!({"reasoning_effort": "none"}),
                base().extra("openai", "reasoning_effort", json!("none")),
            ),
            (json!({"reasoning_effort": null}), base()),
            (
                json!({"safety_identifier": "s", "prompt_cache_key": "k", "verbosity": "low"}),
                base()
                    .extra("openai", "safety_identifier", json!("s"))
                    .extra("openai", "prompt_cache_key", json!("k"))
                    .extra("openai", "verbosity", json!("low")),
            ),
            (
                json!({"audio": null, "prediction": null, "modalities": null}),
                base(),
            ),
        ];
        for (fields, want) in cases {
            assert_eq!(request(fields.clone()), want, "{fields}");
        }
    }

    #[test]
    fn usage_is_reported_only_on_a_stream_that_asked_for_it() {
        let cases = [
            (json!({"stream": true}), (true, false)),
            (
                json!({"stream": true, "stream_options": {"include_usage": false}}),
                (true, false),
            ),
            (
                json!({"stream": false, "stream_options": {"include_usage": true}}),
                (false, false),
            ),
            (
                json!({"stream": true, "stream_options": {"include_usage": true}}),
                (true, true),
            ),
        ];
        for (fields, want) in cases {
            let inbound = parse_value(&with(fields.clone())).unwrap();
            assert_eq!((inbound.stream, inbound.include_usage), want, "{fields}");
        }
    }

    /// Asserts that `body` is a 400 with `param`, its message containing `says`.
    fn assert_400(body: &[u8], param: Option<&str>, says: &str) {
        let shown = String::from_utf8_lossy(body);
        let e = parse(body).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{shown}: {e}");
        assert_eq!(e.param.as_deref(), param, "{shown}: {e}");
        assert!(e.message.contains(says), "{shown}: {e}");
    }

    #[test]
    fn bodies_that_are_not_a_request_object_are_400s() {
        let cases: [(&str, &str); 6] = [
            ("", "empty"),
            ("  \n", "empty"),
            ("[1, 2]", "must be a JSON object"),
            ("\"hi\"", "must be a JSON object"),
            ("{\"model\": \"m\",", "not valid JSON"),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"hi"}]} trailing"#,
                "not valid JSON",
            ),
        ];
        for (body, says) in cases {
            assert_400(body.as_bytes(), None, says);
        }
    }

    #[test]
    fn wrong_and_missing_fields_are_400s_naming_the_field() {
        let user = json!([{"role": "user", "content": "hi"}]);
        let cases = [
            (
                json!({"messages": user}),
                "model",
                "missing required parameter",
            ),
            (
                json!({"model": "m"}),
                "messages",
                "missing required parameter",
            ),
            (
                json!({"model": 5, "messages": user}),
                "model",
                "invalid type",
            ),
            (
                json!({"model": " ", "messages": user}),
                "model",
                "name a model",
            ),
            (
                json!({"model": "m", "messages": []}),
                "messages",
                "at least one",
            ),
            (
                json!({"model": "m", "messages": {}}),
                "messages",
                "invalid type",
            ),
            (
                with(json!({"temperature": "hot"})),
                "temperature",
                "invalid type",
            ),
            (
                with(json!({"max_tokens": -1})),
                "max_tokens",
                "invalid value",
            ),
            (
                with(json!({"max_completion_tokens": 1.5})),
                "max_completion_tokens",
                "invalid type",
            ),
            (with(json!({"seed": -3})), "seed", "invalid value"),
            (
                with(json!({"stop": 5})),
                "stop",
                "a string or an array of strings",
            ),
            (with(json!({"stop": ["a", 1]})), "stop[1]", "invalid type"),
            (with(json!({"stream": "yes"})), "stream", "invalid type"),
            (
                with(json!({"stream_options": {"include_usage": "yes"}})),
                "stream_options.include_usage",
                "invalid type",
            ),
            (with(json!({"user": 5})), "user", "invalid type"),
            (
                with(json!({"logit_bias": [1]})),
                "logit_bias",
                "invalid type",
            ),
            (with(json!({"tools": {}})), "tools", "invalid type"),
            (
                with(json!({"tools": [{"function": {"name": "f"}}]})),
                "tools[0].type",
                "missing required parameter",
            ),
            (
                with(json!({"tools": [{"type": "function"}]})),
                "tools[0].function",
                "needs `function`",
            ),
            (
                with(json!({"tools": [{"type": "function", "function": {"description": "d"}}]})),
                "tools[0].function.name",
                "missing required parameter",
            ),
            (
                with(
                    json!({"tools": [{"type": "function", "function": {"name": "f", "strict": "yes"}}]}),
                ),
                "tools[0].function.strict",
                "invalid type",
            ),
            (
                with(json!({"tool_choice": "sometimes"})),
                "tool_choice",
                "unknown tool_choice",
            ),
            (
                with(json!({"tool_choice": 3})),
                "tool_choice",
                "an object naming a function",
            ),
            (
                with(json!({"tool_choice": {"type": "function"}})),
                "tool_choice.function",
                "needs `function`",
            ),
            (
                with(json!({"tool_choice": {"type": "function", "function": {}}})),
                "tool_choice.function.name",
                "missing required parameter",
            ),
            (
                with(json!({"response_format": {"type": "xml"}})),
                "response_format.type",
                "unknown response_format type",
            ),
            (
                with(json!({"response_format": {"type": "json_schema"}})),
                "response_format.json_schema",
                "needs `json_schema`",
            ),
            (
                with(
                    json!({"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}}),
                ),
                "response_format.json_schema.name",
                "missing required parameter",
            ),
            (
                with(json!({"reasoning_effort": "extreme"})),
                "reasoning_effort",
                "unknown reasoning_effort",
            ),
            (with(json!({"n": 0})), "n", "at least 1"),
        ];
        for (body, param, says) in cases {
            assert_400(body.to_string().as_bytes(), Some(param), says);
        }
    }

    #[test]
    fn what_yat_cannot_deliver_is_a_400_naming_the_field() {
        let cases = [
            (json!({"n": 2}), "n"),
            (json!({"logprobs": true}), "logprobs"),
            (json!({"logprobs": true, "top_logprobs": 3}), "logprobs"),
            (
                json!({"audio": {"voice": "alloy", "format": "wav"}}),
                "audio",
            ),
            (json!({"modalities": ["text", "audio"]}), "modalities"),
            (
                json!({"prediction": {"type": "content", "content": "x"}}),
                "prediction",
            ),
            (json!({"functions": [{"name": "f"}]}), "functions"),
            (json!({"function_call": "auto"}), "function_call"),
            (
                json!({"tools": [{"type": "custom", "custom": {"name": "f"}}]}),
                "tools[0].type",
            ),
            (
                json!({"tool_choice": {"type": "allowed_tools", "allowed_tools": {}}}),
                "tool_choice.type",
            ),
        ];
        for (fields, param) in cases {
            assert_400(
                with(fields).to_string().as_bytes(),
                Some(param),
                "not supported",
            );
        }
    }
}

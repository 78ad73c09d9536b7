//! What a caller asks a provider for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::message::{Message, Role};
use crate::setters::setters;

/// A tool the model may call: its name, what it does and the JSON Schema of
/// its arguments.
///
/// ```
/// use yat_core::ToolSpec;
/// let t = ToolSpec::new("get_weather", "Current weather in a city", serde_json::json!({
///     "type": "object",
///     "properties": {"city": {"type": "string"}},
///     "required": ["city"]
/// }));
/// assert_eq!(t.name, "get_weather");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolSpec {
    /// The name the model calls it by.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: serde_json::Value,
    /// Ask the provider to hold the arguments to the schema exactly, where
    /// it can (OpenAI's `strict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

impl ToolSpec {
    /// A tool with a name, a description and an arguments schema.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        ToolSpec {
            name: name.into(),
            description: description.into(),
            parameters,
            strict: None,
        }
    }
    /// Sets strict schema adherence.
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = Some(yes);
        self
    }
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides (the default when tools are given).
    Auto,
    /// No tool calls.
    None,
    /// At least one tool call.
    Required,
    /// This tool.
    Tool {
        /// The tool's name.
        name: String,
    },
}

/// A JSON Schema the reply must satisfy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsonSchema {
    /// A name for the schema (OpenAI requires one: `[a-zA-Z0-9_-]{1,64}`).
    pub name: String,
    /// The schema.
    pub schema: serde_json::Value,
    /// Ask for exact adherence where the provider offers it (the default,
    /// as with [`JsonSchema::new`]).
    #[serde(default = "strict_by_default")]
    pub strict: bool,
}

fn strict_by_default() -> bool {
    true
}

impl JsonSchema {
    /// A strict schema with a name.
    pub fn new(name: impl Into<String>, schema: serde_json::Value) -> Self {
        JsonSchema {
            name: name.into(),
            schema,
            strict: true,
        }
    }
    /// Sets strictness.
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }
}

/// The shape of the reply.
///
/// ```
/// use yat_core::{ChatRequest, JsonSchema, Message, ResponseFormat};
/// let req = ChatRequest::new("m", vec![Message::user("Name a city")])
///     .response_format(ResponseFormat::JsonSchema(JsonSchema::new("city", serde_json::json!({
///         "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]
///     }))));
/// assert!(matches!(req.response_format, Some(ResponseFormat::JsonSchema(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum ResponseFormat {
    /// Free text (the default).
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON satisfying a schema.
    JsonSchema(JsonSchema),
}

/// How hard a reasoning model should think.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ReasoningEffort {
    /// Quick.
    Low,
    /// The usual.
    Medium,
    /// Thorough.
    High,
}

impl ReasoningEffort {
    /// `low`, `medium` or `high`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }
    /// A token budget for APIs that take one instead of an effort
    /// (Anthropic, Gemini): 2,048, 8,192 and 24,576 tokens.
    pub const fn default_budget(self) -> u32 {
        match self {
            ReasoningEffort::Low => 2_048,
            ReasoningEffort::Medium => 8_192,
            ReasoningEffort::High => 24_576,
        }
    }
}

impl std::str::FromStr for ReasoningEffort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "low" => Ok(ReasoningEffort::Low),
            "medium" => Ok(ReasoningEffort::Medium),
            "high" => Ok(ReasoningEffort::High),
            other => Err(format!(
                "unknown reasoning effort `{other}` (low, medium, high)"
            )),
        }
    }
}

/// Ask for reasoning: an effort, a token budget, or both.
///
/// ```
/// use yat_core::{ReasoningConfig, ReasoningEffort};
/// let r = ReasoningConfig::effort(ReasoningEffort::High);
/// assert_eq!(r.budget(), 24_576);
/// assert_eq!(ReasoningConfig::budget_tokens(1_024).budget(), 1_024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReasoningConfig {
    /// The effort, for APIs that take one (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    /// The most tokens to spend thinking, for APIs that take a budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
}

impl ReasoningConfig {
    /// Reasoning at an effort.
    pub fn effort(effort: ReasoningEffort) -> Self {
        ReasoningConfig {
            effort: Some(effort),
            budget_tokens: None,
        }
    }
    /// Reasoning within a token budget.
    pub fn budget_tokens(tokens: u32) -> Self {
        ReasoningConfig {
            effort: None,
            budget_tokens: Some(tokens),
        }
    }
    /// The budget: the one given, else the effort's default, else medium's.
    pub fn budget(&self) -> u32 {
        self.budget_tokens.unwrap_or_else(|| {
            self.effort
                .unwrap_or(ReasoningEffort::Medium)
                .default_budget()
        })
    }
    /// The effort: the one given, else the nearest to the budget.
    pub fn effort_or_nearest(&self) -> ReasoningEffort {
        self.effort.unwrap_or(match self.budget_tokens {
            Some(n) if n < 4_096 => ReasoningEffort::Low,
            Some(n) if n >= 16_384 => ReasoningEffort::High,
            _ => ReasoningEffort::Medium,
        })
    }
}

/// What to ask a provider for: the conversation, the sampling parameters,
/// tools, the reply's format and reasoning.
///
/// Optional parameters left at `None` are not sent, so each API applies its
/// own default.
///
/// ```
/// use yat_core::{ChatRequest, Message, ToolChoice, ToolSpec};
/// let req = ChatRequest::new("mock-echo", vec![Message::user("Hi")])
///     .temperature(0.2)
///     .max_tokens(64)
///     .tool(ToolSpec::new("now", "The current time", serde_json::json!({"type": "object"})))
///     .tool_choice(ToolChoice::Auto)
///     .extra("openai", "user", serde_json::json!("u-42"));
/// assert_eq!(req.max_tokens, Some(64));
/// assert_eq!(req.extra_for("openai").unwrap()["user"], "u-42");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct ChatRequest {
    /// The model id as the provider knows it (without the `provider/` prefix).
    pub model: String,
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Upper bound on generated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Sequences that end generation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Seed for sampling, where the provider supports reproducible output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Whether and which tool must be called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// The reply's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Reasoning, for models that think before they answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    /// Extra top-level JSON fields per provider id, merged into that
    /// provider's request body as they are (for what the contract does not
    /// name). A field the provider already sets is overwritten.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

impl ChatRequest {
    /// A request for `model` with `messages` and every parameter at the API default.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        ChatRequest {
            model: model.into(),
            messages,
            ..Default::default()
        }
    }
    setters! { ChatRequest, fn, into:
        model(impl Into<String>) => model,
    }
    setters! { ChatRequest, fn, Some:
        temperature(f32) => temperature,
        max_tokens(u32) => max_tokens,
        top_p(f32) => top_p,
        seed(u64) => seed,
        tool_choice(ToolChoice) => tool_choice,
        parallel_tool_calls(bool) => parallel_tool_calls,
        response_format(ResponseFormat) => response_format,
        reasoning(ReasoningConfig) => reasoning,
    }
    setters! { ChatRequest, fn, as_is:
        tools(Vec<ToolSpec>) => tools,
    }
    /// Adds a stop sequence.
    pub fn stop(mut self, s: impl Into<String>) -> Self {
        self.stop.push(s.into());
        self
    }
    /// Adds a tool.
    pub fn tool(mut self, tool: ToolSpec) -> Self {
        self.tools.push(tool);
        self
    }
    /// Adds an extra body field for one provider.
    pub fn extra(
        mut self,
        provider: impl Into<String>,
        key: impl Into<String>,
        value: serde_json::Value,
    ) -> Self {
        self.extra
            .entry(provider.into())
            .or_default()
            .insert(key.into(), value);
        self
    }
    /// The extra fields for `provider`, if any.
    pub fn extra_for(&self, provider: &str) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.extra.get(provider).filter(|m| !m.is_empty())
    }
    /// The concatenated text of the system messages, if any (for APIs that
    /// take the system prompt as a separate field).
    pub fn system_prompt(&self) -> Option<String> {
        let mut parts = self
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.text());
        let first = parts.next()?.into_owned();
        Some(parts.fold(first, |mut acc, p| {
            acc.push_str("\n\n");
            acc.push_str(&p);
            acc
        }))
    }
    /// Whether any message holds a part of the given kind (see [`Part::kind`](crate::Part::kind)).
    pub fn has_part(&self, kind: &str) -> bool {
        self.messages
            .iter()
            .any(|m| m.content.iter().any(|p| p.kind() == kind))
    }
}

/// Writes `extra` over the top-level fields of `body` (a JSON object).
/// Providers call it on their serialized request body.
///
/// ```
/// let mut body = serde_json::json!({"model": "m", "stream": true});
/// let extra = serde_json::json!({"user": "u-1", "stream": true}).as_object().unwrap().clone();
/// yat_core::types::merge_extra(&mut body, Some(&extra));
/// assert_eq!(body["user"], "u-1");
/// ```
pub fn merge_extra(
    body: &mut serde_json::Value,
    extra: Option<&serde_json::Map<String, serde_json::Value>>,
) {
    if let (Some(obj), Some(extra)) = (body.as_object_mut(), extra) {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
}

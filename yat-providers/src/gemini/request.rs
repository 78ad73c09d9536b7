//! The `GenerateContentRequest` body.
//!
//! Reference: ai.google.dev/api/generate-content (`GenerateContentRequest`,
//! `GenerationConfig`, `ThinkingConfig`), ai.google.dev/api/caching (`Tool`,
//! `FunctionDeclaration`, `ToolConfig`, `FunctionCallingConfig`). Field
//! names are proto-JSON lowerCamelCase.
//!
//! - Tools: `tools: [{functionDeclarations: [{name, description,
//!   parametersJsonSchema}]}]`. [`ToolSpec::parameters`](yat_core::ToolSpec)
//!   is a JSON Schema (what OpenAI and Anthropic take), and the reference
//!   offers `parametersJsonSchema` for exactly that; the older `parameters`
//!   takes an OpenAPI 3.0 subset that refuses JSON Schema keywords such as
//!   `$ref`, `$defs` or `const`, so a schema written once for every
//!   provider would fail here.
//! - `toolConfig.functionCallingConfig.mode`: `AUTO`, `NONE`, or `ANY` (at
//!   least one call), with `allowedFunctionNames` for one named tool. Gemini
//!   has no switch for parallel calls; `parallel_tool_calls` is not sent.
//! - Structured output: `responseMimeType: "application/json"`, plus
//!   `responseJsonSchema` for a schema. As with the tools, the schema is a
//!   JSON Schema; `responseSchema` wants the OpenAPI subset (the reference:
//!   `responseJsonSchema` is "an alternative to `responseSchema` that
//!   accepts JSON Schema", requiring the JSON MIME type).
//! - Reasoning: `thinkingConfig {thinkingBudget, includeThoughts: true}`,
//!   the budget from [`ReasoningConfig::budget`](yat_core::ReasoningConfig::budget);
//!   thoughts are asked for so the stream can show them.
//! - `extra` fields are written over the top-level fields, in the same
//!   pass: the body is serialized once, its `f32` parameters as written
//!   (0.7, not 0.699999988079071 as a `serde_json::Value` would make them).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use yat_core::{ChatRequest, ResponseFormat, ToolChoice};

use super::content::{contents, Turn};

#[derive(Serialize)]
struct System {
    parts: [SystemText; 1],
}

#[derive(Serialize)]
struct SystemText {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tools<'a> {
    function_declarations: Vec<Declaration<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Declaration<'a> {
    name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters_json_schema: Option<&'a Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolConfig<'a> {
    function_calling_config: FunctionCallingConfig<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FunctionCallingConfig<'a> {
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_function_names: Option<[&'a str; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThinkingConfig {
    thinking_budget: u32,
    include_thoughts: bool,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_mime_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_json_schema: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_config: Option<ThinkingConfig>,
}

impl GenerationConfig<'_> {
    fn is_empty(&self) -> bool {
        self.temperature.is_none()
            && self.top_p.is_none()
            && self.max_output_tokens.is_none()
            && self.stop_sequences.is_empty()
            && self.seed.is_none()
            && self.response_mime_type.is_none()
            && self.thinking_config.is_none()
    }
}

/// A `GenerateContentRequest`, with the caller's extra fields.
pub(crate) struct GenerateBody<'a> {
    system_instruction: Option<System>,
    contents: Vec<Turn<'a>>,
    tools: Option<[Tools<'a>; 1]>,
    tool_config: Option<ToolConfig<'a>>,
    generation_config: Option<GenerationConfig<'a>>,
    extra: Option<&'a Map<String, Value>>,
}

impl<'a> GenerateBody<'a> {
    /// The body for `req`, with `extra` written over its top-level fields.
    /// System messages become the top-level `systemInstruction`; the rest
    /// become `contents` ([`contents`]). Fails, with a message for the
    /// caller, on a part that cannot be sent.
    pub(crate) fn new(
        req: &'a ChatRequest,
        extra: Option<&'a Map<String, Value>>,
    ) -> Result<Self, String> {
        let (response_mime_type, response_json_schema) = match &req.response_format {
            Some(ResponseFormat::JsonObject) => (Some("application/json"), None),
            Some(ResponseFormat::JsonSchema(s)) => (Some("application/json"), Some(&s.schema)),
            _ => (None, None),
        };
        let config = GenerationConfig {
            temperature: req.temperature,
            top_p: req.top_p,
            max_output_tokens: req.max_tokens,
            stop_sequences: &req.stop,
            seed: req.seed,
            response_mime_type,
            response_json_schema,
            thinking_config: req.reasoning.map(|r| ThinkingConfig {
                thinking_budget: r.budget(),
                include_thoughts: true,
            }),
        };
        let tools = (!req.tools.is_empty()).then(|| {
            [Tools {
                function_declarations: req
                    .tools
                    .iter()
                    .map(|t| Declaration {
                        name: &t.name,
                        description: &t.description,
                        parameters_json_schema: (!t.parameters.is_null()).then_some(&t.parameters),
                    })
                    .collect(),
            }]
        });
        Ok(GenerateBody {
            system_instruction: req
                .system_prompt()
                .filter(|s| !s.is_empty())
                .map(|text| System {
                    parts: [SystemText { text }],
                }),
            contents: contents(req)?,
            tools,
            tool_config: req.tool_choice.as_ref().and_then(tool_config),
            generation_config: (!config.is_empty()).then_some(config),
            extra,
        })
    }

    /// Whether there is anything for the model to answer.
    pub(crate) fn has_contents(&self) -> bool {
        !self.contents.is_empty()
    }
}

fn tool_config(choice: &ToolChoice) -> Option<ToolConfig<'_>> {
    let (mode, allowed_function_names) = match choice {
        ToolChoice::Auto => ("AUTO", None),
        ToolChoice::None => ("NONE", None),
        ToolChoice::Required => ("ANY", None),
        ToolChoice::Tool { name } => ("ANY", Some([name.as_str()])),
        other => {
            tracing::debug!(?other, "gemini: a tool choice it has no mode for");
            return None;
        }
    };
    Some(ToolConfig {
        function_calling_config: FunctionCallingConfig {
            mode,
            allowed_function_names,
        },
    })
}

impl GenerateBody<'_> {
    /// Whether the body has a field of its own named `key`.
    fn has_own(&self, key: &str) -> bool {
        match key {
            "systemInstruction" => self.system_instruction.is_some(),
            "contents" => true,
            "tools" => self.tools.is_some(),
            "toolConfig" => self.tool_config.is_some(),
            "generationConfig" => self.generation_config.is_some(),
            _ => false,
        }
    }
}

impl Serialize for GenerateBody<'_> {
    /// The fields in the documented order; an extra field takes the place
    /// of the one it replaces, and the others follow in the caller's order,
    /// as [`merge_extra`](yat_core::types::merge_extra) would leave them.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let extra = |key: &str| self.extra.and_then(|e| e.get(key));
        let mut map = s.serialize_map(None)?;
        macro_rules! field {
            ($key:literal, $value:expr) => {
                if let Some(value) = $value {
                    match extra($key) {
                        Some(replacement) => map.serialize_entry($key, replacement)?,
                        None => map.serialize_entry($key, value)?,
                    }
                }
            };
        }
        field!("systemInstruction", self.system_instruction.as_ref());
        field!("contents", Some(&self.contents));
        field!("tools", self.tools.as_ref());
        field!("toolConfig", self.tool_config.as_ref());
        field!("generationConfig", self.generation_config.as_ref());
        for (key, value) in self.extra.into_iter().flatten() {
            if !self.has_own(key) {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_fixture;
    use yat_core::Message;

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = request_fixture::sampled("gemini-2.5-flash");
        // The bytes sent, not a `Value`: f32 parameters must go out as
        // written (0.7, not 0.699999988079071).
        let sent = serde_json::to_string(&GenerateBody::new(&req, None).unwrap()).unwrap();
        assert_eq!(
            sent,
            r#"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Say hello"}]}],"generationConfig":{"temperature":0.7,"topP":0.9,"maxOutputTokens":256,"stopSequences":["\n\n"]}}"#
        );
    }

    #[test]
    fn assistant_is_model_and_consecutive_turns_merge() {
        let req = request_fixture::turns_to_merge();
        let v = serde_json::to_value(GenerateBody::new(&req, None).unwrap()).unwrap();
        let expected: Value = serde_json::from_str(
            r#"{"contents":[
                {"role":"user","parts":[{"text":"a"},{"text":"b"}]},
                {"role":"model","parts":[{"text":"c"},{"text":"d"},{"text":"e"}]},
                {"role":"user","parts":[{"text":"f"}]}],
               "systemInstruction":{"parts":[{"text":"s1\n\ns2\n\ns3"}]}}"#,
        )
        .unwrap();
        assert_eq!(v, expected);
        let only_system = ChatRequest::new("m", vec![Message::system("s")]);
        assert!(!GenerateBody::new(&only_system, None)
            .unwrap()
            .has_contents());
    }

    #[test]
    fn extra_fields_take_the_place_of_the_ones_they_replace() {
        let req = ChatRequest::new("m", vec![Message::user("x")]).temperature(0.7);
        let extra = serde_json::json!({"safetySettings": [], "generationConfig": {"topK": 3}, "toolConfig": {}});
        let body = GenerateBody::new(&req, extra.as_object()).unwrap();
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"topK":3},"safetySettings":[],"toolConfig":{}}"#
        );
    }
}

//! The options a reply was asked with, as stored beside it: what a person
//! reading the log wants to see, not a copy of the request.

use serde_json::{Map, Value};
use yat_core::{ChatRequest, ResponseFormat};

/// The request's options as a JSON object: only those that were set.
/// Tools and a response schema are named, not copied (the log is for
/// reading; a schema or a tool's parameters can be long); `extra` holds
/// the provider-specific fields as they were passed.
pub(crate) fn options_of(req: &ChatRequest) -> Map<String, Value> {
    let mut o = Map::new();
    let mut put = |key: &str, value: Value| {
        o.insert(key.to_owned(), value);
    };
    if let Some(t) = req.temperature {
        put("temperature", short_float(t));
    }
    if let Some(n) = req.max_tokens {
        put("max_tokens", n.into());
    }
    if let Some(p) = req.top_p {
        put("top_p", short_float(p));
    }
    if !req.stop.is_empty() {
        put("stop", req.stop.clone().into());
    }
    if let Some(seed) = req.seed {
        put("seed", seed.into());
    }
    if let Some(r) = &req.reasoning {
        if let Some(effort) = r.effort {
            put("reasoning_effort", effort.as_str().into());
        }
        if let Some(budget) = r.budget_tokens {
            put("reasoning_budget_tokens", budget.into());
        }
    }
    if !req.tools.is_empty() {
        let names: Vec<Value> = req.tools.iter().map(|t| t.name.clone().into()).collect();
        put("tools", names.into());
    }
    if let Some(choice) = &req.tool_choice {
        put(
            "tool_choice",
            serde_json::to_value(choice).unwrap_or(Value::Null),
        );
    }
    if let Some(yes) = req.parallel_tool_calls {
        put("parallel_tool_calls", yes.into());
    }
    match &req.response_format {
        Some(ResponseFormat::JsonSchema(s)) => put("schema", s.name.clone().into()),
        Some(ResponseFormat::JsonObject) => put("json_object", true.into()),
        _ => {}
    }
    if !req.extra.is_empty() {
        put(
            "extra",
            serde_json::to_value(&req.extra).unwrap_or(Value::Null),
        );
    }
    o
}

/// An `f32` as the decimal a person typed (`0.7`, not `0.699999988…`).
fn short_float(x: f32) -> Value {
    x.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{JsonSchema, Message, ReasoningConfig, ReasoningEffort, ToolSpec};

    #[test]
    fn only_what_was_set_is_kept_and_reads_as_typed() {
        let plain = ChatRequest::new("m", vec![Message::user("hi")]);
        assert!(options_of(&plain).is_empty());

        let mut req = ChatRequest::new("m", vec![Message::user("hi")])
            .temperature(0.7)
            .max_tokens(5)
            .stop("END")
            .tool(ToolSpec::new(
                "now",
                "The time",
                serde_json::json!({"type": "object"}),
            ))
            .response_format(ResponseFormat::JsonSchema(JsonSchema::new(
                "person",
                serde_json::json!({"type": "object"}),
            )))
            .extra("openai", "user", serde_json::json!("u-42"));
        req.reasoning = Some(ReasoningConfig::effort(ReasoningEffort::High));
        assert_eq!(
            Value::Object(options_of(&req)),
            serde_json::json!({
                "temperature": 0.7,
                "max_tokens": 5,
                "stop": ["END"],
                "reasoning_effort": "high",
                "tools": ["now"],
                "schema": "person",
                "extra": {"openai": {"user": "u-42"}},
            })
        );
    }
}

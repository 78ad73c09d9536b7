//! Tool calls the CLI does not run: tools declared with `--tool` (those of
//! MCP servers run: see `tool_turn`). The calls a model makes are shown,
//! stored, and answered as not run when the conversation goes on, so no
//! call is silently dropped and every API accepts the next turn (each
//! requires a result for every call before the next user message).

use yat::{Message, Role, ToolCall, ToolResult, ToolSpec};

use crate::failure::Failure;
use crate::json_arg;

/// What a call that was not run answers.
pub const NOT_RUN: &str = "not run: the user replied instead";

/// The longest arguments shown on a call's line, in characters.
const SHOWN_ARGUMENTS: usize = 300;

/// The tools one `--tool` value declares: an object `{"name",
/// "description", "parameters"}` (only the name is required; the
/// parameters default to an object of no properties), or a list of them,
/// inline or in a file.
pub fn parse_specs(arg: &str) -> Result<Vec<ToolSpec>, Failure> {
    let json = json_arg::read("--tool", arg)?;
    let items = match json.value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    items.iter().map(|v| spec(arg, v)).collect()
}

fn spec(arg: &str, v: &serde_json::Value) -> Result<ToolSpec, Failure> {
    let bad = |why: &str| Failure::Usage(format!("--tool {arg}: {why}"));
    let obj = v.as_object().ok_or_else(|| {
        bad("a tool is an object like {\"name\": \"get_weather\", \"parameters\": {...}}")
    })?;
    let name = obj
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("a tool needs a \"name\""))?;
    let description = obj
        .get("description")
        .and_then(|d| d.as_str())
        .unwrap_or("");
    let parameters = match obj.get("parameters") {
        None => serde_json::json!({"type": "object", "properties": {}}),
        Some(p) if p.is_object() => p.clone(),
        Some(_) => return Err(bad("\"parameters\" is a JSON Schema object")),
    };
    Ok(ToolSpec::new(name, description, parameters))
}

/// One line for a call: `→ tool get_weather {"city":"Paris"}`.
pub fn call_line(call: &ToolCall) -> String {
    format!(
        "→ tool {} {}",
        call.name,
        cut(&call.arguments.to_string(), SHOWN_ARGUMENTS)
    )
}

/// One line for a result: `← get_weather: 12°C`, `← get_weather failed: ...`.
pub fn result_line(result: &ToolResult) -> String {
    let text = result.content.to_text();
    let verb = if result.is_error { " failed" } else { "" };
    format!(
        "← {}{verb}: {}",
        result.name,
        cut(&text.replace('\n', " "), SHOWN_ARGUMENTS)
    )
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// When the conversation ends with an assistant turn whose tool calls have
/// no results, appends a tool message answering each as not run, and
/// returns it (to be stored with the prompt that follows).
pub fn answer_pending(messages: &mut Vec<Message>) -> Option<Message> {
    let last = messages.last().filter(|m| m.role == Role::Assistant)?;
    let results: Vec<ToolResult> = last
        .content
        .tool_calls()
        .map(|c| ToolResult::error(c, NOT_RUN))
        .collect();
    if results.is_empty() {
        return None;
    }
    let answer = Message::tool_results(results);
    messages.push(answer.clone());
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat::Part;

    #[test]
    fn lines_are_compact_and_cut() {
        let call = ToolCall::new("c1", "get_weather", serde_json::json!({"city": "Paris"}));
        assert_eq!(call_line(&call), r#"→ tool get_weather {"city":"Paris"}"#);
        let long = ToolCall::new("c2", "f", serde_json::json!({"x": "y".repeat(400)}));
        assert!(call_line(&long).ends_with('…'));
        let r = ToolResult::error(&call, "down\nfor now");
        assert_eq!(result_line(&r), "← get_weather failed: down for now");
    }

    #[test]
    fn tools_are_declared_one_or_many_with_defaults() {
        let one = parse_specs(r#"{"name": "now"}"#).unwrap();
        assert_eq!(one[0].name, "now");
        assert_eq!(one[0].parameters["type"], "object");
        let two = parse_specs(r#"[{"name": "a", "description": "A"}, {"name": "b", "parameters": {"type": "object"}}]"#).unwrap();
        assert_eq!(
            (two[0].description.as_str(), two[1].name.as_str()),
            ("A", "b")
        );
        assert!(parse_specs(r#"{"description": "no name"}"#).is_err());
        assert!(parse_specs(r#"{"name": "x", "parameters": 3}"#).is_err());
    }

    #[test]
    fn only_unanswered_calls_are_answered() {
        let call = ToolCall::new("c1", "now", serde_json::json!({}));
        let mut m = vec![
            Message::user("time?"),
            Message::assistant(vec![Part::text("Checking."), Part::ToolCall(call.clone())]),
        ];
        let answer = answer_pending(&mut m).unwrap();
        assert_eq!(answer.role, Role::Tool);
        let r = answer.content.tool_results().next().unwrap();
        assert_eq!((r.call_id.as_str(), r.is_error), ("c1", true));
        assert_eq!(m.len(), 3);
        assert!(answer_pending(&mut m).is_none(), "already answered");
        let mut plain = vec![Message::user("hi"), Message::assistant("hello")];
        assert!(answer_pending(&mut plain).is_none());
    }
}

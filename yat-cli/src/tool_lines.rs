//! How a tool call looks while the loop runs: one line each on a
//! terminal (`⚙ server.tool {args}`, then `✓ …` or `✗ …`), one event
//! each with `--json`.

use std::time::Duration;

use serde_json::json;
use yat::{ToolCall, ToolOutput, ToolResult};

use crate::tool_turn::ToolsInPlay;

/// The longest arguments or result text shown on a line, in characters.
const SHOWN: usize = 200;

/// `⚙ time.get_current_time {"timezone":"Asia/Tokyo"}`.
pub fn call_line(tools: &ToolsInPlay, call: &ToolCall) -> String {
    format!(
        "⚙ {} {}",
        tools.label(&call.name),
        cut(&call.arguments.to_string(), SHOWN)
    )
}

/// `✓ first line (12 lines)`, or `✗ first line of the error`. Images
/// and documents the result holds are named on the line too
/// (`✓ the chart: [image: image/png, 1234 bytes] (2 lines)`): they are
/// what the model sees, and a first line alone would hide them.
pub fn result_line(tools: &ToolsInPlay, result: &ToolResult) -> String {
    let text = result.content.to_text();
    let lines = text.lines().count();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut shown = first.trim().to_owned();
    if let ToolOutput::Parts(parts) = &result.content {
        for media in parts.iter().filter(|p| p.as_text().is_none()) {
            let described = media.to_text();
            if described != shown {
                shown.push(' ');
                shown.push_str(&described);
            }
        }
    }
    let mut line = if result.is_error {
        format!("✗ {}: {}", tools.label(&result.name), cut(&shown, SHOWN))
    } else {
        format!("✓ {}", cut(&shown, SHOWN))
    };
    if lines > 1 {
        line.push_str(&format!(" ({lines} lines)"));
    }
    line
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The `--json` event of a call about to run.
pub fn call_event(tools: &ToolsInPlay, step: u32, call: &ToolCall) -> serde_json::Value {
    let origin = tools.origins.get(&call.name);
    json!({
        "type": "tool_call",
        "step": step,
        "id": call.id,
        "server": origin.map(|o| o.server.as_str()),
        "tool": origin.map_or(call.name.as_str(), |o| o.tool.as_str()),
        "arguments": call.arguments,
    })
}

/// The `--json` event of a call's result.
pub fn result_event(
    tools: &ToolsInPlay,
    step: u32,
    result: &ToolResult,
    took: Duration,
) -> serde_json::Value {
    let origin = tools.origins.get(&result.name);
    json!({
        "type": "tool_result",
        "step": step,
        "id": result.call_id,
        "server": origin.map(|o| o.server.as_str()),
        "tool": origin.map_or(result.name.as_str(), |o| o.tool.as_str()),
        "text": result.content.to_text(),
        "is_error": result.is_error,
        "duration_ms": u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::tool_turn::Origin;
    use yat::tools::Toolbox;

    fn tools() -> ToolsInPlay {
        ToolsInPlay {
            toolbox: Toolbox::new(),
            origins: HashMap::from([(
                "get_current_time".to_owned(),
                Origin {
                    server: "time".into(),
                    tool: "get_current_time".into(),
                },
            )]),
            max_steps: 4,
            cancel: Arc::default(),
        }
    }

    #[test]
    fn calls_and_results_show_on_one_line_each() {
        let t = tools();
        let call = ToolCall::new("c1", "get_current_time", json!({"timezone": "Asia/Tokyo"}));
        assert_eq!(
            call_line(&t, &call),
            r#"⚙ time.get_current_time {"timezone":"Asia/Tokyo"}"#
        );
        let ok = ToolResult::new(&call, "{\n  \"timezone\": \"Asia/Tokyo\"\n}");
        assert_eq!(result_line(&t, &ok), "✓ { (3 lines)");
        let failed = ToolResult::error(&call, "Invalid timezone: 'mock'");
        assert_eq!(
            result_line(&t, &failed),
            "✗ time.get_current_time: Invalid timezone: 'mock'"
        );
        let chart = ToolResult::new(
            &call,
            yat::ToolOutput::parts([
                yat::ToolPart::text("the chart:"),
                yat::ToolPart::Image(yat::Media::bytes("image/png", vec![0; 1234])),
            ]),
        );
        assert_eq!(
            result_line(&t, &chart),
            "✓ the chart: [image: image/png, 1234 bytes] (2 lines)"
        );
        let picture = ToolResult::new(
            &call,
            yat::ToolOutput::parts([yat::ToolPart::Image(yat::Media::bytes(
                "image/gif",
                vec![0; 9],
            ))]),
        );
        assert_eq!(result_line(&t, &picture), "✓ [image: image/gif, 9 bytes]");
        let stray = ToolCall::new("c2", "other", json!({"x": "y".repeat(300)}));
        assert!(call_line(&t, &stray).starts_with("⚙ other {"));
        assert!(call_line(&t, &stray).ends_with('…'));
    }

    #[test]
    fn events_name_the_server_and_the_tool() {
        let t = tools();
        let call = ToolCall::new("c1", "get_current_time", json!({"timezone": "UTC"}));
        let e = call_event(&t, 0, &call);
        assert_eq!(e["server"], "time");
        assert_eq!(e["tool"], "get_current_time");
        assert_eq!(e["arguments"]["timezone"], "UTC");
        let r = result_event(
            &t,
            0,
            &ToolResult::new(&call, "noon"),
            Duration::from_millis(7),
        );
        assert_eq!(
            (
                r["text"].as_str(),
                r["is_error"].as_bool(),
                r["duration_ms"].as_u64()
            ),
            (Some("noon"), Some(false), Some(7))
        );
        let unknown = call_event(&t, 1, &ToolCall::new("c9", "nope", json!({})));
        assert!(unknown["server"].is_null());
    }
}

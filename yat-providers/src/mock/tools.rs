//! `mock-tools` and `mock-parallel-tools`: models that call the request's
//! tools with arguments made from each tool's schema (or the JSON object the
//! last user message ends with), and answer the results in text.
//!
//! Like the real APIs they imitate, they refuse a conversation whose tool
//! results do not answer the calls of the assistant message before them,
//! so a client's tool loop is tested, not only its first request.

use std::collections::VecDeque;

use yat_core::assemble::ToolCallAssembler;
use yat_core::{
    ChatRequest, Failure, Finish, FinishReason, Role, ToolCall, ToolChoice, ToolResult, ToolSpec,
    YatError,
};

use super::reply::{chunk, detailed_usage, last_user_text, plan_reply, Reply};
use super::schema::minimal_object;
use super::ID;

/// The arguments a user spelled out: a JSON object ending the message
/// (`what time is it? {"timezone": "Asia/Tokyo"}`). A schema's smallest
/// value satisfies a real tool's types but rarely its meaning (a time
/// zone named `mock`); this lets a test drive a real tool to a real answer.
fn given_arguments(text: &str) -> Option<String> {
    let text = text.trim_end();
    if !text.ends_with('}') {
        return None;
    }
    // The object starts at one of the message's `{`: the first that makes
    // the rest parse is the outermost.
    text.match_indices('{').find_map(|(at, _)| {
        match serde_json::from_str::<serde_json::Value>(&text[at..]) {
            Ok(serde_json::Value::Object(map)) => Some(serde_json::Value::Object(map).to_string()),
            _ => None,
        }
    })
}

/// How many calls a model makes in one turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Calls {
    /// One call, to the first tool (`mock-tools`).
    One,
    /// Two calls at once, to the first two tools (`mock-parallel-tools`),
    /// their argument pieces interleaved.
    Two,
}

/// The reply to `req`: text about the tool results if the conversation ends
/// with them; else calls to the chosen tools; else (no tools, or
/// `tool_choice: none`) the last user message, echoed.
pub(super) fn reply(req: &ChatRequest, chunk_size: usize, calls: Calls) -> Result<Reply, YatError> {
    if let Some(text) = answer_to_results(req)? {
        return Ok(Reply::text(plan_reply(&text, chunk_size, req), req));
    }
    let tools = choose(req, calls)?;
    if tools.is_empty() {
        let text = last_user_text(req);
        return Ok(Reply::text(plan_reply(&text, chunk_size, req), req));
    }
    // Ids differ from turn to turn, as a real API's do.
    let turn = req
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .count();
    let given = given_arguments(&last_user_text(req));
    let planned: Vec<(String, &ToolSpec, Vec<String>)> = tools
        .iter()
        .enumerate()
        .map(|(i, tool)| {
            let arguments = match &given {
                Some(object) => object.clone(),
                None => minimal_object(&tool.parameters).to_string(),
            };
            (
                format!("mock_call_{turn}_{i}"),
                *tool,
                chunk(&arguments, chunk_size),
            )
        })
        .collect();
    let mut calls = ToolCallAssembler::new(ID);
    let mut out = VecDeque::new();
    let rounds = planned.iter().map(|p| p.2.len()).max().unwrap_or(0);
    for k in 0..rounds {
        for (slot, (id, tool, pieces)) in planned.iter().enumerate() {
            if let Some(piece) = pieces.get(k) {
                calls.fragment(
                    Some(slot as u64),
                    Some(id),
                    Some(&tool.name),
                    Some(piece),
                    &mut out,
                )?;
            }
        }
    }
    calls.end_all(&mut out)?;
    let output = planned.iter().map(|p| p.2.len() as u64).sum();
    Ok(Reply {
        events: Vec::from(out),
        usage: detailed_usage(req, output),
        finish: Finish::new(FinishReason::ToolCalls, "tool_calls"),
    })
}

/// The tools to call: the one `tool_choice` names, else the first (and,
/// for two calls with parallel calls not forbidden, the second, or the
/// first again if there is only one).
fn choose(req: &ChatRequest, calls: Calls) -> Result<Vec<&ToolSpec>, YatError> {
    let Some(first) = req.tools.first() else {
        return Ok(Vec::new());
    };
    match &req.tool_choice {
        Some(ToolChoice::None) => Ok(Vec::new()),
        Some(ToolChoice::Tool { name }) => req
            .tools
            .iter()
            .find(|t| &t.name == name)
            .map(|t| vec![t])
            .ok_or_else(|| {
                invalid(format!(
                    "tool_choice names {name:?}, which is not among the request's tools ({})",
                    req.tools
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }),
        _ if calls == Calls::Two && req.parallel_tool_calls != Some(false) => {
            Ok(vec![first, req.tools.get(1).unwrap_or(first)])
        }
        _ => Ok(vec![first]),
    }
}

/// Every assistant message's calls are answered by the tool messages right
/// after it, each call once, and every tool message answers such a call —
/// the rule OpenAI's and Anthropic's APIs enforce.
fn check_history(req: &ChatRequest) -> Result<(), YatError> {
    let msgs = &req.messages;
    let mut i = 0;
    while i < msgs.len() {
        let asked: Vec<&ToolCall> = match msgs[i].role {
            Role::Assistant => msgs[i].content.tool_calls().collect(),
            Role::Tool => {
                return Err(invalid(format!(
                "messages.{i} holds tool results but follows no assistant message with tool calls"
            )))
            }
            _ => Vec::new(),
        };
        let end = msgs[i + 1..]
            .iter()
            .position(|m| m.role != Role::Tool)
            .map_or(msgs.len(), |n| i + 1 + n);
        let results: Vec<&ToolResult> = msgs[i + 1..end]
            .iter()
            .flat_map(|m| m.content.tool_results())
            .collect();
        if let Some(r) = results
            .iter()
            .find(|r| !asked.iter().any(|c| c.id == r.call_id))
        {
            return Err(invalid(format!(
                "the result for call {:?} answers no tool call of messages.{i}",
                r.call_id
            )));
        }
        let answered = |c: &&&ToolCall| results.iter().filter(|r| r.call_id == c.id).count() == 1;
        if let Some(c) = asked.iter().find(|c| !answered(c)) {
            return Err(invalid(format!(
                "tool call {:?} ({}) of messages.{i} needs exactly one result in the tool messages after it",
                c.id, c.name
            )));
        }
        i = end.max(i + 1);
    }
    Ok(())
}

/// If the conversation ends with tool results: the text answering them.
fn answer_to_results(req: &ChatRequest) -> Result<Option<String>, YatError> {
    check_history(req)?;
    let msgs = &req.messages;
    if msgs.last().map_or(true, |m| m.role != Role::Tool) {
        return Ok(None);
    }
    let start = msgs
        .iter()
        .rposition(|m| m.role != Role::Tool)
        .map_or(0, |i| i + 1);
    let said: Vec<String> = msgs[start..]
        .iter()
        .flat_map(|m| m.content.tool_results())
        .map(|r| {
            let verb = if r.is_error { "failed:" } else { "returned" };
            format!("{} {verb} {}", r.name, r.content.to_text())
        })
        .collect();
    Ok(Some(format!("Tool results: {}.", said.join("; "))))
}

fn invalid(message: String) -> YatError {
    YatError::InvalidRequest(Failure::new(ID, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{ChatEvent, ChatResponse, Message, ResponseBuilder};

    fn weather() -> ToolSpec {
        ToolSpec::new(
            "get_weather",
            "weather",
            serde_json::json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "hourly": {"type": "boolean"}
                },
                "required": ["city", "unit"]
            }),
        )
    }

    fn time() -> ToolSpec {
        ToolSpec::new(
            "get_time",
            "time",
            serde_json::json!({"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}),
        )
    }

    fn collect(reply: &Reply) -> ChatResponse {
        let mut b = ResponseBuilder::default();
        for e in &reply.events {
            b.push(e.clone());
        }
        b.finish()
    }

    fn ask(tools: Vec<ToolSpec>) -> ChatRequest {
        ChatRequest::new("mock-tools", vec![Message::user("weather in Paris?")]).tools(tools)
    }

    #[test]
    fn a_json_object_ending_the_prompt_is_the_arguments() {
        let cases = [
            (
                r#"time? {"tz": "Asia/Tokyo"}"#,
                Some(r#"{"tz":"Asia/Tokyo"}"#),
            ),
            (r#"{"a": {"b": 1}}  "#, Some(r#"{"a":{"b":1}}"#)),
            (r#"set {x} to {"v": "}"}"#, Some(r#"{"v":"}"}"#)),
            ("no object here", None),
            ("a brace at the end }", None),
            (r#"a list [1] {"#, None),
            (r#"["not", "an object"]"#, None),
        ];
        for (text, want) in cases {
            assert_eq!(given_arguments(text).as_deref(), want, "{text}");
        }
        let req = ChatRequest::new(
            "mock-tools",
            vec![Message::user(r#"what time is it? {"tz": "Asia/Tokyo"}"#)],
        )
        .tools(vec![time()]);
        let r = collect(&reply(&req, 4, Calls::One).unwrap());
        let call = r.tool_calls().next().unwrap();
        assert_eq!(call.arguments, serde_json::json!({"tz": "Asia/Tokyo"}));
    }

    #[test]
    fn one_call_streams_start_pieces_end_with_arguments_valid_for_the_schema() {
        let reply = reply(&ask(vec![weather(), time()]), 8, Calls::One).unwrap();
        let ChatEvent::ToolCallStart { index, id, name } = &reply.events[0] else {
            panic!("{:?}", reply.events[0]);
        };
        assert_eq!(
            (*index, id.as_str(), name.as_str()),
            (0, "mock_call_0_0", "get_weather")
        );
        let pieces: String = reply
            .events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::ToolCallDelta {
                    index: 0,
                    arguments,
                } => Some(arguments.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(pieces, r#"{"city":"mock","unit":"celsius"}"#);
        assert_eq!(reply.events.len(), 6, "a start, four pieces, an end");
        let calls: Vec<ToolCall> = collect(&reply).tool_calls().cloned().collect();
        assert_eq!(calls.len(), 1);
        assert_eq!(
            calls[0].arguments,
            serde_json::json!({"city": "mock", "unit": "celsius"})
        );
        assert_eq!(reply.finish.reason, FinishReason::ToolCalls);
        assert_eq!(reply.usage.output_tokens, 4);
    }

    #[test]
    fn tool_choice_picks_the_tool_or_none_and_an_unknown_name_is_refused() {
        let req = ask(vec![weather(), time()]).tool_choice(ToolChoice::Tool {
            name: "get_time".into(),
        });
        let calls: Vec<ToolCall> = collect(&reply(&req, 8, Calls::Two).unwrap())
            .tool_calls()
            .cloned()
            .collect();
        assert_eq!(calls.len(), 1, "a named tool pins one call");
        assert_eq!(
            (calls[0].name.as_str(), &calls[0].arguments["tz"]),
            ("get_time", &serde_json::json!("mock"))
        );

        let none = reply(
            &ask(vec![weather()]).tool_choice(ToolChoice::None),
            8,
            Calls::One,
        )
        .unwrap();
        let r = collect(&none);
        assert_eq!(
            (r.text().as_str(), r.has_tool_calls()),
            ("weather in Paris?", false)
        );
        assert_eq!(none.finish.reason, FinishReason::Stop);

        let bad = ask(vec![weather()]).tool_choice(ToolChoice::Tool {
            name: "nope".into(),
        });
        match reply(&bad, 8, Calls::One) {
            Err(YatError::InvalidRequest(f)) => assert!(f.message.contains("get_weather"), "{f:?}"),
            other => panic!("{:?}", other.map(|r| r.events)),
        }
    }

    #[test]
    fn two_calls_interleave_their_pieces_and_have_distinct_ids() {
        let reply = reply(&ask(vec![weather(), time()]), 4, Calls::Two).unwrap();
        let order: Vec<u32> = reply
            .events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::ToolCallDelta { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(&order[..4], [0, 1, 0, 1], "{order:?}");
        let calls: Vec<ToolCall> = collect(&reply).tool_calls().cloned().collect();
        assert_eq!(
            calls
                .iter()
                .map(|c| (c.id.as_str(), c.name.as_str()))
                .collect::<Vec<_>>(),
            [
                ("mock_call_0_0", "get_weather"),
                ("mock_call_0_1", "get_time")
            ]
        );
        let one_tool = collect(&super::reply(&ask(vec![time()]), 4, Calls::Two).unwrap());
        assert_eq!(
            one_tool.tool_calls().count(),
            2,
            "the one tool, called twice"
        );
        let forbidden = ask(vec![weather(), time()]).parallel_tool_calls(false);
        let serial = collect(&super::reply(&forbidden, 4, Calls::Two).unwrap());
        assert_eq!(serial.tool_calls().count(), 1);
    }

    #[test]
    fn results_are_quoted_and_must_answer_the_calls() {
        let req = ask(vec![weather(), time()]);
        let first = collect(&reply(&req, 8, Calls::Two).unwrap());
        let calls: Vec<ToolCall> = first.tool_calls().cloned().collect();
        let mut history = req.messages.clone();
        history.push(first.clone().into_message());
        let answered = |results: Vec<ToolResult>| {
            let mut m = history.clone();
            m.push(Message::tool_results(results));
            ChatRequest::new("mock-tools", m).tools(vec![weather(), time()])
        };
        let ok = answered(vec![
            ToolResult::new(&calls[0], "21 °C and sunny"),
            ToolResult::error(&calls[1], "no clock"),
        ]);
        let text = reply(&ok, 8, Calls::Two).unwrap();
        assert_eq!(
            collect(&text).text(),
            "Tool results: get_weather returned 21 °C and sunny; get_time failed: no clock."
        );
        // An image is described, never spelled out.
        let pictured = answered(vec![
            ToolResult::new(
                &calls[0],
                yat_core::ToolOutput::parts([
                    yat_core::ToolPart::text("the sky:"),
                    yat_core::ToolPart::Image(yat_core::Media::bytes("image/png", vec![7; 1234])),
                ]),
            ),
            ToolResult::new(&calls[1], "noon"),
        ]);
        assert_eq!(
            collect(&reply(&pictured, 8, Calls::Two).unwrap()).text(),
            "Tool results: get_weather returned the sky:\n[image: image/png, 1234 bytes]; get_time returned noon."
        );
        assert_eq!(text.finish.reason, FinishReason::Stop);

        let missing = answered(vec![ToolResult::new(&calls[0], "x")]);
        assert!(
            matches!(reply(&missing, 8, Calls::Two), Err(YatError::InvalidRequest(f)) if f.message.contains("exactly one result"))
        );
        // The calls left unanswered, and a new question after them.
        let mut skipped = history.clone();
        skipped.push(Message::user("never mind"));
        let skipped = ChatRequest::new("mock-tools", skipped).tools(vec![weather(), time()]);
        assert!(
            matches!(reply(&skipped, 8, Calls::Two), Err(YatError::InvalidRequest(f)) if f.message.contains("of messages.1"))
        );
        let stray = ToolCall::new("other", "get_weather", serde_json::json!({}));
        let wrong = answered(vec![
            ToolResult::new(&calls[0], "x"),
            ToolResult::new(&calls[1], "y"),
            ToolResult::new(&stray, "z"),
        ]);
        assert!(
            matches!(reply(&wrong, 8, Calls::Two), Err(YatError::InvalidRequest(f)) if f.message.contains("\"other\""))
        );
        let orphan = ChatRequest::new(
            "mock-tools",
            vec![
                Message::user("hi"),
                Message::tool_results([ToolResult::new(&stray, "z")]),
            ],
        );
        assert!(matches!(
            reply(&orphan, 8, Calls::One),
            Err(YatError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_second_turn_gets_new_ids() {
        let req = ChatRequest::new(
            "mock-tools",
            vec![
                Message::user("a"),
                Message::assistant("b"),
                Message::user("c"),
            ],
        )
        .tool(weather());
        let r = collect(&reply(&req, 8, Calls::One).unwrap());
        assert_eq!(r.tool_calls().next().unwrap().id, "mock_call_1_0");
    }
}

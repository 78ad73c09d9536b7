//! `tool_round_trip` and `parallel_tool_calls`: calls stream well-formed,
//! their arguments fit the tool, and their results go back.

use super::fixtures::{time_tool, weather_tool, PARALLEL_PROMPT, TOOL_PROMPT, WEATHER_RESULT};
use super::schema::validate;
use super::session::{verdict, Feature, Run};
use crate::types::{
    ChatEvent, ChatRequest, FinishReason, Message, ToolCall, ToolChoice, ToolResult, ToolSpec,
};

pub(super) async fn tool_round_trip(r: &mut Run<'_>) {
    const NAME: &str = "tool_round_trip";
    let outcome = match r.gate(NAME, r.caps.tools, "tools") {
        Some(skipped) => skipped,
        None => verdict(round_trip(r).await),
    };
    r.record(NAME, outcome);
}

pub(super) async fn parallel_tool_calls(r: &mut Run<'_>) {
    const NAME: &str = "parallel_tool_calls";
    let outcome = match r.gate(
        NAME,
        r.caps.tools && r.caps.parallel_tools,
        "parallel_tools",
    ) {
        Some(skipped) => skipped,
        None => verdict(parallel(r).await),
    };
    r.record(NAME, outcome);
}

/// The round trip's first turn: the tool model asked to call `get_weather`.
pub(super) fn first_turn(r: &Run<'_>) -> ChatRequest {
    let model = r.model_for(r.o.tool_model.as_ref(), Feature::Tools);
    let tool = weather_tool();
    ChatRequest::new(model, vec![Message::user(TOOL_PROMPT)])
        .tool_choice(ToolChoice::Tool {
            name: tool.name.clone(),
        })
        .tool(tool)
}

async fn round_trip(r: &Run<'_>) -> Result<(), String> {
    let first = first_turn(r);
    let (model, tool, user) = (
        first.model.clone(),
        weather_tool(),
        first.messages[0].clone(),
    );
    let t = r.complete(&format!("turn 1 ({model})"), &first).await?;
    check_tool_events(&t.events).map_err(|e| format!("turn 1: {e}"))?;
    let reply = t.response();
    let calls: Vec<ToolCall> = reply.tool_calls().cloned().collect();
    let Some(call) = calls.first() else {
        return Err(format!(
            "turn 1: tool_choice named {} but no tool call came (text {:?})",
            tool.name,
            reply.text()
        ));
    };
    fits(&tool, call).map_err(|e| format!("turn 1: {e}"))?;

    let results = calls.iter().map(|c| ToolResult::new(c, WEATHER_RESULT));
    let second = ChatRequest::new(
        &model,
        vec![user, reply.into_message(), Message::tool_results(results)],
    )
    .tool(tool);
    let t = r.complete("turn 2 (the tool results)", &second).await?;
    check_tool_events(&t.events).map_err(|e| format!("turn 2: {e}"))?;
    let answer = t.response();
    if answer.has_tool_calls() {
        return Err("turn 2: the model called a tool again instead of answering".into());
    }
    if answer.text().trim().is_empty() {
        return Err("turn 2: no text answer to the tool results".into());
    }
    match t.finish_reason() {
        Some(FinishReason::Stop) => Ok(()),
        other => Err(format!("turn 2: finish {other:?}, expected Stop")),
    }
}

async fn parallel(r: &Run<'_>) -> Result<(), String> {
    let chosen = r.o.parallel_tool_model.as_ref().or(r.o.tool_model.as_ref());
    let model = r.model_for(chosen, Feature::Tools);
    let tools = [weather_tool(), time_tool()];
    let req = ChatRequest::new(&model, vec![Message::user(PARALLEL_PROMPT)])
        .tools(tools.to_vec())
        .tool_choice(ToolChoice::Required)
        .parallel_tool_calls(true);
    let t = r.complete(&format!("the request ({model})"), &req).await?;
    check_tool_events(&t.events)?;
    let reply = t.response();
    let calls: Vec<&ToolCall> = reply.tool_calls().collect();
    if calls.len() < 2 {
        return Err(format!(
            "{} tool call(s) in one turn with parallel calls allowed, expected 2",
            calls.len()
        ));
    }
    for call in &calls {
        let Some(tool) = tools.iter().find(|t| t.name == call.name) else {
            return Err(format!(
                "a call to {:?}, which is not a tool given",
                call.name
            ));
        };
        fits(tool, call)?;
    }
    let mut ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != calls.len() {
        return Err(format!(
            "calls share ids: {:?}",
            calls.iter().map(|c| &c.id).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

/// The call is to `tool` and its arguments are an object its schema accepts.
fn fits(tool: &ToolSpec, call: &ToolCall) -> Result<(), String> {
    if call.name != tool.name {
        return Err(format!(
            "a call to {:?}, expected {:?}",
            call.name, tool.name
        ));
    }
    if !call.arguments.is_object() {
        return Err(format!(
            "{}'s arguments are not a JSON object: {}",
            call.name, call.arguments
        ));
    }
    validate(&tool.parameters, &call.arguments).map_err(|e| {
        format!(
            "{}'s arguments {} do not fit its schema: {e}",
            call.name, call.arguments
        )
    })
}

/// The stream's tool-call events keep the contract of [`ChatEvent`]: calls
/// numbered from 0 in start order, each with an id and a name; deltas and
/// one end per started call, after its start; every call ended before the
/// finish, which comes last; the end's arguments are the deltas parsed.
pub(super) fn check_tool_events(events: &[ChatEvent]) -> Result<(), String> {
    struct Seen<'e> {
        id: &'e str,
        name: &'e str,
        text: String,
        ended: bool,
    }
    fn open(calls: &[Seen<'_>], index: u32, what: &str) -> Result<usize, String> {
        match calls.get(index as usize) {
            None => Err(format!("{what} for tool call {index}, which never started")),
            Some(c) if c.ended => Err(format!("{what} for tool call {index} after its end")),
            Some(_) => Ok(index as usize),
        }
    }
    let mut calls: Vec<Seen<'_>> = Vec::new();
    for (n, ev) in events.iter().enumerate() {
        if n + 1 < events.len() && matches!(ev, ChatEvent::Finish(_)) {
            return Err(format!("a finish at event {n} is not the last event"));
        }
        match ev {
            ChatEvent::ToolCallStart { index, id, name } => {
                if *index as usize != calls.len() {
                    return Err(format!(
                        "tool call {index} started where call {} was next",
                        calls.len()
                    ));
                }
                if id.is_empty() || name.is_empty() {
                    return Err(format!("tool call {index} starts without an id or a name"));
                }
                calls.push(Seen {
                    id,
                    name,
                    text: String::new(),
                    ended: false,
                });
            }
            ChatEvent::ToolCallDelta { index, arguments } => {
                let i = open(&calls, *index, "arguments")?;
                calls[i].text.push_str(arguments);
            }
            ChatEvent::ToolCallEnd { index, call } => {
                let i = open(&calls, *index, "an end")?;
                let seen = &mut calls[i];
                seen.ended = true;
                if call.id != seen.id || call.name != seen.name {
                    return Err(format!(
                        "tool call {index} started as {} {} and ended as {} {}",
                        seen.id, seen.name, call.id, call.name
                    ));
                }
                let streamed = if seen.text.trim().is_empty() {
                    serde_json::Value::Object(Default::default())
                } else {
                    serde_json::from_str(&seen.text).map_err(|e| {
                        format!(
                            "tool call {index}'s arguments {:?} are not JSON: {e}",
                            seen.text
                        )
                    })?
                };
                if streamed != call.arguments {
                    return Err(format!(
                        "tool call {index} streamed arguments {} but ended with {}",
                        seen.text, call.arguments
                    ));
                }
            }
            ChatEvent::Finish(_) => {
                if let Some((i, _)) = calls.iter().enumerate().find(|(_, c)| !c.ended) {
                    return Err(format!("the stream finished with tool call {i} not ended"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

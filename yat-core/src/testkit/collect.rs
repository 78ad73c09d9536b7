//! `collect_matches_stream`: the reply [`collect`](crate::stream::collect)
//! builds holds exactly what the same stream streamed.
//!
//! The collector is fed the provider's stream through a tap that keeps a
//! copy of every event; the collected reply is then compared with what
//! those events say on their own terms: the text is the deltas joined, the
//! reasoning the reasoning deltas joined with each signature and redacted
//! block kept, the tool calls are the calls started (each with the
//! arguments it ended with), the usage holds every count reported, the
//! finish is the stream's, and the parts come in the order they streamed.

use std::sync::Mutex;

use futures::StreamExt;

use super::session::{verdict, Run};
use super::{reasoning, tools};
use crate::types::{ChatEvent, ChatRequest, ChatResponse, Part, ToolCall, Usage};

const NAME: &str = "collect_matches_stream";

pub(super) async fn collect_matches_stream(r: &mut Run<'_>) {
    let outcome = match r.left_out(NAME) {
        Some(skipped) => skipped,
        None => verdict(each_reply(r).await),
    };
    r.record(NAME, outcome);
}

/// The plain reply, and, where claimed, a reply with a tool call and one
/// with reasoning: the shapes a collector can get wrong.
async fn each_reply(r: &Run<'_>) -> Result<(), String> {
    let mut requests = vec![("the prompt", r.request(&r.model))];
    if r.caps.tools && r.left_out("tool_round_trip").is_none() {
        requests.push(("the tool request", tools::first_turn(r)));
    }
    if r.caps.reasoning && r.left_out("reasoning_round_trip").is_none() {
        requests.push(("the reasoning request", reasoning::first_turn(r)));
    }
    for (what, req) in &requests {
        let (events, reply) = collect_tapped(r, req)
            .await
            .map_err(|e| format!("{what} ({}): {e}", req.model))?;
        compare(&events, &reply).map_err(|e| format!("{what} ({}): {e}", req.model))?;
    }
    Ok(())
}

/// The events of one reply, and what the collector made of that very stream.
async fn collect_tapped(
    r: &Run<'_>,
    req: &ChatRequest,
) -> Result<(Vec<ChatEvent>, ChatResponse), String> {
    let seen = Mutex::new(Vec::new());
    let work = async {
        let stream = r.p.stream_chat(req).await?;
        let tapped = stream.inspect(|item| {
            if let Ok(event) = item {
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(event.clone());
            }
        });
        crate::stream::collect(tapped).await
    };
    let reply = tokio::time::timeout(r.o.timeout, work)
        .await
        .map_err(|_| format!("no end within {:?}: the stream hangs", r.o.timeout))?
        .map_err(|e| format!("{} error: {e}", e.kind()))?;
    let events = seen.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok((events, reply))
}

/// Whether `reply` holds what `events` streamed; if not, the first thing
/// that differs.
pub(super) fn compare(events: &[ChatEvent], reply: &ChatResponse) -> Result<(), String> {
    let mut text = String::new();
    let mut thought = String::new();
    let mut signatures = Vec::new();
    let mut redacted = Vec::new();
    let mut started: Vec<(&str, &str)> = Vec::new();
    let mut ended: Vec<&ToolCall> = Vec::new();
    let mut usages: Vec<Usage> = Vec::new();
    let mut finish = None;
    for e in events {
        match e {
            ChatEvent::Delta { text: t } => text.push_str(t),
            ChatEvent::ReasoningDelta { text: t } => thought.push_str(t),
            ChatEvent::ReasoningSignature { signature } => signatures.push(signature.as_str()),
            ChatEvent::RedactedReasoning { data } => redacted.push(data.as_str()),
            ChatEvent::ToolCallStart { id, name, .. } => started.push((id, name)),
            ChatEvent::ToolCallDelta { .. } => {}
            ChatEvent::ToolCallEnd { call, .. } => ended.push(call),
            ChatEvent::Usage(u) => usages.push(*u),
            ChatEvent::Finish(f) => finish = Some(f),
        }
    }

    if reply.text() != text {
        return Err(format!(
            "the stream's text {text:?} was collected as {:?}",
            reply.text()
        ));
    }
    if reply.reasoning_text() != thought {
        return Err(format!(
            "the stream's reasoning {thought:?} was collected as {:?}",
            reply.reasoning_text()
        ));
    }
    let kept = |pick: fn(&crate::types::Reasoning) -> Option<&str>| -> Vec<&str> {
        reply
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Reasoning(r) => pick(r),
                _ => None,
            })
            .collect()
    };
    let collected = kept(|r| r.signature.as_deref());
    if collected != signatures {
        return Err(format!(
            "the stream's reasoning signatures {signatures:?} were collected as {collected:?}"
        ));
    }
    let collected = kept(|r| r.redacted.as_deref());
    if collected != redacted {
        return Err(format!(
            "the stream's redacted reasoning {redacted:?} was collected as {collected:?}"
        ));
    }

    let calls: Vec<&ToolCall> = reply.tool_calls().collect();
    let named: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    if named != started {
        return Err(format!(
            "the stream started the tool calls {started:?} (id, name) but the collected reply holds {named:?}"
        ));
    }
    if calls != ended {
        return Err(format!(
            "the stream's tool calls ended as {ended:?} but were collected as {calls:?}"
        ));
    }

    match (usages.as_slice(), reply.usage) {
        ([], None) => {}
        ([], Some(u)) => return Err(format!("no usage streamed, but {u:?} collected")),
        (_, None) => return Err(format!("the stream reported {usages:?}, none collected")),
        ([only], Some(u)) if *only != u => {
            return Err(format!("the stream reported {only:?}, collected {u:?}"))
        }
        (all, Some(u)) => {
            let most = all.iter().map(|u| u.output_tokens).max().unwrap_or(0);
            if u.output_tokens != most {
                return Err(format!(
                    "the stream reported up to {most} output tokens ({all:?}), collected {u:?}"
                ));
            }
            let lost = |field: fn(&Usage) -> Option<u64>| {
                all.iter().any(|r| field(r).is_some()) && field(&u).is_none()
            };
            if lost(|u| u.cache_read_tokens)
                || lost(|u| u.cache_write_tokens)
                || lost(|u| u.reasoning_tokens)
            {
                return Err(format!(
                    "a count the stream reported ({all:?}) is missing from the collected {u:?}"
                ));
            }
        }
    }

    if reply.finish.as_ref() != finish {
        return Err(format!(
            "the stream finished with {finish:?}, collected {:?}",
            reply.finish
        ));
    }

    let streamed = collapse(events.iter().filter_map(|e| match e {
        ChatEvent::Delta { .. } => Some("text"),
        ChatEvent::ReasoningDelta { .. }
        | ChatEvent::ReasoningSignature { .. }
        | ChatEvent::RedactedReasoning { .. } => Some("reasoning"),
        ChatEvent::ToolCallEnd { .. } => Some("tool_call"),
        _ => None,
    }));
    let parts = collapse(reply.parts.iter().map(Part::kind));
    if parts != streamed {
        return Err(format!(
            "the stream's parts came as {streamed:?} but were collected as {parts:?}"
        ));
    }
    Ok(())
}

/// The kinds in order, each run of one kind as one.
fn collapse<'k>(kinds: impl Iterator<Item = &'k str>) -> Vec<&'k str> {
    let mut out: Vec<&str> = Vec::new();
    for k in kinds {
        if out.last() != Some(&k) {
            out.push(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Finish, FinishReason, ResponseBuilder};

    fn collected(events: &[ChatEvent]) -> ChatResponse {
        let mut b = ResponseBuilder::default();
        for e in events {
            b.push(e.clone());
        }
        b.finish()
    }

    fn rich() -> Vec<ChatEvent> {
        vec![
            ChatEvent::ReasoningDelta { text: "hm".into() },
            ChatEvent::ReasoningSignature {
                signature: "s1".into(),
            },
            ChatEvent::RedactedReasoning { data: "x".into() },
            ChatEvent::Delta { text: "a".into() },
            ChatEvent::Delta { text: "b".into() },
            ChatEvent::ToolCallStart {
                index: 0,
                id: "c1".into(),
                name: "f".into(),
            },
            ChatEvent::ToolCallDelta {
                index: 0,
                arguments: "{}".into(),
            },
            ChatEvent::ToolCallEnd {
                index: 0,
                call: Box::new(ToolCall::new("c1", "f", serde_json::json!({}))),
            },
            ChatEvent::Usage(Usage::new(3, 1).with_cache_read(2)),
            ChatEvent::Usage(Usage::new(3, 4)),
            ChatEvent::Finish(Finish::new(FinishReason::ToolCalls, "tool_calls")),
        ]
    }

    #[test]
    fn the_collector_holds_what_a_rich_stream_streamed() {
        let events = rich();
        assert_eq!(compare(&events, &collected(&events)), Ok(()));
    }

    #[test]
    fn each_difference_is_named() {
        let events = rich();
        let good = collected(&events);
        let cases: Vec<(ChatResponse, &str)> = vec![
            (
                ChatResponse {
                    parts: vec![],
                    ..good.clone()
                },
                "text",
            ),
            (
                {
                    let mut r = good.clone();
                    r.parts.retain(|p| !matches!(p, Part::ToolCall(_)));
                    r
                },
                "tool calls",
            ),
            (
                ChatResponse {
                    usage: Some(Usage::new(3, 1)),
                    ..good.clone()
                },
                "output tokens",
            ),
            (
                ChatResponse {
                    usage: Some(Usage::new(3, 4)),
                    ..good.clone()
                },
                "missing from the collected",
            ),
            (
                ChatResponse {
                    finish: None,
                    ..good.clone()
                },
                "finished with",
            ),
            (
                {
                    let mut r = good.clone();
                    r.parts.swap(1, 2);
                    r
                },
                "collected as [\"reasoning\", \"text\", \"reasoning\"",
            ),
        ];
        for (reply, says) in cases {
            let why = compare(&events, &reply).unwrap_err();
            assert!(why.contains(says), "{says}: {why}");
        }
    }

    #[test]
    fn a_call_that_starts_and_never_ends_is_lost_by_the_collector() {
        let events = vec![
            ChatEvent::ToolCallStart {
                index: 0,
                id: "c1".into(),
                name: "f".into(),
            },
            ChatEvent::Finish(Finish::reason(FinishReason::ToolCalls)),
        ];
        let why = compare(&events, &collected(&events)).unwrap_err();
        assert!(
            why.contains("started the tool calls [(\"c1\", \"f\")]"),
            "{why}"
        );
    }
}

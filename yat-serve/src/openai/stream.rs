//! Chat events → a Chat Completions stream: one `data: {chunk}` SSE event
//! per event, `data: [DONE]` at the end.
//!
//! Every chunk is `{"id","object":"chat.completion.chunk","created","model",
//! "choices":[{"index":0,"delta":{…},"finish_reason":…}]}`, plus
//! `"usage":null` when the client asked for usage (as OpenAI sends it).
//! The part before `choices` is the same in every chunk of a reply, so it
//! is serialized once and copied; each chunk serializes only its choice.
//!
//! - Text goes in `delta.content`; reasoning in `delta.reasoning_content`,
//!   the field DeepSeek, vLLM and llama.cpp's server stream it in (OpenAI's
//!   own Chat Completions streams no reasoning). Reasoning signatures and
//!   redacted reasoning have no field in this format and are dropped: a
//!   client of this API cannot send them back anyway.
//! - A tool call streams as OpenAI streams one: a first fragment with the
//!   call's `index`, `id`, `type` and `name` and empty `arguments`, then
//!   fragments of `arguments`. A provider that reports calls whole (no
//!   deltas) has the whole call, or its whole arguments, sent when it ends.
//!   The contract numbers calls from 0 in the order they start, which is
//!   what clients index fragments by (openai-python inserts a new call at
//!   its `index`), so the index passes through.
//! - Usage is kept (merged across reports) and sent at the end, in a chunk
//!   of its own with `choices: []`, only if the client asked for it with
//!   `stream_options.include_usage`; a reply whose provider reported none
//!   has no usage chunk.
//! - An error after the stream started is `data: {"error":{…}}`, the error
//!   body's shape, which openai-python's `Stream` raises as `APIError`; no
//!   `[DONE]` follows it.

use serde::Serialize;
use yat_core::{ChatEvent, Finish, ToolCall, Usage};

use super::error::write_body;
use super::wire::{finish_reason, write_json, WireUsage};
use crate::api_error::ApiError;
use crate::dialect::{Encoder, ReplyMeta};

/// The encoder of one streamed reply.
pub(crate) struct ChunkEncoder {
    /// `data: {"id":…,"object":…,"created":…,"model":…,"choices":`
    head: Vec<u8>,
    include_usage: bool,
    usage: Option<Usage>,
    /// The calls seen so far, by index.
    calls: Vec<CallState>,
    started: bool,
    /// `[DONE]` or an error was written: nothing may follow.
    closed: bool,
}

/// What has been sent of one tool call.
struct CallState {
    index: u32,
    /// Whether any non-empty piece of its arguments was sent.
    arguments_sent: bool,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    delta: Delta<'a>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[CallFragment<'a>; 1]>,
}

/// One entry of `delta.tool_calls`.
#[derive(Serialize)]
struct CallFragment<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionFragment<'a>,
}

#[derive(Serialize)]
struct FunctionFragment<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

impl<'a> CallFragment<'a> {
    /// The fragment that opens a call: its id, type and name, and the
    /// first piece of its arguments.
    fn opening(index: u32, id: &'a str, name: &'a str, arguments: &'a str) -> Self {
        CallFragment {
            index,
            id: Some(id),
            kind: Some("function"),
            function: FunctionFragment {
                name: Some(name),
                arguments,
            },
        }
    }

    /// A later piece of a call's arguments.
    fn arguments(index: u32, arguments: &'a str) -> Self {
        CallFragment {
            index,
            id: None,
            kind: None,
            function: FunctionFragment {
                name: None,
                arguments,
            },
        }
    }
}

impl ChunkEncoder {
    /// An encoder for the reply `meta` describes.
    pub(crate) fn new(meta: ReplyMeta, include_usage: bool) -> Self {
        let mut head = Vec::with_capacity(96 + meta.id.len() + meta.model.len());
        head.extend_from_slice(b"data: {\"id\":");
        write_json(&mut head, meta.id.as_str());
        head.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        write_json(&mut head, &meta.created);
        head.extend_from_slice(b",\"model\":");
        write_json(&mut head, meta.model.as_str());
        head.extend_from_slice(b",\"choices\":");
        ChunkEncoder {
            head,
            include_usage,
            usage: None,
            calls: Vec::new(),
            started: false,
            closed: false,
        }
    }

    /// Writes one chunk whose only choice has `delta` and `finish_reason`.
    fn chunk(&self, delta: Delta<'_>, finish_reason: Option<&'static str>, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.head);
        out.push(b'[');
        write_json(
            out,
            &Choice {
                index: 0,
                delta,
                finish_reason,
            },
        );
        out.push(b']');
        if self.include_usage {
            out.extend_from_slice(b",\"usage\":null");
        }
        out.extend_from_slice(b"}\n\n");
    }

    fn fragment(&self, fragment: CallFragment<'_>, out: &mut Vec<u8>) {
        let delta = Delta {
            tool_calls: Some([fragment]),
            ..Delta::default()
        };
        self.chunk(delta, None, out);
    }

    fn call_mut(&mut self, index: u32) -> Option<&mut CallState> {
        self.calls.iter_mut().find(|c| c.index == index)
    }

    fn call_start(&mut self, index: u32, id: &str, name: &str, out: &mut Vec<u8>) {
        if self.call_mut(index).is_none() {
            self.calls.push(CallState {
                index,
                arguments_sent: false,
            });
        }
        self.fragment(CallFragment::opening(index, id, name, ""), out);
    }

    fn call_delta(&mut self, index: u32, arguments: &str, out: &mut Vec<u8>) {
        if arguments.is_empty() {
            return;
        }
        match self.call_mut(index) {
            Some(call) => call.arguments_sent = true,
            // A piece of a call that never started breaks the contract;
            // sent anyway, the client at least sees the arguments.
            None => self.calls.push(CallState {
                index,
                arguments_sent: true,
            }),
        }
        self.fragment(CallFragment::arguments(index, arguments), out);
    }

    /// A call is complete: send what of it the client has not seen.
    fn call_end(&mut self, index: u32, call: &ToolCall, out: &mut Vec<u8>) {
        let (started, arguments_sent) = match self.call_mut(index) {
            Some(state) => {
                let seen = (true, state.arguments_sent);
                state.arguments_sent = true;
                seen
            }
            None => {
                self.calls.push(CallState {
                    index,
                    arguments_sent: true,
                });
                (false, false)
            }
        };
        if arguments_sent {
            return;
        }
        let arguments = call.arguments_text();
        let fragment = if started {
            CallFragment::arguments(index, &arguments)
        } else {
            CallFragment::opening(index, &call.id, &call.name, &arguments)
        };
        self.fragment(fragment, out);
    }

    fn finish(&self, finish: &Finish, out: &mut Vec<u8>) {
        self.chunk(Delta::default(), Some(finish_reason(Some(finish))), out);
    }
}

impl Encoder for ChunkEncoder {
    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started || self.closed {
            return;
        }
        self.started = true;
        let delta = Delta {
            role: Some("assistant"),
            content: Some(""),
            ..Delta::default()
        };
        self.chunk(delta, None, out);
    }

    fn event(&mut self, event: &ChatEvent, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        // Clients take the role from the first chunk.
        self.start(out);
        match event {
            ChatEvent::Delta { text } if !text.is_empty() => {
                let delta = Delta {
                    content: Some(text),
                    ..Delta::default()
                };
                self.chunk(delta, None, out);
            }
            ChatEvent::ReasoningDelta { text } if !text.is_empty() => {
                let delta = Delta {
                    reasoning_content: Some(text),
                    ..Delta::default()
                };
                self.chunk(delta, None, out);
            }
            ChatEvent::ToolCallStart { index, id, name } => self.call_start(*index, id, name, out),
            ChatEvent::ToolCallDelta { index, arguments } => {
                self.call_delta(*index, arguments, out)
            }
            ChatEvent::ToolCallEnd { index, call } => self.call_end(*index, call, out),
            ChatEvent::Usage(u) => {
                self.usage = Some(match self.usage {
                    Some(old) => old.merge(*u),
                    None => *u,
                })
            }
            ChatEvent::Finish(f) => self.finish(f, out),
            // Empty text, reasoning signatures and redacted reasoning:
            // nothing this format can carry.
            _ => {}
        }
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.start(out);
        self.closed = true;
        if let (true, Some(usage)) = (self.include_usage, self.usage.as_ref()) {
            out.extend_from_slice(&self.head);
            out.extend_from_slice(b"[],\"usage\":");
            write_json(out, &WireUsage::from(usage));
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.closed = true;
        out.extend_from_slice(b"data: ");
        write_body(error, out);
        out.extend_from_slice(b"\n\n");
    }

    fn keepalive(&mut self, out: &mut Vec<u8>) {
        if !self.closed {
            out.extend_from_slice(b": keep-alive\n\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};
    use yat_core::{FinishReason, ResponseBuilder};

    use super::*;
    use crate::api_error::ErrorKind;

    const HEAD: &str = r#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"fast","choices":"#;
    const DONE: &str = "data: [DONE]\n\n";

    fn meta() -> ReplyMeta {
        ReplyMeta {
            id: "chatcmpl-1".into(),
            model: "fast".into(),
            created: 1_700_000_000,
        }
    }

    /// The stream for `events`, from `start` to `end`.
    fn encode(include_usage: bool, events: &[ChatEvent]) -> String {
        let mut encoder = ChunkEncoder::new(meta(), include_usage);
        let mut out = Vec::new();
        encoder.start(&mut out);
        for e in events {
            encoder.event(e, &mut out);
        }
        encoder.end(&mut out);
        String::from_utf8(out).unwrap()
    }

    /// A chunk as the encoder writes it.
    fn chunk(delta: &str, finish: Option<&str>, usage_null: bool) -> String {
        let finish = finish.map_or("null".to_owned(), |f| format!("\"{f}\""));
        let usage = if usage_null { ",\"usage\":null" } else { "" };
        format!("{HEAD}[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]{usage}}}\n\n")
    }

    fn d(delta: &str) -> String {
        chunk(delta, None, false)
    }

    fn first() -> String {
        d(r#"{"role":"assistant","content":""}"#)
    }

    fn fin(reason: &str) -> String {
        chunk("{}", Some(reason), false)
    }

    fn text(t: &str) -> ChatEvent {
        ChatEvent::Delta { text: t.into() }
    }

    fn start(index: u32, id: &str, name: &str) -> ChatEvent {
        ChatEvent::ToolCallStart {
            index,
            id: id.into(),
            name: name.into(),
        }
    }

    fn args(index: u32, piece: &str) -> ChatEvent {
        ChatEvent::ToolCallDelta {
            index,
            arguments: piece.into(),
        }
    }

    fn end(index: u32, id: &str, name: &str, arguments: Value) -> ChatEvent {
        ChatEvent::ToolCallEnd {
            index,
            call: Box::new(ToolCall::new(id, name, arguments)),
        }
    }

    fn finish(reason: FinishReason) -> ChatEvent {
        ChatEvent::Finish(Finish::reason(reason))
    }

    /// The streams the golden and oracle tests share.
    fn streams() -> Vec<(&'static str, Vec<ChatEvent>, String)> {
        vec![
            (
                "text",
                vec![text("Hel"), text(""), text("lo \"you\""), finish(FinishReason::Stop)],
                [
                    first(),
                    d(r#"{"content":"Hel"}"#),
                    d(r#"{"content":"lo \"you\""}"#),
                    fin("stop"),
                    DONE.into(),
                ]
                .concat(),
            ),
            (
                "reasoning, its signature and redacted reasoning dropped",
                vec![
                    ChatEvent::ReasoningDelta { text: "Two and ".into() },
                    ChatEvent::ReasoningDelta { text: "two.".into() },
                    ChatEvent::ReasoningSignature { signature: "sig".into() },
                    ChatEvent::RedactedReasoning { data: "opaque".into() },
                    text("4"),
                    finish(FinishReason::Stop),
                ],
                [
                    first(),
                    d(r#"{"reasoning_content":"Two and "}"#),
                    d(r#"{"reasoning_content":"two."}"#),
                    d(r#"{"content":"4"}"#),
                    fin("stop"),
                    DONE.into(),
                ]
                .concat(),
            ),
            (
                "one tool call",
                vec![
                    text("Let me look."),
                    start(0, "call_1", "weather"),
                    args(0, "{\"city\""),
                    args(0, ""),
                    args(0, ":\"Paris\"}"),
                    end(0, "call_1", "weather", json!({"city": "Paris"})),
                    finish(FinishReason::ToolCalls),
                ],
                [
                    first(),
                    d(r#"{"content":"Let me look."}"#),
                    d(r#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"weather","arguments":""}}]}"#),
                    d(r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\""}}]}"#),
                    d(r#"{"tool_calls":[{"index":0,"function":{"arguments":":\"Paris\"}"}}]}"#),
                    fin("tool_calls"),
                    DONE.into(),
                ]
                .concat(),
            ),
            (
                "two interleaved tool calls",
                vec![
                    start(0, "call_a", "weather"),
                    start(1, "call_b", "time"),
                    args(0, "{\"city\":"),
                    args(1, "{\"zone\":"),
                    args(0, "\"Oslo\"}"),
                    args(1, "\"CET\"}"),
                    end(1, "call_b", "time", json!({"zone": "CET"})),
                    end(0, "call_a", "weather", json!({"city": "Oslo"})),
                    finish(FinishReason::ToolCalls),
                ],
                [
                    first(),
                    d(r#"{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"weather","arguments":""}}]}"#),
                    d(r#"{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"time","arguments":""}}]}"#),
                    d(r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"#),
                    d(r#"{"tool_calls":[{"index":1,"function":{"arguments":"{\"zone\":"}}]}"#),
                    d(r#"{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}"#),
                    d(r#"{"tool_calls":[{"index":1,"function":{"arguments":"\"CET\"}"}}]}"#),
                    fin("tool_calls"),
                    DONE.into(),
                ]
                .concat(),
            ),
            (
                "calls reported whole: no start at all, and a start without deltas",
                vec![
                    end(0, "call_1", "now", json!({})),
                    start(1, "call_2", "weather"),
                    end(1, "call_2", "weather", json!({"city": "Rome"})),
                    finish(FinishReason::ToolCalls),
                ],
                [
                    first(),
                    d(r#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"now","arguments":"{}"}}]}"#),
                    d(r#"{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"weather","arguments":""}}]}"#),
                    d(r#"{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":\"Rome\"}"}}]}"#),
                    fin("tool_calls"),
                    DONE.into(),
                ]
                .concat(),
            ),
        ]
    }

    #[test]
    fn golden_streams() {
        for (name, events, want) in streams() {
            assert_eq!(encode(false, &events), want, "{name}");
        }
    }

    #[test]
    fn each_finish_reason_closes_the_choice_with_openai_s_word() {
        let cases = [
            (FinishReason::Stop, "stop"),
            (FinishReason::StopSequence, "stop"),
            (FinishReason::Length, "length"),
            (FinishReason::ContentFilter, "content_filter"),
            (FinishReason::ToolCalls, "tool_calls"),
            (FinishReason::Error, "stop"),
            (FinishReason::Other, "stop"),
        ];
        for (reason, word) in cases {
            assert_eq!(
                encode(false, &[finish(reason)]),
                [first(), fin(word), DONE.into()].concat(),
                "{reason:?}"
            );
        }
    }

    #[test]
    fn usage_is_merged_and_sent_last_only_when_asked_for() {
        let events = [
            ChatEvent::Usage(Usage::new(25, 1).with_cache_read(100)),
            text("Hi"),
            ChatEvent::Usage(Usage::new(0, 42).with_reasoning(10)),
            finish(FinishReason::Stop),
        ];
        let usage_chunk = format!(
            "{HEAD}[],\"usage\":{{\"prompt_tokens\":125,\"completion_tokens\":42,\"total_tokens\":167,\
             \"prompt_tokens_details\":{{\"cached_tokens\":100}},\"completion_tokens_details\":{{\"reasoning_tokens\":10}}}}}}\n\n"
        );
        assert_eq!(
            encode(true, &events),
            [
                chunk(r#"{"role":"assistant","content":""}"#, None, true),
                chunk(r#"{"content":"Hi"}"#, None, true),
                chunk("{}", Some("stop"), true),
                usage_chunk,
                DONE.into(),
            ]
            .concat()
        );
        assert_eq!(
            encode(false, &events),
            [first(), d(r#"{"content":"Hi"}"#), fin("stop"), DONE.into()].concat()
        );
        // Asked for, but the provider reported none: no made-up zeros.
        assert_eq!(
            encode(true, &[finish(FinishReason::Stop)]),
            [
                chunk(r#"{"role":"assistant","content":""}"#, None, true),
                chunk("{}", Some("stop"), true),
                DONE.into(),
            ]
            .concat()
        );
    }

    #[test]
    fn an_error_ends_the_stream_and_nothing_follows_it() {
        let mut encoder = ChunkEncoder::new(meta(), true);
        let mut out = Vec::new();
        encoder.start(&mut out);
        encoder.event(&text("Hi"), &mut out);
        encoder.keepalive(&mut out);
        encoder.error(
            &ApiError::new(ErrorKind::Unavailable, "anthropic is overloaded"),
            &mut out,
        );
        encoder.event(&text("late"), &mut out);
        encoder.keepalive(&mut out);
        encoder.end(&mut out);
        encoder.error(&ApiError::new(ErrorKind::Timeout, "again"), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            [
                chunk(r#"{"role":"assistant","content":""}"#, None, true),
                chunk(r#"{"content":"Hi"}"#, None, true),
                ": keep-alive\n\n".into(),
                "data: {\"error\":{\"message\":\"anthropic is overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n".into(),
            ]
            .concat()
        );
    }

    #[test]
    fn the_role_chunk_comes_first_even_if_start_was_not_called() {
        let mut encoder = ChunkEncoder::new(meta(), false);
        let mut out = Vec::new();
        encoder.event(&text("Hi"), &mut out);
        encoder.start(&mut out);
        encoder.end(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            [first(), d(r#"{"content":"Hi"}"#), DONE.into()].concat()
        );
    }

    /// What openai-python's stream helper makes of a stream: the message
    /// snapshot its `accumulate_delta` builds (re-implemented from its
    /// rules: a new key is set, strings are appended, objects merged, and
    /// entries of a list of objects merged by their `index`, a new index
    /// inserted; `index` and `type` are replaced, not appended), the finish
    /// reason, the usage, and an in-stream error.
    struct SdkView {
        message: Map<String, Value>,
        finish_reason: Option<String>,
        usage: Option<Value>,
        error: Option<Value>,
    }

    fn accumulate(acc: &mut Map<String, Value>, delta: &Map<String, Value>) {
        for (key, value) in delta {
            let Some(old) = acc.get_mut(key).filter(|v| !v.is_null()) else {
                acc.insert(key.clone(), value.clone());
                continue;
            };
            match (old, value) {
                (old, _) if key == "index" || key == "type" => *old = value.clone(),
                (Value::String(old), Value::String(piece)) => old.push_str(piece),
                (Value::Object(old), Value::Object(piece)) => accumulate(old, piece),
                (Value::Array(old), Value::Array(entries)) => {
                    for entry in entries {
                        let entry = entry.as_object().expect("list entries are objects");
                        let index = entry["index"].as_u64().expect("an integer index") as usize;
                        match old.get_mut(index) {
                            Some(Value::Object(known)) => accumulate(known, entry),
                            _ => old.insert(index.min(old.len()), Value::Object(entry.clone())),
                        }
                    }
                }
                (old, value) => panic!("the SDK cannot merge {value} into {old}"),
            }
        }
    }

    fn sdk_view(stream: &str) -> SdkView {
        let mut view = SdkView {
            message: Map::new(),
            finish_reason: None,
            usage: None,
            error: None,
        };
        for event in stream.split("\n\n").filter(|e| !e.is_empty()) {
            if event.starts_with(':') {
                continue;
            }
            let data = event
                .strip_prefix("data: ")
                .expect("one data line per event");
            if data == "[DONE]" {
                break;
            }
            let chunk: Value = serde_json::from_str(data).unwrap();
            if let Some(error) = chunk.get("error") {
                view.error = Some(error.clone());
                break;
            }
            for choice in chunk["choices"].as_array().unwrap() {
                accumulate(&mut view.message, choice["delta"].as_object().unwrap());
                if let Some(reason) = choice["finish_reason"].as_str() {
                    view.finish_reason = Some(reason.into());
                }
            }
            if !chunk["usage"].is_null() {
                view.usage = Some(chunk["usage"].clone());
            }
        }
        view
    }

    #[test]
    fn the_sdk_rebuilds_the_reply_the_events_describe() {
        for (name, events, _) in streams() {
            let view = sdk_view(&encode(true, &events));
            let mut builder = ResponseBuilder::default();
            for e in &events {
                builder.push(e.clone());
            }
            let reply = builder.finish();
            let m = &view.message;
            assert_eq!(m["role"], "assistant", "{name}");
            assert_eq!(m["content"], reply.text().as_str(), "{name}");
            let reasoning = m.get("reasoning_content").and_then(Value::as_str);
            assert_eq!(reasoning.unwrap_or(""), reply.reasoning_text(), "{name}");
            let calls: Vec<(String, String, Value)> = m
                .get("tool_calls")
                .and_then(Value::as_array)
                .map(|calls| {
                    calls
                        .iter()
                        .map(|c| {
                            assert_eq!(c["type"], "function", "{name}");
                            let f = &c["function"];
                            let arguments = f["arguments"].as_str().unwrap();
                            (
                                c["id"].as_str().unwrap().to_owned(),
                                f["name"].as_str().unwrap().to_owned(),
                                serde_json::from_str(arguments).unwrap(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            // By index, as the SDK keeps them (the builder keeps the order
            // calls ended in).
            let mut ended: Vec<(u32, &ToolCall)> = events
                .iter()
                .filter_map(|e| match e {
                    ChatEvent::ToolCallEnd { index, call } => Some((*index, &**call)),
                    _ => None,
                })
                .collect();
            ended.sort_by_key(|(index, _)| *index);
            let want: Vec<(String, String, Value)> = ended
                .into_iter()
                .map(|(_, c)| (c.id.clone(), c.name.clone(), c.arguments.clone()))
                .collect();
            assert_eq!(want.len(), reply.tool_calls().count(), "{name}");
            assert_eq!(calls, want, "{name}");
            let want_finish = super::super::wire::finish_reason(reply.finish.as_ref());
            assert_eq!(view.finish_reason.as_deref(), Some(want_finish), "{name}");
            assert!(view.usage.is_none() && view.error.is_none(), "{name}");
        }
    }

    #[test]
    fn the_sdk_sees_usage_and_errors() {
        let view = sdk_view(&encode(
            true,
            &[
                ChatEvent::Usage(Usage::new(3, 2)),
                finish(FinishReason::Stop),
            ],
        ));
        assert_eq!(view.usage.unwrap()["total_tokens"], 5);

        let mut encoder = ChunkEncoder::new(meta(), false);
        let mut out = Vec::new();
        encoder.start(&mut out);
        encoder.error(&ApiError::new(ErrorKind::Upstream, "cut"), &mut out);
        let view = sdk_view(std::str::from_utf8(&out).unwrap());
        assert_eq!(view.error.unwrap()["message"], "cut");
    }
}

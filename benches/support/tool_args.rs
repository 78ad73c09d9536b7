//! The tool call of the tool-call benches and of the allocation test: one
//! call of `write_file` whose JSON arguments (2 KiB in 200 fragments for
//! the benches) stream cut anywhere (inside strings and escapes), as models
//! stream them, and that call on the wire as OpenAI and Anthropic send it.
//! Each file that includes it uses a part.
#![allow(dead_code)]

use yat::ChatEvent;
use yat_http::DecodeDriver;

/// Fragments per call.
pub const FRAGMENTS: usize = 200;

/// Bytes of arguments.
pub const ARGUMENT_BYTES: usize = 2048;

/// The arguments: a path and a file's content (code, with the newlines,
/// quotes and tabs that JSON escapes), exactly [`ARGUMENT_BYTES`] long.
pub fn arguments() -> String {
    let line = "    let reply = client.chat(\"hi\").await?;\n\tprintln!(\"{reply}\");\n";
    let shell = serde_json::json!({"path": "src/main.rs", "content": ""});
    let len = |content: &str| shell.to_string().len() + escaped(content);
    // Whole lines while they fit, then plain characters to the exact length.
    let mut content = String::new();
    while len(&content) + escaped(line) <= ARGUMENT_BYTES {
        content.push_str(line);
    }
    while len(&content) < ARGUMENT_BYTES {
        content.push('x');
    }
    let args = serde_json::json!({"path": "src/main.rs", "content": content}).to_string();
    assert_eq!(args.len(), ARGUMENT_BYTES);
    args
}

/// The length of `s` as the inside of a JSON string.
fn escaped(s: &str) -> usize {
    serde_json::to_string(s).expect("a string").len() - 2
}

/// `args` cut into [`FRAGMENTS`] pieces of (nearly) equal length.
pub fn fragments(args: &str) -> Vec<&str> {
    cut(args, FRAGMENTS).collect()
}

/// `args` cut into `n` pieces of (nearly) equal length.
pub fn cut(args: &str, n: usize) -> impl Iterator<Item = &str> {
    let len = args.len();
    (0..n).map(move |i| &args[i * len / n..(i + 1) * len / n])
}

/// A reply that is one call `call_yat0001` of `write_file` with `args` in
/// `n` fragments, as OpenAI streams it: the chunk that starts it (id,
/// name, empty arguments), one chunk per fragment, the finish, usage and
/// `[DONE]`.
pub fn openai_wire(args: &str, n: usize) -> Vec<u8> {
    let head = r#"{"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_yat0001","choices":[{"index":0,"delta":"#;
    let tail = r#","logprobs":null,"finish_reason":null}],"usage":null}"#;
    let mut wire = Vec::new();
    let mut chunk = |delta: String| {
        wire.extend_from_slice(b"data: ");
        wire.extend_from_slice(head.as_bytes());
        wire.extend_from_slice(delta.as_bytes());
        wire.extend_from_slice(tail.as_bytes());
        wire.extend_from_slice(b"\n\n");
    };
    chunk(
        r#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_yat0001","type":"function","function":{"name":"write_file","arguments":""}}]}"#
            .to_owned(),
    );
    for piece in cut(args, n) {
        let piece = serde_json::to_string(piece).expect("a string");
        chunk(format!(
            r#"{{"tool_calls":[{{"index":0,"function":{{"arguments":{piece}}}}}]}}"#
        ));
    }
    wire.extend_from_slice(
        br#"data: {"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}"#,
    );
    wire.extend_from_slice(b"\n\n");
    wire.extend_from_slice(
        br#"data: {"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":60,"completion_tokens":200,"total_tokens":260}}"#,
    );
    wire.extend_from_slice(b"\n\ndata: [DONE]\n\n");
    wire
}

/// The same call as Anthropic streams it, one `tool_use` block
/// `toolu_01Yat` from `message_start` to `message_stop`, its lines ended
/// by `eol`: the block's start, an empty first `input_json_delta` (as the
/// API sends), one event per fragment, the block's stop, the
/// `message_delta` with `stop_reason: "tool_use"`.
pub fn anthropic_wire(args: &str, n: usize, eol: &str) -> Vec<u8> {
    let mut wire = String::new();
    let mut event = |name: &str, data: &str| {
        wire.push_str("event: ");
        wire.push_str(name);
        wire.push_str(eol);
        wire.push_str("data: ");
        wire.push_str(data);
        wire.push_str(eol);
        wire.push_str(eol);
    };
    event(
        "message_start",
        r#"{"type":"message_start","message":{"id":"msg_01Yat","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":60,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#,
    );
    event(
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_01Yat","name":"write_file","input":{}}}"#,
    );
    let delta = |piece: &str| {
        let piece = serde_json::to_string(piece).expect("a string");
        format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"input_json_delta","partial_json":{piece}}}}}"#
        )
    };
    event("content_block_delta", &delta(""));
    for piece in cut(args, n) {
        event("content_block_delta", &delta(piece));
    }
    event(
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#,
    );
    event(
        "message_delta",
        r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":200}}"#,
    );
    event("message_stop", r#"{"type":"message_stop"}"#);
    wire.into_bytes()
}

/// Asserts that `events` are one call `id` of `write_file` with the
/// arguments `args` in [`FRAGMENTS`] deltas, ended before the finish.
pub fn assert_one_call(events: &[ChatEvent], id: &str, args: &str) {
    let mut deltas = String::new();
    let mut pieces = 0;
    let mut ends = Vec::new();
    for ev in events {
        match ev {
            ChatEvent::ToolCallStart {
                index,
                id: got,
                name,
            } => {
                assert_eq!((*index, got.as_str(), name.as_str()), (0, id, "write_file"))
            }
            ChatEvent::ToolCallDelta { index, arguments } => {
                assert_eq!(*index, 0);
                if !arguments.is_empty() {
                    pieces += 1;
                }
                deltas.push_str(arguments);
            }
            ChatEvent::ToolCallEnd { call, .. } => ends.push(call.clone()),
            _ => {}
        }
    }
    assert_eq!(deltas, args, "{events:?}");
    assert_eq!(pieces, FRAGMENTS);
    assert_eq!(ends.len(), 1, "{events:?}");
    let parsed: serde_json::Value = serde_json::from_str(args).expect("valid arguments");
    assert_eq!(ends[0].arguments, parsed);
    assert!(
        matches!(events.last(), Some(ChatEvent::Finish(_))),
        "{events:?}"
    );
}

/// Pulls every event out of `driver`, returning the argument bytes seen
/// (so that nothing is optimised away).
pub fn drain(driver: &mut DecodeDriver) -> usize {
    let mut n = 0;
    while let Some(ev) = driver.next_event() {
        if let ChatEvent::ToolCallDelta { arguments, .. } = ev.expect("valid tool-call stream") {
            n += arguments.len();
        }
    }
    n
}

//! The tool call of the tool-call benches and of the allocation test: one
//! call of `write_file` whose 2 KiB of JSON arguments stream in 200
//! fragments, cut anywhere (inside strings and escapes), as models stream
//! them. Each file that includes it uses a part.
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
    let n = args.len();
    (0..FRAGMENTS)
        .map(|i| &args[i * n / FRAGMENTS..(i + 1) * n / FRAGMENTS])
        .collect()
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

//! `yat chat --json`: every event of a stream is one JSON line, and the
//! README's "Event schema" lists exactly the types the mock's models (and,
//! for redacted reasoning, which the mock never produces, Anthropic through
//! the fake server) put on stdout.

mod common;

use std::collections::BTreeSet;

use common::Sandbox;

const WEATHER_TOOL: &str = r#"{"name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}"#;

fn types(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The example lines of the README's "Event schema" section.
fn documented() -> Vec<serde_json::Value> {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("\n## Event schema\n")
        .expect("README has an Event schema section");
    let section = &readme[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    section[..end]
        .lines()
        .filter(|l| l.starts_with("{\"type\":"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("README line {l}: {e}")))
        .collect()
}

#[test]
fn reasoning_streams_as_deltas_then_its_signature_and_usage_counts_it() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "--json",
            "-m",
            "mock/mock-reasoning",
            "-s",
            "be brief",
            "How many r in strawberry?",
        ])
        .ok();
    let ev = out.events();
    let t = types(&ev);
    let first_delta = t.iter().position(|t| t == "delta").unwrap();
    let signature = t.iter().position(|t| t == "reasoning_signature").unwrap();
    assert_eq!(t[0], "start");
    assert!(
        t[1..signature].iter().all(|t| t == "reasoning_delta"),
        "{t:?}"
    );
    assert!(signature < first_delta);
    assert!(ev[signature]["signature"]
        .as_str()
        .unwrap()
        .starts_with("mock-sig-"));
    let usage = ev.iter().find(|e| e["type"] == "usage").unwrap();
    assert_eq!(
        usage["reasoning_tokens"].as_u64(),
        Some((signature - 1) as u64),
        "one token per reasoning piece: {usage}"
    );
    assert_eq!(usage["cache_read_tokens"], 2, "the system prompt is cached");
    assert!(
        usage.get("cache_write_tokens").is_none(),
        "not reported: absent"
    );
    assert_eq!(t.last().unwrap(), "finish");
}

#[test]
fn tool_calls_stream_start_delta_end_and_finish_with_tool_calls() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "--json",
            "-m",
            "mock/mock-tools",
            "--tool",
            WEATHER_TOOL,
            "Weather in Paris?",
        ])
        .ok();
    let ev = out.events();
    let t = types(&ev);
    assert_eq!(t[1], "tool_call_start");
    assert_eq!(ev[1]["index"], 0);
    assert_eq!(ev[1]["name"], "get_weather");
    let end = ev.iter().find(|e| e["type"] == "tool_call_end").unwrap();
    assert_eq!(end["call"]["id"], ev[1]["id"]);
    assert_eq!(
        end["call"]["arguments"],
        serde_json::json!({"city": "mock"})
    );
    let pieces: String = ev
        .iter()
        .filter(|e| e["type"] == "tool_call_delta")
        .map(|e| e["arguments"].as_str().unwrap())
        .collect();
    assert_eq!(pieces, r#"{"city":"mock"}"#);
    assert_eq!(ev.last().unwrap()["reason"], "tool_calls");
    assert!(
        !out.stderr.contains("does not run tools"),
        "JSON output is for programs: {}",
        out.stderr
    );
}

#[test]
fn parallel_calls_are_numbered_in_start_order() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "--json",
            "-m",
            "mock/mock-parallel-tools",
            "--tool",
            &format!(r#"[{WEATHER_TOOL}, {{"name": "get_time"}}]"#),
            "Weather and time?",
        ])
        .ok();
    let ev = out.events();
    let ends: Vec<(u64, &str)> = ev
        .iter()
        .filter(|e| e["type"] == "tool_call_end")
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["call"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ends, vec![(0, "get_weather"), (1, "get_time")]);
}

#[cfg(feature = "anthropic")]
#[test]
fn every_documented_event_type_is_produced_and_nothing_undocumented() {
    let documented = documented();
    let documented_types: BTreeSet<String> = documented
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        documented.len(),
        documented_types.len(),
        "one line per type"
    );

    let sb = Sandbox::new();
    let mut seen = BTreeSet::new();
    let runs: &[&[&str]] = &[
        &["-m", "mock/mock-echo", "hello"],
        &["-m", "mock/mock-reasoning", "-s", "be brief", "Why?"],
        &["-m", "mock/mock-tools", "--tool", WEATHER_TOOL, "Weather?"],
        &["-m", "mock/mock-fail-mid", "x"],
        &["-m", "mock/mock-fail-before", "x"],
    ];
    for args in runs {
        seen.extend(types(
            &sb.run(&[&["chat", "--json"], *args].concat()).events(),
        ));
    }

    let out = common::redacted_reasoning_reply(&sb, &["--json"]);
    let ev = out.events();
    let redacted = ev
        .iter()
        .find(|e| e["type"] == "redacted_reasoning")
        .unwrap();
    assert_eq!(redacted["data"], "EmwKAhgBEgy3va3pzix");
    seen.extend(types(&ev));

    // The tool loop's events need an MCP server: tests/mcp checks them
    // against these same examples.
    let documented_types: BTreeSet<String> = documented_types
        .into_iter()
        .filter(|t| !matches!(t.as_str(), "tool_call" | "tool_result"))
        .collect();
    assert_eq!(
        seen, documented_types,
        "the README's Event schema and what --json prints differ"
    );
}

#[test]
fn readme_examples_have_the_fields_the_table_names() {
    for e in documented() {
        let mut keys: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        // A field an example may leave out: the error's `request_id`,
        // printed only when the vendor sent one.
        if e["type"] == "error" {
            keys.remove("request_id");
        }
        let expected: &[&str] = match e["type"].as_str().unwrap() {
            "start" => &["type", "provider", "model", "conversation"],
            "delta" | "reasoning_delta" => &["type", "text"],
            "reasoning_signature" => &["type", "signature"],
            "redacted_reasoning" => &["type", "data"],
            "tool_call_start" => &["type", "index", "id", "name"],
            "tool_call_delta" => &["type", "index", "arguments"],
            "tool_call_end" => &["type", "index", "call"],
            "finish" => &["type", "reason", "raw"],
            "tool_call" => &["type", "step", "id", "server", "tool", "arguments"],
            "tool_result" => &[
                "type",
                "step",
                "id",
                "server",
                "tool",
                "text",
                "is_error",
                "duration_ms",
            ],
            "error" => &["type", "kind", "provider", "message", "remedies"],
            "usage" => &[
                "type",
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "reasoning_tokens",
            ],
            other => panic!("undocumented type {other} in the examples"),
        };
        assert_eq!(keys, expected.iter().copied().collect(), "{e}");
        // Each example reads back as the event yat would print.
        if !matches!(
            e["type"].as_str(),
            Some("start" | "error" | "tool_call" | "tool_result")
        ) {
            let event: yat::ChatEvent = serde_json::from_value(e.clone()).unwrap();
            assert_eq!(serde_json::to_value(&event).unwrap(), e);
        }
    }
}

/// The start event names the conversation the reply is stored in, so a
/// script continues it with `--cid` without asking the log; a reply that
/// does not complete leaves no conversation behind.
#[cfg(feature = "history")]
#[test]
fn the_start_event_names_the_stored_conversation() {
    let sb = Sandbox::new();
    let start = |args: &[&str]| {
        let out = sb.run(&[&["chat", "--json"], args].concat());
        let events = out.events();
        assert_eq!(events[0]["type"], "start", "{}", out.stdout);
        events[0].clone()
    };
    let first = start(&["-m", "mock/mock-echo", "one"]);
    assert_eq!(first["conversation"], 1, "{first}");
    // Continued, it is the same conversation.
    let again = start(&["--cid", "1", "two"]);
    assert_eq!(again["conversation"], 1, "{again}");
    // Not stored: no id.
    let unstored = start(&["--no-history", "-m", "mock/mock-echo", "three"]);
    assert!(unstored.get("conversation").is_none(), "{unstored}");

    // A reply that fails mid-stream: named at the start, then taken back.
    let failed = start(&["-m", "mock/mock-fail-mid", "four"]);
    assert_eq!(failed["conversation"], 2, "{failed}");
    sb.run(&["chat", "--cid", "2", "five"])
        .code(1)
        .one_error_line("no conversation 2");
    // The first one kept both exchanges.
    let out = sb.run(&["chat", "--json", "--cid", "1", "six"]).ok();
    let usage = out
        .events()
        .into_iter()
        .find(|e| e["type"] == "usage")
        .unwrap();
    assert_eq!(usage["input_tokens"], 5, "one + one + two + two + six");
}

/// A model name that is neither an alias nor PROVIDER/MODEL fails like an
/// unknown provider does: an error event on stdout, then the error line.
#[test]
fn a_model_that_names_nothing_gives_the_error_event() {
    let sb = Sandbox::new();
    for (model, kind) in [("nope", "unlisted_model"), ("nope/x", "unknown_provider")] {
        let out = sb
            .run(&["chat", "--json", "-m", model, "hi"])
            .code(2)
            .one_error_line("\"nope\"");
        let events = out.events();
        assert_eq!(events.len(), 1, "{}", out.stdout);
        assert_eq!(out.error_event()["kind"], kind, "{}", out.stdout);
    }
}

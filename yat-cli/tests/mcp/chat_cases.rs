//! `yat chat --mcp` without a terminal: the loop's output, its events,
//! the log, refusals, mistakes and the step limit, on this binary's own
//! MCP server.

use std::collections::BTreeSet;

use crate::cases::add_fixture;
use crate::common::Sandbox;
use crate::Case;

pub const CASES: &[Case] = &[
    (
        "a_one_shot_chat_runs_the_tool_and_the_log_holds_every_step",
        a_one_shot_chat_runs_the_tool_and_the_log_holds_every_step,
        None,
    ),
    (
        "json_reports_each_call_and_result_between_the_replies",
        json_reports_each_call_and_result_between_the_replies,
        None,
    ),
    (
        "without_a_terminal_a_call_is_refused_and_stderr_says_how_to_allow_it",
        without_a_terminal_a_call_is_refused_and_stderr_says_how_to_allow_it,
        None,
    ),
    (
        "an_unknown_server_is_a_usage_error_listing_the_configured_ones",
        an_unknown_server_is_a_usage_error_listing_the_configured_ones,
        None,
    ),
    (
        "the_step_limit_ends_the_turn_keeps_what_was_done_and_c_continues",
        the_step_limit_ends_the_turn_keeps_what_was_done_and_c_continues,
        None,
    ),
];

/// The events of a `yat log show --json` conversation: (role, part types).
fn stored(sb: &Sandbox) -> Vec<(String, Vec<String>)> {
    let conv = sb.json(&["log", "show", "--json"]);
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let parts = m["parts"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .map(|p| p["type"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            (m["role"].as_str().unwrap().to_owned(), parts)
        })
        .collect()
}

fn a_one_shot_chat_runs_the_tool_and_the_log_holds_every_step() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let out = sb
        .run(&[
            "chat",
            "--mcp",
            "fx",
            "--yes",
            "-m",
            "mock/mock-tools",
            "say it",
        ])
        .ok();
    assert_eq!(out.stdout, "Tool results: echo returned echo: mock.\n");
    assert!(
        out.stderr
            .contains("⚙ fx.echo {\"text\":\"mock\"}\n✓ echo: mock\n"),
        "{}",
        out.stderr
    );
    let roles =
        |v: &[(String, Vec<String>)]| -> Vec<String> { v.iter().map(|(r, _)| r.clone()).collect() };
    let log = stored(&sb);
    assert_eq!(roles(&log), ["user", "assistant", "tool", "assistant"]);
    assert_eq!(log[1].1, ["tool_call"]);
    assert_eq!(log[2].1, ["tool_result"]);
    let conv = sb.json(&["log", "show", "--json"]);
    assert_eq!(
        conv["messages"][2]["parts"][0]["content"]["text"], "echo: mock",
        "{conv}"
    );
    assert_eq!(conv["messages"][1]["finish_reason"], "tool_calls");

    // -c goes on from the end of the loop, with the tools again.
    let again = sb
        .run(&["chat", "-c", "--mcp", "fx", "--yes", "once more"])
        .ok();
    assert_eq!(again.stdout, "Tool results: echo returned echo: mock.\n");
    let log = stored(&sb);
    assert_eq!(
        roles(&log),
        [
            "user",
            "assistant",
            "tool",
            "assistant",
            "user",
            "assistant",
            "tool",
            "assistant"
        ]
    );
    // And without the tools, the model answers the conversation as it is.
    sb.run(&["chat", "-c", "-m", "mock/mock-echo", "thanks"])
        .ok();
    assert_eq!(stored(&sb).len(), 10);
}

fn json_reports_each_call_and_result_between_the_replies() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "lines", &[]);
    let out = sb
        .run(&[
            "chat",
            "--json",
            "--mcp",
            "fx",
            "--yes",
            "-m",
            "mock/mock-tools",
            "go",
        ])
        .ok();
    let ev = out.events();
    let types: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types.iter().filter(|t| **t == "start").count(),
        1,
        "{types:?}"
    );
    let first_finish = types.iter().position(|t| *t == "finish").unwrap();
    assert_eq!(ev[first_finish]["reason"], "tool_calls");
    assert_eq!(types[first_finish + 1], "tool_call");
    assert_eq!(types[first_finish + 2], "tool_result");
    let call = &ev[first_finish + 1];
    let result = &ev[first_finish + 2];
    let keys = |e: &serde_json::Value| -> BTreeSet<String> {
        e.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(
        keys(call),
        ["arguments", "id", "server", "step", "tool", "type"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        keys(result),
        [
            "duration_ms",
            "id",
            "is_error",
            "server",
            "step",
            "text",
            "tool",
            "type"
        ]
        .map(String::from)
        .into()
    );
    // The README's examples of these events have the same fields.
    let readme = include_str!("../../../README.md");
    for (event, printed) in [("tool_call", call), ("tool_result", result)] {
        let line = readme
            .lines()
            .find(|l| l.starts_with(&format!("{{\"type\":\"{event}\"")))
            .unwrap_or_else(|| panic!("no {event} example in the README"));
        let example: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(keys(&example), keys(printed), "{event}");
    }
    let end = ev.iter().find(|e| e["type"] == "tool_call_end").unwrap();
    assert_eq!(call["id"], end["call"]["id"]);
    assert_eq!(result["id"], call["id"]);
    assert_eq!(
        (call["server"].as_str(), call["tool"].as_str()),
        (Some("fx"), Some("lines"))
    );
    assert_eq!(call["step"], 0);
    assert_eq!(result["text"], "one\ntwo\nthree");
    assert_eq!(result["is_error"], false);
    assert!(result["duration_ms"].is_u64());
    assert_eq!(ev.last().unwrap()["type"], "finish");
    assert_eq!(ev.last().unwrap()["reason"], "stop");
    assert!(out.delta_text().contains("lines returned one\ntwo\nthree"));
}

fn without_a_terminal_a_call_is_refused_and_stderr_says_how_to_allow_it() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let out = sb
        .run(&[
            "chat",
            "--mcp",
            "fx",
            "-m",
            "mock/mock-parallel-tools",
            "go",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        "Tool results: echo failed: refused: not approved; no one was asked; \
         echo failed: refused: not approved; no one was asked.\n"
    );
    let warnings = out.stderr_lines("warning: refused");
    assert_eq!(warnings.len(), 1, "said once:\n{}", out.stderr);
    assert!(warnings[0].contains("--yes") && warnings[0].contains("\"allow\""));

    // --json is for programs: refused too, even with a terminal around.
    let json = sb
        .run(&[
            "chat",
            "--json",
            "--mcp",
            "fx",
            "-m",
            "mock/mock-tools",
            "go",
        ])
        .ok();
    let result = json
        .events()
        .into_iter()
        .find(|e| e["type"] == "tool_result")
        .unwrap();
    assert_eq!(result["is_error"], true);

    // An allow-listed tool runs without asking anyone.
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &["--allow", "echo"]);
    let out = sb
        .run(&["chat", "--mcp", "fx", "-m", "mock/mock-tools", "go"])
        .ok();
    assert_eq!(out.stdout, "Tool results: echo returned echo: mock.\n");
    assert!(out.stderr_lines("warning:").is_empty(), "{}", out.stderr);
}

fn an_unknown_server_is_a_usage_error_listing_the_configured_ones() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    sb.check_errors(
        2,
        &[
            (
                &["chat", "--mcp", "nope", "hi"],
                "unknown MCP server \"nope\"; configured: fx",
            ),
            (
                &["chat", "--mcp", "fx", "--tool", r#"{"name": "t"}"#, "hi"],
                "cannot be used with",
            ),
            (
                &["chat", "--mcp", "fx", "--max-steps", "0", "hi"],
                "--max-steps",
            ),
        ],
    );
    let json = sb.run(&["chat", "--json", "--mcp", "nope", "hi"]).code(2);
    assert!(json.stdout.is_empty() || json.error_event()["kind"].is_string());
    let none = Sandbox::new();
    none.run(&["chat", "--mcp-all", "hi"])
        .code(2)
        .one_error_line("no MCP server is configured");
}

fn the_step_limit_ends_the_turn_keeps_what_was_done_and_c_continues() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let out = sb.run(&[
        "chat",
        "--mcp",
        "fx",
        "--yes",
        "--max-steps",
        "1",
        "-m",
        "mock/mock-tools",
        "go",
    ]);
    out.code(1).one_error_line("step");
    let log = stored(&sb);
    assert_eq!(
        log.len(),
        2,
        "the prompt and the reply with its call: {log:?}"
    );
    assert_eq!(log[1].1, ["tool_call"]);
    // Continued, the call left unanswered is answered "not run" first.
    sb.run(&["chat", "-c", "-m", "mock/mock-echo", "and?"]).ok();
    let log = stored(&sb);
    assert_eq!(log[2].0, "tool");
    assert_eq!(log[3].0, "user");
}

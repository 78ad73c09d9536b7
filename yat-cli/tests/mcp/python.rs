//! The Python reference server `mcp-server-time` (PyPI 2026.10.19), which
//! no one here wrote, from the venv yat-mcp/tests/python/setup.sh makes;
//! `YAT_MCP_VENV` names it.
//!
//! The mock's `mock-tools` calls a tool with the JSON object a prompt ends
//! with (`time in Tokyo? {"timezone": "Asia/Tokyo"}`), or else with
//! arguments made from its schema (`{"timezone": "mock"}`, which the time
//! server refuses as it should). One case scripts the model with the OpenAI
//! fake server instead, so an HTTP provider's tool calls take the same road:
//! one reply that calls `get_current_time` for Asia/Tokyo, then one that
//! reads back what the tool returned.

use std::path::PathBuf;

use yat_fakeserver::{openai_stream, FakeServer, Response, Route};

use crate::common::{Api, Sandbox};
use crate::Case;

const NEEDS: &str =
    "needs the Python reference servers: yat-mcp/tests/python/setup.sh (run by .ci/run)";

pub const CASES: &[Case] = &[
    (
        "time_server_answers_through_the_loop_and_the_log_keeps_it",
        time_server_answers_through_the_loop_and_the_log_keeps_it,
        Some(NEEDS),
    ),
    (
        "time_server_with_the_mock_refusals_and_json_events",
        time_server_with_the_mock_refusals_and_json_events,
        Some(NEEDS),
    ),
    (
        "time_server_on_a_terminal_y_then_n",
        time_server_on_a_terminal_y_then_n,
        Some(NEEDS),
    ),
];

/// A prompt whose JSON object the mock passes to the tool it calls.
const TOKYO: &str = r#"what time is it in Tokyo? {"timezone": "Asia/Tokyo"}"#;

/// The venv's `mcp-server-time`.
fn time_server() -> PathBuf {
    let venv = std::env::var_os("YAT_MCP_VENV")
        .map(PathBuf::from)
        .expect("YAT_MCP_VENV names the venv yat-mcp/tests/python/setup.sh made");
    let exe = venv.join("bin").join("mcp-server-time");
    assert!(exe.exists(), "{} is missing: run setup.sh", exe.display());
    exe
}

/// Adds the time server as `time`, its local zone pinned (the sandbox has
/// no TZ).
fn add_time(sb: &Sandbox) {
    let exe = time_server();
    sb.run(&[
        "mcp",
        "add",
        "time",
        "--",
        exe.to_str().unwrap(),
        "--local-timezone",
        "UTC",
    ])
    .ok();
}

/// An OpenAI stream that calls `get_current_time` for Asia/Tokyo.
fn calls_the_time_tool() -> String {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        let c = serde_json::json!({
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        });
        format!("data: {c}\n\n")
    };
    let call = serde_json::json!({
        "role": "assistant",
        "tool_calls": [{"index": 0, "id": "call_tokyo", "type": "function",
            "function": {"name": "get_current_time", "arguments": "{\"timezone\":\"Asia/Tokyo\"}"}}]
    });
    format!(
        "{}{}data: [DONE]\n\n",
        chunk(call, serde_json::Value::Null),
        chunk(serde_json::json!({}), serde_json::json!("tool_calls"))
    )
}

fn time_server_answers_through_the_loop_and_the_log_keeps_it() {
    let sb = Sandbox::new();
    add_time(&sb);
    let api = Api::OpenAi;
    // The second request carries the tool's result: the model reads it out.
    let route = Route::new("POST", api.path())
        .respond(Response::sse(&calls_the_time_tool()))
        .handle(|req| {
            let body = req.json();
            let result = body["messages"]
                .as_array()
                .and_then(|m| m.iter().find(|m| m["role"] == "tool"))
                .and_then(|m| m["content"].as_str())
                .unwrap_or("NO TOOL RESULT")
                .to_owned();
            Response::sse(&openai_stream(&["The server says: ", &result]))
        });
    let server =
        FakeServer::start_blocking("127.0.0.1:0".parse().unwrap(), vec![route], true).unwrap();
    let out = sb
        .at(api, &server.url())
        .args([
            "chat",
            "--mcp",
            "time",
            "--yes",
            "-m",
            api.model(),
            "what time is it in Tokyo?",
        ])
        .output()
        .unwrap();
    let out = crate::common::Output::from(out).ok();
    assert!(
        out.stdout.starts_with("The server says: ")
            && out.stdout.contains("Asia/Tokyo")
            && out.stdout.contains("+09:00"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("⚙ time.get_current_time {\"timezone\":\"Asia/Tokyo\"}"),
        "{}",
        out.stderr
    );
    // The request offered the server's tools with their schemas.
    let first = server.requests()[0].json();
    let names: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_current_time", "convert_time"]);
    // The log holds the call and its result.
    let conv = sb.json(&["log", "show", "--json"]);
    let msgs = conv["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4, "{conv}");
    assert_eq!(msgs[1]["parts"][0]["arguments"]["timezone"], "Asia/Tokyo");
    // Structured content goes back as JSON, and is stored so.
    let stored = msgs[2]["parts"][0]["content"].to_string();
    assert!(stored.contains("Asia/Tokyo"), "{stored}");
}

fn time_server_with_the_mock_refusals_and_json_events() {
    let sb = Sandbox::new();
    add_time(&sb);
    // The mock asks for Tokyo's time, the real server answers, the mock
    // reads the answer back.
    let out = sb
        .run(&[
            "chat",
            "--mcp",
            "time",
            "--yes",
            "-m",
            "mock/mock-tools",
            TOKYO,
        ])
        .ok();
    assert!(
        out.stdout.contains("get_current_time") && out.stdout.contains("+09:00"),
        "{}",
        out.stdout
    );
    // A zone the server does not know: the server's own error comes back.
    let out = sb
        .run(&[
            "chat",
            "--mcp",
            "time",
            "--yes",
            "-m",
            "mock/mock-tools",
            "what time is it in Tokyo?",
        ])
        .ok();
    assert!(
        out.stdout.contains("get_current_time failed:") && out.stdout.contains("mock"),
        "{}",
        out.stdout
    );
    // No terminal, no --yes: refused, and the model is told.
    let refused = sb
        .run(&["chat", "--mcp", "time", "-m", "mock/mock-tools", "time?"])
        .ok();
    assert!(refused
        .stdout
        .contains("refused: not approved; no one was asked"));
    // --json, event by event.
    let json = sb
        .run(&[
            "chat",
            "--json",
            "--mcp",
            "time",
            "--yes",
            "-m",
            "mock/mock-tools",
            TOKYO,
        ])
        .ok();
    let ev = json.events();
    let call = ev.iter().find(|e| e["type"] == "tool_call").unwrap();
    assert_eq!(call["server"], "time");
    assert_eq!(call["tool"], "get_current_time");
    assert_eq!(call["arguments"]["timezone"], "Asia/Tokyo");
    let result = ev.iter().find(|e| e["type"] == "tool_result").unwrap();
    assert_eq!(result["is_error"], false, "{result}");
    assert!(
        result["text"].as_str().unwrap().contains("+09:00"),
        "{result}"
    );
    // `yat mcp call` gets a real time; -c continues the stored loop.
    let time = sb
        .run(&[
            "mcp",
            "call",
            "time",
            "get_current_time",
            r#"{"timezone": "Asia/Tokyo"}"#,
        ])
        .ok();
    assert!(time.stdout.contains("+09:00"), "{}", time.stdout);
    sb.run(&["chat", "-c", "--mcp", "time", "--yes", "again"])
        .ok();
    let conv = sb.json(&["log", "show", "--json"]);
    assert_eq!(conv["messages"].as_array().unwrap().len(), 8, "{conv}");
}

#[cfg(unix)]
fn time_server_on_a_terminal_y_then_n() {
    use crate::common::pty::{exit_code, spawn};
    let sb = Sandbox::new();
    add_time(&sb);
    for (answer, said) in [
        ("y", "+09:00"),
        (
            "n",
            "get_current_time failed: refused: the user refused this call",
        ),
    ] {
        let mut p = spawn(
            &sb,
            &["chat", "--mcp", "time", "-m", "mock/mock-tools", TOKYO],
            &[],
        );
        p.exp_string("time.get_current_time").unwrap();
        p.exp_string("Run it?").unwrap();
        p.send_line(answer).unwrap();
        p.exp_string(said).unwrap();
        p.exp_eof().unwrap();
        assert_eq!(exit_code(&mut p), 0);
    }
    let listed = sb.run(&["mcp", "list", "--json"]).ok();
    assert!(listed.stdout.contains("\"ready\""), "{}", listed.stdout);
}

#[cfg(not(unix))]
fn time_server_on_a_terminal_y_then_n() {}

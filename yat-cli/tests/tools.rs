//! Tool calls in `yat chat`, which does not run tools yet: `--tool`
//! declares them, calls are shown on one line each (not silently dropped),
//! stored, and answered as not run when the conversation goes on.

mod common;

use common::Sandbox;

const WEATHER: &str = r#"{"name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}"#;

#[test]
fn calls_are_shown_compactly_off_stdout_when_piped() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-tools",
            "--tool",
            WEATHER,
            "Weather in Paris?",
        ])
        .ok();
    assert_eq!(out.stdout, "", "no answer text: the reply is a call");
    assert!(
        out.stderr
            .contains("→ tool get_weather {\"city\":\"mock\"}\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("does not run tools yet"),
        "{}",
        out.stderr
    );
}

#[test]
fn parallel_calls_get_a_line_each_and_tools_come_from_files_too() {
    let sb = Sandbox::new();
    let file = sb.work_dir().join("tools.json");
    std::fs::write(&file, format!("[{WEATHER}, {{\"name\": \"get_time\"}}]")).unwrap();
    let out = sb
        .run(&[
            "chat",
            "-m",
            "mock/mock-parallel-tools",
            "--tool",
            file.to_str().unwrap(),
            "x",
        ])
        .ok();
    let calls: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("→ tool"))
        .collect();
    assert_eq!(
        calls,
        [
            "→ tool get_weather {\"city\":\"mock\"}",
            "→ tool get_time {}"
        ]
    );
}

#[test]
fn bad_tool_declarations_are_usage_errors() {
    let sb = Sandbox::new();
    sb.run(&["chat", "--tool", "{\"description\": \"x\"}", "x"])
        .code(2)
        .one_error_line("a tool needs a \"name\"");
    sb.run(&["chat", "--tool", "nope.json", "x"])
        .code(2)
        .one_error_line("--tool nope.json: cannot read it");
}

#[cfg(feature = "history")]
#[test]
fn continuing_after_a_call_answers_it_as_not_run_and_stores_the_answer() {
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-tools",
        "--tool",
        WEATHER,
        "Weather in Paris?",
    ])
    .ok();
    let out = sb
        .run(&[
            "chat",
            "-c",
            "--tool",
            WEATHER,
            "--tool",
            "{\"name\": \"noop\"}",
            "Never mind, say hi",
        ])
        .ok();
    assert!(
        out.stderr.contains("→ tool get_weather"),
        "it calls again: {}",
        out.stderr
    );

    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(
        shown
            .contains("## assistant (mock/mock-tools)\n\n→ tool get_weather {\"city\":\"mock\"}\n"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "## tool\n\n← get_weather failed: not run: this client cannot run tools; \
             the user replied instead\n\n## user\n\nNever mind, say hi\n"
        ),
        "{shown}"
    );
    let log: serde_json::Value =
        serde_json::from_str(&sb.run(&["log", "show", "--json"]).ok().stdout).unwrap();
    let messages = log["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "tool", "user", "assistant"]);
    let call_id = &messages[1]["parts"][0]["id"];
    assert_eq!(messages[2]["parts"][0]["call_id"], *call_id);
    assert_eq!(messages[2]["parts"][0]["is_error"], true);
    assert_eq!(messages[1]["finish_reason"], "tool_calls");
}

/// Every API refuses an assistant turn with calls that no tool message
/// answers; continuing elsewhere sends the stored calls with their answers.
#[cfg(all(feature = "history", feature = "openai"))]
#[tokio::test]
async fn a_conversation_with_calls_continues_on_an_api_that_requires_their_results() {
    use yat_fakeserver::{openai_stream, FakeServer, Response, Route};

    let server =
        FakeServer::start(vec![Route::new("POST", "/v1/chat/completions")
            .respond(Response::sse(&openai_stream(&["Hi."])))])
        .await
        .unwrap();
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-tools",
        "--tool",
        WEATHER,
        "Weather in Paris?",
    ])
    .ok();
    let out = common::Output::from(
        sb.yat()
            .env("OPENAI_API_KEY", "sk-test-0123456789")
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
            .args(["chat", "-c", "-m", "openai/gpt-4o-mini", "Say hi"])
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(out.stdout, "Hi.\n");
    let body = server.requests()[0].json();
    let m = body["messages"].as_array().unwrap();
    assert_eq!(m.len(), 4, "{body}");
    assert_eq!(m[1]["role"], "assistant");
    let call = &m[1]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(m[2]["role"], "tool");
    assert_eq!(m[2]["tool_call_id"], call["id"]);
    assert!(
        m[2]["content"].as_str().unwrap().contains("not run"),
        "{}",
        m[2]
    );
    assert_eq!(m[3]["role"], "user");
    assert_eq!(m[3]["content"], "Say hi");
}

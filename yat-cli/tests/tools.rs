//! Tool calls in `yat chat` that are not run (MCP tools run: tests/mcp): `--tool`
//! declares them, calls are shown on one line each (not silently dropped),
//! stored, and answered as not run when the conversation goes on.

mod common;

use common::Sandbox;

const WEATHER: &str = r#"{"name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}"#;

/// `yat chat -m mock/mock-tools --tool WEATHER "Weather in Paris?"`: a reply
/// that is one call of get_weather.
const ASK_WEATHER: &[&str] = &[
    "chat",
    "-m",
    "mock/mock-tools",
    "--tool",
    WEATHER,
    "Weather in Paris?",
];

#[test]
fn calls_are_shown_compactly_off_stdout_when_piped() {
    let out = Sandbox::new()
        .run(ASK_WEATHER)
        .ok()
        .says("→ tool get_weather {\"city\":\"mock\"}\n")
        .says("tools declared with --tool are not run");
    assert_eq!(out.stdout, "", "no answer text: the reply is a call");
}

#[test]
fn parallel_calls_get_a_line_each_and_tools_come_from_files_too() {
    let sb = Sandbox::new();
    let file = sb.file(
        "tools.json",
        format!("[{WEATHER}, {{\"name\": \"get_time\"}}]"),
    );
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
    assert_eq!(
        out.stderr_lines("→ tool"),
        [
            "→ tool get_weather {\"city\":\"mock\"}",
            "→ tool get_time {}"
        ]
    );
}

#[test]
fn bad_tool_declarations_are_usage_errors() {
    Sandbox::new().check_errors(
        2,
        &[
            (
                &["chat", "--tool", "{\"description\": \"x\"}", "x"],
                "a tool needs a \"name\"",
            ),
            (
                &["chat", "--tool", "nope.json", "x"],
                "--tool nope.json: cannot read it",
            ),
        ],
    );
}

#[cfg(feature = "history")]
#[test]
fn continuing_after_a_call_answers_it_as_not_run_and_stores_the_answer() {
    let sb = Sandbox::new();
    sb.run(ASK_WEATHER).ok();
    // It calls again.
    sb.run(&[
        "chat",
        "-c",
        "--tool",
        WEATHER,
        "--tool",
        "{\"name\": \"noop\"}",
        "Never mind, say hi",
    ])
    .ok()
    .says("→ tool get_weather");

    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(
        shown
            .contains("## assistant (mock/mock-tools)\n\n→ tool get_weather {\"city\":\"mock\"}\n"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "## tool\n\n← get_weather failed: not run: the user replied instead\n\n\
             ## user\n\nNever mind, say hi\n"
        ),
        "{shown}"
    );
    let log = sb.json(&["log", "show", "--json"]);
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
#[test]
fn a_conversation_with_calls_continues_on_an_api_that_requires_their_results() {
    use common::{Api, Run};

    let server = common::serve(Api::OpenAi, vec![Api::OpenAi.stream(&["Hi."])]);
    let sb = Sandbox::new();
    sb.run(ASK_WEATHER).ok();
    let out = sb
        .at(Api::OpenAi, &server.url())
        .args(["chat", "-c", "-m", Api::OpenAi.model(), "Say hi"])
        .run()
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

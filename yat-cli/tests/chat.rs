//! `yat chat` one-shot: streaming, stdin, JSON events, errors, fallbacks.

mod common;

use common::{no_panic, Output, Sandbox};

/// The mock's retries before the first output turned off: the tests that
/// set it are about what happens after them (fallbacks, the error shown),
/// and the mock's rate limit asks for a 2 s wait.
const NO_RETRIES: &[(&str, &str)] = &[("MOCK_MAX_RETRIES", "0")];

#[test]
fn with_nothing_configured_the_mock_answers_and_stderr_says_so() {
    let out = Sandbox::new()
        .run(&["chat", "Hello"])
        .ok()
        .says("using mock/mock-echo")
        .says("yat models default");
    assert_eq!(out.stdout, "Hello\n");
}

#[test]
fn words_are_joined_and_options_may_follow_the_prompt() {
    let out = Sandbox::new()
        .run(&["chat", "two", "words", "-m", "mock/mock-echo"])
        .ok();
    assert_eq!(out.stdout, "two words\n");
}

#[test]
fn prompt_from_piped_stdin() {
    let sb = Sandbox::new();
    let out = sb
        .run_stdin(&["chat", "-m", "mock/mock-echo"], "from a pipe\n")
        .ok();
    assert_eq!(out.stdout, "from a pipe\n");
    sb.run_stdin(&["chat"], "  \n")
        .code(2)
        .one_error_line("the prompt is empty");
}

#[test]
fn long_replies_stream_whole_and_end_with_a_newline() {
    let out = Sandbox::new()
        .run(&["chat", "-m", "mock/mock-long", "x"])
        .ok();
    assert!(out.stdout.starts_with("yat is a command-line"));
    assert!(out.stdout.ends_with("arrive in the middle of a reply.\n"));
}

#[test]
fn sampling_options_reach_the_provider() {
    let sb = Sandbox::new();
    let out = sb
        .run(&["chat", "-m", "mock/mock-echo", "--stop", ". ", "one. two"])
        .ok();
    assert_eq!(out.stdout, "one\n");
    let limited = [
        "--max-tokens",
        "2",
        "--temperature",
        "0.2",
        "--top-p",
        "0.9",
    ];
    let out = sb
        .run(&[&["chat", "-m", "mock/mock-long"], &limited[..], &["x"]].concat())
        .ok()
        .says("cut at the token limit");
    assert_eq!(out.stdout, "yat is a command\n");
}

#[test]
fn system_prompt_and_usage_report() {
    let args = ["chat", "-m", "mock/mock-echo", "-s", "be brief", "-u"];
    // Input tokens count the system prompt's words too.
    let out = Sandbox::new()
        .run(&[&args[..], &["hi there"]].concat())
        .ok()
        .says("mock/mock-echo: 4 input tokens, 1 output tokens");
    assert_eq!(out.stdout, "hi there\n");
}

#[test]
fn json_events_for_scripts() {
    let out = Sandbox::new()
        .run(&["chat", "--json", "-m", "mock/mock-echo", "hello json"])
        .ok();
    let events = out.events();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["start", "delta", "delta", "usage", "finish"]);
    assert_eq!(events[0]["provider"], "mock");
    assert_eq!(events[0]["model"], "mock-echo");
    assert_eq!(out.delta_text(), "hello json");
    assert_eq!(events[3]["input_tokens"], 2);
    assert_eq!(events[4]["reason"], "stop");
}

#[test]
fn json_error_event_after_partial_output() {
    let out = Sandbox::new()
        .run(&["chat", "--json", "-m", "mock/mock-fail-mid", "x"])
        .code(1);
    let events = out.events();
    let last = events.last().unwrap();
    assert_eq!(last["type"], "error");
    assert_eq!(last["kind"], "network");
    assert_eq!(last["provider"], "mock");
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("injected failure after 3 chunks"));
    assert_eq!(last["remedies"], serde_json::json!([]));
    assert!(last.get("request_id").is_none(), "the mock sends none");
    assert_eq!(events.iter().filter(|e| e["type"] == "delta").count(), 3);
    out.one_error_line("mock: network error");
}

#[test]
fn json_with_an_empty_stdin_is_a_usage_error() {
    Sandbox::new()
        .run(&["chat", "--json"])
        .code(2)
        .one_error_line("the prompt is empty");
}

#[test]
fn a_failure_mid_stream_keeps_the_text_and_exits_1() {
    let out = Sandbox::new()
        .run(&["chat", "-m", "mock/mock-fail-mid", "x"])
        .code(1);
    assert_eq!(out.stdout, "yat is a command-line an\n");
    out.one_error_line("mock: network error: injected failure after 3 chunks");
}

/// Each mistake or failure, the exit code it ends with and what its one
/// error line says.
#[test]
fn each_failure_is_one_line_with_its_exit_code() {
    let cases: &[(&str, &[(&str, &str)], &[&str], i32, &str)] = &[
        (
            "a server error",
            NO_RETRIES,
            &["-m", "mock/mock-fail-before"],
            1,
            "mock: server error",
        ),
        (
            "a rate limit suggests a fallback",
            NO_RETRIES,
            &["-m", "mock/mock-rate-limited"],
            1,
            "--fallback",
        ),
        (
            "an unknown model names the listing",
            &[],
            &["-m", "mock/no-such-model"],
            1,
            "yat models --provider mock",
        ),
        (
            "a provider that failed to start",
            &[("MOCK_FAIL", "init")],
            &["-m", "mock/mock-echo"],
            1,
            "mock: unavailable",
        ),
        (
            "neither a model nor an alias",
            &[],
            &["-m", "nope"],
            2,
            "nor an alias",
        ),
        (
            "an unknown provider lists the others",
            &[],
            &["-m", "nope/x"],
            2,
            "unknown provider \"nope\"; compiled in: ",
        ),
        (
            "a bad fallback",
            &[],
            &["-m", "mock/mock-echo", "--fallback", "bad"],
            2,
            "\"bad\"",
        ),
        (
            "a blank fallback is no model",
            &[],
            &["-m", "mock/mock-echo", "--fallback", " "],
            2,
            "no model given",
        ),
    ];
    let sb = Sandbox::new();
    for (name, env, args, code, needle) in cases {
        let out = sb.run_with(env, &[&["chat"], *args, &["x"]].concat());
        assert_eq!(out.code, *code, "{name}: {}", out.stderr);
        out.one_error_line(needle);
    }
}

#[test]
fn a_blank_model_is_no_model_and_a_usage_error() {
    let sb = Sandbox::new();
    for blank in ["", "  "] {
        let out = sb.run(&["chat", "-m", blank, "x"]).code(2).one_error_line(
            "error: no model given: pass -m PROVIDER/MODEL, or set a default with \
             `yat models default PROVIDER/MODEL`",
        );
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn fallback_tries_in_order_and_says_who_answered() {
    let out = Sandbox::new()
        .run_with(
            NO_RETRIES,
            &[
                "chat",
                "-m",
                "mock/mock-fail-before",
                "--fallback",
                "mock/mock-rate-limited",
                "--fallback",
                "mock/mock-echo",
                "--fallback",
                "mock/mock-long",
                "fell back",
            ],
        )
        .ok()
        .says("note: answered by mock/mock-echo");
    assert_eq!(out.stdout, "fell back\n");
    let warnings = out.stderr_lines("warning:");
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    assert!(warnings[0].contains("mock/mock-fail-before failed before answering"));
    assert!(warnings[1].contains("mock/mock-rate-limited failed before answering"));
}

/// A candidate skipped because it is not ready gets the command that
/// makes it ready, as the error would.
#[cfg(feature = "openai")]
#[test]
fn a_skipped_provider_that_is_not_ready_is_told_with_its_fix() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "openai/gpt-4o-mini",
            "--fallback",
            "mock/mock-echo",
            "hi",
        ])
        .ok();
    assert_eq!(out.stdout, "hi\n");
    assert_eq!(
        out.stderr_lines("warning:"),
        [
            "warning: openai/gpt-4o-mini failed before answering: openai: unavailable: \
             API key (OPENAI_API_KEY) is not set: run `yat keys set openai` or export \
             OPENAI_API_KEY"
        ],
        "{}",
        out.stderr
    );
}

/// `--json`: the error event gives the fixes as data, as `yat providers
/// --json` does.
#[cfg(feature = "openai")]
#[test]
fn the_json_error_event_carries_the_remedies() {
    let out = Sandbox::new()
        .run(&["chat", "--json", "-m", "openai/gpt-4o-mini", "hi"])
        .code(1);
    let events = out.events();
    let error = events.last().unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["kind"], "not_ready");
    assert_eq!(
        error["remedies"],
        serde_json::json!([{"remedy": "set", "provider": "openai", "setting": {
            "key": "api_key", "label": "API key", "env_var": "OPENAI_API_KEY", "kind": "secret"}}])
    );
    assert!(error["message"]
        .as_str()
        .unwrap()
        .ends_with("run `yat keys set openai` or export OPENAI_API_KEY"));
}

#[test]
fn configured_fallbacks_follow_the_flag_ones() {
    let sb = Sandbox::new();
    sb.run(&[
        "config",
        "set",
        "fallbacks",
        "mock/mock-fail-before,mock/mock-echo",
    ])
    .ok();
    let out = sb
        .run_with(
            NO_RETRIES,
            &[
                "chat",
                "-m",
                "mock/mock-rate-limited",
                "--json",
                "configured",
            ],
        )
        .ok()
        .says("answered by mock/mock-echo");
    assert_eq!(out.events()[0]["model"], "mock-echo");
}

#[test]
fn no_fallback_once_output_has_started() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-fail-mid",
            "--fallback",
            "mock/mock-echo",
            "x",
        ])
        .code(1);
    assert_eq!(out.stdout, "yat is a command-line an\n");
    assert!(!out.stderr.contains("answered by"));
}

#[test]
fn all_fallbacks_failing_reports_each_and_the_last_error() {
    Sandbox::new()
        .run_with(
            NO_RETRIES,
            &[
                "chat",
                "-m",
                "mock/mock-fail-before",
                "--fallback",
                "mock/mock-rate-limited",
                "x",
            ],
        )
        .code(1)
        .says("warning: mock/mock-fail-before failed before answering")
        .one_error_line("rate limited");
}

#[test]
fn verbose_logging_goes_to_stderr_only() {
    let out = Sandbox::new()
        .run(&["-vvv", "chat", "-m", "mock/mock-echo", "quiet stdout"])
        .ok();
    assert_eq!(out.stdout, "quiet stdout\n");
    no_panic(&out.stderr);
}

#[test]
fn a_failure_before_the_first_output_is_retried_before_falling_back() {
    // `mock-fail-before` fails every time: with one retry allowed it is
    // tried twice (the debug log says so), then the fallback answers.
    let out: Output = Sandbox::new()
        .run_with(
            &[("MOCK_MAX_RETRIES", "1")],
            &[
                "-vv",
                "chat",
                "-m",
                "mock/mock-fail-before",
                "--fallback",
                "mock/mock-echo",
                "retried",
            ],
        )
        .ok()
        .says("answered by mock/mock-echo");
    assert_eq!(out.stdout, "retried\n");
    let retries = out
        .stderr
        .lines()
        .filter(|l| l.contains("failed before any output; retrying"))
        .count();
    assert_eq!(retries, 1, "{}", out.stderr);
}

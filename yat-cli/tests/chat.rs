//! `yat chat` one-shot: streaming, stdin, JSON events, errors, fallbacks.

mod common;

use common::{no_panic, Output, Sandbox};

/// `yat ARGS...` with the mock's retries before the first output turned
/// off: these tests are about what happens after them (fallbacks, the
/// error shown), and the mock's rate limit asks for a 2 s wait.
fn run_without_retries(sb: &Sandbox, args: &[&str]) -> Output {
    Output::from(
        sb.yat()
            .args(args)
            .env("MOCK_MAX_RETRIES", "0")
            .output()
            .unwrap(),
    )
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn with_nothing_configured_the_mock_answers_and_stderr_says_so() {
    let out = Sandbox::new().run(&["chat", "Hello"]).ok();
    assert_eq!(out.stdout, "Hello\n");
    assert!(
        out.stderr.contains("using mock/mock-echo"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("yat models default"), "{}", out.stderr);
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
        .yat()
        .args(["chat", "-m", "mock/mock-echo"])
        .write_stdin("from a pipe\n")
        .output()
        .unwrap();
    let out = Output::from(out).ok();
    assert_eq!(out.stdout, "from a pipe\n");
    let out = Output::from(
        sb.yat()
            .args(["chat"])
            .write_stdin("  \n")
            .output()
            .unwrap(),
    );
    out.code(2).one_error_line("the prompt is empty");
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
    let out = sb
        .run(&[
            "chat",
            "-m",
            "mock/mock-long",
            "--max-tokens",
            "2",
            "--temperature",
            "0.2",
            "--top-p",
            "0.9",
            "x",
        ])
        .ok();
    assert_eq!(out.stdout, "yat is a command\n");
    assert!(
        out.stderr.contains("cut at the token limit"),
        "{}",
        out.stderr
    );
}

#[test]
fn system_prompt_and_usage_report() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-echo",
            "-s",
            "be brief",
            "-u",
            "hi there",
        ])
        .ok();
    assert_eq!(out.stdout, "hi there\n");
    // Input tokens count the system prompt's words too.
    assert!(
        out.stderr
            .contains("mock/mock-echo: 4 input tokens, 1 output tokens"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_events_for_scripts() {
    let out = Sandbox::new()
        .run(&["chat", "--json", "-m", "mock/mock-echo", "hello json"])
        .ok();
    let events = json_lines(&out.stdout);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["start", "delta", "delta", "usage", "finish"]);
    assert_eq!(events[0]["provider"], "mock");
    assert_eq!(events[0]["model"], "mock-echo");
    let text: String = events.iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(text, "hello json");
    assert_eq!(events[3]["input_tokens"], 2);
    assert_eq!(events[4]["reason"], "stop");
}

#[test]
fn json_error_event_after_partial_output() {
    let out = Sandbox::new()
        .run(&["chat", "--json", "-m", "mock/mock-fail-mid", "x"])
        .code(1);
    let events = json_lines(&out.stdout);
    let last = events.last().unwrap();
    assert_eq!(last["type"], "error");
    assert_eq!(last["kind"], "network");
    assert_eq!(last["provider"], "mock");
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("injected failure after 3 chunks"));
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

#[test]
fn provider_errors_are_one_line_with_exit_1() {
    let sb = Sandbox::new();
    run_without_retries(&sb, &["chat", "-m", "mock/mock-fail-before", "x"])
        .code(1)
        .one_error_line("mock: server error");
    run_without_retries(&sb, &["chat", "-m", "mock/mock-rate-limited", "x"])
        .code(1)
        .one_error_line("--fallback");
    sb.run(&["chat", "-m", "mock/no-such-model", "x"])
        .code(1)
        .one_error_line("yat models --provider mock");
    let out = Output::from(
        sb.yat()
            .args(["chat", "-m", "mock/mock-echo", "x"])
            .env("MOCK_FAIL", "init")
            .output()
            .unwrap(),
    );
    out.code(1).one_error_line("mock: unavailable");
}

#[test]
fn usage_mistakes_exit_2() {
    let sb = Sandbox::new();
    sb.run(&["chat", "-m", "nope", "x"])
        .code(2)
        .one_error_line("nor an alias");
    sb.run(&["chat", "-m", "nope/x", "x"])
        .code(2)
        .one_error_line("unknown provider \"nope\"; compiled in: ");
    sb.run(&["chat", "-m", "mock/mock-echo", "--fallback", "bad", "x"])
        .code(2)
        .one_error_line("\"bad\"");
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
    sb.run(&["chat", "-m", "mock/mock-echo", "--fallback", " ", "x"])
        .code(2)
        .one_error_line("no model given");
}

#[test]
fn fallback_tries_in_order_and_says_who_answered() {
    let out = run_without_retries(
        &Sandbox::new(),
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
    .ok();
    assert_eq!(out.stdout, "fell back\n");
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    assert!(warnings[0].contains("mock/mock-fail-before failed before answering"));
    assert!(warnings[1].contains("mock/mock-rate-limited failed before answering"));
    assert!(
        out.stderr.contains("note: answered by mock/mock-echo"),
        "{}",
        out.stderr
    );
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
    let out = run_without_retries(
        &sb,
        &[
            "chat",
            "-m",
            "mock/mock-rate-limited",
            "--json",
            "configured",
        ],
    )
    .ok();
    let events = json_lines(&out.stdout);
    assert_eq!(events[0]["model"], "mock-echo");
    assert!(out.stderr.contains("answered by mock/mock-echo"));
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
    let out = run_without_retries(
        &Sandbox::new(),
        &[
            "chat",
            "-m",
            "mock/mock-fail-before",
            "--fallback",
            "mock/mock-rate-limited",
            "x",
        ],
    )
    .code(1);
    assert!(out
        .stderr
        .contains("warning: mock/mock-fail-before failed before answering"));
    out.one_error_line("rate limited");
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
    let out = Output::from(
        Sandbox::new()
            .yat()
            .args([
                "-vv",
                "chat",
                "-m",
                "mock/mock-fail-before",
                "--fallback",
                "mock/mock-echo",
                "retried",
            ])
            .env("MOCK_MAX_RETRIES", "1")
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(out.stdout, "retried\n");
    let retries = out
        .stderr
        .lines()
        .filter(|l| l.contains("failed before any output; retrying"))
        .count();
    assert_eq!(retries, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("answered by mock/mock-echo"),
        "{}",
        out.stderr
    );
}

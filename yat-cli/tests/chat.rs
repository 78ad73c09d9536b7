//! `yat chat` one-shot: streaming, stdin, JSON events, errors, fallbacks.

mod common;

use common::{check_replies, Output, Reply, Sandbox};

/// The mock's retries before the first output turned off: the tests that
/// set it are about what happens after them (fallbacks, the error shown),
/// and the mock's rate limit asks for a 2 s wait.
const NO_RETRIES: &[(&str, &str)] = &[("MOCK_MAX_RETRIES", "0")];

/// What a prompt gets on stdout, and the notes on stderr that go with it.
#[test]
fn each_prompt_gets_its_reply() {
    check_replies(&[
        Reply {
            name: "with nothing configured the mock answers and stderr says so",
            args: &["chat", "Hello"],
            stdout: "Hello\n",
            stderr: &["using mock/mock-echo", "yat models default"],
        },
        Reply {
            name: "words are joined and options may follow the prompt",
            args: &["chat", "two", "words", "-m", "mock/mock-echo"],
            stdout: "two words\n",
            stderr: &[],
        },
        Reply {
            name: "a stop sequence reaches the provider",
            args: &["chat", "-m", "mock/mock-echo", "--stop", ". ", "one. two"],
            stdout: "one\n",
            stderr: &[],
        },
        Reply {
            name: "sampling options reach the provider",
            args: &[
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
            ],
            stdout: "yat is a command\n",
            stderr: &["cut at the token limit"],
        },
        // Input tokens count the system prompt's words too.
        Reply {
            name: "system prompt and usage report",
            args: &[
                "chat",
                "-m",
                "mock/mock-echo",
                "-s",
                "be brief",
                "-u",
                "hi there",
            ],
            stdout: "hi there\n",
            stderr: &["mock/mock-echo: 4 input tokens, 1 output tokens"],
        },
        Reply {
            name: "verbose logging goes to stderr only",
            args: &["-vvv", "chat", "-m", "mock/mock-echo", "quiet stdout"],
            stdout: "quiet stdout\n",
            stderr: &[],
        },
    ]);
}

#[test]
fn prompt_from_piped_stdin() {
    let sb = Sandbox::new();
    let out = sb
        .run_stdin(&["chat", "-m", "mock/mock-echo"], "from a pipe\n")
        .ok();
    assert_eq!(out.stdout, "from a pipe\n");
    // An empty prompt is a usage error, as text or as JSON.
    for (args, input) in [(&["chat"][..], "  \n"), (&["chat", "--json"], "")] {
        sb.run_stdin(args, input)
            .code(2)
            .one_error_line("the prompt is empty");
    }
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
    let last = out.error_event();
    assert_eq!(last["kind"], "network");
    assert_eq!(last["provider"], "mock");
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("injected failure after 3 chunks"));
    assert_eq!(last["remedies"], serde_json::json!([]));
    assert!(last.get("request_id").is_none(), "the mock sends none");
    assert_eq!(
        out.events().iter().filter(|e| e["type"] == "delta").count(),
        3
    );
    out.one_error_line("mock: network error");
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
    struct Failing {
        name: &'static str,
        env: &'static [(&'static str, &'static str)],
        args: &'static [&'static str],
        code: i32,
        needle: &'static str,
    }
    let cases = [
        Failing {
            name: "a server error",
            env: NO_RETRIES,
            args: &["-m", "mock/mock-fail-before"],
            code: 1,
            needle: "mock: server error",
        },
        Failing {
            name: "a rate limit suggests a fallback",
            env: NO_RETRIES,
            args: &["-m", "mock/mock-rate-limited"],
            code: 1,
            needle: "--fallback",
        },
        Failing {
            name: "an unknown model names the listing",
            env: &[],
            args: &["-m", "mock/no-such-model"],
            code: 1,
            needle: "yat models --provider mock",
        },
        Failing {
            name: "a provider that failed to start",
            env: &[("MOCK_FAIL", "init")],
            args: &["-m", "mock/mock-echo"],
            code: 1,
            needle: "error: mock: unavailable: injected failure in initialize",
        },
        Failing {
            name: "neither a model nor an alias",
            env: &[],
            args: &["-m", "nope"],
            code: 2,
            needle: "nor an alias",
        },
        Failing {
            name: "an unknown provider lists the others",
            env: &[],
            args: &["-m", "nope/x"],
            code: 2,
            needle: "unknown provider \"nope\"; compiled in: ",
        },
        Failing {
            name: "a bad fallback",
            env: &[],
            args: &["-m", "mock/mock-echo", "--fallback", "bad"],
            code: 2,
            needle: "\"bad\"",
        },
        Failing {
            name: "a blank fallback is no model",
            env: &[],
            args: &["-m", "mock/mock-echo", "--fallback", " "],
            code: 2,
            needle: "no model given",
        },
    ];
    let sb = Sandbox::new();
    for case in cases {
        let out = sb.run_with(case.env, &[&["chat"], case.args, &["x"]].concat());
        assert_eq!(out.code, case.code, "{}: {}", case.name, out.stderr);
        out.one_error_line(case.needle);
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
    let error = out.error_event();
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

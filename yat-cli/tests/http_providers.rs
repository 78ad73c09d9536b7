//! `yat chat` against real HTTP providers: pointed at any OpenAI- or
//! Anthropic-compatible server with `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL`
//! (here the fake server on 127.0.0.1), it streams the reply byte for byte
//! and sends the documented request.
#![cfg(all(feature = "openai", feature = "anthropic"))]

mod common;

use std::time::Duration;

use common::{serve, Api, Output, Run, Sandbox, KEY};
use yat_fakeserver::{FakeServer, Split};

const PIECES: &[&str] = &["Bonjour", ", ", "le ", "monde ", "— ", "ça ", "va ?"];

/// `yat chat --no-history -m MODEL FLAGS... "Say hello"` at a server that
/// streams [`PIECES`] split as `split`; it must succeed and show no key.
fn say_hello(api: Api, split: Split, flags: &[&str]) -> (FakeServer, Output) {
    let server = serve(api, vec![api.stream(PIECES).split(split)]);
    let out = Sandbox::new()
        .at(api, &server.url())
        .timeout(Duration::from_secs(30))
        .args(["chat", "--no-history", "-m", api.model()])
        .args(flags)
        .arg("Say hello")
        .run()
        .ok();
    assert!(!out.stderr.contains("planted"), "{}", out.stderr);
    (server, out)
}

/// The README's recipe: `OPENAI_BASE_URL=… yat chat -m openai/MODEL
/// --max-tokens N` at a compatible server, which reads `max_tokens` (and
/// ignores OpenAI's `max_completion_tokens`: a reply asked to stop ran on).
#[test]
fn openai_base_url_points_yat_chat_at_any_compatible_server() {
    let (server, out) = say_hello(
        Api::OpenAi,
        Split::EveryByte,
        &["-s", "Be brief.", "--max-tokens", "100"],
    );
    assert_eq!(out.stdout, format!("{}\n", PIECES.concat()));

    let req = &server.requests()[0];
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body = req.json();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "Say hello");
    assert_eq!(body["max_tokens"], 100, "{body}");
    assert!(body.get("max_completion_tokens").is_none(), "{body}");
}

#[test]
fn anthropic_base_url_points_yat_chat_at_the_server() {
    let (server, out) = say_hello(Api::Anthropic, Split::Size(5), &["--json"]);
    assert_eq!(out.delta_text(), PIECES.concat());
    let events = out.events();
    let last = events.last().unwrap();
    assert_eq!(last["type"], "finish");
    assert_eq!(last["raw"], "end_turn");
    assert!(events
        .iter()
        .any(|e| e["type"] == "usage" && e["input_tokens"] == 9 && e["output_tokens"] == 7));

    let req = &server.requests()[0];
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.json()["stream"], true);
}

/// Nothing listening at the base URL: one line naming the URL and asking
/// whether the server runs, no transport chain, and no retry (the refusal
/// was retried twice, 1.2 s, and shown as `error sending request: client
/// error (Connect): tcp connect error: Connection refused (os error 111)`).
#[test]
fn a_refused_connection_names_the_url_at_once() {
    let url = common::closed_port_url();
    let started = std::time::Instant::now();
    let out = Sandbox::new()
        .at(Api::OpenAi, &url)
        .args(["chat", "--no-history", "-m", Api::OpenAi.model(), "Hi"])
        .run()
        .code(1)
        .one_error_line(&format!(
            "error: openai: network error: cannot connect to {url}/v1/chat/completions \
             (connection refused): is the server running?"
        ));
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1000), "retried? {took:?}");
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

/// `--key` is the model's provider's key for this call only: it goes in
/// the request (before a key from the environment), is never shown, even
/// when the server echoes it back, and is stored nowhere.
#[test]
fn a_key_for_one_call_is_sent_and_never_shown_or_stored() {
    const ONE_CALL: &str = "sk-one-call-PLANTEDq8w7e6";
    let echo = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {ONE_CALL}","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
    );
    let server = serve(
        Api::OpenAi,
        vec![
            Api::OpenAi.stream(&["Hi"]),
            yat_fakeserver::Response::json(401, &echo),
        ],
    );
    let sb = Sandbox::new();
    // The environment has another key; --key wins.
    let chat = || {
        sb.at(Api::OpenAi, &server.url())
            .args(["chat", "-m", Api::OpenAi.model(), "--key", ONE_CALL, "Hi"])
            .run()
    };
    let ok = chat().ok();
    assert_eq!(ok.stdout, "Hi\n");
    let refused = chat()
        .code(1)
        .one_error_line("openai: authentication failed");
    for out in [&ok, &refused] {
        assert!(
            !out.stdout.contains("PLANTED") && !out.stderr.contains("PLANTED"),
            "{out:?}"
        );
    }
    for req in server.requests() {
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {ONE_CALL}").as_str())
        );
    }
    // Stored nowhere yat writes.
    for file in [sb.keys_file(), sb.config_file()] {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(!text.contains("PLANTED"), "{}", file.display());
    }
    #[cfg(feature = "history")]
    assert!(!sb
        .run(&["log", "show", "--json"])
        .ok()
        .stdout
        .contains("PLANTED"));

    sb.check_errors(
        2,
        &[
            (
                &["chat", "-m", "mock/mock-echo", "--key", "k", "hi"],
                "--key: mock takes no API key",
            ),
            (
                &["chat", "-m", Api::OpenAi.model(), "--key", " ", "hi"],
                "--key is empty",
            ),
        ],
    );
}

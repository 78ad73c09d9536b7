//! `-m NAME` with a bare model name (no provider, not an alias): found in
//! the ready providers' listings when exactly one lists it, else "did you
//! mean PROVIDER/MODEL?". Local servers are the fake server on 127.0.0.1.
#![cfg(all(feature = "llamacpp", feature = "ollama"))]

mod common;

use common::{Output, Run, Sandbox};
use serde_json::json;
use yat_fakeserver::{openai_stream, FakeServer, Response, Route};

const LOCALS: [&str; 4] = ["llamacpp", "lmstudio", "ollama", "vllm"];

/// An OpenAI-compatible server listing `gemma-3-270m` and answering "Hi!".
fn local_server() -> FakeServer {
    let routes = vec![
        Route::new("GET", "/v1/models").respond(Response::json(
            200,
            r#"{"object":"list","data":[{"id":"gemma-3-270m","object":"model"}]}"#,
        )),
        Route::new("POST", "/v1/chat/completions").respond(Response::sse(&openai_stream(&["Hi!"]))),
    ];
    FakeServer::start_blocking("127.0.0.1:0".parse().unwrap(), routes, true).unwrap()
}

/// A sandbox where the local servers `at` are pointed at `server` and the
/// other local ones are disabled (nothing on this machine is asked).
fn sandbox(server: &FakeServer, at: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    let url = format!("{}/v1", server.url());
    let providers: Vec<_> = LOCALS
        .iter()
        .map(|id| match at.contains(id) {
            true => json!({"id": id, "settings": [{"key": "base_url", "value": url}]}),
            false => json!({"id": id, "enabled": false}),
        })
        .collect();
    sb.write_config(&json!({ "providers": providers }).to_string());
    sb
}

fn chat(sb: &Sandbox, model: &str) -> Output {
    sb.yat()
        .args(["chat", "--no-history", "-m", model, "Hello"])
        .run()
}

fn chats(server: &FakeServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

#[test]
fn a_bare_name_one_provider_lists_is_that_providers_model() {
    let server = local_server();
    let sb = sandbox(&server, &["llamacpp"]);
    let out = chat(&sb, "gemma-3-270m").ok();
    assert_eq!(out.stdout, "Hi!\n");
    assert!(
        out.stderr.contains(
            "using llamacpp/gemma-3-270m (the only ready provider listing \"gemma-3-270m\")"
        ),
        "{}",
        out.stderr
    );
    let sent = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(sent.json()["model"], "gemma-3-270m");

    // The default model is named the same way.
    sb.run(&["models", "default", "gemma-3-270m"]).ok();
    assert_eq!(sb.config_json()["default_model"], "llamacpp/gemma-3-270m");
}

#[test]
fn a_bare_name_nothing_lists_suggests_the_closest_and_sends_nothing() {
    let server = local_server();
    let sb = sandbox(&server, &["llamacpp"]);
    let cases = [
        (
            "gemma-3-27m",
            "error: \"gemma-3-27m\" is neither PROVIDER/MODEL nor an alias, and no ready provider \
             lists it: did you mean llamacpp/gemma-3-270m?",
        ),
        (
            "claude",
            "error: \"claude\" is neither PROVIDER/MODEL (for example mock/mock-echo) nor an alias \
             (see `yat alias list`), and no ready provider lists a model by that name (see `yat models`)",
        ),
    ];
    for (model, line) in cases {
        let out = chat(&sb, model).code(2).one_error_line(line);
        assert_eq!(out.stdout, "");
    }
    assert_eq!(chats(&server), 0);
}

#[test]
fn a_bare_name_several_providers_list_asks_which() {
    let server = local_server();
    let sb = sandbox(&server, &["llamacpp", "ollama"]);
    chat(&sb, "gemma-3-270m").code(2).one_error_line(
        "error: \"gemma-3-270m\" is listed by several providers (llamacpp/gemma-3-270m, \
         ollama/gemma-3-270m): name one as PROVIDER/MODEL",
    );
    assert_eq!(chats(&server), 0);
}

/// The cheap checks come first: an alias or PROVIDER/MODEL never waits on a
/// listing.
#[test]
fn an_alias_or_a_full_reference_lists_nothing() {
    let server = local_server();
    let sb = sandbox(&server, &["llamacpp"]);
    sb.run(&["alias", "set", "gemma-3-270m", "mock/mock-echo"])
        .ok();
    assert_eq!(chat(&sb, "gemma-3-270m").ok().stdout, "Hello\n");
    assert_eq!(chat(&sb, "llamacpp/gemma-3-270m").ok().stdout, "Hi!\n");
    let listings = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(listings, 0);
}

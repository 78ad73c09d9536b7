//! `-o KEY VALUE`: model options sent as request fields, checked against
//! what the provider declares (Anthropic) or passed through as they are
//! (a compatible server, which has knobs of its own); and `yat models
//! --options` listing them.
#![cfg(all(feature = "openai", feature = "anthropic"))]

mod common;

use common::{serve, Api, Output, Run, Sandbox};
use serde_json::json;
use yat_fakeserver::FakeServer;

/// `yat chat -m MODEL FLAGS... "Hi"` at `api`'s fake server.
fn chat(api: Api, flags: &[&str]) -> (FakeServer, Output) {
    let server = serve(api, vec![api.stream(&["Hi"])]);
    let out = Sandbox::new()
        .at(api, &server.url())
        .args(["chat", "--no-history", "-m", api.model()])
        .args(flags)
        .arg("Hi")
        .run();
    (server, out)
}

#[test]
fn declared_options_are_sent_typed() {
    let (server, out) = chat(
        Api::Anthropic,
        &[
            "-o",
            "top_k",
            "40",
            "-o",
            "metadata",
            r#"{"user_id": "u-1"}"#,
        ],
    );
    out.ok();
    let body = server.requests()[0].json();
    assert_eq!(body["top_k"], 40);
    assert_eq!(body["metadata"], json!({"user_id": "u-1"}));
}

#[test]
fn a_mistaken_option_is_refused_before_anything_is_sent() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-o", "top-k", "40"],
            "anthropic: options not supported: no option \"top-k\"; the model's options are \
             top_k, metadata, service_tier (see `yat models --options anthropic/MODEL`)",
        ),
        (
            &["-o", "top_k", "many"],
            "top_k takes a whole number, not \"many\"",
        ),
    ];
    for (flags, needle) in cases {
        let (server, out) = chat(Api::Anthropic, flags);
        out.code(2).one_error_line(needle);
        assert!(server.requests().is_empty());
    }
}

#[test]
fn a_server_that_declares_none_gets_any_field() {
    let (server, out) = chat(
        Api::OpenAi,
        &[
            "-o", "min_p", "0.05", "-o", "mode", "fast", "-o", "ids", "[1, 2]",
        ],
    );
    out.ok();
    let body = server.requests()[0].json();
    assert_eq!(body["min_p"], 0.05);
    assert_eq!(body["mode"], "fast");
    assert_eq!(body["ids"], json!([1, 2]));
}

#[test]
fn models_lists_the_options_a_provider_declares() {
    let sb = Sandbox::new();
    let anthropic = |args: &[&str]| sb.at(Api::Anthropic, "http://127.0.0.1:9").args(args).run();
    let table = anthropic(&["models", "--options", Api::Anthropic.model()])
        .ok()
        .stdout;
    let names: Vec<&str> = table
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["OPTION", "top_k", "metadata", "service_tier"]);
    let list = anthropic(&["models", "--options", Api::Anthropic.model(), "--json"])
        .ok()
        .json();
    assert_eq!(list[0]["name"], "top_k");
    assert_eq!(list[0]["kind"], "integer");

    let none = sb
        .at(Api::OpenAi, "http://127.0.0.1:9")
        .args(["models", "--options", Api::OpenAi.model()])
        .run()
        .ok()
        .says("openai declares no options: -o KEY VALUE sends any field");
    assert_eq!(none.stdout, "");
}

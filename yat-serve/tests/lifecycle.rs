//! The gateway over time: graceful shutdown (streams in flight finish,
//! within the grace period), configuration changes applied without a
//! restart (and a broken file ignored), and the request log.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::capture::{self, Logged};
use support::{
    bounded, eventually, next_text, read_sse, rest_text, status_and_json, Format, Running, Setup,
};
use yat_providers::mock::CANNED_REPLY;

/// Whether a new connection to the gateway is refused.
async fn refuses_connections(gw: &Running) -> bool {
    let addr = gw.url.trim_start_matches("http://");
    tokio::net::TcpStream::connect(addr).await.is_err()
}

/// Shutdown stops accepting at once, lets the stream in flight finish
/// whole, and then `serve` returns.
#[tokio::test]
async fn shutdown_lets_a_stream_in_flight_finish_then_serve_returns() {
    // The canned reply in 18 chunks, 20 ms apart: about 0.35 s.
    let mut gw = Setup::default()
        .provider("mock", &[("chunk_size", "100")])
        .start()
        .await;
    let mut reply = gw.say(Format::Anthropic, "mock/mock-slow", "x", true).await;
    let mut text = next_text(&mut reply).await;
    let served = gw.begin_shutdown();
    eventually("new connections refused", || async {
        refuses_connections(&gw).await.then_some(())
    })
    .await;
    text.push_str(&rest_text(&mut reply).await);
    let frames = support::parse_sse(&text);
    assert!(
        Format::Anthropic.completed(&frames),
        "the stream finished whole"
    );
    assert_eq!(Format::Anthropic.streamed_text(&frames), CANNED_REPLY);
    bounded("serve returning", served).await.unwrap().unwrap();
}

/// A stream that would outlast the grace period is cut when it ends:
/// `serve` returns after the grace period, and the client sees its
/// connection closed rather than a stream that goes on.
#[tokio::test]
async fn shutdown_closes_what_is_still_open_after_the_grace_period() {
    let mut gw = Setup::default()
        .serve(json!({ "limits": { "shutdown_grace_secs": 1 } }))
        .start()
        .await;
    // About 4 s of reply: far past the grace period.
    let mut reply = gw.say(Format::OpenAi, "mock/mock-slow", "x", true).await;
    next_text(&mut reply).await;
    let started = Instant::now();
    let served = gw.begin_shutdown();
    bounded("serve returning", served).await.unwrap().unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The stream must end now, not run on to its own end about 3 s later.
    let cut = Instant::now();
    let rest = rest_text(&mut reply).await;
    assert!(
        cut.elapsed() < Duration::from_millis(500),
        "the stream went on for {:?} after serve returned",
        cut.elapsed()
    );
    assert!(!rest.contains("[DONE]"), "the reply was not cut");
}

/// Aliases, the model map and limits change with the file, without a
/// restart; a file that no longer parses changes nothing.
#[tokio::test]
async fn configuration_changes_apply_without_a_restart() {
    let gw = Setup::default().start().await;
    let big = "x".repeat(2000);
    let status = |model: &'static str, text: &str| {
        let body = Format::OpenAi.body(model, text, false);
        let gw = &gw;
        async move { gw.chat(Format::OpenAi, &body).await.status().as_u16() }
    };
    assert_eq!(status("fast", "hi").await, 404);
    assert_eq!(status("gpt-4o", "hi").await, 404);
    let config = json!({
        "providers": [],
        "aliases": { "fast": "mock/mock-echo" },
        "serve": {
            "models": { "gpt-4o": "mock/mock-long" },
            "limits": { "max_body_bytes": 1024 }
        }
    });
    gw.write_config(&config);
    eventually("the alias served", || async {
        (status("fast", "hi").await == 200).then_some(())
    })
    .await;
    let r = gw.say(Format::Anthropic, "gpt-4o", "hi", false).await;
    assert_eq!(r.headers()["x-yat-model"], "mock/mock-long");
    let (code, body) = status_and_json(r).await;
    assert_eq!((code, body["model"].as_str()), (200, Some("gpt-4o")));
    assert_eq!(status("fast", &big).await, 413, "the new limit");

    // A typo in the `serve` object, then a file that is not JSON: each is
    // refused, and the last good configuration stays in force.
    let mut typo = config.clone();
    typo["serve"]["limits"]["max_body_byte"] = json!(1);
    typo["aliases"] = json!({});
    for broken in [typo.to_string(), "{ not json".to_owned()] {
        std::fs::write(gw.config_file(), broken).unwrap();
        assert!(
            !matches!(gw.gateway.reload().await, Ok(true)),
            "a broken file is not applied"
        );
        assert_eq!(status("fast", "still").await, 200);
        assert_eq!(status("fast", &big).await, 413);
    }
}

/// A stream already running keeps the provider instance it started on
/// when that provider's settings change: it finishes as it began, while
/// the next request meets the new settings.
#[tokio::test]
async fn a_stream_keeps_its_provider_instance_across_a_reload() {
    let mut config = json!({ "providers": [{ "id": "mock", "settings": [
        { "key": "chunk_size", "value": "100" }, { "key": "delay_ms", "value": "30" } ] }] });
    let gw = Setup::default()
        .provider("mock", &[("chunk_size", "100"), ("delay_ms", "30")])
        .start()
        .await;
    let mut reply = gw.say(Format::OpenAi, "mock/mock-long", "x", true).await;
    let mut text = next_text(&mut reply).await;
    // From now on every mock stream fails.
    config["providers"][0]["settings"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "key": "fail", "value": "stream" }));
    gw.write_config(&config);
    assert!(bounded("a reload", gw.gateway.reload()).await.unwrap());
    let after = gw.say(Format::OpenAi, "mock/mock-echo", "x", false).await;
    assert_eq!(
        after.status(),
        502,
        "the new settings apply to the next request"
    );
    text.push_str(&rest_text(&mut reply).await);
    let frames = support::parse_sse(&text);
    assert!(Format::OpenAi.completed(&frames));
    assert_eq!(Format::OpenAi.streamed_text(&frames), CANNED_REPLY);
}

/// The access-log line of the request `id`.
async fn log_line(id: &str) -> Logged {
    eventually("the request's log line", || async {
        capture::access_log()
            .into_iter()
            .find(|l| l.get("request_id") == Some(id))
    })
    .await
}

fn request_id(r: &reqwest::Response) -> String {
    r.headers()["x-request-id"].to_str().unwrap().to_owned()
}

/// Each exchange is one line: request id, key name, model, status,
/// tokens, time to first byte — and never the key, nor the prompt.
#[tokio::test]
async fn the_request_log_names_the_key_never_shows_it_nor_the_prompt() {
    capture::install();
    let gw = Setup::default().start().await;
    let prompt = "the secret prompt 8c1f";
    let wrong_key = "yat-wrong-key-5e2a9b";

    let whole = gw
        .say(Format::OpenAi, "mock/mock-echo", prompt, false)
        .await;
    let whole_id = request_id(&whole);
    let (_, body) = status_and_json(whole).await;
    let streamed = gw
        .say(Format::Anthropic, "mock/mock-echo", prompt, true)
        .await;
    let streamed_id = request_id(&streamed);
    read_sse(streamed).await;
    let refused = gw
        .http
        .post(format!("{}/v1/messages", gw.url))
        .header("x-api-key", wrong_key)
        .json(&Format::Anthropic.body("mock/mock-echo", prompt, false))
        .send()
        .await
        .unwrap();
    let refused_id = request_id(&refused);
    assert_eq!(refused.status(), 401);

    let line = log_line(&whole_id).await;
    for (field, want) in [
        ("format", "openai"),
        ("key", "tests"),
        ("model", "mock/mock-echo"),
        ("served", "mock/mock-echo"),
        ("status", "200"),
        ("stream", "false"),
        ("ending", "completed"),
    ] {
        assert_eq!(line.get(field), Some(want), "{field} in {line:?}");
    }
    let number = |l: &Logged, f: &str| -> f64 { l.get(f).unwrap().parse().unwrap() };
    assert_eq!(
        number(&line, "input_tokens"),
        body["usage"]["prompt_tokens"].as_f64().unwrap()
    );
    assert_eq!(
        number(&line, "output_tokens"),
        body["usage"]["completion_tokens"].as_f64().unwrap()
    );
    assert!(number(&line, "ttfb_ms") >= 0.0);
    assert!(number(&line, "duration_ms") >= number(&line, "ttfb_ms"));
    assert_eq!(line.get("prompt"), None);

    let line = log_line(&streamed_id).await;
    assert_eq!(
        (
            line.get("format"),
            line.get("stream"),
            line.get("ending"),
            line.get("status")
        ),
        (
            Some("anthropic"),
            Some("true"),
            Some("completed"),
            Some("200")
        )
    );
    assert!(number(&line, "output_tokens") > 0.0);

    let line = log_line(&refused_id).await;
    assert_eq!(
        (line.get("status"), line.get("key")),
        (Some("401"), Some("-"))
    );

    for logged in capture::logged() {
        let text = logged.text();
        for secret in [gw.key.as_str(), wrong_key, prompt] {
            assert!(!text.contains(secret), "{secret:?} logged: {text}");
        }
    }
}

/// With `log_prompts` on, the line carries the last user message.
#[tokio::test]
async fn the_prompt_is_logged_only_when_asked_for() {
    capture::install();
    let gw = Setup::default()
        .serve(json!({ "log_prompts": true }))
        .start()
        .await;
    let r = gw
        .say(Format::OpenAi, "mock/mock-echo", "log me 3d9", false)
        .await;
    let line = log_line(&request_id(&r)).await;
    assert_eq!(line.get("prompt"), Some("log me 3d9"));
}

/// The router mounts in a program's own axum app, under a prefix of its
/// choosing, and answers there as it does on its own.
#[tokio::test]
async fn the_router_mounts_in_another_axum_app() {
    let built = Setup::default().build().await;
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "the host app" }))
        .nest_service("/llm", built.gateway.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let reply: serde_json::Value = http
        .post(format!("{url}/llm/v1/chat/completions"))
        .bearer_auth(&built.key)
        .json(&Format::OpenAi.body("mock/mock-echo", "mounted", false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(Format::OpenAi.reply_text(&reply), "mounted");
    let host = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(host, "the host app");
    server.abort();
}

//! The limits a public server needs: body size, requests per minute per
//! key, streams at once, the idle timeout on clients that stop reading or
//! never finish sending, and CORS.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Method;
use serde_json::json;
use support::{bounded, read_sse, status_and_json, Format, Running, Setup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yat_fakeserver::{FakeServer, Generated, Response, Route};

/// A valid request whose body is about `size` bytes (the message pads it).
fn body_of_size(format: Format, size: usize) -> serde_json::Value {
    let base = format.body("mock/mock-echo", "", false).to_string().len();
    format.body(
        "mock/mock-echo",
        &"x".repeat(size.saturating_sub(base)),
        false,
    )
}

/// Over the limit is the format's 413 — declared in `content-length` or
/// sent chunked with no length — and a body at the limit is served.
#[tokio::test]
async fn a_body_over_the_limit_is_413_however_it_is_sent() {
    let gw = Setup::default()
        .serve(json!({ "limits": { "max_body_bytes": 1024 } }))
        .start()
        .await;
    for format in Format::BOTH {
        let at_limit = body_of_size(format, 1024);
        assert_eq!(at_limit.to_string().len(), 1024);
        let r = gw.chat(format, &at_limit).await;
        assert_eq!(r.status(), 200, "{format:?}: a body at the limit");

        let over = body_of_size(format, 4096).to_string();
        let declared = format
            .headers(gw.request(Method::POST, format.path()))
            .header("content-type", "application/json")
            .body(over.clone());
        let pieces: Vec<Result<Bytes, std::io::Error>> = over
            .as_bytes()
            .chunks(512)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let chunked = format
            .headers(gw.request(Method::POST, format.path()))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)));
        for (how, request) in [("content-length", declared), ("chunked", chunked)] {
            let (status, body) = status_and_json(request.send().await.unwrap()).await;
            assert_eq!(status, 413, "{format:?} {how}: {body}");
            let expected = match format {
                Format::OpenAi => "invalid_request_error",
                Format::Anthropic => "request_too_large",
            };
            assert_eq!(format.error_type(&body), expected, "{format:?} {how}");
            assert!(format.error_message(&body).contains("1024 bytes"), "{body}");
        }
    }
}

/// A raw HTTP/1.1 exchange: `head` (and nothing more) sent, then the
/// response read until the gateway closes the connection or `wait` ends.
async fn raw_exchange(gw: &Running, head: &str, wait: Duration) -> String {
    let addr = gw.url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                out.extend_from_slice(&buf[..n]);
                // A whole JSON error body has arrived.
                if out.ends_with(b"}") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A body declared as 1 GiB is refused from its headers, at once: the
/// gateway neither waits for nor buffers it.
#[tokio::test]
async fn a_huge_declared_body_is_refused_before_it_is_sent() {
    let gw = Setup::default().start().await;
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        gw.key,
        1u64 << 30
    );
    let started = Instant::now();
    let response = raw_exchange(&gw, &head, Duration::from_secs(5)).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// A client that sends its headers but not the body it declared is
/// answered 408 after the idle timeout, and the connection is closed.
#[tokio::test]
async fn a_body_that_never_arrives_is_408_after_the_idle_timeout() {
    let gw = Setup::default()
        .serve(json!({ "limits": { "idle_timeout_secs": 1 } }))
        .start()
        .await;
    let head = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"model\":",
        gw.key
    );
    let started = Instant::now();
    let response = raw_exchange(&gw, &head, Duration::from_secs(5)).await;
    let waited = started.elapsed();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"timeout_error\""), "{response}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

/// A request head that never completes (slowloris) holds a connection
/// only until the idle timeout: hyper's header-read timeout closes it
/// without a response.
#[tokio::test]
async fn a_request_head_that_never_completes_is_dropped_after_the_idle_timeout() {
    let gw = Setup::default()
        .serve(json!({ "limits": { "idle_timeout_secs": 1 } }))
        .start()
        .await;
    let started = Instant::now();
    let response = raw_exchange(
        &gw,
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api",
        Duration::from_secs(5),
    )
    .await;
    let waited = started.elapsed();
    assert!(!response.contains("200 OK"), "{response}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "closed after {waited:?}"
    );
}

/// Requests a minute per key: the gateway's limit, then a key's own;
/// past it the format's 429 with `retry-after`, and other keys unaffected.
#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let gw = Setup::default()
        .serve(json!({ "limits": { "requests_per_minute": 3 } }))
        .start()
        .await;
    let (_, tight) = gw.keys().create("tight", Some(1)).unwrap();
    let (_, other) = gw.keys().create("other", None).unwrap();
    let send = |key: &str, format: Format| {
        format
            .headers(
                gw.http
                    .post(format!("{}{}", gw.url, format.path()))
                    .bearer_auth(key),
            )
            .json(&format.body("mock/mock-echo", "hi", false))
            .send()
    };
    // (key, format, expected status): the gateway's 3 for `tests`, one
    // for `tight`, and `other` untouched by both.
    let script = [
        (&gw.key, Format::OpenAi, 200),
        (&gw.key, Format::Anthropic, 200),
        (&gw.key, Format::OpenAi, 200),
        (&gw.key, Format::OpenAi, 429),
        (&gw.key, Format::Anthropic, 429),
        (&tight, Format::Anthropic, 200),
        (&tight, Format::OpenAi, 429),
        (&other, Format::OpenAi, 200),
    ];
    for (i, (key, format, want)) in script.into_iter().enumerate() {
        let r = send(key, format).await.unwrap();
        let retry_after = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        let (status, body) = status_and_json(r).await;
        assert_eq!(status, want, "step {i}: {body}");
        if want == 429 {
            let expected = match format {
                Format::OpenAi => "requests",
                Format::Anthropic => "rate_limit_error",
            };
            assert_eq!(format.error_type(&body), expected);
            // 3 a minute (or 1): the next one is 20 s (or 60 s) away.
            assert!(
                matches!(retry_after, Some(1..=60)),
                "step {i}: {retry_after:?}"
            );
        }
    }
}

/// Past the concurrent-stream limit a stream is refused with
/// `retry-after` (503 in OpenAI's format, Anthropic's 529 "overloaded");
/// whole replies still go through, and the slot is free again once the
/// stream holding it is gone.
#[tokio::test]
async fn streams_over_the_limit_are_refused_until_a_slot_frees() {
    let gw = Setup::default()
        .serve(json!({ "limits": { "max_concurrent_streams": 1 } }))
        .start()
        .await;
    let mut holder = gw.say(Format::OpenAi, "mock/mock-slow", "x", true).await;
    assert_eq!(holder.status(), 200);
    let first = support::next_text(&mut holder).await;
    assert!(first.starts_with("data: "), "{first}");
    for (format, status, kind) in [
        (Format::OpenAi, 503, "server_error"),
        (Format::Anthropic, 529, "overloaded_error"),
    ] {
        let r = gw.say(format, "mock/mock-echo", "x", true).await;
        assert!(r.headers().contains_key("retry-after"), "{format:?}");
        let (got, body) = status_and_json(r).await;
        assert_eq!(got, status, "{format:?}: {body}");
        assert_eq!(format.error_type(&body), kind);
        let whole = gw.say(format, "mock/mock-echo", "whole", false).await;
        assert_eq!(
            whole.status(),
            200,
            "{format:?}: whole replies hold no slot"
        );
    }
    drop(holder);
    gw.wait_streams_closed().await;
    let frames = read_sse(
        gw.say(Format::Anthropic, "mock/mock-echo", "again", true)
            .await,
    )
    .await;
    assert_eq!(Format::Anthropic.streamed_text(&frames), "again");
}

/// A client that asks for a stream and then never reads it: once the
/// socket is full the gateway's writes wait, and after the idle timeout
/// the connection is dropped — and with it the upstream request, which
/// the fake server sees go away. The slot is freed and the gateway keeps
/// serving.
#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_its_upstream_cancelled() {
    // Far more than the sockets between the three can hold.
    let upstream = FakeServer::start(vec![Route::new("POST", "/v1/chat/completions").respond(
        Response::generated(Generated::new(yat_fakeserver::Format::OpenAi, 2_000_000)),
    )])
    .await
    .unwrap();
    let gone = upstream.disconnects();
    let gw = Setup::default()
        .serve(json!({ "limits": { "idle_timeout_secs": 1 } }))
        .provider("openai", &[("base_url", &format!("{}/v1", upstream.url()))])
        .env("OPENAI_API_KEY", "sk-upstream")
        .start()
        .await;
    let body = Format::OpenAi.body("openai/gpt-x", "go", true).to_string();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    // A small window, so the gateway's writes block soon.
    socket.set_recv_buffer_size(4096).unwrap();
    let addr = gw.url.trim_start_matches("http://").parse().unwrap();
    let mut client = socket.connect(addr).await.unwrap();
    client
        .write_all(
            format!(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
                 content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                gw.key,
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let started = Instant::now();
    bounded("the upstream request cancelled", gone.past(0)).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "dropped before the idle timeout: {took:?}"
    );
    gw.wait_streams_closed().await;
    // The client, reading at last, gets what was sent and then the end
    // of the connection: a reply cut short, not a hung socket.
    let mut rest = Vec::new();
    let _ = bounded("the connection closed", client.read_to_end(&mut rest)).await;
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..text.len().min(200)]
    );
    assert!(!text.contains("[DONE]"));
    let frames = read_sse(
        gw.say(Format::OpenAi, "mock/mock-echo", "still here", true)
            .await,
    )
    .await;
    assert_eq!(Format::OpenAi.streamed_text(&frames), "still here");
    assert_eq!(
        gw.metric(
            r#"yat_gateway_errors_total{dialect="openai",provider="openai",kind="client_gone"}"#
        )
        .await,
        1.0
    );
}

/// CORS is off unless configured: no `access-control-allow-origin` for any
/// origin; configured, the named origin (only) gets it, preflight
/// included.
#[tokio::test]
async fn cors_is_off_by_default_and_on_for_a_configured_origin() {
    let app = "https://app.example";
    let preflight = |gw: &Running, origin: &str| {
        gw.http
            .request(Method::OPTIONS, format!("{}/v1/chat/completions", gw.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let simple = |gw: &Running, origin: &str| {
        gw.request(Method::GET, "/v1/models")
            .header("origin", origin)
            .send()
    };
    let allowed = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    let closed = Setup::default().start().await;
    for r in [
        preflight(&closed, app).await.unwrap(),
        simple(&closed, app).await.unwrap(),
    ] {
        assert_eq!(allowed(&r), None, "{:?}", r.headers());
    }

    let open = Setup::default()
        .serve(json!({ "cors_origins": [app] }))
        .start()
        .await;
    let r = preflight(&open, app).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(allowed(&r).as_deref(), Some(app));
    let methods = r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let headers = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(headers.contains("authorization"), "{headers}");
    let r = simple(&open, app).await.unwrap();
    assert_eq!(
        (r.status().as_u16(), allowed(&r).as_deref()),
        (200, Some(app))
    );
    for other in ["https://evil.example", "http://app.example"] {
        assert_eq!(
            allowed(&preflight(&open, other).await.unwrap()),
            None,
            "{other}"
        );
        assert_eq!(
            allowed(&simple(&open, other).await.unwrap()),
            None,
            "{other}"
        );
    }
}

//! Bad requests, each in both formats: the right status and error type in
//! that format's shape, naming the field at fault — and the gateway serves
//! the next request as before, with nothing left open.

mod support;

use reqwest::Method;
use serde_json::{json, Value};
use support::{read_sse, status_and_json, Format, Setup};

/// One bad request: its body, and what the client must get back.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    status: u16,
    /// The error type in this format's shape.
    kind: &'static str,
    /// The field at fault: OpenAI's `param`; the start of Anthropic's
    /// message (its errors have no `param`).
    param: Option<&'static str>,
    /// Words the message must contain.
    says: &'static str,
}

impl Case {
    /// A 400 about `param` (or the whole body) — the same type in both
    /// formats.
    fn invalid(name: &'static str, body: impl Into<Vec<u8>>, param: Option<&'static str>) -> Case {
        Case {
            name,
            body: body.into(),
            status: 400,
            kind: "invalid_request_error",
            param,
            says: "",
        }
    }

    /// A 404 for a model the gateway does not serve.
    fn unknown(format: Format, name: &'static str, body: Vec<u8>, says: &'static str) -> Case {
        let kind = match format {
            Format::OpenAi => "invalid_request_error",
            Format::Anthropic => "not_found_error",
        };
        Case {
            status: 404,
            kind,
            says,
            ..Case::invalid(name, body, None)
        }
    }

    fn says(self, says: &'static str) -> Case {
        Case { says, ..self }
    }
}

/// `format`'s minimal valid request with `change` applied to it.
fn with(format: Format, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut body = format.body("mock/mock-echo", "hi", false);
    change(&mut body);
    body.to_string().into_bytes()
}

/// `format`'s minimal valid request without `field`.
fn without(format: Format, field: &str) -> Vec<u8> {
    with(format, |b| drop(b.as_object_mut().unwrap().remove(field)))
}

/// The cases every format shares, as that format words them.
fn shared_cases(f: Format) -> Vec<Case> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut trailing = with(f, |_| {});
    trailing.extend_from_slice(b"}{");
    let model = |m: &str| with(f, |b| b["model"] = json!(m));
    vec![
        Case::invalid("malformed JSON", r#"{"model": "mock/mock-echo", "#, None).says("JSON"),
        Case::invalid("trailing garbage", trailing, None).says("JSON"),
        Case::invalid("not an object", "[1, 2, 3]", None),
        Case::invalid("empty body", "", None),
        Case::invalid("invalid UTF-8", *b"{\"model\": \"\xff\xfe\"}", None),
        Case::invalid("nesting 100,000 deep", deep, None),
        Case::invalid(
            "a numeric model",
            with(f, |b| b["model"] = json!(42)),
            Some("model"),
        ),
        Case::invalid(
            "messages as text",
            with(f, |b| b["messages"] = json!("hi")),
            Some("messages"),
        ),
        Case::invalid(
            "a numeric role",
            with(f, |b| b["messages"][0]["role"] = json!(7)),
            Some("messages[0].role"),
        ),
        Case::invalid(
            "temperature as text",
            with(f, |b| b["temperature"] = json!("hot")),
            Some("temperature"),
        ),
        Case::invalid(
            "stream as text",
            with(f, |b| b["stream"] = json!("yes")),
            Some("stream"),
        ),
        Case::invalid("no model", without(f, "model"), Some("model")),
        Case::invalid("no messages", without(f, "messages"), Some("messages")),
        Case::invalid(
            "empty messages",
            with(f, |b| b["messages"] = json!([])),
            Some("messages"),
        ),
        Case::invalid("a blank model name", model("  "), Some("model")),
        Case::unknown(
            f,
            "an unknown model",
            model("mock/no-such-model"),
            "no-such-model",
        ),
        Case::unknown(f, "an unknown provider", model("nosuch/model"), "nosuch"),
        Case::unknown(
            f,
            "a bare name not in the model map",
            model("gpt-4o"),
            "gpt-4o",
        ),
        Case::unknown(
            f,
            "an unknown model, streaming",
            with(f, |b| {
                b["model"] = json!("mock/no-such-model");
                b["stream"] = json!(true);
            }),
            "no-such-model",
        ),
    ]
}

/// What only one format has.
fn own_cases(f: Format) -> Vec<Case> {
    match f {
        Format::OpenAi => vec![
            Case::invalid("n = 2", with(f, |b| b["n"] = json!(2)), Some("n")).says("n > 1"),
            Case::invalid(
                "a tool message without its call id",
                with(f, |b| {
                    b["messages"] = json!([{ "role": "tool", "content": "21 C" }])
                }),
                Some("messages[0].tool_call_id"),
            ),
        ],
        Format::Anthropic => vec![
            Case::invalid(
                "no max_tokens",
                without(f, "max_tokens"),
                Some("max_tokens"),
            )
            .says("required"),
            Case::invalid(
                "max_tokens 0",
                with(f, |b| b["max_tokens"] = json!(0)),
                Some("max_tokens"),
            ),
            Case::invalid(
                "a content block with no type",
                with(f, |b| {
                    b["messages"][0]["content"] = json!([{ "text": "hi" }])
                }),
                Some("messages[0].content[0].type"),
            ),
        ],
    }
}

#[tokio::test]
async fn each_bad_request_is_its_format_s_error_and_the_gateway_keeps_serving() {
    let gw = Setup::default().start().await;
    let mut checked = 0;
    for format in Format::BOTH {
        for c in shared_cases(format).into_iter().chain(own_cases(format)) {
            let what = format!("{format:?}, {}", c.name);
            let r = format
                .headers(gw.request(Method::POST, format.path()))
                .header("content-type", "application/json")
                .body(c.body)
                .send()
                .await
                .unwrap();
            assert!(r.headers().contains_key("x-request-id"), "{what}");
            let (status, body) = status_and_json(r).await;
            assert_eq!(status, c.status, "{what}: {body}");
            assert_eq!(format.error_type(&body), c.kind, "{what}: {body}");
            let message = format.error_message(&body);
            assert!(message.contains(c.says), "{what}: {message}");
            match (format, c.param) {
                (Format::OpenAi, Some(param)) => {
                    assert_eq!(body["error"]["param"], param, "{what}: {body}")
                }
                (Format::Anthropic, Some(param)) => {
                    assert!(message.starts_with(param), "{what}: {message}")
                }
                (_, None) => {}
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * shared_cases(Format::OpenAi).len() + 5);

    // Still serving, in both formats, streaming too; nothing left open.
    for format in Format::BOTH {
        let frames = read_sse(gw.say(format, "mock/mock-echo", "fine", true).await).await;
        assert_eq!(format.streamed_text(&frames), "fine", "{format:?}");
    }
    gw.wait_streams_closed().await;
    let metrics = gw.metrics().await;
    for series in [
        r#"yat_gateway_errors_total{dialect="openai",provider="-",kind="invalid_request"}"#,
        r#"yat_gateway_errors_total{dialect="anthropic",provider="-",kind="not_found"}"#,
    ] {
        assert!(support::metric_value(&metrics, series) > 0.0, "{series}");
    }
}

/// What the mock itself refuses (a tool message that answers no call)
/// comes back as the client's 400, not as a gateway failure.
#[tokio::test]
async fn an_upstream_s_refusal_of_the_request_is_the_client_s_400() {
    let gw = Setup::default().start().await;
    let body = json!({
        "model": "mock/mock-tools",
        "messages": [
            { "role": "user", "content": "hi" },
            { "role": "tool", "tool_call_id": "nobody_called", "content": "21 C" }
        ],
        "tools": [{ "type": "function", "function": {
            "name": "weather", "parameters": { "type": "object", "properties": {} } } }]
    });
    let (status, body) = status_and_json(gw.chat(Format::OpenAi, &body).await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(Format::OpenAi.error_type(&body), "invalid_request_error");
}

//! `/metrics` moves with what the gateway serves: requests by format,
//! provider, model and status; errors by kind; tokens as the replies
//! reported them; time to first byte per answered model; streams open.

mod support;

use support::{metric_value, read_sse, status_and_json, Format, Setup};

#[tokio::test]
async fn the_counters_follow_the_requests_served() {
    let gw = Setup::default().start().await;
    // Before any request only the gauge has a value (a family shows
    // once it has a series).
    let before = gw.metrics().await;
    assert!(
        before.contains("yat_gateway_streams_in_flight 0"),
        "{before}"
    );
    assert!(!before.contains("yat_gateway_requests_total"), "{before}");

    // Two whole OpenAI replies and one Anthropic stream from mock-echo,
    // adding up the tokens their replies report.
    let (mut input, mut output) = (0.0, 0.0);
    for text in ["one two three", "four"] {
        let (status, body) =
            status_and_json(gw.say(Format::OpenAi, "mock/mock-echo", text, false).await).await;
        assert_eq!(status, 200);
        input += body["usage"]["prompt_tokens"].as_f64().unwrap();
        output += body["usage"]["completion_tokens"].as_f64().unwrap();
    }
    let frames = read_sse(
        gw.say(Format::Anthropic, "mock/mock-echo", "five six", true)
            .await,
    )
    .await;
    // The final `message_delta` carries every count (usage arrives last).
    let last = frames
        .iter()
        .filter_map(|f| f.json())
        .find(|f| f["type"] == "message_delta");
    let usage = &last.expect("a message_delta")["usage"];
    input += usage["input_tokens"].as_f64().unwrap();
    output += usage["output_tokens"].as_f64().unwrap();
    // An unknown model (before any answer) and a failure mid-stream.
    let missing = gw.say(Format::OpenAi, "nosuch/model", "x", false).await;
    assert_eq!(missing.status(), 404);
    let failed = read_sse(
        gw.say(Format::Anthropic, "mock/mock-fail-mid", "x", true)
            .await,
    )
    .await;
    assert!(Format::Anthropic.stream_error(&failed).is_some());

    // A stream held open shows in the gauge, and leaves it when dropped.
    let mut held = gw.say(Format::OpenAi, "mock/mock-slow", "x", true).await;
    support::next_text(&mut held).await;
    assert_eq!(gw.metric("yat_gateway_streams_in_flight").await, 1.0);
    drop(held);
    gw.wait_streams_closed().await;

    let m = gw.metrics().await;
    for family in ["requests", "errors", "tokens"] {
        assert!(
            m.contains(&format!("# TYPE yat_gateway_{family} counter")),
            "{family}"
        );
    }
    assert!(m.contains("# TYPE yat_gateway_time_to_first_byte_seconds histogram"));
    let expect = [
        (
            r#"yat_gateway_requests_total{dialect="openai",provider="mock",model="mock-echo",status="200"}"#,
            2.0,
        ),
        (
            r#"yat_gateway_requests_total{dialect="anthropic",provider="mock",model="mock-echo",status="200"}"#,
            1.0,
        ),
        (
            r#"yat_gateway_requests_total{dialect="openai",provider="-",model="-",status="404"}"#,
            1.0,
        ),
        // A failure mid-stream keeps its 200; the error counts it.
        (
            r#"yat_gateway_requests_total{dialect="anthropic",provider="mock",model="mock-fail-mid",status="200"}"#,
            1.0,
        ),
        (
            r#"yat_gateway_errors_total{dialect="openai",provider="-",kind="not_found"}"#,
            1.0,
        ),
        (
            r#"yat_gateway_errors_total{dialect="anthropic",provider="mock",kind="upstream"}"#,
            1.0,
        ),
        (
            r#"yat_gateway_errors_total{dialect="openai",provider="mock",kind="client_gone"}"#,
            1.0,
        ),
        (
            r#"yat_gateway_tokens_total{provider="mock",model="mock-echo",direction="input"}"#,
            input,
        ),
        (
            r#"yat_gateway_tokens_total{provider="mock",model="mock-echo",direction="output"}"#,
            output,
        ),
        (
            r#"yat_gateway_time_to_first_byte_seconds_count{provider="mock",model="mock-echo"}"#,
            3.0,
        ),
        ("yat_gateway_streams_in_flight", 0.0),
    ];
    for (series, want) in expect {
        assert_eq!(metric_value(&m, series), want, "{series} in\n{m}");
    }
    assert!(input > 0.0 && output > 0.0);
    // Bounded labels: the unknown model's name is nowhere.
    assert!(!m.contains("nosuch"), "{m}");
}

use std::time::Duration;

use yat_core::{
    ChatEvent, ChatRequest, Failure, Finish, FinishReason, JsonSchema, Media, Message, ModelInfo,
    Part, ReasoningConfig, ReasoningEffort, ResponseFormat, Role, TimeoutPhase, ToolCall,
    ToolChoice, ToolResult, ToolSpec, Usage, YatError,
};

use super::*;

fn every_event() -> Vec<ChatEvent> {
    vec![
        ChatEvent::ReasoningDelta {
            text: "think\n\"hard\"".into(),
        },
        ChatEvent::ReasoningSignature {
            signature: "sig==".into(),
        },
        ChatEvent::RedactedReasoning {
            data: "opaque".into(),
        },
        ChatEvent::Delta {
            text: "héllo ✓ \u{0}".into(),
        },
        ChatEvent::ToolCallStart {
            index: 0,
            id: "c1".into(),
            name: "f".into(),
        },
        ChatEvent::ToolCallDelta {
            index: 0,
            arguments: "{\"a\":".into(),
        },
        ChatEvent::ToolCallEnd {
            index: 0,
            call: Box::new(
                ToolCall::new("c1", "f", serde_json::json!({"a": [1, 2.5, null]}))
                    .with_signature("ts"),
            ),
        },
        ChatEvent::Usage(
            Usage::new(1, 2)
                .with_cache_read(3)
                .with_cache_write(4)
                .with_reasoning(5),
        ),
        ChatEvent::Finish(Finish::new(FinishReason::ToolCalls, "tool_calls")),
        ChatEvent::Finish(Finish::reason(FinishReason::Stop)),
    ]
}

fn rich_request() -> ChatRequest {
    let call = ToolCall::new("c1", "get", serde_json::json!({"city": "Paris"})).with_signature("g");
    ChatRequest::new(
        "m-1",
        vec![
            Message::system("be brief"),
            Message::user("look")
                .with_part(Part::Image(
                    Media::bytes("image/png", vec![0u8, 159, 146, 150, 255]).with_name("a.png"),
                ))
                .with_part(Part::Document(
                    Media::url("https://x.test/a.pdf").with_media_type("application/pdf"),
                )),
            Message::assistant(vec![
                Part::Reasoning(yat_core::Reasoning::new("hm").with_signature("s1")),
                Part::Reasoning(yat_core::Reasoning::redacted("R")),
                Part::ToolCall(call.clone()),
            ]),
            Message::tool_results([
                ToolResult::new(&call, serde_json::json!({"t": 12})),
                ToolResult::error(&call, "down"),
                ToolResult::new(
                    &call,
                    yat_core::ToolOutput::parts([
                        yat_core::ToolPart::text("chart:"),
                        yat_core::ToolPart::Image(Media::bytes("image/png", vec![137u8, 80, 78])),
                    ]),
                ),
            ]),
        ],
    )
    .temperature(0.2)
    .top_p(0.9)
    .max_tokens(64)
    .seed(7)
    .stop("END")
    .tool(ToolSpec::new("get", "d", serde_json::json!({"type": "object"})).strict(true))
    .tool_choice(ToolChoice::Tool { name: "get".into() })
    .parallel_tool_calls(false)
    .response_format(ResponseFormat::JsonSchema(
        JsonSchema::new("s", serde_json::json!({"type": "object"})).strict(false),
    ))
    .reasoning(ReasoningConfig::effort(ReasoningEffort::High))
    .extra("acme", "user", serde_json::json!({"nested": [1, "two"]}))
}

#[test]
fn every_event_kind_round_trips_byte_exact() {
    for event in every_event() {
        let msg = PluginMessage::Event {
            id: "7".into(),
            event,
        };
        let mut line = Vec::new();
        msg.encode(&mut line).unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1, "one line");
        let back = PluginMessage::decode(&line).unwrap();
        assert_eq!(back, msg);
        let mut again = Vec::new();
        back.encode(&mut again).unwrap();
        assert_eq!(again, line);
    }
}

#[test]
fn a_rich_request_round_trips_with_media_tools_reasoning_and_extra() {
    let msg = HostMessage::Chat {
        id: "c-1".into(),
        request: Box::new(rich_request()),
    };
    let mut line = Vec::new();
    msg.encode(&mut line).unwrap();
    let text = std::str::from_utf8(&line).unwrap();
    assert!(text.contains(r#""data":"AJ+Slv8=""#), "{text}");
    // A tool result of parts, in the shape docs/PROCESS-PLUGINS.md gives.
    assert!(
        text.contains(r#""content":{"parts":[{"type":"text","text":"chart:"},{"type":"image","data":"iVBO","media_type":"image/png"}]}"#),
        "{text}"
    );
    assert_eq!(HostMessage::decode(&line).unwrap(), msg);
    let mut borrowed = Vec::new();
    HostMessage::encode_chat("c-1", &rich_request(), &mut borrowed).unwrap();
    assert_eq!(borrowed, line);
}

#[test]
fn every_host_message_round_trips() {
    for msg in [
        HostMessage::hello(),
        HostMessage::Initialize {
            id: "1".into(),
            settings: [("api_key".to_owned(), "sk-1".to_owned())].into(),
        },
        HostMessage::ListModels { id: "2".into() },
        HostMessage::Cancel { id: "3".into() },
        HostMessage::Shutdown,
    ] {
        let mut line = Vec::new();
        msg.encode(&mut line).unwrap();
        assert_eq!(
            HostMessage::decode(&line).unwrap(),
            msg,
            "{}",
            String::from_utf8_lossy(&line)
        );
    }
    let mut line = Vec::new();
    HostMessage::hello().encode(&mut line).unwrap();
    assert_eq!(
        std::str::from_utf8(&line).unwrap(),
        format!(
            "{{\"op\":\"hello\",\"protocol\":[1],\"host\":\"yat-process/{}\"}}\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn every_plugin_message_round_trips() {
    let mut hello = PluginHello::new("acme", "Acme AI");
    hello.version = "1.2.0".into();
    hello.settings = vec![SettingDecl::from(
        &yat_core::SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"]).required(),
    )];
    hello.capabilities = Some(yat_core::Capabilities::default().with_tools(true).into());
    for msg in [
        PluginMessage::Hello(hello),
        PluginMessage::Result {
            id: "1".into(),
            models: None,
        },
        PluginMessage::Result {
            id: "2".into(),
            models: Some(vec![ModelInfo::new("acme", "a-1")
                .context_length(8192)
                .display_name("A One")]),
        },
        PluginMessage::End { id: "3".into() },
        PluginMessage::Error {
            id: Some("3".into()),
            error: ErrorObject::new(ErrorKind::Server, "boom"),
        },
        PluginMessage::Error {
            id: None,
            error: ErrorObject::new(ErrorKind::UnsupportedProtocol, "v1 only"),
        },
    ] {
        let mut line = Vec::new();
        msg.encode(&mut line).unwrap();
        assert_eq!(
            PluginMessage::decode(&line).unwrap(),
            msg,
            "{}",
            String::from_utf8_lossy(&line)
        );
    }
}

#[test]
fn unknown_fields_are_ignored_and_unknown_ops_are_told_apart() {
    let m =
        HostMessage::decode(br#"{"future":{"x":1},"op":"cancel","id":"9","why":"user"}"#).unwrap();
    assert_eq!(m, HostMessage::Cancel { id: "9".into() });
    let m = PluginMessage::decode(b"{\"op\":\"end\",\"id\":\"9\",\"stats\":[1,2]}\r\n").unwrap();
    assert_eq!(m, PluginMessage::End { id: "9".into() });
    assert_eq!(
        HostMessage::decode(br#"{"op":"ping","id":"4"}"#).unwrap_err(),
        DecodeError::UnknownOp {
            op: "ping".into(),
            id: Some("4".into())
        }
    );
    assert_eq!(
        PluginMessage::decode(br#"{"op":"progress"}"#).unwrap_err(),
        DecodeError::UnknownOp {
            op: "progress".into(),
            id: None
        }
    );
}

#[test]
fn a_broken_line_says_what_is_wrong_and_keeps_its_id() {
    let e = HostMessage::decode(br#"{"op":"chat","id":"5","request":{"model":1}}"#).unwrap_err();
    assert_eq!(e.id(), Some("5"));
    assert!(e.to_string().contains("invalid type"), "{e}");
    let e = HostMessage::decode(br#"{"op":"chat","id":"6"}"#).unwrap_err();
    assert_eq!(
        e,
        DecodeError::Malformed {
            message: "`chat` without `request`".into(),
            id: Some("6".into())
        }
    );
    for garbage in [
        &b"not json"[..],
        b"[1,2]",
        b"{\"id\":\"1\"}",
        b"{\"op\":3}",
        b"\xff\xfe",
    ] {
        let e = HostMessage::decode(garbage).unwrap_err();
        assert!(matches!(e, DecodeError::Malformed { .. }), "{e:?}");
    }
    let e = PluginMessage::decode(br#"{"op":"event","id":"1","event":{"type":"telepathy"}}"#)
        .unwrap_err();
    assert_eq!(e.id(), Some("1"));
}

#[test]
fn errors_round_trip_through_the_wire_for_every_kind_with_a_counterpart() {
    let f = || Failure::http("inner", 418, "teapot").with_request_id("req-1");
    let cases = vec![
        YatError::Authentication(f()),
        YatError::Permission(f()),
        YatError::ModelNotFound(f()),
        YatError::RateLimited {
            failure: f(),
            retry_after: Some(Duration::from_millis(1500)),
        },
        YatError::QuotaExhausted(f()),
        YatError::ContextLengthExceeded(f()),
        YatError::InvalidRequest(f()),
        YatError::Server(Failure::new("inner", "no status")),
        YatError::Overloaded {
            failure: f(),
            retry_after: None,
        },
        YatError::ContentBlocked(f()),
        YatError::Timeout {
            provider: "inner".into(),
            phase: TimeoutPhase::Idle,
            after: Duration::from_secs(3),
        },
        YatError::network("inner", "reset"),
        YatError::Cancelled {
            provider: "inner".into(),
        },
        YatError::Unavailable {
            provider: "inner".into(),
            reason: "no key".into(),
        },
        YatError::Unsupported {
            provider: "inner".into(),
            capability: "tools".into(),
            message: "no".into(),
        },
        YatError::InvalidSetting {
            provider: "inner".into(),
            key: "chunk_size".into(),
            message: "bad".into(),
        },
        YatError::ProviderPanicked {
            provider: "inner".into(),
            message: "oops".into(),
        },
    ];
    for e in cases {
        let wire = ErrorObject::from_yat(&e);
        let json = serde_json::to_string(&wire).unwrap();
        let back: ErrorObject = serde_json::from_str(&json).unwrap();
        assert_eq!(back, wire);
        let y = back.into_yat("inner");
        assert_eq!(y.kind(), e.kind(), "{json}");
        assert_eq!(y.retry_after(), e.retry_after());
        assert_eq!(y.is_retryable(), e.is_retryable(), "{json}");
        assert_eq!(y.allows_fallback(), e.allows_fallback(), "{json}");
        assert_eq!(y.status(), e.status());
        assert_eq!(y.request_id(), e.request_id());
        if !matches!(e, YatError::ProviderPanicked { .. }) {
            assert_eq!(y.to_string(), e.to_string(), "{json}");
        }
    }
}

#[test]
fn an_error_object_written_by_hand_maps_faithfully() {
    let o: ErrorObject = serde_json::from_str(
        r#"{"kind":"not_found","message":"no such model","status":404,"model":"gpt-9","extra":true}"#,
    )
    .unwrap();
    let e = o.into_yat("acme");
    assert_eq!(
        e.to_string(),
        "acme: model not found (HTTP 404) no such model (model gpt-9)"
    );
    let o: ErrorObject =
        serde_json::from_str(r#"{"kind":"from_the_future","message":"?"}"#).unwrap();
    assert_eq!(o.kind, ErrorKind::Unknown);
    assert!(matches!(
        o.into_yat("acme"),
        YatError::ProviderPanicked { .. }
    ));
    let o: ErrorObject =
        serde_json::from_str(r#"{"kind":"unsupported_protocol","message":"v2 only"}"#).unwrap();
    assert!(matches!(o.into_yat("acme"), YatError::Unavailable { .. }));
    let o: ErrorObject = serde_json::from_str(r#"{"kind":"timeout"}"#).unwrap();
    assert!(o.into_yat("acme").is_retryable());
}

#[test]
fn an_oversized_message_is_refused_whole() {
    let mut buf = b"kept\n".to_vec();
    let big = "x".repeat(MAX_LINE_BYTES);
    let err = encode_line(
        &PluginMessage::Event {
            id: "1".into(),
            event: ChatEvent::Delta { text: big },
        },
        &mut buf,
    )
    .unwrap_err();
    assert!(matches!(err, CodecError::TooLong { .. }), "{err}");
    assert_eq!(buf, b"kept\n");
}

#[tokio::test]
async fn a_line_over_the_limit_is_skipped_and_reading_resumes() {
    let mut input = b"{\"a\":1}\r\n".to_vec();
    input.extend_from_slice(&[b'x'; 100]);
    input.extend_from_slice(b"\n\n  \n{\"b\":2}\n{\"c\":3}");
    // A small buffer makes the long line arrive in many pieces.
    let reader = tokio::io::BufReader::with_capacity(7, &input[..]);
    let mut r = LineReader::with_limit(reader, 20);
    assert_eq!(r.next_line().await.unwrap(), Some(&b"{\"a\":1}"[..]));
    match r.next_line().await {
        Err(CodecError::TooLong { len }) => assert_eq!(len, 100),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.next_line().await.unwrap(), Some(&b"{\"b\":2}"[..]));
    assert_eq!(r.next_line().await.unwrap(), Some(&b"{\"c\":3}"[..]));
    assert_eq!(r.next_line().await.unwrap(), None);
    assert_eq!(r.next_line().await.unwrap(), None);
}

#[test]
fn a_role_serializes_as_its_name() {
    // The Python plugin writes these by hand: pin the words.
    assert_eq!(serde_json::to_string(&Role::Tool).unwrap(), "\"tool\"");
}

#[tokio::test]
async fn a_read_dropped_mid_line_loses_nothing() {
    use tokio::io::AsyncWriteExt;
    let (mut tx, rx) = tokio::io::duplex(64);
    let mut r = LineReader::new(tokio::io::BufReader::new(rx));
    tx.write_all(b"{\"op\":\"can").await.unwrap();
    // The read takes the first half, then waits; a select! drops it.
    let waited = tokio::time::timeout(std::time::Duration::from_millis(50), r.next_line()).await;
    assert!(waited.is_err(), "no whole line yet");
    tx.write_all(b"cel\",\"id\":\"1\"}\n").await.unwrap();
    assert_eq!(
        r.next_line().await.unwrap(),
        Some(&br#"{"op":"cancel","id":"1"}"#[..])
    );
}

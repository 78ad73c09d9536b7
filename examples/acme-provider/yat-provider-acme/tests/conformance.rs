//! The provider end to end against a fake Acme server on 127.0.0.1: yat's
//! conformance suite, then the behaviours specific to an HTTP provider.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use yat_core::settings::ResolvedSettings;
use yat_core::testkit::{assert_conformance, CancelProbe, Options, CONTRACT_CHECKS};
use yat_core::{ChatRequest, ChatStreamExt, LlmProvider, Message, ProviderManager};
use yat_provider_acme::AcmeProvider;

async fn provider(base_url: &str, key: &str) -> AcmeProvider {
    let mut p = AcmeProvider::default();
    let settings =
        ResolvedSettings::from_pairs("acme", &[("api_key", key), ("base_url", base_url)]);
    p.initialize(&settings).await.unwrap();
    p
}

#[tokio::test(flavor = "current_thread")]
async fn passes_the_yat_conformance_suite_against_a_fake_server() {
    let server = support::start().await;
    let p = provider(&server.url(), support::KEY).await;
    let mut options = Options::default().model("acme-1");
    options.stop_probe = Some(("five".into(), "five".into()));
    // `cancel_on_drop` drops a reply of acme-slow mid-stream and waits for
    // the server to see the client hang up.
    let options = options
        .cancel_model("acme-slow")
        .cancel_probe(CancelProbe::fake_server(&server));
    let report = assert_conformance(&p, &options).await;
    // A text provider: the checks of what it does not claim (tools, images,
    // JSON schema, reasoning, usage details) are skipped, every other one
    // ran and passed.
    assert_eq!(report.skipped(), CONTRACT_CHECKS, "{report}");
}

#[tokio::test(flavor = "current_thread")]
async fn models_come_from_the_api() {
    let server = support::start().await;
    let models = provider(&server.url(), support::KEY)
        .await
        .list_models()
        .await
        .unwrap();
    assert_eq!(models[0].id, "acme-1");
    assert_eq!(models[0].display_name, "Acme One");
    assert_eq!(models[0].context_length, Some(16384));
    assert_eq!(models[1].context_length, None);
}

#[tokio::test(flavor = "current_thread")]
async fn the_reply_streams_line_by_line_with_usage_and_the_raw_finish() {
    let server = support::start().await;
    let p = provider(&server.url(), support::KEY).await;
    let req = ChatRequest::new("acme-1", vec![Message::user("one two three")]);
    let mut stream = p.stream_chat(&req).await.unwrap();
    let mut deltas = Vec::new();
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            yat_core::ChatEvent::Delta { text } => deltas.push(text),
            yat_core::ChatEvent::Usage(u) => assert_eq!((u.input_tokens, u.output_tokens), (3, 3)),
            yat_core::ChatEvent::Finish(f) => assert_eq!(f.raw.as_deref(), Some("complete")),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(deltas, ["one ", "two ", "three"]);
    // The key went as Acme's header, and nowhere else.
    let sent = &server.requests()[0];
    assert_eq!(sent.header("x-acme-key"), Some(support::KEY));
    assert_eq!(sent.header("authorization"), None);
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_key_is_an_authentication_error_that_does_not_show_the_key() {
    let server = support::start().await;
    let p = provider(&server.url(), "sk-wrong-planted").await;
    let err = p.list_models().await.unwrap_err();
    assert_eq!(err.kind(), "authentication");
    assert_eq!(err.status(), Some(401));
    let chat = ChatRequest::new("acme-1", vec![Message::user("hi")]);
    let err2 = p.stream_chat(&chat).await.err().expect("a 401 streamed");
    let shown = format!("{err} {err:?} {err2} {err2:?} {p:?}");
    assert!(!shown.contains("planted"), "{shown}");
}

#[tokio::test(flavor = "current_thread")]
async fn rate_limits_carry_retry_after() {
    let server = support::start().await;
    let p = provider(&server.url(), support::KEY).await;
    let req = ChatRequest::new("acme-busy", vec![Message::user("hi")]);
    let err = p.stream_chat(&req).await.err().expect("a 429 streamed");
    assert_eq!(err.kind(), "rate_limited");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert!(err.to_string().contains("too many requests"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_manager_retries_this_provider_like_a_bundled_one() {
    // The first chat finds Acme overloaded; nothing was shown yet, so the
    // manager's retry policy tries again. The provider has no retry code.
    let server = support::start_after(vec![support::error(503, "overloaded", "busy")]).await;
    let env = BTreeMap::from([
        ("ACME_API_KEY".to_owned(), support::KEY.to_owned()),
        ("ACME_BASE_URL".to_owned(), server.url()),
    ]);
    let acme = yat_core::registry::discover().find("acme").unwrap();
    let manager = ProviderManager::builder()
        .registrations(vec![acme])
        .env(env)
        .build()
        .await
        .unwrap();
    let target = "acme/acme-1".parse().unwrap();
    let request = ChatRequest::new("", vec![Message::user("hello again")]);
    let reply = manager.chat(&target, request).await.unwrap();
    assert_eq!(
        reply.collect_response().await.unwrap().text(),
        "hello again"
    );
    let chats = server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/chat")
        .count();
    assert_eq!(chats, 2);
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_the_stream_closes_the_connection() {
    let server = support::start().await;
    let p = provider(&server.url(), support::KEY).await;
    let req = ChatRequest::new("acme-slow", vec![Message::user("tick tock")]);
    let mut stream = p.stream_chat(&req).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    drop(stream);
    // The server notices on its next write (20 ms later).
    assert!(
        server
            .wait_for_client_disconnect(Duration::from_secs(5))
            .await,
        "the server kept streaming to a dropped client"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_server_that_is_down_is_a_network_error() {
    // Bind and drop a listener: nothing listens on that port any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let p = provider(&format!("http://{addr}"), support::KEY).await;
    let err = p.list_models().await.unwrap_err();
    assert_eq!(err.kind(), "network", "{err}");
    assert_eq!(err.provider(), Some("acme"));
}

//! The provider end to end against a fake Acme server on 127.0.0.1: yat's
//! conformance suite, then the behaviours specific to an HTTP provider.

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use yat_core::settings::ResolvedSettings;
use yat_core::testkit::{assert_conformance, CancelProbe, Options, CONTRACT_CHECKS};
use yat_core::{ChatRequest, LlmProvider, Message};
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
    let p = provider(&server.base_url, support::KEY).await;
    // `cancel_on_drop` drops a reply of acme-slow mid-stream and waits for
    // the server to see the client hang up.
    let disconnects = server.disconnects.clone();
    let probe = CancelProbe::new(move || {
        let disconnects = disconnects.clone();
        let seen = disconnects.load(Ordering::SeqCst);
        async move {
            while disconnects.load(Ordering::SeqCst) == seen {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let options = Options {
        model: Some("acme-1".into()),
        stop_probe: Some(("five".into(), "five".into())),
        ..Options::default()
    }
    .cancel_model("acme-slow")
    .cancel_probe(probe);
    let report = assert_conformance(&p, &options).await;
    // A text provider: the checks of what it does not claim (tools, images,
    // JSON schema, reasoning, usage details) are skipped, every other one
    // ran and passed.
    assert_eq!(report.skipped(), CONTRACT_CHECKS, "{report}");
}

#[tokio::test(flavor = "current_thread")]
async fn models_come_from_the_api() {
    let server = support::start().await;
    let models = provider(&server.base_url, support::KEY)
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
async fn a_wrong_key_is_an_authentication_error_that_does_not_show_the_key() {
    let server = support::start().await;
    let p = provider(&server.base_url, "sk-wrong-planted").await;
    let err = p.list_models().await.unwrap_err();
    assert_eq!(err.kind(), "authentication");
    assert_eq!(err.status(), Some(401));
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("planted"), "{shown}");
    assert!(!format!("{p:?}").contains("planted"));
}

#[tokio::test(flavor = "current_thread")]
async fn rate_limits_carry_retry_after() {
    let server = support::start().await;
    let p = provider(&server.base_url, support::KEY).await;
    let req = ChatRequest::new("acme-busy", vec![Message::user("hi")]);
    let err = match p.stream_chat(&req).await {
        Err(e) => e,
        Ok(_) => panic!("a 429 streamed"),
    };
    assert_eq!(err.kind(), "rate_limited");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_the_stream_closes_the_connection() {
    let server = support::start().await;
    let p = provider(&server.base_url, support::KEY).await;
    let req = ChatRequest::new("acme-slow", vec![Message::user("tick tock")]);
    let mut stream = p.stream_chat(&req).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    drop(stream);
    // The server notices on its next write (20 ms later).
    let start = Instant::now();
    while server.disconnects.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the server kept streaming to a dropped client"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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

//! STEP 11 — prove it: yat's conformance suite against this provider.
//!
//! One test runs every check (models listed, text streams, exactly one
//! finish and it is last, usage, the collected reply matches the stream,
//! max_tokens, stop sequences, unknown model is a typed error, dropping a
//! stream cancels its request). Checks for capabilities the provider does
//! not claim are reported as skipped, not failed.
//! An HTTP provider points `base_url` at a local fake server first
//! (`yat_core::testkit::fakeserver`; its module docs show a script) and
//! gives the kit a `CancelProbe` watching that server, so `cancel_on_drop`
//! can see the dropped request's connection close.

use yat_core::settings::ResolvedSettings;
use yat_core::testkit::{assert_conformance, Options, CONTRACT_CHECKS};
use yat_core::LlmProvider;
use yat_provider_template::TemplateProvider;

async fn configured() -> TemplateProvider {
    let mut provider = TemplateProvider::default();
    // Settings as the manager would resolve them; a test passes them directly.
    let settings = ResolvedSettings::from_pairs("template", &[("api_key", "test-key")]);
    provider.initialize(&settings).await.unwrap();
    provider
}

#[tokio::test(flavor = "current_thread")]
async fn passes_the_yat_conformance_suite() {
    let provider = configured().await;
    let options = Options {
        // The reply echoes the prompt, so "five" appears unless the stop
        // sequence cuts the reply before it.
        stop_probe: Some(("five".into(), "five".into())),
        ..Options::default()
    };
    let report = assert_conformance(&provider, &options).await;
    // A text provider: the checks of what it does not claim (tools, images,
    // JSON schema, reasoning, usage details) are skipped, and so is
    // cancel_on_drop: it answers in process, there is no connection for a
    // cancel probe to watch. Every other check ran and passed.
    let mut not_run = vec!["cancel_on_drop"];
    not_run.extend(CONTRACT_CHECKS);
    assert_eq!(report.skipped(), not_run, "{report}");
}

#[tokio::test(flavor = "current_thread")]
async fn an_uninitialized_provider_is_unavailable_not_a_panic() {
    let provider = TemplateProvider::default();
    let request = yat_core::ChatRequest::new("template-echo", vec![yat_core::Message::user("hi")]);
    let err = match provider.stream_chat(&request).await {
        Err(e) => e,
        Ok(_) => panic!("an unconfigured provider streamed"),
    };
    assert_eq!(err.kind(), "unavailable");
}

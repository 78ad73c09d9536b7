//! The kit's teeth, shown on the mock: left to choose from the listing it
//! finds the models whose listing claims a feature, and a client that loses
//! the reasoning signature on the way back is caught. (The mock's own run
//! of the kit is one target of `every_registered_provider...`.)
#![cfg(feature = "mock")]

use futures::StreamExt;
use yat_core::testkit::{run, Options, Outcome};
use yat_core::{
    async_trait, Capabilities, ChatEvent, ChatRequest, ChatStream, LlmProvider, ModelInfo,
    ResolvedSettings, YatError,
};
use yat_providers::mock::MockProvider;

async fn mock() -> MockProvider {
    let mut p = MockProvider::default();
    p.initialize(&ResolvedSettings::from_pairs("mock", &[]))
        .await
        .unwrap();
    p
}

/// The options a test of the mock passes: its echo reply holds the prompt,
/// so the stop probe's word appears unless the stop sequence cuts it.
fn options() -> Options {
    Options {
        stop_probe: Some(("five".into(), "five".into())),
        ..Options::default()
    }
}

#[tokio::test]
async fn without_overrides_the_listing_picks_each_feature_model() {
    let report = run(&mock().await, &options()).await;
    for name in [
        "tool_round_trip",
        "image_input",
        "json_schema_output",
        "reasoning_round_trip",
    ] {
        assert_eq!(report.outcome(name), Some(&Outcome::Passed), "{report}");
    }
    // The listing cannot say which model calls tools in parallel: the tool
    // model makes one call, which the kit reports.
    match report.outcome("parallel_tool_calls") {
        Some(Outcome::Failed(why)) => assert!(why.contains("1 tool call(s)"), "{why}"),
        other => panic!("{other:?}"),
    }
    // mock-echo reports plain usage.
    assert!(matches!(
        report.outcome("usage_details"),
        Some(Outcome::Failed(why)) if why.contains("no cache or reasoning count")
    ));
}

/// The mock behind a careless client that drops every reasoning signature.
struct DropsSignatures(MockProvider);

#[async_trait]
impl LlmProvider for DropsSignatures {
    async fn initialize(&mut self, s: &ResolvedSettings) -> Result<(), YatError> {
        self.0.initialize(s).await
    }
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        self.0.list_models().await
    }
    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        let inner = self.0.stream_chat(req).await?;
        Ok(Box::pin(inner.filter(|e| {
            std::future::ready(!matches!(e, Ok(ChatEvent::ReasoningSignature { .. })))
        })))
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
}

#[tokio::test]
async fn reasoning_sent_back_unsigned_fails_the_round_trip() {
    let report = run(&DropsSignatures(mock().await), &options()).await;
    match report.outcome("reasoning_round_trip") {
        Some(Outcome::Failed(why)) => {
            assert!(why.starts_with("turn 2"), "{why}");
            assert!(why.contains("without its signature"), "{why}");
        }
        other => panic!("{other:?}\n{report}"),
    }
}

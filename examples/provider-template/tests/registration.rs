//! The registration as a program sees it: discovered by id, and built by the
//! manager from settings (here a fixed environment instead of the real one).

use std::collections::BTreeMap;

use yat_core::{ChatRequest, ChatStreamExt, Message, ProviderManager, ProviderStatus};

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn is_discovered_with_its_crate_and_version() {
    let reg = yat_core::registry::discover()
        .find("template")
        .expect("the template provider is linked");
    assert_eq!(reg.name(), "Template");
    assert_eq!(reg.crate_name(), "yat-provider-template");
    assert_eq!(reg.crate_version(), env!("CARGO_PKG_VERSION"));
}

#[tokio::test(flavor = "current_thread")]
async fn without_a_key_it_needs_configuration_and_names_the_variable() {
    let manager = yat_provider_template::link(ProviderManager::builder())
        .env(env(&[]))
        .build()
        .await
        .unwrap();
    let info = manager.info("template").unwrap();
    match &info.status {
        ProviderStatus::NeedsConfiguration { missing } => {
            assert_eq!(missing[0].env_var, "TEMPLATE_API_KEY")
        }
        other => panic!("expected needs configuration, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn with_a_key_it_is_ready_and_chats_through_the_manager() {
    let manager = ProviderManager::builder()
        .env(env(&[("TEMPLATE_API_KEY", "  \"test-key\"  ")]))
        .build()
        .await
        .unwrap();
    assert!(manager.info("template").unwrap().status.is_ready());
    let reply = manager
        .stream_chat(
            "template",
            &ChatRequest::new("template-echo", vec![Message::user("hello there")]),
        )
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(reply.text(), "hello there");
}

#[tokio::test(flavor = "current_thread")]
async fn a_bad_setting_fails_this_provider_with_the_reason() {
    let manager = ProviderManager::builder()
        .env(env(&[
            ("TEMPLATE_API_KEY", "k"),
            ("TEMPLATE_TIMEOUT_SECS", "soon"),
        ]))
        .build()
        .await
        .unwrap();
    let status = manager.info("template").unwrap().status;
    let reason = status.reason().unwrap();
    assert!(
        reason.contains("timeout_secs") && reason.contains("soon"),
        "{reason}"
    );
}

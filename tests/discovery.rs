//! Every enabled provider feature is discovered, and nothing else: the
//! facade forwards each feature to yat-providers and makes sure the linker
//! keeps it. CI runs this file under several feature sets.

/// The provider ids the enabled features promise, from the facade's own
/// feature flags (not from yat-providers, so forwarding is tested too).
fn expected_ids() -> Vec<&'static str> {
    let features: &[(&str, bool)] = &[
        ("anthropic", cfg!(feature = "anthropic")),
        ("cohere", cfg!(feature = "cohere")),
        ("deepseek", cfg!(feature = "deepseek")),
        ("fireworks", cfg!(feature = "fireworks")),
        ("gemini", cfg!(feature = "gemini")),
        ("google", cfg!(feature = "google")),
        ("groq", cfg!(feature = "groq")),
        ("llamacpp", cfg!(feature = "llamacpp")),
        ("lmstudio", cfg!(feature = "lmstudio")),
        ("mistral", cfg!(feature = "mistral")),
        ("mock", cfg!(feature = "mock")),
        ("ollama", cfg!(feature = "ollama")),
        ("openai", cfg!(feature = "openai")),
        ("openrouter", cfg!(feature = "openrouter")),
        ("together", cfg!(feature = "together")),
        ("vllm", cfg!(feature = "vllm")),
        ("xai", cfg!(feature = "xai")),
    ];
    features
        .iter()
        .filter(|(_, on)| *on)
        .map(|(id, _)| *id)
        .collect()
}

#[test]
fn discovered_ids_equal_enabled_features() {
    let found = yat::registry::discover();
    assert!(found.duplicates().is_empty(), "{:?}", found.duplicates());
    assert_eq!(found.ids(), expected_ids());
    assert_eq!(found.ids(), yat::providers::enabled_providers());
}

#[test]
fn every_registration_names_its_crate() {
    for reg in yat::registry::discover().registrations() {
        assert_eq!(reg.crate_name(), "yat-providers", "{}", reg.id());
        assert_eq!(
            reg.crate_version(),
            env!("CARGO_PKG_VERSION"),
            "{}",
            reg.id()
        );
        assert!(
            !reg.name().is_empty() && !reg.description().is_empty(),
            "{}",
            reg.id()
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn facade_manager_builds_every_discovered_provider() {
    let dir = tempfile::tempdir().unwrap();
    let manager = yat::ProviderManager::builder()
        .location(yat::ConfigLocation::for_file(
            dir.path().join("provider_config.json"),
            dir.path(),
        ))
        .env(Default::default())
        .build()
        .await
        .unwrap();
    assert_eq!(manager.ids(), expected_ids());
}

//! The manager against test-only providers that fail or panic in each duty:
//! every failure stays inside its provider.

mod support;

use support::{
    answer, ask, failed_reason, panic_message_of, panics_after_one_delta, refusal, slow, Scripted,
};
use yat_core::{
    register_provider, ChatStreamExt, ProviderConfig, ProviderManager, ProviderStatus, Remedy,
    SettingKind, SettingSpec, YatError,
};

/// A provider that behaves: it answers with its `greeting` setting, slowly
/// enough that a reload can happen while it runs.
fn greets(id: &'static str) -> Scripted {
    Scripted::new(id).on_chat(|c| {
        let greeting = c.settings.get("greeting").unwrap_or("hi");
        Ok(slow(vec![greeting.to_owned(), "!".into()]))
    })
}

fn refuses(id: &'static str, reason: &str) -> YatError {
    YatError::Unavailable {
        provider: id.into(),
        reason: reason.into(),
    }
}

const GREETING: &[SettingSpec] = &[SettingSpec::text("greeting", "Greeting", &[])];
const NEEDS_KEY: &[SettingSpec] =
    &[SettingSpec::secret("api_key", "API key", &["T_NEEDS_KEY_API_KEY"]).required()];

register_provider! { id: "t-good", name: "Good", constructor: || greets("t-good").boxed(), settings: GREETING }
register_provider! { id: "t-panic-ctor", name: "Panics in constructor", constructor: || panic!("boom in constructor") }
register_provider! { id: "t-err-ctor", name: "Errs in constructor", constructor: || Err(refuses("t-err-ctor", "ctor says no")) }
register_provider! { id: "t-panic-init", name: "Panics in init", constructor: || Scripted::new("t-panic-init").on_init(|_| panic!("boom in initialize")).boxed() }
register_provider! { id: "t-err-init", name: "Errs in init", constructor: || Scripted::new("t-err-init").on_init(|_| Err(refuses("t-err-init", "init says no"))).boxed() }
register_provider! { id: "t-panic-list", name: "Panics in list", constructor: || Scripted::new("t-panic-list").on_list(|_| panic!("boom in list_models")).boxed() }
register_provider! { id: "t-err-list", name: "Errs in list", constructor: || Scripted::new("t-err-list").on_list(|id| Err(YatError::network(id, "list says no"))).boxed() }
register_provider! { id: "t-panic-stream", name: "Panics creating a stream", constructor: || Scripted::new("t-panic-stream").on_chat(|_| panic!("boom creating stream")).boxed() }
register_provider! { id: "t-panic-mid", name: "Panics mid-stream", constructor: || Scripted::new("t-panic-mid").on_chat(|_| Ok(panics_after_one_delta("boom mid-stream"))).boxed() }
register_provider! { id: "t-needs-key", name: "Needs a key", constructor: || greets("t-needs-key").boxed(), settings: NEEDS_KEY }
// Two crates cannot be simulated in one test binary, but two registrations
// of one id are exactly what a second crate would produce.
register_provider! { id: "t-dup", name: "Dup one", constructor: || greets("t-dup").boxed() }
register_provider! { id: "t-dup", name: "Dup two", constructor: || greets("t-dup").boxed() }

async fn manager(env: &[(&str, &str)], config: ProviderConfig) -> ProviderManager {
    support::builder(env)
        .config(config)
        .build()
        .await
        .expect("manager builds")
}

fn status(m: &ProviderManager, id: &str) -> ProviderStatus {
    m.info(id).unwrap().status
}

#[tokio::test]
async fn failures_in_construction_and_init_stay_inside_their_provider() {
    let m = manager(&[], ProviderConfig::default()).await;
    for (id, needle) in [
        ("t-panic-ctor", "boom in constructor"),
        ("t-err-ctor", "ctor says no"),
        ("t-panic-init", "boom in initialize"),
        ("t-err-init", "init says no"),
    ] {
        let reason = failed_reason(&m, id);
        assert!(reason.contains(needle), "{id}: {reason}");
        let e = refusal(&m, id, &ask("x")).await;
        assert!(matches!(e, YatError::NotReady { .. }), "{id}: {e}");
    }
    assert_eq!(status(&m, "t-good"), ProviderStatus::Ready);
    assert_eq!(answer(&m, "t-good", &ask("x")).await.text(), "hi!");
}

#[tokio::test]
async fn list_models_error_or_panic_marks_only_that_provider_failed() {
    let m = manager(&[], ProviderConfig::default()).await;
    let e = m.list_models("t-panic-list").await.unwrap_err();
    assert!(matches!(e, YatError::ProviderPanicked { .. }), "{e}");
    assert!(e.to_string().contains("boom in list_models"));
    failed_reason(&m, "t-panic-list");
    assert!(m.list_models("t-err-list").await.is_err());
    failed_reason(&m, "t-err-list");
    assert_eq!(m.list_models("t-good").await.unwrap().len(), 1);
    let all = m.list_all_models().await;
    assert!(all.iter().any(|(id, r)| id == "t-good" && r.is_ok()));
}

#[tokio::test]
async fn stream_panics_become_errors_and_mark_failed() {
    let m = manager(&[], ProviderConfig::default()).await;
    let e = refusal(&m, "t-panic-stream", &ask("x")).await;
    assert!(matches!(e, YatError::ProviderPanicked { .. }), "{e}");
    failed_reason(&m, "t-panic-stream");

    let s = m.stream_chat("t-panic-mid", &ask("x")).await.unwrap();
    assert_eq!(panic_message_of(s).await, "boom mid-stream");
    assert!(failed_reason(&m, "t-panic-mid").contains("boom mid-stream"));
    // Everyone else is fine, and a reload brings the provider back.
    assert!(m.stream_chat("t-good", &ask("x")).await.is_ok());
    assert_eq!(
        m.reload("t-panic-mid").await.unwrap(),
        ProviderStatus::Ready
    );
}

#[tokio::test]
async fn duplicate_ids_are_reported_naming_both_registrations() {
    let m = manager(&[], ProviderConfig::default()).await;
    let reason = failed_reason(&m, "t-dup");
    assert!(reason.contains("registered twice"), "{reason}");
}

#[tokio::test]
async fn missing_required_setting_names_the_variable_and_the_fix_as_data() {
    let m = manager(&[], ProviderConfig::default()).await;
    let info = m.info("t-needs-key").unwrap();
    assert!(matches!(
        info.status,
        ProviderStatus::NeedsConfiguration { .. }
    ));
    let reason = info.status.reason().unwrap();
    assert!(reason.contains("T_NEEDS_KEY_API_KEY"), "{reason}");
    assert!(
        !reason.contains("yat "),
        "the library names no command: {reason}"
    );
    match info.remedies().as_slice() {
        [Remedy::Set { provider, setting }] => {
            assert_eq!(provider, "t-needs-key");
            assert_eq!(setting.key, "api_key");
            assert_eq!(setting.env_var, "T_NEEDS_KEY_API_KEY");
            assert_eq!(setting.kind, SettingKind::Secret);
        }
        other => panic!("{other:?}"),
    }
    // A chat on it fails with the same status, so a front end can word the fix.
    match refusal(&m, "t-needs-key", &ask("x")).await {
        YatError::NotReady { provider, status } => {
            assert_eq!(provider, "t-needs-key");
            assert_eq!(status, info.status);
        }
        other => panic!("{other:?}"),
    }

    let m = manager(&[("T_NEEDS_KEY_API_KEY", "k")], ProviderConfig::default()).await;
    assert_eq!(status(&m, "t-needs-key"), ProviderStatus::Ready);
}

#[tokio::test]
async fn reload_swaps_while_a_running_stream_finishes_on_its_instance() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider_config.json");
    let write = |greeting: &str| {
        let mut cfg = ProviderConfig::default();
        cfg.provider_mut("t-good").setting_mut("greeting").value = Some(greeting.into());
        cfg.save(&path).unwrap();
    };
    write("old");
    let m = support::at_config_file(&path).build().await.unwrap();

    let running = m.stream_chat("t-good", &ask("x")).await.unwrap();
    write("new");
    assert_eq!(m.reload("t-good").await.unwrap(), ProviderStatus::Ready);
    let old = running.collect_response().await.unwrap();
    assert_eq!(old.text(), "old!", "the running stream keeps its instance");
    assert_eq!(answer(&m, "t-good", &ask("x")).await.text(), "new!");
}

#[tokio::test]
async fn enable_disable_at_runtime_and_from_config() {
    let mut cfg = ProviderConfig::default();
    cfg.provider_mut("t-good").enabled = false;
    let m = manager(&[], cfg).await;
    assert_eq!(status(&m, "t-good"), ProviderStatus::Disabled);
    let e = refusal(&m, "t-good", &ask("x")).await;
    assert_eq!(e.to_string(), "t-good: unavailable: disabled");
    assert_eq!(
        e.remedies(),
        vec![Remedy::Enable {
            provider: "t-good".into()
        }]
    );
    assert_eq!(
        m.set_enabled("t-good", true).await.unwrap(),
        ProviderStatus::Ready
    );
    assert_eq!(
        m.set_enabled("t-good", false).await.unwrap(),
        ProviderStatus::Disabled
    );
}

#[tokio::test]
async fn unknown_provider_lists_what_is_compiled_in() {
    let m = manager(&[], ProviderConfig::default()).await;
    let e = m.info("t-goood").unwrap_err().to_string();
    assert!(e.contains("unknown provider \"t-goood\""), "{e}");
    assert!(e.contains("t-good"), "{e}");
}

#[tokio::test]
async fn registration_records_the_registering_crate() {
    let m = manager(&[], ProviderConfig::default()).await;
    let info = m.info("t-good").unwrap();
    assert_eq!(info.crate_name, "yat-core");
    assert_eq!(info.crate_version, env!("CARGO_PKG_VERSION"));
    assert!(!info.user_defined);
}

#[tokio::test]
async fn a_required_provider_that_is_not_linked_fails_the_build_naming_it() {
    let e = support::builder(&[])
        .require("t-good")
        .require_all(["t-needs-key", "zeta", "omega"])
        .build()
        .await
        .unwrap_err();
    match &e {
        YatError::UnknownProvider { id, available } => {
            assert_eq!(id, "zeta", "the first missing one, in the order required");
            assert!(available.iter().any(|a| a == "t-good"), "{available:?}");
        }
        other => panic!("expected unknown_provider, got {other:?}"),
    }
    assert!(e.to_string().contains("\"zeta\""), "{e}");

    // Every required id linked (a duplicated one is linked, if unusable):
    // the build goes on and reports each provider's status as usual.
    let m = support::builder(&[])
        .require_all(["t-good", "t-needs-key", "t-dup"])
        .build()
        .await
        .unwrap();
    assert!(status(&m, "t-good").is_ready());
    assert!(matches!(
        status(&m, "t-needs-key"),
        ProviderStatus::NeedsConfiguration { .. }
    ));
}

#[tokio::test]
async fn malformed_config_fails_the_build_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider_config.json");
    std::fs::write(&path, "{\"providers\": [,]}").unwrap();
    let e = ProviderManager::builder()
        .location(yat_core::ConfigLocation::for_file(path, dir.path()))
        .build()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("provider_config.json:1:"), "{e}");
}

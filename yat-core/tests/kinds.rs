//! Provider kinds (linked, user-defined, process), shadowing between
//! sources, and the health a live instance reports about itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use yat_core::{
    async_trait, register_provider, ChatRequest, ChatStream, Health, LlmProvider, ModelInfo,
    ProcessOrigin, ProviderConfig, ProviderDef, ProviderKind, ProviderManager, ProviderStatus,
    ResolvedSettings, YatError,
};

/// A provider whose failure is a switch the test flips: while it is on,
/// `list_models` fails and `health` says why, as a process provider whose
/// child crashed does until it restarts.
struct Flaky {
    id: &'static str,
    broken: Arc<AtomicBool>,
}

#[async_trait]
impl LlmProvider for Flaky {
    async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> {
        Ok(())
    }
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(YatError::Unavailable {
                provider: self.id.into(),
                reason: "child exited".into(),
            });
        }
        Ok(vec![ModelInfo::new(self.id, "m")])
    }
    async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
        Ok(yat_core::stream::from_text(self.id, vec!["hi".into()]))
    }
    fn health(&self) -> Health {
        if self.broken.load(Ordering::SeqCst) {
            Health::failed("child exited (code 3)")
        } else {
            Health::default()
        }
    }
}

register_provider! { id: "k-linked", name: "Linked", constructor: || Ok(Box::new(Flaky { id: "k-linked", broken: Arc::default() })) }

fn def(id: &'static str, kind: ProviderKind, broken: Arc<AtomicBool>) -> ProviderDef {
    ProviderDef::dynamic(
        id,
        id,
        vec![],
        ("test", "0"),
        Arc::new(move || {
            Ok(Box::new(Flaky {
                id,
                broken: broken.clone(),
            }))
        }),
    )
    .with_kind(kind)
}

fn process(path: &str) -> ProviderKind {
    ProviderKind::Process(ProcessOrigin::new(path.into(), vec![path.into()], "PATH"))
}

#[tokio::test]
async fn a_linked_id_shadows_a_process_plugin_which_stays_listed_and_is_not_built() {
    let built = Arc::new(AtomicBool::new(false));
    let built_in_ctor = built.clone();
    let m = ProviderManager::builder()
        .env(Default::default())
        .config(ProviderConfig::default())
        .dynamic_source(Arc::new(move |_| {
            let flag = built_in_ctor.clone();
            vec![ProviderDef::dynamic(
                "k-linked",
                "Plugin",
                vec![],
                ("test", "0"),
                Arc::new(move || {
                    flag.store(true, Ordering::SeqCst);
                    Err(YatError::Unavailable {
                        provider: "k-linked".into(),
                        reason: "should not be built".into(),
                    })
                }),
            )
            .with_kind(process("/opt/yat-provider-k-linked"))]
        }))
        .build()
        .await
        .unwrap();
    let info = m.info("k-linked").unwrap();
    assert_eq!(info.kind, ProviderKind::Linked);
    assert!(info.status.is_ready());
    assert!(
        info.health.is_none(),
        "a healthy provider has nothing to report"
    );
    let shadowed = m.shadowed();
    assert_eq!(shadowed.len(), 1);
    assert_eq!(shadowed[0].kind.label(), "process");
    match &shadowed[0].status {
        ProviderStatus::Shadowed { by } => assert!(by.starts_with("the linked provider"), "{by}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        shadowed[0].status.to_string(),
        format!(
            "shadowed by the linked provider (yat-core {})",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(
        !built.load(Ordering::SeqCst),
        "a shadowed plugin is not built"
    );
}

#[tokio::test]
async fn sources_add_up_and_the_first_source_wins_an_id() {
    let m = ProviderManager::builder()
        .env(Default::default())
        .config(ProviderConfig::default())
        .dynamic_source(Arc::new(|_| {
            vec![def("k-a", ProviderKind::UserDefined, Arc::default())]
        }))
        .dynamic_source(Arc::new(|_| {
            vec![
                def("k-a", process("/p/yat-provider-k-a"), Arc::default()),
                def("k-b", process("/p/yat-provider-k-b"), Arc::default()),
            ]
        }))
        .build()
        .await
        .unwrap();
    let a = m.info("k-a").unwrap();
    assert_eq!(a.kind, ProviderKind::UserDefined);
    assert!(a.user_defined);
    let b = m.info("k-b").unwrap();
    assert_eq!(
        b.kind.process().unwrap().path,
        std::path::Path::new("/p/yat-provider-k-b")
    );
    assert!(!b.user_defined);
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["kind"]["type"], "process");
    assert_eq!(json["kind"]["command"][0], "/p/yat-provider-k-b");
    let shadowed = m.shadowed();
    assert_eq!(shadowed.len(), 1);
    assert_eq!(
        shadowed[0].status.to_string(),
        "shadowed by the provider defined in provider_config.json"
    );
}

#[tokio::test]
async fn an_instance_that_reports_its_own_failure_shows_failed_and_is_kept_to_recover() {
    let broken = Arc::new(AtomicBool::new(false));
    let flag = broken.clone();
    let m = ProviderManager::builder()
        .env(Default::default())
        .config(ProviderConfig::default())
        .dynamic_source(Arc::new(move |_| {
            vec![def(
                "k-flaky",
                process("/p/yat-provider-k-flaky"),
                flag.clone(),
            )]
        }))
        .build()
        .await
        .unwrap();
    assert!(m.info("k-flaky").unwrap().status.is_ready());

    broken.store(true, Ordering::SeqCst);
    let e = m.list_models("k-flaky").await.unwrap_err();
    assert!(e.to_string().contains("child exited"), "{e}");
    let info = m.info("k-flaky").unwrap();
    assert_eq!(
        info.status,
        ProviderStatus::Failed {
            reason: "child exited (code 3)".into()
        }
    );
    assert_eq!(
        info.health.unwrap().failed.as_deref(),
        Some("child exited (code 3)")
    );

    // The instance was kept: once it recovers, the same manager uses it.
    broken.store(false, Ordering::SeqCst);
    assert_eq!(m.list_models("k-flaky").await.unwrap().len(), 1);
    assert!(m.info("k-flaky").unwrap().status.is_ready());
}

#[tokio::test]
async fn an_instance_without_health_is_discarded_when_listing_fails_as_before() {
    struct Fails;
    #[async_trait]
    impl LlmProvider for Fails {
        async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> {
            Ok(())
        }
        async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
            Err(YatError::network("k-fails", "down"))
        }
        async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
            Err(YatError::network("k-fails", "down"))
        }
    }
    let m = ProviderManager::builder()
        .env(Default::default())
        .config(ProviderConfig::default())
        .dynamic_source(Arc::new(|_| {
            vec![ProviderDef::dynamic(
                "k-fails",
                "Fails",
                vec![],
                ("test", "0"),
                Arc::new(|| Ok(Box::new(Fails))),
            )]
        }))
        .build()
        .await
        .unwrap();
    m.list_models("k-fails").await.unwrap_err();
    assert!(matches!(
        m.provider("k-fails").err(),
        Some(YatError::NotReady { .. })
    ));
}

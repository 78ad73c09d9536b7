//! Plugin isolation (hardening issue #6), beyond `manager.rs`: the panic
//! message reaches the provider's status for every duty, panics with
//! payloads that are not strings, a panic while a stream is dropped
//! (cancelled), streams of the same provider that are already running when
//! it panics, panics inside spawned tasks on a multi-threaded runtime, and a
//! panic in `initialize` during a reload under load. In every case the host
//! keeps working and the other providers are unaffected.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use yat_core::{
    async_trait, register_provider, ChatEvent, ChatRequest, ChatStream, ChatStreamExt, Finish,
    FinishReason, LlmProvider, Message, ModelInfo, ProviderConfig, ProviderManager, ProviderStatus,
    ResolvedSettings, SettingSpec, YatError,
};

/// Every test body runs under this limit: a hang fails instead of blocking.
const LIMIT: Duration = Duration::from_secs(20);

async fn bounded<F: std::future::Future<Output = ()>>(body: F) {
    if tokio::time::timeout(LIMIT, body).await.is_err() {
        panic!("no result within {LIMIT:?}: a hang");
    }
}

/// What a provider does wrong, chosen per id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    /// Behaves.
    None,
    /// `panic_any(42)` in `initialize`.
    OpaqueInit,
    /// `panic!` with a formatted message in `list_models`.
    PanicList,
    /// `panic!` creating a stream.
    PanicStream,
    /// The stream panics when it is dropped before its end.
    PanicOnDrop,
    /// A stream whose prompt is `panic` panics after one delta; others are
    /// slow and fine. `panic_any` of a non-string when the prompt is `opaque`.
    PanicOnRequest,
    /// Panics in `initialize` when the `explode` setting is `yes`.
    PanicInitWhenAsked,
}

struct Flaky {
    id: &'static str,
    fault: Fault,
}

/// A stream that panics in its destructor unless it ran to its end.
struct Grenade {
    left: usize,
}

impl futures::Stream for Grenade {
    type Item = Result<ChatEvent, YatError>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(match self.left {
            0 => None,
            n => {
                self.left = n - 1;
                Some(Ok(if n == 1 {
                    ChatEvent::Finish(Finish::new(FinishReason::Stop, "stop"))
                } else {
                    ChatEvent::Delta { text: "x".into() }
                }))
            }
        })
    }
}

impl Drop for Grenade {
    fn drop(&mut self) {
        if self.left > 0 && !std::thread::panicking() {
            panic!("boom dropping the stream");
        }
    }
}

/// A slow, well-behaved stream of `pieces`, then a finish.
fn slow(pieces: Vec<String>) -> ChatStream {
    Box::pin(
        futures::stream::iter(pieces)
            .then(|t| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(ChatEvent::Delta { text: t })
            })
            .chain(futures::stream::iter([Ok(ChatEvent::Finish(Finish::new(
                FinishReason::Stop,
                "stop",
            )))])),
    )
}

#[async_trait]
impl LlmProvider for Flaky {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        match self.fault {
            Fault::OpaqueInit => std::panic::panic_any(42_u32),
            Fault::PanicInitWhenAsked if settings.get("explode") == Some("yes") => {
                panic!("boom in initialize on reload")
            }
            _ => Ok(()),
        }
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        if self.fault == Fault::PanicList {
            let n = 7;
            panic!("boom listing {n} models");
        }
        Ok(vec![ModelInfo::new(self.id, "m")])
    }

    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        let prompt = req
            .messages
            .last()
            .map(|m| m.text().into_owned())
            .unwrap_or_default();
        match self.fault {
            Fault::PanicStream => panic!("boom creating a stream for {prompt:?}"),
            Fault::PanicOnDrop => Ok(Box::pin(Grenade { left: 4 })),
            Fault::PanicOnRequest if prompt == "panic" || prompt == "opaque" => {
                let n = AtomicUsize::new(0);
                Ok(Box::pin(futures::stream::poll_fn(move |_| {
                    if n.fetch_add(1, Ordering::SeqCst) == 0 {
                        std::task::Poll::Ready(Some(Ok(ChatEvent::Delta { text: "a".into() })))
                    } else if prompt == "opaque" {
                        std::panic::panic_any(vec![1_u8, 2, 3])
                    } else {
                        panic!("boom mid-stream for {prompt:?}")
                    }
                })))
            }
            _ => Ok(slow(vec![prompt, "!".into()])),
        }
    }
}

const EXPLODE: &[SettingSpec] = &[SettingSpec::text("explode", "Explode", &[])];

register_provider! { id: "i-good", name: "Good", constructor: || Ok(Box::new(Flaky { id: "i-good", fault: Fault::None })) }
register_provider! { id: "i-opaque-init", name: "Opaque panic in init", constructor: || Ok(Box::new(Flaky { id: "i-opaque-init", fault: Fault::OpaqueInit })) }
register_provider! { id: "i-opaque-ctor", name: "Opaque panic in constructor", constructor: || std::panic::panic_any(()) }
register_provider! { id: "i-panic-list", name: "Panics listing", constructor: || Ok(Box::new(Flaky { id: "i-panic-list", fault: Fault::PanicList })) }
register_provider! { id: "i-panic-stream", name: "Panics creating a stream", constructor: || Ok(Box::new(Flaky { id: "i-panic-stream", fault: Fault::PanicStream })) }
register_provider! { id: "i-panic-drop", name: "Stream panics when dropped", constructor: || Ok(Box::new(Flaky { id: "i-panic-drop", fault: Fault::PanicOnDrop })) }
register_provider! { id: "i-panic-request", name: "Panics on request", constructor: || Ok(Box::new(Flaky { id: "i-panic-request", fault: Fault::PanicOnRequest })) }
register_provider! { id: "i-reload", name: "Panics on reload", constructor: || Ok(Box::new(Flaky { id: "i-reload", fault: Fault::PanicInitWhenAsked })), settings: EXPLODE }

async fn manager() -> ProviderManager {
    ProviderManager::builder()
        .env(BTreeMap::new())
        .config(ProviderConfig::default())
        .build()
        .await
        .expect("manager builds")
}

fn req(prompt: &str) -> ChatRequest {
    ChatRequest::new("m", vec![Message::user(prompt)])
}

#[track_caller]
fn failed_reason(m: &ProviderManager, id: &str) -> String {
    match m.info(id).unwrap().status {
        ProviderStatus::Failed { reason } => reason,
        other => panic!("{id}: expected failed, got {other:?}"),
    }
}

/// The host still works: the good provider streams and lists.
async fn host_works(m: &ProviderManager) {
    let r = m
        .stream_chat("i-good", &req("still here"))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(r.text(), "still here!");
    assert_eq!(m.list_models("i-good").await.unwrap().len(), 1);
    assert_eq!(m.info("i-good").unwrap().status, ProviderStatus::Ready);
}

#[tokio::test]
async fn every_duty_reports_the_panic_message_in_the_status() {
    bounded(async {
        let m = manager().await;
        assert!(failed_reason(&m, "i-opaque-ctor").contains("panicked in constructor"));
        assert!(failed_reason(&m, "i-opaque-init").contains("panicked in initialize"));

        let e = m.list_models("i-panic-list").await.unwrap_err();
        assert!(matches!(e, YatError::ProviderPanicked { .. }), "{e:?}");
        assert!(failed_reason(&m, "i-panic-list").contains("boom listing 7 models"));

        let e = m
            .stream_chat("i-panic-stream", &req("hi"))
            .await
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("boom creating a stream for \"hi\""),
            "{e}"
        );
        assert!(failed_reason(&m, "i-panic-stream").contains("boom creating a stream"));
        host_works(&m).await;
    })
    .await;
}

#[tokio::test]
async fn panics_with_payloads_that_are_not_strings_are_reported_too() {
    bounded(async {
        let m = manager().await;
        for id in ["i-opaque-ctor", "i-opaque-init"] {
            assert!(
                failed_reason(&m, id).contains("non-string payload"),
                "{id}: {}",
                failed_reason(&m, id)
            );
        }
        let mut s = m
            .stream_chat("i-panic-request", &req("opaque"))
            .await
            .unwrap();
        assert!(matches!(s.next().await, Some(Ok(ChatEvent::Delta { .. }))));
        match s.next().await {
            Some(Err(YatError::ProviderPanicked { message, .. })) => {
                assert!(message.contains("non-string payload"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(s.next().await.is_none());
        host_works(&m).await;
    })
    .await;
}

#[tokio::test]
async fn a_stream_that_panics_when_dropped_mid_way_does_not_reach_the_caller() {
    bounded(async {
        let m = manager().await;
        // Run to its end: no panic.
        let r = m
            .stream_chat("i-panic-drop", &req("x"))
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(r.text(), "xxx");
        // Cancelled after one delta: the drop panics inside the provider.
        let mut s = m.stream_chat("i-panic-drop", &req("x")).await.unwrap();
        assert!(matches!(s.next().await, Some(Ok(ChatEvent::Delta { .. }))));
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(s)));
        assert!(dropped.is_ok(), "the stream's panic reached the caller");
        assert!(failed_reason(&m, "i-panic-drop").contains("boom dropping the stream"));
        host_works(&m).await;
    })
    .await;
}

#[tokio::test]
async fn streams_already_running_survive_a_sibling_stream_panic() {
    bounded(async {
        let m = manager().await;
        let running = m
            .stream_chat("i-panic-request", &req("steady"))
            .await
            .unwrap();
        let mut bad = m
            .stream_chat("i-panic-request", &req("panic"))
            .await
            .unwrap();
        assert!(matches!(bad.next().await, Some(Ok(_))));
        let e = bad.next().await.unwrap().unwrap_err();
        assert!(
            e.to_string().contains("boom mid-stream for \"panic\""),
            "{e}"
        );
        assert!(failed_reason(&m, "i-panic-request").contains("boom mid-stream"));
        // The provider is failed for new chats, but the chat that was
        // running on the same instance finishes whole.
        let r = running.collect_response().await.unwrap();
        assert_eq!(r.text(), "steady!");
        assert!(r.finish.is_some());
        let e = m
            .stream_chat("i-panic-request", &req("x"))
            .await
            .err()
            .unwrap();
        assert!(matches!(e, YatError::NotReady { .. }), "{e}");
        // A reload brings it back.
        assert_eq!(
            m.reload("i-panic-request").await.unwrap(),
            ProviderStatus::Ready
        );
        host_works(&m).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn panics_in_spawned_tasks_become_error_events_not_aborts() {
    bounded(async {
        let m = manager().await;
        let mut tasks = Vec::new();
        for i in 0..64 {
            let m = m.clone();
            tasks.push(tokio::spawn(async move {
                let (id, prompt) = if i % 2 == 0 {
                    ("i-good", format!("p{i}"))
                } else {
                    ("i-panic-request", "panic".to_owned())
                };
                let r = match m.stream_chat(id, &req(&prompt)).await {
                    Ok(s) => s.collect_response().await,
                    Err(e) => Err(e),
                };
                (i, prompt, r)
            }));
        }
        let mut good = 0;
        for t in tasks {
            let (i, prompt, r) = t.await.expect("no task died of a provider panic");
            if i % 2 == 0 {
                assert_eq!(r.unwrap().text(), format!("{prompt}!"));
                good += 1;
            } else {
                // Panicked mid-stream, or refused once the provider was
                // marked failed: an error either way, never an abort.
                let e = r.unwrap_err();
                assert!(
                    matches!(
                        e,
                        YatError::ProviderPanicked { .. } | YatError::NotReady { .. }
                    ),
                    "{e:?}"
                );
            }
        }
        assert_eq!(good, 32);
        host_works(&m).await;
    })
    .await;
}

#[tokio::test]
async fn a_panic_in_initialize_during_reload_spares_running_streams() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("provider_config.json");
        let m = ProviderManager::builder()
            .env(BTreeMap::new())
            .location(yat_core::ConfigLocation::for_file(path.clone(), dir.path()))
            .build()
            .await
            .unwrap();
        let running: Vec<ChatStream> = futures::future::join_all((0..8).map(|i| {
            let m = m.clone();
            async move {
                m.stream_chat("i-reload", &req(&format!("r{i}")))
                    .await
                    .unwrap()
            }
        }))
        .await;
        let mut cfg = ProviderConfig::default();
        cfg.provider_mut("i-reload").setting_mut("explode").value = Some("yes".into());
        cfg.save(&path).unwrap();
        match m.reload("i-reload").await.unwrap() {
            ProviderStatus::Failed { reason } => {
                assert!(reason.contains("boom in initialize on reload"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        for (i, s) in running.into_iter().enumerate() {
            let r = s.collect_response().await.unwrap();
            assert_eq!(r.text(), format!("r{i}!"));
        }
        host_works(&m).await;
    })
    .await;
}

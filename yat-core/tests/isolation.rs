//! Plugin isolation (hardening issue #6), beyond `manager.rs`: the panic
//! message reaches the provider's status for every duty, panics with
//! payloads that are not strings, a panic while a stream is dropped
//! (cancelled), streams of the same provider that are already running when
//! it panics, panics inside spawned tasks on a multi-threaded runtime, and a
//! panic in `initialize` during a reload under load. In every case the host
//! keeps working and the other providers are unaffected.

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::{
    answer, ask, failed_reason, manager, panic_message_of, panics_after_one_delta, refusal, slow,
    Call, Scripted,
};
use yat_core::{
    register_provider, ChatEvent, ChatStream, ChatStreamExt, Finish, FinishReason, ProviderConfig,
    ProviderManager, ProviderStatus, ResolvedSettings, SettingSpec, YatError,
};

/// Every test body runs under this limit: a hang fails instead of blocking.
const LIMIT: Duration = Duration::from_secs(20);

async fn bounded<F: std::future::Future<Output = ()>>(body: F) {
    if tokio::time::timeout(LIMIT, body).await.is_err() {
        panic!("no result within {LIMIT:?}: a hang");
    }
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

/// The well-behaved answer: the prompt, then `!`, slowly.
fn echo(c: Call<'_>) -> Result<ChatStream, YatError> {
    Ok(slow(vec![c.prompt(), "!".into()]))
}

/// A stream whose prompt is `panic` panics after one delta; `opaque` panics
/// with a payload that is not a string; others are slow and fine.
fn panics_on_request(c: Call<'_>) -> Result<ChatStream, YatError> {
    match c.prompt().as_str() {
        "opaque" => Ok(panics_after_one_delta(vec![1_u8, 2, 3])),
        prompt @ "panic" => Ok(panics_after_one_delta(format!(
            "boom mid-stream for {prompt:?}"
        ))),
        _ => echo(c),
    }
}

/// Panics in `initialize` when the `explode` setting is `yes`.
fn explodes_when_asked(settings: &ResolvedSettings) -> Result<(), YatError> {
    if settings.get("explode") == Some("yes") {
        panic!("boom in initialize on reload")
    }
    Ok(())
}

const EXPLODE: &[SettingSpec] = &[SettingSpec::text("explode", "Explode", &[])];

register_provider! { id: "i-good", name: "Good", constructor: || Scripted::new("i-good").on_chat(echo).boxed() }
register_provider! { id: "i-opaque-init", name: "Opaque panic in init", constructor: || Scripted::new("i-opaque-init").on_init(|_| std::panic::panic_any(42_u32)).boxed() }
register_provider! { id: "i-opaque-ctor", name: "Opaque panic in constructor", constructor: || std::panic::panic_any(()) }
register_provider! { id: "i-panic-list", name: "Panics listing", constructor: || Scripted::new("i-panic-list").on_list(|_| { let n = 7; panic!("boom listing {n} models") }).boxed() }
register_provider! { id: "i-panic-stream", name: "Panics creating a stream", constructor: || Scripted::new("i-panic-stream").on_chat(|c| panic!("boom creating a stream for {:?}", c.prompt())).boxed() }
register_provider! { id: "i-panic-drop", name: "Stream panics when dropped", constructor: || Scripted::new("i-panic-drop").on_chat(|_| Ok(Box::pin(Grenade { left: 4 }))).boxed() }
register_provider! { id: "i-panic-request", name: "Panics on request", constructor: || Scripted::new("i-panic-request").on_chat(panics_on_request).boxed() }
register_provider! { id: "i-reload", name: "Panics on reload", constructor: || Scripted::new("i-reload").on_init(explodes_when_asked).on_chat(echo).boxed(), settings: EXPLODE }

/// Runs `body` on a fresh manager under the time limit, then checks that
/// the host still works.
async fn isolated<F, Fut>(body: F)
where
    F: FnOnce(ProviderManager) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    bounded(async {
        let m = manager(&[]).await;
        body(m.clone()).await;
        host_works(&m).await;
    })
    .await;
}

/// The host still works: the good provider streams and lists.
async fn host_works(m: &ProviderManager) {
    assert_eq!(
        answer(m, "i-good", &ask("still here")).await.text(),
        "still here!"
    );
    assert_eq!(m.list_models("i-good").await.unwrap().len(), 1);
    assert_eq!(m.info("i-good").unwrap().status, ProviderStatus::Ready);
}

#[tokio::test]
async fn every_duty_reports_the_panic_message_in_the_status() {
    isolated(|m| async move {
        assert!(failed_reason(&m, "i-opaque-ctor").contains("panicked in constructor"));
        assert!(failed_reason(&m, "i-opaque-init").contains("panicked in initialize"));

        let e = m.list_models("i-panic-list").await.unwrap_err();
        assert!(matches!(e, YatError::ProviderPanicked { .. }), "{e:?}");
        assert!(failed_reason(&m, "i-panic-list").contains("boom listing 7 models"));

        let e = refusal(&m, "i-panic-stream", &ask("hi")).await;
        assert!(
            e.to_string().contains("boom creating a stream for \"hi\""),
            "{e}"
        );
        assert!(failed_reason(&m, "i-panic-stream").contains("boom creating a stream"));
    })
    .await;
}

#[tokio::test]
async fn panics_with_payloads_that_are_not_strings_are_reported_too() {
    isolated(|m| async move {
        for id in ["i-opaque-ctor", "i-opaque-init"] {
            assert!(
                failed_reason(&m, id).contains("non-string payload"),
                "{id}: {}",
                failed_reason(&m, id)
            );
        }
        let s = m
            .stream_chat("i-panic-request", &ask("opaque"))
            .await
            .unwrap();
        let message = panic_message_of(s).await;
        assert!(message.contains("non-string payload"), "{message}");
    })
    .await;
}

#[tokio::test]
async fn a_stream_that_panics_when_dropped_mid_way_does_not_reach_the_caller() {
    isolated(|m| async move {
        // Run to its end: no panic.
        assert_eq!(answer(&m, "i-panic-drop", &ask("x")).await.text(), "xxx");
        // Cancelled after one delta: the drop panics inside the provider.
        let mut s = m.stream_chat("i-panic-drop", &ask("x")).await.unwrap();
        assert!(matches!(s.next().await, Some(Ok(ChatEvent::Delta { .. }))));
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(s)));
        assert!(dropped.is_ok(), "the stream's panic reached the caller");
        assert!(failed_reason(&m, "i-panic-drop").contains("boom dropping the stream"));
    })
    .await;
}

#[tokio::test]
async fn streams_already_running_survive_a_sibling_stream_panic() {
    isolated(|m| async move {
        let running = m
            .stream_chat("i-panic-request", &ask("steady"))
            .await
            .unwrap();
        let mut bad = m
            .stream_chat("i-panic-request", &ask("panic"))
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
        let e = refusal(&m, "i-panic-request", &ask("x")).await;
        assert!(matches!(e, YatError::NotReady { .. }), "{e}");
        // A reload brings it back.
        assert_eq!(
            m.reload("i-panic-request").await.unwrap(),
            ProviderStatus::Ready
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn panics_in_spawned_tasks_become_error_events_not_aborts() {
    isolated(|m| async move {
        let mut tasks = Vec::new();
        for i in 0..64 {
            let m = m.clone();
            tasks.push(tokio::spawn(async move {
                let (id, prompt) = if i % 2 == 0 {
                    ("i-good", format!("p{i}"))
                } else {
                    ("i-panic-request", "panic".to_owned())
                };
                let r = match m.stream_chat(id, &ask(&prompt)).await {
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
    })
    .await;
}

#[tokio::test]
async fn a_panic_in_initialize_during_reload_spares_running_streams() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("provider_config.json");
        let m = support::at_config_file(&path).build().await.unwrap();
        let running: Vec<ChatStream> = futures::future::join_all((0..8).map(|i| {
            let m = m.clone();
            async move {
                m.stream_chat("i-reload", &ask(&format!("r{i}")))
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

//! Fallback routing and hot reload against test-only providers.
//!
//! A failure before the first output is retried by the manager before the
//! router moves on; the tests that fail that way run on tokio's paused
//! clock, so the backoff takes no wall time.

mod support;

use futures::StreamExt;
use support::{events, m, manager, route, text, then_fail, unavailable, Call, Scripted};
use yat_core::watch::ConfigWatcher;
use yat_core::{
    register_provider, ChatEvent, ChatRequest, ChatStream, ChatStreamExt, ConfigLocation, Failure,
    Message, ProviderManager, SettingSpec, YatError,
};

fn answers(c: Call<'_>) -> Result<ChatStream, YatError> {
    Ok(events(vec![text(
        c.settings.get("greeting").unwrap_or("hello"),
    )]))
}

fn usage_then_text(_: Call<'_>) -> Result<ChatStream, YatError> {
    Ok(events(vec![
        ChatEvent::Usage(Default::default()),
        text("a"),
        text("b"),
    ]))
}

fn fails_at_start(c: Call<'_>) -> Result<ChatStream, YatError> {
    Err(unavailable(c.id, "down"))
}

fn fails_in_stream_before_text(c: Call<'_>) -> Result<ChatStream, YatError> {
    Ok(then_fail(
        vec![ChatEvent::Usage(Default::default())],
        unavailable(c.id, "down"),
    ))
}

fn fails_after_text(c: Call<'_>) -> Result<ChatStream, YatError> {
    Ok(then_fail(vec![text("partial")], unavailable(c.id, "down")))
}

fn thinks_then_fails(c: Call<'_>) -> Result<ChatStream, YatError> {
    let thinking = ChatEvent::ReasoningDelta {
        text: "let me see".into(),
    };
    Ok(then_fail(vec![thinking], unavailable(c.id, "down")))
}

fn rejects_key(c: Call<'_>) -> Result<ChatStream, YatError> {
    Err(YatError::Authentication(Failure::http(
        c.id, 401, "bad key",
    )))
}

fn rejects_request(c: Call<'_>) -> Result<ChatStream, YatError> {
    Err(YatError::InvalidRequest(Failure::http(
        c.id,
        400,
        "bad field",
    )))
}

const GREETING: &[SettingSpec] = &[SettingSpec::text(
    "greeting",
    "Greeting",
    &["ROUTING_TEST_GREETING"],
)];

register_provider! { id: "answers", name: "Answers", constructor: || Scripted::new("answers").on_chat(answers).boxed(), settings: GREETING }
register_provider! { id: "usage", name: "Usage first", constructor: || Scripted::new("usage").on_chat(usage_then_text).boxed() }
register_provider! { id: "down", name: "Down", constructor: || Scripted::new("down").on_chat(fails_at_start).boxed() }
register_provider! { id: "late", name: "Late", constructor: || Scripted::new("late").on_chat(fails_in_stream_before_text).boxed() }
register_provider! { id: "midway", name: "Midway", constructor: || Scripted::new("midway").on_chat(fails_after_text).boxed() }
register_provider! { id: "thinks", name: "Thinks", constructor: || Scripted::new("thinks").on_chat(thinks_then_fails).boxed() }
register_provider! { id: "nokey", name: "No key", constructor: || Scripted::new("nokey").on_chat(rejects_key).boxed() }
register_provider! { id: "badreq", name: "Bad request", constructor: || Scripted::new("badreq").on_chat(rejects_request).boxed() }

/// No model: each candidate's chat names its own.
fn request() -> ChatRequest {
    ChatRequest::new("", vec![Message::user("hi")])
}

#[tokio::test(start_paused = true)]
async fn failure_before_output_falls_through_to_the_next_candidate_in_order() {
    let manager = manager(&[]).await;
    let routed = route(&manager, &["down/m", "late/m", "answers/m"])
        .await
        .unwrap();
    assert_eq!(routed.target, m("answers/m"));
    let skipped: Vec<String> = routed
        .skipped
        .iter()
        .map(|a| a.target.to_string())
        .collect();
    assert_eq!(skipped, vec!["down/m", "late/m"]);
    assert_eq!(
        routed.stream.collect_response().await.unwrap().text(),
        "hello"
    );
}

#[tokio::test(start_paused = true)]
async fn events_read_before_the_first_text_are_replayed() {
    let manager = manager(&[]).await;
    // `late` sends usage, then fails: its usage must not leak into the next
    // candidate's answer, whose every event arrives, in order.
    let routed = route(&manager, &["late/m", "usage/m"]).await.unwrap();
    let events: Vec<_> = routed.stream.map(Result::unwrap).collect().await;
    assert_eq!(
        events,
        vec![
            ChatEvent::Usage(Default::default()),
            ChatEvent::Delta { text: "a".into() },
            ChatEvent::Delta { text: "b".into() },
        ]
    );
}

#[tokio::test]
async fn failure_after_text_belongs_to_the_caller_and_is_not_retried_elsewhere() {
    let manager = manager(&[]).await;
    let routed = route(&manager, &["midway/m", "answers/m"]).await.unwrap();
    assert_eq!(routed.target, m("midway/m"));
    let r = routed.stream.collect_response().await;
    assert!(matches!(r, Err(YatError::Server(_))));
}

#[tokio::test]
async fn an_error_that_does_not_allow_fallback_stops_at_once() {
    let manager = manager(&[]).await;
    let e = route(&manager, &["badreq/m", "answers/m"])
        .await
        .unwrap_err();
    assert_eq!(e.attempts.len(), 1);
    assert_eq!(e.error().kind(), "invalid_request");
}

#[tokio::test]
async fn a_rejected_key_says_nothing_about_the_next_provider() {
    let manager = manager(&[]).await;
    let routed = route(&manager, &["nokey/m", "answers/m"]).await.unwrap();
    assert_eq!(routed.target, m("answers/m"));
    assert_eq!(routed.skipped.len(), 1);
    assert_eq!(routed.skipped[0].error.kind(), "authentication");
}

#[tokio::test(start_paused = true)]
async fn when_all_fail_every_attempt_is_reported_and_the_last_error_wins() {
    let manager = manager(&[]).await;
    let e = route(&manager, &["down/m", "nosuch/m", "late/m"])
        .await
        .unwrap_err();
    // An unknown provider is a mistake, not an outage: it stops the search.
    assert_eq!(e.attempts.len(), 2);
    assert_eq!(e.error().kind(), "unknown_provider");
    let e = route(&manager, &["down/m", "late/m"]).await.unwrap_err();
    assert_eq!(e.attempts.len(), 2);
    assert_eq!(e.error().kind(), "server_error");
    assert!(e.to_string().contains("tried down/m, late/m"), "{e}");
}

#[tokio::test]
async fn editing_dotenv_reloads_only_the_provider_it_touches() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("provider_config.json");
    let location = ConfigLocation::for_file(config.clone(), dir.path());
    let manager = ProviderManager::builder()
        .location(location)
        .build()
        .await
        .unwrap();
    let mut watcher = ConfigWatcher::new(&manager).unwrap();
    assert!(watcher.reload_changed(&manager).await.unwrap().is_empty());

    std::fs::write(dir.path().join(".env"), "ROUTING_TEST_GREETING=bonjour\n").unwrap();
    let r = watcher.reload_changed(&manager).await.unwrap();
    assert_eq!(r.providers, vec!["answers"]);
    let reply = manager
        .chat(&m("answers/m"), request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(reply.text(), "bonjour");

    // Disabling a provider in the config file reloads it, and only it.
    std::fs::write(
        &config,
        r#"{"providers": [{"id": "down", "enabled": false}]}"#,
    )
    .unwrap();
    let r = watcher.reload_changed(&manager).await.unwrap();
    assert_eq!(r.providers, vec!["down"]);
    assert_eq!(r.files, vec![config.clone()]);
    assert!(!manager.info("down").unwrap().status.is_ready());

    // A broken file is an error and leaves the providers as they were.
    std::fs::write(&config, "{ not json").unwrap();
    assert!(watcher.reload_changed(&manager).await.is_err());
    assert!(manager.info("answers").unwrap().status.is_ready());
    // Seen once: the same broken file is not reported again.
    assert!(watcher.reload_changed(&manager).await.unwrap().is_empty());
}

#[tokio::test]
async fn reasoning_is_output_so_it_streams_at_once_and_a_later_failure_is_not_retried_elsewhere() {
    let manager = manager(&[]).await;
    let mut routed = route(&manager, &["thinks/m", "answers/m"]).await.unwrap();
    // The thinking was shown: falling back now would show a second reply.
    assert_eq!(routed.target, m("thinks/m"));
    assert!(routed.skipped.is_empty());
    assert!(matches!(
        routed.stream.next().await,
        Some(Ok(ChatEvent::ReasoningDelta { .. }))
    ));
    assert!(matches!(
        routed.stream.next().await,
        Some(Err(YatError::Server(_)))
    ));
}

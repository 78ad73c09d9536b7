//! The one "before the first output" policy, through the manager's chat
//! path and the router, against in-test providers that fail on cue.
//!
//! Backoff runs on tokio's paused clock: the waits are real waits of the
//! runtime's timer, checked to the millisecond, and take no wall time.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use support::{answer, ask, events, failed_reason, m, refusal, route, text, then_fail, Scripted};
use yat_core::retry::RetryPolicy;
use yat_core::{
    register_provider, ChatEvent, ChatStreamExt, Failure, ProviderManager, Usage, YatError,
};

fn unavailable(id: &str, n: usize) -> YatError {
    support::unavailable(id, format!("down on attempt {n}"))
}

/// A provider whose attempt `n` (1-based) does what `script` says, counted
/// in a static of its own so tests running in parallel never share one.
macro_rules! scripted {
    ($id:literal, $counter:ident, $script:expr) => {
        static $counter: AtomicUsize = AtomicUsize::new(0);
        register_provider! {
            id: $id,
            name: $id,
            constructor: || Scripted::new($id)
                .counting(&$counter)
                .on_chat(|c| ($script)(c.attempt))
                .boxed(),
        }
    };
}

scripted!("r-twice", TWICE, |n| match n {
    1 | 2 => Err(unavailable("r-twice", n)),
    _ => Ok(events(vec![text(&format!("answered on attempt {n}"))])),
});
scripted!("r-in-stream", IN_STREAM, |n| match n {
    // Usage, then a failure: nothing was shown, so this is retried.
    1 => Ok(then_fail(
        vec![ChatEvent::Usage(Usage::new(7, 0))],
        unavailable("r-in-stream", n),
    )),
    _ => Ok(events(vec![
        ChatEvent::Usage(Usage::new(7, 0)),
        text("second")
    ])),
});
scripted!("r-midway", MIDWAY, |n| Ok(then_fail(
    vec![text("partial")],
    unavailable("r-midway", n)
)));
scripted!("r-limited", LIMITED, |n| match n {
    1 => Err(YatError::RateLimited {
        failure: Failure::http("r-limited", 429, "slow down"),
        retry_after: Some(Duration::from_secs(5)),
    }),
    _ => Ok(events(vec![text("after the wait")])),
});
scripted!("r-backoff", BACKOFF, |n| match n {
    1 | 2 => Err(unavailable("r-backoff", n)),
    _ => Ok(events(vec![text("ok")])),
});
scripted!("r-invalid", INVALID, |_| Err(YatError::InvalidRequest(
    Failure::http("r-invalid", 400, "bad field")
)));
scripted!("r-cancel", CANCEL, |_| Err(YatError::RateLimited {
    failure: Failure::http("r-cancel", 429, "slow down"),
    retry_after: Some(Duration::from_secs(10)),
}));
scripted!("r-always-down", ALWAYS_DOWN, |n| Err(unavailable(
    "r-always-down",
    n
)));
scripted!("r-setting", SETTING, |n| Err(unavailable("r-setting", n)));
scripted!("r-bad-setting", BAD_SETTING, |_| Ok(events(vec![])));
scripted!("r-nokey", NOKEY, |_| Err(YatError::Authentication(
    Failure::http("r-nokey", 401, "invalid api key")
)));
scripted!("r-quota", QUOTA, |_| Err(YatError::QuotaExhausted(
    Failure::http("r-quota", 429, "insufficient_quota")
)));
scripted!("r-malformed", MALFORMED, |_| Err(YatError::InvalidRequest(
    Failure::http("r-malformed", 400, "messages: required")
)));
scripted!("r-answers", ANSWERS, |_| Ok(events(vec![text(
    "from the fallback"
)])));
scripted!("r-silent", SILENT, |_| Ok(events(vec![ChatEvent::Usage(
    Usage::new(3, 0)
)])));

async fn manager_with(policy: RetryPolicy, env: &[(&str, &str)]) -> ProviderManager {
    support::builder(env)
        .retry_policy(policy)
        .build()
        .await
        .unwrap()
}

/// What `f` gives, and how long it took on the runtime's (paused) clock.
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let start = tokio::time::Instant::now();
    let out = f.await;
    (out, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_provider_that_fails_twice_answers_on_the_third_attempt() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    let reply = answer(&manager, "r-twice", &ask("hi")).await;
    assert_eq!(reply.text(), "answered on attempt 3");
    assert_eq!(TWICE.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_failure_after_usage_only_is_retried_and_the_caller_sees_one_reply() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    let events: Vec<ChatEvent> = manager
        .stream_chat("r-in-stream", &ask("hi"))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    // The first attempt's usage is gone with it; the second's is replayed.
    assert_eq!(
        events,
        vec![ChatEvent::Usage(Usage::new(7, 0)), text("second")]
    );
    assert_eq!(IN_STREAM.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failure_after_the_first_output_is_neither_retried_nor_falls_back() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    let mut routed = route(&manager, &["r-midway/m", "r-answers/m"])
        .await
        .unwrap();
    assert_eq!(routed.target, m("r-midway/m"));
    assert!(routed.skipped.is_empty());
    assert_eq!(
        routed.stream.next().await.unwrap().unwrap(),
        text("partial")
    );
    let e = routed.stream.next().await.unwrap().unwrap_err();
    assert!(e.to_string().contains("down on attempt 1"), "{e}");
    assert!(routed.stream.next().await.is_none());
    assert_eq!(MIDWAY.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_waited_for_exactly() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    let (reply, waited) = timed(answer(&manager, "r-limited", &ask("hi"))).await;
    assert_eq!(reply.text(), "after the wait");
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_millis(5_010),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_retry_after_the_backoff_grows_with_jitter_within_its_bounds() {
    let policy = RetryPolicy::new(2)
        .with_initial_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(1));
    let manager = manager_with(policy, &[]).await;
    let (stream, waited) = timed(manager.stream_chat("r-backoff", &ask("hi"))).await;
    let stream = stream.unwrap();
    // 50..=100 ms, then 100..=200 ms ("equal jitter").
    assert_eq!(stream.collect_response().await.unwrap().text(), "ok");
    assert!(
        waited >= Duration::from_millis(150) && waited <= Duration::from_millis(310),
        "{waited:?}"
    );
    assert_eq!(BACKOFF.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn errors_that_are_not_retryable_are_returned_at_once() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    let (e, took) = timed(refusal(&manager, "r-invalid", &ask("hi"))).await;
    assert_eq!(e.kind(), "invalid_request");
    assert_eq!(INVALID.load(Ordering::SeqCst), 1);
    assert_eq!(took, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_chat_during_the_backoff_stops_the_retries() {
    let manager = manager_with(RetryPolicy::new(5), &[]).await;
    // Attempt 1 at 0 s, attempt 2 at 10 s, the next wait would end at 20 s:
    // the chat is dropped at 15 s, in the middle of it.
    let request = ask("hi");
    let chat = manager.stream_chat("r-cancel", &request);
    let r = tokio::time::timeout(Duration::from_secs(15), chat).await;
    assert!(r.is_err(), "still waiting when dropped");
    assert_eq!(CANCEL.load(Ordering::SeqCst), 2);
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(
        CANCEL.load(Ordering::SeqCst),
        2,
        "no attempt after the drop"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_come_first_then_the_fallback() {
    let manager = manager_with(RetryPolicy::new(2), &[]).await;
    let routed = route(&manager, &["r-always-down/m", "r-answers/m"])
        .await
        .unwrap();
    assert_eq!(ALWAYS_DOWN.load(Ordering::SeqCst), 3);
    assert_eq!(routed.target, m("r-answers/m"));
    assert_eq!(routed.skipped.len(), 1);
    let skipped = routed.skipped[0].error.to_string();
    assert!(skipped.contains("down on attempt 3"), "{skipped}");
    let reply = routed.stream.collect_response().await.unwrap();
    assert_eq!(reply.text(), "from the fallback");
}

#[tokio::test(start_paused = true)]
async fn the_max_retries_setting_of_a_provider_overrides_the_policy() {
    // The provider declares no such setting: every provider has it anyway.
    let manager = manager_with(RetryPolicy::new(4), &[("R_SETTING_MAX_RETRIES", "1")]).await;
    let e = refusal(&manager, "r-setting", &ask("hi")).await;
    assert!(e.to_string().contains("down on attempt 2"), "{e}");
    assert_eq!(SETTING.load(Ordering::SeqCst), 2);

    // A value that is not a number fails that provider, saying which setting.
    let manager = manager_with(
        RetryPolicy::default(),
        &[("R_BAD_SETTING_MAX_RETRIES", "lots")],
    )
    .await;
    let reason = failed_reason(&manager, "r-bad-setting");
    assert!(reason.contains("max_retries"), "{reason}");
    assert!(manager.info("r-answers").unwrap().status.is_ready());
}

#[tokio::test(start_paused = true)]
async fn a_reply_without_any_output_is_returned_whole() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    let events: Vec<_> = manager
        .stream_chat("r-silent", &ask("hi"))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(events.len(), 1);
    assert!(matches!(events[0], Ok(ChatEvent::Usage(_))));
    assert_eq!(SILENT.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failure_of_the_first_provider_alone_moves_to_the_next_candidate() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    // An exhausted quota says nothing about the next provider: next one.
    let routed = route(&manager, &["r-quota/m", "r-answers/m"])
        .await
        .unwrap();
    assert_eq!(routed.target, m("r-answers/m"));
    assert_eq!(routed.skipped[0].error.kind(), "quota_exhausted");
    assert_eq!(
        QUOTA.load(Ordering::SeqCst),
        1,
        "not retryable: one attempt"
    );

    // A malformed request would fail the same way anywhere: stop.
    let e = route(&manager, &["r-malformed/m", "r-answers/m"])
        .await
        .unwrap_err();
    assert_eq!(e.attempts.len(), 1);
    assert_eq!(e.error().kind(), "invalid_request");
}

#[tokio::test(start_paused = true)]
async fn a_rejected_key_follows_the_fallback_rule_and_is_never_retried() {
    let manager = manager_with(RetryPolicy::default(), &[]).await;
    let routed = route(&manager, &["r-nokey/m", "r-answers/m"])
        .await
        .expect("a rejected key says nothing about the next provider");
    assert_eq!(routed.target, m("r-answers/m"));
    assert_eq!(routed.skipped[0].error.kind(), "authentication");
    assert_eq!(
        NOKEY.load(Ordering::SeqCst),
        1,
        "a rejected key is not retried"
    );
}

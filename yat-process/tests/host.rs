//! The host against real child processes: the fault plugin
//! (tests/plugins/fault_plugin.py) behind a `yat-provider-fault` wrapper.

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::*;
use yat_core::{ChatEvent, LlmProvider, YatError};

#[tokio::test]
async fn building_and_initializing_start_nothing_the_first_use_starts_one_child() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        rig.recorded("starts").is_empty(),
        "initialize spawned the plugin"
    );
    assert_eq!(p.starts(), 0);
    let models = p.list_models().await.unwrap();
    assert_eq!(models[0].id, "m1");
    assert_eq!(models[0].provider, "fault");
    assert_eq!(rig.recorded("starts").len(), 1);
}

#[tokio::test]
async fn one_warm_child_serves_every_later_request() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    p.list_models().await.unwrap();
    let pid = p.pid().unwrap();
    for i in 0..5 {
        let items = drain(
            p.stream_chat(&ask(&format!("hello number {i}")))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(text(&items), format!("hello number {i}"));
        assert!(items.iter().all(Result::is_ok), "{items:?}");
        assert!(items.iter().any(|i| matches!(i, Ok(ChatEvent::Finish(_)))));
    }
    p.list_models().await.unwrap();
    assert_eq!(rig.recorded("starts").len(), 1);
    assert_eq!(p.pid(), Some(pid));
}

#[tokio::test]
async fn concurrent_chats_share_one_child_and_each_gets_its_own_events() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let a = p.stream_chat(&ask("slow 15")).await.unwrap();
    let b = p.stream_chat(&ask("slow 10")).await.unwrap();
    let c = p.stream_chat(&ask("three little words")).await.unwrap();
    let (a, b, c) = tokio::join!(drain(a), drain(b), drain(c));
    assert_eq!(text(&a), ".".repeat(15));
    assert_eq!(text(&b), ".".repeat(10));
    assert_eq!(text(&c), "three little words");
    assert!(a.iter().chain(&b).chain(&c).all(Result::is_ok));
    assert_eq!(rig.recorded("starts").len(), 1);
}

#[tokio::test]
async fn dropping_a_stream_sends_cancel_to_the_plugin_and_the_child_keeps_serving() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let mut s = p.stream_chat(&ask("slow 500")).await.unwrap();
    for _ in 0..3 {
        assert!(s.next().await.unwrap().is_ok());
    }
    drop(s);
    eventually("the plugin saw the cancel", || {
        rig.recorded("cancels").len() == 1
    })
    .await;
    let items = drain(p.stream_chat(&ask("still here")).await.unwrap()).await;
    assert_eq!(text(&items), "still here");
    assert_eq!(rig.recorded("starts").len(), 1);
}

#[tokio::test]
async fn a_plugin_error_mid_stream_is_typed_and_leaves_the_child_running() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let items = drain(p.stream_chat(&ask("fail")).await.unwrap()).await;
    assert_eq!(text(&items), "partial ");
    match last_error(&items) {
        YatError::RateLimited {
            failure,
            retry_after,
        } => {
            assert_eq!(failure.provider, "fault");
            assert_eq!(*retry_after, Some(Duration::from_millis(1200)));
        }
        other => panic!("{other:?}"),
    }
    assert!(p.health().failed.is_none());
    drain(p.stream_chat(&ask("ok")).await.unwrap()).await;
    assert_eq!(rig.recorded("starts").len(), 1);
}

#[tokio::test]
async fn a_crash_mid_stream_fails_every_open_chat_then_restarts_after_the_backoff() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let bystander = p.stream_chat(&ask("slow 400")).await.unwrap();
    let items = drain(p.stream_chat(&ask("crash")).await.unwrap()).await;
    assert_eq!(text(&items), "partial ");
    let e = last_error(&items).to_string();
    assert!(e.starts_with("fault: unavailable:"), "{e}");
    assert!(e.contains("was killed by signal 9"), "{e}");
    assert!(e.contains("crashing on purpose"), "the stderr tail: {e}");
    // The other chat on the same child ends with the same typed error.
    let other = drain(bystander).await;
    assert!(
        matches!(last_error(&other), YatError::Unavailable { .. }),
        "{other:?}"
    );

    let health = p.health();
    let failed = health.failed.expect("the provider reports the failure");
    assert!(
        failed.contains("killed by signal 9") && failed.contains("next try"),
        "{failed}"
    );
    assert!(health
        .last_failure_detail
        .unwrap()
        .contains("crashing on purpose"));

    // While backing off, a request fails at once, saying when the next try is.
    let e = p.list_models().await.unwrap_err().to_string();
    assert!(e.contains("next try in"), "{e}");
    assert_eq!(rig.recorded("starts").len(), 1);

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(p.list_models().await.unwrap().len(), 1);
    assert_eq!(rig.recorded("starts").len(), 2);
    assert!(p.health().failed.is_none());
}

#[tokio::test]
async fn failures_in_a_row_wait_longer_each_time() {
    let rig = Rig::new("die");
    let p = rig.provider(quick()).await;
    let e = p.list_models().await.unwrap_err().to_string();
    assert!(e.contains("exited with code 7 before hello"), "{e}");
    assert!(e.contains("cannot start"), "stderr tail: {e}");
    let first = p.health().retry_at_unix_ms.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    p.list_models().await.unwrap_err();
    let second = p.health().retry_at_unix_ms.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    // 300 ms after the first failure, 600 ms after the second.
    assert!(second - now > 400, "second wait {} ms", second - now);
    assert!(second > first);
    assert_eq!(rig.recorded("starts").len(), 2);
}

#[tokio::test]
async fn a_plugin_that_exits_mid_stream_ends_the_chat_with_its_exit_code_and_stderr() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let items = drain(p.stream_chat(&ask("exit")).await.unwrap()).await;
    let e = last_error(&items).to_string();
    assert!(e.contains("exited with code 0"), "{e}");
    assert!(e.contains("leaving mid-stream"), "{e}");
}

#[tokio::test]
async fn garbage_on_stdout_is_a_protocol_error_that_fails_the_child() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let items = drain(p.stream_chat(&ask("garbage")).await.unwrap()).await;
    assert_eq!(text(&items), "partial ");
    match last_error(&items) {
        YatError::MalformedResponse {
            provider,
            message,
            excerpt,
        } => {
            assert_eq!(provider, "fault");
            assert!(message.contains("not protocol"), "{message}");
            assert_eq!(excerpt, "this is not a protocol line");
        }
        other => panic!("{other:?}"),
    }
    assert!(p.health().failed.is_some());
}

#[tokio::test]
async fn a_plugin_that_never_answers_hello_is_killed_after_the_handshake_timeout() {
    let rig = Rig::new("hang");
    let p = rig
        .provider(quick().handshake_timeout(Duration::from_millis(500)))
        .await;
    let e = p.list_models().await.unwrap_err();
    assert!(matches!(e, YatError::Unavailable { .. }), "{e:?}");
    assert!(e.to_string().contains("sent no hello within 500ms"), "{e}");
    let pid: u32 = rig.recorded("starts")[0].parse().unwrap();
    eventually("the hung child is reaped", || !process_exists(pid)).await;
}

#[tokio::test]
async fn a_chat_with_no_first_event_in_time_fails_and_the_hung_child_is_stopped() {
    let rig = Rig::new("ok");
    let p = rig
        .provider(quick().first_message_timeout(Duration::from_millis(500)))
        .await;
    p.list_models().await.unwrap();
    let pid = p.pid().unwrap();
    let items = drain(p.stream_chat(&ask("hang")).await.unwrap()).await;
    let e = last_error(&items).to_string();
    assert!(e.contains("sent nothing for 500ms"), "{e}");
    eventually("the hung child is reaped", || !process_exists(pid)).await;
    assert!(p.health().failed.is_some());
}

#[tokio::test]
async fn a_wrong_protocol_version_is_refused_either_way() {
    let rig = Rig::new("protocol99");
    let p = rig.provider(quick()).await;
    let e = p.list_models().await.unwrap_err().to_string();
    assert!(e.contains("protocol version 99"), "{e}");

    let rig = Rig::new("refuse");
    let p = rig.provider(quick()).await;
    let e = p.list_models().await.unwrap_err().to_string();
    assert!(
        e.contains("refused the handshake (unsupported_protocol): I speak version 9 only"),
        "{e}"
    );
}

#[tokio::test]
async fn no_zombie_after_a_crash_or_after_the_provider_is_dropped() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    p.list_models().await.unwrap();
    let pid = p.pid().unwrap();
    drain(p.stream_chat(&ask("crash")).await.unwrap()).await;
    eventually("the crashed child is reaped", || {
        !is_our_child(pid) && !process_exists(pid)
    })
    .await;

    tokio::time::sleep(Duration::from_millis(350)).await;
    p.list_models().await.unwrap();
    let pid = p.pid().unwrap();
    assert!(is_our_child(pid));
    drop(p);
    eventually("the dropped provider's child is reaped", || {
        !process_exists(pid)
    })
    .await;
    // It was asked to leave, not killed.
    assert_eq!(rig.recorded("shutdowns"), vec![pid.to_string()]);
}

#[tokio::test]
async fn a_stream_keeps_its_child_alive_after_the_provider_is_dropped() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let s = p.stream_chat(&ask("slow 10")).await.unwrap();
    let pid = p.pid().unwrap();
    drop(p);
    let items = drain(s).await;
    assert_eq!(text(&items), "..........");
    eventually("then the child is reaped", || !process_exists(pid)).await;
}

#[tokio::test]
async fn secrets_reach_the_plugin_only_in_initialize_never_in_argv_or_environ() {
    // Variables this test process has, as a user's shell would.
    std::env::set_var("FAULT_API_KEY", "sk-from-the-environment");
    std::env::set_var("OTHER_SERVICE_TOKEN", "tok-123");
    std::env::set_var("YAT_TEST_HARMLESS", "1");
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let items = drain(p.stream_chat(&ask("env")).await.unwrap()).await;
    let reported: serde_json::Value = serde_json::from_str(&text(&items)).unwrap();
    let all = reported.to_string();
    assert!(!all.contains(SECRET), "{all}");
    assert!(!all.contains("sk-from-the-environment"), "{all}");
    assert!(!all.contains("tok-123"), "{all}");
    assert_eq!(reported["environ"]["YAT_TEST_HARMLESS"], "1");
    assert!(reported["argv"].as_array().unwrap().len() >= 2);
}

#[tokio::test]
async fn a_secret_the_plugin_echoes_to_stderr_is_redacted_everywhere() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let items = drain(p.stream_chat(&ask("leak")).await.unwrap()).await;
    let e = last_error(&items).to_string();
    assert!(e.contains("my key is [redacted], oops"), "{e}");
    assert!(!e.contains(SECRET));
    let h = p.health();
    assert!(!format!("{h:?}").contains(SECRET));
    assert!(h.last_failure_detail.unwrap().contains("[redacted]"));
}

#[tokio::test]
async fn a_slow_consumer_loses_its_chat_but_does_not_stall_the_others() {
    let rig = Rig::new("ok");
    let p = rig
        .provider(
            quick()
                .chat_buffer(2)
                .consumer_stall_timeout(Duration::from_millis(300)),
        )
        .await;
    // Nobody reads this one.
    let mut unread = p.stream_chat(&ask("slow 100")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let items = drain(p.stream_chat(&ask("meanwhile all is well")).await.unwrap()).await;
    assert_eq!(text(&items), "meanwhile all is well");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The unread chat gets what was buffered, then the reason it was dropped.
    let mut rest = Vec::new();
    while let Some(i) = unread.next().await {
        rest.push(i);
    }
    let e = last_error(&rest).to_string();
    assert!(e.contains("were not read for 300ms"), "{e}");
    eventually("the plugin was told to stop it", || {
        rig.recorded("cancels").len() == 1
    })
    .await;
}

#[tokio::test]
async fn initialize_again_sends_the_new_settings_to_the_running_child() {
    let rig = Rig::new("ok");
    let mut p = rig.provider(quick()).await;
    p.list_models().await.unwrap();
    p.initialize(&yat_core::ResolvedSettings::from_pairs(
        "fault",
        &[("api_key", "sk-another-one")],
    ))
    .await
    .unwrap();
    let items = drain(p.stream_chat(&ask("still one child")).await.unwrap()).await;
    assert_eq!(text(&items), "still one child");
    assert_eq!(rig.recorded("starts").len(), 1);
}

#[tokio::test]
async fn a_program_that_does_not_exist_fails_with_its_path() {
    let mut p = yat_process::host::ProcessProvider::new(
        yat_process::host::PluginCommand::new("ghost", "/nonexistent/yat-provider-ghost", vec![]),
        quick(),
    );
    p.initialize(&yat_core::ResolvedSettings::default())
        .await
        .unwrap();
    let e = p.list_models().await.unwrap_err().to_string();
    assert!(
        e.contains("cannot run /nonexistent/yat-provider-ghost"),
        "{e}"
    );
}

#[tokio::test]
async fn a_line_over_the_limit_is_a_protocol_error_not_a_buffer_that_grows() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let items = drain(p.stream_chat(&ask("huge")).await.unwrap()).await;
    let e = last_error(&items).to_string();
    assert!(e.contains("over the limit"), "{e}");
    assert!(p.health().failed.is_some());
}

#[tokio::test]
async fn unknown_ops_and_fields_from_a_newer_plugin_are_ignored() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let items = drain(p.stream_chat(&ask("future")).await.unwrap()).await;
    assert_eq!(text(&items), "from the future");
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert!(p.health().failed.is_none());
}

#[tokio::test]
async fn forty_chats_at_once_over_one_child_each_get_exactly_their_reply() {
    let rig = Rig::new("ok");
    let p = rig.provider(quick()).await;
    let chats = (0..40).map(|i| {
        let p = &p;
        async move {
            let prompt = format!("chat {i} says {}", "word ".repeat(i % 7).trim_end());
            let items = drain(p.stream_chat(&ask(&prompt)).await.unwrap()).await;
            (prompt.trim_end().to_owned(), items)
        }
    });
    for (prompt, items) in futures::future::join_all(chats).await {
        assert!(items.iter().all(Result::is_ok), "{items:?}");
        assert_eq!(text(&items), prompt);
    }
    assert_eq!(rig.recorded("starts").len(), 1);
}

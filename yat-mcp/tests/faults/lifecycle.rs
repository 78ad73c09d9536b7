//! Starting, crashing, hanging, garbage, and reaping.

use super::*;

pub(crate) async fn starts_lists_every_page_and_calls() {
    let hub = hub_of(vec![stdio("f")]).await;
    let status = hub.status("f").unwrap();
    let ServerState::Ready { tools, server_info } = &status.state else {
        panic!("{status:?}")
    };
    // Twelve tools in pages of three: every page was fetched.
    assert_eq!(*tools, 12);
    assert_eq!(server_info.name, "yat-fault-server");
    assert_eq!(server_info.version, "1.0.0");
    assert!(status.pid.is_some());
    let names: Vec<String> = hub.tools().into_iter().map(|t| t.exposed_name).collect();
    for expected in [
        "echo",
        "noop",
        "crash",
        "hang",
        "bad_schema",
        "garbage",
        "huge",
        "image",
        "fail",
        "structured",
        "add_tool",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    assert_eq!(
        text_of(&hub, "f", "echo", json!({"text": "hi"})).await,
        "hi"
    );
    let structured = hub.call("f", "structured", Value::Null).await.unwrap();
    assert_eq!(
        structured.structured,
        Some(json!({"celsius": 12, "city": "Oslo"}))
    );
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("structured", json!({}))).await;
    assert_eq!(
        r.content,
        ToolOutput::Json(json!({"celsius": 12, "city": "Oslo"}))
    );
    hub.shutdown().await;
}

pub(crate) async fn crash_mid_call_fails_that_call_then_restarts() {
    let hub = hub_of(vec![stdio("f")]).await;
    let first_pid = hub.status("f").unwrap().pid.unwrap();
    let e = hub.call("f", "crash", json!({})).await.unwrap_err();
    let McpError::Crashed { server, reason } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(server, "f");
    assert!(reason.contains("exit status: 3"), "{reason}");
    assert!(reason.contains("crashing on purpose"), "{reason}");
    // Its status says why, and the process is reaped (no zombie).
    assert!(failed_reason(&hub, "f").contains("exit status: 3"));
    eventually("the crashed process is reaped", || !exists(first_pid)).await;
    // Through the toolbox the model would see the same as an error result.
    // The next call restarts it (once, after the backoff) and works.
    assert_eq!(
        text_of(&hub, "f", "echo", json!({"text": "back"})).await,
        "back"
    );
    let status = hub.status("f").unwrap();
    assert!(status.is_ready());
    assert_eq!(status.restarts, 1);
    assert_ne!(status.pid, Some(first_pid));
    // A crash through the toolbox is an error result, and the loop goes on.
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("crash", json!({}))).await;
    assert!(r.is_error);
    assert!(
        r.content
            .to_text()
            .starts_with("MCP server \"f\" stopped during the call"),
        "{r:?}"
    );
    let r = toolbox.call(&call("echo", json!({"text": "again"}))).await;
    assert_eq!((r.content.to_text().as_str(), r.is_error), ("again", false));
    assert_eq!(hub.status("f").unwrap().restarts, 2);
    hub.shutdown().await;
}

pub(crate) async fn killed_while_idle_is_reported_then_restarted() {
    let hub = hub_of(vec![stdio("f")]).await;
    let pid = hub.status("f").unwrap().pid.unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    eventually("the status says it died", || {
        matches!(hub.status("f").unwrap().state, ServerState::Failed { ref reason } if reason.contains("signal: 9"))
    })
    .await;
    eventually("the killed process is reaped", || !exists(pid)).await;
    assert_eq!(
        text_of(&hub, "f", "echo", json!({"text": "restarted"})).await,
        "restarted"
    );
    assert_eq!(hub.status("f").unwrap().restarts, 1);
    hub.shutdown().await;
}

pub(crate) async fn hang_times_out_and_is_cancelled_on_the_server() {
    let hub = hub_of(vec![stdio("f").timeout_secs(1)]).await;
    let started = Instant::now();
    let e = hub.call("f", "hang", json!({})).await.unwrap_err();
    assert!(
        matches!(&e, McpError::Timeout { server, tool, secs: 1 } if server == "f" && tool == "hang"),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        e.to_string(),
        "MCP server \"f\": tool \"hang\" did not answer within 1s; the call was cancelled"
    );
    // The server got notifications/cancelled: its handler saw it.
    eventually("the server notes the cancellation", || {
        hub.status("f")
            .unwrap()
            .stderr_tail
            .iter()
            .any(|l| l.contains("hang: cancelled by the client"))
    })
    .await;
    // The server is still fine.
    ready(&hub, "f");
    assert_eq!(
        text_of(&hub, "f", "echo", json!({"text": "still here"})).await,
        "still here"
    );
    hub.shutdown().await;
}

pub(crate) async fn garbage_on_stdout_does_not_end_the_session() {
    let hub = hub_of(vec![stdio("f")]).await;
    assert_eq!(
        text_of(&hub, "f", "garbage", json!({})).await,
        "after garbage"
    );
    ready(&hub, "f");
    assert_eq!(
        text_of(&hub, "f", "echo", json!({"text": "fine"})).await,
        "fine"
    );
    assert_eq!(hub.status("f").unwrap().restarts, 0);
    hub.shutdown().await;
}

pub(crate) async fn servers_that_do_not_start_are_statuses_not_panics() {
    let exits = McpServerConfig::stdio("exits", stdio_server().env(FAULT_MODE_ENV, "exit"));
    let silent = McpServerConfig::stdio("silent", stdio_server().env(FAULT_MODE_ENV, "silent"));
    let missing =
        McpServerConfig::stdio("missing", StdioServer::new("/nonexistent/yat-mcp-server"));
    let not_mcp = McpServerConfig::stdio(
        "not_mcp",
        StdioServer::new("sh").args(["-c", "echo hello; echo '{\"jsonrpc\": 7}'; sleep 60"]),
    );
    let off = stdio("off").enabled(false);
    let config = McpConfig::new(vec![exits, silent, missing, not_mcp, off, stdio("good")]);
    let started = Instant::now();
    let hub = McpHub::connect(&config, options().startup_timeout(Duration::from_secs(2))).await;
    // All at once: the two that hang cost one timeout, not two.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    ready(&hub, "good");
    let exits = failed_reason(&hub, "exits");
    assert!(
        exits.contains("exit status: 2") && exits.contains("refusing to start: no config"),
        "{exits}"
    );
    assert_eq!(
        hub.status("exits").unwrap().stderr_tail,
        vec!["refusing to start: no config"]
    );
    let silent = failed_reason(&hub, "silent");
    assert!(
        silent.contains("no answer to the MCP handshake within 2s"),
        "{silent}"
    );
    let missing = failed_reason(&hub, "missing");
    assert!(
        missing.contains("cannot run \"/nonexistent/yat-mcp-server\""),
        "{missing}"
    );
    let not_mcp = failed_reason(&hub, "not_mcp");
    assert!(!not_mcp.is_empty());
    assert_eq!(hub.status("off").unwrap().state, ServerState::Disabled);
    // Only the good server's tools are offered.
    assert!(hub.tools().iter().all(|t| t.server == "good"));
    // A call to a failed server tries once more, and fails with the reason.
    let e = hub
        .call("exits", "echo", json!({"text": "x"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, McpError::Start { reason, .. } if reason.contains("refusing to start")),
        "{e:?}"
    );
    let e = hub.call("off", "echo", json!({})).await.unwrap_err();
    assert!(matches!(e, McpError::Disabled { .. }), "{e:?}");
    // The good one never noticed.
    assert_eq!(
        text_of(&hub, "good", "echo", json!({"text": "ok"})).await,
        "ok"
    );
    let pids: Vec<u32> = hub.statuses().iter().filter_map(|s| s.pid).collect();
    hub.shutdown().await;
    for pid in pids {
        assert!(!exists(pid), "process {pid} left behind");
    }
}

pub(crate) async fn missing_env_reference_is_a_typed_error() {
    let server = McpServerConfig::stdio(
        "needs_env",
        stdio_server().env("TOKEN", "${YAT_MCP_TEST_SURELY_UNSET_VAR}"),
    );
    let hub = McpHub::connect_only(&McpConfig::new(vec![server]), &["needs_env"], options())
        .await
        .unwrap();
    let reason = failed_reason(&hub, "needs_env");
    assert_eq!(
        reason,
        "MCP server \"needs_env\": env.TOKEN references the environment variable YAT_MCP_TEST_SURELY_UNSET_VAR, which is not set"
    );
    let e = hub.call("needs_env", "echo", json!({})).await.unwrap_err();
    assert!(matches!(e, McpError::MissingEnv { .. }), "{e:?}");
}

pub(crate) async fn shutdown_and_drop_reap_every_process() {
    let hub = hub_of(vec![stdio("a"), stdio("b")]).await;
    let pids: Vec<u32> = hub.statuses().iter().filter_map(|s| s.pid).collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|p| exists(*p)));
    hub.shutdown().await;
    for pid in &pids {
        assert!(!exists(*pid), "process {pid} left behind after shutdown");
    }
    // Dropped without shutdown: killed and reaped all the same.
    let hub = hub_of(vec![stdio("c")]).await;
    let pid = hub.status("c").unwrap().pid.unwrap();
    assert!(exists(pid));
    drop(hub);
    eventually("the dropped hub's process is reaped", || !exists(pid)).await;
}

pub(crate) async fn shutdown_ends_a_start_under_way_and_nothing_restarts() {
    let silent = McpServerConfig::stdio("silent", stdio_server().env(FAULT_MODE_ENV, "silent"));
    let config = McpConfig::new(vec![silent, stdio("good")]);
    let hub = McpHub::connect(&config, options().startup_timeout(Duration::from_secs(3))).await;
    ready(&hub, "good");
    let good_pid = hub.status("good").unwrap().pid.unwrap();
    // A call that starts `silent` again: its handshake would take 3 s.
    let caller = hub.clone();
    let call = tokio::spawn(async move { caller.call("silent", "echo", json!({})).await });
    let first_pid = hub.status("silent").unwrap().pid;
    eventually("the restart has spawned its process", || {
        let pid = hub.status("silent").unwrap().pid;
        pid.is_some() && pid != first_pid
    })
    .await;
    let starting_pid = hub.status("silent").unwrap().pid.unwrap();
    let started = Instant::now();
    hub.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let e = call.await.unwrap().unwrap_err();
    assert!(matches!(e, McpError::Shutdown), "{e:?}");
    assert!(
        !exists(starting_pid),
        "the starting process was left behind"
    );
    assert!(!exists(good_pid));
    // Nothing starts again after a shutdown.
    let e = hub
        .call("good", "echo", json!({"text": "x"}))
        .await
        .unwrap_err();
    assert!(matches!(e, McpError::Shutdown), "{e:?}");
    assert_eq!(hub.status("good").unwrap().pid, Some(good_pid));
}

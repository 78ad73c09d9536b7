//! The hub against a real misbehaving MCP server: this binary re-executes
//! itself as the stdio server (`support/fault_server.rs`) and also serves
//! it over streamable HTTP on 127.0.0.1. A plain `main` runs the cases
//! (`harness = false`), so the same executable is both.
//!
//! Run one case: `cargo test -p yat-mcp --test faults -- crash`.

#[path = "support/fault_server.rs"]
mod fault_server;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::{json, Value};
use yat_core::{ToolCall, ToolOutput};
use yat_mcp::{
    AllowAll, Approval, ApprovalRequest, Approver, DenyUnlisted, HttpServer, HubOptions, McpConfig,
    McpError, McpHub, McpServerConfig, ServerState, StdioServer,
};

use fault_server::{FAULT_MODE_ENV, FAULT_SERVER_ENV, FAULT_TOKEN_ENV, PNG};

type Case = fn() -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), (|| Box::pin($name())) as Case)),*]
    };
}

fn main() {
    if std::env::var_os(FAULT_SERVER_ENV).is_some() {
        fault_server::serve_stdio();
        return;
    }
    let cases: &[(&str, Case)] = cases![
        starts_lists_every_page_and_calls,
        bad_schema_is_repaired_with_a_warning,
        crash_mid_call_fails_that_call_then_restarts,
        killed_while_idle_is_reported_then_restarted,
        hang_times_out_and_is_cancelled_on_the_server,
        garbage_on_stdout_does_not_end_the_session,
        huge_result_is_capped_for_the_model_and_says_so,
        image_result_is_kept_as_media,
        error_result_is_an_error_for_the_model,
        list_changed_notification_refreshes_the_tools,
        servers_that_do_not_start_are_statuses_not_panics,
        missing_env_reference_is_a_typed_error,
        approval_policy_asks_only_for_unlisted_tools,
        colliding_tool_names_route_to_their_server,
        bad_arguments_unknown_tools_and_servers_are_typed_errors,
        shutdown_and_drop_reap_every_process,
        secrets_never_reach_stderr_tails_or_errors,
        http_transport_checks_the_bearer_token,
        http_transport_times_out_and_survives,
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in cases {
            println!("{name}: test");
        }
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let exact = args.iter().any(|a| a == "--exact");
    let selected: Vec<&(&str, Case)> = cases
        .iter()
        .filter(|(name, _)| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    if exact {
                        *name == f.as_str()
                    } else {
                        name.contains(f.as_str())
                    }
                })
        })
        .collect();
    println!("\nrunning {} tests", selected.len());
    let (mut passed, mut failed) = (0, Vec::new());
    for (name, case) in &selected {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(case())));
        drop(rt);
        match outcome {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(*name);
            }
        }
    }
    let filtered = cases.len() - selected.len();
    if failed.is_empty() {
        println!("\ntest result: ok. {passed} passed; 0 failed; 0 ignored; 0 measured; {filtered} filtered out\n");
    } else {
        println!("\nfailures:\n    {}", failed.join("\n    "));
        println!(
            "\ntest result: FAILED. {passed} passed; {} failed; 0 ignored; 0 measured; {filtered} filtered out\n",
            failed.len()
        );
        std::process::exit(101);
    }
}

// ---------------------------------------------------------------- helpers

/// The fault server as a stdio server entry.
fn stdio(name: &str) -> McpServerConfig {
    McpServerConfig::stdio(name, stdio_server())
}

fn stdio_server() -> StdioServer {
    let exe = std::env::current_exe().expect("current exe");
    StdioServer::new(exe.to_string_lossy()).env(FAULT_SERVER_ENV, "1")
}

fn options() -> HubOptions {
    HubOptions::default()
        .startup_timeout(Duration::from_secs(20))
        .restart_backoff(Duration::from_millis(50))
}

async fn hub_of(servers: Vec<McpServerConfig>) -> McpHub {
    McpHub::connect(&McpConfig::new(servers), options()).await
}

fn ready(hub: &McpHub, name: &str) {
    let status = hub.status(name).expect("status");
    assert!(status.is_ready(), "{name} not ready: {status:?}");
}

fn failed_reason(hub: &McpHub, name: &str) -> String {
    match hub.status(name).expect("status").state {
        ServerState::Failed { reason } => reason,
        other => panic!("{name} should have failed, is {other:?}"),
    }
}

async fn text_of(hub: &McpHub, server: &str, tool: &str, args: Value) -> String {
    let result = hub.call(server, tool, args).await.expect("call");
    assert!(!result.is_error, "{result:?}");
    result.text()
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether `pid` is a process that has not been reaped (running or zombie).
fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn call(name: &str, args: Value) -> ToolCall {
    ToolCall::new("call_1", name, args)
}

// ------------------------------------------------------------------ cases

async fn starts_lists_every_page_and_calls() {
    let hub = hub_of(vec![stdio("f")]).await;
    let status = hub.status("f").unwrap();
    let ServerState::Ready { tools, server_info } = &status.state else {
        panic!("{status:?}")
    };
    // Eleven tools in pages of three: every page was fetched.
    assert_eq!(*tools, 11);
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

async fn bad_schema_is_repaired_with_a_warning() {
    let hub = hub_of(vec![stdio("f")]).await;
    let tool = hub
        .tools()
        .into_iter()
        .find(|t| t.name == "bad_schema")
        .unwrap();
    assert_eq!(tool.input_schema, json!({"type": "object"}));
    let warnings = hub.status("f").unwrap().warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("\"bad_schema\"") && warnings[0].contains("not an object schema"),
        "{warnings:?}"
    );
    // Offered, and callable.
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    assert_eq!(
        toolbox.spec("bad_schema").unwrap().parameters,
        json!({"type": "object"})
    );
    let r = toolbox.call(&call("bad_schema", json!({}))).await;
    assert_eq!((r.content.to_text().as_str(), r.is_error), ("ok", false));
    hub.shutdown().await;
}

async fn crash_mid_call_fails_that_call_then_restarts() {
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

async fn killed_while_idle_is_reported_then_restarted() {
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

async fn hang_times_out_and_is_cancelled_on_the_server() {
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

async fn garbage_on_stdout_does_not_end_the_session() {
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

async fn huge_result_is_capped_for_the_model_and_says_so() {
    let config = McpConfig::new(vec![stdio("f")]);
    let hub = McpHub::connect(&config, options().max_result_chars(1000)).await;
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("huge", json!({"chars": 250_000}))).await;
    let text = r.content.to_text();
    assert!(!r.is_error);
    assert_eq!(
        text,
        format!("{}… [truncated: 249000 more characters]", "x".repeat(1000))
    );
    // A manual call gets everything.
    let full = hub
        .call("f", "huge", json!({"chars": 250_000}))
        .await
        .unwrap();
    assert_eq!(full.text().len(), 250_000);
    hub.shutdown().await;
}

async fn image_result_is_kept_as_media() {
    let hub = hub_of(vec![stdio("f")]).await;
    let r = hub.call("f", "image", json!({})).await.unwrap();
    let images: Vec<_> = r.images().collect();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].media_type.as_deref(), Some("image/png"));
    assert_eq!(images[0].base64().unwrap(), {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(PNG)
    });
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("image", json!({}))).await;
    assert_eq!(
        r.content.to_text(),
        format!("a picture:\n[image: image/png, {} bytes]", PNG.len())
    );
    hub.shutdown().await;
}

async fn error_result_is_an_error_for_the_model() {
    let hub = hub_of(vec![stdio("f")]).await;
    let r = hub.call("f", "fail", json!({})).await.unwrap();
    assert!(r.is_error);
    assert_eq!(r.text(), "the tool failed on purpose");
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("fail", json!({}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("the tool failed on purpose", true)
    );
    ready(&hub, "f");
    hub.shutdown().await;
}

async fn list_changed_notification_refreshes_the_tools() {
    let hub = hub_of(vec![stdio("f")]).await;
    let before = hub.tools_generation();
    assert!(!hub.tools().iter().any(|t| t.name == "late_tool"));
    assert_eq!(
        text_of(&hub, "f", "add_tool", json!({})).await,
        "added late_tool"
    );
    eventually("late_tool is listed", || {
        hub.tools().iter().any(|t| t.name == "late_tool")
    })
    .await;
    assert_ne!(hub.tools_generation(), before);
    match hub.status("f").unwrap().state {
        ServerState::Ready { tools, .. } => assert_eq!(tools, 12),
        other => panic!("{other:?}"),
    }
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("late_tool", json!({}))).await;
    assert_eq!((r.content.to_text().as_str(), r.is_error), ("ok", false));
    hub.shutdown().await;
}

async fn servers_that_do_not_start_are_statuses_not_panics() {
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

async fn missing_env_reference_is_a_typed_error() {
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

/// Records every question and answers with a refusal from the user.
#[derive(Default)]
struct Recording(Mutex<Vec<ApprovalRequest>>);

impl Approver for Recording {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        self.0.lock().unwrap().push(req.clone());
        Box::pin(async { Approval::denied_by_user() })
    }
}

async fn approval_policy_asks_only_for_unlisted_tools() {
    let hub = hub_of(vec![stdio("f").allow(["echo"])]).await;
    let toolbox = hub.toolbox(Arc::new(DenyUnlisted));
    let r = toolbox.call(&call("echo", json!({"text": "listed"}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("listed", false)
    );
    let r = toolbox.call(&call("noop", json!({}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("refused: not approved; no one was asked", true)
    );

    let recording = Arc::new(Recording::default());
    let toolbox = hub.toolbox(recording.clone());
    let r = toolbox.call(&call("huge", json!({"chars": 3}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("refused: the user refused this call", true)
    );
    let r = toolbox
        .call(&call("echo", json!({"text": "no question"})))
        .await;
    assert!(!r.is_error);
    let asked = recording.0.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "only the unlisted tool is asked about");
    assert_eq!(
        (asked[0].server.as_str(), asked[0].tool.as_str()),
        ("f", "huge")
    );
    assert_eq!(asked[0].arguments, json!({"chars": 3}));
    assert_eq!(asked[0].description, "Returns `chars` characters");

    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("huge", json!({"chars": 3}))).await;
    assert_eq!((r.content.to_text().as_str(), r.is_error), ("xxx", false));

    let star = hub_of(vec![stdio("g").allow(["*"])]).await;
    let r = star
        .toolbox(Arc::new(DenyUnlisted))
        .call(&call("noop", json!({})))
        .await;
    assert!(!r.is_error, "{r:?}");
    hub.shutdown().await;
    star.shutdown().await;
}

async fn colliding_tool_names_route_to_their_server() {
    let a = McpServerConfig::stdio("a", stdio_server().env(FAULT_TOKEN_ENV, "for-a"));
    let b = McpServerConfig::stdio("b", stdio_server().env(FAULT_TOKEN_ENV, "for-b"));
    let hub = hub_of(vec![a, b]).await;
    let names: Vec<String> = hub.tools().into_iter().map(|t| t.exposed_name).collect();
    assert!(
        names.contains(&"a__echo".to_owned()) && names.contains(&"b__echo".to_owned()),
        "{names:?}"
    );
    assert!(!names.contains(&"echo".to_owned()));
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    // Crash b through its prefixed name: only b goes down.
    let r = toolbox.call(&call("b__crash", json!({}))).await;
    assert!(r.is_error);
    assert!(r.content.to_text().contains("\"b\""), "{r:?}");
    ready(&hub, "a");
    assert!(matches!(
        hub.status("b").unwrap().state,
        ServerState::Failed { .. }
    ));
    let r = toolbox
        .call(&call("a__echo", json!({"text": "from a"})))
        .await;
    assert_eq!(r.content.to_text(), "from a");
    hub.shutdown().await;
}

async fn bad_arguments_unknown_tools_and_servers_are_typed_errors() {
    let hub = hub_of(vec![stdio("f")]).await;
    let e = hub
        .call("f", "echo", json!("just a string"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, McpError::InvalidArguments { message, .. } if message.contains("not a string")),
        "{e:?}"
    );
    // The server refuses the arguments (-32602).
    let e = hub.call("f", "echo", json!({"text": 5})).await.unwrap_err();
    assert!(
        matches!(&e, McpError::InvalidArguments { message, .. } if message == "text must be a string"),
        "{e:?}"
    );
    let e = hub.call("f", "nope", json!({})).await.unwrap_err();
    let McpError::UnknownTool { available, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(available.contains(&"echo".to_owned()));
    let e = hub.call("nope", "echo", json!({})).await.unwrap_err();
    assert_eq!(e.to_string(), "unknown MCP server \"nope\"; configured: f");
    let e = McpHub::connect_only(&McpConfig::new(vec![stdio("f")]), &["g"], options())
        .await
        .unwrap_err();
    assert!(
        matches!(e, McpError::UnknownServer { ref name, .. } if name == "g"),
        "{e:?}"
    );
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("echo", json!({"text": 5}))).await;
    assert!(r.is_error);
    assert_eq!(
        r.content.to_text(),
        "invalid arguments for tool \"echo\" of MCP server \"f\": text must be a string"
    );
    ready(&hub, "f");
    hub.shutdown().await;
}

async fn shutdown_and_drop_reap_every_process() {
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

async fn secrets_never_reach_stderr_tails_or_errors() {
    // The server prints its token to stderr at start.
    std::env::set_var("YAT_MCP_TEST_PLANTED", "sk-planted-0123456789");
    let server = McpServerConfig::stdio(
        "leaky",
        stdio_server().env(FAULT_TOKEN_ENV, "${YAT_MCP_TEST_PLANTED}"),
    );
    let config = McpConfig::new(vec![server]);
    let hub = McpHub::connect(&config, options()).await;
    ready(&hub, "leaky");
    eventually("the token line is read", || {
        hub.status("leaky")
            .unwrap()
            .stderr_tail
            .iter()
            .any(|l| l.starts_with("starting with token"))
    })
    .await;
    let status = hub.status("leaky").unwrap();
    assert!(
        status
            .stderr_tail
            .contains(&"starting with token [redacted]".to_owned()),
        "{status:?}"
    );
    let everything = format!("{status:?} {config:?} {hub:?}");
    assert!(!everything.contains("planted"), "{everything}");
    let e = hub.call("leaky", "crash", json!({})).await.unwrap_err();
    assert!(!format!("{e} {e:?}").contains("planted"));
    hub.shutdown().await;
}

async fn http_transport_checks_the_bearer_token() {
    let url = fault_server::serve_http("tok-planted-4242").await;
    let good = McpServerConfig::http(
        "web",
        HttpServer::new(&url).bearer_token("tok-planted-4242"),
    );
    let bad = McpServerConfig::http(
        "wrong",
        HttpServer::new(&url).bearer_token("tok-planted-wrong"),
    );
    let hub = hub_of(vec![good, bad]).await;
    ready(&hub, "web");
    let reason = failed_reason(&hub, "wrong");
    assert!(!reason.contains("planted"), "{reason}");
    assert!(
        reason.contains("401") || reason.to_lowercase().contains("auth"),
        "{reason}"
    );
    assert_eq!(
        text_of(&hub, "web", "echo", json!({"text": "over http"})).await,
        "over http"
    );
    let r = hub.call("web", "image", json!({})).await.unwrap();
    assert_eq!(r.images().count(), 1);
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("fail", json!({}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("the tool failed on purpose", true)
    );
    assert!(!format!("{:?}", hub.statuses()).contains("planted"));
    hub.shutdown().await;
}

async fn http_transport_times_out_and_survives() {
    let url = fault_server::serve_http("t0ken").await;
    let hub = hub_of(vec![McpServerConfig::http(
        "web",
        HttpServer::new(&url).bearer_token("t0ken"),
    )
    .timeout_secs(1)])
    .await;
    let e = hub.call("web", "hang", json!({})).await.unwrap_err();
    assert!(matches!(e, McpError::Timeout { secs: 1, .. }), "{e:?}");
    ready(&hub, "web");
    assert_eq!(
        text_of(&hub, "web", "echo", json!({"text": "after"})).await,
        "after"
    );
    hub.shutdown().await;
}

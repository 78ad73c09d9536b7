//! The hub against a real misbehaving MCP server: this binary re-executes
//! itself as the stdio server (`support/fault_server.rs`) and also serves
//! it over streamable HTTP on 127.0.0.1. A plain `main` runs the cases
//! (`harness = false`), so the same executable is both.
//!
//! Run one case: `cargo test -p yat-mcp --test faults -- crash`.

#[path = "../support/fault_server.rs"]
mod fault_server;
mod http;
mod lifecycle;
mod policy;
mod results;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::{json, Value};
use yat_core::tools::run_tools;
use yat_core::{
    ChatRequest, Media, Message, ProviderConfig, ProviderManager, Role, ToolCall, ToolChoice,
    ToolOutput, ToolPart,
};
use yat_mcp::{
    AllowAll, Approval, ApprovalRequest, Approver, DenyUnlisted, HttpServer, HubOptions, McpConfig,
    McpError, McpHub, McpServerConfig, ServerState, StdioServer,
};

use fault_server::{FAULT_MODE_ENV, FAULT_SERVER_ENV, FAULT_TOKEN_ENV, PNG};

type Case = fn() -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! cases {
    ($($module:ident::$name:ident),* $(,)?) => {
        &[$((stringify!($name), (|| Box::pin($module::$name())) as Case)),*]
    };
}

fn main() {
    if std::env::var_os(FAULT_SERVER_ENV).is_some() {
        fault_server::serve_stdio();
        return;
    }
    let cases: &[(&str, Case)] = cases![
        lifecycle::starts_lists_every_page_and_calls,
        results::bad_schema_is_repaired_with_a_warning,
        lifecycle::crash_mid_call_fails_that_call_then_restarts,
        lifecycle::killed_while_idle_is_reported_then_restarted,
        lifecycle::hang_times_out_and_is_cancelled_on_the_server,
        lifecycle::garbage_on_stdout_does_not_end_the_session,
        results::huge_result_is_capped_for_the_model_and_says_so,
        results::image_result_reaches_the_model_as_an_image_part,
        results::error_result_is_an_error_for_the_model,
        results::list_changed_notification_refreshes_the_tools,
        lifecycle::servers_that_do_not_start_are_statuses_not_panics,
        lifecycle::missing_env_reference_is_a_typed_error,
        policy::approval_policy_asks_only_for_unlisted_tools,
        policy::colliding_tool_names_route_to_their_server,
        policy::bad_arguments_unknown_tools_and_servers_are_typed_errors,
        lifecycle::shutdown_and_drop_reap_every_process,
        lifecycle::shutdown_ends_a_start_under_way_and_nothing_restarts,
        policy::secrets_never_reach_stderr_tails_or_errors,
        http::http_transport_checks_the_bearer_token,
        http::http_transport_times_out_and_survives,
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

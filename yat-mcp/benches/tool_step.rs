//! What a tool step through MCP costs on top of the tool's own time: a
//! no-op tool of the in-repo rmcp server (`tests/support/fault_server.rs`)
//! called through `McpHub::call` and through the hub's `Toolbox`, over stdio
//! (a child process: this bench binary re-executed) and over streamable
//! HTTP on 127.0.0.1, against the same no-op called directly and as a
//! native `Toolbox` tool. Results: BENCHMARKS.md, "MCP tool steps".
//!
//! `cargo bench -p yat-mcp --bench tool_step`

#[path = "../tests/support/fault_server.rs"]
mod fault_server;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::json;
use yat_core::tools::Toolbox;
use yat_core::ToolCall;
use yat_mcp::{AllowAll, HttpServer, HubOptions, McpConfig, McpHub, McpServerConfig, StdioServer};

fn main() {
    if std::env::var_os(fault_server::FAULT_SERVER_ENV).is_some() {
        fault_server::serve_stdio();
        return;
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
}

/// What the server's no-op handler does, in process.
fn noop_handler() -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text("ok")])
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let exe = std::env::current_exe().expect("current exe");
    let stdio = McpServerConfig::stdio(
        "stdio",
        StdioServer::new(exe.to_string_lossy()).env(fault_server::FAULT_SERVER_ENV, "1"),
    )
    .allow(["*"]);
    let hub = rt.block_on(async {
        let url = fault_server::serve_http("bench-token").await;
        let http = McpServerConfig::http("http", HttpServer::new(url).bearer_token("bench-token"))
            .allow(["*"]);
        let config = McpConfig::new(vec![stdio, http]);
        McpHub::connect(&config, HubOptions::default()).await
    });
    for s in hub.statuses() {
        assert!(s.is_ready(), "{s:?}");
    }
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let native = Toolbox::new().tool(
        "noop",
        "Does nothing",
        json!({"type": "object"}),
        |_| async { Ok::<_, String>(noop_handler().content.len().to_string()) },
    );
    let stdio_call = ToolCall::new("c", "stdio__noop", json!({}));
    let http_call = ToolCall::new("c", "http__noop", json!({}));
    let native_call = ToolCall::new("c", "noop", json!({}));

    let mut g = c.benchmark_group("mcp_tool_step");
    g.bench_function("direct_handler", |b| b.iter(|| black_box(noop_handler())));
    g.bench_function("native_toolbox", |b| {
        b.iter(|| rt.block_on(native.call(black_box(&native_call))))
    });
    g.bench_function("hub_call_stdio", |b| {
        b.iter(|| {
            rt.block_on(hub.call("stdio", "noop", json!({})))
                .expect("call")
        })
    });
    g.bench_function("toolbox_stdio", |b| {
        b.iter(|| rt.block_on(toolbox.call(black_box(&stdio_call))))
    });
    g.bench_function("hub_call_http", |b| {
        b.iter(|| {
            rt.block_on(hub.call("http", "noop", json!({})))
                .expect("call")
        })
    });
    g.bench_function("toolbox_http", |b| {
        b.iter(|| rt.block_on(toolbox.call(black_box(&http_call))))
    });
    g.finish();
    rt.block_on(hub.shutdown());
}

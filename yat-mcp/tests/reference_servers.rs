//! The hub against MCP servers nobody here wrote: the Python reference
//! servers `mcp-server-time` and `mcp-server-fetch`, pinned, installed by
//! `tests/python/setup.sh` into the venv named by `YAT_MCP_VENV`. The fetch
//! server reads only a page served here on 127.0.0.1.
//!
//! ```text
//! YAT_MCP_VENV=/tmp/v bash yat-mcp/tests/python/setup.sh
//! YAT_MCP_VENV=/tmp/v cargo test -p yat-mcp --test reference_servers -- --ignored
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yat_core::tools::run_tools;
use yat_core::{ChatRequest, Message, ProviderConfig, ProviderManager, ToolChoice};
use yat_mcp::{AllowAll, HubOptions, McpConfig, McpHub, McpServerConfig, ServerState, StdioServer};

const NEEDS: &str =
    "needs the Python reference servers: yat-mcp/tests/python/setup.sh (run by .ci/run)";

fn venv_bin(program: &str) -> String {
    let venv = std::env::var("YAT_MCP_VENV").unwrap_or_else(|_| {
        panic!("YAT_MCP_VENV is not set; {NEEDS}");
    });
    let path = PathBuf::from(venv).join("bin").join(program);
    assert!(path.exists(), "{} is missing; {NEEDS}", path.display());
    path.to_string_lossy().into_owned()
}

fn time_server() -> McpServerConfig {
    McpServerConfig::stdio(
        "time",
        StdioServer::new(venv_bin("mcp-server-time")).args(["--local-timezone", "UTC"]),
    )
}

fn options() -> HubOptions {
    // Python starts slowly on a loaded machine.
    HubOptions::default().startup_timeout(Duration::from_secs(60))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python reference servers: yat-mcp/tests/python/setup.sh (run by .ci/run)"]
async fn time_server_starts_lists_and_answers() {
    let hub = McpHub::connect(&McpConfig::new(vec![time_server()]), options()).await;
    let status = hub.status("time").unwrap();
    let ServerState::Ready { tools, server_info } = &status.state else {
        panic!("{status:?}")
    };
    assert_eq!(*tools, 2);
    assert_eq!(server_info.name, "mcp-time");
    let names: Vec<String> = hub.tools().into_iter().map(|t| t.exposed_name).collect();
    assert_eq!(names, vec!["get_current_time", "convert_time"]);
    assert!(status.warnings.is_empty(), "{:?}", status.warnings);

    let now = hub
        .call(
            "time",
            "get_current_time",
            json!({"timezone": "Asia/Tokyo"}),
        )
        .await
        .unwrap();
    assert!(!now.is_error, "{now:?}");
    let structured = now.structured.clone().expect("structured content");
    assert_eq!(structured["timezone"], "Asia/Tokyo");
    assert!(
        structured["datetime"].as_str().unwrap().ends_with("+09:00"),
        "{structured}"
    );

    // The server's own refusal is an error result, not a failure of the hub.
    let bad = hub
        .call(
            "time",
            "get_current_time",
            json!({"timezone": "Mars/Olympus"}),
        )
        .await
        .unwrap();
    assert!(bad.is_error, "{bad:?}");
    assert!(bad.text().contains("Mars/Olympus"), "{}", bad.text());
    let pid = status.pid.unwrap();
    hub.shutdown().await;
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

/// The mock provider's tool-calling model, the tool loop and the real time
/// server: the final answer carries what the server returned.
///
/// `mock-tools` calls the tool `tool_choice` names with the JSON object the
/// last user message ends with, so the mock asks for Tokyo as a model would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python reference servers: yat-mcp/tests/python/setup.sh (run by .ci/run)"]
async fn mock_model_with_the_time_server_answers_with_the_time() {
    let hub = McpHub::connect(&McpConfig::new(vec![time_server()]), options()).await;
    assert!(hub.status("time").unwrap().is_ready());
    let manager = yat_providers::link(ProviderManager::builder())
        .config(ProviderConfig::default())
        .env(BTreeMap::new())
        .build()
        .await
        .unwrap();
    let mut request = ChatRequest::new(
        "mock-tools",
        vec![Message::user(
            r#"What time is it in Tokyo? {"timezone": "Asia/Tokyo"}"#,
        )],
    );
    request.tool_choice = Some(ToolChoice::Tool {
        name: "get_current_time".into(),
    });
    let start = |mut req: ChatRequest| {
        let manager = &manager;
        async move {
            // Once the tool has answered, let the model speak.
            if req
                .messages
                .last()
                .is_some_and(|m| m.role == yat_core::Role::Tool)
            {
                req.tool_choice = Some(ToolChoice::None);
            }
            manager.stream_chat("mock", &req).await
        }
    };
    let outcome = run_tools(start, request, hub.toolbox(Arc::new(AllowAll)))
        .max_steps(3)
        .run_to_end()
        .await
        .unwrap();
    let answer = outcome.response.text();
    assert!(
        answer.starts_with("Tool results: get_current_time returned {"),
        "{answer}"
    );
    assert!(answer.contains("\"timezone\":\"Asia/Tokyo\""), "{answer}");
    assert!(answer.contains("+09:00"), "{answer}");
    hub.shutdown().await;
}

/// Serves `body` as HTML to every request on 127.0.0.1 and counts them.
async fn serve_page(body: &'static str) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

const PAGE: &str = "<html><head><title>Local page</title></head><body><article><h1>Harbour report</h1><p>The ferry to the island leaves at nine, every day but Sunday, from the north quay. Tickets are sold on board.</p></article></body></html>";

fn fetch_server(name: &str, args: &[&str]) -> McpServerConfig {
    // Any proxy of the machine must not see the loopback request.
    McpServerConfig::stdio(
        name,
        StdioServer::new(venv_bin("mcp-server-fetch"))
            .args(args.iter().copied())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python reference servers: yat-mcp/tests/python/setup.sh (run by .ci/run)"]
async fn fetch_server_reads_a_local_page_only_when_told_it_may() {
    let (base, hits) = serve_page(PAGE).await;
    let url = format!("{base}/harbour");
    let config = McpConfig::new(vec![
        fetch_server("fetch", &["--ignore-robots-txt", "--allow-private-ips"]),
        fetch_server("fetch_default", &[]),
    ]);
    let hub = McpHub::connect(&config, options()).await;
    for s in hub.statuses() {
        assert!(s.is_ready(), "{s:?}");
    }
    // Two servers with a `fetch` each: both prefixed.
    let names: Vec<String> = hub.tools().into_iter().map(|t| t.exposed_name).collect();
    assert_eq!(names, vec!["fetch__fetch", "fetch_default__fetch"]);

    let page = hub
        .call("fetch", "fetch", json!({"url": url}))
        .await
        .unwrap();
    assert!(!page.is_error, "{page:?}");
    let text = page.text();
    assert!(text.contains(&format!("Contents of {url}")), "{text}");
    assert!(
        text.contains("The ferry to the island leaves at nine"),
        "{text}"
    );
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);

    // By default the server refuses loopback addresses: an error result
    // naming the flag, and the page is never requested.
    let before = hits.load(std::sync::atomic::Ordering::SeqCst);
    let refused = hub
        .call("fetch_default", "fetch", json!({"url": url}))
        .await
        .unwrap();
    assert!(refused.is_error, "{refused:?}");
    assert!(
        refused.text().contains("--allow-private-ips"),
        "{}",
        refused.text()
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), before);

    // A cap on what the model gets, with the cut said.
    let capped = McpHub::connect(
        &McpConfig::new(vec![fetch_server(
            "fetch",
            &["--ignore-robots-txt", "--allow-private-ips"],
        )]),
        options().max_result_chars(60),
    )
    .await;
    let r = capped
        .toolbox(Arc::new(AllowAll))
        .call(&yat_core::ToolCall::new("c", "fetch", json!({"url": url})))
        .await;
    let text: Value = json!(r.content.to_text());
    assert!(text.as_str().unwrap().contains("… [truncated: "), "{text}");
    hub.shutdown().await;
    capped.shutdown().await;
}

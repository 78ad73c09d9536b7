//! A real MCP server, built with rmcp, that this test binary becomes when
//! `YAT_TEST_MCP_SERVE` is set: yat starts it as a stdio server like any
//! other. Its tools, in the order `YAT_TEST_MCP_TOOLS` lists them (the
//! mock's `mock-tools` calls the first):
//!
//! - `echo {text}`: `echo: TEXT`;
//! - `lines`: three lines;
//! - `fail`: an error result (`isError`), `it broke`;
//! - `slow`: answers after a minute (for Ctrl-C).
//!
//! It writes its process id to `YAT_TEST_MCP_PIDFILE`, when set, so a test
//! can tell it is gone once yat has exited.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeResult, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Map, Value};

/// Set: this binary is the server.
pub const SERVE: &str = "YAT_TEST_MCP_SERVE";
/// The tools to offer, comma-separated, in order.
pub const TOOLS: &str = "YAT_TEST_MCP_TOOLS";
/// Where to write the server's pid.
pub const PIDFILE: &str = "YAT_TEST_MCP_PIDFILE";

struct Fixture {
    tools: Vec<String>,
}

fn schema(v: Value) -> Arc<Map<String, Value>> {
    match v {
        Value::Object(o) => Arc::new(o),
        _ => Arc::new(Map::new()),
    }
}

fn tool(name: &str) -> Option<Tool> {
    let no_args = || schema(json!({"type": "object", "properties": {}}));
    Some(match name {
        "echo" => Tool::new(
            "echo",
            "Says the text back",
            schema(json!({
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"]
            })),
        ),
        "lines" => Tool::new("lines", "Three lines", no_args()),
        "fail" => Tool::new("fail", "Always fails", no_args()),
        "slow" => Tool::new("slow", "Answers after a minute", no_args()),
        _ => return None,
    })
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("yat-test-fixture", "1.0.0"))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.tools.iter().filter_map(|t| tool(t)).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let text = |t: String| vec![ContentBlock::text(t)];
        let result = match request.name.as_ref() {
            "echo" => {
                let said = args.get("text").and_then(Value::as_str).unwrap_or("");
                CallToolResult::success(text(format!("echo: {said}")))
            }
            "lines" => CallToolResult::success(text("one\ntwo\nthree".into())),
            "fail" => CallToolResult::error(text("it broke".into())),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                CallToolResult::success(text("done".into()))
            }
            other => return Err(ErrorData::invalid_params(format!("no tool {other}"), None)),
        };
        Ok(result.into())
    }
}

/// Serves the tools `tools` over streamable HTTP on 127.0.0.1, on a
/// thread of its own for the rest of the test process, refusing a request
/// without `Authorization: Bearer TOKEN`; returns the URL.
pub fn serve_http(tools: &str, token: &'static str) -> String {
    use axum::response::IntoResponse;
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

    let tools: Vec<String> = tools.split(',').map(str::to_owned).collect();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let service = StreamableHttpService::new(
                move || {
                    Ok(Fixture {
                        tools: tools.clone(),
                    })
                },
                LocalSessionManager::default().into(),
                StreamableHttpServerConfig::default(),
            );
            let app = axum::Router::new().nest_service("/mcp", service).layer(
                axum::middleware::from_fn(
                    move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                        let expected = format!("Bearer {token}");
                        let given = req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok());
                        if given == Some(expected.as_str()) {
                            next.run(req).await
                        } else {
                            axum::http::StatusCode::UNAUTHORIZED.into_response()
                        }
                    },
                ),
            );
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
    });
    format!("http://{addr}/mcp")
}

/// Serves on stdin and stdout until the client goes away.
pub fn serve() {
    if let Some(path) = std::env::var_os(PIDFILE) {
        std::fs::write(path, std::process::id().to_string()).expect("pid file");
    }
    let tools = std::env::var(TOOLS).unwrap_or_else(|_| "echo,lines,fail,slow".into());
    let fixture = Fixture {
        tools: tools.split(',').map(str::to_owned).collect(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let running = fixture
            .serve(rmcp::transport::stdio())
            .await
            .expect("MCP handshake");
        let _ = running.waiting().await;
    });
}

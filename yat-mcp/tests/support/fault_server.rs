//! An MCP server built with rmcp that misbehaves on request, for the fault
//! tests and the benchmark. It runs as a real child process over stdio
//! (the test binary re-executes itself with `FAULT_SERVER_ENV` set) or
//! in-process behind streamable HTTP.
//!
//! Tools: `echo`, `noop`, `crash` (the process exits mid-call), `hang`
//! (never answers; notes a cancellation on stderr), `bad_schema` (a string
//! schema), `garbage` (writes a non-JSON line on stdout, then answers),
//! `huge` (`chars` characters), `image` (a PNG), `fail` (an `isError`
//! result), `structured`, `add_tool` (adds `late_tool` and sends
//! `notifications/tools/list_changed`), `x_team` (the `X-Team` header of an
//! HTTP request). The list comes in pages of three.

#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    ServerNotification, Tool, ToolListChangedNotification,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Map, Value};

/// Set (to anything) to make the test binary the stdio server.
pub const FAULT_SERVER_ENV: &str = "YAT_MCP_FAULT_SERVER";
/// Set to `exit` to exit at start, `silent` to never answer the handshake.
pub const FAULT_MODE_ENV: &str = "YAT_MCP_FAULT_MODE";
/// Written to stderr at start, to check that stderr tails are scrubbed.
pub const FAULT_TOKEN_ENV: &str = "YAT_MCP_FAULT_TOKEN";

/// A tiny valid PNG header and some bytes: what `image` returns.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

const PAGE: usize = 3;

#[derive(Clone, Default)]
pub struct FaultServer {
    late_tool: Arc<AtomicBool>,
}

fn schema(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl FaultServer {
    fn tools(&self) -> Vec<Tool> {
        let text_arg =
            schema(json!({"type": "object", "properties": {"text": {"type": "string"}}}));
        let none = schema(json!({"type": "object", "properties": {}}));
        let mut tools = vec![
            Tool::new("echo", "Returns its text", text_arg),
            Tool::new("noop", "Does nothing", none.clone()),
            Tool::new("crash", "Exits the process mid-call", none.clone()),
            Tool::new("hang", "Never answers", none.clone()),
            Tool::new(
                "bad_schema",
                "Has a string schema",
                schema(json!({"type": "string"})),
            ),
            Tool::new(
                "garbage",
                "Writes garbage on stdout, then answers",
                none.clone(),
            ),
            Tool::new(
                "huge",
                "Returns `chars` characters",
                schema(json!({"type": "object", "properties": {"chars": {"type": "integer"}}})),
            ),
            Tool::new("image", "Returns a PNG", none.clone()),
            Tool::new("fail", "Reports a failure", none.clone()),
            Tool::new("structured", "Returns structured content", none.clone()),
            Tool::new("add_tool", "Adds late_tool and says so", none.clone()),
            Tool::new(
                "x_team",
                "The X-Team header of the HTTP request",
                none.clone(),
            ),
        ];
        if self.late_tool.load(Ordering::SeqCst) {
            tools.push(Tool::new("late_tool", "Added at run time", none));
        }
        tools
    }
}

fn text(t: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(t)])
}

impl ServerHandler for FaultServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new("yat-fault-server", "1.0.0"))
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let start: usize = request
            .and_then(|r| r.cursor)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let tools = self.tools();
        let end = (start + PAGE).min(tools.len());
        let mut page = ListToolsResult::with_all_items(tools[start.min(end)..end].to_vec());
        if end < tools.len() {
            page.next_cursor = Some(end.to_string());
        }
        Ok(page)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let result = match request.name.as_ref() {
            "echo" => match args.get("text").and_then(Value::as_str) {
                Some(t) => text(t),
                None => return Err(ErrorData::invalid_params("text must be a string", None)),
            },
            "noop" | "bad_schema" | "late_tool" => text("ok"),
            "crash" => {
                eprintln!("crashing on purpose");
                std::process::exit(3);
            }
            "hang" => {
                context.ct.cancelled().await;
                eprintln!("hang: cancelled by the client");
                return Err(ErrorData::internal_error("cancelled", None));
            }
            "garbage" => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(b"this is not JSON-RPC at all\n");
                let _ = out.flush();
                text("after garbage")
            }
            "huge" => {
                let n = args.get("chars").and_then(Value::as_u64).unwrap_or(200_000) as usize;
                text("x".repeat(n))
            }
            "image" => {
                use base64::Engine as _;
                let data = base64::engine::general_purpose::STANDARD.encode(PNG);
                CallToolResult::success(vec![
                    ContentBlock::text("a picture:"),
                    ContentBlock::image(data, "image/png"),
                ])
            }
            "fail" => CallToolResult::error(vec![ContentBlock::text("the tool failed on purpose")]),
            "structured" => {
                let v = json!({"celsius": 12, "city": "Oslo"});
                let mut r = CallToolResult::success(vec![ContentBlock::text(v.to_string())]);
                r.structured_content = Some(v);
                r
            }
            "x_team" => text(
                context
                    .extensions
                    .get::<http::request::Parts>()
                    .and_then(|p| p.headers.get("x-team"))
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("(none)"),
            ),
            "add_tool" => {
                self.late_tool.store(true, Ordering::SeqCst);
                let _ = context
                    .peer
                    .send_notification(ServerNotification::ToolListChangedNotification(
                        ToolListChangedNotification::default(),
                    ))
                    .await;
                text("added late_tool")
            }
            other => {
                return Err(ErrorData::invalid_params(format!("no tool {other}"), None));
            }
        };
        Ok(CallToolResponse::Complete(result))
    }
}

/// The stdio server's `main`: serves until stdin closes.
pub fn serve_stdio() {
    if let Ok(token) = std::env::var(FAULT_TOKEN_ENV) {
        eprintln!("starting with token {token}");
    }
    match std::env::var(FAULT_MODE_ENV).as_deref() {
        Ok("exit") => {
            eprintln!("refusing to start: no config");
            std::process::exit(2);
        }
        Ok("silent") => std::thread::sleep(std::time::Duration::from_secs(3600)),
        _ => {}
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let service = FaultServer::default()
            .serve(rmcp::transport::stdio())
            .await
            .expect("serve");
        let _ = service.waiting().await;
    });
}

/// Serves the fault server over streamable HTTP on 127.0.0.1, requiring
/// `Authorization: Bearer <token>`; returns the MCP URL.
pub async fn serve_http(token: &'static str) -> String {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

    let service = StreamableHttpService::new(
        || Ok(FaultServer::default()),
        LocalSessionManager::default().into(),
        StreamableHttpServerConfig::default(),
    );
    let app = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                let ok = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    == Some(&format!("Bearer {token}"));
                if ok {
                    next.run(req).await
                } else {
                    axum::http::StatusCode::UNAUTHORIZED.into_response()
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Without TCP_NODELAY each small SSE write after the first waits for
    // the client's delayed ACK: about 40 ms a call.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/mcp")
}

use axum::response::IntoResponse;

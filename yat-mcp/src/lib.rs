//! Tools from [Model Context Protocol](https://modelcontextprotocol.io)
//! servers for yat's tool loop: any model with tool support can use any MCP
//! server, over stdio or streamable HTTP, through the official Rust SDK
//! (`rmcp`).
//!
//! 1. Describe the servers ([`McpConfig`], the `"mcp_servers"` key of
//!    `provider_config.json`).
//! 2. Connect them ([`McpHub::connect`]): each is started, initialized and
//!    its tools listed, all at once.
//! 3. Hand [`McpHub::toolbox`] to [`yat_core::tools::run_tools`]; an
//!    [`Approver`] decides on calls that are not allow-listed.
//!
//! ```no_run
//! # async fn demo(manager: yat_core::ProviderManager) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use yat_core::tools::run_tools;
//! use yat_core::{ChatRequest, Message};
//! use yat_mcp::{AllowAll, HubOptions, McpConfig, McpHub, McpServerConfig, StdioServer};
//!
//! let config = McpConfig::new(vec![McpServerConfig::stdio(
//!     "time",
//!     StdioServer::new("uvx").args(["mcp-server-time"]),
//! )]);
//! let hub = McpHub::connect(&config, HubOptions::default()).await;
//! let request = ChatRequest::new("gpt-4o-mini", vec![Message::user("What time is it in Tokyo?")]);
//! let start = |req: ChatRequest| {
//!     let manager = &manager;
//!     async move { manager.stream_chat("openai", &req).await }
//! };
//! let outcome = run_tools(start, request, hub.toolbox(Arc::new(AllowAll)))
//!     .run_to_end()
//!     .await?;
//! println!("{}", outcome.response.text());
//! hub.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! What each fault does (a server that will not start, crashes, hangs or
//! answers garbage) and the limits are in `docs/MCP.md`.

mod approval;
mod config;
mod connection;
mod error;
mod http;
mod hub;
pub mod naming;
mod result;
pub mod schema;
mod secret;
mod server;
mod status;
mod stdio;

pub use approval::{AllowAll, Approval, ApprovalRequest, Approver, DenyUnlisted, NOT_APPROVED};
pub use config::{
    is_valid_server_name, HttpServer, McpConfig, McpServerConfig, McpTransport, StdioServer,
    DEFAULT_TIMEOUT_SECS, MCP_SERVERS_KEY, MIN_SECRET_LEN,
};
pub use error::McpError;
pub use hub::{HubOptions, McpHub};
pub use result::{cap, McpCallResult, McpContent, DEFAULT_MAX_RESULT_CHARS};
pub use schema::McpTool;
pub use secret::ConfigSecret;
pub use status::{ServerInfo, ServerState, ServerStatus};

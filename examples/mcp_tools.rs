//! The tools of MCP servers in a chat with any model that calls tools: the
//! enabled servers of `provider_config.json`'s `"mcp_servers"`, or one
//! server given after `--`.
//!
//! ```sh
//! cargo run --example mcp_tools --features mcp -- "What time is it in Tokyo?" openai/gpt-4o-mini -- uvx mcp-server-time
//! ```
//!
//! Every call is allowed here (`AllowAll`), since the servers are the ones
//! you named; a program with a user would pass an `Approver` that asks.

use std::io::Write;
use std::sync::Arc;

use futures::StreamExt;
use yat::mcp::{AllowAll, HubOptions, McpConfig, McpHub, McpServerConfig, StdioServer};
use yat::tools::{run_tools, ToolLoopEvent};
use yat::{ChatRequest, ConfigLocation, Message, ModelRef};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (ours, server) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (&args[..], &[][..]),
    };
    let prompt = ours
        .first()
        .map_or("What time is it in Tokyo?", String::as_str);
    let target: ModelRef = ours
        .get(1)
        .map_or("mock/mock-tools", String::as_str)
        .parse()?;

    let config = match server.split_first() {
        Some((command, rest)) => McpConfig::new(vec![McpServerConfig::stdio(
            "server",
            StdioServer::new(command).args(rest),
        )]),
        None => McpConfig::load(&ConfigLocation::discover(None).config_file)?,
    };
    let hub = McpHub::connect(&config, HubOptions::default()).await;
    for status in hub.statuses() {
        eprintln!("[mcp] {}: {:?}", status.name, status.state);
    }

    let manager = yat::manager().await?;
    let request = ChatRequest::new(&target.model, vec![Message::user(prompt)]);
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let mut run = run_tools(|req| manager.chat(&target, req), request, toolbox).max_steps(5);
    let mut stdout = std::io::stdout();
    while let Some(event) = run.next().await {
        match event? {
            ToolLoopEvent::ToolStarted { call, .. } => {
                eprintln!("[tool] {}({})", call.name, call.arguments)
            }
            ToolLoopEvent::ToolFinished { result, .. } => {
                let how = if result.is_error {
                    "failed"
                } else {
                    "returned"
                };
                eprintln!("[tool] {} {how} {}", result.name, result.content.to_text())
            }
            event => {
                if let Some(text) = event.text() {
                    stdout.write_all(text.as_bytes())?;
                    stdout.flush()?;
                }
            }
        }
    }
    println!();
    // Kills and reaps the servers' processes before the program ends.
    hub.shutdown().await;
    Ok(())
}

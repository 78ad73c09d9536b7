//! The session's commands about tools: `/tools` lists the tools in play,
//! `/mcp` the MCP servers, `/mcp NAME on|off` turns one on or off for the
//! rest of the session.

use crate::commands::chat::ChatSetup;
use crate::context::Ctx;
#[cfg(feature = "mcp")]
use crate::term::eprint_line;

/// The lines of the session's `/help` about these.
pub const HELP: &str = "\
/tools            the tools in play: server, name, and whether each runs without asking
/mcp [NAME on|off] the MCP servers; turn one on or off for the rest of the session";

/// `/tools`.
pub fn tools(ctx: &Ctx, setup: &ChatSetup) {
    #[cfg(feature = "mcp")]
    if let Some(mcp) = &setup.mcp {
        let lines = mcp.tool_lines();
        if lines.is_empty() {
            ctx.term
                .note("no tools in play: every server is off, failed, or has none (/mcp)");
        }
        for line in lines {
            eprint_line(&line);
        }
        return;
    }
    let _ = setup;
    ctx.term
        .note("no tools run in this session: /mcp NAME on starts an MCP server's (or --mcp NAME)");
}

/// `/mcp [NAME on|off]`.
pub async fn mcp(ctx: &Ctx, setup: &mut ChatSetup, arg: &str) {
    #[cfg(feature = "mcp")]
    if let Some(mcp) = setup.mcp.as_mut() {
        let words: Vec<&str> = arg.split_whitespace().collect();
        match words.as_slice() {
            [] => {
                for line in mcp.server_lines() {
                    eprint_line(&line);
                }
            }
            [name, switch @ ("on" | "off")] => {
                match mcp.toggle(&ctx.term, name, *switch == "on").await {
                    Ok(said) => ctx.term.done(&said),
                    Err(why) => ctx.term.error(&why),
                }
            }
            _ => ctx
                .term
                .error("usage: /mcp, or /mcp NAME on, or /mcp NAME off"),
        }
        return;
    }
    #[cfg(feature = "mcp")]
    if let [name, "on"] = arg.split_whitespace().collect::<Vec<_>>().as_slice() {
        match crate::mcp_chat::McpChat::start_one(ctx, name).await {
            Ok(mcp) => {
                setup.mcp = Some(mcp);
                ctx.term.done(&format!("{name} on"));
            }
            Err(f) => ctx.term.error(&f.message().unwrap_or_default()),
        }
        return;
    }
    let _ = (setup, arg);
    ctx.term.note(
        "no MCP servers in this session: /mcp NAME on starts one (`yat mcp list` shows them)",
    );
}

//! `yat mcp`: the MCP servers in provider_config.json, their status, and
//! one tool run by hand. Everything a program would want (the file, the
//! connections, the calls) is `yat::mcp`'s; this is the words and the
//! tables.

use std::io::Write;

use serde_json::json;
use yat::mcp::{
    ConfigSecret, HttpServer, McpConfig, McpError, McpServerConfig, McpTransport, StdioServer,
};

use crate::cli::{McpAction, McpAddArgs};
use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};
use crate::mcp_status::{self, Listed};

/// Runs `yat mcp ...`.
pub async fn run(ctx: &Ctx, action: McpAction) -> CmdResult {
    let path = ctx.location().config_file;
    match action {
        McpAction::List { json } => {
            let config = McpConfig::load(&path).map_err(failure)?;
            let listed = mcp_status::connect_and_list(&config).await;
            if json {
                let items: Vec<serde_json::Value> = listed.iter().map(Listed::to_json).collect();
                return print_json(&ctx.term, &items);
            }
            if listed.is_empty() {
                ctx.term.note(
                    "no MCP servers; add one with `yat mcp add NAME -- COMMAND ARGS...` or \
                     `yat mcp add NAME --url URL`",
                );
                return Ok(());
            }
            mcp_status::print_table(&ctx.term, &listed)
        }
        McpAction::Add(args) => {
            let server = server_from(args)?;
            let name = server.name.clone();
            let mut config = McpConfig::load(&path).map_err(failure)?;
            config.add(server).map_err(failure)?;
            config.save(&path).map_err(failure)?;
            ctx.term.done(&format!(
                "added MCP server {name} (`yat mcp list` connects to it; `yat chat --mcp {name}` uses it)"
            ));
            Ok(())
        }
        McpAction::Remove { name } => {
            let mut config = McpConfig::load(&path).map_err(failure)?;
            config.remove(&name).map_err(failure)?;
            config.save(&path).map_err(failure)?;
            ctx.term.done(&format!("removed MCP server {name}"));
            Ok(())
        }
        McpAction::Enable { name } => set_enabled(ctx, &path, &name, true),
        McpAction::Disable { name } => set_enabled(ctx, &path, &name, false),
        McpAction::Call {
            server,
            tool,
            arguments,
            json,
        } => {
            let arguments = match arguments {
                Some(arg) => crate::json_arg::read("ARGUMENTS", &arg)?.value,
                None => json!({}),
            };
            if !arguments.is_object() {
                return Err(Failure::Usage(
                    "the arguments are a JSON object, like {\"timezone\": \"Asia/Tokyo\"}".into(),
                ));
            }
            let config = McpConfig::load(&path).map_err(failure)?;
            let result = mcp_status::call(&config, &server, &tool, arguments).await?;
            if json {
                print_json(
                    &ctx.term,
                    &json!({"text": result.text, "is_error": result.is_error}),
                )?;
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(result.text.as_bytes())?;
                if !result.text.ends_with('\n') {
                    out.write_all(b"\n")?;
                }
                out.flush()?;
            }
            if result.is_error {
                return Err(Failure::Runtime(format!(
                    "{server}.{tool} returned an error result"
                )));
            }
            Ok(())
        }
    }
}

fn set_enabled(ctx: &Ctx, path: &std::path::Path, name: &str, enabled: bool) -> CmdResult {
    let mut config = McpConfig::load(path).map_err(failure)?;
    config.set_enabled(name, enabled).map_err(failure)?;
    config.save(path).map_err(failure)?;
    ctx.term.done(&format!(
        "MCP server {name} {}",
        if enabled { "enabled" } else { "disabled" }
    ));
    Ok(())
}

/// The server `yat mcp add` describes.
fn server_from(args: McpAddArgs) -> CmdResult<McpServerConfig> {
    let transport = match (&args.url, args.command.split_first()) {
        (Some(_), Some(_)) => {
            return Err(Failure::Usage(
                "a server is a command (after --) or a --url, not both".into(),
            ))
        }
        (None, None) => {
            return Err(Failure::Usage(
                "which server? give its command after -- (yat mcp add time -- uvx \
                 mcp-server-time) or its --url"
                    .into(),
            ))
        }
        (Some(url), None) => {
            let mut http = HttpServer::new(url.clone());
            for pair in &args.headers {
                let (k, v) = pair_of("--header", pair)?;
                http = http.header(k, ConfigSecret::new(v));
            }
            if let Some(var) = &args.bearer_env {
                if var.is_empty() || !var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    return Err(Failure::Usage(format!(
                        "--bearer-env takes the NAME of an environment variable, not {}",
                        if var.len() > 3 {
                            "a value"
                        } else {
                            var.as_str()
                        }
                    )));
                }
                http = http.bearer_token(ConfigSecret::new(format!("${{{var}}}")));
            }
            McpTransport::Http(http)
        }
        (None, Some((command, rest))) => {
            let mut stdio = StdioServer::new(command.clone()).args(rest.iter().cloned());
            for pair in &args.env {
                let (k, v) = pair_of("--env", pair)?;
                stdio = stdio.env(k, ConfigSecret::new(v));
            }
            if let Some(dir) = &args.cwd {
                stdio = stdio.cwd(dir.clone());
            }
            McpTransport::Stdio(stdio)
        }
    };
    let mut server = match transport {
        McpTransport::Stdio(s) => McpServerConfig::stdio(args.name, s),
        McpTransport::Http(h) => McpServerConfig::http(args.name, h),
        _ => return Err(Failure::Usage("unsupported transport".into())),
    }
    .allow(args.allow);
    if let Some(secs) = args.timeout {
        server = server.timeout_secs(secs);
    }
    Ok(server)
}

fn pair_of(flag: &str, pair: &str) -> CmdResult<(String, String)> {
    crate::cli::parse_pair(pair).map_err(|e| Failure::Usage(format!("{flag}: {e}")))
}

/// An MCP error as a command's failure: what the user typed wrong (a name,
/// a tool, arguments, the configuration) is a usage error (exit 2), the
/// rest a runtime error (exit 1).
pub fn failure(e: McpError) -> Failure {
    match e {
        McpError::File(e) => Failure::Yat(e),
        McpError::UnknownServer { .. }
        | McpError::UnknownTool { .. }
        | McpError::InvalidArguments { .. }
        | McpError::DuplicateServer { .. }
        | McpError::Config { .. } => Failure::Usage(e.to_string()),
        other => Failure::Runtime(other.to_string()),
    }
}

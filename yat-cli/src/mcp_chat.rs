//! The MCP servers of one chat (`--mcp`, `--mcp-all`): connected once,
//! their tools offered at every turn (the list as it is then: a server's
//! `list_changed` is picked up), and, in a session, turned off and on
//! (`/mcp NAME off|on`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use yat::mcp::{HubOptions, McpConfig, McpError, McpHub, ServerState, ServerStatus};
use yat::tools::{Toolbox, DEFAULT_MAX_STEPS};
use yat::ToolCall;

use crate::chat_flags::McpArgs;
use crate::commands::mcp::failure;
use crate::context::Ctx;
use crate::failure::{CmdResult, Failure};
use crate::tool_turn::{Origin, ToolsInPlay};

/// The MCP side of a chat.
pub struct McpChat {
    /// provider_config.json, read again when a server is turned on.
    path: std::path::PathBuf,
    config: McpConfig,
    hub: McpHub,
    /// The servers connected (those asked for, and those turned on since).
    servers: Vec<String>,
    /// Servers turned off for the rest of the session.
    off: BTreeSet<String>,
    approver: Arc<dyn yat::mcp::Approver>,
    cancel: Arc<tokio::sync::Notify>,
    max_steps: u32,
}

impl McpChat {
    /// Connects the servers `args` asks for; `None` when it asks for none.
    /// An unknown name is a usage error listing the configured ones; a
    /// server that fails to start is a warning (its calls fail, the chat
    /// goes on).
    pub async fn start(ctx: &Ctx, args: &McpArgs, json: bool) -> CmdResult<Option<McpChat>> {
        if !args.wanted() {
            return Ok(None);
        }
        let path = ctx.location().config_file;
        let config = McpConfig::load(&path).map_err(failure)?;
        let servers: Vec<String> = if args.all {
            let enabled: Vec<String> = config
                .servers
                .iter()
                .filter(|s| s.enabled)
                .map(|s| s.name.clone())
                .collect();
            if enabled.is_empty() {
                return Err(Failure::Usage(if config.servers.is_empty() {
                    "--mcp-all: no MCP server is configured (`yat mcp add` adds one)".into()
                } else {
                    format!(
                        "--mcp-all: every MCP server is disabled ({}); `yat mcp enable NAME` \
                         or --mcp NAME",
                        config.names().join(", ")
                    )
                }));
            }
            enabled
        } else {
            args.servers.clone()
        };
        Self::connected(ctx, path, config, servers, args.yes, json, args.max_steps)
            .await
            .map(Some)
    }

    /// `/mcp NAME on` in a session started without `--mcp`: that server,
    /// confirmed on the terminal as usual.
    pub async fn start_one(ctx: &Ctx, name: &str) -> CmdResult<McpChat> {
        let path = ctx.location().config_file;
        let config = McpConfig::load(&path).map_err(failure)?;
        let servers = vec![name.to_owned()];
        Self::connected(ctx, path, config, servers, false, false, DEFAULT_MAX_STEPS).await
    }

    async fn connected(
        ctx: &Ctx,
        path: std::path::PathBuf,
        config: McpConfig,
        servers: Vec<String>,
        yes: bool,
        json: bool,
        max_steps: u32,
    ) -> CmdResult<McpChat> {
        let cancel = Arc::new(tokio::sync::Notify::new());
        let approver = crate::mcp_approval::for_run(&ctx.term, yes, json, Arc::clone(&cancel));
        let hub = connect(&ctx.term, &config, &servers).await?;
        Ok(McpChat {
            path,
            config,
            hub,
            servers,
            off: BTreeSet::new(),
            approver,
            cancel,
            max_steps,
        })
    }

    /// The tools in play now: those of every connected server not turned
    /// off, as their servers list them now.
    pub fn tools(&self) -> ToolsInPlay {
        let listed = self.hub.tools();
        let toolbox = self.hub.toolbox(Arc::clone(&self.approver));
        let toolbox = if self.off.is_empty() {
            toolbox
        } else {
            let kept: Vec<String> = listed
                .iter()
                .filter(|t| !self.off.contains(&t.server))
                .map(|t| t.exposed_name.clone())
                .collect();
            only(&toolbox, &kept)
        };
        let origins: HashMap<String, Origin> = listed
            .into_iter()
            .filter(|t| !self.off.contains(&t.server))
            .map(|t| {
                (
                    t.exposed_name,
                    Origin {
                        server: t.server,
                        tool: t.name,
                    },
                )
            })
            .collect();
        ToolsInPlay {
            toolbox,
            origins,
            max_steps: self.max_steps,
            cancel: Arc::clone(&self.cancel),
        }
    }

    /// `/tools`: one line per tool in play: server, name, and whether it
    /// runs without asking.
    pub fn tool_lines(&self) -> Vec<String> {
        self.hub
            .tools()
            .into_iter()
            .filter(|t| !self.off.contains(&t.server))
            .map(|t| {
                let allowed = self
                    .config
                    .server(&t.server)
                    .is_some_and(|s| s.is_allowed(&t.name));
                let how = if allowed { "allowed" } else { "asks first" };
                let exposed = if t.exposed_name == t.name {
                    String::new()
                } else {
                    format!(" (offered as {})", t.exposed_name)
                };
                format!("{}.{}{exposed}  {how}", t.server, t.name)
            })
            .collect()
    }

    /// `/mcp`: one line per configured server: on or off in this session,
    /// and its status.
    pub fn server_lines(&self) -> Vec<String> {
        let statuses = self.hub.statuses();
        self.config
            .servers
            .iter()
            .map(|s| {
                let status = statuses.iter().find(|st| st.name == s.name);
                let state = match status {
                    None => "not connected".to_owned(),
                    Some(st) => state_text(st),
                };
                let on = if self.servers.contains(&s.name) && !self.off.contains(&s.name) {
                    "on "
                } else {
                    "off"
                };
                format!("{on}  {}  {state}", s.name)
            })
            .collect()
    }

    /// `/mcp NAME on|off`: what to say, or why not.
    pub async fn toggle(
        &mut self,
        term: &crate::term::Term,
        name: &str,
        on: bool,
    ) -> Result<String, String> {
        // A server added since the session began (`yat mcp add` elsewhere)
        // can be turned on: read the servers again.
        if let Ok(config) = McpConfig::load(&self.path) {
            self.config = config;
        }
        if self.config.server(name).is_none() {
            let unknown = McpError::UnknownServer {
                name: name.to_owned(),
                available: self.config.names(),
            };
            return Err(unknown.to_string());
        }
        if !on {
            if !self.servers.iter().any(|s| s == name) || !self.off.insert(name.to_owned()) {
                return Ok(format!("{name} is already off"));
            }
            return Ok(format!(
                "{name} off: its tools are not offered for the rest of the session"
            ));
        }
        if self.off.remove(name) {
            return Ok(format!("{name} on"));
        }
        if self.servers.iter().any(|s| s == name) {
            return Ok(format!("{name} is already on"));
        }
        // A server not connected yet: connect the whole set again, so that
        // tool names are made unique across all of them.
        let mut servers = self.servers.clone();
        servers.push(name.to_owned());
        let hub = connect(term, &self.config, &servers)
            .await
            .map_err(|f| f.message().unwrap_or_default())?;
        self.hub.shutdown().await;
        self.hub = hub;
        self.servers = servers;
        Ok(format!("{name} on"))
    }

    /// Stops every server (stdio processes are killed and reaped).
    pub async fn shutdown(&self) {
        self.hub.shutdown().await;
    }
}

/// Connects `servers`, warning about each that did not start.
async fn connect(
    term: &crate::term::Term,
    config: &McpConfig,
    servers: &[String],
) -> CmdResult<McpHub> {
    let names: Vec<&str> = servers.iter().map(String::as_str).collect();
    let hub = McpHub::connect_only(config, &names, HubOptions::default())
        .await
        .map_err(failure)?;
    for status in hub.statuses() {
        if let ServerState::Failed { reason } = &status.state {
            // The reason names the server already (`MCP server "x" did
            // not start: …`).
            term.warn(&format!("{reason}; its tools are not offered"));
        }
    }
    Ok(hub)
}

/// `ready: 2 tools`, `failed: REASON`, `disabled`, `starting`.
pub fn state_text(status: &ServerStatus) -> String {
    match &status.state {
        ServerState::Ready { tools, .. } => format!("ready: {tools} tool{}", plural(*tools)),
        ServerState::Failed { reason } => format!("failed: {reason}"),
        ServerState::Disabled => "disabled".into(),
        ServerState::Starting => "starting".into(),
        _ => "unknown".into(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The tools of `toolbox` named in `names`, each answering through it (so
/// its approval and error handling stay as they are).
fn only(toolbox: &Toolbox, names: &[String]) -> Toolbox {
    let mut kept = Toolbox::new();
    for name in names {
        let Some(spec) = toolbox.spec(name).cloned() else {
            continue;
        };
        let inner = toolbox.clone();
        let name = name.clone();
        kept = kept.tool_spec(spec, move |args| {
            let call = ToolCall::new("", name.clone(), args);
            let result = inner.call(&call);
            async move {
                let r = result.await;
                if r.is_error {
                    Err(r.content.to_text())
                } else {
                    Ok(r.content)
                }
            }
        });
    }
    kept
}

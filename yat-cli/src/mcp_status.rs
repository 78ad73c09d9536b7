//! What `yat mcp list` shows of each server (connecting to it), and
//! `yat mcp call`'s one call. Secrets are shown as their keys only.

use std::io::Write;

use serde_json::json;
use yat::mcp::{
    HubOptions, McpCallResult, McpConfig, McpHub, McpServerConfig, McpTransport, ServerState,
    ServerStatus,
};

use crate::commands::mcp::failure;
use crate::failure::CmdResult;
use crate::table::{Cell, Table};
use crate::term::Term;

/// What stands for a secret's value.
const MASK: &str = "•••";

/// One server as listed.
pub struct Listed {
    config: McpServerConfig,
    status: Option<ServerStatus>,
    /// Its tools' names on the server, when it is ready.
    tools: Vec<String>,
}

/// Connects every enabled server (each within the hub's start-up timeout,
/// all at once) and lists them all, in configuration order.
pub async fn connect_and_list(config: &McpConfig) -> Vec<Listed> {
    if config.servers.is_empty() {
        return Vec::new();
    }
    let hub = McpHub::connect(config, HubOptions::default()).await;
    let tools = hub.tools();
    let statuses = hub.statuses();
    hub.shutdown().await;
    config
        .servers
        .iter()
        .map(|s| Listed {
            config: s.clone(),
            status: statuses.iter().find(|st| st.name == s.name).cloned(),
            tools: tools
                .iter()
                .filter(|t| t.server == s.name)
                .map(|t| t.name.clone())
                .collect(),
        })
        .collect()
}

/// Runs one tool by hand, without asking (the user asked).
pub async fn call(
    config: &McpConfig,
    server: &str,
    tool: &str,
    arguments: serde_json::Value,
) -> CmdResult<Called> {
    let hub = McpHub::connect_only(config, &[server], HubOptions::default())
        .await
        .map_err(failure)?;
    let result = hub.call(server, tool, arguments).await;
    hub.shutdown().await;
    let result: McpCallResult = result.map_err(failure)?;
    Ok(Called {
        text: match &result.structured {
            Some(v) if result.content.is_empty() => v.to_string(),
            _ => result.text(),
        },
        is_error: result.is_error,
    })
}

/// A call's result, as `yat mcp call` prints it.
pub struct Called {
    /// Its text.
    pub text: String,
    /// The tool reported a failure.
    pub is_error: bool,
}

impl Listed {
    fn state(&self) -> &'static str {
        match self.status.as_ref().map(|s| &s.state) {
            _ if !self.config.enabled => "disabled",
            Some(ServerState::Ready { .. }) => "ready",
            Some(ServerState::Failed { .. }) => "failed",
            Some(ServerState::Starting) => "starting",
            _ => "unknown",
        }
    }

    fn reason(&self) -> Option<&str> {
        match self.status.as_ref().map(|s| &s.state) {
            Some(ServerState::Failed { reason }) => Some(reason),
            _ => None,
        }
    }

    /// `uvx mcp-server-time` or the URL.
    fn target(&self) -> String {
        match &self.config.transport {
            McpTransport::Stdio(s) => std::iter::once(s.command.as_str())
                .chain(s.args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
            McpTransport::Http(h) => h.url.clone(),
            _ => String::new(),
        }
    }

    /// `env: A=•••, B=•••` and the like: the keys of the secrets, never
    /// their values.
    fn secrets(&self) -> Vec<String> {
        let keys = |label: &str, keys: Vec<&String>| {
            (!keys.is_empty()).then(|| {
                let shown: Vec<String> = keys.iter().map(|k| format!("{k}={MASK}")).collect();
                format!("{label}: {}", shown.join(", "))
            })
        };
        match &self.config.transport {
            McpTransport::Stdio(s) => keys("env", s.env.keys().collect()).into_iter().collect(),
            McpTransport::Http(h) => keys("headers", h.headers.keys().collect())
                .into_iter()
                .chain(
                    h.bearer_token
                        .as_ref()
                        .map(|_| format!("bearer token: {MASK}")),
                )
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The server as `--json` gives it.
    pub fn to_json(&self) -> serde_json::Value {
        let c = &self.config;
        let mut v = json!({
            "name": c.name,
            "enabled": c.enabled,
            "status": self.state(),
            "tools": self.tools,
            "allow": c.allow,
            "timeout_secs": c.timeout_secs,
        });
        match &c.transport {
            McpTransport::Stdio(s) => {
                v["transport"] = json!("stdio");
                v["command"] = json!(s.command);
                v["args"] = json!(s.args);
                v["env"] = json!(s.env.keys().collect::<Vec<_>>());
                v["cwd"] = json!(s.cwd);
            }
            McpTransport::Http(h) => {
                v["transport"] = json!("http");
                v["url"] = json!(h.url);
                v["headers"] = json!(h.headers.keys().collect::<Vec<_>>());
                v["bearer_token"] = json!(h.bearer_token.is_some());
            }
            _ => {}
        }
        if let Some(reason) = self.reason() {
            v["reason"] = json!(reason);
        }
        if let Some(st) = &self.status {
            if let ServerState::Ready { server_info, .. } = &st.state {
                v["server_info"] = json!({
                    "name": server_info.name,
                    "version": server_info.version,
                    "protocol_version": server_info.protocol_version,
                });
            }
            v["warnings"] = json!(st.warnings);
        }
        v
    }
}

/// The table of `yat mcp list`, then each server's details.
pub fn print_table(term: &Term, listed: &[Listed]) -> CmdResult {
    let paint = term.stdout_paint(false);
    let mut t = Table::new(&["NAME", "STATUS", "TOOLS", "SERVER"]);
    for l in listed {
        let state = l.state();
        let status = match state {
            "ready" => Cell::styled(state, |s| paint.green(s)),
            "failed" => Cell::styled(state, |s| paint.red(s)),
            _ => Cell::styled(state, |s| paint.dim(s)),
        };
        let tools = if l.tools.is_empty() {
            "-".to_owned()
        } else {
            l.tools.join(", ")
        };
        t.row(vec![
            Cell::plain(l.config.name.clone()),
            status,
            Cell::plain(tools),
            Cell::plain(l.target()),
        ]);
    }
    let mut out = std::io::stdout().lock();
    t.write(&mut out, paint)?;
    for l in listed {
        let mut details: Vec<String> = Vec::new();
        if let Some(reason) = l.reason() {
            details.push(format!("failed: {reason}"));
        }
        details.extend(l.secrets());
        if !l.config.allow.is_empty() {
            details.push(format!(
                "allowed without asking: {}",
                l.config.allow.join(", ")
            ));
        }
        if let Some(st) = &l.status {
            details.extend(st.warnings.iter().map(|w| format!("warning: {w}")));
        }
        if details.is_empty() {
            continue;
        }
        writeln!(out, "\n{}:", l.config.name)?;
        for d in details {
            writeln!(out, "  {d}")?;
        }
    }
    out.flush()?;
    Ok(())
}

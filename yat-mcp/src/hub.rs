//! The hub: every configured server connected at once, their tools offered
//! to the tool loop under names every vendor takes, calls routed back.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use yat_core::tools::Toolbox;
use yat_core::ToolSpec;

use crate::approval::{refusal_text, Approval, ApprovalRequest, Approver};
use crate::config::McpConfig;
use crate::error::McpError;
use crate::naming::exposed_names;
use crate::result::{McpCallResult, DEFAULT_MAX_RESULT_CHARS};
use crate::schema::McpTool;
use crate::server::Slot;
use crate::status::ServerStatus;

/// How a hub starts servers and shapes results.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HubOptions {
    /// How long a server has to start, answer the handshake and list its
    /// tools (default 30 s).
    pub startup_timeout: Duration,
    /// How many characters of a result go back to the model (default
    /// [`DEFAULT_MAX_RESULT_CHARS`]).
    pub max_result_chars: usize,
    /// The wait before the first restart attempt after a crash; it doubles
    /// with each failed attempt, up to 30 s (default 500 ms).
    pub restart_backoff: Duration,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            startup_timeout: Duration::from_secs(30),
            max_result_chars: DEFAULT_MAX_RESULT_CHARS,
            restart_backoff: Duration::from_millis(500),
        }
    }
}

impl HubOptions {
    /// Sets the start-up timeout.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }
    /// Sets the cap on result characters.
    pub fn max_result_chars(mut self, chars: usize) -> Self {
        self.max_result_chars = chars;
        self
    }
    /// Sets the first restart backoff.
    pub fn restart_backoff(mut self, backoff: Duration) -> Self {
        self.restart_backoff = backoff;
        self
    }
}

/// Connected MCP servers.
///
/// ```no_run
/// # async fn demo() -> Result<(), yat_mcp::McpError> {
/// use std::sync::Arc;
/// use yat_mcp::{AllowAll, HubOptions, McpConfig, McpHub};
///
/// let config = McpConfig::load("provider_config.json".as_ref())?;
/// let hub = McpHub::connect(&config, HubOptions::default()).await;
/// for status in hub.statuses() {
///     println!("{}: {:?}", status.name, status.state);
/// }
/// let toolbox = hub.toolbox(Arc::new(AllowAll)); // give it to yat_core::run_tools
/// let now = hub.call("time", "get_current_time", serde_json::json!({"timezone": "Asia/Tokyo"})).await?;
/// println!("{}", now.text());
/// hub.shutdown().await;
/// # Ok(()) }
/// ```
///
/// A server that fails to start, crashes, hangs or answers garbage fails
/// only the call that met it (as an error the model sees, through the
/// toolbox) and its [`ServerStatus`] says why; the next call to it tries to
/// start it again (see the restart policy in `docs/MCP.md`).
///
/// Stdio servers' processes are killed and reaped by [`McpHub::shutdown`];
/// dropping the hub kills them too (and reaps them while the runtime runs).
#[derive(Clone)]
pub struct McpHub {
    slots: Arc<Vec<Arc<Slot>>>,
    options: Arc<HubOptions>,
}

impl McpHub {
    /// Connects every enabled server at once, each within the start-up
    /// timeout. Never fails: a server that does not start is `Failed` in
    /// its status; disabled ones are `Disabled`.
    pub async fn connect(config: &McpConfig, options: HubOptions) -> McpHub {
        let options = Arc::new(options);
        let slots: Vec<Arc<Slot>> = config
            .servers
            .iter()
            .map(|s| Arc::new(Slot::new(s.clone(), Arc::clone(&options), s.enabled)))
            .collect();
        let hub = McpHub {
            slots: Arc::new(slots),
            options,
        };
        hub.start_all().await;
        hub
    }

    /// Connects the servers named, enabled or not (the caller asked for
    /// them by name). Errors on a name that is not configured.
    pub async fn connect_only(
        config: &McpConfig,
        names: &[&str],
        options: HubOptions,
    ) -> Result<McpHub, McpError> {
        let options = Arc::new(options);
        let mut slots = Vec::with_capacity(names.len());
        for name in names {
            let server = config.server(name).ok_or_else(|| config.unknown(name))?;
            if slots.iter().any(|s: &Arc<Slot>| s.config.name == *name) {
                continue;
            }
            slots.push(Arc::new(Slot::new(
                server.clone(),
                Arc::clone(&options),
                true,
            )));
        }
        let hub = McpHub {
            slots: Arc::new(slots),
            options,
        };
        hub.start_all().await;
        Ok(hub)
    }

    async fn start_all(&self) {
        let starts = self
            .slots
            .iter()
            .filter(|s| !s.is_disabled())
            .map(|s| async move {
                // The failure is the server's status, which the caller
                // reads and reports; a warning here would say it twice.
                if let Err(e) = s.ensure_started().await {
                    tracing::debug!(server = %s.config.name, "{e}");
                }
            });
        futures::future::join_all(starts).await;
    }

    /// The options the hub runs with.
    pub fn options(&self) -> &HubOptions {
        &self.options
    }

    /// Every server's status, in configuration order.
    pub fn statuses(&self) -> Vec<ServerStatus> {
        self.slots.iter().map(|s| s.status()).collect()
    }

    /// The status of the server named `name`.
    pub fn status(&self, name: &str) -> Option<ServerStatus> {
        self.slot(name).ok().map(|s| s.status())
    }

    fn slot(&self, name: &str) -> Result<&Arc<Slot>, McpError> {
        self.slots
            .iter()
            .find(|s| s.config.name == name)
            .ok_or_else(|| McpError::UnknownServer {
                name: name.to_owned(),
                available: self.slots.iter().map(|s| s.config.name.clone()).collect(),
            })
    }

    /// The tools of every ready server, under the names the model sees.
    pub fn tools(&self) -> Vec<McpTool> {
        let listed: Vec<(&Arc<Slot>, Vec<crate::connection::ListedTool>)> =
            self.slots.iter().map(|s| (s, s.tools())).collect();
        let input: Vec<(&str, Vec<String>)> = listed
            .iter()
            .map(|(s, tools)| {
                (
                    s.config.name.as_str(),
                    tools.iter().map(|t| t.name.clone()).collect(),
                )
            })
            .collect();
        let names = exposed_names(&input);
        listed
            .into_iter()
            .zip(names)
            .flat_map(|((slot, tools), names)| {
                tools
                    .into_iter()
                    .zip(names)
                    .map(move |(t, exposed)| McpTool {
                        server: slot.config.name.clone(),
                        name: t.name,
                        exposed_name: exposed,
                        description: t.description,
                        input_schema: t.input_schema,
                    })
            })
            .collect()
    }

    /// Calls `tool` of `server` with `arguments` (a JSON object, or null
    /// for none), with no approval asked: for a call the user made
    /// themselves. Starts the server first if it is not running (one
    /// attempt). A tool that reports a failure is `Ok` with `is_error`.
    pub async fn call(
        &self,
        server: &str,
        tool: &str,
        arguments: Value,
    ) -> Result<McpCallResult, McpError> {
        let slot = self.slot(server)?;
        if slot.is_disabled() {
            return Err(McpError::Disabled {
                server: server.to_owned(),
            });
        }
        slot.call(tool, arguments).await
    }

    /// Lists `server`'s tools again now (the hub also does so by itself on
    /// `notifications/tools/list_changed`).
    pub async fn refresh_tools(&self, server: &str) -> Result<(), McpError> {
        self.slot(server)?.refresh_tools().await
    }

    /// A number that changes whenever any server's tool list (or state)
    /// changes: a caller holding a toolbox can tell when to build a new one.
    pub fn tools_generation(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| s.generation.load(std::sync::atomic::Ordering::Relaxed))
            .sum()
    }

    /// The tools of every ready server as a [`Toolbox`] for
    /// [`yat_core::tools::run_tools`].
    ///
    /// Before each call of a tool its server does not allow-list, the
    /// `approver` is asked; a refusal becomes the error result
    /// `refused: REASON`. A call that fails (start, crash, timeout,
    /// protocol) becomes an error result with the failure's text; a tool's
    /// own `isError` result becomes an error result with its content. The
    /// toolbox is a snapshot of the tools now: after a server's list changes
    /// ([`McpHub::tools_generation`]), build a new one for the next turn.
    pub fn toolbox(&self, approver: Arc<dyn Approver>) -> Toolbox {
        let mut toolbox = Toolbox::new();
        for tool in self.tools() {
            let Ok(slot) = self.slot(&tool.server) else {
                continue;
            };
            let slot = Arc::clone(slot);
            let approver = Arc::clone(&approver);
            let max_chars = self.options.max_result_chars;
            let spec = ToolSpec::new(
                tool.exposed_name.clone(),
                tool.description.clone(),
                tool.input_schema.clone(),
            );
            let name = tool.name.clone();
            let exposed = tool.exposed_name.clone();
            toolbox = toolbox.tool_spec(spec, move |args: Value| {
                let slot = Arc::clone(&slot);
                let approver = Arc::clone(&approver);
                let name = name.clone();
                let exposed = exposed.clone();
                async move {
                    if !slot.config.is_allowed(&name) {
                        let req = ApprovalRequest {
                            server: slot.config.name.clone(),
                            tool: name.clone(),
                            exposed_name: exposed,
                            description: slot.description_of(&name),
                            arguments: args.clone(),
                        };
                        if let Approval::Deny { reason } = approver.approve(&req).await {
                            return Err(refusal_text(&reason));
                        }
                    }
                    match slot.call(&name, args).await {
                        Ok(result) if result.is_error => {
                            Err(result.to_tool_output(max_chars).to_text())
                        }
                        Ok(result) => Ok(result.to_tool_output(max_chars)),
                        Err(e) => Err(e.to_string()),
                    }
                }
            });
        }
        toolbox
    }

    /// Closes every connection and kills and reaps every server process.
    /// Calls after this (a tool loop still running, say) fail with
    /// [`McpError::Shutdown`]; no server is started again.
    pub async fn shutdown(&self) {
        futures::future::join_all(self.slots.iter().map(|s| s.shutdown())).await;
    }
}

impl std::fmt::Debug for McpHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.slots.iter().map(|s| &s.config.name))
            .finish()
    }
}

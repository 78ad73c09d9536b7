//! One configured server inside a hub: its connection, started and
//! restarted on demand, its tool list kept current, and its calls.
//!
//! Restart policy: a server that crashed (or failed to start) is not
//! restarted in the background; the next call to it makes one attempt to
//! start it, after a backoff that doubles with each consecutive failure
//! (from [`crate::HubOptions::restart_backoff`], at most 30 s). If that
//! attempt fails, that call fails with the reason and the next call tries
//! again.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ErrorCode, Implementation,
    ProtocolVersion,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceError, ServiceExt};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::{McpServerConfig, McpTransport};
use crate::error::McpError;
use crate::hub::HubOptions;
use crate::result::McpCallResult;
use crate::schema::repair_input_schema;
use crate::status::{ServerInfo, ServerState, ServerStatus};
use crate::stdio::{scrub, StdioProcess};

/// The longest backoff before a restart attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long to wait for a process's exit status after its connection
/// closed, to say why.
const EXIT_GRACE: Duration = Duration::from_millis(500);

/// A tool as listed and repaired, before it gets its offered name.
#[derive(Debug, Clone)]
pub(crate) struct ListedTool {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) input_schema: Value,
}

/// The client side of one connection: passes `tools/list_changed` on.
struct Handler {
    changed: mpsc::UnboundedSender<()>,
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        // The handshake era of the protocol: list-changed notifications
        // come unscoped, which every server version sends.
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("yat", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    fn on_tool_list_changed(
        &self,
        _context: NotificationContext<RoleClient>,
    ) -> impl std::future::Future<Output = ()> + Send + '_ {
        let _ = self.changed.send(());
        std::future::ready(())
    }
}

/// A live connection.
struct Connection {
    service: RunningService<RoleClient, Handler>,
    process: Option<tokio::sync::Mutex<StdioProcess>>,
}

impl Connection {
    fn is_closed(&self) -> bool {
        self.service.peer().is_transport_closed()
            || self.service.is_closed()
            || self
                .process
                .as_ref()
                .and_then(|p| p.try_lock().ok().map(|p| p.exit().is_some()))
                .unwrap_or(false)
    }

    /// Why the connection is gone: the exit and the last stderr line.
    async fn death_reason(&self) -> String {
        match &self.process {
            Some(p) => {
                let p = p.lock().await;
                let exit = p
                    .wait_exit(EXIT_GRACE)
                    .await
                    .unwrap_or_else(|| "the connection closed".to_owned());
                match p.stderr_tail().last() {
                    Some(line) => format!("{exit}; last stderr line: {line}"),
                    None => exit,
                }
            }
            None => "the connection closed".to_owned(),
        }
    }

    async fn close(&self) {
        self.service.cancellation_token().cancel();
        if let Some(p) = &self.process {
            p.lock().await.shutdown().await;
        }
    }
}

#[derive(Default)]
struct SlotState {
    connection: Option<Arc<Connection>>,
    state: Option<ServerState>,
    tools: Vec<ListedTool>,
    warnings: Vec<String>,
    stderr: Option<Arc<Mutex<crate::stdio::StderrTail>>>,
    pid: Option<u32>,
    restarts: u32,
    started_once: bool,
    failures: u32,
    last_failure: Option<Instant>,
}

/// One server of a hub.
pub(crate) struct Slot {
    pub(crate) config: McpServerConfig,
    options: Arc<HubOptions>,
    secrets: Vec<String>,
    state: Mutex<SlotState>,
    /// Held while starting, so concurrent calls start it once.
    starting: tokio::sync::Mutex<()>,
    /// Bumped whenever the tool list changes.
    pub(crate) generation: std::sync::atomic::AtomicU64,
}

impl Slot {
    pub(crate) fn new(config: McpServerConfig, options: Arc<HubOptions>, enabled: bool) -> Self {
        let secrets = config.secret_values();
        let state = SlotState {
            state: Some(if enabled {
                ServerState::Starting
            } else {
                ServerState::Disabled
            }),
            ..Default::default()
        };
        Slot {
            config,
            options,
            secrets,
            state: Mutex::new(state),
            starting: tokio::sync::Mutex::new(()),
            generation: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        // A panic while holding this lock leaves plain data behind; the
        // state is still the best there is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn is_disabled(&self) -> bool {
        matches!(self.lock().state, Some(ServerState::Disabled))
    }

    pub(crate) fn status(&self) -> ServerStatus {
        let s = self.lock();
        ServerStatus {
            name: self.config.name.clone(),
            state: s.state.clone().unwrap_or(ServerState::Starting),
            warnings: s.warnings.clone(),
            stderr_tail: s
                .stderr
                .as_ref()
                .and_then(|t| t.lock().ok().map(|t| t.lines()))
                .unwrap_or_default(),
            restarts: s.restarts,
            pid: s.pid,
        }
    }

    pub(crate) fn tools(&self) -> Vec<ListedTool> {
        let s = self.lock();
        match s.state {
            Some(ServerState::Ready { .. }) => s.tools.clone(),
            _ => Vec::new(),
        }
    }

    /// The tool's description, for an approval question.
    pub(crate) fn description_of(&self, tool: &str) -> String {
        self.lock()
            .tools
            .iter()
            .find(|t| t.name == tool)
            .map(|t| t.description.clone())
            .unwrap_or_default()
    }

    /// Starts the server if it has no live connection; one attempt.
    pub(crate) async fn ensure_started(self: &Arc<Self>) -> Result<(), McpError> {
        self.connection().await.map(|_| ())
    }

    async fn connection(self: &Arc<Self>) -> Result<Arc<Connection>, McpError> {
        if let Some(c) = self.live() {
            return Ok(c);
        }
        let _starting = self.starting.lock().await;
        // Someone else may have started it while this call waited.
        if let Some(c) = self.live() {
            return Ok(c);
        }
        let dead = self.lock().connection.take();
        if let Some(dead) = dead {
            let reason = dead.death_reason().await;
            dead.close().await;
            self.fail(format!("crashed: {reason}"));
        }
        let wait = {
            let s = self.lock();
            match (s.failures, s.last_failure) {
                (0, _) | (_, None) => Duration::ZERO,
                (n, Some(at)) => {
                    let backoff = self
                        .options
                        .restart_backoff
                        .saturating_mul(1 << (n - 1).min(16))
                        .min(MAX_BACKOFF);
                    backoff.saturating_sub(at.elapsed())
                }
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        {
            let mut s = self.lock();
            s.state = Some(ServerState::Starting);
        }
        match self.start().await {
            Ok((connection, info, tools, warnings)) => {
                let connection = Arc::new(connection);
                let mut s = self.lock();
                if s.started_once {
                    s.restarts += 1;
                }
                s.started_once = true;
                s.failures = 0;
                s.last_failure = None;
                s.state = Some(ServerState::Ready {
                    tools: tools.len(),
                    server_info: info,
                });
                s.tools = tools;
                s.warnings = warnings;
                s.connection = Some(Arc::clone(&connection));
                drop(s);
                self.generation
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(connection)
            }
            Err(e) => {
                self.fail(self.scrub(&e.to_string()));
                let mut s = self.lock();
                s.started_once = true;
                Err(e)
            }
        }
    }

    fn live(&self) -> Option<Arc<Connection>> {
        let s = self.lock();
        s.connection.as_ref().filter(|c| !c.is_closed()).cloned()
    }

    fn fail(&self, reason: String) {
        let mut s = self.lock();
        s.state = Some(ServerState::Failed {
            reason: self.scrub(&reason),
        });
        s.tools.clear();
        s.failures += 1;
        s.last_failure = Some(Instant::now());
        drop(s);
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }

    fn start_error(&self, reason: impl Into<String>) -> McpError {
        McpError::Start {
            server: self.config.name.clone(),
            reason: self.scrub(&reason.into()),
        }
    }

    /// Connects, handshakes and lists the tools, all within the start-up
    /// timeout.
    async fn start(
        self: &Arc<Self>,
    ) -> Result<(Connection, ServerInfo, Vec<ListedTool>, Vec<String>), McpError> {
        let (changed_tx, changed_rx) = mpsc::unbounded_channel();
        let handler = Handler {
            changed: changed_tx,
        };
        let deadline = self.options.startup_timeout;
        let secs = deadline.as_secs_f64();
        let (service, process) = match &self.config.transport {
            McpTransport::Stdio(server) => {
                let (process, stdout, stdin) =
                    StdioProcess::spawn(&self.config, server, self.secrets.clone())?;
                {
                    let mut s = self.lock();
                    s.stderr = Some(Arc::clone(&process.stderr));
                    s.pid = process.pid;
                }
                let mut process = process;
                match tokio::time::timeout(deadline, handler.serve((stdout, stdin))).await {
                    Ok(Ok(service)) => (service, Some(process)),
                    Ok(Err(e)) => {
                        let exit = process.wait_exit(EXIT_GRACE).await;
                        process.shutdown().await;
                        let tail = process.stderr_tail();
                        return Err(self.start_error(describe_start_failure(
                            &e.to_string(),
                            exit,
                            tail.last(),
                        )));
                    }
                    Err(_) => {
                        process.shutdown().await;
                        let tail = process.stderr_tail();
                        return Err(self.start_error(describe_start_failure(
                            &format!("no answer to the MCP handshake within {secs}s"),
                            None,
                            tail.last(),
                        )));
                    }
                }
            }
            McpTransport::Http(server) => {
                let transport = crate::http::transport(&self.config, server)?;
                match tokio::time::timeout(deadline, handler.serve(transport)).await {
                    Ok(Ok(service)) => (service, None),
                    Ok(Err(e)) => return Err(self.start_error(e.to_string())),
                    Err(_) => {
                        return Err(self
                            .start_error(format!("no answer to the MCP handshake within {secs}s")))
                    }
                }
            }
        };
        let connection = Connection {
            service,
            process: process.map(tokio::sync::Mutex::new),
        };
        let info = match connection.service.peer().peer_info() {
            Some(peer) => ServerInfo {
                name: peer
                    .server_info
                    .as_ref()
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                version: peer
                    .server_info
                    .as_ref()
                    .map(|i| i.version.clone())
                    .unwrap_or_default(),
                protocol_version: peer.protocol_version.to_string(),
            },
            None => ServerInfo {
                name: String::new(),
                version: String::new(),
                protocol_version: String::new(),
            },
        };
        let listed = match tokio::time::timeout(
            deadline,
            connection.service.peer().list_all_tools(),
        )
        .await
        {
            Ok(Ok(tools)) => tools,
            Ok(Err(e)) => {
                let reason = format!("listing its tools failed: {e}");
                connection.close().await;
                return Err(self.start_error(reason));
            }
            Err(_) => {
                connection.close().await;
                return Err(self.start_error(format!("its tools were not listed within {secs}s")));
            }
        };
        let (tools, warnings) = repair_all(listed);
        tokio::spawn(follow_list_changes(Arc::downgrade(self), changed_rx));
        Ok((connection, info, tools, warnings))
    }

    /// Lists the tools again (after `notifications/tools/list_changed`).
    pub(crate) async fn refresh_tools(&self) -> Result<(), McpError> {
        let Some(connection) = self.live() else {
            return Ok(());
        };
        let listed = tokio::time::timeout(
            self.options.startup_timeout,
            connection.service.peer().list_all_tools(),
        )
        .await;
        match listed {
            Ok(Ok(listed)) => {
                let (tools, warnings) = repair_all(listed);
                let mut s = self.lock();
                if let Some(ServerState::Ready { tools: n, .. }) = s.state.as_mut() {
                    *n = tools.len();
                }
                s.tools = tools;
                s.warnings = warnings;
                drop(s);
                self.generation
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(server = %self.config.name, "tool list refreshed");
                Ok(())
            }
            Ok(Err(e)) => Err(McpError::Protocol {
                server: self.config.name.clone(),
                message: self.scrub(&format!("listing its tools failed: {e}")),
            }),
            Err(_) => Err(McpError::Protocol {
                server: self.config.name.clone(),
                message: "listing its tools timed out".into(),
            }),
        }
    }

    /// Calls `tool` with `arguments`, starting the server first if needed.
    pub(crate) async fn call(
        self: &Arc<Self>,
        tool: &str,
        arguments: Value,
    ) -> Result<McpCallResult, McpError> {
        let arguments = match arguments {
            Value::Object(map) => Some(map),
            Value::Null => None,
            other => {
                return Err(McpError::InvalidArguments {
                    server: self.config.name.clone(),
                    tool: tool.to_owned(),
                    message: format!("the arguments must be a JSON object, not {}", kind(&other)),
                })
            }
        };
        let connection = self.connection().await?;
        let known = self.lock().tools.iter().any(|t| t.name == tool);
        if !known {
            return Err(McpError::UnknownTool {
                server: self.config.name.clone(),
                tool: tool.to_owned(),
                available: self.lock().tools.iter().map(|t| t.name.clone()).collect(),
            });
        }
        let mut params = CallToolRequestParams::new(tool.to_owned());
        params.arguments = arguments;
        let timeout = self.config.timeout();
        // Dropping rmcp's call future on timeout sends
        // `notifications/cancelled` for the request.
        let outcome =
            tokio::time::timeout(timeout, connection.service.peer().call_tool(params)).await;
        match outcome {
            Ok(Ok(result)) => Ok(McpCallResult::from_rmcp(result)),
            Err(_) => Err(McpError::Timeout {
                server: self.config.name.clone(),
                tool: tool.to_owned(),
                secs: timeout.as_secs(),
            }),
            Ok(Err(e)) => Err(self.call_error(&connection, tool, e).await),
        }
    }

    async fn call_error(
        &self,
        connection: &Arc<Connection>,
        tool: &str,
        e: ServiceError,
    ) -> McpError {
        let server = self.config.name.clone();
        match e {
            ServiceError::McpError(data) if data.code == ErrorCode::INVALID_PARAMS => {
                McpError::InvalidArguments {
                    server,
                    tool: tool.to_owned(),
                    message: self.scrub(&data.message),
                }
            }
            ServiceError::McpError(data) => McpError::Protocol {
                server,
                message: self.scrub(&format!("error {}: {}", data.code.0, data.message)),
            },
            ServiceError::UnexpectedResponse => McpError::Protocol {
                server,
                message: "it answered the call with something that is not a tool result".into(),
            },
            ServiceError::Timeout { .. } => McpError::Timeout {
                server,
                tool: tool.to_owned(),
                secs: self.config.timeout().as_secs(),
            },
            other => {
                let closed = connection.is_closed()
                    || matches!(
                        other,
                        ServiceError::TransportClosed | ServiceError::TransportSend(_)
                    );
                if closed {
                    let reason = connection.death_reason().await;
                    let reason = self.scrub(&reason);
                    // Mark it now, so statuses say so before the next call.
                    let was_current = {
                        let mut s = self.lock();
                        let same = s
                            .connection
                            .as_ref()
                            .is_some_and(|c| Arc::ptr_eq(c, connection));
                        if same {
                            s.connection = None;
                        }
                        same
                    };
                    if was_current {
                        connection.close().await;
                        self.fail(format!("crashed: {reason}"));
                    }
                    McpError::Crashed { server, reason }
                } else {
                    McpError::Protocol {
                        server,
                        message: self.scrub(&other.to_string()),
                    }
                }
            }
        }
    }

    /// Closes the connection and reaps the process.
    pub(crate) async fn shutdown(&self) {
        let connection = self.lock().connection.take();
        if let Some(c) = connection {
            c.close().await;
        }
        let mut s = self.lock();
        if !matches!(s.state, Some(ServerState::Disabled)) {
            s.state = Some(ServerState::Failed {
                reason: "shut down".into(),
            });
        }
        s.tools.clear();
    }
}

/// Refreshes the slot's tools on each notification, until the connection
/// (and so the sender) or the slot goes away.
async fn follow_list_changes(slot: Weak<Slot>, mut changed: mpsc::UnboundedReceiver<()>) {
    while changed.recv().await.is_some() {
        // Several notifications in a row need one listing.
        while changed.try_recv().is_ok() {}
        let Some(slot) = slot.upgrade() else { return };
        if let Err(e) = slot.refresh_tools().await {
            tracing::warn!(server = %slot.config.name, "{e}");
        }
    }
}

fn repair_all(listed: Vec<rmcp::model::Tool>) -> (Vec<ListedTool>, Vec<String>) {
    let mut warnings = Vec::new();
    let tools = listed
        .into_iter()
        .map(|t| {
            let (input_schema, warning) = repair_input_schema(&t.name, &t.input_schema);
            warnings.extend(warning);
            ListedTool {
                name: t.name.to_string(),
                description: t.description.map(|d| d.to_string()).unwrap_or_default(),
                input_schema,
            }
        })
        .collect();
    (tools, warnings)
}

fn describe_start_failure(
    what: &str,
    exit: Option<String>,
    last_stderr: Option<&String>,
) -> String {
    let mut out = what.to_owned();
    if let Some(exit) = exit {
        out.push_str("; ");
        out.push_str(&exit);
    }
    if let Some(line) = last_stderr {
        out.push_str("; last stderr line: ");
        out.push_str(line);
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

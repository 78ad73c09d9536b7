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

use rmcp::model::{CallToolRequestParams, ErrorCode};
use rmcp::ServiceError;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::McpServerConfig;
use crate::connection::{open, repair_all, Connection, ListedTool, Opened};
use crate::error::McpError;
use crate::hub::HubOptions;
use crate::result::McpCallResult;
use crate::status::{ServerState, ServerStatus};
use crate::stdio::{scrub, StdioProcess};

/// The longest backoff before a restart attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

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
    /// Set by [`Slot::shutdown`]: nothing starts the server again, and a
    /// start under way ends.
    shut_down: tokio::sync::watch::Sender<bool>,
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
            shut_down: tokio::sync::watch::Sender::new(false),
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
        let mut state = s.state.clone().unwrap_or(ServerState::Starting);
        // A server that died between calls is reported as it is, before
        // the next call notices and restarts it.
        if let (ServerState::Ready { .. }, Some(c)) = (&state, &s.connection) {
            if c.is_closed() {
                let how = c
                    .process
                    .as_ref()
                    .and_then(|p| p.try_lock().ok().and_then(|p| p.exit()))
                    .unwrap_or_else(|| "the connection closed".to_owned());
                state = ServerState::Failed {
                    reason: format!("crashed: {how}"),
                };
            }
        }
        ServerStatus {
            name: self.config.name.clone(),
            state,
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
        // A call still running when the hub shut down (after Ctrl-C, say)
        // must not bring a server back.
        if *self.shut_down.borrow() {
            return Err(McpError::Shutdown);
        }
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
        let on_spawn = |process: &StdioProcess| {
            let mut s = self.lock();
            s.stderr = Some(Arc::clone(&process.stderr));
            s.pid = process.pid;
        };
        let opened = open(
            &self.config,
            self.options.startup_timeout,
            &self.secrets,
            self.shut_down.subscribe(),
            on_spawn,
        )
        .await;
        match opened {
            Ok(Opened {
                connection,
                info,
                tools,
                warnings,
                changed,
            }) => {
                tokio::spawn(follow_list_changes(Arc::downgrade(self), changed));
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
        // Ends a start under way (its process reaped), then holds the start
        // lock so that none begins again.
        self.shut_down.send_replace(true);
        let _starting = self.starting.lock().await;
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

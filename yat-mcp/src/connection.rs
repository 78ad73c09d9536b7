//! One live connection to a server: the process or HTTP session, the MCP
//! handshake, the first listing of its tools, and closing it.

use std::time::Duration;

use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::config::{McpServerConfig, McpTransport};
use crate::error::McpError;
use crate::schema::repair_input_schema;
use crate::status::ServerInfo;
use crate::stdio::{scrub, StdioProcess};

/// How long to wait for a process's exit status after its connection
/// closed, to say why.
const EXIT_GRACE: Duration = Duration::from_millis(500);

/// What [`open`] gives: the connection, who answered, the tools, what was
/// wrong with them, and the list-changed notifications to follow.
pub(crate) struct Opened {
    pub(crate) connection: Connection,
    pub(crate) info: ServerInfo,
    pub(crate) tools: Vec<ListedTool>,
    pub(crate) warnings: Vec<String>,
    pub(crate) changed: mpsc::UnboundedReceiver<()>,
}

/// A tool as listed and repaired, before it gets its offered name.
#[derive(Debug, Clone)]
pub(crate) struct ListedTool {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) input_schema: Value,
}

/// The client side of one connection: passes `tools/list_changed` on.
pub(crate) struct Handler {
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
pub(crate) struct Connection {
    pub(crate) service: RunningService<RoleClient, Handler>,
    pub(crate) process: Option<tokio::sync::Mutex<StdioProcess>>,
}

impl Connection {
    pub(crate) fn is_closed(&self) -> bool {
        self.service.peer().is_transport_closed()
            || self.service.is_closed()
            || self
                .process
                .as_ref()
                .and_then(|p| p.try_lock().ok().map(|p| p.exit().is_some()))
                .unwrap_or(false)
    }

    /// Why the connection is gone: the exit and the last stderr line.
    pub(crate) async fn death_reason(&self) -> String {
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

    pub(crate) async fn close(&self) {
        self.service.cancellation_token().cancel();
        if let Some(p) = &self.process {
            p.lock().await.shutdown().await;
        }
    }
}

/// `fut`'s output, or `None` once `stop` turns true (a hub shutting down
/// does not wait out a start-up timeout).
async fn unless_stopped<F: std::future::Future>(
    fut: F,
    stop: &mut watch::Receiver<bool>,
) -> Option<F::Output> {
    let stopped = async {
        if stop.wait_for(|s| *s).await.is_err() {
            // No one can stop it any more: run to the end.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        out = fut => Some(out),
        () = stopped => None,
    }
}

/// Connects, handshakes and lists the tools, all within `deadline`.
/// `on_spawn` sees a stdio server's process as soon as it runs (for its
/// stderr tail and pid, even if the handshake then fails). When `stop`
/// turns true, the start ends with [`McpError::Shutdown`], its process
/// reaped.
pub(crate) async fn open(
    config: &McpServerConfig,
    deadline: Duration,
    secrets: &[String],
    mut stop: watch::Receiver<bool>,
    on_spawn: impl FnOnce(&StdioProcess),
) -> Result<Opened, McpError> {
    let start_error = |reason: String| McpError::Start {
        server: config.name.clone(),
        reason: scrub(&reason, secrets),
    };
    let (changed_tx, changed_rx) = mpsc::unbounded_channel();
    let handler = Handler {
        changed: changed_tx,
    };
    let secs = deadline.as_secs_f64();
    let (service, process) = match &config.transport {
        McpTransport::Stdio(server) => {
            let (process, stdout, stdin) = StdioProcess::spawn(config, server, secrets.to_vec())?;
            on_spawn(&process);
            let mut process = process;
            let handshake = tokio::time::timeout(deadline, handler.serve((stdout, stdin)));
            let Some(handshake) = unless_stopped(handshake, &mut stop).await else {
                process.shutdown().await;
                return Err(McpError::Shutdown);
            };
            match handshake {
                Ok(Ok(service)) => (service, Some(process)),
                Ok(Err(e)) => {
                    let exit = process.wait_exit(EXIT_GRACE).await;
                    process.shutdown().await;
                    let tail = process.stderr_tail();
                    return Err(start_error(describe_start_failure(
                        &e.to_string(),
                        exit,
                        tail.last(),
                    )));
                }
                Err(_) => {
                    process.shutdown().await;
                    let tail = process.stderr_tail();
                    return Err(start_error(describe_start_failure(
                        &format!("no answer to the MCP handshake within {secs}s"),
                        None,
                        tail.last(),
                    )));
                }
            }
        }
        McpTransport::Http(server) => {
            let transport = crate::http::transport(config, server)?;
            let handshake = tokio::time::timeout(deadline, handler.serve(transport));
            let Some(handshake) = unless_stopped(handshake, &mut stop).await else {
                return Err(McpError::Shutdown);
            };
            match handshake {
                Ok(Ok(service)) => (service, None),
                Ok(Err(e)) => return Err(start_error(e.to_string())),
                Err(_) => {
                    return Err(start_error(format!(
                        "no answer to the MCP handshake within {secs}s"
                    )))
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
    let listing = tokio::time::timeout(deadline, connection.service.peer().list_all_tools());
    let Some(listing) = unless_stopped(listing, &mut stop).await else {
        connection.close().await;
        return Err(McpError::Shutdown);
    };
    let listed = match listing {
        Ok(Ok(tools)) => tools,
        Ok(Err(e)) => {
            let reason = format!("listing its tools failed: {e}");
            connection.close().await;
            return Err(start_error(reason));
        }
        Err(_) => {
            connection.close().await;
            return Err(start_error(format!(
                "its tools were not listed within {secs}s"
            )));
        }
    };
    let (tools, warnings) = repair_all(listed);
    Ok(Opened {
        connection,
        info,
        tools,
        warnings,
        changed: changed_rx,
    })
}

pub(crate) fn repair_all(listed: Vec<rmcp::model::Tool>) -> (Vec<ListedTool>, Vec<String>) {
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
    // A process that exited is the cause; the transport's own error (a
    // broken pipe, named by rmcp's type parameters) is only its echo.
    let mut out = match exit {
        Some(exit) => format!("{exit} before completing the MCP handshake"),
        None => what.to_owned(),
    };
    if let Some(line) = last_stderr {
        out.push_str("; last stderr line: ");
        out.push_str(line);
    }
    out
}

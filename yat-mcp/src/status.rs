//! What a hub knows about each server, for a status line or a doctor.

/// Who answered the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerInfo {
    /// The server's own name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The protocol version agreed on.
    pub protocol_version: String,
}

/// Where a server is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerState {
    /// Being started (or restarted).
    Starting,
    /// Connected, its tools listed.
    Ready {
        /// How many tools it offers (after skipping unusable ones).
        tools: usize,
        /// Who it is.
        server_info: ServerInfo,
    },
    /// Not usable; the next call tries to start it again (see
    /// [`crate::McpHub`]).
    Failed {
        /// Why, secrets scrubbed.
        reason: String,
    },
    /// Disabled in the configuration.
    Disabled,
}

/// One server's status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStatus {
    /// The server's configured name.
    pub name: String,
    /// Where it is.
    pub state: ServerState,
    /// What was wrong with its tools and what was done about it (a schema
    /// repaired, a tool skipped).
    pub warnings: Vec<String>,
    /// The last lines it wrote to stderr (stdio servers), secrets scrubbed.
    pub stderr_tail: Vec<String>,
    /// How many times it was restarted after a crash or failed start.
    pub restarts: u32,
    /// The process id of a stdio server's latest process (running or not).
    pub pid: Option<u32>,
}

impl ServerStatus {
    /// Whether it is ready.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, ServerState::Ready { .. })
    }
}

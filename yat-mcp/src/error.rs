//! What can go wrong between yat and an MCP server, as data: which server,
//! which tool, what happened. No message names a program's command.

use yat_core::YatError;

/// An MCP failure.
///
/// A tool that ran and reported a failure (`isError`) is not an error
/// here: it is a [`crate::McpCallResult`] with `is_error` set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// No server of that name is configured (or connected to this hub).
    #[error("unknown MCP server {name:?}; configured: {}", list(available))]
    UnknownServer {
        /// The name asked for.
        name: String,
        /// The names there are.
        available: Vec<String>,
    },
    /// The server has no tool of that name.
    #[error(
        "MCP server {server:?} has no tool {tool:?}; its tools: {}",
        list(available)
    )]
    UnknownTool {
        /// The server.
        server: String,
        /// The tool asked for.
        tool: String,
        /// The tools it has.
        available: Vec<String>,
    },
    /// A server of that name is already configured.
    #[error("an MCP server named {name:?} is already configured")]
    DuplicateServer {
        /// The name.
        name: String,
    },
    /// The server is disabled in the configuration.
    #[error("MCP server {server:?} is disabled")]
    Disabled {
        /// The server.
        server: String,
    },
    /// The `"mcp_servers"` configuration is not valid.
    #[error("MCP configuration: {message}")]
    Config {
        /// What is wrong, and where.
        message: String,
    },
    /// A value references an environment variable that is not set.
    #[error("MCP server {server:?}: {field} references the environment variable {var}, which is not set")]
    MissingEnv {
        /// The server.
        server: String,
        /// Which value (`env.GITHUB_TOKEN`, `bearer_token`, `headers.X-Key`).
        field: String,
        /// The variable.
        var: String,
    },
    /// Reading or writing the configuration file failed.
    #[error(transparent)]
    File(#[from] YatError),
    /// The server could not be started or did not complete the handshake.
    #[error("MCP server {server:?} did not start: {reason}")]
    Start {
        /// The server.
        server: String,
        /// Why.
        reason: String,
    },
    /// A call took longer than the server's timeout; it was cancelled.
    #[error("MCP server {server:?}: tool {tool:?} did not answer within {secs}s; the call was cancelled")]
    Timeout {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// The timeout.
        secs: u64,
    },
    /// The server went away during the call (its process exited, or its
    /// connection closed).
    #[error("MCP server {server:?} stopped during the call: {reason}")]
    Crashed {
        /// The server.
        server: String,
        /// What is known: exit status, last lines of stderr (scrubbed).
        reason: String,
    },
    /// The server answered something that is not a valid MCP answer, or an
    /// MCP error other than invalid arguments.
    #[error("MCP server {server:?}: {message}")]
    Protocol {
        /// The server.
        server: String,
        /// What it did.
        message: String,
    },
    /// The arguments were refused (not a JSON object, or the server said
    /// they are invalid).
    #[error("invalid arguments for tool {tool:?} of MCP server {server:?}: {message}")]
    InvalidArguments {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// Why.
        message: String,
    },
    /// The hub was shut down.
    #[error("the MCP hub was shut down")]
    Shutdown,
}

impl McpError {
    /// The server the error is about, if it is about one.
    pub fn server(&self) -> Option<&str> {
        match self {
            McpError::UnknownServer { name, .. } | McpError::DuplicateServer { name } => Some(name),
            McpError::UnknownTool { server, .. }
            | McpError::Disabled { server }
            | McpError::MissingEnv { server, .. }
            | McpError::Start { server, .. }
            | McpError::Timeout { server, .. }
            | McpError::Crashed { server, .. }
            | McpError::Protocol { server, .. }
            | McpError::InvalidArguments { server, .. } => Some(server),
            McpError::Config { .. } | McpError::File(_) | McpError::Shutdown => None,
        }
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    }
}

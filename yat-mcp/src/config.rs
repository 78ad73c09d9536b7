//! The `"mcp_servers"` list in `provider_config.json`: typed, validated,
//! and written back through yat-core's atomic save, keeping every other key
//! of the file (and unknown keys of each server) as they were.
//!
//! ```json
//! {
//!   "providers": [],
//!   "mcp_servers": [
//!     {"name": "time", "command": "uvx", "args": ["mcp-server-time"], "allow": ["get_current_time"]},
//!     {"name": "docs", "url": "https://mcp.example.com/mcp", "bearer_token": "${DOCS_TOKEN}", "timeout_secs": 20}
//!   ]
//! }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use yat_core::ProviderConfig;

use crate::error::McpError;
use crate::secret::ConfigSecret;

/// The top-level key of `provider_config.json` that holds the servers.
pub const MCP_SERVERS_KEY: &str = "mcp_servers";

/// Values shorter than this are not scrubbed from stderr tails and
/// messages: no credential is that short, and words like `exit` are.
pub const MIN_SECRET_LEN: usize = 8;

/// How long one tool call may take unless a server says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// How a server is reached.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum McpTransport {
    /// A program started by yat, speaking MCP on its stdin and stdout.
    Stdio(StdioServer),
    /// A server at a URL, speaking MCP's streamable HTTP.
    Http(HttpServer),
}

/// A server run as a child process.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct StdioServer {
    /// The program (looked up on `PATH` when it has no slash).
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables added to the inherited environment. Values may reference
    /// other variables (`"${GITHUB_TOKEN}"`) and are never shown.
    pub env: BTreeMap<String, ConfigSecret>,
    /// The working directory (default: the caller's).
    pub cwd: Option<PathBuf>,
}

impl StdioServer {
    /// A command with no arguments.
    pub fn new(command: impl Into<String>) -> Self {
        StdioServer {
            command: command.into(),
            ..Default::default()
        }
    }
    /// Sets the arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }
    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<ConfigSecret>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }
    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }
}

/// A server reached over streamable HTTP.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct HttpServer {
    /// The MCP endpoint (`https://host/mcp`).
    pub url: String,
    /// Headers sent with every request; values are never shown.
    pub headers: BTreeMap<String, ConfigSecret>,
    /// Sent as `Authorization: Bearer <token>`; never shown.
    pub bearer_token: Option<ConfigSecret>,
}

impl HttpServer {
    /// A URL with no headers.
    pub fn new(url: impl Into<String>) -> Self {
        HttpServer {
            url: url.into(),
            ..Default::default()
        }
    }
    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<ConfigSecret>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
    /// Sets the bearer token.
    pub fn bearer_token(mut self, token: impl Into<ConfigSecret>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }
}

/// One entry of `"mcp_servers"`.
///
/// ```
/// use yat_mcp::{McpServerConfig, StdioServer};
/// let time = McpServerConfig::stdio("time", StdioServer::new("uvx").args(["mcp-server-time"]))
///     .allow(["get_current_time"]);
/// assert!(time.enabled);
/// assert!(time.is_allowed("get_current_time"));
/// assert!(!time.is_allowed("convert_time"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpServerConfig {
    /// The name the user and the CLI use; 1 to 64 of `A-Z a-z 0-9 _ -`.
    pub name: String,
    /// How it is reached.
    pub transport: McpTransport,
    /// Whether a hub connects it when not told which servers to connect.
    pub enabled: bool,
    /// Tools that run without asking ([`crate::Approver`]); `"*"` allows all.
    pub allow: Vec<String>,
    /// How long one call may take, in seconds.
    pub timeout_secs: u64,
    /// Keys of the entry yat does not know, written back unchanged.
    pub extra: Map<String, Value>,
}

impl McpServerConfig {
    /// A stdio server, enabled, nothing allow-listed, default timeout.
    pub fn stdio(name: impl Into<String>, server: StdioServer) -> Self {
        Self::with_transport(name, McpTransport::Stdio(server))
    }
    /// An HTTP server, enabled, nothing allow-listed, default timeout.
    pub fn http(name: impl Into<String>, server: HttpServer) -> Self {
        Self::with_transport(name, McpTransport::Http(server))
    }
    fn with_transport(name: impl Into<String>, transport: McpTransport) -> Self {
        McpServerConfig {
            name: name.into(),
            transport,
            enabled: true,
            allow: Vec::new(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            extra: Map::new(),
        }
    }
    /// Sets the tools that need no approval.
    pub fn allow<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tools: I) -> Self {
        self.allow = tools.into_iter().map(Into::into).collect();
        self
    }
    /// Sets the per-call timeout in seconds.
    pub fn timeout_secs(mut self, secs: u64) -> Self {
        self.timeout_secs = secs;
        self
    }
    /// Sets whether the server is enabled.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }
    /// The per-call timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }
    /// Whether `tool` (its name on the server) runs without approval.
    pub fn is_allowed(&self, tool: &str) -> bool {
        self.allow.iter().any(|a| a == "*" || a == tool)
    }
    /// Every value that is a secret, resolved where possible: what stderr
    /// tails and messages are scrubbed of.
    pub(crate) fn secret_values(&self) -> Vec<String> {
        let values: Vec<&ConfigSecret> = match &self.transport {
            McpTransport::Stdio(s) => s.env.values().collect(),
            McpTransport::Http(h) => h.headers.values().chain(h.bearer_token.as_ref()).collect(),
        };
        let mut out = Vec::new();
        for v in values {
            if let Ok(resolved) = v.resolve() {
                let text = resolved.expose();
                // Short values (`1`, `true`, `debug`) are settings, not
                // credentials, and scrubbing them would garble every
                // message that happens to contain the word.
                if text.len() >= MIN_SECRET_LEN {
                    out.push(text.to_owned());
                }
            }
        }
        out
    }
}

/// Whether `name` is a valid server name: 1 to 64 of `A-Z a-z 0-9 _ -`, so
/// it can prefix tool names for any vendor.
pub fn is_valid_server_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The entry as it is in the file: both transports' keys optional, so one
/// can say which of them is missing or doubled.
#[derive(Serialize, Deserialize)]
struct RawServer {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    env: BTreeMap<String, ConfigSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cwd: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, ConfigSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bearer_token: Option<ConfigSecret>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    allow: Vec<String>,
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn yes() -> bool {
    true
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

impl RawServer {
    fn into_config(self) -> Result<McpServerConfig, String> {
        if !is_valid_server_name(&self.name) {
            return Err(format!(
                "server name {:?} must be 1 to 64 characters of A-Z a-z 0-9 _ -",
                self.name
            ));
        }
        if self.timeout_secs == 0 {
            return Err(format!(
                "server {:?}: timeout_secs must be at least 1",
                self.name
            ));
        }
        let transport = match (self.command, self.url) {
            (Some(command), None) => {
                if !self.headers.is_empty() || self.bearer_token.is_some() {
                    return Err(format!(
                        "server {:?}: headers and bearer_token are for servers with a url",
                        self.name
                    ));
                }
                if command.trim().is_empty() {
                    return Err(format!("server {:?}: command is empty", self.name));
                }
                McpTransport::Stdio(StdioServer {
                    command,
                    args: self.args,
                    env: self.env,
                    cwd: self.cwd,
                })
            }
            (None, Some(url)) => {
                if !self.args.is_empty() || !self.env.is_empty() || self.cwd.is_some() {
                    return Err(format!(
                        "server {:?}: args, env and cwd are for servers with a command",
                        self.name
                    ));
                }
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "server {:?}: url must start with http:// or https://",
                        self.name
                    ));
                }
                McpTransport::Http(HttpServer {
                    url,
                    headers: self.headers,
                    bearer_token: self.bearer_token,
                })
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "server {:?} has both a command and a url; keep one",
                    self.name
                ))
            }
            (None, None) => {
                return Err(format!(
                    "server {:?} needs a command (stdio) or a url (HTTP)",
                    self.name
                ))
            }
        };
        Ok(McpServerConfig {
            name: self.name,
            transport,
            enabled: self.enabled,
            allow: self.allow,
            timeout_secs: self.timeout_secs,
            extra: self.extra,
        })
    }

    fn from_config(c: &McpServerConfig) -> Self {
        let mut raw = RawServer {
            name: c.name.clone(),
            command: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
            url: None,
            headers: BTreeMap::new(),
            bearer_token: None,
            enabled: c.enabled,
            allow: c.allow.clone(),
            timeout_secs: c.timeout_secs,
            extra: c.extra.clone(),
        };
        match &c.transport {
            McpTransport::Stdio(s) => {
                raw.command = Some(s.command.clone());
                raw.args = s.args.clone();
                raw.env = s.env.clone();
                raw.cwd = s.cwd.clone();
            }
            McpTransport::Http(h) => {
                raw.url = Some(h.url.clone());
                raw.headers = h.headers.clone();
                raw.bearer_token = h.bearer_token.clone();
            }
        }
        raw
    }
}

/// Every configured server, in the file's order.
///
/// ```
/// use yat_mcp::{McpConfig, McpServerConfig, StdioServer};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("provider_config.json");
/// let mut config = McpConfig::load(&path).unwrap(); // no file: no servers
/// config.add(McpServerConfig::stdio("time", StdioServer::new("uvx").args(["mcp-server-time"]))).unwrap();
/// config.save(&path).unwrap();
/// assert_eq!(McpConfig::load(&path).unwrap(), config);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct McpConfig {
    /// The servers, in order.
    pub servers: Vec<McpServerConfig>,
}

impl McpConfig {
    /// A configuration of these servers.
    pub fn new(servers: Vec<McpServerConfig>) -> Self {
        McpConfig { servers }
    }

    /// The servers of a parsed `provider_config.json` (none when it has no
    /// `"mcp_servers"`).
    pub fn from_provider_config(config: &ProviderConfig) -> Result<Self, McpError> {
        let Some(value) = config.extra.get(MCP_SERVERS_KEY) else {
            return Ok(McpConfig::default());
        };
        Self::from_value(value)
    }

    /// The servers of the value of `"mcp_servers"`.
    pub fn from_value(value: &Value) -> Result<Self, McpError> {
        let Value::Array(items) = value else {
            return Err(McpError::Config {
                message: format!("\"{MCP_SERVERS_KEY}\" must be a list of servers"),
            });
        };
        let mut servers: Vec<McpServerConfig> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let raw: RawServer =
                serde_json::from_value(item.clone()).map_err(|e| McpError::Config {
                    message: format!("\"{MCP_SERVERS_KEY}\"[{i}]: {e}"),
                })?;
            let server = raw.into_config().map_err(|message| McpError::Config {
                message: format!("\"{MCP_SERVERS_KEY}\"[{i}]: {message}"),
            })?;
            if servers.iter().any(|s| s.name == server.name) {
                return Err(McpError::Config {
                    message: format!(
                        "\"{MCP_SERVERS_KEY}\"[{i}]: a server named {:?} is already listed",
                        server.name
                    ),
                });
            }
            servers.push(server);
        }
        Ok(McpConfig { servers })
    }

    /// The value of `"mcp_servers"` for these servers.
    pub fn to_value(&self) -> Value {
        let raws: Vec<RawServer> = self.servers.iter().map(RawServer::from_config).collect();
        serde_json::to_value(raws).unwrap_or(Value::Array(Vec::new()))
    }

    /// Reads the servers of the file at `path` (a missing file has none).
    pub fn load(path: &Path) -> Result<Self, McpError> {
        Self::from_provider_config(&ProviderConfig::load(path)?)
    }

    /// Writes the servers into the file at `path`, atomically, keeping the
    /// providers and every other key as they are on disk. Refuses, as
    /// yat-core does, to replace a file that does not parse.
    pub fn save(&self, path: &Path) -> Result<(), McpError> {
        let mut file = ProviderConfig::load(path)?;
        self.write_into(&mut file);
        file.save(path)?;
        Ok(())
    }

    /// Puts the servers into a parsed file (removing the key when there
    /// are none).
    pub fn write_into(&self, config: &mut ProviderConfig) {
        if self.servers.is_empty() {
            config.extra.remove(MCP_SERVERS_KEY);
        } else {
            config
                .extra
                .insert(MCP_SERVERS_KEY.to_owned(), self.to_value());
        }
    }

    /// The server named `name`.
    pub fn server(&self, name: &str) -> Option<&McpServerConfig> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// The names of every server, in order.
    pub fn names(&self) -> Vec<String> {
        self.servers.iter().map(|s| s.name.clone()).collect()
    }

    /// Adds a server at the end. Errors if the name is invalid or taken.
    pub fn add(&mut self, server: McpServerConfig) -> Result<(), McpError> {
        // The same checks as loading, so what is added can be loaded back.
        let checked = RawServer::from_config(&server)
            .into_config()
            .map_err(|message| McpError::Config { message })?;
        if self.server(&checked.name).is_some() {
            return Err(McpError::DuplicateServer { name: checked.name });
        }
        self.servers.push(checked);
        Ok(())
    }

    /// Removes the server named `name` and returns it.
    pub fn remove(&mut self, name: &str) -> Result<McpServerConfig, McpError> {
        match self.servers.iter().position(|s| s.name == name) {
            Some(i) => Ok(self.servers.remove(i)),
            None => Err(self.unknown(name)),
        }
    }

    /// Enables or disables the server named `name`.
    pub fn set_enabled(&mut self, name: &str, enabled: bool) -> Result<(), McpError> {
        match self.servers.iter_mut().find(|s| s.name == name) {
            Some(s) => {
                s.enabled = enabled;
                Ok(())
            }
            None => Err(self.unknown(name)),
        }
    }

    /// The error for a name that is not configured, listing those that are.
    pub(crate) fn unknown(&self, name: &str) -> McpError {
        McpError::UnknownServer {
            name: name.to_owned(),
            available: self.names(),
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

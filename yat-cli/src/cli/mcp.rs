//! `yat mcp`'s flags: the MCP servers in provider_config.json, and one
//! tool run by hand.

use clap::{Args, Subcommand};

pub(super) const MCP_EXAMPLES: &str = "\
Examples:
  yat mcp add time -- uvx mcp-server-time
  yat mcp add github --url https://api.githubcopilot.com/mcp/ --bearer-env GITHUB_TOKEN
  yat mcp add files --allow read_file -- npx -y @modelcontextprotocol/server-filesystem .
  yat mcp list                         # connects to each: ready with its tools, or why not
  yat mcp call time get_current_time '{\"timezone\": \"Asia/Tokyo\"}'
  yat chat --mcp time \"What time is it in Tokyo?\"
  yat mcp disable time

Servers live under \"mcp_servers\" in provider_config.json. Values of --env, --header
and the bearer token may name a variable as ${VAR}, read when the server starts;
`list` shows their keys, never their values.";

/// `yat mcp ...`.
#[derive(Debug, Subcommand)]
pub enum McpAction {
    /// Each server: enabled or not, and (connecting to it) ready with its tools, or
    /// why it failed
    #[command(visible_alias = "ls")]
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Add a server: a program (after --) that speaks MCP on stdio, or an HTTP
    /// endpoint (--url)
    Add(McpAddArgs),
    /// Remove a server from the configuration
    #[command(visible_alias = "rm")]
    Remove {
        /// The server's name.
        name: String,
    },
    /// Offer this server's tools with --mcp-all again
    Enable {
        /// The server's name.
        name: String,
    },
    /// Leave this server out of --mcp-all (--mcp NAME still uses it)
    Disable {
        /// The server's name.
        name: String,
    },
    /// Run one tool by hand and print its result (exit 1 when the result is an
    /// error)
    Call {
        /// The server's name.
        server: String,
        /// The tool's name on that server (`yat mcp list` shows them).
        tool: String,
        /// The arguments: a JSON object, inline or in a file [default: {}]
        #[arg(value_name = "JSON")]
        arguments: Option<String>,
        /// Print the result as JSON: {"text", "is_error"}
        #[arg(long)]
        json: bool,
    },
}

/// `yat mcp add`.
#[derive(Debug, Args)]
pub struct McpAddArgs {
    /// The server's name (letters, digits, - and _), as --mcp names it.
    pub name: String,

    /// The server's streamable-HTTP endpoint, instead of a command
    #[arg(long, value_name = "URL", conflicts_with_all = ["command", "env", "cwd"])]
    pub url: Option<String>,

    /// An HTTP header sent with every request (repeatable); the value may be ${VAR}
    #[arg(long = "header", value_name = "K=V", requires = "url")]
    pub headers: Vec<String>,

    /// Send `Authorization: Bearer` with the value of this environment variable,
    /// read when the server is used (never stored)
    #[arg(long, value_name = "VAR", requires = "url")]
    pub bearer_env: Option<String>,

    /// An environment variable for the command (repeatable); the value may be ${VAR}
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,

    /// The directory the command runs in
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<std::path::PathBuf>,

    /// A tool that runs without confirmation (repeatable; * for every tool)
    #[arg(long = "allow", value_name = "TOOL")]
    pub allow: Vec<String>,

    /// Seconds a call may take before it ends with an error [default: 60]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,

    /// The command and its arguments, after --
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `KEY=VALUE` split at the first `=`. Parsed by the command, not by
/// clap: clap's own error would repeat the whole value, a secret.
pub fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {:?}", mask_pair(s))),
    }
}

/// A malformed pair as an error shows it: a value after `=` could be a
/// secret, so only what comes before it is repeated.
fn mask_pair(s: &str) -> String {
    match s.split_once('=') {
        Some((k, _)) => format!("{k}=…"),
        None if s.len() > 3 => format!("{}…", s.chars().take(3).collect::<String>()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split_at_the_first_equals_sign_and_errors_hide_values() {
        assert_eq!(
            parse_pair("A=b=c").unwrap(),
            ("A".to_owned(), "b=c".to_owned())
        );
        assert_eq!(parse_pair("TOKEN=").unwrap().1, "");
        let e = parse_pair("=secret").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
        let e = parse_pair("sk-123456").unwrap_err();
        assert!(!e.contains("123456"), "{e}");
    }
}

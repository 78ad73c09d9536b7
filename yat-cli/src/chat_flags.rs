//! `yat chat` options of their own concern, flattened into its arguments:
//! how the reply is printed, and what goes with this one call.

use clap::Args;

/// How the reply is printed.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Print only the first fenced code block of the reply (the whole reply
    /// when it has none)
    #[arg(short = 'x', long = "extract", conflicts_with_all = ["json", "schema", "extract_last"])]
    pub extract: bool,

    /// Print only the last fenced code block of the reply (the whole reply
    /// when it has none)
    #[arg(long = "xl", visible_alias = "extract-last", conflicts_with_all = ["json", "schema"])]
    pub extract_last: bool,

    /// Print the reply whole once it is complete, instead of as it streams
    #[arg(long, conflicts_with = "json")]
    pub no_stream: bool,
}

/// What stdout gets when the reply is held until it is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The reply's text (`--no-stream`).
    Text,
    /// Its first fenced code block (`-x`).
    FirstCode,
    /// Its last fenced code block (`--xl`).
    LastCode,
}

impl OutputArgs {
    /// What is held back, if anything.
    pub fn held(&self) -> Option<Held> {
        if self.extract {
            Some(Held::FirstCode)
        } else if self.extract_last {
            Some(Held::LastCode)
        } else if self.no_stream {
            Some(Held::Text)
        } else {
            None
        }
    }
}

/// What goes with this one call only.
#[derive(Debug, Clone, Default, Args)]
pub struct CallArgs {
    /// An API key for the model's provider, for this call only: never
    /// stored or shown (other users may see a command line: `yat keys set`
    /// stores one instead)
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// A model option, sent as a field of the request (repeatable): -o top_k 40.
    /// Checked against the options the provider declares (`yat models
    /// --options PROVIDER/MODEL`); a provider that declares none takes any
    #[arg(
        short = 'o',
        long = "option",
        num_args = 2,
        value_names = ["KEY", "VALUE"],
        action = clap::ArgAction::Append
    )]
    pub options: Vec<String>,
}

impl CallArgs {
    /// `-o`'s `(KEY, VALUE)` pairs, in order.
    pub fn option_pairs(&self) -> Vec<(String, String)> {
        self.options
            .chunks_exact(2)
            .map(|kv| (kv[0].clone(), kv[1].clone()))
            .collect()
    }
}

/// Tools from MCP servers, run by the chat.
#[cfg(feature = "mcp")]
#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    /// Offer the model the tools of this MCP server and run its calls (repeatable;
    /// `yat mcp list` shows the configured servers)
    #[arg(long = "mcp", value_name = "NAME", conflicts_with = "tools")]
    pub servers: Vec<String>,

    /// Offer the tools of every enabled MCP server
    #[arg(long = "mcp-all", conflicts_with_all = ["servers", "tools"])]
    pub all: bool,

    /// Run every tool call without asking (otherwise a tool not listed under
    /// "allow" in the server's configuration is confirmed on a terminal, and
    /// refused without one)
    #[arg(long)]
    pub yes: bool,

    /// The most requests to the model one prompt may take while tools run
    #[arg(
        long,
        value_name = "N",
        default_value_t = yat::tools::DEFAULT_MAX_STEPS,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_steps: u32,
}

#[cfg(feature = "mcp")]
impl McpArgs {
    /// Whether any server was asked for.
    pub fn wanted(&self) -> bool {
        self.all || !self.servers.is_empty()
    }
}

//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod catalog;
mod log;
#[cfg(feature = "mcp")]
mod mcp;
mod reuse;

pub use catalog::{ModelsAction, ModelsListArgs, ProvidersAction, ProvidersListArgs};
use catalog::{MODELS_EXAMPLES, PROVIDERS_EXAMPLES};
use log::LOG_EXAMPLES;
pub use log::{LogAction, LogListArgs};
#[cfg(feature = "mcp")]
use mcp::MCP_EXAMPLES;
#[cfg(feature = "mcp")]
pub use mcp::{parse_pair, McpAction, McpAddArgs};
use reuse::TEMPLATES_EXAMPLES;
pub use reuse::{FragmentArgs, TemplateArgs, TemplatesAction};

const ABOUT: &str = "Chat with any LLM provider from the terminal";

const LONG_ABOUT: &str = "\
Chat with any LLM provider from the terminal.

Models are named PROVIDER/MODEL (mock/mock-echo, openai/gpt-4o-mini) or by an
alias. With nothing configured, yat uses the offline mock provider, which needs
no key and no network.

With no command, the arguments are a chat's: `yat \"Hi\"` is `yat chat \"Hi\"`, and
`echo hi | yat` chats about stdin (a prompt that is a command's name needs `yat chat`).";

const EXAMPLES: &str = "\
Examples:
  yat chat \"Explain borrow checking in one paragraph\"
  yat \"Explain borrow checking\"    # no command: the same as `yat chat`
  git diff | yat chat -s \"Write a commit message\" -m openai/gpt-4o-mini
  yat chat                       # interactive session
  yat providers                  # what is compiled in, and what is ready
  yat keys set openai            # store an API key
  yat models default openai/gpt-4o-mini

Configuration: provider_config.json (see `yat config path`), .env files, and the
environment. Data (history): $YAT_DATA_DIR or the platform data dir.";

/// `yat`: the command line.
#[derive(Debug, Parser)]
#[command(
    name = "yat",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    arg_required_else_help = true,
    override_usage = "yat [OPTIONS] <COMMAND>\n       yat [CHAT OPTIONS] [PROMPT]...    (no command: `yat chat`)",
    max_term_width = 100,
    propagate_version = true
)]
pub struct Cli {
    /// Use this provider_config.json [default: $YAT_CONFIG, ./provider_config.json,
    /// or the platform config dir]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbosity: u8,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a prompt and stream the reply, or start an interactive session
    #[command(after_help = CHAT_EXAMPLES)]
    Chat(ChatArgs),
    /// List providers and their status; enable, disable, inspect them
    #[command(after_help = PROVIDERS_EXAMPLES, args_conflicts_with_subcommands = true)]
    Providers {
        /// What to do (default: list).
        #[command(subcommand)]
        action: Option<ProvidersAction>,
        /// Listing options (when no action is given).
        #[command(flatten)]
        list: ProvidersListArgs,
    },
    /// List models; set the default model
    #[command(after_help = MODELS_EXAMPLES, args_conflicts_with_subcommands = true)]
    Models {
        /// What to do (default: list).
        #[command(subcommand)]
        action: Option<ModelsAction>,
        /// Listing options (when no action is given).
        #[command(flatten)]
        list: ModelsListArgs,
    },
    /// Show stored conversations
    #[command(after_help = LOG_EXAMPLES, args_conflicts_with_subcommands = true)]
    Log {
        /// What to do (default: list).
        #[command(subcommand)]
        action: Option<LogAction>,
        /// Listing options (when no action is given).
        #[command(flatten)]
        list: LogListArgs,
    },
    /// Short names for models
    #[command(after_help = ALIAS_EXAMPLES)]
    Alias {
        /// What to do.
        #[command(subcommand)]
        action: AliasAction,
    },
    /// Read and change settings (KEY is PROVIDER.SETTING, or default_model,
    /// fallbacks, history)
    #[command(after_help = CONFIG_EXAMPLES)]
    Config {
        /// What to do.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Store API keys (in the config dir's .env, mode 0600) and see which are set
    #[command(after_help = KEYS_EXAMPLES)]
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Serve every provider behind one OpenAI- and Anthropic-compatible endpoint
    #[cfg(feature = "serve")]
    #[command(after_help = SERVE_EXAMPLES, args_conflicts_with_subcommands = true)]
    Serve {
        /// What to do (default: serve).
        #[command(subcommand)]
        action: Option<ServeAction>,
        /// Serving options (when no action is given).
        #[command(flatten)]
        args: ServeArgs,
    },
    /// Tools from MCP servers: add, list, enable, disable, call one by hand
    #[cfg(feature = "mcp")]
    #[command(after_help = MCP_EXAMPLES)]
    Mcp {
        /// What to do.
        #[command(subcommand)]
        action: McpAction,
    },
    /// Saved chat set-ups: system prompt, model, options, prompt with $parameters
    #[command(after_help = TEMPLATES_EXAMPLES)]
    Templates {
        /// What to do.
        #[command(subcommand)]
        action: TemplatesAction,
    },
    /// Print a shell completion script
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

const CHAT_EXAMPLES: &str = "\
Examples:
  yat chat \"Hello\"                              # default model (or the offline mock)
  yat chat -m mock/mock-long \"Tell me more\"
  echo \"Summarise this\" | yat chat -m fast      # prompt from stdin; `fast` is an alias
  cat notes.txt | yat chat \"Summarise this:\"    # the file, a blank line, then the prompt
  yat chat --json \"Hi\" | jq -r 'select(.type==\"delta\").text'
  yat chat -a photo.jpg -a report.pdf \"What do these show?\"
  yat chat -f notes.txt -f todo.md \"What is left to do?\"
  git diff | yat chat -f - \"Review this\"
  yat chat --schema person.json \"Invent a person\" | jq .name
  yat chat --reasoning-effort high --no-reasoning \"Is 2^61-1 prime?\"
  yat chat -c \"And then?\"                       # continue the last conversation
  yat chat -m openai/gpt-4o --fallback anthropic/claude-3-5-haiku-latest \"Hi\"
  yat chat --mcp time \"What time is it in Tokyo?\"  # tools of an MCP server (`yat mcp`)
  yat chat                                      # interactive session (on a terminal)

In a session: /model, /system, /clear, /save, /tools, /mcp, /help, /exit; !multi …
!end for a prompt over several lines, !edit to write it in $EDITOR. Ctrl-C stops a
reply (or a tool call), Ctrl-D leaves. Edits to provider_config.json and .env are
picked up between turns.";

/// `yat chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The prompt (several words are joined with spaces). Piped stdin is sent
    /// too: first the piped text, then the prompt, a blank line between; `-`
    /// alone means the prompt is stdin
    #[arg(value_name = "PROMPT")]
    pub prompt: Vec<String>,

    /// The model: PROVIDER/MODEL or an alias [default: the configured default]
    #[arg(short, long, value_name = "MODEL")]
    pub model: Option<String>,

    /// A system prompt
    #[arg(short, long, value_name = "TEXT")]
    pub system: Option<String>,

    /// Sampling temperature (0 to 2)
    #[arg(long, value_name = "T", value_parser = parse_temperature)]
    pub temperature: Option<f32>,

    /// Upper bound on generated tokens
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,

    /// Nucleus sampling (0 to 1)
    #[arg(long, value_name = "P", value_parser = parse_top_p)]
    pub top_p: Option<f32>,

    /// A sequence that ends the reply (repeatable)
    #[arg(long, value_name = "TEXT")]
    pub stop: Vec<String>,

    /// A model to try when the previous one fails before answering (repeatable;
    /// tried before the configured fallbacks)
    #[arg(long, value_name = "MODEL")]
    pub fallback: Vec<String>,

    /// Print newline-delimited JSON events on stdout (start, delta, reasoning, tool
    /// calls, usage, finish, error: see "Event schema" in the README)
    #[arg(long)]
    pub json: bool,

    /// Attach an image (PNG, JPEG, GIF, WebP) or a PDF: a file, or an http(s) or
    /// data: URL (repeatable); sent with the prompt
    #[arg(short = 'a', long = "attach", value_name = "PATH|URL")]
    pub attach: Vec<String>,

    /// Ask for a reply in JSON that follows this JSON Schema (a file, or the schema
    /// itself); stdout is then the JSON document alone
    #[arg(long, value_name = "FILE|JSON")]
    pub schema: Option<String>,

    /// Offer the model a tool: {"name", "description", "parameters"} or a list of
    /// them, inline or in a file (repeatable); its calls are shown, not run (--mcp
    /// offers tools that run)
    #[arg(long = "tool", value_name = "FILE|JSON")]
    pub tools: Vec<String>,

    /// How hard a reasoning model should think: low, medium or high
    #[arg(long, value_name = "EFFORT", value_parser = parse_effort)]
    pub reasoning_effort: Option<yat::ReasoningEffort>,

    /// Do not show the model's reasoning (it is still stored with the conversation)
    #[arg(long)]
    pub no_reasoning: bool,

    /// Continue the last conversation
    #[arg(short = 'c', long = "continue", conflicts_with = "conversation")]
    pub continue_last: bool,

    /// Continue conversation ID (see `yat log`)
    #[arg(long = "cid", value_name = "ID")]
    pub conversation: Option<i64>,

    /// Do not store this conversation
    #[arg(long)]
    pub no_history: bool,

    /// Print token usage on stderr when the reply ends
    #[arg(short, long)]
    pub usage: bool,

    /// Fragments: text from files that goes with the prompt.
    #[command(flatten)]
    pub fragments: FragmentArgs,

    /// Templates: a saved set-up, used or saved.
    #[command(flatten)]
    pub template: TemplateArgs,

    /// How the reply is printed.
    #[command(flatten)]
    pub output: crate::chat_flags::OutputArgs,

    /// What goes with this call only.
    #[command(flatten)]
    pub call: crate::chat_flags::CallArgs,

    /// Tools from MCP servers.
    #[cfg(feature = "mcp")]
    #[command(flatten)]
    pub mcp: crate::chat_flags::McpArgs,
}

pub(crate) fn parse_effort(s: &str) -> Result<yat::ReasoningEffort, String> {
    s.parse()
}

pub(crate) fn parse_temperature(s: &str) -> Result<f32, String> {
    parse_range(s, 0.0, 2.0)
}

pub(crate) fn parse_top_p(s: &str) -> Result<f32, String> {
    parse_range(s, 0.0, 1.0)
}

fn parse_range(s: &str, lo: f32, hi: f32) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between {lo} and {hi}"))
    }
}

const ALIAS_EXAMPLES: &str = "\
Examples:
  yat alias set fast groq/llama-3.1-8b-instant
  yat chat -m fast \"Hi\"
  yat alias list
  yat alias remove fast";

/// `yat alias ...`.
#[derive(Debug, Subcommand)]
pub enum AliasAction {
    /// Add or replace an alias
    Set {
        /// The alias (no '/', no spaces).
        #[arg(value_parser = parse_alias_name)]
        name: String,
        /// PROVIDER/MODEL it stands for.
        model: String,
    },
    /// List aliases
    #[command(visible_alias = "ls")]
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove an alias
    #[command(visible_alias = "rm")]
    Remove {
        /// The alias.
        name: String,
    },
}

fn parse_alias_name(s: &str) -> Result<String, String> {
    yat::preferences::validate_alias_name(s).map(|()| s.to_owned())
}

const CONFIG_EXAMPLES: &str = "\
Examples:
  yat config path
  yat config show
  yat config set mock.delay_ms 50
  yat config get mock.delay_ms
  yat config set openai.api_key sk-...     # secrets go to the config dir's .env (0600)
  yat config set default_model mock/mock-long
  yat config set fallbacks mock/mock-echo,mock/mock-long
  yat config set history off
  yat config unset mock.delay_ms

Values resolve from: the environment, then .env files, then provider_config.json,
then the provider's default. `show` masks secrets and says where each value came from.";

/// `yat config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the path of provider_config.json in use
    Path,
    /// Print every setting with its value (secrets masked) and source
    Show {
        /// Only this provider
        provider: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print one setting's value (secrets masked)
    Get {
        /// PROVIDER.SETTING, default_model, fallbacks or history.
        key: String,
    },
    /// Set a value (secrets are stored in the config dir's .env, not in the JSON)
    Set {
        /// PROVIDER.SETTING, default_model, fallbacks or history.
        key: String,
        /// The value.
        value: String,
    },
    /// Remove a value set with `config set`
    Unset {
        /// PROVIDER.SETTING, default_model, fallbacks or history.
        key: String,
    },
}

const KEYS_EXAMPLES: &str = "\
Examples:
  yat keys set openai                 # prompts without echo
  printf %s \"$KEY\" | yat keys set openai
  yat keys get openai | pbcopy        # the key itself (on a terminal: --reveal)
  yat keys list
  yat keys remove openai";

/// `yat keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Store a provider's API key (read without echo, or from piped stdin)
    Set {
        /// Provider id.
        provider: String,
    },
    /// Print the key a provider uses (to a pipe or a file; on a terminal only
    /// with --reveal), and on stderr where it comes from
    Get {
        /// Provider id.
        provider: String,
        /// Show it on the terminal too
        #[arg(long)]
        reveal: bool,
    },
    /// Which providers have a key, and where it comes from (never the value)
    #[command(visible_alias = "ls")]
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove a provider's key from the config dir's .env
    #[command(visible_alias = "rm")]
    Remove {
        /// Provider id.
        provider: String,
    },
}

#[cfg(feature = "serve")]
const SERVE_EXAMPLES: &str = "\
Examples:
  yat serve keys create laptop      # prints a gateway key, once
  yat serve                         # http://127.0.0.1:8787 (OpenAI: /v1, Anthropic: /)
  yat serve --listen 0.0.0.0:8787 --log-format json
  OPENAI_BASE_URL=http://127.0.0.1:8787/v1 OPENAI_API_KEY=yat-... python app.py

Settings: the \"serve\" object of provider_config.json (model map, limits, CORS);
keys: gateway_keys.json beside it. Both reload while serving.";

/// Options of `yat serve`.
#[cfg(feature = "serve")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen on this address [default: serve.listen, or 127.0.0.1:8787]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// Serve without gateway keys (loopback addresses only)
    #[arg(long)]
    pub no_auth: bool,
    /// Request log format on stderr
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How `yat serve` writes its request log.
#[cfg(feature = "serve")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per request.
    Text,
    /// One JSON object per line.
    Json,
}

/// `yat serve` subcommands.
#[cfg(feature = "serve")]
#[derive(Debug, Subcommand)]
pub enum ServeAction {
    /// Create, list and revoke the keys clients present to the gateway
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: ServeKeysAction,
    },
}

/// `yat serve keys` subcommands.
#[cfg(feature = "serve")]
#[derive(Debug, Subcommand)]
pub enum ServeKeysAction {
    /// Make a key and print it (the only time it is shown; only its hash is stored)
    Create {
        /// A name for the key, as it appears in logs (letters, digits, - _ .)
        name: String,
        /// This key's own limit of requests per minute
        #[arg(long, value_name = "N")]
        rpm: Option<u32>,
    },
    /// The keys: name, prefix, creation time, limit (never the key)
    #[command(visible_alias = "ls")]
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Delete a key; a running gateway refuses it within a second
    #[command(visible_alias = "rm")]
    Revoke {
        /// The key's name.
        name: String,
    },
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  yat completions bash > ~/.local/share/bash-completion/completions/yat
  yat completions zsh > \"${fpath[1]}/_yat\"
  yat completions fish > ~/.config/fish/completions/yat.fish
  yat completions powershell >> $PROFILE";

/// Shells `yat completions` supports.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ranges_are_checked() {
        assert!(parse_temperature("0.7").is_ok());
        assert!(parse_temperature("2.5").is_err());
        assert!(parse_top_p("x").is_err());
        assert_eq!(parse_effort("high"), Ok(yat::ReasoningEffort::High));
        assert!(parse_effort("max")
            .unwrap_err()
            .contains("low, medium, high"));
    }
}

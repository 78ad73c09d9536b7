//! `yat log`'s flags: listing, searching, showing.

use clap::{Args, Subcommand};

pub(super) const LOG_EXAMPLES: &str = "\
Examples:
  yat log                       # the last 10 conversations
  yat log -q \"borrow checker\"  # full-text search, best match first
  yat log -m openai/gpt-4o-mini --since 7d
  yat log --since 2024-05-01 --until 2024-05-31 -n 50 --json
  yat log show 12               # with each reply's tokens, duration and options
  yat log show                  # the last conversation
  yat log path

Filters combine. Times are UTC: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], or an age
(30m, 12h, 7d, 2w) before now.";

/// `yat log` listing options.
#[derive(Debug, Args)]
pub struct LogListArgs {
    /// How many conversations
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10)]
    pub count: usize,
    /// Only conversations with a message holding every word (full-text: case and
    /// accents ignored, `word*` for a prefix); best match first
    #[arg(short = 'q', long = "query", value_name = "TEXT", value_parser = parse_search_text)]
    pub query: Option<String>,
    /// Only conversations a model answered in: MODEL, PROVIDER/MODEL or an alias
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Only conversations a provider answered in
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,
    /// Only conversation ID
    #[arg(long = "cid", value_name = "ID")]
    pub conversation: Option<i64>,
    /// Only conversations with a message stored at or after DATE
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<String>,
    /// Only conversations with a message stored at or before DATE
    #[arg(long, value_name = "DATE", value_parser = parse_until)]
    pub until: Option<String>,
    /// Print JSON (see "The log as JSON" in the README)
    #[arg(long)]
    pub json: bool,
}

fn parse_search_text(s: &str) -> Result<String, String> {
    if s.split_whitespace()
        .any(|w| !w.trim_end_matches('*').is_empty())
    {
        Ok(s.to_owned())
    } else {
        Err("there is no word to search for".into())
    }
}

#[cfg(feature = "history")]
fn parse_since(s: &str) -> Result<String, String> {
    yat::store::parse_time(s, yat::store::Edge::Start)
}

#[cfg(feature = "history")]
fn parse_until(s: &str) -> Result<String, String> {
    yat::store::parse_time(s, yat::store::Edge::End)
}

// Without history there is no log to filter; `yat log` says so.
#[cfg(not(feature = "history"))]
fn parse_since(s: &str) -> Result<String, String> {
    Ok(s.to_owned())
}

#[cfg(not(feature = "history"))]
fn parse_until(s: &str) -> Result<String, String> {
    Ok(s.to_owned())
}

/// `yat log ...`.
#[derive(Debug, Subcommand)]
pub enum LogAction {
    /// List the most recent conversations, or search them (the default)
    List(LogListArgs),
    /// Print one conversation, with each reply's tokens, duration and options
    Show {
        /// Conversation id [default: the last one]
        id: Option<i64>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the path of the history database
    Path,
}

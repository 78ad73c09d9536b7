//! `yat`: chat with any LLM provider from the terminal.
//!
//! The binary is thin: it parses arguments, calls the `yat` libraries and
//! prints. Exit codes: 0 ok, 1 provider or runtime error, 2 usage error,
//! 130 interrupted.
#![warn(unused_crate_dependencies)]

mod attach;
mod chat_flags;
mod cli;
mod code_block;
mod commands;
mod context;
mod early_conversation;
mod failure;
mod fragments;
mod history;
mod implied_chat;
mod json_arg;
#[cfg(feature = "mcp")]
mod mcp_approval;
#[cfg(feature = "mcp")]
mod mcp_chat;
#[cfg(feature = "mcp")]
mod mcp_status;
mod prompt_input;
mod reachability;
mod remedy;
mod render;
mod reply_view;
mod session;
mod session_input;
mod session_tools;
mod structured;
mod table;
mod templates;
mod term;
mod tool_calls;
mod tool_lines;
mod tool_turn;
mod transcript;

use std::sync::Mutex;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::context::Ctx;
use crate::failure::{CmdResult, Failure, EXIT_FAILURE};
use crate::term::Term;

// Test-only dependencies of the integration tests; named so the lint above
// does not flag them in the unit-test build of this binary.
#[cfg(all(test, unix))]
use rexpect as _;
#[cfg(test)]
use {
    assert_cmd as _, axum as _, httpdate as _, predicates as _, rmcp as _, rusqlite as _,
    tempfile as _, yat_fakeserver as _,
};

/// The message of the last panic, for the one-line report of a bug in yat.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() {
    install_panic_hook();
    let code = match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(_) => {
            let message = LAST_PANIC
                .lock()
                .ok()
                .and_then(|m| m.clone())
                .unwrap_or_else(|| "unknown".into());
            Term::detect().error(&format!(
                "internal error (a bug in yat, please report it): {}",
                failure::one_line(&message)
            ));
            EXIT_FAILURE
        }
    };
    std::process::exit(code);
}

/// Panics never print a message or a backtrace: a provider's panic is caught
/// by the manager and becomes that provider's status, so the hook only
/// records it (at debug level); a panic of yat's own becomes one error line.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic with a non-string payload".into());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::debug!(%location, "caught panic: {message}");
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(message);
        }
    }));
}

/// The `--version` text: this build's providers, so a bug report says what
/// was compiled in.
fn long_version() -> String {
    format!(
        "{}\nyat-core {} (plugin API)\nproviders: {}\nhistory: {}",
        env!("CARGO_PKG_VERSION"),
        yat::CORE_VERSION,
        yat::providers::enabled_providers().join(", "),
        if cfg!(feature = "history") {
            "yes"
        } else {
            "no (built without the `history` feature)"
        },
    )
}

fn run() -> i32 {
    // Built once per process; clap wants a 'static string.
    let long_version: &'static str = Box::leak(long_version().into_boxed_str());
    let command = Cli::command().long_version(long_version);
    let term = Term::detect();
    let commands: Vec<&str> = command
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .chain(["help"])
        .collect();
    let args =
        implied_chat::with_implied_chat(std::env::args_os().collect(), &commands, term.stdin_tty);
    let cli = match command
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version exit 0 on stdout; mistakes exit 2 on stderr.
            let _ = e.print();
            return e.exit_code();
        }
    };
    match &cli.command {
        #[cfg(feature = "serve")]
        Command::Serve { args, .. } => {
            commands::serve::init_logging(cli.verbosity, args.log_format)
        }
        _ => init_tracing(cli.verbosity, &term),
    }
    let ctx = Ctx {
        config: cli.config,
        term,
    };
    let result = match cli.command {
        // Needs nothing but the command definitions: no runtime, no providers.
        Command::Completions { shell } => commands::completions::run(shell),
        // Picks its own runtime: one worker per core.
        #[cfg(feature = "serve")]
        Command::Serve { action, args } => commands::serve::run(&ctx, action, args),
        command => match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(dispatch(&ctx, command)),
            Err(e) => Err(Failure::Runtime(format!(
                "cannot start the async runtime: {e}"
            ))),
        },
    };
    finish(&ctx.term, result)
}

async fn dispatch(ctx: &Ctx, command: Command) -> CmdResult {
    match command {
        Command::Chat(args) => commands::chat::run(ctx, args).await,
        Command::Providers { action, list } => commands::providers::run(ctx, action, list).await,
        Command::Models { action, list } => commands::models::run(ctx, action, list).await,
        Command::Log { action, list } => commands::log::run(ctx, action, list).await,
        Command::Alias { action } => commands::alias::run(ctx, action).await,
        Command::Config { action } => commands::config::run(ctx, action).await,
        Command::Keys { action } => commands::keys::run(ctx, action).await,
        Command::Templates { action } => commands::templates::run(ctx, action),
        #[cfg(feature = "mcp")]
        Command::Mcp { action } => commands::mcp::run(ctx, action).await,
        Command::Completions { shell } => commands::completions::run(shell),
        // Handled in `run`, on a runtime of its own.
        #[cfg(feature = "serve")]
        Command::Serve { .. } => Err(Failure::Runtime(
            "internal: `yat serve` runs on its own runtime".into(),
        )),
    }
}

fn finish(term: &Term, result: CmdResult) -> i32 {
    match result {
        Ok(()) => 0,
        Err(failure) => {
            if let Some(message) = failure.message() {
                term.error(&message);
            }
            failure.exit_code()
        }
    }
}

/// The default log filter: warnings. (The library logs a failure it also
/// returns at debug level only, so a command that reports the error itself
/// does not show it twice; `-v` shows those.)
const DEFAULT_LOG_FILTER: &str = "warn";

/// Diagnostics on stderr: `RUST_LOG` when set, else warnings, and more with
/// each `-v`. Secrets cannot reach these lines: yat holds them as `Secret`,
/// whose every printed form is `[redacted]`.
fn init_tracing(verbose: u8, term: &Term) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::new(v),
        _ => EnvFilter::new(match verbose {
            0 => DEFAULT_LOG_FILTER,
            1 => "info",
            2 => "debug",
            _ => "trace",
        }),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(term.stderr_tty && !term.no_color)
        .without_time()
        .with_target(verbose >= 2)
        .try_init();
}

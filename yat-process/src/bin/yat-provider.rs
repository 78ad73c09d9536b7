//! `yat-provider`: any provider linked into this binary, served as a
//! process plugin.
//!
//! The provider is named by the program's file name (`yat-provider-mock`,
//! a link or a copy of this binary) or by `--provider ID`, so one build
//! serves every bundled provider out of process:
//!
//! ```text
//! cargo install yat-process --features all
//! ln -s "$(command -v yat-provider)" ~/.local/bin/yat-provider-openai
//! ```

use std::process::ExitCode;

use yat_process::plugin::serve_id;

const PREFIX: &str = "yat-provider-";

const USAGE: &str = "\
yat-provider: serves a linked yat provider as a process plugin on stdin/stdout.

usage: yat-provider-<ID>            (a link or copy of this program)
       yat-provider --provider ID
       yat-provider --list | --help | --version

Logs go to stderr (RUST_LOG sets the level; warnings by default).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mut id = args.first().and_then(|a| id_from_program_name(a));
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--version" | "-V" => {
                println!("yat-provider {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--list" => {
                for id in yat_providers::enabled_providers() {
                    println!("{id}");
                }
                return ExitCode::SUCCESS;
            }
            "--provider" => match rest.next() {
                Some(v) => id = Some(v.clone()),
                None => return usage_error("--provider needs an id"),
            },
            other => match other.strip_prefix("--provider=") {
                Some(v) => id = Some(v.to_owned()),
                None => return usage_error(&format!("unexpected argument {other:?}")),
            },
        }
    }
    let Some(id) = id else {
        return usage_error(&format!(
            "no provider named; linked: {}",
            yat_providers::enabled_providers().join(", ")
        ));
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("yat-provider: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(serve_id(&id));
    // Exit now: a provider's blocking task (a DNS lookup, say) must not
    // hold the process after `shutdown`.
    runtime.shutdown_background();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yat-provider-{id}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `mock` from `/usr/bin/yat-provider-mock` (or `yat-provider-mock.exe`).
fn id_from_program_name(arg0: &str) -> Option<String> {
    let name = std::path::Path::new(arg0).file_name()?.to_str()?;
    let name = name.strip_suffix(".exe").unwrap_or(name);
    name.strip_prefix(PREFIX)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("yat-provider: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::new(v),
        _ => EnvFilter::new("warn"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

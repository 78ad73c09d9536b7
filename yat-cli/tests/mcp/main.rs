//! `yat mcp` and `yat chat --mcp` against real MCP servers, as child
//! processes over stdio: this binary's own rmcp server (see `server.rs`;
//! the binary becomes it when yat starts it with `YAT_TEST_MCP_SERVE`
//! set), and, in the tests marked ignored, the Python reference server
//! `mcp-server-time` from the venv that yat-mcp/tests/python/setup.sh
//! makes (`YAT_MCP_VENV`; .ci/run runs them with `-- --ignored`).
//!
//! The binary has its own `main` (harness = false) so that it can be that
//! server; it runs the cases below as the standard harness would: every
//! case not ignored, or with `--ignored` only the ignored ones
//! (`--include-ignored`: all), those whose name contains a filter
//! argument if there is one.

mod cases;
mod chat_cases;
#[path = "../common/mod.rs"]
mod common;
#[cfg(unix)]
mod pty_cases;
mod python;
mod server;

use std::panic::AssertUnwindSafe;

/// One case: its name, the function, and why it is ignored by default.
pub type Case = (&'static str, fn(), Option<&'static str>);

fn main() {
    if std::env::var_os(server::SERVE).is_some() {
        server::serve();
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let mut all: Vec<Case> = cases::CASES.to_vec();
    all.extend_from_slice(chat_cases::CASES);
    #[cfg(unix)]
    all.extend_from_slice(pty_cases::CASES);
    all.extend_from_slice(python::CASES);
    let chosen: Vec<&Case> = all
        .iter()
        .filter(|(name, ..)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
        .collect();
    if has("--list") {
        for (name, ..) in &chosen {
            println!("{name}: test");
        }
        return;
    }
    println!("\nrunning {} tests", chosen.len());
    let (mut passed, mut failed, mut ignored) = (Vec::new(), Vec::new(), 0);
    for (name, case, why) in chosen {
        let run = match why {
            Some(_) => has("--ignored") || has("--include-ignored"),
            None => !has("--ignored"),
        };
        if !run {
            match why {
                Some(why) => println!("test {name} ... ignored, {why}"),
                None => println!("test {name} ... skipped (--ignored)"),
            }
            ignored += 1;
            continue;
        }
        match std::panic::catch_unwind(AssertUnwindSafe(case)) {
            Ok(()) => {
                println!("test {name} ... ok");
                passed.push(name);
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(name);
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; {} ignored\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        passed.len(),
        failed.len(),
        ignored
    );
    if !failed.is_empty() {
        for name in &failed {
            println!("    {name}");
        }
        std::process::exit(101);
    }
}

//! `yat completions`: shell completion scripts, generated from the command
//! definitions (no configuration, no providers touched).

use clap::CommandFactory;

use crate::cli::{Cli, Shell};
use crate::failure::CmdResult;

/// Writes the completion script for `shell` to stdout.
pub fn run(shell: Shell) -> CmdResult {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    // Generated in memory: the generator panics on a write error, and a
    // closed pipe must not become a panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "yat", &mut script);
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, &script)?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

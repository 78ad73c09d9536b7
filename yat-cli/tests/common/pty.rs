//! `yat` on a pseudo-terminal, as a person runs it (rexpect).

use rexpect::process::wait::WaitStatus;
use rexpect::session::{spawn_with_options, Options, PtySession};

use super::{yat_bin, Sandbox};

/// `yat ARGS...` on a terminal in the sandbox, with `env` added; no
/// colours (the tests read plain text).
pub fn spawn(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> PtySession {
    let mut cmd = std::process::Command::new(yat_bin());
    cmd.args(args)
        .env_clear()
        .envs(sb.env())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .current_dir(sb.work_dir());
    let options = Options::new()
        .timeout_ms(Some(20_000))
        .strip_ansi_escape_codes(true);
    spawn_with_options(cmd, options).unwrap()
}

/// The exit code of a session that has ended.
pub fn exit_code(p: &mut PtySession) -> i32 {
    match p.process.wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("{other:?}"),
    }
}

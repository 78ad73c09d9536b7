//! A stdio server's process: started with its environment, watched until
//! it exits, always reaped, its stderr kept as a short scrubbed tail.
//!
//! One task per process owns the [`Child`]: it waits for the exit (so a
//! crash is reaped at once and its status recorded) or, when told to stop
//! or when the handle is dropped, kills and waits. If the runtime itself
//! goes away first, `kill_on_drop` kills the child and tokio's orphan
//! reaper collects it.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{McpServerConfig, StdioServer};
use crate::error::McpError;

/// How many stderr lines a status keeps.
const TAIL_LINES: usize = 20;
/// How long a kept stderr line may be, in bytes.
const TAIL_LINE_MAX: usize = 400;

/// The last lines a process wrote to stderr, secrets replaced.
#[derive(Debug, Default)]
pub(crate) struct StderrTail {
    lines: VecDeque<String>,
}

impl StderrTail {
    fn push(&mut self, line: &str, secrets: &[String]) {
        let mut line = scrub(line.trim_end_matches('\r'), secrets);
        if line.len() > TAIL_LINE_MAX {
            let mut cut = TAIL_LINE_MAX;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        if self.lines.len() == TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }
}

/// `text` with every secret value replaced by `[redacted]`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if !s.is_empty() && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out
}

/// A running (or exited) server process.
pub(crate) struct StdioProcess {
    /// Tells the owner task to kill; dropping it does too.
    stop: Option<oneshot::Sender<()>>,
    /// `None` while running; how it ended, once it has.
    exit: watch::Receiver<Option<String>>,
    owner: Option<JoinHandle<()>>,
    pub(crate) stderr: Arc<Mutex<StderrTail>>,
    pub(crate) pid: Option<u32>,
}

impl StdioProcess {
    /// Starts the server's program. Its stdin and stdout are the MCP
    /// transport; stderr is read into the tail (and logged at debug).
    pub(crate) fn spawn(
        config: &McpServerConfig,
        server: &StdioServer,
        secrets: Vec<String>,
    ) -> Result<(StdioProcess, ChildStdout, ChildStdin), McpError> {
        let mut cmd = Command::new(&server.command);
        cmd.args(&server.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in &server.env {
            let value = value.resolve().map_err(|var| McpError::MissingEnv {
                server: config.name.clone(),
                field: format!("env.{key}"),
                var,
            })?;
            cmd.env(key, value.expose());
        }
        if let Some(dir) = &server.cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn().map_err(|e| McpError::Start {
            server: config.name.clone(),
            reason: format!("cannot run {:?}: {e}", server.command),
        })?;
        let pid = child.id();
        let (Some(stdout), Some(stdin), Some(stderr)) =
            (child.stdout.take(), child.stdin.take(), child.stderr.take())
        else {
            // Cannot happen with three pipes asked for; still, never leave
            // the child behind.
            let _ = child.start_kill();
            return Err(McpError::Start {
                server: config.name.clone(),
                reason: "its standard streams could not be connected".into(),
            });
        };
        let tail = Arc::new(Mutex::new(StderrTail::default()));
        tokio::spawn(read_stderr(
            stderr,
            Arc::clone(&tail),
            secrets,
            config.name.clone(),
        ));
        let (stop_tx, stop_rx) = oneshot::channel();
        let (exit_tx, exit_rx) = watch::channel(None);
        let owner = tokio::spawn(own(child, stop_rx, exit_tx, config.name.clone()));
        Ok((
            StdioProcess {
                stop: Some(stop_tx),
                exit: exit_rx,
                owner: Some(owner),
                stderr: tail,
                pid,
            },
            stdout,
            stdin,
        ))
    }

    /// How the process ended, if it has.
    pub(crate) fn exit(&self) -> Option<String> {
        self.exit.borrow().clone()
    }

    /// Waits up to `wait` for the process to end and says how it did.
    pub(crate) async fn wait_exit(&self, wait: Duration) -> Option<String> {
        let mut rx = self.exit.clone();
        let _ = tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await;
        self.exit()
    }

    /// The last stderr lines.
    pub(crate) fn stderr_tail(&self) -> Vec<String> {
        self.stderr.lock().map(|t| t.lines()).unwrap_or_default()
    }

    /// Kills the process (if it still runs) and waits until it is reaped.
    pub(crate) async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(owner) = self.owner.take() {
            let _ = owner.await;
        }
    }
}

impl Drop for StdioProcess {
    fn drop(&mut self) {
        // Dropping the sender wakes the owner task, which kills and reaps.
        self.stop.take();
    }
}

/// Owns the child until it has been reaped.
async fn own(
    mut child: Child,
    stop: oneshot::Receiver<()>,
    exit: watch::Sender<Option<String>>,
    server: String,
) {
    let how = tokio::select! {
        status = child.wait() => match status {
            Ok(status) => format!("the process exited ({status})"),
            Err(e) => format!("the process could not be waited for: {e}"),
        },
        // Told to stop, or the handle was dropped: either way, stop it.
        _ = stop => {
            match child.kill().await {
                Ok(()) => "the process was stopped".to_owned(),
                Err(e) => format!("the process could not be stopped: {e}"),
            }
        }
    };
    tracing::debug!(server = %server, "{how}");
    let _ = exit.send(Some(how));
}

/// Reads stderr to its end into the tail, a line at a time, never holding
/// more than one capped line.
async fn read_stderr(
    mut stderr: ChildStderr,
    tail: Arc<Mutex<StderrTail>>,
    secrets: Vec<String>,
    server: String,
) {
    let mut buf = [0u8; 4096];
    let mut line: Vec<u8> = Vec::new();
    let mut dropped = false;
    let flush = |line: &mut Vec<u8>, dropped: &mut bool| {
        let text = String::from_utf8_lossy(line);
        let text = if *dropped {
            format!("{text}…")
        } else {
            text.into_owned()
        };
        tracing::debug!(server = %server, stderr = %scrub(&text, &secrets));
        if let Ok(mut t) = tail.lock() {
            t.push(&text, &secrets);
        }
        line.clear();
        *dropped = false;
    };
    loop {
        let n = match stderr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                flush(&mut line, &mut dropped);
            } else if line.len() < TAIL_LINE_MAX * 2 {
                line.push(b);
            } else {
                dropped = true;
            }
        }
    }
    if !line.is_empty() {
        flush(&mut line, &mut dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines_scrubbed_and_capped() {
        let mut tail = StderrTail::default();
        let secrets = vec!["sk-planted-secret".to_owned()];
        for i in 0..30 {
            tail.push(&format!("line {i} token=sk-planted-secret"), &secrets);
        }
        tail.push(&"é".repeat(500), &secrets);
        let lines = tail.lines();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "line 11 token=[redacted]");
        assert!(lines.iter().all(|l| !l.contains("planted")));
        assert!(lines.last().unwrap().len() <= TAIL_LINE_MAX + '…'.len_utf8());
        assert!(lines.last().unwrap().ends_with('…'));
    }
}

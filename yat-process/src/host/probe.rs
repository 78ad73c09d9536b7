//! The handshake probe discovery runs on a plugin it has not seen (or that
//! changed): spawn, `hello`, `shutdown`, within a short timeout. No
//! settings are sent: a probe learns what the plugin declares, nothing
//! else.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::Command;

use super::stderr::{drain, Redactor, StderrTail};
use crate::protocol::{HostMessage, LineReader, PluginHello, PluginMessage, SUPPORTED_VERSIONS};

/// What a probe learnt: the plugin's hello, and that line as it was sent
/// (what discovery caches).
#[derive(Debug, Clone)]
pub struct Probed {
    /// The hello.
    pub hello: PluginHello,
    /// Its line, without the newline.
    pub line: String,
}

/// Runs `program args...` once for its hello. The error is the reason, in
/// words, with the end of the child's stderr. The child is always reaped:
/// asked to shut down, then killed after `grace` if it lingers.
pub async fn probe(
    program: &Path,
    args: &[String],
    timeout: Duration,
    grace: Duration,
) -> Result<Probed, String> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(super::credential_like) {
            cmd.env_remove(k);
        }
    }
    let mut child = super::spawn::spawn(&mut cmd)
        .await
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err("the child's pipes could not be opened".into());
    };
    let tail = StderrTail::default();
    let stderr_task = tokio::spawn(drain(
        stderr,
        tail.clone(),
        Redactor::default(),
        program.display().to_string(),
    ));
    let mut hello_line = Vec::new();
    let _ = HostMessage::hello().encode(&mut hello_line);
    let _ = stdin.write_all(&hello_line).await;
    let _ = stdin.flush().await;
    let mut reader = LineReader::new(BufReader::new(stdout));
    let outcome = match tokio::time::timeout(timeout, reader.next_line()).await {
        Err(_) => Err(format!("sent no hello within {timeout:?}")),
        Ok(Err(e)) => Err(format!("reading its stdout: {e}")),
        Ok(Ok(None)) => Err("exited before hello".to_owned()),
        Ok(Ok(Some(line))) => {
            let text = String::from_utf8_lossy(line).into_owned();
            match PluginMessage::decode(line) {
                Ok(PluginMessage::Hello(h)) if SUPPORTED_VERSIONS.contains(&h.protocol) => {
                    Ok(Probed {
                        hello: h,
                        line: text,
                    })
                }
                Ok(PluginMessage::Hello(h)) => Err(format!(
                    "the plugin chose protocol version {}, which this host does not speak (it offers {SUPPORTED_VERSIONS:?})",
                    h.protocol
                )),
                Ok(PluginMessage::Error { error, .. }) => Err(format!(
                    "the plugin refused the handshake ({}): {}",
                    error.kind.as_str(),
                    error.message
                )),
                Ok(_) => Err("the plugin answered hello with another message".to_owned()),
                Err(e) => Err(format!("the plugin wrote a line that is not protocol: {e}")),
            }
        }
    };
    let mut bye = Vec::new();
    let _ = HostMessage::Shutdown.encode(&mut bye);
    let _ = stdin.write_all(&bye).await;
    drop(stdin);
    let exited = match tokio::time::timeout(grace, child.wait()).await {
        Ok(s) => s.ok(),
        Err(_) => {
            let _ = child.start_kill();
            child.wait().await.ok()
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), stderr_task).await;
    outcome.map_err(|reason| {
        let mut reason = format!("{}: {reason}", program.display());
        if let Some(code) = exited.and_then(|s| s.code()).filter(|c| *c != 0) {
            reason.push_str(&format!(" (exit code {code})"));
        }
        let stderr = tail.text();
        let stderr = stderr.trim();
        if !stderr.is_empty() {
            let start = stderr
                .char_indices()
                .rev()
                .nth(511)
                .map(|(i, _)| i)
                .unwrap_or(0);
            reason.push_str(&format!("; its stderr ends with: {}", &stderr[start..]));
        }
        reason
    })
}

//! The three tasks of a running child: the only writer of its stdin, the
//! owner of the `Child` (exit, kill, shutdown, reaping) and the only
//! reader of its stdout (routing by request id).

use std::process::ExitStatus;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdout};
use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::conn::{excerpt, exit_words, Conn, Route};
use crate::protocol::{DecodeError, HostMessage, LineReader, PluginMessage};

/// The only writer of the child's stdin. Flushes when nothing else is
/// queued, so a burst of lines costs one flush. Ends, closing stdin, when
/// every sender is gone.
pub(super) async fn write_lines(
    stdin: tokio::process::ChildStdin,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let mut w = tokio::io::BufWriter::new(stdin);
    while let Some(line) = rx.recv().await {
        if w.write_all(&line).await.is_err() {
            break;
        }
        if rx.is_empty() && w.flush().await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}

/// Owns the child: reports its exit, kills it on request, and on shutdown
/// asks it to exit, gives it the grace, then kills. Always waits for it.
pub(super) async fn own_child(
    mut child: Child,
    out: mpsc::UnboundedSender<Vec<u8>>,
    kill: Arc<Notify>,
    shutdown: oneshot::Receiver<()>,
    exit: watch::Sender<Option<ExitStatus>>,
    grace: Duration,
) {
    let status = tokio::select! {
        // A kill asked for (a hung or broken child) goes first, even when
        // the last handle went at the same moment: no grace for those.
        biased;
        _ = kill.notified() => {
            let _ = child.start_kill();
            child.wait().await.ok()
        }
        s = child.wait() => s.ok(),
        _ = shutdown => {
            let mut line = Vec::new();
            if HostMessage::Shutdown.encode(&mut line).is_ok() {
                let _ = out.send(line);
            }
            // The last sender: the writer drains, then closes stdin (EOF
            // means shutdown too, for a plugin that missed the line).
            drop(out);
            match tokio::time::timeout(grace, child.wait()).await {
                Ok(s) => s.ok(),
                Err(_) => {
                    let _ = child.start_kill();
                    child.wait().await.ok()
                }
            }
        }
    };
    let _ = exit.send(status);
}

/// The only reader of the child's stdout: routes messages until the end,
/// then reports the death.
pub(super) async fn read_messages(
    conn: Weak<Conn>,
    mut reader: LineReader<BufReader<ChildStdout>>,
    mut exit: watch::Receiver<Option<ExitStatus>>,
    stderr_done: tokio::task::JoinHandle<()>,
) {
    loop {
        let next = reader.next_line().await;
        let Some(c) = conn.upgrade() else {
            // Nobody holds the connection: the owner task shuts it down.
            return;
        };
        let line = match next {
            Ok(Some(line)) => line,
            Ok(None) => {
                if !c.alive() {
                    return;
                }
                let how = exit_words(&mut exit).await;
                let _ = tokio::time::timeout(Duration::from_secs(1), stderr_done).await;
                c.die(format!("{} {how}", c.program.display()), None);
                return;
            }
            Err(e) => {
                c.die(format!("the plugin broke the protocol: {e}"), None);
                return;
            }
        };
        let msg = match PluginMessage::decode(line) {
            Ok(m) => m,
            Err(DecodeError::UnknownOp { op, .. }) => {
                tracing::debug!(provider = %c.provider, %op, "ignoring a message of an unknown op");
                continue;
            }
            Err(e) => {
                let garbage = excerpt(line);
                c.die(
                    format!("the plugin wrote a line that is not protocol: {e}"),
                    Some(garbage),
                );
                return;
            }
        };
        match &msg {
            PluginMessage::Error { id: None, error } => {
                let why = c.redactor.redact(&error.message);
                c.die(
                    format!(
                        "the plugin reported a fatal error ({}): {why}",
                        error.kind.as_str()
                    ),
                    None,
                );
                return;
            }
            PluginMessage::Hello(_) => continue,
            _ => {}
        }
        route(&c, msg).await;
    }
}

/// Hands `msg` to its request, waiting at most the stall limit for room.
async fn route(c: &Arc<Conn>, msg: PluginMessage) {
    let Some(id) = msg.id().map(str::to_owned) else {
        return;
    };
    let terminator = msg.is_terminator();
    let target = {
        let mut routes = c.lock_routes();
        if terminator {
            routes.remove(&id)
        } else {
            routes.get(&id).map(|r| Route {
                tx: r.tx.clone(),
                stalled: r.stalled.clone(),
            })
        }
    };
    // A message for a request the host forgot (cancelled) is late: dropped.
    let Some(route) = target else { return };
    if terminator && !matches!(msg, PluginMessage::Error { .. }) {
        (c.on_served)();
    }
    match tokio::time::timeout(c.options.consumer_stall, route.tx.send(msg)).await {
        Ok(_) => {}
        Err(_) => {
            // The consumer took no event for the whole limit: give up on
            // its chat rather than stall every other one behind it.
            route.stalled.store(true, Ordering::SeqCst);
            tracing::warn!(provider = %c.provider, id = %id, "a chat's consumer stalled; cancelling it");
            c.cancel(&id);
        }
    }
}

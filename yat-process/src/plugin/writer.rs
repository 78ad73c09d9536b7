//! The one writer of the plugin's stdout: messages from every task, one
//! line each, written in bursts.

use std::collections::HashSet;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::protocol::{CodecError, ErrorKind, ErrorObject, PluginMessage};

/// How many bytes of ready messages go out in one write: enough to batch a
/// fast stream, little enough that the host sees the first ones soon.
const BURST_BYTES: usize = 64 * 1024;

/// Writes every message sent on `rx` to `out` until all senders are gone.
///
/// Each message is serialized once into a buffer reused for the whole
/// session; the messages already waiting are appended to the same buffer
/// and the burst goes out in one write and one flush. A message too large
/// for a line is replaced by an `internal` error for its request, and
/// later messages of that request are dropped, so the host sees a
/// terminator rather than a line it would refuse.
pub(super) async fn run<W: AsyncWrite + Unpin>(
    mut rx: mpsc::Receiver<PluginMessage>,
    mut out: W,
) -> Result<(), CodecError> {
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut failed: HashSet<String> = HashSet::new();
    while let Some(msg) = rx.recv().await {
        buf.clear();
        push(&mut buf, msg, &mut failed);
        while buf.len() < BURST_BYTES {
            match rx.try_recv() {
                Ok(msg) => push(&mut buf, msg, &mut failed),
                Err(_) => break,
            }
        }
        if !buf.is_empty() {
            out.write_all(&buf).await?;
            out.flush().await?;
        }
    }
    Ok(())
}

fn push(buf: &mut Vec<u8>, msg: PluginMessage, failed: &mut HashSet<String>) {
    if !failed.is_empty() {
        if let Some(id) = msg.id().filter(|id| failed.contains(*id)) {
            if msg.is_terminator() {
                failed.remove(id);
            }
            return;
        }
    }
    if let Err(e) = msg.encode(buf) {
        tracing::error!(error = %e, "a message could not be sent");
        if let Some(id) = msg.id() {
            if !msg.is_terminator() {
                failed.insert(id.to_owned());
            }
            let error = ErrorObject::new(
                ErrorKind::Internal,
                format!("the plugin could not send a message: {e}"),
            );
            // A short message of known fields: it encodes.
            let _ = PluginMessage::Error {
                id: Some(id.to_owned()),
                error,
            }
            .encode(buf);
        }
    }
}

//! The request tasks: a chat streamed event by event, and a model list.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::{FutureExt as _, StreamExt as _};
use tokio::sync::oneshot;
use yat_core::{ChatRequest, YatError};

use super::session::Shared;
use crate::protocol::PluginMessage;

/// Streams one chat: every event as it comes, then exactly one terminator
/// (`end`, the provider's error, `cancelled`, or `internal` for a panic).
/// A cancel drops the stream, which cancels the provider's request.
pub(super) async fn run(
    shared: Arc<Shared>,
    id: String,
    request: Box<ChatRequest>,
    mut cancel: oneshot::Receiver<()>,
) {
    let cancelled = |shared: &Shared| {
        shared.wire_error(&YatError::Cancelled {
            provider: shared.meta.id.clone(),
        })
    };
    let started = match shared.provider() {
        Err(e) => Err(e),
        Ok(provider) => {
            tokio::select! {
                biased;
                _ = &mut cancel => Err(cancelled(&shared)),
                started = AssertUnwindSafe(provider.stream_chat(&request)).catch_unwind() => match started {
                    Ok(Ok(stream)) => Ok(stream),
                    Ok(Err(e)) => Err(shared.wire_error(&e)),
                    Err(panic) => Err(shared.panic_error(panic.as_ref())),
                },
            }
        }
    };
    let outcome = match started {
        Err(e) => Err(e),
        Ok(mut stream) => loop {
            let next = tokio::select! {
                biased;
                _ = &mut cancel => break Err(cancelled(&shared)),
                next = AssertUnwindSafe(stream.next()).catch_unwind() => next,
            };
            match next {
                Ok(Some(Ok(event))) => {
                    let msg = PluginMessage::Event {
                        id: id.clone(),
                        event,
                    };
                    if shared.out.send(msg).await.is_err() {
                        return; // the writer is gone: nobody to tell
                    }
                }
                Ok(Some(Err(e))) => break Err(shared.wire_error(&e)),
                Ok(None) => break Ok(()),
                Err(panic) => break Err(shared.panic_error(panic.as_ref())),
            }
        },
    };
    // Whoever forgets the chat first sends its terminator; a cancel that
    // arrives now finds nothing and sends nothing.
    shared.forget_chat(&id);
    let terminator = match outcome {
        Ok(()) => PluginMessage::End { id },
        Err(error) => PluginMessage::Error {
            id: Some(id),
            error,
        },
    };
    let _ = shared.out.send(terminator).await;
}

/// Answers `list_models`.
pub(super) async fn list_models(shared: Arc<Shared>, id: String) {
    let answer = match shared.provider() {
        Err(e) => Err(e),
        Ok(provider) => match AssertUnwindSafe(provider.list_models())
            .catch_unwind()
            .await
        {
            Ok(Ok(models)) => Ok(models),
            Ok(Err(e)) => Err(shared.wire_error(&e)),
            Err(panic) => Err(shared.panic_error(panic.as_ref())),
        },
    };
    let msg = match answer {
        Ok(models) => PluginMessage::Result {
            id,
            models: Some(models),
        },
        Err(error) => PluginMessage::Error {
            id: Some(id),
            error,
        },
    };
    let _ = shared.out.send(msg).await;
}

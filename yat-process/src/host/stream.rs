//! A request's side of the routing: waiting for one answer, and a chat's
//! events as a stream that cancels its chat when dropped.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use yat_core::{ChatEvent, YatError};

use super::conn::{Conn, Registered};
use super::unexpected;
use crate::protocol::PluginMessage;

/// Waits for a request's one answer (`result` or `error`), within the
/// first-message limit.
pub(super) async fn request(
    conn: &Arc<Conn>,
    mut reg: Registered,
    what: &str,
) -> Result<PluginMessage, YatError> {
    let limit = conn.options.first_message;
    match tokio::time::timeout(limit, reg.rx.recv()).await {
        Err(_) => Err(conn.hung(what, limit)),
        Ok(None) => Err(closed_error(conn, &reg)),
        Ok(Some(PluginMessage::Error { error, .. })) => Err(conn.plugin_error(error)),
        Ok(Some(m)) => Ok(m),
    }
}

/// Why a request's channel ended without a terminator.
fn closed_error(conn: &Conn, reg: &Registered) -> YatError {
    if reg.stalled.load(Ordering::SeqCst) {
        return YatError::Unavailable {
            provider: conn.provider.clone(),
            reason: format!(
                "this chat's events were not read for {:?}; it was cancelled so that the plugin's other chats keep flowing",
                conn.options.consumer_stall
            ),
        };
    }
    conn.death_error().unwrap_or_else(|| YatError::Unavailable {
        provider: conn.provider.clone(),
        reason: "the plugin ended the request without an answer".into(),
    })
}

/// A chat's events as the reader routes them; dropping it cancels the chat.
pub(super) struct PluginStream {
    pub(super) conn: Arc<Conn>,
    pub(super) reg: Registered,
    /// Until the first message: when the child counts as hung.
    pub(super) first: Option<Pin<Box<tokio::time::Sleep>>>,
    pub(super) done: bool,
}

impl Stream for PluginStream {
    type Item = Result<ChatEvent, YatError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.reg.rx.poll_recv(cx) {
            Poll::Ready(Some(msg)) => {
                this.first = None;
                match msg {
                    PluginMessage::Event { event, .. } => Poll::Ready(Some(Ok(event))),
                    PluginMessage::End { .. } => {
                        this.done = true;
                        Poll::Ready(None)
                    }
                    PluginMessage::Error { error, .. } => {
                        this.done = true;
                        Poll::Ready(Some(Err(this.conn.plugin_error(error))))
                    }
                    other => {
                        this.done = true;
                        Poll::Ready(Some(Err(unexpected(&this.conn.provider, &other))))
                    }
                }
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(Some(Err(closed_error(&this.conn, &this.reg))))
            }
            Poll::Pending => {
                if let Some(sleep) = this.first.as_mut() {
                    if sleep.as_mut().poll(cx).is_ready() {
                        this.done = true;
                        this.first = None;
                        let limit = this.conn.options.first_message;
                        return Poll::Ready(Some(Err(this
                            .conn
                            .hung("a chat's first event", limit))));
                    }
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for PluginStream {
    fn drop(&mut self) {
        if !self.done {
            self.conn.cancel(&self.reg.id);
        }
    }
}

//! The one stream the manager wraps around a provider's: it keeps the
//! instance alive, turns a panic into an error item, and replays the events
//! read before the reply was handed out (see [`crate::retry::is_output`]).
//!
//! Guard and replay are one type so that a reply passes through exactly
//! two boxed streams: the provider's and this one.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use futures::Stream;

use super::panic_message;
use super::slots::{mark_failed, Inner};
use crate::provider::LlmProvider;
use crate::retry::is_output;
use crate::stream::ChatStream;
use crate::types::ChatEvent;
use crate::YatError;

pub(super) struct GuardedStream {
    /// Read before the caller saw the stream; handed out first.
    primed: VecDeque<ChatEvent>,
    inner: Option<ChatStream>,
    _instance: Arc<dyn LlmProvider>,
    provider: Arc<str>,
    generation: u64,
    manager: Weak<Inner>,
}

impl GuardedStream {
    pub(super) fn new(
        inner: ChatStream,
        instance: Arc<dyn LlmProvider>,
        provider: Arc<str>,
        generation: u64,
        manager: Weak<Inner>,
    ) -> Self {
        GuardedStream {
            primed: VecDeque::new(),
            inner: Some(inner),
            _instance: instance,
            provider,
            generation,
            manager,
        }
    }

    /// Reads until the first output (kept, with the usage before it, for
    /// replay), the end, or an error (returned: nothing has reached the
    /// caller, so the request may be retried or another model tried).
    pub(super) async fn read_to_first_output(&mut self) -> Result<(), YatError> {
        loop {
            match futures::future::poll_fn(|cx| self.poll_guarded(cx)).await {
                Some(Ok(event)) => {
                    let output = is_output(&event);
                    self.primed.push_back(event);
                    if output {
                        return Ok(());
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    }

    /// Polls the provider's stream, catching a panic.
    fn poll_guarded(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<ChatEvent, YatError>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll_next(cx))) {
            Ok(Poll::Ready(None)) => {
                self.release();
                Poll::Ready(None)
            }
            Ok(other) => other,
            Err(payload) => {
                // The panicked stream may be in any state: never poll it again.
                self.release();
                let e = self.panicked(&*payload);
                Poll::Ready(Some(Err(e)))
            }
        }
    }

    fn panicked(&self, payload: &(dyn std::any::Any + Send)) -> YatError {
        let e = YatError::ProviderPanicked {
            provider: self.provider.to_string(),
            message: panic_message(payload),
        };
        if let Some(m) = self.manager.upgrade() {
            mark_failed(&m, &self.provider, self.generation, e.to_string());
        }
        e
    }

    /// Drops the provider's stream. That runs provider code (it is how a
    /// request is cancelled), so a panic there is caught like any other
    /// and marks the provider failed instead of reaching the caller.
    fn release(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(move || drop(inner))) {
            self.panicked(&*payload);
        }
    }
}

impl Stream for GuardedStream {
    type Item = Result<ChatEvent, YatError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(event) = self.primed.pop_front() {
            return Poll::Ready(Some(Ok(event)));
        }
        self.poll_guarded(cx)
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.release();
    }
}

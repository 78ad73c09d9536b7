//! Hands items from a future to the stream that polls it, one at a time.
//!
//! The tool loop is easiest to read as straight-line async code, yet it must
//! be a `Stream` that hands each event over as it happens. The loop's future
//! puts an item in a one-item slot and suspends; the stream, which polls that
//! future, takes the item out and yields it; the next poll resumes the
//! future. Nothing is buffered and nothing runs unless the caller polls, so
//! the loop proceeds at the consumer's pace and dropping the stream drops
//! the future with everything it owns. No task is spawned: no runtime is
//! needed.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

/// The slot shared by the producing future and the consuming stream.
#[derive(Debug)]
pub(crate) struct Handoff<T> {
    slot: Mutex<Option<T>>,
}

impl<T> Handoff<T> {
    pub(crate) fn new() -> Self {
        Handoff {
            slot: Mutex::new(None),
        }
    }

    /// Puts `item` in the slot; resolves once the consumer has taken it
    /// (that is, on the next poll after the one that put it there).
    pub(crate) fn send(&self, item: T) -> Send<'_, T> {
        Send {
            handoff: self,
            item: Some(item),
        }
    }

    /// Takes the item the producer left, if any.
    pub(crate) fn take(&self) -> Option<T> {
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// The future of [`Handoff::send`].
pub(crate) struct Send<'h, T> {
    handoff: &'h Handoff<T>,
    item: Option<T>,
}

impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        match self.item.take() {
            Some(item) => {
                *self
                    .handoff
                    .slot
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(item);
                // No waker is registered: the stream that polled us finds the
                // item as soon as this poll returns, yields it, and polls
                // again when its caller asks for the next item.
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::task::noop_waker_ref;

    #[test]
    fn an_item_is_taken_between_two_polls() {
        let h = Handoff::new();
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut fut = Box::pin(async {
            h.send(1).await;
            h.send(2).await;
            "done"
        });
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(h.take(), Some(1));
        assert_eq!(h.take(), None);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(h.take(), Some(2));
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready("done"));
    }
}

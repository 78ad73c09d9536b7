//! The network half of a running stream: the response body, the idle
//! timeout and the scrubbing of errors around a [`DecodeDriver`], which does
//! all the decoding.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use yat_core::{ChatEvent, Secret, TimeoutPhase, YatError};

use crate::driver::{DecodeDriver, StreamDecoder};
use crate::framing::Framing;
use crate::redact::redact_error;
use crate::transport::root_cause;

/// A response body as the network delivers it.
type BodyStream = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// A running stream: the body, and the driver decoding it.
///
/// It is a hand-written [`Stream`]: an event already decoded is returned
/// straight from the driver's queue, with no future built or moved per
/// event, and the body is read (under the idle timeout) only when
/// everything already received has been decoded.
pub(crate) struct LiveStream {
    provider: Arc<str>,
    idle: Duration,
    body: BodyStream,
    /// The idle timeout, created on the first wait and re-armed at the
    /// start of each later one (not per read: most reads are ready).
    idle_timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The body returned `Pending` and nothing arrived since: the idle
    /// timer is running.
    waiting: bool,
    driver: DecodeDriver,
    /// Scrubbed from the errors the stream yields.
    secret: Option<Arc<Secret>>,
}

impl LiveStream {
    /// A stream of `resp`'s body, framed as `framing`, through `decoder`,
    /// for `provider`.
    pub(crate) fn new(
        provider: Arc<str>,
        idle: Duration,
        resp: reqwest::Response,
        framing: Framing,
        decoder: Box<dyn StreamDecoder>,
    ) -> Self {
        LiveStream {
            driver: DecodeDriver::with_framing(provider.clone(), framing, decoder),
            provider,
            idle,
            body: Box::pin(resp.bytes_stream()),
            idle_timer: None,
            waiting: false,
            secret: None,
        }
    }

    /// Scrubs `secret` from the errors the stream yields from now on.
    pub(crate) fn redacting(mut self, secret: Option<Arc<Secret>>) -> Self {
        self.secret = secret;
        self
    }

    /// Reads the body once, handing what arrived (or its end) to the
    /// driver. Ready after a read; an error is the connection's or the idle
    /// timeout's.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), YatError>> {
        match self.body.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                self.waiting = false;
                self.driver.feed_bytes(bytes);
            }
            Poll::Ready(Some(Err(e))) => {
                let e = e.without_url();
                let message = format!("connection lost mid-stream: {}", root_cause(&e));
                return Poll::Ready(Err(
                    YatError::network(&*self.provider, message).with_source(e)
                ));
            }
            Poll::Ready(None) => {
                self.waiting = false;
                self.driver.end();
            }
            Poll::Pending => {
                let deadline = tokio::time::Instant::now() + self.idle;
                let timer = match &mut self.idle_timer {
                    Some(timer) => {
                        if !self.waiting {
                            timer.as_mut().reset(deadline);
                        }
                        timer
                    }
                    None => self
                        .idle_timer
                        .insert(Box::pin(tokio::time::sleep_until(deadline))),
                };
                self.waiting = true;
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(YatError::Timeout {
                        provider: self.provider.to_string(),
                        phase: TimeoutPhase::Idle,
                        after: self.idle,
                    }));
                }
                return Poll::Pending;
            }
        }
        Poll::Ready(Ok(()))
    }

    fn scrub(&self, e: YatError) -> YatError {
        match &self.secret {
            Some(s) => redact_error(e, s),
            None => e,
        }
    }
}

impl Stream for LiveStream {
    type Item = Result<ChatEvent, YatError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.driver.next_event() {
                Some(Ok(ev)) => return Poll::Ready(Some(Ok(ev))),
                Some(Err(e)) => return Poll::Ready(Some(Err(this.scrub(e)))),
                None if this.driver.ending().is_some() => return Poll::Ready(None),
                None => {}
            }
            match this.poll_read(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => {
                    this.driver.fail();
                    return Poll::Ready(Some(Err(this.scrub(e))));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

//! A streamed reply's body: the upstream's events through the format's
//! encoder, as they arrive.
//!
//! Whatever events are ready when the body is polled go out in one write
//! (a fast upstream's chunks share a syscall; a slow one's each go at
//! once); a silent upstream gets a keep-alive frame now and then. Dropping
//! the body — the client went away, or its writes timed out — drops the
//! upstream stream, which cancels the upstream request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use tokio::time::{Instant, Sleep};
use yat_core::{ChatEvent, ChatStream};

use crate::api_error::ApiError;
use crate::dialect::Encoder;
use crate::exchange::{Ending, Exchange};
use crate::gateway::StreamSlot;

/// Stop gathering ready events into one write past this many bytes.
const BATCH_BYTES: usize = 16 * 1024;

pub(crate) struct ReplyStream<E> {
    upstream: ChatStream,
    encoder: E,
    exchange: Exchange,
    _slot: StreamSlot,
    started: bool,
    done: bool,
    keepalive_every: Duration,
    last_write: Instant,
    keepalive: Pin<Box<Sleep>>,
}

impl<E: Encoder> ReplyStream<E> {
    pub(crate) fn new(
        upstream: ChatStream,
        encoder: E,
        exchange: Exchange,
        slot: StreamSlot,
        keepalive_every: Duration,
    ) -> Self {
        let now = Instant::now();
        ReplyStream {
            upstream,
            encoder,
            exchange,
            _slot: slot,
            started: false,
            done: false,
            keepalive_every,
            last_write: now,
            keepalive: Box::pin(tokio::time::sleep_until(now + keepalive_every)),
        }
    }
}

impl<E: Encoder + Unpin> Stream for ReplyStream<E> {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        let mut out = Vec::new();
        if !this.started {
            this.started = true;
            this.encoder.start(&mut out);
        }
        while out.len() < BATCH_BYTES {
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(event))) => {
                    if let ChatEvent::Usage(u) = &event {
                        this.exchange.usage(*u);
                    }
                    this.encoder.event(&event, &mut out);
                }
                Poll::Ready(Some(Err(e))) => {
                    let error = ApiError::from_yat(&e);
                    this.encoder.error(&error, &mut out);
                    this.exchange.failed(&error, false);
                    this.done = true;
                    break;
                }
                Poll::Ready(None) => {
                    this.encoder.end(&mut out);
                    this.exchange.ending = Ending::Completed;
                    this.done = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        if out.is_empty() {
            // Nothing from upstream: wait for it or for the keep-alive.
            loop {
                if this.keepalive.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let due = this.last_write + this.keepalive_every;
                if Instant::now() >= due {
                    this.encoder.keepalive(&mut out);
                    let next = Instant::now() + this.keepalive_every;
                    this.keepalive.as_mut().reset(next);
                    this.last_write = Instant::now();
                    break;
                }
                // Output went out since the timer was set: wait the rest.
                this.keepalive.as_mut().reset(due);
            }
        } else {
            this.last_write = Instant::now();
        }
        if this.done {
            this.exchange.finish();
        }
        Poll::Ready(Some(Ok(Bytes::from(out))))
    }
}

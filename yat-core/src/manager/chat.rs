//! The chat path: every request to every provider passes here, so the
//! "before the first output" policy lives here once. Start the provider's
//! stream, read to the first output, retry what failed before it with
//! backoff ([`RetryPolicy`](crate::retry::RetryPolicy)), then hand back a
//! stream that replays what was read. Falling back to another model is the
//! router's next step ([`crate::routing::stream_with_fallback`]).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;

use super::guarded_stream::GuardedStream;
use super::panic_message;
use super::slots::Live;
use super::ProviderManager;
use crate::stream::ChatStream;
use crate::types::{ChatRequest, ModelRef};
use crate::YatError;

impl ProviderManager {
    /// Starts a chat on provider `id` and returns once it has produced its
    /// first output (see [`crate::retry::is_output`]) or ended.
    ///
    /// A request that needs a capability the provider does not claim (tools,
    /// images, a JSON schema, ...) fails with [`YatError::Unsupported`]
    /// before the provider sees it.
    ///
    /// A failure before the first output is retried when it
    /// [is retryable](YatError::is_retryable), with backoff, by the
    /// builder's [`RetryPolicy`](crate::retry::RetryPolicy) and the
    /// provider's `max_retries` setting; when retries are used up its error
    /// is returned here. Dropping the future cancels the attempt or the
    /// wait. After the first output nothing is retried: later errors are
    /// the stream's items. The events read to decide are replayed, so the
    /// caller sees every event once, in order.
    ///
    /// The stream keeps the instance it started on alive, so a reload while
    /// it runs does not disturb it. A panic while creating the stream, or
    /// inside it, becomes a [`YatError::ProviderPanicked`] (as the error, or
    /// as the stream's last item) and marks the provider failed.
    ///
    /// Backoff waits on tokio's timer: the runtime needs it enabled (as
    /// for any HTTP provider).
    pub async fn stream_chat(
        &self,
        id: &str,
        request: &ChatRequest,
    ) -> Result<ChatStream, YatError> {
        let live = self.live(id)?;
        live.provider.capabilities().check(id, request)?;
        let provider: Arc<str> = id.into();
        let start = tokio::time::Instant::now();
        let mut retry = 0;
        loop {
            let error = match self.attempt(&provider, &live, request).await {
                Ok(stream) => return Ok(Box::pin(stream)),
                Err(e) => e,
            };
            let Some(wait) = live.retry.delay(retry, &error, start.elapsed()) else {
                return Err(error);
            };
            tracing::debug!(provider = id, %error, ?wait, retry, "failed before any output; retrying");
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    /// Starts a chat on the model `target` names; `request.model` is replaced
    /// by the model part of `target`. The same path as [`stream_chat`](Self::stream_chat),
    /// retries included.
    pub async fn chat(
        &self,
        target: &ModelRef,
        mut request: ChatRequest,
    ) -> Result<ChatStream, YatError> {
        request.model.clone_from(&target.model);
        self.stream_chat(&target.provider, &request).await
    }

    /// One try: the provider's stream, read to its first output.
    async fn attempt(
        &self,
        provider: &Arc<str>,
        live: &Live,
        request: &ChatRequest,
    ) -> Result<GuardedStream, YatError> {
        let started = AssertUnwindSafe(live.provider.stream_chat(request))
            .catch_unwind()
            .await;
        let inner = match started {
            Ok(Ok(inner)) => inner,
            Ok(Err(e)) => return Err(e),
            Err(payload) => {
                let e = YatError::ProviderPanicked {
                    provider: provider.to_string(),
                    message: panic_message(&*payload),
                };
                self.mark_failed(provider, live.generation, e.to_string());
                return Err(e);
            }
        };
        let mut stream = GuardedStream::new(
            inner,
            live.provider.clone(),
            provider.clone(),
            live.generation,
            Arc::downgrade(&self.inner),
        );
        stream.read_to_first_output().await?;
        Ok(stream)
    }
}

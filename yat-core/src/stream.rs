//! The chat event stream and its adapters.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{self, Stream, StreamExt};

use crate::types::{ChatEvent, ChatResponse, Finish, FinishReason, ResponseBuilder};
use crate::YatError;

/// A running chat: deltas, then usage and the finish. Dropping it cancels
/// the request.
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<ChatEvent, YatError>> + Send + 'static>>;

/// A finished stream of the given text pieces (each a delta), then a `Stop`
/// finish. Handy for tests and for simple providers.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use yat_core::stream::{from_text, ChatStreamExt};
/// let r = from_text("demo", vec!["Hel".into(), "lo".into()]).collect_response().await.unwrap();
/// assert_eq!(r.text(), "Hello");
/// # }
/// ```
pub fn from_text(_provider: &str, pieces: Vec<String>) -> ChatStream {
    let events = pieces
        .into_iter()
        .map(|text| Ok(ChatEvent::Delta { text }))
        .chain(std::iter::once(Ok(ChatEvent::Finish(Finish::reason(
            FinishReason::Stop,
        )))));
    Box::pin(stream::iter(events))
}

/// Collects a stream into a [`ChatResponse`]; the first error is returned.
///
/// A stream that ends without a finish event is returned with `finish: None`
/// so the caller can tell a complete reply from a cut one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use yat_core::stream::{collect, from_text};
/// let reply = collect(from_text("demo", vec!["a".into(), "b".into()])).await.unwrap();
/// assert_eq!(reply.text(), "ab");
/// assert!(reply.finish.is_some());
/// # }
/// ```
pub async fn collect<S>(mut s: S) -> Result<ChatResponse, YatError>
where
    S: Stream<Item = Result<ChatEvent, YatError>> + Unpin,
{
    let mut out = ResponseBuilder::default();
    while let Some(ev) = s.next().await {
        out.push(ev?);
    }
    Ok(out.finish())
}

/// Adapters on any chat event stream.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use futures::StreamExt;
/// use yat_core::stream::{from_text, ChatStreamExt};
///
/// // The whole reply ...
/// let reply = from_text("demo", vec!["Hel".into(), "lo".into()]).collect_response().await?;
/// assert_eq!(reply.text(), "Hello");
///
/// // ... or only the text, piece by piece.
/// let mut text = from_text("demo", vec!["Hel".into(), "lo".into()]).text();
/// while let Some(piece) = text.next().await {
///     print!("{}", piece?);
/// }
/// # Ok(()) }
/// ```
pub trait ChatStreamExt: Stream<Item = Result<ChatEvent, YatError>> + Sized {
    /// Only the text: a stream of deltas' strings; usage and finish dropped,
    /// errors kept.
    fn text(self) -> TextStream<Self> {
        TextStream { inner: self }
    }

    /// Collects the whole reply.
    fn collect_response(self) -> impl std::future::Future<Output = Result<ChatResponse, YatError>>
    where
        Self: Unpin,
    {
        collect(self)
    }
}

impl<S: Stream<Item = Result<ChatEvent, YatError>> + Sized> ChatStreamExt for S {}

/// The plain-text view of a chat stream; see [`ChatStreamExt::text`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use futures::StreamExt;
/// use yat_core::stream::{from_text, ChatStreamExt};
/// let pieces: Vec<String> = from_text("demo", vec!["a".into(), "b".into()])
///     .text()
///     .map(|r| r.unwrap())
///     .collect()
///     .await;
/// assert_eq!(pieces, ["a", "b"]); // the finish event is not text
/// # }
/// ```
#[derive(Debug)]
pub struct TextStream<S> {
    inner: S,
}

impl<S> Stream for TextStream<S>
where
    S: Stream<Item = Result<ChatEvent, YatError>> + Unpin,
{
    type Item = Result<String, YatError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(ChatEvent::Delta { text }))) => {
                    return Poll::Ready(Some(Ok(text)))
                }
                Poll::Ready(Some(Ok(_))) => continue,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Usage;

    #[tokio::test]
    async fn text_drops_non_delta_events_and_keeps_errors() {
        let s = stream::iter(vec![
            Ok(ChatEvent::Delta { text: "a".into() }),
            Ok(ChatEvent::Usage(Usage::new(1, 2))),
            Err(YatError::Cancelled {
                provider: "p".into(),
            }),
        ]);
        let got: Vec<_> = s.text().collect().await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().unwrap(), "a");
        assert!(got[1].is_err());
    }

    #[tokio::test]
    async fn collect_keeps_usage_and_finish_and_reports_missing_finish() {
        let s = stream::iter(vec![
            Ok(ChatEvent::Usage(Usage::new(5, 0))),
            Ok(ChatEvent::Delta { text: "x".into() }),
            Ok(ChatEvent::Usage(Usage::new(5, 3))),
        ]);
        let r = collect(s).await.unwrap();
        assert_eq!(r.text(), "x");
        assert_eq!(r.usage.unwrap().output_tokens, 3);
        assert!(r.finish.is_none());
    }
}

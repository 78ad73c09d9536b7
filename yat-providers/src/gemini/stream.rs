//! `streamGenerateContent?alt=sse` → chat events.
//!
//! Each SSE event is one `data:` line holding a whole
//! `GenerateContentResponse`; there are no event names and no end marker:
//! the body simply ends after the chunk with the final `finishReason`.
//! Early models repeat `finishReason` on every chunk, so its presence does
//! not end the stream either. The finish and the last `usageMetadata` seen
//! are therefore held until the body ends, then emitted: usage, then the
//! finish.
//!
//! Without an end marker, a cut is told from a complete reply by what the
//! decoder saw last (the transport also reports a connection that breaks
//! inside the HTTP framing):
//!
//! - no `finishReason` at all: cut;
//! - content (text, a thought, a call) after the last `finishReason`: cut
//!   (a finish is only final when nothing follows it; early models put one
//!   on every chunk, including the last, so they pass);
//! - an event whose JSON stops short (the body ended inside it): cut.
//!
//! What cannot be told apart is an early model's stream cut exactly between
//! two events, since each of them carries a `finishReason`.
//!
//! Safety: a blocked prompt (`promptFeedback.blockReason`, no candidates) and
//! a reply withheld before any text (a safety-family `finishReason` with
//! nothing said) are [`YatError::ContentBlocked`]: the caller gets nothing
//! either way. A reply stopped for safety after some text ends normally with
//! [`FinishReason::ContentFilter`], the raw value kept.
//!
//! Content: text parts are [`ChatEvent::Delta`]s (consecutive ones of a
//! chunk joined), thought parts (`thought: true`, asked for with
//! `includeThoughts`) are [`ChatEvent::ReasoningDelta`]s, and a
//! `thoughtSignature` on either follows its part's text as a
//! [`ChatEvent::ReasoningSignature`] (in a stream it often comes alone, on
//! the last chunk, on a part of empty text). Function calls arrive whole,
//! several in a chunk, sometimes without an id, and go through
//! [`ToolCallAssembler::whole`](yat_core::assemble::ToolCallAssembler::whole)
//! with their signature. Any content after a `finishReason` makes it
//! provisional again, as text does. Parts of other kinds (`inlineData`,
//! `executableCode`, ...) are logged at debug level and skipped.
//!
//! Finish: Gemini says `STOP` when the model stops to have its calls run;
//! a reply that made calls and stopped so ends with
//! [`FinishReason::ToolCalls`] (the raw `STOP` kept), so a tool loop can
//! read the finish as for every other provider. Other reasons stand.
//!
//! Usage (`wire::UsageMetadata::to_usage`):
//! `input_tokens` is `promptTokenCount - cachedContentTokenCount +
//! toolUsePromptTokenCount`, the cached tokens in `cache_read_tokens`;
//! `output_tokens` is `candidatesTokenCount + thoughtsTokenCount`, the
//! thoughts in `reasoning_tokens`. Gemini counts a thinking model's
//! reasoning apart from the reply but bills both as output, which is what
//! every provider's output count means in yat; the counts add up to
//! Gemini's `totalTokenCount`. The reports are running totals, so the last
//! one is the reply's.

use std::collections::VecDeque;

use yat_core::assemble::ReplyState;
use yat_core::{ChatEvent, Failure, Finish, FinishReason, Usage, YatError};

use super::error::{parse_error, status_code};
use super::parts::ReplyPart;
use super::wire::Chunk;
use yat_http::{classify, SseEvent, Step, StreamDecoder};

/// Maps a `finishReason` to the normalised reason.
///
/// The safety and recitation family (including the image model's
/// `IMAGE_SAFETY`, `IMAGE_PROHIBITED_CONTENT` and `IMAGE_RECITATION`) means
/// content was withheld; `LANGUAGE`, `OTHER`, `MALFORMED_FUNCTION_CALL`,
/// tool-call limits, `FINISH_REASON_UNSPECIFIED` and anything newer are
/// [`FinishReason::Other`], with the raw value kept in [`Finish::raw`].
///
/// ```
/// use yat_core::FinishReason;
/// use yat_providers::gemini::stream::finish_reason;
/// assert_eq!(finish_reason("MAX_TOKENS"), FinishReason::Length);
/// assert_eq!(finish_reason("PROHIBITED_CONTENT"), FinishReason::ContentFilter);
/// assert_eq!(finish_reason("SOMETHING_NEW"), FinishReason::Other);
/// ```
pub fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

/// The decoder of one Gemini stream.
pub struct GeminiDecoder {
    reply: ReplyState,
    /// The latest `finishReason`, forgotten when content follows it; it
    /// goes to `reply` when the body ends.
    finish: Option<Finish>,
    /// `finishMessage` of that finish, when the API explained it.
    finish_message: Option<String>,
    /// The last `usageMetadata` seen. Held here, not merged report by
    /// report: an early report may lack the cached count that a later one
    /// subtracts from the input.
    usage: Option<Usage>,
    /// Whether any content (text, reasoning, a call) has been emitted.
    said_something: bool,
}

impl GeminiDecoder {
    /// A decoder for `provider`'s stream (`gemini`, or `google` for the alias).
    pub fn new(provider: &str) -> Self {
        GeminiDecoder {
            reply: ReplyState::new(provider),
            finish: None,
            finish_message: None,
            usage: None,
            said_something: false,
        }
    }

    fn provider(&self) -> &str {
        self.reply.provider()
    }

    fn in_stream_error(&self, data: &str) -> YatError {
        let body = parse_error(data.as_bytes());
        let status = status_code(data.as_bytes())
            .filter(|s| (400..600).contains(s))
            .unwrap_or(500);
        classify(
            self.provider(),
            status,
            &Default::default(),
            data.as_bytes(),
            body,
        )
    }

    fn cut(&mut self, why: &str) -> YatError {
        match self.reply.cut(&mut VecDeque::new(), why) {
            Err(e) => e,
            // Unreachable: the finish goes to `reply` only at the end.
            Ok(()) => self.reply.malformed(why.to_owned(), b""),
        }
    }

    /// Content arrived: a finish before it was not the last word.
    fn content(&mut self) {
        self.finish = None;
        self.finish_message = None;
        self.said_something = true;
    }

    fn parts<'a>(
        &mut self,
        parts: impl IntoIterator<Item = ReplyPart<'a>>,
        out: &mut VecDeque<ChatEvent>,
    ) {
        // Consecutive text parts of a chunk make one delta.
        let mut text: Option<String> = None;
        let flush = |text: &mut Option<String>, out: &mut VecDeque<ChatEvent>| {
            if let Some(text) = text.take() {
                out.push_back(ChatEvent::Delta { text });
            }
        };
        for part in parts {
            match part {
                ReplyPart::Text {
                    text: t,
                    thought,
                    signature,
                } => {
                    if !t.is_empty() {
                        self.content();
                        if thought {
                            flush(&mut text, out);
                            out.push_back(ChatEvent::ReasoningDelta {
                                text: t.into_string(),
                            });
                        } else {
                            match &mut text {
                                Some(joined) => joined.push_str(&t),
                                None => text = Some(t.into_string()),
                            }
                        }
                    }
                    if let Some(sig) = signature.filter(|s| !s.is_empty()) {
                        flush(&mut text, out);
                        out.push_back(ChatEvent::ReasoningSignature {
                            signature: sig.into_string(),
                        });
                    }
                }
                ReplyPart::Call {
                    id,
                    name,
                    args,
                    signature,
                } => {
                    flush(&mut text, out);
                    self.content();
                    self.reply.tools.whole(
                        id.as_deref(),
                        &name,
                        &args,
                        signature.filter(|s| !s.is_empty()).map(|s| s.into_string()),
                        out,
                    );
                }
                ReplyPart::Other { kind } => {
                    tracing::debug!(
                        provider = self.provider(),
                        kind = kind.as_str(),
                        "skipping a reply part of a kind yat does not read"
                    );
                }
            }
        }
        flush(&mut text, out);
    }
}

impl StreamDecoder for GeminiDecoder {
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let data = event.data;
        if data.trim_ascii().is_empty() {
            return Ok(Step::Continue);
        }
        let chunk: Chunk = match serde_json::from_str(data) {
            Ok(c) => c,
            // The JSON stops short: the body ended inside this event.
            Err(e) if e.is_eof() => return Err(self.cut("the last event is cut short")),
            Err(e) => {
                return Err(self
                    .reply
                    .malformed(format!("invalid chunk: {e}"), data.as_bytes()))
            }
        };
        if chunk.error.is_some() {
            // The SDK treats a chunk with a top-level `error` as a failure
            // with the HTTP error body's shape; its `code` is the status.
            return Err(self.in_stream_error(data));
        }
        if let Some(reason) = chunk.prompt_feedback.and_then(|f| f.block_reason) {
            // A blocked prompt has no candidates at all: nothing will come.
            return Err(YatError::ContentBlocked(Failure::new(
                self.provider(),
                format!("the prompt was blocked (blockReason {})", reason.as_str()),
            )));
        }
        if let Some(u) = chunk.usage_metadata {
            self.usage = Some(u.to_usage());
        }
        if let Some(candidate) = chunk.candidates.0 {
            if let Some(content) = candidate.content {
                self.parts(content.parts, out);
            }
            if let Some(raw) = candidate.finish_reason {
                self.finish = Some(Finish::new(finish_reason(&raw), raw.into_string()));
                self.finish_message = candidate.finish_message.map(|m| m.into_string());
            }
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let Some(mut finish) = self.finish.take() else {
            return Err(if self.said_something {
                self.cut("no finishReason after the last text")
            } else {
                self.cut("no finishReason")
            });
        };
        if finish.reason == FinishReason::ContentFilter && !self.said_something {
            let raw = finish.raw.as_deref().unwrap_or_default();
            let mut message = format!("the reply was withheld (finishReason {raw})");
            if let Some(m) = self.finish_message.take().filter(|m| !m.is_empty()) {
                message.push_str(": ");
                message.push_str(&m);
            }
            return Err(YatError::ContentBlocked(Failure::new(
                self.provider(),
                message,
            )));
        }
        if finish.reason == FinishReason::Stop && !self.reply.tools.is_empty() {
            finish.reason = FinishReason::ToolCalls;
        }
        if let Some(u) = self.usage.take() {
            self.reply.usage(u);
        }
        self.reply.finish(finish);
        self.reply.complete(out)
    }
}

#[cfg(test)]
pub(crate) mod tests;

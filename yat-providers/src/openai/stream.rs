//! Chat Completions stream → chat events.
//!
//! Each SSE event is one `data:` line holding a `chat.completion.chunk`;
//! the stream ends with `data: [DONE]`. Text and reasoning pass straight
//! through. Tool calls arrive as fragments in `delta.tool_calls[]`, put
//! together by the shared [`ReplyState`] (keyed by the vendor's `index`
//! and the call's `id`, whichever a server sends). The finish reason
//! arrives in the last choice chunk and usage (when asked for, or when a
//! compatible server volunteers it) in a chunk after it, so calls are
//! ended, and usage and the finish emitted, at `[DONE]`.

use std::collections::VecDeque;

use yat_core::assemble::ReplyState;
use yat_core::{ChatEvent, Finish, FinishReason, YatError};

use super::chunk::{parse_chunk, Chunk};
use yat_http::{classify, parse_generic, SseEvent, Step, StreamDecoder};

/// Maps `finish_reason` to the normalised reason.
pub fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "content_filter" => FinishReason::ContentFilter,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        _ => FinishReason::Other,
    }
}

/// The decoder of one stream.
pub struct ChunkDecoder {
    reply: ReplyState,
    /// The bytes every chunk of this stream starts with, up to the first
    /// field the decoder reads (see `chunk::parse_chunk`).
    prefix: Vec<u8>,
}

impl ChunkDecoder {
    /// A decoder for `provider`'s stream.
    pub fn new(provider: &str) -> Self {
        ChunkDecoder {
            reply: ReplyState::new(provider),
            prefix: Vec::new(),
        }
    }

    fn error_chunk(&self, data: &str) -> YatError {
        // The SDKs treat a chunk with a top-level `error` as a failure
        // with the HTTP error body's shape.
        let body = parse_generic(data.as_bytes());
        let status = body
            .codes
            .iter()
            .find_map(|c| c.parse::<u16>().ok())
            .filter(|s| (400..600).contains(s))
            .unwrap_or(500);
        classify(
            self.reply.provider(),
            status,
            &Default::default(),
            data.as_bytes(),
            body,
        )
    }
}

impl StreamDecoder for ChunkDecoder {
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let data = event.data;
        if data == "[DONE]" {
            self.reply.complete(out)?;
            return Ok(Step::Done);
        }
        let mut chunk: Chunk = parse_chunk(data, Some(&mut self.prefix)).map_err(|e| {
            self.reply
                .malformed(format!("invalid chunk: {e}"), data.as_bytes())
        })?;
        if chunk.error.is_some() {
            return Err(self.error_chunk(data));
        }
        if let Some(u) = chunk.usage {
            self.reply.usage(u.to_usage());
        }
        // Taken apart in place: a chunk is large enough that moving it
        // shows in the time per token.
        let Some(choice) = chunk.choices.0.as_mut() else {
            return Ok(Step::Continue);
        };
        if let Some(delta) = choice.delta.as_mut() {
            if let Some(text) = delta.reasoning_text() {
                out.push_back(ChatEvent::ReasoningDelta {
                    text: text.into_string(),
                });
            }
            for text in [delta.content.take(), delta.refusal.take()]
                .into_iter()
                .flatten()
            {
                if !text.is_empty() {
                    out.push_back(ChatEvent::Delta {
                        text: text.into_string(),
                    });
                }
            }
            // The legacy `function_call` some servers send alongside is
            // not read: yat never asks for `functions`, and those servers
            // send the same call in `tool_calls`.
            if let Some(calls) = delta.tool_calls.take() {
                let tools = &mut self.reply.tools;
                let mut failed = None;
                let complete = calls.each(|call| {
                    let (name, arguments) = match call.function {
                        Some(f) => (f.name, f.arguments.map(|a| a.0)),
                        None => (None, None),
                    };
                    // The piece moves into its event: an unescaped one is
                    // not copied again.
                    match tools.fragment_cow(
                        call.index,
                        call.id.as_deref(),
                        name.as_deref(),
                        arguments,
                        out,
                    ) {
                        Ok(()) => true,
                        Err(e) => {
                            failed = Some(e);
                            false
                        }
                    }
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                if !complete {
                    return Err(self
                        .reply
                        .malformed("unreadable tool-call fragments", data.as_bytes()));
                }
            }
        }
        if let Some(raw) = choice.finish_reason.take() {
            self.reply
                .finish(Finish::new(finish_reason(&raw), raw.into_string()));
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        // Some compatible servers close after the finish chunk without
        // `[DONE]`; the reply is complete then. Without a finish it is cut.
        self.reply.cut(out, "no finish_reason, no [DONE]")
    }
}

//! Chat Completions stream → chat events.
//!
//! Each SSE event is one `data:` line holding a `chat.completion.chunk`;
//! the stream ends with `data: [DONE]`. The finish reason arrives in the
//! last choice chunk and usage (when asked for, or when a compatible server
//! volunteers it) in a chunk after it, so both are held and emitted at
//! `[DONE]`: usage, then the finish, which is always last.

use std::collections::VecDeque;

use yat_core::{ChatEvent, Finish, FinishReason, Usage, YatError};

use super::wire::{parse_chunk, Chunk};
use crate::http::{classify, parse_generic, SseEvent, Step, StreamDecoder};

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
    provider: String,
    finish: Option<Finish>,
    usage: Option<Usage>,
    /// The bytes every chunk of this stream starts with, up to the first
    /// field the decoder reads (see `wire::parse_chunk`).
    prefix: Vec<u8>,
}

impl ChunkDecoder {
    /// A decoder for `provider`'s stream.
    pub fn new(provider: &str) -> Self {
        ChunkDecoder {
            provider: provider.to_owned(),
            finish: None,
            usage: None,
            prefix: Vec::new(),
        }
    }

    fn complete(&mut self, out: &mut VecDeque<ChatEvent>) {
        if let Some(u) = self.usage.take() {
            out.push_back(ChatEvent::Usage(u));
        }
        let finish = self
            .finish
            .take()
            .unwrap_or(Finish::reason(FinishReason::Stop));
        out.push_back(ChatEvent::Finish(finish));
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
            self.complete(out);
            return Ok(Step::Done);
        }
        let chunk: Chunk = parse_chunk(data, Some(&mut self.prefix)).map_err(|e| {
            YatError::malformed(
                &self.provider,
                format!("invalid chunk: {e}"),
                data.as_bytes(),
            )
        })?;
        if chunk.error.is_some() {
            // The SDKs treat a chunk with a top-level `error` as a failure
            // with the HTTP error body's shape.
            let body = parse_generic(data.as_bytes());
            let status = body
                .codes
                .iter()
                .find_map(|c| c.parse::<u16>().ok())
                .filter(|s| (400..600).contains(s))
                .unwrap_or(500);
            return Err(classify(
                &self.provider,
                status,
                &Default::default(),
                data.as_bytes(),
                body,
            ));
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(Usage::new(u.prompt_tokens, u.completion_tokens));
        }
        if let Some(choice) = chunk.choices.0 {
            if let Some(delta) = choice.delta {
                for text in [delta.content, delta.refusal].into_iter().flatten() {
                    if !text.is_empty() {
                        out.push_back(ChatEvent::Delta {
                            text: text.into_string(),
                        });
                    }
                }
            }
            if let Some(raw) = choice.finish_reason {
                self.finish = Some(Finish::new(finish_reason(&raw), raw.into_string()));
            }
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        // Some compatible servers close after the finish chunk without
        // `[DONE]`; the reply is complete then. Without a finish it is cut.
        if self.finish.is_some() {
            self.complete(out);
            return Ok(());
        }
        Err(YatError::Network {
            provider: self.provider.clone(),
            message: "the stream ended before the reply was complete (no finish_reason, no [DONE])"
                .into(),
        })
    }
}

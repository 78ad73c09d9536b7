//! A mock reply, planned in full and then streamed: text cut into chunks
//! the way a real API cuts it (stop sequences, the token limit), the events
//! of richer replies, token counts, and the stream with its injected delay
//! and failure.

use std::borrow::Cow;
use std::time::Duration;

use futures::stream;
use yat_core::{
    ChatEvent, ChatRequest, ChatStream, Finish, FinishReason, Part, Role, Usage, YatError,
};

use super::ID;

/// What an image or a document counts as in the prompt (OpenAI's price of a
/// low-detail image), so replies about media have plausible input counts.
pub(super) const MEDIA_TOKENS: u64 = 85;

/// A text reply cut into chunks, and how it ends.
pub(super) struct Plan {
    pub chunks: Vec<String>,
    pub finish: Finish,
}

/// Cuts `text` into chunks, applying stop sequences and the token limit the
/// way a real API does: a stop sequence ends the text before it, the limit
/// cuts it with `Length`.
pub(super) fn plan_reply(text: &str, chunk_size: usize, req: &ChatRequest) -> Plan {
    let mut finish = Finish::new(FinishReason::Stop, "stop");
    let mut text = text;
    if let Some((pos, _)) = req
        .stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|p| (p, s)))
        .min_by_key(|(p, _)| *p)
    {
        text = &text[..pos];
        finish = Finish::new(FinishReason::StopSequence, "stop_sequence");
    }
    let mut chunks = chunk(text, chunk_size);
    if let Some(limit) = req.max_tokens {
        let limit = limit as usize;
        if chunks.len() > limit {
            chunks.truncate(limit);
            finish = Finish::new(FinishReason::Length, "length");
        }
    }
    Plan { chunks, finish }
}

/// `text` in pieces of `size` characters (the last may be shorter).
pub(super) fn chunk(text: &str, size: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (i, _) in text.char_indices() {
        if count == size {
            chunks.push(text[start..i].to_owned());
            start = i;
            count = 0;
        }
        count += 1;
    }
    if start < text.len() {
        chunks.push(text[start..].to_owned());
    }
    chunks
}

/// Everything one reply streams: its content events, then usage and the
/// finish.
pub(super) struct Reply {
    pub events: Vec<ChatEvent>,
    pub usage: Usage,
    pub finish: Finish,
}

impl Reply {
    /// A text reply of the richer models: one delta per chunk, usage with
    /// details.
    pub fn text(plan: Plan, req: &ChatRequest) -> Reply {
        let output = plan.chunks.len() as u64;
        Reply {
            events: plan
                .chunks
                .into_iter()
                .map(|text| ChatEvent::Delta { text })
                .collect(),
            usage: detailed_usage(req, output),
            finish: plan.finish,
        }
    }
}

/// The text of the last user message (its text parts joined).
pub(super) fn last_user_text(req: &ChatRequest) -> Cow<'_, str> {
    req.messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map_or(Cow::Borrowed(""), |m| m.text())
}

/// The input count of the first models: the whitespace-separated words of
/// every message's text.
pub(super) fn plain_input_tokens(req: &ChatRequest) -> u64 {
    req.messages
        .iter()
        .map(|m| m.text().split_whitespace().count() as u64)
        .sum()
}

/// Usage as the richer models report it: every part counts (words of text,
/// tool calls and results and reasoning; [`MEDIA_TOKENS`] per image or
/// document), and system messages count as read from the prompt cache — the
/// mock "caches" them — so `cache_read_tokens` is reported whenever the
/// conversation has a system message.
pub(super) fn detailed_usage(req: &ChatRequest, output_tokens: u64) -> Usage {
    let words = |s: &str| s.split_whitespace().count() as u64;
    let mut input = 0;
    let mut cached: Option<u64> = None;
    for m in &req.messages {
        let n: u64 = m
            .content
            .iter()
            .map(|p| match p {
                Part::Text(t) => words(t),
                Part::Image(_) | Part::Document(_) => MEDIA_TOKENS,
                Part::ToolCall(c) => words(&c.name) + words(&c.arguments_text()),
                // The description of each image counts as words, and the
                // image itself as an image in a user message would.
                Part::ToolResult(r) => {
                    words(&r.content.to_text()) + MEDIA_TOKENS * r.content.images().count() as u64
                }
                Part::Reasoning(r) => words(&r.text),
                _ => 0,
            })
            .sum();
        if m.role == Role::System {
            *cached.get_or_insert(0) += n;
        } else {
            input += n;
        }
    }
    let usage = Usage::new(input, output_tokens);
    match cached {
        Some(n) => usage.with_cache_read(n),
        None => usage,
    }
}

/// Streams the reply: its events (a `delay` before each delta of text,
/// reasoning or arguments), then usage and the finish. With `fail_after`
/// set to `n`, a network error replaces the `n`th content event and ends
/// the stream.
pub(super) fn stream_reply(
    reply: Reply,
    delay: Option<Duration>,
    fail_after: Option<usize>,
) -> ChatStream {
    let mut events: Vec<Result<ChatEvent, YatError>> = Vec::with_capacity(reply.events.len() + 2);
    for (i, event) in reply.events.into_iter().enumerate() {
        if fail_after == Some(i) {
            events.push(Err(YatError::network(
                ID,
                format!("injected failure after {i} chunks"),
            )));
            break;
        }
        events.push(Ok(event));
    }
    let failed = events.last().is_some_and(|e| e.is_err());
    if !failed {
        events.push(Ok(ChatEvent::Usage(reply.usage)));
        events.push(Ok(ChatEvent::Finish(reply.finish)));
    }
    let items = stream::iter(events);
    match delay {
        None => Box::pin(items),
        Some(d) => {
            use futures::StreamExt;
            Box::pin(items.then(move |ev| async move {
                if matches!(
                    ev,
                    Ok(ChatEvent::Delta { .. }
                        | ChatEvent::ReasoningDelta { .. }
                        | ChatEvent::ToolCallDelta { .. })
                ) {
                    tokio::time::sleep(d).await;
                }
                ev
            }))
        }
    }
}

/// Streams a plain text plan, as the first models do: usage without
/// details.
pub(super) fn stream_plan(
    plan: Plan,
    input_tokens: u64,
    delay: Option<Duration>,
    fail_after: Option<usize>,
) -> ChatStream {
    let output_tokens = plan.chunks.len() as u64;
    let reply = Reply {
        events: plan
            .chunks
            .into_iter()
            .map(|text| ChatEvent::Delta { text })
            .collect(),
        usage: Usage::new(input_tokens, output_tokens),
        finish: plan.finish,
    };
    stream_reply(reply, delay, fail_after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{Media, Message, ToolCall, ToolResult};

    #[test]
    fn chunks_count_characters_not_bytes() {
        assert_eq!(chunk("héllo wörld", 3), ["hél", "lo ", "wör", "ld"]);
        assert!(chunk("", 3).is_empty());
    }

    #[test]
    fn detailed_usage_counts_every_part_and_caches_the_system_prompt() {
        let call = ToolCall::new("c", "get_weather", serde_json::json!({"city": "Paris"}));
        let req = ChatRequest::new(
            "m",
            vec![
                Message::system("be brief"),
                Message::user("look at this").with_part(Part::Image(Media::url("https://x/y.png"))),
                Message::assistant(Part::ToolCall(call.clone())),
                Message::tool_results([ToolResult::new(&call, "21 °C and sunny")]),
            ],
        );
        let u = detailed_usage(&req, 7);
        // 3 words + an image; the call's name and its one-word arguments;
        // four words of result.
        assert_eq!(u.input_tokens, 3 + MEDIA_TOKENS + 2 + 4);
        assert_eq!((u.output_tokens, u.cache_read_tokens), (7, Some(2)));
        let no_system = ChatRequest::new("m", vec![Message::user("hi")]);
        assert_eq!(detailed_usage(&no_system, 1), Usage::new(1, 1));
    }
}

//! One exchange — what was sent and the reply — as it is handed to the store.

use yat_core::{Message, ModelRef, Part, Usage};

/// What was sent and the reply to it, as [`Store::record_exchange`](crate::Store::record_exchange) stores them.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Exchange<'a> {
    /// The model that answered.
    pub target: &'a ModelRef,
    /// The messages sent since the previous reply, in order: the prompt
    /// (with its attachments), and tool results answering that reply's calls.
    pub sent: &'a [Message],
    /// Every part of the reply: reasoning, text, tool calls.
    pub reply: &'a [Part],
    /// Token usage, if the provider reported it.
    pub usage: Option<Usage>,
    /// Why generation stopped (`FinishReason::as_str`), if known.
    pub finish: Option<&'a str>,
}

impl<'a> Exchange<'a> {
    /// `sent`, answered by `target` with `reply`; usage and finish unknown.
    pub fn new(target: &'a ModelRef, sent: &'a [Message], reply: &'a [Part]) -> Self {
        Exchange {
            target,
            sent,
            reply,
            usage: None,
            finish: None,
        }
    }
    /// Sets the usage the provider reported.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }
    /// Sets why generation stopped.
    pub fn finish(mut self, finish: &'a str) -> Self {
        self.finish = Some(finish);
        self
    }
}

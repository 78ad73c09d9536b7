//! One exchange — what was sent and the reply — as it is handed to the store.

use std::time::Duration;

use yat_core::{ChatRequest, Message, ModelRef, Part, Usage};

use crate::Fragment;

/// What was sent and the reply to it, as [`Store::record_exchange`](crate::Store::record_exchange) stores them.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Exchange<'a> {
    /// The model that answered.
    pub target: &'a ModelRef,
    /// The system prompt in force when this was sent, for a caller whose
    /// system prompt can change during a conversation. When it differs from
    /// the conversation's current one it is stored, as a `system` message
    /// before `sent`; an empty (or blank) one records that the system
    /// prompt was removed. `None` leaves the stored one as it is.
    pub system: Option<&'a str>,
    /// The messages sent since the previous reply, in order: the prompt
    /// (with its attachments), and tool results answering that reply's calls.
    pub sent: &'a [Message],
    /// Every part of the reply: reasoning, text, tool calls.
    pub reply: &'a [Part],
    /// Token usage, if the provider reported it.
    pub usage: Option<Usage>,
    /// Why generation stopped (`FinishReason::as_str`), if known.
    pub finish: Option<&'a str>,
    /// The request the reply answered: its options (temperature, max
    /// tokens, tools by name, ...) are stored with the reply.
    pub request: Option<&'a ChatRequest>,
    /// How long the reply took, from sending the request to its end.
    pub duration: Option<Duration>,
    /// The fragments the prompt (the last message of `sent`) starts with,
    /// each as one text part, in order. Their texts are stored once each
    /// and the prompt refers to them; a prompt that does not start with
    /// all of them is stored as it is.
    pub fragments: &'a [Fragment<'a>],
}

impl<'a> Exchange<'a> {
    /// `sent`, answered by `target` with `reply`; usage, finish, options
    /// and duration unknown, the system prompt unchanged.
    pub fn new(target: &'a ModelRef, sent: &'a [Message], reply: &'a [Part]) -> Self {
        Exchange {
            target,
            system: None,
            sent,
            reply,
            usage: None,
            finish: None,
            request: None,
            duration: None,
            fragments: &[],
        }
    }
    /// Sets the system prompt in force (`""` when there is none).
    pub fn system(mut self, system: &'a str) -> Self {
        self.system = Some(system);
        self
    }
    /// Sets the usage the provider reported.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }
    /// Sets the request the reply answered, whose options are stored.
    pub fn request(mut self, request: &'a ChatRequest) -> Self {
        self.request = Some(request);
        self
    }
    /// Sets how long the reply took.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }
    /// Sets the fragments the prompt starts with.
    pub fn fragments(mut self, fragments: &'a [Fragment<'a>]) -> Self {
        self.fragments = fragments;
        self
    }
    /// Sets why generation stopped.
    pub fn finish(mut self, finish: &'a str) -> Self {
        self.finish = Some(finish);
        self
    }
}

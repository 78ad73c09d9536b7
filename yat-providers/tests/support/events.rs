//! The chat events the tests expect, built by name: text, reasoning, tool
//! calls, finishes; and the reply a list of them makes.

use yat_core::{ChatEvent, ChatResponse, Finish, FinishReason, ResponseBuilder, ToolCall, Usage};

/// A text delta.
pub fn delta(text: &str) -> ChatEvent {
    ChatEvent::Delta { text: text.into() }
}

/// A text delta for each of `pieces`, in order.
pub fn deltas(pieces: &[&str]) -> Vec<ChatEvent> {
    pieces.iter().map(|t| delta(t)).collect()
}

/// A text reply's events: a delta for each of `pieces`, then its `usage`,
/// then the finish.
pub fn text_reply(pieces: &[&str], usage: Usage, finish: ChatEvent) -> Vec<ChatEvent> {
    let mut events = deltas(pieces);
    events.extend([ChatEvent::Usage(usage), finish]);
    events
}

/// A reasoning delta.
pub fn thought(text: &str) -> ChatEvent {
    ChatEvent::ReasoningDelta { text: text.into() }
}

/// A reasoning delta for each of `pieces`, in order.
pub fn thoughts(pieces: &[&str]) -> Vec<ChatEvent> {
    pieces.iter().map(|t| thought(t)).collect()
}

/// The signature closing a piece of reasoning.
pub fn signed(signature: &str) -> ChatEvent {
    ChatEvent::ReasoningSignature {
        signature: signature.into(),
    }
}

/// The finish, with the vendor's own word for it.
pub fn finish(reason: FinishReason, raw: &str) -> ChatEvent {
    ChatEvent::Finish(Finish::new(reason, raw))
}

/// `ToolCallStart` for call `index`.
pub fn start(index: u32, id: &str, name: &str) -> ChatEvent {
    ChatEvent::ToolCallStart {
        index,
        id: id.into(),
        name: name.into(),
    }
}

/// `ToolCallDelta`: a piece of call `index`'s arguments.
pub fn piece(index: u32, arguments: &str) -> ChatEvent {
    ChatEvent::ToolCallDelta {
        index,
        arguments: arguments.into(),
    }
}

/// `ToolCallEnd` for call `index` with parsed `arguments`.
pub fn end(index: u32, id: &str, name: &str, arguments: serde_json::Value) -> ChatEvent {
    ended(index, ToolCall::new(id, name, arguments))
}

/// `ToolCallEnd` for call `index`, whole (with a signature, say).
pub fn ended(index: u32, call: ToolCall) -> ChatEvent {
    ChatEvent::ToolCallEnd {
        index,
        call: Box::new(call),
    }
}

/// The calls of the `ToolCallEnd` events among `events`, in order.
pub fn ended_calls(events: &[ChatEvent]) -> Vec<ToolCall> {
    events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::ToolCallEnd { call, .. } => Some((**call).clone()),
            _ => None,
        })
        .collect()
}

/// The reply `events` add up to, as a caller collecting them builds it.
pub fn response_of(events: &[ChatEvent]) -> ChatResponse {
    let mut b = ResponseBuilder::default();
    for e in events {
        b.push(e.clone());
    }
    b.finish()
}

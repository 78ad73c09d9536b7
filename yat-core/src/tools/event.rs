//! What a tool loop streams: each step's chat events, its tools starting
//! and finishing, and the end of each step.

use crate::types::{ChatEvent, ChatResponse, ToolCall, ToolResult};

/// One item of a [`ToolRun`](super::ToolRun).
///
/// A step is one request to the model and the running of the calls in its
/// reply. Steps are numbered from 0. The items of step `n`, in order:
///
/// 1. `Chat { step: n, .. }` for every event of the model's reply, as it
///    streams (text, reasoning, tool-call fragments, usage, finish);
/// 2. `ToolStarted { step: n, .. }` for each call whose handler is about to
///    run, in the order the model made the calls;
/// 3. `ToolFinished { step: n, .. }` once for every call of the reply: first
///    those that could not run (a tool the toolbox lacks, arguments that were
///    not JSON), then the others as their handlers finish, which, since they
///    run side by side, need not be the order they started in;
/// 4. `StepFinished { step: n, .. }`, last.
///
/// The stream ends after the `StepFinished` of a step whose reply made no
/// calls, or with an error.
///
/// ```
/// use yat_core::tools::ToolLoopEvent;
/// use yat_core::ChatEvent;
/// let e = ToolLoopEvent::Chat { step: 1, event: ChatEvent::Delta { text: "hi".into() } };
/// assert_eq!(e.step(), 1);
/// assert_eq!(e.text(), Some("hi"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolLoopEvent {
    /// An event of the model's reply in this step, as the provider streamed it.
    Chat {
        /// The step.
        step: u32,
        /// The event.
        event: ChatEvent,
    },
    /// A call's handler starts.
    ToolStarted {
        /// The step.
        step: u32,
        /// The call, as the model made it.
        call: ToolCall,
    },
    /// A call has its result, which the model gets in the next step.
    ToolFinished {
        /// The step.
        step: u32,
        /// The result; `is_error` when the tool failed or could not run.
        result: ToolResult,
    },
    /// The step is over: its reply was appended to the conversation and, if
    /// it made calls, their results too.
    StepFinished {
        /// The step.
        step: u32,
        /// The reply, as appended to the conversation.
        response: ChatResponse,
    },
}

impl ToolLoopEvent {
    /// The step this item belongs to.
    pub fn step(&self) -> u32 {
        match self {
            ToolLoopEvent::Chat { step, .. }
            | ToolLoopEvent::ToolStarted { step, .. }
            | ToolLoopEvent::ToolFinished { step, .. }
            | ToolLoopEvent::StepFinished { step, .. } => *step,
        }
    }

    /// The text, if this is a text delta of the model's reply.
    pub fn text(&self) -> Option<&str> {
        match self {
            ToolLoopEvent::Chat {
                event: ChatEvent::Delta { text },
                ..
            } => Some(text),
            _ => None,
        }
    }
}

//! The chat requests that the body tests of every wire format start from,
//! so that one input is checked against each vendor's documented shape.

use yat_core::{ChatRequest, Message};

/// A system prompt, a user turn, and every sampling parameter: `f32`s
/// chosen so that a body widening them to `f64` shows (0.7 would go out as
/// 0.699999988079071).
pub(crate) fn sampled(model: &str) -> ChatRequest {
    ChatRequest::new(
        model,
        vec![Message::system("Be brief."), Message::user("Say hello")],
    )
    .temperature(0.7)
    .top_p(0.9)
    .max_tokens(256)
    .stop("\n\n")
}

/// A conversation for the APIs that take the system prompt apart and
/// want user and assistant turns to alternate: system messages first,
/// between turns and last; consecutive turns of one role; an empty
/// assistant turn, and an empty user turn between two assistant ones.
/// Merged, it is user `a b`, assistant `c d e`, user `f`, with the system
/// prompt `s1`, `s2`, `s3`.
#[cfg(any(feature = "anthropic", feature = "gemini-wire"))]
pub(crate) fn turns_to_merge() -> ChatRequest {
    ChatRequest::new(
        "m",
        vec![
            Message::system("s1"),
            Message::user("a"),
            Message::user("b"),
            Message::system("s2"),
            Message::assistant("c"),
            Message::assistant(""),
            Message::user(""),
            Message::assistant("d"),
            Message::assistant("e"),
            Message::user("f"),
            Message::system("s3"),
        ],
    )
}

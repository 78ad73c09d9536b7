//! `reasoning_round_trip`: a reply's reasoning comes back in the next turn
//! and the provider takes it (signed reasoning must return unchanged).

use super::fixtures::{FOLLOW_UP_PROMPT, REASONING_PROMPT};
use super::session::{verdict, Feature, Run};
use crate::types::{ChatRequest, Message, Part, ReasoningConfig, ReasoningEffort};

pub(super) async fn reasoning_round_trip(r: &mut Run<'_>) {
    const NAME: &str = "reasoning_round_trip";
    let outcome = match r.gate(NAME, r.caps.reasoning, "reasoning") {
        Some(skipped) => skipped,
        None => verdict(round_trip(r).await),
    };
    r.record(NAME, outcome);
}

fn effort() -> ReasoningConfig {
    ReasoningConfig::effort(ReasoningEffort::Low)
}

/// The round trip's first turn: the reasoning model asked to think.
pub(super) fn first_turn(r: &Run<'_>) -> ChatRequest {
    let model = r.model_for(r.o.reasoning_model.as_ref(), Feature::Reasoning);
    ChatRequest::new(model, vec![Message::user(REASONING_PROMPT)]).reasoning(effort())
}

async fn round_trip(r: &Run<'_>) -> Result<(), String> {
    let first = first_turn(r);
    let (model, user) = (first.model.clone(), first.messages[0].clone());
    let t = r.complete(&format!("turn 1 ({model})"), &first).await?;
    let reply = t.response();
    if !reply.parts.iter().any(|p| matches!(p, Part::Reasoning(_))) {
        return Err(format!(
            "turn 1: no reasoning part in the reply (parts: {:?})",
            reply.parts.iter().map(Part::kind).collect::<Vec<_>>()
        ));
    }
    let second = ChatRequest::new(
        &model,
        vec![user, reply.into_message(), Message::user(FOLLOW_UP_PROMPT)],
    )
    .reasoning(effort());
    r.complete("turn 2 (turn 1's reply sent back)", &second)
        .await
        .map(drop)
}

//! `mock-reasoning`: a model that thinks before it answers, signs its
//! reasoning, and — like Anthropic's API — refuses a conversation whose
//! earlier reasoning comes back without its signature or changed.
//!
//! The reasoning is one to three sentences about the question (`low`,
//! `medium` — the default — or `high` effort), within the request's
//! reasoning budget (one chunk per token); its signature is a hash of the
//! text. The answer echoes the last user message.

use yat_core::{ChatEvent, ChatRequest, Failure, Part, ReasoningEffort, Role, YatError};

use super::reply::{chunk, detailed_usage, last_user_text, plan_reply, Reply};
use super::ID;

/// The signature of reasoning `text`: FNV-1a over it, so any change to the
/// text (or a signature made up elsewhere) fails the check.
pub(super) fn signature(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("mock-sig-{hash:016x}")
}

/// Every reasoning part of earlier assistant turns carries the signature
/// of its text; else the request is refused, naming the part.
pub(super) fn check_history(req: &ChatRequest) -> Result<(), YatError> {
    for (i, m) in req.messages.iter().enumerate() {
        if m.role != Role::Assistant {
            continue;
        }
        for (j, part) in m.content.iter().enumerate() {
            let Part::Reasoning(r) = part else { continue };
            let problem = if r.is_redacted() {
                "is redacted, and mock-reasoning never redacts its reasoning"
            } else {
                match &r.signature {
                    None => "came back without its signature",
                    Some(s) if *s != signature(&r.text) => {
                        "has a signature that does not match its text"
                    }
                    Some(_) => continue,
                }
            };
            return Err(YatError::InvalidRequest(Failure::new(
                ID,
                format!("messages.{i}.content.{j}: the reasoning {problem}"),
            )));
        }
    }
    Ok(())
}

/// The reply to `req`: reasoning pieces, their signature, then the answer.
pub(super) fn reply(req: &ChatRequest, chunk_size: usize) -> Result<Reply, YatError> {
    check_history(req)?;
    let question = last_user_text(req);
    let config = req.reasoning.unwrap_or_default();
    let sentences = match config.effort_or_nearest() {
        ReasoningEffort::Low => 1,
        ReasoningEffort::High => 3,
        _ => 2,
    };
    let words: Vec<&str> = question.split_whitespace().collect();
    let thought = [
        format!("The question has {} words.", words.len()),
        format!(
            " It begins with {:?}.",
            words[..words.len().min(4)].join(" ")
        ),
        " Echoing it back answers it.".to_owned(),
    ][..sentences]
        .concat();
    let mut pieces = chunk(&thought, chunk_size);
    pieces.truncate(config.budget().max(1) as usize);
    let thought: String = pieces.concat();
    let reasoning_tokens = pieces.len() as u64;

    let plan = plan_reply(&question, chunk_size, req);
    let output = reasoning_tokens + plan.chunks.len() as u64;
    let mut events = Vec::with_capacity(pieces.len() + plan.chunks.len() + 1);
    events.extend(
        pieces
            .into_iter()
            .map(|text| ChatEvent::ReasoningDelta { text }),
    );
    events.push(ChatEvent::ReasoningSignature {
        signature: signature(&thought),
    });
    events.extend(
        plan.chunks
            .into_iter()
            .map(|text| ChatEvent::Delta { text }),
    );
    Ok(Reply {
        events,
        usage: detailed_usage(req, output).with_reasoning(reasoning_tokens),
        finish: plan.finish,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{
        ChatResponse, FinishReason, Message, Reasoning, ReasoningConfig, ResponseBuilder,
    };

    fn collect(reply: &Reply) -> ChatResponse {
        let mut b = ResponseBuilder::default();
        for e in &reply.events {
            b.push(e.clone());
        }
        b.finish()
    }

    fn ask(effort: ReasoningEffort) -> ChatRequest {
        ChatRequest::new(
            "mock-reasoning",
            vec![Message::user("How many r in strawberry?")],
        )
        .reasoning(ReasoningConfig::effort(effort))
    }

    #[test]
    fn reasons_in_pieces_signs_then_answers_with_reasoning_tokens_counted() {
        let r = reply(&ask(ReasoningEffort::Medium), 8).unwrap();
        let reply_ = collect(&r);
        assert_eq!(
            reply_.reasoning_text(),
            "The question has 5 words. It begins with \"How many r in\"."
        );
        assert_eq!(reply_.text(), "How many r in strawberry?");
        let Part::Reasoning(first) = &reply_.parts[0] else {
            panic!("{:?}", reply_.parts)
        };
        assert_eq!(first.signature, Some(signature(&first.text)));
        let reasoning_deltas = r
            .events
            .iter()
            .filter(|e| matches!(e, ChatEvent::ReasoningDelta { .. }))
            .count() as u64;
        assert!(reasoning_deltas > 1);
        assert_eq!(r.usage.reasoning_tokens, Some(reasoning_deltas));
        assert_eq!(r.usage.output_tokens, reasoning_deltas + 4);
        assert_eq!(r.finish.reason, FinishReason::Stop);
    }

    #[test]
    fn effort_sets_the_length_and_the_budget_caps_it() {
        let low = collect(&reply(&ask(ReasoningEffort::Low), 8).unwrap()).reasoning_text();
        let high = collect(&reply(&ask(ReasoningEffort::High), 8).unwrap()).reasoning_text();
        assert_eq!(low, "The question has 5 words.");
        assert!(high.ends_with("Echoing it back answers it."), "{high}");
        let capped = ask(ReasoningEffort::High).reasoning(ReasoningConfig::budget_tokens(2));
        let r = reply(&capped, 8).unwrap();
        assert_eq!(collect(&r).reasoning_text(), "The question has");
        assert_eq!(r.usage.reasoning_tokens, Some(2));
    }

    #[test]
    fn a_second_turn_is_taken_only_with_each_reasoning_signed_as_it_was() {
        let first = ask(ReasoningEffort::Low);
        let answer = collect(&reply(&first, 8).unwrap()).into_message();
        let next = |assistant: Message| {
            let mut m = first.messages.clone();
            m.push(assistant);
            m.push(Message::user("And in three words?"));
            ChatRequest::new("mock-reasoning", m)
        };
        assert!(reply(&next(answer.clone()), 8).is_ok());

        let mut unsigned = answer.clone();
        let mut tampered = answer.clone();
        if let (Part::Reasoning(u), Part::Reasoning(t)) =
            (&mut unsigned.content[0], &mut tampered.content[0])
        {
            u.signature = None;
            t.text.push('!');
        }
        let redacted = Message::assistant(Part::Reasoning(Reasoning::redacted("opaque")));
        for (bad, why) in [
            (unsigned, "without its signature"),
            (tampered, "does not match"),
            (redacted, "redacted"),
        ] {
            match reply(&next(bad), 8) {
                Err(YatError::InvalidRequest(f)) => {
                    assert!(
                        f.message.starts_with("messages.1.content.0:"),
                        "{}",
                        f.message
                    );
                    assert!(f.message.contains(why), "{}", f.message);
                }
                other => panic!("{why}: {:?}", other.map(|r| r.events)),
            }
        }
    }

    #[test]
    fn signatures_are_stable() {
        assert_eq!(signature(""), "mock-sig-cbf29ce484222325");
        assert_ne!(signature("a"), signature("b"));
    }
}

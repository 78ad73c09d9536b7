//! The checks every provider answers: models listed, text streamed with
//! exactly one finish, usage, `max_tokens`, stop sequences and unknown
//! models. The collector and cancellation have files of their own.

use super::session::{Run, Transcript};
use super::Outcome;
use crate::types::{ChatEvent, FinishReason, ModelInfo};
use crate::YatError;

/// `list_models`: records the check and returns the listing (empty if it
/// failed).
pub(super) async fn list_models(r: &mut Run<'_>) -> Vec<ModelInfo> {
    let provider = r.p;
    let options = r.o;
    let listed = tokio::time::timeout(options.timeout, provider.list_models()).await;
    let models: Vec<ModelInfo> = match listed {
        Err(_) => {
            r.record("list_models", Outcome::Failed("hangs".into()));
            vec![]
        }
        Ok(Err(e)) => {
            r.record("list_models", Outcome::Failed(format!("error: {e}")));
            vec![]
        }
        Ok(Ok(m)) => {
            let mut ids: Vec<&str> = m.iter().map(|m| m.id.as_str()).collect();
            ids.sort_unstable();
            let before = ids.len();
            ids.dedup();
            if m.is_empty() {
                r.record("list_models", Outcome::Failed("no models".into()));
            } else if ids.len() != before {
                r.record("list_models", Outcome::Failed("duplicate model ids".into()));
            } else if let Some(bad) = m.iter().find(|m| m.id.is_empty() || m.provider.is_empty()) {
                r.record(
                    "list_models",
                    Outcome::Failed(format!("model with an empty id or provider: {bad:?}")),
                );
            } else {
                r.record("list_models", Outcome::Passed);
            }
            m
        }
    };
    models
}

/// `stream_text`, `stream_ends_with_finish` and `usage`: one chat with the
/// chat model.
pub(super) async fn streams(r: &mut Run<'_>) {
    let model = r.model.clone();

    // stream_text / stream_ends_with_finish / usage
    let req = r.request(&model);
    match r.chat(&req).await {
        Err(hang) => {
            r.record("stream_text", Outcome::Failed(hang.clone()));
            r.record("stream_ends_with_finish", Outcome::Failed(hang.clone()));
            r.record("usage", Outcome::Failed(hang));
        }
        Ok(t) => {
            if let Some(e) = &t.error {
                let msg = format!("stream failed: {e}");
                r.record("stream_text", Outcome::Failed(msg.clone()));
                r.record("stream_ends_with_finish", Outcome::Failed(msg.clone()));
                r.record("usage", Outcome::Failed(msg));
            } else {
                if t.text().is_empty() {
                    r.record("stream_text", Outcome::Failed("no text".into()));
                } else {
                    r.record("stream_text", Outcome::Passed);
                }
                let finishes = t
                    .events
                    .iter()
                    .filter(|e| matches!(e, ChatEvent::Finish(_)))
                    .count();
                if finishes == 1 && t.finish_reason().is_some() {
                    r.record("stream_ends_with_finish", Outcome::Passed);
                } else {
                    r.record(
                        "stream_ends_with_finish",
                        Outcome::Failed(format!(
                            "{finishes} finish events; last event {:?}",
                            t.events.last()
                        )),
                    );
                }
                if !r.caps.usage {
                    r.record("usage", Outcome::Skipped("usage not claimed".into()));
                } else {
                    match t.usage() {
                        None => r.record("usage", Outcome::Failed("no usage event".into())),
                        Some(u) if u.input_tokens == 0 => r.record(
                            "usage",
                            Outcome::Failed(format!("zero input tokens: {u:?}")),
                        ),
                        Some(u) if u.output_tokens == 0 => r.record(
                            "usage",
                            Outcome::Failed(format!("text arrived but zero output tokens: {u:?}")),
                        ),
                        Some(_) => r.record("usage", Outcome::Passed),
                    }
                }
            }
        }
    }
}

/// `max_tokens`, `stop_sequences` and `unknown_model_is_typed_error`, on
/// the chat model.
pub(super) async fn limits(r: &mut Run<'_>) {
    let options = r.o;
    let model = r.model.clone();

    // max_tokens
    if !r.caps.max_tokens {
        r.record(
            "max_tokens",
            Outcome::Skipped("max_tokens not claimed".into()),
        );
    } else {
        let req = r.request(&model).max_tokens(1);
        match r.chat(&req).await {
            Err(h) => r.record("max_tokens", Outcome::Failed(h)),
            Ok(Transcript { error: Some(e), .. }) => {
                r.record("max_tokens", Outcome::Failed(format!("error: {e}")))
            }
            Ok(t) => {
                let reason = t.finish_reason();
                let out = t.usage().map(|u| u.output_tokens);
                if reason == Some(FinishReason::Length) || out.is_some_and(|n| n <= 1) {
                    r.record("max_tokens", Outcome::Passed)
                } else {
                    r.record(
                        "max_tokens",
                        Outcome::Failed(format!(
                            "max_tokens=1 gave finish {reason:?}, output tokens {out:?}"
                        )),
                    )
                }
            }
        }
    }

    // stop_sequences
    match (&options.stop_probe, r.caps.stop_sequences) {
        (_, false) => r.record("stop_sequences", Outcome::Skipped("not claimed".into())),
        (None, true) => r.record(
            "stop_sequences",
            Outcome::Skipped("no Options::stop_probe given".into()),
        ),
        (Some((stop, must_not_appear)), true) => {
            let req = r.request(&model).stop(stop.clone());
            match r.chat(&req).await {
                Err(h) => r.record("stop_sequences", Outcome::Failed(h)),
                Ok(Transcript { error: Some(e), .. }) => {
                    r.record("stop_sequences", Outcome::Failed(e.to_string()))
                }
                Ok(t) if t.text().contains(must_not_appear.as_str()) => r.record(
                    "stop_sequences",
                    Outcome::Failed(format!("{must_not_appear:?} appears in {:?}", t.text())),
                ),
                Ok(_) => r.record("stop_sequences", Outcome::Passed),
            }
        }
    }

    // unknown_model_is_typed_error
    if !r.caps.rejects_unknown_models {
        r.record(
            "unknown_model_is_typed_error",
            Outcome::Skipped("provider accepts any model id".into()),
        );
    } else {
        let req = r.request(&options.unknown_model);
        match r.chat(&req).await {
            Err(h) => r.record("unknown_model_is_typed_error", Outcome::Failed(h)),
            Ok(Transcript { error: None, .. }) => r.record(
                "unknown_model_is_typed_error",
                Outcome::Failed("an unknown model streamed a reply".into()),
            ),
            Ok(Transcript { error: Some(e), .. }) => match e {
                YatError::ModelNotFound(_) | YatError::InvalidRequest(_) if e.provider().is_some_and(|p| !p.is_empty()) => {
                    r.record("unknown_model_is_typed_error", Outcome::Passed)
                }
                other => r.record(
                    "unknown_model_is_typed_error",
                    Outcome::Failed(format!(
                        "expected ModelNotFound or InvalidRequest naming the provider, got {} ({other})",
                        other.kind()
                    )),
                ),
            },
        }
    }
}

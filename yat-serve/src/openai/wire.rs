//! Wire pieces more than one file of the dialect uses: the "a string or
//! something structured" fields of the request, and the reply's usage and
//! finish reason.

use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use yat_core::{Finish, FinishReason, Usage};

/// A request field that is either a string or a structured value: message
/// `content` (a string or an array of parts), `stop` (a string or an array
/// of strings), `tool_choice` (a mode or an object naming a function).
///
/// Read with a visitor rather than `#[serde(untagged)]`: untagged enums
/// buffer the value first, which loses the JSON path of an error inside it
/// and replaces serde's message with "did not match any variant".
#[derive(Debug)]
pub(super) enum StringOr<T> {
    /// The string form.
    Text(String),
    /// The structured form.
    Other(T),
}

/// The structured half of a [`StringOr`]: what an error says was expected.
pub(super) trait Structured {
    /// Completes "invalid type: …, expected …".
    const EXPECTING: &'static str;
}

impl<'de, T: Deserialize<'de> + Structured> Deserialize<'de> for StringOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StringOrVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Structured> Visitor<'de> for StringOrVisitor<T> {
            type Value = StringOr<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOr::Text(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StringOr::Text(v))
            }
            // The access objects handed over here are the path-tracking
            // ones, so an error inside still names its field.
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                T::deserialize(SeqAccessDeserializer::new(seq)).map(StringOr::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(StringOr::Other)
            }
        }
        d.deserialize_any(StringOrVisitor(PhantomData))
    }
}

impl Structured for Vec<String> {
    const EXPECTING: &'static str = "a string or an array of strings";
}

/// `usage` of a reply or of the stream's last chunk (`CompletionUsage` in
/// OpenAI's spec).
///
/// `prompt_tokens` counts every prompt token, cached ones included, as
/// OpenAI counts them; the details are always present, 0 when the provider
/// reported none, as OpenAI sends them (clients read
/// `usage.prompt_tokens_details.cached_tokens` without a guard).
#[derive(Debug, Serialize)]
pub(super) struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: PromptTokensDetails,
    completion_tokens_details: CompletionTokensDetails,
}

#[derive(Debug, Serialize)]
struct PromptTokensDetails {
    cached_tokens: u64,
}

#[derive(Debug, Serialize)]
struct CompletionTokensDetails {
    reasoning_tokens: u64,
}

impl From<&Usage> for WireUsage {
    fn from(u: &Usage) -> Self {
        let prompt_tokens = u.total_input();
        WireUsage {
            prompt_tokens,
            completion_tokens: u.output_tokens,
            total_tokens: prompt_tokens.saturating_add(u.output_tokens),
            prompt_tokens_details: PromptTokensDetails {
                cached_tokens: u.cache_read_tokens.unwrap_or(0),
            },
            completion_tokens_details: CompletionTokensDetails {
                reasoning_tokens: u.reasoning_tokens.unwrap_or(0),
            },
        }
    }
}

/// `finish_reason` for how a reply ended. Chat Completions has no word for
/// a stop sequence (it says `stop`), for an error or for a reason yat does
/// not know, so those read `stop`; a reply that ended without a finish
/// (collected from a cut stream) also reads `stop`.
pub(super) fn finish_reason(finish: Option<&Finish>) -> &'static str {
    match finish.map(|f| f.reason) {
        Some(FinishReason::Length) => "length",
        Some(FinishReason::ContentFilter) => "content_filter",
        Some(FinishReason::ToolCalls) => "tool_calls",
        _ => "stop",
    }
}

/// Appends `value` as JSON to `out`. The values this dialect writes are
/// borrowed structs of strings and integers, which serialize to a `Vec`
/// without fail; should one ever fail, the frame is cut short and the
/// failure logged rather than panicking in the middle of a reply.
pub(super) fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    if let Err(e) = serde_json::to_writer(&mut *out, value) {
        tracing::error!(error = %e, "could not serialize an OpenAI reply frame");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_counts_every_prompt_token_and_always_has_details() {
        let cases = [
            (
                Usage::new(12, 40).with_cache_read(100).with_reasoning(25),
                r#"{"prompt_tokens":112,"completion_tokens":40,"total_tokens":152,"prompt_tokens_details":{"cached_tokens":100},"completion_tokens_details":{"reasoning_tokens":25}}"#,
            ),
            (
                Usage::new(9, 3),
                r#"{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#,
            ),
            // Cache writes have no field of their own: they are prompt tokens.
            (
                Usage::new(5, 1).with_cache_write(20),
                r#"{"prompt_tokens":25,"completion_tokens":1,"total_tokens":26,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#,
            ),
        ];
        for (usage, want) in cases {
            assert_eq!(
                serde_json::to_string(&WireUsage::from(&usage)).unwrap(),
                want
            );
        }
    }

    #[test]
    fn finish_reasons_map_onto_chat_completions_words() {
        let cases = [
            (Some(FinishReason::Stop), "stop"),
            (Some(FinishReason::StopSequence), "stop"),
            (Some(FinishReason::Length), "length"),
            (Some(FinishReason::ContentFilter), "content_filter"),
            (Some(FinishReason::ToolCalls), "tool_calls"),
            (Some(FinishReason::Error), "stop"),
            (Some(FinishReason::Other), "stop"),
            (None, "stop"),
        ];
        for (reason, want) in cases {
            let finish = reason.map(Finish::reason);
            assert_eq!(finish_reason(finish.as_ref()), want, "{reason:?}");
        }
    }

    #[test]
    fn string_or_reads_both_forms_and_says_what_it_expected() {
        let s: StringOr<Vec<String>> = serde_json::from_str(r#""END""#).unwrap();
        assert!(matches!(s, StringOr::Text(t) if t == "END"));
        let s: StringOr<Vec<String>> = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert!(matches!(s, StringOr::Other(v) if v == ["a", "b"]));
        let e = serde_json::from_str::<StringOr<Vec<String>>>("7").unwrap_err();
        assert!(
            e.to_string()
                .contains("expected a string or an array of strings"),
            "{e}"
        );
    }
}

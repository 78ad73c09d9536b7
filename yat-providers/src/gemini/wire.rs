//! Gemini URLs and response shapes (the fields yat uses); the request body
//! is in `request` and `content`, a reply's parts in `parts`.
//!
//! Reference: ai.google.dev/api/generate-content (`GenerateContentResponse`,
//! `UsageMetadata`) and ai.google.dev/api/models (`Model`,
//! `ListModelsResponse`). Field names are proto-JSON lowerCamelCase.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use yat_core::Usage;
use yat_http::Url;

pub(crate) use super::parts::Parts;
use yat_http::JsonText;

/// The resource name of `model`: `models/<id>`, whether or not the caller
/// wrote the prefix. A name with another collection (`tunedModels/x`) is
/// kept as it is.
pub(crate) fn resource_name(model: &str) -> Cow<'_, str> {
    let bare = model.strip_prefix("models/").unwrap_or(model);
    if bare.contains('/') {
        Cow::Borrowed(bare)
    } else {
        Cow::Owned(format!("models/{bare}"))
    }
}

/// `{base}/{resource}:{method}`, each path segment percent-encoded, so a
/// model id cannot smuggle a query string or another path into the URL.
pub(crate) fn method_url(base: &Url, model: &str, method: &str) -> Url {
    let mut url = base.clone();
    let resource = resource_name(model);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
        let mut parts = resource.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_some() {
                segments.push(part);
            } else {
                segments.push(&format!("{part}:{method}"));
            }
        }
    }
    url
}

/// One `GenerateContentResponse` of the stream. Only the first candidate is
/// read (yat asks for one) and everything yat does not use is skipped
/// unparsed: a chunk of one text part costs one allocation, its text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Chunk<'a> {
    #[serde(default, borrow)]
    pub candidates: First<Candidate<'a>>,
    #[serde(default, borrow)]
    pub prompt_feedback: Option<PromptFeedback<'a>>,
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Candidate<'a> {
    #[serde(default, borrow)]
    pub content: Option<CandidateContent<'a>>,
    #[serde(default, borrow)]
    pub finish_reason: Option<JsonText<'a>>,
    /// A human explanation the API may add to a `finishReason` other than
    /// `STOP` (newer API versions).
    #[serde(default, borrow)]
    pub finish_message: Option<JsonText<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct CandidateContent<'a> {
    #[serde(default, borrow)]
    pub parts: Parts<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PromptFeedback<'a> {
    #[serde(default, borrow)]
    pub block_reason: Option<JsonText<'a>>,
}

/// `usageMetadata`. A count the API left out is `None`, so that a detail
/// it did not report stays unreported.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageMetadata {
    /// Every prompt token, the cached ones included.
    #[serde(default)]
    pub prompt_token_count: u64,
    #[serde(default)]
    pub candidates_token_count: u64,
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
    /// Of the prompt tokens, those read from the cache.
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
    /// Prompt tokens spent on the results of built-in tools (input, but
    /// not in `promptTokenCount`).
    #[serde(default)]
    pub tool_use_prompt_token_count: u64,
}

impl UsageMetadata {
    /// yat's usage: input at the full rate (the prompt without its cached
    /// part, plus the tool-use prompt), output with the thoughts, which
    /// Gemini counts apart but bills as output. Saturating: counts near
    /// `u64::MAX` from a broken server must not overflow.
    pub(crate) fn to_usage(self) -> Usage {
        let cached = self.cached_content_token_count;
        let thoughts = self.thoughts_token_count;
        let mut usage = Usage::new(
            self.prompt_token_count
                .saturating_sub(cached.unwrap_or(0))
                .saturating_add(self.tool_use_prompt_token_count),
            self.candidates_token_count
                .saturating_add(thoughts.unwrap_or(0)),
        );
        if let Some(n) = cached {
            usage = usage.with_cache_read(n);
        }
        if let Some(n) = thoughts {
            usage = usage.with_reasoning(n);
        }
        usage
    }
}

/// The first element of an array (or nothing for `null`/`[]`), read without
/// collecting the rest.
pub(crate) struct First<T>(pub Option<T>);

impl<T> Default for First<T> {
    fn default() -> Self {
        First(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array or null")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(First(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(First(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first = seq.next_element::<T>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `GET /models`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModelList {
    #[serde(default)]
    pub models: Vec<WireModel>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireModel {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub input_token_limit: Option<u32>,
    #[serde(default)]
    pub output_token_limit: Option<u32>,
    #[serde(default)]
    pub supported_generation_methods: Vec<String>,
    /// Whether the model thinks (supports `thinkingConfig`).
    #[serde(default)]
    pub thinking: Option<bool>,
}

impl WireModel {
    /// Whether the model can chat (the other methods are embeddings,
    /// token counting, tuning...).
    pub(crate) fn can_generate(&self) -> bool {
        self.supported_generation_methods
            .iter()
            .any(|m| m == "generateContent" || m == "streamGenerateContent")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemini::parts::ReplyPart;

    #[test]
    fn urls_take_ids_with_or_without_the_models_prefix_and_encode_them() {
        let base = Url::parse("https://generativelanguage.googleapis.com/v1beta").unwrap();
        let u = method_url(&base, "gemini-2.5-flash", "streamGenerateContent");
        assert_eq!(
            u.as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent"
        );
        let u2 = method_url(&base, "models/gemini-2.5-flash", "streamGenerateContent");
        assert_eq!(u, u2);
        let slash = Url::parse("http://h/v1beta/").unwrap();
        assert_eq!(
            method_url(&slash, "tunedModels/my-model", "generateContent").as_str(),
            "http://h/v1beta/tunedModels/my-model:generateContent"
        );
        assert_eq!(
            method_url(&slash, "x?key=1#y", "m").as_str(),
            "http://h/v1beta/models/x%3Fkey=1%23y:m"
        );
    }

    #[test]
    fn chunk_reads_every_part_of_the_first_candidate_only() {
        let c: Chunk = serde_json::from_str(
            r#"{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"Hel"},{"functionCall":{"name":"f"}},{"text":"lo"}],"role":"model"},"finishReason":"STOP","index":0},{"content":{"parts":[{"text":"other"}]}}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"thoughtsTokenCount":5,"totalTokenCount":10}}"#,
        )
        .unwrap();
        let cand = c.candidates.0.unwrap();
        let parts: Vec<ReplyPart> = cand.content.unwrap().parts.into_iter().collect();
        assert_eq!(parts.len(), 4);
        assert!(
            matches!(&parts[0], ReplyPart::Text { text, thought: true, .. } if text.as_str() == "think")
        );
        assert!(matches!(&parts[2], ReplyPart::Call { name, .. } if name.as_str() == "f"));
        assert!(matches!(
            cand.finish_reason.map(|t| t.0),
            Some(Cow::Borrowed("STOP"))
        ));
        let u = c.usage_metadata.unwrap();
        assert_eq!(u.to_usage(), Usage::new(3, 7).with_reasoning(5));
        let c: Chunk =
            serde_json::from_str(r#"{"candidates":[{"index":0}],"modelVersion":"x"}"#).unwrap();
        assert!(c.candidates.0.unwrap().content.is_none());
        let c: Chunk =
            serde_json::from_str(r#"{"promptFeedback":{"blockReason":"SAFETY"}}"#).unwrap();
        assert!(c.candidates.0.is_none());
        assert_eq!(
            c.prompt_feedback.unwrap().block_reason.unwrap().as_str(),
            "SAFETY"
        );
    }
}

//! Gemini request and response shapes (the parts yat uses).
//!
//! Reference: ai.google.dev/api/generate-content (`GenerateContentRequest`,
//! `GenerateContentResponse`, `UsageMetadata`) and ai.google.dev/api/models
//! (`Model`, `ListModelsResponse`). Field names are proto-JSON lowerCamelCase.

use std::borrow::Cow;
use std::marker::PhantomData;

use reqwest::Url;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use yat_core::{ChatRequest, Role};

use crate::http::JsonText;

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

#[derive(Serialize)]
pub(crate) struct TextPart<'a> {
    text: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Turn<'a> {
    role: &'static str,
    parts: Vec<TextPart<'a>>,
}

#[derive(Serialize)]
struct System {
    parts: [OwnedPart; 1],
}

#[derive(Serialize)]
struct OwnedPart {
    text: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
}

impl GenerationConfig<'_> {
    fn is_empty(&self) -> bool {
        self.temperature.is_none()
            && self.top_p.is_none()
            && self.max_output_tokens.is_none()
            && self.stop_sequences.is_empty()
    }
}

/// A `GenerateContentRequest`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<System>,
    contents: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generation_config: Option<GenerationConfig<'a>>,
}

impl<'a> GenerateBody<'a> {
    /// The request body for `req`. System messages become the top-level
    /// `systemInstruction`; the rest become `contents`, with `assistant`
    /// written `model` and consecutive turns of one role merged into one
    /// turn of several parts (Gemini wants the roles to alternate). Empty
    /// messages are left out: the API rejects an empty text part.
    pub(crate) fn new(req: &'a ChatRequest) -> Self {
        let mut contents: Vec<Turn<'a>> = Vec::with_capacity(req.messages.len());
        for m in &req.messages {
            let role = match m.role {
                Role::System => continue,
                Role::User => "user",
                Role::Assistant => "model",
                _ => continue,
            };
            if m.text().is_empty() {
                continue;
            }
            let part = TextPart {
                text: m
                    .content
                    .first()
                    .and_then(yat_core::Part::as_text)
                    .unwrap_or(""),
            };
            match contents.last_mut() {
                Some(last) if last.role == role => last.parts.push(part),
                _ => contents.push(Turn {
                    role,
                    parts: vec![part],
                }),
            }
        }
        let config = GenerationConfig {
            temperature: req.temperature,
            top_p: req.top_p,
            max_output_tokens: req.max_tokens,
            stop_sequences: &req.stop,
        };
        GenerateBody {
            contents,
            system_instruction: req
                .system_prompt()
                .filter(|s| !s.is_empty())
                .map(|text| System {
                    parts: [OwnedPart { text }],
                }),
            generation_config: (!config.is_empty()).then_some(config),
        }
    }

    /// Whether there is anything for the model to answer.
    pub(crate) fn has_contents(&self) -> bool {
        !self.contents.is_empty()
    }
}

/// One `GenerateContentResponse` of the stream. Only the first candidate is
/// read (yat asks for one), its text parts are joined while decoding, and
/// everything else is skipped unparsed: a chunk costs one allocation, its text.
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
    #[serde(default)]
    pub content: Option<CandidateContent>,
    #[serde(default, borrow)]
    pub finish_reason: Option<JsonText<'a>>,
    /// A human explanation the API may add to a `finishReason` other than
    /// `STOP` (newer API versions).
    #[serde(default, borrow)]
    pub finish_message: Option<JsonText<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct CandidateContent {
    #[serde(default)]
    pub parts: JoinedText,
}

/// The text of a `parts` array, thought summaries left out, built in one
/// string while the array is decoded.
#[derive(Default)]
pub(crate) struct JoinedText(pub String);

#[derive(Deserialize)]
struct Part<'a> {
    #[serde(default, borrow)]
    text: Option<JsonText<'a>>,
    #[serde(default)]
    thought: bool,
}

impl<'de> Deserialize<'de> for JoinedText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JoinedText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of parts")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(JoinedText::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut text = String::new();
                while let Some(part) = seq.next_element::<Part<'de>>()? {
                    // Thought summaries are the model's reasoning, not its reply.
                    if part.thought {
                        continue;
                    }
                    if let Some(t) = part.text {
                        text.push_str(&t);
                    }
                }
                Ok(JoinedText(text))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PromptFeedback<'a> {
    #[serde(default, borrow)]
    pub block_reason: Option<JsonText<'a>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageMetadata {
    #[serde(default)]
    pub prompt_token_count: u64,
    #[serde(default)]
    pub candidates_token_count: u64,
    #[serde(default)]
    pub thoughts_token_count: u64,
    /// Prompt tokens spent on the results of tool calls (part of the input).
    #[serde(default)]
    pub tool_use_prompt_token_count: u64,
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
    use yat_core::Message;

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = ChatRequest::new(
            "gemini-2.5-flash",
            vec![Message::system("Be brief."), Message::user("Say hello")],
        )
        .temperature(0.7)
        .top_p(0.95)
        .max_tokens(256)
        .stop("\n\n");
        // The bytes sent, not a `Value`: f32 parameters must go out as
        // written (0.7, not 0.699999988079071).
        let sent =
            String::from_utf8(serde_json::to_vec(&GenerateBody::new(&req)).unwrap()).unwrap();
        assert_eq!(
            sent,
            r#"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Say hello"}]}],"generationConfig":{"temperature":0.7,"topP":0.95,"maxOutputTokens":256,"stopSequences":["\n\n"]}}"#
        );
    }

    #[test]
    fn assistant_is_model_and_consecutive_turns_merge() {
        let req = ChatRequest::new(
            "m",
            vec![
                Message::user("a"),
                Message::user("b"),
                Message::system("s1"),
                Message::assistant("c"),
                Message::assistant(""),
                Message::assistant("d"),
                Message::user("e"),
                Message::system("s2"),
            ],
        );
        let v = serde_json::to_value(GenerateBody::new(&req)).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"contents":[
                {"role":"user","parts":[{"text":"a"},{"text":"b"}]},
                {"role":"model","parts":[{"text":"c"},{"text":"d"}]},
                {"role":"user","parts":[{"text":"e"}]}],
               "systemInstruction":{"parts":[{"text":"s1\n\ns2"}]}}"#,
        )
        .unwrap();
        assert_eq!(v, expected);
        let only_system = ChatRequest::new("m", vec![Message::system("s")]);
        assert!(!GenerateBody::new(&only_system).has_contents());
    }

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
    fn chunk_joins_text_parts_skips_thoughts_and_keeps_first_candidate() {
        let c: Chunk = serde_json::from_str(
            r#"{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"Hel"},{"functionCall":{"name":"f"}},{"text":"lo"}],"role":"model"},"finishReason":"STOP","index":0},{"content":{"parts":[{"text":"other"}]}}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"thoughtsTokenCount":5,"totalTokenCount":10}}"#,
        )
        .unwrap();
        let cand = c.candidates.0.unwrap();
        assert_eq!(cand.content.unwrap().parts.0, "Hello");
        assert!(matches!(
            cand.finish_reason.map(|t| t.0),
            Some(Cow::Borrowed("STOP"))
        ));
        let u = c.usage_metadata.unwrap();
        assert_eq!(
            (
                u.prompt_token_count,
                u.candidates_token_count,
                u.thoughts_token_count
            ),
            (3, 2, 5)
        );
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

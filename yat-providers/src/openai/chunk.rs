//! The Chat Completions stream chunk, and how one is parsed.
//!
//! Reference: OpenAI's `openapi.yaml`, schemas
//! `CreateChatCompletionStreamResponse`, `ChatCompletionStreamResponseDelta`,
//! `ChatCompletionMessageToolCallChunk` and `CompletionUsage`; plus what
//! compatible servers add: `delta.reasoning_content` (DeepSeek, vLLM,
//! llama.cpp's server), `delta.reasoning` (OpenRouter, Ollama) and
//! DeepSeek's `usage.prompt_cache_hit_tokens`.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use yat_http::JsonText;

/// One `chat.completion.chunk`. Only the first choice is kept (yat asks for
/// one, `n` = 1), and it is decoded without collecting the array, so a chunk
/// costs no allocation beyond its text.
#[derive(Deserialize, Default)]
pub(crate) struct Chunk<'a> {
    #[serde(default, borrow)]
    pub choices: FirstChoice<'a>,
    /// Boxed: it comes once a stream, and a chunk is moved about often.
    #[serde(default)]
    pub usage: Option<Box<WireUsage>>,
    #[serde(default)]
    pub error: Option<IgnoredAny>,
}

#[derive(Default)]
pub(crate) struct FirstChoice<'a>(pub Option<Choice<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstChoice<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = FirstChoice<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of choices or null")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first: Option<Choice<'a>> = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstChoice(first))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Choice<'a> {
    #[serde(default, borrow)]
    pub delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    pub finish_reason: Option<JsonText<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Delta<'a> {
    #[serde(default, borrow)]
    pub content: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub refusal: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub reasoning_content: LooseText<'a>,
    #[serde(default, borrow)]
    pub reasoning: LooseText<'a>,
    #[serde(default, borrow)]
    pub tool_calls: Option<ToolCalls<'a>>,
}

impl<'a> Delta<'a> {
    /// The reasoning text of this delta. Servers that send both fields
    /// (vLLM while it renamed one to the other) send the same text twice,
    /// so only one is read.
    pub fn reasoning_text(&mut self) -> Option<JsonText<'a>> {
        self.reasoning_content
            .0
            .take()
            .filter(|t| !t.is_empty())
            .or_else(|| self.reasoning.0.take())
            .filter(|t| !t.is_empty())
    }
}

/// A string, or nothing for `null` and for any other JSON value: fields
/// that compatible servers fill in their own ways are read when they are
/// text and skipped otherwise, never failing the chunk.
#[derive(Default)]
pub(crate) struct LooseText<'a>(pub Option<JsonText<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for LooseText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = LooseText<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LooseText(Some(JsonText(Cow::Borrowed(v)))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LooseText(Some(JsonText(Cow::Owned(v.to_owned())))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(LooseText(Some(JsonText(Cow::Owned(v)))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                tracing::debug!("a non-text reasoning field skipped");
                Ok(LooseText(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                tracing::debug!("a non-text reasoning field skipped");
                Ok(LooseText(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `delta.tool_calls`. The fast path keeps the array as the text it
/// checked and reads it again when the decoder asks, so that a text chunk
/// carries no room for fragments and a fragment costs no allocation of its
/// own; serde collects the fragments.
pub(crate) enum ToolCalls<'a> {
    /// The array's JSON text, checked by the fast path to read as serde
    /// would read it.
    Scanned(&'a str),
    /// The fragments serde read.
    Parsed(Vec<ToolCallChunk<'a>>),
}

impl<'a> ToolCalls<'a> {
    /// Hands `f` each fragment in order until it returns `false`. Returns
    /// whether every fragment was handed over: `false` when `f` stopped, or
    /// when scanned text could not be read again (which a check by the fast
    /// path rules out).
    pub fn each(self, mut f: impl FnMut(ToolCallChunk<'a>) -> bool) -> bool {
        match self {
            ToolCalls::Scanned(raw) => {
                let mut stopped = false;
                let read = super::chunk_scan::read_tool_calls(raw, |c| {
                    stopped = stopped || !f(c);
                    !stopped
                });
                read.is_some() && !stopped
            }
            ToolCalls::Parsed(calls) => calls.into_iter().all(f),
        }
    }

    /// The fragments, in order.
    #[cfg(test)]
    pub fn fragments(&self) -> Vec<ToolCallChunk<'a>> {
        let mut all = Vec::new();
        let complete = match self {
            ToolCalls::Scanned(raw) => ToolCalls::Scanned(raw).each(|c| {
                all.push(c);
                true
            }),
            ToolCalls::Parsed(calls) => {
                all.extend(calls.iter().map(|c| ToolCallChunk {
                    index: c.index,
                    id: c.id.clone(),
                    function: c.function.as_ref().map(|f| FunctionChunk {
                        name: f.name.clone(),
                        arguments: f.arguments.as_ref().map(|a| Arguments(a.0.clone())),
                    }),
                }));
                true
            }
        };
        assert!(complete);
        all
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ToolCalls<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::deserialize(d).map(ToolCalls::Parsed)
    }
}

/// One entry of `delta.tool_calls`: a fragment of a call. Every field is
/// optional: the first fragment of a call usually has the `index`, `id` and
/// `name`, later ones an `arguments` piece, and servers vary (no `index`
/// from Gemini's endpoint, `id` and `name` on every fragment from
/// llama-cpp-python).
#[derive(Deserialize)]
pub(crate) struct ToolCallChunk<'a> {
    #[serde(default)]
    pub index: Option<u64>,
    #[serde(default, borrow)]
    pub id: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub function: Option<FunctionChunk<'a>>,
}

/// `function` of a tool-call fragment.
#[derive(Deserialize)]
pub(crate) struct FunctionChunk<'a> {
    #[serde(default, borrow)]
    pub name: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub arguments: Option<Arguments<'a>>,
}

/// A piece of a call's arguments: JSON text as the spec has it, or, from
/// servers that send the arguments whole as an object, that object as text.
pub(crate) struct Arguments<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Arguments<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Arguments<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Arguments(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Arguments(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Arguments(Cow::Owned(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let value = serde_json::Value::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(Arguments(Cow::Owned(value.to_string())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Parses one chunk: the scanner's fast path for the usual shape, serde for
/// anything else.
///
/// The fast path reads only `choices[0].delta.{content, refusal,
/// reasoning_content, reasoning}` (as text), the `index`, `id`,
/// `function.name` and `function.arguments` (as text) of each
/// `choices[0].delta.tool_calls[]` fragment, and `choices[0].finish_reason`;
/// it validates and skips every other field, and declines (returns to
/// serde) on a non-null `usage` or `error`, a reasoning field or arguments
/// that are not text, an `index` that is not a plain integer, a duplicated
/// field, a key with escapes, or anything else unusual, so the result, or
/// the error, is always serde's. It is about three times faster on a
/// typical chunk, where most bytes are fields yat does not read, and it
/// allocates nothing for text without escapes.
///
/// `prefix` carries what one chunk teaches the next: every chunk of a
/// stream starts with the same `id`, `object`, `created`, `model` and
/// fingerprint, so the bytes before the first field the decoder reads are
/// kept, and a chunk that starts with exactly those bytes resumes the scan
/// after them: identical bytes leave the scanner in an identical state, so
/// nothing is skipped that was not already validated.
pub(crate) fn parse_chunk<'a>(
    data: &'a str,
    prefix: Option<&mut Vec<u8>>,
) -> serde_json::Result<Chunk<'a>> {
    let mut chunk = Chunk::default();
    match super::chunk_scan::fill_chunk(data, prefix, &mut chunk) {
        Some(()) => Ok(chunk),
        None => serde_json::from_str(data),
    }
}

/// `usage`, in the last chunk (or, from some servers, in every chunk as
/// running totals).
#[derive(Deserialize, Clone, Copy)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionDetails>,
    /// DeepSeek's name for the cached part of `prompt_tokens`.
    #[serde(default)]
    pub prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Deserialize, Clone, Copy)]
pub(crate) struct PromptDetails {
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

#[derive(Deserialize, Clone, Copy)]
pub(crate) struct CompletionDetails {
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

impl WireUsage {
    /// yat's usage: cached tokens apart from `input_tokens`. OpenAI reports
    /// every detail on every reply, zero when there was none, so a zero is
    /// read as no detail.
    pub fn to_usage(self) -> yat_core::Usage {
        let cached = self
            .prompt_tokens_details
            .and_then(|d| d.cached_tokens)
            .or(self.prompt_cache_hit_tokens)
            .filter(|&n| n > 0);
        let reasoning = self
            .completion_tokens_details
            .and_then(|d| d.reasoning_tokens)
            .filter(|&n| n > 0);
        let mut usage = yat_core::Usage::new(
            self.prompt_tokens.saturating_sub(cached.unwrap_or(0)),
            self.completion_tokens,
        );
        if let Some(n) = cached {
            usage = usage.with_cache_read(n);
        }
        if let Some(n) = reasoning {
            usage = usage.with_reasoning(n);
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_keeps_first_choice_only_and_borrows_text() {
        let c: Chunk = serde_json::from_str(
            r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null},{"index":1,"delta":{"content":"other"}}],"usage":null}"#,
        )
        .unwrap();
        let choice = c.choices.0.unwrap();
        let content = choice.delta.unwrap().content.unwrap();
        assert_eq!(content.as_str(), "Hi");
        assert!(matches!(content.0, std::borrow::Cow::Borrowed(_)));
        let c: Chunk = serde_json::from_str(r#"{"choices":null}"#).unwrap();
        assert!(c.choices.0.is_none());
    }

    #[test]
    fn serde_reads_fragments_reasoning_and_usage_details_leniently() {
        let mut c: Chunk = serde_json::from_str(
            r#"{"choices":[{"delta":{"reasoning_content":"","reasoning":"think","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":{"x":1}}},{"index":2,"function":{"arguments":"{}"}}]}}],"usage":null}"#,
        )
        .unwrap();
        let mut delta = c.choices.0.take().unwrap().delta.unwrap();
        assert_eq!(delta.reasoning_text().unwrap().as_str(), "think");
        let calls = delta.tool_calls.unwrap().fragments();
        assert_eq!(calls[0].index, None);
        assert_eq!(calls[0].id.as_ref().unwrap().as_str(), "a");
        let f = calls[0].function.as_ref().unwrap();
        assert_eq!(f.arguments.as_ref().unwrap().0, r#"{"x":1}"#);
        assert_eq!(calls[1].index, Some(2));
        // A reasoning field that is not text is skipped, not an error.
        let mut c: Chunk = serde_json::from_str(
            r#"{"choices":[{"delta":{"reasoning":{"a":[1]},"content":"x"}}]}"#,
        )
        .unwrap();
        let mut delta = c.choices.0.take().unwrap().delta.unwrap();
        assert!(delta.reasoning_text().is_none());

        let u: WireUsage = serde_json::from_str(
            r#"{"prompt_tokens":100,"completion_tokens":40,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":25}}"#,
        )
        .unwrap();
        assert_eq!(
            u.to_usage(),
            yat_core::Usage::new(36, 40)
                .with_cache_read(64)
                .with_reasoning(25)
        );
        let deepseek: WireUsage = serde_json::from_str(
            r#"{"prompt_tokens":10,"completion_tokens":1,"prompt_cache_hit_tokens":8,"prompt_cache_miss_tokens":2,"prompt_tokens_details":null}"#,
        )
        .unwrap();
        assert_eq!(
            deepseek.to_usage(),
            yat_core::Usage::new(2, 1).with_cache_read(8)
        );
        let zeros: WireUsage = serde_json::from_str(
            r#"{"prompt_tokens":9,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#,
        )
        .unwrap();
        assert_eq!(zeros.to_usage(), yat_core::Usage::new(9, 3));
    }
}

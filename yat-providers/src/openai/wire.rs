//! Chat Completions request and response shapes (the parts yat uses).
//!
//! Reference: OpenAI's `openapi.yaml`, schemas `CreateChatCompletionRequest`,
//! `CreateChatCompletionStreamResponse`, `CompletionUsage`, `ListModelsResponse`.

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use yat_core::{ChatRequest, Message};

use crate::http::json_scan::{Scan, MAX_DEPTH};
use crate::http::JsonText;

/// Which field carries the token limit: OpenAI replaced `max_tokens` with
/// `max_completion_tokens` (reasoning models reject the old one), while most
/// compatible servers only know `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_completion_tokens`
    MaxCompletionTokens,
    /// `max_tokens`
    MaxTokens,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
pub(crate) struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
}

impl<'a> ChatBody<'a> {
    pub(crate) fn new(req: &'a ChatRequest, max_field: MaxTokensField, stream_usage: bool) -> Self {
        let (max_completion_tokens, max_tokens) = match max_field {
            MaxTokensField::MaxCompletionTokens => (req.max_tokens, None),
            MaxTokensField::MaxTokens => (None, req.max_tokens),
        };
        ChatBody {
            model: &req.model,
            messages: req.messages.iter().map(wire_message).collect(),
            stream: true,
            stream_options: stream_usage.then_some(StreamOptions {
                include_usage: true,
            }),
            temperature: req.temperature,
            top_p: req.top_p,
            max_completion_tokens,
            max_tokens,
            stop: &req.stop,
        }
    }
}

fn wire_message(m: &Message) -> WireMessage<'_> {
    WireMessage {
        role: m.role.as_str(),
        content: m
            .content
            .first()
            .and_then(yat_core::Part::as_text)
            .unwrap_or(""),
    }
}

/// One `chat.completion.chunk`. Only the first choice is kept (yat asks for
/// one, `n` = 1), and it is decoded without collecting the array, so a chunk
/// costs no allocation beyond its text.
#[derive(Deserialize)]
pub(crate) struct Chunk<'a> {
    #[serde(default, borrow)]
    pub choices: FirstChoice<'a>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
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

#[derive(Deserialize)]
pub(crate) struct Choice<'a> {
    #[serde(default, borrow)]
    pub delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    pub finish_reason: Option<JsonText<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct Delta<'a> {
    #[serde(default, borrow)]
    pub content: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub refusal: Option<JsonText<'a>>,
}

/// Parses one chunk: the scanner's fast path for the usual shape, serde for
/// anything else.
///
/// The fast path reads only `choices[0].delta.{content,refusal}` and
/// `choices[0].finish_reason`, validates and skips every other field, and
/// declines (returns to serde) on a non-null `usage` or `error`, a
/// duplicated field, a key with escapes, or anything else unusual, so the
/// result, or the error, is always serde's. It is about three times faster
/// on a typical chunk, where most bytes are fields yat does not read.
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
    match fast_chunk(data, prefix) {
        Some(chunk) => Ok(chunk),
        None => serde_json::from_str(data),
    }
}

/// The fast path of [`parse_chunk`]; `None` means "ask serde".
fn fast_chunk<'a>(data: &'a str, mut prefix: Option<&mut Vec<u8>>) -> Option<Chunk<'a>> {
    let bytes = data.as_bytes();
    let mut s = Scan::new(data);
    let resumed = match prefix.as_deref() {
        Some(p) if !p.is_empty() && bytes.starts_with(p) => {
            s.resume_at(p.len());
            true
        }
        _ => false,
    };
    if !resumed {
        s.ws();
        s.eat(b'{')?;
        s.ws();
        if s.peek()? == b'}' {
            s.eat(b'}')?;
            s.end()?;
            return Some(Chunk {
                choices: FirstChoice(None),
                usage: None,
                error: None,
            });
        }
    }
    let mut choices: Option<FirstChoice<'a>> = None;
    let (mut usage, mut error) = (false, false);
    // Where the first member starts: a prefix is kept only if it holds a
    // member, so that it always ends after a `,`.
    let first = s.pos();
    loop {
        // The cursor is on a key, after `{` or `,` and whitespace.
        let at = s.pos();
        let key = s.key()?;
        s.ws();
        s.eat(b':')?;
        s.ws();
        let known = matches!(key, "choices" | "usage" | "error");
        if known && !resumed && at > first && choices.is_none() && !usage && !error {
            if let (Some(p), Some(head)) = (prefix.as_deref_mut(), bytes.get(..at)) {
                if p.as_slice() != head {
                    p.clear();
                    p.extend_from_slice(head);
                }
            }
        }
        match key {
            "choices" if choices.is_none() => choices = Some(fast_choices(&mut s)?),
            // Only `null` here: a real usage or error goes to serde.
            "usage" if !usage => {
                usage = true;
                s.null()?;
            }
            "error" if !error => {
                error = true;
                s.null()?;
            }
            // A duplicate is an error for serde's derive: let it say so.
            _ if known => return None,
            _ => s.skip_value(MAX_DEPTH)?,
        }
        s.ws();
        match s.peek()? {
            b',' => {
                s.eat(b',')?;
                s.ws();
            }
            b'}' => {
                s.eat(b'}')?;
                break;
            }
            _ => return None,
        }
    }
    s.end()?;
    Some(Chunk {
        choices: choices.unwrap_or_default(),
        usage: None,
        error: None,
    })
}

fn fast_choices<'a>(s: &mut Scan<'a>) -> Option<FirstChoice<'a>> {
    if s.peek()? == b'n' {
        s.null()?;
        return Some(FirstChoice(None));
    }
    let mut first = None;
    s.array(|s, i| {
        if i == 0 {
            first = Some(fast_choice(s)?);
            Some(())
        } else {
            s.skip_value(MAX_DEPTH)
        }
    })?;
    Some(FirstChoice(first))
}

fn fast_choice<'a>(s: &mut Scan<'a>) -> Option<Choice<'a>> {
    let mut delta: Option<Option<Delta<'a>>> = None;
    let mut finish: Option<Option<JsonText<'a>>> = None;
    s.object(|s, key| match key {
        "delta" if delta.is_none() => {
            delta = Some(fast_delta(s)?);
            Some(())
        }
        "finish_reason" if finish.is_none() => {
            finish = Some(s.opt_string()?);
            Some(())
        }
        "delta" | "finish_reason" => None,
        _ => s.skip_value(MAX_DEPTH),
    })?;
    Some(Choice {
        delta: delta.flatten(),
        finish_reason: finish.flatten(),
    })
}

fn fast_delta<'a>(s: &mut Scan<'a>) -> Option<Option<Delta<'a>>> {
    if s.peek()? == b'n' {
        s.null()?;
        return Some(None);
    }
    let mut content: Option<Option<JsonText<'a>>> = None;
    let mut refusal: Option<Option<JsonText<'a>>> = None;
    s.object(|s, key| match key {
        "content" if content.is_none() => {
            content = Some(s.opt_string()?);
            Some(())
        }
        "refusal" if refusal.is_none() => {
            refusal = Some(s.opt_string()?);
            Some(())
        }
        "content" | "refusal" => None,
        _ => s.skip_value(MAX_DEPTH),
    })?;
    Some(Some(Delta {
        content: content.flatten(),
        refusal: refusal.flatten(),
    }))
}

#[derive(Deserialize, Clone, Copy)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

/// `GET /models`.
#[derive(Deserialize)]
pub(crate) struct ModelList {
    #[serde(default)]
    pub data: Vec<WireModel>,
}

#[derive(Deserialize)]
pub(crate) struct WireModel {
    pub id: String,
    /// OpenRouter and some servers add these; OpenAI does not.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub context_length: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = ChatRequest::new(
            "gpt-4o-mini",
            vec![Message::system("Be brief."), Message::user("Say hello")],
        )
        .temperature(0.7)
        .top_p(1.0)
        .max_tokens(256)
        .stop("\n\n");
        // Compare the bytes as sent (f32 0.7 must go out as 0.7), parsed.
        let bytes = serde_json::to_vec(&ChatBody::new(
            &req,
            MaxTokensField::MaxCompletionTokens,
            true,
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.7,"top_p":1.0,"max_completion_tokens":256,"stop":["\n\n"],"stream":true,"stream_options":{"include_usage":true}}"#,
        )
        .unwrap();
        assert_eq!(v, expected);
    }

    #[test]
    fn compatible_servers_get_max_tokens_and_no_stream_options() {
        let req = ChatRequest::new("m", vec![Message::user("hi")]).max_tokens(5);
        let v =
            serde_json::to_value(ChatBody::new(&req, MaxTokensField::MaxTokens, false)).unwrap();
        assert_eq!(v["max_tokens"], 5);
        assert!(v.get("max_completion_tokens").is_none());
        assert!(v.get("stream_options").is_none());
        assert!(v.get("stop").is_none());
        assert!(v.get("temperature").is_none());
    }

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

    /// What the decoder reads from a chunk, comparable.
    type View = (
        Option<(Option<(Option<String>, Option<String>)>, Option<String>)>,
        bool,
        bool,
    );

    fn view(c: &Chunk<'_>) -> View {
        let s = |t: &Option<JsonText<'_>>| t.as_ref().map(|t| t.as_str().to_owned());
        (
            c.choices.0.as_ref().map(|ch| {
                (
                    ch.delta.as_ref().map(|d| (s(&d.content), s(&d.refusal))),
                    s(&ch.finish_reason),
                )
            }),
            c.usage.is_some(),
            c.error.is_some(),
        )
    }

    /// The fast path may decline anything, but what it accepts serde must
    /// accept too, with the same result.
    fn agrees_with_serde(data: &str) -> bool {
        agrees_with_serde_after(data, None)
    }

    /// The same, scanning with a prefix left by earlier chunks.
    fn agrees_with_serde_after(data: &str, prefix: Option<&mut Vec<u8>>) -> bool {
        let Some(fast) = fast_chunk(data, prefix) else {
            return false;
        };
        let slow: Chunk = serde_json::from_str(data)
            .unwrap_or_else(|e| panic!("fast path accepted what serde rejects ({e}): {data}"));
        assert_eq!(view(&fast), view(&slow), "{data}");
        true
    }

    const REAL: &[&str] = &[
        r#"{"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_yat0001","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        r#"{"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_yat0001","choices":[{"index":0,"delta":{"content":"tok "},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":"line\nbreak \"q\" \u00e9 \ud83d\ude00"},"finish_reason":null}]}"#,
        r#" { "choices" : [ { "delta" : { "refusal" : "no" , "content" : null } } , { "delta" : { "content" : "other" } } ] , "x" : [ 1 , { "y" : [ ] } , -0.5e-3 , true , false ] } "#,
        r#"{"choices":null}"#,
        r#"{"choices":[]}"#,
        r#"{}"#,
        r#"{"id":"c","choices":[{"delta":{"content":"a","tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]}}],"error":null}"#,
    ];

    #[test]
    fn fast_path_takes_the_usual_chunks_and_matches_serde() {
        for data in REAL {
            assert!(agrees_with_serde(data), "fast path declined {data}");
        }
        let c = parse_chunk(REAL[1], None).unwrap();
        let content = c.choices.0.unwrap().delta.unwrap().content.unwrap();
        assert!(matches!(content.0, std::borrow::Cow::Borrowed("tok ")));
    }

    #[test]
    fn fast_path_leaves_the_rest_to_serde() {
        for data in [
            // Usage and errors are serde's.
            r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}}"#,
            r#"{"error":{"message":"boom","type":"server_error"}}"#,
            // Duplicates are an error in serde's derive.
            r#"{"choices":[],"choices":[]}"#,
            r#"{"choices":[{"delta":{},"delta":{}}]}"#,
            r#"{"choices":[{"delta":{"content":"a","content":"b"}}]}"#,
            // Keys with escapes, wrong types, broken JSON.
            r#"{"choic\u0065s":[]}"#,
            r#"{"choices":{}}"#,
            r#"{"choices":[null]}"#,
            r#"{"choices":[{"delta":{"content":5}}]}"#,
            r#"{"choices":[{"delta":{"content":"\ud83d"}}]}"#,
            r#"{"choices":[]"#,
            r#"{"choices":[]} x"#,
            r#"{"id":01,"choices":[]}"#,
            r#"[[]]"#,
            "",
        ] {
            assert!(fast_chunk(data, None).is_none(), "fast path took {data}");
            let mut prefix = b"{".to_vec();
            assert!(
                fast_chunk(data, Some(&mut prefix)).is_none(),
                "fast path took {data}"
            );
            // And the public entry point gives serde's verdict.
            assert_eq!(
                parse_chunk(data, None)
                    .map(|c| view(&c))
                    .map_err(|e| e.to_string()),
                serde_json::from_str::<Chunk>(data)
                    .map(|c| view(&c))
                    .map_err(|e| e.to_string()),
            );
        }
    }

    #[test]
    fn a_stream_resumes_after_the_shared_prefix() {
        let mut prefix = Vec::new();
        for data in REAL.iter().chain(REAL) {
            assert!(agrees_with_serde_after(data, Some(&mut prefix)), "{data}");
        }
        // The usual chunks leave the bytes before `"choices"`.
        prefix.clear();
        assert!(agrees_with_serde_after(REAL[1], Some(&mut prefix)));
        let head = &REAL[1][..REAL[1].find(r#""choices""#).unwrap()];
        assert_eq!(prefix, head.as_bytes());
        // The next chunk resumes there and reads its own text.
        let next = REAL[1].replace("tok ", "next");
        let c = fast_chunk(&next, Some(&mut prefix)).unwrap();
        assert_eq!(view(&c).0.unwrap().0.unwrap().0.as_deref(), Some("next"));
        // A chunk that differs inside the prefix is scanned from the start.
        let other = REAL[1].replace("fp_yat0001", "fp_other01");
        assert!(agrees_with_serde_after(&other, Some(&mut prefix)));
        assert!(prefix.ends_with(br#""fp_other01","#));
        // Broken after the prefix is still broken.
        let broken = format!("{head}}}");
        assert!(fast_chunk(&broken, Some(&mut prefix)).is_none() || prefix.is_empty());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// A JSON value as text, with random whitespace.
        fn value() -> impl Strategy<Value = String> {
            let ws = prop::sample::select(vec!["", " ", "\n", "\t "]);
            let leaf = prop_oneof![
                Just("null".to_owned()),
                Just("true".to_owned()),
                Just("false".to_owned()),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(|f| format!("{f:e}")),
                any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            ];
            leaf.prop_recursive(4, 24, 4, move |inner| {
                let ws = ws.clone();
                prop_oneof![
                    prop::collection::vec((inner.clone(), ws.clone()), 0..4).prop_map(|v| {
                        let items: Vec<String> =
                            v.into_iter().map(|(x, w)| format!("{w}{x}{w}")).collect();
                        format!("[{}]", items.join(","))
                    }),
                    prop::collection::vec(("[a-z_]{1,6}", inner), 0..4).prop_map(|v| {
                        let items: Vec<String> =
                            v.into_iter().map(|(k, x)| format!("{k:?}:{x}")).collect();
                        format!("{{{}}}", items.join(","))
                    }),
                ]
            })
        }

        /// Text as JSON writes it, with every character optionally as a
        /// `\u` escape (surrogate pairs beyond the BMP).
        fn escaped(text: &str, mask: &[bool]) -> String {
            let mut out = String::from("\"");
            for (i, ch) in text.chars().enumerate() {
                if mask.get(i % mask.len().max(1)).copied().unwrap_or(false) {
                    let mut units = [0u16; 2];
                    for u in ch.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                } else {
                    let one = serde_json::to_string(&ch.to_string()).unwrap();
                    out.push_str(&one[1..one.len() - 1]);
                }
            }
            out.push('"');
            out
        }

        proptest! {
            #[test]
            fn any_chunk_the_fast_path_takes_is_read_as_serde_reads_it(
                extra in prop::collection::vec(("[a-z_]{1,8}", value()), 0..4),
                content in any::<String>(),
                mask in prop::collection::vec(any::<bool>(), 1..5),
                finish in prop::option::of("[a-z_]{1,12}"),
                more in prop::collection::vec(value(), 0..3),
            ) {
                let mut fields: Vec<String> =
                    extra.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                let finish = finish.map_or("null".to_owned(), |f| format!("{f:?}"));
                let mut choices = vec![format!(
                    r#"{{"index":0,"delta":{{"content":{}}},"logprobs":null,"finish_reason":{finish}}}"#,
                    escaped(&content, &mask)
                )];
                choices.extend(more);
                fields.push(format!(r#""choices":[{}]"#, choices.join(",")));
                let data = format!("{{{}}}", fields.join(","));
                // Every generated chunk is valid: the fast path must take it
                // (unless a random key collides with a field it reads).
                let collides = extra.iter().any(|(k, _)| ["choices", "usage", "error"].contains(&k.as_str()));
                prop_assert!(agrees_with_serde(&data) || collides, "declined {}", data);
            }

            #[test]
            fn mangled_chunks_are_never_accepted_unless_serde_accepts_them(
                which in 0..REAL.len(),
                cut in any::<prop::sample::Index>(),
                len in 0usize..6,
                insert in prop::collection::vec(prop::sample::select(
                    b"{}[]\",:\\ 0123456789.eE+-nulltruefalsxu\x01\xc3\xa9".to_vec()), 0..4),
            ) {
                let base = REAL[which].as_bytes();
                let at = cut.index(base.len() + 1);
                let mut bytes = base[..at].to_vec();
                bytes.extend_from_slice(&insert);
                bytes.extend_from_slice(&base[(at + len).min(base.len())..]);
                if let Ok(data) = std::str::from_utf8(&bytes) {
                    agrees_with_serde(data);
                    // And resuming after the prefix the unmangled chunk left.
                    let mut prefix = Vec::new();
                    agrees_with_serde_after(REAL[which], Some(&mut prefix));
                    agrees_with_serde_after(data, Some(&mut prefix));
                }
            }
        }
    }
}

//! The fast path of [`parse_chunk`](super::chunk::parse_chunk): the
//! usual chunk read with the allocation-free scanner, without serde.

use super::chunk::{
    Arguments, Choice, Chunk, Delta, FirstChoice, FunctionChunk, ToolCallChunk, ToolCalls,
};
use crate::json_scan::{Scan, MAX_DEPTH};
use yat_http::JsonText;

/// The fast path of [`parse_chunk`](super::chunk::parse_chunk); `None`
/// means "ask serde".
#[cfg(test)]
pub(crate) fn fast_chunk<'a>(data: &'a str, prefix: Option<&mut Vec<u8>>) -> Option<Chunk<'a>> {
    let mut chunk = Chunk::default();
    fill_chunk(data, prefix, &mut chunk)?;
    Some(chunk)
}

/// The fast path of [`parse_chunk`](super::chunk::parse_chunk), writing
/// into `out` (a default chunk): a chunk is built where it will be read,
/// not moved up through every level, which showed in the time per token.
/// `None` means "ask serde" (and `out` is then partly written).
pub(crate) fn fill_chunk<'a>(
    data: &'a str,
    mut prefix: Option<&mut Vec<u8>>,
    out: &mut Chunk<'a>,
) -> Option<()> {
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
            return s.end();
        }
    }
    let (mut choices, mut usage, mut error) = (false, false, false);
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
        if known && !resumed && at > first && !choices && !usage && !error {
            if let (Some(p), Some(head)) = (prefix.as_deref_mut(), bytes.get(..at)) {
                if p.as_slice() != head {
                    p.clear();
                    p.extend_from_slice(head);
                }
            }
        }
        match key {
            "choices" if !choices => {
                choices = true;
                fast_choices(&mut s, data, &mut out.choices)?;
            }
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
    s.end()
}

fn fast_choices<'a>(s: &mut Scan<'a>, data: &'a str, out: &mut FirstChoice<'a>) -> Option<()> {
    if s.peek()? == b'n' {
        return s.null();
    }
    s.array(|s, i| {
        if i == 0 {
            fast_choice(s, data, out.0.insert(Choice::default()))
        } else {
            s.skip_value(MAX_DEPTH)
        }
    })
}

fn fast_choice<'a>(s: &mut Scan<'a>, data: &'a str, out: &mut Choice<'a>) -> Option<()> {
    let (mut delta, mut finish) = (false, false);
    s.object(|s, key| match key {
        "delta" if !delta => {
            delta = true;
            fast_delta(s, data, &mut out.delta)
        }
        "finish_reason" if !finish => {
            finish = true;
            out.finish_reason = s.opt_string()?;
            Some(())
        }
        "delta" | "finish_reason" => None,
        _ => s.skip_value(MAX_DEPTH),
    })
}

fn fast_delta<'a>(s: &mut Scan<'a>, data: &'a str, out: &mut Option<Delta<'a>>) -> Option<()> {
    if s.peek()? == b'n' {
        return s.null();
    }
    let d = out.insert(Delta::default());
    // Each field read once: a duplicate is an error for serde's derive.
    let mut seen = [false; 5];
    s.object(|s, key| {
        let (i, slot) = match key {
            "content" => (0, &mut d.content),
            "refusal" => (1, &mut d.refusal),
            "reasoning_content" => (2, &mut d.reasoning_content.0),
            "reasoning" => (3, &mut d.reasoning.0),
            "tool_calls" => {
                if std::mem::replace(&mut seen[4], true) {
                    return None;
                }
                d.tool_calls = fast_tool_calls(s, data)?;
                return Some(());
            }
            _ => return s.skip_value(MAX_DEPTH),
        };
        if std::mem::replace(&mut seen[i], true) {
            return None;
        }
        *slot = s.opt_string()?;
        Some(())
    })
}

/// `delta.tool_calls`: `null`, or an array of fragments that
/// [`read_tool_calls`] reads as serde reads [`ToolCallChunk`]s. It is
/// checked here without allocating and kept as text; anything else
/// (arguments sent as an object, an `index` that is not a plain integer) is
/// serde's.
fn fast_tool_calls<'a>(s: &mut Scan<'a>, data: &'a str) -> Option<Option<ToolCalls<'a>>> {
    if s.peek()? == b'n' {
        s.null()?;
        return Some(None);
    }
    let start = s.pos();
    walk_tool_calls(s, data, &check_text, &mut |_| true)?;
    Some(Some(ToolCalls::Scanned(data.get(start..s.pos())?)))
}

/// Reads the fragments of a `tool_calls` array [`fast_tool_calls`] checked,
/// handing each to `f` until it returns `false`.
pub(crate) fn read_tool_calls<'a>(
    raw: &'a str,
    mut f: impl FnMut(ToolCallChunk<'a>) -> bool,
) -> Option<()> {
    let mut s = Scan::new(raw);
    walk_tool_calls(&mut s, raw, &|s, _| s.opt_string(), &mut f)?;
    s.end()
}

/// How a string field is taken: read, or only checked.
type TextOf<'t, 'a> = &'t dyn Fn(&mut Scan<'a>, &'a str) -> Option<Option<JsonText<'a>>>;

/// `null` or a string that [`Scan::opt_string`] would read, checked
/// without allocating (unless it holds a `\u` escape, which is rare in
/// these fields: that one is unescaped to check its surrogates as serde
/// does).
fn check_text<'a>(s: &mut Scan<'a>, data: &'a str) -> Option<Option<JsonText<'a>>> {
    match s.peek()? {
        b'n' => s.null().map(|()| None),
        b'"' => {
            let start = s.pos();
            s.skip_value(0)?;
            let raw = data.get(start..s.pos())?;
            if raw.contains("\\u") {
                Scan::new(raw).string()?;
            }
            Some(None)
        }
        _ => None,
    }
}

/// Walks a `tool_calls` array at the cursor (`data` is the scanned text),
/// handing `f` each fragment; `None` when it does not read as serde reads
/// it, or when `f` returns `false`.
fn walk_tool_calls<'a>(
    s: &mut Scan<'a>,
    data: &'a str,
    text: TextOf<'_, 'a>,
    f: &mut dyn FnMut(ToolCallChunk<'a>) -> bool,
) -> Option<()> {
    s.array(|s, _| {
        let call = tool_call(s, data, text)?;
        f(call).then_some(())
    })
}

fn tool_call<'a>(
    s: &mut Scan<'a>,
    data: &'a str,
    text: TextOf<'_, 'a>,
) -> Option<ToolCallChunk<'a>> {
    let mut index: Option<Option<u64>> = None;
    let mut id: Option<Option<JsonText<'a>>> = None;
    let mut function: Option<Option<FunctionChunk<'a>>> = None;
    s.object(|s, key| match key {
        "index" if index.is_none() => {
            index = Some(tool_call_index(s, data)?);
            Some(())
        }
        "id" if id.is_none() => {
            id = Some(text(s, data)?);
            Some(())
        }
        "function" if function.is_none() => {
            function = Some(tool_call_function(s, data, text)?);
            Some(())
        }
        "index" | "id" | "function" => None,
        _ => s.skip_value(MAX_DEPTH),
    })?;
    Some(ToolCallChunk {
        index: index.flatten(),
        id: id.flatten(),
        function: function.flatten(),
    })
}

/// `null` or a non-negative integer that fits a `u64`, written as serde
/// reads one: digits only (no sign, fraction or exponent).
fn tool_call_index(s: &mut Scan<'_>, data: &str) -> Option<Option<u64>> {
    if s.peek()? == b'n' {
        s.null()?;
        return Some(None);
    }
    let start = s.pos();
    if !s.peek()?.is_ascii_digit() {
        return None;
    }
    s.skip_value(0)?;
    let digits = data.get(start..s.pos())?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

fn tool_call_function<'a>(
    s: &mut Scan<'a>,
    data: &'a str,
    text: TextOf<'_, 'a>,
) -> Option<Option<FunctionChunk<'a>>> {
    if s.peek()? == b'n' {
        s.null()?;
        return Some(None);
    }
    let mut name: Option<Option<JsonText<'a>>> = None;
    let mut arguments: Option<Option<JsonText<'a>>> = None;
    s.object(|s, key| {
        let slot = match key {
            "name" => &mut name,
            "arguments" => &mut arguments,
            _ => return s.skip_value(MAX_DEPTH),
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(text(s, data)?);
        Some(())
    })?;
    Some(Some(FunctionChunk {
        name: name.flatten(),
        arguments: arguments.flatten().map(|a| Arguments(a.0)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openai::chunk::parse_chunk;

    /// What the decoder reads from a tool-call fragment: index, id, name
    /// and arguments.
    type CallView = (Option<u64>, Option<String>, Option<String>, Option<String>);

    /// What the decoder reads from a delta: content, refusal, the two
    /// reasoning fields and the tool-call fragments.
    type DeltaView = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<Vec<CallView>>,
    );

    /// What the decoder reads from a chunk, comparable.
    type View = (Option<(Option<DeltaView>, Option<String>)>, bool, bool);

    fn view(c: &Chunk<'_>) -> View {
        let s = |t: &Option<JsonText<'_>>| t.as_ref().map(|t| t.as_str().to_owned());
        (
            c.choices.0.as_ref().map(|ch| {
                (
                    ch.delta.as_ref().map(|d| {
                        (
                            s(&d.content),
                            s(&d.refusal),
                            s(&d.reasoning_content.0),
                            s(&d.reasoning.0),
                            d.tool_calls.as_ref().map(|calls| {
                                calls
                                    .fragments()
                                    .iter()
                                    .map(|c| {
                                        let f = c.function.as_ref();
                                        (
                                            c.index,
                                            s(&c.id),
                                            f.and_then(|f| s(&f.name)),
                                            f.and_then(|f| {
                                                f.arguments.as_ref().map(|a| a.0.to_string())
                                            }),
                                        )
                                    })
                                    .collect()
                            }),
                        )
                    }),
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
        r#"{"id":"c","choices":[{"delta":{"content":"a","tool_calls":null,"function_call":null}}],"error":null}"#,
        r#"{"id":"c","choices":[{"delta":{"role":"assistant","content":null,"reasoning_content":"Let me think"},"finish_reason":null}]}"#,
        r#"{"id":"c","choices":[{"delta":{"content":"","reasoning":"\u00e9 hm","reasoning_details":[{"type":"reasoning.text","text":"x"}]}}]}"#,
        r#"{"id": "chatcmpl-b9d4", "object": "chat.completion.chunk", "created": 1796095314, "model": "gemma-fc", "choices": [{"index": 0, "finish_reason": null, "logprobs": null, "delta": {"role": "assistant", "content": null, "function_call": null, "tool_calls": null}}]}"#,
        // Tool-call fragments: the spec's first and later ones, several in
        // one chunk, llama-cpp-python's (id, type and name repeated, a
        // legacy `function_call` alongside), Gemini's (no index).
        r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#,
        r#"{"id":"c","choices":[{"delta":{"content":"a","tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]}}],"error":null}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\":"}},{"index":0,"function":{"arguments":"{\"city\":"}},{"index":2,"id":"c3","function":{"name":"f","arguments":null}}]},"finish_reason":"tool_calls"}]}"#,
        r#"{"id": "chatcmpl-b9d4", "choices": [{"index": 0, "finish_reason": null, "logprobs": null, "delta": {"role": null, "content": null, "function_call": {"name": "get_current_time", "arguments": " \""}, "tool_calls": [{"index": 0, "id": "call__0_get_current_time", "type": "function", "function": {"name": "get_current_time", "arguments": " \""}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"id":"function-call-1","type":"function","function":{"name":"now","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[],"reasoning":null}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":null,"id":null,"index_extra":[1]}]}}]}"#,
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
            // Tool calls in unusual shapes or twice.
            r#"{"choices":[{"delta":{"tool_calls":null,"tool_calls":null}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":{}}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[null]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":{"x":1}}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":-1}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1.0}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1e2}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":18446744073709551616}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":"0"}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"index":0}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"a","id":"a"}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"name":"f","name":"f"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"name":3}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":[]}]}}]}"#,
            // Reasoning that is not text, or twice.
            r#"{"choices":[{"delta":{"reasoning":{"text":"x"}}}]}"#,
            r#"{"choices":[{"delta":{"reasoning_content":1}}]}"#,
            r#"{"choices":[{"delta":{"reasoning_content":"a","reasoning_content":"b"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning":null,"reasoning":"b"}}]}"#,
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
                reasoning in prop::option::of((any::<bool>(), any::<String>())),
                null_calls in any::<bool>(),
            ) {
                let mut fields: Vec<String> =
                    extra.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                let finish = finish.map_or("null".to_owned(), |f| format!("{f:?}"));
                let mut delta = vec![format!(r#""content":{}"#, escaped(&content, &mask))];
                if let Some((which, text)) = &reasoning {
                    let key = if *which { "reasoning_content" } else { "reasoning" };
                    delta.push(format!(r#""{key}":{}"#, escaped(text, &mask)));
                }
                if null_calls {
                    delta.push(r#""tool_calls":null,"function_call":null"#.to_owned());
                }
                let mut choices = vec![format!(
                    r#"{{"index":0,"delta":{{{}}},"logprobs":null,"finish_reason":{finish}}}"#,
                    delta.join(",")
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
            fn tool_call_fragments_are_taken_and_read_as_serde_reads_them(
                pieces in prop::collection::vec(
                    (prop::option::of(any::<u64>()), prop::option::of("[a-z_0-9]{1,12}"),
                     prop::option::of("[a-z_]{1,10}"), prop::option::of(any::<String>())),
                    0..5,
                ),
                mask in prop::collection::vec(any::<bool>(), 1..5),
                extra in prop::collection::vec(("[a-z_]{1,8}", value()), 0..3),
            ) {
                let calls: Vec<String> = pieces
                    .iter()
                    .map(|(index, id, name, args)| {
                        let mut fields: Vec<String> =
                            extra.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                        let mut function = Vec::new();
                        if let Some(n) = name {
                            function.push(format!(r#""name":"{n}""#));
                        }
                        if let Some(a) = args {
                            function.push(format!(r#""arguments":{}"#, escaped(a, &mask)));
                        }
                        fields.push(format!(r#""function":{{{}}}"#, function.join(",")));
                        if let Some(i) = index {
                            fields.push(format!(r#""index":{i}"#));
                        }
                        if let Some(id) = id {
                            fields.push(format!(r#""id":"{id}","type":"function""#));
                        }
                        format!("{{{}}}", fields.join(","))
                    })
                    .collect();
                let data = format!(
                    r#"{{"id":"c","choices":[{{"index":0,"delta":{{"tool_calls":[{}]}},"finish_reason":null}}]}}"#,
                    calls.join(",")
                );
                let collides = extra
                    .iter()
                    .any(|(k, _)| ["index", "id", "function", "type"].contains(&k.as_str()));
                prop_assert!(agrees_with_serde(&data) || collides, "declined {}", data);
                let mut prefix = br#"{"id":"c","#.to_vec();
                agrees_with_serde_after(&data, Some(&mut prefix));
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

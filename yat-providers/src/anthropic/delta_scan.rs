//! The fast path of [`ContentBlockDelta::parse`]: the event the Messages
//! API sends per token (and per tool-input piece), read with the shared
//! allocation-free scanner instead of serde.
//!
//! It reads exactly what the serde shapes read: `index` and `delta` at the
//! top, and `type`, `text`, `thinking`, `signature` and `partial_json` in
//! `delta`, skipping (and validating) everything else. Whatever it does not
//! handle (a duplicate key, an index that is not a plain integer, a key
//! with an escape) it declines with `None`, and the caller asks serde,
//! which gives the answer or the error: the scanner never accepts what
//! serde would reject. A string with escapes is unescaped into one
//! allocation, where serde would fill a scratch buffer and copy it.

use crate::json_scan::{Scan, MAX_DEPTH};
use yat_http::JsonText;

use super::wire::{BlockDelta, ContentBlockDelta};

/// `data` as a `content_block_delta`, or `None` for "ask serde".
pub(crate) fn fast_delta(data: &str) -> Option<ContentBlockDelta<'_>> {
    let mut s = Scan::new(data);
    s.ws();
    let mut index: Option<Option<u64>> = None;
    let mut delta: Option<Option<BlockDelta<'_>>> = None;
    s.object(|s, key| match key {
        "index" if index.is_none() => {
            index = Some(opt_u64(s, data)?);
            Some(())
        }
        "delta" if delta.is_none() => {
            delta = Some(match s.peek()? {
                b'n' => s.null().map(|()| None)?,
                _ => Some(block_delta(s)?),
            });
            Some(())
        }
        // A duplicate is an error for serde's derive: let it say so.
        "index" | "delta" => None,
        _ => s.skip_value(MAX_DEPTH),
    })?;
    s.end()?;
    Some(ContentBlockDelta {
        index: index.flatten(),
        delta: delta.flatten(),
    })
}

/// `null` or a non-negative integer that fits a `u64`, written plainly.
fn opt_u64(s: &mut Scan<'_>, data: &str) -> Option<Option<u64>> {
    if s.peek()? == b'n' {
        return s.null().map(|()| None);
    }
    let start = s.pos();
    s.skip_value(0)?;
    data.get(start..s.pos())?.parse().ok().map(Some)
}

fn block_delta<'a>(s: &mut Scan<'a>) -> Option<BlockDelta<'a>> {
    let mut fields: [Option<Option<JsonText<'a>>>; 5] = Default::default();
    s.object(|s, key| {
        let slot = match key {
            "type" => 0,
            "text" => 1,
            "thinking" => 2,
            "signature" => 3,
            "partial_json" => 4,
            _ => return s.skip_value(MAX_DEPTH),
        };
        if fields[slot].is_some() {
            return None;
        }
        fields[slot] = Some(s.opt_string()?);
        Some(())
    })?;
    let [kind, text, thinking, signature, partial_json] = fields.map(Option::flatten);
    Some(BlockDelta {
        kind,
        text,
        thinking,
        signature,
        partial_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::borrow::Cow;

    /// The fast path agrees with serde wherever it answers.
    fn same_as_serde(data: &str) -> Option<(Option<u64>, [Option<String>; 5])> {
        let flat = |d: ContentBlockDelta<'_>| {
            let b = d.delta;
            let f = |t: Option<JsonText<'_>>| t.map(JsonText::into_string);
            (
                d.index,
                match b {
                    None => Default::default(),
                    Some(b) => [
                        f(b.kind),
                        f(b.text),
                        f(b.thinking),
                        f(b.signature),
                        f(b.partial_json),
                    ],
                },
            )
        };
        let fast = fast_delta(data).map(flat);
        let slow = serde_json::from_str::<ContentBlockDelta<'_>>(data)
            .ok()
            .map(flat);
        if let Some(f) = &fast {
            assert_eq!(Some(f), slow.as_ref(), "{data}");
        }
        fast
    }

    #[test]
    fn reads_the_documented_deltas_borrowed_unless_escaped() {
        let d = fast_delta(
            r#"{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}"#,
        )
        .unwrap();
        assert_eq!(d.index, Some(0));
        let b = d.delta.unwrap();
        assert!(matches!(b.text.unwrap().0, Cow::Borrowed("Hello")));
        let d = fast_delta(
            r#"{"type":"content_block_delta","index":12,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}}"#,
        )
        .unwrap();
        assert_eq!(d.index, Some(12));
        assert_eq!(
            d.delta.unwrap().partial_json.unwrap().as_str(),
            "{\"city\": \"Par"
        );
        for data in [
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":"hm\u00e9"}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"EqQB=="}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":{"type":"x","n":[1,2.5e3,true,null]}}}"#,
            r#"{"index":null,"delta":null,"extra":[]}"#,
            r#" {"delta":{"text":null}} "#,
        ] {
            assert!(same_as_serde(data).is_some(), "{data}");
        }
    }

    #[test]
    fn declines_what_it_does_not_handle_and_never_accepts_what_serde_rejects() {
        for data in [
            r#"{"index":0,"index":1,"delta":{}}"#,
            r#"{"index":0,"delta":{"text":"a","text":"b"}}"#,
            r#"{"index":1.0,"delta":{}}"#,
            r#"{"index":-1,"delta":{}}"#,
            r#"{"index":1e2,"delta":{}}"#,
            r#"{"index":"1","delta":{}}"#,
            r#"{"index":0,"delta":{"text":5}}"#,
            r#"{"index":0,"delta":[]}"#,
            r#"{"index":0,"delta":{"text":"a"}} x"#,
            r#"{"index":0,"delta":{"text":"\ud800"}}"#,
            r#"{"index":0,"delta":{"text":"a}"#,
            r#"{"ind\u0065x":0}"#,
        ] {
            assert_eq!(same_as_serde(data), None, "{data}");
        }
    }

    proptest! {
        #[test]
        fn any_text_or_input_piece_reads_as_serde_reads_it(text in any::<String>(), index in any::<u64>()) {
            for kind in ["text_delta", "input_json_delta"] {
                let field = if kind == "text_delta" { "text" } else { "partial_json" };
                let data = serde_json::json!({
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": kind, field: text},
                })
                .to_string();
                prop_assert!(same_as_serde(&data).is_some(), "{}", data);
            }
        }
    }
}

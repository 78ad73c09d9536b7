//! How a message's parts and a reply's usage map to the columns of the
//! `messages` table.
//!
//! `content` always holds the message's text, so a listing, a search or an
//! older reader needs nothing else. `parts` holds the whole message as the
//! serde form of [`Content`] (tool calls, tool results, reasoning with its
//! signatures, attachments with their bytes), and is NULL when the message
//! is exactly one text part: the common case costs nothing more than before,
//! and rows written before the column existed read back the same way.

use std::borrow::Cow;

use yat_core::{Content, Part, Usage};

/// The text of `parts`, borrowed when it is one text part.
pub(crate) fn text_of(parts: &[Part]) -> Cow<'_, str> {
    match parts {
        [Part::Text(t)] => Cow::Borrowed(t),
        parts => Cow::Owned(parts.iter().filter_map(Part::as_text).collect()),
    }
}

/// The `parts` column: `None` when the text column says it all.
pub(crate) fn encode_parts(parts: &[Part]) -> Result<Option<String>, serde_json::Error> {
    match parts {
        [Part::Text(_)] => Ok(None),
        parts => serde_json::to_string(parts).map(Some),
    }
}

/// The message's content from its `content` and `parts` columns.
pub(crate) fn decode_parts(
    text: String,
    parts: Option<&str>,
) -> Result<Content, serde_json::Error> {
    match parts {
        None => Ok(Content::from(text)),
        Some(json) => serde_json::from_str(json),
    }
}

/// `input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
/// reasoning_tokens`, in that order; all NULL when usage is unknown, and a
/// detail the provider did not report stays NULL rather than 0.
pub(crate) type UsageColumns = [Option<i64>; 5];

/// The usage columns of a reply.
pub(crate) fn encode_usage(usage: Option<Usage>) -> UsageColumns {
    match usage {
        None => [None; 5],
        Some(u) => [
            Some(to_i64(u.input_tokens)),
            Some(to_i64(u.output_tokens)),
            u.cache_read_tokens.map(to_i64),
            u.cache_write_tokens.map(to_i64),
            u.reasoning_tokens.map(to_i64),
        ],
    }
}

/// A reply's usage from its columns; `None` when none was recorded.
pub(crate) fn decode_usage(cols: UsageColumns) -> Option<Usage> {
    let [input, output, cache_read, cache_write, reasoning] = cols;
    if input.is_none() && output.is_none() {
        return None;
    }
    let mut u = Usage::new(to_u64(input.unwrap_or(0)), to_u64(output.unwrap_or(0)));
    if let Some(n) = cache_read {
        u = u.with_cache_read(to_u64(n));
    }
    if let Some(n) = cache_write {
        u = u.with_cache_write(to_u64(n));
    }
    if let Some(n) = reasoning {
        u = u.with_reasoning(to_u64(n));
    }
    Some(u)
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{Media, Reasoning, ToolCall};

    #[test]
    fn one_text_part_needs_no_parts_column() {
        let parts = [Part::text("hi")];
        assert_eq!(encode_parts(&parts).unwrap(), None);
        assert_eq!(text_of(&parts), "hi");
        assert_eq!(
            decode_parts("hi".into(), None).unwrap(),
            Content::from("hi")
        );
    }

    #[test]
    fn every_other_message_round_trips_through_json() {
        let parts = vec![
            Part::Reasoning(Reasoning::new("hm").with_signature("sig")),
            Part::text("look: "),
            Part::Image(Media::bytes("image/png", vec![1, 2, 3]).with_name("a.png")),
            Part::ToolCall(ToolCall::new("c1", "f", serde_json::json!({"x": 1}))),
        ];
        let json = encode_parts(&parts).unwrap().unwrap();
        let text = text_of(&parts).into_owned();
        assert_eq!(text, "look: ");
        assert_eq!(
            decode_parts(text, Some(&json)).unwrap(),
            Content::from(parts)
        );
        let empty = encode_parts(&[]).unwrap().unwrap();
        assert!(decode_parts(String::new(), Some(&empty))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn usage_details_not_reported_stay_unknown() {
        assert_eq!(decode_usage(encode_usage(None)), None);
        let u = Usage::new(3, 9).with_reasoning(4);
        let cols = encode_usage(Some(u));
        assert_eq!(cols, [Some(3), Some(9), None, None, Some(4)]);
        assert_eq!(decode_usage(cols), Some(u));
    }
}

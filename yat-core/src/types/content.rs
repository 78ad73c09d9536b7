//! The parts of a message: a list held inline when it has one part.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

use super::message::{Part, PartRepr, ToolCall, ToolResult};

/// The parts of a message, in order.
///
/// One part is held inline, so a text-only message costs what a `String`
/// costs: one allocation, its text. It serializes as a plain JSON string
/// when it is one text part (the 0.1 format, which it also reads), and as
/// an array of parts otherwise.
///
/// ```
/// use yat_core::{Content, Part};
/// let c = Content::from("hi");
/// assert_eq!(serde_json::to_string(&c).unwrap(), r#""hi""#);
/// let mut c = c;
/// c.push(Part::text(" there"));
/// assert_eq!(c.text(), "hi there");
/// assert_eq!(serde_json::to_string(&c).unwrap(), r#"[{"type":"text","text":"hi"},{"type":"text","text":" there"}]"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Content(SmallVec<[Part; 1]>);

impl Content {
    /// No parts.
    pub fn new() -> Self {
        Content(SmallVec::new())
    }
    /// Appends a part.
    pub fn push(&mut self, part: Part) {
        self.0.push(part);
    }
    /// The text parts joined (no separator): the message's text, borrowed
    /// when there is one text part.
    pub fn text(&self) -> Cow<'_, str> {
        match self.0.as_slice() {
            [Part::Text(t)] => Cow::Borrowed(t),
            parts => Cow::Owned(parts.iter().filter_map(Part::as_text).collect()),
        }
    }
    /// Whether every part is text (or there is none).
    pub fn is_text_only(&self) -> bool {
        self.0.iter().all(|p| matches!(p, Part::Text(_)))
    }
    /// The tool calls among the parts.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.0.iter().filter_map(|p| match p {
            Part::ToolCall(c) => Some(c),
            _ => None,
        })
    }
    /// The tool results among the parts.
    pub fn tool_results(&self) -> impl Iterator<Item = &ToolResult> {
        self.0.iter().filter_map(|p| match p {
            Part::ToolResult(r) => Some(r),
            _ => None,
        })
    }
}

impl std::ops::Deref for Content {
    type Target = [Part];
    fn deref(&self) -> &[Part] {
        &self.0
    }
}

impl std::ops::DerefMut for Content {
    fn deref_mut(&mut self) -> &mut [Part] {
        &mut self.0
    }
}

impl From<String> for Content {
    fn from(s: String) -> Self {
        Content(smallvec::smallvec![Part::Text(s)])
    }
}

impl From<&str> for Content {
    fn from(s: &str) -> Self {
        Content::from(s.to_owned())
    }
}

impl From<&String> for Content {
    fn from(s: &String) -> Self {
        Content::from(s.clone())
    }
}

impl From<Cow<'_, str>> for Content {
    fn from(s: Cow<'_, str>) -> Self {
        Content::from(s.into_owned())
    }
}

impl From<Vec<Part>> for Content {
    fn from(v: Vec<Part>) -> Self {
        Content(SmallVec::from_vec(v))
    }
}

impl From<Part> for Content {
    fn from(p: Part) -> Self {
        Content(smallvec::smallvec![p])
    }
}

impl FromIterator<Part> for Content {
    fn from_iter<I: IntoIterator<Item = Part>>(iter: I) -> Self {
        Content(iter.into_iter().collect())
    }
}

impl IntoIterator for Content {
    type Item = Part;
    type IntoIter = IntoParts;
    fn into_iter(self) -> Self::IntoIter {
        IntoParts(self.0.into_iter())
    }
}

/// The parts of a [`Content`], by value (its `IntoIterator`).
#[derive(Debug)]
pub struct IntoParts(smallvec::IntoIter<[Part; 1]>);

impl Iterator for IntoParts {
    type Item = Part;
    fn next(&mut self) -> Option<Part> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoParts {
    fn next_back(&mut self) -> Option<Part> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for IntoParts {}

impl<'a> IntoIterator for &'a Content {
    type Item = &'a Part;
    type IntoIter = std::slice::Iter<'a, Part>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for Content {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [Part::Text(t)] => s.serialize_str(t),
            parts => s.collect_seq(parts),
        }
    }
}

/// Reads a string as one text part and an array as parts. A part of a
/// type this version does not know (written by a newer yat) is skipped
/// with a debug log rather than making the whole message unreadable.
impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> serde::de::Visitor<'de> for ContentVisitor {
            type Value = Content;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of parts")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Content, E> {
                Ok(Content::from(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Content, E> {
                Ok(Content::from(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Content, A::Error> {
                let mut parts = SmallVec::new();
                while let Some(repr) = seq.next_element::<PartRepr>()? {
                    match Part::try_from(repr) {
                        Ok(part) => parts.push(part),
                        Err(()) => tracing::debug!("skipping a message part of an unknown type"),
                    }
                }
                Ok(Content(parts))
            }
        }
        d.deserialize_any(ContentVisitor)
    }
}

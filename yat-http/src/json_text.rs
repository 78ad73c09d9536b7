//! A JSON string field that borrows from the input when it can.
//!
//! serde borrows a bare `Cow<'a, str>` field marked `#[serde(borrow)]`, but
//! not one inside an `Option` or nested through another type: those are
//! always copied. Stream decoders read every delta through `Option`s, so
//! this newtype does the borrowing itself: text without escapes is a slice
//! of the event's data, and only text with escapes is allocated.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

/// A string from JSON: borrowed unless it contained escapes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonText<'a>(pub Cow<'a, str>);

impl<'a> JsonText<'a> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// An owned `String` (the one allocation a delta is allowed).
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Deref for JsonText<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = JsonText<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonText(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonText(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonText(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct T<'a> {
        #[serde(borrow)]
        a: Option<JsonText<'a>>,
    }

    #[test]
    fn borrows_plain_text_and_copies_escaped_text() {
        let t: T = serde_json::from_str(r#"{"a":"plain"}"#).unwrap();
        assert!(matches!(t.a.unwrap().0, Cow::Borrowed("plain")));
        let t: T = serde_json::from_str(r#"{"a":"line\nbreak é"}"#).unwrap();
        let a = t.a.unwrap();
        assert!(matches!(a.0, Cow::Owned(_)));
        assert_eq!(a.as_str(), "line\nbreak é");
        let t: T = serde_json::from_str(r#"{"a":null}"#).unwrap();
        assert!(t.a.is_none());
    }
}

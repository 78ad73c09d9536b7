//! The parts of a streamed reply, as yat reads them.
//!
//! A `Part` holds one kind of data (`text`, `functionCall`, `inlineData`,
//! `executableCode`, ...) and may carry `thought: true` (a thought summary)
//! and a `thoughtSignature`. Text is borrowed from the event's data when it
//! has no escapes, and the parts of a chunk are held inline when there is
//! one, as there nearly always is: a text chunk allocates nothing here.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use yat_http::JsonText;

/// One part of a reply.
#[derive(Debug)]
pub(crate) enum ReplyPart<'a> {
    /// Text: the reply's, or a thought summary's (`thought`). Either may
    /// be empty and carry only a signature.
    Text {
        text: JsonText<'a>,
        thought: bool,
        signature: Option<JsonText<'a>>,
    },
    /// A whole function call.
    Call {
        id: Option<JsonText<'a>>,
        name: JsonText<'a>,
        args: serde_json::Value,
        signature: Option<JsonText<'a>>,
    },
    /// A part of a kind yat does not read, named by its data field
    /// (`inlineData`, `executableCode`, ...).
    Other { kind: JsonText<'a> },
}

#[derive(Deserialize)]
struct FunctionCall<'a> {
    #[serde(default, borrow)]
    id: Option<JsonText<'a>>,
    #[serde(borrow)]
    name: JsonText<'a>,
    #[serde(default)]
    args: Option<serde_json::Value>,
}

/// Fields that describe a part without being its data.
const METADATA: &[&str] = &["partMetadata", "videoMetadata", "mediaResolution"];

impl<'de: 'a, 'a> Deserialize<'de> for ReplyPart<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ReplyPart<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a part object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut text = None;
                let mut thought = false;
                let mut signature = None;
                let mut call: Option<FunctionCall<'a>> = None;
                let mut other = None;
                while let Some(key) = map.next_key::<JsonText<'de>>()? {
                    match key.as_str() {
                        "text" => text = map.next_value()?,
                        "thought" => thought = map.next_value::<Option<bool>>()?.unwrap_or(false),
                        "thoughtSignature" => signature = map.next_value()?,
                        "functionCall" => call = Some(map.next_value()?),
                        k => {
                            if other.is_none() && !METADATA.contains(&k) {
                                other = Some(key);
                            }
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(match (call, text) {
                    (Some(c), _) => ReplyPart::Call {
                        id: c.id,
                        name: c.name,
                        args: c
                            .args
                            .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
                        signature,
                    },
                    (None, Some(text)) => ReplyPart::Text {
                        text,
                        thought,
                        signature,
                    },
                    (None, None) => match (other, signature) {
                        (Some(kind), _) => ReplyPart::Other { kind },
                        // A bare signature: a text part whose text was left out.
                        (None, signature) => ReplyPart::Text {
                            text: JsonText::default(),
                            thought,
                            signature,
                        },
                    },
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// The `parts` of a candidate's content, in order: the first inline, the
/// rest (rare) in a vector.
#[derive(Default, Debug)]
pub(crate) struct Parts<'a> {
    first: Option<ReplyPart<'a>>,
    rest: Vec<ReplyPart<'a>>,
}

impl<'a> IntoIterator for Parts<'a> {
    type Item = ReplyPart<'a>;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<ReplyPart<'a>>, std::vec::IntoIter<ReplyPart<'a>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Parts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Parts<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of parts")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Parts::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut parts = Parts {
                    first: seq.next_element()?,
                    rest: Vec::new(),
                };
                while let Some(p) = seq.next_element()? {
                    parts.rest.push(p);
                }
                Ok(parts)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn parts(json: &str) -> Vec<ReplyPart<'_>> {
        serde_json::from_str::<Parts>(json)
            .unwrap()
            .into_iter()
            .collect()
    }

    #[test]
    fn text_is_borrowed_and_every_kind_is_told_apart() {
        let p = parts(
            r#"[{"text":"plain","thoughtSignature":"c2ln"},{"thought":true,"text":"hm"},{"functionCall":{"name":"f","args":{"a":1},"id":"x"},"thoughtSignature":"czI="},{"inlineData":{"mimeType":"image/png","data":"AA=="}},{"thoughtSignature":"czM="},{"videoMetadata":{},"text":"v"}]"#,
        );
        assert_eq!(p.len(), 6);
        match &p[0] {
            ReplyPart::Text {
                text,
                thought: false,
                signature: Some(s),
            } => {
                assert!(matches!(text.0, Cow::Borrowed("plain")));
                assert_eq!(s.as_str(), "c2ln");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            &p[1],
            ReplyPart::Text {
                thought: true,
                signature: None,
                ..
            }
        ));
        match &p[2] {
            ReplyPart::Call {
                id: Some(id),
                name,
                args,
                signature: Some(s),
            } => assert_eq!(
                (id.as_str(), name.as_str(), args["a"].as_i64(), s.as_str()),
                ("x", "f", Some(1), "czI=")
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(&p[3], ReplyPart::Other { kind } if kind.as_str() == "inlineData"));
        assert!(
            matches!(&p[4], ReplyPart::Text { text, signature: Some(_), .. } if text.is_empty())
        );
        assert!(matches!(&p[5], ReplyPart::Text { text, .. } if text.as_str() == "v"));
    }

    #[test]
    fn a_call_without_args_has_an_empty_object_and_one_without_a_name_is_an_error() {
        let p = parts(r#"[{"functionCall":{"name":"now"}}]"#);
        assert!(
            matches!(&p[0], ReplyPart::Call { id: None, args, .. } if args == &serde_json::json!({}))
        );
        assert!(serde_json::from_str::<Parts>(r#"[{"functionCall":{"args":{}}}]"#).is_err());
        assert!(serde_json::from_str::<Parts>("null")
            .unwrap()
            .into_iter()
            .next()
            .is_none());
    }
}

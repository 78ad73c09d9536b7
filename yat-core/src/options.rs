//! Model options: request fields a provider takes beyond the contract's own
//! (penalties, a seed, `top_k`, a user id, ...), sent in
//! [`ChatRequest::extra`](crate::ChatRequest::extra).
//!
//! A provider may declare the options it knows
//! ([`LlmProvider::model_options`](crate::LlmProvider::model_options)), so
//! that a front end can list them and check what a user typed before
//! anything is sent; a provider that declares none takes any field, as the
//! passthrough always did (a local server's own sampling knobs, say).
//!
//! ```
//! use yat_core::options::{parse_options, OptionKind, OptionSpec};
//! const DECLARED: &[OptionSpec] = &[OptionSpec::new("top_k", OptionKind::Integer, "Sample from the K likeliest tokens")];
//! let pairs = [("top_k".to_string(), "40".to_string())];
//! let fields = parse_options("acme", DECLARED, &pairs).unwrap();
//! assert_eq!(fields["top_k"], 40);
//! let typo = [("top-k".to_string(), "40".to_string())];
//! assert_eq!(parse_options("acme", DECLARED, &typo).unwrap_err().kind(), "unsupported");
//! ```

use serde::Serialize;
use serde_json::{Map, Value};

use crate::YatError;

/// The `capability` of the [`YatError::Unsupported`] an option gives.
pub const CAPABILITY: &str = "options";

/// One option a provider declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OptionSpec {
    /// The request field's name.
    pub name: &'static str,
    /// What its value is.
    pub kind: OptionKind,
    /// What it does, in a line.
    pub help: &'static str,
}

impl OptionSpec {
    /// An option named `name`, of `kind`.
    pub const fn new(name: &'static str, kind: OptionKind, help: &'static str) -> Self {
        OptionSpec { name, kind, help }
    }
}

/// The kind of an option's value, which decides how typed text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OptionKind {
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Text, as typed.
    String,
    /// A JSON value (an object, a list).
    Json,
}

impl OptionKind {
    /// Its name, as a listing shows it.
    pub const fn as_str(self) -> &'static str {
        match self {
            OptionKind::Integer => "integer",
            OptionKind::Number => "number",
            OptionKind::Boolean => "boolean",
            OptionKind::String => "string",
            OptionKind::Json => "json",
        }
    }

    /// `text` as a value of this kind.
    fn read(self, text: &str) -> Option<Value> {
        match self {
            OptionKind::Integer => text.trim().parse::<i64>().ok().map(Value::from),
            OptionKind::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            OptionKind::Boolean => text.trim().parse::<bool>().ok().map(Value::Bool),
            OptionKind::String => Some(Value::String(text.to_owned())),
            OptionKind::Json => serde_json::from_str(text).ok(),
        }
    }
}

/// The request fields for `KEY VALUE` pairs a user typed for `provider`.
///
/// With options `declared`, each key must be one of them and its value of
/// its kind. With none declared any key goes, its value read as JSON when
/// it is JSON (`40`, `true`, `[1, 2]`) and as text otherwise. Mistakes are
/// [`YatError::Unsupported`] with capability [`CAPABILITY`], found before
/// anything is sent.
pub fn parse_options(
    provider: &str,
    declared: &[OptionSpec],
    pairs: &[(String, String)],
) -> Result<Map<String, Value>, YatError> {
    let refuse = |message: String| YatError::Unsupported {
        provider: provider.to_owned(),
        capability: CAPABILITY.into(),
        message,
    };
    let mut fields = Map::new();
    for (key, text) in pairs {
        if key.trim().is_empty() {
            return Err(refuse("an option needs a name".into()));
        }
        let value = if declared.is_empty() {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        } else {
            let spec = declared.iter().find(|s| s.name == key).ok_or_else(|| {
                let names: Vec<&str> = declared.iter().map(|s| s.name).collect();
                refuse(format!(
                    "no option {key:?}; the model's options are {}",
                    names.join(", ")
                ))
            })?;
            spec.kind
                .read(text)
                .ok_or_else(|| refuse(format!("{key} takes {}, not {text:?}", wanted(spec.kind))))?
        };
        fields.insert(key.clone(), value);
    }
    Ok(fields)
}

/// What a value of `kind` is, in words.
fn wanted(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Integer => "a whole number",
        OptionKind::Number => "a number",
        OptionKind::Boolean => "true or false",
        OptionKind::String => "text",
        OptionKind::Json => "JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DECLARED: &[OptionSpec] = &[
        OptionSpec::new("top_k", OptionKind::Integer, "k"),
        OptionSpec::new("penalty", OptionKind::Number, "p"),
        OptionSpec::new("logprobs", OptionKind::Boolean, "l"),
        OptionSpec::new("user", OptionKind::String, "u"),
        OptionSpec::new("metadata", OptionKind::Json, "m"),
    ];

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn declared_options_are_read_by_their_kind() {
        let fields = parse_options(
            "p",
            DECLARED,
            &pairs(&[
                ("top_k", "40"),
                ("penalty", "0.5"),
                ("logprobs", "true"),
                ("user", "42"),
                ("metadata", r#"{"user_id": "u"}"#),
            ]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(fields),
            json!({"top_k": 40, "penalty": 0.5, "logprobs": true, "user": "42",
                   "metadata": {"user_id": "u"}})
        );
    }

    #[test]
    fn a_mistake_names_the_option_and_what_it_takes() {
        let cases = [
            (
                "top-k",
                "40",
                "no option \"top-k\"; the model's options are top_k, penalty",
            ),
            ("top_k", "4.5", "top_k takes a whole number, not \"4.5\""),
            ("penalty", "high", "penalty takes a number, not \"high\""),
            (
                "logprobs",
                "yes",
                "logprobs takes true or false, not \"yes\"",
            ),
            ("metadata", "{", "metadata takes JSON, not \"{\""),
            (" ", "1", "an option needs a name"),
        ];
        for (key, value, needle) in cases {
            let e = parse_options("p", DECLARED, &pairs(&[(key, value)])).unwrap_err();
            assert!(
                matches!(e, YatError::Unsupported { ref capability, .. } if capability == CAPABILITY)
            );
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn undeclared_options_go_through_as_json_or_text() {
        let fields = parse_options(
            "p",
            &[],
            &pairs(&[
                ("min_p", "0.05"),
                ("ids", "[1, 2]"),
                ("mode", "fast"),
                ("on", "true"),
            ]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(fields),
            json!({"min_p": 0.05, "ids": [1, 2], "mode": "fast", "on": true})
        );
    }
}

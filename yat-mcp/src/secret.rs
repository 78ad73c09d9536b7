//! Values in the configuration that may be credentials: kept as written
//! (so a save writes back `${GITHUB_TOKEN}`, not the token), never shown,
//! and resolved against the environment only when a server is started.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use yat_core::Secret;

/// A configuration value that may hold a credential or reference one in an
/// environment variable (`"${GITHUB_TOKEN}"`, `"Bearer ${TOKEN}"`).
///
/// `Debug` and `Display` print `[redacted]`; serialization writes the text
/// as it was written, references unexpanded, because it is what the user
/// put in the file. [`ConfigSecret::resolve`] expands the references into a
/// [`Secret`].
///
/// ```
/// use yat_mcp::ConfigSecret;
/// let s = ConfigSecret::new("Bearer ${YAT_MCP_DOC_TOKEN}");
/// assert_eq!(format!("{s} {s:?}"), "[redacted] ConfigSecret([redacted])");
/// let resolved = s.resolve_with(|var| (var == "YAT_MCP_DOC_TOKEN").then(|| "t0k".to_owned())).unwrap();
/// assert_eq!(resolved.expose(), "Bearer t0k");
/// assert_eq!(s.resolve_with(|_| None).unwrap_err(), "YAT_MCP_DOC_TOKEN");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigSecret(String);

impl ConfigSecret {
    /// A value as the user would write it in the file.
    pub fn new(text: impl Into<String>) -> Self {
        ConfigSecret(text.into())
    }

    /// The text as written, references unexpanded. For writing the file
    /// back; never for a message.
    pub fn as_written(&self) -> &str {
        &self.0
    }

    /// The names of the environment variables the value references.
    ///
    /// ```
    /// use yat_mcp::ConfigSecret;
    /// assert_eq!(ConfigSecret::new("${A}:${B}").references(), vec!["A", "B"]);
    /// ```
    pub fn references(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = self.0.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    out.push(&after[..end]);
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        out
    }

    /// Expands every `${NAME}` from the process environment.
    ///
    /// Errors with the name of the first variable that is not set (or not
    /// valid Unicode).
    pub fn resolve(&self) -> Result<Secret, String> {
        self.resolve_with(|name| std::env::var(name).ok())
    }

    /// Expands every `${NAME}` with `lookup`; errors with the name of the
    /// first variable `lookup` does not know. `${` without a closing `}` is
    /// kept as text.
    pub fn resolve_with(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<Secret, String> {
        let mut out = String::with_capacity(self.0.len());
        let mut rest = self.0.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            out.push_str(&rest[..start]);
            let name = &after[..end];
            match lookup(name) {
                Some(value) => out.push_str(&value),
                None => return Err(name.to_owned()),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Secret::new(out))
    }
}

impl fmt::Debug for ConfigSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfigSecret([redacted])")
    }
}

impl fmt::Display for ConfigSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for ConfigSecret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ConfigSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ConfigSecret)
    }
}

impl From<&str> for ConfigSecret {
    fn from(s: &str) -> Self {
        ConfigSecret::new(s)
    }
}

impl From<String> for ConfigSecret {
    fn from(s: String) -> Self {
        ConfigSecret::new(s)
    }
}

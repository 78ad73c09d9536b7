//! A resolved value, where it came from, and how it is shown.

use std::path::PathBuf;

use serde::Serialize;

use crate::secret::Secret;

/// Where a resolved value came from.
///
/// ```
/// use std::collections::BTreeMap;
/// use yat_core::settings::{SettingSource, SettingsSources};
/// use yat_core::SettingSpec;
///
/// const SPECS: &[SettingSpec] = &[SettingSpec::url("base_url", "Base URL", &[]).default_value("https://acme.invalid")];
/// let mut sources = SettingsSources::default();
/// assert_eq!(sources.resolve("acme", SPECS).resolved("base_url").unwrap().source, SettingSource::Default);
///
/// sources.env = BTreeMap::from([("ACME_BASE_URL".to_string(), "http://127.0.0.1:8080".to_string())]);
/// let r = sources.resolve("acme", SPECS);
/// assert_eq!(r.resolved("base_url").unwrap().source.to_string(), "env ACME_BASE_URL");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SettingSource {
    /// The process environment.
    Env {
        /// The variable.
        var: String,
    },
    /// A `.env` file.
    DotEnv {
        /// The file.
        path: PathBuf,
        /// The variable.
        var: String,
    },
    /// `provider_config.json`.
    ConfigFile,
    /// The provider's declared default.
    Default,
}

impl std::fmt::Display for SettingSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingSource::Env { var } => write!(f, "env {var}"),
            SettingSource::DotEnv { path, var } => write!(f, "{} ({var})", path.display()),
            SettingSource::ConfigFile => f.write_str("provider_config.json"),
            SettingSource::Default => f.write_str("default"),
        }
    }
}

/// A resolved value. Secret values are held as [`Secret`].
///
/// ```
/// use yat_core::settings::ResolvedSettings;
/// let s = ResolvedSettings::from_pairs("acme", &[("api_key", "sk-123"), ("region", "eu")]);
/// let key = &s.resolved("api_key").unwrap().value;
/// assert_eq!(key.expose(), "sk-123");
/// assert_eq!(key.display(), "********");
/// assert_eq!(s.resolved("region").unwrap().value.display(), "eu");
/// ```
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum SettingValue {
    /// A credential.
    Secret(Secret),
    /// Anything else, as text.
    Plain(String),
}

impl SettingValue {
    /// The text of the value (for a secret: the secret itself).
    pub fn expose(&self) -> &str {
        match self {
            SettingValue::Secret(s) => s.expose(),
            SettingValue::Plain(s) => s,
        }
    }
    /// The value for display: a secret as `********` (nothing when it is
    /// empty), never any of its characters, not even its length; everything
    /// else as is.
    pub fn display(&self) -> String {
        match self {
            SettingValue::Secret(s) if s.is_empty() => String::new(),
            SettingValue::Secret(_) => "********".to_owned(),
            SettingValue::Plain(s) => s.clone(),
        }
    }
}

impl std::fmt::Debug for SettingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingValue::Secret(s) => s.fmt(f),
            SettingValue::Plain(p) => p.fmt(f),
        }
    }
}

/// A value with its origin.
///
/// ```
/// use yat_core::settings::{ResolvedSettings, SettingSource};
/// let s = ResolvedSettings::from_pairs("acme", &[("region", "eu")]);
/// let v = s.resolved("region").unwrap();
/// assert_eq!(v.value.expose(), "eu");
/// assert_eq!(v.source, SettingSource::ConfigFile);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ResolvedValue {
    /// The value.
    pub value: SettingValue,
    /// Where it came from.
    #[serde(flatten)]
    pub source: SettingSource,
}

impl ResolvedValue {
    /// `value`, from `source`.
    pub fn new(value: SettingValue, source: SettingSource) -> Self {
        ResolvedValue { value, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_displays_as_set_or_empty_and_nothing_more() {
        let shown = |v: &str| SettingValue::Secret(Secret::new(v)).display();
        assert_eq!(shown("sk-123"), "********");
        assert_eq!(shown("a-much-longer-key-than-that"), "********");
        assert_eq!(shown(""), "");
        assert_eq!(SettingValue::Plain("eu".into()).display(), "eu");
    }
}

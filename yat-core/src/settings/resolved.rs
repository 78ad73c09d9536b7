//! The settings of one provider after resolution, with typed getters that
//! validate a value without ever quoting a secret.

use std::collections::BTreeMap;

use serde::Serialize;

use super::spec::SettingKind;
use super::value::{ResolvedValue, SettingSource, SettingValue};
use crate::secret::{is_credential_name, sanitize, Secret};
use crate::YatError;

/// A required setting that no source supplied.
///
/// ```
/// use yat_core::settings::SettingsSources;
/// use yat_core::SettingSpec;
///
/// const SPECS: &[SettingSpec] = &[SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"]).required()];
/// let r = SettingsSources::default().resolve("acme", SPECS);
/// let missing = &r.missing()[0];
/// assert_eq!((missing.key.as_str(), missing.env_var.as_str()), ("api_key", "ACME_API_KEY"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MissingSetting {
    /// Setting key.
    pub key: String,
    /// Human label.
    pub label: String,
    /// The environment variable to set (the first declared one, or the implicit one).
    pub env_var: String,
    /// The kind of value: a secret is best not typed on a command line.
    pub kind: SettingKind,
}

impl MissingSetting {
    /// The setting `key` (shown as `label`), which `env_var` would supply;
    /// a [`SettingKind::Text`] value unless [`with_kind`](Self::with_kind)
    /// says otherwise.
    ///
    /// ```
    /// use yat_core::settings::MissingSetting;
    /// let m = MissingSetting::new("api_key", "API key", "ACME_API_KEY");
    /// assert_eq!(m.env_var, "ACME_API_KEY");
    /// ```
    pub fn new(
        key: impl Into<String>,
        label: impl Into<String>,
        env_var: impl Into<String>,
    ) -> Self {
        MissingSetting {
            key: key.into(),
            label: label.into(),
            env_var: env_var.into(),
            kind: SettingKind::Text,
        }
    }

    /// The kind of value the setting takes.
    pub fn with_kind(mut self, kind: SettingKind) -> Self {
        self.kind = kind;
        self
    }
}

/// The settings of one provider after resolution.
///
/// ```
/// use yat_core::settings::ResolvedSettings;
/// let s = ResolvedSettings::from_pairs("acme", &[("base_url", "http://127.0.0.1:9")]);
/// assert_eq!(s.get("base_url"), Some("http://127.0.0.1:9"));
/// assert_eq!(s.get("api_key"), None);
/// ```
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResolvedSettings {
    pub(super) provider: String,
    pub(super) values: BTreeMap<String, ResolvedValue>,
    pub(super) missing: Vec<MissingSetting>,
}

impl ResolvedSettings {
    /// Settings given directly, as if from the config file: for tests and for
    /// programs that configure a provider in code.
    pub fn from_pairs(provider: &str, pairs: &[(&str, &str)]) -> Self {
        let mut s = ResolvedSettings {
            provider: provider.to_owned(),
            ..Default::default()
        };
        for (k, v) in pairs {
            s.set(k, v);
        }
        s
    }

    /// Sets or replaces a value (source: config file). Keys that look like
    /// credentials (`api_key`, `*_key`, `*_token`, `*secret*`, `*password*`)
    /// are held as secrets; `max_tokens` and other counts are not.
    pub fn set(&mut self, key: &str, value: &str) {
        let value = if is_credential_name(key) {
            SettingValue::Secret(Secret::new(value))
        } else {
            SettingValue::Plain(sanitize(value).to_owned())
        };
        self.values.insert(
            key.to_owned(),
            ResolvedValue {
                value,
                source: SettingSource::ConfigFile,
            },
        );
    }

    /// The provider these belong to.
    pub fn provider(&self) -> &str {
        &self.provider
    }
    /// The text of a value (secrets included: use it to talk to the provider).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|v| v.value.expose())
    }
    /// A secret value.
    pub fn secret(&self, key: &str) -> Option<Secret> {
        self.values.get(key).map(|v| match &v.value {
            SettingValue::Secret(s) => s.clone(),
            SettingValue::Plain(p) => Secret::new(p),
        })
    }
    /// A value with its source.
    pub fn resolved(&self, key: &str) -> Option<&ResolvedValue> {
        self.values.get(key)
    }
    /// Every resolved value, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ResolvedValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// A whole number, validated.
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>, YatError> {
        self.parse(key, "a whole number", |s| s.parse().ok())
    }
    /// A number, validated.
    pub fn get_f64(&self, key: &str) -> Result<Option<f64>, YatError> {
        self.parse(key, "a number", |s| s.parse().ok())
    }
    /// A boolean, validated.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, YatError> {
        self.parse(key, "true or false", parse_bool)
    }
    /// Required settings that no source supplied.
    pub fn missing(&self) -> &[MissingSetting] {
        &self.missing
    }

    fn parse<T>(
        &self,
        key: &str,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, YatError> {
        match self.values.get(key) {
            None => Ok(None),
            Some(v) => f(v.value.expose()).map(Some).ok_or_else(|| {
                let shown = match &v.value {
                    SettingValue::Secret(_) => "[redacted]".to_owned(),
                    SettingValue::Plain(p) => format!("{p:?}"),
                };
                YatError::InvalidSetting {
                    provider: self.provider.clone(),
                    key: key.to_owned(),
                    message: format!("expected {expected}, got {shown} (from {})", v.source),
                }
            }),
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

//! One provider's entry in `provider_config.json`, and one setting in it.
//!
//! Both keep every field yat does not interpret in `extra`, so an entry
//! written by the original app, or by a newer yat, is saved back unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One provider's entry.
///
/// ```
/// use yat_core::config::ProviderEntry;
/// let mut entry = ProviderEntry::new("acme");
/// entry.setting_mut("api_key").env_var = Some("MY_ACME_KEY".into());
/// assert_eq!(entry.setting("api_key").unwrap().env_var.as_deref(), Some("MY_ACME_KEY"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProviderEntry {
    /// Provider id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the provider is used; absent means enabled.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Setting declarations and values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<SettingEntry>,
    /// Fields yat does not interpret (`type`, `icon`, `color`, `config`, and
    /// the keys used by user-defined endpoints), kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn enabled_by_default() -> bool {
    true
}

impl ProviderEntry {
    /// An enabled entry with nothing else.
    pub fn new(id: impl Into<String>) -> Self {
        ProviderEntry {
            id: id.into(),
            name: None,
            enabled: true,
            settings: Vec::new(),
            extra: Map::new(),
        }
    }
    /// The setting entry for `key`.
    pub fn setting(&self, key: &str) -> Option<&SettingEntry> {
        self.settings.iter().find(|s| s.key == key)
    }
    /// The setting entry for `key`, created if absent.
    pub fn setting_mut(&mut self, key: &str) -> &mut SettingEntry {
        super::find_or_push(
            &mut self.settings,
            |s| s.key == key,
            || SettingEntry::new(key),
        )
    }
}

/// One setting in a provider entry: a declaration (the original app's
/// fields) and, optionally, a value.
///
/// ```
/// use yat_core::config::SettingEntry;
/// let entry: SettingEntry =
///     serde_json::from_str(r#"{"key": "timeout", "type": "integer", "default": 30}"#).unwrap();
/// assert_eq!(entry.kind.as_deref(), Some("integer"));
/// assert_eq!(entry.value_text().as_deref(), Some("30"));
/// ```
///
/// Its `Debug` shows `value` and `default` as `[redacted]` when the entry is
/// a secret (`type` `password` or `secret`, or a key named like one).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SettingEntry {
    /// Setting key.
    pub key: String,
    /// Human label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The original app's kind: `password`, `text`, `url`, ...
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether it is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// An environment variable to read the value from, before the provider's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_var: Option<String>,
    /// A default for this installation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// The value stored for this installation (the CLI's `config set`
    /// writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Anything else, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for SettingEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = matches!(self.kind.as_deref(), Some("password" | "secret"))
            || crate::secret::is_credential_name(&self.key);
        let shown = |v: &Option<Value>| match v {
            Some(_) if secret => Some(Value::String("[redacted]".into())),
            other => other.clone(),
        };
        f.debug_struct("SettingEntry")
            .field("key", &self.key)
            .field("label", &self.label)
            .field("kind", &self.kind)
            .field("required", &self.required)
            .field("env_var", &self.env_var)
            .field("default", &shown(&self.default))
            .field("value", &shown(&self.value))
            .field("extra", &self.extra)
            .finish()
    }
}

impl SettingEntry {
    /// An entry with only a key.
    pub fn new(key: impl Into<String>) -> Self {
        SettingEntry {
            key: key.into(),
            label: None,
            kind: None,
            required: None,
            env_var: None,
            default: None,
            value: None,
            extra: Map::new(),
        }
    }
    /// `value`, else the entry's `default`, as text (numbers and booleans
    /// written without quotes are accepted).
    pub fn value_text(&self) -> Option<String> {
        self.value
            .as_ref()
            .or(self.default.as_ref())
            .and_then(value_as_text)
    }
}

fn value_as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

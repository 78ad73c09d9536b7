//! What a provider can be configured with, and where each value comes from.
//!
//! A provider declares [`SettingSpec`]s in its registration. At build time
//! the manager resolves each one from, in order: the process environment, the
//! `.env` files, `provider_config.json`, and the declared default. The first
//! source that has a non-empty value wins.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::ProviderConfig;
use crate::secret::{sanitize, Secret};
use crate::YatError;

/// The kind of value a setting holds; decides validation and masking.
///
/// ```
/// use yat_core::SettingKind;
/// assert_eq!(SettingKind::Secret.config_name(), "password"); // as the original app wrote it
/// assert_eq!(SettingKind::Integer.config_name(), "integer");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingKind {
    /// A credential: never displayed.
    Secret,
    /// Free text.
    Text,
    /// An `http(s)://` URL.
    Url,
    /// A whole number.
    Integer,
    /// A number.
    Float,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
}

impl SettingKind {
    /// The name used in `provider_config.json`'s `type` field. `secret` is
    /// written `password`, as the original app did, and both are read.
    pub const fn config_name(self) -> &'static str {
        match self {
            SettingKind::Secret => "password",
            SettingKind::Text => "text",
            SettingKind::Url => "url",
            SettingKind::Integer => "integer",
            SettingKind::Float => "float",
            SettingKind::Bool => "bool",
        }
    }
}

/// One setting a provider reads, declared as static data in its registration.
///
/// ```
/// use yat_core::{SettingKind, SettingSpec};
/// const KEY: SettingSpec = SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"]).required();
/// assert_eq!(KEY.kind, SettingKind::Secret);
/// assert!(KEY.required);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingSpec {
    /// The key, unique within the provider (`api_key`, `base_url`).
    pub key: &'static str,
    /// A human label.
    pub label: &'static str,
    /// The kind of value.
    pub kind: SettingKind,
    /// Environment variables read for it, first match wins. Besides these, every
    /// setting is also read from `<PROVIDER_ID>_<KEY>` (upper case, `-` as `_`).
    pub env_vars: &'static [&'static str],
    /// The value used when no source has one.
    pub default: Option<&'static str>,
    /// Whether the provider cannot work without it.
    pub required: bool,
    /// One line of help for `yat config` and the docs.
    pub help: &'static str,
}

impl SettingSpec {
    /// A setting of any kind.
    pub const fn new(
        key: &'static str,
        label: &'static str,
        kind: SettingKind,
        env_vars: &'static [&'static str],
    ) -> Self {
        SettingSpec {
            key,
            label,
            kind,
            env_vars,
            default: None,
            required: false,
            help: "",
        }
    }
    /// A secret (an API key).
    pub const fn secret(
        key: &'static str,
        label: &'static str,
        env_vars: &'static [&'static str],
    ) -> Self {
        Self::new(key, label, SettingKind::Secret, env_vars)
    }
    /// A URL.
    pub const fn url(
        key: &'static str,
        label: &'static str,
        env_vars: &'static [&'static str],
    ) -> Self {
        Self::new(key, label, SettingKind::Url, env_vars)
    }
    /// Free text.
    pub const fn text(
        key: &'static str,
        label: &'static str,
        env_vars: &'static [&'static str],
    ) -> Self {
        Self::new(key, label, SettingKind::Text, env_vars)
    }
    /// Marks it required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Sets the default value.
    pub const fn default_value(mut self, v: &'static str) -> Self {
        self.default = Some(v);
        self
    }
    /// Sets the help line.
    pub const fn help(mut self, h: &'static str) -> Self {
        self.help = h;
        self
    }
}

/// The environment variable every setting is also read from:
/// `<PROVIDER_ID>_<KEY>`, upper case, with `-` and `.` written `_`.
///
/// ```
/// assert_eq!(yat_core::settings::implicit_env_var("open-router", "api_key"), "OPEN_ROUTER_API_KEY");
/// ```
pub fn implicit_env_var(provider: &str, key: &str) -> String {
    let mut s = String::with_capacity(provider.len() + key.len() + 1);
    for c in provider
        .chars()
        .chain(std::iter::once('_'))
        .chain(key.chars())
    {
        s.push(match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        });
    }
    s
}

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
    /// The value for display: secrets masked, everything else as is.
    pub fn display(&self) -> String {
        match self {
            SettingValue::Secret(s) => mask(s.expose()),
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

/// A masked form of a secret that shows only that one is set and its length
/// class, never any of its characters.
///
/// ```
/// assert_eq!(yat_core::settings::mask("sk-123"), "********");
/// assert_eq!(yat_core::settings::mask(""), "");
/// ```
pub fn mask(secret: &str) -> String {
    if secret.is_empty() {
        String::new()
    } else {
        "********".to_owned()
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
pub struct ResolvedValue {
    /// The value.
    pub value: SettingValue,
    /// Where it came from.
    #[serde(flatten)]
    pub source: SettingSource,
}

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
    provider: String,
    values: BTreeMap<String, ResolvedValue>,
    missing: Vec<MissingSetting>,
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
        let lower = key.to_ascii_lowercase();
        let secret = lower.ends_with("key")
            || lower.ends_with("token")
            || lower.contains("secret")
            || lower.contains("password");
        let value = if secret {
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

/// Everything settings are resolved from, read once and reused for every provider.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::path::PathBuf;
/// use yat_core::settings::SettingsSources;
/// use yat_core::SettingSpec;
///
/// const SPECS: &[SettingSpec] = &[SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"])];
/// let sources = SettingsSources {
///     env: BTreeMap::from([("ACME_API_KEY".to_string(), "from-env".to_string())]),
///     dotenv: vec![(
///         PathBuf::from(".env"),
///         BTreeMap::from([("ACME_API_KEY".to_string(), "from-dotenv".to_string())]),
///     )],
///     ..Default::default()
/// };
/// // The process environment beats .env.
/// assert_eq!(sources.resolve("acme", SPECS).get("api_key"), Some("from-env"));
/// ```
///
/// Its `Debug` shows variable names, never their values: any of them may be
/// a key.
#[derive(Clone, Default)]
pub struct SettingsSources {
    /// The process environment (a snapshot; tests supply their own).
    pub env: BTreeMap<String, String>,
    /// `.env` files in precedence order, each with its variables.
    pub dotenv: Vec<(PathBuf, BTreeMap<String, String>)>,
    /// The parsed `provider_config.json`.
    pub config: ProviderConfig,
}

impl std::fmt::Debug for SettingsSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
        let dotenv: Vec<_> = self
            .dotenv
            .iter()
            .map(|(path, vars)| (path.clone(), names(vars)))
            .collect();
        f.debug_struct("SettingsSources")
            .field("env", &names(&self.env))
            .field("dotenv", &dotenv)
            .field("config", &self.config)
            .finish()
    }
}

impl SettingsSources {
    /// Resolves `specs` for `provider`.
    ///
    /// For each spec the candidate variables are: the `env_var` that
    /// `provider_config.json` declares for that key (the original app's way of
    /// pointing a setting at a variable), the spec's own `env_vars`, then
    /// `<PROVIDER>_<KEY>`. Each source is asked for all of them before the
    /// next source is tried, so the process environment always beats `.env`.
    pub fn resolve(&self, provider: &str, specs: &[SettingSpec]) -> ResolvedSettings {
        let entry = self.config.provider(provider);
        let mut out = ResolvedSettings {
            provider: provider.to_owned(),
            ..Default::default()
        };
        for spec in specs {
            let config_setting = entry.and_then(|e| e.setting(spec.key));
            let mut vars: Vec<String> = Vec::with_capacity(spec.env_vars.len() + 2);
            if let Some(v) = config_setting.and_then(|s| s.env_var.as_deref()) {
                vars.push(v.to_owned());
            }
            vars.extend(spec.env_vars.iter().map(|v| (*v).to_owned()));
            let implicit = implicit_env_var(provider, spec.key);
            if !vars.contains(&implicit) {
                vars.push(implicit);
            }

            let found = self
                .lookup_env(&vars)
                .or_else(|| self.lookup_dotenv(&vars))
                .or_else(|| {
                    config_setting
                        .and_then(|s| s.value_text())
                        .filter(|v| !sanitize(v).is_empty())
                        .map(|v| (v, SettingSource::ConfigFile))
                })
                .or_else(|| spec.default.map(|d| (d.to_owned(), SettingSource::Default)));

            match found {
                Some((raw, source)) => {
                    let value = match spec.kind {
                        SettingKind::Secret => SettingValue::Secret(Secret::new(&raw)),
                        _ => SettingValue::Plain(sanitize(&raw).to_owned()),
                    };
                    out.values
                        .insert(spec.key.to_owned(), ResolvedValue { value, source });
                }
                None if spec.required => out.missing.push(MissingSetting {
                    key: spec.key.to_owned(),
                    label: spec.label.to_owned(),
                    env_var: vars.into_iter().next().unwrap_or_default(),
                    kind: spec.kind,
                }),
                None => {}
            }
        }
        out
    }

    fn lookup_env(&self, vars: &[String]) -> Option<(String, SettingSource)> {
        vars.iter().find_map(|var| {
            self.env
                .get(var)
                .filter(|v| !sanitize(v).is_empty())
                .map(|v| (v.clone(), SettingSource::Env { var: var.clone() }))
        })
    }

    fn lookup_dotenv(&self, vars: &[String]) -> Option<(String, SettingSource)> {
        self.dotenv.iter().find_map(|(path, map)| {
            vars.iter().find_map(|var| {
                map.get(var).filter(|v| !sanitize(v).is_empty()).map(|v| {
                    (
                        v.clone(),
                        SettingSource::DotEnv {
                            path: path.clone(),
                            var: var.clone(),
                        },
                    )
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderConfig;

    const SPECS: &[SettingSpec] = &[
        SettingSpec::secret("api_key", "API key", &["ACME_KEY"]).required(),
        SettingSpec::url("base_url", "Base URL", &[]).default_value("https://acme.invalid"),
        SettingSpec::new("retries", "Retries", SettingKind::Integer, &[]),
    ];

    fn sources() -> SettingsSources {
        let config: ProviderConfig = serde_json::from_str(
            r#"{"providers":[{"id":"acme","enabled":true,"settings":[
                {"key":"api_key","value":"from-config"},
                {"key":"base_url","value":"http://config.invalid"},
                {"key":"retries","value":"three"}]}]}"#,
        )
        .unwrap();
        SettingsSources {
            env: BTreeMap::new(),
            dotenv: vec![(
                PathBuf::from("/w/.env"),
                [("ACME_KEY".to_owned(), "from-dotenv".to_owned())].into(),
            )],
            config,
        }
    }

    #[test]
    fn process_env_beats_dotenv_beats_config_beats_default() {
        let mut s = sources();
        s.env.insert("ACME_KEY".into(), "from-env".into());
        let r = s.resolve("acme", SPECS);
        assert_eq!(r.get("api_key"), Some("from-env"));
        assert_eq!(
            r.resolved("api_key").unwrap().source,
            SettingSource::Env {
                var: "ACME_KEY".into()
            }
        );

        s.env.clear();
        let r = s.resolve("acme", SPECS);
        assert_eq!(r.get("api_key"), Some("from-dotenv"));

        s.dotenv.clear();
        let r = s.resolve("acme", SPECS);
        assert_eq!(r.get("api_key"), Some("from-config"));
        assert_eq!(r.get("base_url"), Some("http://config.invalid"));

        s.config = ProviderConfig::default();
        let r = s.resolve("acme", SPECS);
        assert_eq!(r.get("api_key"), None);
        assert_eq!(r.get("base_url"), Some("https://acme.invalid"));
        assert_eq!(
            r.resolved("base_url").unwrap().source,
            SettingSource::Default
        );
        assert_eq!(r.missing().len(), 1);
        assert_eq!(r.missing()[0].env_var, "ACME_KEY");
    }

    #[test]
    fn implicit_provider_prefixed_variable_is_read() {
        let mut s = SettingsSources::default();
        s.env
            .insert("ACME_BASE_URL".into(), " http://127.0.0.1:1 ".into());
        let r = s.resolve("acme", SPECS);
        assert_eq!(r.get("base_url"), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn empty_values_fall_through() {
        let mut s = sources();
        s.env.insert("ACME_KEY".into(), "  ".into());
        assert_eq!(s.resolve("acme", SPECS).get("api_key"), Some("from-dotenv"));
    }

    #[test]
    fn typed_getters_report_bad_values_without_secrets() {
        let r = sources().resolve("acme", SPECS);
        let e = r.get_u64("retries").unwrap_err().to_string();
        assert!(e.contains("retries") && e.contains("three"), "{e}");
        let e = r.get_u64("api_key").unwrap_err().to_string();
        assert!(!e.contains("from-dotenv"), "{e}");
        assert!(e.contains("[redacted]"));
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let r = sources().resolve("acme", SPECS);
        let d = format!("{r:?}");
        assert!(!d.contains("from-dotenv"), "{d}");
    }

    #[test]
    fn config_declared_env_var_is_read_first() {
        let mut s = SettingsSources {
            config: serde_json::from_str(
                r#"{"providers":[{"id":"acme","settings":[{"key":"api_key","env_var":"MY_OWN"}]}]}"#,
            )
            .unwrap(),
            ..Default::default()
        };
        s.env.insert("MY_OWN".into(), "mine".into());
        s.env.insert("ACME_KEY".into(), "vendor".into());
        assert_eq!(s.resolve("acme", SPECS).get("api_key"), Some("mine"));
    }

    #[test]
    fn only_credential_like_ad_hoc_keys_are_secret() {
        let r = ResolvedSettings::from_pairs(
            "acme",
            &[
                ("max_tokens", "4096"),
                ("auth_token", "tok-planted"),
                ("db_password", "pw-planted"),
            ],
        );
        let d = format!("{r:?}");
        assert!(d.contains("4096"), "{d}");
        assert!(!d.contains("planted"), "{d}");
        assert_eq!(r.get("auth_token"), Some("tok-planted"));
    }
}

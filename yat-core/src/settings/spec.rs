//! What a provider declares it can be configured with: [`SettingSpec`],
//! the kind of each value, and the environment variables it is read from.

use serde::Serialize;

/// The kind of value a setting holds; decides validation and masking.
///
/// ```
/// use yat_core::SettingKind;
/// assert_eq!(SettingKind::Secret.config_name(), "password"); // as the original app wrote it
/// assert_eq!(SettingKind::Integer.config_name(), "integer");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
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
    /// The kind's own name, as it is serialized: `secret`, `text`, `url`,
    /// `integer`, `float`, `bool`.
    ///
    /// ```
    /// assert_eq!(yat_core::SettingKind::Secret.as_str(), "secret");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            SettingKind::Secret => "secret",
            SettingKind::Text => "text",
            SettingKind::Url => "url",
            SettingKind::Integer => "integer",
            SettingKind::Float => "float",
            SettingKind::Bool => "bool",
        }
    }

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
///
/// Built with the `const` constructors ([`SettingSpec::new`],
/// [`SettingSpec::secret`], ...) so that fields added later do not break
/// providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
    /// One line of help, shown beside the setting by front ends and docs.
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

    /// The variable a value of this setting is stored under for
    /// `provider`: the first one declared, else `<PROVIDER>_<KEY>`.
    ///
    /// ```
    /// use yat_core::SettingSpec;
    /// let key = SettingSpec::secret("api_key", "API key", &["ACME_KEY", "OLD_ACME_KEY"]);
    /// assert_eq!(key.primary_env_var("acme"), "ACME_KEY");
    /// let url = SettingSpec::url("base_url", "Base URL", &[]);
    /// assert_eq!(url.primary_env_var("acme"), "ACME_BASE_URL");
    /// ```
    pub fn primary_env_var(&self, provider: &str) -> String {
        match self.env_vars.first() {
            Some(var) => (*var).to_owned(),
            None => implicit_env_var(provider, self.key),
        }
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

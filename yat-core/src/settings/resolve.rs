//! Resolution: for each declared setting, the first source that has a value,
//! in the order process environment, `.env` files, `provider_config.json`,
//! declared default.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::resolved::{MissingSetting, ResolvedSettings};
use super::spec::{implicit_env_var, SettingKind, SettingSpec};
use super::value::{ResolvedValue, SettingSource, SettingValue};
use crate::config::{read_dotenv_files, ConfigLocation, ProviderConfig};
use crate::secret::{sanitize, Secret};
use crate::YatError;

/// Everything settings are resolved from, read once and reused for every provider.
///
/// ```
/// use std::collections::BTreeMap;
/// use yat_core::settings::SettingsSources;
/// use yat_core::SettingSpec;
///
/// const SPECS: &[SettingSpec] = &[SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"])];
/// let sources = SettingsSources::default()
///     .with_env([("ACME_API_KEY".to_string(), "from-env".to_string())])
///     .with_dotenv(
///         ".env",
///         BTreeMap::from([("ACME_API_KEY".to_string(), "from-dotenv".to_string())]),
///     );
/// // The process environment beats .env.
/// assert_eq!(sources.resolve("acme", SPECS).get("api_key"), Some("from-env"));
/// ```
///
/// Its `Debug` shows variable names, never their values: any of them may be
/// a key.
#[derive(Clone, Default)]
#[non_exhaustive]
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
    /// Sources holding `config` alone: no environment, no `.env` file.
    pub fn new(config: ProviderConfig) -> Self {
        SettingsSources {
            config,
            ..Default::default()
        }
    }

    /// What a run configured by `location` reads: a snapshot of the process
    /// environment, `location`'s `.env` files and its config file. A file
    /// that does not parse is an error naming it.
    ///
    /// ```
    /// use yat_core::settings::SettingsSources;
    /// use yat_core::ConfigLocation;
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join(".env"), "ACME_REGION=eu\n").unwrap();
    /// let location = ConfigLocation::for_file(dir.path().join("provider_config.json"), dir.path());
    /// let sources = SettingsSources::read(&location).unwrap();
    /// assert_eq!(sources.dotenv[0].1["ACME_REGION"], "eu");
    /// assert!(sources.config.providers.is_empty()); // no config file yet
    /// ```
    pub fn read(location: &ConfigLocation) -> Result<Self, YatError> {
        let mut sources = SettingsSources::new(ProviderConfig::load(&location.config_file)?)
            .with_env(process_env());
        sources.dotenv = read_dotenv_files(&location.dotenv_files)?;
        Ok(sources)
    }

    /// Replaces the environment snapshot with `vars`.
    pub fn with_env(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.env = vars.into_iter().collect();
        self
    }

    /// Adds the variables of the `.env` file at `path`, below those added
    /// before it in precedence.
    pub fn with_dotenv(mut self, path: impl Into<PathBuf>, vars: BTreeMap<String, String>) -> Self {
        self.dotenv.push((path.into(), vars));
        self
    }

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
                        .insert(spec.key.to_owned(), ResolvedValue::new(value, source));
                }
                None if spec.required => out.missing.push(
                    MissingSetting::new(
                        spec.key,
                        spec.label,
                        vars.into_iter().next().unwrap_or_default(),
                    )
                    .with_kind(spec.kind),
                ),
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

/// The process environment's variables that are valid Unicode (a key never
/// is anything else).
pub(crate) fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
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

//! What a user chose once and wants remembered: model aliases, the default
//! model, the fallback list, and whether conversations are stored.
//!
//! They live as top-level fields of `provider_config.json`, beside
//! `providers`, so one file holds a user's whole setup and every other field
//! of that file survives a save:
//!
//! ```json
//! {
//!   "providers": [ ... ],
//!   "default_model": "openai/gpt-4o-mini",
//!   "aliases": { "fast": "groq/llama-3.1-8b-instant" },
//!   "fallbacks": ["anthropic/claude-3-5-haiku-latest"],
//!   "history": true
//! }
//! ```
//!
//! ```
//! use yat_core::preferences::Preferences;
//! use yat_core::{ModelRef, ProviderConfig};
//!
//! let mut config = ProviderConfig::default();
//! let mut prefs = Preferences::default();
//! prefs.set_alias("fast", "mock/mock-echo".parse()?)?;
//! prefs.default_model = Some(ModelRef::new("mock", "mock-long"));
//! prefs.write_to(&mut config);
//!
//! let again = Preferences::from_config(&config, std::path::Path::new("provider_config.json"))?;
//! assert_eq!(again, prefs);
//! assert_eq!(config.extra["aliases"]["fast"], "mock/mock-echo");
//! # Ok::<(), yat_core::YatError>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::config::ProviderConfig;
use crate::types::ModelRef;
use crate::YatError;

/// The top-level field holding the default model.
pub const DEFAULT_MODEL_KEY: &str = "default_model";
/// The top-level field holding the aliases.
pub const ALIASES_KEY: &str = "aliases";
/// The top-level field holding the fallback list.
pub const FALLBACKS_KEY: &str = "fallbacks";
/// The top-level field turning conversation storage on or off.
pub const HISTORY_KEY: &str = "history";

/// A user's preferences, read from and written to `provider_config.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Preferences {
    /// The model used when none is named.
    pub default_model: Option<ModelRef>,
    /// Short names for models (`fast` → `groq/llama-3.1-8b-instant`).
    pub aliases: BTreeMap<String, ModelRef>,
    /// Models tried, in order, when the chosen one fails before answering.
    pub fallbacks: Vec<ModelRef>,
    /// Whether conversations are stored (default on).
    pub history: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            default_model: None,
            aliases: BTreeMap::new(),
            fallbacks: Vec::new(),
            history: true,
        }
    }
}

/// Checks that `name` can be an alias: not empty, no `/` (that would read as
/// `PROVIDER/MODEL`), no whitespace, not starting with `-`.
///
/// ```
/// use yat_core::preferences::validate_alias_name;
/// assert!(validate_alias_name("fast").is_ok());
/// assert!(validate_alias_name("openai/gpt").is_err());
/// ```
pub fn validate_alias_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err("an alias cannot be empty".into())
    } else if name.contains('/') {
        Err(format!(
            "alias {name:?} contains '/', which would read as PROVIDER/MODEL"
        ))
    } else if name.chars().any(char::is_whitespace) {
        Err(format!("alias {name:?} contains whitespace"))
    } else if name.starts_with('-') {
        Err(format!("alias {name:?} starts with '-'"))
    } else {
        Ok(())
    }
}

impl Preferences {
    /// Reads the preferences out of a parsed configuration. `path` is only
    /// used in error messages.
    pub fn from_config(config: &ProviderConfig, path: &Path) -> Result<Self, YatError> {
        let bad = |field: &str, message: String| YatError::Config {
            path: path.to_owned(),
            line: None,
            column: None,
            message: format!("{field}: {message}"),
        };
        let parse_ref = |field: &str, v: &Value| -> Result<ModelRef, YatError> {
            let s = v
                .as_str()
                .ok_or_else(|| bad(field, format!("expected \"PROVIDER/MODEL\", got {v}")))?;
            s.parse().map_err(|e: YatError| bad(field, e.to_string()))
        };
        // A field that is absent or null is at its default.
        let field = |key: &str| config.extra.get(key).filter(|v| !v.is_null());
        let mut prefs = Preferences::default();
        if let Some(v) = field(DEFAULT_MODEL_KEY) {
            prefs.default_model = Some(parse_ref(DEFAULT_MODEL_KEY, v)?);
        }
        if let Some(v) = field(ALIASES_KEY) {
            let map = v.as_object().ok_or_else(|| {
                bad(
                    ALIASES_KEY,
                    format!("expected an object of NAME: \"PROVIDER/MODEL\", got {v}"),
                )
            })?;
            for (name, target) in map {
                validate_alias_name(name).map_err(|m| bad(ALIASES_KEY, m))?;
                let field = format!("{ALIASES_KEY}.{name}");
                prefs
                    .aliases
                    .insert(name.clone(), parse_ref(&field, target)?);
            }
        }
        if let Some(v) = field(FALLBACKS_KEY) {
            let list = v.as_array().ok_or_else(|| {
                bad(
                    FALLBACKS_KEY,
                    format!("expected a list of \"PROVIDER/MODEL\", got {v}"),
                )
            })?;
            for (i, v) in list.iter().enumerate() {
                prefs
                    .fallbacks
                    .push(parse_ref(&format!("{FALLBACKS_KEY}[{i}]"), v)?);
            }
        }
        if let Some(v) = field(HISTORY_KEY) {
            prefs.history = v
                .as_bool()
                .ok_or_else(|| bad(HISTORY_KEY, format!("expected true or false, got {v}")))?;
        }
        Ok(prefs)
    }

    /// Writes the preferences into `config`'s top-level fields. Fields at
    /// their default are removed, so an untouched file stays as it was.
    pub fn write_to(&self, config: &mut ProviderConfig) {
        let extra = &mut config.extra;
        match &self.default_model {
            Some(m) => {
                extra.insert(DEFAULT_MODEL_KEY.into(), Value::String(m.to_string()));
            }
            None => {
                extra.remove(DEFAULT_MODEL_KEY);
            }
        }
        if self.aliases.is_empty() {
            extra.remove(ALIASES_KEY);
        } else {
            let map: Map<String, Value> = self
                .aliases
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                .collect();
            extra.insert(ALIASES_KEY.into(), Value::Object(map));
        }
        if self.fallbacks.is_empty() {
            extra.remove(FALLBACKS_KEY);
        } else {
            let list = self
                .fallbacks
                .iter()
                .map(|m| Value::String(m.to_string()))
                .collect();
            extra.insert(FALLBACKS_KEY.into(), Value::Array(list));
        }
        if self.history {
            extra.remove(HISTORY_KEY);
        } else {
            extra.insert(HISTORY_KEY.into(), Value::Bool(false));
        }
    }

    /// Reads the preferences from the file at `path` (a missing file gives
    /// the defaults).
    pub fn load(path: &Path) -> Result<Self, YatError> {
        Self::from_config(&ProviderConfig::load(path)?, path)
    }

    /// Reads the file at `path`, lets `change` edit the preferences, and
    /// saves the file (atomically, keeping every other field) when `change`
    /// succeeds.
    pub fn update<R>(
        path: &Path,
        change: impl FnOnce(&mut Preferences) -> Result<R, YatError>,
    ) -> Result<R, YatError> {
        let mut config = ProviderConfig::load(path)?;
        let mut prefs = Self::from_config(&config, path)?;
        let out = change(&mut prefs)?;
        prefs.write_to(&mut config);
        config.save(path)?;
        Ok(out)
    }

    /// Adds or replaces an alias; returns what it pointed to before.
    pub fn set_alias(
        &mut self,
        name: &str,
        target: ModelRef,
    ) -> Result<Option<ModelRef>, YatError> {
        validate_alias_name(name).map_err(|message| YatError::InvalidSetting {
            provider: "yat".into(),
            key: ALIASES_KEY.into(),
            message,
        })?;
        Ok(self.aliases.insert(name.to_owned(), target))
    }

    /// Removes an alias; returns what it pointed to.
    pub fn remove_alias(&mut self, name: &str) -> Option<ModelRef> {
        self.aliases.remove(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Preferences, YatError> {
        let path = Path::new("provider_config.json");
        Preferences::from_config(&ProviderConfig::parse(text, path).unwrap(), path)
    }

    #[test]
    fn absent_fields_are_defaults() {
        assert_eq!(
            parse(r#"{"providers": []}"#).unwrap(),
            Preferences::default()
        );
        assert!(Preferences::default().history);
    }

    #[test]
    fn reads_every_field() {
        let p = parse(
            r#"{"default_model": "a/b", "aliases": {"x": "c/d/e"},
                "fallbacks": ["f/g"], "history": false}"#,
        )
        .unwrap();
        assert_eq!(p.default_model, Some(ModelRef::new("a", "b")));
        assert_eq!(p.aliases["x"], ModelRef::new("c", "d/e"));
        assert_eq!(p.fallbacks, vec![ModelRef::new("f", "g")]);
        assert!(!p.history);
    }

    #[test]
    fn wrong_shapes_name_the_field() {
        let e = parse(r#"{"default_model": "nope"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("default_model") && e.contains("PROVIDER/MODEL"),
            "{e}"
        );
        let e = parse(r#"{"aliases": {"a/b": "c/d"}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("aliases"), "{e}");
        let e = parse(r#"{"fallbacks": "x/y"}"#).unwrap_err().to_string();
        assert!(e.contains("fallbacks"), "{e}");
        let e = parse(r#"{"history": "yes"}"#).unwrap_err().to_string();
        assert!(e.contains("history"), "{e}");
    }

    #[test]
    fn update_keeps_other_fields_and_removes_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("provider_config.json");
        std::fs::write(
            &path,
            r#"{"providers": [{"id": "mock", "icon": "x"}], "theme": "dark"}"#,
        )
        .unwrap();
        Preferences::update(&path, |p| {
            p.set_alias("fast", ModelRef::new("mock", "mock-echo"))?;
            p.history = false;
            Ok(())
        })
        .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["theme"], "dark");
        assert_eq!(v["providers"][0]["icon"], "x");
        assert_eq!(v["aliases"]["fast"], "mock/mock-echo");
        assert_eq!(v["history"], false);

        Preferences::update(&path, |p| {
            p.remove_alias("fast");
            p.history = true;
            Ok(())
        })
        .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(v.get("aliases").is_none());
        assert!(v.get("history").is_none());
        assert_eq!(v["theme"], "dark");
    }

    #[test]
    fn a_failed_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("provider_config.json");
        let r = Preferences::update(&path, |p| p.set_alias("bad/name", ModelRef::new("a", "b")));
        assert!(r.is_err());
        assert!(!path.exists());
    }
}

//! The whole `provider_config.json`: parsing it with positions in errors,
//! loading it, and saving it without ever losing the user's edits.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::atomic::{io_error, write_atomic};
use super::entry::ProviderEntry;
use crate::YatError;

/// The file name looked for in the working directory and the config dir.
pub const CONFIG_FILE_NAME: &str = "provider_config.json";

/// The whole `provider_config.json`.
///
/// ```
/// use yat_core::ProviderConfig;
/// let text = r#"{"providers": [{"id": "openai", "enabled": false, "icon": "🤖"}]}"#;
/// let config = ProviderConfig::parse(text, "provider_config.json".as_ref()).unwrap();
/// assert!(!config.is_enabled("openai"));
/// assert!(config.is_enabled("mock")); // no entry: enabled
/// // Fields yat does not know are kept, and written back on save.
/// assert_eq!(config.providers[0].extra["icon"], "🤖");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProviderConfig {
    /// One entry per configured provider.
    #[serde(default)]
    pub providers: Vec<ProviderEntry>,
    /// Top-level fields yat does not interpret, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ProviderConfig {
    /// A configuration holding `providers` and nothing else.
    ///
    /// ```
    /// use yat_core::config::{ProviderConfig, ProviderEntry};
    /// let config = ProviderConfig::new(vec![ProviderEntry::new("acme")]);
    /// assert!(config.provider("acme").is_some());
    /// ```
    pub fn new(providers: Vec<ProviderEntry>) -> Self {
        ProviderConfig {
            providers,
            extra: Map::new(),
        }
    }

    /// The entry for `id`.
    pub fn provider(&self, id: &str) -> Option<&ProviderEntry> {
        self.providers.iter().find(|p| p.id == id)
    }
    /// The entry for `id`, created (enabled) if absent.
    pub fn provider_mut(&mut self, id: &str) -> &mut ProviderEntry {
        super::find_or_push(
            &mut self.providers,
            |p| p.id == id,
            || ProviderEntry::new(id),
        )
    }
    /// Whether `id` is enabled (providers without an entry are).
    pub fn is_enabled(&self, id: &str) -> bool {
        self.provider(id).map(|p| p.enabled).unwrap_or(true)
    }

    /// Parses the file's text; errors carry path, line and column.
    pub fn parse(text: &str, path: &Path) -> Result<Self, YatError> {
        if text.trim().is_empty() {
            return Ok(ProviderConfig::default());
        }
        serde_json::from_str(text).map_err(|e| YatError::Config {
            path: path.to_owned(),
            line: Some(e.line()),
            column: Some(e.column()),
            message: e.to_string(),
        })
    }

    /// Reads `path`. A missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Self, YatError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProviderConfig::default()),
            Err(e) => Err(io_error(path, &e)),
        }
    }

    /// Writes the configuration to `path` atomically (temporary file, fsync,
    /// rename), with mode 0600 since it may hold keys.
    ///
    /// Refuses to replace a file that exists but does not parse: the user's
    /// hand edits are never overwritten by a save based on stale data.
    pub fn save(&self, path: &Path) -> Result<(), YatError> {
        if let Ok(existing) = std::fs::read_to_string(path) {
            Self::parse(&existing, path).map_err(|e| match e {
                YatError::Config {
                    path,
                    line,
                    column,
                    message,
                } => YatError::Config {
                    path,
                    line,
                    column,
                    message: format!("{message}; not overwriting it: fix the file first"),
                },
                other => other,
            })?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|e| YatError::Config {
            path: path.to_owned(),
            line: None,
            column: None,
            message: e.to_string(),
        })?;
        text.push('\n');
        write_atomic(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = r##"{
  "providers": [
    {
      "id": "openai",
      "name": "OpenAI",
      "type": "cloud",
      "icon": "🤖",
      "color": "#10a37f",
      "enabled": true,
      "settings": [
        {"key": "api_key", "label": "API Key", "type": "password", "required": true, "env_var": "OPENAI_API_KEY", "placeholder": "sk-..."}
      ],
      "config": {"timeout": 30}
    }
  ],
  "version": 2
}"##;

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        let cfg = ProviderConfig::parse(ORIGINAL, &path).unwrap();
        assert_eq!(cfg.providers[0].extra["icon"], "🤖");
        assert_eq!(cfg.providers[0].extra["config"]["timeout"], 30);
        assert_eq!(cfg.providers[0].settings[0].extra["placeholder"], "sk-...");
        assert_eq!(cfg.extra["version"], 2);
        cfg.save(&path).unwrap();
        let again = ProviderConfig::load(&path).unwrap();
        assert_eq!(cfg, again);
        let a: Value = serde_json::from_str(ORIGINAL).unwrap();
        let b: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(a, b, "saving must write back exactly what was read");
    }

    #[cfg(unix)]
    #[test]
    fn saved_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        ProviderConfig::default().save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn malformed_file_reports_position_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, "{\n  \"providers\": [\n    {\"id\": }\n]}").unwrap();
        let e = ProviderConfig::load(&path).unwrap_err();
        match &e {
            YatError::Config { line, column, .. } => {
                assert_eq!(*line, Some(3));
                assert!(column.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("c.json:3:"), "{e}");
        let before = std::fs::read(&path).unwrap();
        assert!(ProviderConfig::default().save(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn missing_file_is_empty_config() {
        let cfg = ProviderConfig::load(Path::new("/nonexistent/yat/x.json")).unwrap();
        assert!(cfg.providers.is_empty());
        assert!(cfg.is_enabled("anything"));
    }
}

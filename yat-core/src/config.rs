//! `provider_config.json` and `.env`: finding, reading and safely writing them.
//!
//! The file keeps the original app's shape, `{"providers": [{"id", "name",
//! "enabled", "settings": [{"key", "label", "type", "required", "env_var",
//! "default"}]}]}`, so a file written for it loads here. Every field yat does
//! not know (the original's `type`, `icon`, `color`, `config`, ...) is kept in
//! `extra` and written back unchanged.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
pub struct ProviderConfig {
    /// One entry per configured provider.
    #[serde(default)]
    pub providers: Vec<ProviderEntry>,
    /// Top-level fields yat does not interpret, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One provider's entry.
///
/// ```
/// use yat_core::config::ProviderEntry;
/// let mut entry = ProviderEntry::new("acme");
/// entry.setting_mut("api_key").env_var = Some("MY_ACME_KEY".into());
/// assert_eq!(entry.setting("api_key").unwrap().env_var.as_deref(), Some("MY_ACME_KEY"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        let i = match self.settings.iter().position(|s| s.key == key) {
            Some(i) => i,
            None => {
                self.settings.push(SettingEntry::new(key));
                self.settings.len() - 1
            }
        };
        &mut self.settings[i]
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
    /// The value set with `yat config set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Anything else, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for SettingEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = self.key.to_ascii_lowercase();
        let secret = matches!(self.kind.as_deref(), Some("password" | "secret"))
            || key.ends_with("key")
            || key.ends_with("token")
            || key.contains("secret")
            || key.contains("password");
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

impl ProviderConfig {
    /// The entry for `id`.
    pub fn provider(&self, id: &str) -> Option<&ProviderEntry> {
        self.providers.iter().find(|p| p.id == id)
    }
    /// The entry for `id`, created (enabled) if absent.
    pub fn provider_mut(&mut self, id: &str) -> &mut ProviderEntry {
        let i = match self.providers.iter().position(|p| p.id == id) {
            Some(i) => i,
            None => {
                self.providers.push(ProviderEntry::new(id));
                self.providers.len() - 1
            }
        };
        &mut self.providers[i]
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
        write_atomic(path, text.as_bytes(), true)
    }
}

/// Writes `bytes` to `path` so that a reader (or a crash) sees either the
/// old file or the new one, never a mix: temp file in the same directory,
/// fsync, rename over, fsync the directory. With `private`, the file is
/// created with mode 0600 on Unix.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("provider_config.json");
/// yat_core::config::write_atomic(&path, b"{}", true).unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"{}");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), YatError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, &e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let mut opts = std::fs::OpenOptions::new();
    // Only ever a new file: a leftover of a crashed save (or anything else
    // at that name, a symlink included) is never written through or reused
    // with its old mode.
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    // A name of its own per save: the process id, and a counter so that
    // threads saving at once never share (and publish) each other's file.
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let (mut f, tmp) = loop {
        let n = SAVES.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match opts.open(&tmp) {
            Ok(f) => break (f, tmp),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(path, &e)),
        }
    };
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok::<_, std::io::Error>(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(path, &e));
    }
    Ok(())
}

pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> YatError {
    YatError::io(path, e.to_string())
}

/// Where configuration lives for one run: the config file and the `.env`
/// files, in precedence order.
///
/// ```
/// use yat_core::ConfigLocation;
/// let loc = ConfigLocation::for_file("/etc/yat/provider_config.json".into(), "/work".as_ref());
/// assert_eq!(loc.config_dir, std::path::Path::new("/etc/yat"));
/// // The working directory's .env first, then the one beside the config file.
/// assert_eq!(loc.dotenv_files[0], std::path::Path::new("/work/.env"));
/// assert_eq!(loc.keys_file(), std::path::Path::new("/etc/yat/.env"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    /// The `provider_config.json` in use (it may not exist yet).
    pub config_file: PathBuf,
    /// The directory that holds yat's own files (`.env` written by `yat keys`).
    pub config_dir: PathBuf,
    /// `.env` files read, highest precedence first.
    pub dotenv_files: Vec<PathBuf>,
}

impl ConfigLocation {
    /// Finds the configuration: `explicit` (the `--config` flag), else
    /// `$YAT_CONFIG`, else `./provider_config.json` when it exists, else
    /// `<platform config dir>/yat/provider_config.json`
    /// (`$XDG_CONFIG_HOME/yat` on Linux). `.env` files are read from the
    /// working directory, then from the config file's directory.
    pub fn discover(explicit: Option<&Path>) -> Self {
        let from_env = std::env::var_os("YAT_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let local = cwd.join(CONFIG_FILE_NAME);
        let platform_dir = platform_config_dir();
        let config_file = explicit
            .map(Path::to_owned)
            .or(from_env)
            .or_else(|| local.is_file().then(|| local.clone()))
            .unwrap_or_else(|| platform_dir.join(CONFIG_FILE_NAME));
        Self::for_file(config_file, &cwd)
    }

    /// A location rooted at `config_file`, reading `.env` from `cwd` and from
    /// the config file's directory.
    pub fn for_file(config_file: PathBuf, cwd: &Path) -> Self {
        let config_dir = config_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut dotenv_files = vec![cwd.join(".env")];
        let beside = config_dir.join(".env");
        if !same_file(&beside, &dotenv_files[0]) {
            dotenv_files.push(beside);
        }
        ConfigLocation {
            config_file,
            config_dir,
            dotenv_files,
        }
    }

    /// The `.env` in the config dir, where `yat keys set` stores keys.
    pub fn keys_file(&self) -> PathBuf {
        self.config_dir.join(".env")
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (
        a.parent().map(std::fs::canonicalize),
        b.parent().map(std::fs::canonicalize),
    ) {
        (Some(Ok(x)), Some(Ok(y))) => x == y,
        _ => a == b,
    }
}

/// `$XDG_CONFIG_HOME/yat` on Linux, the platform equivalent elsewhere.
///
/// ```
/// let dir = yat_core::config::platform_config_dir();
/// assert!(dir.ends_with("yat"));
/// ```
pub fn platform_config_dir() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("yat")
}

/// Reads a `.env` file without touching the process environment. A missing
/// file is empty; a malformed one is an error naming the file.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join(".env");
/// std::fs::write(&path, "# keys\nACME_API_KEY=\"sk-1\"\n").unwrap();
/// let vars = yat_core::config::read_dotenv(&path).unwrap();
/// assert_eq!(vars["ACME_API_KEY"], "sk-1");
/// assert!(yat_core::config::read_dotenv(&dir.path().join("absent")).unwrap().is_empty());
/// ```
pub fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, YatError> {
    let iter = match dotenvy::from_path_iter(path) {
        Ok(i) => i,
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(BTreeMap::new())
        }
        Err(e) => return Err(dotenv_error(path, e)),
    };
    let mut out = BTreeMap::new();
    for item in iter {
        let (k, v) = item.map_err(|e| dotenv_error(path, e))?;
        out.insert(k, v);
    }
    Ok(out)
}

fn dotenv_error(path: &Path, e: dotenvy::Error) -> YatError {
    match e {
        // The parse error text quotes the offending line, which may hold a
        // key: report only where it is.
        dotenvy::Error::LineParse(_, index) => YatError::Config {
            path: path.to_owned(),
            line: None,
            column: Some(index + 1),
            message: "cannot parse a line of this .env file".into(),
        },
        dotenvy::Error::Io(e) => io_error(path, &e),
        other => YatError::Config {
            path: path.to_owned(),
            line: None,
            column: None,
            message: format!("{}", DotenvKind(&other)),
        },
    }
}

struct DotenvKind<'a>(&'a dotenvy::Error);
impl std::fmt::Display for DotenvKind<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            dotenvy::Error::EnvVar(_) => f.write_str("invalid variable"),
            _ => f.write_str("cannot read this .env file"),
        }
    }
}

/// Sets `var=value` in the `.env` file at `path`, keeping every other line,
/// written atomically with mode 0600. Used by `yat keys set`.
///
/// ```
/// use yat_core::config::{read_dotenv, set_dotenv_var};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join(".env");
/// std::fs::write(&path, "# mine\nOTHER=1\n").unwrap();
/// set_dotenv_var(&path, "ACME_API_KEY", "sk-2").unwrap();
/// let text = std::fs::read_to_string(&path).unwrap();
/// assert!(text.starts_with("# mine\n")); // other lines kept
/// assert_eq!(read_dotenv(&path).unwrap()["ACME_API_KEY"], "sk-2");
/// ```
pub fn set_dotenv_var(path: &Path, var: &str, value: &str) -> Result<(), YatError> {
    update_dotenv(path, var, Some(value))
}

/// Removes `var` from the `.env` file at `path`.
///
/// ```
/// use yat_core::config::{read_dotenv, set_dotenv_var, unset_dotenv_var};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join(".env");
/// set_dotenv_var(&path, "ACME_API_KEY", "sk-3").unwrap();
/// unset_dotenv_var(&path, "ACME_API_KEY").unwrap();
/// assert!(!read_dotenv(&path).unwrap().contains_key("ACME_API_KEY"));
/// ```
pub fn unset_dotenv_var(path: &Path, var: &str) -> Result<(), YatError> {
    update_dotenv(path, var, None)
}

fn update_dotenv(path: &Path, var: &str, value: Option<&str>) -> Result<(), YatError> {
    if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(YatError::Config {
            path: path.to_owned(),
            line: None,
            column: None,
            message: format!("{var:?} is not a valid variable name"),
        });
    }
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_error(path, &e)),
    };
    // Refuse to rewrite a file we cannot parse, as for the JSON config.
    read_dotenv(path)?;
    let mut out = String::with_capacity(old.len() + 64);
    let mut replaced = false;
    // Entries, not lines: a quoted value may span lines, and its inner
    // lines must neither be taken for a variable nor be left behind.
    for line in dotenv_entries(&old) {
        let t = line.trim_start_matches('\u{feff}').trim_start();
        let t = t
            .strip_prefix("export")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map_or(t, str::trim_start);
        let is_var = t
            .strip_prefix(var)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if is_var {
            if let (Some(v), false) = (value, replaced) {
                out.push_str(&format_dotenv_line(var, v));
                out.push('\n');
            }
            replaced = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let (Some(v), false) = (value, replaced) {
        out.push_str(&format_dotenv_line(var, v));
        out.push('\n');
    }
    write_atomic(path, out.as_bytes(), true)
}

/// `var="value"`, escaped so that dotenvy reads back exactly `value`: a `$`
/// would otherwise start a substitution, and a line break would make the
/// entry span lines.
fn format_dotenv_line(var: &str, value: &str) -> String {
    let v = crate::secret::sanitize(value);
    let mut escaped = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        match c {
            '\\' | '"' | '$' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    format!("{var}=\"{escaped}\"")
}

/// Where dotenvy is inside an entry at the end of a line (its own states).
#[derive(Clone, Copy, PartialEq, Eq)]
enum DotenvState {
    Complete,
    Escape,
    Strong,
    StrongEscape,
    Weak,
    WeakEscape,
    Space,
    Comment,
}

/// The state after `line`, starting from `state` (dotenvy's quoting rules:
/// a quoted value continues on the next line until its closing quote).
fn dotenv_state(mut state: DotenvState, line: &str) -> DotenvState {
    use DotenvState::*;
    for c in line.chars() {
        state = match state {
            Space => match c {
                '#' => return Comment,
                '\\' => Escape,
                '"' => Weak,
                '\'' => Strong,
                _ => Complete,
            },
            Escape => Complete,
            Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => Space,
                '\\' => Escape,
                '"' => Weak,
                '\'' => Strong,
                _ => Complete,
            },
            Weak => match c {
                '\\' => WeakEscape,
                '"' => Complete,
                _ => Weak,
            },
            WeakEscape => Weak,
            Strong => match c {
                '\\' => StrongEscape,
                '\'' => Complete,
                _ => Strong,
            },
            StrongEscape => Strong,
            Comment => return Comment,
        };
    }
    state
}

/// The entries of a `.env` file as dotenvy splits it, each without its
/// final line end: one per line, except that an entry whose quoted value is
/// still open at the end of a line goes on to the next.
fn dotenv_entries(text: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let mut start = 0;
    let mut state = DotenvState::Complete;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if state == DotenvState::Complete {
            start = at;
            state = if line.trim_start().starts_with('#') {
                DotenvState::Comment
            } else {
                dotenv_state(state, line)
            };
        } else {
            state = dotenv_state(state, line);
        }
        at += line.len();
        if matches!(state, DotenvState::Complete | DotenvState::Comment) {
            let entry = &text[start..at];
            let entry = entry.strip_suffix('\n').unwrap_or(entry);
            entries.push(entry.strip_suffix('\r').unwrap_or(entry));
            state = DotenvState::Complete;
        }
    }
    if start < text.len() && state != DotenvState::Complete {
        // Still open at the end: dotenvy rejects this, and so does
        // `update_dotenv` before it gets here; kept as it is regardless.
        entries.push(&text[start..]);
    }
    entries
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

    #[test]
    fn dotenv_set_replace_unset_keeps_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# comment\nOTHER=1\nexport A_KEY=old\n").unwrap();
        set_dotenv_var(&path, "A_KEY", " 'new\"value' ").unwrap();
        set_dotenv_var(&path, "B_KEY", "b").unwrap();
        let m = read_dotenv(&path).unwrap();
        assert_eq!(m["A_KEY"], "new\"value");
        assert_eq!(m["B_KEY"], "b");
        assert_eq!(m["OTHER"], "1");
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# comment\n"));
        unset_dotenv_var(&path, "A_KEY").unwrap();
        assert!(!read_dotenv(&path).unwrap().contains_key("A_KEY"));
        assert!(set_dotenv_var(&path, "bad name", "x").is_err());
    }

    #[test]
    fn dotenv_errors_do_not_quote_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "GOOD=1\nsk-planted-secret value\n").unwrap();
        let e = read_dotenv(&path).unwrap_err().to_string();
        assert!(!e.contains("planted"), "{e}");
    }

    #[test]
    fn dotenv_values_with_dollars_and_line_breaks_read_back_exactly() {
        // Found by fuzz/fuzz_targets/dotenv.rs: `$` was read back as a
        // substitution, and a value set with a line break left a
        // multi-line entry that a later unset half removed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "OTHER=1\n").unwrap();
        for value in [
            "pa$$word",
            "a${B}c",
            "line 1\nline 2",
            "back\\slash \"q\"",
            "x\r\ny",
        ] {
            set_dotenv_var(&path, "K", value).unwrap();
            let m = read_dotenv(&path).unwrap();
            assert_eq!(m["K"], value, "{value:?}");
            assert_eq!(m["OTHER"], "1");
            unset_dotenv_var(&path, "K").unwrap();
            let m = read_dotenv(&path).unwrap();
            assert!(!m.contains_key("K"));
            assert_eq!(m.len(), 1, "{m:?}");
        }
    }

    #[test]
    fn dotenv_update_treats_a_multi_line_value_as_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        // A quoted value spanning lines, one of which looks like `K=`.
        let text = "PEM=\"-----BEGIN-----\nK=not a variable\n-----END-----\"\nK='old\nvalue'\nexport\tB=2\n";
        std::fs::write(&path, text).unwrap();
        let before = read_dotenv(&path).unwrap();
        assert_eq!(before["K"], "old\nvalue");
        set_dotenv_var(&path, "K", "new").unwrap();
        let after = read_dotenv(&path).unwrap();
        assert_eq!(after["K"], "new");
        assert_eq!(after["PEM"], before["PEM"]);
        assert_eq!(after["B"], "2");
        set_dotenv_var(&path, "B", "3").unwrap();
        assert_eq!(read_dotenv(&path).unwrap()["B"], "3");
        unset_dotenv_var(&path, "K").unwrap();
        let after = read_dotenv(&path).unwrap();
        assert!(!after.contains_key("K"));
        assert_eq!(after["PEM"], before["PEM"]);
        assert_eq!(
            dotenv_entries("A=1\r\nB=\"x\ny\"\n# c\nC='\n'"),
            ["A=1", "B=\"x\ny\"", "# c", "C='\n'"]
        );
    }

    #[test]
    fn location_prefers_explicit_path() {
        let loc = ConfigLocation::discover(Some(Path::new("/tmp/yat-x/my.json")));
        assert_eq!(loc.config_file, PathBuf::from("/tmp/yat-x/my.json"));
        assert_eq!(loc.keys_file(), PathBuf::from("/tmp/yat-x/.env"));
    }
}

//! Finding plugin programs: `yat-provider-<id>` on `PATH`, in the plugins
//! directory, and the commands `provider_config.json` declares.
//!
//! Rules, each for a reason:
//! - `PATH` is searched in order and the first program of a name wins, as a
//!   shell would run it.
//! - A relative `PATH` entry (`.`, an empty entry, `bin`) is skipped: it
//!   names the current directory, and a `yat` run inside a cloned
//!   repository must not execute a program that repository ships.
//! - Only regular files with an execute bit count (a symlink to one does):
//!   a directory or a non-executable file of that name is not a plugin.
//! - Ids are what the registry accepts: lowercase ASCII letters, digits,
//!   `-` and `_`, starting with a letter or a digit.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use yat_core::config::ProviderEntry;
use yat_core::ProviderConfig;

/// The prefix of a plugin program's file name.
pub const PROGRAM_PREFIX: &str = "yat-provider-";

/// The value of an entry's `type` that declares a process plugin.
pub const ENTRY_TYPE: &str = "process";

/// Where a plugin program was found; earlier places win an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FoundIn {
    /// An entry of `provider_config.json` with `"type": "process"`.
    Config,
    /// The `plugins` directory beside the configuration.
    PluginsDir,
    /// A directory of `PATH`.
    Path,
}

impl FoundIn {
    /// In words: `provider_config.json`, `plugins directory`, `PATH`.
    pub fn as_str(self) -> &'static str {
        match self {
            FoundIn::Config => "provider_config.json",
            FoundIn::PluginsDir => "plugins directory",
            FoundIn::Path => "PATH",
        }
    }
}

/// One plugin program found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Found {
    /// The provider id.
    pub id: String,
    /// The program, absolute.
    pub program: PathBuf,
    /// The arguments after the program (only config entries have any).
    pub args: Vec<String>,
    /// Where it was found.
    pub found_in: FoundIn,
    /// The display name a config entry gives, if any.
    pub name: Option<String>,
}

impl Found {
    /// The whole command line, as text.
    pub fn command(&self) -> Vec<String> {
        std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

/// A declared entry that cannot be run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    /// The entry's id.
    pub id: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Whether `id` is a usable provider id.
///
/// ```
/// use yat_process::discovery::valid_id;
/// assert!(valid_id("acme") && valid_id("acme-2") && valid_id("my_llm"));
/// assert!(!valid_id("") && !valid_id("Acme") && !valid_id("-x") && !valid_id("a b") && !valid_id("a/b"));
/// ```
pub fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The id a file name `yat-provider-<id>` names, if it does.
fn id_of(name: &OsStr) -> Option<String> {
    let id = name.to_str()?.strip_prefix(PROGRAM_PREFIX)?;
    valid_id(id).then(|| id.to_owned())
}

/// Whether `path` is a regular file (after symlinks) that may be executed.
pub fn is_executable_file(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// The plugin programs in one directory, sorted by id.
fn programs_in(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((id_of(&e.file_name())?, e.path())))
        .filter(|(_, p)| is_executable_file(p))
        .collect();
    out.sort();
    out
}

/// Every `yat-provider-<id>` on `path_var`, first per id in `PATH` order.
/// Relative entries are skipped (see the module's rules).
pub fn scan_path(path_var: &OsStr) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    for dir in std::env::split_paths(path_var) {
        if !dir.is_absolute() {
            continue;
        }
        for (id, program) in programs_in(&dir) {
            if out.iter().any(|f| f.id == id) {
                continue;
            }
            out.push(Found {
                id,
                program,
                args: Vec::new(),
                found_in: FoundIn::Path,
                name: None,
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Every plugin in `dir`: a program `yat-provider-<id>` in it, or in a
/// folder of it (a plugin that ships files of its own).
pub fn scan_plugins_dir(dir: &Path) -> Vec<Found> {
    let mut found = programs_in(dir);
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut folders: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        for folder in folders {
            found.extend(programs_in(&folder));
        }
    }
    let mut out: Vec<Found> = Vec::new();
    for (id, program) in found {
        if out.iter().any(|f| f.id == id) {
            continue;
        }
        out.push(Found {
            id,
            program,
            args: Vec::new(),
            found_in: FoundIn::PluginsDir,
            name: None,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Whether a config entry declares a process plugin.
pub fn is_process_entry(entry: &ProviderEntry) -> bool {
    entry.extra.get("type").and_then(|v| v.as_str()) == Some(ENTRY_TYPE)
}

/// The process plugins `config` declares. A relative program path is
/// taken from `config_dir`; a bare name (no `/`) is looked up on
/// `path_var` under the same rules as plugins.
pub fn scan_config(
    config: &ProviderConfig,
    config_dir: &Path,
    path_var: Option<&OsStr>,
) -> (Vec<Found>, Vec<BadEntry>) {
    let mut found = Vec::new();
    let mut bad = Vec::new();
    for entry in config.providers.iter().filter(|e| is_process_entry(e)) {
        match from_entry(entry, config_dir, path_var) {
            Ok(f) => found.push(f),
            Err(reason) => bad.push(BadEntry {
                id: entry.id.clone(),
                reason,
            }),
        }
    }
    (found, bad)
}

fn from_entry(
    entry: &ProviderEntry,
    config_dir: &Path,
    path_var: Option<&OsStr>,
) -> Result<Found, String> {
    if !valid_id(&entry.id) {
        return Err(format!(
            "{:?} is not a provider id (lowercase letters, digits, - and _)",
            entry.id
        ));
    }
    let command: Vec<String> = match entry.extra.get("command") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or("\"command\" must be a list of strings")?,
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(_) => return Err("\"command\" must be a list of strings".into()),
        None => return Err("a process entry needs \"command\": [program, args...]".into()),
    };
    let (program, args) = command
        .split_first()
        .ok_or("\"command\" is empty: it needs at least the program")?;
    let program = resolve_program(program, config_dir, path_var)?;
    Ok(Found {
        id: entry.id.clone(),
        program,
        args: args.to_vec(),
        found_in: FoundIn::Config,
        name: entry.name.clone(),
    })
}

fn resolve_program(
    program: &str,
    config_dir: &Path,
    path_var: Option<&OsStr>,
) -> Result<PathBuf, String> {
    let as_path = Path::new(program);
    let candidate = if as_path.is_absolute() {
        as_path.to_owned()
    } else if program.contains('/') {
        config_dir.join(as_path)
    } else {
        let dirs = path_var.map(std::env::split_paths);
        dirs.into_iter()
            .flatten()
            .filter(|d| d.is_absolute())
            .map(|d| d.join(program))
            .find(|p| is_executable_file(p))
            .ok_or_else(|| format!("{program:?} is not on PATH"))?
    };
    if !is_executable_file(&candidate) {
        return Err(format!("{} is not an executable file", candidate.display()));
    }
    Ok(candidate)
}

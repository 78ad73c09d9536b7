//! The handshake cache: what each plugin declared, so that listing
//! providers runs no plugin it has seen before.
//!
//! An entry is keyed by the command (program and arguments) and stamped
//! with the size and modification time of the program and of every
//! argument that names a file (an interpreter's script): a new or changed
//! plugin misses and is probed again. A failed probe is kept for
//! [`FAILURE_TTL`] only, so a plugin that failed for a passing reason is
//! tried again soon without a listing probing it on every run.
//!
//! The file is JSON, written atomically (a temporary file, then a rename);
//! an unreadable or foreign file is treated as empty and rewritten.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How long a failed probe is believed.
pub const FAILURE_TTL: Duration = Duration::from_secs(60);

/// The cache file's format version.
const VERSION: u32 = 1;

/// The default cache file: `<platform cache dir>/yat/process-plugins.json`.
pub fn default_cache_file() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("yat").join("process-plugins.json"))
}

/// Size and modification time of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    path: PathBuf,
    size: u64,
    mtime_ns: u128,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        let mtime_ns = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(Stamp {
            path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
            size: meta.len(),
            mtime_ns,
        })
    }
}

/// The stamps that identify `program args...` as it is on disk now.
pub(crate) fn stamps(program: &Path, args: &[String]) -> Vec<Stamp> {
    std::iter::once(program.to_owned())
        .chain(args.iter().map(PathBuf::from))
        .filter_map(|p| Stamp::of(&p))
        .collect()
}

/// What a probe gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// The plugin's hello line.
    Hello { line: String },
    /// Why the probe failed.
    Failed { reason: String, at_unix_ms: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    command: Vec<String>,
    stamps: Vec<Stamp>,
    #[serde(flatten)]
    outcome: Outcome,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    entries: Vec<Entry>,
}

/// The cache as read from its file, with the changes of this run.
#[derive(Debug)]
pub(crate) struct Cache {
    path: Option<PathBuf>,
    file: File,
    dirty: bool,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Cache {
    /// Reads `path` (no file, or `None`: an empty cache).
    pub(crate) fn load(path: Option<&Path>) -> Cache {
        let file = path
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice::<File>(&bytes).ok())
            .filter(|f| f.version == VERSION)
            .unwrap_or(File {
                version: VERSION,
                entries: Vec::new(),
            });
        Cache {
            path: path.map(Path::to_owned),
            file,
            dirty: false,
        }
    }

    /// The outcome recorded for `command` if the files are unchanged (and,
    /// for a failure, it is recent).
    pub(crate) fn get(&self, command: &[String], stamps: &[Stamp]) -> Option<&Outcome> {
        let e = self
            .file
            .entries
            .iter()
            .find(|e| e.command == command && e.stamps == stamps)?;
        match &e.outcome {
            Outcome::Failed { at_unix_ms, .. }
                if now_ms().saturating_sub(*at_unix_ms) > FAILURE_TTL.as_millis() as u64 =>
            {
                None
            }
            o => Some(o),
        }
    }

    /// Records an outcome, replacing what `command` had.
    pub(crate) fn put(&mut self, command: Vec<String>, stamps: Vec<Stamp>, outcome: Outcome) {
        self.file.entries.retain(|e| e.command != command);
        self.file.entries.push(Entry {
            command,
            stamps,
            outcome,
        });
        self.dirty = true;
    }

    /// Writes the file if anything changed. A cache that cannot be written
    /// costs a probe next time, nothing more: logged, not an error.
    pub(crate) fn save(&self) {
        let (Some(path), true) = (&self.path, self.dirty) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
            let bytes = serde_json::to_vec_pretty(&self.file).map_err(std::io::Error::other)?;
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, path)
        };
        if let Err(e) = write() {
            tracing::debug!(path = %path.display(), "cannot write the plugin cache: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_found_only_while_the_files_are_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let prog = dir.path().join("yat-provider-x");
        std::fs::write(&prog, "one").unwrap();
        let cache_file = dir.path().join("cache.json");
        let cmd = vec![prog.display().to_string()];
        let mut c = Cache::load(Some(&cache_file));
        c.put(
            cmd.clone(),
            stamps(&prog, &[]),
            Outcome::Hello { line: "{}".into() },
        );
        c.save();
        let c = Cache::load(Some(&cache_file));
        assert!(c.get(&cmd, &stamps(&prog, &[])).is_some());
        std::fs::write(&prog, "changed size").unwrap();
        assert!(c.get(&cmd, &stamps(&prog, &[])).is_none());
    }

    #[test]
    fn an_old_failure_is_forgotten_and_a_broken_file_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let cache_file = dir.path().join("cache.json");
        std::fs::write(&cache_file, "not json").unwrap();
        let mut c = Cache::load(Some(&cache_file));
        let cmd = vec!["/x".to_owned()];
        c.put(
            cmd.clone(),
            vec![],
            Outcome::Failed {
                reason: "r".into(),
                at_unix_ms: now_ms() - FAILURE_TTL.as_millis() as u64 - 1,
            },
        );
        assert!(c.get(&cmd, &[]).is_none());
        c.put(
            cmd.clone(),
            vec![],
            Outcome::Failed {
                reason: "r".into(),
                at_unix_ms: now_ms(),
            },
        );
        assert!(c.get(&cmd, &[]).is_some());
    }
}

//! Where yat keeps its own data (conversation history, line-editor history).
//! Configuration paths are in [`crate::config`].

use std::path::PathBuf;

/// yat's data directory: `$YAT_DATA_DIR` when set and not empty, else
/// `<platform data dir>/yat` (`$XDG_DATA_HOME/yat`, by default
/// `~/.local/share/yat`, on Linux).
///
/// ```
/// let dir = yat_core::paths::data_dir();
/// assert!(dir.ends_with("yat") || std::env::var_os("YAT_DATA_DIR").is_some());
/// ```
pub fn data_dir() -> PathBuf {
    match std::env::var_os("YAT_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("yat"),
    }
}

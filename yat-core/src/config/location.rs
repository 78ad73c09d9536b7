//! Where configuration lives for one run: which `provider_config.json`, which
//! `.env` files, and the platform's config directory.

use std::path::{Path, PathBuf};

use super::file::CONFIG_FILE_NAME;
use super::keys::KeyFile;

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
#[non_exhaustive]
pub struct ConfigLocation {
    /// The `provider_config.json` in use (it may not exist yet).
    pub config_file: PathBuf,
    /// The directory that holds yat's own files (the `.env` keys are stored in).
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

    /// The path of the `.env` in the config dir, where keys are stored.
    pub fn keys_file(&self) -> PathBuf {
        self.config_dir.join(".env")
    }

    /// The `.env` in the config dir, to read and change the keys stored
    /// there (see [`KeyFile`]).
    ///
    /// ```
    /// use yat_core::ConfigLocation;
    /// let dir = tempfile::tempdir().unwrap();
    /// let loc = ConfigLocation::for_file(dir.path().join("provider_config.json"), dir.path());
    /// let keys = loc.keys();
    /// assert_eq!(keys.path(), loc.keys_file());
    /// keys.set("ACME_API_KEY", "sk-1").unwrap();
    /// assert_eq!(keys.get("ACME_API_KEY").unwrap().unwrap().expose(), "sk-1");
    /// ```
    pub fn keys(&self) -> KeyFile {
        KeyFile::new(self.keys_file())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_prefers_explicit_path() {
        let loc = ConfigLocation::discover(Some(Path::new("/tmp/yat-x/my.json")));
        assert_eq!(loc.config_file, PathBuf::from("/tmp/yat-x/my.json"));
        assert_eq!(loc.keys_file(), PathBuf::from("/tmp/yat-x/.env"));
    }
}

//! The `.env` file API keys are stored in, as a program reads and changes it.

use std::path::{Path, PathBuf};

use super::dotenv::{read_dotenv, update_dotenv};
use crate::secret::Secret;
use crate::YatError;

/// A `.env` file that holds keys: the one in the config dir
/// ([`ConfigLocation::keys`](super::ConfigLocation::keys)), or any other.
///
/// Every change rewrites the whole file atomically (a reader or a crash sees
/// the old file or the new one) with mode 0600 on Unix, and keeps every other
/// line as it was: comments, blank lines, `export` lines and other
/// variables. A file that does not parse is refused rather than rewritten.
/// Values are written quoted and escaped, so spaces, quotes, `#`, `$` and
/// line breaks read back exactly. Nothing here prints a value: errors name
/// the file and the variable, values come out as [`Secret`].
///
/// ```
/// use yat_core::config::KeyFile;
/// let dir = tempfile::tempdir().unwrap();
/// let keys = KeyFile::new(dir.path().join(".env"));
/// keys.set("ACME_API_KEY", "sk-1").unwrap();
/// assert_eq!(keys.get("ACME_API_KEY").unwrap().unwrap().expose(), "sk-1");
/// assert_eq!(keys.list().unwrap(), ["ACME_API_KEY"]);
/// assert!(keys.unset("ACME_API_KEY").unwrap());
/// assert!(!keys.unset("ACME_API_KEY").unwrap()); // already gone: nothing written
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    /// The `.env` file at `path` (it need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KeyFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value of `var`, or `None` when the file (or the variable) is
    /// absent. Surrounding whitespace and one pair of quotes are trimmed, as
    /// for every key yat reads.
    pub fn get(&self, var: &str) -> Result<Option<Secret>, YatError> {
        Ok(read_dotenv(&self.path)?.get(var).map(Secret::new))
    }

    /// The names of the variables in the file, sorted; never their values.
    pub fn list(&self) -> Result<Vec<String>, YatError> {
        Ok(read_dotenv(&self.path)?.into_keys().collect())
    }

    /// Sets `var` to `value` (trimmed of surrounding whitespace and one
    /// pair of quotes), replacing its line if it has one, else appending
    /// one. Creates the file, and its directory, when absent.
    ///
    /// `var` must be ASCII letters, digits and `_`; anything else is a
    /// [`YatError::Config`] naming the file, and nothing is written.
    pub fn set(&self, var: &str, value: &str) -> Result<(), YatError> {
        update_dotenv(&self.path, var, Some(value)).map(drop)
    }

    /// Removes `var`; returns whether it was there. Removing a variable
    /// that is not there changes nothing and writes nothing.
    pub fn unset(&self, var: &str) -> Result<bool, YatError> {
        update_dotenv(&self.path, var, None)
    }
}

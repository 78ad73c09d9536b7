//! Gateway keys: what clients present to use the gateway. Each is a random
//! 256-bit secret shown once, when it is created; the file beside
//! `provider_config.json` (`gateway_keys.json`, mode 0600) keeps only its
//! SHA-256, a short prefix to tell keys apart, and its name.
//!
//! A fast hash is the right one here: a key is 32 random bytes, not a
//! password, so there is nothing for a slow hash to protect against, and
//! every request pays for the check.
//!
//! ```
//! use yat_serve::keys::{KeyStore, KeyTable};
//! let dir = tempfile::tempdir().unwrap();
//! let store = KeyStore::new(dir.path().join("gateway_keys.json"));
//! let (record, secret) = store.create("ci", None)?;
//! assert!(secret.starts_with("yat-"));
//! assert!(!std::fs::read_to_string(store.path()).unwrap().contains(&secret));
//!
//! let table = KeyTable::new(&store.load()?);
//! assert_eq!(table.check(&secret).unwrap().name, "ci");
//! assert!(table.check("yat-not-a-key").is_none());
//! assert!(store.revoke(&record.name)?);
//! assert!(KeyTable::new(&store.load()?).check(&secret).is_none());
//! # Ok::<(), yat_serve::keys::KeyError>(())
//! ```

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yat_core::{ConfigLocation, YatError};

/// The keys file's name, beside `provider_config.json`.
pub const KEYS_FILE_NAME: &str = "gateway_keys.json";

/// What every key starts with, so a leaked one is recognisable (and secret
/// scanners can be taught the pattern).
pub const KEY_PREFIX: &str = "yat-";

/// Why a key could not be created or revoked.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The name is not 1 to 64 letters, digits, `-`, `_` or `.`.
    #[error("key name {name:?}: use 1 to 64 letters, digits, '-', '_' or '.'")]
    BadName {
        /// The name given.
        name: String,
    },
    /// A key of that name exists.
    #[error("a key named {name:?} already exists")]
    Exists {
        /// The name given.
        name: String,
    },
    /// The keys file could not be read or written.
    #[error(transparent)]
    File(#[from] YatError),
}

/// One stored key: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyRecord {
    /// The key's name, as it appears in logs and metrics.
    pub name: String,
    /// `sha256:` and the hex digest of the secret.
    pub hash: String,
    /// The secret's first characters, to tell keys apart in a listing.
    pub prefix: String,
    /// Unix seconds when it was created.
    pub created: u64,
    /// This key's own requests-per-minute limit (else the gateway's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u32>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeysFile {
    #[serde(default)]
    keys: Vec<KeyRecord>,
}

/// The keys file.
#[derive(Debug, Clone)]
pub struct KeyStore {
    path: PathBuf,
}

impl KeyStore {
    /// The keys file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KeyStore { path: path.into() }
    }

    /// The keys file beside `location`'s `provider_config.json`.
    pub fn beside(location: &ConfigLocation) -> Self {
        let dir = location
            .config_file
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default();
        KeyStore::new(dir.join(KEYS_FILE_NAME))
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every stored key; none when the file does not exist.
    pub fn load(&self) -> Result<Vec<KeyRecord>, YatError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(YatError::io(&self.path, e.to_string())),
        };
        let file: KeysFile = serde_json::from_str(&text).map_err(|e| YatError::Config {
            path: self.path.clone(),
            line: Some(e.line()),
            column: Some(e.column()),
            message: e.to_string(),
        })?;
        Ok(file.keys)
    }

    /// Makes a key named `name` and stores its hash. Returns the record and
    /// the secret, which is not kept anywhere: show it once.
    pub fn create(
        &self,
        name: &str,
        requests_per_minute: Option<u32>,
    ) -> Result<(KeyRecord, String), KeyError> {
        if !valid_name(name) {
            return Err(KeyError::BadName { name: name.into() });
        }
        let mut keys = self.load()?;
        if keys.iter().any(|k| k.name == name) {
            return Err(KeyError::Exists { name: name.into() });
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| self.error(format!("no randomness for a key: {e}")))?;
        let secret = format!(
            "{KEY_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let record = KeyRecord {
            name: name.to_owned(),
            hash: hash_text(&secret),
            prefix: secret[..KEY_PREFIX.len() + 6].to_owned(),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            requests_per_minute,
        };
        keys.push(record.clone());
        self.save(keys)?;
        Ok((record, secret))
    }

    /// Deletes the key named `name`; whether there was one.
    pub fn revoke(&self, name: &str) -> Result<bool, KeyError> {
        let mut keys = self.load()?;
        let before = keys.len();
        keys.retain(|k| k.name != name);
        if keys.len() == before {
            return Ok(false);
        }
        self.save(keys)?;
        Ok(true)
    }

    fn error(&self, message: String) -> YatError {
        YatError::Config {
            path: self.path.clone(),
            line: None,
            column: None,
            message,
        }
    }

    /// Writes the whole file beside itself and renames it into place, so a
    /// reader (the running gateway) never sees half a file; owner-only.
    fn save(&self, keys: Vec<KeyRecord>) -> Result<(), YatError> {
        let io = |e: std::io::Error| YatError::io(&self.path, e.to_string());
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut text = serde_json::to_string_pretty(&KeysFile { keys }).expect("plain data");
        text.push('\n');
        let tmp = self.path.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn hash_text(secret: &str) -> String {
    let mut out = String::from("sha256:");
    for b in digest(secret) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let hex = text.strip_prefix("sha256:")?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A client the gateway let in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientKey {
    /// The key's name (`anonymous` when authentication is off).
    pub name: String,
    /// Its own requests-per-minute limit, if it has one.
    pub requests_per_minute: Option<u32>,
}

/// The stored keys, ready to check presented secrets against.
#[derive(Debug, Clone, Default)]
pub struct KeyTable {
    by_hash: HashMap<[u8; 32], Arc<ClientKey>>,
}

impl KeyTable {
    /// A table of `records`; a record whose hash does not parse is skipped
    /// with a warning (it can match nothing).
    pub fn new(records: &[KeyRecord]) -> Self {
        let mut by_hash = HashMap::new();
        for r in records {
            match parse_hash(&r.hash) {
                Some(h) => {
                    by_hash.insert(
                        h,
                        Arc::new(ClientKey {
                            name: r.name.clone(),
                            requests_per_minute: r.requests_per_minute,
                        }),
                    );
                }
                None => {
                    tracing::warn!(key = %r.name, "gateway key with an unreadable hash; it matches nothing")
                }
            }
        }
        KeyTable { by_hash }
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The key whose secret is `presented`. The lookup is by digest, so the
    /// time it takes says nothing about how close a guess came.
    pub fn check(&self, presented: &str) -> Option<Arc<ClientKey>> {
        self.by_hash.get(&digest(presented)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, KeyStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path().join(KEYS_FILE_NAME));
        (dir, store)
    }

    #[test]
    fn secrets_are_distinct_and_only_their_hash_is_stored() {
        let (_dir, store) = store();
        let (a, sa) = store.create("a", None).unwrap();
        let (_, sb) = store.create("b", Some(10)).unwrap();
        assert_ne!(sa, sb);
        assert_eq!(sa.len(), KEY_PREFIX.len() + 43);
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains(&sa) && !text.contains(&sb));
        assert!(text.contains(&a.prefix));
        let table = KeyTable::new(&store.load().unwrap());
        assert_eq!(table.len(), 2);
        assert_eq!(table.check(&sb).unwrap().requests_per_minute, Some(10));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, store) = store();
        store.create("a", None).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn names_are_checked_and_unique() {
        let (_dir, store) = store();
        store.create("ci", None).unwrap();
        for bad in ["", "a b", "x/y", &"n".repeat(65)] {
            assert!(
                matches!(store.create(bad, None), Err(KeyError::BadName { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            store.create("ci", None),
            Err(KeyError::Exists { .. })
        ));
        assert!(!store.revoke("nobody").unwrap());
        assert_eq!(store.load().unwrap().len(), 1);
    }

    #[test]
    fn a_broken_file_is_a_config_error_and_a_bad_hash_matches_nothing() {
        let (_dir, store) = store();
        std::fs::write(store.path(), "{not json").unwrap();
        assert!(matches!(
            store.load(),
            Err(YatError::Config { line: Some(1), .. })
        ));
        let record = KeyRecord {
            name: "x".into(),
            hash: "sha256:zz".into(),
            prefix: "yat-".into(),
            created: 0,
            requests_per_minute: None,
        };
        assert!(KeyTable::new(&[record]).is_empty());
    }

    #[test]
    fn hashes_round_trip() {
        let h = hash_text("yat-abc");
        assert_eq!(parse_hash(&h), Some(digest("yat-abc")));
        assert_eq!(parse_hash("md5:00"), None);
    }
}

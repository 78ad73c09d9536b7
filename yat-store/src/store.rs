//! The history database: where it lives, opening it privately, and bringing
//! its schema up to date.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{io, sqlite};
use crate::{data_dir, schema, StoreError, DATABASE_FILE_NAME};

/// The history database.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl Store {
    /// Where [`Store::open_default`] keeps the database.
    pub fn default_path() -> PathBuf {
        data_dir().join(DATABASE_FILE_NAME)
    }

    /// Opens (creating if needed) the database at [`Store::default_path`].
    pub fn open_default() -> Result<Self, StoreError> {
        Self::open(&Self::default_path())
    }

    /// Opens (creating if needed) the database at `path`, creating its
    /// directory (0700) and the file (0600) when absent, and bringing the
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        create_private_file(path)?;
        let conn = Connection::open(path).map_err(sqlite(path))?;
        Self::from_connection(conn, path.to_owned())
    }

    /// A database that lives only as long as the value (tests, examples).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(sqlite(&path))?;
        Self::from_connection(conn, path)
    }

    fn from_connection(conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        // Two yat processes may write at once (a session and a one-shot
        // chat); wait for the other's short transaction instead of failing.
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(sqlite(&path))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sqlite(&path))?;
        schema::migrate(&conn, &path)?;
        Ok(Store { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io(dir, &e))
}

fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map(drop).map_err(|e| io(path, &e))
}

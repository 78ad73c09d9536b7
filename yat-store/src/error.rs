//! What can go wrong while storing or reading history.

use std::path::{Path, PathBuf};

/// What can go wrong while storing or reading history.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("{}: {source}", path.display())]
    Sqlite {
        /// The database file (`:memory:` for an in-memory one).
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The data dir or the database file could not be created.
    #[error("{}: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// The database was written by a newer version of yat.
    #[error("{}: written by a newer yat (history schema {found}; this one reads up to {known})", path.display())]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The schema version found in it.
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
}

impl From<StoreError> for yat_core::YatError {
    fn from(e: StoreError) -> Self {
        let path = match &e {
            StoreError::Sqlite { path, .. }
            | StoreError::Io { path, .. }
            | StoreError::NewerSchema { path, .. } => path.clone(),
        };
        let message = match &e {
            StoreError::Sqlite { source, .. } => source.to_string(),
            StoreError::Io { message, .. } => message.clone(),
            other => {
                let full = other.to_string();
                let prefix = format!("{}: ", path.display());
                full.strip_prefix(&prefix).unwrap_or(&full).to_owned()
            }
        };
        yat_core::YatError::io(path, message)
    }
}

/// A SQLite failure on the database at `path`.
pub(crate) fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

/// An I/O failure on `path`.
pub(crate) fn io(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

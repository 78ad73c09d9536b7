//! Replacing a file so that a reader, or a crash, sees the old file or the
//! new one and never a mix. Every file yat writes for the user goes through
//! here, since any of them may hold a key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::YatError;

/// Writes `bytes` to `path`: a new temporary file in the same directory
/// (mode 0600 on Unix), fsync, rename over `path`, fsync the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), YatError> {
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
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
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

/// An I/O failure on `path`, as the library reports it.
pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> YatError {
    YatError::io(path, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect()
    }

    #[test]
    fn replaces_whole_files_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        write_atomic(&path, b"A=1\n").unwrap();
        write_atomic(&path, b"A=2\nB=3\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"A=2\nB=3\n");
        assert!(temp_files(dir.path()).is_empty());
    }

    #[test]
    fn a_directory_that_cannot_be_made_fails_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("file-not-dir");
        std::fs::write(&blocked, "").unwrap();
        let e = write_atomic(&blocked.join("x.json"), b"{}").unwrap_err();
        assert!(e.to_string().contains("file-not-dir"), "{e}");
        assert!(temp_files(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_new_file_is_private_even_over_a_readable_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

//! `.env` files: reading them without touching the process environment,
//! and changing one variable while keeping every other line as it was.
//!
//! Reading is dotenvy's; editing follows dotenvy's quoting rules so that an
//! edit never changes what another line reads as. The public face of this
//! is [`KeyFile`](super::KeyFile).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::atomic::{io_error, write_atomic};
use crate::YatError;

/// Reads the `.env` file at `path`. A missing file is empty; a malformed one
/// is an error naming the file and never quoting its lines.
pub(crate) fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, YatError> {
    match std::fs::read(path) {
        Ok(bytes) => parse_dotenv(&bytes, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(io_error(path, &e)),
    }
}

/// A `.env` file and its variables.
pub(crate) type DotenvFile = (PathBuf, BTreeMap<String, String>);

/// The `.env` files among `paths` that hold variables, each with them, in
/// the order given (their precedence).
pub(crate) fn read_dotenv_files(paths: &[PathBuf]) -> Result<Vec<DotenvFile>, YatError> {
    let mut out = Vec::new();
    for path in paths {
        let vars = read_dotenv(path)?;
        if !vars.is_empty() {
            out.push((path.clone(), vars));
        }
    }
    Ok(out)
}

/// The variables of a `.env` file's bytes; `path` is for errors.
fn parse_dotenv(bytes: &[u8], path: &Path) -> Result<BTreeMap<String, String>, YatError> {
    let mut out = BTreeMap::new();
    for item in dotenvy::from_read_iter(bytes) {
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

/// Whether `var` can be written as a variable name that every reader
/// accepts: ASCII letters, digits and `_`, not empty.
fn check_var_name(path: &Path, var: &str) -> Result<(), YatError> {
    if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(YatError::Config {
            path: path.to_owned(),
            line: None,
            column: None,
            message: format!("{var:?} is not a valid variable name"),
        });
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) `var` in the `.env` file at `path`,
/// keeping every other line, written atomically with mode 0600. Returns
/// whether `var` was in the file. Removing a variable that is not there
/// writes nothing.
///
/// A file that does not parse is refused, as for the JSON config: a
/// rewrite based on a misreading could lose the user's lines.
pub(crate) fn update_dotenv(path: &Path, var: &str, value: Option<&str>) -> Result<bool, YatError> {
    check_var_name(path, var)?;
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_error(path, &e)),
    };
    let was_set = parse_dotenv(old.as_bytes(), path)?.contains_key(var);
    if value.is_none() && !was_set {
        return Ok(false);
    }
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
    write_atomic(path, out.as_bytes())?;
    Ok(was_set)
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

    fn set(path: &Path, var: &str, value: &str) -> Result<bool, YatError> {
        update_dotenv(path, var, Some(value))
    }

    fn unset(path: &Path, var: &str) -> Result<bool, YatError> {
        update_dotenv(path, var, None)
    }

    #[test]
    fn set_replace_unset_keeps_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# comment\nOTHER=1\nexport A_KEY=old\n").unwrap();
        assert!(set(&path, "A_KEY", " 'new\"value' ").unwrap());
        assert!(!set(&path, "B_KEY", "b").unwrap());
        let m = read_dotenv(&path).unwrap();
        assert_eq!(m["A_KEY"], "new\"value");
        assert_eq!(m["B_KEY"], "b");
        assert_eq!(m["OTHER"], "1");
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# comment\n"));
        assert!(unset(&path, "A_KEY").unwrap());
        assert!(!read_dotenv(&path).unwrap().contains_key("A_KEY"));
        assert!(set(&path, "bad name", "x").is_err());
    }

    #[test]
    fn a_missing_file_reads_empty_and_removing_from_it_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        assert!(read_dotenv(&path).unwrap().is_empty());
        assert!(!unset(&path, "K").unwrap());
        assert!(!path.exists());
    }

    #[test]
    fn errors_do_not_quote_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "GOOD=1\nsk-planted-secret value\n").unwrap();
        let e = read_dotenv(&path).unwrap_err().to_string();
        assert!(!e.contains("planted"), "{e}");
        let e = set(&path, "K", "v").unwrap_err().to_string();
        assert!(!e.contains("planted"), "{e}");
        assert!(std::fs::read_to_string(&path).unwrap().contains("planted"));
    }

    #[test]
    fn values_with_dollars_and_line_breaks_read_back_exactly() {
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
            set(&path, "K", value).unwrap();
            let m = read_dotenv(&path).unwrap();
            assert_eq!(m["K"], value, "{value:?}");
            assert_eq!(m["OTHER"], "1");
            unset(&path, "K").unwrap();
            let m = read_dotenv(&path).unwrap();
            assert!(!m.contains_key("K"));
            assert_eq!(m.len(), 1, "{m:?}");
        }
    }

    #[test]
    fn an_update_treats_a_multi_line_value_as_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        // A quoted value spanning lines, one of which looks like `K=`.
        let text = "PEM=\"-----BEGIN-----\nK=not a variable\n-----END-----\"\nK='old\nvalue'\nexport\tB=2\n";
        std::fs::write(&path, text).unwrap();
        let before = read_dotenv(&path).unwrap();
        assert_eq!(before["K"], "old\nvalue");
        set(&path, "K", "new").unwrap();
        let after = read_dotenv(&path).unwrap();
        assert_eq!(after["K"], "new");
        assert_eq!(after["PEM"], before["PEM"]);
        assert_eq!(after["B"], "2");
        set(&path, "B", "3").unwrap();
        assert_eq!(read_dotenv(&path).unwrap()["B"], "3");
        unset(&path, "K").unwrap();
        let after = read_dotenv(&path).unwrap();
        assert!(!after.contains_key("K"));
        assert_eq!(after["PEM"], before["PEM"]);
        assert_eq!(
            dotenv_entries("A=1\r\nB=\"x\ny\"\n# c\nC='\n'"),
            ["A=1", "B=\"x\ny\"", "# c", "C='\n'"]
        );
    }
}

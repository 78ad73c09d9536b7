//! Flags whose value is JSON, given inline or as a file (`--schema`,
//! `--tool`): a value that starts with `{` or `[` is the JSON itself,
//! anything else is a path.

use std::path::{Path, PathBuf};

use crate::failure::Failure;

/// A flag's JSON value, with the file it came from (if it came from one).
pub struct JsonArg {
    /// The parsed value.
    pub value: serde_json::Value,
    /// The file, when the value was a path.
    pub file: Option<PathBuf>,
}

/// Reads `arg`, the value of `flag`. Every failure names the flag or the file.
pub fn read(flag: &str, arg: &str) -> Result<JsonArg, Failure> {
    let inline = matches!(arg.trim_start().chars().next(), Some('{' | '['));
    let (text, file) = if inline {
        (arg.to_owned(), None)
    } else {
        let path = Path::new(arg);
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("{flag} {arg}: cannot read it: {e}")))?;
        (text, Some(path.to_owned()))
    };
    let source = match &file {
        Some(p) => p.display().to_string(),
        None => flag.to_owned(),
    };
    let value = serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("{source}: not JSON: {e}")))?;
    Ok(JsonArg { value, file })
}

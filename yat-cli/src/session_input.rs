//! Prompts longer than a line in the interactive session: `!multi` reads
//! lines until `!end` (as in simonw's `llm`), `!edit` (or `/edit`) opens
//! `$VISUAL` or `$EDITOR` on a draft and sends what is saved.

use std::io::Write;
use std::path::{Path, PathBuf};

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;

use crate::failure::{CmdResult, Failure};
use crate::term::Term;

/// The session's line editor.
pub type LineEditor = Editor<(), FileHistory>;

/// The line that starts a multi-line prompt, and the one that ends it.
pub const MULTI: &str = "!multi";
/// See [`MULTI`].
pub const END: &str = "!end";

/// The lines of the session's `/help` about these.
pub const HELP: &str = "\
!multi            type a prompt over several lines, then !end on a line of its own
!edit [TEXT]      write the prompt in $VISUAL or $EDITOR (starting from TEXT); /edit too";

/// A line that asks for a longer prompt.
#[derive(Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `!multi`.
    Multi,
    /// `!edit [TEXT]` or `/edit [TEXT]`: the draft to start from.
    Edit(&'a str),
}

/// What `line` asks for, if it is one of these.
pub fn request(line: &str) -> Option<Request<'_>> {
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (line, ""),
    };
    match word {
        MULTI if rest.is_empty() => Some(Request::Multi),
        "!edit" | "/edit" => Some(Request::Edit(rest)),
        _ => None,
    }
}

/// The prompt `request` reads: `None` when there is nothing to send (an
/// empty entry, Ctrl-C, an editor that failed: each said on stderr).
/// Ctrl-D inside `!multi` ends the session, as it does at the prompt.
pub fn read(editor: &mut LineEditor, request: Request<'_>, term: Term) -> CmdResult<Read> {
    let text = match request {
        Request::Multi => match read_lines(editor)? {
            Some(text) => text,
            None => return Ok(Read::Eof),
        },
        Request::Edit(draft) => match edit(draft) {
            Ok(text) => text,
            Err(message) => {
                term.error(&message);
                return Ok(Read::Nothing);
            }
        },
    };
    if text.trim().is_empty() {
        term.note("nothing to send");
        return Ok(Read::Nothing);
    }
    Ok(Read::Prompt(text))
}

/// What [`read`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// A prompt to send.
    Prompt(String),
    /// Nothing to send; back to the prompt.
    Nothing,
    /// Ctrl-D: the session ends.
    Eof,
}

/// Lines until [`END`]; `None` on Ctrl-D. Ctrl-C drops what was typed.
fn read_lines(editor: &mut LineEditor) -> CmdResult<Option<String>> {
    let mut lines: Vec<String> = Vec::new();
    loop {
        match editor.readline("... ") {
            Ok(line) if line.trim() == END => return Ok(Some(lines.join("\n"))),
            Ok(line) => lines.push(line),
            Err(ReadlineError::Interrupted) => return Ok(Some(String::new())),
            Err(ReadlineError::Eof) => return Ok(None),
            Err(e) => return Err(Failure::Runtime(format!("cannot read input: {e}"))),
        }
    }
}

/// Opens the user's editor on `draft` in a private temporary file and
/// returns what was saved; the file is removed either way.
fn edit(draft: &str) -> Result<String, String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned());
    let file = DraftFile::create(draft).map_err(|e| format!("cannot write the draft: {e}"))?;
    let status = editor_command(&editor, file.path())
        .status()
        .map_err(|e| format!("cannot start the editor {editor:?}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the editor {editor:?} failed ({status}); nothing sent"
        ));
    }
    std::fs::read_to_string(file.path()).map_err(|e| format!("cannot read the draft: {e}"))
}

/// `editor FILE`, through the shell so that `EDITOR="code --wait"` works.
#[cfg(unix)]
fn editor_command(editor: &str, file: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file);
    cmd
}

#[cfg(not(unix))]
fn editor_command(editor: &str, file: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(editor);
    cmd.arg(file);
    cmd
}

/// A draft in the temporary directory, readable by its owner only, and
/// removed when dropped: prompts are private.
struct DraftFile(PathBuf);

impl DraftFile {
    fn create(draft: &str) -> std::io::Result<Self> {
        let name = format!(
            "yat-prompt-{}-{}.md",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let path = std::env::temp_dir().join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path)?;
        let this = DraftFile(path);
        if !draft.is_empty() {
            writeln!(file, "{draft}")?;
        }
        Ok(this)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DraftFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_ask_for_a_longer_prompt() {
        let cases = [
            ("!multi", Some(Request::Multi)),
            ("!edit", Some(Request::Edit(""))),
            ("/edit", Some(Request::Edit(""))),
            ("!edit  a draft ", Some(Request::Edit("a draft"))),
            ("!multi more", None),
            ("!multiply", None),
            ("hello !edit", None),
            ("/model", None),
        ];
        for (line, expected) in cases {
            assert_eq!(request(line), expected, "{line}");
        }
    }
}

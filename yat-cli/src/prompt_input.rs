//! Where a one-shot prompt comes from: the arguments, piped stdin, or both.
//!
//! Both reach the model, as in simonw's `llm`: piped input first (the text
//! to work on), then the argument (what to do with it), a blank line
//! between. Dropping either silently would lose what the user gave.

use std::io::Read;

use crate::failure::{CmdResult, Failure};

/// The prompt argument that stands for stdin.
pub const STDIN_ARG: &str = "-";

/// The prompt of `yat chat WORDS...`: `None` when there is none and stdin
/// is a terminal (an interactive session). stdin is read when it is not a
/// terminal, or when the prompt is `-` alone.
pub fn read_prompt(words: &[String], stdin_tty: bool) -> CmdResult<Option<String>> {
    if words.len() == 1 && words[0] == STDIN_ARG {
        return read_stdin().map(Some);
    }
    let argument = (!words.is_empty()).then(|| words.join(" "));
    if stdin_tty {
        return Ok(argument);
    }
    let piped = read_stdin()?;
    Ok(Some(match argument {
        Some(argument) => combine(&piped, &argument),
        None => piped,
    }))
}

/// Piped input, then the argument, a blank line between; the argument
/// alone when nothing (or only blank space) was piped.
pub fn combine(piped: &str, argument: &str) -> String {
    let piped = piped.trim_end();
    if piped.trim().is_empty() {
        return argument.to_owned();
    }
    format!("{piped}\n\n{argument}")
}

fn read_stdin() -> CmdResult<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Failure::Runtime(format!("cannot read the prompt from stdin: {e}")))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piped_text_comes_first_then_the_argument_after_a_blank_line() {
        let cases = [
            ("notes\n", "Summarise this:", "notes\n\nSummarise this:"),
            ("a\nb\n\n\n", "q", "a\nb\n\nq"),
            ("  indented\n", "q", "  indented\n\nq"),
            ("", "q", "q"),
            (" \n\t\n", "q", "q"),
        ];
        for (piped, argument, expected) in cases {
            assert_eq!(combine(piped, argument), expected, "{piped:?}");
        }
    }
}

//! `yat "hello"` and `echo hi | yat` are a chat, as in simonw's `llm`: with
//! no command named, the arguments are `yat chat`'s. A first word that names
//! a command stays that command (`yat models` lists models; a prompt that
//! is a command's name needs `yat chat`), and `yat` alone on a terminal
//! still prints the help.

use std::ffi::OsString;

/// The global options that may come before the command; `--config` takes
/// a value.
fn global_option_len(args: &[OsString]) -> Option<usize> {
    let arg = args.first()?.to_str()?;
    if arg == "--config" {
        Some(2)
    } else if arg.starts_with("--config=")
        || (arg.len() > 1 && arg.starts_with('-') && arg[1..].chars().all(|c| c == 'v'))
    {
        Some(1)
    } else {
        None
    }
}

/// `args` (the program name first) with `chat` put where the command would
/// be when none is named and there is something to chat about: a word or
/// an option that is not a command's, or a stdin that is not a terminal.
/// `commands` are the command names (and their aliases) clap knows.
pub fn with_implied_chat(
    mut args: Vec<OsString>,
    commands: &[&str],
    stdin_tty: bool,
) -> Vec<OsString> {
    let mut at = 1;
    while let Some(len) = args.get(at..).and_then(global_option_len) {
        at += len;
    }
    let Some(first) = args.get(at) else {
        // Global options at most: a chat about piped input, else clap's
        // own answer (the help, for `yat` alone).
        if !stdin_tty {
            args.push("chat".into());
        }
        return args;
    };
    let names_a_command = first.to_str().is_some_and(|word| {
        commands.contains(&word) || matches!(word, "-h" | "--help" | "-V" | "--version")
    });
    if !names_a_command {
        args.insert(at, "chat".into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMANDS: &[&str] = &["chat", "models", "help"];

    fn implied(args: &[&str], stdin_tty: bool) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        with_implied_chat(args, COMMANDS, stdin_tty)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn a_prompt_without_a_command_is_a_chat() {
        let cases: &[(&[&str], bool, &[&str])] = &[
            (&["yat", "hello"], true, &["yat", "chat", "hello"]),
            (
                &["yat", "-m", "x/y", "hi"],
                true,
                &["yat", "chat", "-m", "x/y", "hi"],
            ),
            (&["yat", "-vv", "hi"], true, &["yat", "-vv", "chat", "hi"]),
            (
                &["yat", "--config", "c.json", "hi"],
                true,
                &["yat", "--config", "c.json", "chat", "hi"],
            ),
            (
                &["yat", "--config=c.json", "hi"],
                true,
                &["yat", "--config=c.json", "chat", "hi"],
            ),
            (
                &["yat", "--", "models"],
                true,
                &["yat", "chat", "--", "models"],
            ),
            // Piped input with no command: a chat about it.
            (&["yat"], false, &["yat", "chat"]),
            (&["yat", "-v"], false, &["yat", "-v", "chat"]),
            // Left to clap: a command, help, version, or nothing on a terminal.
            (&["yat"], true, &["yat"]),
            (&["yat", "-v"], true, &["yat", "-v"]),
            (&["yat", "models"], false, &["yat", "models"]),
            (&["yat", "-v", "models"], true, &["yat", "-v", "models"]),
            (&["yat", "help"], true, &["yat", "help"]),
            (&["yat", "--help"], false, &["yat", "--help"]),
            (&["yat", "-V"], true, &["yat", "-V"]),
            (&["yat", "chat", "hi"], true, &["yat", "chat", "hi"]),
        ];
        for (args, stdin_tty, expected) in cases {
            assert_eq!(
                implied(args, *stdin_tty),
                *expected,
                "{args:?} tty={stdin_tty}"
            );
        }
    }
}

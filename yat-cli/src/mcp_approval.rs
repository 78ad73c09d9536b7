//! Who approves a tool call the server's "allow" list does not cover: the
//! person at the terminal (`Run it? [y/N/a]`), everyone (`--yes`), or no
//! one (no terminal: the call is refused, and stderr says once how to allow
//! it). The policy is the library's ([`yat::mcp::Approver`]); here is only
//! the terminal.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use yat::mcp::{AllowAll, Approval, ApprovalRequest, Approver, DenyUnlisted};

use crate::term::Term;

/// The question asked before a call.
pub const QUESTION: &str = "Run it? [y/N/a(lways this tool this session)]";

/// The approver for this run: `--yes` allows all; a terminal (stdin and
/// stderr, and not `--json`) asks; otherwise calls are refused.
pub fn for_run(
    term: &Term,
    yes: bool,
    json: bool,
    cancel: Arc<tokio::sync::Notify>,
) -> Arc<dyn Approver> {
    if yes {
        Arc::new(AllowAll)
    } else if term.stdin_tty && term.stderr_tty && !json {
        Arc::new(Ask {
            always: Mutex::default(),
            one_at_a_time: tokio::sync::Mutex::new(()),
            cancel,
        })
    } else {
        Arc::new(Refuse {
            told: Mutex::new(false),
            term: *term,
        })
    }
}

/// Asks the person at the terminal, one call at a time.
struct Ask {
    /// `(server, tool)` answered "a": allowed for the rest of the process.
    always: Mutex<HashSet<(String, String)>>,
    /// Calls that run side by side queue for the question.
    one_at_a_time: tokio::sync::Mutex<()>,
    /// Ctrl-C at the question stops the turn, not only the call.
    cancel: Arc<tokio::sync::Notify>,
}

impl Ask {
    fn always_allowed(&self, req: &ApprovalRequest) -> bool {
        self.always
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&(req.server.clone(), req.tool.clone()))
    }
}

/// An answer to [`QUESTION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `y`.
    Yes,
    /// `n`, or nothing (the default).
    No,
    /// `a`: this tool, for the rest of the session.
    Always,
    /// Ctrl-C or Ctrl-D: stop the turn.
    Stop,
}

/// What a typed line answers; `None` for something else (asked again).
pub fn parse_answer(line: &str) -> Option<Answer> {
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(Answer::Yes),
        "" | "n" | "no" => Some(Answer::No),
        "a" | "always" => Some(Answer::Always),
        _ => None,
    }
}

impl Approver for Ask {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async move {
            if self.always_allowed(req) {
                return Approval::Allow;
            }
            let _turn = self.one_at_a_time.lock().await;
            // An "a" given while this call waited covers it too.
            if self.always_allowed(req) {
                return Approval::Allow;
            }
            let prompt = format!("{QUESTION} ({}.{}) ", req.server, req.tool);
            // The line editor blocks a thread: not the runtime's. It reads
            // the terminal itself (raw mode), so Ctrl-C there is a key it
            // reports, not a signal that would leave it reading.
            let answer = tokio::task::spawn_blocking(move || ask(&prompt))
                .await
                .unwrap_or(Answer::Stop);
            match answer {
                Answer::Yes => Approval::Allow,
                Answer::Always => {
                    self.always
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert((req.server.clone(), req.tool.clone()));
                    Approval::Allow
                }
                Answer::No => Approval::denied_by_user(),
                Answer::Stop => {
                    self.cancel.notify_waiters();
                    Approval::denied_by_user()
                }
            }
        })
    }
}

/// Asks until the answer is one of [`QUESTION`]'s.
fn ask(prompt: &str) -> Answer {
    use rustyline::config::{Behavior, Config};
    use rustyline::error::ReadlineError;
    // On the terminal even when stdout is a pipe: the question is for the
    // person, not for the program reading the answer.
    let config = Config::builder()
        .behavior(Behavior::PreferTerm)
        .auto_add_history(false)
        .build();
    let Ok(mut editor) = rustyline::DefaultEditor::with_config(config) else {
        return Answer::Stop;
    };
    loop {
        match editor.readline(prompt) {
            Ok(line) => match parse_answer(&line) {
                Some(answer) => return answer,
                None => crate::term::eprint_line("answer y (yes), n (no) or a (always this tool)"),
            },
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => return Answer::Stop,
            Err(_) => return Answer::Stop,
        }
    }
}

/// Refuses every call (the library's [`DenyUnlisted`]) and says once on
/// stderr how to allow them.
struct Refuse {
    told: Mutex<bool>,
    term: Term,
}

impl Approver for Refuse {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async move {
            let answer = DenyUnlisted.approve(req).await;
            let mut told = self.told.lock().unwrap_or_else(PoisonError::into_inner);
            if !*told {
                *told = true;
                self.term.warn(&format!(
                    "refused the call of {}.{}: no terminal to ask on; pass --yes to run every \
                     call, or add \"{}\" to the \"allow\" list of MCP server \"{}\" in \
                     provider_config.json",
                    req.server, req.tool, req.tool, req.server
                ));
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_default_to_no_and_anything_else_is_asked_again() {
        let cases = [
            ("y", Some(Answer::Yes)),
            (" YES ", Some(Answer::Yes)),
            ("", Some(Answer::No)),
            ("n", Some(Answer::No)),
            ("a", Some(Answer::Always)),
            ("always", Some(Answer::Always)),
            ("maybe", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parse_answer(line), expected, "{line:?}");
        }
    }
}

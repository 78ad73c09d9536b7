//! A conversation stored before its first reply, so that `--json`'s start
//! event can name it: a script then continues it with `--cid` without
//! asking the log. A reply that does not complete takes it back out, so
//! the log never shows a conversation without an answer.
//!
//! Only `yat chat --json` starts one this way (the one caller that needs
//! the id up front); every other chat stores its conversation with its
//! first complete reply, in `history`.

use crate::history::Recorder;
use crate::term::Term;

/// Starts the conversation `recorder` will store the next exchange in,
/// when it records and has none yet (a continued conversation already has
/// its id); its id, when one was started. `title` is what a conversation's
/// first exchange would title it; the system prompt goes with the exchange,
/// as for any conversation. A store that fails is a warning: the reply is
/// still wanted.
pub fn start(recorder: &mut Recorder, title: &str, term: Term) -> Option<i64> {
    if !recorder.is_recording() || recorder.conversation().is_some() {
        return None;
    }
    match create(title) {
        Ok(id) => {
            recorder.continue_conversation(id);
            Some(id)
        }
        Err(message) => {
            term.warn(&format!("conversation not stored: {message}"));
            None
        }
    }
}

/// The reply for conversation `id`, started by [`start`], did not
/// complete: the conversation goes, and `recorder` starts a new one next
/// time.
pub fn take_back(recorder: &mut Recorder, id: i64, term: Term) {
    recorder.restart();
    if let Err(message) = delete(id) {
        term.warn(&format!(
            "conversation {id} left without a reply: {message}"
        ));
    }
}

#[cfg(feature = "history")]
fn create(title: &str) -> Result<i64, String> {
    let mut store = yat::store::Store::open_default().map_err(|e| e.to_string())?;
    store
        .create_conversation(title, None)
        .map_err(|e| e.to_string())
}

#[cfg(feature = "history")]
fn delete(id: i64) -> Result<(), String> {
    let mut store = yat::store::Store::open_default().map_err(|e| e.to_string())?;
    store.delete(id).map(drop).map_err(|e| e.to_string())
}

// Without history nothing records, so nothing is started.
#[cfg(not(feature = "history"))]
fn create(_: &str) -> Result<i64, String> {
    Err("this yat was built without conversation history".into())
}

#[cfg(not(feature = "history"))]
fn delete(_: i64) -> Result<(), String> {
    Ok(())
}

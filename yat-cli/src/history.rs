//! The chat commands' view of conversation storage: record exchanges, load
//! one to continue. Built without the `history` feature, recording does
//! nothing and loading says why it cannot.

use std::time::Duration;

use yat::{ChatRequest, ChatResponse, Message, ModelRef};

use crate::failure::{CmdResult, Failure};
use crate::fragments::Fragment;
use crate::term::Term;

/// A stored conversation, loaded to continue it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Its id.
    pub id: i64,
    /// Its messages, oldest first.
    pub messages: Vec<Message>,
    /// The model of its last reply.
    pub model: Option<ModelRef>,
}

/// One finished exchange.
// Without the `history` feature nothing reads it.
#[cfg_attr(not(feature = "history"), allow(dead_code))]
pub struct Record<'a> {
    /// The model that answered.
    pub target: &'a ModelRef,
    /// The system prompt in force: stored when the conversation starts, and
    /// again whenever it changed since (`/system`, `-s` with `-c`).
    pub system: Option<&'a str>,
    /// What was sent since the previous reply: tool results answering its
    /// calls, if any, then the prompt with its attachments.
    pub sent: &'a [Message],
    /// The reply, every part of it, with its usage and finish.
    pub reply: &'a ChatResponse,
    /// The request it answered (its options are stored with the reply).
    pub request: &'a ChatRequest,
    /// From sending the request to the reply's end.
    pub duration: Duration,
}

/// Records exchanges into the history database, when history is on.
pub struct Recorder {
    #[cfg(feature = "history")]
    store: Option<yat::store::Store>,
    conversation: Option<i64>,
    /// The fragments the first prompt opens with, stored by reference.
    fragments: Vec<Fragment>,
    term: Term,
}

impl Recorder {
    /// A recorder; `enabled` false (flag or setting) records nothing. A
    /// database that cannot be opened is a warning, not a failed chat.
    pub fn new(enabled: bool, term: Term) -> Self {
        #[cfg(feature = "history")]
        {
            let store = if enabled {
                match yat::store::Store::open_default() {
                    Ok(s) => Some(s),
                    Err(e) => {
                        term.warn(&format!("conversation not stored: {e}"));
                        None
                    }
                }
            } else {
                None
            };
            Recorder {
                store,
                conversation: None,
                fragments: Vec::new(),
                term,
            }
        }
        #[cfg(not(feature = "history"))]
        {
            let _ = enabled;
            Recorder {
                conversation: None,
                fragments: Vec::new(),
                term,
            }
        }
    }

    /// Stores `fragments` once each and has the prompt that opens with them
    /// refer to them, instead of holding their text.
    pub fn store_by_reference(&mut self, fragments: Vec<Fragment>) {
        self.fragments = fragments;
    }

    /// Appends to conversation `id` instead of starting a new one.
    pub fn continue_conversation(&mut self, id: i64) {
        self.conversation = Some(id);
    }

    /// Starts a new conversation at the next exchange.
    pub fn restart(&mut self) {
        self.conversation = None;
    }

    /// The conversation being recorded, once one exchange is stored.
    pub fn conversation(&self) -> Option<i64> {
        self.conversation
    }

    /// Whether exchanges are being stored.
    pub fn is_recording(&self) -> bool {
        #[cfg(feature = "history")]
        {
            self.store.is_some()
        }
        #[cfg(not(feature = "history"))]
        {
            false
        }
    }

    /// Stores an exchange (a warning on failure: the reply was already shown).
    pub fn record(&mut self, r: &Record<'_>) {
        #[cfg(feature = "history")]
        {
            let Some(store) = self.store.as_mut() else {
                return;
            };
            let result = (|| {
                let id = match self.conversation {
                    Some(id) => id,
                    None => {
                        let title = r
                            .sent
                            .iter()
                            .rev()
                            .find(|m| m.role == yat::Role::User)
                            .map(|m| title_of(m, &self.fragments))
                            .unwrap_or_default();
                        store.create_conversation(&title, None)?
                    }
                };
                let fragments: Vec<yat::store::Fragment<'_>> = self
                    .fragments
                    .iter()
                    .map(|f| yat::store::Fragment {
                        source: &f.source,
                        text: &f.text,
                    })
                    .collect();
                let mut exchange = yat::store::Exchange::new(r.target, r.sent, &r.reply.parts)
                    .fragments(&fragments)
                    .system(r.system.unwrap_or(""))
                    .request(r.request)
                    .duration(r.duration);
                if let Some(u) = r.reply.usage {
                    exchange = exchange.usage(u);
                }
                if let Some(f) = &r.reply.finish {
                    exchange = exchange.finish(f.reason.as_str());
                }
                store.record_exchange(id, &exchange)?;
                Ok::<_, yat::store::StoreError>(id)
            })();
            match result {
                Ok(id) => self.conversation = Some(id),
                Err(e) => self.term.warn(&format!("conversation not stored: {e}")),
            }
        }
        #[cfg(not(feature = "history"))]
        {
            let _ = (r, &self.term);
        }
    }

    /// Stores a whole session that was not recorded as it went (`/save`).
    pub fn import(&mut self, messages: &[Message], target: &ModelRef) -> CmdResult<i64> {
        #[cfg(feature = "history")]
        {
            let mut store = yat::store::Store::open_default()?;
            let title = messages
                .iter()
                .find(|m| m.role == yat::Role::User)
                .map(|m| m.text())
                .unwrap_or_default();
            let id = store.import(&title, messages, Some(target))?;
            Ok(id)
        }
        #[cfg(not(feature = "history"))]
        {
            let _ = (messages, target);
            Err(not_built())
        }
    }
}

/// What a conversation is titled after: the prompt's own text, not the
/// fragments it opens with (unless it is nothing but them).
#[cfg(feature = "history")]
fn title_of(prompt: &Message, fragments: &[Fragment]) -> String {
    let own: String = prompt
        .content
        .iter()
        .skip(fragments.len())
        .filter_map(yat::Part::as_text)
        .collect();
    if own.trim().is_empty() {
        prompt.text().into_owned()
    } else {
        own
    }
}

#[cfg(not(feature = "history"))]
fn not_built() -> Failure {
    Failure::Usage(
        "this yat was built without conversation history (cargo feature `history`)".into(),
    )
}

/// Loads conversation `id`, or the last one.
pub fn load(id: Option<i64>) -> CmdResult<Loaded> {
    #[cfg(feature = "history")]
    {
        // Looking must not create the database.
        let found = if yat::store::Store::default_path().exists() {
            let store = yat::store::Store::open_default()?;
            match id {
                Some(id) => store.conversation(id)?,
                None => store.last()?,
            }
        } else {
            None
        };
        let c = found.ok_or_else(|| {
            Failure::Runtime(match id {
                Some(id) => format!("no conversation {id} (see `yat log`)"),
                None => "no conversation to continue yet: start one with `yat chat PROMPT`".into(),
            })
        })?;
        Ok(Loaded {
            id: c.summary.id,
            messages: c.to_messages(),
            model: c.model(),
        })
    }
    #[cfg(not(feature = "history"))]
    {
        let _ = id;
        Err(not_built())
    }
}

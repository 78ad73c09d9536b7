//! # yat-store
//!
//! Conversation history for yat: every exchange — the prompt, the reply, the
//! provider and model that answered, token usage and the time — kept in an
//! embedded SQLite database (compiled in, no system library needed).
//!
//! Every part of a message is kept: attachments with their bytes, tool calls
//! and results, and reasoning with the provider's signatures, so a stored
//! conversation can be sent again as it was and continue where it stopped.
//!
//! The database lives at `$YAT_DATA_DIR/history.sqlite` when `YAT_DATA_DIR`
//! is set, else in the platform data dir (`$XDG_DATA_HOME/yat/` on Linux).
//! It is private to the user (mode 0600, directory 0700).
//!
//! Library users get it through the `yat` facade's `history` feature as
//! `yat::store`; programs that do not keep history do not compile SQLite.
//!
//! ```
//! use yat_core::{Message, ModelRef, Part, Reasoning, Usage};
//! use yat_store::{Exchange, Store};
//!
//! let mut store = Store::open_in_memory()?;
//! let id = store.create_conversation("Greetings", Some("Be brief."))?;
//! let target = ModelRef::new("mock", "mock-echo");
//! let reply = [Part::Reasoning(Reasoning::new("A greeting.").with_signature("sig")), Part::text("Hello")];
//! store.record_exchange(id, &Exchange::new(&target, &[Message::user("Hello")], &reply)
//!     .usage(Usage::new(3, 1))
//!     .finish("stop"))?;
//!
//! let last = store.last()?.expect("one conversation");
//! assert_eq!(last.summary.id, id);
//! assert_eq!(last.messages.len(), 3); // system, user, assistant
//! assert_eq!(last.messages[2].content, "Hello"); // the text
//! assert_eq!(last.to_messages()[2].content.len(), 2); // every part, the signature too
//! assert_eq!(last.model(), Some(target));
//! # Ok::<(), yat_store::StoreError>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod conversation;
mod error;
mod exchange;
mod fragment;
mod message_row;
mod options;
mod query;
mod read;
mod schema;
mod search;
mod store;
mod write;

pub use conversation::{Conversation, ConversationSummary, StoredMessage};
pub use error::StoreError;
pub use exchange::Exchange;
pub use fragment::{fragment_hash, Fragment, FragmentRef};
pub use query::{parse_time, Edge, LogQuery};
pub use store::Store;
pub use yat_core::paths::data_dir;

/// The file name of the database inside the data dir.
pub const DATABASE_FILE_NAME: &str = "history.sqlite";

/// A conversation's id: a positive integer, stable for the life of the database.
pub type ConversationId = i64;

//! What a stored conversation reads back as: its listing, its messages.

use serde::Serialize;
use yat_core::{Content, Message, ModelRef, Part, Role, Usage};

use crate::{ConversationId, FragmentRef};

/// A conversation as listed by [`Store::list`](crate::Store::list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConversationSummary {
    /// Its id.
    pub id: ConversationId,
    /// A short title (the start of the first prompt).
    pub title: String,
    /// The provider that answered last, if any answered.
    pub provider: Option<String>,
    /// The model that answered last.
    pub model: Option<String>,
    /// When it started (UTC, RFC 3339).
    pub created_at: String,
    /// When its last message was stored (UTC, RFC 3339).
    pub updated_at: String,
    /// How many messages it holds (system prompt included).
    pub message_count: u64,
    /// Tokens read, summed over the replies that reported usage; `None`
    /// (JSON `null`) when none did.
    pub input_tokens: Option<u64>,
    /// Tokens generated, summed over the replies that reported usage;
    /// `None` (JSON `null`) when none did.
    pub output_tokens: Option<u64>,
    /// For a full-text search: the best matching text, the words found
    /// in `[brackets]`. Absent from the JSON form otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// One stored message.
///
/// Its JSON form has `role`, `content`, `parts` (only when the message is
/// more than its text), `fragments` (only when it uses some: their
/// references, whose texts are then in neither `content` nor `parts`) and
/// `created_at`; a reply (role `assistant`) also
/// has `provider`, `model`, `usage`, `finish_reason`, `duration_ms` and
/// `options`, each `null` when unknown, so a script finds the same fields
/// on every reply.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its text (the text parts joined), without its fragments'.
    pub content: String,
    /// Every part, as it was sent: its fragments' texts first (one text
    /// part each), then text, attachments, tool calls and results, reasoning.
    pub parts: Content,
    /// The fragments it used, in the order of their parts.
    pub fragments: Vec<FragmentRef>,
    /// For replies: the provider that wrote it.
    pub provider: Option<String>,
    /// For replies: the model that wrote it.
    pub model: Option<String>,
    /// For replies: the token usage the provider reported; `None` when it
    /// reported none (unknown, not 0).
    pub usage: Option<Usage>,
    /// For replies: why generation stopped (`stop`, `length`, ...).
    pub finish_reason: Option<String>,
    /// For replies: how long it took, in milliseconds, from sending the
    /// request to the reply's end. `None` for replies stored before yat
    /// recorded it.
    pub duration_ms: Option<u64>,
    /// For replies: the options it was asked with (`temperature`,
    /// `max_tokens`, `tools` by name, ...; `{}` when none was set). `None`
    /// for replies stored before yat recorded them.
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
    /// When it was stored (UTC, RFC 3339).
    pub created_at: String,
}

impl Serialize for StoredMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Reply<'a> {
            provider: &'a Option<String>,
            model: &'a Option<String>,
            usage: &'a Option<Usage>,
            finish_reason: &'a Option<String>,
            duration_ms: Option<u64>,
            options: &'a Option<serde_json::Map<String, serde_json::Value>>,
        }
        #[derive(Serialize)]
        struct Json<'a> {
            role: Role,
            content: &'a str,
            #[serde(skip_serializing_if = "is_one_text_part")]
            parts: &'a [Part],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            fragments: &'a [FragmentRef],
            #[serde(flatten)]
            reply: Option<Reply<'a>>,
            created_at: &'a str,
        }
        let reply = (self.role == Role::Assistant).then_some(Reply {
            provider: &self.provider,
            model: &self.model,
            usage: &self.usage,
            finish_reason: &self.finish_reason,
            duration_ms: self.duration_ms,
            options: &self.options,
        });
        Json {
            role: self.role,
            content: &self.content,
            parts: &self.parts[self.fragments.len().min(self.parts.len())..],
            fragments: &self.fragments,
            reply,
            created_at: &self.created_at,
        }
        .serialize(serializer)
    }
}

/// A message that is its text (or, with fragments, nothing more than them).
fn is_one_text_part(c: &&[Part]) -> bool {
    matches!(c, [Part::Text(_)] | [])
}

impl StoredMessage {
    /// Puts the texts of the fragments this message used in front of its
    /// parts, as they were sent.
    pub(crate) fn with_fragments(&mut self, used: Vec<(FragmentRef, String)>) {
        let (refs, texts): (Vec<_>, Vec<_>) = used.into_iter().unzip();
        let parts: Vec<Part> = texts
            .into_iter()
            .map(Part::text)
            .chain(self.parts.iter().cloned())
            .collect();
        self.parts = Content::from(parts);
        self.fragments = refs;
    }
}

/// A whole conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Conversation {
    /// Its listing data.
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Every message, oldest first.
    pub messages: Vec<StoredMessage>,
}

impl Conversation {
    /// The messages in the form a [`yat_core::ChatRequest`] takes, to
    /// continue it: every part as it was stored, signatures included. The
    /// system prompt is the conversation's current one (see
    /// [`Conversation::system`]), first; earlier ones were replaced.
    pub fn to_messages(&self) -> Vec<Message> {
        let system = self.system().map(Message::system);
        system
            .into_iter()
            .chain(
                self.messages
                    .iter()
                    .filter(|m| m.role != Role::System)
                    .map(|m| Message::new(m.role, m.parts.clone())),
            )
            .collect()
    }

    /// The system prompt in force at the end of the conversation: its last
    /// `system` message, unless that one recorded the prompt's removal
    /// (an empty message).
    pub fn system(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .filter(|s| !s.trim().is_empty())
    }

    /// The model that wrote the last reply.
    pub fn model(&self) -> Option<ModelRef> {
        self.messages
            .iter()
            .rev()
            .find_map(|m| Some(ModelRef::new(m.provider.clone()?, m.model.clone()?)))
    }
}

//! The process-plugin protocol, version 1: the messages, their JSON form,
//! the line codec and the error objects.
//!
//! A plugin is a program that reads one JSON object per line on stdin and
//! writes one per line on stdout (stderr is its log). The host sends
//! [`HostMessage`]s, the plugin answers with [`PluginMessage`]s. The chat
//! payloads are yat-core's own types in their serde form ([`ChatRequest`],
//! [`ChatEvent`], [`ModelInfo`]); `docs/PROCESS-PLUGINS.md` spells every
//! shape out.
//!
//! ```
//! use yat_core::{ChatEvent, ChatRequest, Message};
//! use yat_process::protocol::{HostMessage, PluginMessage};
//!
//! // The host asks for a chat ...
//! let mut line = Vec::new();
//! HostMessage::Chat { id: "3".into(), request: Box::new(ChatRequest::new("mock-echo", vec![Message::user("hi")])) }
//!     .encode(&mut line)
//!     .unwrap();
//! assert_eq!(
//!     std::str::from_utf8(&line).unwrap(),
//!     "{\"op\":\"chat\",\"id\":\"3\",\"request\":{\"model\":\"mock-echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n"
//! );
//! // ... the plugin reads it back ...
//! assert!(matches!(HostMessage::decode(&line).unwrap(), HostMessage::Chat { .. }));
//! // ... and streams events for that id.
//! let ev = PluginMessage::decode(br#"{"op":"event","id":"3","event":{"type":"delta","text":"hi"}}"#).unwrap();
//! assert_eq!(ev, PluginMessage::Event { id: "3".into(), event: ChatEvent::Delta { text: "hi".into() } });
//! ```

mod codec;
mod decl;
mod error;
mod frame;

use std::collections::BTreeMap;

use serde::Serialize;
use yat_core::{ChatEvent, ChatRequest, ModelInfo};

pub use codec::{encode_line, CodecError, LineReader};
pub use decl::{CapabilitiesDecl, SettingDecl};
pub use error::{ErrorKind, ErrorObject};
pub use frame::DecodeError;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// Every protocol version this crate speaks, oldest first: what a host
/// offers in its `hello`.
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// The longest line either side may send, in bytes, newline excluded
/// (16 MiB). A longer line is a protocol error.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// The highest version in `offered` that this crate speaks, if any: how a
/// plugin answers a host's `hello`.
///
/// ```
/// use yat_process::protocol::negotiate;
/// assert_eq!(negotiate(&[1]), Some(1));
/// assert_eq!(negotiate(&[1, 7]), Some(1));
/// assert_eq!(negotiate(&[2, 3]), None);
/// ```
pub fn negotiate(offered: &[u32]) -> Option<u32> {
    offered
        .iter()
        .copied()
        .filter(|v| SUPPORTED_VERSIONS.contains(v))
        .max()
}

/// A message from the host to the plugin.
///
/// Serialized with its `op` first; read with [`HostMessage::decode`], which
/// ignores fields it does not know and tells an unknown `op` apart from a
/// broken line ([`DecodeError`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HostMessage {
    /// The first message: the versions the host speaks and who it is.
    Hello {
        /// Protocol versions the host speaks.
        protocol: Vec<u32>,
        /// `yat-process/<version>`, for the plugin's logs.
        host: String,
    },
    /// The provider's settings (secrets included: the only way they travel).
    /// May be sent again; the new settings replace the old.
    Initialize {
        /// Request id.
        id: String,
        /// Values by setting key.
        settings: BTreeMap<String, String>,
    },
    /// Asks for the model list.
    ListModels {
        /// Request id.
        id: String,
    },
    /// Starts a chat; its events and its terminator carry the same id.
    Chat {
        /// Request id, unique for the child's lifetime.
        id: String,
        /// The request, as yat-core serializes it.
        request: Box<ChatRequest>,
    },
    /// Stops a chat.
    Cancel {
        /// The chat's id.
        id: String,
    },
    /// Asks the plugin to exit now.
    Shutdown,
}

/// The `hello` a plugin answers with: which version it picked and what
/// provider it serves.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PluginHello {
    /// The version picked from the host's list.
    pub protocol: u32,
    /// Provider id (lowercase, stable).
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// The plugin's own version.
    pub version: String,
    /// The settings it reads.
    pub settings: Vec<SettingDecl>,
    /// What it supports, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<CapabilitiesDecl>,
}

impl PluginHello {
    /// A hello for protocol [`PROTOCOL_VERSION`] with no settings and no
    /// capabilities; fill in the rest with the fields.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        PluginHello {
            protocol: PROTOCOL_VERSION,
            id: id.into(),
            name: name.into(),
            description: String::new(),
            version: String::new(),
            settings: Vec::new(),
            capabilities: None,
        }
    }
}

/// A message from the plugin to the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PluginMessage {
    /// The answer to the host's `hello`.
    Hello(PluginHello),
    /// The success of `initialize` (no `models`) or of `list_models`.
    Result {
        /// The request's id.
        id: String,
        /// The models, for `list_models`.
        #[serde(skip_serializing_if = "Option::is_none")]
        models: Option<Vec<ModelInfo>>,
    },
    /// One event of a chat.
    Event {
        /// The chat's id.
        id: String,
        /// The event, as yat-core serializes it.
        event: ChatEvent,
    },
    /// The normal end of a chat.
    End {
        /// The chat's id.
        id: String,
    },
    /// A request failed (or, without an id, the plugin cannot go on: the
    /// answer to a `hello` it cannot speak).
    Error {
        /// The request's id, if the error is about one.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// What went wrong.
        error: ErrorObject,
    },
}

impl PluginMessage {
    /// The request id the message is about (`None` for `hello` and for an
    /// error about no request).
    pub fn id(&self) -> Option<&str> {
        match self {
            PluginMessage::Hello(_) => None,
            PluginMessage::Result { id, .. }
            | PluginMessage::Event { id, .. }
            | PluginMessage::End { id } => Some(id),
            PluginMessage::Error { id, .. } => id.as_deref(),
        }
    }
    /// Whether this ends the request it is about (`result`, `end`, `error`).
    pub fn is_terminator(&self) -> bool {
        !matches!(self, PluginMessage::Hello(_) | PluginMessage::Event { .. })
    }
    /// Appends the message as one line (JSON and `\n`) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        encode_line(self, out)
    }
    /// Reads one line (with or without its `\n`).
    pub fn decode(line: &[u8]) -> Result<PluginMessage, DecodeError> {
        frame::decode_plugin(line)
    }
}

impl HostMessage {
    /// The request id the message carries, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            HostMessage::Hello { .. } | HostMessage::Shutdown => None,
            HostMessage::Initialize { id, .. }
            | HostMessage::ListModels { id }
            | HostMessage::Chat { id, .. }
            | HostMessage::Cancel { id } => Some(id),
        }
    }
    /// The `hello` of this crate's host: every supported version.
    pub fn hello() -> HostMessage {
        HostMessage::Hello {
            protocol: SUPPORTED_VERSIONS.to_vec(),
            host: concat!("yat-process/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
    /// Appends the message as one line (JSON and `\n`) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        encode_line(self, out)
    }
    /// Appends a `chat` line for a borrowed request, without copying it
    /// into a [`HostMessage`] first.
    pub fn encode_chat(
        id: &str,
        request: &ChatRequest,
        out: &mut Vec<u8>,
    ) -> Result<(), CodecError> {
        #[derive(Serialize)]
        struct Chat<'a> {
            op: &'static str,
            id: &'a str,
            request: &'a ChatRequest,
        }
        encode_line(
            &Chat {
                op: "chat",
                id,
                request,
            },
            out,
        )
    }
    /// Reads one line (with or without its `\n`).
    pub fn decode(line: &[u8]) -> Result<HostMessage, DecodeError> {
        frame::decode_host(line)
    }
}

#[cfg(test)]
mod tests;

//! Reading a line into a message.
//!
//! A line is read in one pass into a flat frame (every field any message
//! may have, each optional), then checked against its `op`. One pass,
//! because an `op`-tagged enum would first copy the whole object into a
//! buffer to find its tag; unknown fields fall out of the flat frame for
//! free, as the protocol requires.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use yat_core::{ChatEvent, ChatRequest, ModelInfo};

use super::{
    CapabilitiesDecl, ErrorObject, HostMessage, PluginHello, PluginMessage, SettingDecl,
    MAX_LINE_BYTES,
};

/// Why a line is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not a JSON object of the protocol (bad JSON, a field of the wrong
    /// type, a required field missing). `id` is the line's id when it had
    /// a readable one, so the request can still be answered.
    #[error("malformed message: {message}")]
    Malformed {
        /// What is wrong.
        message: String,
        /// The line's `id`, when readable.
        id: Option<String>,
    },
    /// A well-formed object whose `op` this version does not know.
    #[error("unknown op {op:?}")]
    UnknownOp {
        /// The op.
        op: String,
        /// The line's `id`, when it had one.
        id: Option<String>,
    },
    /// The line is longer than [`MAX_LINE_BYTES`].
    #[error("line of {len} bytes is over the limit of {MAX_LINE_BYTES} bytes")]
    TooLong {
        /// Its length.
        len: usize,
    },
}

impl DecodeError {
    /// The id of the request the broken line was about, when readable.
    pub fn id(&self) -> Option<&str> {
        match self {
            DecodeError::Malformed { id, .. } | DecodeError::UnknownOp { id, .. } => id.as_deref(),
            DecodeError::TooLong { .. } => None,
        }
    }
}

#[derive(Deserialize)]
struct HostFrame<'a> {
    #[serde(borrow)]
    op: Cow<'a, str>,
    id: Option<String>,
    protocol: Option<Vec<u32>>,
    host: Option<String>,
    settings: Option<BTreeMap<String, String>>,
    request: Option<Box<ChatRequest>>,
}

#[derive(Deserialize)]
struct PluginFrame<'a> {
    #[serde(borrow)]
    op: Cow<'a, str>,
    id: Option<String>,
    protocol: Option<u32>,
    name: Option<String>,
    description: Option<String>,
    version: Option<String>,
    settings: Option<Vec<SettingDecl>>,
    capabilities: Option<CapabilitiesDecl>,
    models: Option<Vec<ModelInfo>>,
    event: Option<ChatEvent>,
    error: Option<ErrorObject>,
}

/// Only the id: read again from a line that failed, to answer it.
#[derive(Deserialize)]
struct IdOnly {
    id: Option<String>,
}

fn strip_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn parse<'a, T: Deserialize<'a>>(line: &'a [u8]) -> Result<T, DecodeError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(DecodeError::TooLong { len: line.len() });
    }
    serde_json::from_slice(line).map_err(|e| DecodeError::Malformed {
        message: e.to_string(),
        id: serde_json::from_slice::<IdOnly>(line)
            .ok()
            .and_then(|f| f.id),
    })
}

fn missing(op: &str, field: &str, id: Option<String>) -> DecodeError {
    DecodeError::Malformed {
        message: format!("`{op}` without `{field}`"),
        id,
    }
}

pub(super) fn decode_host(line: &[u8]) -> Result<HostMessage, DecodeError> {
    let line = strip_newline(line);
    let f: HostFrame<'_> = parse(line)?;
    let op = f.op.as_ref();
    let need_id = |id: Option<String>| id.ok_or_else(|| missing(op, "id", None));
    Ok(match op {
        "hello" => HostMessage::Hello {
            protocol: f
                .protocol
                .ok_or_else(|| missing(op, "protocol", f.id.clone()))?,
            host: f.host.unwrap_or_default(),
        },
        "initialize" => {
            let id = need_id(f.id)?;
            HostMessage::Initialize {
                settings: f.settings.unwrap_or_default(),
                id,
            }
        }
        "list_models" => HostMessage::ListModels { id: need_id(f.id)? },
        "chat" => {
            let id = need_id(f.id)?;
            match f.request {
                Some(request) => HostMessage::Chat { id, request },
                None => return Err(missing(op, "request", Some(id))),
            }
        }
        "cancel" => HostMessage::Cancel { id: need_id(f.id)? },
        "shutdown" => HostMessage::Shutdown,
        other => {
            return Err(DecodeError::UnknownOp {
                op: other.to_owned(),
                id: f.id,
            })
        }
    })
}

pub(super) fn decode_plugin(line: &[u8]) -> Result<PluginMessage, DecodeError> {
    let line = strip_newline(line);
    let f: PluginFrame<'_> = parse(line)?;
    let op = f.op.as_ref();
    let need_id = |id: Option<String>| id.ok_or_else(|| missing(op, "id", None));
    Ok(match op {
        "event" => {
            let id = need_id(f.id)?;
            match f.event {
                Some(event) => PluginMessage::Event { id, event },
                None => return Err(missing(op, "event", Some(id))),
            }
        }
        "end" => PluginMessage::End { id: need_id(f.id)? },
        "result" => PluginMessage::Result {
            id: need_id(f.id)?,
            models: f.models,
        },
        "error" => match f.error {
            Some(error) => PluginMessage::Error { id: f.id, error },
            None => return Err(missing(op, "error", f.id)),
        },
        "hello" => PluginMessage::Hello(PluginHello {
            protocol: f.protocol.ok_or_else(|| missing(op, "protocol", None))?,
            id: f.id.ok_or_else(|| missing(op, "id", None))?,
            name: f.name.unwrap_or_default(),
            description: f.description.unwrap_or_default(),
            version: f.version.unwrap_or_default(),
            settings: f.settings.unwrap_or_default(),
            capabilities: f.capabilities,
        }),
        other => {
            return Err(DecodeError::UnknownOp {
                op: other.to_owned(),
                id: f.id,
            })
        }
    })
}

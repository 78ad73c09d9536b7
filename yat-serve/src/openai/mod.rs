//! OpenAI Chat Completions, server side: `POST /v1/chat/completions` read
//! into the contract's request, the contract's events written back as
//! `chat.completion.chunk`s or one `chat.completion`, errors in OpenAI's
//! error shape, and `GET /v1/models`.
//!
//! The client side of the same format is `yat-providers`' `openai`
//! module; this is its mirror image, checked against OpenAI's
//! `openapi.yaml` (github.com/openai/openai-openapi) and against how the
//! official Python SDK reads a stream (`_streaming.py`,
//! `lib/streaming/_deltas.py`).

// Nothing calls the dialect until the server mounts it.
#![allow(dead_code)]

mod error;
mod messages;
mod request;
mod wire;

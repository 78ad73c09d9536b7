//! `yat-serve`: an OpenAI- and Anthropic-compatible HTTP gateway in front
//! of every provider linked into the program.
//!
//! (Crate docs are written with the server; this is the skeleton.)

mod anthropic;
mod api_error;
mod dialect;
mod openai;

pub use api_error::{ApiError, ErrorKind};

//! Anthropic Messages, server side: `POST /v1/messages` read into the
//! contract, replies written back as the API writes them.
//!
//! [`request`] reads the body (its conversation in [`content`]).

// Until the server mounts this dialect, nothing outside the tests calls it.
#![cfg_attr(not(test), allow(dead_code))]

mod content;
mod request;

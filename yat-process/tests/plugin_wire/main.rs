//! The reference plugin serving the linked mock, run as a real child over
//! real pipes: every exchange of the protocol, checked as bytes on the
//! wire against what the same provider produces linked in.
//!
//! - `exchanges`: the exchanges whose bytes are known, as a table;
//! - `streams`: chats of every kind, concurrent, cancelled, and the
//!   plugin's start and end.

mod driver;
mod exchanges;
mod streams;

//! Anthropic Messages, server side.

//! OpenAI Chat Completions, server side.

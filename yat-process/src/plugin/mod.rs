//! The plugin side: serving an `LlmProvider` over stdin and stdout.

//! Streaming a reply to stdout as it arrives: as text, or as JSON events.
//!
//! Output goes through one `BufWriter` on the locked stdout and is flushed
//! only when the stream has nothing ready: a burst of chunks costs one
//! write, and a person still sees each token the moment the provider pauses.

use std::future::Future;
use std::io::{BufWriter, Write};
use std::pin::Pin;

use futures::{FutureExt, StreamExt};
use serde_json::json;
use yat::routing::stream_with_fallback;
use yat::{
    ChatEvent, ChatRequest, Finish, FinishReason, ModelRef, ProviderManager, Usage, YatError,
};

use crate::failure::{describe, CmdResult};
use crate::term::Term;

/// How a reply is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The text, as it arrives.
    Text,
    /// One JSON event per line.
    Json,
}

/// Options for one reply.
#[derive(Debug, Clone, Copy)]
pub struct ReplyOptions {
    /// Text or JSON.
    pub mode: Mode,
    /// Keep the whole text (to store it or continue the conversation).
    pub keep_text: bool,
    /// Print token usage on stderr at the end.
    pub show_usage: bool,
}

/// How a reply ended.
#[derive(Debug)]
pub enum End {
    /// The stream ended normally.
    Complete,
    /// Ctrl-C.
    Interrupted,
    /// A provider error, before or during the reply (already reported on
    /// stdout in JSON mode; the caller prints the error line).
    Failed(YatError),
}

/// What a reply produced.
#[derive(Debug)]
pub struct Outcome {
    /// The model that answered (or the last one tried).
    pub target: ModelRef,
    /// The text, when `keep_text` was asked for.
    pub text: String,
    /// Token usage, if reported.
    pub usage: Option<Usage>,
    /// The finish, if reported.
    pub finish: Option<Finish>,
    /// How it ended.
    pub end: End,
}

/// Resolves when Ctrl-C is pressed; never, if the signal cannot be watched.
fn interrupt() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}

/// How many events to handle between two looks at Ctrl-C while the stream
/// always has more ready (a fast local model can keep it busy for long).
const INTERRUPT_CHECK_EVERY: u32 = 256;

/// Streams a reply from the first of `candidates` that answers, printing it
/// as it arrives. Only output errors (a closed stdout) are returned as
/// errors; provider errors and Ctrl-C are in the outcome.
pub async fn stream_reply(
    term: &Term,
    manager: &ProviderManager,
    candidates: &[ModelRef],
    request: &ChatRequest,
    opts: ReplyOptions,
) -> CmdResult<Outcome> {
    let json = opts.mode == Mode::Json;
    let mut interrupt = interrupt();
    let first = candidates
        .first()
        .cloned()
        .unwrap_or_else(|| ModelRef::new("", ""));
    let mut outcome = Outcome {
        target: first.clone(),
        text: String::new(),
        usage: None,
        finish: None,
        end: End::Complete,
    };

    let mut spinner = term.spinner(json, &first.to_string());
    let routed = tokio::select! {
        r = stream_with_fallback(manager, candidates, request) => r,
        () = &mut interrupt => {
            spinner.clear();
            outcome.end = End::Interrupted;
            interrupted_notice(term, json, &first)?;
            return Ok(outcome);
        }
    };
    spinner.clear();

    let routed = match routed {
        Ok(r) => r,
        Err(e) => {
            let (last, earlier) = e
                .attempts
                .split_last()
                .map_or((None, &[][..]), |(l, r)| (Some(l), r));
            for a in earlier {
                term.warn(&format!(
                    "{} failed before answering: {}",
                    a.target, a.error
                ));
            }
            let error = e.error();
            if let Some(last) = last {
                outcome.target = last.target.clone();
            }
            if json {
                write_json_line(&mut std::io::stdout().lock(), &error_event(&error))?;
            }
            outcome.end = End::Failed(error);
            return Ok(outcome);
        }
    };
    for a in &routed.skipped {
        term.warn(&format!(
            "{} failed before answering: {}",
            a.target, a.error
        ));
    }
    if !routed.skipped.is_empty() {
        term.note(&format!("answered by {}", routed.target));
    }
    outcome.target = routed.target.clone();

    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    if json {
        let start = json!({
            "type": "start",
            "provider": routed.target.provider,
            "model": routed.target.model,
        });
        write_json_line(&mut out, &start)?;
    }
    let mut stream = routed.stream;
    let mut at_line_start = true;
    let mut wrote_text = false;
    let mut since_check = 0u32;
    loop {
        since_check += 1;
        if since_check >= INTERRUPT_CHECK_EVERY {
            since_check = 0;
            if (&mut interrupt).now_or_never().is_some() {
                outcome.end = End::Interrupted;
                break;
            }
        }
        let item = match stream.next().now_or_never() {
            Some(item) => item,
            None => {
                // Nothing ready: show what we have, then wait.
                out.flush()?;
                tokio::select! {
                    biased;
                    () = &mut interrupt => {
                        outcome.end = End::Interrupted;
                        break;
                    }
                    item = stream.next() => item,
                }
            }
        };
        let event = match item {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                outcome.end = End::Failed(e);
                break;
            }
        };
        if json {
            write_json_line(&mut out, &event)?;
        }
        match event {
            ChatEvent::Delta { text } => {
                if !json && !text.is_empty() {
                    out.write_all(text.as_bytes())?;
                    at_line_start = text.ends_with('\n');
                    wrote_text = true;
                }
                if opts.keep_text {
                    outcome.text.push_str(&text);
                }
            }
            ChatEvent::Usage(u) => outcome.usage = Some(u),
            ChatEvent::Finish(f) => outcome.finish = Some(f),
            _ => {}
        }
    }
    // The stream is dropped here, before anything else: that is what
    // cancels the request on Ctrl-C.
    drop(stream);
    if !json && wrote_text && !at_line_start {
        out.write_all(b"\n")?;
    }
    match &outcome.end {
        End::Failed(e) if json => write_json_line(&mut out, &error_event(e))?,
        End::Interrupted if json => {
            let e = YatError::Cancelled {
                provider: outcome.target.provider.clone(),
            };
            write_json_line(&mut out, &error_event(&e))?;
        }
        _ => {}
    }
    out.flush()?;
    drop(out);

    match &outcome.end {
        End::Interrupted if !json => term.note("reply interrupted"),
        End::Complete => {
            if let Some(f) = &outcome.finish {
                match f.reason {
                    FinishReason::Length => {
                        term.warn("the reply was cut at the token limit (--max-tokens)")
                    }
                    FinishReason::ContentFilter => {
                        term.warn("the provider's content filter withheld part of the reply")
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if opts.show_usage {
        match &outcome.usage {
            Some(u) => term.note(&format!(
                "{}: {} input tokens, {} output tokens",
                outcome.target, u.input_tokens, u.output_tokens
            )),
            None => term.note(&format!("{}: no usage reported", outcome.target)),
        }
    }
    Ok(outcome)
}

fn interrupted_notice(term: &Term, json: bool, target: &ModelRef) -> CmdResult {
    if json {
        let e = YatError::Cancelled {
            provider: target.provider.clone(),
        };
        write_json_line(&mut std::io::stdout().lock(), &error_event(&e))?;
    } else {
        term.note("interrupted before the reply started");
    }
    Ok(())
}

/// The JSON `error` event.
pub fn error_event(e: &YatError) -> serde_json::Value {
    json!({
        "type": "error",
        "kind": e.kind(),
        "provider": e.provider(),
        "message": describe(e),
    })
}

fn write_json_line(out: &mut impl Write, value: &impl serde::Serialize) -> CmdResult {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

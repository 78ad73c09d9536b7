//! Streaming a reply to stdout as it arrives: as text (see `reply_view`),
//! as JSON events (one per line, every event of the stream: the README's
//! "Event schema"), or held back to be printed whole (`--schema`).
//!
//! Output goes through one `BufWriter` on the locked stdout and is flushed
//! only when the stream has nothing ready: a burst of chunks costs one
//! write, and a person still sees each token the moment the provider pauses.

use std::future::Future;
use std::io::{BufWriter, Write};
use std::pin::Pin;

use futures::{FutureExt, StreamExt};
use serde_json::json;
use yat::routing::{stream_with_fallback, Attempt};
use yat::{
    ChatEvent, ChatRequest, ChatResponse, FinishReason, Message, ModelRef, ProviderManager,
    ResponseBuilder, Usage, YatError,
};

use crate::failure::{describe, CmdResult};
use crate::reply_view::{ReplyView, ViewOptions};
use crate::term::Term;

/// How a reply is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The text, as it arrives.
    Text,
    /// One JSON event per line.
    Json,
    /// Nothing on stdout while it streams: the caller prints the complete
    /// text (a JSON document). Reasoning and tool calls go to stderr.
    Document,
}

/// Options for one reply.
#[derive(Debug, Clone, Copy)]
pub struct ReplyOptions {
    /// Text, JSON or document.
    pub mode: Mode,
    /// Keep every part of the reply (to store it, continue the
    /// conversation or print it whole); usage and finish are always kept.
    pub keep_reply: bool,
    /// Print token usage on stderr at the end.
    pub show_usage: bool,
    /// Show the model's reasoning (text and document modes).
    pub show_reasoning: bool,
    /// The stored conversation the reply goes into, named in JSON's
    /// start event.
    pub conversation: Option<i64>,
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
    /// The reply: its parts when `keep_reply` was asked for, its usage and
    /// finish always.
    pub reply: ChatResponse,
    /// How it ended.
    pub end: End,
    /// With tools running: the messages of the loop before `reply` (each
    /// earlier reply with its calls, and their results), which go into the
    /// conversation before it. Empty for a plain reply.
    pub earlier: Vec<Message>,
}

/// Resolves when Ctrl-C is pressed; never, if the signal cannot be watched.
pub fn interrupt() -> Pin<Box<dyn Future<Output = ()>>> {
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
        reply: ChatResponse::default(),
        end: End::Complete,
        earlier: Vec::new(),
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
            warn_skipped(term, earlier);
            let error = e.error();
            if let Some(last) = last {
                outcome.target = last.target.clone();
            }
            if json {
                print_error_event(&error)?;
            }
            outcome.end = End::Failed(error);
            return Ok(outcome);
        }
    };
    warn_skipped(term, &routed.skipped);
    if !routed.skipped.is_empty() {
        term.note(&format!("answered by {}", routed.target));
    }
    outcome.target = routed.target.clone();

    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    if json {
        let mut start = json!({
            "type": "start",
            "provider": routed.target.provider,
            "model": routed.target.model,
        });
        if let Some(id) = opts.conversation {
            start["conversation"] = json!(id);
        }
        write_json_line(&mut out, &start)?;
    }
    let mut stream = routed.stream;
    let mut view = (!json).then(|| {
        ReplyView::new(
            term,
            ViewOptions {
                stream_answer: opts.mode == Mode::Text,
                show_reasoning: opts.show_reasoning,
                show_calls: true,
            },
        )
    });
    let mut reply = ResponseBuilder::default();
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
                if let Some(v) = view.as_mut() {
                    v.flush()?;
                }
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
        match view.as_mut() {
            Some(v) => v.event(&mut out, &event)?,
            None => write_json_line(&mut out, &event)?,
        }
        if opts.keep_reply || matches!(event, ChatEvent::Usage(_) | ChatEvent::Finish(_)) {
            reply.push(event);
        }
    }
    // The stream is dropped here, before anything else: that is what
    // cancels the request on Ctrl-C.
    drop(stream);
    outcome.reply = reply.finish();
    if let Some(v) = view.as_mut() {
        v.end(&mut out)?;
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
            if let Some(f) = &outcome.reply.finish {
                match f.reason {
                    FinishReason::Length => {
                        term.warn("the reply was cut at the token limit (--max-tokens)")
                    }
                    FinishReason::ContentFilter => {
                        term.warn("the provider's content filter withheld part of the reply")
                    }
                    FinishReason::ToolCalls if !json => {
                        term.note("the model asked to run tools; tools declared with --tool are not run (--mcp offers tools that run)")
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if opts.show_usage {
        match &outcome.reply.usage {
            Some(u) => term.note(&format!("{}: {}", outcome.target, usage_text(u))),
            None => term.note(&format!("{}: no usage reported", outcome.target)),
        }
    }
    Ok(outcome)
}

/// `12 input tokens, 40 output tokens (25 reasoning), 100 cache-read`:
/// the details only where the provider reported them.
pub fn usage_text(u: &Usage) -> String {
    let mut s = format!(
        "{} input tokens, {} output tokens",
        u.input_tokens, u.output_tokens
    );
    if let Some(n) = u.reasoning_tokens {
        s.push_str(&format!(" ({n} reasoning)"));
    }
    if let Some(n) = u.cache_read_tokens {
        s.push_str(&format!(", {n} read from the cache"));
    }
    if let Some(n) = u.cache_write_tokens {
        s.push_str(&format!(", {n} written to the cache"));
    }
    s
}

/// One warning per candidate that failed before answering, in the CLI's
/// words: a provider that was not ready gets the command that fixes it.
pub fn warn_skipped(term: &Term, attempts: &[Attempt]) {
    for a in attempts {
        term.warn(&format!(
            "{} failed before answering: {}",
            a.target,
            describe(&a.error)
        ));
    }
}

fn interrupted_notice(term: &Term, json: bool, target: &ModelRef) -> CmdResult {
    if json {
        print_error_event(&YatError::Cancelled {
            provider: target.provider.clone(),
        })?;
    } else {
        term.note("interrupted before the reply started");
    }
    Ok(())
}

/// The JSON `error` event: the message in the CLI's words, and as data
/// what a program needs to act on it: the fixes (as `yat providers --json`
/// gives them, `[]` when none) and the vendor's request id when it sent one.
pub fn error_event(e: &YatError) -> serde_json::Value {
    let mut event = json!({
        "type": "error",
        "kind": e.kind(),
        "provider": e.provider(),
        "message": describe(e),
        "remedies": e.remedies(),
    });
    if let Some(id) = e.request_id() {
        event["request_id"] = json!(id);
    }
    event
}

/// Prints the JSON `error` event for `e` on stdout.
pub fn print_error_event(e: &YatError) -> CmdResult {
    write_json_line(&mut std::io::stdout().lock(), &error_event(e))
}

pub fn write_json_line(out: &mut impl Write, value: &impl serde::Serialize) -> CmdResult {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat::{Failure, ProviderStatus, Remedy};

    #[test]
    fn the_error_event_carries_the_request_id_only_when_the_vendor_sent_one() {
        let with_id = YatError::Server(Failure::http("zeta", 500, "oops").with_request_id("req_9"));
        let event = error_event(&with_id);
        assert_eq!(event["request_id"], "req_9");
        assert_eq!(event["kind"], "server_error");
        assert_eq!(event["remedies"], json!([]));
        let without = error_event(&YatError::Server(Failure::http("zeta", 500, "oops")));
        assert!(without.get("request_id").is_none(), "{without}");
    }

    #[test]
    fn the_error_event_gives_the_remedies_as_data_and_the_fix_in_words() {
        let e = YatError::NotReady {
            provider: "zeta".into(),
            status: ProviderStatus::Disabled,
        };
        let event = error_event(&e);
        assert_eq!(
            event["remedies"],
            serde_json::to_value(vec![Remedy::Enable {
                provider: "zeta".into()
            }])
            .unwrap()
        );
        assert_eq!(
            event["message"],
            "zeta: unavailable: disabled in the configuration: run `yat providers enable zeta`"
        );
    }
}

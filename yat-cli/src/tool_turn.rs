//! A prompt answered through yat-core's tool loop: the model's replies
//! stream as any reply does, and each tool call it makes is shown (text) or
//! reported as events (`--json`) while it runs.
//!
//! The loop is the library's ([`run_tools`]); what is here is how it looks
//! and what the caller stores: each step (a request to the model and its
//! reply) becomes one stored exchange, so the log holds every message of
//! the loop in order, and `yat chat -c` continues from its end.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use serde_json::json;
use yat::routing::{stream_with_fallback, Attempt};
use yat::tools::{run_tools, ToolLoopEvent, Toolbox};
use yat::{
    ChatRequest, ChatResponse, FinishReason, Message, ModelRef, ProviderManager, Role, YatError,
};

use crate::failure::CmdResult;
use crate::render::{self, End, Mode, Outcome, ReplyOptions};
use crate::reply_view::{ReplyView, ViewOptions};
use crate::term::Term;
use crate::tool_lines;

/// The tools a chat runs, and how their calls are named on screen.
#[derive(Clone)]
pub struct ToolsInPlay {
    /// The tools, with the handlers that run (and approve) each call.
    pub toolbox: Toolbox,
    /// The name the model calls a tool by -> the server and the tool's own
    /// name there.
    pub origins: HashMap<String, Origin>,
    /// `--max-steps`.
    pub max_steps: u32,
    /// Wakes the loop when the person at a confirmation asks to stop
    /// (Ctrl-C there is a key, not a signal).
    pub cancel: Arc<tokio::sync::Notify>,
}

/// Where a tool comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The server's name in the configuration.
    pub server: String,
    /// The tool's name on that server.
    pub tool: String,
}

impl ToolsInPlay {
    /// `server.tool` for a call's name; the name itself for a tool of no
    /// known server.
    pub fn label(&self, name: &str) -> String {
        match self.origins.get(name) {
            Some(o) => format!("{}.{}", o.server, o.tool),
            None => name.to_owned(),
        }
    }
}

/// One step of a finished loop, as it is stored.
#[derive(Debug)]
pub struct Step {
    /// What was sent before this step's reply and after the previous one:
    /// for the first step, nothing (the caller's prompt); then the tool
    /// results answering the previous reply's calls.
    pub sent: Vec<Message>,
    /// The reply, with its usage and finish.
    pub reply: ChatResponse,
    /// From the step's request to its reply's end.
    pub duration: Duration,
}

/// What a loop produced.
#[derive(Debug)]
pub struct LoopOutcome {
    /// The model that answered last, the final reply and how it ended; on
    /// a step limit the last reply is the one whose calls were not run.
    pub outcome: Outcome,
    /// Every step that finished, in order.
    pub steps: Vec<Step>,
}

impl LoopOutcome {
    /// Whether the steps belong in the conversation: the loop answered, or
    /// it reached its step limit (the calls then left unanswered are
    /// answered "not run" with the next prompt).
    pub fn keeps_steps(&self) -> bool {
        matches!(
            &self.outcome.end,
            End::Complete | End::Failed(YatError::StepLimit { .. })
        )
    }

    /// The messages the loop added to the conversation, in order: every
    /// step's reply and the tool results after it.
    pub fn messages(&self) -> Vec<Message> {
        self.steps
            .iter()
            .flat_map(|s| {
                s.sent
                    .iter()
                    .cloned()
                    .chain([s.reply.clone().into_message()])
            })
            .collect()
    }
}

/// Who answered each step, kept by the function that starts them.
#[derive(Default)]
struct Routing {
    target: Option<ModelRef>,
    skipped: Vec<Attempt>,
}

/// Runs the tool loop for `request`, printing as [`render::stream_reply`]
/// prints a reply, plus a line (or two events) per tool call. Only output
/// errors are errors; provider errors, the step limit and Ctrl-C are in
/// the outcome.
pub async fn run(
    term: &Term,
    manager: &ProviderManager,
    candidates: &[ModelRef],
    request: &ChatRequest,
    tools: &ToolsInPlay,
    opts: ReplyOptions,
) -> CmdResult<LoopOutcome> {
    let json = opts.mode == Mode::Json;
    let first = candidates
        .first()
        .cloned()
        .unwrap_or_else(|| ModelRef::new("", ""));
    let routing = Mutex::new(Routing::default());
    let start = |req: ChatRequest| {
        let routing = &routing;
        async move {
            let routed = stream_with_fallback(manager, candidates, &req).await;
            let mut log = routing.lock().unwrap_or_else(PoisonError::into_inner);
            match routed {
                Ok(r) => {
                    log.target = Some(r.target);
                    log.skipped.extend(r.skipped);
                    Ok(r.stream)
                }
                Err(e) => {
                    let error = e.error();
                    if let Some((last, earlier)) = e.attempts.split_last() {
                        log.target = Some(last.target.clone());
                        log.skipped.extend(earlier.iter().cloned());
                    }
                    Err(error)
                }
            }
        }
    };
    let mut run =
        run_tools(start, request.clone(), tools.toolbox.clone()).max_steps(tools.max_steps);
    let mut interrupt = render::interrupt();
    let cancelled = tools.cancel.notified();
    tokio::pin!(cancelled);

    let mut spinner = term.spinner(json, &first.to_string());
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut view = (!json).then(|| {
        ReplyView::new(
            term,
            ViewOptions {
                stream_answer: opts.mode == Mode::Text,
                show_reasoning: opts.show_reasoning,
                show_calls: false,
            },
        )
    });
    let mut shown = Shown::default();
    let mut steps: Vec<Step> = Vec::new();
    let mut step_started = Instant::now();
    let mut end = End::Complete;
    loop {
        // Asked to stop at a confirmation: the answer came back as a
        // refusal, and the run may have gone on without ever waiting.
        if (&mut cancelled).now_or_never().is_some() {
            end = End::Interrupted;
            break;
        }
        let item = match run.next().now_or_never() {
            Some(item) => item,
            None => {
                // Nothing ready: show what we have, then wait.
                out.flush()?;
                if let Some(v) = view.as_mut() {
                    v.flush()?;
                }
                tokio::select! {
                    biased;
                    () = &mut interrupt => { end = End::Interrupted; break; }
                    () = &mut cancelled => { end = End::Interrupted; break; }
                    item = run.next() => item,
                }
            }
        };
        let event = match item {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                end = End::Failed(e);
                break;
            }
        };
        spinner.clear();
        if !shown.started {
            shown.started = true;
            let target = routed_target(&routing).unwrap_or_else(|| first.clone());
            warn_new_skips(term, &routing);
            if json {
                let mut start = json!({
                    "type": "start", "provider": target.provider, "model": target.model,
                });
                if let Some(id) = opts.conversation {
                    start["conversation"] = json!(id);
                }
                render::write_json_line(&mut out, &start)?;
            }
        }
        match event {
            ToolLoopEvent::Chat { event, .. } => match view.as_mut() {
                Some(v) => v.event(&mut out, &event)?,
                None => render::write_json_line(&mut out, &event)?,
            },
            ToolLoopEvent::ToolStarted { step, call } => {
                shown.running.insert(call.id.clone(), Instant::now());
                match view.as_mut() {
                    Some(v) => v.line(&mut out, &tool_lines::call_line(tools, &call))?,
                    None => render::write_json_line(
                        &mut out,
                        &tool_lines::call_event(tools, step, &call),
                    )?,
                }
                // The call may ask for a confirmation next: the line must
                // be on screen before the question.
                out.flush()?;
                if let Some(v) = view.as_mut() {
                    v.flush()?;
                }
            }
            ToolLoopEvent::ToolFinished { step, result } => {
                let took = shown
                    .running
                    .remove(&result.call_id)
                    .map_or(Duration::ZERO, |t| t.elapsed());
                match view.as_mut() {
                    Some(v) => v.line(&mut out, &tool_lines::result_line(tools, &result))?,
                    None => render::write_json_line(
                        &mut out,
                        &tool_lines::result_event(tools, step, &result, took),
                    )?,
                }
            }
            ToolLoopEvent::StepFinished { response, .. } => {
                steps.push(Step {
                    sent: Vec::new(),
                    reply: response,
                    duration: step_started.elapsed(),
                });
                step_started = Instant::now();
            }
            _ => {}
        }
    }
    spinner.clear();
    if let (End::Failed(_), false) = (&end, shown.started) {
        warn_new_skips(term, &routing);
    }
    // The conversation the loop kept: the tool results between its replies.
    if let Some(messages) = run.messages() {
        attach_results(
            &mut steps,
            &messages[request.messages.len().min(messages.len())..],
        );
    }
    // Dropping the run cancels the model's stream and every call still
    // running: that is what Ctrl-C stops.
    drop(run);
    if let Some(v) = view.as_mut() {
        v.end(&mut out)?;
    }
    let target = routed_target(&routing).unwrap_or(first);
    match &end {
        End::Failed(e) if json => render::write_json_line(&mut out, &render::error_event(e))?,
        End::Interrupted if json => {
            let e = YatError::Cancelled {
                provider: target.provider.clone(),
            };
            render::write_json_line(&mut out, &render::error_event(&e))?;
        }
        _ => {}
    }
    out.flush()?;
    drop(out);
    let reply = steps.last().map(|s| s.reply.clone()).unwrap_or_default();
    match &end {
        End::Interrupted if !json => {
            term.note("interrupted: the tool calls and the reply stop here")
        }
        End::Complete => finish_notes(term, &reply),
        _ => {}
    }
    if opts.show_usage {
        let total = steps
            .iter()
            .filter_map(|s| s.reply.usage)
            .reduce(|a, b| a + b);
        match total {
            Some(u) => term.note(&format!("{target}: {}", render::usage_text(&u))),
            None => term.note(&format!("{target}: no usage reported")),
        }
    }
    let mut looped = LoopOutcome {
        outcome: Outcome {
            target,
            reply,
            end,
            earlier: Vec::new(),
        },
        steps,
    };
    if looped.keeps_steps() {
        let mut messages = looped.messages();
        messages.pop();
        looped.outcome.earlier = messages;
    }
    Ok(looped)
}

/// What the loop has shown so far.
#[derive(Default)]
struct Shown {
    /// The first event arrived (the spinner is gone, `start` printed).
    started: bool,
    /// Calls running, by id, since when.
    running: HashMap<String, Instant>,
}

fn routed_target(routing: &Mutex<Routing>) -> Option<ModelRef> {
    routing
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .target
        .clone()
}

/// Warns about the candidates that failed before one answered, once each.
fn warn_new_skips(term: &Term, routing: &Mutex<Routing>) {
    let skipped = std::mem::take(
        &mut routing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .skipped,
    );
    render::warn_skipped(term, &skipped);
}

/// Gives each step after the first the tool message(s) that came before
/// its reply, from the conversation the loop kept (`added`: what it
/// appended to the request's messages).
fn attach_results(steps: &mut [Step], added: &[Message]) {
    let mut step = 0usize;
    let mut pending: Vec<Message> = Vec::new();
    for m in added {
        if m.role == Role::Assistant {
            if let Some(s) = steps.get_mut(step) {
                s.sent = std::mem::take(&mut pending);
            }
            step += 1;
        } else {
            pending.push(m.clone());
        }
    }
}

fn finish_notes(term: &Term, reply: &ChatResponse) {
    if let Some(f) = &reply.finish {
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

#[cfg(test)]
mod tests {
    use super::*;
    use yat::{Part, ToolCall, ToolResult};

    #[test]
    fn each_step_after_the_first_gets_the_results_before_it() {
        let call = ToolCall::new("c1", "now", json!({}));
        let asked = Message::assistant(vec![Part::ToolCall(call.clone())]);
        let results = Message::tool_results([ToolResult::new(&call, "noon")]);
        let answer = Message::assistant("It is noon.");
        let step = || Step {
            sent: Vec::new(),
            reply: ChatResponse::default(),
            duration: Duration::ZERO,
        };
        let mut steps = vec![step(), step()];
        attach_results(&mut steps, &[asked, results.clone(), answer]);
        assert!(steps[0].sent.is_empty());
        assert_eq!(steps[1].sent, vec![results]);
    }
}

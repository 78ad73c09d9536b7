//! The tool loop: ask the model, run the tools it calls, give it the
//! results, and again, until it answers without calling a tool.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, FuturesUnordered};
use futures::{FutureExt, Stream, StreamExt};

use super::event::ToolLoopEvent;
use super::handoff::Handoff;
use super::toolbox::Toolbox;
use crate::stream::ChatStream;
use crate::types::{
    ChatEvent, ChatRequest, ChatResponse, Message, Part, ToolCall, ToolChoice, ToolResult, Usage,
};
use crate::YatError;

/// How many steps (requests to the model) a loop takes at most unless told
/// otherwise with [`ToolRun::max_steps`].
pub const DEFAULT_MAX_STEPS: u32 = 10;

/// Runs the tool loop: sends `request` with the toolbox's tools, streams the
/// reply, runs the calls in it, sends the results back, and repeats until a
/// reply makes no call.
///
/// `start` starts one chat; anything that turns a [`ChatRequest`] into a
/// [`ChatStream`] will do: `|req| manager.chat(&target, req)`, a routed call,
/// or a bare provider (`|req| async move { provider.stream_chat(&req).await }`).
///
/// The returned [`ToolRun`] is a stream of [`ToolLoopEvent`]s (see there for
/// their order); nothing happens until it is polled. Each step:
///
/// 1. the request goes out with the conversation so far. The toolbox's specs
///    are added to `request.tools` (a spec already there under the same name
///    is kept as it is);
/// 2. the reply streams through, event by event, and is collected; the
///    assistant message ([`ChatResponse::into_message`], signatures and
///    reasoning kept) is appended to the conversation;
/// 3. no calls in it: the loop ends with that reply. Calls in it, but this
///    was step number `max_steps`: the loop ends with
///    [`YatError::StepLimit`] without running them (the conversation then
///    ends with the assistant message whose calls are unanswered);
/// 4. otherwise every call runs, all of them at once, and one tool message
///    with their results, in the order of the calls, is appended
///    ([`Message::tool_results`]). What the model gets back:
///    - a handler's output, or, if it failed, an error result with its error
///      text (see [`Toolbox::call`] for panics and unknown tools);
///    - for a call whose arguments were not JSON (the stream ended with
///      [`YatError::InvalidToolArguments`]): the reply collected until then
///      is kept and the bad call is added to it with arguments `{}`, answered
///      by the error result `the arguments of this call are not valid JSON
///      (PARSE ERROR); they were: RAW TEXT`. Calls that had ended before it
///      run as usual; calls that had started but not ended (the reply stopped
///      at the bad one) are added with arguments `{}` and answered by the
///      error result `not run: the arguments of call ID (`NAME`) were not
///      valid JSON and the reply ended there; call this tool again if it is
///      still needed`. The model can then correct itself in the next step;
/// 5. a [`ToolChoice::Required`] or [`ToolChoice::Tool`] choice becomes
///    [`ToolChoice::Auto`] from the next step on: forcing a call every step
///    would only ever end at the step limit.
///
/// Any other error (starting a chat, in a stream) ends the loop with that
/// error. Dropping the `ToolRun` cancels everything at once: the stream of
/// the current step and every handler still running (they are futures the
/// run owns; no task is spawned, so no runtime is needed). A handler runs
/// concurrently with the others, on the task that polls the run: one that
/// blocks a thread should move its work to `spawn_blocking` or its like.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use futures::StreamExt;
/// use serde_json::json;
/// use yat_core::tools::{run_tools, ToolLoopEvent, Toolbox};
/// use yat_core::{ChatEvent, ChatRequest, ChatStream, Finish, FinishReason, Message, Role, ToolCall};
///
/// // A stand-in model: asks for the time, then reads the answer out.
/// let model = |req: ChatRequest| async move {
///     let events = match req.messages.last() {
///         Some(m) if m.role == Role::Tool => {
///             let time = m.content.tool_results().next().unwrap().content.to_text();
///             vec![ChatEvent::Delta { text: format!("It is {time}.") }, ChatEvent::Finish(Finish::reason(FinishReason::Stop))]
///         }
///         _ => vec![
///             ChatEvent::ToolCallEnd { index: 0, call: Box::new(ToolCall::new("call_1", "now", json!({}))) },
///             ChatEvent::Finish(Finish::reason(FinishReason::ToolCalls)),
///         ],
///     };
///     Ok::<ChatStream, yat_core::YatError>(Box::pin(futures::stream::iter(events.into_iter().map(Ok))))
/// };
/// let toolbox = Toolbox::new().tool("now", "The time", json!({"type": "object"}), |_| async {
///     Ok::<_, String>("noon")
/// });
///
/// let mut run = run_tools(model, ChatRequest::new("m", vec![Message::user("Time?")]), toolbox);
/// while let Some(event) = run.next().await {
///     match event? {
///         ToolLoopEvent::ToolStarted { call, .. } => println!("[running {}]", call.name),
///         e => if let Some(text) = e.text() { print!("{text}") },
///     }
/// }
/// assert_eq!(run.response().unwrap().text(), "It is noon.");
/// // user, assistant (the call), tool (the result), assistant (the answer)
/// assert_eq!(run.messages().unwrap().len(), 4);
/// # Ok(()) }
/// ```
pub fn run_tools<'a, F, Fut>(start: F, request: ChatRequest, toolbox: Toolbox) -> ToolRun<'a>
where
    F: Fn(ChatRequest) -> Fut + Send + 'a,
    Fut: Future<Output = Result<ChatStream, YatError>> + Send + 'a,
{
    let shared = Arc::new(Shared {
        events: Handoff::new(),
        max_steps: AtomicU32::new(DEFAULT_MAX_STEPS),
    });
    let driver = drive(start, request, toolbox, Arc::clone(&shared));
    ToolRun {
        driver: Some(Box::pin(driver)),
        shared,
        end: None,
    }
}

/// A running tool loop: a stream of [`ToolLoopEvent`]s, and at its end the
/// conversation and the final reply. Made by [`run_tools`].
///
/// The stream ends after the last step, or with one error item. Once it has
/// ended, [`messages`](ToolRun::messages) holds the whole conversation (the
/// request's messages and everything the loop appended, also when it ended
/// with an error) and [`response`](ToolRun::response) the final reply.
pub struct ToolRun<'a> {
    driver: Option<Pin<Box<dyn Future<Output = Ended> + Send + 'a>>>,
    shared: Arc<Shared>,
    end: Option<End>,
}

/// What the loop's future and the stream share.
struct Shared {
    events: Handoff<ToolLoopEvent>,
    max_steps: AtomicU32,
}

/// What the loop's future returns.
struct Ended {
    messages: Vec<Message>,
    result: Result<ChatResponse, YatError>,
    usage: Option<Usage>,
    steps: u32,
}

/// What the stream keeps once the loop has ended.
struct End {
    messages: Vec<Message>,
    /// The final reply, or the error that ended the loop (also handed out
    /// as the stream's last item).
    result: Result<ChatResponse, YatError>,
    usage: Option<Usage>,
    steps: u32,
}

/// The result of a tool loop that ran to its end: see [`ToolRun::run_to_end`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolOutcome {
    /// The whole conversation: the request's messages, then every step's
    /// assistant message and tool results. Send it with a new user message
    /// to go on.
    pub messages: Vec<Message>,
    /// The final reply (also the last message of `messages`).
    pub response: ChatResponse,
    /// Every step's token counts added up; `None` if no step reported any.
    pub usage: Option<Usage>,
    /// How many steps (requests to the model) the loop took.
    pub steps: u32,
}

impl<'a> ToolRun<'a> {
    /// Sets the most steps (requests to the model) the loop may take; 0 is
    /// taken as 1. The default is [`DEFAULT_MAX_STEPS`]. Read at each step,
    /// so set it before polling.
    pub fn max_steps(self, steps: u32) -> Self {
        self.shared.max_steps.store(steps.max(1), Ordering::Relaxed);
        self
    }

    /// The whole conversation, once the stream has ended (also after an
    /// error); `None` while it runs.
    pub fn messages(&self) -> Option<&[Message]> {
        self.end.as_ref().map(|e| e.messages.as_slice())
    }

    /// The final reply, once the loop has ended without an error.
    pub fn response(&self) -> Option<&ChatResponse> {
        self.end.as_ref().and_then(|e| e.result.as_ref().ok())
    }

    /// The conversation, once the stream has ended; see [`ToolRun::messages`].
    pub fn into_messages(self) -> Option<Vec<Message>> {
        self.end.map(|e| e.messages)
    }

    /// The outcome, once the loop has ended without an error.
    pub fn into_outcome(self) -> Option<ToolOutcome> {
        let end = self.end?;
        Some(ToolOutcome {
            messages: end.messages,
            response: end.result.ok()?,
            usage: end.usage,
            steps: end.steps,
        })
    }

    /// Runs the loop to its end, dropping the events, and returns the
    /// conversation and the final reply, or the error that ended it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
    /// use yat_core::tools::{run_tools, Toolbox};
    /// use yat_core::{ChatRequest, Message};
    /// let model = |_req: ChatRequest| async { Ok(yat_core::stream::from_text("demo", vec!["No tools needed.".into()])) };
    /// let outcome = run_tools(model, ChatRequest::new("m", vec![Message::user("Hi")]), Toolbox::new())
    ///     .run_to_end()
    ///     .await?;
    /// assert_eq!((outcome.response.text().as_str(), outcome.steps), ("No tools needed.", 1));
    /// assert_eq!(outcome.messages.len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// Called on a run already polled to its end, it returns the same
    /// outcome or error again.
    pub async fn run_to_end(mut self) -> Result<ToolOutcome, YatError> {
        while let Some(item) = self.next().await {
            item?;
        }
        // The stream ends (returns `None`) only once `end` is set.
        let Some(end) = self.end else {
            return Err(YatError::Cancelled {
                provider: String::new(),
            });
        };
        Ok(ToolOutcome {
            messages: end.messages,
            response: end.result?,
            usage: end.usage,
            steps: end.steps,
        })
    }
}

impl Stream for ToolRun<'_> {
    type Item = Result<ToolLoopEvent, YatError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(driver) = this.driver.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = driver.as_mut().poll(cx);
        if let Some(event) = this.shared.events.take() {
            return Poll::Ready(Some(Ok(event)));
        }
        let Poll::Ready(ended) = polled else {
            return Poll::Pending;
        };
        this.driver = None;
        let item = ended.result.as_ref().err().map(|e| Err(e.clone()));
        this.end = Some(End {
            messages: ended.messages,
            result: ended.result,
            usage: ended.usage,
            steps: ended.steps,
        });
        Poll::Ready(item)
    }
}

impl FusedStream for ToolRun<'_> {
    fn is_terminated(&self) -> bool {
        self.driver.is_none()
    }
}

impl std::fmt::Debug for ToolRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRun")
            .field("running", &self.driver.is_some())
            .field("max_steps", &self.shared.max_steps.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The loop's state, apart from the function that starts a chat (kept out
/// so that only `Send`, not `Sync`, is asked of it).
struct Loop {
    request: ChatRequest,
    toolbox: Toolbox,
    shared: Arc<Shared>,
    usage: Option<Usage>,
    steps: u32,
}

/// One step's reply, with answers already known for calls that cannot run.
struct StepReply {
    response: ChatResponse,
    /// Error results for the last `rejected.len()` calls of `response`.
    rejected: Vec<ToolResult>,
}

async fn drive<F, Fut>(
    start: F,
    mut request: ChatRequest,
    toolbox: Toolbox,
    shared: Arc<Shared>,
) -> Ended
where
    F: Fn(ChatRequest) -> Fut,
    Fut: Future<Output = Result<ChatStream, YatError>>,
{
    for spec in toolbox.specs() {
        if !request.tools.iter().any(|t| t.name == spec.name) {
            request.tools.push(spec);
        }
    }
    let mut state = Loop {
        request,
        toolbox,
        shared,
        usage: None,
        steps: 0,
    };
    let result = loop {
        let step = state.steps;
        state.steps += 1;
        // A statement of its own, so no borrow of `start` lives across the
        // await (which would ask `F: Sync` of the caller).
        let starting = start(state.request.clone());
        let stream = match starting.await {
            Ok(stream) => stream,
            Err(e) => break Err(e),
        };
        match state.step(step, stream).await {
            Ok(Some(done)) => break Ok(done),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
    };
    Ended {
        messages: state.request.messages,
        result,
        usage: state.usage,
        steps: state.steps,
    }
}

impl Loop {
    async fn emit(&self, event: ToolLoopEvent) {
        self.shared.events.send(event).await
    }

    /// One step after its stream has started: the final reply if it made no
    /// calls, `None` to go on.
    async fn step(
        &mut self,
        step: u32,
        stream: ChatStream,
    ) -> Result<Option<ChatResponse>, YatError> {
        let StepReply { response, rejected } = self.read_reply(step, stream).await?;
        self.usage = add_usage(self.usage, response.usage);
        let calls: Vec<ToolCall> = response.tool_calls().cloned().collect();
        self.request.messages.push(response.clone().into_message());
        if calls.is_empty() {
            self.emit(ToolLoopEvent::StepFinished {
                step,
                response: response.clone(),
            })
            .await;
            return Ok(Some(response));
        }
        if self.steps >= self.shared.max_steps.load(Ordering::Relaxed) {
            self.emit(ToolLoopEvent::StepFinished { step, response })
                .await;
            return Err(YatError::StepLimit { steps: self.steps });
        }
        let results = self.run_calls(step, &calls, rejected).await;
        self.request.messages.push(Message::tool_results(results));
        self.emit(ToolLoopEvent::StepFinished { step, response })
            .await;
        if matches!(
            self.request.tool_choice,
            Some(ToolChoice::Required | ToolChoice::Tool { .. })
        ) {
            self.request.tool_choice = Some(ToolChoice::Auto);
        }
        Ok(None)
    }

    /// Streams one reply through to the caller and collects it.
    async fn read_reply(&self, step: u32, mut stream: ChatStream) -> Result<StepReply, YatError> {
        let mut builder = crate::types::ResponseBuilder::default();
        // (index, id, name, ended) of every call that started, for the
        // calls cut off by arguments that are not JSON.
        let mut started: Vec<(u32, String, String, bool)> = Vec::new();
        let mut invalid = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    match &event {
                        ChatEvent::ToolCallStart { index, id, name } => {
                            started.push((*index, id.clone(), name.clone(), false))
                        }
                        // Indices count calls in start order, so a call's
                        // entry is found by position.
                        ChatEvent::ToolCallEnd { index, .. } => {
                            if let Some(s) =
                                started.get_mut(*index as usize).filter(|s| s.0 == *index)
                            {
                                s.3 = true;
                            }
                        }
                        _ => {}
                    }
                    builder.push(event.clone());
                    self.emit(ToolLoopEvent::Chat { step, event }).await;
                }
                Err(YatError::InvalidToolArguments {
                    id,
                    name,
                    raw,
                    message,
                    ..
                }) => {
                    invalid = Some((id, name, raw, message));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        drop(stream);
        let mut response = builder.finish();
        let mut rejected = Vec::new();
        if let Some((bad_id, bad_name, raw, message)) = invalid {
            let mut cut: Vec<(String, String)> = started
                .into_iter()
                .filter(|s| !s.3)
                .map(|s| (s.1, s.2))
                .collect();
            if !cut.iter().any(|(id, _)| *id == bad_id) {
                cut.insert(0, (bad_id.clone(), bad_name.clone()));
            }
            for (id, name) in cut {
                let call = ToolCall::new(id, name, serde_json::Value::Object(Default::default()));
                let text = if call.id == bad_id {
                    format!(
                        "the arguments of this call are not valid JSON ({message}); they were: {raw}"
                    )
                } else {
                    format!(
                        "not run: the arguments of call {bad_id} (`{bad_name}`) were not valid JSON and the reply ended there; call this tool again if it is still needed"
                    )
                };
                rejected.push(ToolResult::error(&call, text));
                response.parts.push(Part::ToolCall(call));
            }
        }
        Ok(StepReply { response, rejected })
    }

    /// Runs a step's calls side by side; their results in call order.
    async fn run_calls(
        &self,
        step: u32,
        calls: &[ToolCall],
        rejected: Vec<ToolResult>,
    ) -> Vec<ToolResult> {
        let mut results: Vec<Option<ToolResult>> = vec![None; calls.len()];
        let first_rejected = calls.len() - rejected.len();
        for (slot, result) in results[first_rejected..].iter_mut().zip(rejected) {
            *slot = Some(result);
        }
        for (i, call) in calls.iter().enumerate().take(first_rejected) {
            if !self.toolbox.contains(&call.name) {
                results[i] = Some(ToolResult::error(
                    call,
                    self.toolbox.unknown_tool_message(&call.name),
                ));
            }
        }
        let mut running = FuturesUnordered::new();
        for (i, call) in calls.iter().enumerate() {
            if results[i].is_none() {
                self.emit(ToolLoopEvent::ToolStarted {
                    step,
                    call: call.clone(),
                })
                .await;
                running.push(self.toolbox.call(call).map(move |r| (i, r)));
            }
        }
        for result in results.iter().flatten() {
            self.emit(ToolLoopEvent::ToolFinished {
                step,
                result: result.clone(),
            })
            .await;
        }
        while let Some((i, result)) = running.next().await {
            self.emit(ToolLoopEvent::ToolFinished {
                step,
                result: result.clone(),
            })
            .await;
            results[i] = Some(result);
        }
        results.into_iter().flatten().collect()
    }
}

/// Two steps' token counts added up; a detail known in either is kept.
fn add_usage(total: Option<Usage>, step: Option<Usage>) -> Option<Usage> {
    match (total, step) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_adds_up_and_keeps_details_known_in_either() {
        let total = add_usage(None, Some(Usage::new(10, 2).with_cache_read(5)));
        let total = add_usage(total, None);
        let total = add_usage(total, Some(Usage::new(12, 3).with_reasoning(1))).unwrap();
        assert_eq!((total.input_tokens, total.output_tokens), (22, 5));
        assert_eq!(total.cache_read_tokens, Some(5));
        assert_eq!(total.reasoning_tokens, Some(1));
        assert_eq!(total.cache_write_tokens, None);
    }
}

//! `yat chat`: one prompt (argument, piped stdin, or both) streamed to
//! stdout, or an interactive session when there is no prompt and stdin is a
//! terminal.

use std::io::Write;

use yat::preferences::Preferences;
use yat::routing::{candidates, resolve_model, resolve_model_listed, ModelSource, Route};
use yat::{
    ChatRequest, Message, ModelRef, Part, ProviderManager, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, ToolSpec, YatError,
};

use crate::chat_flags::Held;
use crate::cli::ChatArgs;
use crate::context::Ctx;
use crate::failure::{CmdResult, Failure};
use crate::history::{self, Loaded, Record, Recorder};
use crate::render::{self, End, Mode, Outcome, ReplyOptions};
use crate::tool_turn::{self, ToolsInPlay};
use crate::{attach, code_block, early_conversation, fragments, structured, templates, tool_calls};

/// Sampling parameters from the command line, applied to every request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// `--temperature`.
    pub temperature: Option<f32>,
    /// `--max-tokens`.
    pub max_tokens: Option<u32>,
    /// `--top-p`.
    pub top_p: Option<f32>,
    /// `--stop`.
    pub stop: Vec<String>,
    /// `--reasoning-effort`.
    pub reasoning: Option<ReasoningEffort>,
    /// `--tool`.
    pub tools: Vec<ToolSpec>,
    /// `--schema`.
    pub response_format: Option<ResponseFormat>,
    /// `-o`: request fields for one provider.
    pub options: Option<ProviderFields>,
}

/// Request fields for one provider: its id and the fields.
pub type ProviderFields = (String, serde_json::Map<String, serde_json::Value>);

impl Params {
    /// A request for `messages` with these parameters (the model is set per
    /// candidate by the router).
    pub fn request(&self, messages: Vec<Message>) -> ChatRequest {
        let mut req = ChatRequest::new(String::new(), messages);
        req.temperature = self.temperature;
        req.max_tokens = self.max_tokens;
        req.top_p = self.top_p;
        req.stop.clone_from(&self.stop);
        req.reasoning = self.reasoning.map(ReasoningConfig::effort);
        req.tools.clone_from(&self.tools);
        req.response_format.clone_from(&self.response_format);
        if let Some((provider, fields)) = &self.options {
            req.extra.insert(provider.clone(), fields.clone());
        }
        req
    }
}

/// Everything a chat (one-shot or session) starts from.
pub struct ChatSetup {
    /// The manager.
    pub manager: ProviderManager,
    /// The user's preferences.
    pub prefs: Preferences,
    /// The chosen model.
    pub route: Route,
    /// `--fallback` models (aliases or PROVIDER/MODEL).
    pub fallback: Vec<String>,
    /// The models to try, in order: the route's, then the fallbacks.
    /// Computed when the route or the preferences change, not per prompt.
    pub candidates: Vec<ModelRef>,
    /// Sampling parameters.
    pub params: Params,
    /// The conversation so far (system prompt first, if any).
    pub messages: Vec<Message>,
    /// Where exchanges are stored.
    pub recorder: Recorder,
    /// `--usage`.
    pub show_usage: bool,
    /// Not `--no-reasoning`.
    pub show_reasoning: bool,
    /// `--attach`, sent with the next prompt.
    pub attachments: Vec<Part>,
    /// The MCP servers whose tools run (`--mcp`); without them the model's
    /// calls are shown, not run.
    #[cfg(feature = "mcp")]
    pub mcp: Option<crate::mcp_chat::McpChat>,
}

/// The prompt as a message: attachments first (several APIs read a
/// question best after what it is about), then the text.
fn prompt_message(attachments: Vec<Part>, text: &str) -> Message {
    if attachments.is_empty() {
        return Message::user(text);
    }
    let mut parts = attachments;
    // A prompt of fragments alone (`-f -`) has no text of its own.
    if !text.is_empty() {
        parts.push(Part::text(text));
    }
    Message::user(parts)
}

/// Runs `yat chat`.
pub async fn run(ctx: &Ctx, mut args: ChatArgs) -> CmdResult {
    if let Some(name) = &args.template.save {
        return templates::save(ctx, name, &args);
    }
    let fragments = fragments::load(&args.fragments.paths)?;
    let stdin_is_a_fragment = args.fragments.paths.iter().any(|p| p == fragments::STDIN);
    let prompt = if stdin_is_a_fragment {
        // stdin went to its fragment: the prompt is the argument (empty
        // when the fragment is the whole prompt).
        Some(args.prompt.join(" "))
    } else {
        crate::prompt_input::read_prompt(&args.prompt, ctx.term.stdin_tty)?
    };
    let prompt = match args.template.name.take() {
        Some(name) => {
            let params = std::mem::take(&mut args.template.params);
            templates::apply(ctx, &name, &params, prompt, &mut args)?
        }
        None => prompt,
    };
    if prompt.as_deref().is_some_and(|p| p.trim().is_empty()) && fragments.is_empty() {
        return Err(Failure::Usage(
            "the prompt is empty: pass it as an argument or on stdin (`yat --help` lists the \
             commands)"
                .into(),
        ));
    }
    if prompt.is_none() && args.json {
        return Err(Failure::Usage(
            "--json needs a prompt (as an argument or on stdin); the interactive session is for people"
                .into(),
        ));
    }
    if prompt.is_none() && args.schema.is_some() {
        return Err(Failure::Usage(
            "--schema needs a prompt (as an argument or on stdin)".into(),
        ));
    }
    let held = args.output.held();
    if prompt.is_none() && held.is_some() {
        return Err(Failure::Usage(
            "-x, --xl and --no-stream need a prompt (as an argument or on stdin)".into(),
        ));
    }
    let response_format = args
        .schema
        .as_deref()
        .map(structured::response_format)
        .transpose()?;
    let mut tools = Vec::new();
    for arg in &args.tools {
        tools.extend(tool_calls::parse_specs(arg)?);
    }

    let loaded: Option<Loaded> = if args.continue_last || args.conversation.is_some() {
        Some(history::load(args.conversation)?)
    } else {
        None
    };
    let json = args.json;
    // The one read of the configuration for this run.
    let (mut manager, prefs) = ctx
        .manager_and_preferences()
        .await
        .map_err(|f| reported(json, f))?;
    let route = match (&args.model, loaded.as_ref().and_then(|l| l.model.clone())) {
        (Some(m), _) => resolve_model_listed(Some(m), &prefs, &manager).await,
        (None, Some(target)) => Ok(Route::new(target, ModelSource::Explicit)),
        (None, None) => resolve_model(None, &prefs, &manager.ids()),
    }
    .map_err(|e| reported(json, e.into()))?;
    if let Some(key) = &args.call.key {
        manager = ctx
            .manager_with_key(&manager, &route.target.provider, key)
            .await?;
    }
    let options = model_options(&manager, &route.target, &args.call.option_pairs())
        .map_err(|e| reported(json, e.into()))?;
    // Fail on a bad --fallback, or an attachment no candidate can take,
    // before anything is sent.
    let candidates =
        candidates(&route.target, &args.fallback, &prefs).map_err(|e| reported(json, e.into()))?;
    fragments::check_context(&manager, &route.target, &fragments)
        .await
        .map_err(|f| reported(json, f))?;
    // Fragments open the prompt, so they go with it as attachments do.
    let mut attachments = fragments::parts(&fragments);
    attachments.extend(
        attach::load_all(&manager, &args.attach, &candidates).map_err(|f| reported(json, f))?,
    );
    if let Some(notice) = crate::remedy::route_notice(&route) {
        ctx.term.note(&notice);
    }

    let mut messages = loaded
        .as_ref()
        .map(|l| l.messages.clone())
        .unwrap_or_default();
    if let Some(system) = &args.system {
        set_system(&mut messages, Some(system));
    }
    #[cfg(feature = "mcp")]
    let mcp = crate::mcp_chat::McpChat::start(ctx, &args.mcp, json)
        .await
        .map_err(|f| reported(json, f))?;
    let mut recorder = Recorder::new(!args.no_history && prefs.history, ctx.term);
    recorder.store_by_reference(fragments);
    if let Some(l) = &loaded {
        recorder.continue_conversation(l.id);
    }
    let setup = ChatSetup {
        manager,
        prefs,
        route,
        fallback: args.fallback,
        candidates,
        params: Params {
            temperature: args.temperature,
            max_tokens: args.max_tokens,
            top_p: args.top_p,
            stop: args.stop,
            reasoning: args.reasoning_effort,
            tools,
            response_format,
            options,
        },
        messages,
        recorder,
        show_usage: args.usage,
        show_reasoning: !args.no_reasoning,
        attachments,
        #[cfg(feature = "mcp")]
        mcp,
    };
    let output = if args.json {
        Output::Events
    } else if args.schema.is_some() {
        Output::Document
    } else if let Some(held) = held {
        Output::Held(held)
    } else {
        Output::Streamed
    };
    match prompt {
        None => crate::session::run(ctx, setup, loaded.map(|l| l.id)).await,
        Some(prompt) => one_shot(ctx, setup, prompt, output).await,
    }
}

/// Stops the chat's MCP servers (stdio ones are killed and reaped): no
/// child outlives yat, whatever way the chat ended.
#[cfg(feature = "mcp")]
pub async fn stop_tools(setup: &ChatSetup) {
    if let Some(mcp) = &setup.mcp {
        mcp.shutdown().await;
    }
}

#[cfg(not(feature = "mcp"))]
pub async fn stop_tools(_: &ChatSetup) {}

/// `-o`'s pairs as request fields for `target`'s provider, checked against
/// the options it declares for the model (when it is ready to say).
fn model_options(
    manager: &ProviderManager,
    target: &ModelRef,
    pairs: &[(String, String)],
) -> Result<Option<ProviderFields>, YatError> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let declared = manager
        .provider(&target.provider)
        .map(|p| p.model_options(&target.model))
        .unwrap_or_default();
    let fields = yat::options::parse_options(&target.provider, &declared, pairs)?;
    Ok(Some((target.provider.clone(), fields)))
}

/// A failure found before any model was asked, reported as `--json`
/// reports every library error: its error event on stdout (then, as for
/// every failure, the error line on stderr).
fn reported(json: bool, failure: Failure) -> Failure {
    if let (true, Failure::Yat(e)) = (json, &failure) {
        if let Err(output) = render::print_error_event(e) {
            return output;
        }
    }
    failure
}

/// Replaces the system prompt at the head of `messages` (removes it with `None`).
pub fn set_system(messages: &mut Vec<Message>, system: Option<&str>) {
    messages.retain(|m| m.role != Role::System);
    if let Some(s) = system.filter(|s| !s.trim().is_empty()) {
        messages.insert(0, Message::system(s));
    }
}

/// The system prompt at the head of `messages`, if any.
pub fn system_of(messages: &[Message]) -> Option<std::borrow::Cow<'_, str>> {
    messages
        .iter()
        .find(|m| m.role == Role::System)
        .map(|m| m.text())
}

impl ChatSetup {
    /// The tools that run this turn, if any (the servers' lists as they
    /// are now).
    fn tools_in_play(&self) -> Option<ToolsInPlay> {
        #[cfg(feature = "mcp")]
        {
            self.mcp.as_ref().map(crate::mcp_chat::McpChat::tools)
        }
        #[cfg(not(feature = "mcp"))]
        {
            None
        }
    }

    /// One exchange, as both a one-shot chat and a session turn make it:
    /// the prompt (after the answers to any tool calls left pending) is
    /// added to the conversation and the reply streamed; a complete reply
    /// is recorded. The caller keeps the reply in the conversation, or
    /// takes the prompt back.
    pub async fn exchange(
        &mut self,
        ctx: &Ctx,
        attachments: Vec<Part>,
        prompt: &str,
        mode: Mode,
        keep_reply: bool,
    ) -> CmdResult<Outcome> {
        let mut sent: Vec<Message> = tool_calls::answer_pending(&mut self.messages)
            .into_iter()
            .collect();
        let user = prompt_message(attachments, prompt);
        self.messages.push(user.clone());
        sent.push(user);
        let request = self.params.request(self.messages.clone());
        // JSON's start event names the conversation: start it now.
        let early = (mode == Mode::Json)
            .then(|| {
                // Titled as history titles a first exchange: the prompt's
                // own text, or its fragments' when it has none.
                let title = match prompt.trim() {
                    "" => sent
                        .last()
                        .map(|m| m.text().into_owned())
                        .unwrap_or_default(),
                    _ => prompt.to_owned(),
                };
                early_conversation::start(&mut self.recorder, &title, ctx.term)
            })
            .flatten();
        let opts = ReplyOptions {
            mode,
            keep_reply,
            show_usage: self.show_usage,
            show_reasoning: self.show_reasoning,
            conversation: self.recorder.conversation(),
        };
        // No tool to offer (every server failed or is off): a plain reply.
        if let Some(tools) = self.tools_in_play().filter(|t| !t.toolbox.is_empty()) {
            let looped = tool_turn::run(
                &ctx.term,
                &self.manager,
                &self.candidates,
                &request,
                &tools,
                opts,
            )
            .await?;
            if looped.keeps_steps() {
                let system = system_of(&self.messages).map(std::borrow::Cow::into_owned);
                for (i, step) in looped.steps.iter().enumerate() {
                    self.recorder.record(&Record {
                        target: &looped.outcome.target,
                        system: system.as_deref(),
                        sent: if i == 0 { &sent } else { &step.sent },
                        reply: &step.reply,
                        request: &request,
                        duration: step.duration,
                    });
                }
            } else if let Some(id) = early {
                early_conversation::take_back(&mut self.recorder, id, ctx.term);
            }
            return Ok(looped.outcome);
        }
        let started = std::time::Instant::now();
        let outcome =
            render::stream_reply(&ctx.term, &self.manager, &self.candidates, &request, opts).await;
        match &outcome {
            Ok(o) if matches!(o.end, End::Complete) => self.recorder.record(&Record {
                target: &o.target,
                system: system_of(&self.messages).as_deref(),
                sent: &sent,
                reply: &o.reply,
                request: &request,
                duration: started.elapsed(),
            }),
            _ => {
                if let Some(id) = early {
                    early_conversation::take_back(&mut self.recorder, id, ctx.term);
                }
            }
        }
        outcome
    }
}

/// What a one-shot chat prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// The text as it streams.
    Streamed,
    /// JSON events (`--json`).
    Events,
    /// The JSON document, once complete (`--schema`).
    Document,
    /// The text or a code block of it, once complete.
    Held(Held),
}

impl Output {
    fn mode(self) -> Mode {
        match self {
            Output::Streamed => Mode::Text,
            Output::Events => Mode::Json,
            Output::Document | Output::Held(_) => Mode::Document,
        }
    }
}

async fn one_shot(ctx: &Ctx, mut setup: ChatSetup, prompt: String, output: Output) -> CmdResult {
    let attachments = std::mem::take(&mut setup.attachments);
    let mode = output.mode();
    let keep_reply = setup.recorder.is_recording() || mode == Mode::Document;
    let outcome = setup
        .exchange(ctx, attachments, &prompt, mode, keep_reply)
        .await;
    stop_tools(&setup).await;
    let outcome = outcome?;
    let complete = matches!(outcome.end, End::Complete);
    match output {
        Output::Document if complete => {
            structured::emit(&ctx.term, &outcome.target.provider, &outcome.reply)?;
        }
        Output::Held(held) => print_held(held, &outcome.reply.text(), complete)?,
        _ => {}
    }
    match outcome.end {
        End::Complete => Ok(()),
        End::Interrupted => Err(Failure::Interrupted),
        End::Failed(e) => Err(Failure::Yat(e)),
    }
}

/// Prints a held reply: the text whole (what arrived, even when the reply
/// did not complete: nothing is lost), or a code block of a complete reply
/// (the whole text when it has none, as llm does).
fn print_held(held: Held, text: &str, complete: bool) -> CmdResult {
    let shown = match held {
        Held::Text => text.to_owned(),
        _ if !complete => return Ok(()),
        Held::FirstCode | Held::LastCode => {
            code_block::extract(text, held == Held::LastCode).unwrap_or_else(|| text.to_owned())
        }
    };
    if shown.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(shown.as_bytes())?;
    if !shown.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

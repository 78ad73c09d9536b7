//! One run of the suite: the provider, what it claims, what it listed, the
//! report so far, and the chat calls every check makes.

use futures::StreamExt;

use super::{CheckResult, Options, Outcome, Report};
use crate::provider::{Capabilities, LlmProvider};
use crate::types::{
    ChatEvent, ChatRequest, ChatResponse, FinishReason, Message, ModelCapabilities, ModelInfo,
    ResponseBuilder, Usage,
};
use crate::YatError;

pub(super) struct Run<'a> {
    pub p: &'a dyn LlmProvider,
    pub o: &'a Options,
    pub caps: Capabilities,
    pub report: Report,
    /// What `list_models` returned (empty if it failed).
    pub models: Vec<ModelInfo>,
    /// The chat model.
    pub model: String,
}

/// Collected events of one chat, or the error that ended it.
pub(super) struct Transcript {
    pub events: Vec<ChatEvent>,
    pub error: Option<YatError>,
}

impl Transcript {
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
    pub fn usage(&self) -> Option<Usage> {
        self.events.iter().rev().find_map(|e| match e {
            ChatEvent::Usage(u) => Some(*u),
            _ => None,
        })
    }
    pub fn finish_reason(&self) -> Option<FinishReason> {
        match self.events.last() {
            Some(ChatEvent::Finish(f)) => Some(f.reason),
            _ => None,
        }
    }
    /// The reply the events add up to.
    pub fn response(&self) -> ChatResponse {
        let mut b = ResponseBuilder::default();
        for e in &self.events {
            b.push(e.clone());
        }
        b.finish()
    }
}

/// A feature a model's listing may claim, to pick a check's model by.
#[derive(Clone, Copy)]
pub(super) enum Feature {
    Tools,
    Images,
    JsonSchema,
    Reasoning,
}

impl Feature {
    fn claimed_by(self, caps: &ModelCapabilities) -> bool {
        let claim = match self {
            Feature::Tools => caps.tools,
            Feature::Images => caps.images,
            Feature::JsonSchema => caps.json_schema,
            Feature::Reasoning => caps.reasoning,
        };
        claim == Some(true)
    }
}

impl<'a> Run<'a> {
    pub fn new(p: &'a dyn LlmProvider, o: &'a Options) -> Self {
        Run {
            p,
            o,
            caps: p.capabilities(),
            report: Report::default(),
            models: Vec::new(),
            model: String::new(),
        }
    }

    /// Records a check's outcome; a check the options leave out is recorded
    /// as skipped whatever it found.
    pub fn record(&mut self, name: &'static str, outcome: Outcome) {
        let outcome = match self.left_out(name) {
            Some(skipped) => skipped,
            None => outcome,
        };
        self.report.checks.push(CheckResult { name, outcome });
    }

    pub fn left_out(&self, name: &str) -> Option<Outcome> {
        self.o
            .skip
            .iter()
            .any(|s| s == name)
            .then(|| Outcome::Skipped("left out by Options::skip".into()))
    }

    /// Whether a check should not run: left out by the options, or its
    /// capability (`what`) not claimed. Checked before the check's requests
    /// are sent, so a left-out check costs nothing.
    pub fn gate(&self, name: &str, claimed: bool, what: &str) -> Option<Outcome> {
        self.left_out(name)
            .or_else(|| (!claimed).then(|| Outcome::Skipped(format!("{what} not claimed"))))
    }

    /// A request for `model` with the options' prompt.
    pub fn request(&self, model: &str) -> ChatRequest {
        ChatRequest::new(model, vec![Message::user(self.o.prompt.clone())])
    }

    /// The model for a check: the override, else the chat model if its
    /// listing claims `feature`, else the first listed model that claims it,
    /// else the chat model.
    pub fn model_for(&self, chosen: Option<&String>, feature: Feature) -> String {
        if let Some(m) = chosen {
            return m.clone();
        }
        let claims = |m: &&ModelInfo| m.capabilities.is_some_and(|c| feature.claimed_by(&c));
        if self.models.iter().any(|m| m.id == self.model && claims(&m)) {
            return self.model.clone();
        }
        self.models
            .iter()
            .find(claims)
            .map_or_else(|| self.model.clone(), |m| m.id.clone())
    }

    /// Streams one chat to its end within the timeout.
    pub async fn chat(&self, req: &ChatRequest) -> Result<Transcript, String> {
        let work = async {
            let mut s = match self.p.stream_chat(req).await {
                Ok(s) => s,
                Err(e) => {
                    return Transcript {
                        events: vec![],
                        error: Some(e),
                    }
                }
            };
            let mut events = Vec::new();
            while let Some(item) = s.next().await {
                match item {
                    Ok(ev) => events.push(ev),
                    Err(e) => {
                        return Transcript {
                            events,
                            error: Some(e),
                        }
                    }
                }
            }
            Transcript {
                events,
                error: None,
            }
        };
        tokio::time::timeout(self.o.timeout, work)
            .await
            .map_err(|_| format!("no end within {:?}: the stream hangs", self.o.timeout))
    }

    /// Streams one chat that must end well: no error, a finish event last.
    /// `turn` names the request in the failure.
    pub async fn complete(&self, turn: &str, req: &ChatRequest) -> Result<Transcript, String> {
        let t = self.chat(req).await.map_err(|h| format!("{turn}: {h}"))?;
        if let Some(e) = &t.error {
            return Err(format!("{turn}: {} error: {e}", e.kind()));
        }
        if t.finish_reason().is_none() {
            return Err(format!(
                "{turn}: the stream did not end with a finish event (last event {:?})",
                t.events.last()
            ));
        }
        Ok(t)
    }
}

/// A check's result as an outcome.
pub(super) fn verdict(result: Result<(), String>) -> Outcome {
    match result {
        Ok(()) => Outcome::Passed,
        Err(why) => Outcome::Failed(why),
    }
}

//! How to run the suite: which models, which probes, what to leave out.

use std::time::Duration;

use super::CancelProbe;

/// How to run the suite.
///
/// ```
/// # use yat_core::*;
/// # struct Echo;
/// # #[async_trait]
/// # impl LlmProvider for Echo {
/// #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("echo", "e")]) }
/// #     async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
/// #         Ok(stream::from_text("echo", vec!["hi".into()]))
/// #     }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::none() }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use yat_core::testkit::{assert_conformance, Options};
///
/// let options = Options {
///     timeout: Duration::from_secs(5),
///     ..Options::default().model("e")
/// };
/// assert_conformance(&Echo, &options).await;
/// # }
/// ```
///
/// The checks of the 0.2 contract may each use their own model, for
/// providers whose text model cannot call tools or see images. A model left
/// at `None` is chosen from the listing: the chat model if its
/// [`ModelCapabilities`](crate::ModelCapabilities) claim the feature, else
/// the first listed model whose capabilities claim it, else the chat model.
///
/// ```
/// use yat_core::testkit::Options;
/// let options = Options::default()
///     .model("acme-small")
///     .tool_model("acme-tools")
///     .parallel_tool_model("acme-tools-pro")
///     .image_model("acme-vision")
///     .json_model("acme-small")
///     .reasoning_model("acme-think")
///     .usage_details_model("acme-think")
///     .cancel_model("acme-slow")
///     // This API takes reasoning settings but never shows the reasoning.
///     .skip_check("reasoning_round_trip");
/// assert_eq!(options.tool_model.as_deref(), Some("acme-tools"));
/// assert_eq!(options.skip, ["reasoning_round_trip"]);
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// The model to chat with; default: the first streaming model listed.
    pub model: Option<String>,
    /// The prompt for the chat checks.
    pub prompt: String,
    /// A model id the provider certainly does not have.
    pub unknown_model: String,
    /// The longest any single call may take before it counts as a hang.
    pub timeout: Duration,
    /// `(stop sequence, text that must not appear)`: enables the stop check
    /// for providers claiming stop sequences (the reply to `prompt` must
    /// contain the stop sequence without it).
    pub stop_probe: Option<(String, String)>,
    /// The model for `tool_round_trip` (and, unless
    /// `parallel_tool_model` is set,
    /// `parallel_tool_calls`); default: chosen by
    /// the listed `ModelCapabilities::tools`.
    pub tool_model: Option<String>,
    /// The model for `parallel_tool_calls`; default: the tool model.
    pub parallel_tool_model: Option<String>,
    /// The model for `image_input`; default: chosen by
    /// the listed `ModelCapabilities::images`.
    pub image_model: Option<String>,
    /// The model for `json_schema_output`; default: chosen by
    /// the listed `ModelCapabilities::json_schema`.
    pub json_model: Option<String>,
    /// The model for `reasoning_round_trip`; default: chosen by
    /// the listed `ModelCapabilities::reasoning`.
    pub reasoning_model: Option<String>,
    /// The model for `usage_details` (one that reports cache or reasoning
    /// tokens for `prompt`); default: the chat model.
    pub usage_details_model: Option<String>,
    /// The model for `cancel_on_drop`, one whose reply to
    /// [`CANCEL_PROMPT`](super::fixtures::CANCEL_PROMPT) is still streaming
    /// when the kit drops it; default: the chat model.
    pub cancel_model: Option<String>,
    /// What shows `cancel_on_drop` that a dropped stream's upstream is gone
    /// (see [`CancelProbe`]); without one that check is reported as not
    /// applicable.
    pub cancel_probe: Option<CancelProbe>,
    /// Checks to leave out, by name (see [`CHECKS`](super::CHECKS)), for a
    /// capability the provider claims but cannot show here (an API that
    /// takes reasoning settings and never returns the reasoning). They are
    /// reported as skipped, never as passed; a name that is not a check
    /// makes [`run`](super::run) panic.
    pub skip: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            model: None,
            prompt: "Say hello in five words.".into(),
            unknown_model: "yat-conformance-no-such-model".into(),
            timeout: Duration::from_secs(10),
            stop_probe: None,
            tool_model: None,
            parallel_tool_model: None,
            image_model: None,
            json_model: None,
            reasoning_model: None,
            usage_details_model: None,
            cancel_model: None,
            cancel_probe: None,
            skip: Vec::new(),
        }
    }
}

impl Options {
    /// Uses this model for the chat checks.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
    /// Sets the field `tool_model`.
    pub fn tool_model(mut self, model: impl Into<String>) -> Self {
        self.tool_model = Some(model.into());
        self
    }
    /// Sets the field `parallel_tool_model`.
    pub fn parallel_tool_model(mut self, model: impl Into<String>) -> Self {
        self.parallel_tool_model = Some(model.into());
        self
    }
    /// Sets the field `image_model`.
    pub fn image_model(mut self, model: impl Into<String>) -> Self {
        self.image_model = Some(model.into());
        self
    }
    /// Sets the field `json_model`.
    pub fn json_model(mut self, model: impl Into<String>) -> Self {
        self.json_model = Some(model.into());
        self
    }
    /// Sets the field `reasoning_model`.
    pub fn reasoning_model(mut self, model: impl Into<String>) -> Self {
        self.reasoning_model = Some(model.into());
        self
    }
    /// Sets the field `usage_details_model`.
    pub fn usage_details_model(mut self, model: impl Into<String>) -> Self {
        self.usage_details_model = Some(model.into());
        self
    }
    /// Sets the field `cancel_model`.
    pub fn cancel_model(mut self, model: impl Into<String>) -> Self {
        self.cancel_model = Some(model.into());
        self
    }
    /// Sets the field `cancel_probe`.
    pub fn cancel_probe(mut self, probe: CancelProbe) -> Self {
        self.cancel_probe = Some(probe);
        self
    }
    /// Adds a check to the `skip` list.
    pub fn skip_check(mut self, check: impl Into<String>) -> Self {
        self.skip.push(check.into());
        self
    }
}

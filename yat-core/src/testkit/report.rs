//! What the suite found: one named outcome per check.

use std::fmt;

/// The outcome of one check.
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
/// use yat_core::testkit::{run, Options, Outcome};
/// let report = run(&Echo, &Options::default()).await;
/// // Echo claims no optional capability: those checks are skipped, not failed.
/// assert_eq!(report.outcome("list_models"), Some(&Outcome::Passed));
/// assert!(matches!(report.outcome("max_tokens"), Some(Outcome::Skipped(_))));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It held.
    Passed,
    /// Not applicable: the capability is not claimed (or the check was
    /// left out by `Options::skip`).
    Skipped(String),
    /// It did not hold, and why.
    Failed(String),
}

/// One check's name and outcome.
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
/// use yat_core::testkit::{run, Options, CHECKS};
/// let report = run(&Echo, &Options::default()).await;
/// let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
/// assert_eq!(names, CHECKS);
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckResult {
    /// The check.
    pub name: &'static str,
    /// What happened.
    pub outcome: Outcome,
}

/// Every check's outcome.
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
/// use yat_core::testkit::{run, Options};
/// let report = run(&Echo, &Options::default()).await;
/// assert!(report.passed() && report.failures().is_empty());
/// println!("{report}"); // one line per check: ok / skipped (why) / FAILED: why
/// # }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// In the order they ran.
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// The checks that failed.
    pub fn failures(&self) -> Vec<&CheckResult> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
            .collect()
    }
    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }
    /// The names of the checks that were not run (not applicable), in
    /// order.
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
    /// use yat_core::testkit::{run, Options};
    /// let report = run(&Echo, &Options::default()).await;
    /// // It claims nothing optional and gives no cancel probe: everything
    /// // else ran, and passed.
    /// assert!(report.passed());
    /// assert_eq!(report.skipped()[..4], ["usage", "max_tokens", "stop_sequences", "unknown_model_is_typed_error"]);
    /// # }
    /// ```
    pub fn skipped(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
            .map(|c| c.name)
            .collect()
    }
    /// The outcome of the check called `name`.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.outcome)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            match &c.outcome {
                Outcome::Passed => writeln!(f, "  ok      {}", c.name)?,
                Outcome::Skipped(why) => writeln!(f, "  skipped {} ({why})", c.name)?,
                Outcome::Failed(why) => writeln!(f, "  FAILED  {}: {why}", c.name)?,
            }
        }
        Ok(())
    }
}

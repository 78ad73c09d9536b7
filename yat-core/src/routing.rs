//! From what a user typed to a running stream: resolving a model name
//! (alias, `PROVIDER/MODEL`, the default, the built-in mock) and trying a
//! list of models in order until one starts answering.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
//! use yat_core::preferences::Preferences;
//! use yat_core::routing::{resolve_model, stream_with_fallback, ModelSource};
//! use yat_core::{ChatRequest, Message, ProviderManager};
//!
//! let mut prefs = Preferences::default();
//! prefs.set_alias("fast", "acme/small".parse()?)?;
//! let route = resolve_model(Some("fast"), &prefs, &["acme".to_owned()])?;
//! assert_eq!(route.target.to_string(), "acme/small");
//! assert_eq!(route.source, ModelSource::Alias("fast".into()));
//!
//! // With no provider linked, every candidate fails before answering.
//! let manager = ProviderManager::builder().registrations(vec![]).build().await?;
//! let request = ChatRequest::new("", vec![Message::user("Hi")]);
//! let err = stream_with_fallback(&manager, &[route.target], &request).await.unwrap_err();
//! assert_eq!(err.attempts.len(), 1);
//! # Ok(()) }
//! ```

mod by_name;

pub use by_name::{find_listed, resolve_model_listed};

use crate::manager::ProviderManager;
use crate::preferences::Preferences;
use crate::stream::ChatStream;
use crate::types::{ChatRequest, ModelRef};
use crate::YatError;

/// The model used when nothing else names one: the offline mock, which
/// needs no key and no network.
pub const BUILTIN_MODEL: &str = "mock/mock-echo";

/// How a model was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelSource {
    /// Named as `PROVIDER/MODEL`.
    Explicit,
    /// Named by this alias.
    Alias(String),
    /// The configured default model.
    Default,
    /// Nothing named one and no default is set: the built-in mock.
    Builtin,
    /// Named by this bare model name, which one ready provider lists
    /// ([`resolve_model_listed`]).
    Listed(String),
}

/// A resolved model and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// The model.
    pub target: ModelRef,
    /// How it was chosen.
    pub source: ModelSource,
}

impl Route {
    /// `target`, chosen by `source` (for a model that comes from elsewhere,
    /// like a stored conversation's).
    pub fn new(target: ModelRef, source: ModelSource) -> Self {
        Route { target, source }
    }
}

/// Resolves what a user typed into a model, without asking any provider
/// ([`resolve_model_listed`] also finds a bare model name in the
/// providers' listings).
///
/// `input` is an alias or `PROVIDER/MODEL` (aliases win, so an alias can
/// never be shadowed by a provider id). Without `input`: the default model,
/// else [`BUILTIN_MODEL`] when the mock is among `linked` (the ids of the
/// linked providers). Errors are usage mistakes, not provider failures:
/// [`YatError::NoModel`] when nothing names a model (or `input` is blank),
/// [`YatError::InvalidModelRef`] when `input` is neither an alias nor
/// `PROVIDER/MODEL`.
pub fn resolve_model(
    input: Option<&str>,
    prefs: &Preferences,
    linked: &[String],
) -> Result<Route, YatError> {
    if input.is_some_and(|i| i.trim().is_empty()) {
        return Err(YatError::NoModel);
    }
    if let Some(input) = input.map(str::trim) {
        if let Some(target) = prefs.aliases.get(input) {
            return Ok(Route {
                target: target.clone(),
                source: ModelSource::Alias(input.to_owned()),
            });
        }
        return Ok(Route {
            target: input.parse()?,
            source: ModelSource::Explicit,
        });
    }
    if let Some(target) = &prefs.default_model {
        return Ok(Route {
            target: target.clone(),
            source: ModelSource::Default,
        });
    }
    let builtin: ModelRef = BUILTIN_MODEL.parse()?;
    if linked.contains(&builtin.provider) {
        Ok(Route {
            target: builtin,
            source: ModelSource::Builtin,
        })
    } else {
        Err(YatError::NoModel)
    }
}

/// The models to try, in order: `first`, then each of `extra` (aliases or
/// `PROVIDER/MODEL`, as from `--fallback`), then the configured fallbacks;
/// each model once.
pub fn candidates(
    first: &ModelRef,
    extra: &[String],
    prefs: &Preferences,
) -> Result<Vec<ModelRef>, YatError> {
    let mut out = vec![first.clone()];
    let mut push = |m: ModelRef| {
        if !out.contains(&m) {
            out.push(m);
        }
    };
    for e in extra {
        push(resolve_model(Some(e), prefs, &[])?.target);
    }
    for m in &prefs.fallbacks {
        push(m.clone());
    }
    Ok(out)
}

/// One candidate that failed before producing output.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attempt {
    /// The model tried.
    pub target: ModelRef,
    /// Why it did not answer.
    pub error: YatError,
}

/// A stream that started answering, from [`stream_with_fallback`].
#[non_exhaustive]
pub struct Routed {
    /// The model that answered.
    pub target: ModelRef,
    /// Its reply, from its first event.
    pub stream: ChatStream,
    /// The candidates before it that failed, in order.
    pub skipped: Vec<Attempt>,
}

impl std::fmt::Debug for Routed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routed")
            .field("target", &self.target)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

/// No candidate answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FallbackError {
    /// Every candidate tried, in order, with its error. The last one's error
    /// is the one that ended the attempt (it did not allow a fallback, or
    /// there was no candidate left).
    pub attempts: Vec<Attempt>,
}

impl FallbackError {
    /// The error that ended the attempt: [`YatError::NoModel`] when there
    /// was no candidate to try.
    pub fn error(&self) -> YatError {
        match self.attempts.last() {
            Some(a) => a.error.clone(),
            None => YatError::NoModel,
        }
    }
}

impl std::fmt::Display for FallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error())?;
        if self.attempts.len() > 1 {
            let tried: Vec<String> = self.attempts.iter().map(|a| a.target.to_string()).collect();
            write!(f, " (tried {})", tried.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for FallbackError {}

impl From<FallbackError> for YatError {
    fn from(e: FallbackError) -> Self {
        e.error()
    }
}

/// Starts a chat on the first of `candidates` that begins to answer.
///
/// Each candidate goes through [`ProviderManager::chat`], which retries what
/// failed before the first output (the one policy of [`crate::retry`]). A
/// candidate is abandoned for the next one only when that still fails and
/// its error [allows a fallback](YatError::allows_fallback); output is never
/// duplicated or mixed, since nothing of a failed candidate reached the
/// caller. Once a candidate has answered, its stream is the caller's,
/// errors included.
pub async fn stream_with_fallback(
    manager: &ProviderManager,
    candidates: &[ModelRef],
    request: &ChatRequest,
) -> Result<Routed, FallbackError> {
    let mut attempts: Vec<Attempt> = Vec::new();
    for (i, target) in candidates.iter().enumerate() {
        let error = match manager.chat(target, request.clone()).await {
            Ok(stream) => {
                return Ok(Routed {
                    target: target.clone(),
                    stream,
                    skipped: attempts,
                })
            }
            Err(e) => e,
        };
        let stop = i + 1 == candidates.len() || !error.allows_fallback();
        if !stop {
            tracing::info!(model = %target, error = %error, "failed before answering; trying the next model");
        }
        attempts.push(Attempt {
            target: target.clone(),
            error,
        });
        if stop {
            break;
        }
    }
    Err(FallbackError { attempts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefs() -> Preferences {
        let mut p = Preferences::default();
        p.set_alias("fast", ModelRef::new("groq", "llama")).unwrap();
        p
    }

    #[test]
    fn aliases_win_then_explicit_refs() {
        let r = resolve_model(Some("fast"), &prefs(), &[]).unwrap();
        assert_eq!(r.target, ModelRef::new("groq", "llama"));
        assert_eq!(r.source, ModelSource::Alias("fast".into()));
        let r = resolve_model(Some("a/b/c"), &prefs(), &[]).unwrap();
        assert_eq!(r.target, ModelRef::new("a", "b/c"));
        assert_eq!(r.source, ModelSource::Explicit);
        let e = resolve_model(Some("nope"), &prefs(), &[]).unwrap_err();
        assert_eq!(e.kind(), "invalid_model_ref");
    }

    #[test]
    fn no_input_uses_default_then_builtin_mock() {
        let mut p = prefs();
        let mock = vec!["mock".to_owned()];
        let r = resolve_model(None, &p, &mock).unwrap();
        assert_eq!(r.target.to_string(), BUILTIN_MODEL);
        assert_eq!(r.source, ModelSource::Builtin);
        assert!(
            matches!(resolve_model(None, &p, &[]), Err(YatError::NoModel)),
            "no mock linked, nothing to use"
        );
        assert!(
            matches!(resolve_model(Some("  "), &p, &mock), Err(YatError::NoModel)),
            "a blank name names nothing"
        );
        p.default_model = Some(ModelRef::new("x", "y"));
        let r = resolve_model(None, &p, &mock).unwrap();
        assert_eq!(r.target, ModelRef::new("x", "y"));
        assert_eq!(r.source, ModelSource::Default);
    }

    #[test]
    fn candidates_are_first_then_flags_then_configured_without_repeats() {
        let mut p = prefs();
        p.fallbacks = vec![ModelRef::new("c", "3"), ModelRef::new("a", "1")];
        let c = candidates(
            &ModelRef::new("a", "1"),
            &["fast".to_owned(), "b/2".to_owned()],
            &p,
        )
        .unwrap();
        let c: Vec<String> = c.iter().map(ToString::to_string).collect();
        assert_eq!(c, vec!["a/1", "groq/llama", "b/2", "c/3"]);
        assert!(candidates(&ModelRef::new("a", "1"), &["bad".into()], &p).is_err());
    }

    #[test]
    fn no_attempt_at_all_is_no_model() {
        let e = FallbackError { attempts: vec![] };
        assert!(matches!(e.error(), YatError::NoModel));
        assert_eq!(YatError::from(e).kind(), "no_model");
    }
}

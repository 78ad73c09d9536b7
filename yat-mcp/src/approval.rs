//! Asking before a tool runs. The library owns the policy (which calls
//! need asking, what a refusal tells the model); whoever has a user owns
//! the asking: a terminal prompt, a GUI dialog, a web hook.

use futures::future::BoxFuture;
use serde_json::Value;

/// A call about to run that is not allow-listed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApprovalRequest {
    /// The server's name.
    pub server: String,
    /// The tool's name on the server.
    pub tool: String,
    /// The name the model called it by.
    pub exposed_name: String,
    /// The tool's description, as the server gave it.
    pub description: String,
    /// The arguments the model sent.
    pub arguments: Value,
}

/// An approver's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Approval {
    /// Run the call.
    Allow,
    /// Do not run it; the model gets an error result
    /// `refused: REASON` and the loop goes on.
    Deny {
        /// Why, for the model.
        reason: String,
    },
}

impl Approval {
    /// A refusal with this reason.
    pub fn deny(reason: impl Into<String>) -> Self {
        Approval::Deny {
            reason: reason.into(),
        }
    }
    /// The refusal of a user who was asked and said no.
    pub fn denied_by_user() -> Self {
        Approval::deny("the user refused this call")
    }
}

/// Decides whether a call that is not allow-listed may run.
///
/// ```
/// use futures::future::BoxFuture;
/// use yat_mcp::{Approval, ApprovalRequest, Approver};
///
/// /// Allows read-only tools by a naming convention, refuses the rest.
/// struct ReadOnly;
/// impl Approver for ReadOnly {
///     fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
///         Box::pin(async move {
///             if req.tool.starts_with("get_") { Approval::Allow } else { Approval::deny("only get_ tools may run") }
///         })
///     }
/// }
/// ```
pub trait Approver: Send + Sync {
    /// Asks about one call. Calls of one reply run at once, so this may be
    /// called again before an earlier answer is in; an approver that asks
    /// a person should ask one question at a time.
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval>;
}

/// Allows every call (a user who said "yes to all" up front).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl Approver for AllowAll {
    fn approve<'a>(&'a self, _req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async { Approval::Allow })
    }
}

/// Refuses every call that is not allow-listed, without asking anyone: for
/// programs with no user to ask.
#[derive(Debug, Clone, Copy, Default)]
pub struct DenyUnlisted;

/// The reason [`DenyUnlisted`] gives.
pub const NOT_APPROVED: &str = "not approved; no one was asked";

impl Approver for DenyUnlisted {
    fn approve<'a>(&'a self, _req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        Box::pin(async { Approval::deny(NOT_APPROVED) })
    }
}

/// The text of the error result for a refused call.
pub(crate) fn refusal_text(reason: &str) -> String {
    format!("refused: {reason}")
}

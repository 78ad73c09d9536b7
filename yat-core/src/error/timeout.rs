//! The waits a request can run out of.

/// Which wait ran out.
///
/// ```
/// use std::time::Duration;
/// use yat_core::{TimeoutPhase, YatError};
/// let e = YatError::Timeout { provider: "acme".into(), phase: TimeoutPhase::FirstByte, after: Duration::from_secs(30) };
/// assert_eq!(e.to_string(), "acme: timed out waiting for the first byte (after 30s)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for the response to start.
    FirstByte,
    /// Waiting between two pieces of a stream.
    Idle,
    /// The whole request, including retries.
    Total,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::FirstByte => "waiting for the first byte",
            TimeoutPhase::Idle => "waiting for the next event",
            TimeoutPhase::Total => "for the whole request",
        })
    }
}

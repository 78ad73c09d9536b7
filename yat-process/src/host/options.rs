//! The host's waits and limits, and the backoff between restarts of a
//! child that failed.

use std::time::{Duration, Instant, SystemTime};

/// The waits and limits of a [`ProcessProvider`](super::ProcessProvider).
///
/// ```
/// use std::time::Duration;
/// use yat_process::host::HostOptions;
/// let o = HostOptions::default().handshake_timeout(Duration::from_secs(2));
/// assert_eq!(o.handshake, Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostOptions {
    /// How long a new child has to answer `hello` and `initialize`.
    pub handshake: Duration,
    /// How long a request waits for its first message (a chat's first
    /// event, a model list). A child that says nothing for that long is
    /// taken as hung: it is killed and every open request fails.
    pub first_message: Duration,
    /// How long the reader waits for a slow consumer to make room in its
    /// chat's buffer before it gives up on that chat (cancels it, with a
    /// timeout error) so the other chats keep flowing.
    pub consumer_stall: Duration,
    /// Events buffered per chat between the reader and the consumer.
    pub chat_buffer: usize,
    /// How long a child gets to exit after `shutdown` before it is killed.
    pub shutdown_grace: Duration,
    /// The first wait before restarting a child that failed; doubled after
    /// every failure in a row, up to `max_backoff`.
    pub backoff: Duration,
    /// The longest wait between restarts.
    pub max_backoff: Duration,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            handshake: Duration::from_secs(10),
            first_message: Duration::from_secs(300),
            consumer_stall: Duration::from_secs(30),
            chat_buffer: 64,
            shutdown_grace: Duration::from_secs(2),
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl HostOptions {
    /// Sets [`handshake`](Self::handshake).
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.handshake = d;
        self
    }
    /// Sets [`first_message`](Self::first_message).
    pub fn first_message_timeout(mut self, d: Duration) -> Self {
        self.first_message = d;
        self
    }
    /// Sets [`consumer_stall`](Self::consumer_stall).
    pub fn consumer_stall_timeout(mut self, d: Duration) -> Self {
        self.consumer_stall = d;
        self
    }
    /// Sets [`chat_buffer`](Self::chat_buffer) (at least 1).
    pub fn chat_buffer(mut self, events: usize) -> Self {
        self.chat_buffer = events.max(1);
        self
    }
    /// Sets [`shutdown_grace`](Self::shutdown_grace).
    pub fn shutdown_grace(mut self, d: Duration) -> Self {
        self.shutdown_grace = d;
        self
    }
    /// Sets [`backoff`](Self::backoff) and [`max_backoff`](Self::max_backoff).
    pub fn restart_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = first;
        self.max_backoff = max.max(first);
        self
    }
}

/// A failure of the child, kept until a later start succeeds.
#[derive(Debug, Clone)]
pub(crate) struct Failed {
    /// Why, redacted, with the stderr tail.
    pub(crate) reason: String,
    /// The stderr tail alone (redacted).
    pub(crate) stderr: String,
    /// No start before this.
    pub(crate) retry_at: Instant,
    /// The same moment on the wall clock, for reports.
    pub(crate) retry_at_wall: SystemTime,
}

/// Failures in a row and the wait they earn.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    in_a_row: u32,
}

impl Backoff {
    /// Counts one more failure; the wait before the next start.
    pub(crate) fn failed(&mut self, o: &HostOptions) -> Duration {
        let factor = 1u32.checked_shl(self.in_a_row.min(20)).unwrap_or(u32::MAX);
        self.in_a_row = self.in_a_row.saturating_add(1);
        o.backoff.saturating_mul(factor).min(o.max_backoff)
    }
    /// A child served a request: the next failure starts from the first wait.
    pub(crate) fn succeeded(&mut self) {
        self.in_a_row = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_ceiling_and_resets_after_a_success() {
        let o = HostOptions::default()
            .restart_backoff(Duration::from_millis(100), Duration::from_millis(500));
        let mut b = Backoff::default();
        let waits: Vec<u128> = (0..5).map(|_| b.failed(&o).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 500, 500]);
        b.succeeded();
        assert_eq!(b.failed(&o).as_millis(), 100);
    }
}

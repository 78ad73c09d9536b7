//! How `cancel_on_drop` sees a request's upstream go away.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A future the kit awaits (under its timeout) for the upstream to be gone.
pub(super) type Gone = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Tells `cancel_on_drop` when the upstream of a request it dropped is gone.
///
/// The kit arms the probe just before it sends the cancel request, reads one
/// event, drops the stream, and then awaits the future the probe returned:
/// the check passes only if that future resolves within
/// [`Options::timeout`](super::Options::timeout). For an HTTP provider under
/// test against [`fakeserver`](super::fakeserver), [`CancelProbe::fake_server`]
/// watches the server see the client hang up; anything else (a child process,
/// a channel to a worker) writes its own with [`CancelProbe::new`]. Without a
/// probe the check is reported as not applicable, never as passed.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use yat_core::testkit::{CancelProbe, Options};
///
/// // A provider whose worker sets this flag when its request is abandoned.
/// let abandoned = Arc::new(AtomicBool::new(false));
/// let probe = CancelProbe::new(move || {
///     let abandoned = abandoned.clone();
///     abandoned.store(false, Ordering::SeqCst); // armed: a new request
///     async move {
///         while !abandoned.load(Ordering::SeqCst) {
///             tokio::time::sleep(std::time::Duration::from_millis(5)).await;
///         }
///     }
/// });
/// let options = Options::default().cancel_probe(probe);
/// assert!(options.cancel_probe.is_some());
/// ```
#[derive(Clone)]
pub struct CancelProbe {
    arm: Arc<dyn Fn() -> Gone + Send + Sync>,
}

impl CancelProbe {
    /// A probe from `arm`: called right before the cancel request is sent,
    /// it returns a future that resolves once that request's upstream (its
    /// connection, its worker) is gone.
    pub fn new<F, Fut>(arm: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        CancelProbe {
            arm: Arc::new(move || Box::pin(arm())),
        }
    }

    /// Watches `server` see a client go away while it is still answering:
    /// the script must answer the cancel request
    /// ([`fixtures::CANCEL_PROMPT`](super::fixtures::CANCEL_PROMPT)) with a
    /// reply that does not end by itself, e.g. its first event then
    /// [`Action::Stall`](super::fakeserver::Action::Stall).
    pub fn fake_server(server: &super::fakeserver::FakeServer) -> Self {
        let disconnects = server.disconnects();
        CancelProbe::new(move || {
            let disconnects = disconnects.clone();
            let seen = disconnects.count();
            async move { disconnects.past(seen).await }
        })
    }

    pub(super) fn arm(&self) -> Gone {
        (self.arm)()
    }
}

impl fmt::Debug for CancelProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CancelProbe")
    }
}

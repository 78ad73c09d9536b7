//! What a wire format's script is: the fake API, where the provider's base
//! URL points in it, how the kit runs against it, and what it cannot show.

use yat_core::testkit::fakeserver::{RecordedRequest, Route};
use yat_core::testkit::Options;

/// Where the provider's requests go.
pub enum Upstream {
    /// A fake server with these routes; the provider's `base_url` is the
    /// server's URL followed by `base_path`. The cancel probe watches it.
    Fake {
        routes: Vec<Route>,
        base_path: &'static str,
    },
    /// Nowhere: the provider answers in process.
    InProcess,
}

/// A check on every request the server saw during a run.
pub type AfterRun = fn(&[RecordedRequest]) -> Result<(), String>;

/// One wire format's scripted API and how the kit runs against it.
pub struct Script {
    pub upstream: Upstream,
    pub options: Options,
    /// Checks the provider cannot show against this script, and why; they
    /// are reported as not run, and any other check not run fails the test.
    pub not_shown: Vec<(&'static str, &'static str)>,
    /// What the server must have seen, checked after the run.
    pub after: Option<AfterRun>,
}

impl Script {
    /// A script whose provider is pointed at `routes` under `base_path`.
    pub fn fake(routes: Vec<Route>, base_path: &'static str, options: Options) -> Self {
        Script {
            upstream: Upstream::Fake { routes, base_path },
            options,
            not_shown: Vec::new(),
            after: None,
        }
    }
}

/// The stop probe every script honours: asked to stop at `STOP`, the reply
/// ends before it; otherwise the plain reply goes on past it.
pub fn stop_probe() -> Options {
    Options {
        stop_probe: Some((STOP.into(), "after".into())),
        ..Options::default()
    }
}

/// The stop sequence of [`stop_probe`].
pub const STOP: &str = "STOP";

/// The plain reply's text, with the stop sequence and what follows it.
pub const PLAIN_REPLY: &str = "Hello wörld ✓ STOP and after";

/// The plain reply cut at the stop sequence.
pub const STOPPED_REPLY: &str = "Hello wörld ✓ ";

//! # yat-fakeserver
//!
//! A scripted HTTP/1.1 server on 127.0.0.1 for yat's tests and benchmarks.
//! Each [`Route`] answers with [`Response`]s that speak a vendor's wire
//! format byte for byte, cut into the pieces a test asks for
//! ([`Split`]), paced, and ended properly or not ([`Action`], [`Fault`]).
//! The server records every request and counts clients that went away while
//! it was still answering, so a test can prove that dropping a stream
//! really closed the connection.
//!
//! It runs on its own thread with its own runtime, so a test's runtime (of
//! any flavour) only drives the client under test. Dropping the
//! [`FakeServer`] stops it and closes every connection.
//!
//! The same server is the `yat-fakeserver` binary used by `benches/compare.sh`.

mod connection;
mod generate;
mod request;
mod response;
mod route;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

pub use generate::{anthropic_stream, openai_stream, Format, Generated};
pub use request::RecordedRequest;
pub use response::{Action, Fault, Response, Split, Transfer};
pub use route::Route;

/// What the accept loop and the connections share with the test.
pub(crate) struct Shared {
    routes: Vec<Route>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Whether to keep request bodies (a benchmark serving millions of
    /// requests does not want them).
    record: bool,
    disconnects: AtomicUsize,
    disconnected: Notify,
    connections: AtomicUsize,
}

impl Shared {
    pub(crate) fn answer(&self, req: &RecordedRequest) -> Response {
        if self.record {
            self.requests
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(req.clone());
        }
        match self.routes.iter().find(|r| r.matches(req)) {
            Some(route) => route.next(req),
            None => route::not_found(req),
        }
    }

    pub(crate) fn client_went_away(&self) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
        self.disconnected.notify_waiters();
    }
}

/// A running fake server. Dropping it stops the server.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a server on an ephemeral port of 127.0.0.1.
    pub async fn start(routes: Vec<Route>) -> std::io::Result<FakeServer> {
        Self::start_blocking(
            "127.0.0.1:0".parse().expect("literal address"),
            routes,
            true,
        )
    }

    /// Starts a server on `addr` from synchronous code; `record` keeps every
    /// request for [`Self::requests`].
    pub fn start_blocking(
        addr: SocketAddr,
        routes: Vec<Route>,
        record: bool,
    ) -> std::io::Result<FakeServer> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            routes,
            requests: Mutex::new(Vec::new()),
            record,
            disconnects: AtomicUsize::new(0),
            disconnected: Notify::new(),
            connections: AtomicUsize::new(0),
        });
        let (tx, rx) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("yat-fakeserver-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => connection::accept_loop(listener, for_thread, rx).await,
                        Err(e) => eprintln!("yat-fakeserver: {e}"),
                    }
                });
                // Dropping the runtime here cancels every connection task.
            })?;
        Ok(FakeServer {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many times a client went away while the server was still
    /// answering (writing, pacing or stalling).
    pub fn client_disconnects(&self) -> usize {
        self.shared.disconnects.load(Ordering::SeqCst)
    }

    /// Waits until at least one client went away mid-answer; `false` if
    /// none did within `timeout`.
    pub async fn wait_for_client_disconnect(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.disconnected.notified();
            tokio::pin!(notified);
            // Register before checking, so a disconnect in between is seen.
            notified.as_mut().enable();
            if self.client_disconnects() > 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.client_disconnects() > 0;
            }
        }
    }

    /// Blocks the calling thread until the server stops (for the binary).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .field("routes", &self.shared.routes)
            .finish()
    }
}

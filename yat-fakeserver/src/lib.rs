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
//! The same server is the `yat-fakeserver` binary used by `benches/compare.sh`
//! (behind the `cli` feature, so that a library user does not build its
//! argument parser).
//!
//! Provider authors get it through yat-core's `testkit` feature, as
//! `yat_core::testkit::fakeserver`: a script for their own wire format is a
//! [`Route`] whose handler recognises each conformance check's request and
//! answers it as their API would (see `yat_core::testkit`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
//! use yat_fakeserver::{FakeServer, Response, Route};
//! let server = FakeServer::start(vec![
//!     Route::new("GET", "/v1/models").respond(Response::json(200, r#"{"data":[]}"#)),
//!     Route::new("POST", "/v1/chat").handle(|req| match req.json()["model"].as_str() {
//!         Some("m") => Response::sse("data: {\"text\":\"hi\"}\n\n"),
//!         _ => Response::json(404, r#"{"error":"no such model"}"#),
//!     }),
//! ])
//! .await?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! # Ok(()) }
//! ```

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
        self.disconnects().count()
    }

    /// Waits until at least one client went away mid-answer; `false` if
    /// none did within `timeout`.
    pub async fn wait_for_client_disconnect(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.disconnects().past(0))
            .await
            .is_ok()
    }

    /// A handle on the count of clients that went away mid-answer, owned
    /// (no borrow of the server), so a test can give it to code that runs
    /// the client, such as the conformance kit's cancel probe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use tokio::io::AsyncWriteExt;
    /// use yat_fakeserver::{Action, FakeServer, Response, Route};
    ///
    /// let server = FakeServer::start(vec![
    ///     Route::new("POST", "/slow").respond(Response::sse("data: 1\n\n").then(Action::Stall)),
    /// ])
    /// .await?;
    /// let gone = server.disconnects();
    /// let before = gone.count();
    /// let mut client = tokio::net::TcpStream::connect(server.addr()).await?;
    /// client.write_all(b"POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n").await?;
    /// drop(client); // mid-answer: the server is stalling
    /// tokio::time::timeout(Duration::from_secs(5), gone.past(before)).await.unwrap();
    /// assert_eq!(gone.count(), before + 1);
    /// # Ok(()) }
    /// ```
    pub fn disconnects(&self) -> Disconnects {
        Disconnects {
            shared: self.shared.clone(),
        }
    }

    /// Blocks the calling thread until the server stops (for the binary).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The count of clients that went away while a [`FakeServer`] was still
/// answering them; see [`FakeServer::disconnects`]. Cheap to clone.
#[derive(Clone)]
pub struct Disconnects {
    shared: Arc<Shared>,
}

impl Disconnects {
    /// How many clients went away mid-answer so far.
    pub fn count(&self) -> usize {
        self.shared.disconnects.load(Ordering::SeqCst)
    }

    /// Resolves once more than `seen` clients went away mid-answer: read
    /// [`count`](Self::count) before sending a request, drop its reply,
    /// then await this. Never resolves after the server stopped; put a
    /// timeout around it.
    pub async fn past(&self, seen: usize) {
        loop {
            let notified = self.shared.disconnected.notified();
            tokio::pin!(notified);
            // Register before checking, so a disconnect in between is seen.
            notified.as_mut().enable();
            if self.count() > seen {
                return;
            }
            notified.await;
        }
    }
}

impl std::fmt::Debug for Disconnects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disconnects")
            .field("count", &self.count())
            .finish()
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

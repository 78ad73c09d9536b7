//! Running the gateway: the router, a listener whose connections time out
//! when a client stops reading, and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use yat_core::YatError;

use crate::anthropic::Anthropic;
use crate::gateway::Gateway;
use crate::handler;
use crate::openai::OpenAi;

impl Gateway {
    /// The gateway's routes, to serve with [`crate::serve`] or to mount in
    /// a program's own axum server (`Router::nest`, `merge`):
    ///
    /// | route | |
    /// |---|---|
    /// | `POST /v1/chat/completions` | OpenAI Chat Completions, streaming or not |
    /// | `POST /v1/messages` | Anthropic Messages, streaming or not |
    /// | `GET /v1/models` | every ready provider's models (Anthropic's shape with `anthropic-version`) |
    /// | `GET /health` | liveness, no key needed |
    /// | `GET /metrics` | Prometheus text |
    ///
    /// Mounted elsewhere, the routes do everything but what belongs to
    /// the connection: the idle timeout on clients that stop reading and
    /// graceful shutdown are [`crate::serve`]'s.
    pub fn router(self: &Arc<Self>) -> Router {
        let cors_gateway = self.clone();
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin, _| {
                let snap = cors_gateway.snapshot();
                snap.config
                    .cors_origins
                    .iter()
                    .any(|o| o == "*" || o.as_bytes() == origin.as_bytes())
            }))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("request-id"),
                header::RETRY_AFTER,
            ])
            .max_age(Duration::from_secs(600));
        Router::new()
            .route("/v1/chat/completions", post(handler::chat::<OpenAi>))
            .route("/v1/messages", post(handler::chat::<Anthropic>))
            .route("/v1/models", get(handler::models))
            .route("/health", get(handler::health))
            .route("/metrics", get(handler::metrics))
            .fallback(handler::not_found)
            .layer(cors)
            .layer(CatchPanicLayer::new())
            .with_state(self.clone())
    }
}

/// A TCP listener whose connections fail a write that has waited longer
/// than the idle timeout: a client that stops reading is dropped, and with
/// it the upstream request it was streaming.
struct IdleTimeoutListener {
    inner: TcpListener,
    idle: Duration,
}

impl axum::serve::Listener for IdleTimeoutListener {
    type Io = Pin<Box<TimeoutStream<TcpStream>>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Small frames (one token) must go out at once.
                    let _ = stream.set_nodelay(true);
                    let mut stream = TimeoutStream::new(stream);
                    stream.set_write_timeout(Some(self.idle));
                    return (Box::pin(stream), addr);
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Serves `gateway` on `listener` until `shutdown` completes, then stops
/// accepting and lets the streams in flight finish for up to the grace
/// period (`serve.limits.shutdown_grace_secs`) before closing them.
///
/// Every second it also applies edits to the config, `.env` and keys
/// files ([`Gateway::reload`]). Without keys ([`crate::GatewayBuilder::open_access`])
/// it refuses any address but loopback.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), YatError> {
    let addr = listener
        .local_addr()
        .map_err(|e| YatError::io("listener", e.to_string()))?;
    if !gateway.requires_keys() && !addr.ip().is_loopback() {
        return Err(YatError::Config {
            path: "serve.listen".into(),
            line: None,
            column: None,
            message: format!(
                "refusing to serve without keys on {addr}: open access is for loopback addresses only"
            ),
        });
    }
    let limits = gateway.config().limits;
    let reloader = tokio::spawn(reload_loop(Arc::downgrade(&gateway)));
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let app = gateway.router();
    let server = axum::serve(
        IdleTimeoutListener {
            inner: listener,
            idle: limits.idle_timeout(),
        },
        app,
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing streams in flight");
        let _ = stopping_tx.send(());
    });
    let grace = limits.shutdown_grace();
    let result = tokio::select! {
        r = server => r.map_err(|e| YatError::io(addr.to_string(), e.to_string())),
        () = async move {
            if stopping_rx.await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_secs = grace.as_secs(), "streams still open after the grace period; closing them");
            Ok(())
        }
    };
    reloader.abort();
    result
}

async fn reload_loop(gateway: std::sync::Weak<Gateway>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(gateway) = gateway.upgrade() else {
            return;
        };
        if let Err(e) = gateway.reload().await {
            tracing::warn!(error = %e, "configuration change not applied; serving the last good one");
        }
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C): the usual `shutdown` for
/// [`serve`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

//! Running the gateway: the router, connections that time out when a
//! client stops reading, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
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

/// Serves `gateway` on `listener` until `shutdown` completes, then stops
/// accepting and lets the streams in flight finish for up to the grace
/// period (`serve.limits.shutdown_grace_secs`) before closing them.
///
/// Each connection's writes time out after the idle timeout
/// (`serve.limits.idle_timeout_secs`): a client that stops reading is
/// dropped, and with it the upstream request it was streaming.
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
    let app = gateway.router();
    // The connections are this function's own tasks (not detached ones),
    // so that returning closes whatever the grace period did not see end.
    let mut connections = JoinSet::new();
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A client that sends its request head too slowly (slowloris) is
    // dropped like one that stops reading.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small frames (one token) must go out at once.
        let _ = stream.set_nodelay(true);
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.idle_timeout()));
        let service = TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(Box::pin(stream)), service)
            .into_owned();
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
        });
        // Forget the connections that ended.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing streams in flight");
    let grace = limits.shutdown_grace();
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = grace.as_secs(),
            "streams still open after the grace period; closing them"
        );
    }
    connections.shutdown().await;
    reloader.abort();
    Ok(())
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

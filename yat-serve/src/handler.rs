//! The routes: one chat handler written over [`Dialect`], and the small
//! ones (models, health, metrics).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http_body_util::BodyExt;
use yat_core::routing::stream_with_fallback;
use yat_core::{ChatEvent, ResponseBuilder, Role};

use crate::api_error::{ApiError, ErrorKind};
use crate::config::Limits;
use crate::dialect::{prefixed_id, Dialect, Inbound, ReplyMeta};
use crate::exchange::Exchange;
use crate::gateway::Gateway;
use crate::reply_stream::ReplyStream;

/// `POST /v1/chat/completions` and `POST /v1/messages`.
pub(crate) async fn chat<D: Dialect>(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Body,
) -> Response
where
    D::Encoder: Unpin,
{
    let request_id = prefixed_id("req_", 24);
    let mut exchange = Some(Exchange::new(gateway.clone(), D::NAME, request_id.clone()));
    let mut response = match answer::<D>(&gateway, &headers, body, &mut exchange).await {
        Ok(response) => response,
        Err(error) => {
            if let Some(exchange) = exchange.as_mut() {
                exchange.failed(&error, true);
            }
            error_response::<D>(&error)
        }
    };
    set_request_id(response.headers_mut(), &request_id);
    response
}

async fn answer<D: Dialect>(
    gateway: &Arc<Gateway>,
    headers: &HeaderMap,
    body: Body,
    record: &mut Option<Exchange>,
) -> Result<Response, ApiError>
where
    D::Encoder: Unpin,
{
    let exchange = record.as_mut().expect("answer starts with the record");
    let snap = gateway.snapshot();
    let key = gateway.admit(&snap, headers)?;
    exchange.key = Some(key.name.clone());
    let body = read_body(headers, body, &snap.config.limits).await?;
    let Inbound {
        model,
        request,
        stream,
        include_usage,
    } = D::parse(&body)?;
    exchange.asked = Some(model.clone());
    exchange.stream = stream;
    if snap.config.log_prompts {
        exchange.prompt = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.text().into_owned());
    }
    let candidates = gateway.route(&snap, &model)?;
    exchange.provider = Some(candidates[0].provider.clone());
    let slot = if stream {
        Some(gateway.open_stream(&snap)?)
    } else {
        None
    };
    let routed = stream_with_fallback(gateway.manager(), &candidates, &request)
        .await
        .map_err(|e| ApiError::from_yat(&e.error()))?;
    exchange.answered(&routed.target);
    // The client's own name for the model, unless a fallback answered.
    let reply_model = if routed.skipped.is_empty() {
        model
    } else {
        routed.target.to_string()
    };
    let meta = ReplyMeta {
        id: D::reply_id(),
        model: reply_model,
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    let served = HeaderValue::from_str(&routed.target.to_string()).ok();
    let mut response = match slot {
        Some(slot) => {
            let keepalive = snap.config.limits.keepalive();
            // The body owns the record from here: it is written when the
            // stream ends or the client goes away.
            let exchange = record.take().expect("taken once");
            let body = ReplyStream::new(
                routed.stream,
                D::encoder(meta, include_usage),
                exchange,
                slot,
                keepalive,
            );
            let mut r = Response::new(Body::from_stream(body));
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            // Proxies such as nginx buffer responses unless told not to.
            h.insert("x-accel-buffering", HeaderValue::from_static("no"));
            r
        }
        None => {
            let mut reply = ResponseBuilder::default();
            let mut upstream = routed.stream;
            while let Some(event) = upstream.next().await {
                match event {
                    Ok(event) => {
                        if let ChatEvent::Usage(u) = &event {
                            exchange.usage(*u);
                        }
                        reply.push(event);
                    }
                    Err(e) => return Err(ApiError::from_yat(&e)),
                }
            }
            let body = D::reply(&meta, &reply.finish());
            json_response(StatusCode::OK, body)
        }
    };
    if let Some(served) = served {
        response.headers_mut().insert("x-yat-model", served);
    }
    Ok(response)
}

/// Reads the whole body, up to the limit and within the idle timeout.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limits: &Limits,
) -> Result<bytes::Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorKind::RequestTooLarge,
            format!(
                "request body over the gateway's limit of {} bytes",
                limits.max_body_bytes
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, limits.max_body_bytes);
    match tokio::time::timeout(limits.idle_timeout(), limited.collect()).await {
        Err(_) => Err(ApiError::new(
            ErrorKind::RequestTimeout,
            format!(
                "the request body did not arrive within {} s",
                limits.idle_timeout_secs
            ),
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::new(
            ErrorKind::InvalidRequest,
            format!("could not read the request body: {e}"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// An error in `D`'s shape, with `retry-after` when there is a wait.
pub(crate) fn error_response<D: Dialect>(error: &ApiError) -> Response {
    let (status, body) = D::error(error);
    let mut response = json_response(status, body);
    if let Some(wait) = error.retry_after {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Both names clients read a request id from: OpenAI's SDKs read
/// `x-request-id`, Anthropic's `request-id`.
fn set_request_id(headers: &mut HeaderMap, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert("x-request-id", v.clone());
        headers.insert("request-id", v);
    }
}

/// `GET /v1/models`: every ready provider's models, in Anthropic's shape
/// when the client sends `anthropic-version`, else OpenAI's.
pub(crate) async fn models(State(gateway): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    let anthropic = headers.contains_key("anthropic-version");
    let snap = gateway.snapshot();
    if let Err(e) = gateway.admit(&snap, &headers) {
        return if anthropic {
            error_response::<crate::anthropic::Anthropic>(&e)
        } else {
            error_response::<crate::openai::OpenAi>(&e)
        };
    }
    let models = gateway.models().await;
    let body = if anthropic {
        crate::anthropic::models_list(&models)
    } else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        crate::openai::models_list(&models, now)
    };
    json_response(StatusCode::OK, body)
}

/// `GET /health`: the process is up and serving (no key needed).
pub(crate) async fn health() -> Response {
    json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec())
}

/// `GET /metrics`: Prometheus text (a gateway key is needed, as for
/// everything that says what the gateway serves).
pub(crate) async fn metrics(State(gateway): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    let snap = gateway.snapshot();
    if let Err(e) = gateway.admit(&snap, &headers) {
        return error_response::<crate::openai::OpenAi>(&e);
    }
    let mut r = Response::new(Body::from(gateway.metrics.render()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// Any other path: a 404 in OpenAI's shape (the more common client).
pub(crate) async fn not_found() -> Response {
    error_response::<crate::openai::OpenAi>(&ApiError::new(
        ErrorKind::NotFound,
        "no such route: the gateway serves POST /v1/chat/completions, POST /v1/messages, \
         GET /v1/models, GET /health and GET /metrics",
    ))
    .into_response()
}

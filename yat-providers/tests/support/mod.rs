//! What the provider tests (`openai*.rs`, `anthropic*.rs`, `gemini*.rs`,
//! `cohere*.rs`) share: a provider initialized against a fake server
//! ([`Vendor`]), a reply read to its events or to its error, the events
//! expected, and the checks every wire format runs over its vendor's cases
//! ([`checks`], [`wire`]). What a provider's wire format looks like (its
//! transcripts, routes and requests) stays in its own file, as data.

// Each test crate compiles this module on its own and uses a subset of it.
#![allow(dead_code)]

pub mod checks;
mod events;
mod vendor;
pub mod vendors;
pub mod wire;

// Like the functions below, each test crate uses some of these.
#[allow(unused_imports)]
pub use events::*;
pub use vendor::Vendor;

use std::time::Duration;

use futures::StreamExt;
use yat_core::{
    ChatEvent, ChatRequest, ChatResponse, ChatStream, ChatStreamExt, LlmProvider, ResolvedSettings,
    YatError,
};
use yat_fakeserver::{FakeServer, Response, Route};

/// The part of every test key that must never show in an error.
pub const PLANTED: &str = "planted";

/// `provider`, initialized as `id` with the settings `pairs`.
pub async fn initialized<P: LlmProvider>(mut provider: P, id: &str, pairs: &[(&str, &str)]) -> P {
    provider
        .initialize(&ResolvedSettings::from_pairs(id, pairs))
        .await
        .unwrap();
    provider
}

/// `provider`, initialized as `id` with `key` and `base_url`, then the
/// `extra` settings.
pub async fn pointed_at<P: LlmProvider>(
    provider: P,
    id: &str,
    key: &str,
    base_url: &str,
    extra: &[(&str, &str)],
) -> P {
    let mut pairs = vec![("api_key", key), ("base_url", base_url)];
    pairs.extend_from_slice(extra);
    initialized(provider, id, &pairs).await
}

/// The URL of a server that is gone: connecting to it is refused.
pub async fn refused_url() -> String {
    let server = FakeServer::start(vec![]).await.unwrap();
    let url = server.url();
    drop(server);
    url
}

/// A server answering `GET path` with `resp` (a listing, say).
pub async fn serve_get(path: &str, resp: Response) -> FakeServer {
    FakeServer::start(vec![Route::new("GET", path).respond(resp)])
        .await
        .unwrap()
}

/// A server answering `POST path` with `resp`.
pub async fn serve_post(path: &str, resp: Response) -> FakeServer {
    serve_post_in_turn(path, [resp]).await
}

/// A server answering `POST path` with `responses`, one request after
/// another (and with the last again when they run out).
pub async fn serve_post_in_turn(
    path: &str,
    responses: impl IntoIterator<Item = Response>,
) -> FakeServer {
    let route = responses
        .into_iter()
        .fold(Route::new("POST", path), Route::respond);
    FakeServer::start(vec![route]).await.unwrap()
}

/// `resp` with the extra `headers`.
pub fn with_headers(mut resp: Response, headers: &[(&str, &str)]) -> Response {
    for (k, v) in headers {
        resp = resp.header(k, v);
    }
    resp
}

/// A 200 that is a captive portal's login page, not the API's reply.
pub fn captive_portal(content_type: &str) -> Response {
    Response::new(200)
        .header("content-type", content_type)
        .body("<html><body>Please log in to the captive portal</body></html>")
}

/// Every event of the reply to `req`, or the first error.
pub async fn events<P: LlmProvider>(p: &P, req: &ChatRequest) -> Result<Vec<ChatEvent>, YatError> {
    let mut s = p.stream_chat(req).await?;
    let mut out = Vec::new();
    while let Some(ev) = s.next().await {
        out.push(ev?);
    }
    Ok(out)
}

/// The reply to `req` collected whole, or the error inside its stream;
/// the request itself must succeed.
async fn collected<P: LlmProvider>(p: &P, req: &ChatRequest) -> Result<ChatResponse, YatError> {
    p.stream_chat(req).await.unwrap().collect_response().await
}

/// The whole reply to `req`, read to its end.
pub async fn reply<P: LlmProvider>(p: &P, req: &ChatRequest) -> ChatResponse {
    collected(p, req).await.unwrap()
}

/// The error the reply to `req` ends with, whether it comes before the
/// stream starts or inside it.
pub async fn reply_error<P: LlmProvider>(p: &P, req: &ChatRequest) -> YatError {
    match p.stream_chat(req).await {
        Ok(s) => s.collect_response().await.unwrap_err(),
        Err(e) => e,
    }
}

/// The error inside a stream that starts: the request itself succeeds.
pub async fn stream_error<P: LlmProvider>(p: &P, req: &ChatRequest) -> YatError {
    collected(p, req).await.unwrap_err()
}

/// The text of the deltas before the stream's error, and the error. Panics
/// (naming `context`) when the stream finishes or ends without one.
pub async fn text_until_error(s: &mut ChatStream, context: &str) -> (String, YatError) {
    let mut text = String::new();
    loop {
        match s.next().await {
            Some(Ok(ChatEvent::Delta { text: t })) => text.push_str(&t),
            Some(Ok(other)) => panic!("{context}: an errored reply finished: {other:?}"),
            Some(Err(e)) => return (text, e),
            None => panic!("{context}: the stream ended without an error"),
        }
    }
}

/// Asserts that the key shows nowhere in `e`, displayed or debugged.
pub fn assert_no_key(e: &YatError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(PLANTED), "key leaked: {shown}");
}

/// Asserts what an error mapped from an HTTP response carries: its kind,
/// the status, the provider it came from, and no trace of the key.
pub fn assert_http_error(e: &YatError, provider: &str, status: u16, kind: &str) {
    assert_eq!(e.kind(), kind, "{status}: {e}");
    assert_eq!(e.status(), Some(status));
    assert_eq!(e.provider(), Some(provider));
    assert_no_key(e);
}

/// Asserts that `e` is of `kind` and that its message mentions `mentions`.
pub fn assert_error(e: &YatError, kind: &str, mentions: &str) {
    assert_eq!(e.kind(), kind, "{e}");
    assert!(e.to_string().contains(mentions), "{e}");
}

/// Asserts that the client closes its connection to `server` within five
/// seconds; `failure` says what went wrong when it does not.
pub async fn assert_hangs_up(server: &FakeServer, failure: &str) {
    assert!(
        server
            .wait_for_client_disconnect(Duration::from_secs(5))
            .await,
        "{failure}"
    );
}

/// The events a reply streams before its error, and the error (one that
/// comes before the first event is returned by `stream_chat` itself).
/// Nothing may follow the error.
pub async fn events_until_error<P: LlmProvider>(
    p: &P,
    req: &ChatRequest,
) -> (Vec<ChatEvent>, YatError) {
    let mut s = match p.stream_chat(req).await {
        Ok(s) => s,
        Err(e) => return (Vec::new(), e),
    };
    let mut out = Vec::new();
    while let Some(ev) = s.next().await {
        match ev {
            Ok(ev) => out.push(ev),
            Err(e) => {
                assert!(s.next().await.is_none(), "events after the error");
                return (out, e);
            }
        }
    }
    panic!("the stream ended without an error: {out:?}");
}

/// Asserts that `e` is the typed error for tool arguments that are not
/// JSON: from `provider`, naming the call, carrying the raw text.
pub fn assert_invalid_arguments(e: &YatError, provider: &str, id: &str, name: &str, raw: &str) {
    match e {
        YatError::InvalidToolArguments {
            provider: p,
            id: i,
            name: n,
            raw: r,
            ..
        } => {
            assert_eq!(p, provider);
            assert_eq!((i.as_str(), n.as_str()), (id, name));
            assert_eq!(r, raw);
        }
        other => panic!("not invalid tool arguments: {other:?}"),
    }
}

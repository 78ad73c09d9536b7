//! The checks every wire format runs, each over its vendor's cases given
//! as data ([`Cases`]): the documented request, the documented reply however
//! the network cuts it, error bodies, retries before any output, errors and
//! cuts inside the stream, stalls, a dropped stream, and the failures every
//! HTTP provider must type the same way. A vendor's test file builds its
//! `Cases` once and names the checks it runs with [`wire_checks!`]; each
//! check is then a test of that name, and a failing row names itself.

mod cases;

pub use cases::*;

use std::time::{Duration, Instant};

use futures::StreamExt;
use yat_core::LlmProvider;
use yat_fakeserver::{Action, Response};

use super::{
    assert_error, assert_hangs_up, assert_http_error, assert_no_key, captive_portal, events,
    events_until_error, refused_url, reply_error, with_headers,
};

/// One test per check every wire format runs, and per check named after
/// the `;`, each run over the cases `$cases()` returns.
// Only the vendors' main test files run the checks.
#[allow(unused_macros)]
macro_rules! wire_checks {
    ($cases:path $(; $($extra:ident),+)?) => {
        $crate::support::checks::wire_checks!(@each $cases:
            sends_the_documented_request,
            any_split_of_the_stream_gives_the_same_events,
            documented_error_bodies_map_to_typed_errors,
            failures_before_output_are_retried_without_duplicating_output,
            retries_are_bounded,
            errors_in_the_stream_are_typed_and_not_retried,
            truncated_stream_is_an_error_not_a_short_reply,
            dropping_the_stream_closes_the_connection,
            html_page_with_200_is_a_malformed_response,
            connection_refused_is_a_network_error,
            $($($extra),+)?
        );
    };
    (@each $cases:path: $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                $crate::support::checks::$check(&$cases()).await;
            }
        )+
    };
}
#[allow(unused_imports)]
pub(crate) use wire_checks;

/// The documented request goes out as documented, and its reply decodes.
pub async fn sends_the_documented_request<P: LlmProvider>(c: &Cases<P>) {
    let d = c.documented.as_ref().expect("no documented request given");
    let (server, p) = c
        .vendor
        .answering(Response::sse(c.transcript), &d.settings)
        .await;
    assert_eq!(events(&p, &c.request).await.unwrap(), c.events);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, d.path);
    assert!(!r.path.contains(c.vendor.key()), "the key is in the URL");
    for (name, value) in &d.headers {
        assert_eq!(r.header(name), value.as_deref(), "header {name}");
    }
    match &d.body {
        // The bytes, not a reparse: f32 parameters go out as written.
        Body::Text(text) => assert_eq!(r.text(), *text),
        Body::Json(json) => assert_eq!(&r.json(), json),
    }
}

/// However the network cuts a complete reply, it decodes the same.
pub async fn any_split_of_the_stream_gives_the_same_events<P: LlmProvider>(c: &Cases<P>) {
    assert!(!c.replays.is_empty(), "no replays given");
    for r in &c.replays {
        for split in &r.splits {
            let resp = Response::sse(&r.body)
                .split(split.clone())
                .transfer(r.transfer);
            let (_server, p) = c.vendor.answering(resp, &[]).await;
            let expected = r.events.as_ref().unwrap_or(&c.events);
            let got = events(&p, &c.request).await;
            let got = got.unwrap_or_else(|e| panic!("{} {split:?}: {e}", r.name));
            assert_eq!(&got, expected, "{} {split:?}", r.name);
        }
    }
}

/// Each error body maps to its typed error, once, without the key.
pub async fn documented_error_bodies_map_to_typed_errors<P: LlmProvider>(c: &Cases<P>) {
    assert!(!c.errors.is_empty(), "no error cases given");
    for case in &c.errors {
        let resp = with_headers(Response::json(case.status, &case.body), &case.headers);
        let retries = case.max_retries.to_string();
        let (server, p) = c.vendor.answering(resp, &[("max_retries", &retries)]).await;
        let e = events(&p, &c.request).await.unwrap_err();
        assert_http_error(&e, c.vendor.id(), case.status, case.kind);
        let shown = format!("{e} {e:?}");
        for hidden in &c.hidden {
            assert!(!shown.contains(hidden), "{hidden} leaked: {shown}");
        }
        if let Some(wait) = case.retry_after {
            assert_eq!(e.retry_after(), Some(wait), "{}: {e}", case.status);
        }
        if let Some(text) = &case.mentions {
            assert!(e.to_string().contains(text.as_str()), "{e}");
        }
        assert_eq!(server.requests().len(), 1, "{} was retried", case.status);
    }
}

/// Failures before any output are retried by the manager (the request
/// path every program takes), and the reply arrives once.
pub async fn failures_before_output_are_retried_without_duplicating_output<P: LlmProvider>(
    c: &Cases<P>,
) {
    assert!(!c.retries.is_empty(), "no retries given");
    for r in &c.retries {
        let responses = r.failures.iter().cloned();
        let server = c
            .vendor
            .serve_in_turn(responses.chain([Response::sse(c.transcript)]))
            .await;
        let start = Instant::now();
        let got = c
            .vendor
            .through_manager(&server, &[("max_retries", r.max_retries)], &c.request)
            .await;
        assert_eq!(got.unwrap(), c.events, "{}", r.name);
        let took = start.elapsed();
        assert_eq!(server.requests().len(), r.failures.len() + 1, "{}", r.name);
        assert!(took >= r.at_least, "{}: {took:?}", r.name);
        if let Some(limit) = r.within {
            assert!(took < limit, "{}: {took:?}", r.name);
        }
    }
}

/// An error inside the stream is typed, after what came before it, and
/// is not retried: output may have started.
pub async fn errors_in_the_stream_are_typed_and_not_retried<P: LlmProvider>(c: &Cases<P>) {
    assert!(!c.stream_errors.is_empty(), "no stream errors given");
    for s in &c.stream_errors {
        let resp = Response::sse(&s.body);
        let (server, p) = c.vendor.answering(resp, &[("max_retries", "3")]).await;
        let (before, e) = events_until_error(&p, &c.request).await;
        assert_eq!(before, s.before, "{}", s.name);
        assert_error(&e, s.kind, s.mentions);
        if let Some(status) = s.status {
            assert_eq!(e.status(), Some(status), "{}", s.name);
        }
        assert_eq!(server.requests().len(), 1, "{} was retried", s.name);
    }
}

/// A reply cut short is a network error after part of the documented
/// events, never a short reply.
pub async fn truncated_stream_is_an_error_not_a_short_reply<P: LlmProvider>(c: &Cases<P>) {
    assert!(!c.truncations.is_empty(), "no truncations given");
    for t in &c.truncations {
        let (_server, p) = c
            .vendor
            .answering(t.response.clone(), &[("max_retries", "0")])
            .await;
        if !t.may_fail_before_the_stream {
            assert!(p.stream_chat(&c.request).await.is_ok(), "{}", t.name);
        }
        let (before, e) = events_until_error(&p, &c.request).await;
        assert!(before.len() < c.events.len(), "{}: {before:?}", t.name);
        assert_eq!(before, c.events[..before.len()], "{}", t.name);
        if let Some(n) = t.keeps {
            assert_eq!(before.len(), n, "{}: {before:?}", t.name);
        }
        assert_eq!(e.kind(), "network", "{}: {e}", t.name);
        if let Some(text) = t.mentions {
            assert!(e.to_string().contains(text), "{}: {e}", t.name);
        }
    }
}

/// Dropping a stream mid-reply closes its connection.
pub async fn dropping_the_stream_closes_the_connection<P: LlmProvider>(c: &Cases<P>) {
    let head = c.open_head.expect("no open head given");
    let resp = Response::sse(head).then(Action::Stall);
    let (server, p) = c.vendor.answering(resp, &[]).await;
    let mut s = p.stream_chat(&c.request).await.unwrap();
    assert_eq!(s.next().await.unwrap().unwrap(), c.events[0]);
    drop(s);
    assert_hangs_up(&server, "the server never saw the connection close").await;
}

/// A stall before any output times out, and the client hangs up.
pub async fn a_stall_before_any_output_times_out_and_hangs_up<P: LlmProvider>(c: &Cases<P>) {
    let head = c.stall_before_output.expect("no stall head given");
    let resp = Response::sse(head).then(Action::Stall);
    let settings = [("idle_timeout", "0.3"), ("max_retries", "0")];
    let (server, p) = c.vendor.answering(resp, &settings).await;
    let start = Instant::now();
    let e = reply_error(&p, &c.request).await;
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_hangs_up(&server, "the stalled connection was not closed").await;
}

/// A stall after some output times out in the stream, and the client
/// hangs up.
pub async fn a_stall_after_output_times_out_and_hangs_up<P: LlmProvider>(c: &Cases<P>) {
    let (head, n) = c.stall_after_output.expect("no stall head given");
    let resp = Response::sse(head).then(Action::Stall);
    let settings = [("idle_timeout", "0.3"), ("max_retries", "0")];
    let (server, p) = c.vendor.answering(resp, &settings).await;
    let start = Instant::now();
    let mut s = p.stream_chat(&c.request).await.unwrap();
    for expected in &c.events[..n] {
        assert_eq!(&s.next().await.unwrap().unwrap(), expected);
    }
    let e = s.next().await.unwrap().unwrap_err();
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(s.next().await.is_none());
    drop(s);
    assert_hangs_up(&server, "the stalled connection was never closed").await;
}

/// Server errors are retried by the manager only as often as allowed.
pub async fn retries_are_bounded<P: LlmProvider>(c: &Cases<P>) {
    let server = c
        .vendor
        .serve(Response::json(502, "<html>bad gateway</html>"))
        .await;
    let e = c
        .vendor
        .through_manager(&server, &[("max_retries", "2")], &c.request)
        .await
        .unwrap_err();
    assert_error(&e, "server_error", "bad gateway");
    assert_eq!(server.requests().len(), 3);
}

/// A 200 that is a web page (a captive portal's) is no reply.
pub async fn html_page_with_200_is_a_malformed_response<P: LlmProvider>(c: &Cases<P>) {
    for content_type in ["text/html", "text/html; charset=utf-8"] {
        let resp = captive_portal(content_type);
        let (_server, p) = c.vendor.answering(resp, &[("max_retries", "0")]).await;
        let e = events(&p, &c.request).await.unwrap_err();
        assert_error(&e, "malformed_response", "captive portal");
    }
}

/// A server that is not there is a network error, without the key.
pub async fn connection_refused_is_a_network_error<P: LlmProvider>(c: &Cases<P>) {
    let url = refused_url().await;
    let p = c.vendor.at_url(&url, &[("max_retries", "0")]).await;
    let e = events(&p, &c.request).await.unwrap_err();
    assert_eq!(e.kind(), "network", "{e}");
    assert_no_key(&e);
}

//! The checks every wire format runs, each over its vendor's cases given
//! as data ([`Cases`]): the documented request, the documented reply however
//! the network cuts it, error bodies, retries before any output, errors and
//! cuts inside the stream, stalls, a dropped stream, and the failures every
//! HTTP provider must type the same way. A vendor's test file builds its
//! `Cases` once and names the checks it runs with [`wire_checks!`]; each
//! check is then a test of that name, and a failing row names itself.

use std::time::{Duration, Instant};

use futures::StreamExt;
use yat_core::{ChatEvent, ChatRequest, LlmProvider, Message};
use yat_fakeserver::{Action, Response, Split, Transfer};

use super::{
    assert_error, assert_hangs_up, assert_http_error, assert_no_key, captive_portal, events,
    events_until_error, refused_url, reply_error, with_headers, Vendor,
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

/// A vendor's cases for the shared checks: its documented exchange (a
/// request, the reply's transcript and the events it stands for), and the
/// rows each check needs.
pub struct Cases<P> {
    vendor: Vendor<P>,
    request: ChatRequest,
    transcript: &'static str,
    events: Vec<ChatEvent>,
    documented: Option<Documented>,
    replays: Vec<Replay>,
    errors: Vec<ErrorCase>,
    hidden: Vec<&'static str>,
    retries: Vec<Retry>,
    stream_errors: Vec<StreamError>,
    truncations: Vec<Truncation>,
    open_head: Option<&'static str>,
    stall_before_output: Option<&'static str>,
    stall_after_output: Option<(&'static str, usize)>,
}

impl<P: LlmProvider> Cases<P> {
    /// `vendor` answering `request` with `transcript`, which decodes to
    /// `events`.
    pub fn new(
        vendor: Vendor<P>,
        request: ChatRequest,
        transcript: &'static str,
        events: Vec<ChatEvent>,
    ) -> Self {
        Cases {
            vendor,
            request,
            transcript,
            events,
            documented: None,
            replays: Vec::new(),
            errors: Vec::new(),
            hidden: Vec::new(),
            retries: Vec::new(),
            stream_errors: Vec::new(),
            truncations: Vec::new(),
            open_head: None,
            stall_before_output: None,
            stall_after_output: None,
        }
    }

    /// What the documented request looks like on the wire.
    pub fn documented(mut self, documented: Documented) -> Self {
        self.documented = Some(documented);
        self
    }

    /// A body to replay, cut in several ways.
    pub fn replay(mut self, replay: Replay) -> Self {
        self.replays.push(replay);
        self
    }

    /// Error responses and the errors they must map to.
    pub fn errors(mut self, errors: impl IntoIterator<Item = ErrorCase>) -> Self {
        self.errors.extend(errors);
        self
    }

    /// Text from the error bodies that must never show in an error.
    pub fn hidden(mut self, hidden: &'static str) -> Self {
        self.hidden.push(hidden);
        self
    }

    /// Failures before any output, retried to the documented reply.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retries.push(retry);
        self
    }

    /// An error the stream itself carries.
    pub fn stream_error(mut self, error: StreamError) -> Self {
        self.stream_errors.push(error);
        self
    }

    /// A reply cut short.
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.truncations.push(truncation);
        self
    }

    /// A head of the transcript holding its first event, not its end: the
    /// server stalls after it while the caller drops the stream.
    pub fn open_head(mut self, head: &'static str) -> Self {
        self.open_head = Some(head);
        self
    }

    /// A head of the transcript with no output in it, then a stall.
    pub fn stall_before_output(mut self, head: &'static str) -> Self {
        self.stall_before_output = Some(head);
        self
    }

    /// A head of the transcript holding its first `events`, then a stall.
    pub fn stall_after_output(mut self, head: &'static str, events: usize) -> Self {
        self.stall_after_output = Some((head, events));
        self
    }
}

/// The conversation of every vendor's documented request, for `model`:
/// a system prompt and one question.
pub fn say_hello(model: &str) -> ChatRequest {
    ChatRequest::new(
        model,
        vec![Message::system("Be brief."), Message::user("Say hello")],
    )
}

/// The documented request as the server must receive it.
pub struct Documented {
    settings: Vec<(&'static str, &'static str)>,
    path: String,
    headers: Vec<(&'static str, Option<String>)>,
    body: Body,
}

/// A request body as sent: the bytes, or the JSON they parse to.
pub enum Body {
    Text(&'static str),
    Json(serde_json::Value),
}

impl Documented {
    /// Sent to `path` with `body`.
    pub fn new(path: impl Into<String>, body: Body) -> Self {
        Documented {
            settings: Vec::new(),
            path: path.into(),
            headers: Vec::new(),
            body,
        }
    }

    /// The provider is given this setting too.
    pub fn setting(mut self, name: &'static str, value: &'static str) -> Self {
        self.settings.push((name, value));
        self
    }

    /// The request carries this header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, Some(value.into())));
        self
    }

    /// The request does not carry this header.
    pub fn without(mut self, name: &'static str) -> Self {
        self.headers.push((name, None));
        self
    }
}

/// A complete reply body, served cut in each of `splits`.
pub struct Replay {
    name: &'static str,
    body: String,
    transfer: Transfer,
    splits: Vec<Split>,
    events: Option<Vec<ChatEvent>>,
}

impl Replay {
    /// `body` (decoding to the documented events) cut in each of `splits`.
    pub fn new(name: &'static str, body: impl Into<String>, splits: Vec<Split>) -> Self {
        Replay {
            name,
            body: body.into(),
            transfer: Transfer::Chunked,
            splits,
            events: None,
        }
    }

    /// Framed this way instead of chunked.
    pub fn transfer(mut self, transfer: Transfer) -> Self {
        self.transfer = transfer;
        self
    }

    /// Decoding to these events instead of the documented ones.
    pub fn events(mut self, events: Vec<ChatEvent>) -> Self {
        self.events = Some(events);
        self
    }
}

/// The ways every replay is cut: whole, byte by byte, at the given
/// offsets (inside a character, a line end, a marker), in 7-byte pieces,
/// and event by event.
pub fn every_cut(at: Vec<usize>) -> Vec<Split> {
    vec![
        Split::Whole,
        Split::EveryByte,
        Split::At(at),
        Split::Size(7),
        Split::Events,
    ]
}

/// An error response and what it must map to.
pub struct ErrorCase {
    status: u16,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
    kind: &'static str,
    retry_after: Option<Duration>,
    mentions: Option<String>,
    max_retries: u32,
}

impl ErrorCase {
    /// `status` with the JSON `body` is an error of `kind`.
    pub fn new(status: u16, body: impl Into<String>, kind: &'static str) -> Self {
        ErrorCase {
            status,
            body: body.into(),
            headers: Vec::new(),
            kind,
            retry_after: None,
            mentions: None,
            max_retries: 0,
        }
    }

    /// The response carries this header too.
    pub fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The error says to wait this long.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The error's message mentions this.
    pub fn mentions(mut self, text: impl Into<String>) -> Self {
        self.mentions = Some(text.into());
        self
    }

    /// Sent by a provider allowed `n` retries, which must use none.
    pub fn not_retried_within(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
}

/// Failures before any output, then the documented reply.
pub struct Retry {
    name: &'static str,
    max_retries: &'static str,
    failures: Vec<Response>,
    at_least: Duration,
    within: Option<Duration>,
}

impl Retry {
    /// `failures` served in turn to a provider allowed `max_retries`.
    pub fn new(name: &'static str, max_retries: &'static str, failures: Vec<Response>) -> Self {
        Retry {
            name,
            max_retries,
            failures,
            at_least: Duration::ZERO,
            within: None,
        }
    }

    /// The retries wait at least this long in all.
    pub fn at_least(mut self, wait: Duration) -> Self {
        self.at_least = wait;
        self
    }

    /// The reply arrives within this long in all.
    pub fn within(mut self, limit: Duration) -> Self {
        self.within = Some(limit);
        self
    }
}

/// A stream that carries an error: the events before it, and the error.
pub struct StreamError {
    name: &'static str,
    body: String,
    before: Vec<ChatEvent>,
    kind: &'static str,
    mentions: &'static str,
    status: Option<u16>,
}

impl StreamError {
    /// `body` streams the events `before`, then an error of `kind` whose
    /// message mentions `mentions`.
    pub fn new(
        name: &'static str,
        body: impl Into<String>,
        before: Vec<ChatEvent>,
        kind: &'static str,
        mentions: &'static str,
    ) -> Self {
        StreamError {
            name,
            body: body.into(),
            before,
            kind,
            mentions,
            status: None,
        }
    }

    /// The error carries this status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

/// A reply cut short: a network error, never a short reply.
pub struct Truncation {
    name: &'static str,
    response: Response,
    keeps: Option<usize>,
    mentions: Option<&'static str>,
    may_fail_before_the_stream: bool,
}

impl Truncation {
    /// `response` ends before the reply does; the stream starts.
    pub fn new(name: &'static str, response: Response) -> Self {
        Truncation {
            name,
            response,
            keeps: None,
            mentions: None,
            may_fail_before_the_stream: false,
        }
    }

    /// Exactly this many documented events come before the error.
    pub fn keeps(mut self, events: usize) -> Self {
        self.keeps = Some(events);
        self
    }

    /// The error mentions this.
    pub fn mentions(mut self, text: &'static str) -> Self {
        self.mentions = Some(text);
        self
    }

    /// The cut may overtake the output on its way, failing the request.
    pub fn may_fail_before_the_stream(mut self) -> Self {
        self.may_fail_before_the_stream = true;
        self
    }
}

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

/// Failures before any output are retried, and the reply arrives once.
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
        let p = c
            .vendor
            .at(&server, &[("max_retries", r.max_retries)])
            .await;
        let start = Instant::now();
        assert_eq!(
            events(&p, &c.request).await.unwrap(),
            c.events,
            "{}",
            r.name
        );
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

/// Server errors are retried only as often as allowed.
pub async fn retries_are_bounded<P: LlmProvider>(c: &Cases<P>) {
    let resp = Response::json(502, "<html>bad gateway</html>");
    let (server, p) = c.vendor.answering(resp, &[("max_retries", "2")]).await;
    let e = events(&p, &c.request).await.unwrap_err();
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

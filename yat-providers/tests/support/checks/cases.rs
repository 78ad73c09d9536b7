//! The data of the shared checks: a vendor's cases ([`Cases`]) and the
//! kinds of rows they hold, each built by name.

use std::time::Duration;

use yat_core::{ChatEvent, ChatRequest, LlmProvider, Message};
use yat_fakeserver::{Response, Split, Transfer};

use crate::support::Vendor;

/// A vendor's cases for the shared checks: its documented exchange (a
/// request, the reply's transcript and the events it stands for), and the
/// rows each check needs.
pub struct Cases<P> {
    pub(super) vendor: Vendor<P>,
    pub(super) request: ChatRequest,
    pub(super) transcript: &'static str,
    pub(super) events: Vec<ChatEvent>,
    pub(super) documented: Option<Documented>,
    pub(super) replays: Vec<Replay>,
    pub(super) errors: Vec<ErrorCase>,
    pub(super) hidden: Vec<&'static str>,
    pub(super) retries: Vec<Retry>,
    pub(super) stream_errors: Vec<StreamError>,
    pub(super) truncations: Vec<Truncation>,
    pub(super) open_head: Option<&'static str>,
    pub(super) stall_before_output: Option<&'static str>,
    pub(super) stall_after_output: Option<(&'static str, usize)>,
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
    pub(super) settings: Vec<(&'static str, &'static str)>,
    pub(super) path: String,
    pub(super) headers: Vec<(&'static str, Option<String>)>,
    pub(super) body: Body,
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
    pub(super) name: &'static str,
    pub(super) body: String,
    pub(super) transfer: Transfer,
    pub(super) splits: Vec<Split>,
    pub(super) events: Option<Vec<ChatEvent>>,
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
    pub(super) status: u16,
    pub(super) body: String,
    pub(super) headers: Vec<(&'static str, &'static str)>,
    pub(super) kind: &'static str,
    pub(super) retry_after: Option<Duration>,
    pub(super) mentions: Option<String>,
    pub(super) max_retries: u32,
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
    pub(super) name: &'static str,
    pub(super) max_retries: &'static str,
    pub(super) failures: Vec<Response>,
    pub(super) at_least: Duration,
    pub(super) within: Option<Duration>,
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
    pub(super) name: &'static str,
    pub(super) body: String,
    pub(super) before: Vec<ChatEvent>,
    pub(super) kind: &'static str,
    pub(super) mentions: &'static str,
    pub(super) status: Option<u16>,
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
    pub(super) name: &'static str,
    pub(super) response: Response,
    pub(super) keeps: Option<usize>,
    pub(super) mentions: Option<&'static str>,
    pub(super) may_fail_before_the_stream: bool,
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

//! What a provider puts on the wire, as scenario rows: a request, and what
//! the body the server received must hold (the bytes, or values at JSON
//! pointers). One runner sends each row against a canned reply and checks
//! it, naming the row that fails.

use serde_json::Value;
use yat_core::{ChatRequest, LlmProvider};
use yat_fakeserver::RecordedRequest;

use super::Vendor;

/// The short reply a vendor's server answers every request with, and the
/// text it reads as.
pub struct Canned {
    stream: String,
    text: &'static str,
}

impl Canned {
    /// The event stream `stream`, whose text is `text`.
    pub fn new(stream: impl Into<String>, text: &'static str) -> Self {
        Canned {
            stream: stream.into(),
            text,
        }
    }

    /// The one request `vendor` sends for `req` (with the `extra`
    /// settings), after the reply was read whole.
    pub async fn sent<P: LlmProvider>(
        &self,
        vendor: &Vendor<P>,
        req: &ChatRequest,
        extra: &[(&str, &str)],
    ) -> RecordedRequest {
        let (sent, reply) = vendor.exchange(&self.stream, req, extra).await;
        assert_eq!(reply.text(), self.text, "{req:?}");
        sent
    }
}

/// One scenario: a request and what its body must hold.
pub struct Sends {
    name: String,
    request: ChatRequest,
    settings: Vec<(&'static str, &'static str)>,
    expect: Vec<Expect>,
}

enum Expect {
    Text(String),
    Field(&'static str, Option<Value>),
}

impl Sends {
    /// `request`, named `name` in failures.
    pub fn new(name: impl Into<String>, request: ChatRequest) -> Self {
        Sends {
            name: name.into(),
            request,
            settings: Vec::new(),
            expect: Vec::new(),
        }
    }

    /// The provider is given this setting too.
    pub fn setting(mut self, name: &'static str, value: &'static str) -> Self {
        self.settings.push((name, value));
        self
    }

    /// The body is these bytes.
    pub fn text(mut self, body: impl Into<String>) -> Self {
        self.expect.push(Expect::Text(body.into()));
        self
    }

    /// The body holds `value` at the JSON `pointer`.
    pub fn field(mut self, pointer: &'static str, value: Value) -> Self {
        self.expect.push(Expect::Field(pointer, Some(value)));
        self
    }

    /// The body holds nothing at the JSON `pointer`.
    pub fn absent(mut self, pointer: &'static str) -> Self {
        self.expect.push(Expect::Field(pointer, None));
        self
    }
}

/// Sends each row's request to a server answering `canned` and checks its
/// body.
pub async fn assert_sends<P: LlmProvider>(
    vendor: &Vendor<P>,
    canned: &Canned,
    rows: impl IntoIterator<Item = Sends>,
) {
    for row in rows {
        assert!(!row.expect.is_empty(), "{}: nothing to check", row.name);
        let sent = canned.sent(vendor, &row.request, &row.settings).await;
        let body = sent.json();
        for expect in &row.expect {
            match expect {
                Expect::Text(text) => assert_eq!(&sent.text(), text, "{}", row.name),
                Expect::Field(pointer, value) => {
                    assert_eq!(
                        body.pointer(pointer),
                        value.as_ref(),
                        "{}: {pointer}",
                        row.name
                    )
                }
            }
        }
    }
}

//! The vendor APIs the tests serve from the fake server on 127.0.0.1, and
//! how `yat` is pointed at them.

use yat_fakeserver::{anthropic_stream, openai_stream, FakeServer, Response, Route};

use super::{Output, Run, Sandbox};

/// The key every fake-server test gives yat: no output may ever show it
/// (tests look for "planted").
pub const KEY: &str = "sk-test-planted-0123456789";

/// A wire format the fake server speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Api {
    /// OpenAI's chat completions.
    OpenAi,
    /// Anthropic's messages.
    Anthropic,
}

impl Api {
    /// The streaming endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            Api::OpenAi => "/v1/chat/completions",
            Api::Anthropic => "/v1/messages",
        }
    }

    /// A model of this API's bundled provider.
    pub fn model(self) -> &'static str {
        match self {
            Api::OpenAi => "openai/gpt-4o-mini",
            Api::Anthropic => "anthropic/claude-sonnet-4-5",
        }
    }

    /// A complete stream of `pieces` of text, as this API sends it.
    pub fn stream(self, pieces: &[&str]) -> Response {
        Response::sse(&match self {
            Api::OpenAi => openai_stream(pieces),
            Api::Anthropic => anthropic_stream(pieces),
        })
    }

    /// The variables that point the provider at `url` with [`KEY`].
    pub fn env(self, url: &str) -> [(&'static str, String); 2] {
        match self {
            Api::OpenAi => [
                ("OPENAI_API_KEY", KEY.to_owned()),
                ("OPENAI_BASE_URL", format!("{url}/v1")),
            ],
            Api::Anthropic => [
                ("ANTHROPIC_API_KEY", KEY.to_owned()),
                ("ANTHROPIC_BASE_URL", url.to_owned()),
            ],
        }
    }

    /// The variable that sets the provider's retries before the first output.
    pub fn max_retries_var(self) -> &'static str {
        match self {
            Api::OpenAi => "OPENAI_MAX_RETRIES",
            Api::Anthropic => "ANTHROPIC_MAX_RETRIES",
        }
    }
}

/// A fake server on 127.0.0.1 answering `api`'s endpoint with `responses`,
/// one per request in turn, recording every request.
pub fn serve(api: Api, responses: Vec<Response>) -> FakeServer {
    let route = responses
        .into_iter()
        .fold(Route::new("POST", api.path()), Route::respond);
    FakeServer::start_blocking("127.0.0.1:0".parse().unwrap(), vec![route], true).unwrap()
}

/// An Anthropic stream with a redacted thinking block, then text.
pub fn anthropic_redacted_stream() -> String {
    let events = [
        (
            "message_start",
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Done."}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ];
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

/// `yat chat FLAGS... "Hi"` answered by Anthropic (at a fake server) with
/// [`anthropic_redacted_stream`]; it must succeed.
pub fn redacted_reasoning_reply(sb: &Sandbox, flags: &[&str]) -> Output {
    let api = Api::Anthropic;
    let server = serve(api, vec![Response::sse(&anthropic_redacted_stream())]);
    sb.at(api, &server.url())
        .arg("chat")
        .args(flags)
        .args(["--no-history", "-m", api.model(), "Hi"])
        .run()
        .ok()
}

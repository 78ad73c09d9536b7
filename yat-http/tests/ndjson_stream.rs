//! An NDJSON API through the real transport against the local fake server:
//! the body cut at every byte, the content types each framing accepts and
//! refuses, a reply cut before its last line, and the key never shown.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt;
use yat_core::assemble::ReplyState;
use yat_core::{ChatEvent, Finish, FinishReason, Secret, YatError};
use yat_fakeserver::{Action, FakeServer, Response, Route, Split, Transfer};
use yat_http::{
    parse_generic, Framing, HttpOptions, HttpRequest, SseEvent, Step, StreamDecoder, Transport,
};

const KEY: &str = "zk-planted-0123456789";

/// A small NDJSON API: `{"text": "..."}` per piece, `{"done": true}` last.
struct Zeta {
    reply: ReplyState,
}

impl Zeta {
    fn boxed() -> Box<dyn StreamDecoder> {
        Box::new(Zeta {
            reply: ReplyState::new("zeta"),
        })
    }
}

impl StreamDecoder for Zeta {
    fn decode(
        &mut self,
        ev: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let v: serde_json::Value = serde_json::from_str(ev.data)
            .map_err(|e| self.reply.malformed(e.to_string(), ev.data.as_bytes()))?;
        if let Some(text) = v["text"].as_str() {
            out.push_back(ChatEvent::Delta { text: text.into() });
        }
        if v["done"] == true {
            self.reply.finish(Finish::new(FinishReason::Stop, "done"));
            self.reply.complete(out)?;
            return Ok(Step::Done);
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        self.reply.cut(out, "no done line")
    }
}

const BODY: &str =
    "{\"text\":\"Hel\"}\r\n\n{\"text\":\"lo é\"}\n{\"text\":\"!\"}\n{\"done\":true}\n";

fn ndjson(body: &str, content_type: &str) -> Response {
    Response::new(200)
        .header("content-type", content_type)
        .body(body)
        .transfer(Transfer::Chunked)
}

fn transport() -> Transport {
    let options = HttpOptions::default().with_idle_timeout(Duration::from_secs(5));
    Transport::new("zeta", options, parse_generic).redacting(Some(Secret::new(KEY)))
}

fn request(server: &FakeServer) -> HttpRequest {
    HttpRequest::post_json(
        format!("{}/v1/chat", server.url()),
        &serde_json::json!({"p": 1}),
    )
    .unwrap()
    .bearer_auth(&Secret::new(KEY))
}

/// The events of one chat, and the error that ended it.
async fn chat(server: &FakeServer, framing: Framing) -> (Vec<ChatEvent>, Option<YatError>) {
    let mut events = Vec::new();
    let mut stream = match transport()
        .stream(&request(server), framing, Zeta::boxed())
        .await
    {
        Ok(s) => s,
        Err(e) => return (events, Some(e)),
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(ev) => events.push(ev),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

fn text(events: &[ChatEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_ndjson_reply_cut_at_every_byte_streams_whole() {
    let server = FakeServer::start(vec![Route::new("POST", "/v1/chat")
        .respond(ndjson(BODY, "application/x-ndjson").split(Split::EveryByte))])
    .await
    .unwrap();
    let (events, error) = chat(&server, Framing::Ndjson).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text(&events), "Hello é!");
    assert!(
        matches!(events.last(), Some(ChatEvent::Finish(f)) if f.reason == FinishReason::Stop),
        "{events:?}"
    );
    let sent = &server.requests()[0];
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn every_ndjson_media_type_is_accepted_with_its_parameters() {
    for content_type in [
        "application/x-ndjson",
        "application/ndjson; charset=utf-8",
        "application/jsonl",
        "Application/JSON-Seq",
        "application/x-jsonlines",
    ] {
        let body = if content_type.eq_ignore_ascii_case("application/json-seq") {
            BODY.lines()
                .filter(|l| !l.is_empty())
                .map(|l| format!("\x1e{l}\n"))
                .collect()
        } else {
            BODY.to_owned()
        };
        let server = FakeServer::start(vec![
            Route::new("POST", "/v1/chat").respond(ndjson(&body, content_type))
        ])
        .await
        .unwrap();
        let (events, error) = chat(&server, Framing::Ndjson).await;
        assert!(error.is_none(), "{content_type}: {error:?}");
        assert_eq!(text(&events), "Hello é!", "{content_type}");
    }
}

#[tokio::test]
async fn a_body_of_the_other_framing_is_refused_naming_what_was_expected() {
    for (framing, content_type, expected) in [
        (
            Framing::Ndjson,
            "text/event-stream",
            "expected an NDJSON stream",
        ),
        (Framing::Ndjson, "text/html", "expected an NDJSON stream"),
        (
            Framing::Sse,
            "application/x-ndjson",
            "expected an event stream",
        ),
    ] {
        let server = FakeServer::start(vec![
            Route::new("POST", "/v1/chat").respond(ndjson(BODY, content_type))
        ])
        .await
        .unwrap();
        let (events, error) = chat(&server, framing).await;
        assert!(events.is_empty(), "{events:?}");
        match error {
            Some(YatError::MalformedResponse {
                provider, message, ..
            }) => {
                assert_eq!(provider, "zeta");
                assert!(message.starts_with(expected), "{message}");
                assert!(message.contains(content_type), "{message}");
            }
            other => panic!("{content_type}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_json_error_with_a_success_status_is_classified_not_streamed() {
    let server = FakeServer::start(vec![Route::new("POST", "/v1/chat").respond(
        Response::json(
            200,
            &format!(r#"{{"error":{{"message":"bad key {KEY}","type":"invalid_api_key"}}}}"#),
        ),
    )])
    .await
    .unwrap();
    let (_, error) = chat(&server, Framing::Ndjson).await;
    let e = error.expect("an error");
    assert_eq!(e.kind(), "authentication", "{e}");
    assert!(
        !format!("{e} {e:?}").contains("planted"),
        "the key leaked: {e:?}"
    );
}

#[tokio::test]
async fn an_ndjson_reply_cut_before_its_done_line_is_the_typed_error_of_a_cut_reply() {
    let cut = "{\"text\":\"Hel\"}\n{\"text\":\"lo\"}\n";
    for action in [Action::End, Action::Close] {
        let server = FakeServer::start(vec![Route::new("POST", "/v1/chat")
            .respond(ndjson(cut, "application/x-ndjson").then(action))])
        .await
        .unwrap();
        let (events, error) = chat(&server, Framing::Ndjson).await;
        assert_eq!(text(&events), "Hello", "{action:?}");
        assert!(
            !events.iter().any(|e| matches!(e, ChatEvent::Finish(_))),
            "a cut reply looked complete: {events:?}"
        );
        let e = error.unwrap_or_else(|| panic!("{action:?}: the cut reply succeeded"));
        assert_eq!(e.kind(), "network", "{action:?}: {e}");
    }
    // Ended well by the server, the same error the decoder's own
    // `ReplyState::cut` gives.
    let server = FakeServer::start(vec![
        Route::new("POST", "/v1/chat").respond(ndjson(cut, "application/x-ndjson"))
    ])
    .await
    .unwrap();
    let (_, error) = chat(&server, Framing::Ndjson).await;
    let expected = ReplyState::new("zeta")
        .cut(&mut VecDeque::new(), "no done line")
        .unwrap_err();
    assert_eq!(error.unwrap().to_string(), expected.to_string());
}

/// A decoder that forgets to finish: the driver still ends the stream with
/// the typed error, so a third party's slip never looks like a whole reply.
struct Forgetful;

impl StreamDecoder for Forgetful {
    fn decode(
        &mut self,
        ev: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        out.push_back(ChatEvent::Delta {
            text: ev.data.to_owned(),
        });
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, _: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_decoder_that_never_finishes_still_ends_with_the_cut_error() {
    let server =
        FakeServer::start(vec![Route::new("POST", "/v1/chat")
            .respond(ndjson("\"a\"\n\"b\"\n", "application/x-ndjson"))])
        .await
        .unwrap();
    let mut stream = transport()
        .stream(&request(&server), Framing::Ndjson, Box::new(Forgetful))
        .await
        .unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(matches!(&items[2], Err(YatError::Network { provider, .. }) if provider == "zeta"));
}

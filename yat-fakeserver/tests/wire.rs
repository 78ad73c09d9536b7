//! The fake server's own wire behaviour, checked with a raw socket: what
//! the provider tests rely on must really be on the wire.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yat_fakeserver::{
    openai_stream, Action, FakeServer, Fault, Format, Generated, Response, Route, Split,
};

async fn send(server: &FakeServer, method: &str, path: &str, body: &str) -> TcpStream {
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\nContent-Type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// Reads until EOF (or a reset), returning what arrived and whether it
/// ended with a reset.
async fn read_all(s: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("server answered in time")
        {
            Ok(0) => return (out, false),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, true),
        }
    }
}

/// Splits a raw response into its head and the de-chunked body, and says
/// whether the chunked terminator arrived.
fn dechunk(raw: &[u8]) -> (String, Vec<u8>, usize, bool) {
    let text = String::from_utf8_lossy(raw);
    let (head, mut rest) = text.split_once("\r\n\r\n").unwrap();
    let mut body = Vec::new();
    let mut frames = 0;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return (head.to_owned(), body, frames, false);
        };
        let n = usize::from_str_radix(size, 16).unwrap();
        if n == 0 {
            return (head.to_owned(), body, frames, true);
        }
        body.extend_from_slice(&after.as_bytes()[..n]);
        frames += 1;
        rest = &after[n + 2..];
    }
}

#[tokio::test]
async fn every_byte_split_sends_one_chunk_per_byte_then_the_terminator() {
    let transcript = openai_stream(&["Hi", " there"]);
    let server = FakeServer::start(vec![Route::new("POST", "/v1/chat/completions").respond(
        Response::sse(&transcript)
            .split(Split::EveryByte)
            .then(Action::Close),
    )])
    .await
    .unwrap();
    let mut s = send(&server, "POST", "/v1/chat/completions?x=1", "{\"a\":1}").await;
    let (raw, _) = read_all(&mut s).await;
    let (head, body, frames, terminated) = dechunk(&raw);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("content-type: text/event-stream"));
    assert!(head.contains("transfer-encoding: chunked"));
    assert_eq!(body, transcript.as_bytes());
    assert_eq!(frames, transcript.len());
    assert!(!terminated, "Action::Close must not finish the body");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions?x=1");
    assert_eq!(reqs[0].header("CONTENT-TYPE"), Some("application/json"));
    assert_eq!(reqs[0].json()["a"], 1);
}

#[tokio::test]
async fn events_split_and_end_finish_the_chunked_body() {
    let transcript = openai_stream(&["a", "b", "c"]);
    let server = FakeServer::start(vec![
        Route::new("POST", "/c").respond(Response::sse(&transcript).split(Split::Events))
    ])
    .await
    .unwrap();
    let mut s = send(&server, "POST", "/c", "{}").await;
    s.shutdown().await.unwrap();
    let (raw, _) = read_all(&mut s).await;
    let (_, body, frames, terminated) = dechunk(&raw);
    assert_eq!(body, transcript.as_bytes());
    assert_eq!(frames, transcript.matches("\n\n").count());
    assert!(terminated);
}

#[tokio::test]
async fn responses_are_served_in_order_and_the_last_repeats() {
    let server = FakeServer::start(vec![
        Route::new("GET", "/x")
            .respond(Response::json(500, "{}"))
            .respond(Response::json(200, "{\"ok\":true}")),
        Route::prefix("GET", "/h/").handle(|r| Response::json(200, r.path_only())),
    ])
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let mut s = send(&server, "GET", "/x", "").await;
        s.shutdown().await.unwrap();
        let (raw, _) = read_all(&mut s).await;
        statuses.push(String::from_utf8_lossy(&raw[9..12]).into_owned());
    }
    assert_eq!(statuses, ["500", "200", "200"]);

    let mut s = send(&server, "GET", "/h/abc?q", "").await;
    s.shutdown().await.unwrap();
    let (raw, _) = read_all(&mut s).await;
    assert!(String::from_utf8_lossy(&raw).ends_with("\r\n\r\n/h/abc"));

    let mut s = send(&server, "GET", "/nope", "").await;
    s.shutdown().await.unwrap();
    let (raw, _) = read_all(&mut s).await;
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 404"), "{raw}");
    assert!(raw.contains("no route for GET /nope"));
}

#[tokio::test]
async fn reset_before_headers_aborts_the_connection() {
    let server = FakeServer::start(vec![
        Route::new("GET", "/r").respond(Response::new(200).before_headers(Fault::Reset))
    ])
    .await
    .unwrap();
    let mut s = send(&server, "GET", "/r", "").await;
    let (raw, reset) = read_all(&mut s).await;
    assert!(raw.is_empty());
    assert!(reset, "expected a TCP reset");
}

#[tokio::test]
async fn stall_is_held_until_the_client_leaves_and_counted() {
    let server = FakeServer::start(vec![
        Route::new("GET", "/s").respond(Response::sse("data: x\n\n").then(Action::Stall)),
        Route::new("GET", "/b").respond(Response::new(200).before_headers(Fault::Stall)),
    ])
    .await
    .unwrap();
    assert!(
        !server
            .wait_for_client_disconnect(Duration::from_millis(50))
            .await
    );
    let mut s = send(&server, "GET", "/s", "").await;
    let mut buf = [0u8; 1024];
    let mut got = Vec::new();
    while !got.ends_with(b"data: x\n\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    // Nothing more arrives while the server stalls.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf))
            .await
            .is_err()
    );
    drop(s);
    assert!(
        server
            .wait_for_client_disconnect(Duration::from_secs(5))
            .await
    );
    assert_eq!(server.client_disconnects(), 1);

    let s = send(&server, "GET", "/b", "").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(s);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.client_disconnects() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.client_disconnects(), 2);
}

#[tokio::test]
async fn generated_streams_are_the_transcript_in_batches() {
    for format in [Format::OpenAi, Format::Anthropic] {
        let g = Generated::new(format, 20_000);
        let server = FakeServer::start(vec![
            Route::new("POST", "/g").respond(Response::generated(g.clone()))
        ])
        .await
        .unwrap();
        let mut s = send(&server, "POST", "/g", "{}").await;
        s.shutdown().await.unwrap();
        let (raw, _) = read_all(&mut s).await;
        let (_, body, frames, terminated) = dechunk(&raw);
        assert!(terminated);
        assert_eq!(body, g.to_bytes());
        assert!(frames < 100, "{frames} writes for a 20,000-chunk stream");
    }
}

#[tokio::test]
async fn paced_generated_streams_write_one_event_at_a_time() {
    let g = Generated::new(Format::Anthropic, 3);
    let server = FakeServer::start(vec![Route::new("POST", "/g")
        .respond(Response::generated(g.clone()).pace(Duration::from_millis(1)))])
    .await
    .unwrap();
    // No half-close here: while pacing, the server takes EOF from the
    // client as the client leaving.
    let mut s = send(&server, "POST", "/g", "{}").await;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !raw.ends_with(b"0\r\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0);
        raw.extend_from_slice(&buf[..n]);
    }
    let (_, body, frames, _) = dechunk(&raw);
    assert_eq!(body, g.to_bytes());
    assert_eq!(frames, g.events());
}

#[tokio::test]
async fn a_client_asking_for_connection_close_gets_it_after_the_answer() {
    let server = FakeServer::start(vec![
        Route::new("GET", "/m").respond(Response::json(200, "{\"ok\":true}"))
    ])
    .await
    .unwrap();
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"GET /m HTTP/1.1\r\nhost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    // The client does not half-close: the end of the body is the server's.
    let (raw, reset) = read_all(&mut s).await;
    assert!(!reset);
    assert!(String::from_utf8_lossy(&raw).ends_with("{\"ok\":true}"));
    // A client that was answered in full did not go away mid-answer.
    assert_eq!(server.client_disconnects(), 0);
}

#[tokio::test]
async fn the_disconnect_handle_counts_only_clients_gone_mid_answer() {
    let server = FakeServer::start(vec![
        Route::new("POST", "/slow").respond(Response::sse("data: 1\n\n").then(Action::Stall)),
        Route::new("POST", "/quick").respond(Response::sse("data: 1\n\n")),
    ])
    .await
    .unwrap();
    let gone = server.disconnects();
    let mut quick = send(&server, "POST", "/quick", "").await;
    quick.shutdown().await.unwrap();
    read_all(&mut quick).await;
    drop(quick);
    assert_eq!(gone.count(), 0);
    let slow = send(&server, "POST", "/slow", "").await;
    drop(slow);
    tokio::time::timeout(Duration::from_secs(5), gone.past(0))
        .await
        .expect("the stalled answer saw its client go");
    assert_eq!(server.client_disconnects(), 1);
}

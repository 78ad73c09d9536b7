//! A fake Acme Chat server on 127.0.0.1: just enough HTTP/1.1 to serve the
//! API the provider speaks, so the provider runs end to end with no network.
//!
//! Behaviour: the key must be `test-key`; the reply echoes the last `human`
//! turn, one word per token, honouring `max_tokens` and `stop`; model
//! `acme-slow` streams its words 20 ms apart, forever-ish, so a test can
//! drop it mid-reply; `acme-busy` answers 429 with `Retry-After: 2`.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const KEY: &str = "test-key";

/// A running fake server. Dropping it does not stop it; tests are short.
pub struct FakeAcme {
    pub base_url: String,
    /// Streams whose client went away before the reply ended.
    pub disconnects: Arc<AtomicUsize>,
}

pub async fn start() -> FakeAcme {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let disconnects = Arc::new(AtomicUsize::new(0));
    let counter = disconnects.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let _ = serve(sock, counter).await;
            });
        }
    });
    FakeAcme {
        base_url: format!("http://{addr}"),
        disconnects,
    }
}

struct Request {
    method: String,
    path: String,
    key: Option<String>,
    body: Vec<u8>,
}

async fn read_request(sock: &mut TcpStream) -> std::io::Result<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let mut length = 0;
    let mut key = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "x-acme-key" => key = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Request {
        method,
        path,
        key,
        body,
    })
}

async fn respond_json(
    sock: &mut TcpStream,
    status: &str,
    extra: &str,
    body: Value,
) -> std::io::Result<()> {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body.as_bytes()).await
}

fn error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

async fn serve(mut sock: TcpStream, disconnects: Arc<AtomicUsize>) -> std::io::Result<()> {
    let req = read_request(&mut sock).await?;
    if req.key.as_deref() != Some(KEY) {
        return respond_json(
            &mut sock,
            "401 Unauthorized",
            "",
            error("invalid_key", "the X-Acme-Key header is missing or wrong"),
        )
        .await;
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/v1/models") => respond_json(
            &mut sock,
            "200 OK",
            "",
            json!({"data": [
                {"name": "acme-1", "label": "Acme One", "context_window": 16384, "max_reply": 2048},
                {"name": "acme-slow", "label": "Acme Slow"}
            ]}),
        )
        .await,
        ("POST", "/v1/chat") => chat(sock, &req.body, disconnects).await,
        _ => {
            respond_json(
                &mut sock,
                "404 Not Found",
                "",
                error("not_found", "no route"),
            )
            .await
        }
    }
}

async fn chat(
    mut sock: TcpStream,
    body: &[u8],
    disconnects: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return respond_json(
            &mut sock,
            "400 Bad Request",
            "",
            error("bad_json", "body is not JSON"),
        )
        .await;
    };
    let model = req["model"].as_str().unwrap_or_default();
    let slow = match model {
        "acme-1" => false,
        "acme-slow" => true,
        "acme-busy" => {
            return respond_json(
                &mut sock,
                "429 Too Many Requests",
                "retry-after: 2\r\n",
                error("slow_down", "too many requests"),
            )
            .await
        }
        other => {
            return respond_json(
                &mut sock,
                "404 Not Found",
                "",
                error("unknown_model", &format!("no model named {other:?}")),
            )
            .await
        }
    };
    let conversation = req["conversation"].as_array().cloned().unwrap_or_default();
    let prompt = conversation
        .iter()
        .rev()
        .find(|t| t["from"] == "human")
        .and_then(|t| t["text"].as_str())
        .unwrap_or_default()
        .to_owned();
    let input_tokens: usize = conversation
        .iter()
        .filter_map(|t| t["text"].as_str())
        .map(|t| t.split_whitespace().count())
        .sum();

    let mut text = prompt.as_str();
    let mut reason = "complete";
    let stops = req["stop"].as_array().cloned().unwrap_or_default();
    if let Some(pos) = stops
        .iter()
        .filter_map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s))
        .min()
    {
        text = &text[..pos];
        reason = "stop_sequence";
    }
    let mut words: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
    if slow {
        // Long enough that only a client that stays would see the end.
        words = words.into_iter().cycle().take(500).collect();
    }
    if let Some(max) = req["max_tokens"].as_u64() {
        if words.len() as u64 > max {
            words.truncate(max as usize);
            reason = "length";
        }
    }

    sock.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\nconnection: close\r\n\r\n",
    )
    .await?;
    for w in &words {
        let line = format!("{}\n", json!({"type": "chunk", "text": w}));
        if sock.write_all(line.as_bytes()).await.is_err() {
            disconnects.fetch_add(1, Ordering::SeqCst);
            return Ok(());
        }
        if slow {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let done = json!({"type": "done", "reason": reason, "tokens": {"in": input_tokens, "out": words.len()}});
    sock.write_all(format!("{done}\n").as_bytes()).await?;
    sock.shutdown().await
}

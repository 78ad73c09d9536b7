//! One streaming request, read frame by frame and checked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::Args;

/// What one successful stream measured.
pub(crate) struct Outcome {
    pub ttfb: Duration,
    pub total: Duration,
    pub chunks: usize,
}

/// The parts of a `chat.completion.chunk` this checks.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

/// Reads a body as SSE: `data:` lines gathered into events, which end at a
/// blank line; comments (keep-alives) and other fields are skipped.
#[derive(Default)]
pub(crate) struct SseReader {
    pending: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
}

impl SseReader {
    /// Feeds bytes; calls `event` with each complete event's data.
    pub(crate) fn feed(
        &mut self,
        bytes: &[u8],
        mut event: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(n) = memchr_newline(&self.pending[start..]) {
            let mut line = &self.pending[start..start + n];
            start += n + 1;
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if line.is_empty() {
                if self.has_data {
                    event(&self.data)?;
                    self.data.clear();
                    self.has_data = false;
                }
            } else if let Some(value) = line.strip_prefix(b"data:") {
                let value = value.strip_prefix(b" ").unwrap_or(value);
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// Whether everything fed ended at an event boundary.
    pub(crate) fn at_boundary(&self) -> bool {
        self.pending.is_empty() && !self.has_data
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// What a stream must carry, and where to send it.
pub(crate) struct Target {
    client: reqwest::Client,
    url: String,
    body: bytes::Bytes,
    key: Option<String>,
    expected: String,
    timeout: Duration,
}

impl Target {
    pub(crate) fn new(args: &Args, url: &str) -> Arc<Target> {
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .expect("an HTTP client");
        let body = json!({
            "model": args.model,
            "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "hi"}],
        });
        Arc::new(Target {
            client,
            url: url.to_owned(),
            body: serde_json::to_vec(&body).expect("JSON").into(),
            key: args.key.clone(),
            expected: args.token.repeat(args.chunks),
            timeout: args.timeout,
        })
    }

    /// One streaming request, read to its end and checked.
    pub(crate) async fn stream(&self) -> Result<Outcome, String> {
        match tokio::time::timeout(self.timeout, self.stream_unbounded()).await {
            Ok(r) => r,
            Err(_) => Err(format!("no end within {:?}", self.timeout)),
        }
    }

    async fn stream_unbounded(&self) -> Result<Outcome, String> {
        let started = Instant::now();
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(self.body.clone());
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(format!(
                "status {}: {}",
                status.as_u16(),
                text.chars().take(200).collect::<String>()
            ));
        }
        let mut body = response.bytes_stream();
        let mut ttfb = None;
        let mut sse = SseReader::default();
        let mut text = String::with_capacity(self.expected.len());
        let (mut chunks, mut done, mut finished) = (0usize, false, false);
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(|e| format!("body read failed: {}", error_chain(&e)))?;
            if piece.is_empty() {
                continue;
            }
            ttfb.get_or_insert_with(|| started.elapsed());
            sse.feed(&piece, |data| {
                if done {
                    return Err("an event after data: [DONE]".into());
                }
                if data == b"[DONE]" {
                    done = true;
                    return Ok(());
                }
                let chunk: Chunk = serde_json::from_slice(data)
                    .map_err(|e| format!("not a chunk ({e}): {}", String::from_utf8_lossy(data)))?;
                if let Some(error) = chunk.error {
                    return Err(format!("in-stream error: {error}"));
                }
                for choice in chunk.choices {
                    if let Some(content) = choice.delta.and_then(|d| d.content) {
                        if !content.is_empty() {
                            chunks += 1;
                            text.push_str(&content);
                        }
                    }
                    finished |= choice.finish_reason.is_some();
                }
                Ok(())
            })?;
        }
        let total = started.elapsed();
        if !done {
            return Err("the stream ended without data: [DONE]".into());
        }
        if !sse.at_boundary() {
            return Err("bytes after the last event".into());
        }
        if !finished {
            return Err("no finish_reason in the stream".into());
        }
        if text != self.expected {
            return Err(format!(
                "wrong text: {} bytes in {chunks} chunks, expected {} bytes",
                text.len(),
                self.expected.len()
            ));
        }
        Ok(Outcome {
            ttfb: ttfb.unwrap_or(total),
            total,
            chunks,
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

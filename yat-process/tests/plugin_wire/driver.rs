//! The test driver: the reference plugin as a real child on real pipes,
//! and what the linked mock produces for comparison.

use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use yat_core::{ChatRequest, LlmProvider, ResolvedSettings, ToolSpec};
use yat_process::protocol::{ErrorObject, HostMessage, LineReader, PluginMessage};
use yat_providers::mock::MockProvider;

/// Long enough for a loaded CI machine; a hang fails instead of blocking.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

pub(crate) struct Plugin {
    pub(crate) child: Child,
    pub(crate) stdin: Option<ChildStdin>,
    out: LineReader<BufReader<ChildStdout>>,
}

impl Plugin {
    pub(crate) fn start() -> Plugin {
        Self::start_with(
            Command::new(env!("CARGO_BIN_EXE_yat-provider")).args(["--provider", "mock"]),
        )
    }

    pub(crate) fn start_with(cmd: &mut Command) -> Plugin {
        let mut child = cmd
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the reference plugin");
        let stdin = child.stdin.take();
        let out = LineReader::new(BufReader::new(child.stdout.take().unwrap()));
        Plugin { child, stdin, out }
    }

    /// Started, greeted and initialized with `settings`.
    pub(crate) async fn ready(settings: Value) -> Plugin {
        let mut p = Plugin::start();
        p.send(&json!({"op": "hello", "protocol": [1], "host": "test"}))
            .await;
        assert_eq!(p.recv().await["op"], "hello");
        p.send(&json!({"op": "initialize", "id": "init", "settings": settings}))
            .await;
        assert_eq!(p.recv_raw().await, r#"{"op":"result","id":"init"}"#);
        p
    }

    pub(crate) async fn send_raw(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
        stdin.flush().await.unwrap();
    }

    pub(crate) async fn send(&mut self, msg: &Value) {
        self.send_raw(msg.to_string().as_bytes()).await;
    }

    pub(crate) async fn recv_raw(&mut self) -> String {
        let line = tokio::time::timeout(WAIT, self.out.next_line())
            .await
            .expect("the plugin answers in time")
            .expect("a readable line")
            .expect("a line, not the end of the output");
        String::from_utf8(line.to_vec()).unwrap()
    }

    pub(crate) async fn recv(&mut self) -> Value {
        serde_json::from_str(&self.recv_raw().await).unwrap()
    }

    /// Every line for `id` up to and including its terminator, as sent.
    pub(crate) async fn collect(&mut self, id: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.recv_raw().await;
            let msg = PluginMessage::decode(line.as_bytes()).unwrap();
            if msg.id() != Some(id) {
                panic!("a line for another request: {line}");
            }
            let end = msg.is_terminator();
            lines.push(line);
            if end {
                return lines;
            }
        }
    }

    pub(crate) async fn exit_code(mut self) -> Option<i32> {
        drop(self.stdin.take());
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the plugin exits in time")
            .unwrap();
        status.code()
    }

    pub(crate) async fn stderr(mut self) -> String {
        use tokio::io::AsyncReadExt;
        drop(self.stdin.take());
        let mut err = String::new();
        let mut pipe = self.child.stderr.take().unwrap();
        tokio::time::timeout(WAIT, pipe.read_to_string(&mut err))
            .await
            .unwrap()
            .unwrap();
        err
    }
}

/// What the same provider, linked in, streams for `request`: the plugin's
/// lines for chat `id` must be exactly these.
pub(crate) async fn linked_lines(
    settings: &[(&str, &str)],
    id: &str,
    request: &ChatRequest,
) -> Vec<String> {
    let mut mock = MockProvider::default();
    mock.initialize(&ResolvedSettings::from_pairs("mock", settings))
        .await
        .unwrap();
    let mut lines = Vec::new();
    let line = |msg: PluginMessage| {
        let mut buf = Vec::new();
        msg.encode(&mut buf).unwrap();
        buf.pop();
        String::from_utf8(buf).unwrap()
    };
    let error = |e| PluginMessage::Error {
        id: Some(id.into()),
        error: ErrorObject::from_yat(&e),
    };
    match mock.stream_chat(request).await {
        Err(e) => lines.push(line(error(e))),
        Ok(mut stream) => loop {
            match stream.next().await {
                Some(Ok(event)) => lines.push(line(PluginMessage::Event {
                    id: id.into(),
                    event,
                })),
                Some(Err(e)) => break lines.push(line(error(e))),
                None => break lines.push(line(PluginMessage::End { id: id.into() })),
            }
        },
    }
    lines
}

pub(crate) fn chat_line(id: &str, request: &ChatRequest) -> Vec<u8> {
    let mut buf = Vec::new();
    HostMessage::encode_chat(id, request, &mut buf).unwrap();
    buf.pop();
    buf
}

pub(crate) fn weather_tool() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "Weather in a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

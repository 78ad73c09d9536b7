//! The Python plugins run by the real host (`ProcessProvider`) as real
//! children: the reference OpenAI-compatible plugin against yat's fake
//! OpenAI server on 127.0.0.1, and the minimal plugin of
//! docs/PROCESS-PLUGINS.md, taken from the page as it is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt as _;
use yat_core::testkit::fakeserver::{openai_stream, Action, FakeServer, Response, Route, Split};
use yat_core::{
    ChatRequest, ChatStreamExt as _, FinishReason, LlmProvider, Message, ResolvedSettings,
    ToolSpec, YatError,
};
use yat_process::host::{HostOptions, PluginCommand, ProcessProvider};

const KEY: &str = "sk-python-plugin-test-98765";

/// The interpreter itself, not a version manager's shim.
fn python() -> PathBuf {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn openai_compat() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/python/yat-provider-openai-compat")
}

const TOOL_STREAM: &str = concat!(
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\" \\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":7,\"total_tokens\":27}}\n\n",
    "data: [DONE]\n\n",
);

async fn server() -> FakeServer {
    FakeServer::start(vec![
        Route::new("GET", "/v1/models").respond(Response::json(
            200,
            r#"{"object":"list","data":[{"id":"gpt-x","object":"model"},{"id":"gpt-y","object":"model"}]}"#,
        )),
        Route::new("POST", "/v1/chat/completions").handle(|req| {
            match req.json()["model"].as_str() {
                Some("text") => Response::sse(&openai_stream(&["Hel", "lo ", "wor", "ld"])).split(Split::Events),
                Some("tools") => Response::sse(TOOL_STREAM).split(Split::EveryByte),
                Some("limited") => Response::json(429, r#"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#)
                    .header("retry-after", "2"),
                Some("bad-key") => Response::json(401, &format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#)),
                // The first piece, then nothing until the client goes away.
                _ => Response::sse(
                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"only\"},\"finish_reason\":null}]}\n\n",
                )
                .then(Action::Stall),
            }
        }),
    ])
    .await
    .unwrap()
}

async fn provider(server: &FakeServer) -> ProcessProvider {
    let command = PluginCommand::new(
        "openai-compat",
        python(),
        vec![openai_compat().display().to_string()],
    );
    let mut p = ProcessProvider::new(command, HostOptions::default());
    let base = format!("{}/v1", server.url());
    p.initialize(&ResolvedSettings::from_pairs(
        "openai-compat",
        &[("base_url", &base), ("api_key", KEY)],
    ))
    .await
    .unwrap();
    p
}

fn ask(model: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user("hi")])
}

#[tokio::test]
async fn the_openai_compatible_plugin_streams_text_and_tool_calls_through_the_host() {
    let server = server().await;
    let p = provider(&server).await;

    let models = p.list_models().await.unwrap();
    assert_eq!(
        models.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["gpt-x", "gpt-y"]
    );
    assert!(models.iter().all(|m| m.provider == "openai-compat"));

    let reply = p
        .stream_chat(&ask("text"))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(reply.text(), "Hello world");
    assert_eq!(reply.finish.unwrap().reason, FinishReason::Stop);
    let usage = reply.usage.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (9, 4));

    let req = ask("tools").tool(ToolSpec::new(
        "get_weather",
        "Weather",
        serde_json::json!({"type": "object"}),
    ));
    let reply = p
        .stream_chat(&req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    let calls: Vec<_> = reply.tool_calls().collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].id.as_str(), calls[0].name.as_str()),
        ("call_1", "get_weather")
    );
    assert_eq!(calls[0].arguments, serde_json::json!({"city": "Paris"}));
    assert_eq!(reply.finish.unwrap().reason, FinishReason::ToolCalls);

    // The key reached the server as a bearer token, and the tools as functions.
    let sent = server.requests();
    let last = sent.last().unwrap();
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(last.json()["tools"][0]["function"]["name"], "get_weather");
    // One child served all of it.
    assert_eq!(p.starts(), 1);
}

/// The error a request fails with before any event: returned by
/// `stream_chat` or as the stream's first item.
async fn failure(p: &ProcessProvider, req: &ChatRequest) -> YatError {
    match p.stream_chat(req).await {
        Err(e) => e,
        Ok(mut s) => match s.next().await {
            Some(Err(e)) => e,
            other => panic!("expected an error first, got {other:?}"),
        },
    }
}

#[tokio::test]
async fn upstream_errors_arrive_as_typed_errors_without_the_key() {
    let server = server().await;
    let p = provider(&server).await;
    let e = failure(&p, &ask("limited")).await;
    assert!(matches!(e, YatError::RateLimited { .. }), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(e.status(), Some(429));
    assert!(
        e.to_string()
            .starts_with("openai-compat: rate limited (HTTP 429) slow down"),
        "{e}"
    );
    let e = failure(&p, &ask("bad-key")).await;
    assert!(matches!(e, YatError::Authentication(_)), "{e:?}");
    assert!(!e.to_string().contains(KEY), "{e}");
    assert!(e.to_string().contains("[redacted]"), "{e}");
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_upstream_request() {
    let server = server().await;
    let p = provider(&server).await;
    let mut stream = p.stream_chat(&ask("hang")).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(
        first,
        yat_core::ChatEvent::Delta {
            text: "only".into()
        }
    );
    drop(stream);
    assert!(
        server
            .wait_for_client_disconnect(Duration::from_secs(20))
            .await,
        "the plugin closed its upstream connection on cancel"
    );
    // And the child serves on.
    let reply = p
        .stream_chat(&ask("text"))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(reply.text(), "Hello world");
}

/// The first ```python block after the walkthrough's heading.
fn minimal_plugin_from_the_docs() -> String {
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/PROCESS-PLUGINS.md"),
    )
    .unwrap();
    let section = &page[page.find("## A minimal plugin").expect("the walkthrough")..];
    let start = section.find("```python\n").unwrap() + "```python\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_owned()
}

#[tokio::test]
async fn the_minimal_plugin_of_the_docs_works_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("yat-provider-echo");
    std::fs::write(&script, minimal_plugin_from_the_docs()).unwrap();
    let mut p = ProcessProvider::new(
        PluginCommand::new("echo", python(), vec![script.display().to_string()]),
        HostOptions::default(),
    );
    p.initialize(&ResolvedSettings::from_pairs("echo", &[]))
        .await
        .unwrap();
    let models = p.list_models().await.unwrap();
    assert_eq!(models[0].id, "echo-1");
    let (a, b) = tokio::join!(
        async {
            p.stream_chat(&ask("echo-1").model("echo-1"))
                .await
                .unwrap()
                .collect_response()
                .await
                .unwrap()
        },
        async {
            let req = ChatRequest::new("echo-1", vec![Message::user("hello there")]);
            p.stream_chat(&req)
                .await
                .unwrap()
                .collect_response()
                .await
                .unwrap()
        },
    );
    assert_eq!(a.text(), "hi");
    assert_eq!(b.text(), "hello there");
    assert_eq!(b.finish.unwrap().reason, FinishReason::Stop);
}

//! `--smoke N`: the generator checked against a gateway in this process.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use yat_fakeserver::{FakeServer, Format, Generated, Response, Route};
use yat_serve::Gateway;

use crate::stream::Target;
use crate::{run, Args, Mode};

/// A fake OpenAI server and a gateway in front of it, in this process; `n`
/// streams at once through the gateway, which must all succeed. Then one
/// stream cut short, straight from the fake server, which the checks must
/// reject (so that a pass means something).
pub(crate) async fn smoke(mut args: Args, n: usize) -> Value {
    let upstream = FakeServer::start_blocking(
        "127.0.0.1:0".parse().expect("an address"),
        vec![
            Route::new("POST", "/v1/chat/completions").respond(Response::generated(Generated {
                format: Format::OpenAi,
                chunks: args.chunks,
                token: args.token.clone(),
            })),
            // A stream that stops after one chunk, without `data: [DONE]`.
            Route::new("POST", "/cut/v1/chat/completions").respond(Response::sse(
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},\"finish_reason\":null}]}\n\n",
            )),
        ],
        false,
    )
    .expect("the fake server starts");
    let env = BTreeMap::from([
        ("OPENAI_API_KEY".to_owned(), "sk-smoke".to_owned()),
        (
            "OPENAI_BASE_URL".to_owned(),
            format!("{}/v1", upstream.url()),
        ),
    ]);
    let manager = yat_providers::link(yat_core::ProviderManager::builder())
        .env(env)
        .config(yat_core::ProviderConfig::default())
        .require("openai")
        .build()
        .await
        .expect("a manager with the openai provider");
    let gateway = Gateway::builder(manager)
        .open_access()
        .config(yat_serve::config::ServeConfig::default())
        .build()
        .await
        .expect("a gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!(
        "http://{}/v1/chat/completions",
        listener.local_addr().expect("an address")
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yat_serve::serve(listener, gateway, async {
        let _ = stopped.await;
    }));
    args.url = url;
    args.mode = Mode::Concurrent;
    args.streams = n;
    args.model = "openai/gpt-4o-mini".into();
    let mut report = run(&args).await;
    let _ = stop.send(());
    let _ = server.await;

    let cut = Target::new(
        &args,
        &format!("{}/cut/v1/chat/completions", upstream.url()),
    );
    report["self_check"] = match cut.stream().await {
        Err(e) if e.contains("[DONE]") => json!(format!("a cut stream was rejected: {e}")),
        Err(e) => json!(format!(
            "a cut stream was rejected for the wrong reason: {e}"
        )),
        Ok(_) => json!("a cut stream was accepted"),
    };
    if !report["self_check"]
        .as_str()
        .is_some_and(|s| s.starts_with("a cut stream was rejected:"))
    {
        report["errors"] = json!(report["errors"].as_u64().unwrap_or(0) + 1);
    }
    report
}

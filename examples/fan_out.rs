//! The same prompt to every ready provider at once, each on its own stream.
//!
//! ```sh
//! cargo run --example fan_out                          # the mock alone, offline
//! cargo run --example fan_out --features all -- "Why is the sky blue?"
//! ```
//!
//! Each provider gets its first listed model. A provider that fails, hangs
//! or is slow affects only its own line: the streams run concurrently and
//! each has its own deadline.

use std::time::{Duration, Instant};

use futures::StreamExt;
use yat::{ChatEvent, ChatRequest, Message, ProviderManager, YatError};

/// What one provider did with the prompt.
struct Outcome {
    provider: String,
    model: String,
    first_token: Option<Duration>,
    total: Duration,
    result: Result<String, YatError>,
}

async fn ask(manager: &ProviderManager, provider: String, prompt: &str) -> Outcome {
    let start = Instant::now();
    let mut first_token = None;
    let mut model = String::new();
    let work = async {
        let models = manager.list_models(&provider).await?;
        let Some(first) = models.into_iter().find(|m| m.supports_streaming) else {
            return Err(YatError::Unavailable {
                provider: provider.clone(),
                reason: "no streaming model".into(),
            });
        };
        model = first.id;
        let request = ChatRequest::new(&model, vec![Message::user(prompt)]).max_tokens(200);
        let mut stream = manager.stream_chat(&provider, &request).await?;
        let mut text = String::new();
        while let Some(event) = stream.next().await {
            if let ChatEvent::Delta { text: piece } = event? {
                first_token.get_or_insert_with(|| start.elapsed());
                text.push_str(&piece);
            }
        }
        Ok(text)
    };
    let result = match tokio::time::timeout(Duration::from_secs(60), work).await {
        Ok(r) => r,
        Err(_) => Err(YatError::Timeout {
            provider: provider.clone(),
            phase: yat::TimeoutPhase::Total,
            after: Duration::from_secs(60),
        }),
    };
    Outcome {
        provider,
        model,
        first_token,
        total: start.elapsed(),
        result,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Errors print as one line naming the provider and the cause.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), yat::YatError> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Name three rivers.".to_owned());
    let manager = yat::manager().await?;

    let ready: Vec<String> = manager
        .statuses()
        .into_iter()
        .filter(|info| info.status.is_ready())
        .map(|info| info.id)
        .collect();
    eprintln!("asking {} provider(s): {}", ready.len(), ready.join(", "));

    // One future per provider, all polled together.
    let outcomes =
        futures::future::join_all(ready.into_iter().map(|id| ask(&manager, id, &prompt))).await;

    for o in outcomes {
        let ttft = o
            .first_token
            .map(|d| format!("{} ms", d.as_millis()))
            .unwrap_or_else(|| "-".into());
        println!(
            "== {}/{} (first token {ttft}, total {} ms)",
            o.provider,
            o.model,
            o.total.as_millis()
        );
        match o.result {
            Ok(text) => println!("{text}"),
            Err(e) => println!("error: {e}"),
        }
    }
    Ok(())
}

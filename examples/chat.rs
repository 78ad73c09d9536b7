//! The smallest useful yat program: stream one reply to stdout.
//!
//! ```sh
//! cargo run --example chat                                  # mock/mock-echo, offline
//! cargo run --example chat -- "Tell me a joke" mock/mock-long
//! cargo run --example chat --features openai -- "Hi" openai/gpt-4o-mini   # with OPENAI_API_KEY
//! ```
//!
//! Configuration comes from where the `yat` CLI reads it: the process
//! environment, `.env`, `provider_config.json`.

use std::io::Write;

use futures::StreamExt;
use yat::{ChatEvent, ChatRequest, Message, ModelRef};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Errors print as one line naming the provider and the cause.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), yat::YatError> {
    let mut args = std::env::args().skip(1);
    let prompt = args.next().unwrap_or_else(|| "Hello from yat".to_owned());
    let target: ModelRef = args.next().as_deref().unwrap_or("mock/mock-echo").parse()?;

    // Every provider the enabled cargo features link, built from its settings.
    let manager = yat::manager().await?;

    let request = ChatRequest::new(&target.model, vec![Message::user(prompt)]).temperature(0.7);
    let mut stream = manager.stream_chat(&target.provider, &request).await?;

    // Deltas as they arrive; usage and the finish at the end.
    let mut stdout = std::io::stdout();
    while let Some(event) = stream.next().await {
        match event? {
            ChatEvent::Delta { text } => {
                stdout.write_all(text.as_bytes()).ok();
                stdout.flush().ok();
            }
            ChatEvent::Usage(u) => {
                eprintln!("\n[{} tokens in, {} out]", u.input_tokens, u.output_tokens)
            }
            ChatEvent::Finish(f) => eprintln!("[finished: {}]", f.reason.as_str()),
            _ => {} // reasoning and tool calls: see examples/tools.rs
        }
    }
    println!();
    Ok(())
}

//! A tool loop: the model calls your async functions, yat runs them (several
//! at once when the model asks for several) and sends the results back until
//! the model answers.
//!
//! ```sh
//! cargo run --example tools                                   # mock/mock-parallel-tools, offline
//! cargo run --example tools -- "Weather in Paris?" mock/mock-tools
//! cargo run --example tools --features openai -- "Weather and time in Oslo?" openai/gpt-4o-mini
//! ```
//!
//! The mock models call the request's tools with the smallest arguments
//! their schemas allow (here the first city of each `enum`) and then read
//! the results back in text.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use serde_json::json;
use yat::tools::{run_tools, ToolLoopEvent, Toolbox};
use yat::{ChatRequest, Message, ModelRef};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn toolbox() -> Toolbox {
    Toolbox::new()
        .tool(
            "get_weather",
            "The current weather in a city",
            json!({
                "type": "object",
                "properties": {"city": {"type": "string", "enum": ["Oslo", "Paris", "Tokyo"]}},
                "required": ["city"]
            }),
            |args| async move {
                // An error here is not a crash: the model reads it and may
                // try again.
                let Some(city) = args["city"].as_str() else {
                    return Err("`city` must be a string");
                };
                let celsius = match city {
                    "Oslo" => 4,
                    "Paris" => 11,
                    _ => 17,
                };
                Ok(json!({"city": city, "celsius": celsius, "sky": "overcast"}))
            },
        )
        .tool(
            "unix_time",
            "Seconds since 1970-01-01 UTC",
            json!({"type": "object", "properties": {}}),
            |_args| async {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(now.as_secs().to_string())
            },
        )
}

async fn run() -> Result<(), yat::YatError> {
    let mut args = std::env::args().skip(1);
    let prompt = args
        .next()
        .unwrap_or_else(|| "What is the weather, and what time is it?".to_owned());
    let target: ModelRef = args
        .next()
        .as_deref()
        .unwrap_or("mock/mock-parallel-tools")
        .parse()?;

    let manager = yat::manager().await?;
    let request = ChatRequest::new(&target.model, vec![Message::user(prompt)]);

    // Any way of starting a chat will do; here, the manager.
    let mut run = run_tools(|req| manager.chat(&target, req), request, toolbox()).max_steps(5);

    let mut stdout = std::io::stdout();
    while let Some(event) = run.next().await {
        match event? {
            ToolLoopEvent::ToolStarted { step, call } => {
                eprintln!("[step {step}] running {}({})", call.name, call.arguments)
            }
            ToolLoopEvent::ToolFinished { step, result } => {
                let status = if result.is_error {
                    "failed"
                } else {
                    "returned"
                };
                eprintln!(
                    "[step {step}] {} {status} {}",
                    result.name,
                    result.content.to_text()
                )
            }
            event => {
                if let Some(text) = event.text() {
                    stdout.write_all(text.as_bytes()).ok();
                    stdout.flush().ok();
                }
            }
        }
    }
    println!();

    // The whole conversation, ready for the next user message.
    let messages = run.messages().unwrap_or_default();
    eprintln!("[{} messages in the conversation]", messages.len());
    Ok(())
}

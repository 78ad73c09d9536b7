//! Structured output: ask for a reply that follows a JSON Schema and get a
//! value back, or a typed error holding the reply's text.
//!
//! ```sh
//! cargo run --example structured                              # mock/mock-json, offline
//! cargo run --example structured --features openai -- "The largest city in Norway" openai/gpt-4o-mini
//! ```
//!
//! Any `T: serde::de::DeserializeOwned` can be read; here a `City`. With
//! the `schema` feature, `yat::structured::structured::<T>` derives the
//! schema from a `#[derive(Deserialize, JsonSchema)]` type instead of the
//! hand-written one below.
//!
//! `mock/mock-json` answers with the smallest value the schema allows.

use serde::Deserialize;
use serde_json::json;
use yat::structured::structured_with_schema;
use yat::{ChatRequest, JsonSchema, Message, ModelRef, YatError};

/// What the reply must hold.
#[derive(Debug, Deserialize)]
struct City {
    name: String,
    country: String,
    population: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), YatError> {
    let mut args = std::env::args().skip(1);
    let prompt = args
        .next()
        .unwrap_or_else(|| "The largest city in Norway".to_owned());
    let target: ModelRef = args.next().as_deref().unwrap_or("mock/mock-json").parse()?;

    let schema = JsonSchema::new(
        "city",
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "country": {"type": "string"},
                "population": {"type": "integer", "minimum": 0}
            },
            "required": ["name", "country", "population"],
            "additionalProperties": false
        }),
    );

    let manager = yat::manager().await?;
    let request = ChatRequest::new(&target.model, vec![Message::user(prompt)]);
    let city: City =
        match structured_with_schema(|req| manager.chat(&target, req), request, schema).await {
            Ok(city) => city,
            // The model's text, kept whole, for a log or a second attempt.
            Err(YatError::InvalidStructuredOutput { raw, message, .. }) => {
                eprintln!("the reply is not a city ({message}):\n{raw}");
                std::process::exit(2);
            }
            Err(e) => return Err(e),
        };
    println!(
        "{} ({}): population {}",
        city.name, city.country, city.population
    );
    Ok(())
}

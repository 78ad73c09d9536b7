//! A provider defined in the program itself: implement the trait, register
//! it, and the manager treats it like any bundled provider.
//!
//! ```sh
//! cargo run --example custom_provider
//! ```
//!
//! The same code in its own crate is a shareable provider; see
//! `examples/provider-template` and `docs/PLUGINS.md`.

use yat::{
    async_trait, ChatEvent, ChatRequest, ChatStream, ChatStreamExt, Finish, FinishReason,
    LlmProvider, Message, ModelInfo, ModelRef, ResolvedSettings, Role, SettingKind, SettingSpec,
    Usage, YatError,
};

/// Answers every message with its words in reverse order.
#[derive(Default)]
struct Reverser {
    shout: bool,
}

#[async_trait]
impl LlmProvider for Reverser {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        // Resolved from REVERSER_SHOUT, .env, provider_config.json, or the
        // declared default; `get_bool` rejects anything but a boolean.
        self.shout = settings.get_bool("shout")?.unwrap_or(false);
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        Ok(vec![ModelInfo::new("reverser", "words-backwards")
            .display_name("Words Backwards")
            .context_length(4096)])
    }

    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError> {
        if request.model != "words-backwards" {
            return Err(YatError::ModelNotFound(yat::Failure::new(
                "reverser",
                format!("no model {:?}", request.model),
            )));
        }
        let last = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.text())
            .unwrap_or_default();
        let words: Vec<String> = last
            .split_whitespace()
            .rev()
            .map(|w| {
                if self.shout {
                    w.to_uppercase()
                } else {
                    w.to_owned()
                }
            })
            .collect();
        let output_tokens = words.len() as u64;
        let mut events: Vec<Result<ChatEvent, YatError>> = Vec::new();
        for (i, word) in words.into_iter().enumerate() {
            let text = if i == 0 { word } else { format!(" {word}") };
            events.push(Ok(ChatEvent::Delta { text }));
        }
        events.push(Ok(ChatEvent::Usage(Usage::new(
            last.split_whitespace().count() as u64,
            output_tokens,
        ))));
        events.push(Ok(ChatEvent::Finish(Finish::new(
            FinishReason::Stop,
            "done",
        ))));
        Ok(Box::pin(futures::stream::iter(events)))
    }
}

const SETTINGS: &[SettingSpec] =
    &[
        SettingSpec::new("shout", "Answer in capitals", SettingKind::Bool, &[])
            .default_value("false"),
    ];

// Registered from the binary itself, so it is always linked.
yat::register_provider! {
    id: "reverser",
    name: "Reverser",
    constructor: || Ok(Box::new(Reverser::default())),
    settings: SETTINGS,
    description: "Defined in examples/custom_provider.rs",
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
    let manager = yat::manager().await?;
    for info in manager.statuses() {
        println!(
            "{:<10} {:<12} from {}@{}",
            info.id,
            info.status.label(),
            info.crate_name,
            info.crate_version
        );
    }

    let target: ModelRef = "reverser/words-backwards".parse()?;
    let reply = manager
        .chat(
            &target,
            ChatRequest::new("", vec![Message::user("one two three four")]),
        )
        .await?
        .collect_response()
        .await?;
    println!("{target}: {}", reply.text());
    assert_eq!(reply.text().to_lowercase(), "four three two one");
    Ok(())
}

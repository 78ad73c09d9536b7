//! The mock's richer models as a program meets them: through the manager
//! (whose capability check must let every 0.2 request through), over whole
//! conversations.
#![cfg(feature = "mock")]

use std::collections::BTreeMap;

use yat_core::{
    ChatRequest, ChatResponse, ChatStreamExt, FinishReason, JsonSchema, Media, Message, ModelRef,
    Part, ProviderManager, ReasoningConfig, ReasoningEffort, ResponseFormat, ToolChoice,
    ToolResult, ToolSpec, YatError,
};

async fn manager() -> ProviderManager {
    yat_providers::link(ProviderManager::builder())
        .env(BTreeMap::new())
        .build()
        .await
        .unwrap()
}

async fn chat(
    m: &ProviderManager,
    model: &str,
    req: ChatRequest,
) -> Result<ChatResponse, YatError> {
    let target = ModelRef::new("mock", model);
    m.chat(&target, req).await?.collect_response().await
}

fn lookup() -> ToolSpec {
    ToolSpec::new(
        "lookup",
        "Finds a book",
        serde_json::json!({
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "filters": {"type": "object", "properties": {
                    "year": {"type": "integer", "minimum": 1900},
                    "format": {"enum": ["paper", "ebook"]}
                }, "required": ["year", "format"]}
            },
            "required": ["title", "filters"]
        }),
    )
}

#[tokio::test]
async fn a_tool_loop_ends_in_text_quoting_the_results() {
    let m = manager().await;
    let mut history = vec![Message::user("Find Dune")];
    let req = ChatRequest::new("", history.clone())
        .tool(lookup())
        .tool_choice(ToolChoice::Required);
    let first = chat(&m, "mock-tools", req).await.unwrap();
    assert_eq!(
        first.finish.as_ref().unwrap().reason,
        FinishReason::ToolCalls
    );
    let call = first.tool_calls().next().unwrap().clone();
    assert_eq!(
        call.arguments,
        serde_json::json!({"title": "mock", "filters": {"year": 1900, "format": "paper"}})
    );
    history.push(first.into_message());
    history.push(Message::tool_results([ToolResult::new(
        &call,
        serde_json::json!({"found": "Dune (1965)"}),
    )]));
    let answer = chat(
        &m,
        "mock-tools",
        ChatRequest::new("", history).tool(lookup()),
    )
    .await
    .unwrap();
    assert_eq!(
        answer.text(),
        r#"Tool results: lookup returned {"found":"Dune (1965)"}."#
    );
    assert_eq!(answer.finish.unwrap().reason, FinishReason::Stop);
}

#[tokio::test]
async fn a_reasoning_conversation_round_trips_and_an_edited_one_is_refused() {
    let m = manager().await;
    let think = ReasoningConfig::effort(ReasoningEffort::High);
    // Every turn asks the reasoning model to think hard.
    let ask = |history: Vec<Message>| {
        chat(
            &m,
            "mock-reasoning",
            ChatRequest::new("", history).reasoning(think),
        )
    };
    let mut history = vec![
        Message::system("Be brief."),
        Message::user("Why is the sky blue?"),
    ];
    let first = ask(history.clone()).await.unwrap();
    let usage = first.usage.unwrap();
    assert!(
        usage.reasoning_tokens.unwrap() > 0 && usage.reasoning_tokens < Some(usage.output_tokens)
    );
    assert_eq!(
        usage.cache_read_tokens,
        Some(2),
        "the system prompt is read from the cache"
    );
    history.push(first.into_message());
    history.push(Message::user("Shorter?"));
    let second = ask(history.clone()).await.unwrap();
    assert_eq!(second.text(), "Shorter?");

    if let Part::Reasoning(r) = &mut history[2].content[0] {
        r.text = r.text.replace("words", "letters");
    }
    match ask(history).await {
        Err(YatError::InvalidRequest(f)) => {
            assert!(f.message.contains("messages.2.content.0"), "{f:?}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn images_documents_and_json_formats_reach_their_models() {
    let m = manager().await;
    let png = yat_core::testkit::fixtures::TINY_PNG;
    let look = Message::user("What is this?")
        .with_part(Part::Image(Media::bytes("image/png", png)))
        .with_part(Part::Document(
            Media::url("https://example.com/a.pdf").with_media_type("application/pdf"),
        ));
    let seen = chat(&m, "mock-vision", ChatRequest::new("", vec![look]))
        .await
        .unwrap();
    assert_eq!(
        seen.text(),
        "Image 1: image/png, 74 bytes. Document 1: application/pdf at https://example.com/a.pdf."
    );

    let schema = JsonSchema::new(
        "book",
        serde_json::json!({
            "type": "object",
            "properties": {"title": {"type": "string"}, "pages": {"type": "integer", "exclusiveMinimum": 0}},
            "required": ["title", "pages"]
        }),
    );
    let req = ChatRequest::new("", vec![Message::user("A book, please")])
        .response_format(ResponseFormat::JsonSchema(schema));
    let json = chat(&m, "mock-json", req).await.unwrap();
    let value: serde_json::Value = serde_json::from_str(&json.text()).unwrap();
    assert_eq!(value, serde_json::json!({"title": "mock", "pages": 1}));
}

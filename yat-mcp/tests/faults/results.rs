//! What results and tool lists become for the model.

use super::*;

pub(crate) async fn bad_schema_is_repaired_with_a_warning() {
    let hub = hub_of(vec![stdio("f")]).await;
    let tool = hub
        .tools()
        .into_iter()
        .find(|t| t.name == "bad_schema")
        .unwrap();
    assert_eq!(tool.input_schema, json!({"type": "object"}));
    let warnings = hub.status("f").unwrap().warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("\"bad_schema\"") && warnings[0].contains("not an object schema"),
        "{warnings:?}"
    );
    // Offered, and callable.
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    assert_eq!(
        toolbox.spec("bad_schema").unwrap().parameters,
        json!({"type": "object"})
    );
    let r = toolbox.call(&call("bad_schema", json!({}))).await;
    assert_eq!((r.content.to_text().as_str(), r.is_error), ("ok", false));
    hub.shutdown().await;
}

pub(crate) async fn huge_result_is_capped_for_the_model_and_says_so() {
    let config = McpConfig::new(vec![stdio("f")]);
    let hub = McpHub::connect(&config, options().max_result_chars(1000)).await;
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("huge", json!({"chars": 250_000}))).await;
    let text = r.content.to_text();
    assert!(!r.is_error);
    assert_eq!(
        text,
        format!("{}… [truncated: 249000 more characters]", "x".repeat(1000))
    );
    // A manual call gets everything.
    let full = hub
        .call("f", "huge", json!({"chars": 250_000}))
        .await
        .unwrap();
    assert_eq!(full.text().len(), 250_000);
    hub.shutdown().await;
}

pub(crate) async fn image_result_reaches_the_model_as_an_image_part() {
    let hub = hub_of(vec![stdio("f")]).await;
    let r = hub.call("f", "image", json!({})).await.unwrap();
    let images: Vec<_> = r.images().collect();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].media_type.as_deref(), Some("image/png"));
    assert_eq!(images[0].base64().unwrap(), {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(PNG)
    });
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("image", json!({}))).await;
    let png = Media::bytes("image/png", PNG.to_vec());
    assert_eq!(
        r.content,
        ToolOutput::parts([ToolPart::text("a picture:"), ToolPart::Image(png.clone())])
    );
    assert_eq!(
        r.content.to_text(),
        format!("a picture:\n[image: image/png, {} bytes]", PNG.len())
    );

    // Through the tool loop: the request after the call carries the image
    // as an image part of the tool result, and the model's answer (the
    // mock answers results in text) describes it.
    let manager = yat_providers::link(ProviderManager::builder())
        .config(ProviderConfig::default())
        .env(BTreeMap::new())
        .build()
        .await
        .unwrap();
    let mut request = ChatRequest::new("mock-tools", vec![Message::user("draw me a chart")]);
    request.tool_choice = Some(ToolChoice::Tool {
        name: "image".into(),
    });
    let sent: Mutex<Vec<ChatRequest>> = Mutex::new(Vec::new());
    let start = |mut req: ChatRequest| {
        let (manager, sent) = (&manager, &sent);
        async move {
            if req.messages.last().is_some_and(|m| m.role == Role::Tool) {
                req.tool_choice = Some(ToolChoice::None);
            }
            sent.lock().unwrap().push(req.clone());
            manager.stream_chat("mock", &req).await
        }
    };
    let outcome = run_tools(start, request, toolbox)
        .max_steps(3)
        .run_to_end()
        .await
        .unwrap();
    let sent = sent.into_inner().unwrap();
    assert_eq!(sent.len(), 2, "{sent:?}");
    let result = sent[1]
        .messages
        .last()
        .unwrap()
        .content
        .tool_results()
        .next()
        .unwrap()
        .clone();
    assert_eq!(result.content.images().collect::<Vec<_>>(), [&png]);
    assert_eq!(
        outcome.response.text(),
        format!(
            "Tool results: image returned a picture:\n[image: image/png, {} bytes].",
            PNG.len()
        )
    );
    hub.shutdown().await;
}

pub(crate) async fn error_result_is_an_error_for_the_model() {
    let hub = hub_of(vec![stdio("f")]).await;
    let r = hub.call("f", "fail", json!({})).await.unwrap();
    assert!(r.is_error);
    assert_eq!(r.text(), "the tool failed on purpose");
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("fail", json!({}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("the tool failed on purpose", true)
    );
    ready(&hub, "f");
    hub.shutdown().await;
}

pub(crate) async fn list_changed_notification_refreshes_the_tools() {
    let hub = hub_of(vec![stdio("f")]).await;
    let before = hub.tools_generation();
    assert!(!hub.tools().iter().any(|t| t.name == "late_tool"));
    assert_eq!(
        text_of(&hub, "f", "add_tool", json!({})).await,
        "added late_tool"
    );
    eventually("late_tool is listed", || {
        hub.tools().iter().any(|t| t.name == "late_tool")
    })
    .await;
    assert_ne!(hub.tools_generation(), before);
    match hub.status("f").unwrap().state {
        ServerState::Ready { tools, .. } => assert_eq!(tools, 13),
        other => panic!("{other:?}"),
    }
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("late_tool", json!({}))).await;
    assert_eq!((r.content.to_text().as_str(), r.is_error), ("ok", false));
    hub.shutdown().await;
}

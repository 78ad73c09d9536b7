//! Messages of every kind of part survive storage, and the JSON form of a
//! conversation shows parts only where the text is not the whole message.

use yat_core::{
    Media, Message, ModelRef, Part, Reasoning, Role, ToolCall, ToolOutput, ToolPart, ToolResult,
    Usage,
};
use yat_store::{Exchange, Store};

#[test]
fn every_part_round_trips_and_usage_details_are_kept() {
    let mut store = Store::open_in_memory().unwrap();
    let target = ModelRef::new("anthropic", "claude");
    let id = store.create_conversation("look", None).unwrap();
    let pdf = Media::bytes("application/pdf", b"%PDF-1.7 ...".to_vec()).with_name("a.pdf");
    let sent = [Message::user("look")
        .with_part(Part::Document(pdf))
        .with_part(Part::Image(Media::url("https://example.com/cat.png")))];
    let call =
        ToolCall::new("toolu_1", "lookup", serde_json::json!({"q": "x"})).with_signature("g-sig");
    let reply = [
        Part::Reasoning(Reasoning::new("Let me see.").with_signature("EqQBCkYIBxgCKkA")),
        Part::text("Checking."),
        Part::ToolCall(call.clone()),
    ];
    let usage = Usage::new(10, 30).with_cache_write(5).with_reasoning(12);
    store
        .record_exchange(
            id,
            &Exchange::new(&target, &sent, &reply)
                .usage(usage)
                .finish("tool_calls"),
        )
        .unwrap();
    let failed = [Message::tool_results([ToolResult::error(&call, "not run")])];
    store
        .record_exchange(id, &Exchange::new(&target, &failed, &[Part::text("ok")]))
        .unwrap();

    let c = store.conversation(id).unwrap().unwrap();
    let m = c.to_messages();
    assert_eq!(m[0], sent[0]);
    assert_eq!(m[1], Message::assistant(reply.to_vec()));
    assert_eq!(m[2], failed[0]);
    assert_eq!(c.messages[1].usage, Some(usage));
    assert_eq!(c.messages[1].content, "Checking.");
    assert_eq!(c.messages[2].role, Role::Tool);
    assert_eq!(c.summary.input_tokens, Some(10));

    let json = serde_json::to_value(&c).unwrap();
    assert!(
        json["messages"][3].get("parts").is_none(),
        "a text reply is its content"
    );
    assert_eq!(
        json["messages"][1]["parts"][0]["signature"],
        "EqQBCkYIBxgCKkA"
    );
    assert_eq!(json["messages"][1]["usage"]["cache_write_tokens"], 5);
    assert!(json["messages"][1]["usage"]
        .get("cache_read_tokens")
        .is_none());
}

#[test]
fn import_keeps_every_part() {
    let mut store = Store::open_in_memory().unwrap();
    let call = ToolCall::new("c", "f", serde_json::json!({}));
    let messages = vec![
        Message::system("s"),
        Message::user("q"),
        Message::assistant(vec![Part::ToolCall(call.clone())]),
        Message::tool_results([ToolResult::new(&call, serde_json::json!({"ok": true}))]),
        Message::assistant("done"),
    ];
    let id = store
        .import("q", &messages, Some(&ModelRef::new("mock", "mock-tools")))
        .unwrap();
    let c = store.conversation(id).unwrap().unwrap();
    assert_eq!(c.to_messages(), messages);
    assert_eq!(c.messages[3].provider, None, "only replies name the model");
    assert_eq!(c.messages[4].model.as_deref(), Some("mock-tools"));
}

#[test]
fn a_tool_result_with_images_reads_back_from_the_file_with_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let target = ModelRef::new("anthropic", "claude");
    let call = ToolCall::new("toolu_1", "chart", serde_json::json!({}));
    let png =
        Media::bytes("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).with_name("c.png");
    let results = [Message::tool_results([ToolResult::new(
        &call,
        ToolOutput::parts([
            ToolPart::text("the chart:"),
            ToolPart::Image(png.clone()),
            ToolPart::Document(Media::url("https://example.com/data.pdf")),
        ]),
    )])];
    let id = {
        let mut store = Store::open(&path).unwrap();
        let id = store.create_conversation("chart", None).unwrap();
        store
            .record_exchange(
                id,
                &Exchange::new(&target, &results, &[Part::text("a rising line")]),
            )
            .unwrap();
        id
    };
    // Another handle on the same file: what a later run reads.
    let store = Store::open(&path).unwrap();
    let c = store.conversation(id).unwrap().unwrap();
    let m = c.to_messages();
    assert_eq!(m[0], results[0]);
    let r = m[0].content.tool_results().next().unwrap();
    assert_eq!(r.content.images().collect::<Vec<_>>(), [&png]);
    // The stored JSON carries the bytes as base64 in the part's own shape.
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(
        json["messages"][0]["parts"][0]["content"]["parts"][1]["data"],
        "iVBORw0KGgoAAAANSUhEUg=="
    );
}

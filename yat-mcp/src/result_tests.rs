use super::*;
use rmcp::model::{ContentBlock, Resource};
use serde_json::json;

fn result(content: Vec<ContentBlock>, structured: Option<Value>, is_error: bool) -> McpCallResult {
    let mut r = if is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    r.structured_content = structured;
    McpCallResult::from_rmcp(r)
}

fn image() -> Media {
    Media::bytes("image/png", b"\x89PNG\r\n\x1a\nxxxx".to_vec())
}

/// The table: what a server returns, and what the model gets.
#[test]
fn conversion_table() {
    let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nxxxx");
    let cases: Vec<(McpCallResult, ToolOutput)> = vec![
        (
            result(vec![ContentBlock::text("12:00")], None, false),
            ToolOutput::Text("12:00".into()),
        ),
        (
            result(
                vec![ContentBlock::text("a"), ContentBlock::text("b")],
                None,
                false,
            ),
            ToolOutput::Text("a\nb".into()),
        ),
        (
            result(
                vec![ContentBlock::text("{\"t\":1}")],
                Some(json!({"t": 1})),
                false,
            ),
            ToolOutput::Json(json!({"t": 1})),
        ),
        (
            result(vec![], Some(json!([1, 2])), false),
            ToolOutput::Json(json!([1, 2])),
        ),
        (
            result(
                vec![ContentBlock::image(png.clone(), "image/png")],
                None,
                false,
            ),
            ToolOutput::parts([ToolPart::Image(image())]),
        ),
        (
            result(
                vec![
                    ContentBlock::text("a"),
                    ContentBlock::text("b"),
                    ContentBlock::image(png.clone(), "image/png"),
                    ContentBlock::Audio(rmcp::model::AudioContent::new("AAAA", "audio/wav")),
                ],
                None,
                false,
            ),
            ToolOutput::parts([
                ToolPart::text("a\nb"),
                ToolPart::Image(image()),
                ToolPart::text("[audio: audio/wav, 3 bytes]"),
            ]),
        ),
        (
            result(
                vec![ContentBlock::image(png, "image/png")],
                Some(json!({"w": 1})),
                false,
            ),
            ToolOutput::parts([ToolPart::Image(image()), ToolPart::text("{\"w\":1}")]),
        ),
        (
            result(vec![ContentBlock::image("%%%", "image/png")], None, false),
            ToolOutput::Text(
                "[image: image/png, not readable: invalid base64 (Invalid symbol 37, offset 0.)]"
                    .into(),
            ),
        ),
        (
            result(
                vec![ContentBlock::Audio(rmcp::model::AudioContent::new(
                    "AAAA",
                    "audio/wav",
                ))],
                None,
                false,
            ),
            ToolOutput::Text("[audio: audio/wav, 3 bytes]".into()),
        ),
        (
            result(
                vec![ContentBlock::Resource(rmcp::model::EmbeddedResource::new(
                    ResourceContents::text("hello", "file:///a.txt"),
                ))],
                None,
                false,
            ),
            ToolOutput::Text("[resource file:///a.txt]\nhello".into()),
        ),
        (
            result(
                vec![ContentBlock::Resource(rmcp::model::EmbeddedResource::new(
                    ResourceContents::BlobResourceContents {
                        uri: "file:///b.bin".into(),
                        mime_type: Some("application/octet-stream".into()),
                        blob: "AAAAAA==".into(),
                        meta: None,
                    },
                ))],
                None,
                false,
            ),
            ToolOutput::Text("[resource file:///b.bin: application/octet-stream, 4 bytes]".into()),
        ),
        (
            result(
                vec![ContentBlock::ResourceLink(Resource::new("file:///c", "c"))],
                None,
                false,
            ),
            ToolOutput::Text("[resource link c: file:///c]".into()),
        ),
        (
            result(vec![], None, false),
            ToolOutput::Text("(no output)".into()),
        ),
        (
            result(vec![ContentBlock::text("no such city")], None, true),
            ToolOutput::Text("no such city".into()),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(input.to_tool_output(1000), expected, "for {input:?}");
    }
}

#[test]
fn images_are_kept_as_media() {
    let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nxxxx");
    let r = result(vec![ContentBlock::image(png, "image/png")], None, false);
    let images: Vec<&Media> = r.images().collect();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].media_type.as_deref(), Some("image/png"));
    assert_eq!(images[0].len(), Some(12));
}

#[test]
fn cutting_parts_cuts_their_text_and_keeps_their_images() {
    let out = cap(
        ToolOutput::parts([
            ToolPart::text("abcdef"),
            ToolPart::Image(image()),
            ToolPart::text("ghij"),
            ToolPart::Image(image()),
            ToolPart::text("klm"),
        ]),
        8,
    );
    assert_eq!(
        out,
        ToolOutput::parts([
            ToolPart::text("abcdef"),
            ToolPart::Image(image()),
            ToolPart::text("gh"),
            ToolPart::Image(image()),
            ToolPart::text("… [truncated: 5 more characters]"),
        ])
    );
    let small = ToolOutput::parts([ToolPart::text("ab"), ToolPart::Image(image())]);
    assert_eq!(cap(small.clone(), 2), small);
}

#[test]
fn error_flag_is_kept() {
    assert!(result(vec![ContentBlock::text("x")], None, true).is_error);
    assert!(!result(vec![ContentBlock::text("x")], None, false).is_error);
}

#[test]
fn big_results_are_cut_and_say_so() {
    let big = "é".repeat(150);
    let out = cap(ToolOutput::Text(big), 100);
    assert_eq!(
        out.to_text(),
        format!("{}… [truncated: 50 more characters]", "é".repeat(100))
    );
    // exactly at the limit: untouched
    assert_eq!(
        cap(ToolOutput::Text("abc".into()), 3),
        ToolOutput::Text("abc".into())
    );
    // JSON that is cut becomes text
    let json = ToolOutput::Json(json!({"k": "v".repeat(20)}));
    let ToolOutput::Text(t) = cap(json, 10) else {
        panic!()
    };
    assert!(
        t.starts_with("{\"k\":\"vvvv") && t.ends_with("[truncated: 18 more characters]"),
        "{t}"
    );
}

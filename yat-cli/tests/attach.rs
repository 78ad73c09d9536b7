//! `yat chat -a PATH|URL`: files typed by their content, URLs passed on,
//! and every refusal (size, type, provider) made before anything is sent,
//! as one line with exit code 2. The sizes are the ones each provider
//! states in its `Capabilities`, known without a key.

mod common;

use std::path::{Path, PathBuf};

use common::{Output, Sandbox};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";

const MB: u64 = 1024 * 1024;

fn write(sb: &Sandbox, name: &str, bytes: &[u8]) -> PathBuf {
    let path = sb.work_dir().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A file of `size` bytes that starts with `head`, without writing them all.
fn sparse(sb: &Sandbox, name: &str, head: &[u8], size: u64) -> PathBuf {
    let path = write(sb, name, head);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(size)
        .unwrap();
    path
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn files_and_urls_reach_the_model_as_images_and_documents() {
    let sb = Sandbox::new();
    let png = write(&sb, "cat.png", PNG);
    let pdf = write(&sb, "report.pdf", PDF);
    let out = sb
        .run(&[
            "chat",
            "-m",
            "mock/mock-vision",
            "-a",
            p(&png),
            "--attach",
            p(&pdf),
            "-a",
            "https://example.com/photos/dog.JPG?size=large",
            "-a",
            "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
            "What are these?",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        "Image 1: image/png, 16 bytes. Document 1: application/pdf, 15 bytes. \
         Image 2: image/jpeg at https://example.com/photos/dog.JPG?size=large. \
         Image 3: image/gif, 14 bytes.\n"
    );
}

#[test]
fn the_content_decides_the_type_and_the_extension_only_when_it_says_nothing() {
    let sb = Sandbox::new();
    // A JPEG named .png: sent as what it is (mock-vision, like the real
    // APIs, refuses bytes whose declared type contradicts them).
    let misnamed = write(&sb, "photo.png", JPEG);
    let out = sb
        .run(&["chat", "-m", "mock/mock-vision", "-a", p(&misnamed), "x"])
        .ok();
    assert_eq!(out.stdout, "Image 1: image/jpeg, 11 bytes.\n");
    // Bytes no magic number names, with an extension that names one type.
    let webp = write(&sb, "odd.webp", b"not a known header");
    let out = sb
        .run(&["chat", "-m", "mock/mock-vision", "-a", p(&webp), "x"])
        .ok();
    assert_eq!(out.stdout, "Image 1: image/webp, 18 bytes.\n");
}

#[test]
fn unsupported_types_missing_files_and_directories_are_usage_errors() {
    let sb = Sandbox::new();
    let notes = write(&sb, "notes.txt", b"plain text");
    let unknown = write(&sb, "blob", b"\0\x01\x02");
    for (arg, needle) in [
        (p(&notes), "notes.txt: unsupported attachment type"),
        (p(&unknown), "blob: unsupported attachment type"),
        (
            "https://example.com/letter.docx",
            "letter.docx: unsupported attachment type",
        ),
        (
            "data:text/plain;base64,aGk=",
            "data: URL of type text/plain: unsupported",
        ),
        ("data:image/png,raw", "data:TYPE;base64,DATA"),
        ("missing.png", "missing.png: cannot read"),
        (".", "is a directory"),
    ] {
        sb.run(&["chat", "-m", "mock/mock-vision", "-a", arg, "x"])
            .code(2)
            .one_error_line(needle);
    }
    assert!(
        !sb.data_dir().join("history.sqlite").exists(),
        "nothing was sent, nothing stored"
    );
}

#[cfg(feature = "anthropic")]
#[test]
fn files_over_the_limit_are_refused_naming_it_before_anything_is_sent() {
    let sb = Sandbox::new();
    let image = sparse(&sb, "huge.png", PNG, 5 * MB / 4 * 3 + 1);
    let out = sb
        .run(&[
            "chat",
            "-m",
            "anthropic/claude-sonnet-4-5",
            "-a",
            p(&image),
            "x",
        ])
        .code(2)
        .one_error_line("anthropic: huge.png is 3.76 MB; this provider takes images up to 3.75 MB");
    assert!(out.stdout.is_empty());
    let pdf = sparse(&sb, "huge.pdf", PDF, 24 * MB + 1);
    sb.run(&[
        "chat",
        "-m",
        "anthropic/claude-sonnet-4-5",
        "-a",
        p(&pdf),
        "x",
    ])
    .code(2)
    .one_error_line(
        "anthropic: huge.pdf is 24.01 MB; this provider takes up to 24 MB of inline \
             images and documents in one request",
    );
    // Refused by its size on disk, before it is read: reading 16 GiB
    // whole would take far longer than this test is given, or fail.
    let vast = sparse(&sb, "vast.pdf", PDF, 16 * 1024 * MB);
    sb.run(&[
        "chat",
        "-m",
        "anthropic/claude-sonnet-4-5",
        "-a",
        p(&vast),
        "x",
    ])
    .code(2)
    .one_error_line("anthropic: vast.pdf is 16384 MB");
    assert!(
        !sb.data_dir().join("history.sqlite").exists(),
        "nothing was sent, nothing stored"
    );
}

#[test]
fn a_provider_that_states_no_limit_gets_the_file_whatever_its_size() {
    // The mock states no size limits, like a server whose limits nobody
    // wrote down: the CLI leaves the verdict to it.
    let sb = Sandbox::new();
    let big = sparse(&sb, "big.pdf", PDF, 33 * MB);
    let out = sb
        .run(&[
            "chat",
            "--no-history",
            "-m",
            "mock/mock-vision",
            "-a",
            p(&big),
            "x",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        format!("Document 1: application/pdf, {} bytes.\n", 33 * MB)
    );
}

#[cfg(feature = "anthropic")]
#[test]
fn anthropic_counts_its_image_limit_on_base64_and_needs_no_key_to_say_so() {
    let sb = Sandbox::new();
    let image = sparse(&sb, "photo.png", PNG, 4 * MB);
    sb.run(&[
        "chat",
        "-m",
        "anthropic/claude-sonnet-4-5",
        "-a",
        p(&image),
        "x",
    ])
    .code(2)
    .one_error_line("anthropic: photo.png is 4 MB; this provider takes images up to 3.75 MB");
}

#[cfg(feature = "anthropic")]
#[tokio::test]
async fn an_image_at_the_limit_reaches_anthropic_as_5_mb_of_base64() {
    use yat_fakeserver::{anthropic_stream, FakeServer, Response, Route};

    let server = FakeServer::start(vec![Route::new("POST", "/v1/messages")
        .respond(Response::sse(&anthropic_stream(&["A big cat."])))])
    .await
    .unwrap();
    let sb = Sandbox::new();
    let image = sparse(&sb, "big.png", PNG, 5 * MB / 4 * 3);
    let out = Output::from(
        sb.yat()
            .env("ANTHROPIC_API_KEY", "sk-test-0123456789")
            .env("ANTHROPIC_BASE_URL", server.url())
            .args([
                "chat",
                "--no-history",
                "-m",
                "anthropic/claude-sonnet-4-5",
                "-a",
            ])
            .arg(&image)
            .arg("What is this?")
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(out.stdout, "A big cat.\n");
    let body = server.requests()[0].json();
    let data = body["messages"][0]["content"][0]["source"]["data"]
        .as_str()
        .unwrap();
    assert_eq!(data.len() as u64, 5 * MB, "exactly Anthropic's 5 MB");
}

#[cfg(feature = "gemini")]
#[test]
fn gemini_limits_the_whole_request() {
    let sb = Sandbox::new();
    let a = sparse(&sb, "a.png", PNG, 12 * MB);
    let b = sparse(&sb, "b.png", PNG, 12 * MB);
    sb.run(&[
        "chat",
        "-m",
        "gemini/gemini-2.5-flash",
        "-a",
        p(&a),
        "-a",
        p(&b),
        "x",
    ])
    .code(2)
    .one_error_line(
        "gemini: the inline images and documents add up to 24 MB; this provider takes \
             up to 20 MB of them in one request",
    );
}

#[cfg(feature = "cohere")]
#[test]
fn cohere_limits_the_image_data_of_a_request() {
    let sb = Sandbox::new();
    let a = sparse(&sb, "a.png", PNG, 15 * MB);
    let b = sparse(&sb, "b.jpg", JPEG, 6 * MB);
    sb.run(&[
        "chat",
        "-m",
        "cohere/command-a-vision-07-2025",
        "-a",
        p(&a),
        "-a",
        p(&b),
        "x",
    ])
    .code(2)
    .one_error_line("cohere: the inline images and documents add up to 21 MB");
}

#[test]
fn a_fallback_model_with_a_smaller_limit_refuses_the_file_too() {
    let sb = Sandbox::new();
    let image = sparse(&sb, "photo.png", PNG, 4 * MB);
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-vision",
        "--fallback",
        "anthropic/claude-sonnet-4-5",
        "-a",
        p(&image),
        "x",
    ])
    .code(2)
    .one_error_line("anthropic: photo.png is 4 MB; this provider takes images up to 3.75 MB");
}

#[test]
fn a_provider_without_image_input_is_refused_before_the_request() {
    let sb = Sandbox::new();
    // Nothing listens on port 9: had anything been sent, this would be a
    // network error (exit 1), not a usage error.
    sb.write_config(
        r#"{"providers": [{"id": "lab", "type": "openai-compatible",
            "base_url": "http://127.0.0.1:9/v1", "models": ["m"], "capabilities": ["tools"]}]}"#,
    );
    let png = write(&sb, "cat.png", PNG);
    let pdf = write(&sb, "a.pdf", PDF);
    sb.run(&["chat", "-m", "lab/m", "-a", p(&png), "x"])
        .code(2)
        .one_error_line(
            "lab: images not supported: this provider does not take images (drop --attach",
        );
    sb.run(&["chat", "-m", "lab/m", "-a", p(&pdf), "x"])
        .code(2)
        .one_error_line("lab: documents not supported");
}

#[test]
fn attachments_are_stored_by_name_and_size_and_sent_again_on_continue() {
    let sb = Sandbox::new();
    let png = write(&sb, "cat.png", PNG);
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-vision",
        "-a",
        p(&png),
        "What is it?",
    ])
    .ok();
    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(
        shown.contains("## user\n\n[image cat.png, image/png, 16 bytes]\n\nWhat is it?\n"),
        "{shown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&sb.run(&["log", "show", "--json"]).ok().stdout).unwrap();
    let image = &json["messages"][0]["parts"][0];
    assert_eq!(image["type"], "image");
    assert_eq!(image["size"], 16);
    assert!(image.get("data").is_none(), "no base64 in a log: {image}");

    // The image is in the history sent again: it counts 85 input tokens.
    let out = sb.run(&["chat", "-c", "-u", "And now?"]).ok();
    assert_eq!(out.stdout, "I see no image and no document.\n");
    let tokens: u64 = out
        .stderr
        .split("mock/mock-vision: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(tokens > 85, "{}", out.stderr);
}

#[cfg(feature = "anthropic")]
#[tokio::test]
async fn anthropic_receives_the_file_as_a_base64_image_block_before_the_text() {
    use yat_fakeserver::{anthropic_stream, FakeServer, Response, Route};

    let server =
        FakeServer::start(vec![Route::new("POST", "/v1/messages")
            .respond(Response::sse(&anthropic_stream(&["A cat."])))])
        .await
        .unwrap();
    let sb = Sandbox::new();
    let png = write(&sb, "cat.png", PNG);
    let out = Output::from(
        sb.yat()
            .env("ANTHROPIC_API_KEY", "sk-test-0123456789")
            .env("ANTHROPIC_BASE_URL", server.url())
            .args([
                "chat",
                "--no-history",
                "-m",
                "anthropic/claude-sonnet-4-5",
                "-a",
            ])
            .arg(&png)
            .arg("What is this?")
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(out.stdout, "A cat.\n");
    let body = server.requests()[0].json();
    let content = &body["messages"][0]["content"];
    assert_eq!(content[0]["type"], "image");
    assert_eq!(content[0]["source"]["type"], "base64");
    assert_eq!(content[0]["source"]["media_type"], "image/png");
    assert_eq!(content[0]["source"]["data"], "iVBORw0KGgoAAAANSUhEUg==");
    assert_eq!(content[1]["type"], "text");
    assert_eq!(content[1]["text"], "What is this?");
}

//! `yat chat -a PATH|URL`: files typed by their content, URLs passed on,
//! and every refusal (size, type, provider) made before anything is sent,
//! as one line with exit code 2. The sizes are the ones each provider
//! states in its `Capabilities`, known without a key.

mod common;

use std::path::{Path, PathBuf};

use common::Sandbox;
#[cfg(feature = "anthropic")]
use common::{Api, Run};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";

const MB: u64 = 1024 * 1024;

/// A file of `size` bytes that starts with `head`, without writing them all.
fn sparse(sb: &Sandbox, name: &str, head: &[u8], size: u64) -> PathBuf {
    let path = sb.file(name, head);
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
    let png = sb.file("cat.png", PNG);
    let pdf = sb.file("report.pdf", PDF);
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
    let misnamed = sb.file("photo.png", JPEG);
    let out = sb
        .run(&["chat", "-m", "mock/mock-vision", "-a", p(&misnamed), "x"])
        .ok();
    assert_eq!(out.stdout, "Image 1: image/jpeg, 11 bytes.\n");
    // Bytes no magic number names, with an extension that names one type.
    let webp = sb.file("odd.webp", b"not a known header");
    let out = sb
        .run(&["chat", "-m", "mock/mock-vision", "-a", p(&webp), "x"])
        .ok();
    assert_eq!(out.stdout, "Image 1: image/webp, 18 bytes.\n");
}

#[test]
fn unsupported_types_missing_files_and_directories_are_usage_errors() {
    let sb = Sandbox::new();
    let notes = sb.file("notes.txt", b"plain text");
    let unknown = sb.file("blob", b"\0\x01\x02");
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

/// What a provider does not take, refused before anything is sent: a file
/// over its limit (the one it states, counted as it counts: Anthropic on the
/// base64, Gemini and Cohere on the whole request), including the limit of a
/// fallback model, or a kind of input it does not take at all.
#[test]
fn what_a_provider_cannot_take_is_refused_naming_why_before_anything_is_sent() {
    struct Refusal {
        /// Whether the providers it names are compiled in.
        built: bool,
        model: &'static [&'static str],
        files: &'static [(&'static str, &'static [u8], u64)],
        needle: &'static str,
        /// Refused by the CLI before the history is opened (a size); a
        /// kind of input is refused by the library, with the request.
        before_history: bool,
    }
    let anthropic = &["-m", "anthropic/claude-sonnet-4-5"][..];
    let cases = [
        Refusal {
            built: cfg!(feature = "anthropic"),
            model: anthropic,
            files: &[("huge.png", PNG, 5 * MB / 4 * 3 + 1)],
            needle: "anthropic: huge.png is 3.76 MB; this provider takes images up to 3.75 MB",
            before_history: true,
        },
        Refusal {
            built: cfg!(feature = "anthropic"),
            model: anthropic,
            files: &[("huge.pdf", PDF, 24 * MB + 1)],
            needle: "anthropic: huge.pdf is 24.01 MB; this provider takes up to 24 MB of inline \
                     images and documents in one request",
            before_history: true,
        },
        // Refused by its size on disk, before it is read: reading 16 GiB
        // whole would take far longer than this test is given, or fail.
        Refusal {
            built: cfg!(feature = "anthropic"),
            model: anthropic,
            files: &[("vast.pdf", PDF, 16 * 1024 * MB)],
            needle: "anthropic: vast.pdf is 16384 MB",
            before_history: true,
        },
        // Counted on base64, and no key is needed to say so.
        Refusal {
            built: cfg!(feature = "anthropic"),
            model: anthropic,
            files: &[("photo.png", PNG, 4 * MB)],
            needle: "anthropic: photo.png is 4 MB; this provider takes images up to 3.75 MB",
            before_history: true,
        },
        Refusal {
            built: cfg!(feature = "gemini"),
            model: &["-m", "gemini/gemini-2.5-flash"],
            files: &[("a.png", PNG, 12 * MB), ("b.png", PNG, 12 * MB)],
            needle: "gemini: the inline images and documents add up to 24 MB; this provider takes \
                     up to 20 MB of them in one request",
            before_history: true,
        },
        Refusal {
            built: cfg!(feature = "cohere"),
            model: &["-m", "cohere/command-a-vision-07-2025"],
            files: &[("a.png", PNG, 15 * MB), ("b.jpg", JPEG, 6 * MB)],
            needle: "cohere: the inline images and documents add up to 21 MB",
            before_history: true,
        },
        Refusal {
            built: true,
            model: &[
                "-m",
                "mock/mock-vision",
                "--fallback",
                "anthropic/claude-sonnet-4-5",
            ],
            files: &[("photo.png", PNG, 4 * MB)],
            needle: "anthropic: photo.png is 4 MB; this provider takes images up to 3.75 MB",
            before_history: true,
        },
        // Nothing listens on port 9 (the config below): had anything been
        // sent, this would be a network error (exit 1), not a usage error.
        Refusal {
            built: true,
            model: &["-m", "lab/m"],
            files: &[("cat.png", PNG, 16)],
            needle: "lab: images not supported: this provider does not take images (drop --attach",
            before_history: false,
        },
        Refusal {
            built: true,
            model: &["-m", "lab/m"],
            files: &[("a.pdf", PDF, 15)],
            needle: "lab: documents not supported",
            before_history: false,
        },
    ];
    for case in cases.iter().filter(|c| c.built) {
        let sb = Sandbox::new();
        sb.write_config(
            r#"{"providers": [{"id": "lab", "type": "openai-compatible",
                "base_url": "http://127.0.0.1:9/v1", "models": ["m"], "capabilities": ["tools"]}]}"#,
        );
        let mut args = vec!["chat".to_owned()];
        args.extend(case.model.iter().map(|a| (*a).to_owned()));
        for (name, head, size) in case.files {
            args.push("-a".into());
            args.push(p(&sparse(&sb, name, head, *size)).to_owned());
        }
        args.push("x".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sb.run(&args).code(2).one_error_line(case.needle);
        assert!(out.stdout.is_empty(), "{}: {}", case.needle, out.stdout);
        // Nothing was sent, nothing stored.
        if case.before_history {
            assert!(
                !sb.data_dir().join("history.sqlite").exists(),
                "{}",
                case.needle
            );
        } else {
            sb.run(&["log"]).ok().says("no conversations stored yet");
        }
    }
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

#[test]
fn attachments_are_stored_by_name_and_size_and_sent_again_on_continue() {
    let sb = Sandbox::new();
    let png = sb.file("cat.png", PNG);
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
    let json: serde_json::Value = sb.json(&["log", "show", "--json"]);
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
#[test]
fn an_image_at_the_limit_reaches_anthropic_as_5_mb_of_base64() {
    let server = common::serve(Api::Anthropic, vec![Api::Anthropic.stream(&["A big cat."])]);
    let sb = Sandbox::new();
    let image = sparse(&sb, "big.png", PNG, 5 * MB / 4 * 3);
    let out = send_to_anthropic(&sb, &server, &image);
    assert_eq!(out.stdout, "A big cat.\n");
    let body = server.requests()[0].json();
    let data = body["messages"][0]["content"][0]["source"]["data"]
        .as_str()
        .unwrap();
    assert_eq!(data.len() as u64, 5 * MB, "exactly Anthropic's 5 MB");
}

#[cfg(feature = "anthropic")]
#[test]
fn anthropic_receives_the_file_as_a_base64_image_block_before_the_text() {
    let server = common::serve(Api::Anthropic, vec![Api::Anthropic.stream(&["A cat."])]);
    let sb = Sandbox::new();
    let png = sb.file("cat.png", PNG);
    let out = send_to_anthropic(&sb, &server, &png);
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

/// `yat chat -a FILE "What is this?"` to Anthropic at the fake server.
#[cfg(feature = "anthropic")]
fn send_to_anthropic(
    sb: &Sandbox,
    server: &yat_fakeserver::FakeServer,
    file: &Path,
) -> common::Output {
    sb.at(Api::Anthropic, &server.url())
        .args(["chat", "--no-history", "-m", Api::Anthropic.model(), "-a"])
        .arg(file)
        .arg("What is this?")
        .run()
        .ok()
}

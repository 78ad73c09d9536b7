//! Files become media typed by their content, and a provider's size limits
//! refuse inline media in the manager before the provider sees the request.

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{answer, Scripted};
use yat_core::{
    register_provider, Capabilities, ChatRequest, Media, Message, ModelInfo, Part, YatError,
};

const MB: u64 = Capabilities::MB;
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn io_message(result: Result<impl std::fmt::Debug, YatError>, path: &Path) -> String {
    match result {
        Err(YatError::Io {
            path: p, message, ..
        }) => {
            assert_eq!(p, path);
            message
        }
        other => panic!(
            "expected YatError::Io for {}, got {other:?}",
            path.display()
        ),
    }
}

#[test]
fn a_file_is_typed_by_its_content_and_keeps_its_name() {
    let dir = tempfile::tempdir().unwrap();
    // A JPEG named .png is a JPEG.
    let media = Media::from_path(write(dir.path(), "photo.png", JPEG)).unwrap();
    assert_eq!(media.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.name.as_deref(), Some("photo.png"));
    assert_eq!(media.len(), Some(JPEG.len()));
    assert!(matches!(media.into_part(), Part::Image(_)));

    let pdf = Media::from_path(write(dir.path(), "report", PDF)).unwrap();
    assert_eq!(pdf.media_type.as_deref(), Some("application/pdf"));
    match pdf.into_part() {
        Part::Document(m) => assert_eq!(m.source, yat_core::MediaSource::Bytes(PDF.into())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_extension_counts_only_when_the_content_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let odd = write(dir.path(), "odd.WEBP", b"not a known header");
    assert_eq!(Media::probe(&odd).unwrap(), ("image/webp", 18));
    assert_eq!(
        Media::from_path(&odd).unwrap().media_type.as_deref(),
        Some("image/webp")
    );
    // Fewer bytes than a magic number: the extension decides.
    let tiny = write(dir.path(), "tiny.gif", b"GI");
    assert_eq!(Media::probe(&tiny).unwrap(), ("image/gif", 2));
    let empty = write(dir.path(), "empty.png", b"");
    assert_eq!(Media::from_path(&empty).unwrap().len(), Some(0));
}

#[test]
fn unreadable_files_and_unsupported_types_are_io_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let notes = write(dir.path(), "notes.txt", b"plain text");
    let message = io_message(Media::from_path(&notes), &notes);
    assert_eq!(
        message,
        "unsupported attachment type: only PNG, JPEG, GIF and WebP images and PDF documents \
         can be attached"
    );
    assert_eq!(io_message(Media::probe(&notes), &notes), message);

    let missing = dir.path().join("missing.png");
    let message = io_message(Media::from_path(&missing), &missing);
    assert!(message.starts_with("cannot read: "), "{message}");

    let message = io_message(Media::from_path(dir.path()), dir.path());
    assert_eq!(message, "is a directory, not a file");
    let e = Media::probe(dir.path()).unwrap_err();
    assert_eq!(e.kind(), "io");
    assert!(
        e.to_string().ends_with(": is a directory, not a file"),
        "{e}"
    );
}

#[test]
fn probe_measures_a_file_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "vast.pdf", PDF);
    // Sparse: 16 GiB on paper, a few bytes on disk. Reading it whole would
    // not finish in a test's time.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(16 * 1024 * MB)
        .unwrap();
    let (media_type, size) = Media::probe(&path).unwrap();
    assert_eq!((media_type, size), ("application/pdf", 16 * 1024 * MB));
    let caps = Capabilities::default().with_max_document_bytes(32 * MB);
    match caps.check_part_size(
        "acme",
        Media::part_kind_for(media_type),
        Some("vast.pdf"),
        size,
    ) {
        Err(YatError::Unsupported {
            capability,
            message,
            ..
        }) => {
            assert_eq!(capability, "document_size");
            assert_eq!(
                message,
                "vast.pdf is 16384 MB; this provider takes documents up to 32 MB"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// How many requests reached [`small`].
static SEEN: AtomicUsize = AtomicUsize::new(0);

/// A provider that takes images of up to 1 MB, 2 MB of them per request.
fn small() -> Scripted {
    Scripted::new("t-small")
        .counting(&SEEN)
        .with_capabilities(
            Capabilities::default()
                .with_images(true)
                .with_max_image_bytes(MB)
                .with_max_inline_bytes(2 * MB),
        )
        .on_list(|id| Ok(vec![ModelInfo::new(id, "small")]))
        .on_chat(|c| Ok(yat_core::stream::from_text(c.id, vec!["seen".to_owned()])))
}

register_provider! { id: "t-small", name: "Small limits", constructor: || small().boxed() }

fn png(name: &str, size: u64) -> Part {
    let mut bytes = PNG.to_vec();
    bytes.resize(size as usize, 0);
    Part::Image(Media::bytes("image/png", bytes).with_name(name))
}

#[tokio::test]
async fn the_manager_refuses_media_over_a_limit_before_the_provider_sees_it() {
    let manager = support::builder(&[])
        .registrations(vec![yat_core::registry::discover()
            .find("t-small")
            .unwrap()])
        .build()
        .await
        .unwrap();
    let ask = |parts: Vec<Part>| {
        let mut parts = parts;
        parts.push(Part::text("What is it?"));
        Message::user(parts)
    };

    let big = ChatRequest::new("small", vec![ask(vec![png("big.png", MB + 1)])]);
    match manager.stream_chat("t-small", &big).await {
        Err(e @ YatError::Unsupported { .. }) => assert_eq!(
            e.to_string(),
            "t-small: image_size not supported: big.png is 1.01 MB; this provider takes \
             images up to 1 MB"
        ),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a 1.01 MB image went through"),
    }

    // Each image fits, but the conversation sends all three again.
    let turns = vec![
        ask(vec![png("a.png", MB)]),
        Message::assistant("a cat"),
        ask(vec![png("b.png", MB)]),
        Message::assistant("a dog"),
        ask(vec![png("c.png", 1024)]),
    ];
    match manager
        .stream_chat("t-small", &ChatRequest::new("small", turns.clone()))
        .await
    {
        Err(YatError::Unsupported {
            capability,
            message,
            ..
        }) => {
            assert_eq!(capability, "inline_size");
            assert!(message.contains("add up to 2.01 MB"), "{message}");
        }
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("2.01 MB of images went through"),
    }
    assert_eq!(
        SEEN.load(Ordering::SeqCst),
        0,
        "nothing reached the provider"
    );

    // At the limits, and with an image at a URL (not counted), it goes.
    let mut fits = turns[..4].to_vec();
    fits.push(ask(vec![Part::Image(Media::url(
        "https://x.test/huge.png",
    ))]));
    let reply = answer(&manager, "t-small", &ChatRequest::new("small", fits)).await;
    assert_eq!(reply.text(), "seen");
    assert_eq!(SEEN.load(Ordering::SeqCst), 1);
}

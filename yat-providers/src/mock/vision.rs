//! `mock-vision`: a model that takes images and documents and says what it
//! was given — each part's media type and size, or its URL.
//!
//! Like the real APIs, it refuses inline bytes whose content contradicts
//! their declared media type (a JPEG sent as `image/png`), so a client that
//! labels files wrongly finds out offline.

use yat_core::{ChatRequest, Failure, Media, MediaSource, Part, Role, YatError};

use super::reply::{plan_reply, Reply};
use super::ID;

/// The reply to `req`: one sentence per image or document of the last user
/// message, in order.
pub(super) fn reply(req: &ChatRequest, chunk_size: usize) -> Result<Reply, YatError> {
    let mut said = Vec::new();
    let (mut images, mut documents) = (0, 0);
    let last = req.messages.iter().rev().find(|m| m.role == Role::User);
    for part in last.into_iter().flat_map(|m| m.content.iter()) {
        match part {
            Part::Image(m) => {
                images += 1;
                said.push(format!("Image {images}: {}.", describe(m)?));
            }
            Part::Document(m) => {
                documents += 1;
                said.push(format!("Document {documents}: {}.", describe(m)?));
            }
            _ => {}
        }
    }
    let text = if said.is_empty() {
        "I see no image and no document.".to_owned()
    } else {
        said.join(" ")
    };
    Ok(Reply::text(plan_reply(&text, chunk_size, req), req))
}

fn describe(m: &Media) -> Result<String, YatError> {
    match &m.source {
        MediaSource::Bytes(bytes) => {
            let declared = m.media_type.as_deref();
            let sniffed = Media::sniff(bytes);
            if let (Some(d), Some(s)) = (declared, sniffed) {
                if normalized(d) != s {
                    return Err(YatError::InvalidRequest(Failure::new(
                        ID,
                        format!("the part says {d}, but its bytes are {s}"),
                    )));
                }
            }
            let ty = declared.or(sniffed).unwrap_or("data of an unknown type");
            Ok(format!("{ty}, {} bytes", bytes.len()))
        }
        MediaSource::Url(url) => Ok(match (Media::parse_data_url(url), &m.media_type) {
            (Some((ty, bytes)), _) => format!("{ty}, {} bytes from a data URL", bytes.len()),
            (None, Some(ty)) => format!("{ty} at {url}"),
            (None, None) => format!("at {url}"),
        }),
        _ => Ok("from a source the mock does not know".to_owned()),
    }
}

/// The media type as [`Media::sniff`] names it (`image/jpg` is common).
fn normalized(media_type: &str) -> &str {
    match media_type {
        "image/jpg" => "image/jpeg",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{ChatEvent, Message};

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn text(reply: &Reply) -> String {
        reply
            .events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn describes_each_image_and_document_by_type_and_size_or_url() {
        let msg = Message::user("What are these?")
            .with_part(Part::Image(Media::bytes("image/png", PNG)))
            .with_part(Part::Image(Media::url("https://example.com/cat.jpg")))
            .with_part(Part::Image(Media::url("data:image/gif;base64,R0lGOA==")))
            .with_part(Part::Document(Media::bytes(
                "application/pdf",
                &b"%PDF-1.7\n"[..],
            )));
        let r = reply(&ChatRequest::new("mock-vision", vec![msg]), 16).unwrap();
        assert_eq!(
            text(&r),
            "Image 1: image/png, 16 bytes. Image 2: at https://example.com/cat.jpg. \
             Image 3: image/gif, 4 bytes from a data URL. Document 1: application/pdf, 9 bytes."
        );
        assert_eq!(
            r.usage.input_tokens,
            3 + 4 * super::super::reply::MEDIA_TOKENS
        );
    }

    #[test]
    fn no_media_is_said_and_mislabelled_bytes_are_refused() {
        let r = reply(
            &ChatRequest::new("mock-vision", vec![Message::user("hi")]),
            64,
        )
        .unwrap();
        assert_eq!(text(&r), "I see no image and no document.");
        let jpeg_as_png = Message::user("x").with_part(Part::Image(Media::bytes(
            "image/png",
            &b"\xff\xd8\xff\xe0"[..],
        )));
        match reply(&ChatRequest::new("mock-vision", vec![jpeg_as_png]), 8) {
            Err(YatError::InvalidRequest(f)) => assert_eq!(
                f.message,
                "the part says image/png, but its bytes are image/jpeg"
            ),
            other => panic!("{:?}", other.map(|r| r.events)),
        }
        let jpg = Message::user("x").with_part(Part::Image(Media::bytes(
            "image/jpg",
            &b"\xff\xd8\xff\xe0"[..],
        )));
        assert!(reply(&ChatRequest::new("mock-vision", vec![jpg]), 8).is_ok());
    }
}

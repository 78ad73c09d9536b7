//! `-a/--attach`: files and URLs become image or document parts, checked
//! before anything is sent.
//!
//! The media type comes from the content (its magic number), so a mislabelled
//! file is sent as what it is; the extension is trusted only when the
//! content says nothing and the extension names one type. A file is refused
//! before it is read whole when it is larger than a model it may go to
//! accepts (the limits are per kind of provider, below), or when it is not
//! a type LLM APIs take.

use std::io::Read;
use std::path::Path;

use yat::{Media, ModelRef, Part};

use crate::failure::Failure;

/// One MiB; vendors write it "MB".
const MB: u64 = 1024 * 1024;

/// The largest inline attachment a kind of provider accepts, in bytes of
/// the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Who these limits are (for the message).
    pub kind: &'static str,
    /// One image.
    pub image: u64,
    /// One PDF.
    pub document: u64,
    /// Every inline attachment of one request together, when the API
    /// limits the request rather than each file.
    pub request: Option<u64>,
    /// How the image limit is counted, when not on the file's size.
    pub image_note: Option<&'static str>,
}

/// Anthropic: 5 MB per image, counted on its base64 form (so 3.75 MB of
/// file), and 32 MB per request, which bounds a PDF.
const ANTHROPIC: Limits = Limits {
    kind: "anthropic",
    image: 5 * MB * 3 / 4,
    document: 32 * MB,
    request: Some(32 * MB),
    image_note: Some("5 MB once base64-encoded"),
};

/// Gemini: inline data is limited to 20 MB for the whole request.
const GEMINI: Limits = Limits {
    kind: "gemini",
    image: 20 * MB,
    document: 20 * MB,
    request: Some(20 * MB),
    image_note: None,
};

/// OpenAI, and the APIs that copy it: 20 MB per image, 32 MB per PDF.
const OPENAI_STYLE: Limits = Limits {
    kind: "OpenAI-style",
    image: 20 * MB,
    document: 32 * MB,
    request: None,
    image_note: None,
};

/// The limits for a provider id. Providers not named here speak the
/// OpenAI format or accept at least as much.
pub fn limits_for(provider: &str) -> Limits {
    match provider {
        "anthropic" => ANTHROPIC,
        "gemini" | "google" => GEMINI,
        _ => OPENAI_STYLE,
    }
}

/// The types yat attaches, by the extensions that name exactly one of them.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("pdf", "application/pdf"),
];

const SUPPORTED: &str = "yat attaches PNG, JPEG, GIF and WebP images and PDF documents";

/// The media type an extension names, if it names one yat attaches.
fn type_of_extension(name: &str) -> Option<&'static str> {
    let ext = Path::new(name).extension()?.to_str()?.to_ascii_lowercase();
    BY_EXTENSION
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, ty)| *ty)
}

fn is_supported(media_type: &str) -> bool {
    BY_EXTENSION.iter().any(|(_, ty)| *ty == media_type)
}

/// The part for media of a supported type.
fn part_of(media: Media) -> Part {
    match media.media_type.as_deref() {
        Some("application/pdf") => Part::Document(media),
        _ => Part::Image(media),
    }
}

/// Loads every `--attach` argument, checking each against the limits of
/// every model the request may go to (the model and its fallbacks).
pub fn load_all(specs: &[String], candidates: &[ModelRef]) -> Result<Vec<Part>, Failure> {
    let mut providers: Vec<&str> = candidates.iter().map(|c| c.provider.as_str()).collect();
    providers.dedup();
    let limits: Vec<Limits> = providers.iter().map(|p| limits_for(p)).collect();
    let parts = specs
        .iter()
        .map(|spec| load(spec, &limits))
        .collect::<Result<Vec<_>, _>>()?;
    check_request_total(&parts, &limits)?;
    Ok(parts)
}

/// One attachment: an `http(s)` URL, a `data:` URL or a file.
pub fn load(spec: &str, limits: &[Limits]) -> Result<Part, Failure> {
    let lower = spec.get(..8).unwrap_or(spec).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        url(spec)
    } else if lower.starts_with("data:") {
        data_url(spec, limits)
    } else {
        file(Path::new(spec), limits)
    }
}

/// A URL the provider fetches itself: its type from its path's extension,
/// an image when the path names none.
fn url(spec: &str) -> Result<Part, Failure> {
    let path = spec.split(['?', '#']).next().unwrap_or(spec);
    let last = path.rsplit('/').next().unwrap_or("");
    let mut media = Media::url(spec);
    if !last.is_empty() {
        media = media.with_name(last);
    }
    match type_of_extension(last) {
        Some(ty) => Ok(part_of(media.with_media_type(ty))),
        None if Path::new(last).extension().is_none() => Ok(Part::Image(media)),
        None => Err(Failure::Usage(format!(
            "{spec}: unsupported attachment type: {SUPPORTED}"
        ))),
    }
}

/// The bytes of a `data:` URL, typed by their content when it says.
fn data_url(spec: &str, limits: &[Limits]) -> Result<Part, Failure> {
    let (declared, bytes) = Media::parse_data_url(spec).ok_or_else(|| {
        Failure::Usage("--attach: a data: URL must be data:TYPE;base64,DATA".into())
    })?;
    let media_type = Media::sniff(&bytes).map(str::to_owned).unwrap_or(declared);
    if !is_supported(&media_type) {
        return Err(Failure::Usage(format!(
            "data: URL of type {media_type}: unsupported attachment type: {SUPPORTED}"
        )));
    }
    check_size("the data: URL", &media_type, bytes.len() as u64, limits)?;
    Ok(part_of(Media::bytes(media_type, bytes)))
}

/// A file, refused by its size before it is read whole.
fn file(path: &Path, limits: &[Limits]) -> Result<Part, Failure> {
    let shown = path.display().to_string();
    let cannot = |e: std::io::Error| Failure::Usage(format!("{shown}: cannot attach: {e}"));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(Failure::Usage(format!(
            "{shown}: is a directory; --attach takes files and URLs"
        )));
    }
    let mut f = std::fs::File::open(path).map_err(cannot)?;
    let mut head = [0u8; 16];
    let n = read_head(&mut f, &mut head).map_err(cannot)?;
    let media_type = Media::sniff(&head[..n])
        .or_else(|| type_of_extension(&shown))
        .ok_or_else(|| {
            Failure::Usage(format!("{shown}: unsupported attachment type: {SUPPORTED}"))
        })?;
    check_size(&shown, media_type, meta.len(), limits)?;
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    data.extend_from_slice(&head[..n]);
    f.read_to_end(&mut data).map_err(cannot)?;
    // The file may have grown since it was measured.
    check_size(&shown, media_type, data.len() as u64, limits)?;
    let mut media = Media::bytes(media_type, data);
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        media = media.with_name(name);
    }
    Ok(part_of(media))
}

/// Reads up to `buf.len()` bytes (fewer only at the end of the file).
fn read_head(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn check_size(what: &str, media_type: &str, size: u64, limits: &[Limits]) -> Result<(), Failure> {
    let is_image = media_type.starts_with("image/");
    for l in limits {
        let max = if is_image { l.image } else { l.document };
        if size > max {
            let kind = if is_image { "images" } else { "PDFs" };
            let note = match (is_image, l.image_note) {
                (true, Some(note)) => format!(" ({note})"),
                _ => String::new(),
            };
            return Err(Failure::Usage(format!(
                "{what} is {}: too large to attach; {} takes {kind} up to {}{note}",
                size_text(size),
                l.kind,
                size_text(max)
            )));
        }
    }
    Ok(())
}

fn check_request_total(parts: &[Part], limits: &[Limits]) -> Result<(), Failure> {
    let total: u64 = parts
        .iter()
        .filter_map(|p| match p {
            Part::Image(m) | Part::Document(m) => m.len(),
            _ => None,
        })
        .map(|n| n as u64)
        .sum();
    for l in limits {
        if let Some(max) = l.request.filter(|max| total > *max) {
            return Err(Failure::Usage(format!(
                "the attachments add up to {}: too large for one request; {} takes up to {} in all",
                size_text(total),
                l.kind,
                size_text(max)
            )));
        }
    }
    Ok(())
}

/// `3.75 MB`, `20 MB`, `512 KB`, `12 bytes`; rounded up, so a file just
/// over a limit never reads as the limit itself.
pub fn size_text(n: u64) -> String {
    if n >= MB {
        let hundredths = (n * 100).div_ceil(MB);
        let s = format!("{}.{:02}", hundredths / 100, hundredths % 100);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s} MB")
    } else if n >= 1024 {
        format!("{} KB", n.div_ceil(1024))
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_the_vendors_write_them() {
        assert_eq!(size_text(20 * MB), "20 MB");
        assert_eq!(size_text(ANTHROPIC.image), "3.75 MB");
        assert_eq!(size_text(1536), "2 KB");
        assert_eq!(size_text(12), "12 bytes");
        assert_eq!(size_text(20 * MB + 1), "20.01 MB");
    }

    #[test]
    fn urls_are_typed_by_their_path() {
        let p = url("https://x.test/a/report.PDF?sig=1").unwrap();
        assert!(
            matches!(&p, Part::Document(m) if m.media_type.as_deref() == Some("application/pdf"))
        );
        let p = url("https://x.test/render?id=3").unwrap();
        assert!(matches!(&p, Part::Image(m) if m.media_type.is_none()));
        assert!(url("https://x.test/notes.docx").is_err());
    }

    #[test]
    fn limits_are_per_kind_of_provider() {
        assert_eq!(limits_for("anthropic").image, 3_932_160);
        assert_eq!(limits_for("google").request, Some(20 * MB));
        assert_eq!(limits_for("groq"), OPENAI_STYLE);
    }
}

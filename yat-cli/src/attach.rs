//! `-a/--attach`: files and URLs become image or document parts, checked
//! before anything is sent.
//!
//! The library types and reads files ([`Media::probe`], [`Media::from_path`]:
//! the content decides the type, the extension only when the content says
//! nothing), and each provider states the sizes its API takes
//! ([`Capabilities`]). A file is refused before it is read whole when it is
//! larger than a model it may go to accepts, or when it is not a type LLM
//! APIs take.

use std::path::Path;

use yat::{Capabilities, Media, ModelRef, Part, ProviderManager, YatError};

use crate::failure::Failure;

const SUPPORTED: &str = "yat attaches PNG, JPEG, GIF and WebP images and PDF documents";

/// The providers a request may go to, each with what it states it takes.
type Destinations = [(String, Capabilities)];

/// Loads every `--attach` argument, checking each against the limits of
/// every model the request may go to (the model and its fallbacks).
pub fn load_all(
    manager: &ProviderManager,
    specs: &[String],
    candidates: &[ModelRef],
) -> Result<Vec<Part>, Failure> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let destinations = destinations(manager, candidates);
    let parts = specs
        .iter()
        .map(|spec| load(spec, &destinations))
        .collect::<Result<Vec<_>, _>>()?;
    check_all(&destinations, &parts)?;
    Ok(parts)
}

/// Each candidate provider once, with its capabilities.
fn destinations(manager: &ProviderManager, candidates: &[ModelRef]) -> Vec<(String, Capabilities)> {
    let mut out: Vec<(String, Capabilities)> = Vec::new();
    for c in candidates {
        if out.iter().any(|(id, _)| *id == c.provider) {
            continue;
        }
        if let Some(caps) = capabilities(manager, &c.provider) {
            out.push((c.provider.clone(), caps));
        }
    }
    out
}

/// What `id` states it takes: its ready instance's capabilities, or, when
/// it is not ready (no key yet), a fresh unconfigured instance's. The
/// limits are the API's, not the account's, so a missing key is no reason
/// to read a file the API would refuse anyway.
fn capabilities(manager: &ProviderManager, id: &str) -> Option<Capabilities> {
    if let Ok(provider) = manager.provider(id) {
        return Some(provider.capabilities());
    }
    let registration = yat::registry::discover().find(id)?;
    // Provider code runs here outside the manager, which would otherwise
    // catch a panic: keep the promise that a provider cannot bring yat down.
    std::panic::catch_unwind(|| {
        (registration.constructor())()
            .ok()
            .map(|p| p.capabilities())
    })
    .ok()
    .flatten()
}

/// One attachment: an `http(s)` URL, a `data:` URL or a file.
fn load(spec: &str, destinations: &Destinations) -> Result<Part, Failure> {
    let lower = spec.get(..8).unwrap_or(spec).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        url(spec)
    } else if lower.starts_with("data:") {
        data_url(spec, destinations)
    } else {
        file(Path::new(spec), destinations)
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
    match Media::media_type_for(last, b"") {
        Some(ty) => Ok(media.with_media_type(ty).into_part()),
        None if Path::new(last).extension().is_none() => Ok(Part::Image(media)),
        None => Err(Failure::Usage(format!(
            "{spec}: unsupported attachment type: {SUPPORTED}"
        ))),
    }
}

/// The bytes of a `data:` URL, typed by their content when it says.
fn data_url(spec: &str, destinations: &Destinations) -> Result<Part, Failure> {
    let (declared, bytes) = Media::parse_data_url(spec).ok_or_else(|| {
        Failure::Usage("--attach: a data: URL must be data:TYPE;base64,DATA".into())
    })?;
    let media_type = Media::sniff(&bytes)
        .or_else(|| Media::supported_type(&declared))
        .ok_or_else(|| {
            Failure::Usage(format!(
                "data: URL of type {declared}: unsupported attachment type: {SUPPORTED}"
            ))
        })?;
    let part = Media::bytes(media_type, bytes).into_part();
    check_all(destinations, std::slice::from_ref(&part))?;
    Ok(part)
}

/// A file, refused by its size before it is read whole.
fn file(path: &Path, destinations: &Destinations) -> Result<Part, Failure> {
    let (media_type, size) = Media::probe(path).map_err(unreadable)?;
    let name = path.file_name().and_then(|n| n.to_str());
    for (id, caps) in destinations {
        caps.check_part_size(id, Media::part_kind_for(media_type), name, size)
            .map_err(too_large)?;
    }
    let part = Media::from_path(path).map_err(unreadable)?.into_part();
    // The file may have grown since it was measured.
    check_all(destinations, std::slice::from_ref(&part))?;
    Ok(part)
}

/// Every part against every destination's limits, alone and together.
fn check_all(destinations: &Destinations, parts: &[Part]) -> Result<(), Failure> {
    for (id, caps) in destinations {
        caps.check_media_sizes(id, parts).map_err(too_large)?;
    }
    Ok(())
}

/// A file that cannot be attached (missing, a directory, not a type LLM
/// APIs take) is the user's to fix: a usage error, path first.
fn unreadable(e: YatError) -> Failure {
    Failure::Usage(e.to_string())
}

/// A size refusal, said as what it is (`anthropic: cat.png is 4 MB; ...`)
/// rather than as a capability not supported.
fn too_large(e: YatError) -> Failure {
    match e {
        YatError::Unsupported {
            provider, message, ..
        } => Failure::Usage(format!("{provider}: {message}")),
        other => Failure::Yat(other),
    }
}

/// Sizes are shown as the library's limit messages show them.
pub use yat::provider::format_size as size_text;

#[cfg(test)]
mod tests {
    use super::*;

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
    fn every_destination_limits_the_parts() {
        let part = Part::Image(Media::bytes("image/png", vec![0u8; 2048]).with_name("a.png"));
        let roomy = ("roomy".to_owned(), Capabilities::default());
        let tight = (
            "tight".to_owned(),
            Capabilities::default().with_max_image_bytes(1024),
        );
        assert!(check_all(std::slice::from_ref(&roomy), std::slice::from_ref(&part)).is_ok());
        match check_all(&[roomy, tight], std::slice::from_ref(&part)) {
            Err(Failure::Usage(m)) => assert_eq!(
                m,
                "tight: a.png is 2 KB; this provider takes images up to 1 KB"
            ),
            other => panic!("{other:?}"),
        }
    }
}

//! Images and documents: where the bytes are and what they are.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::message::Part;
use crate::YatError;

/// The types yat attaches, by the extensions that name exactly one of them.
/// [`Media::sniff`] knows the same types by their content.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("pdf", "application/pdf"),
];

/// How many first bytes [`Media::sniff`] needs to tell every type it knows.
const HEAD_LEN: usize = 16;

/// Where an image's or a document's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaSource {
    /// A URL the provider fetches itself (`https:`, or a `data:` URL).
    Url(String),
    /// The bytes, sent inline (base64 on the wire).
    Bytes(Bytes),
}

/// An image or a document attached to a message.
///
/// ```
/// use yat_core::{Media, MediaSource};
/// let png = Media::bytes("image/png", b"\x89PNG\r\n\x1a\n....".to_vec()).with_name("cat.png");
/// assert_eq!(png.media_type.as_deref(), Some("image/png"));
/// assert_eq!(png.len(), Some(12));
/// assert!(png.to_data_url().unwrap().starts_with("data:image/png;base64,iVBORw0K"));
///
/// let json = serde_json::to_value(&png).unwrap();
/// assert_eq!(json["data"], "iVBORw0KGgouLi4u");
/// let back: Media = serde_json::from_value(json).unwrap();
/// assert_eq!(back, png);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Media {
    /// The bytes or their URL.
    pub source: MediaSource,
    /// The IANA media type (`image/png`, `application/pdf`); required for
    /// inline bytes by every API, optional for URLs.
    pub media_type: Option<String>,
    /// A file name, shown in logs and sent where an API takes one.
    pub name: Option<String>,
}

impl Media {
    /// Media at a URL.
    pub fn url(url: impl Into<String>) -> Self {
        Media {
            source: MediaSource::Url(url.into()),
            media_type: None,
            name: None,
        }
    }
    /// Inline bytes of the given media type.
    pub fn bytes(media_type: impl Into<String>, data: impl Into<Bytes>) -> Self {
        Media {
            source: MediaSource::Bytes(data.into()),
            media_type: Some(media_type.into()),
            name: None,
        }
    }
    /// Sets the file name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets the media type.
    pub fn with_media_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }
    /// The size of inline bytes (`None` for a URL).
    pub fn len(&self) -> Option<usize> {
        match &self.source {
            MediaSource::Bytes(b) => Some(b.len()),
            MediaSource::Url(_) => None,
        }
    }
    /// Whether this holds zero inline bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
    /// The inline bytes as base64 (`None` for a URL).
    pub fn base64(&self) -> Option<String> {
        match &self.source {
            MediaSource::Bytes(b) => Some(base64::engine::general_purpose::STANDARD.encode(b)),
            MediaSource::Url(_) => None,
        }
    }
    /// A URL for the media: the URL itself, or a `data:` URL of the bytes.
    /// `None` for bytes without a media type.
    pub fn to_data_url(&self) -> Option<String> {
        match &self.source {
            MediaSource::Url(u) => Some(u.clone()),
            MediaSource::Bytes(_) => Some(format!(
                "data:{};base64,{}",
                self.media_type.as_deref()?,
                self.base64()?
            )),
        }
    }
    /// Splits a `data:<type>;base64,<data>` URL into media type and bytes.
    /// Other URLs (and malformed data URLs) give `None`.
    ///
    /// ```
    /// use yat_core::Media;
    /// let (ty, bytes) = Media::parse_data_url("data:image/gif;base64,R0lGOA==").unwrap();
    /// assert_eq!((ty.as_str(), &bytes[..]), ("image/gif", &b"GIF8"[..]));
    /// assert!(Media::parse_data_url("https://example.com/a.gif").is_none());
    /// ```
    pub fn parse_data_url(url: &str) -> Option<(String, Bytes)> {
        let rest = url.strip_prefix("data:")?;
        let (meta, data) = rest.split_once(',')?;
        let media_type = meta.strip_suffix(";base64")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()?;
        Some((media_type.to_owned(), Bytes::from(bytes)))
    }
    /// The media type of `bytes` read from their first bytes (their magic
    /// number), for the formats LLM APIs take: PNG, JPEG, GIF, WebP, PDF.
    ///
    /// ```
    /// use yat_core::Media;
    /// assert_eq!(Media::sniff(b"%PDF-1.7\n"), Some("application/pdf"));
    /// assert_eq!(Media::sniff(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
    /// assert_eq!(Media::sniff(b"hello"), None);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
        const TABLE: &[(&[u8], &str)] = &[
            (b"\x89PNG\r\n\x1a\n", "image/png"),
            (b"\xff\xd8\xff", "image/jpeg"),
            (b"GIF87a", "image/gif"),
            (b"GIF89a", "image/gif"),
            (b"%PDF-", "application/pdf"),
        ];
        if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            return Some("image/webp");
        }
        TABLE
            .iter()
            .find(|(magic, _)| bytes.starts_with(magic))
            .map(|(_, ty)| *ty)
    }

    /// The media type of a file named `path` whose first bytes are `head`:
    /// what the content says ([`sniff`](Media::sniff)), or, only when it says
    /// nothing, what the extension names (`.png`, `.jpg`/`.jpeg`, `.gif`,
    /// `.webp`, `.pdf`, in any case). `None`: not a type yat attaches.
    ///
    /// The content wins because APIs refuse bytes whose declared type
    /// contradicts them: a JPEG named `photo.png` is sent as a JPEG. Sixteen
    /// bytes of head are enough; an empty head types by the extension alone
    /// (a URL's path, say).
    ///
    /// ```
    /// use yat_core::Media;
    /// assert_eq!(Media::media_type_for("photo.png", b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
    /// assert_eq!(Media::media_type_for("scan.PDF", b"not a magic number"), Some("application/pdf"));
    /// assert_eq!(Media::media_type_for("notes.txt", b"hello"), None);
    /// assert_eq!(Media::media_type_for("a/b/c.webp", b""), Some("image/webp"));
    /// ```
    pub fn media_type_for(path: impl AsRef<Path>, head: &[u8]) -> Option<&'static str> {
        Media::sniff(head).or_else(|| {
            let ext = path.as_ref().extension()?.to_str()?;
            BY_EXTENSION
                .iter()
                .find(|(e, _)| e.eq_ignore_ascii_case(ext))
                .map(|(_, ty)| *ty)
        })
    }

    /// `media_type` in its usual spelling, if it is a type yat attaches
    /// (the ones [`sniff`](Media::sniff) knows).
    ///
    /// ```
    /// use yat_core::Media;
    /// assert_eq!(Media::supported_type("Image/PNG"), Some("image/png"));
    /// assert_eq!(Media::supported_type("text/plain"), None);
    /// ```
    pub fn supported_type(media_type: &str) -> Option<&'static str> {
        BY_EXTENSION
            .iter()
            .map(|(_, ty)| *ty)
            .find(|ty| ty.eq_ignore_ascii_case(media_type))
    }

    /// The media type and size in bytes of a file, from its first bytes and
    /// its metadata, without reading it whole: what to check against a
    /// provider's limits ([`Capabilities::check_part_size`](crate::Capabilities::check_part_size))
    /// before loading a large file with [`from_path`](Media::from_path).
    ///
    /// Fails as `from_path` does.
    ///
    /// ```
    /// use yat_core::Media;
    /// let path = std::env::temp_dir().join(format!("yat-doc-probe-{}.pdf", std::process::id()));
    /// std::fs::write(&path, b"%PDF-1.7\n...").unwrap();
    /// assert_eq!(Media::probe(&path).unwrap(), ("application/pdf", 12));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn probe(path: impl AsRef<Path>) -> Result<(&'static str, u64), YatError> {
        let opened = Opened::open(path.as_ref())?;
        Ok((opened.media_type, opened.size))
    }

    /// Reads a file into inline media: its type from its content, from its
    /// extension only when the content says nothing
    /// ([`media_type_for`](Media::media_type_for)); its file name kept.
    ///
    /// A file that cannot be read, a directory, or a file of a type yat does
    /// not attach gives [`YatError::Io`] naming the path and what is wrong.
    /// The whole file is read: [`probe`](Media::probe) it first when its
    /// size matters.
    ///
    /// ```
    /// use yat_core::{Media, Part, YatError};
    /// let dir = std::env::temp_dir().join(format!("yat-doc-from-path-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("cat.png");
    /// std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    ///
    /// let media = Media::from_path(&path).unwrap();
    /// assert_eq!(media.media_type.as_deref(), Some("image/png"));
    /// assert_eq!(media.name.as_deref(), Some("cat.png"));
    /// assert_eq!(media.len(), Some(16));
    /// assert!(matches!(media.into_part(), Part::Image(_)));
    ///
    /// std::fs::write(dir.join("notes.txt"), b"plain text").unwrap();
    /// match Media::from_path(dir.join("notes.txt")) {
    ///     Err(e @ YatError::Io { .. }) => assert!(e.to_string().ends_with(
    ///         "notes.txt: unsupported attachment type: only PNG, JPEG, GIF and WebP images and PDF documents can be attached"
    ///     )),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(matches!(Media::from_path(dir.join("missing.png")), Err(YatError::Io { .. })));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Media, YatError> {
        let path = path.as_ref();
        let Opened {
            mut file,
            head,
            filled,
            media_type,
            size,
        } = Opened::open(path)?;
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0).max(filled));
        data.extend_from_slice(&head[..filled]);
        file.read_to_end(&mut data)
            .map_err(|e| io_error(path, format!("cannot read: {e}")))?;
        let mut media = Media::bytes(media_type, data);
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            media = media.with_name(name);
        }
        Ok(media)
    }

    /// This media as a message part: a [`Part::Document`] for a PDF, a
    /// [`Part::Image`] otherwise (also when the type is not known, as for
    /// a URL without an extension).
    ///
    /// ```
    /// use yat_core::{Media, Part};
    /// assert!(matches!(Media::url("https://x.test/a.pdf").with_media_type("application/pdf").into_part(), Part::Document(_)));
    /// assert!(matches!(Media::url("https://x.test/render?id=3").into_part(), Part::Image(_)));
    /// ```
    pub fn into_part(self) -> Part {
        match self.media_type.as_deref().map(Media::part_kind_for) {
            Some("document") => Part::Document(self),
            _ => Part::Image(self),
        }
    }

    /// The [`Part::kind`] media of `media_type` becomes in
    /// [`into_part`](Media::into_part): `document` for a PDF, `image`
    /// otherwise. What [`Capabilities::check_part_size`](crate::Capabilities::check_part_size)
    /// takes for a file known only by [`probe`](Media::probe).
    ///
    /// ```
    /// use yat_core::Media;
    /// assert_eq!(Media::part_kind_for("application/pdf"), "document");
    /// assert_eq!(Media::part_kind_for("image/webp"), "image");
    /// ```
    pub fn part_kind_for(media_type: &str) -> &'static str {
        if media_type.eq_ignore_ascii_case("application/pdf") {
            "document"
        } else {
            "image"
        }
    }
}

/// A file opened as media: its head read and typed, its size known, the
/// rest not read yet.
struct Opened {
    file: File,
    head: [u8; HEAD_LEN],
    filled: usize,
    media_type: &'static str,
    size: u64,
}

impl Opened {
    fn open(path: &Path) -> Result<Opened, YatError> {
        let cannot = |e: std::io::Error| io_error(path, format!("cannot read: {e}"));
        let mut file = File::open(path).map_err(cannot)?;
        let meta = file.metadata().map_err(cannot)?;
        if meta.is_dir() {
            return Err(io_error(path, "is a directory, not a file".into()));
        }
        let mut head = [0u8; HEAD_LEN];
        let filled = read_head(&mut file, &mut head).map_err(cannot)?;
        let media_type = Media::media_type_for(path, &head[..filled]).ok_or_else(|| {
            io_error(
                path,
                "unsupported attachment type: only PNG, JPEG, GIF and WebP images and PDF \
                 documents can be attached"
                    .into(),
            )
        })?;
        Ok(Opened {
            file,
            head,
            filled,
            media_type,
            size: meta.len(),
        })
    }
}

/// Reads up to `buf.len()` bytes (fewer only at the end of the file).
fn read_head(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn io_error(path: &Path, message: String) -> YatError {
    YatError::io(path, message)
}

/// The serialized form: `url` or base64 `data`, plus `media_type` and `name`.
#[derive(Serialize, Deserialize)]
struct MediaRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl Serialize for Media {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (url, data) = match &self.source {
            MediaSource::Url(u) => (Some(u.clone()), None),
            MediaSource::Bytes(_) => (None, self.base64()),
        };
        MediaRepr {
            url,
            data,
            media_type: self.media_type.clone(),
            name: self.name.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Media {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = MediaRepr::deserialize(d)?;
        let source = match (r.url, r.data) {
            (Some(u), None) => MediaSource::Url(u),
            (None, Some(b64)) => MediaSource::Bytes(Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .map_err(serde::de::Error::custom)?,
            )),
            _ => {
                return Err(serde::de::Error::custom(
                    "media needs exactly one of `url` and `data`",
                ))
            }
        };
        Ok(Media {
            source,
            media_type: r.media_type,
            name: r.name,
        })
    }
}

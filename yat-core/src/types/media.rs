//! Images and documents: where the bytes are and what they are.

use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

//! What a tool returned: text, JSON, or an ordered list of text, images and
//! documents.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::media::{Media, MediaSource};

/// What a tool returned.
///
/// ```
/// use yat_core::{Media, ToolOutput, ToolPart};
/// assert_eq!(ToolOutput::from("12°C").to_text(), "12°C");
/// assert_eq!(ToolOutput::Json(serde_json::json!({"t": 12})).to_text(), r#"{"t":12}"#);
///
/// let chart = ToolOutput::parts([
///     ToolPart::text("the chart:"),
///     ToolPart::Image(Media::bytes("image/png", vec![0x89, b'P', b'N', b'G'])),
/// ]);
/// // As text, an image is described, never spelled out in base64.
/// assert_eq!(chart.to_text(), "the chart:\n[image: image/png, 4 bytes]");
/// assert_eq!(chart.images().count(), 1);
/// ```
///
/// A provider whose API cannot carry images in a tool result sends
/// [`to_text`](ToolOutput::to_text): the safe fallback for every variant,
/// also for ones a later version adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolOutput {
    /// Plain text.
    Text(String),
    /// A JSON value.
    Json(serde_json::Value),
    /// Text, images and documents in order (an MCP tool's chart, a
    /// screenshot tool's capture). Serialized as
    /// `{"parts": [{"type": "text", "text": "…"}, {"type": "image", "media_type": "image/png", "data": "<base64>"}]}`,
    /// each part in the shape a message [`Part`](crate::Part) of that type has.
    Parts(Vec<ToolPart>),
}

impl ToolOutput {
    /// An output of parts, in order.
    pub fn parts(parts: impl IntoIterator<Item = ToolPart>) -> Self {
        ToolOutput::Parts(parts.into_iter().collect())
    }
    /// The output as text: text as is, JSON serialized, parts one per line
    /// with each image or document described by type and size
    /// (`[image: image/png, 1234 bytes]`).
    pub fn to_text(&self) -> String {
        match self {
            ToolOutput::Text(t) => t.clone(),
            ToolOutput::Json(v) => v.to_string(),
            ToolOutput::Parts(parts) => {
                let lines: Vec<String> = parts.iter().map(ToolPart::to_text).collect();
                lines.join("\n")
            }
        }
    }
    /// The output as a JSON value: JSON as is, text (and the text of parts,
    /// as [`to_text`](ToolOutput::to_text) gives it) as a JSON string.
    ///
    /// ```
    /// use yat_core::{Media, ToolOutput, ToolPart};
    /// let out = ToolOutput::parts([ToolPart::text("a"), ToolPart::Image(Media::url("https://x.test/a.png"))]);
    /// assert_eq!(out.to_json(), serde_json::json!("a\n[image: https://x.test/a.png]"));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ToolOutput::Json(v) => v.clone(),
            other => serde_json::Value::String(other.to_text()),
        }
    }
    /// The images among the parts, in order (none for text and JSON).
    pub fn images(&self) -> impl Iterator<Item = &Media> {
        self.media_parts().filter_map(|p| match p {
            ToolPart::Image(m) => Some(m),
            _ => None,
        })
    }
    /// Whether any part is an image or a document: whether sending
    /// [`to_text`](ToolOutput::to_text) alone would leave something out.
    pub fn has_media(&self) -> bool {
        self.media_parts().next().is_some()
    }
    fn media_parts(&self) -> impl Iterator<Item = &ToolPart> {
        let parts = match self {
            ToolOutput::Parts(parts) => parts.as_slice(),
            _ => &[],
        };
        parts.iter().filter(|p| !matches!(p, ToolPart::Text(_)))
    }
}

impl From<&str> for ToolOutput {
    fn from(s: &str) -> Self {
        ToolOutput::Text(s.to_owned())
    }
}

impl From<String> for ToolOutput {
    fn from(s: String) -> Self {
        ToolOutput::Text(s)
    }
}

impl From<serde_json::Value> for ToolOutput {
    fn from(v: serde_json::Value) -> Self {
        ToolOutput::Json(v)
    }
}

impl From<Vec<ToolPart>> for ToolOutput {
    fn from(parts: Vec<ToolPart>) -> Self {
        ToolOutput::Parts(parts)
    }
}

/// One piece of a [`ToolOutput::Parts`].
///
/// ```
/// use yat_core::{Media, ToolPart};
/// let png = ToolPart::from(Media::bytes("image/png", vec![1, 2, 3]));
/// assert!(matches!(png, ToolPart::Image(_)));
/// assert_eq!(png.to_text(), "[image: image/png, 3 bytes]");
/// let pdf = ToolPart::from(Media::bytes("application/pdf", b"%PDF-1.7".to_vec()));
/// assert_eq!(pdf.to_text(), "[document: application/pdf, 8 bytes]");
/// assert_eq!(
///     serde_json::to_string(&ToolPart::text("hi")).unwrap(),
///     r#"{"type":"text","text":"hi"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolPart {
    /// Text.
    Text(String),
    /// An image.
    Image(Media),
    /// A document (PDF and the like).
    Document(Media),
}

impl ToolPart {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        ToolPart::Text(text.into())
    }
    /// The text, if this is a text part.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ToolPart::Text(t) => Some(t),
            _ => None,
        }
    }
    /// The part as text: text as is, media described by kind, type and size
    /// (`[image: image/png, 1234 bytes]`), or by URL when the URL is not a
    /// `data:` URL. Never the bytes: a model reading a result as text gains
    /// nothing from base64, and a log must not fill with it.
    pub fn to_text(&self) -> String {
        match self {
            ToolPart::Text(t) => t.clone(),
            ToolPart::Image(m) => describe("image", m),
            ToolPart::Document(m) => describe("document", m),
        }
    }
}

/// `[image: image/png, 12 bytes]`, `[image: https://…]`.
fn describe(kind: &str, media: &Media) -> String {
    let (media_type, len) = match &media.source {
        MediaSource::Bytes(b) => (media.media_type.clone(), b.len()),
        MediaSource::Url(url) => match Media::parse_data_url(url) {
            Some((ty, bytes)) => (media.media_type.clone().or(Some(ty)), bytes.len()),
            // A data: URL that does not parse is still no text to show.
            None if url.starts_with("data:") => (media.media_type.clone(), 0),
            None => return format!("[{kind}: {url}]"),
        },
    };
    let media_type = media_type.as_deref().unwrap_or("unknown type");
    format!("[{kind}: {media_type}, {len} bytes]")
}

/// Media becomes a document when it is a PDF, an image otherwise, as
/// [`Media::into_part`] decides.
impl From<Media> for ToolPart {
    fn from(media: Media) -> Self {
        match media.media_type.as_deref().map(Media::part_kind_for) {
            Some("document") => ToolPart::Document(media),
            _ => ToolPart::Image(media),
        }
    }
}

impl From<&str> for ToolPart {
    fn from(s: &str) -> Self {
        ToolPart::Text(s.to_owned())
    }
}

impl From<String> for ToolPart {
    fn from(s: String) -> Self {
        ToolPart::Text(s)
    }
}

/// The serialized form: internally tagged by `type`, as message parts are.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToolPartRepr {
    Text { text: String },
    Image(Media),
    Document(Media),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToolPartRef<'a> {
    Text { text: &'a str },
    Image(&'a Media),
    Document(&'a Media),
}

impl Serialize for ToolPart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolPart::Text(text) => ToolPartRef::Text { text },
            ToolPart::Image(m) => ToolPartRef::Image(m),
            ToolPart::Document(m) => ToolPartRef::Document(m),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ToolPart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match ToolPartRepr::deserialize(d)? {
            ToolPartRepr::Text { text } => ToolPart::Text(text),
            ToolPartRepr::Image(m) => ToolPart::Image(m),
            ToolPartRepr::Document(m) => ToolPart::Document(m),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn png() -> Media {
        Media::bytes("image/png", b"\x89PNG\r\n\x1a\n....".to_vec())
    }

    #[test]
    fn every_output_round_trips_through_its_wire_shape() {
        let outputs = [
            ToolOutput::from("12°C"),
            ToolOutput::Json(json!({"t": 12})),
            ToolOutput::parts([
                ToolPart::text("a"),
                ToolPart::Image(png().with_name("c.png")),
                ToolPart::Document(Media::url("https://x.test/a.pdf")),
                ToolPart::text("b"),
            ]),
            ToolOutput::parts([]),
        ];
        for out in outputs {
            let wire = serde_json::to_value(&out).unwrap();
            assert_eq!(
                serde_json::from_value::<ToolOutput>(wire.clone()).unwrap(),
                out,
                "{wire}"
            );
        }
        assert_eq!(
            serde_json::to_value(ToolOutput::parts([
                ToolPart::text("a"),
                ToolPart::Image(png())
            ]))
            .unwrap(),
            json!({"parts": [
                {"type": "text", "text": "a"},
                {"type": "image", "data": "iVBORw0KGgouLi4u", "media_type": "image/png"},
            ]})
        );
    }

    #[test]
    fn text_describes_media_without_its_bytes() {
        let out = ToolOutput::parts([
            ToolPart::text("see"),
            ToolPart::Image(png()),
            ToolPart::Image(Media::url("data:image/gif;base64,R0lGOA==")),
            ToolPart::Image(Media::url("data:image/gif;base64,%%%")),
            ToolPart::Image(Media::bytes("x", vec![]).with_media_type("image/webp")),
        ]);
        let text = out.to_text();
        assert_eq!(
            text,
            "see\n[image: image/png, 12 bytes]\n[image: image/gif, 4 bytes]\n\
             [image: unknown type, 0 bytes]\n[image: image/webp, 0 bytes]"
        );
        assert!(!text.contains("iVBOR") && !text.contains("R0lG"));
        assert_eq!(out.to_json(), json!(text));
        assert_eq!(out.images().count(), 4);
        assert!(out.has_media());
        assert!(!ToolOutput::parts([ToolPart::text("x")]).has_media());
        assert!(!ToolOutput::from("x").has_media());
    }

    #[test]
    fn a_malformed_part_is_an_error_that_says_so() {
        let e = serde_json::from_value::<ToolOutput>(json!({"parts": [{"type": "audio"}]}))
            .unwrap_err();
        assert!(e.to_string().contains("unknown variant `audio`"), "{e}");
        let e = serde_json::from_value::<ToolOutput>(
            json!({"parts": [{"type": "image", "data": "%%%"}]}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("Invalid"), "{e}");
    }
}

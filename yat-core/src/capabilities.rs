//! What a provider claims it can do, and the check of every request
//! against it before anything is sent.

use crate::setters::setters;
use crate::types::{ChatRequest, Part, ResponseFormat, ToolChoice};
use crate::YatError;

/// Optional behaviour a provider may or may not have, and the sizes of
/// inline media its API accepts.
///
/// The manager checks every request against these before it reaches the
/// provider ([`Capabilities::check`]): a request with tools, images,
/// documents, a JSON schema or reasoning for a provider that does not claim
/// them, or with inline media over a limit, fails with
/// [`YatError::Unsupported`] before anything is sent.
///
/// ```
/// use yat_core::Capabilities;
/// const MB: u64 = Capabilities::MB;
/// let caps = Capabilities::default()
///     .with_stop_sequences(true)
///     .with_tools(true)
///     .with_images(true)
///     .with_max_image_bytes(20 * MB)
///     .with_max_inline_bytes(32 * MB);
/// assert!(caps.usage && caps.rejects_unknown_models && caps.max_tokens && caps.stop_sequences);
/// assert!(caps.tools && caps.images && !caps.documents);
/// assert_eq!((caps.max_image_bytes, caps.max_document_bytes), (Some(20 * MB), None));
/// assert!(!Capabilities::none().usage);
/// assert_eq!(Capabilities::default().max_inline_bytes, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Streams report token usage.
    pub usage: bool,
    /// Usage reports carry details (cache or reasoning tokens) when there are any.
    pub usage_details: bool,
    /// An unknown model id gives [`YatError::ModelNotFound`] (or
    /// `InvalidRequest`) rather than some default model.
    pub rejects_unknown_models: bool,
    /// Honours `max_tokens` by finishing with [`FinishReason::Length`](crate::FinishReason::Length).
    pub max_tokens: bool,
    /// Honours stop sequences.
    pub stop_sequences: bool,
    /// Tool calls (and tool results in the conversation).
    pub tools: bool,
    /// Several tool calls in one turn.
    pub parallel_tools: bool,
    /// Image parts in user messages.
    pub images: bool,
    /// Document (PDF) parts in user messages.
    pub documents: bool,
    /// [`ResponseFormat::JsonSchema`] output.
    pub json_schema: bool,
    /// [`ResponseFormat::JsonObject`]
    /// output: any JSON object, no schema ("JSON mode").
    pub json_object: bool,
    /// Reasoning requests, and reasoning sent back on later turns.
    pub reasoning: bool,
    /// The largest inline image ([`MediaSource::Bytes`](crate::MediaSource::Bytes))
    /// the API takes, in bytes of the image itself (what
    /// [`Media::len`](crate::Media::len) counts). An API that counts the
    /// base64 text instead is entered at three quarters of its figure.
    /// `None`: no limit known. Images at a URL are not counted.
    pub max_image_bytes: Option<u64>,
    /// The largest inline document, counted as [`max_image_bytes`](Capabilities::max_image_bytes) is.
    pub max_document_bytes: Option<u64>,
    /// The most inline images and documents one request may carry
    /// together (the whole conversation's, as every turn is sent again),
    /// counted as [`max_image_bytes`](Capabilities::max_image_bytes) is.
    pub max_inline_bytes: Option<u64>,
}

impl Default for Capabilities {
    /// What a text provider usually has: usage, unknown models rejected,
    /// `max_tokens` honoured; nothing richer.
    fn default() -> Self {
        Capabilities {
            usage: true,
            rejects_unknown_models: true,
            max_tokens: true,
            ..Capabilities::none()
        }
    }
}

impl Capabilities {
    /// Nothing optional claimed.
    pub const fn none() -> Self {
        Capabilities {
            usage: false,
            usage_details: false,
            rejects_unknown_models: false,
            max_tokens: false,
            stop_sequences: false,
            tools: false,
            parallel_tools: false,
            images: false,
            documents: false,
            json_schema: false,
            json_object: false,
            reasoning: false,
            max_image_bytes: None,
            max_document_bytes: None,
            max_inline_bytes: None,
        }
    }

    /// One megabyte as vendors count their limits: 1024 × 1024 bytes.
    pub const MB: u64 = 1024 * 1024;

    setters! { Capabilities, const, Some:
        with_max_image_bytes(u64) => max_image_bytes,
        with_max_document_bytes(u64) => max_document_bytes,
        with_max_inline_bytes(u64) => max_inline_bytes,
    }

    setters! { Capabilities, const, as_is:
        with_usage(bool) => usage,
        with_usage_details(bool) => usage_details,
        with_rejects_unknown_models(bool) => rejects_unknown_models,
        with_max_tokens(bool) => max_tokens,
        with_stop_sequences(bool) => stop_sequences,
        with_tools(bool) => tools,
        with_parallel_tools(bool) => parallel_tools,
        with_images(bool) => images,
        with_documents(bool) => documents,
        with_json_schema(bool) => json_schema,
        with_json_object(bool) => json_object,
        with_reasoning(bool) => reasoning,
    }

    /// Refuses a request that needs a capability not claimed here, naming
    /// it, or whose inline media are over a limit here
    /// ([`check_media_sizes`](Capabilities::check_media_sizes)).
    ///
    /// Reasoning parts of earlier turns are not refused: a provider without
    /// reasoning drops them when it sends the conversation, so a conversation
    /// can move between providers.
    ///
    /// ```
    /// use yat_core::{Capabilities, ChatRequest, Media, Message, Part, YatError};
    /// let req = ChatRequest::new("m", vec![Message::user("What is this?").with_part(Part::Image(Media::url("https://x/y.png")))]);
    /// match Capabilities::default().check("acme", &req) {
    ///     Err(YatError::Unsupported { capability, .. }) => assert_eq!(capability, "images"),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(Capabilities::default().with_images(true).check("acme", &req).is_ok());
    /// ```
    pub fn check(&self, provider: &str, request: &ChatRequest) -> Result<(), YatError> {
        let refuse = |capability: &str, message: &str| {
            Err(YatError::Unsupported {
                provider: provider.to_owned(),
                capability: capability.to_owned(),
                message: message.to_owned(),
            })
        };
        if !self.tools
            && (!request.tools.is_empty()
                || request.has_part("tool_call")
                || request.has_part("tool_result"))
        {
            return refuse("tools", "this provider does not take tools or tool calls");
        }
        if !self.parallel_tools && request.parallel_tool_calls == Some(true) {
            return refuse(
                "parallel_tools",
                "this provider makes at most one tool call per turn",
            );
        }
        if !self.images && request.has_part("image") {
            return refuse("images", "this provider does not take images");
        }
        if !self.documents && request.has_part("document") {
            return refuse("documents", "this provider does not take documents");
        }
        if !self.json_schema
            && matches!(request.response_format, Some(ResponseFormat::JsonSchema(_)))
        {
            return refuse(
                "json_schema",
                "this provider cannot hold a reply to a JSON schema",
            );
        }
        if !self.json_object && matches!(request.response_format, Some(ResponseFormat::JsonObject))
        {
            return refuse(
                "json_object",
                "this provider has no JSON mode; ask for a JSON schema instead",
            );
        }
        check_tool_choice(provider, request)?;
        if !self.reasoning && request.reasoning.is_some() {
            return refuse("reasoning", "this provider has no reasoning settings");
        }
        self.check_media_sizes(
            provider,
            request.messages.iter().flat_map(|m| m.content.iter()),
        )
    }

    /// Refuses inline images and documents over the limits here: one part
    /// over its kind's limit ([`check_part_size`](Capabilities::check_part_size)),
    /// or all of them together over [`max_inline_bytes`](Capabilities::max_inline_bytes)
    /// (`YatError::Unsupported` with capability `inline_size`). Media at a
    /// URL are not counted.
    ///
    /// ```
    /// use yat_core::{Capabilities, Media, Part, YatError};
    /// const MB: u64 = Capabilities::MB;
    /// let caps = Capabilities::default().with_max_inline_bytes(MB);
    /// let half = || Part::Image(Media::bytes("image/png", vec![0u8; (MB / 2) as usize]));
    /// assert!(caps.check_media_sizes("acme", &[half(), half()]).is_ok());
    /// let e = caps.check_media_sizes("acme", &[half(), half(), half()]).unwrap_err();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "acme: inline_size not supported: the inline images and documents add up to 1.5 MB; \
    ///      this provider takes up to 1 MB of them in one request"
    /// );
    /// ```
    pub fn check_media_sizes<'a>(
        &self,
        provider: &str,
        parts: impl IntoIterator<Item = &'a Part>,
    ) -> Result<(), YatError> {
        if self.max_image_bytes.is_none()
            && self.max_document_bytes.is_none()
            && self.max_inline_bytes.is_none()
        {
            return Ok(());
        }
        let mut total: u64 = 0;
        for part in parts {
            let media = match part {
                Part::Image(m) | Part::Document(m) => m,
                _ => continue,
            };
            if let Some(size) = media.len() {
                let size = size as u64;
                self.check_part_size(provider, part.kind(), media.name.as_deref(), size)?;
                total = total.saturating_add(size);
            }
        }
        match self.max_inline_bytes {
            Some(max) if total > max => Err(too_large(
                provider,
                "inline_size",
                format!(
                    "the inline images and documents add up to {}; this provider takes up \
                     to {} of them in one request",
                    format_size(total),
                    format_size(max)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses one inline part of `size` bytes over the limit for its kind
    /// (`part_kind` is [`Part::kind`]: `image` is held to
    /// [`max_image_bytes`](Capabilities::max_image_bytes), `document` to
    /// [`max_document_bytes`](Capabilities::max_document_bytes)), or over
    /// [`max_inline_bytes`](Capabilities::max_inline_bytes) on its own.
    ///
    /// The error is [`YatError::Unsupported`] with capability `image_size`,
    /// `document_size` or `inline_size`, its message naming the part (by
    /// `name` when there is one), its size and the limit in MB. Check a file
    /// with this before reading it (its size from
    /// [`Media::probe`](crate::Media::probe)); [`check`](Capabilities::check)
    /// does it for every part of a request.
    ///
    /// ```
    /// use yat_core::{Capabilities, YatError};
    /// let caps = Capabilities::default().with_max_image_bytes(5 * Capabilities::MB * 3 / 4);
    /// match caps.check_part_size("acme", "image", Some("cat.png"), 4 * Capabilities::MB) {
    ///     Err(YatError::Unsupported { capability, message, .. }) => {
    ///         assert_eq!(capability, "image_size");
    ///         assert_eq!(message, "cat.png is 4 MB; this provider takes images up to 3.75 MB");
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(caps.check_part_size("acme", "document", None, 4 * Capabilities::MB).is_ok());
    /// ```
    pub fn check_part_size(
        &self,
        provider: &str,
        part_kind: &str,
        name: Option<&str>,
        size: u64,
    ) -> Result<(), YatError> {
        let (capability, limit, plural) = match part_kind {
            "image" => ("image_size", self.max_image_bytes, "images"),
            "document" => ("document_size", self.max_document_bytes, "documents"),
            _ => ("", None, ""),
        };
        let what = || match (name, part_kind) {
            (Some(name), _) => name.to_owned(),
            (None, "image") => "an image".to_owned(),
            (None, "document") => "a document".to_owned(),
            (None, other) => format!("a {other} part"),
        };
        if let Some(max) = limit.filter(|max| size > *max) {
            return Err(too_large(
                provider,
                capability,
                format!(
                    "{} is {}; this provider takes {plural} up to {}",
                    what(),
                    format_size(size),
                    format_size(max)
                ),
            ));
        }
        if let Some(max) = self.max_inline_bytes.filter(|max| size > *max) {
            return Err(too_large(
                provider,
                "inline_size",
                format!(
                    "{} is {}; this provider takes up to {} of inline images and documents \
                     in one request",
                    what(),
                    format_size(size),
                    format_size(max)
                ),
            ));
        }
        Ok(())
    }
}

fn too_large(provider: &str, capability: &str, message: String) -> YatError {
    YatError::Unsupported {
        provider: provider.to_owned(),
        capability: capability.to_owned(),
        message,
    }
}

/// A size as the limit messages say it: `3.75 MB`, `20 MB`, `512 KB`,
/// `12 bytes`, in [`Capabilities::MB`] and kilobytes of 1024 bytes, rounded
/// up, so that a size just over a limit never reads as the limit itself.
///
/// ```
/// use yat_core::provider::format_size;
/// assert_eq!(format_size(5 * 1024 * 1024 / 4 * 3), "3.75 MB");
/// assert_eq!(format_size(20 * 1024 * 1024 + 1), "20.01 MB");
/// assert_eq!(format_size(1536), "2 KB");
/// assert_eq!(format_size(12), "12 bytes");
/// ```
pub fn format_size(n: u64) -> String {
    const KB: u64 = 1024;
    if n >= Capabilities::MB {
        let mb = u128::from(Capabilities::MB);
        let hundredths = (u128::from(n) * 100).div_ceil(mb);
        let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        format!("{text} MB")
    } else if n >= KB {
        format!("{} KB", n.div_ceil(KB))
    } else {
        format!("{n} bytes")
    }
}

/// A tool choice that cannot be met is the caller's mistake, found before
/// anything is sent: a call required with no tools offered, or a named tool
/// that is not among them.
fn check_tool_choice(provider: &str, request: &ChatRequest) -> Result<(), YatError> {
    let invalid = |message: String| {
        Err(YatError::InvalidRequest(crate::Failure::new(
            provider, message,
        )))
    };
    match &request.tool_choice {
        Some(ToolChoice::Required) if request.tools.is_empty() => {
            invalid("tool_choice `required` with no tools offered".into())
        }
        Some(ToolChoice::Tool { name }) if !request.tools.iter().any(|t| &t.name == name) => {
            let offered: Vec<&str> = request.tools.iter().map(|t| t.name.as_str()).collect();
            invalid(format!(
                "tool_choice names `{name}`, which is not among the tools offered ({})",
                if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.join(", ")
                }
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Media, Message};

    const MB: u64 = Capabilities::MB;

    fn image(name: &str, size: u64) -> Part {
        Part::Image(Media::bytes("image/png", vec![0u8; size as usize]).with_name(name))
    }

    fn document(size: u64) -> Part {
        Part::Document(Media::bytes("application/pdf", vec![0u8; size as usize]))
    }

    fn request(parts: Vec<Part>) -> ChatRequest {
        let mut parts = parts;
        parts.push(Part::text("What are these?"));
        ChatRequest::new("m", vec![Message::user(parts)])
    }

    fn refusal(result: Result<(), YatError>) -> (String, String) {
        match result {
            Err(YatError::Unsupported {
                provider,
                capability,
                message,
            }) => {
                assert_eq!(provider, "acme");
                (capability, message)
            }
            other => panic!("expected a size refusal, got {other:?}"),
        }
    }

    fn media_caps() -> Capabilities {
        Capabilities::default()
            .with_images(true)
            .with_documents(true)
    }

    #[test]
    fn limits_are_none_unless_set() {
        for caps in [Capabilities::none(), Capabilities::default()] {
            assert_eq!(caps.max_image_bytes, None);
            assert_eq!(caps.max_document_bytes, None);
            assert_eq!(caps.max_inline_bytes, None);
        }
        const CAPS: Capabilities = Capabilities::none()
            .with_max_image_bytes(1)
            .with_max_document_bytes(2)
            .with_max_inline_bytes(3);
        assert_eq!(
            (
                CAPS.max_image_bytes,
                CAPS.max_document_bytes,
                CAPS.max_inline_bytes
            ),
            (Some(1), Some(2), Some(3))
        );
    }

    #[test]
    fn an_image_over_its_limit_is_refused_by_name_size_and_limit() {
        let caps = media_caps().with_max_image_bytes(MB);
        let (capability, message) =
            refusal(caps.check("acme", &request(vec![image("cat.png", MB + 1)])));
        assert_eq!(capability, "image_size");
        assert_eq!(
            message,
            "cat.png is 1.01 MB; this provider takes images up to 1 MB"
        );
        assert!(caps
            .check("acme", &request(vec![image("cat.png", MB)]))
            .is_ok());
        // The image limit does not bound documents.
        assert!(caps.check("acme", &request(vec![document(2 * MB)])).is_ok());
    }

    #[test]
    fn a_document_over_its_limit_is_refused_and_an_unnamed_part_says_what_it_is() {
        let caps = media_caps().with_max_document_bytes(32 * MB);
        let (capability, message) = refusal(caps.check("acme", &request(vec![document(33 * MB)])));
        assert_eq!(capability, "document_size");
        assert_eq!(
            message,
            "a document is 33 MB; this provider takes documents up to 32 MB"
        );
    }

    #[test]
    fn the_inline_total_counts_every_turn_and_not_urls() {
        let caps = media_caps().with_max_inline_bytes(2 * MB);
        let history = vec![
            Message::user(vec![image("a.png", MB), Part::text("and?")]),
            Message::assistant("a cat"),
            Message::user(vec![
                image("b.png", MB),
                Part::Image(Media::url("https://x.test/huge.png")),
                Part::text("and this?"),
            ]),
        ];
        let req = ChatRequest::new("m", history.clone());
        assert!(caps.check("acme", &req).is_ok());
        let mut more = history;
        more.push(Message::user(vec![document(1), Part::text("last")]));
        let (capability, message) = refusal(caps.check("acme", &ChatRequest::new("m", more)));
        assert_eq!(capability, "inline_size");
        assert_eq!(
            message,
            "the inline images and documents add up to 2.01 MB; this provider takes up to \
             2 MB of them in one request"
        );
    }

    #[test]
    fn one_part_over_the_inline_total_is_refused_by_name() {
        let caps = media_caps().with_max_inline_bytes(20 * MB);
        let (capability, message) =
            refusal(caps.check_part_size("acme", "document", Some("big.pdf"), 24 * MB));
        assert_eq!(capability, "inline_size");
        assert_eq!(
            message,
            "big.pdf is 24 MB; this provider takes up to 20 MB of inline images and \
             documents in one request"
        );
    }

    #[test]
    fn capability_flags_are_checked_before_sizes() {
        let caps = Capabilities::default().with_max_image_bytes(1);
        let (capability, _) = match caps.check("acme", &request(vec![image("a.png", 2)])) {
            Err(YatError::Unsupported {
                capability,
                message,
                ..
            }) => (capability, message),
            other => panic!("{other:?}"),
        };
        assert_eq!(capability, "images");
    }

    #[test]
    fn sizes_read_like_the_vendors_write_them_rounded_up() {
        assert_eq!(format_size(20 * MB), "20 MB");
        assert_eq!(format_size(5 * MB * 3 / 4), "3.75 MB");
        assert_eq!(format_size(20 * MB + 1), "20.01 MB");
        assert_eq!(format_size(MB - 1), "1024 KB");
        assert_eq!(format_size(MB / 2), "512 KB");
        assert_eq!(format_size(1025), "2 KB");
        assert_eq!(format_size(0), "0 bytes");
        assert_eq!(format_size(u64::MAX), "17592186044416 MB");
    }

    #[test]
    fn a_tool_choice_that_cannot_be_met_is_refused_before_sending() {
        let all = Capabilities::default().with_tools(true);
        let ask = ChatRequest::new("m", vec![Message::user("hi")]);
        let required = ask.clone().tool_choice(crate::ToolChoice::Required);
        assert!(matches!(
            all.check("p", &required),
            Err(YatError::InvalidRequest(_))
        ));
        let tool = crate::ToolSpec::new("now", "The time", serde_json::json!({"type": "object"}));
        let named = ask
            .clone()
            .tool(tool.clone())
            .tool_choice(crate::ToolChoice::Tool { name: "nwo".into() });
        match all.check("p", &named) {
            Err(YatError::InvalidRequest(f)) => {
                assert!(
                    f.message.contains("`nwo`") && f.message.contains("(now)"),
                    "{f}"
                )
            }
            other => panic!("{other:?}"),
        }
        let fine = ask
            .tool(tool)
            .tool_choice(crate::ToolChoice::Tool { name: "now".into() });
        assert!(all.check("p", &fine).is_ok());
    }

    #[test]
    fn json_mode_is_its_own_capability() {
        let req = ChatRequest::new("m", vec![Message::user("hi")])
            .response_format(crate::ResponseFormat::JsonObject);
        let schema_only = Capabilities::default().with_json_schema(true);
        match schema_only.check("p", &req) {
            Err(YatError::Unsupported { capability, .. }) => assert_eq!(capability, "json_object"),
            other => panic!("{other:?}"),
        }
        assert!(schema_only.with_json_object(true).check("p", &req).is_ok());
    }
}

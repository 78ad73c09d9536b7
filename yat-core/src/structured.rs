//! Structured output: ask for a reply that follows a JSON Schema, and read
//! it as a Rust type.
//!
//! [`structured_with_schema`] takes the schema as JSON; with the `schemars`
//! feature, `structured` derives it from the type. Either sets the
//! request's [`ResponseFormat::JsonSchema`], collects the reply and parses
//! it with [`parse_reply`], which also accepts the JSON inside a Markdown
//! code fence (models without a JSON mode tend to write one).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
//! use serde::Deserialize;
//! use yat_core::structured::structured_with_schema;
//! use yat_core::{ChatRequest, JsonSchema, Message};
//!
//! #[derive(Deserialize)]
//! struct City {
//!     name: String,
//!     population: u64,
//! }
//!
//! let schema = JsonSchema::new("city", serde_json::json!({
//!     "type": "object",
//!     "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
//!     "required": ["name", "population"],
//!     "additionalProperties": false
//! }));
//! // A stand-in model; with a manager, `|req| manager.chat(&target, req)`.
//! let start = |_req: ChatRequest| async {
//!     Ok(yat_core::stream::from_text("demo", vec![r#"{"name": "Oslo", "population": 709037}"#.into()]))
//! };
//! let city: City = structured_with_schema(start, ChatRequest::new("m", vec![Message::user("Biggest city in Norway?")]), schema).await?;
//! assert_eq!((city.name.as_str(), city.population), ("Oslo", 709_037));
//! # Ok(()) }
//! ```

use std::future::Future;

use serde::de::DeserializeOwned;

use crate::stream::{ChatStream, ChatStreamExt};
use crate::types::{ChatRequest, ChatResponse, FinishReason, JsonSchema, ResponseFormat};
use crate::YatError;

/// Sends `request` asking for a reply that follows `schema`
/// ([`ResponseFormat::JsonSchema`], replacing any format the request had),
/// collects the reply and parses it into `T` with [`parse_reply`].
///
/// `start` starts the chat: `|req| manager.chat(&target, req)`, a routed
/// call, or a bare provider. Errors starting or streaming are returned as
/// they are; a reply that is not a `T` is
/// [`YatError::InvalidStructuredOutput`] with the reply's text.
///
/// See the [module documentation](self) for an example.
pub async fn structured_with_schema<T, F, Fut>(
    start: F,
    request: ChatRequest,
    schema: JsonSchema,
) -> Result<T, YatError>
where
    T: DeserializeOwned,
    F: FnOnce(ChatRequest) -> Fut,
    Fut: Future<Output = Result<ChatStream, YatError>>,
{
    let request = request.response_format(ResponseFormat::JsonSchema(schema));
    let response = start(request).await?.collect_response().await?;
    parse_reply(&response)
}

/// Like [`structured_with_schema`], with the schema derived from `T` by
/// [`response_schema`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use yat_core::{structured::structured, ChatRequest, Message, ResponseFormat};
///
/// /// A city.
/// #[derive(Deserialize, JsonSchema)]
/// struct City {
///     name: String,
/// }
///
/// let start = |req: ChatRequest| async move {
///     // What the model was asked for:
///     let Some(ResponseFormat::JsonSchema(schema)) = &req.response_format else { unreachable!() };
///     assert_eq!((schema.name.as_str(), schema.schema["required"][0].as_str()), ("City", Some("name")));
///     Ok(yat_core::stream::from_text("demo", vec!["```json\n{\"name\": \"Oslo\"}\n```".into()]))
/// };
/// let city: City = structured(start, ChatRequest::new("m", vec![Message::user("A city?")])).await?;
/// assert_eq!(city.name, "Oslo");
/// # Ok(()) }
/// ```
#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub async fn structured<T, F, Fut>(start: F, request: ChatRequest) -> Result<T, YatError>
where
    T: schemars::JsonSchema + DeserializeOwned,
    F: FnOnce(ChatRequest) -> Fut,
    Fut: Future<Output = Result<ChatStream, YatError>>,
{
    structured_with_schema(start, request, response_schema::<T>()).await
}

/// The response format for `T`: named after the type (characters outside
/// `[A-Za-z0-9_-]` become `_`, at most 64 of them, as OpenAI requires), with
/// the schema of [`schema_value`]. It is not `strict`: OpenAI's strict mode
/// takes only schemas that close every object and require every property,
/// which a derived schema often does not; call `.strict(true)` on it for a
/// type that complies.
///
/// ```
/// use schemars::JsonSchema;
/// #[derive(JsonSchema)]
/// #[schemars(rename = "city report")]
/// #[allow(dead_code)]
/// struct CityReport { city: String }
/// let s = yat_core::structured::response_schema::<CityReport>();
/// assert_eq!(s.name, "city_report");
/// assert!(!s.strict);
/// assert_eq!(s.schema["required"][0], "city");
/// ```
#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub fn response_schema<T: schemars::JsonSchema>() -> JsonSchema {
    let name: String = T::schema_name()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let name = if name.is_empty() {
        "response".to_owned()
    } else {
        name
    };
    JsonSchema::new(name, schema_value::<T>()).strict(false)
}

/// The JSON Schema of `T` as schemars derives it (draft 2020-12), without
/// the `$schema` keyword, which no provider needs and some refuse. Used for
/// typed tools' arguments and for structured replies.
///
/// ```
/// use schemars::JsonSchema;
/// #[derive(JsonSchema)]
/// #[allow(dead_code)]
/// struct Args { city: String, days: Option<u8> }
/// let v = yat_core::structured::schema_value::<Args>();
/// assert_eq!(v["type"], "object");
/// assert_eq!(v["required"], serde_json::json!(["city"]));
/// assert!(v.get("$schema").is_none());
/// ```
#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub fn schema_value<T: schemars::JsonSchema>() -> serde_json::Value {
    let mut schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    schema.remove("$schema");
    schema.to_value()
}

/// Reads a reply's text as a `T`.
///
/// The text is parsed as JSON as it is (surrounding whitespace aside); if
/// that fails and it holds a Markdown code fence (```` ```json ```` or
/// ```` ``` ````), the fence's content is parsed instead. Failing both, the
/// error is [`YatError::InvalidStructuredOutput`] with the whole text in
/// `raw` and the parse error in `message` (plus why the reply ended, if it
/// was not a normal stop: a reply cut by the token limit is the usual cause).
/// The error's `provider` is empty: a reply does not know where it came from.
///
/// ```
/// use serde::Deserialize;
/// use yat_core::{structured::parse_reply, ChatResponse, ChatEvent, ResponseBuilder, YatError};
///
/// #[derive(Deserialize, Debug)]
/// struct Point { x: i32, y: i32 }
///
/// fn reply(text: &str) -> ChatResponse {
///     let mut b = ResponseBuilder::default();
///     b.push(ChatEvent::Delta { text: text.into() });
///     b.finish()
/// }
/// let p: Point = parse_reply(&reply("Here it is:\n```json\n{\"x\": 1, \"y\": 2}\n```")).unwrap();
/// assert_eq!((p.x, p.y), (1, 2));
///
/// match parse_reply::<Point>(&reply("{\"x\": 1}")) {
///     Err(YatError::InvalidStructuredOutput { raw, message, .. }) => {
///         assert_eq!(raw, "{\"x\": 1}");
///         assert!(message.contains("missing field `y`"));
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn parse_reply<T: DeserializeOwned>(response: &ChatResponse) -> Result<T, YatError> {
    let raw = response.text();
    let whole = raw.trim();
    let error = match serde_json::from_str::<T>(whole) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut message = match fenced_block(whole) {
        Some(body) => match serde_json::from_str::<T>(body.trim()) {
            Ok(value) => return Ok(value),
            Err(e) => format!("the JSON in the reply's code fence: {e}"),
        },
        None if whole.is_empty() => "the reply has no text".to_owned(),
        None => error.to_string(),
    };
    match response.finish.as_ref().map(|f| f.reason) {
        Some(FinishReason::Stop) => {}
        Some(FinishReason::Length) => {
            message.push_str(" (the reply was cut short by the token limit)")
        }
        Some(reason) => message.push_str(&format!(" (the reply ended with `{}`)", reason.as_str())),
        None => message.push_str(" (the reply ended without a finish)"),
    }
    Err(YatError::InvalidStructuredOutput {
        provider: String::new(),
        raw,
        message,
    })
}

/// The content of the first Markdown code fence in `text`: the lines after
/// the opening ```` ``` ```` line up to a line that is only ```` ``` ````, or
/// to the end if none closes it. JSON strings cannot hold a raw newline, so a
/// closing line is never inside one.
fn fenced_block(text: &str) -> Option<&str> {
    let open = text.find("```")?;
    let after = &text[open + 3..];
    let body = &after[after.find('\n')? + 1..];
    let mut end = 0;
    for line in body.split_inclusive('\n') {
        if line.trim() == "```" {
            return Some(&body[..end]);
        }
        end += line.len();
    }
    Some(body.trim_end().trim_end_matches("```"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_block_takes_the_first_fence_closed_or_not() {
        assert_eq!(
            fenced_block("```json\n{\"a\":1}\n```\n"),
            Some("{\"a\":1}\n")
        );
        assert_eq!(
            fenced_block("x\n```\n[1]\n```\n```\n[2]\n```"),
            Some("[1]\n")
        );
        assert_eq!(fenced_block("```json\n{\"a\":1}```"), Some("{\"a\":1}"));
        assert_eq!(fenced_block("```json\n{\"a\":1}"), Some("{\"a\":1}"));
        assert_eq!(fenced_block("{\"a\": \"```\"}"), None);
    }
}

//! The vendor API an initialized HTTP provider talks to, and the requests
//! the bundled providers build on it the same way: a streaming chat POST
//! with the caller's extra fields, and one page of a cursor-paged list.
//!
//! What differs between vendors (how the key goes on the wire, which paths
//! lie under the base URL, what a page's cursor is called) stays with each
//! adapter and is passed in.

use serde::Serialize;
use serde_json::{Map, Value};
use yat_core::types::merge_extra;
use yat_core::{ChatStream, Failure, ResolvedSettings, YatError};
use yat_http::connection::{self, endpoint, Connection};
use yat_http::header::ACCEPT;
use yat_http::{ErrorParser, Framing, HttpRequest, StreamDecoder, Url};

/// Where an initialized provider's API lives, and the key and transport
/// that reach it.
// The OpenAI family keeps its base URL as text (see `openai::Live`).
#[cfg_attr(
    not(any(feature = "anthropic", feature = "cohere", feature = "gemini-wire")),
    allow(dead_code)
)]
#[derive(Debug)]
pub(crate) struct Api {
    /// The `base_url` setting (or the vendor's default) as a URL paths are
    /// appended to.
    pub base_url: Url,
    /// The key and the transport.
    pub conn: Connection,
}

#[cfg_attr(
    not(any(feature = "anthropic", feature = "cohere", feature = "gemini-wire")),
    allow(dead_code)
)]
impl Api {
    /// Reads `base_url` (`default_base_url` when unset), `api_key` and the
    /// shared HTTP settings of `provider`; `parse_error` reads the vendor's
    /// error bodies.
    pub fn from_settings(
        provider: &str,
        settings: &ResolvedSettings,
        default_base_url: &str,
        parse_error: ErrorParser,
    ) -> Result<Self, YatError> {
        Ok(Api {
            base_url: connection::base_url(provider, settings, default_base_url)?,
            conn: Connection::from_settings(provider, settings, parse_error)?,
        })
    }

    /// The URL of the path segments `path` under the base URL.
    pub fn url(&self, path: &[&str]) -> Url {
        endpoint(&self.base_url, path)
    }

    /// The URL of one page of the cursor-paged list at `path`: the fixed
    /// `query`, then the cursor under the name the vendor gives it
    /// (`cursor_param`), except on the first page, which has none.
    pub fn page_url(
        &self,
        path: &[&str],
        query: &[(&str, &str)],
        cursor_param: &str,
        cursor: Option<&str>,
    ) -> Url {
        let mut url = self.url(path);
        {
            let mut q = url.query_pairs_mut();
            q.extend_pairs(query);
            if let Some(c) = cursor {
                q.append_pair(cursor_param, c);
            }
        }
        url
    }

    /// Sends `http` and streams its SSE reply through the decoder
    /// `new_decoder` makes (a new one for each retry).
    pub async fn stream_sse(
        &self,
        http: &HttpRequest,
        decoder: Box<dyn StreamDecoder>,
    ) -> Result<ChatStream, YatError> {
        self.conn
            .transport
            .stream(http, Framing::Sse, decoder)
            .await
    }
}

/// A streaming chat request to `url`: `body` as JSON, with `extra` (the
/// request's extra fields for `provider`) written over its top level, and
/// an `Accept` header asking for the SSE form the decoders read.
///
/// Only a request with extra fields pays for the detour through a
/// [`Value`], and that detour goes through the body's bytes, so that its
/// `f32` parameters stay as written (0.7, not 0.699999988079071).
// Gemini writes its extra fields while serializing its body instead.
#[cfg_attr(
    not(any(feature = "anthropic", feature = "cohere", feature = "openai-wire")),
    allow(dead_code)
)]
pub(crate) fn sse_post(
    provider: &str,
    url: String,
    body: &impl Serialize,
    extra: Option<&Map<String, Value>>,
) -> Result<HttpRequest, YatError> {
    let r = match extra {
        None => HttpRequest::post_json(url, body)?,
        Some(extra) => {
            let encode = |e: serde_json::Error| {
                YatError::InvalidRequest(Failure::new(
                    provider,
                    format!("cannot encode the request: {e}"),
                ))
            };
            let bytes = serde_json::to_vec(body).map_err(encode)?;
            let mut value: Value = serde_json::from_slice(&bytes).map_err(encode)?;
            merge_extra(&mut value, Some(extra));
            HttpRequest::post_json(url, &value)?
        }
    };
    Ok(r.header(ACCEPT, "text/event-stream"))
}

// Checks `Api` too, which only these providers use.
#[cfg(all(
    test,
    any(feature = "anthropic", feature = "cohere", feature = "gemini-wire")
))]
mod tests {
    use super::*;
    use serde_json::json;

    fn api(base_url: &str) -> Api {
        let settings = ResolvedSettings::from_pairs("p", &[("base_url", base_url)]);
        Api::from_settings("p", &settings, "https://d", yat_http::parse_generic).unwrap()
    }

    #[test]
    fn page_urls_carry_the_fixed_query_and_an_encoded_cursor_after_the_first_page() {
        let api = api("http://h/proxy/");
        let page = |cursor| api.page_url(&["v1", "models"], &[("limit", "10")], "after", cursor);
        assert_eq!(page(None).as_str(), "http://h/proxy/v1/models?limit=10");
        assert_eq!(
            page(Some("a&b c")).as_str(),
            "http://h/proxy/v1/models?limit=10&after=a%26b+c"
        );
    }

    #[test]
    fn extra_fields_are_written_over_the_body_and_floats_stay_as_written() {
        #[derive(Serialize)]
        struct Body {
            model: &'static str,
            temperature: f32,
        }
        let body = Body {
            model: "m",
            temperature: 0.7,
        };
        let extra = json!({"model": "n", "k": 40});
        let r = sse_post("p", "http://h/chat".into(), &body, extra.as_object()).unwrap();
        assert_eq!(
            String::from_utf8(r.body.clone().unwrap()).unwrap(),
            r#"{"model":"n","temperature":0.7,"k":40}"#
        );
        let plain = sse_post("p", "http://h/chat".into(), &body, None).unwrap();
        assert_eq!(
            String::from_utf8(plain.body.clone().unwrap()).unwrap(),
            r#"{"model":"m","temperature":0.7}"#
        );
        assert_eq!(
            crate::setup_check::headers(&plain),
            [
                ("content-type", "application/json"),
                ("accept", "text/event-stream")
            ]
        );
    }
}

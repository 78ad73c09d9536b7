//! Structured output against a scripted provider: what the request asks
//! for, and how replies are read.

mod support;

use serde::Deserialize;
use serde_json::json;
use support::{text_then, Scripted};
use yat_core::structured::{parse_reply, structured_with_schema};
use yat_core::{
    ChatEvent, ChatRequest, ChatStream, FinishReason, JsonSchema, LlmProvider, Message,
    ResponseFormat, YatError,
};

/// A provider that replies with fixed text, in pieces, then finishes for
/// `reason`; it records the request.
fn replies_ending(pieces: &[&str], reason: FinishReason) -> Scripted {
    let p = Scripted::new("scripted");
    p.reply(text_then(pieces, reason));
    p
}

fn replies(pieces: &[&str]) -> Scripted {
    replies_ending(pieces, FinishReason::Stop)
}

#[derive(Debug, Deserialize, PartialEq)]
struct City {
    name: String,
    population: u64,
}

fn city_schema() -> JsonSchema {
    JsonSchema::new(
        "city",
        json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
            "required": ["name", "population"],
            "additionalProperties": false
        }),
    )
}

fn ask() -> ChatRequest {
    ChatRequest::new("m", vec![Message::user("The biggest city in Norway?")])
}

async fn city_from(p: &Scripted) -> Result<City, YatError> {
    structured_with_schema(
        |req| async move { p.stream_chat(&req).await },
        ask(),
        city_schema(),
    )
    .await
}

#[tokio::test]
async fn a_json_reply_is_parsed_and_the_request_carries_the_schema() {
    let p = replies(&[r#"{"name": "Os"#, r#"lo", "population""#, ": 709037}"]);
    let city = city_from(&p).await.unwrap();
    assert_eq!(
        city,
        City {
            name: "Oslo".into(),
            population: 709_037
        }
    );
    assert_eq!(
        p.last_request().response_format,
        Some(ResponseFormat::JsonSchema(city_schema()))
    );
}

#[tokio::test]
async fn json_in_a_code_fence_is_accepted() {
    let p = replies(&[
        "Here you are:\n```json\n",
        r#"{"name": "Oslo", "population": 709037}"#,
        "\n```\n",
    ]);
    assert_eq!(city_from(&p).await.unwrap().name, "Oslo");
    let bare_fence = replies(&["```\n{\"name\": \"Bergen\", \"population\": 291940}\n```"]);
    assert_eq!(city_from(&bare_fence).await.unwrap().name, "Bergen");
}

#[tokio::test]
async fn a_reply_that_does_not_fit_is_a_typed_error_with_the_raw_text() {
    let p = replies(&["Oslo, ", "about 700k people"]);
    match city_from(&p).await {
        Err(YatError::InvalidStructuredOutput { raw, message, .. }) => {
            assert_eq!(raw, "Oslo, about 700k people");
            assert!(
                message.starts_with("expected value at line 1 column 1"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }

    let p = replies(&[r#"{"name": "Oslo"}"#]);
    match city_from(&p).await {
        Err(e @ YatError::InvalidStructuredOutput { .. }) => {
            assert_eq!(e.kind(), "invalid_structured_output");
            let YatError::InvalidStructuredOutput { raw, message, .. } = e else {
                unreachable!()
            };
            assert_eq!(raw, r#"{"name": "Oslo"}"#);
            assert!(message.contains("missing field `population`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reply_cut_by_the_token_limit_says_so() {
    let p = replies_ending(&[r#"{"name": "Oslo", "popu"#], FinishReason::Length);
    match city_from(&p).await {
        Err(YatError::InvalidStructuredOutput { raw, message, .. }) => {
            assert_eq!(raw, r#"{"name": "Oslo", "popu"#);
            assert!(
                message.ends_with("(the reply was cut short by the token limit)"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_bad_fence_reports_the_fenced_json_error() {
    let p = replies(&["```json\n{\"name\": \"Oslo\"}\n```"]);
    match city_from(&p).await {
        Err(YatError::InvalidStructuredOutput { message, .. }) => assert!(
            message.starts_with("the JSON in the reply's code fence: missing field `population`"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn errors_starting_the_chat_pass_through() {
    let start = |_req: ChatRequest| async { Err::<ChatStream, _>(YatError::network("p", "down")) };
    let got: Result<City, _> = structured_with_schema(start, ask(), city_schema()).await;
    assert!(matches!(got, Err(YatError::Network { .. })));
}

#[test]
fn parse_reply_reads_a_collected_response() {
    let mut b = yat_core::ResponseBuilder::default();
    b.push(ChatEvent::Delta {
        text: "  [1, 2, 3]\n".into(),
    });
    let v: Vec<u8> = parse_reply(&b.finish()).unwrap();
    assert_eq!(v, [1, 2, 3]);
}

#[cfg(feature = "schemars")]
mod derived {
    use super::*;
    use yat_core::structured::structured;

    /// A city and how many live there.
    #[derive(Debug, Deserialize, schemars::JsonSchema)]
    struct Town {
        /// Its name.
        name: String,
        /// Its population.
        population: u64,
    }

    /// Derived through the re-export, with no schemars dependency of one's own.
    #[derive(yat_core::schemars::JsonSchema)]
    #[schemars(crate = "yat_core::schemars")]
    #[allow(dead_code)]
    struct Village {
        name: String,
    }

    #[test]
    fn the_reexported_schemars_derives() {
        let schema = yat_core::structured::response_schema::<Village>();
        assert_eq!(schema.name, "Village");
        assert_eq!(schema.schema["required"], json!(["name"]));
    }

    #[tokio::test]
    async fn the_derived_schema_is_in_the_request() {
        let p = &replies(&[r#"{"name": "Tromsø", "population": 77000}"#]);
        let town: Town = structured(|req| async move { p.stream_chat(&req).await }, ask())
            .await
            .unwrap();
        assert_eq!((town.name.as_str(), town.population), ("Tromsø", 77_000));

        let Some(ResponseFormat::JsonSchema(schema)) = p.last_request().response_format else {
            panic!("no JSON schema in the request")
        };
        assert_eq!(schema.name, "Town");
        assert!(!schema.strict);
        assert_eq!(schema.schema["type"], "object");
        assert_eq!(schema.schema["required"], json!(["name", "population"]));
        assert_eq!(schema.schema["properties"]["name"]["type"], "string");
        assert_eq!(
            schema.schema["properties"]["name"]["description"],
            "Its name."
        );
        assert_eq!(
            schema.schema["description"],
            "A city and how many live there."
        );
        assert!(schema.schema.get("$schema").is_none());
    }
}

//! Structured output against a scripted provider: what the request asks
//! for, and how replies are read.

use std::sync::Mutex;

use serde::Deserialize;
use serde_json::json;
use yat_core::structured::{parse_reply, structured_with_schema};
use yat_core::{
    async_trait, ChatEvent, ChatRequest, ChatStream, Finish, FinishReason, JsonSchema, LlmProvider,
    Message, ModelInfo, ResolvedSettings, ResponseFormat, YatError,
};

/// A provider that replies with fixed text, in pieces, and records the request.
struct Replies {
    pieces: Vec<&'static str>,
    finish: FinishReason,
    request: Mutex<Option<ChatRequest>>,
}

impl Replies {
    fn new(pieces: Vec<&'static str>) -> Self {
        Replies::ending(pieces, FinishReason::Stop)
    }
    fn ending(pieces: Vec<&'static str>, finish: FinishReason) -> Self {
        Replies {
            pieces,
            finish,
            request: Mutex::new(None),
        }
    }
    fn request(&self) -> ChatRequest {
        self.request
            .lock()
            .unwrap()
            .clone()
            .expect("no request was sent")
    }
}

#[async_trait]
impl LlmProvider for Replies {
    async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> {
        Ok(())
    }
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        Ok(vec![])
    }
    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError> {
        *self.request.lock().unwrap() = Some(request.clone());
        let events = self
            .pieces
            .iter()
            .map(|p| Ok(ChatEvent::Delta { text: (*p).into() }))
            .chain(std::iter::once(Ok(ChatEvent::Finish(Finish::reason(
                self.finish,
            )))))
            .collect::<Vec<_>>();
        Ok(Box::pin(futures::stream::iter(events)))
    }
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

async fn city_from(p: &Replies) -> Result<City, YatError> {
    structured_with_schema(
        |req| async move { p.stream_chat(&req).await },
        ask(),
        city_schema(),
    )
    .await
}

#[tokio::test]
async fn a_json_reply_is_parsed_and_the_request_carries_the_schema() {
    let p = Replies::new(vec![r#"{"name": "Os"#, r#"lo", "population""#, ": 709037}"]);
    let city = city_from(&p).await.unwrap();
    assert_eq!(
        city,
        City {
            name: "Oslo".into(),
            population: 709_037
        }
    );
    assert_eq!(
        p.request().response_format,
        Some(ResponseFormat::JsonSchema(city_schema()))
    );
}

#[tokio::test]
async fn json_in_a_code_fence_is_accepted() {
    let p = Replies::new(vec![
        "Here you are:\n```json\n",
        r#"{"name": "Oslo", "population": 709037}"#,
        "\n```\n",
    ]);
    assert_eq!(city_from(&p).await.unwrap().name, "Oslo");
    let bare_fence = Replies::new(vec![
        "```\n{\"name\": \"Bergen\", \"population\": 291940}\n```",
    ]);
    assert_eq!(city_from(&bare_fence).await.unwrap().name, "Bergen");
}

#[tokio::test]
async fn a_reply_that_does_not_fit_is_a_typed_error_with_the_raw_text() {
    let p = Replies::new(vec!["Oslo, ", "about 700k people"]);
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

    let p = Replies::new(vec![r#"{"name": "Oslo"}"#]);
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
    let p = Replies::ending(vec![r#"{"name": "Oslo", "popu"#], FinishReason::Length);
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
    let p = Replies::new(vec!["```json\n{\"name\": \"Oslo\"}\n```"]);
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
        let p = &Replies::new(vec![r#"{"name": "Tromsø", "population": 77000}"#]);
        let town: Town = structured(|req| async move { p.stream_chat(&req).await }, ask())
            .await
            .unwrap();
        assert_eq!((town.name.as_str(), town.population), ("Tromsø", 77_000));

        let Some(ResponseFormat::JsonSchema(schema)) = p.request().response_format else {
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

//! `mock-json`: a model that answers in JSON when asked to — the smallest
//! instance of a `JsonSchema` format, or an object for `JsonObject` — and
//! in plain text otherwise.

use yat_core::{ChatRequest, ResponseFormat};

use super::reply::{last_user_text, plan_reply, Reply};
use super::schema::minimal_instance;

/// The reply to `req`; stop sequences and the token limit apply to the
/// JSON text as to any other (a cut reply is cut JSON, as with real APIs).
pub(super) fn reply(req: &ChatRequest, chunk_size: usize) -> Reply {
    let text = match &req.response_format {
        Some(ResponseFormat::JsonSchema(s)) => minimal_instance(&s.schema).to_string(),
        Some(ResponseFormat::JsonObject) => {
            serde_json::json!({ "reply": last_user_text(req) }).to_string()
        }
        _ => last_user_text(req).into_owned(),
    };
    Reply::text(plan_reply(&text, chunk_size, req), req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{ChatEvent, FinishReason, JsonSchema, Message};

    fn text(reply: &Reply) -> String {
        reply
            .events
            .iter()
            .map(|e| match e {
                ChatEvent::Delta { text } => text.as_str(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn ask() -> ChatRequest {
        ChatRequest::new(
            "mock-json",
            vec![Message::system("json only"), Message::user("Name a city")],
        )
    }

    #[test]
    fn a_schema_gets_its_smallest_instance_an_object_format_an_object() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"city": {"type": "string"}, "population": {"type": "integer"},
                           "districts": {"type": "array", "items": {"type": "object",
                               "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}}},
            "required": ["city", "population", "districts"]
        });
        let r = reply(
            &ask().response_format(ResponseFormat::JsonSchema(JsonSchema::new("c", schema))),
            5,
        );
        let v: serde_json::Value = serde_json::from_str(&text(&r)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"city": "mock", "population": 0, "districts": [{"n": 1}]})
        );
        assert!(r.events.len() > 1);
        assert_eq!(r.finish.reason, FinishReason::Stop);
        assert_eq!(
            r.usage.cache_read_tokens,
            Some(2),
            "the system prompt counts as cached"
        );

        let r = reply(&ask().response_format(ResponseFormat::JsonObject), 5);
        assert_eq!(text(&r), r#"{"reply":"Name a city"}"#);
        assert_eq!(text(&reply(&ask(), 5)), "Name a city");
    }

    #[test]
    fn the_token_limit_cuts_the_json() {
        let r = reply(
            &ask()
                .response_format(ResponseFormat::JsonObject)
                .max_tokens(2),
            5,
        );
        assert_eq!(text(&r), r#"{"reply":""#);
        assert_eq!(r.finish.reason, FinishReason::Length);
    }
}

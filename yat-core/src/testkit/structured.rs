//! `json_schema_output`: a reply asked to fit a JSON schema fits it.

use super::fixtures::{city_schema, JSON_PROMPT};
use super::schema::validate;
use super::session::{verdict, Feature, Run};
use crate::types::{ChatRequest, Message, ResponseFormat};

pub(super) async fn json_schema_output(r: &mut Run<'_>) {
    const NAME: &str = "json_schema_output";
    let outcome = match r.gate(NAME, r.caps.json_schema, "json_schema") {
        Some(skipped) => skipped,
        None => verdict(structured(r).await),
    };
    r.record(NAME, outcome);
}

async fn structured(r: &Run<'_>) -> Result<(), String> {
    let model = r.model_for(r.o.json_model.as_ref(), Feature::JsonSchema);
    let schema = city_schema();
    let req = ChatRequest::new(&model, vec![Message::user(JSON_PROMPT)])
        .response_format(ResponseFormat::JsonSchema(schema.clone()));
    let t = r.complete(&format!("the request ({model})"), &req).await?;
    let text = t.text();
    let value: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|e| format!("the reply is not JSON ({e}): {text:?}"))?;
    validate(&schema.schema, &value).map_err(|e| format!("the reply {value} does not fit: {e}"))
}

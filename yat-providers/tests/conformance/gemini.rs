//! The Gemini script (`streamGenerateContent?alt=sse`, for `gemini` and its
//! `google` alias): each check of the 0.2 contract answered the way a
//! Gemini model does and, like the real API, a turn that drops a thought
//! signature refused; unknown models get the documented 404.

use yat_core::testkit::fakeserver::{Action, RecordedRequest, Response, Route};
use yat_core::testkit::fixtures;

use crate::script::{stop_probe, Script, STOP, STOPPED_REPLY};

pub fn script() -> Script {
    let routes = vec![
        Route::new("GET", "/v1beta/models").respond(Response::json(200, MODELS)),
        Route::prefix("POST", "/v1beta/models/").handle(model_aware),
    ];
    // Every check of the 0.2 contract runs: the chat model thinks (the
    // listing says so) and the usage details come from a thinking model.
    let options = stop_probe().usage_details_model("gemini-2.5-pro");
    Script::fake(routes, "/v1beta", options)
}

/// One chunk of text from the chat model, `finish` on it if given.
fn text_chunk(text: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or(String::new(), |f| format!(",\"finishReason\": \"{f}\""));
    let text = serde_json::Value::from(text);
    format!(
        "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": {text}}}],\"role\": \"model\"}}{finish},\"index\": 0}}],\"usageMetadata\": {{\"promptTokenCount\": 6,\"candidatesTokenCount\": 3,\"totalTokenCount\": 9}},\"modelVersion\": \"gemini-2.5-flash\"}}\r\n\r\n"
    )
}

const CHAT_PATH: &str = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";

/// A reply in the documented shape (shared/wire-formats.md §3; the values are
/// illustrative): CRLF line ends as in Google's own output, running usage on
/// every chunk, multi-byte text, the finish on the last chunk and no end
/// marker after it.
const TRANSCRIPT: &str = concat!(
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"totalTokenCount\": 6},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" wörld ✓ STOP and after\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"totalTokenCount\": 6},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"candidatesTokenCount\": 8,\"totalTokenCount\": 14},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\r\n\r\n",
);

const MODELS: &str = r#"{"models":[{"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash","description":"Stable version of Gemini 2.5 Flash","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens","createCachedContent","batchGenerateContent"],"temperature":1,"topP":0.95,"topK":64,"maxTemperature":2,"thinking":true},{"name":"models/gemini-embedding-001","version":"001","displayName":"Gemini Embedding 001","inputTokenLimit":2048,"outputTokenLimit":1,"supportedGenerationMethods":["embedContent","countTextTokens","countTokens","asyncBatchEmbedContent"]}]}"#;

/// Answers like the real API: unknown models get the documented 404, a token
/// limit of 1 gets one delta and `MAX_TOKENS`, and each check of the 0.2
/// contract gets what a Gemini model sends for its request (see
/// [`contract_reply`]).
fn model_aware(req: &RecordedRequest) -> Response {
    let path = req.path_only();
    if path == THINKING_PATH {
        return Response::sse(THINKING_REPLY);
    }
    if path != CHAT_PATH {
        let model = path
            .trim_start_matches("/v1beta/")
            .split(':')
            .next()
            .unwrap_or("")
            .to_owned();
        return Response::json(
            404,
            &format!(
                r#"{{"error":{{"code":404,"message":"{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}}}"#
            ),
        );
    }
    let body = req.json();
    let last_text = body["contents"]
        .as_array()
        .and_then(|c| c.last())
        .map(|c| c["parts"][0]["text"].clone())
        .unwrap_or_default();
    if last_text == fixtures::CANCEL_PROMPT {
        // Still streaming when the kit drops it.
        return Response::sse(&text_chunk("One,", None)).then(Action::Stall);
    }
    if body["generationConfig"]["stopSequences"] == serde_json::json!([STOP]) {
        return Response::sse(&text_chunk(STOPPED_REPLY, Some("STOP")));
    }
    if body["generationConfig"]["maxOutputTokens"] == 1 {
        return Response::sse(
            "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},\"finishReason\": \"MAX_TOKENS\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"candidatesTokenCount\": 1,\"totalTokenCount\": 7},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n",
        );
    }
    contract_reply(&body).unwrap_or_else(|| Response::sse(TRANSCRIPT))
}

/// A model that thinks, reporting its thoughts and a cache hit.
const THINKING_PATH: &str = "/v1beta/models/gemini-2.5-pro:streamGenerateContent";
const THINKING_REPLY: &str = concat!(
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"**Counting letters**\\n\\nst-r-awbe-r-r-y.\",\"thought\": true}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 1044,\"totalTokenCount\": 1044,\"cachedContentTokenCount\": 1024},\"modelVersion\": \"gemini-2.5-pro\",\"responseId\": \"Tn1RabmVKMyoz7IP9JrN6QI\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"There are three.\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 1044,\"totalTokenCount\": 1044,\"cachedContentTokenCount\": 1024},\"modelVersion\": \"gemini-2.5-pro\",\"responseId\": \"Tn1RabmVKMyoz7IP9JrN6QI\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\",\"thoughtSignature\": \"EjQKMgEM0JtSx+Zr9cYb1tGHq8tWbmc9RkI0PQ==\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 1044,\"candidatesTokenCount\": 4,\"totalTokenCount\": 1148,\"cachedContentTokenCount\": 1024,\"thoughtsTokenCount\": 100},\"modelVersion\": \"gemini-2.5-pro\",\"responseId\": \"Tn1RabmVKMyoz7IP9JrN6QI\"}\r\n\r\n",
);
const WEATHER_CALL: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_weather\",\"args\": {\"city\": \"Paris\",\"unit\": \"celsius\"}},\"thoughtSignature\": \"CsUCAXLI2nxwG8hL3k1/Tf0xdGhpbmtpbmc=\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 96,\"candidatesTokenCount\": 20,\"totalTokenCount\": 170,\"thoughtsTokenCount\": 54},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n";
const TWO_CALLS: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_weather\",\"args\": {\"city\": \"Paris\",\"unit\": \"celsius\"}},\"thoughtSignature\": \"CiQBcsjafPqvZ3Yq1x2Pd4Y0b2l1c2U=\"},{\"functionCall\": {\"name\": \"get_time\",\"args\": {\"timezone\": \"Asia/Tokyo\"}}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 140,\"candidatesTokenCount\": 35,\"totalTokenCount\": 175}}\r\n\r\n";
const WEATHER_ANSWER: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"It is 21 °C and sunny in Paris.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 160,\"candidatesTokenCount\": 11,\"totalTokenCount\": 171}}\r\n\r\n";
const CITY_JSON: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"{\\\"city\\\": \\\"Paris\\\", \\\"population\\\": 2102650, \\\"coastal\\\": false}\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 40,\"candidatesTokenCount\": 19,\"totalTokenCount\": 59}}\r\n\r\n";

const ORANGE: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The image is orange.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 272,\"candidatesTokenCount\": 5,\"totalTokenCount\": 277}}\r\n\r\n";

/// The kit's PNG as `inlineData.data` must carry it.
fn base64_png() -> String {
    yat_core::Media::bytes("image/png", fixtures::TINY_PNG)
        .base64()
        .unwrap_or_default()
}

/// What a Gemini model answers to the conformance kit's 0.2 checks, told
/// apart by their bodies. Like the real API, a turn that sends back a call
/// or a thought without the signature it came with is refused with a 400.
fn contract_reply(body: &serde_json::Value) -> Option<Response> {
    let contents = body["contents"].as_array()?;
    let has = |key: &str| {
        contents
            .iter()
            .flat_map(|c| c["parts"].as_array().into_iter().flatten())
            .any(|p| p.get(key).is_some())
    };
    let parts_of = |i: usize| contents[i]["parts"].as_array().cloned().unwrap_or_default();
    let refuse = |what: &str| {
        Response::json(
            400,
            &format!(
                r#"{{"error":{{"code":400,"message":"{what} is missing a thought_signature.","status":"INVALID_ARGUMENT"}}}}"#
            ),
        )
    };
    let asks_about_the_image = contents
        .iter()
        .flat_map(|c| c["parts"].as_array().into_iter().flatten())
        .any(|p| p["text"] == fixtures::IMAGE_PROMPT);
    if asks_about_the_image {
        let png = base64_png();
        let sees_it = has("inlineData")
            && contents[0]["parts"][1]["inlineData"]
                == serde_json::json!({"mimeType": "image/png", "data": png});
        return Some(if sees_it {
            Response::sse(ORANGE)
        } else {
            Response::json(
                400,
                r#"{"error":{"code":400,"message":"Unable to process input image.","status":"INVALID_ARGUMENT"}}"#,
            )
        });
    }
    if has("functionResponse") {
        let signed = parts_of(1).iter().any(|p| {
            p["functionCall"]["name"] == "get_weather"
                && p["thoughtSignature"] == "CsUCAXLI2nxwG8hL3k1/Tf0xdGhpbmtpbmc="
        });
        return Some(if signed {
            Response::sse(WEATHER_ANSWER)
        } else {
            refuse("Function call")
        });
    }
    if body.get("tools").is_some() {
        let config = &body["toolConfig"]["functionCallingConfig"];
        return Some(Response::sse(
            if config["allowedFunctionNames"][0] == "get_weather" {
                WEATHER_CALL
            } else {
                TWO_CALLS
            },
        ));
    }
    if body["generationConfig"].get("responseJsonSchema").is_some() {
        return Some(Response::sse(CITY_JSON));
    }
    if body["generationConfig"].get("thinkingConfig").is_some() {
        if contents.len() == 1 {
            return Some(Response::sse(THINKING_REPLY));
        }
        let signed = parts_of(1)
            .iter()
            .any(|p| p["thoughtSignature"] == "EjQKMgEM0JtSx+Zr9cYb1tGHq8tWbmc9RkI0PQ==");
        return Some(if signed {
            Response::sse(TRANSCRIPT)
        } else {
            refuse("The model turn")
        });
    }
    None
}

//! Gemini replies beyond text, from a local fake server: whole function
//! calls (several in a chunk, some without an id), thoughts and their
//! signatures, detailed usage, parts yat does not read, a tool loop over
//! three requests, and malformed chunks.
#![cfg(any(feature = "gemini", feature = "google"))]

mod support;
use support::response_of;
use support::vendors::gemini::vendor;
use support::{delta, ended as end, finish, piece as args, signed as signature, start, thought};

use serde_json::json;
use yat_core::assemble::SYNTHETIC_ID_PREFIX;
use yat_core::{
    ChatEvent, ChatRequest, Finish, FinishReason, Media, Message, Part, Reasoning, ToolCall,
    ToolResult, ToolSpec, Usage, YatError,
};
use yat_fakeserver::Response;

const PARALLEL_CALLS: &str = include_str!("fixtures/gemini/parallel_calls.sse");
const CALL_WITHOUT_ID: &str = include_str!("fixtures/gemini/call_without_id.sse");
const THINKING_SIGNED: &str = include_str!("fixtures/gemini/thinking_signed.sse");
const SIGNED_CALL: &str = include_str!("fixtures/gemini/signed_call.sse");
const AFTER_TOOL_RESULT: &str = include_str!("fixtures/gemini/after_tool_result.sse");
const UNKNOWN_PARTS: &str = include_str!("fixtures/gemini/unknown_parts.sse");

const NO_RETRIES: [(&str, &str); 1] = [("max_retries", "0")];

fn weather_tool() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "Current weather in a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

fn request(messages: Vec<Message>) -> ChatRequest {
    ChatRequest::new("gemini-2.5-flash", messages).tool(weather_tool())
}

/// The events of `body` served whole, and served one byte at a time (they
/// must not differ).
async fn events_of(body: &str) -> Vec<ChatEvent> {
    let req = request(vec![Message::user("Go")]);
    vendor().events_however_cut(body, &req).await.unwrap()
}

#[tokio::test]
async fn two_function_calls_in_one_chunk_are_two_calls_and_the_stop_means_tool_calls() {
    assert_eq!(
        events_of(PARALLEL_CALLS).await,
        vec![
            start(0, "fc-paris", "get_weather"),
            args(0, r#"{"city":"Paris"}"#),
            end(
                0,
                ToolCall::new("fc-paris", "get_weather", json!({"city": "Paris"}))
                    .with_signature("CiQBcsjafPqvZ3Yq1x2Pd4Y0b2l1c2U=")
            ),
            start(1, "fc-london", "get_weather"),
            args(1, r#"{"city":"London","unit":"celsius"}"#),
            end(
                1,
                ToolCall::new(
                    "fc-london",
                    "get_weather",
                    json!({"city": "London", "unit": "celsius"})
                )
            ),
            ChatEvent::Usage(Usage::new(74, 86).with_reasoning(56)),
            finish(FinishReason::ToolCalls, "STOP"),
        ]
    );
}

#[tokio::test]
async fn a_call_without_an_id_gets_one_made_up() {
    let synthetic = format!("{SYNTHETIC_ID_PREFIX}0");
    assert_eq!(
        events_of(CALL_WITHOUT_ID).await,
        vec![
            delta("Let me check the time."),
            start(0, &synthetic, "now"),
            args(0, "{}"),
            end(0, ToolCall::new(synthetic.as_str(), "now", json!({}))),
            ChatEvent::Usage(Usage::new(41, 12)),
            finish(FinishReason::ToolCalls, "STOP"),
        ]
    );
}

#[tokio::test]
async fn thoughts_are_reasoning_and_a_lone_signature_closes_the_reply() {
    assert_eq!(
        events_of(THINKING_SIGNED).await,
        vec![
            thought("**Weighing the question**\n\nThe user asks for the sum; "),
            thought("it is small."),
            delta("2 + 2 = 4."),
            signature("EjQKMgEM0JtSx+Zr9cYb1tGHq8tWbmc9RkI0PQ=="),
            // 1290 prompt tokens, 1024 of them cached; 8 + 122 thinking out.
            ChatEvent::Usage(
                Usage::new(266, 130)
                    .with_cache_read(1024)
                    .with_reasoning(122)
            ),
            finish(FinishReason::Stop, "STOP"),
        ]
    );
    let req = request(vec![Message::user("2 + 2?")]);
    let (_, reply) = vendor().exchange(THINKING_SIGNED, &req, &NO_RETRIES).await;
    assert_eq!(
        reply.parts,
        vec![
            Part::Reasoning(Reasoning::new(
                "**Weighing the question**\n\nThe user asks for the sum; it is small."
            )),
            Part::text("2 + 2 = 4."),
            Part::Reasoning(
                Reasoning::default().with_signature("EjQKMgEM0JtSx+Zr9cYb1tGHq8tWbmc9RkI0PQ==")
            ),
        ]
    );
    let usage = reply.usage.unwrap();
    assert_eq!(usage.total_input(), 1290);
}

#[tokio::test]
async fn parts_of_other_kinds_are_skipped_and_tool_prompts_count_as_input() {
    assert_eq!(
        events_of(UNKNOWN_PARTS).await,
        vec![
            delta("The answer is 42."),
            ChatEvent::Usage(Usage::new(35, 40)),
            finish(FinishReason::Stop, "STOP"),
        ]
    );
}

#[tokio::test]
async fn an_image_question_sends_inline_data_and_reads_the_answer() {
    let body = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"A black cat on a red sofa.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 265,\"candidatesTokenCount\": 8,\"totalTokenCount\": 273,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 7},{\"modality\": \"IMAGE\",\"tokenCount\": 258}]},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"q0tSacf3MeOoz7IPlsyA8Ac\"}\r\n\r\n";
    let jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec();
    let req = ChatRequest::new(
        "gemini-2.5-flash",
        vec![Message::user("What is in this picture?")
            .with_part(Part::Image(Media::bytes("image/jpeg", jpeg)))],
    );
    let (sent, reply) = vendor().exchange(body, &req, &NO_RETRIES).await;
    assert_eq!(reply.text(), "A black cat on a red sofa.");
    assert_eq!(reply.usage, Some(Usage::new(265, 8)));
    assert_eq!(
        sent.text(),
        r#"{"contents":[{"role":"user","parts":[{"text":"What is in this picture?"},{"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQSkZJRgA="}}]}]}"#
    );
}

#[tokio::test]
async fn a_tool_loop_sends_back_the_signed_call_its_result_and_the_signed_answer() {
    let (server, p) = vendor()
        .conversing(&[SIGNED_CALL, AFTER_TOOL_RESULT], &NO_RETRIES)
        .await;
    let mut history = vec![Message::user("What's the weather in Paris?")];

    // Turn 1: thoughts, then one signed call without an id.
    let seen = support::events(&p, &request(history.clone()))
        .await
        .unwrap();
    let call = ToolCall::new(
        format!("{SYNTHETIC_ID_PREFIX}0"),
        "get_weather",
        json!({"city": "Paris"}),
    )
    .with_signature("CsUCAXLI2nxwG8hL3k1/Tf0xdGhpbmtpbmc=");
    assert_eq!(
        seen,
        vec![
            thought("**Looking up the weather**\n\nI need the weather tool."),
            start(0, &call.id, "get_weather"),
            args(0, r#"{"city":"Paris"}"#),
            end(0, call.clone()),
            ChatEvent::Usage(Usage::new(58, 113).with_reasoning(97)),
            finish(FinishReason::ToolCalls, "STOP"),
        ]
    );
    let reply = response_of(&seen);
    let calls: Vec<ToolCall> = reply.tool_calls().cloned().collect();
    history.push(reply.into_message());
    history.push(Message::tool_results(
        calls.iter().map(|c| ToolResult::new(c, "12°C")),
    ));

    // Turn 2: the call goes back with its signature but without the id yat
    // made up, the thought text stays home, the result is a user turn.
    let reply = support::reply(&p, &request(history.clone())).await;
    assert_eq!(reply.text(), "It is 12°C in Paris.");
    assert_eq!(reply.finish, Some(Finish::new(FinishReason::Stop, "STOP")));
    let tools = r#""tools":[{"functionDeclarations":[{"name":"get_weather","description":"Current weather in a city","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}]"#;
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].text(),
        [
            r#"{"contents":["#,
            r#"{"role":"user","parts":[{"text":"What's the weather in Paris?"}]},"#,
            r#"{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"CsUCAXLI2nxwG8hL3k1/Tf0xdGhpbmtpbmc="}]},"#,
            r#"{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"result":"12°C"}}}]}"#,
            "],",
            tools,
            "}",
        ]
        .concat()
    );

    // Turn 3: the answer's signature, which came alone on an empty text
    // part, goes back the same way.
    history.push(reply.into_message());
    history.push(Message::user("Thanks!"));
    support::reply(&p, &request(history)).await;
    let body = server.requests()[2].json();
    assert_eq!(
        body["contents"][3],
        json!({"role": "model", "parts": [
            {"text": "It is 12°C in Paris."},
            {"text": "", "thoughtSignature": "Eq0BAXLI2nyW0Zk5cmVwbHk="}
        ]})
    );
    assert_eq!(
        body["contents"][4],
        json!({"role": "user", "parts": [{"text": "Thanks!"}]})
    );
}

#[tokio::test]
async fn content_after_a_finish_makes_it_provisional_again() {
    // An early model's finish on every chunk, then a call: the call is
    // part of the reply and the last finish stands.
    let body = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Checking.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"now\"}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}\r\n\r\n",
    );
    let events = events_of(body).await;
    assert_eq!(
        events.last(),
        Some(&ChatEvent::Finish(Finish::new(
            FinishReason::ToolCalls,
            "STOP"
        )))
    );
    // A call after the last finish, then nothing: cut.
    let body = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Checking.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"now\"}}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n",
    );
    let (_server, p) = vendor().answering(Response::sse(body), &NO_RETRIES).await;
    let e = support::stream_error(&p, &request(vec![Message::user("Go")])).await;
    assert_eq!(e.kind(), "network", "{e}");
}

#[tokio::test]
async fn malformed_chunks_are_typed_errors() {
    for (body, mentions) in [
        // A call without a name.
        (
            "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"args\": {\"city\": \"Paris\"}}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}\r\n\r\n",
            "functionCall",
        ),
        // Parts that are not objects.
        (
            "data: {\"candidates\": [{\"content\": {\"parts\": [\"Hello\"],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n",
            "Hello",
        ),
        // `thought` that is not a flag.
        (
            "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"x\",\"thought\": \"yes\"}]}}]}\r\n\r\n",
            "thought",
        ),
    ] {
        let (_server, p) = vendor().answering(Response::sse(body), &NO_RETRIES).await;
        let e = support::reply_error(&p, &request(vec![Message::user("Go")])).await;
        match &e {
            YatError::MalformedResponse {
                provider, excerpt, ..
            } => {
                assert_eq!(provider, "gemini");
                assert!(excerpt.contains(mentions), "{excerpt}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

//! `yat chat --schema FILE|JSON`: the request asks for the schema, stdout is
//! the JSON document alone, and a reply that is not JSON fails with the raw
//! text on stderr.

mod common;

use common::Sandbox;

const PERSON: &str = r#"{"type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 18}},
    "required": ["name", "age"], "additionalProperties": false}"#;

#[test]
fn stdout_is_the_document_and_nothing_else() {
    let sb = Sandbox::new();
    let out = sb
        .run(&[
            "chat",
            "-m",
            "mock/mock-json",
            "--schema",
            PERSON,
            "-u",
            "Invent a person",
        ])
        .ok();
    assert_eq!(out.stdout, "{\"name\":\"mock\",\"age\":18}\n");
    assert!(
        out.stderr.contains("mock/mock-json: "),
        "usage on stderr: {}",
        out.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["age"], 18);
}

#[test]
fn a_schema_file_is_read_and_names_the_schema() {
    let sb = Sandbox::new();
    let path = sb.work_dir().join("person.json");
    std::fs::write(&path, PERSON).unwrap();
    let out = sb
        .run(&[
            "chat",
            "-m",
            "mock/mock-json",
            "--schema",
            path.to_str().unwrap(),
            "x",
        ])
        .ok();
    assert_eq!(out.stdout, "{\"name\":\"mock\",\"age\":18}\n");
    // The stored reply is the document; the schema is not part of the log.
    let log: serde_json::Value =
        serde_json::from_str(&sb.run(&["log", "show", "--json"]).ok().stdout).unwrap();
    assert_eq!(
        log["messages"][1]["content"],
        "{\"name\":\"mock\",\"age\":18}"
    );
}

#[cfg(feature = "openai")]
#[tokio::test]
async fn the_request_carries_the_schema_with_its_name() {
    use yat_fakeserver::{openai_stream, FakeServer, Response, Route};

    let server = FakeServer::start(vec![Route::new("POST", "/v1/chat/completions").respond(
        Response::sse(&openai_stream(&["{\"name\":", "\"Ada\",\"age\":36}"])),
    )])
    .await
    .unwrap();
    let sb = Sandbox::new();
    let path = sb.work_dir().join("person.json");
    std::fs::write(&path, PERSON).unwrap();
    let out = common::Output::from(
        sb.yat()
            .env("OPENAI_API_KEY", "sk-test-0123456789")
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
            .args([
                "chat",
                "--no-history",
                "-m",
                "openai/gpt-4o-mini",
                "--schema",
            ])
            .arg(&path)
            .arg("Invent a person")
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(out.stdout, "{\"name\":\"Ada\",\"age\":36}\n");
    let body = server.requests()[0].json();
    let format = &body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "person");
    assert_eq!(
        format["json_schema"]["strict"], true,
        "a closed schema opts in"
    );
    assert_eq!(
        format["json_schema"]["schema"]["required"],
        serde_json::json!(["name", "age"])
    );
}

#[test]
fn a_reply_that_is_not_json_fails_with_the_raw_text_on_stderr() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-echo",
            "--schema",
            "{\"type\": \"object\"}",
            "not json at all",
        ])
        .code(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("\nnot json at all\n"), "{}", out.stderr);
    out.one_error_line("mock: the reply does not match the requested structure");
}

#[test]
fn a_cut_document_is_not_json_either() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-json",
            "--schema",
            PERSON,
            "--max-tokens",
            "2",
            "x",
        ])
        .code(1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("cut at the token limit"),
        "{}",
        out.stderr
    );
    out.one_error_line("does not match the requested structure");
}

#[test]
fn bad_schemas_are_usage_errors() {
    let sb = Sandbox::new();
    sb.run(&["chat", "--schema", "{oops", "x"])
        .code(2)
        .one_error_line("--schema: not JSON");
    sb.run(&["chat", "--schema", "[1, 2]", "x"])
        .code(2)
        .one_error_line("a JSON Schema is an object");
    sb.run(&["chat", "--schema", "absent.json", "x"])
        .code(2)
        .one_error_line("--schema absent.json: cannot read it");
    std::fs::write(sb.work_dir().join("bad.json"), "{\n  \"type\": }").unwrap();
    sb.run(&["chat", "--schema", "bad.json", "x"])
        .code(2)
        .one_error_line("bad.json: not JSON: expected value at line 2");
}

#[test]
fn json_events_and_a_schema_go_together() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "--json",
            "-m",
            "mock/mock-json",
            "--schema",
            PERSON,
            "x",
        ])
        .ok();
    let text: String = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["type"] == "delta")
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, "{\"name\":\"mock\",\"age\":18}");
}

#[test]
fn json_in_a_code_fence_is_taken_out_of_it() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-echo",
            "--schema",
            "{\"type\": \"object\"}",
            "Here:\n```json\n{\"a\": [1, 2]}\n```",
        ])
        .ok();
    assert_eq!(out.stdout, "{\"a\":[1,2]}\n");
}

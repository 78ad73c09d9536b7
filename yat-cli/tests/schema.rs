//! `yat chat --schema FILE|JSON`: the request asks for the schema, stdout is
//! the JSON document alone, and a reply that is not JSON fails with the raw
//! text on stderr.

mod common;

use common::Sandbox;

const PERSON: &str = r#"{"type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 18}},
    "required": ["name", "age"], "additionalProperties": false}"#;

/// What mock-json answers to a request for [`PERSON`].
const MOCK_PERSON: &str = "{\"name\":\"mock\",\"age\":18}";

/// The schema given inline or as a file: stdout is the document and
/// nothing else, and the stored reply is the document (the schema is not
/// part of the log).
#[test]
fn stdout_is_the_document_and_nothing_else() {
    let sb = Sandbox::new();
    let path = sb.file("person.json", PERSON);
    for schema in [PERSON, path.to_str().unwrap()] {
        let out = sb
            .run(&[
                "chat",
                "-m",
                "mock/mock-json",
                "--schema",
                schema,
                "-u",
                "Invent a person",
            ])
            .ok()
            .says("mock/mock-json: ");
        assert_eq!(out.stdout, format!("{MOCK_PERSON}\n"), "{schema}");
        assert_eq!(out.json()["age"], 18);
        let log = sb.json(&["log", "show", "--json"]);
        assert_eq!(log["messages"][1]["content"], MOCK_PERSON, "{schema}");
    }
}

#[cfg(feature = "openai")]
#[test]
fn the_request_carries_the_schema_with_its_name() {
    use common::{Api, Run};

    let server = common::serve(
        Api::OpenAi,
        vec![Api::OpenAi.stream(&["{\"name\":", "\"Ada\",\"age\":36}"])],
    );
    let sb = Sandbox::new();
    let path = sb.file("person.json", PERSON);
    let out = sb
        .at(Api::OpenAi, &server.url())
        .args([
            "chat",
            "--no-history",
            "-m",
            Api::OpenAi.model(),
            "--schema",
        ])
        .arg(&path)
        .arg("Invent a person")
        .run()
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

/// A reply that is not the document asked for fails, with the raw text on
/// stderr for a person to read and nothing on stdout for a program.
#[test]
fn a_reply_that_is_not_json_fails_with_the_raw_text_on_stderr() {
    let cases: &[(&str, &[&str], &str, &str)] = &[
        (
            "not JSON at all",
            &[
                "-m",
                "mock/mock-echo",
                "--schema",
                "{\"type\": \"object\"}",
                "not json at all",
            ],
            "\nnot json at all\n",
            "mock: the reply does not match the requested structure",
        ),
        (
            "a document cut at the token limit",
            &[
                "-m",
                "mock/mock-json",
                "--schema",
                PERSON,
                "--max-tokens",
                "2",
                "x",
            ],
            "cut at the token limit",
            "does not match the requested structure",
        ),
    ];
    for (name, args, shown, error) in cases {
        let out = Sandbox::new()
            .run(&[&["chat"], *args].concat())
            .code(1)
            .says(shown);
        assert!(out.stdout.is_empty(), "{name}: {}", out.stdout);
        out.one_error_line(error);
    }
}

#[test]
fn bad_schemas_are_usage_errors() {
    let sb = Sandbox::new();
    sb.file("bad.json", "{\n  \"type\": }");
    sb.check_errors(
        2,
        &[
            (&["chat", "--schema", "{oops", "x"], "--schema: not JSON"),
            (
                &["chat", "--schema", "[1, 2]", "x"],
                "a JSON Schema is an object",
            ),
            (
                &["chat", "--schema", "absent.json", "x"],
                "--schema absent.json: cannot read it",
            ),
            (
                &["chat", "--schema", "bad.json", "x"],
                "bad.json: not JSON: expected value at line 2",
            ),
        ],
    );
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
    assert_eq!(out.delta_text(), MOCK_PERSON);
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

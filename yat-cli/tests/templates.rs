//! Templates: `yat chat --save NAME` keeps a set-up, `-t NAME -p KEY VALUE`
//! uses it (the command's own flags win), `yat templates list|show|edit|path`.

mod common;

use common::{serve, Api, Run, Sandbox};

/// `yat chat ARGS` against a fake OpenAI server that replies `{}`; the
/// request it sent.
fn sent(sb: &Sandbox, args: &[&str], stdin: &str) -> serde_json::Value {
    let api = Api::OpenAi;
    let server = serve(api, vec![api.stream(&["{}"])]);
    sb.at(api, &server.url())
        .arg("chat")
        .args(args)
        .write_stdin(stdin)
        .run()
        .ok();
    server.requests()[0].json()
}

#[test]
fn a_saved_template_fills_what_the_command_leaves_out() {
    let sb = Sandbox::new();
    sb.file("tool.json", r#"{"name": "now", "description": "The time"}"#);
    let out = sb
        .run(&[
            "chat",
            "--save",
            "sum",
            "-m",
            Api::OpenAi.model(),
            "-s",
            "Answer in $lang, ${tone}ly.",
            "--temperature",
            "0.3",
            "--max-tokens",
            "50",
            "--tool",
            "tool.json",
            "Summarise: $input",
        ])
        .ok();
    assert!(out.stdout.is_empty(), "nothing is sent: {}", out.stdout);
    let path = sb.root().join("config/templates/sum.json");
    assert!(out
        .stderr
        .contains(&format!("saved template sum ({})", path.display())));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        saved["options"],
        serde_json::json!({"temperature": 0.3, "max_tokens": 50})
    );
    // A default for one parameter, written by hand.
    let mut edited = saved.clone();
    edited["defaults"] = serde_json::json!({"tone": "brief"});
    std::fs::write(&path, edited.to_string()).unwrap();

    let body = sent(&sb, &["-t", "sum", "-p", "lang", "French"], "my notes");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["temperature"], 0.3);
    assert_eq!(body["messages"][0]["content"], "Answer in French, briefly.");
    assert_eq!(body["messages"][1]["content"], "Summarise: my notes");
    assert_eq!(body["tools"][0]["function"]["name"], "now");

    // The command's own flags win; -p overrides a default.
    let body = sent(
        &sb,
        &[
            "-t",
            "sum",
            "-p",
            "lang",
            "Dutch",
            "-p",
            "tone",
            "kind",
            "--temperature",
            "1",
            "-s",
            "Own.",
            "--tool",
            r#"{"name": "later"}"#,
            "typed",
        ],
        "",
    );
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["later", "now"], "tools add up");
    assert_eq!(body["temperature"], 1.0);
    assert_eq!(body["messages"][0]["content"], "Own.");
    assert_eq!(body["messages"][1]["content"], "Summarise: typed");

    let listed = sb.run(&["templates", "list"]).ok().stdout;
    assert!(listed.starts_with("NAME"), "{listed}");
    assert!(
        listed.contains("sum   openai/gpt-4o-mini  Answer in $lang, ${tone}ly."),
        "{listed}"
    );
    let json = sb.json(&["templates", "list", "--json"]);
    assert_eq!(json[0]["name"], "sum");
    assert_eq!(json[0]["defaults"]["tone"], "brief");
    assert_eq!(
        sb.run(&["templates", "show", "sum"]).ok().stdout,
        std::fs::read_to_string(&path).unwrap()
    );
    assert_eq!(
        sb.run(&["templates", "path"]).ok().stdout.trim_end(),
        path.parent().unwrap().display().to_string()
    );
}

#[test]
fn a_template_without_input_appends_the_prompt_and_keeps_its_schema() {
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "--save",
        "person",
        "--schema",
        r#"{"type": "object", "properties": {"name": {"type": "string"}}}"#,
        "Invent a person.",
    ])
    .ok();
    let body = sent(
        &sb,
        &["-m", Api::OpenAi.model(), "-t", "person", "From Oslo."],
        "",
    );
    assert_eq!(
        body["messages"][0]["content"],
        "Invent a person.\n\nFrom Oslo."
    );
    assert_eq!(body["response_format"]["type"], "json_schema");
}

#[test]
fn edit_opens_the_editor_and_checks_the_result() {
    let sb = Sandbox::new();
    let path = sb.root().join("config/templates/new.json");
    let edit = |editor: &str| sb.run_with(&[("EDITOR", editor)], &["templates", "edit", "new"]);
    // A new template starts as a skeleton the editor changes.
    edit("sed -i s/input/input_text/")
        .ok()
        .says("template new saved");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"prompt\": \"$input_text\""), "{text}");
    edit("sh -c 'echo broken > \"$0\"'")
        .code(2)
        .one_error_line("not a template");
    edit("false")
        .code(1)
        .one_error_line("the editor \"false\" failed");
}

#[test]
fn template_mistakes_are_usage_errors() {
    let sb = Sandbox::new();
    sb.run(&["chat", "--save", "t", "-s", "In $lang.", "Do: $input"])
        .ok();
    sb.check_errors(
        2,
        &[
            (
                &["chat", "-t", "t", "x"],
                "template t needs a value for $lang: -p lang VALUE",
            ),
            (
                &[
                    "chat", "-t", "t", "-p", "lang", "en", "-p", "mood", "x", "y",
                ],
                "template t has no parameter $mood (it takes: $lang)",
            ),
            (
                &["chat", "-t", "t", "-p", "lang", "en", "  "],
                "puts your prompt where it says $input",
            ),
            (
                &["chat", "-t", "nope", "x"],
                "no template nope (see `yat templates list`)",
            ),
            (
                &["chat", "--save", "a/b", "-s", "x"],
                "is not a template name",
            ),
            (&["chat", "--save", "empty"], "nothing to save"),
            (
                &["chat", "-p", "k", "v", "x"],
                "required arguments were not provided",
            ),
            (
                &["chat", "-t", "t", "--save", "u", "x"],
                "cannot be used with",
            ),
            (&["templates", "show", "nope"], "no template nope"),
        ],
    );
}

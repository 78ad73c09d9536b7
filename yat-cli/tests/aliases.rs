//! `yat alias` and using aliases wherever a model is named.

mod common;

use common::Sandbox;

#[test]
fn set_list_use_remove() {
    let sb = Sandbox::new();
    let out = sb.run(&["alias", "list"]).ok();
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("no aliases"));

    let out = sb.run(&["alias", "set", "fast", "mock/mock-echo"]).ok();
    assert!(
        out.stderr.contains("alias fast → mock/mock-echo"),
        "{}",
        out.stderr
    );
    sb.run(&["alias", "set", "long", "mock/mock-long"]).ok();
    assert_eq!(sb.config_json()["aliases"]["fast"], "mock/mock-echo");

    common::assert_snapshot("alias-list", &sb.run(&["alias", "list"]).ok().stdout);
    let json: serde_json::Value = sb.json(&["alias", "list", "--json"]);
    assert_eq!(json["long"], "mock/mock-long");

    assert_eq!(
        sb.run(&["chat", "-m", "fast", "via alias"]).ok().stdout,
        "via alias\n"
    );
    sb.run(&["models", "default", "long"]).ok();
    assert_eq!(
        sb.config_json()["default_model"],
        "mock/mock-long",
        "stored resolved"
    );

    let out = sb.run(&["alias", "set", "fast", "mock/mock-slow"]).ok();
    assert!(
        out.stderr.contains("(was mock/mock-echo)"),
        "{}",
        out.stderr
    );

    sb.run(&["alias", "remove", "fast"]).ok();
    sb.run(&["chat", "-m", "fast", "x"]).code(2);
    sb.run(&["alias", "rm", "fast"])
        .code(1)
        .one_error_line("no alias \"fast\"");
}

#[test]
fn bad_alias_names_and_targets() {
    let sb = Sandbox::new();
    sb.check_errors(
        2,
        &[
            (&["alias", "set", "a/b", "mock/mock-echo"], "a/b"),
            (&["alias", "set", "ok", "not-a-ref"], "\"not-a-ref\""),
            (&["alias", "set", "ok", "nope/model"], "unknown provider"),
        ],
    );
    assert!(!sb.config_file().exists());
}

#[test]
fn a_hand_edited_bad_alias_is_reported_with_the_file() {
    let sb = Sandbox::new();
    sb.write_config(r#"{"providers": [], "aliases": {"x": "no-slash"}}"#);
    sb.run(&["alias", "list"])
        .code(1)
        .one_error_line("aliases.x");
}

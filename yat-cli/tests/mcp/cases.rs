//! The cases that need no terminal and no Python: config commands, `yat
//! mcp call`, and chats whose tools run on this binary's own MCP server.

use std::collections::BTreeSet;

use crate::common::{closed_port_url, Output, Sandbox};
use crate::server::{PIDFILE, SERVE, TOOLS};
use crate::Case;

pub const CASES: &[Case] = &[
    (
        "config_commands_write_the_file_and_never_print_secrets",
        config_commands_write_the_file_and_never_print_secrets,
        None,
    ),
    (
        "list_connects_and_says_ready_with_tools_or_why_it_failed",
        list_connects_and_says_ready_with_tools_or_why_it_failed,
        None,
    ),
    (
        "mcp_call_prints_the_result_and_fails_on_an_error_result",
        mcp_call_prints_the_result_and_fails_on_an_error_result,
        None,
    ),
    (
        "a_one_shot_chat_runs_the_tool_and_the_log_holds_every_step",
        a_one_shot_chat_runs_the_tool_and_the_log_holds_every_step,
        None,
    ),
    (
        "json_reports_each_call_and_result_between_the_replies",
        json_reports_each_call_and_result_between_the_replies,
        None,
    ),
    (
        "without_a_terminal_a_call_is_refused_and_stderr_says_how_to_allow_it",
        without_a_terminal_a_call_is_refused_and_stderr_says_how_to_allow_it,
        None,
    ),
    (
        "an_unknown_server_is_a_usage_error_listing_the_configured_ones",
        an_unknown_server_is_a_usage_error_listing_the_configured_ones,
        None,
    ),
    (
        "the_step_limit_ends_the_turn_keeps_what_was_done_and_c_continues",
        the_step_limit_ends_the_turn_keeps_what_was_done_and_c_continues,
        None,
    ),
    (
        "an_http_server_gets_the_bearer_token_from_the_named_variable",
        an_http_server_gets_the_bearer_token_from_the_named_variable,
        None,
    ),
    (
        "no_server_process_outlives_yat",
        no_server_process_outlives_yat,
        None,
    ),
];

/// The secrets the tests configure; no output may show them.
const SECRETS: [&str; 3] = [
    "env-secret-4711",
    "header-secret-4712",
    "bearer-secret-4713",
];

/// Adds this binary as MCP server `name`, offering `tools` (in that
/// order), with `flags` given to `yat mcp add` before `--`.
pub fn add_fixture(sb: &Sandbox, name: &str, tools: &str, flags: &[&str]) {
    let exe = std::env::current_exe().unwrap();
    let serve = format!("{SERVE}=1");
    let tools = format!("{TOOLS}={tools}");
    let mut args = vec!["mcp", "add", name, "--env", &serve, "--env", &tools];
    args.extend_from_slice(flags);
    args.extend(["--", exe.to_str().unwrap()]);
    sb.run(&args).ok();
}

/// Asserts that neither stream of `out` shows a secret.
#[track_caller]
pub fn no_secret(out: &Output) {
    for s in SECRETS {
        assert!(
            !out.stdout.contains(s) && !out.stderr.contains(s),
            "{s} shown:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

fn config_commands_write_the_file_and_never_print_secrets() {
    let sb = Sandbox::new();
    let out = sb
        .run(&[
            "mcp",
            "add",
            "tools",
            "--env",
            "API_TOKEN=env-secret-4711",
            "--allow",
            "echo",
            "--timeout",
            "5",
            "--",
            "/bin/true",
            "--flag",
        ])
        .ok()
        .says("added MCP server tools");
    no_secret(&out);
    let out = sb
        .run(&[
            "mcp",
            "add",
            "web",
            "--url",
            &closed_port_url(),
            "--header",
            "X-Key=header-secret-4712",
            "--bearer-env",
            "WEB_TOKEN",
        ])
        .ok();
    no_secret(&out);
    let file = sb.config_json();
    let servers = file["mcp_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{file}");
    assert_eq!(servers[0]["command"], "/bin/true");
    assert_eq!(servers[0]["args"], serde_json::json!(["--flag"]));
    assert_eq!(servers[0]["env"]["API_TOKEN"], "env-secret-4711");
    assert_eq!(servers[0]["allow"], serde_json::json!(["echo"]));
    assert_eq!(servers[0]["timeout_secs"], 5);
    assert_eq!(servers[1]["headers"]["X-Key"], "header-secret-4712");
    assert_eq!(
        servers[1]["bearer_token"], "${WEB_TOKEN}",
        "the variable is named, its value read at use"
    );

    // Disable, enable, remove; each says so and the file follows.
    sb.run(&["mcp", "disable", "web"]).ok().says("disabled");
    assert_eq!(sb.config_json()["mcp_servers"][1]["enabled"], false);
    sb.run(&["mcp", "enable", "web"]).ok().says("enabled");
    assert_ne!(sb.config_json()["mcp_servers"][1]["enabled"], false);

    // The listing shows keys, never values, in both forms.
    for args in [&["mcp", "list"][..], &["mcp", "list", "--json"]] {
        let out = sb.run_with(&[("WEB_TOKEN", "bearer-secret-4713")], args);
        no_secret(&out);
    }
    let listed = sb.run(&["mcp", "list"]).ok();
    assert!(listed.stdout.contains("API_TOKEN=•••"), "{}", listed.stdout);
    assert!(listed.stdout.contains("X-Key=•••"), "{}", listed.stdout);

    // Mistakes: a taken name, an unknown one, no command, both kinds.
    sb.check_errors(
        2,
        &[
            (
                &["mcp", "add", "web", "--", "/bin/true"],
                "already configured",
            ),
            (&["mcp", "remove", "nope"], "configured: tools, web"),
            (&["mcp", "enable", "nope"], "configured: tools, web"),
            (&["mcp", "add", "x"], "give its command after --"),
            (&["mcp", "add", "bad name", "--", "/bin/true"], "bad name"),
        ],
    );
    let bad = sb.run(&[
        "mcp",
        "add",
        "x",
        "--env",
        "=header-secret-4712",
        "--",
        "/bin/true",
    ]);
    assert_eq!(bad.code, 2);
    no_secret(&bad);

    sb.run(&["mcp", "remove", "web"]).ok().says("removed");
    sb.run(&["mcp", "remove", "tools"]).ok();
    assert!(sb.config_json().get("mcp_servers").is_none());
    sb.run(&["mcp", "list"]).ok().says("no MCP servers");
}

fn list_connects_and_says_ready_with_tools_or_why_it_failed() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo,lines", &[]);
    sb.run(&["mcp", "add", "down", "--url", &closed_port_url()])
        .ok();
    sb.run(&["mcp", "add", "off", "--", "/bin/true"]).ok();
    sb.run(&["mcp", "disable", "off"]).ok();
    let table = sb.run(&["mcp", "list"]).ok();
    let row = |name: &str| {
        table
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row {name}:\n{}", table.stdout))
            .to_owned()
    };
    assert!(row("fx").contains("ready") && row("fx").contains("echo, lines"));
    assert!(row("down").contains("failed"), "{}", table.stdout);
    assert!(row("off").contains("disabled"), "{}", table.stdout);
    assert!(
        table.stdout.contains("down:\n  failed: "),
        "{}",
        table.stdout
    );

    let json = sb.json(&["mcp", "list", "--json"]);
    let by_name = |n: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap()
            .clone()
    };
    let fx = by_name("fx");
    assert_eq!(fx["status"], "ready");
    assert_eq!(fx["tools"], serde_json::json!(["echo", "lines"]));
    assert_eq!(fx["server_info"]["name"], "yat-test-fixture");
    assert_eq!(fx["transport"], "stdio");
    assert_eq!(
        fx["env"],
        serde_json::json!([SERVE, TOOLS]),
        "keys only: {fx}"
    );
    let down = by_name("down");
    assert_eq!(down["status"], "failed");
    assert!(down["reason"].as_str().unwrap().len() > 3, "{down}");
    assert_eq!(by_name("off")["status"], "disabled");
}

fn mcp_call_prints_the_result_and_fails_on_an_error_result() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo,lines,fail", &[]);
    let out = sb
        .run(&["mcp", "call", "fx", "echo", r#"{"text": "hi there"}"#])
        .ok();
    assert_eq!(out.stdout, "echo: hi there\n");
    let json = sb.json(&["mcp", "call", "fx", "lines", "--json"]);
    assert_eq!(
        json,
        serde_json::json!({"text": "one\ntwo\nthree", "is_error": false})
    );
    let failed = sb.run(&["mcp", "call", "fx", "fail"]);
    let failed = failed.code(1).one_error_line("returned an error result");
    assert_eq!(failed.stdout, "it broke\n");
    sb.check_errors(
        2,
        &[
            (
                &["mcp", "call", "fx", "nope"],
                "its tools: echo, lines, fail",
            ),
            (&["mcp", "call", "nope", "echo"], "configured: fx"),
            (&["mcp", "call", "fx", "echo", "[1, 2]"], "a JSON object"),
            (&["mcp", "call", "fx", "echo", "{not json"], "ARGUMENTS"),
        ],
    );
}

/// The events of a `yat log show --json` conversation: (role, part types).
fn stored(sb: &Sandbox) -> Vec<(String, Vec<String>)> {
    let conv = sb.json(&["log", "show", "--json"]);
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let parts = m["parts"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .map(|p| p["type"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            (m["role"].as_str().unwrap().to_owned(), parts)
        })
        .collect()
}

fn a_one_shot_chat_runs_the_tool_and_the_log_holds_every_step() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let out = sb
        .run(&[
            "chat",
            "--mcp",
            "fx",
            "--yes",
            "-m",
            "mock/mock-tools",
            "say it",
        ])
        .ok();
    assert_eq!(out.stdout, "Tool results: echo returned echo: mock.\n");
    assert!(
        out.stderr
            .contains("⚙ fx.echo {\"text\":\"mock\"}\n✓ echo: mock\n"),
        "{}",
        out.stderr
    );
    let roles =
        |v: &[(String, Vec<String>)]| -> Vec<String> { v.iter().map(|(r, _)| r.clone()).collect() };
    let log = stored(&sb);
    assert_eq!(roles(&log), ["user", "assistant", "tool", "assistant"]);
    assert_eq!(log[1].1, ["tool_call"]);
    assert_eq!(log[2].1, ["tool_result"]);
    let conv = sb.json(&["log", "show", "--json"]);
    assert_eq!(
        conv["messages"][2]["parts"][0]["content"]["text"], "echo: mock",
        "{conv}"
    );
    assert_eq!(conv["messages"][1]["finish_reason"], "tool_calls");

    // -c goes on from the end of the loop, with the tools again.
    let again = sb
        .run(&["chat", "-c", "--mcp", "fx", "--yes", "once more"])
        .ok();
    assert_eq!(again.stdout, "Tool results: echo returned echo: mock.\n");
    let log = stored(&sb);
    assert_eq!(
        roles(&log),
        [
            "user",
            "assistant",
            "tool",
            "assistant",
            "user",
            "assistant",
            "tool",
            "assistant"
        ]
    );
    // And without the tools, the model answers the conversation as it is.
    sb.run(&["chat", "-c", "-m", "mock/mock-echo", "thanks"])
        .ok();
    assert_eq!(stored(&sb).len(), 10);
}

fn json_reports_each_call_and_result_between_the_replies() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "lines", &[]);
    let out = sb
        .run(&[
            "chat",
            "--json",
            "--mcp",
            "fx",
            "--yes",
            "-m",
            "mock/mock-tools",
            "go",
        ])
        .ok();
    let ev = out.events();
    let types: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types.iter().filter(|t| **t == "start").count(),
        1,
        "{types:?}"
    );
    let first_finish = types.iter().position(|t| *t == "finish").unwrap();
    assert_eq!(ev[first_finish]["reason"], "tool_calls");
    assert_eq!(types[first_finish + 1], "tool_call");
    assert_eq!(types[first_finish + 2], "tool_result");
    let call = &ev[first_finish + 1];
    let result = &ev[first_finish + 2];
    let keys = |e: &serde_json::Value| -> BTreeSet<String> {
        e.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(
        keys(call),
        ["arguments", "id", "server", "step", "tool", "type"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        keys(result),
        [
            "duration_ms",
            "id",
            "is_error",
            "server",
            "step",
            "text",
            "tool",
            "type"
        ]
        .map(String::from)
        .into()
    );
    // The README's examples of these events have the same fields.
    let readme = include_str!("../../../README.md");
    for (event, printed) in [("tool_call", call), ("tool_result", result)] {
        let line = readme
            .lines()
            .find(|l| l.starts_with(&format!("{{\"type\":\"{event}\"")))
            .unwrap_or_else(|| panic!("no {event} example in the README"));
        let example: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(keys(&example), keys(printed), "{event}");
    }
    let end = ev.iter().find(|e| e["type"] == "tool_call_end").unwrap();
    assert_eq!(call["id"], end["call"]["id"]);
    assert_eq!(result["id"], call["id"]);
    assert_eq!(
        (call["server"].as_str(), call["tool"].as_str()),
        (Some("fx"), Some("lines"))
    );
    assert_eq!(call["step"], 0);
    assert_eq!(result["text"], "one\ntwo\nthree");
    assert_eq!(result["is_error"], false);
    assert!(result["duration_ms"].is_u64());
    assert_eq!(ev.last().unwrap()["type"], "finish");
    assert_eq!(ev.last().unwrap()["reason"], "stop");
    assert!(out.delta_text().contains("lines returned one\ntwo\nthree"));
}

fn without_a_terminal_a_call_is_refused_and_stderr_says_how_to_allow_it() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let out = sb
        .run(&[
            "chat",
            "--mcp",
            "fx",
            "-m",
            "mock/mock-parallel-tools",
            "go",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        "Tool results: echo failed: refused: not approved; no one was asked; \
         echo failed: refused: not approved; no one was asked.\n"
    );
    let warnings = out.stderr_lines("warning: refused");
    assert_eq!(warnings.len(), 1, "said once:\n{}", out.stderr);
    assert!(warnings[0].contains("--yes") && warnings[0].contains("\"allow\""));

    // --json is for programs: refused too, even with a terminal around.
    let json = sb
        .run(&[
            "chat",
            "--json",
            "--mcp",
            "fx",
            "-m",
            "mock/mock-tools",
            "go",
        ])
        .ok();
    let result = json
        .events()
        .into_iter()
        .find(|e| e["type"] == "tool_result")
        .unwrap();
    assert_eq!(result["is_error"], true);

    // An allow-listed tool runs without asking anyone.
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &["--allow", "echo"]);
    let out = sb
        .run(&["chat", "--mcp", "fx", "-m", "mock/mock-tools", "go"])
        .ok();
    assert_eq!(out.stdout, "Tool results: echo returned echo: mock.\n");
    assert!(out.stderr_lines("warning:").is_empty(), "{}", out.stderr);
}

fn an_unknown_server_is_a_usage_error_listing_the_configured_ones() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    sb.check_errors(
        2,
        &[
            (
                &["chat", "--mcp", "nope", "hi"],
                "unknown MCP server \"nope\"; configured: fx",
            ),
            (
                &["chat", "--mcp", "fx", "--tool", r#"{"name": "t"}"#, "hi"],
                "cannot be used with",
            ),
            (
                &["chat", "--mcp", "fx", "--max-steps", "0", "hi"],
                "--max-steps",
            ),
        ],
    );
    let json = sb.run(&["chat", "--json", "--mcp", "nope", "hi"]).code(2);
    assert!(json.stdout.is_empty() || json.error_event()["kind"].is_string());
    let none = Sandbox::new();
    none.run(&["chat", "--mcp-all", "hi"])
        .code(2)
        .one_error_line("no MCP server is configured");
}

fn the_step_limit_ends_the_turn_keeps_what_was_done_and_c_continues() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let out = sb.run(&[
        "chat",
        "--mcp",
        "fx",
        "--yes",
        "--max-steps",
        "1",
        "-m",
        "mock/mock-tools",
        "go",
    ]);
    out.code(1).one_error_line("step");
    let log = stored(&sb);
    assert_eq!(
        log.len(),
        2,
        "the prompt and the reply with its call: {log:?}"
    );
    assert_eq!(log[1].1, ["tool_call"]);
    // Continued, the call left unanswered is answered "not run" first.
    sb.run(&["chat", "-c", "-m", "mock/mock-echo", "and?"]).ok();
    let log = stored(&sb);
    assert_eq!(log[2].0, "tool");
    assert_eq!(log[3].0, "user");
}

/// The pid the fixture server wrote, once it has.
pub fn server_pid(pidfile: &std::path::Path) -> u32 {
    std::fs::read_to_string(pidfile)
        .unwrap_or_else(|e| panic!("{}: {e}", pidfile.display()))
        .trim()
        .parse()
        .unwrap()
}

/// Whether process `pid` still exists after a few seconds' grace (a
/// zombie counts: it was not reaped).
pub fn alive(pid: u32) -> bool {
    let proc = format!("/proc/{pid}");
    for _ in 0..50 {
        if !std::path::Path::new(&proc).exists() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    true
}

fn no_server_process_outlives_yat() {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let sb = Sandbox::new();
    let pidfile = sb.root().join("server.pid");
    let pid_env = format!("{PIDFILE}={}", pidfile.display());
    add_fixture(&sb, "fx", "echo", &["--env", &pid_env]);
    for args in [
        &[
            "chat",
            "--mcp",
            "fx",
            "--yes",
            "-m",
            "mock/mock-tools",
            "go",
        ][..],
        &["mcp", "list"],
        &["mcp", "call", "fx", "echo"],
    ] {
        let _ = std::fs::remove_file(&pidfile);
        sb.run(args).ok();
        let pid = server_pid(&pidfile);
        assert!(!alive(pid), "{args:?} left server {pid} behind");
    }
}

fn an_http_server_gets_the_bearer_token_from_the_named_variable() {
    let url = crate::server::serve_http("echo", "bearer-secret-4713");
    let sb = Sandbox::new();
    sb.run(&[
        "mcp",
        "add",
        "web",
        "--url",
        &url,
        "--bearer-env",
        "WEB_TOKEN",
        "--header",
        "X-Trace=header-secret-4712",
    ])
    .ok();
    let token = [("WEB_TOKEN", "bearer-secret-4713")];
    let out = sb.run_with(
        &token,
        &[
            "chat",
            "--mcp",
            "web",
            "--yes",
            "-m",
            "mock/mock-tools",
            "go",
        ],
    );
    let out = out.ok();
    assert_eq!(out.stdout, "Tool results: echo returned echo: mock.\n");
    no_secret(&out);
    let listed = sb.run_with(&token, &["mcp", "list", "--json"]).ok();
    no_secret(&listed);
    let web = &listed.json()[0];
    assert_eq!(web["status"], "ready", "{web}");
    assert_eq!(web["headers"], serde_json::json!(["X-Trace"]));
    assert_eq!(web["bearer_token"], true);

    // The variable unset: the server cannot be used, and says why.
    let unset = sb.run(&["mcp", "list", "--json"]).ok();
    let web = &unset.json()[0];
    assert_eq!(web["status"], "failed", "{web}");
    assert!(
        web["reason"].as_str().unwrap().contains("WEB_TOKEN"),
        "{web}"
    );
    // A wrong token: refused by the server, and no token in the output.
    let wrong = sb
        .run_with(
            &[("WEB_TOKEN", "bearer-secret-4714")],
            &["mcp", "list", "--json"],
        )
        .ok();
    assert_eq!(wrong.json()[0]["status"], "failed");
    assert!(
        !wrong.stdout.contains("bearer-secret-4714"),
        "{}",
        wrong.stdout
    );
    let chat = sb.run(&[
        "chat",
        "--mcp",
        "web",
        "--yes",
        "-m",
        "mock/mock-tools",
        "go",
    ]);
    let chat = chat.ok().says("MCP server web did not start");
    no_secret(&chat);
}

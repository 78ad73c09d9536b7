//! `yat mcp` without a terminal or Python: the config commands, `list`,
//! `call`, an HTTP server behind a bearer token, and no server process
//! left behind; plus what the other cases share (the fixture, secrets).

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
    let chat = chat
        .ok()
        .says("MCP server \"web\": bearer_token references the environment variable WEB_TOKEN, which is not set; its tools are not offered");
    no_secret(&chat);
}

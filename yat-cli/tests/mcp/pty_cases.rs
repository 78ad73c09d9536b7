//! The cases on a pseudo-terminal (rexpect): the confirmation question,
//! the session's `/tools` and `/mcp`, and Ctrl-C during a call.

use crate::cases::{add_fixture, alive, server_pid};
use crate::common::pty::{exit_code, spawn};
use crate::common::Sandbox;
use crate::server::PIDFILE;
use crate::Case;

pub const CASES: &[Case] = &[
    (
        "on_a_terminal_the_call_is_asked_about_and_y_runs_it",
        on_a_terminal_the_call_is_asked_about_and_y_runs_it,
        None,
    ),
    (
        "n_sends_the_model_a_refusal_and_a_remembers_the_tool",
        n_sends_the_model_a_refusal_and_a_remembers_the_tool,
        None,
    ),
    (
        "a_session_without_mcp_starts_a_server_with_mcp_name_on",
        a_session_without_mcp_starts_a_server_with_mcp_name_on,
        None,
    ),
    (
        "ctrl_c_stops_a_one_shot_call_exits_130_and_leaves_no_server",
        ctrl_c_stops_a_one_shot_call_exits_130_and_leaves_no_server,
        None,
    ),
    (
        "a_session_lists_and_toggles_tools_and_ctrl_c_stops_a_call",
        a_session_lists_and_toggles_tools_and_ctrl_c_stops_a_call,
        None,
    ),
];

fn on_a_terminal_the_call_is_asked_about_and_y_runs_it() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let mut p = spawn(
        &sb,
        &["chat", "--mcp", "fx", "-m", "mock/mock-tools", "say it"],
        &[],
    );
    p.exp_string("fx.echo {\"text\":\"mock\"}").unwrap();
    p.exp_string("Run it? [y/N/a(lways this tool this session)] (fx.echo)")
        .unwrap();
    p.send_line("y").unwrap();
    p.exp_string(" echo: mock\r\n").unwrap();
    p.exp_string("Tool results: echo returned echo: mock.")
        .unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

fn n_sends_the_model_a_refusal_and_a_remembers_the_tool() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let mut p = spawn(
        &sb,
        &["chat", "--mcp", "fx", "-m", "mock/mock-tools", "say it"],
        &[],
    );
    p.exp_string("Run it?").unwrap();
    // Not an answer: asked again.
    p.send_line("maybe").unwrap();
    p.exp_string("answer y (yes), n (no) or a (always this tool)")
        .unwrap();
    p.send_line("n").unwrap();
    p.exp_string(" fx.echo: refused: the user refused this call")
        .unwrap();
    p.exp_string("Tool results: echo failed: refused: the user refused this call.")
        .unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);

    // Two calls of one tool: "a" answers the second too.
    let mut p = spawn(
        &sb,
        &[
            "chat",
            "--mcp",
            "fx",
            "-m",
            "mock/mock-parallel-tools",
            "twice",
        ],
        &[],
    );
    p.exp_string("Run it?").unwrap();
    p.send_line("a").unwrap();
    p.exp_string("Tool results: echo returned echo: mock; echo returned echo: mock.")
        .unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

fn a_session_without_mcp_starts_a_server_with_mcp_name_on() {
    let sb = Sandbox::new();
    add_fixture(&sb, "fx", "echo", &[]);
    let mut p = spawn(&sb, &["chat", "-m", "mock/mock-tools"], &[]);
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/tools").unwrap();
    p.exp_string("/mcp NAME on starts").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/mcp fx on").unwrap();
    p.exp_string("fx on").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("say it").unwrap();
    p.exp_string("Run it?").unwrap();
    p.send_line("a").unwrap();
    p.exp_string("Tool results: echo returned echo: mock.")
        .unwrap();
    p.exp_string("mock-tools> ").unwrap();
    // "a" holds for the rest of the session: no question this time.
    p.send_line("again").unwrap();
    p.exp_string("Tool results: echo returned echo: mock.")
        .unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/exit").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
    // Both turns, every step, are in the log.
    let conv = sb.json(&["log", "show", "--json"]);
    assert_eq!(conv["messages"].as_array().unwrap().len(), 8, "{conv}");
}

fn ctrl_c_stops_a_one_shot_call_exits_130_and_leaves_no_server() {
    let sb = Sandbox::new();
    let pidfile = sb.root().join("server.pid");
    let pid_env = format!("{PIDFILE}={}", pidfile.display());
    add_fixture(&sb, "fx", "slow", &["--env", &pid_env]);

    // During the call.
    let mut p = spawn(
        &sb,
        &[
            "chat",
            "--mcp",
            "fx",
            "--yes",
            "-m",
            "mock/mock-tools",
            "wait",
        ],
        &[],
    );
    p.exp_string("fx.slow {}").unwrap();
    let pid = server_pid(&pidfile);
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert!(!alive(pid), "the server {pid} outlived yat");
    // Nothing of the stopped turn is stored.
    assert_eq!(sb.json(&["log", "--json"]), serde_json::json!([]));

    // At the question: Ctrl-C there stops the turn too.
    let mut p = spawn(
        &sb,
        &["chat", "--mcp", "fx", "-m", "mock/mock-tools", "wait"],
        &[],
    );
    p.exp_string("Run it?").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 130);
}

fn a_session_lists_and_toggles_tools_and_ctrl_c_stops_a_call() {
    let sb = Sandbox::new();
    let pidfile = sb.root().join("server.pid");
    let pid_env = format!("{PIDFILE}={}", pidfile.display());
    add_fixture(
        &sb,
        "fx",
        "slow,echo",
        &["--allow", "slow", "--env", &pid_env],
    );
    let mut p = spawn(&sb, &["chat", "--mcp", "fx", "-m", "mock/mock-tools"], &[]);
    p.exp_string("Ctrl-D leaves").unwrap();
    p.exp_string("mock-tools> ").unwrap();

    p.send_line("/help").unwrap();
    p.exp_string("/tools").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/tools").unwrap();
    p.exp_string("fx.slow  allowed").unwrap();
    p.exp_string("fx.echo  asks first").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/mcp").unwrap();
    p.exp_string("on   fx  ready: 2 tools").unwrap();
    p.exp_string("mock-tools> ").unwrap();

    // The first tool is the slow one: Ctrl-C stops it and the turn.
    p.send_line("wait for it").unwrap();
    p.exp_string("fx.slow {}").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    p.exp_string("mock-tools> ").unwrap();

    // Off: no tools, so the mock echoes; on again: the tools are back.
    p.send_line("/mcp fx off").unwrap();
    p.exp_string("fx off").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/tools").unwrap();
    p.exp_string("no tools in play").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("plain words").unwrap();
    p.exp_string("plain words").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/mcp fx on").unwrap();
    p.exp_string("fx on").unwrap();
    p.exp_string("mock-tools> ").unwrap();
    p.send_line("/mcp nope on").unwrap();
    p.exp_string("configured: fx").unwrap();
    p.exp_string("mock-tools> ").unwrap();

    let pid = server_pid(&pidfile);
    p.send_line("/exit").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
    assert!(!alive(pid), "the server {pid} outlived the session");
}

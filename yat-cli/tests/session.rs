//! The interactive session, driven through a pseudo-terminal as a person
//! would: two turns, `/model`, Ctrl-C during a slow reply, `/exit`.
#![cfg(unix)]

mod common;

use common::Sandbox;
use rexpect::session::{spawn_with_options, Options, PtySession};

fn start(sb: &Sandbox, args: &[&str]) -> PtySession {
    let mut cmd = std::process::Command::new(common::yat_bin());
    cmd.arg("chat")
        .args(args)
        .env_clear()
        .envs(sb.env())
        .env("TERM", "xterm")
        // No spinner or colours: the test reads plain text.
        .env("NO_COLOR", "1")
        .current_dir(sb.work_dir());
    let options = Options::new()
        .timeout_ms(Some(20_000))
        .strip_ansi_escape_codes(true);
    let mut p = spawn_with_options(cmd, options).unwrap();
    p.exp_string("Ctrl-D leaves").unwrap();
    p
}

fn exit_code(p: &mut PtySession) -> i32 {
    match p.process.wait().unwrap() {
        rexpect::process::wait::WaitStatus::Exited(_, code) => code,
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_turns_model_switch_interrupt_and_exit() {
    let sb = Sandbox::new();
    let mut p = start(&sb, &["-u"]);
    p.exp_string("mock-echo> ").unwrap();

    // Turn one.
    p.send_line("alpha beta").unwrap();
    p.exp_string("mock/mock-echo: 2 input tokens").unwrap();
    p.exp_string("mock-echo> ").unwrap();

    // Turn two sends the whole conversation: 2 + 2 + 1 words.
    p.send_line("gamma").unwrap();
    p.exp_string("mock/mock-echo: 5 input tokens").unwrap();
    p.exp_string("mock-echo> ").unwrap();

    // Switch to the slow model and stop its reply with Ctrl-C.
    p.send_line("/model mock/mock-slow").unwrap();
    p.exp_string("model: mock/mock-slow").unwrap();
    p.exp_string("mock-slow> ").unwrap();
    p.send_line("tell me everything").unwrap();
    p.exp_string("yat is a command").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("reply interrupted").unwrap();
    p.exp_string("mock-slow> ").unwrap();

    // The session goes on, without the interrupted turn in its history:
    // 2 + 2 + 1 + 1 + 1 words.
    p.send_line("/model mock/mock-echo").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p.send_line("after").unwrap();
    p.exp_string("mock/mock-echo: 7 input tokens").unwrap();
    p.exp_string("mock-echo> ").unwrap();

    p.send_line("/exit").unwrap();
    #[cfg(feature = "history")]
    p.exp_string("stored as conversation 1").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);

    // The three completed exchanges were stored, the interrupted one was not.
    #[cfg(feature = "history")]
    {
        let out = sb.run(&["log", "show", "1", "--json"]).ok();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["messages"].as_array().unwrap().len(), 6);
    }
}

#[test]
fn slash_commands_and_ctrl_d() {
    let sb = Sandbox::new();
    let mut p = start(&sb, &[]);
    p.exp_string("mock-echo> ").unwrap();
    for (line, answer) in [
        ("/help", "/system [TEXT]"),
        ("/system be terse", "system prompt set"),
        ("/system", "be terse"),
        ("/nope", "unknown command /nope"),
    ] {
        p.send_line(line).unwrap();
        p.exp_string(answer).unwrap();
        p.exp_string("mock-echo> ").unwrap();
    }
    p.send_line("/model nope/x").unwrap();
    p.exp_string("unknown provider").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p.send_line("hello").unwrap();
    // The echo of the typed line, then the reply, then the next prompt.
    p.exp_string("hello\r\nhello\r\n").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    // Relative to the working directory.
    p.send_line("/save t.md").unwrap();
    p.exp_string("saved to").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p.send_line("/clear").unwrap();
    p.exp_string("new conversation").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    // Ctrl-C at the prompt only clears the line.
    p.send("half a line").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let text = std::fs::read_to_string(sb.work_dir().join("t.md")).unwrap();
    assert!(text.contains("## system\n\nbe terse"), "{text}");
    assert!(
        text.contains("## user\n\nhello\n\n## assistant\n\nhello"),
        "{text}"
    );
}

#[test]
fn edits_to_the_configuration_are_picked_up_between_turns() {
    let sb = Sandbox::new();
    let mut p = start(&sb, &[]);
    p.exp_string("mock-echo> ").unwrap();
    // Another terminal stores a setting in the config dir's .env.
    std::fs::create_dir_all(sb.keys_file().parent().unwrap()).unwrap();
    std::fs::write(sb.keys_file(), "MOCK_CHUNK_SIZE=2\n").unwrap();
    // And an alias in provider_config.json.
    sb.run(&["alias", "set", "long", "mock/mock-long"]).ok();
    p.send_line("").unwrap();
    p.exp_string("reloaded mock").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p.send_line("/model long").unwrap();
    p.exp_string("model: mock/mock-long").unwrap();
    p.send_line("/exit").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn a_session_keeps_reasoning_signed_and_attachments_go_with_the_first_prompt() {
    let sb = Sandbox::new();
    std::fs::write(
        sb.work_dir().join("cat.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .unwrap();
    let mut p = start(&sb, &["-m", "mock/mock-vision", "-a", "cat.png"]);
    p.exp_string("1 attachment(s) go with your first prompt")
        .unwrap();
    p.exp_string("mock-vision> ").unwrap();
    p.send_line("What is it?").unwrap();
    p.exp_string("Image 1: image/png, 16 bytes.").unwrap();
    p.exp_string("mock-vision> ").unwrap();
    p.send_line("And now?").unwrap();
    p.exp_string("I see no image and no document.").unwrap();
    p.exp_string("mock-vision> ").unwrap();

    // mock-reasoning refuses a turn whose earlier reasoning comes back
    // unsigned: the session keeps every part of each reply.
    p.send_line("/model mock/mock-reasoning").unwrap();
    p.exp_string("mock-reasoning> ").unwrap();
    p.send_line("first thought").unwrap();
    p.exp_string("The question has 2 words.").unwrap();
    p.exp_string("mock-reasoning> ").unwrap();
    p.send_line("second thought").unwrap();
    let turn = p.exp_string("mock-reasoning> ").unwrap();
    assert!(
        turn.contains("It begins with \"second thought\".") && !turn.contains("error"),
        "{turn:?}"
    );
    p.send_line("/exit").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

/// What `yat chat -c` sends to a fake OpenAI server as the conversation
/// so far (the model of the continued conversation is overridden).
#[cfg(feature = "history")]
fn messages_sent_when_continued(sb: &Sandbox) -> Vec<serde_json::Value> {
    use common::{serve, Api, Run};
    let api = Api::OpenAi;
    let server = serve(api, vec![api.stream(&["ok"])]);
    sb.at(api, &server.url())
        .args(["chat", "-c", "-m", api.model(), "next"])
        .run()
        .ok();
    server.requests()[0].json()["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// The `## ` headings of `yat log show`: who wrote each message.
#[cfg(feature = "history")]
fn headings(shown: &str) -> Vec<&str> {
    shown
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .collect()
}

#[cfg(feature = "history")]
#[test]
fn a_system_prompt_set_or_removed_in_a_session_is_stored_and_continued() {
    let sb = Sandbox::new();
    let mut p = start(&sb, &[]);
    p.exp_string("mock-echo> ").unwrap();
    for (line, answer) in [
        ("hello", "hello\r\n"),
        ("/system be terse", "system prompt set"),
        ("again", "again\r\n"),
    ] {
        p.send_line(line).unwrap();
        p.exp_string(answer).unwrap();
        p.exp_string("mock-echo> ").unwrap();
    }
    p.send_line("/exit").unwrap();
    p.exp_string("stored as conversation 1").unwrap();
    p.exp_eof().unwrap();

    let shown = sb.run(&["log", "show", "1"]).ok().stdout;
    assert_eq!(
        headings(&shown),
        [
            "user",
            "assistant (mock/mock-echo)",
            "system",
            "user",
            "assistant (mock/mock-echo)"
        ],
        "stored where it was set: {shown}"
    );
    assert!(
        shown.contains("## system\n\nbe terse\n\n## user\n\nagain\n"),
        "{shown}"
    );
    let sent = messages_sent_when_continued(&sb);
    assert_eq!(
        sent[0],
        serde_json::json!({"role": "system", "content": "be terse"})
    );
    let roles: Vec<&str> = sent.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "user", "assistant", "user"]
    );

    // Removed in a continued session: stored as removed, no longer sent.
    let mut p = start(&sb, &["-c", "-m", "mock/mock-echo"]);
    p.exp_string("mock-echo> ").unwrap();
    p.send_line("/system -").unwrap();
    p.exp_string("system prompt removed").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p.send_line("more").unwrap();
    p.exp_string("more\r\n").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p.send_line("/exit").unwrap();
    p.exp_eof().unwrap();
    let shown = sb.run(&["log", "show", "1"]).ok().stdout;
    assert_eq!(
        headings(&shown)[7..],
        ["system (removed)", "user", "assistant (mock/mock-echo)"],
        "{shown}"
    );
    let sent = messages_sent_when_continued(&sb);
    assert!(sent.iter().all(|m| m["role"] != "system"), "{sent:?}");
    assert_eq!(sent.len(), 9);
}

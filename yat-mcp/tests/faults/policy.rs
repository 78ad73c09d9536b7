//! Approval, naming, typed errors, secrets.

use super::*;

/// Records every question and answers with a refusal from the user.
#[derive(Default)]
struct Recording(Mutex<Vec<ApprovalRequest>>);

impl Approver for Recording {
    fn approve<'a>(&'a self, req: &'a ApprovalRequest) -> BoxFuture<'a, Approval> {
        self.0.lock().unwrap().push(req.clone());
        Box::pin(async { Approval::denied_by_user() })
    }
}

pub(crate) async fn approval_policy_asks_only_for_unlisted_tools() {
    let hub = hub_of(vec![stdio("f").allow(["echo"])]).await;
    let toolbox = hub.toolbox(Arc::new(DenyUnlisted));
    let r = toolbox.call(&call("echo", json!({"text": "listed"}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("listed", false)
    );
    let r = toolbox.call(&call("noop", json!({}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("refused: not approved; no one was asked", true)
    );

    let recording = Arc::new(Recording::default());
    let toolbox = hub.toolbox(recording.clone());
    let r = toolbox.call(&call("huge", json!({"chars": 3}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("refused: the user refused this call", true)
    );
    let r = toolbox
        .call(&call("echo", json!({"text": "no question"})))
        .await;
    assert!(!r.is_error);
    let asked = recording.0.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "only the unlisted tool is asked about");
    assert_eq!(
        (asked[0].server.as_str(), asked[0].tool.as_str()),
        ("f", "huge")
    );
    assert_eq!(asked[0].arguments, json!({"chars": 3}));
    assert_eq!(asked[0].description, "Returns `chars` characters");

    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("huge", json!({"chars": 3}))).await;
    assert_eq!((r.content.to_text().as_str(), r.is_error), ("xxx", false));

    let star = hub_of(vec![stdio("g").allow(["*"])]).await;
    let r = star
        .toolbox(Arc::new(DenyUnlisted))
        .call(&call("noop", json!({})))
        .await;
    assert!(!r.is_error, "{r:?}");
    hub.shutdown().await;
    star.shutdown().await;
}

pub(crate) async fn colliding_tool_names_route_to_their_server() {
    let a = McpServerConfig::stdio("a", stdio_server().env(FAULT_TOKEN_ENV, "for-a"));
    let b = McpServerConfig::stdio("b", stdio_server().env(FAULT_TOKEN_ENV, "for-b"));
    let hub = hub_of(vec![a, b]).await;
    let names: Vec<String> = hub.tools().into_iter().map(|t| t.exposed_name).collect();
    assert!(
        names.contains(&"a__echo".to_owned()) && names.contains(&"b__echo".to_owned()),
        "{names:?}"
    );
    assert!(!names.contains(&"echo".to_owned()));
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    // Crash b through its prefixed name: only b goes down.
    let r = toolbox.call(&call("b__crash", json!({}))).await;
    assert!(r.is_error);
    assert!(r.content.to_text().contains("\"b\""), "{r:?}");
    ready(&hub, "a");
    assert!(matches!(
        hub.status("b").unwrap().state,
        ServerState::Failed { .. }
    ));
    let r = toolbox
        .call(&call("a__echo", json!({"text": "from a"})))
        .await;
    assert_eq!(r.content.to_text(), "from a");
    hub.shutdown().await;
}

pub(crate) async fn bad_arguments_unknown_tools_and_servers_are_typed_errors() {
    let hub = hub_of(vec![stdio("f")]).await;
    let e = hub
        .call("f", "echo", json!("just a string"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, McpError::InvalidArguments { message, .. } if message.contains("not a string")),
        "{e:?}"
    );
    // The server refuses the arguments (-32602).
    let e = hub.call("f", "echo", json!({"text": 5})).await.unwrap_err();
    assert!(
        matches!(&e, McpError::InvalidArguments { message, .. } if message == "text must be a string"),
        "{e:?}"
    );
    let e = hub.call("f", "nope", json!({})).await.unwrap_err();
    let McpError::UnknownTool { available, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(available.contains(&"echo".to_owned()));
    let e = hub.call("nope", "echo", json!({})).await.unwrap_err();
    assert_eq!(e.to_string(), "unknown MCP server \"nope\"; configured: f");
    let e = McpHub::connect_only(&McpConfig::new(vec![stdio("f")]), &["g"], options())
        .await
        .unwrap_err();
    assert!(
        matches!(e, McpError::UnknownServer { ref name, .. } if name == "g"),
        "{e:?}"
    );
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("echo", json!({"text": 5}))).await;
    assert!(r.is_error);
    assert_eq!(
        r.content.to_text(),
        "invalid arguments for tool \"echo\" of MCP server \"f\": text must be a string"
    );
    ready(&hub, "f");
    hub.shutdown().await;
}

pub(crate) async fn secrets_never_reach_stderr_tails_or_errors() {
    // The server prints its token to stderr at start.
    std::env::set_var("YAT_MCP_TEST_PLANTED", "sk-planted-0123456789");
    let server = McpServerConfig::stdio(
        "leaky",
        stdio_server().env(FAULT_TOKEN_ENV, "${YAT_MCP_TEST_PLANTED}"),
    );
    let config = McpConfig::new(vec![server]);
    let hub = McpHub::connect(&config, options()).await;
    ready(&hub, "leaky");
    eventually("the token line is read", || {
        hub.status("leaky")
            .unwrap()
            .stderr_tail
            .iter()
            .any(|l| l.starts_with("starting with token"))
    })
    .await;
    let status = hub.status("leaky").unwrap();
    assert!(
        status
            .stderr_tail
            .contains(&"starting with token [redacted]".to_owned()),
        "{status:?}"
    );
    let everything = format!("{status:?} {config:?} {hub:?}");
    assert!(!everything.contains("planted"), "{everything}");
    let e = hub.call("leaky", "crash", json!({})).await.unwrap_err();
    assert!(!format!("{e} {e:?}").contains("planted"));
    hub.shutdown().await;
}

use super::*;
use serde_json::json;

const FILE: &str = r#"{
  "providers": [{"id": "openai", "enabled": false}],
  "version": 2,
  "mcp_servers": [
    {"name": "time", "command": "uvx", "args": ["mcp-server-time"], "env": {"GITHUB_TOKEN": "${YAT_MCP_TEST_TOKEN}"},
     "cwd": "/tmp", "allow": ["get_current_time"], "timeout_secs": 5, "icon": "clock"},
    {"name": "docs", "url": "https://mcp.example.com/mcp", "headers": {"X-Api-Key": "sk-planted-header"},
     "bearer_token": "sk-planted-bearer", "enabled": false, "allow": ["*"]}
  ]
}"#;

fn parse(text: &str) -> Result<McpConfig, McpError> {
    let file = ProviderConfig::parse(text, "c.json".as_ref()).unwrap();
    McpConfig::from_provider_config(&file)
}

#[test]
fn parses_both_transports_with_defaults() {
    let config = parse(FILE).unwrap();
    assert_eq!(config.names(), vec!["time", "docs"]);
    let time = config.server("time").unwrap();
    let McpTransport::Stdio(s) = &time.transport else {
        panic!("{time:?}")
    };
    assert_eq!(
        (s.command.as_str(), s.args.as_slice()),
        ("uvx", &["mcp-server-time".to_owned()][..])
    );
    assert_eq!(s.cwd.as_deref(), Some(Path::new("/tmp")));
    assert_eq!(s.env["GITHUB_TOKEN"].as_written(), "${YAT_MCP_TEST_TOKEN}");
    assert!(time.enabled);
    assert_eq!(time.timeout(), Duration::from_secs(5));
    assert_eq!(time.extra["icon"], "clock");
    assert!(time.is_allowed("get_current_time") && !time.is_allowed("convert_time"));

    let docs = config.server("docs").unwrap();
    let McpTransport::Http(h) = &docs.transport else {
        panic!("{docs:?}")
    };
    assert_eq!(h.url, "https://mcp.example.com/mcp");
    assert!(!docs.enabled);
    assert!(docs.is_allowed("anything"));
    assert_eq!(docs.timeout_secs, DEFAULT_TIMEOUT_SECS);
}

#[test]
fn secrets_never_in_debug() {
    let config = parse(FILE).unwrap();
    let debug = format!("{config:?} {config:#?}");
    assert!(!debug.contains("planted"), "{debug}");
    assert!(!debug.contains("YAT_MCP_TEST_TOKEN"), "{debug}");
    assert!(debug.contains("[redacted]"));
}

#[test]
fn round_trip_keeps_the_rest_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider_config.json");
    std::fs::write(&path, FILE).unwrap();
    let mut config = McpConfig::load(&path).unwrap();
    config.save(&path).unwrap();
    let before: Value = serde_json::from_str(FILE).unwrap();
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // Defaults are written out (enabled, timeout_secs); nothing else moves.
    let mut expected = before.clone();
    expected["mcp_servers"][0]["enabled"] = json!(true);
    expected["mcp_servers"][1]["timeout_secs"] = json!(DEFAULT_TIMEOUT_SECS);
    assert_eq!(after, expected);
    // Secrets are written as written: references unexpanded, values kept.
    assert_eq!(
        after["mcp_servers"][0]["env"]["GITHUB_TOKEN"],
        "${YAT_MCP_TEST_TOKEN}"
    );
    assert_eq!(after["mcp_servers"][1]["bearer_token"], "sk-planted-bearer");

    config.set_enabled("docs", true).unwrap();
    config.remove("time").unwrap();
    config
        .add(McpServerConfig::http(
            "local",
            HttpServer::new("http://127.0.0.1:9/mcp"),
        ))
        .unwrap();
    config.save(&path).unwrap();
    let again = McpConfig::load(&path).unwrap();
    assert_eq!(again, config);
    assert_eq!(again.names(), vec!["docs", "local"]);
    let file = ProviderConfig::load(&path).unwrap();
    assert!(!file.is_enabled("openai"), "providers untouched");
    assert_eq!(file.extra["version"], 2);

    McpConfig::default().save(&path).unwrap();
    let file = ProviderConfig::load(&path).unwrap();
    assert!(!file.extra.contains_key(MCP_SERVERS_KEY));
}

#[test]
fn helpers_refuse_what_would_not_load() {
    let mut config = McpConfig::default();
    config
        .add(McpServerConfig::stdio("a", StdioServer::new("x")))
        .unwrap();
    assert!(matches!(
        config.add(McpServerConfig::stdio("a", StdioServer::new("y"))),
        Err(McpError::DuplicateServer { name }) if name == "a"
    ));
    let bad = config.add(McpServerConfig::stdio("has space", StdioServer::new("x")));
    assert!(bad.unwrap_err().to_string().contains("A-Z a-z 0-9 _ -"));
    let bad = config.add(McpServerConfig::http("h", HttpServer::new("ftp://x")));
    assert!(bad.unwrap_err().to_string().contains("http://"));
    let e = config.remove("nope").unwrap_err();
    assert_eq!(e.to_string(), "unknown MCP server \"nope\"; configured: a");
    assert!(config.set_enabled("nope", false).is_err());
}

#[test]
fn invalid_entries_say_which_and_why() {
    let cases = [
        (
            json!({"mcp_servers": {"a": 1}}),
            "must be a list of servers",
        ),
        (
            json!({"mcp_servers": [{"name": "a"}]}),
            "[0]: server \"a\" needs a command (stdio) or a url (HTTP)",
        ),
        (
            json!({"mcp_servers": [{"name": "a", "command": "x", "url": "http://h"}]}),
            "has both a command and a url",
        ),
        (
            json!({"mcp_servers": [{"name": "a", "command": "x", "headers": {"k": "v"}}]}),
            "headers and bearer_token are for servers with a url",
        ),
        (
            json!({"mcp_servers": [{"name": "a", "url": "http://h", "env": {"k": "v"}}]}),
            "args, env and cwd are for servers with a command",
        ),
        (
            json!({"mcp_servers": [{"name": "a", "command": "x"}, {"name": "a", "command": "y"}]}),
            "[1]: a server named \"a\" is already listed",
        ),
        (
            json!({"mcp_servers": [{"command": "x"}]}),
            "[0]: missing field `name`",
        ),
        (
            json!({"mcp_servers": [{"name": "a", "command": "x", "timeout_secs": 0}]}),
            "timeout_secs must be at least 1",
        ),
        (
            json!({"mcp_servers": [{"name": "a", "command": "x", "timeout_secs": "soon"}]}),
            "[0]: invalid type",
        ),
        (
            json!({"mcp_servers": [{"name": "", "command": "x"}]}),
            "must be 1 to 64 characters",
        ),
        (
            json!({"mcp_servers": [{"name": "a", "command": "  "}]}),
            "command is empty",
        ),
    ];
    for (file, expected) in cases {
        let e = parse(&file.to_string()).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, McpError::Config { .. }), "{text}");
        assert!(
            text.contains(expected),
            "{text:?} should contain {expected:?}"
        );
    }
}

#[test]
fn no_key_means_no_servers() {
    assert!(parse(r#"{"providers": []}"#).unwrap().servers.is_empty());
    assert!(parse("").unwrap().servers.is_empty());
}

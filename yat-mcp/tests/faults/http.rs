//! The streamable-HTTP transport against the server on 127.0.0.1.

use super::*;

pub(crate) async fn http_transport_checks_the_bearer_token() {
    let url = fault_server::serve_http("tok-planted-4242").await;
    let good = McpServerConfig::http(
        "web",
        HttpServer::new(&url)
            .bearer_token("tok-planted-4242")
            .header("X-Team", "${YAT_MCP_TEST_TEAM}"),
    );
    std::env::set_var("YAT_MCP_TEST_TEAM", "core-team");
    let bad = McpServerConfig::http(
        "wrong",
        HttpServer::new(&url).bearer_token("tok-planted-wrong"),
    );
    let hub = hub_of(vec![good, bad]).await;
    ready(&hub, "web");
    let reason = failed_reason(&hub, "wrong");
    assert!(!reason.contains("planted"), "{reason}");
    assert!(
        reason.contains("401") || reason.to_lowercase().contains("auth"),
        "{reason}"
    );
    assert_eq!(
        text_of(&hub, "web", "echo", json!({"text": "over http"})).await,
        "over http"
    );
    // Headers are sent, `${VAR}` expanded.
    assert_eq!(text_of(&hub, "web", "x_team", json!({})).await, "core-team");
    let r = hub.call("web", "image", json!({})).await.unwrap();
    assert_eq!(r.images().count(), 1);
    let toolbox = hub.toolbox(Arc::new(AllowAll));
    let r = toolbox.call(&call("fail", json!({}))).await;
    assert_eq!(
        (r.content.to_text().as_str(), r.is_error),
        ("the tool failed on purpose", true)
    );
    assert!(!format!("{:?}", hub.statuses()).contains("planted"));
    hub.shutdown().await;
}

pub(crate) async fn http_transport_times_out_and_survives() {
    let url = fault_server::serve_http("t0ken").await;
    let hub = hub_of(vec![McpServerConfig::http(
        "web",
        HttpServer::new(&url).bearer_token("t0ken"),
    )
    .timeout_secs(1)])
    .await;
    let e = hub.call("web", "hang", json!({})).await.unwrap_err();
    assert!(matches!(e, McpError::Timeout { secs: 1, .. }), "{e:?}");
    ready(&hub, "web");
    assert_eq!(
        text_of(&hub, "web", "echo", json!({"text": "after"})).await,
        "after"
    );
    hub.shutdown().await;
}

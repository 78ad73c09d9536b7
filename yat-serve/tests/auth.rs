//! Who may call the gateway: gateway keys in either header, each format's
//! 401, keys revoked and created while it runs, open access on loopback
//! only, and which routes need a key.

mod support;

use support::{bounded, eventually, status_and_json, Format, Setup};

/// Every way to present (or not) a key, on both chat routes: the wrong
/// ones are the format's 401 and never echo what was sent; the right key
/// works in either header.
#[tokio::test]
async fn a_key_is_needed_in_either_header_and_a_wrong_one_is_each_format_s_401() {
    let gw = Setup::default().start().await;
    let wrong = "yat-not-the-key-0123456789";
    let key = gw.key.clone();
    // (what is sent, header name and value, expected status)
    let cases = [
        ("no key", None, 401),
        (
            "wrong bearer",
            Some(("authorization", format!("Bearer {wrong}"))),
            401,
        ),
        (
            "wrong x-api-key",
            Some(("x-api-key", wrong.to_owned())),
            401,
        ),
        (
            "basic scheme",
            Some(("authorization", format!("Basic {key}"))),
            401,
        ),
        (
            "bearer",
            Some(("authorization", format!("Bearer {key}"))),
            200,
        ),
        (
            "lower-case bearer",
            Some(("authorization", format!("bearer {key}"))),
            200,
        ),
        ("x-api-key", Some(("x-api-key", key.clone())), 200),
    ];
    for format in Format::BOTH {
        for (what, header, want) in &cases {
            let mut r = gw
                .http
                .post(format!("{}{}", gw.url, format.path()))
                .json(&format.body("mock/mock-echo", "hi", false));
            r = format.headers(r);
            if let Some((name, value)) = header {
                r = r.header(*name, value);
            }
            let (status, body) = status_and_json(r.send().await.unwrap()).await;
            assert_eq!(status, *want, "{format:?} {what}: {body}");
            if status == 200 {
                assert_eq!(format.reply_text(&body), "hi");
                continue;
            }
            let expected_type = match format {
                Format::OpenAi => "invalid_request_error",
                Format::Anthropic => "authentication_error",
            };
            assert_eq!(format.error_type(&body), expected_type, "{format:?} {what}");
            if format == Format::OpenAi {
                assert_eq!(body["error"]["code"], "invalid_api_key");
            }
            let text = body.to_string();
            assert!(
                !text.contains(wrong) && !text.contains(&key),
                "{what}: {text}"
            );
        }
    }
}

/// The keys file is read again when it changes: a revoked key is refused
/// from the next request, and a key created while the gateway runs works
/// at once, with no restart.
#[tokio::test]
async fn keys_created_and_revoked_apply_without_a_restart() {
    let gw = Setup::default().start().await;
    let (_, fresh) = gw.keys().create("laptop", None).unwrap();
    let ask = |key: String| {
        let gw = &gw;
        async move {
            gw.http
                .post(format!("{}/v1/chat/completions", gw.url))
                .bearer_auth(key)
                .json(&Format::OpenAi.body("mock/mock-echo", "hi", false))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(ask(fresh.clone()).await, 200, "a new key works at once");
    assert!(gw.keys().revoke("laptop").unwrap());
    eventually("the revoked key refused", || async {
        (ask(fresh.clone()).await == 401).then_some(())
    })
    .await;
    assert_eq!(ask(gw.key.clone()).await, 200, "the other key still works");
    assert_eq!(gw.gateway.key_count(), 1);
}

/// Without keys the gateway serves anyone who can reach it, so `serve`
/// refuses any address but loopback — and on loopback it needs no key.
#[tokio::test]
async fn open_access_is_refused_beyond_loopback_and_needs_no_key_on_it() {
    let open = Setup::default().open_access().build().await;
    let everywhere = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let refused = bounded(
        "serve refusing",
        yat_serve::serve(everywhere, open.gateway.clone(), std::future::pending()),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("loopback"), "{refused}");

    let gw = Setup::default().open_access().start().await;
    for format in Format::BOTH {
        let r = format
            .headers(gw.http.post(format!("{}{}", gw.url, format.path())))
            .json(&format.body("mock/mock-echo", "open", false))
            .send()
            .await
            .unwrap();
        let (status, body) = status_and_json(r).await;
        assert_eq!(
            (status, format.reply_text(&body)),
            (200, "open".into()),
            "{format:?}"
        );
    }
}

/// With keys, any address may be served.
#[tokio::test]
async fn with_keys_a_non_loopback_address_is_served() {
    let built = Setup::default().build().await;
    let everywhere = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = everywhere.local_addr().unwrap().port();
    let gw = built.serve_on(everywhere);
    let r = gw
        .http
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// `/health` is for load balancers (no key); `/metrics` and `/v1/models`
/// say what the gateway serves (a key); an unknown route is a 404.
#[tokio::test]
async fn which_routes_need_a_key() {
    let gw = Setup::default().start().await;
    let get = |path: &str, keyed: bool, format: Format| {
        let url = format!("{}{path}", gw.url);
        let r = format.headers(gw.http.get(url));
        let r = if keyed { r.bearer_auth(&gw.key) } else { r };
        async move { r.send().await.unwrap() }
    };
    // (path, status without a key, status with it)
    let cases = [
        ("/health", 200, 200),
        ("/metrics", 401, 200),
        ("/v1/models", 401, 200),
        ("/v1/nothing", 404, 404),
    ];
    for (path, without, with) in cases {
        let anonymous = get(path, false, Format::OpenAi).await;
        assert_eq!(anonymous.status(), without, "{path} without a key");
        let keyed = get(path, true, Format::OpenAi).await;
        assert_eq!(keyed.status(), with, "{path} with the key");
    }
    let (_, health) = status_and_json(get("/health", false, Format::OpenAi).await).await;
    assert_eq!(health["status"], "ok");

    // The model list in each format (Anthropic's when the client sends
    // `anthropic-version`), the mock's models in it; and each one's 401.
    for (format, object_field, refusal) in [
        (Format::OpenAi, "object", "invalid_request_error"),
        (Format::Anthropic, "type", "authentication_error"),
    ] {
        let (status, list) = status_and_json(get("/v1/models", true, format).await).await;
        assert_eq!(status, 200, "{format:?}");
        let listed = list["data"].as_array().unwrap();
        assert!(
            listed
                .iter()
                .any(|m| m["id"] == "mock/mock-echo" && m[object_field] == "model"),
            "{format:?}: {list}"
        );
        let (status, refused) = status_and_json(get("/v1/models", false, format).await).await;
        assert_eq!(status, 401);
        assert_eq!(format.error_type(&refused), refusal, "{format:?}");
    }
}

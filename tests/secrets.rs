//! Secrets (hardening issue #6), through the library: a planted key is
//! grepped for in the Debug and Display of every public type that holds it,
//! in the errors of a server that echoes it (401 bodies, 5xx bodies retried
//! by the manager, in-stream error events), in `tracing` output at TRACE level, and
//! in panic messages that format the values a provider holds.
//!
//! The CLI's outputs are grepped in `yat-cli/tests/secrets.rs`.
#![cfg(feature = "openai")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use yat::manager::ManagerBuilder;
use yat::providers::openai::{presets, OpenAiCompatible};
use yat::settings::SettingsSources;
use yat::{
    ChatRequest, ChatStreamExt, LlmProvider, Message, ProviderConfig, ProviderManager,
    ResolvedSettings, Secret, YatError,
};
use yat_fakeserver::{FakeServer, Response, Route};

/// The planted key. Every check looks for its distinctive middle, which
/// also catches the key inside longer strings and in quoted forms.
const KEY: &str = "sk-proj-PLANTEDq7f3a9c2e1bZ";
const NEEDLE: &str = "PLANTEDq7f3a9c2e1b";
/// How OpenAI's 401 shows a key: a prefix, stars, the last characters.
const MASKED: &str = "sk-proj-***e1bZ";

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(NEEDLE), "the key shows in {what}:\n{text}");
    assert!(
        !text.contains(MASKED),
        "the masked key shows in {what}:\n{text}"
    );
}

/// Every printed form of `value`: Display (when given), Debug, pretty Debug.
#[track_caller]
fn assert_debug_clean(what: &str, value: &dyn std::fmt::Debug) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

const LIMIT: Duration = Duration::from_secs(20);

async fn bounded<F: std::future::Future<Output = ()>>(body: F) {
    if tokio::time::timeout(LIMIT, body).await.is_err() {
        panic!("no result within {LIMIT:?}: a hang");
    }
}

/// Everything logged by any test of this binary, at every level.
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .init();
        buf
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged() -> String {
    String::from_utf8_lossy(&log().lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

/// A body that echoes the key whole and masked, as some gateways and
/// OpenAI's 401 do. `code` `invalid_api_key` makes it an authentication
/// failure whatever the status.
fn echoing_error(kind: &str, code: Option<&str>) -> String {
    serde_json::json!({
        "type": "error",
        "error": {
            "message": format!("Incorrect API key provided: {KEY}. Shown as {MASKED}."),
            "type": kind,
            "code": code
        }
    })
    .to_string()
}

fn request(model: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user("hi")])
}

/// Every HTTP provider compiled in: id, an uninitialized instance, a model.
fn http_providers() -> Vec<(&'static str, Box<dyn ProviderUnderTest>, &'static str)> {
    let mut v: Vec<(&'static str, Box<dyn ProviderUnderTest>, &'static str)> = vec![(
        "openai",
        Box::new(OpenAiCompatible::new(presets::openai::PRESET.profile())),
        "gpt-4o-mini",
    )];
    #[cfg(feature = "anthropic")]
    v.push((
        "anthropic",
        Box::new(yat::providers::anthropic::Anthropic::default()),
        "claude-sonnet-4-5",
    ));
    #[cfg(feature = "gemini")]
    v.push((
        "gemini",
        Box::new(yat::providers::gemini::Gemini::new("gemini")),
        "gemini-2.5-flash",
    ));
    #[cfg(feature = "cohere")]
    v.push((
        "cohere",
        Box::new(yat::providers::cohere::Cohere::default()),
        "command-a-03-2025",
    ));
    v
}

/// A provider whose Debug is part of what is checked.
trait ProviderUnderTest: LlmProvider + std::fmt::Debug {}
impl<T: LlmProvider + std::fmt::Debug> ProviderUnderTest for T {}

fn base_url(id: &str, server: &FakeServer) -> String {
    match id {
        "openai" => format!("{}/v1", server.url()),
        "gemini" => format!("{}/v1beta", server.url()),
        _ => server.url(),
    }
}

async fn initialized(
    id: &'static str,
    mut p: Box<dyn ProviderUnderTest>,
    server: &FakeServer,
    extra: &[(&str, &str)],
) -> Box<dyn ProviderUnderTest> {
    let base = base_url(id, server);
    let mut pairs = vec![("api_key", KEY), ("base_url", base.as_str())];
    pairs.extend_from_slice(extra);
    p.initialize(&ResolvedSettings::from_pairs(id, &pairs))
        .await
        .unwrap();
    p
}

/// The bundled OpenAI provider, started against `server`.
async fn openai_on(server: &FakeServer, extra: &[(&str, &str)]) -> Box<dyn ProviderUnderTest> {
    let p = OpenAiCompatible::new(presets::openai::PRESET.profile());
    initialized("openai", Box::new(p), server, extra).await
}

/// Runs a chat to its end; the error, if any.
async fn chat_error(p: &dyn ProviderUnderTest, model: &str) -> Option<YatError> {
    match p.stream_chat(&request(model)).await {
        Err(e) => Some(e),
        Ok(mut s) => {
            while let Some(item) = s.next().await {
                if let Err(e) = item {
                    return Some(e);
                }
            }
            None
        }
    }
}

#[tokio::test]
async fn settings_config_and_sources_never_print_the_key() {
    log();
    let secret = Secret::new(format!("  \"{KEY}\"\n"));
    assert_clean("Secret Display", &secret.to_string());
    assert_debug_clean("Secret", &secret);
    assert_clean("Secret JSON", &serde_json::to_string(&secret).unwrap());

    let settings = ResolvedSettings::from_pairs(
        "openai",
        &[
            ("api_key", KEY),
            ("session_token", KEY),
            ("base_url", "http://h"),
        ],
    );
    assert_debug_clean("ResolvedSettings", &settings);
    assert_clean(
        "ResolvedSettings JSON",
        &serde_json::to_string(&settings).unwrap(),
    );
    let value = settings.resolved("api_key").unwrap();
    assert_debug_clean("ResolvedValue", value);
    assert_clean("SettingValue::display", &value.value.display());
    // A secret that is not a number is reported without its value.
    let e = settings.get_u64("api_key").unwrap_err();
    assert_clean("InvalidSetting", &format!("{e} {e:?}"));

    // Where settings come from: the environment, .env files and the
    // config file (an old setup may hold a key in it as a plain value).
    let config = ProviderConfig::parse(
        &format!(
            r#"{{"providers": [{{"id": "openai", "settings": [
                {{"key": "api_key", "type": "password", "value": "{KEY}"}},
                {{"key": "org_token", "default": "{KEY}"}},
                {{"key": "base_url", "value": "http://h"}}]}}]}}"#
        ),
        "provider_config.json".as_ref(),
    )
    .unwrap();
    assert_debug_clean("ProviderConfig", &config);
    let sources = SettingsSources::new(config)
        .with_env([("OPENAI_API_KEY".to_owned(), KEY.to_owned())])
        .with_dotenv(
            PathBuf::from("/x/.env"),
            BTreeMap::from([("ANTHROPIC_API_KEY".to_owned(), KEY.to_owned())]),
        );
    assert_debug_clean("SettingsSources", &sources);
    let resolved = sources.resolve(
        "openai",
        &[yat::SettingSpec::secret(
            "api_key",
            "API key",
            &["OPENAI_API_KEY"],
        )],
    );
    assert_eq!(resolved.get("api_key"), Some(KEY));
    assert_debug_clean("resolved from sources", &resolved);
}

/// The manager `builder` makes over `env`, reading no file.
async fn build(builder: ManagerBuilder, env: BTreeMap<String, String>) -> ProviderManager {
    builder
        .env(env)
        .config(ProviderConfig::default())
        .build()
        .await
        .unwrap()
}

/// A manager of every bundled provider over `env`, reading no file.
async fn bundled_manager(env: BTreeMap<String, String>) -> ProviderManager {
    build(yat::providers::link(ProviderManager::builder()), env).await
}

#[tokio::test]
async fn the_manager_and_its_reports_never_print_the_key() {
    bounded(async {
        log();
        let mut env = BTreeMap::new();
        for var in [
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "GEMINI_API_KEY",
            "CO_API_KEY",
            "GROQ_API_KEY",
        ] {
            env.insert(var.to_owned(), KEY.to_owned());
        }
        let m = bundled_manager(env).await;
        assert_debug_clean("ProviderManager", &m);
        for id in m.ids() {
            assert_debug_clean("ProviderInfo", &m.info(&id).unwrap());
            let r = m.resolved_settings(&id).unwrap();
            assert_debug_clean("resolved settings", &r);
            assert_clean(
                "resolved settings JSON",
                &serde_json::to_string(&r).unwrap(),
            );
            assert_clean(
                "ProviderInfo JSON",
                &serde_json::to_string(&m.info(&id).unwrap()).unwrap(),
            );
        }
        assert_debug_clean("ProviderConfig of the manager", &m.config());
    })
    .await;
}

#[tokio::test]
async fn providers_and_their_requests_never_print_the_key() {
    bounded(async {
        log();
        let server = FakeServer::start(vec![]).await.unwrap();
        for (id, p, _) in http_providers() {
            let p = initialized(id, p, &server, &[]).await;
            assert_debug_clean(id, &p);
        }
        // The request as built for the wire carries the key in a header:
        // printing it must not show it.
        let mut p = OpenAiCompatible::new(presets::openai::PRESET.profile());
        p.initialize(&ResolvedSettings::from_pairs(
            "openai",
            &[("api_key", KEY), ("base_url", "http://127.0.0.1:9/v1")],
        ))
        .await
        .unwrap();
        let wire = p.chat_request(&request("gpt-4o-mini")).unwrap();
        assert_debug_clean("HttpRequest", &wire);
        #[cfg(feature = "anthropic")]
        {
            let mut p = yat::providers::anthropic::Anthropic::default();
            p.initialize(&ResolvedSettings::from_pairs(
                "anthropic",
                &[("api_key", KEY), ("base_url", "http://127.0.0.1:9")],
            ))
            .await
            .unwrap();
            assert_debug_clean(
                "anthropic HttpRequest",
                &p.chat_request(&request("m")).unwrap(),
            );
        }
    })
    .await;
}

#[tokio::test]
async fn errors_from_a_server_that_echoes_the_key_never_show_it() {
    bounded(async {
        log();
        for (status, kind, code) in [
            (401, "authentication_error", Some("invalid_api_key")),
            (403, "permission_error", None),
            (400, "invalid_request_error", None),
            (429, "rate_limit_error", None),
            (500, "api_error", None),
        ] {
            let body = echoing_error(kind, code);
            // A request id that echoes it too: it becomes part of the error.
            let echoing = || {
                Response::json(status, &body)
                    .header("retry-after", "0")
                    .header("x-request-id", &format!("req-{KEY}"))
            };
            let server = FakeServer::start(vec![
                Route::prefix("POST", "/").respond(echoing()),
                Route::prefix("GET", "/").respond(echoing()),
            ])
            .await
            .unwrap();
            for (id, p, model) in http_providers() {
                let p = initialized(id, p, &server, &[]).await;
                let e = chat_error(&*p, model).await.expect("an error");
                assert_clean(
                    &format!("{id} chat error ({status})"),
                    &format!("{e} {e:?}"),
                );
                let e = p.list_models().await.expect_err("an error");
                assert_clean(
                    &format!("{id} list error ({status})"),
                    &format!("{e} {e:?}"),
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn an_in_stream_error_echoing_the_key_is_scrubbed() {
    bounded(async {
        log();
        let body = format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hel\"}}}}]}}\n\ndata: {}\n\n",
            echoing_error("server_error", None)
        );
        let server = FakeServer::start(vec![
            Route::new("POST", "/v1/chat/completions").respond(Response::sse(&body))
        ])
        .await
        .unwrap();
        let p = openai_on(&server, &[]).await;
        let e = chat_error(&*p, "gpt-4o-mini").await.expect("an error");
        assert_clean("in-stream error", &format!("{e} {e:?}"));
    })
    .await;
}

#[tokio::test]
async fn trace_output_never_shows_the_key() {
    bounded(async {
        log();
        // Retried failures that echo the key (logged at debug before each
        // retry), then a 401 that does; a model list; a provider that fails
        // to start.
        let server = FakeServer::start(vec![
            Route::new("POST", "/v1/chat/completions")
                .respond(
                    Response::json(500, &echoing_error("server_error", None))
                        .header("retry-after-ms", "1"),
                )
                .respond(
                    Response::json(503, &echoing_error("server_error", None))
                        .header("retry-after-ms", "1"),
                )
                .respond(Response::json(
                    401,
                    &echoing_error("invalid_request_error", Some("invalid_api_key")),
                )),
            Route::new("GET", "/v1/models")
                .respond(Response::json(200, r#"{"data":[{"id":"gpt-4o-mini"}]}"#)),
        ])
        .await
        .unwrap();
        // Retries are the manager's: the chat goes the way a program's does.
        let m = ProviderManager::builder()
            .registrations(vec![yat::registry::discover().find("openai").unwrap()])
            .env(BTreeMap::from([
                ("OPENAI_API_KEY".to_owned(), KEY.to_owned()),
                ("OPENAI_BASE_URL".to_owned(), base_url("openai", &server)),
                ("OPENAI_MAX_RETRIES".to_owned(), "3".to_owned()),
            ]))
            .config(ProviderConfig::default())
            .build()
            .await
            .unwrap();
        let e = match m.stream_chat("openai", &request("gpt-4o-mini")).await {
            Err(e) => e,
            Ok(s) => s.collect_response().await.expect_err("an error"),
        };
        assert_eq!(e.kind(), "authentication", "{e}");
        assert_eq!(server.requests().len(), 3, "two retries, then the 401");
        let _ = m.list_models("openai").await;

        // Nothing here leaves 127.0.0.1: every provider the manager builds
        // points at the fake server, or fails to start.
        let mut env = BTreeMap::from([
            ("OPENAI_API_KEY".to_owned(), KEY.to_owned()),
            ("OPENAI_BASE_URL".to_owned(), "not a url".to_owned()),
        ]);
        for id in yat::providers::enabled_providers() {
            let var = yat::settings::implicit_env_var(id, "base_url");
            env.entry(var).or_insert_with(|| server.url());
            env.insert(
                yat::settings::implicit_env_var(id, "api_key"),
                KEY.to_owned(),
            );
        }
        let m = bundled_manager(env).await;
        assert!(!m.info("openai").unwrap().status.is_ready());
        let text = logged();
        if std::env::var_os("YAT_SHOW_LOG").is_some() {
            eprintln!("{text}");
        }
        assert!(text.contains("retrying"), "nothing was logged:\n{text}");
        assert_clean("TRACE output", &text);
    })
    .await;
}

mod panics {
    //! A provider that panics while formatting what it holds.

    use super::*;
    use yat::{async_trait, register_provider, ChatStream, ModelInfo, ProviderStatus};

    #[derive(Debug, Default)]
    struct Leaky {
        key: Option<Secret>,
        settings: Option<ResolvedSettings>,
    }

    #[async_trait]
    impl LlmProvider for Leaky {
        async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
            self.key = settings.secret("api_key");
            self.settings = Some(settings.clone());
            if settings.get("fail") == Some("init") {
                panic!("cannot start with {settings:?}");
            }
            Ok(())
        }
        async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
            panic!("listing failed for {self:?}");
        }
        async fn stream_chat(&self, _req: &ChatRequest) -> Result<ChatStream, YatError> {
            let key = self.key.clone();
            Ok(Box::pin(futures::stream::poll_fn(move |_| {
                panic!("the key {key:?} was refused (also {:#?})", key)
            })))
        }
    }

    const SETTINGS: &[yat::SettingSpec] = &[
        yat::SettingSpec::secret("api_key", "API key", &["LEAKY_API_KEY"]).required(),
        yat::SettingSpec::text("fail", "Fail", &["LEAKY_FAIL"]),
    ];

    register_provider! { id: "leaky", name: "Leaky", constructor: || Ok(Box::new(Leaky::default())), settings: SETTINGS }

    async fn manager(fail: &str) -> ProviderManager {
        let env = BTreeMap::from([
            ("LEAKY_API_KEY".to_owned(), KEY.to_owned()),
            ("LEAKY_FAIL".to_owned(), fail.to_owned()),
        ]);
        build(ProviderManager::builder(), env).await
    }

    #[tokio::test]
    async fn panic_messages_that_format_held_values_do_not_show_the_key() {
        bounded(async {
            log();
            let m = manager("init").await;
            match m.info("leaky").unwrap().status {
                ProviderStatus::Failed { reason } => {
                    assert!(reason.contains("cannot start with"), "{reason}");
                    assert_clean("init panic", &reason);
                }
                other => panic!("{other:?}"),
            }

            let m = manager("no").await;
            let e = m.list_models("leaky").await.unwrap_err();
            assert_clean("list_models panic", &format!("{e} {e:?}"));
            let m = manager("no").await;
            // The stream panics before any output: the manager reads to the
            // first output, so the panic is the chat's error.
            let e = m.stream_chat("leaky", &request("m")).await.err().unwrap();
            assert!(matches!(e, YatError::ProviderPanicked { .. }), "{e:?}");
            assert_clean("mid-stream panic", &format!("{e} {e:?}"));
            assert_debug_clean("failed status", &m.info("leaky").unwrap());
        })
        .await;
    }
}

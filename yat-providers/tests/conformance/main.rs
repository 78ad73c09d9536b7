//! The conformance kit against every provider this build links, driven by
//! the registry: each registration (every OpenAI-compatible preset,
//! Anthropic, Gemini and its `google` alias, Cohere, the mock) and each kind
//! of endpoint a config file can declare is built the way a user builds it
//! (a `ProviderManager` whose environment or config points the base URL at
//! a scripted fake server and holds a dummy key), then run through the whole
//! kit. Each wire format has one script ([`script`]), chosen by the
//! registration ([`wire`]); a registration with none fails the run and says
//! what to add, so a provider added later is checked, never skipped.
//!
//! Run with `--nocapture` to see every provider's report table.

mod anthropic;
mod chat_completions;
mod cohere;
mod gemini;
mod kit_on_mock;
mod script;
mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use yat_core::registry::discover;
use yat_core::settings::implicit_env_var;
use yat_core::testkit::fakeserver::FakeServer;
use yat_core::testkit::{run, CancelProbe, Outcome, Report};
use yat_core::{LlmProvider, ProviderConfig, ProviderManager, ProviderRegistration};

use script::{Script, Upstream};

/// The key every provider is given; the scripts do not check it, the kit's
/// error checks make sure it never shows.
const KEY: &str = "sk-conformance-planted-0123456789";

/// One provider to check: a linked registration or a declared endpoint.
pub(crate) enum Target {
    Registered(&'static ProviderRegistration),
    Declared(&'static wire::Endpoint),
}

impl Target {
    fn id(&self) -> &str {
        match self {
            Target::Registered(r) => r.id(),
            Target::Declared(e) => e.id,
        }
    }

    fn origin(&self) -> String {
        match self {
            Target::Registered(r) => format!("{} {}", r.crate_name(), r.crate_version()),
            Target::Declared(e) => format!("declared in provider_config.json as {:?}", e.kind),
        }
    }

    fn script(&self) -> Result<Script, String> {
        match self {
            Target::Registered(r) => wire::for_id(r.id(), r.crate_name()),
            Target::Declared(e) => Ok(e.script()),
        }
    }

    /// A manager built as a user's program builds it: from this target's
    /// settings in the environment (a registration) or its entry in the
    /// config file (an endpoint), with `yat_providers::link`.
    async fn manager(&self, base_url: Option<&str>) -> Result<ProviderManager, String> {
        let builder = ProviderManager::builder();
        let builder = match self {
            Target::Registered(r) => {
                let mut env = BTreeMap::new();
                env.insert(implicit_env_var(r.id(), "api_key"), KEY.to_owned());
                if let Some(url) = base_url {
                    env.insert(implicit_env_var(r.id(), "base_url"), url.to_owned());
                }
                builder
                    .registrations(vec![r])
                    .env(env)
                    .config(ProviderConfig::default())
            }
            Target::Declared(e) => {
                let url = base_url.ok_or("a declared endpoint needs a server")?;
                let config: ProviderConfig =
                    serde_json::from_value(serde_json::json!({"providers": [e.entry(url)]}))
                        .map_err(|err| format!("the declaration does not parse: {err}"))?;
                let env = BTreeMap::from([(e.key_env.to_owned(), KEY.to_owned())]);
                builder.registrations(Vec::new()).env(env).config(config)
            }
        };
        yat_providers::link(builder)
            .build()
            .await
            .map_err(|e| format!("the manager did not build: {e}"))
    }
}

/// Every target this build has: the registry's registrations, then the
/// endpoint declarations.
fn targets() -> Vec<Target> {
    let found = discover();
    assert!(found.duplicates().is_empty(), "{:?}", found.duplicates());
    let mut all: Vec<Target> = found
        .registrations()
        .iter()
        .map(|r| Target::Registered(r))
        .collect();
    all.extend(wire::endpoints().iter().map(Target::Declared));
    all
}

/// The ready provider of `target`, checked against `script`'s server.
async fn provider(
    target: &Target,
    server: Option<&FakeServer>,
    script: &Script,
) -> Result<Arc<dyn LlmProvider>, String> {
    let base = match (&script.upstream, server) {
        (Upstream::Fake { base_path, .. }, Some(s)) => Some(format!("{}{base_path}", s.url())),
        _ => None,
    };
    let manager = target.manager(base.as_deref()).await?;
    let id = target.id();
    let built = manager.ids();
    if built != [id] {
        return Err(format!(
            "the manager built {built:?} for {id}: a provider the test has no target for"
        ));
    }
    let info = manager.info(id).map_err(|e| e.to_string())?;
    if !info.status.is_ready() {
        return Err(format!("not ready: {:?}", info.status));
    }
    manager.provider(id).map_err(|e| e.to_string())
}

/// The script of `target`, its server started, and the provider built
/// against it.
pub(crate) async fn start(
    target: &Target,
) -> Result<(Script, Option<FakeServer>, Arc<dyn LlmProvider>), String> {
    let mut script = target.script()?;
    let server = match &mut script.upstream {
        Upstream::Fake { routes, .. } => Some(
            FakeServer::start(std::mem::take(routes))
                .await
                .map_err(|e| format!("the fake server did not start: {e}"))?,
        ),
        Upstream::InProcess => None,
    };
    let p = provider(target, server.as_ref(), &script).await?;
    Ok((script, server, p))
}

/// Runs the kit on one target; the report, or why it could not run.
async fn check(target: &Target) -> Result<(Report, Script), String> {
    let (script, server, p) = start(target).await?;
    let mut options = script.options.clone();
    if let Some(s) = &server {
        options = options.cancel_probe(CancelProbe::fake_server(s));
    }
    let report = run(&*p, &options).await;
    if let (Some(after), Some(s)) = (script.after, &server) {
        after(&s.requests()).map_err(|e| format!("after the run: {e}"))?;
    }
    Ok((report, script))
}

/// Why a check was not run, when the reason is not one the provider gave
/// (a capability it does not claim) or the script declared.
fn unexplained(report: &Report, script: &Script) -> Vec<String> {
    report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Skipped(why)
                if !why.ends_with("not claimed")
                    && why != "provider accepts any model id"
                    && !script.not_shown.iter().any(|(name, _)| *name == c.name) =>
            {
                Some(format!(
                    "{} was not run ({why}): give the script what the check needs, or declare in its `not_shown` why it cannot",
                    c.name
                ))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_provider_and_declared_endpoint_passes_the_kit() {
    let targets = targets();
    let mut failures = Vec::new();
    for target in &targets {
        let id = target.id();
        println!("== {id} ({})", target.origin());
        match check(target).await {
            Err(why) => {
                println!("  could not run: {why}");
                failures.push(format!("{id}: {why}"));
            }
            Ok((report, script)) => {
                print!("{report}");
                for (name, why) in &script.not_shown {
                    println!("          ({name}: {why})");
                }
                failures.extend(
                    report
                        .failures()
                        .iter()
                        .map(|c| format!("{id} / {}: {:?}", c.name, c.outcome)),
                );
                failures.extend(
                    unexplained(&report, &script)
                        .into_iter()
                        .map(|why| format!("{id} / {why}")),
                );
            }
        }
    }
    let ids: Vec<&str> = targets.iter().map(Target::id).collect();
    // The build under test has every provider feature: all of them ran.
    for id in yat_providers::enabled_providers() {
        assert!(ids.contains(&id), "{id} is enabled but not registered");
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) across {} providers:\n{}",
        failures.len(),
        ids.len(),
        failures.join("\n")
    );
}

#[test]
fn a_registration_without_a_script_fails_and_says_what_to_add() {
    let why = match wire::for_id("acme-new-wire", "yat-provider-acme") {
        Err(why) => why,
        Ok(_) => panic!("a registration nobody scripted got a script"),
    };
    assert!(why.contains("acme-new-wire"), "{why}");
    assert!(why.contains("tests/conformance/wire.rs"), "{why}");
}

/// The declarations parse as the config file's entries, and are the kind
/// `yat_providers` turns into providers.
#[cfg(feature = "openai-wire")]
#[test]
fn each_declared_endpoint_is_a_user_defined_provider() {
    for e in wire::endpoints() {
        let entry: yat_core::config::ProviderEntry =
            serde_json::from_value(e.entry("http://127.0.0.1:9")).unwrap();
        assert!(yat_providers::openai::custom::is_custom(&entry), "{}", e.id);
        let def = yat_providers::openai::custom::definition(&entry).unwrap();
        assert!(def.user_defined);
        assert_eq!(
            entry.extra.get("type"),
            Some(&serde_json::Value::from(e.kind))
        );
    }
}

//! Discovery: where plugins are found, which one wins an id, the handshake
//! cache, and process plugins in the manager beside linked providers.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use support::*;
use yat_core::{register_provider, ProviderConfig, ProviderManager, ProviderStatus};
use yat_process::discovery::{FoundIn, PluginSource};
use yat_process::host::HostOptions;

// A linked provider, to shadow a plugin of the same id.
struct Linked;
#[yat_core::async_trait]
impl yat_core::LlmProvider for Linked {
    async fn initialize(
        &mut self,
        _: &yat_core::ResolvedSettings,
    ) -> Result<(), yat_core::YatError> {
        Ok(())
    }
    async fn list_models(&self) -> Result<Vec<yat_core::ModelInfo>, yat_core::YatError> {
        Ok(vec![yat_core::ModelInfo::new("linked-x", "l")])
    }
    async fn stream_chat(
        &self,
        _: &yat_core::ChatRequest,
    ) -> Result<yat_core::ChatStream, yat_core::YatError> {
        Ok(yat_core::stream::from_text(
            "linked-x",
            vec!["linked".into()],
        ))
    }
}
register_provider! { id: "linked-x", name: "Linked X", constructor: || Ok(Box::new(Linked)) }

fn path_of(dirs: &[&Path]) -> std::ffi::OsString {
    std::env::join_paths(dirs).unwrap()
}

/// A source searching only `path` (and `config_dir`), caching in `cache`.
fn source(path: std::ffi::OsString, config_dir: Option<&Path>, cache: &Path) -> PluginSource {
    PluginSource::new()
        .path_var(Some(path))
        .config_dir(config_dir.map(Path::to_owned))
        .cache_file(Some(cache.to_owned()))
        .host_options(quick())
        .probe_timeout(Duration::from_secs(10))
}

fn config(json: serde_json::Value) -> ProviderConfig {
    serde_json::from_value(json).unwrap()
}

#[test]
fn path_is_searched_in_order_first_wins_and_only_executable_files_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    install(&a, "one", &[]);
    install(&b, "one", &[]);
    install(&b, "two", &[]);
    // Not plugins: a directory, a file without an execute bit, a bad id.
    std::fs::create_dir(a.join("yat-provider-dir")).unwrap();
    std::fs::write(a.join("yat-provider-plain"), "#!/bin/sh\n").unwrap();
    install(&a, "Bad", &[]);
    let s = source(path_of(&[&a, &b]), None, &tmp.path().join("cache.json"));
    let (found, bad) = s.found(&ProviderConfig::default());
    assert!(bad.is_empty());
    let got: Vec<(&str, &Path)> = found
        .iter()
        .map(|f| (f.id.as_str(), f.program.as_path()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("one", a.join("yat-provider-one").as_path()),
            ("two", b.join("yat-provider-two").as_path())
        ]
    );
    assert!(found.iter().all(|f| f.found_in == FoundIn::Path));
}

#[test]
fn the_current_directory_is_never_searched_even_when_path_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    install(tmp.path(), "here", &[]);
    std::fs::create_dir(tmp.path().join("rel")).unwrap();
    install(&tmp.path().join("rel"), "there", &[]);
    std::env::set_current_dir(tmp.path()).unwrap();
    for path in [".", "", ":", "rel", "./rel", ".:rel:"] {
        let s = source(path.into(), None, &tmp.path().join("cache.json"));
        let (found, _) = s.found(&ProviderConfig::default());
        assert!(found.is_empty(), "PATH={path:?} found {found:?}");
    }
}

#[test]
fn the_plugins_folder_holds_programs_or_folders_of_them_and_config_entries_come_first() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("conf");
    let plugins = conf.join("plugins");
    std::fs::create_dir_all(plugins.join("acme")).unwrap();
    install(&plugins, "flat", &[]);
    install(&plugins.join("acme"), "acme", &[]);
    std::fs::create_dir_all(conf.join("bin")).unwrap();
    install(&conf.join("bin"), "mine", &[]);
    let on_path = tmp.path().join("path");
    std::fs::create_dir_all(&on_path).unwrap();
    install(&on_path, "flat", &[]);
    let cfg = config(serde_json::json!({"providers": [
        {"id": "mine", "type": "process", "command": ["bin/yat-provider-mine", "--flag"]},
        {"id": "viapath", "type": "process", "command": ["yat-provider-flat"]},
        {"id": "nocommand", "type": "process"},
        {"id": "missing", "type": "process", "command": ["/nonexistent/prog"]},
    ]}));
    let s = source(
        path_of(&[&on_path]),
        Some(&conf),
        &tmp.path().join("cache.json"),
    );
    let (found, bad) = s.found(&cfg);
    let got: Vec<(&str, FoundIn)> = found.iter().map(|f| (f.id.as_str(), f.found_in)).collect();
    assert_eq!(
        got,
        vec![
            ("mine", FoundIn::Config),
            ("viapath", FoundIn::Config),
            ("acme", FoundIn::PluginsDir),
            ("flat", FoundIn::PluginsDir),
            ("flat", FoundIn::Path),
        ]
    );
    assert_eq!(found[0].program, conf.join("bin/yat-provider-mine"));
    assert_eq!(found[0].args, vec!["--flag"]);
    assert_eq!(found[1].program, on_path.join("yat-provider-flat"));
    let reasons: BTreeMap<&str, &str> = bad
        .iter()
        .map(|b| (b.id.as_str(), b.reason.as_str()))
        .collect();
    assert!(
        reasons["nocommand"].contains("needs \"command\""),
        "{reasons:?}"
    );
    assert!(
        reasons["missing"].contains("/nonexistent/prog is not an executable file"),
        "{reasons:?}"
    );
}

async fn manager(source: PluginSource, cfg: ProviderConfig) -> ProviderManager {
    ProviderManager::builder()
        .env(BTreeMap::new())
        .config(cfg)
        .dynamic_source(source.into_dynamic())
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn listing_probes_a_new_plugin_once_and_then_runs_nothing_until_it_changes() {
    let rig = Rig::new("ok");
    let cache = rig.dir.path().join("cache.json");
    let path = path_of(&[rig.dir.path()]);
    let m = manager(
        source(path.clone(), None, &cache),
        ProviderConfig::default(),
    )
    .await;
    let info = m.info("fault").unwrap();
    assert_eq!(info.name, "Fault plugin");
    assert_eq!(info.settings[0].key, "api_key");
    assert!(info.status.is_ready());
    let origin = info.kind.process().unwrap();
    assert_eq!(origin.path, rig.program);
    assert_eq!(origin.protocol, Some(1));
    assert_eq!(origin.found_in, "PATH");
    assert_eq!(rig.recorded("starts").len(), 1, "one probe");

    // A second listing (a new manager, as a new `yat` run) reads the cache.
    let m = manager(
        source(path.clone(), None, &cache),
        ProviderConfig::default(),
    )
    .await;
    assert_eq!(m.info("fault").unwrap().name, "Fault plugin");
    assert_eq!(
        rig.recorded("starts").len(),
        1,
        "no spawn for a cached plugin"
    );

    // The first use starts the child that serves.
    assert_eq!(m.list_models("fault").await.unwrap()[0].id, "m1");
    assert_eq!(rig.recorded("starts").len(), 2);

    // A changed program is probed again.
    let mut script = std::fs::read_to_string(&rig.program).unwrap();
    script.push_str("# changed\n");
    std::fs::write(&rig.program, script).unwrap();
    manager(source(path, None, &cache), ProviderConfig::default()).await;
    assert_eq!(rig.recorded("starts").len(), 3);
}

#[tokio::test]
async fn a_probe_failure_lists_the_provider_as_failed_with_the_reason() {
    let rig = Rig::new("die");
    let cache = rig.dir.path().join("cache.json");
    let m = manager(
        source(path_of(&[rig.dir.path()]), None, &cache),
        ProviderConfig::default(),
    )
    .await;
    let info = m.info("fault").unwrap();
    match &info.status {
        ProviderStatus::Failed { reason } => {
            assert!(reason.contains("exited before hello"), "{reason}");
            assert!(reason.contains("exit code 7"), "{reason}");
            assert!(reason.contains("cannot start"), "stderr tail: {reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(info.kind.process().unwrap().path, rig.program);
}

#[tokio::test]
async fn a_disabled_plugin_is_listed_and_not_run() {
    let rig = Rig::new("ok");
    let cfg = config(serde_json::json!({"providers": [{"id": "fault", "enabled": false}]}));
    let m = manager(
        source(
            path_of(&[rig.dir.path()]),
            None,
            &rig.dir.path().join("c.json"),
        ),
        cfg,
    )
    .await;
    assert_eq!(m.info("fault").unwrap().status, ProviderStatus::Disabled);
    assert!(rig.recorded("starts").is_empty());
}

#[tokio::test]
async fn a_linked_provider_shadows_a_plugin_of_its_id_which_is_listed_and_never_run() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("rec");
    std::fs::create_dir(&rec).unwrap();
    install(tmp.path(), "linked-x", &["--record", rec.to_str().unwrap()]);
    let m = manager(
        source(path_of(&[tmp.path()]), None, &tmp.path().join("c.json")),
        ProviderConfig::default(),
    )
    .await;
    let info = m.info("linked-x").unwrap();
    assert_eq!(info.kind, yat_core::ProviderKind::Linked);
    let shadowed = m.shadowed();
    let s = shadowed.iter().find(|s| s.id == "linked-x").unwrap();
    assert_eq!(
        s.kind.process().unwrap().path,
        tmp.path().join("yat-provider-linked-x")
    );
    assert!(
        s.status
            .to_string()
            .starts_with("shadowed by the linked provider"),
        "{}",
        s.status
    );
    assert!(
        !rec.join("starts").exists(),
        "a shadowed plugin is never run"
    );
}

#[tokio::test]
async fn in_the_manager_a_crashed_plugin_shows_failed_then_recovers_on_the_next_use() {
    let rig = Rig::new("ok");
    let options =
        HostOptions::default().restart_backoff(Duration::from_millis(300), Duration::from_secs(1));
    let m = manager(
        source(
            path_of(&[rig.dir.path()]),
            None,
            &rig.dir.path().join("c.json"),
        )
        .host_options(options),
        ProviderConfig::default(),
    )
    .await;
    let target: yat_core::ModelRef = "fault/m1".parse().unwrap();
    let req = ask("crash");
    let s = m.chat(&target, req).await.unwrap();
    let items = drain(s).await;
    assert!(last_error(&items)
        .to_string()
        .contains("killed by signal 9"));
    match m.info("fault").unwrap().status {
        ProviderStatus::Failed { reason } => {
            assert!(reason.contains("killed by signal 9"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // The rest of the program keeps working.
    assert!(m.info("linked-x").unwrap().status.is_ready());

    tokio::time::sleep(Duration::from_millis(400)).await;
    let reply = drain(m.chat(&target, ask("back again")).await.unwrap()).await;
    assert_eq!(text(&reply), "back again");
    assert!(m.info("fault").unwrap().status.is_ready());
    let h = m.info("fault").unwrap().health.unwrap();
    assert!(h
        .last_failure_detail
        .unwrap()
        .contains("crashing on purpose"));
}

#[tokio::test]
async fn disable_enable_and_reload_work_on_a_plugin_as_on_any_provider() {
    let rig = Rig::new("ok");
    let m = manager(
        source(
            path_of(&[rig.dir.path()]),
            None,
            &rig.dir.path().join("c.json"),
        ),
        ProviderConfig::default(),
    )
    .await;
    m.list_models("fault").await.unwrap();
    let pid = m.info("fault").unwrap().health.unwrap().facts["pid"]
        .parse::<u32>()
        .unwrap();
    assert!(process_exists(pid));

    assert_eq!(
        m.set_enabled("fault", false).await.unwrap(),
        ProviderStatus::Disabled
    );
    // The instance it replaced is gone, and its child with it.
    eventually("the disabled plugin's child is reaped", || {
        !process_exists(pid)
    })
    .await;
    // Asked to leave (the probe before it was too), not killed.
    assert!(rig.recorded("shutdowns").contains(&pid.to_string()));

    assert!(m.set_enabled("fault", true).await.unwrap().is_ready());
    assert!(m.reload("fault").await.unwrap().is_ready());
    // Lazy again: the fresh instance starts a child on its first use.
    let starts = rig.recorded("starts").len();
    m.list_models("fault").await.unwrap();
    assert_eq!(rig.recorded("starts").len(), starts + 1);
}

#[tokio::test]
async fn a_probe_that_gets_no_hello_gives_up_kills_and_reaps_the_plugin() {
    let rig = Rig::new("hang");
    let m = manager(
        source(
            path_of(&[rig.dir.path()]),
            None,
            &rig.dir.path().join("c.json"),
        )
        .probe_timeout(Duration::from_millis(500)),
        ProviderConfig::default(),
    )
    .await;
    match m.info("fault").unwrap().status {
        ProviderStatus::Failed { reason } => {
            assert!(reason.contains("sent no hello within 500ms"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let pid: u32 = rig.recorded("starts")[0].parse().unwrap();
    assert!(
        !process_exists(pid),
        "the probe returned with its child still there"
    );
}

//! The conformance kit against a process plugin, exactly as against a
//! linked provider: the reference plugin serving the mock, found through a
//! `provider_config.json` entry, built by the manager, run by the host.

use std::collections::BTreeMap;

use yat_core::testkit::{run, Options, Outcome};
use yat_core::{ProviderConfig, ProviderManager};
use yat_process::discovery::PluginSource;

/// The mock's options in yat-providers' conformance script, unchanged.
fn mock_options() -> Options {
    Options {
        stop_probe: Some(("five".into(), "five".into())),
        ..Options::default()
    }
    .parallel_tool_model("mock-parallel-tools")
    .usage_details_model("mock-reasoning")
}

#[tokio::test]
async fn the_mock_served_out_of_process_passes_the_kit() {
    let dir = tempfile::tempdir().unwrap();
    let program = env!("CARGO_BIN_EXE_yat-provider");
    // Its own id: the linked mock, when this test binary links it, would
    // otherwise shadow the plugin.
    let config: ProviderConfig = serde_json::from_value(serde_json::json!({"providers": [
        {"id": "mock-oop", "type": "process", "command": [program, "--provider", "mock"]}
    ]}))
    .unwrap();
    let source = PluginSource::new()
        .path_var(None)
        .config_dir(Some(dir.path().to_owned()))
        .cache_file(Some(dir.path().join("cache.json")));
    let manager = ProviderManager::builder()
        .registrations(Vec::new())
        .env(BTreeMap::new())
        .config(config)
        .dynamic_source(source.into_dynamic())
        .build()
        .await
        .unwrap();
    let info = manager.info("mock-oop").unwrap();
    assert!(info.status.is_ready(), "{:?}", info.status);
    assert_eq!(info.kind.process().unwrap().protocol, Some(1));
    let provider = manager.provider("mock-oop").unwrap();

    let report = run(&*provider, &mock_options()).await;
    print!("{report}");
    assert!(report.passed(), "{report}");
    // What the linked mock's run leaves out, and nothing else: there is no
    // probe that sees the child's in-process stream go away (the host
    // tests see `cancel` reach a plugin), and what the mock does not claim.
    for c in &report.checks {
        if let Outcome::Skipped(why) = &c.outcome {
            assert!(
                c.name == "cancel_on_drop"
                    || why.ends_with("not claimed")
                    || why == "provider accepts any model id",
                "{} skipped: {why}",
                c.name
            );
        }
    }
}

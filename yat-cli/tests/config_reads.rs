//! Each command reads provider_config.json once: the manager and the
//! preferences come from the same read (with a second read, `yat chat`
//! used to make `Preferences::load` after the manager's, an edit between
//! the two could give a command two different configurations).
#![cfg(target_os = "linux")]

mod common;

use common::{config_reads, Sandbox};

const CONFIG: &str = r#"{"default_model": "mock/mock-echo", "fallbacks": ["mock/mock-long"]}"#;

#[test]
fn every_command_reads_the_configuration_file_once() {
    // Each command shows something only the file says: it was read, and parsed.
    let cases: &[(&[&str], &str)] = &[
        (&["chat", "read once"], "read once\n"),
        (&["models", "--provider", "mock"], "default"),
        (&["models"], "default"),
        (&["config", "show"], "default_model  mock/mock-echo"),
        (&["config", "get", "fallbacks"], "mock/mock-long\n"),
        (&["providers"], "mock "),
    ];
    for (args, shown) in cases {
        let (out, reads) = config_reads(&Sandbox::new(), CONFIG, args);
        let out = out.ok();
        assert!(out.stdout.contains(shown), "{args:?}: {}", out.stdout);
        assert!(
            !out.stderr.contains("using mock/mock-echo"),
            "{args:?}: the default came from the file: {}",
            out.stderr
        );
        assert_eq!(reads, 1, "{args:?}: {}", out.stderr);
    }
}

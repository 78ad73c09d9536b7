//! Finding process plugins and turning them into provider definitions for
//! the manager.
//!
//! Plugins come from three places, each winning an id over the next:
//! 1. entries of `provider_config.json` with `"type": "process"` and a
//!    `"command": [program, args...]` (a relative program is taken from the
//!    config directory; a bare name is looked up on `PATH`);
//! 2. `<config dir>/plugins/`: a program `yat-provider-<id>`, or a folder
//!    holding one;
//! 3. `yat-provider-<id>` programs on `PATH`, first in `PATH` order (never
//!    from a relative `PATH` entry such as `.`: see [`scan`]).
//!
//! A linked provider of the same id wins over all of them; the manager
//! keeps the losers visible as shadowed, and does not build them.
//!
//! Listing providers must not run every plugin: what each one declared in
//! its `hello` (name, settings, capabilities) is cached per program and
//! file stamp (see `cache`). Only a new or changed plugin is probed — run,
//! greeted, shut down — and a probe that fails lists the provider as
//! failed with the reason. A disabled plugin, or one a linked provider
//! shadows, is not probed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use yat_core::manager::{DynamicSource, ManagerBuilder};
use yat_core::{
    Capabilities, ConfigLocation, ProcessOrigin, ProviderConfig, ProviderDef, ProviderKind,
    YatError,
};

mod cache;
pub mod scan;
mod specs;

pub use cache::{default_cache_file, FAILURE_TTL};
pub use scan::{valid_id, Found, FoundIn, PROGRAM_PREFIX};

use crate::host::{probe, HostOptions, PluginCommand, ProcessProvider};
use crate::protocol::{PluginHello, PluginMessage};
use cache::{now_ms, stamps, Cache, Outcome};

/// Where to look for plugins, where to cache their handshakes, and how the
/// providers made of them run.
///
/// ```
/// use yat_core::ProviderConfig;
/// use yat_process::discovery::PluginSource;
/// let dir = tempfile::tempdir().unwrap();
/// let source = PluginSource::new()
///     .path_var(Some(dir.path().as_os_str().to_owned()))
///     .config_dir(None)
///     .cache_file(None);
/// assert!(source.definitions(&ProviderConfig::default()).is_empty());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct PluginSource {
    path_var: Option<OsString>,
    config_dir: Option<PathBuf>,
    cache_file: Option<PathBuf>,
    options: HostOptions,
    probe_timeout: Duration,
}

impl Default for PluginSource {
    fn default() -> Self {
        Self::new()
    }
}

impl PluginSource {
    /// `PATH` from the environment, no config directory, the default cache
    /// file, default host options, a 5 s probe timeout.
    pub fn new() -> Self {
        PluginSource {
            path_var: std::env::var_os("PATH"),
            config_dir: None,
            cache_file: default_cache_file(),
            options: HostOptions::default(),
            probe_timeout: Duration::from_secs(5),
        }
    }
    /// The directories to search, as `PATH` writes them (`None`: none).
    pub fn path_var(mut self, path: Option<OsString>) -> Self {
        self.path_var = path;
        self
    }
    /// The configuration directory: its `plugins/` folder is searched and
    /// relative commands of config entries start there.
    pub fn config_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.config_dir = dir;
        self
    }
    /// Where handshakes are cached (`None`: not cached, every listing
    /// probes).
    pub fn cache_file(mut self, file: Option<PathBuf>) -> Self {
        self.cache_file = file;
        self
    }
    /// How the providers made of the plugins run.
    pub fn host_options(mut self, options: HostOptions) -> Self {
        self.options = options;
        self
    }
    /// How long a probe waits for a plugin's hello.
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// Every plugin found, in precedence order (an id may appear more than
    /// once: the first wins, the others are shadowed), and the config
    /// entries that cannot be run.
    pub fn found(&self, config: &ProviderConfig) -> (Vec<Found>, Vec<scan::BadEntry>) {
        let dir = self
            .config_dir
            .as_deref()
            .unwrap_or(Path::new("/nonexistent"));
        let (mut found, bad) = scan::scan_config(config, dir, self.path_var.as_deref());
        if let Some(dir) = &self.config_dir {
            found.extend(scan::scan_plugins_dir(&dir.join("plugins")));
        }
        if let Some(path) = &self.path_var {
            found.extend(scan::scan_path(path));
        }
        (found, bad)
    }

    /// The provider definitions of every plugin found, probing those not
    /// in the cache (all at once, each within the probe timeout).
    pub fn definitions(&self, config: &ProviderConfig) -> Vec<ProviderDef> {
        let (found, bad) = self.found(config);
        let linked = yat_core::registry::discover();
        let mut cache = Cache::load(self.cache_file.as_deref());
        let mut seen = std::collections::BTreeSet::new();
        // Probe only the first of each id (the others are shadowed), and
        // only when it could be built: enabled, and no linked provider has
        // its id.
        let to_probe: Vec<&Found> = found
            .iter()
            .filter(|f| seen.insert(f.id.clone()))
            .filter(|f| config.is_enabled(&f.id) && !linked.is_linked(&f.id))
            .filter(|f| {
                cache
                    .get(&f.command(), &stamps(&f.program, &f.args))
                    .is_none()
            })
            .collect();
        if !to_probe.is_empty() {
            let outcomes = self.probe_all(&to_probe);
            for (f, outcome) in to_probe.iter().zip(outcomes) {
                cache.put(f.command(), stamps(&f.program, &f.args), outcome);
            }
            cache.save();
        }
        let mut defs: Vec<ProviderDef> = bad
            .into_iter()
            .map(|b| {
                let reason = format!("its entry in provider_config.json: {}", b.reason);
                failed_def(
                    &b.id,
                    None,
                    PathBuf::new(),
                    Vec::new(),
                    FoundIn::Config,
                    reason,
                )
            })
            .collect();
        for f in &found {
            let outcome = cache.get(&f.command(), &stamps(&f.program, &f.args));
            defs.push(self.def_of(f, outcome));
        }
        defs
    }

    /// Runs the probes on a runtime of their own, on a thread of their own:
    /// the manager asks for definitions from synchronous code that may be
    /// running inside another runtime.
    fn probe_all(&self, found: &[&Found]) -> Vec<Outcome> {
        let jobs: Vec<(PathBuf, Vec<String>)> = found
            .iter()
            .map(|f| (f.program.clone(), f.args.clone()))
            .collect();
        let (timeout, grace) = (self.probe_timeout, self.options.shutdown_grace);
        let run = move || -> Vec<Outcome> {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let reason = format!("cannot start the probe runtime: {e}");
                    return jobs
                        .iter()
                        .map(|_| Outcome::Failed {
                            reason: reason.clone(),
                            at_unix_ms: now_ms(),
                        })
                        .collect();
                }
            };
            rt.block_on(futures::future::join_all(jobs.iter().map(
                |(program, args)| async move {
                    tracing::debug!(program = %program.display(), "probing process plugin");
                    match probe(program, args, timeout, grace).await {
                        Ok(p) => Outcome::Hello { line: p.line },
                        Err(reason) => Outcome::Failed {
                            reason,
                            at_unix_ms: now_ms(),
                        },
                    }
                },
            )))
        };
        let n = found.len();
        std::thread::scope(|s| s.spawn(run).join()).unwrap_or_else(|_| {
            (0..n)
                .map(|_| Outcome::Failed {
                    reason: "the probe panicked".into(),
                    at_unix_ms: now_ms(),
                })
                .collect()
        })
    }

    fn def_of(&self, f: &Found, outcome: Option<&Outcome>) -> ProviderDef {
        let hello = match outcome {
            Some(Outcome::Failed { reason, .. }) => {
                return failed_def(
                    &f.id,
                    f.name.clone(),
                    f.program.clone(),
                    f.command(),
                    f.found_in,
                    reason.clone(),
                )
            }
            Some(Outcome::Hello { line }) => match PluginMessage::decode(line.as_bytes()) {
                Ok(PluginMessage::Hello(h)) => Some(h),
                _ => None,
            },
            None => None,
        };
        let mut origin = ProcessOrigin::new(f.program.clone(), f.command(), f.found_in.as_str());
        let (name, description, settings, capabilities, version) = match &hello {
            Some(h) => {
                origin = origin.with_protocol(h.protocol);
                describe(f, h)
            }
            None => (
                f.name.clone().unwrap_or_else(|| f.id.clone()),
                "a process plugin (not run yet)".to_owned(),
                Vec::new(),
                Capabilities::default(),
                String::new(),
            ),
        };
        let command = PluginCommand::new(f.id.clone(), f.program.clone(), f.args.clone())
            .with_settings(settings.clone())
            .with_capabilities(capabilities);
        let options = self.options;
        let program_name = program_name(&f.program);
        ProviderDef::dynamic(
            f.id.clone(),
            name,
            settings,
            (&program_name, &version),
            Arc::new(move || Ok(Box::new(ProcessProvider::new(command.clone(), options)))),
        )
        .with_kind(ProviderKind::Process(origin))
        .with_description(description)
    }

    /// This source as the manager takes it.
    pub fn into_dynamic(self) -> DynamicSource {
        Arc::new(move |config: &ProviderConfig| self.definitions(config))
    }
}

fn program_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Name, description, settings, capabilities and version from a hello.
fn describe(
    f: &Found,
    h: &PluginHello,
) -> (
    String,
    String,
    Vec<yat_core::SettingSpec>,
    Capabilities,
    String,
) {
    let name = f
        .name
        .clone()
        .or_else(|| Some(h.name.clone()).filter(|n| !n.is_empty()))
        .unwrap_or_else(|| f.id.clone());
    let description = if h.description.is_empty() {
        "a process plugin".to_owned()
    } else {
        h.description.clone()
    };
    let settings = h.settings.iter().map(specs::spec_of).collect();
    let capabilities = h.capabilities.map(Capabilities::from).unwrap_or_default();
    (name, description, settings, capabilities, h.version.clone())
}

fn failed_def(
    id: &str,
    name: Option<String>,
    program: PathBuf,
    command: Vec<String>,
    found_in: FoundIn,
    reason: String,
) -> ProviderDef {
    let provider = id.to_owned();
    let program_name = program_name(&program);
    ProviderDef::dynamic(
        id,
        name.unwrap_or_else(|| id.to_owned()),
        Vec::new(),
        (&program_name, ""),
        Arc::new(move || {
            Err(YatError::Unavailable {
                provider: provider.clone(),
                reason: reason.clone(),
            })
        }),
    )
    .with_kind(ProviderKind::Process(ProcessOrigin::new(
        program,
        command,
        found_in.as_str(),
    )))
    .with_description("a process plugin")
}

/// The plugins of a program configured at `location` (its `plugins/`
/// folder and its process entries), and of `PATH`, as a manager source.
pub fn source(location: Option<&ConfigLocation>) -> DynamicSource {
    PluginSource::new()
        .config_dir(location.map(|l| l.config_dir.clone()))
        .into_dynamic()
}

/// Adds the process plugins to a manager builder: one line for a program.
/// (Not run as a doctest: it would search this machine's `PATH` and write
/// its cache.)
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use yat_core::{ConfigLocation, ProviderManager};
/// let location = ConfigLocation::discover(None);
/// let builder = ProviderManager::builder().location(location.clone());
/// let manager = yat_process::discovery::link(builder, Some(&location)).build().await?;
/// for info in manager.statuses() {
///     println!("{} ({})", info.id, info.kind.label());
/// }
/// # Ok(()) }
/// ```
pub fn link(builder: ManagerBuilder, location: Option<&ConfigLocation>) -> ManagerBuilder {
    builder.dynamic_source(source(location))
}

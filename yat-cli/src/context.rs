//! What every command may need, built only when a command asks for it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use yat::preferences::Preferences;
use yat::{ConfigLocation, ProviderManager};

use crate::failure::{CmdResult, Failure};
use crate::term::Term;

/// The global options and the terminal, plus lazy access to the library.
#[derive(Debug)]
pub struct Ctx {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// The terminal.
    pub term: Term,
}

impl Ctx {
    /// Where the configuration is for this run.
    pub fn location(&self) -> ConfigLocation {
        ConfigLocation::discover(self.config.as_deref())
    }

    /// Builds the provider manager: every linked provider, from the
    /// configuration. Cheap (no network: HTTP clients are made on first use),
    /// but only commands that need providers call it.
    pub async fn manager(&self) -> CmdResult<ProviderManager> {
        Ok(yat::manager_with_config(self.config.as_deref()).await?)
    }

    /// The user's preferences from provider_config.json (a read of the
    /// file of its own; [`Ctx::manager_and_preferences`] reads it once for
    /// both).
    pub fn preferences(&self) -> CmdResult<Preferences> {
        Ok(Preferences::load(&self.location().config_file)?)
    }

    /// The manager and the user's preferences from one read of
    /// provider_config.json: the preferences are taken from the
    /// configuration the manager was built from.
    pub async fn manager_and_preferences(&self) -> CmdResult<(ProviderManager, Preferences)> {
        let manager = self.manager().await?;
        let path = match manager.location() {
            Some(l) => l.config_file.clone(),
            None => self.location().config_file,
        };
        let prefs = Preferences::from_config(&manager.config(), &path)?;
        Ok((manager, prefs))
    }

    /// The providers again, with `key` as `provider`'s API key for this
    /// process only: given to every variable that key is read from, which
    /// come before `.env` files and the configuration. Nothing is stored.
    pub async fn manager_with_key(
        &self,
        manager: &ProviderManager,
        provider: &str,
        key: &str,
    ) -> CmdResult<ProviderManager> {
        let info = manager.info(provider)?;
        let spec = crate::commands::keys::key_spec(&info)
            .ok_or_else(|| Failure::Usage(format!("--key: {provider} takes no API key")))?;
        let key = crate::commands::keys::checked_key(key, "--key is empty")?;
        let mut env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let vars = spec.env_vars.iter().map(|v| (*v).to_owned());
        for var in vars.chain([yat::settings::implicit_env_var(&info.id, spec.key)]) {
            env.insert(var, key.to_owned());
        }
        let builder = ProviderManager::builder()
            .location(self.location())
            .env(env);
        Ok(yat::providers::link(builder).build().await?)
    }

    /// Changes the user's preferences in provider_config.json (the rest of
    /// the file is kept as it is) and confirms with `done`.
    pub fn change_preferences(
        &self,
        change: impl FnOnce(&mut Preferences),
        done: &str,
    ) -> CmdResult {
        Preferences::update(&self.location().config_file, |p| {
            change(p);
            Ok(())
        })?;
        self.term.done(done);
        Ok(())
    }

    /// Checks that `id` is a provider this build has, listing them if not.
    pub fn known_provider(&self, manager: &ProviderManager, id: &str) -> CmdResult<()> {
        manager.info(id).map(drop).map_err(Failure::from)
    }
}

/// Writes JSON (pretty for a person, compact for a pipe) and a newline to stdout.
pub fn print_json(term: &Term, value: &impl serde::Serialize) -> CmdResult {
    let mut out = std::io::stdout().lock();
    let written = if term.stdout_tty {
        serde_json::to_writer_pretty(&mut out, value)
    } else {
        serde_json::to_writer(&mut out, value)
    };
    written.map_err(|e| Failure::from(std::io::Error::from(e)))?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

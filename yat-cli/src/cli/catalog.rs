//! The catalog commands' arguments: `yat providers` and `yat models`.

use clap::{Args, Subcommand};

pub(super) const PROVIDERS_EXAMPLES: &str = "\
Examples:
  yat providers
  yat providers --json | jq -r '.[] | select(.status.state==\"ready\") | .id'
  yat providers info openai
  yat providers info acme        # a plugin: the program that runs, its last stderr
  yat providers disable mock";

/// `yat providers` listing options.
#[derive(Debug, Args)]
pub struct ProvidersListArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Also show each provider's crate, its version and the yat-core version it was built against
    #[arg(long)]
    pub verbose: bool,
}

/// `yat providers ...`.
#[derive(Debug, Subcommand)]
pub enum ProvidersAction {
    /// List every provider (linked, configured, process plugins) with its status (the default)
    List(ProvidersListArgs),
    /// Everything about one provider: registration, status, settings
    Info {
        /// Provider id.
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Turn a provider on (saved in provider_config.json)
    Enable {
        /// Provider id.
        id: String,
    },
    /// Turn a provider off (saved in provider_config.json)
    Disable {
        /// Provider id.
        id: String,
    },
}

pub(super) const MODELS_EXAMPLES: &str = "\
Examples:
  yat models
  yat models --provider mock --json
  yat models --options anthropic/claude-sonnet-4-5   # what -o KEY VALUE takes
  yat models default openai/gpt-4o-mini
  yat models default            # show it
  yat models default --unset";

/// `yat models` listing options.
#[derive(Debug, Args)]
pub struct ModelsListArgs {
    /// Only this provider's models
    #[arg(short, long, value_name = "ID", conflicts_with = "options")]
    pub provider: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// The options (-o KEY VALUE) this model's provider declares, instead of the models
    #[arg(long, value_name = "MODEL")]
    pub options: Option<String>,
}

/// `yat models ...`.
#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// List the models of every ready provider (the default)
    List(ModelsListArgs),
    /// Show or set the model used when none is named
    Default {
        /// PROVIDER/MODEL or an alias; without it, print the current default
        #[arg(value_name = "MODEL", conflicts_with = "unset")]
        model: Option<String>,
        /// Remove the default (the offline mock is used again)
        #[arg(long)]
        unset: bool,
    },
}

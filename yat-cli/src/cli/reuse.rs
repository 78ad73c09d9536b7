//! Flags and commands for text and set-ups used again: fragments (`-f`)
//! and templates (`-t`, `--save`, `yat templates`).

use clap::{Args, Subcommand};

/// `yat chat -f`: files whose text goes with the prompt.
#[derive(Debug, Args)]
pub struct FragmentArgs {
    /// Put a file's text in front of the prompt (repeatable; `-` reads stdin); kept
    /// once in the log however many conversations use it
    #[arg(short = 'f', long = "fragment", value_name = "PATH")]
    pub paths: Vec<String>,
}

/// `yat chat -t/-p/--save`: templates (see `yat templates`).
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Use template NAME: its prompt, system prompt, model, options, schema and tools,
    /// where this command gives none (see `yat templates`)
    #[arg(short = 't', long = "template", value_name = "NAME")]
    pub name: Option<String>,
    /// Give a template's $KEY the value VALUE (repeatable)
    #[arg(short = 'p', long = "param", num_args = 2, value_names = ["KEY", "VALUE"], requires = "name")]
    pub params: Vec<String>,
    /// Save this command's prompt, system prompt, model, options, schema and tools as
    /// template NAME, and send nothing
    #[arg(long, value_name = "NAME", conflicts_with = "name")]
    pub save: Option<String>,
}

pub(super) const TEMPLATES_EXAMPLES: &str = "\
Examples:
  yat chat --save summary -s \"Summarise in $lang\" -m openai/gpt-4o-mini --temperature 0.3
  cat notes.txt | yat chat -t summary -p lang French
  yat chat --save review \"Review this diff for bugs: $input\"
  git diff | yat chat -t review
  yat templates list
  yat templates edit summary      # in $VISUAL or $EDITOR

A template is a JSON file in the config dir's templates/: prompt, system, model,
options (temperature, max_tokens, top_p, stop, reasoning_effort), schema, tools,
and defaults for its parameters. $input is the prompt typed or piped; $$ is a $.";

/// `yat templates ...`.
#[derive(Debug, Subcommand)]
pub enum TemplatesAction {
    /// List the templates
    #[command(visible_alias = "ls")]
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print a template's file
    Show {
        /// The template.
        name: String,
    },
    /// Edit a template in $VISUAL or $EDITOR (created when missing)
    Edit {
        /// The template.
        name: String,
    },
    /// Print the directory templates are kept in
    Path,
}

//! Templates: a saved `yat chat` set-up (system prompt, model, options,
//! schema, tools, and a prompt with `$parameters`), one JSON file per
//! template in the config dir's `templates/`. JSON, like
//! provider_config.json: no second format to learn, and no YAML parser in
//! the binary.
//!
//! `yat chat --save NAME` writes one from the command's flags; `-t NAME`
//! fills every flag the command leaves out from it; `-p KEY VALUE` gives
//! `$KEY` its value. `$input` is the prompt typed or piped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cli::ChatArgs;
use crate::context::Ctx;
use crate::failure::{CmdResult, Failure};
use crate::json_arg;

/// The parameter that stands for the prompt typed or piped.
const INPUT: &str = "input";

/// One template, as its file holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The prompt; `$input` is where the typed or piped prompt goes
    /// (after it, on a line of its own, when it has no `$input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// PROVIDER/MODEL or an alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Sampling options.
    #[serde(default, skip_serializing_if = "Options::is_empty")]
    pub options: Options,
    /// A JSON Schema the reply must follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// Tools offered to the model (as `--tool` takes them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
    /// Values of parameters `-p` does not give.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub defaults: BTreeMap<String, String>,
}

/// The sampling options a template sets, as the flags of the same names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// `--temperature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// `--max-tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `--top-p`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// `--stop`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// `--reasoning-effort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
}

impl Options {
    fn is_empty(&self) -> bool {
        *self == Options::default()
    }
}

/// The directory templates live in.
pub fn dir(ctx: &Ctx) -> PathBuf {
    ctx.location().config_dir.join("templates")
}

/// Template names are file names: letters, digits, `-` and `_`.
pub fn check_name(name: &str) -> CmdResult {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "{name:?} is not a template name: use letters, digits, - and _"
        )))
    }
}

/// Where template `name` is kept.
pub fn path(ctx: &Ctx, name: &str) -> CmdResult<PathBuf> {
    check_name(name)?;
    Ok(dir(ctx).join(format!("{name}.json")))
}

/// Reads template `name`.
pub fn load(ctx: &Ctx, name: &str) -> CmdResult<Template> {
    let path = path(ctx, name)?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::Usage(format!(
                "no template {name} (see `yat templates list`)"
            )))
        }
        Err(e) => return Err(Failure::Runtime(format!("{}: {e}", path.display()))),
    };
    parse(&path, &text)
}

/// A template from its file's text; a mistake names the file.
pub fn parse(path: &Path, text: &str) -> CmdResult<Template> {
    serde_json::from_str(text)
        .map_err(|e| Failure::Usage(format!("{}: not a template: {e}", path.display())))
}

/// `yat chat --save NAME`: the command's set-up as template `name`.
pub fn save(ctx: &Ctx, name: &str, args: &ChatArgs) -> CmdResult {
    let path = path(ctx, name)?;
    let mut tools = Vec::new();
    for arg in &args.tools {
        match json_arg::read("--tool", arg)?.value {
            Value::Array(items) => tools.extend(items),
            one => tools.push(one),
        }
    }
    let template = Template {
        prompt: (!args.prompt.is_empty()).then(|| args.prompt.join(" ")),
        system: args.system.clone(),
        model: args.model.clone(),
        options: Options {
            temperature: args.temperature,
            max_tokens: args.max_tokens,
            top_p: args.top_p,
            stop: args.stop.clone(),
            reasoning_effort: args.reasoning_effort.map(|e| e.as_str().to_owned()),
        },
        schema: args
            .schema
            .as_deref()
            .map(|s| json_arg::read("--schema", s).map(|j| j.value))
            .transpose()?,
        tools,
        defaults: BTreeMap::new(),
    };
    if template == Template::default() {
        return Err(Failure::Usage(
            "--save: nothing to save: give a prompt, -s, -m or options to keep".into(),
        ));
    }
    let existed = path.exists();
    write(&path, &template)?;
    ctx.term.done(&format!(
        "{} template {name} ({}); use it with `yat chat -t {name}`",
        if existed { "replaced" } else { "saved" },
        path.display()
    ));
    Ok(())
}

/// Writes `template` to `path`, creating the directory.
pub fn write(path: &Path, template: &Template) -> CmdResult {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Runtime(format!("{}: {e}", dir.display())))?;
    }
    let mut text = serde_json::to_string_pretty(template).map_err(std::io::Error::from)?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| Failure::Runtime(format!("{}: {e}", path.display())))
}

/// `yat chat -t NAME -p KEY VALUE...`: fills what the command leaves out
/// from the template, with its parameters replaced, and returns the prompt
/// to send (`None`: an interactive session).
pub fn apply(
    ctx: &Ctx,
    name: &str,
    params: &[String],
    prompt: Option<String>,
    args: &mut ChatArgs,
) -> CmdResult<Option<String>> {
    let t = load(ctx, name)?;
    let mut values: BTreeMap<String, String> = t.defaults.clone();
    for pair in params.chunks(2) {
        if let [key, value] = pair {
            values.insert(key.clone(), value.clone());
        }
    }
    let texts = [t.prompt.as_deref(), t.system.as_deref()];
    let wanted: BTreeSet<String> = texts
        .iter()
        .flatten()
        .flat_map(|text| parameters(text))
        .filter(|p| p != INPUT)
        .collect();
    for pair in params.chunks(2) {
        if !wanted.contains(&pair[0]) {
            return Err(Failure::Usage(format!(
                "template {name} has no parameter ${} (it takes: {})",
                pair[0],
                listing(&wanted)
            )));
        }
    }
    if let Some(missing) = wanted.iter().find(|p| !values.contains_key(*p)) {
        return Err(Failure::Usage(format!(
            "template {name} needs a value for ${missing}: -p {missing} VALUE"
        )));
    }
    let prompt = match (&t.prompt, prompt) {
        (None, prompt) => prompt,
        (Some(own), input) => {
            // Nothing typed or piped is no input.
            let input = input.filter(|i| !i.trim().is_empty());
            let takes_input = parameters(own).any(|p| p == INPUT);
            let mut values = values.clone();
            match (takes_input, input) {
                (true, Some(input)) => {
                    values.insert(INPUT.into(), input);
                    Some(substitute(own, &values))
                }
                (true, None) => {
                    return Err(Failure::Usage(format!(
                        "template {name} puts your prompt where it says $input: give one"
                    )))
                }
                (false, Some(input)) => Some(format!("{}\n\n{input}", substitute(own, &values))),
                (false, None) => Some(substitute(own, &values)),
            }
        }
    };
    if args.system.is_none() {
        args.system = t.system.as_deref().map(|s| substitute(s, &values));
    }
    if args.model.is_none() {
        args.model = t.model;
    }
    fill_options(name, &t.options, args)?;
    if args.schema.is_none() {
        args.schema = t.schema.map(|s| s.to_string());
    }
    args.tools.extend(t.tools.iter().map(Value::to_string));
    Ok(prompt)
}

/// The template's options where the command gives none, checked as the
/// flags are.
fn fill_options(name: &str, o: &Options, args: &mut ChatArgs) -> CmdResult {
    let bad =
        |what: &str, why: String| Failure::Usage(format!("template {name}: options.{what}: {why}"));
    if args.temperature.is_none() {
        if let Some(t) = o.temperature {
            args.temperature = Some(
                crate::cli::parse_temperature(&t.to_string()).map_err(|e| bad("temperature", e))?,
            );
        }
    }
    if args.top_p.is_none() {
        if let Some(p) = o.top_p {
            args.top_p =
                Some(crate::cli::parse_top_p(&p.to_string()).map_err(|e| bad("top_p", e))?);
        }
    }
    if args.max_tokens.is_none() {
        args.max_tokens = o.max_tokens.filter(|n| *n > 0);
    }
    if args.stop.is_empty() {
        args.stop.clone_from(&o.stop);
    }
    if args.reasoning_effort.is_none() {
        if let Some(e) = &o.reasoning_effort {
            args.reasoning_effort =
                Some(crate::cli::parse_effort(e).map_err(|e| bad("reasoning_effort", e))?);
        }
    }
    Ok(())
}

fn listing(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names
            .iter()
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The name after a `$` at the start of `s`: `name` or `{name}`, with the
/// length it takes. A name starts with a letter or `_`.
fn name_at(s: &str) -> Option<(&str, usize)> {
    let is_name = |n: &str| {
        n.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if let Some(rest) = s.strip_prefix('{') {
        let end = rest.find('}')?;
        let name = &rest[..end];
        return is_name(name).then_some((name, end + 2));
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let name = &s[..end];
    is_name(name).then_some((name, end))
}

/// The parameters `text` uses (`$name`, `${name}`; `$$` is a `$`).
fn parameters(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut names = Vec::new();
    walk(text, |piece| {
        if let Piece::Parameter(n) = piece {
            names.push(n.to_owned());
        }
    });
    names.into_iter()
}

/// `text` with each parameter replaced by its value (all are known).
fn substitute(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    walk(text, |piece| match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Parameter(n) => out.push_str(values.get(n).map_or("", String::as_str)),
    });
    out
}

enum Piece<'a> {
    Text(&'a str),
    Parameter(&'a str),
}

/// Splits `text` into literal text and parameters.
fn walk<'a>(text: &'a str, mut each: impl FnMut(Piece<'a>)) {
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        each(Piece::Text(&rest[..i]));
        let after = &rest[i + 1..];
        if let Some(more) = after.strip_prefix('$') {
            each(Piece::Text("$"));
            rest = more;
        } else if let Some((name, len)) = name_at(after) {
            each(Piece::Parameter(name));
            rest = &after[len..];
        } else {
            each(Piece::Text("$"));
            rest = after;
        }
    }
    each(Piece::Text(rest));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_named_after_a_dollar() {
        let values: BTreeMap<String, String> = [("lang", "French"), ("x_1", "one")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for (text, used, out) in [
            ("In $lang.", &["lang"][..], "In French."),
            ("${lang}ish $x_1", &["lang", "x_1"], "Frenchish one"),
            (
                "costs $5, $$lang, $ alone, ${9}",
                &[],
                "costs $5, $lang, $ alone, ${9}",
            ),
            ("end$", &[], "end$"),
        ] {
            assert_eq!(parameters(text).collect::<Vec<_>>(), used, "{text}");
            assert_eq!(substitute(text, &values), out, "{text}");
        }
    }

    #[test]
    fn names_are_file_names() {
        assert!(check_name("sum-up_2").is_ok());
        for bad in ["", "a/b", "..", "a b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}

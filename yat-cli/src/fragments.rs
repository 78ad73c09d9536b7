//! `-f/--fragment`: files (or stdin) whose text goes with the prompt, in
//! front of it, and is stored once in the log however often it is used.
//!
//! A fragment too large for the model's context is refused before
//! anything is sent, when the provider's model listing says how large
//! that context is.

use std::io::Read;
use std::time::Duration;

use yat::{ModelRef, Part, ProviderManager};

use crate::failure::{CmdResult, Failure};

/// A fragment read for this run.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The path as given (`-` for stdin).
    pub source: String,
    /// Its text.
    pub text: String,
}

/// The argument that names stdin.
pub const STDIN: &str = "-";

/// Reads every `-f` argument, in order: a file's text, or stdin for `-`
/// (once). Text only: images and PDFs go with `-a`.
pub fn load(paths: &[String]) -> CmdResult<Vec<Fragment>> {
    if paths.iter().filter(|p| *p == STDIN).count() > 1 {
        return Err(Failure::Usage(
            "-f - (stdin) can be given once: stdin can be read only once".into(),
        ));
    }
    paths.iter().map(|p| read(p)).collect()
}

fn read(source: &str) -> CmdResult<Fragment> {
    let bytes = if source == STDIN {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Runtime(format!("cannot read the fragment from stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(source)
            .map_err(|e| Failure::Usage(format!("{source}: cannot read the fragment: {e}")))?
    };
    let name = if source == STDIN { "stdin" } else { source };
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::Usage(format!(
            "{name} is not text (UTF-8): a fragment is text; attach images and PDFs with -a"
        ))
    })?;
    if text.trim().is_empty() {
        return Err(Failure::Usage(format!("the fragment {name} is empty")));
    }
    // Several APIs join a message's text parts with nothing between them:
    // what follows a fragment must start on a line of its own.
    let mut text = text;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Fragment {
        source: source.to_owned(),
        text,
    })
}

/// The fragments as the parts that open the prompt, one text part each.
pub fn parts(fragments: &[Fragment]) -> Vec<Part> {
    fragments.iter().map(|f| Part::text(&f.text)).collect()
}

/// A rough token count: 4 bytes a token, about right for English prose
/// and code, so a refusal is for a fragment that is clearly too large.
fn estimated_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// Below this many (estimated) tokens no model's context is in question,
/// and the model listing (a request for most providers) is not asked for.
const CHECK_FROM_TOKENS: u64 = 2_048;

/// How long the model listing may take before the check is skipped.
const LISTING_TIMEOUT: Duration = Duration::from_secs(3);

/// Refuses fragments whose text cannot fit `target`'s context, when the
/// provider says how large it is; says nothing when it does not.
pub async fn check_context(
    manager: &ProviderManager,
    target: &ModelRef,
    fragments: &[Fragment],
) -> CmdResult {
    let total: u64 = fragments.iter().map(|f| estimated_tokens(&f.text)).sum();
    if total < CHECK_FROM_TOKENS {
        return Ok(());
    }
    let listing = tokio::time::timeout(LISTING_TIMEOUT, manager.list_models(&target.provider));
    let context = match listing.await {
        Ok(Ok(models)) => models
            .into_iter()
            .find(|m| m.id == target.model)
            .and_then(|m| m.context_length),
        _ => None,
    };
    let Some(context) = context.map(u64::from) else {
        tracing::debug!("no context length known for {target}: fragments not checked");
        return Ok(());
    };
    if total <= context {
        return Ok(());
    }
    let what = match fragments
        .iter()
        .find(|f| estimated_tokens(&f.text) > context)
    {
        Some(f) => format!(
            "the fragment {} is about {} tokens",
            if f.source == STDIN {
                "from stdin"
            } else {
                &f.source
            },
            estimated_tokens(&f.text)
        ),
        None => format!("the fragments are about {total} tokens together"),
    };
    Err(Failure::Usage(format!(
        "{what} (at 4 bytes a token), more than {target}'s context of {context} tokens: \
         send less, or pick a model with a larger context (`yat models`)"
    )))
}

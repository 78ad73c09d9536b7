//! A bare model name (`gemma-3-270m`: no provider, not an alias), found in
//! the ready providers' model listings.
//!
//! Listing may need the network, so it is the last resort: only a name
//! that neither an alias nor `PROVIDER/MODEL` resolves is looked up.

use crate::manager::ProviderManager;
use crate::preferences::Preferences;
use crate::types::{ModelInfo, ModelRef};
use crate::YatError;

use super::{resolve_model, ModelSource, Route};

/// How many near names an [`YatError::UnlistedModel`] suggests at most.
const MAX_SUGGESTIONS: usize = 3;

/// Resolves `input` as [`resolve_model`] does; a bare model name that is
/// not an alias is then looked for in the listings of `manager`'s ready
/// providers (fetched concurrently; a provider whose listing fails is left
/// out). One provider lists it: that model, [`ModelSource::Listed`].
/// Several do: [`YatError::AmbiguousModel`]. None does:
/// [`YatError::UnlistedModel`] with the closest listed names.
pub async fn resolve_model_listed(
    input: Option<&str>,
    prefs: &Preferences,
    manager: &ProviderManager,
) -> Result<Route, YatError> {
    let error = match resolve_model(input, prefs, &manager.ids()) {
        Err(e @ YatError::InvalidModelRef { .. }) => e,
        resolved => return resolved,
    };
    let name = input.map(str::trim).unwrap_or_default();
    if name.contains('/') {
        return Err(error);
    }
    let listed: Vec<ModelInfo> = manager
        .list_all_models()
        .await
        .into_iter()
        .filter_map(|(_, listing)| listing.ok())
        .flatten()
        .collect();
    find_listed(name, &listed).map(|target| Route {
        target,
        source: ModelSource::Listed(name.to_owned()),
    })
}

/// The model named `name` among `listed` (by its id; letter case aside
/// when no id matches exactly).
pub fn find_listed(name: &str, listed: &[ModelInfo]) -> Result<ModelRef, YatError> {
    let refs = |pred: &dyn Fn(&ModelInfo) -> bool| -> Vec<ModelRef> {
        let mut found: Vec<ModelRef> = listed
            .iter()
            .filter(|m| pred(m))
            .map(|m| ModelRef::new(m.provider.as_str(), m.id.as_str()))
            .collect();
        found.sort_by_key(ToString::to_string);
        found.dedup();
        found
    };
    let mut matches = refs(&|m| m.id == name);
    if matches.is_empty() {
        matches = refs(&|m| m.id.eq_ignore_ascii_case(name));
    }
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(YatError::UnlistedModel {
            name: name.to_owned(),
            suggestions: closest(name, listed),
        }),
        _ => Err(YatError::AmbiguousModel {
            name: name.to_owned(),
            matches,
        }),
    }
}

/// The listed models nearest to `name`: those whose id contains it, then
/// those a few edits away, nearest first.
fn closest(name: &str, listed: &[ModelInfo]) -> Vec<ModelRef> {
    let name = name.to_lowercase();
    let near_enough = (name.chars().count() / 3).max(2);
    let mut ranked: Vec<(usize, String, ModelRef)> = listed
        .iter()
        .filter_map(|m| {
            let id = m.id.to_lowercase();
            let distance = if id.contains(&name) {
                0
            } else {
                edit_distance(&name, &id)
            };
            (distance <= near_enough).then(|| {
                let target = ModelRef::new(m.provider.as_str(), m.id.as_str());
                (distance, target.to_string(), target)
            })
        })
        .collect();
    ranked.sort_by(|a, b| (a.0, a.1.len(), &a.1).cmp(&(b.0, b.1.len(), &b.1)));
    ranked.dedup_by(|a, b| a.1 == b.1);
    ranked
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, target)| target)
        .collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed() -> Vec<ModelInfo> {
        [
            ("llamacpp", "gemma-3-270m"),
            ("ollama", "llama3.2:1b"),
            ("ollama", "qwen3:8b"),
            ("groq", "qwen3:8b"),
            ("openai", "gpt-4o-mini"),
            ("openai", "gpt-4o"),
        ]
        .into_iter()
        .map(|(p, id)| ModelInfo::new(p, id))
        .collect()
    }

    #[test]
    fn a_name_one_provider_lists_is_that_providers_model() {
        for name in ["gemma-3-270m", "Gemma-3-270M"] {
            assert_eq!(
                find_listed(name, &listed()).unwrap(),
                ModelRef::new("llamacpp", "gemma-3-270m"),
                "{name}"
            );
        }
    }

    #[test]
    fn a_name_several_providers_list_names_them_all() {
        match find_listed("qwen3:8b", &listed()) {
            Err(YatError::AmbiguousModel { name, matches }) => {
                assert_eq!(name, "qwen3:8b");
                let matches: Vec<String> = matches.iter().map(ToString::to_string).collect();
                assert_eq!(matches, ["groq/qwen3:8b", "ollama/qwen3:8b"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unlisted_name_suggests_the_closest() {
        let cases: &[(&str, &[&str])] = &[
            ("gemma-3-27m", &["llamacpp/gemma-3-270m"]),
            ("gemma", &["llamacpp/gemma-3-270m"]),
            ("gpt-4o-mimi", &["openai/gpt-4o-mini"]),
            ("gpt", &["openai/gpt-4o", "openai/gpt-4o-mini"]),
            ("llama3.2", &["ollama/llama3.2:1b"]),
            ("claude-sonnet", &[]),
        ];
        for (name, expected) in cases {
            match find_listed(name, &listed()) {
                Err(YatError::UnlistedModel { suggestions, .. }) => {
                    let got: Vec<String> = suggestions.iter().map(ToString::to_string).collect();
                    assert_eq!(got, *expected, "{name}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let e = find_listed("gemma-3-27m", &listed()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no ready provider lists a model named \"gemma-3-27m\"; did you mean \
             llamacpp/gemma-3-270m?"
        );
    }

    #[test]
    fn edit_distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "abc", 0),
            ("abc", "abd", 1),
            ("kitten", "sitting", 3),
            ("", "ab", 2),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
        }
    }
}

//! `--schema`: a reply in JSON following a JSON Schema, and stdout that is
//! that JSON document alone, so it can go straight into `jq` or a file.

use std::path::Path;

use yat::structured::parse_reply;
use yat::{ChatResponse, JsonSchema, ResponseFormat, YatError};

use crate::context::print_json;
use crate::failure::{CmdResult, Failure};
use crate::json_arg;
use crate::term::Term;

/// The schema's name when it has no file name to take one from.
const DEFAULT_NAME: &str = "response";

/// The response format `--schema ARG` asks for: the schema inline, or a
/// file holding it (which names it).
pub fn response_format(arg: &str) -> Result<ResponseFormat, Failure> {
    let json = json_arg::read("--schema", arg)?;
    let name = json
        .file
        .as_deref()
        .map_or_else(|| DEFAULT_NAME.to_owned(), name_of);
    let schema = json.value;
    if !schema.is_object() {
        return Err(Failure::Usage(format!(
            "--schema {arg}: a JSON Schema is an object, like {{\"type\": \"object\", \"properties\": {{...}}}}"
        )));
    }
    // Strict adherence (OpenAI's `strict`) refuses schemas that leave
    // properties open; a schema that closes its root object opts in.
    let strict = schema.get("additionalProperties") == Some(&serde_json::Value::Bool(false));
    Ok(ResponseFormat::JsonSchema(
        JsonSchema::new(name, schema).strict(strict),
    ))
}

/// A schema name from a file name: its stem, cut to what OpenAI accepts
/// (`[a-zA-Z0-9_-]{1,64}`), other characters as `_`.
fn name_of(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.chars().all(|c| c == '_') {
        DEFAULT_NAME.to_owned()
    } else {
        name
    }
}

/// Prints the reply as the JSON document it must be (read as the library
/// reads structured replies: the text, or the JSON in its code fence),
/// compact when piped. When it is not JSON, nothing goes to stdout: the raw
/// reply goes to stderr and the command fails.
pub fn emit(term: &Term, provider: &str, reply: &ChatResponse) -> CmdResult {
    match parse_reply::<serde_json::Value>(reply) {
        Ok(doc) => print_json(term, &doc),
        Err(YatError::InvalidStructuredOutput { raw, message, .. }) => {
            term.note("the reply, which is not valid JSON:");
            crate::term::eprint_line(&raw);
            Err(Failure::Yat(YatError::InvalidStructuredOutput {
                provider: provider.to_owned(),
                raw,
                message,
            }))
        }
        Err(e) => Err(Failure::Yat(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_file_stem() {
        assert_eq!(
            name_of(Path::new("dir/person.schema.json")),
            "person_schema"
        );
        assert_eq!(name_of(Path::new("éé.json")), DEFAULT_NAME);
        assert_eq!(name_of(Path::new(&"a".repeat(80))).len(), 64);
    }

    #[test]
    fn inline_schemas_are_named_response_and_closed_ones_are_strict() {
        let f = response_format(r#" {"type":"object","additionalProperties":false}"#).unwrap();
        match f {
            ResponseFormat::JsonSchema(s) => {
                assert_eq!(s.name, "response");
                assert!(s.strict);
            }
            other => panic!("{other:?}"),
        }
        let f = response_format(r#"{"type":"object"}"#).unwrap();
        assert!(matches!(f, ResponseFormat::JsonSchema(s) if !s.strict));
        assert!(response_format("{nope").is_err());
        assert!(response_format("[1]").is_err(), "an array is no schema");
        assert!(response_format("no-such-file.json").is_err());
    }
}

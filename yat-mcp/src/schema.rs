//! Making a server's tool list usable by every vendor. A tool whose input
//! schema is not an object schema is repaired, not skipped: it is offered
//! with `{"type": "object"}` (any arguments; the server still checks
//! them) and the status says so. Vendors refuse a whole request over one
//! such schema, so offering it unrepaired would break every call of the
//! session; skipping it would hide a tool the user configured.

use serde_json::{Map, Value};

/// One tool of one server, as offered.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpTool {
    /// The server's name.
    pub server: String,
    /// The tool's name on the server.
    pub name: String,
    /// The name the model sees (see [`crate::naming`]).
    pub exposed_name: String,
    /// What it does, as the server says.
    pub description: String,
    /// The JSON Schema of its arguments object (repaired if needed).
    pub input_schema: Value,
}

/// `schema` made an object schema, and a warning when it had to be.
///
/// ```
/// use serde_json::json;
/// use yat_mcp::schema::repair_input_schema;
/// let ok = json!({"type": "object", "properties": {"city": {"type": "string"}}});
/// assert_eq!(repair_input_schema("t", ok.as_object().unwrap()), (ok.clone(), None));
/// let (fixed, warning) = repair_input_schema("t", json!({"type": "string"}).as_object().unwrap());
/// assert_eq!(fixed, json!({"type": "object"}));
/// assert!(warning.unwrap().contains("not an object schema"));
/// ```
pub fn repair_input_schema(tool: &str, schema: &Map<String, Value>) -> (Value, Option<String>) {
    let type_ok = match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        // No type at all: the spec's shape says object; say it explicitly,
        // as strict vendors want it, and keep the rest.
        None => {
            let props_ok = schema.get("properties").is_none_or(Value::is_object);
            if props_ok {
                let mut fixed = schema.clone();
                fixed.insert("type".into(), Value::String("object".into()));
                return (Value::Object(fixed), None);
            }
            false
        }
        Some(_) => false,
    };
    let props_ok = schema.get("properties").is_none_or(Value::is_object);
    if type_ok && props_ok {
        return (Value::Object(schema.clone()), None);
    }
    let what = match schema.get("type") {
        Some(t) if !type_ok => format!("type {t}"),
        _ => "properties that are not an object".to_owned(),
    };
    (
        serde_json::json!({"type": "object"}),
        Some(format!(
            "tool {tool:?}: input schema is not an object schema ({what}); offered as {{\"type\": \"object\"}}, the server checks the arguments"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repair_table() {
        let cases = [
            (json!({"type": "object"}), json!({"type": "object"}), false),
            (json!({}), json!({"type": "object"}), false),
            (
                json!({"properties": {"a": {}}}),
                json!({"type": "object", "properties": {"a": {}}}),
                false,
            ),
            (json!({"type": "string"}), json!({"type": "object"}), true),
            (
                json!({"type": ["object", "null"]}),
                json!({"type": "object"}),
                true,
            ),
            (
                json!({"type": "object", "properties": [1, 2]}),
                json!({"type": "object"}),
                true,
            ),
            (
                json!({"properties": "nope"}),
                json!({"type": "object"}),
                true,
            ),
        ];
        for (input, expected, warns) in cases {
            let (got, warning) = repair_input_schema("t", input.as_object().unwrap());
            assert_eq!(got, expected, "for {input}");
            assert_eq!(warning.is_some(), warns, "for {input}: {warning:?}");
        }
    }
}

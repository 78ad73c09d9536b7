//! Whether a JSON value satisfies a schema, for the subset of JSON Schema
//! the fixtures use: `type` (one or several), `enum`, `const`, `properties`,
//! `required`, `additionalProperties: false` and `items`. Other keywords are
//! not checked.

use serde_json::Value;

/// `Ok` if `value` satisfies `schema`; else where and why it does not.
pub(super) fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    let mut path = String::new();
    at(schema, value, &mut path)
}

fn at(schema: &Value, value: &Value, path: &mut String) -> Result<(), String> {
    let Some(schema) = schema.as_object() else {
        // `true`, `{}` and anything else not an object accept every value.
        return Ok(());
    };
    let fail = |path: &str, why: String| Err(format!("at {}: {why}", display(path)));
    match schema.get("type") {
        Some(Value::String(t)) if !has_type(value, t) => {
            return fail(path, format!("expected {t}, got {value}"));
        }
        Some(Value::Array(types))
            if !types
                .iter()
                .any(|t| t.as_str().is_some_and(|t| has_type(value, t))) =>
        {
            return fail(path, format!("expected one of {types:?}, got {value}"));
        }
        _ => {}
    }
    if let Some(Value::Array(choices)) = schema.get("enum") {
        if !choices.contains(value) {
            return fail(path, format!("{value} is not one of {choices:?}"));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            return fail(path, format!("expected {c}, got {value}"));
        }
    }
    if let Value::Object(obj) = value {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = schema.get("required") {
            if let Some(missing) = required
                .iter()
                .filter_map(Value::as_str)
                .find(|k| !obj.contains_key(*k))
            {
                return fail(path, format!("required key {missing:?} is missing"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(sub) => {
                    let len = path.len();
                    path.push('/');
                    path.push_str(k);
                    at(sub, v, path)?;
                    path.truncate(len);
                }
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return fail(path, format!("key {k:?} is not allowed"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            let len = path.len();
            path.push('/');
            path.push_str(&i.to_string());
            at(item_schema, v, path)?;
            path.truncate(len);
        }
    }
    Ok(())
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        // 1.0 is an integer in JSON Schema.
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        // A type this subset does not know is not held against the value.
        _ => true,
    }
}

fn display(path: &str) -> &str {
    if path.is_empty() {
        "the top level"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn city() -> Value {
        super::super::fixtures::city_schema().schema
    }

    #[test]
    fn a_matching_object_passes() {
        let v = json!({"city": "Paris", "population": 2_100_000, "coastal": false});
        assert_eq!(validate(&city(), &v), Ok(()));
        assert_eq!(
            validate(
                &city(),
                &json!({"city": "Paris", "population": 2.1e6, "coastal": false})
            ),
            Ok(())
        );
    }

    #[test]
    fn each_violation_names_where_and_why() {
        let cases = [
            (json!([1]), "at the top level: expected object"),
            (
                json!({"city": "Paris", "coastal": true}),
                "required key \"population\"",
            ),
            (
                json!({"city": "Paris", "population": "2M", "coastal": true}),
                "at /population: expected integer",
            ),
            (
                json!({"city": "Paris", "population": 2.5, "coastal": true}),
                "at /population: expected integer",
            ),
            (
                json!({"city": "Paris", "population": 2, "coastal": true, "x": 1}),
                "key \"x\" is not allowed",
            ),
        ];
        for (value, want) in cases {
            let err = validate(&city(), &value).unwrap_err();
            assert!(err.contains(want), "{value}: {err}");
        }
    }

    #[test]
    fn enums_consts_nested_arrays_and_type_lists() {
        let s = json!({
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": "object",
                    "properties": {"k": {"enum": ["a", "b"]}, "v": {"type": ["string", "null"]}},
                    "required": ["k"]}},
                "version": {"const": 2}
            }
        });
        assert_eq!(
            validate(
                &s,
                &json!({"tags": [{"k": "a", "v": null}, {"k": "b"}], "version": 2})
            ),
            Ok(())
        );
        let err = validate(&s, &json!({"tags": [{"k": "a"}, {"k": "c"}]})).unwrap_err();
        assert!(err.starts_with("at /tags/1/k:"), "{err}");
        let err = validate(&s, &json!({"tags": [{"k": "a", "v": 3}]})).unwrap_err();
        assert!(err.starts_with("at /tags/0/v:"), "{err}");
        assert!(validate(&s, &json!({"version": 3})).is_err());
        assert_eq!(validate(&json!(true), &json!(42)), Ok(()));
    }
}

//! The smallest value a JSON Schema accepts, for tool arguments and JSON
//! replies: required properties only, the first `enum` value or `anyOf`
//! branch, numbers within their bounds, strings within their lengths,
//! arrays of one item (or `minItems`), local `$ref`s followed.

use serde_json::{Map, Value};

/// Deeper than this, a `$ref` cycle is assumed and `null` given.
const MAX_DEPTH: usize = 32;

/// The most values one instance may hold: a caller's schema must not make
/// the mock allocate without bound (`minItems: 1e12`, nested `$ref`s that
/// multiply), so past it `null` is given.
const MAX_VALUES: usize = 10_000;

/// The longest string the mock makes for `minLength`.
const MAX_STRING: usize = 65_536;

/// A small value `schema` accepts.
pub(super) fn minimal_instance(schema: &Value) -> Value {
    let mut budget = MAX_VALUES;
    instance(schema, schema, 0, &mut budget)
}

/// A small object `schema` accepts: tool arguments are always an object,
/// even for a schema that does not say so.
pub(super) fn minimal_object(schema: &Value) -> Value {
    match minimal_instance(schema) {
        v @ Value::Object(_) => v,
        _ => Value::Object(Map::new()),
    }
}

fn instance(root: &Value, schema: &Value, depth: usize, budget: &mut usize) -> Value {
    let Some(s) = schema.as_object().filter(|_| depth <= MAX_DEPTH) else {
        return Value::Null;
    };
    if *budget == 0 {
        return Value::Null;
    }
    *budget -= 1;
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = match r.strip_prefix('#') {
            Some("") => Some(root),
            Some(pointer) => root.pointer(pointer),
            None => None,
        };
        return target.map_or(Value::Null, |t| instance(root, t, depth + 1, budget));
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return instance(root, first, depth + 1, budget);
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        // Each branch usually adds properties: merge the objects they give.
        let mut merged = Map::new();
        for branch in all {
            match instance(root, branch, depth + 1, budget) {
                Value::Object(o) => merged.extend(o),
                other if merged.is_empty() => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => Some(t.to_ascii_lowercase()),
        // The first type that is not null: a value says more than `null`.
        Some(Value::Array(types)) => {
            let mut names = types.iter().filter_map(Value::as_str);
            let first = names.clone().next();
            names
                .find(|t| !t.eq_ignore_ascii_case("null"))
                .or(first)
                .map(str::to_ascii_lowercase)
        }
        _ if s.contains_key("properties") || s.contains_key("required") => Some("object".into()),
        _ if s.contains_key("items") => Some("array".into()),
        _ => None,
    };
    match ty.as_deref() {
        Some("object") => object(root, s, depth, budget),
        Some("array") => array(root, s, depth, budget),
        Some("string") => string(s),
        Some("integer") => integer(s),
        Some("number") => number(s),
        Some("boolean") => Value::Bool(false),
        _ => Value::Null,
    }
}

fn object(root: &Value, s: &Map<String, Value>, depth: usize, budget: &mut usize) -> Value {
    let props = s.get("properties").and_then(Value::as_object);
    let required = s.get("required").and_then(Value::as_array);
    let mut out = Map::new();
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        let value = props
            .and_then(|p| p.get(name))
            .map_or(Value::Null, |sub| instance(root, sub, depth + 1, budget));
        out.insert(name.to_owned(), value);
    }
    Value::Object(out)
}

fn array(root: &Value, s: &Map<String, Value>, depth: usize, budget: &mut usize) -> Value {
    // Sizes past the budget are cut to it (the value is then too short for
    // the schema, which no real tool asks of a mock).
    let bound = |k: &str| {
        s.get(k)
            .and_then(Value::as_u64)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX).min(MAX_VALUES))
    };
    let (min, max) = (bound("minItems"), bound("maxItems"));
    let Some(items) = s.get("items").or_else(|| s.get("prefixItems")) else {
        let n = min.unwrap_or(0).min(*budget);
        *budget -= n;
        return Value::Array(vec![Value::Null; n]);
    };
    if let Value::Array(tuple) = items {
        return Value::Array(
            tuple
                .iter()
                .map(|t| instance(root, t, depth + 1, budget))
                .collect(),
        );
    }
    // One item shows the item's shape; more only if the schema asks. The
    // copies count against the budget like the values they hold.
    let n = min.unwrap_or(0).max(1).min(max.unwrap_or(usize::MAX));
    let before = *budget;
    let item = instance(root, items, depth + 1, budget);
    let per_item = (before - *budget).max(1);
    let n = n.min(1 + *budget / per_item);
    *budget = budget.saturating_sub(per_item * n.saturating_sub(1));
    Value::Array(vec![item; n])
}

fn string(s: &Map<String, Value>) -> Value {
    let by_format = match s.get("format").and_then(Value::as_str) {
        Some("date-time") => Some("1970-01-01T00:00:00Z"),
        Some("date") => Some("1970-01-01"),
        Some("time") => Some("00:00:00Z"),
        Some("email") => Some("mock@example.com"),
        Some("uri" | "url") => Some("https://example.com/"),
        Some("uuid") => Some("00000000-0000-0000-0000-000000000000"),
        _ => None,
    };
    if let Some(v) = by_format {
        return Value::String(v.into());
    }
    let len = |k: &str| {
        s.get(k)
            .and_then(Value::as_u64)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX).min(MAX_STRING))
    };
    let mut v: String = "mock".chars().take(len("maxLength").unwrap_or(4)).collect();
    let short = len("minLength")
        .unwrap_or(0)
        .saturating_sub(v.chars().count());
    v.push_str(&"x".repeat(short));
    Value::String(v)
}

/// The lowest and highest values allowed, exclusive bounds moved in by `step`.
fn bounds(s: &Map<String, Value>, step: f64) -> (Option<f64>, Option<f64>) {
    let f = |k: &str| s.get(k).and_then(Value::as_f64);
    let lo = f("minimum").or_else(|| f("exclusiveMinimum").map(|x| x + step));
    let hi = f("maximum").or_else(|| f("exclusiveMaximum").map(|x| x - step));
    (lo, hi)
}

/// 0, or the bound nearest to it when 0 is out of range.
fn nearest_to_zero(lo: Option<f64>, hi: Option<f64>) -> f64 {
    match (lo, hi) {
        (Some(lo), _) if lo > 0.0 => lo,
        (_, Some(hi)) if hi < 0.0 => hi,
        _ => 0.0,
    }
}

fn integer(s: &Map<String, Value>) -> Value {
    let (lo, hi) = bounds(s, 1.0);
    let n = nearest_to_zero(lo.map(f64::ceil), hi.map(f64::floor));
    Value::from(n as i64)
}

fn number(s: &Map<String, Value>) -> Value {
    let (lo, hi) = bounds(s, 1.0);
    let n = nearest_to_zero(lo, hi);
    if n.fract() == 0.0 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_properties_get_values_of_their_type() {
        let s = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "ratio": {"type": "number", "exclusiveMaximum": -2.5},
                "exact": {"type": "boolean"},
                "note": {"type": ["null", "string"]},
                "optional": {"type": "string"}
            },
            "required": ["city", "unit", "days", "ratio", "exact", "note"]
        });
        assert_eq!(
            minimal_instance(&s),
            json!({"city": "mock", "unit": "celsius", "days": 1, "ratio": -3.5, "exact": false, "note": "mock"})
        );
    }

    #[test]
    fn nested_objects_arrays_refs_and_branches() {
        let s = json!({
            "type": "object",
            "$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}},
            "properties": {
                "path": {"type": "array", "items": {"$ref": "#/$defs/point"}, "minItems": 2},
                "empty": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
                "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"const": 3}]},
                "either": {"anyOf": [{"type": "string", "minLength": 6}, {"type": "integer"}]},
                "both": {"allOf": [
                    {"properties": {"a": {"type": "string"}}, "required": ["a"]},
                    {"properties": {"b": {"type": "string", "format": "date"}}, "required": ["b"]}
                ]},
                "short": {"type": "string", "maxLength": 2}
            },
            "required": ["path", "empty", "pair", "either", "both", "short"]
        });
        assert_eq!(
            minimal_instance(&s),
            json!({
                "path": [{"x": 0}, {"x": 0}],
                "empty": [],
                "pair": ["mock", 3],
                "either": "mockxx",
                "both": {"a": "mock", "b": "1970-01-01"},
                "short": "mo"
            })
        );
    }

    #[test]
    fn cycles_and_odd_schemas_end_in_null_and_arguments_stay_objects() {
        let cyclic = json!({"$ref": "#"});
        assert_eq!(minimal_instance(&cyclic), Value::Null);
        assert_eq!(minimal_instance(&json!(true)), Value::Null);
        assert_eq!(minimal_object(&json!({"type": "string"})), json!({}));
        assert_eq!(minimal_object(&json!({"type": "OBJECT"})), json!({}));
        assert_eq!(
            minimal_object(&json!({"required": ["q"]})),
            json!({"q": null})
        );
    }

    #[test]
    fn hostile_schemas_give_a_bounded_value_not_a_crash() {
        let huge = serde_json::json!({"type": "array", "items": {"type": "integer"}, "minItems": 1_000_000_000_000u64});
        let v = minimal_instance(&huge);
        assert!(v.as_array().unwrap().len() <= MAX_VALUES);
        let long = serde_json::json!({"type": "string", "minLength": 1_000_000_000u64});
        assert_eq!(minimal_instance(&long).as_str().unwrap().len(), MAX_STRING);
        // Each level multiplies: 64^32 values unless bounded.
        let nested = serde_json::json!({
            "$defs": {"n": {"type": "array", "minItems": 64, "items": {"$ref": "#/$defs/n"}}},
            "$ref": "#/$defs/n"
        });
        fn count(v: &serde_json::Value) -> usize {
            1 + v.as_array().map_or(0, |a| a.iter().map(count).sum())
        }
        assert!(count(&minimal_instance(&nested)) <= 2 * MAX_VALUES);
    }
}

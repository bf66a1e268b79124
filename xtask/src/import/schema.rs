//! Facts-only copies of schemas and `$ref` handling.

use super::label::label;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Prefix of a reference to a schema in the same document.
pub const LOCAL: &str = "#/components/schemas/";
/// Prefix of a reference from an operation file to the shared schemas.
pub const SHARED: &str = "../_shared/schemas.yaml#/components/schemas/";

/// Keywords copied as they are (facts).
const FACT_KEYWORDS: &[&str] = &[
    "$ref",
    "default",
    "deprecated",
    "enum",
    "example",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "format",
    "maxItems",
    "maxLength",
    "maximum",
    "minItems",
    "minLength",
    "minimum",
    "multipleOf",
    "nullable",
    "pattern",
    "readOnly",
    "required",
    "type",
    "uniqueItems",
    "writeOnly",
];

/// A facts-only copy of `schema`: known keywords only, descriptions turned into labels
/// (`name` is the field's wire name, used when the description gives no short label),
/// keys sorted, properties in their source order.
pub fn clean(schema: &Value, name: &str) -> Value {
    let Some(obj) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in obj {
        match key.as_str() {
            "description" => {
                out.insert(key.clone(), Value::String(label(value.as_str(), name)));
            }
            "properties" => {
                let mut props = Map::new();
                if let Some(map) = value.as_object() {
                    for (prop, sub) in map {
                        props.insert(prop.clone(), clean(sub, prop));
                    }
                }
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "not" => {
                out.insert(key.clone(), clean(value, name));
            }
            "additionalProperties" => {
                let v = if value.is_object() {
                    clean(value, name)
                } else {
                    value.clone()
                };
                out.insert(key.clone(), v);
            }
            "anyOf" | "oneOf" | "allOf" => {
                let items = value
                    .as_array()
                    .map(|a| a.iter().map(|s| clean(s, name)).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(items));
            }
            k if FACT_KEYWORDS.contains(&k) || k.starts_with("x-alipay-") => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    sort_keys(&mut out);
    Value::Object(out)
}

/// Sorts the keys of one map (not recursively).
pub fn sort_keys(map: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    map.extend(entries);
}

/// The schema name a `$ref` points to, for references into `components.schemas` of the same
/// document or of the shared schemas.
pub fn ref_name(reference: &str) -> Option<&str> {
    reference
        .strip_prefix(LOCAL)
        .or_else(|| reference.strip_prefix(SHARED))
        .or_else(|| {
            reference
                .split_once('#')
                .and_then(|(_, frag)| frag.strip_prefix("/components/schemas/"))
        })
}

/// Names of every schema referenced anywhere in `value`.
pub fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(name) = v.as_str().and_then(ref_name) {
                        out.insert(name.to_owned());
                    }
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Rewrites every schema `$ref` in `value` with `f(name)`.
pub fn rewrite_refs(value: &mut Value, f: &dyn Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "$ref" {
                    if let Some(name) = v.as_str().and_then(ref_name).map(str::to_owned) {
                        *v = Value::String(f(&name));
                    }
                } else {
                    rewrite_refs(v, f);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, f)),
        _ => {}
    }
}

/// `alipay.trade.query` → `AlipayTradeQuery`.
pub fn upper_camel(method: &str) -> String {
    let mut out = String::new();
    for part in method.split(['.', '_', '-']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The family of a method: its first two segments (`alipay.trade.query` → `alipay.trade`).
pub fn family(method: &str) -> String {
    method.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Queries are read-only (repeating them is harmless); everything else may move money.
pub fn safety(method: &str, http_method: Option<&str>) -> &'static str {
    let last = method.rsplit('.').next().unwrap_or_default();
    if last.ends_with("query") || http_method == Some("get") {
        "read-only"
    } else {
        "mutating"
    }
}

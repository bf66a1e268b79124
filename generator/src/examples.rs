//! Example payloads built from the spec's property examples, and the generated round-trip
//! test that sends each of them through the generated types.

use crate::emit::{render, test_name};
use crate::ir::*;
use crate::plan::{Home, Plan, ResponsePlan};
use crate::Error;
use quote::quote;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Nesting limit for recursive schemas.
const MAX_DEPTH: usize = 6;

/// An example object for `fields`: every field with an example (or a nested schema that has
/// examples), plus a placeholder for required fields without one. `None` when empty.
pub fn object_example(api: &Api, fields: &[Field], depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut map = Map::new();
    for f in fields {
        let value = match &f.doc.example {
            Some(example) => Some(coerce(api, example, &f.ty, depth)),
            None => type_example(api, &f.ty, depth),
        };
        match value {
            Some(v) => {
                map.insert(f.wire_name.clone(), v);
            }
            None if f.required => {
                map.insert(f.wire_name.clone(), placeholder(api, &f.ty, depth));
            }
            None => {}
        }
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

/// An example of a type without a field-level example.
fn type_example(api: &Api, ty: &Type, depth: usize) -> Option<Value> {
    match ty {
        Type::Named(key) => match api.schemas.get(key).map(|s| (&s.kind, &s.doc.example)) {
            Some((_, Some(example))) => Some(example.clone()),
            Some((SchemaKind::Object { fields }, None)) => object_example(api, fields, depth + 1),
            Some((SchemaKind::Enum { values }, None)) => {
                values.first().map(|v| Value::String(v.wire.clone()))
            }
            Some((SchemaKind::Alias(inner), None)) => type_example(api, inner, depth + 1),
            None => None,
        },
        Type::Array(inner) => type_example(api, inner, depth + 1).map(|v| Value::Array(vec![v])),
        _ => None,
    }
}

/// A value of the right shape for a required field without an example.
fn placeholder(api: &Api, ty: &Type, depth: usize) -> Value {
    match ty {
        Type::String | Type::Binary => Value::String(String::new()),
        Type::Integer { .. } => Value::from(0),
        Type::Number { .. } => Value::from(0.0),
        Type::Boolean => Value::Bool(false),
        Type::Array(_) => Value::Array(Vec::new()),
        Type::Json => Value::Null,
        Type::JsonMap => Value::Object(Map::new()),
        Type::Named(key) => match api.schemas.get(key).map(|s| &s.kind) {
            Some(SchemaKind::Object { fields }) if depth <= MAX_DEPTH => {
                let mut map = Map::new();
                for f in fields.iter().filter(|f| f.required) {
                    map.insert(f.wire_name.clone(), placeholder(api, &f.ty, depth + 1));
                }
                Value::Object(map)
            }
            Some(SchemaKind::Enum { values }) => {
                Value::String(values.first().map(|v| v.wire.clone()).unwrap_or_default())
            }
            Some(SchemaKind::Alias(inner)) if depth <= MAX_DEPTH => {
                placeholder(api, inner, depth + 1)
            }
            _ => Value::Null,
        },
    }
}

/// Brings an example to the field's type where that loses nothing (`"10"` for an integer,
/// a single item for an array). Anything else is kept as written, so a wrong example fails
/// the round trip instead of being hidden.
fn coerce(api: &Api, example: &Value, ty: &Type, depth: usize) -> Value {
    match (ty, example) {
        (Type::String, Value::Number(n)) => Value::String(n.to_string()),
        (Type::String, Value::Bool(b)) => Value::String(b.to_string()),
        (Type::Integer { .. }, Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_or_else(|_| example.clone(), Value::from),
        (Type::Number { .. }, Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map_or_else(|_| example.clone(), Value::from),
        (Type::Number { .. }, Value::Number(n)) => {
            n.as_f64().map_or_else(|| example.clone(), Value::from)
        }
        (Type::Boolean, Value::String(s)) if s == "true" || s == "false" => {
            Value::Bool(s == "true")
        }
        (Type::Array(inner), Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|i| coerce(api, i, inner, depth + 1))
                .collect(),
        ),
        (Type::Array(inner), other) => Value::Array(vec![coerce(api, other, inner, depth + 1)]),
        (Type::Named(key), Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            match api.schemas.get(key).map(|s| &s.kind) {
                Some(SchemaKind::Object { fields }) => {
                    // A scalar example of an object field (upstream writes such examples for
                    // nested models): build the object from its own properties instead.
                    object_example(api, fields, depth + 1)
                        .unwrap_or_else(|| Value::Object(Map::new()))
                }
                Some(SchemaKind::Alias(inner)) => coerce(api, example, inner, depth + 1),
                _ => example.clone(),
            }
        }
        _ => example.clone(),
    }
}

/// One round-trip case: the Rust path of a type and its example JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub test: String,
    pub type_path: String,
    pub json: Value,
}

/// Every case: each operation's request and response, and each emitted object schema.
pub fn cases(api: &Api, plan: &Plan) -> Vec<Case> {
    let mut out = Vec::new();
    let module_of = |family: &str| plan.modules.get(family).map(|m| m.name.source());
    for op in api.operations.values() {
        let (Some(p), Some(module)) = (plan.ops.get(&op.name), module_of(&op.family)) else {
            continue;
        };
        if let Some(json) = object_example(api, &op.request, 0) {
            out.push(Case {
                test: test_name(&p.request.text),
                type_path: format!("alipay_sdk::{module}::{}", p.request.source()),
                json,
            });
        }
        if let (ResponsePlan::Inline, ResponseBody::Inline(fields)) =
            (&p.response_plan, &op.response)
        {
            if let Some(json) = object_example(api, fields, 0) {
                out.push(Case {
                    test: test_name(&p.response.text),
                    type_path: format!("alipay_sdk::{module}::{}", p.response.source()),
                    json,
                });
            }
        }
    }
    for (key, t) in &plan.types {
        let Some(Schema {
            kind: SchemaKind::Object { fields },
            ..
        }) = api.schemas.get(key)
        else {
            continue;
        };
        let module = match &t.home {
            Home::Family(f) => module_of(f),
            Home::Shared(_) => Some(plan.shared.source()),
        };
        let (Some(module), Some(json)) = (module, object_example(api, fields, 0)) else {
            continue;
        };
        out.push(Case {
            test: test_name(&t.name.text),
            type_path: format!("alipay_sdk::{module}::{}", t.name.source()),
            json,
        });
    }
    out.sort_by(|a, b| a.test.cmp(&b.test));
    // Distinct type names can share a snake-case spelling; number the later ones.
    let mut ns = crate::naming::Namespace::default();
    for case in &mut out {
        case.test = ns
            .claim_text(&case.test, crate::naming::Case::Snake, "case")
            .source();
    }
    out
}

/// `roundtrip/main.rs` and `roundtrip/cases.rs` of the generated crate's tests.
pub fn roundtrip_tests(api: &Api, plan: &Plan) -> Result<BTreeMap<String, String>, Error> {
    let mut tests = proc_macro2::TokenStream::new();
    for case in cases(api, plan) {
        let name = quote::format_ident!("{}", case.test);
        let ty: syn::Type = syn::parse_str(&case.type_path)
            .map_err(|e| Error::new(&case.type_path, format!("not a type path: {e}")))?;
        let json = serde_json::to_string(&case.json).map_err(|e| Error::new(&case.test, e))?;
        tests.extend(quote! {
            #[test]
            fn #name() {
                super::roundtrip::<#ty>(#json);
            }
        });
    }
    let cases = quote! {
        //! One test per example payload (built from the spec's property examples).
        #tests
    };
    let main = quote! {
        //! Every example in the specs deserializes into the generated types and serializes back
        //! to the same JSON.

        use serde::de::DeserializeOwned;
        use serde::Serialize;
        use serde_json::Value;

        #[rustfmt::skip]
        mod cases;

        /// Deserializes `json` into `T`, serializes it again, and compares the two JSON values.
        fn roundtrip<T: Serialize + DeserializeOwned>(json: &str) {
            let expected: Value = serde_json::from_str(json).expect("example is JSON");
            let typed: T = serde_json::from_value(expected.clone())
                .unwrap_or_else(|e| panic!("example does not deserialize: {e}\n{json}"));
            let back = serde_json::to_value(&typed).expect("model serializes");
            assert_eq!(back, expected, "round trip changed the payload");
        }
    };
    let mut files = BTreeMap::new();
    files.insert(
        "roundtrip/main.rs".to_string(),
        render(&main, "roundtrip test")?,
    );
    files.insert(
        "roundtrip/cases.rs".to_string(),
        render(&cases, "roundtrip cases")?,
    );
    Ok(files)
}

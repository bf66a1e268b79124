//! `cargo xtask import openapi <file> --op <operationId>…`: copies v3 operations and the
//! schemas they reach from an OpenAPI 3.0 document, facts only.

use super::label::label;
use super::schema::{self, clean, collect_refs};
use super::tree::{Imported, Operation};
use super::v2::Catalogue;
use anyhow::{anyhow, Result};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The API version of every Alipay method (the v2 `version` parameter).
pub const API_VERSION: &str = "1.0";

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Imports one operation of `doc` by its operationId.
pub fn import(doc: &Value, operation_id: &str, catalogue: Option<&Catalogue>) -> Result<Imported> {
    let (path, http, op) = find(doc, operation_id)
        .ok_or_else(|| anyhow!("operationId {operation_id} is not in the document"))?;
    let family = schema::family(operation_id);
    let mut cleaned = Map::new();
    cleaned.insert("operationId".into(), json!(operation_id));
    cleaned.insert("tags".into(), json!([family]));
    cleaned.insert(
        "summary".into(),
        json!(label(
            op.get("summary").and_then(Value::as_str),
            operation_id
        )),
    );
    if let Some(params) = op.get("parameters").and_then(Value::as_array) {
        let params: Vec<Value> = params.iter().map(parameter).collect();
        cleaned.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = op.get("requestBody") {
        cleaned.insert("requestBody".into(), request_body(body));
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        let mut out = Map::new();
        for (code, response) in responses {
            out.insert(code.clone(), response_object(response, code));
        }
        cleaned.insert("responses".into(), Value::Object(out));
    }

    let mut protocols = Vec::new();
    let v2 = catalogue.and_then(|c| c.v2_facts(operation_id));
    if v2.is_some() {
        protocols.push("v2");
    }
    protocols.push("v3");
    let title = label(op.get("summary").and_then(Value::as_str), operation_id);
    let mut top = Map::new();
    top.insert("openapi".into(), json!("3.0.3"));
    top.insert(
        "info".into(),
        json!({ "title": title, "version": API_VERSION }),
    );
    top.insert("x-alipay-family".into(), json!(family));
    top.insert("x-alipay-method".into(), json!(operation_id));
    top.insert("x-alipay-protocols".into(), json!(protocols));
    top.insert(
        "x-alipay-safety".into(),
        json!(schema::safety(operation_id, Some(http))),
    );
    if let Some(v2) = v2 {
        top.insert("x-alipay-v2".into(), Value::Object(v2));
    }
    top.insert(
        "paths".into(),
        json!({ path: { http: Value::Object(cleaned) } }),
    );
    let op_doc = Value::Object(top);

    let schemas = reach(doc, &op_doc)?;
    Ok(Imported {
        op: Operation {
            method: operation_id.to_owned(),
            family,
            doc: op_doc,
        },
        schemas,
    })
}

fn find<'a>(doc: &'a Value, operation_id: &str) -> Option<(&'a str, &'static str, &'a Value)> {
    for (path, item) in doc.get("paths")?.as_object()? {
        for &http in HTTP_METHODS {
            if let Some(op) = item.get(http) {
                if op.get("operationId").and_then(Value::as_str) == Some(operation_id) {
                    return Some((path, http, op));
                }
            }
        }
    }
    None
}

fn parameter(param: &Value) -> Value {
    let name = param
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    for key in [
        "in",
        "required",
        "style",
        "explode",
        "deprecated",
        "allowEmptyValue",
    ] {
        if let Some(v) = param.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert(
        "description".into(),
        json!(label(
            param.get("description").and_then(Value::as_str),
            name
        )),
    );
    if let Some(s) = param.get("schema") {
        out.insert("schema".into(), clean(s, name));
    }
    Value::Object(out)
}

fn content(content: &Value) -> Value {
    let mut out = Map::new();
    for (media, body) in content.as_object().into_iter().flatten() {
        let mut m = Map::new();
        if let Some(s) = body.get("schema") {
            m.insert("schema".into(), clean(s, media));
        }
        if let Some(enc) = body.get("encoding") {
            m.insert("encoding".into(), enc.clone());
        }
        out.insert(media.clone(), Value::Object(m));
    }
    Value::Object(out)
}

fn request_body(body: &Value) -> Value {
    let mut out = Map::new();
    if let Some(c) = body.get("content") {
        out.insert("content".into(), content(c));
    }
    if let Some(r) = body.get("required") {
        out.insert("required".into(), r.clone());
    }
    Value::Object(out)
}

fn response_object(response: &Value, code: &str) -> Value {
    let mut out = Map::new();
    if let Some(c) = response.get("content") {
        out.insert("content".into(), content(c));
    }
    let fallback = if code == "200" { "success" } else { "error" };
    out.insert(
        "description".into(),
        json!(label(
            response.get("description").and_then(Value::as_str),
            fallback
        )),
    );
    Value::Object(out)
}

/// Every schema `op_doc` reaches in `doc`, cleaned.
fn reach(doc: &Value, op_doc: &Value) -> Result<BTreeMap<String, Value>> {
    let all = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("the document has no components.schemas"))?;
    let mut out = BTreeMap::new();
    let mut todo = BTreeSet::new();
    collect_refs(op_doc, &mut todo);
    while let Some(name) = todo.pop_first() {
        if out.contains_key(&name) {
            continue;
        }
        let s = all
            .get(&name)
            .ok_or_else(|| anyhow!("schema {name} is referenced but not defined"))?;
        let s = clean(s, &name);
        collect_refs(&s, &mut todo);
        out.insert(name, s);
    }
    Ok(out)
}

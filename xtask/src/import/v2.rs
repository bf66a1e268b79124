//! The v2 catalogue (`alipay-v2-catalogue.yaml`): v2 gateway facts of v3 operations, and
//! `cargo xtask import v2 <catalogue> --method <name>…` for v2-only operations.

use super::label::label;
use super::schema::{self, clean, collect_refs, LOCAL};
use super::tree::{Imported, Operation};
use super::yamlio;
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub struct Catalogue {
    methods: Map<String, Value>,
    schemas: Map<String, Value>,
}

impl Catalogue {
    pub fn load(path: &Path) -> Result<Catalogue> {
        let mut doc = yamlio::load(path)?;
        let methods = match doc.get_mut("x-alipay-v2-methods").map(Value::take) {
            Some(Value::Object(m)) => m,
            _ => bail!("{}: no x-alipay-v2-methods", path.display()),
        };
        let schemas = match doc.pointer_mut("/components/schemas").map(Value::take) {
            Some(Value::Object(m)) => m,
            _ => bail!("{}: no components.schemas", path.display()),
        };
        Ok(Catalogue { methods, schemas })
    }

    /// The `x-alipay-v2` object of a method (`request` / `response` are added by callers).
    pub fn v2_facts(&self, name: &str) -> Option<Map<String, Value>> {
        let entry = self.methods.get(name)?;
        let mut out = Map::new();
        let biz = entry
            .get("biz_content")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.insert("biz_content".into(), Value::Bool(biz));
        let files = names(entry.get("files"));
        if !files.is_empty() {
            out.insert("files".into(), json!(files));
        }
        let encrypt = entry
            .get("need_encrypt")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.insert("need_encrypt".into(), Value::Bool(encrypt));
        let key = entry
            .get("response_key")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}_response", name.replace('.', "_")));
        out.insert("response_key".into(), Value::String(key));
        let params = names(entry.get("params"));
        if !params.is_empty() {
            out.insert("text_params".into(), json!(params));
        }
        Some(out)
    }

    /// A v2-only operation and every schema it reaches.
    pub fn import(&self, method: &str) -> Result<Imported> {
        let entry = self
            .methods
            .get(method)
            .ok_or_else(|| anyhow!("{method}: not in the v2 catalogue"))?;
        let family = schema::family(method);
        let mut v2 = self
            .v2_facts(method)
            .ok_or_else(|| anyhow!("{method}: not in the v2 catalogue"))?;
        let mut schemas = BTreeMap::new();
        let model_name = format!("{}Model", schema::upper_camel(method));
        // The request: the biz model, plus text parameters and files as properties.
        let mut request = entry
            .get("biz_model")
            .and_then(Value::as_str)
            .and_then(schema::ref_name)
            .and_then(|n| self.schemas.get(n))
            .map(|s| clean(s, &model_name))
            .unwrap_or_else(|| json!({ "type": "object" }));
        let extra = params_properties(entry);
        if !extra.is_empty() {
            let props = request
                .as_object_mut()
                .and_then(|o| {
                    o.entry("properties")
                        .or_insert_with(|| Value::Object(Map::new()))
                        .as_object_mut()
                })
                .ok_or_else(|| anyhow!("{method}: request model is not an object"))?;
            for (k, v) in extra {
                props.insert(k, v);
            }
        }
        let has_request = request
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        if has_request {
            v2.insert(
                "request".into(),
                json!({ "$ref": format!("{LOCAL}{model_name}") }),
            );
            schemas.insert(model_name, request);
        }
        let response_name = entry
            .get("response")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}Response", schema::upper_camel(method)));
        let response = self
            .schemas
            .get(&response_name)
            .map(|s| clean(s, &response_name))
            .unwrap_or_else(|| json!({ "type": "object" }));
        v2.insert(
            "response".into(),
            json!({ "$ref": format!("{LOCAL}{response_name}") }),
        );
        schemas.insert(response_name, response);
        // Everything the two reach.
        let mut todo = BTreeSet::new();
        for s in schemas.values() {
            collect_refs(s, &mut todo);
        }
        while let Some(name) = todo.pop_first() {
            if schemas.contains_key(&name) {
                continue;
            }
            let s = self
                .schemas
                .get(&name)
                .ok_or_else(|| anyhow!("{method}: schema {name} missing from the catalogue"))?;
            let s = clean(s, &name);
            collect_refs(&s, &mut todo);
            schemas.insert(name, s);
        }
        schema::sort_keys(&mut v2);
        let title = label(entry.get("summary").and_then(Value::as_str), method);
        let doc = json!({
            "openapi": "3.0.3",
            "info": { "title": title, "version": super::openapi::API_VERSION },
            "x-alipay-family": family,
            "x-alipay-method": method,
            "x-alipay-protocols": ["v2"],
            "x-alipay-safety": schema::safety(method, None),
            "x-alipay-v2": v2,
            "paths": {},
        });
        Ok(Imported {
            op: Operation {
                method: method.to_owned(),
                family,
                doc,
            },
            schemas,
        })
    }
}

fn names(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn params_properties(entry: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for p in entry
        .get("params")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            continue;
        };
        let mut s = p
            .get("schema")
            .cloned()
            .unwrap_or_else(|| json!({"type": "string"}));
        if let (Some(obj), Some(d)) = (s.as_object_mut(), p.get("description")) {
            obj.insert("description".into(), d.clone());
        }
        out.push((name.to_owned(), clean(&s, name)));
    }
    for f in entry
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = f.get("name").and_then(Value::as_str) else {
            continue;
        };
        let d = f.get("description").and_then(Value::as_str);
        out.push((
            name.to_owned(),
            json!({ "description": label(d, name), "format": "binary", "type": "string" }),
        ));
    }
    out
}

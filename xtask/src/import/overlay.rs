//! Reviewed overlays: `specs/_reviewed/<method>.yaml` holds facts from Alipay's API
//! documentation that the imported source lacks; `specs/_reviewed/_schemas.yaml` holds such
//! facts for schemas several operations share. Every keyword an overlay sets is listed in the
//! `x-alipay-reviewed` of the object it lands on.
//!
//! ```yaml
//! operation:                 # top-level x-alipay-* keys of the operation file
//!   x-alipay-client-executed: true
//! parameters:                # v3 query / path parameters, by name
//!   auth_opt_id: { required: true, maxLength: 64, example: '2018…' }
//! schemas:                   # schemas by name
//!   AlipayTradeCreateModel:
//!     required: [out_trade_no]          # added to the schema's required list
//!     order: [out_trade_no, total_amount] # these properties first, in this order
//!     properties:
//!       out_trade_no: { maxLength: 64, example: '20150320010101001' }
//!       subject: { required: true }     # same as listing it under required
//! ```

use super::schema::sort_keys;
use super::tree::Imported;
use super::yamlio;
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// The marker key.
pub const REVIEWED: &str = "x-alipay-reviewed";

/// Reads `<root>/_reviewed/<name>.yaml` if it exists.
pub fn load(root: &Path, name: &str) -> Result<Option<Value>> {
    let path = root.join("_reviewed").join(format!("{name}.yaml"));
    if !path.exists() {
        return Ok(None);
    }
    let value = yamlio::load(&path)?;
    for key in value.as_object().into_iter().flat_map(Map::keys) {
        if !matches!(key.as_str(), "operation" | "parameters" | "schemas") {
            bail!("{}: unknown section {key}", path.display());
        }
    }
    Ok(Some(value))
}

/// Applies the overlays of `root` to an imported operation.
pub fn apply_all(root: &Path, item: &mut Imported) -> Result<()> {
    if let Some(shared) = load(root, "_schemas")? {
        apply(&shared, item, false).context("applying _reviewed/_schemas.yaml")?;
    }
    if let Some(own) = load(root, &item.op.method)? {
        apply(&own, item, true)
            .with_context(|| format!("applying _reviewed/{}.yaml", item.op.method))?;
    }
    Ok(())
}

/// Applies one overlay. With `strict`, every schema and parameter it names must exist.
pub fn apply(overlay: &Value, item: &mut Imported, strict: bool) -> Result<()> {
    if let Some(ops) = overlay.get("operation").and_then(Value::as_object) {
        let doc = item
            .op
            .doc
            .as_object_mut()
            .ok_or_else(|| anyhow!("operation document is not a mapping"))?;
        let mut marks = Vec::new();
        for (key, value) in ops {
            if !key.starts_with("x-alipay-") || key == REVIEWED {
                bail!("operation: only x-alipay-* keys can be set, not {key}");
            }
            doc.insert(key.clone(), value.clone());
            marks.push(key.clone());
        }
        mark(doc, marks);
        order_top_level(doc);
    }
    if let Some(params) = overlay.get("parameters").and_then(Value::as_object) {
        for (name, facts) in params {
            let param = find_parameter(&mut item.op.doc, name);
            match param {
                Some(param) => apply_parameter(param, facts)?,
                None if strict => bail!("parameter {name} is not a parameter of the operation"),
                None => {}
            }
        }
    }
    if let Some(schemas) = overlay.get("schemas").and_then(Value::as_object) {
        for (name, facts) in schemas {
            match item.schemas.get_mut(name) {
                Some(schema) => {
                    apply_schema(schema, facts, strict).with_context(|| format!("schema {name}"))?
                }
                None if strict => bail!("schema {name} is not reached by the operation"),
                None => {}
            }
        }
    }
    Ok(())
}

fn find_parameter<'a>(doc: &'a mut Value, name: &str) -> Option<&'a mut Map<String, Value>> {
    let paths = doc.get_mut("paths")?.as_object_mut()?;
    for item in paths.values_mut() {
        for op in item.as_object_mut()?.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for param in params.iter_mut() {
                if param.get("name").and_then(Value::as_str) == Some(name) {
                    return param.as_object_mut();
                }
            }
        }
    }
    None
}

fn apply_parameter(param: &mut Map<String, Value>, facts: &Value) -> Result<()> {
    let facts = facts
        .as_object()
        .ok_or_else(|| anyhow!("parameter facts must be a mapping"))?;
    let mut schema_facts = Map::new();
    for (key, value) in facts {
        if key == "required" {
            param.insert(key.clone(), value.clone());
            mark(param, vec![key.clone()]);
        } else {
            schema_facts.insert(key.clone(), value.clone());
        }
    }
    if !schema_facts.is_empty() {
        let schema = param
            .entry("schema")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| anyhow!("parameter schema is not a mapping"))?;
        set_facts(schema, &schema_facts);
    }
    Ok(())
}

fn apply_schema(schema: &mut Value, facts: &Value, strict: bool) -> Result<()> {
    let facts = facts
        .as_object()
        .ok_or_else(|| anyhow!("schema facts must be a mapping"))?;
    let schema = schema
        .as_object_mut()
        .ok_or_else(|| anyhow!("schema is not a mapping"))?;
    let mut required: Vec<String> = Vec::new();
    let mut order: Option<Vec<String>> = None;
    let mut own = Map::new();
    for (key, value) in facts {
        match key.as_str() {
            "required" => {
                let names = value
                    .as_array()
                    .ok_or_else(|| anyhow!("required must be a list"))?;
                for n in names {
                    required.push(
                        n.as_str()
                            .ok_or_else(|| anyhow!("required names must be strings"))?
                            .to_owned(),
                    );
                }
            }
            "order" => {
                let names: Vec<&str> = value
                    .as_array()
                    .ok_or_else(|| anyhow!("order must be a list"))?
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                order = Some(names.into_iter().map(str::to_owned).collect());
            }
            "properties" => {
                let props = value
                    .as_object()
                    .ok_or_else(|| anyhow!("properties must be a mapping"))?;
                let targets = schema
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .ok_or_else(|| anyhow!("properties is not a mapping"))?;
                for (prop, pfacts) in props {
                    let pfacts = pfacts
                        .as_object()
                        .ok_or_else(|| anyhow!("facts of {prop} must be a mapping"))?;
                    let mut pf = pfacts.clone();
                    if let Some(req) = pf.remove("required") {
                        if req.as_bool() == Some(true) {
                            required.push(prop.clone());
                        } else {
                            bail!("{prop}: required must be true (list it or leave it out)");
                        }
                    }
                    if !targets.contains_key(prop) && !strict {
                        // A shared overlay names every property any version of the
                        // schema has; this version lacks this one.
                        required.retain(|r| r != prop);
                        continue;
                    }
                    if pf.is_empty() {
                        if !targets.contains_key(prop) {
                            bail!("{prop} is not a property");
                        }
                        continue;
                    }
                    match targets.get_mut(prop).and_then(Value::as_object_mut) {
                        Some(target) => set_facts(target, &pf),
                        None if pf.contains_key("type") || pf.contains_key("$ref") => {
                            let mut target = Map::new();
                            set_facts(&mut target, &pf);
                            targets.insert(prop.clone(), Value::Object(target));
                        }
                        None => bail!("{prop} is not a property (give its type to add it)"),
                    }
                }
            }
            _ => {
                own.insert(key.clone(), value.clone());
            }
        }
    }
    if !required.is_empty() {
        let props = schema.get("properties").and_then(Value::as_object);
        if !strict {
            required.retain(|name| props.is_some_and(|p| p.contains_key(name)));
        }
        for name in &required {
            if !props.is_some_and(|p| p.contains_key(name)) {
                bail!("required field {name} is not a property");
            }
        }
        let mut list: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        for name in required {
            if !list.contains(&name) {
                list.push(name);
            }
        }
        schema.insert(
            "required".into(),
            Value::Array(list.into_iter().map(Value::String).collect()),
        );
        mark(schema, vec!["required".into()]);
    }
    if !own.is_empty() {
        set_facts(schema, &own);
    }
    if let Some(order) = order {
        reorder(schema, &order)?;
        mark(schema, vec!["order".into()]);
    }
    sort_keys(schema);
    Ok(())
}

/// Puts the named properties first, in the given order (the order of Alipay's documentation,
/// which is the order of the JSON a model serializes to); the others follow as they were.
fn reorder(schema: &mut Map<String, Value>, order: &[String]) -> Result<()> {
    let props = schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("order given for a schema without properties"))?;
    let mut rest = std::mem::take(props);
    for name in order {
        let value = rest
            .shift_remove(name)
            .ok_or_else(|| anyhow!("order names {name}, which is not a property"))?;
        props.insert(name.clone(), value);
    }
    props.extend(rest);
    Ok(())
}

/// Sets the keywords of `facts` on `target` and marks them as reviewed.
/// A `null` value removes the keyword (a limit the source states wrongly, for instance one its
/// own example values exceed); the keyword is still listed as reviewed.
fn set_facts(target: &mut Map<String, Value>, facts: &Map<String, Value>) {
    let mut marks = Vec::new();
    for (key, value) in facts {
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
        marks.push(key.clone());
    }
    mark(target, marks);
    sort_keys(target);
}

/// Adds `keys` to the `x-alipay-reviewed` list of `target` (sorted, without duplicates).
fn mark(target: &mut Map<String, Value>, keys: Vec<String>) {
    let mut list: Vec<String> = target
        .get(REVIEWED)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    list.extend(keys);
    list.sort();
    list.dedup();
    target.insert(
        REVIEWED.into(),
        Value::Array(list.into_iter().map(Value::String).collect()),
    );
}

/// The order of the top-level keys of an operation file.
pub fn order_top_level(doc: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(doc).into_iter().collect();
    let rank = |k: &str| match k {
        "openapi" => 0,
        "info" => 1,
        k if k.starts_with("x-") => 2,
        "paths" => 3,
        "components" => 4,
        _ => 5,
    };
    entries.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    doc.extend(entries);
}

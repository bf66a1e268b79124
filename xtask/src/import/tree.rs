//! The `specs/` tree: every operation file plus `_shared/schemas.yaml`, loaded into one pool of
//! schemas, updated by an import and written back. A schema reached by one operation is written
//! into that operation's file; a schema reached by several goes once into the shared file.

use super::schema::{collect_refs, rewrite_refs, LOCAL, SHARED};
use super::yamlio;
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Header written at the top of every file of the tree.
const HEADER: &str = "# Written by `cargo xtask import` (specs/README.md). Facts the imported sources lack\n# live in specs/_reviewed/; change those or the sources and re-import.\n";

/// One operation: its document without `components`, references in the local form.
#[derive(Clone, Debug)]
pub struct Operation {
    pub method: String,
    pub family: String,
    pub doc: Value,
}

/// An imported operation and the schemas it reaches (local references).
#[derive(Clone, Debug)]
pub struct Imported {
    pub op: Operation,
    pub schemas: BTreeMap<String, Value>,
}

/// How a newly imported schema meets one of the same name already in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precedence {
    /// The import is the primary source (the v3 OpenAPI document): its definitions win; the
    /// tree keeps only properties the import lacks.
    Replace,
    /// The import only fills gaps (v2 catalogue, doc pages): the tree's definitions win.
    FillIn,
}

pub struct Tree {
    root: PathBuf,
    ops: BTreeMap<String, Operation>,
    pool: BTreeMap<String, Value>,
}

impl Tree {
    /// An empty tree that will be written to `root`.
    pub fn empty(root: &Path) -> Tree {
        Tree {
            root: root.to_owned(),
            ops: BTreeMap::new(),
            pool: BTreeMap::new(),
        }
    }

    /// Loads `root` (a missing directory is an empty tree).
    pub fn load(root: &Path) -> Result<Tree> {
        let mut tree = Tree {
            root: root.to_owned(),
            ops: BTreeMap::new(),
            pool: BTreeMap::new(),
        };
        let shared = root.join("_shared").join("schemas.yaml");
        if shared.exists() {
            let doc = yamlio::load(&shared)?;
            tree.add_schemas(&doc);
        }
        let Ok(dirs) = std::fs::read_dir(root) else {
            return Ok(tree);
        };
        let mut files = Vec::new();
        for dir in dirs {
            let dir = dir?.path();
            let skip = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_none_or(|n| n.starts_with('_') || n.starts_with('.'));
            if skip || !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir)? {
                let file = file?.path();
                if file.extension().and_then(|e| e.to_str()) == Some("yaml") {
                    files.push(file);
                }
            }
        }
        files.sort();
        for file in files {
            let mut doc = yamlio::load(&file)?;
            tree.add_schemas(&doc);
            let obj = doc
                .as_object_mut()
                .ok_or_else(|| anyhow!("{}: not a mapping", file.display()))?;
            obj.remove("components");
            let method = obj
                .get("x-alipay-method")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{}: no x-alipay-method", file.display()))?
                .to_owned();
            let family = obj
                .get("x-alipay-family")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{}: no x-alipay-family", file.display()))?
                .to_owned();
            rewrite_refs(&mut doc, &|n| format!("{LOCAL}{n}"));
            tree.ops.insert(
                method.clone(),
                Operation {
                    method,
                    family,
                    doc,
                },
            );
        }
        Ok(tree)
    }

    fn add_schemas(&mut self, doc: &Value) {
        let Some(schemas) = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        else {
            return;
        };
        for (name, schema) in schemas {
            let mut schema = schema.clone();
            rewrite_refs(&mut schema, &|n| format!("{LOCAL}{n}"));
            self.pool.insert(name.clone(), schema);
        }
    }

    /// The schemas `op` reaches, transitively.
    fn reach(&self, op: &Operation) -> Result<BTreeSet<String>> {
        let mut seen = BTreeSet::new();
        let mut todo = BTreeSet::new();
        collect_refs(&op.doc, &mut todo);
        while let Some(name) = todo.pop_first() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let schema = self.pool.get(&name).ok_or_else(|| {
                anyhow!("{}: schema {name} is referenced but not defined", op.method)
            })?;
            let mut next = BTreeSet::new();
            collect_refs(schema, &mut next);
            todo.extend(next.into_iter().filter(|n| !seen.contains(n)));
        }
        Ok(seen)
    }

    /// Puts the imported operations into the tree, replacing earlier versions of them.
    pub fn insert(&mut self, imported: Vec<Imported>, precedence: Precedence) -> Result<()> {
        // Schemas only the replaced operations reach are dropped first, so that a re-import
        // never keeps what its source no longer has.
        let replaced: BTreeSet<&str> = imported.iter().map(|i| i.op.method.as_str()).collect();
        let mut keep = BTreeSet::new();
        for op in self.ops.values() {
            if !replaced.contains(op.method.as_str()) {
                keep.extend(self.reach(op)?);
            }
        }
        self.pool.retain(|name, _| keep.contains(name));
        for item in imported {
            for (name, schema) in item.schemas {
                let merged = match self.pool.remove(&name) {
                    None => schema,
                    Some(existing) => match precedence {
                        Precedence::Replace => merge(schema, existing),
                        Precedence::FillIn => {
                            let merged = merge(existing, schema.clone());
                            refresh_reviewed(merged, &schema)
                        }
                    },
                };
                self.pool.insert(name, merged);
            }
            if let Some(old) = self.ops.get(&item.op.method) {
                if old.doc.get("x-alipay-v2").is_some() && item.op.doc.get("x-alipay-v2").is_none()
                {
                    eprintln!(
                        "warning: {} loses x-alipay-v2 (v2 protocol); pass --v2-catalogue to keep it",
                        item.op.method
                    );
                }
            }
            self.ops.insert(item.op.method.clone(), item.op);
        }
        Ok(())
    }

    /// Writes the tree, then deletes the operation files of `root` that are not part of it.
    pub fn write_exact(&self) -> Result<Vec<PathBuf>> {
        let changed = self.write()?;
        let keep: BTreeSet<PathBuf> = self.ops.values().map(|op| self.path(op)).collect();
        let Ok(dirs) = std::fs::read_dir(&self.root) else {
            return Ok(changed);
        };
        let mut removed = Vec::new();
        for dir in dirs {
            let dir = dir?.path();
            let special = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_none_or(|n| n.starts_with('_') || n.starts_with('.'));
            if special || !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir)? {
                let file = file?.path();
                let yaml = file.extension().and_then(|e| e.to_str()) == Some("yaml");
                if yaml && !keep.contains(&file) {
                    std::fs::remove_file(&file)
                        .with_context(|| format!("removing {}", file.display()))?;
                    removed.push(file);
                }
            }
            if std::fs::read_dir(&dir)?.next().is_none() {
                std::fs::remove_dir(&dir)?;
            }
        }
        Ok(changed.into_iter().chain(removed).collect())
    }

    fn path(&self, op: &Operation) -> PathBuf {
        self.root
            .join(&op.family)
            .join(format!("{}.yaml", op.method))
    }

    /// Writes every operation file and `_shared/schemas.yaml`; returns the files that changed.
    pub fn write(&self) -> Result<Vec<PathBuf>> {
        let mut reached = BTreeMap::new();
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for op in self.ops.values() {
            let names = self.reach(op)?;
            for name in &names {
                *count.entry(name.clone()).or_default() += 1;
            }
            reached.insert(op.method.clone(), names);
        }
        let is_shared = |name: &str| count.get(name).copied().unwrap_or_default() > 1;
        let mut changed = Vec::new();
        for op in self.ops.values() {
            let mut doc = op.doc.clone();
            rewrite_refs(&mut doc, &|n| reference(n, is_shared(n)));
            let mut schemas = Map::new();
            for name in reached.get(&op.method).into_iter().flatten() {
                if is_shared(name) {
                    continue;
                }
                let mut schema = self.pool.get(name).cloned().unwrap_or(Value::Null);
                rewrite_refs(&mut schema, &|n| reference(n, is_shared(n)));
                schemas.insert(name.clone(), schema);
            }
            let obj = doc
                .as_object_mut()
                .ok_or_else(|| anyhow!("{}: not a mapping", op.method))?;
            obj.insert("components".into(), json!({ "schemas": schemas }));
            let path = self.path(op);
            if write(&path, &doc)? {
                changed.push(path);
            }
        }
        let mut shared = Map::new();
        for (name, schema) in &self.pool {
            if is_shared(name) {
                let mut schema = schema.clone();
                rewrite_refs(&mut schema, &|n| format!("{LOCAL}{n}"));
                shared.insert(name.clone(), schema);
            }
        }
        let doc = json!({
            "openapi": "3.0.3",
            "info": { "title": "shared schemas", "version": "1" },
            "paths": {},
            "components": { "schemas": shared },
        });
        let path = self.root.join("_shared").join("schemas.yaml");
        if write(&path, &doc)? {
            changed.push(path);
        }
        Ok(changed)
    }

    /// Fails when a schema name would be defined twice with different facts by one import.
    pub fn check_unique(imported: &[Imported]) -> Result<()> {
        let mut seen: BTreeMap<&str, &Value> = BTreeMap::new();
        for item in imported {
            for (name, schema) in &item.schemas {
                if let Some(other) = seen.insert(name, schema) {
                    if other != schema {
                        bail!("schema {name} differs between two imported operations");
                    }
                }
            }
        }
        Ok(())
    }
}

fn reference(name: &str, shared: bool) -> String {
    if shared {
        format!("{SHARED}{name}")
    } else {
        format!("{LOCAL}{name}")
    }
}

fn write(path: &Path, doc: &Value) -> Result<bool> {
    let text = format!("{HEADER}{}", yamlio::to_string(doc)?);
    yamlio::write_if_changed(path, &text).with_context(|| format!("writing {}", path.display()))
}

/// Merges two definitions of one schema: `primary`'s keywords and properties win, `secondary`
/// adds the properties `primary` lacks (after `primary`'s, in its own order).
pub fn merge(primary: Value, secondary: Value) -> Value {
    let (Value::Object(mut p), Value::Object(s)) = (primary.clone(), secondary) else {
        return primary;
    };
    if let Some(Value::Object(sprops)) = s.get("properties") {
        let mut props = p
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in sprops {
            if !props.contains_key(k) {
                props.insert(k.clone(), v.clone());
            }
        }
        p.insert("properties".into(), Value::Object(props));
    }
    for (k, v) in &s {
        if !p.contains_key(k) {
            p.insert(k.clone(), v.clone());
        }
    }
    super::schema::sort_keys(&mut p);
    Value::Object(p)
}

/// After a fill-in merge, the facts the new import's overlays set (its `x-alipay-reviewed`
/// keywords) still win over the tree's, so that an edited overlay always lands.
fn refresh_reviewed(merged: Value, new: &Value) -> Value {
    let (Value::Object(mut m), Some(n)) = (merged, new.as_object()) else {
        return new.clone();
    };
    copy_reviewed(&mut m, n);
    if let (Some(Value::Object(mprops)), Some(Value::Object(nprops))) =
        (m.get_mut("properties"), n.get("properties"))
    {
        for (name, nprop) in nprops {
            if let (Some(Value::Object(mp)), Some(np)) = (mprops.get_mut(name), nprop.as_object()) {
                copy_reviewed(mp, np);
            }
        }
    }
    Value::Object(m)
}

fn copy_reviewed(target: &mut Map<String, Value>, source: &Map<String, Value>) {
    let keys: Vec<String> = source
        .get(super::overlay::REVIEWED)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    if keys.is_empty() {
        return;
    }
    for key in &keys {
        if key == "required" {
            // A required list is the union: the new version of the schema may lack a
            // property (and so the name) that the tree's version has.
            let mut list: Vec<Value> = target
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for name in source
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !list.contains(name) {
                    list.push(name.clone());
                }
            }
            target.insert("required".into(), Value::Array(list));
            continue;
        }
        match source.get(key) {
            Some(v) => {
                target.insert(key.clone(), v.clone());
            }
            None => {
                target.remove(key);
            }
        }
    }
    if let Some(v) = source.get(super::overlay::REVIEWED) {
        target.insert(super::overlay::REVIEWED.into(), v.clone());
    }
    super::schema::sort_keys(target);
}

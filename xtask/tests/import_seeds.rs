//! The committed specs: re-importing them from the sources beside the workspace
//! (`../shared`) reproduces every file byte for byte, and their facts hold together.

#[path = "fixtures/import/support.rs"]
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::*;

fn shared() -> PathBuf {
    workspace()
        .parent()
        .expect("workspace has a parent")
        .join("shared")
}

fn specs() -> PathBuf {
    workspace().join("specs")
}

#[test]
fn reimporting_the_sources_reproduces_the_committed_specs() {
    let sources = shared();
    let plan = std::fs::read_to_string(specs().join("_imports.yaml")).expect("specs/_imports.yaml");
    let mut missing = Vec::new();
    for line in plan.lines() {
        let t = line.trim_start().trim_start_matches("- ");
        for key in ["openapi: ", "v2-catalogue: ", "markdown: ", "v2: "] {
            if let Some(rel) = t.strip_prefix(key) {
                if !sources.join(rel.trim()).exists() {
                    missing.push(sources.join(rel.trim()).display().to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the sources of specs/ are missing (the upstream documents and seed pages belong in \
         {} beside the workspace):\n{}",
        sources.display(),
        missing.join("\n")
    );
    let out = fresh_dir("seeds-reimport");
    std::fs::copy(specs().join("_imports.yaml"), out.join("_imports.yaml")).expect("copy plan");
    copy_dir(&specs().join("_reviewed"), &out.join("_reviewed"));
    import_ok(&[
        "all",
        "--sources",
        &sources.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_same_tree_strict(&out, &specs());
}

/// Like `assert_same_tree`, but never rewrites the committed specs.
fn assert_same_tree_strict(actual: &Path, expected: &Path) {
    let skip = ["README.md"];
    let got = tree(actual, &skip);
    let want = tree(expected, &skip);
    let names =
        |m: &std::collections::BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&got),
        names(&want),
        "files of a fresh import vs specs/"
    );
    for (rel, bytes) in &want {
        assert!(
            got.get(rel) == Some(bytes),
            "specs/{rel} differs from a fresh import: run `cargo xtask import all` and commit"
        );
    }
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read spec");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every schema of the tree with the file it is in.
fn schemas() -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (rel, _) in tree(&specs(), &["_reviewed", "_imports.yaml", "README.md"]) {
        let doc = load(&specs().join(&rel));
        if let Some(map) = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for (name, schema) in map {
                out.push((rel.clone(), name.clone(), schema.clone()));
            }
        }
    }
    out
}

fn check_field(where_: &str, schema: &Value, problems: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if obj.contains_key("$ref") {
        return;
    }
    let ty = obj.get("type").and_then(Value::as_str);
    if ty.is_none() && !obj.contains_key("anyOf") {
        problems.push(format!("{where_}: no type"));
    }
    if let Some(example) = obj.get("example") {
        let fits = match ty {
            Some("string") => example.is_string(),
            Some("integer") => example.is_i64() || example.is_u64(),
            Some("number") => example.is_number(),
            Some("boolean") => example.is_boolean(),
            Some("array") => example.is_array(),
            Some("object") => example.is_object(),
            _ => true,
        };
        if !fits {
            problems.push(format!("{where_}: example {example} is not a {ty:?}"));
        }
        if let (Some(s), Some(max)) = (
            example.as_str(),
            obj.get("maxLength").and_then(Value::as_u64),
        ) {
            if s.chars().count() as u64 > max {
                problems.push(format!("{where_}: example {s:?} is longer than {max}"));
            }
        }
        if let Some(values) = obj.get("enum").and_then(Value::as_array) {
            if !values.contains(example) {
                problems.push(format!(
                    "{where_}: example {example} is not one of its enum values"
                ));
            }
        }
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for name in obj
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !props.contains_key(name) {
                problems.push(format!("{where_}: required {name} is not a property"));
            }
        }
        for (name, prop) in props {
            check_field(&format!("{where_}.{name}"), prop, problems);
        }
    }
    if let Some(items) = obj.get("items") {
        check_field(&format!("{where_}[]"), items, problems);
    }
}

#[test]
fn every_field_has_a_type_and_consistent_facts() {
    let mut problems = Vec::new();
    for (file, name, schema) in schemas() {
        check_field(&format!("{file}: {name}"), &schema, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every field of the seed operations' schemas carries an example, shared schemas included
/// (the error models and fields that are themselves objects or lists of objects are exempt).
#[test]
fn every_field_has_an_example() {
    let mut problems = Vec::new();
    for (file, name, schema) in schemas() {
        if name.contains("ErrorResponse")
            || name.ends_with("_default_response")
            || name == "CommonErrorType"
        {
            continue;
        }
        for (field, prop) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let is_ref = prop.get("$ref").is_some() || prop.pointer("/items/$ref").is_some();
            if !is_ref && prop.get("example").is_none() {
                problems.push(format!("{file}: {name}.{field} has no example"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} fields without an example:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn labels_are_short_in_every_spec() {
    for (file, label) in labels(&specs()) {
        assert!(
            label.chars().count() <= 20,
            "{file}: label {label:?} is longer than 20 characters"
        );
        assert!(
            !label.contains('<') && !label.contains("http"),
            "{file}: {label:?}"
        );
    }
}

fn strings_under(value: &Value, keys: &[&str], out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if keys.contains(&k.as_str()) => {
                        out.insert(s.clone());
                    }
                    _ => strings_under(v, keys, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_under(v, keys, out)),
        _ => {}
    }
}

/// The importer handles every operation of the upstream v3 document, and no label it writes
/// is an upstream description longer than a label may be.
#[test]
fn the_whole_upstream_document_imports_with_labels_only() {
    let upstream = shared().join("upstream/alipay-openapi-v3.yaml");
    assert!(
        upstream.exists(),
        "{} is missing (the upstream documents belong in ../shared beside the workspace)",
        upstream.display()
    );
    let doc = load(&upstream);
    let mut ops = Vec::new();
    for item in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
    {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ops.push(id.to_owned());
            }
        }
    }
    assert!(ops.len() > 700, "{} operations upstream", ops.len());
    let mut prose = std::collections::BTreeSet::new();
    strings_under(&doc, &["description", "summary"], &mut prose);
    prose.retain(|d| d.chars().count() > 20);

    let out = fresh_dir("whole-upstream");
    let mut args = vec![
        "openapi".to_owned(),
        upstream.to_string_lossy().into_owned(),
        "--op".to_owned(),
    ];
    args.push(ops.join(","));
    args.extend(["--out".to_owned(), out.to_string_lossy().into_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    import_ok(&args);
    let files = tree(&out, &["_shared"]);
    assert_eq!(files.len(), ops.len(), "one file per operation");
    for (file, label) in labels(&out) {
        assert!(label.chars().count() <= 20, "{file}: {label:?}");
        assert!(
            !prose.contains(&label),
            "{file}: {label:?} is upstream prose"
        );
    }
}

/// Every operation file and the shared schemas are OpenAPI 3.0 documents, and a v3 operation
/// has exactly one operation under `paths`.
#[test]
fn every_spec_file_is_an_openapi_document() {
    for (rel, bytes) in tree(&specs(), &["_reviewed", "_imports.yaml", "README.md"]) {
        let text = String::from_utf8_lossy(&bytes);
        let doc: openapiv3::OpenAPI =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("specs/{rel}: {e}"));
        assert!(
            doc.openapi.starts_with("3.0."),
            "specs/{rel}: openapi {}",
            doc.openapi
        );
        let raw = load(&specs().join(&rel));
        let protocols = raw
            .get("x-alipay-protocols")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let operations = doc.operations().count();
        if protocols.contains(&Value::from("v3")) {
            assert_eq!(
                operations, 1,
                "specs/{rel}: a v3 operation has one REST operation"
            );
        } else {
            assert_eq!(
                operations, 0,
                "specs/{rel}: a v2-only operation has `paths: {{}}`"
            );
        }
    }
}

//! The label rule on the fixture imports: a label is never longer than the limit and never an
//! input description that is longer than the limit (a pasted sentence).

#[path = "fixtures/import/support.rs"]
mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use support::*;

const MAX: usize = 20;

fn descriptions(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("description" | "summary", Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    _ => descriptions(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| descriptions(v, out)),
        _ => {}
    }
}

fn load(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read fixture");
    serde_yaml::from_str(&text).expect("fixture is YAML")
}

#[test]
fn labels_are_short_and_never_the_input_prose() {
    let input = fixtures().join("openapi/input");
    let mut prose = BTreeSet::new();
    descriptions(&load(&input.join("openapi.yaml")), &mut prose);
    descriptions(&load(&input.join("v2-catalogue.yaml")), &mut prose);
    let long: Vec<&String> = prose.iter().filter(|d| d.chars().count() > MAX).collect();
    assert!(
        long.len() >= 5,
        "the fixture has long descriptions to test with"
    );

    let out = fresh_dir("labels");
    copy_dir(&input.join("_reviewed"), &out.join("_reviewed"));
    import_ok(&[
        "openapi",
        &input.join("openapi.yaml").to_string_lossy(),
        "--op",
        "demo.shop.order.create,demo.shop.order.query",
        "--v2-catalogue",
        &input.join("v2-catalogue.yaml").to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    let found = labels(&out);
    assert!(found.len() > 20, "labels found: {}", found.len());
    for (file, label) in &found {
        assert!(!label.is_empty(), "{file}: empty label");
        assert!(
            label.chars().count() <= MAX,
            "{file}: {label:?} is longer than {MAX}"
        );
        assert!(
            !long.contains(&label),
            "{file}: {label:?} is a whole input sentence"
        );
    }
    // The markdown importer keeps to the same rule.
    let md = fresh_dir("labels-md");
    import_ok(&[
        "markdown",
        &fixtures().join("markdown/demo.rent.txt").to_string_lossy(),
        "--out",
        &md.to_string_lossy(),
    ]);
    for (file, label) in labels(&md) {
        assert!(
            label.chars().count() <= MAX,
            "{file}: {label:?} is longer than {MAX}"
        );
        assert!(!label.contains("没有任何标点符号"), "{file}: {label:?}");
    }
}

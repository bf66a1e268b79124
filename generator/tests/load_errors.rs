//! The loader rejects malformed specs with an error naming the file and the problem, and
//! never panics; the sanitizer turns any text into an identifier.

use alipay_codegen::load::{load_document, load_sources};
use alipay_codegen::naming::{sanitize, Case};
use proptest::prelude::*;

fn err(sources: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = sources
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    load_sources(&owned)
        .expect_err("must be rejected")
        .to_string()
}

const OP: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
x-alipay-method: demo.a.query
x-alipay-family: demo.a
paths:
  /v3/demo/a/query:
    get:
      operationId: demo.a.query
      responses: {}
components:
  schemas:
    Shared: {type: object}
"#;

#[test]
fn malformed_specs_are_errors() {
    assert!(err(&[("bad.yaml", "paths: [1, 2")]).starts_with("bad.yaml: not a valid spec"));
    let twice = err(&[("a.yaml", OP), ("b.yaml", OP)]);
    assert!(
        twice.contains("schema `Shared` is also defined in a.yaml"),
        "{twice}"
    );
    let no_shared = OP.replace("components:\n  schemas:\n    Shared: {type: object}\n", "");
    let dup = err(&[("a.yaml", OP), ("b.yaml", &no_shared)]);
    assert!(
        dup.contains("operation `demo.a.query` is defined twice"),
        "{dup}"
    );
    let proto = err(&[(
        "p.yaml",
        &OP.replace(
            "x-alipay-family",
            "x-alipay-protocols: [v4]\nx-alipay-family",
        ),
    )]);
    assert!(proto.contains("unknown protocol `v4`"), "{proto}");
    let safety = err(&[(
        "s.yaml",
        &OP.replace(
            "x-alipay-family",
            "x-alipay-safety: sometimes\nx-alipay-family",
        ),
    )]);
    assert!(
        safety.contains("unknown x-alipay-safety `sometimes`"),
        "{safety}"
    );
    let two = OP.replace(
        "components:",
        "  /v3/demo/a/other:\n    post:\n      operationId: demo.a.other\n      responses: {}\ncomponents:",
    );
    assert!(err(&[("two.yaml", &two)]).contains("exactly one operation under `paths`, found 2"));
    let placeholder = OP.replace("/v3/demo/a/query:", "/v3/demo/a/{id}:");
    assert!(err(&[("ph.yaml", &placeholder)]).contains("has `{id}` but no path parameter"));
    let no_id = "openapi: 3.0.3\npaths:\n  /x:\n    get:\n      responses: {}\n";
    assert!(load_document(no_id)
        .expect_err("no operationId")
        .to_string()
        .contains("has no operationId"));
}

#[test]
fn dangling_refs_are_counted_not_fatal() {
    let text = OP.replace(
        "    Shared: {type: object}",
        "    Shared:\n      type: object\n      properties:\n        x: {$ref: '#/components/schemas/Missing'}",
    );
    let api = load_document(&text).expect("loads");
    assert!(api
        .lossy
        .dangling_refs
        .contains("#/components/schemas/Missing"));
}

proptest! {
    #[test]
    fn any_text_sanitizes_to_an_identifier(text in "\\PC{0,24}") {
        for case in [Case::UpperCamel, Case::Snake, Case::ShoutySnake] {
            let name = sanitize(&text, case, "value");
            prop_assert!(syn::parse_str::<syn::Ident>(&name.source()).is_ok(), "{:?} -> {:?}", text, name);
            let _ = name.ident();
        }
    }

    #[test]
    fn any_yaml_loads_or_errors_without_panicking(text in "[ -~\\n]{0,200}") {
        let _ = load_document(&text);
    }
}

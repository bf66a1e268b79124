//! The seed specs and Alipay's v3 document agree: for every operation in `specs/` that the
//! upstream document has, the lowered request and success response carry every upstream
//! field (wire name and type, nested models included) and the same v3 route. Facts the specs
//! add on purpose (required flags, limits, examples, enums for upstream strings, fields from
//! the API documentation that the document lacks) are allowed.

use alipay_codegen::ir::{Api, Field, Operation, ResponseBody, SchemaKind, Type};
use std::collections::BTreeMap;
use std::path::Path;

/// The comparable shape of a type; enums count as strings (specs add enums).
#[derive(Debug, PartialEq)]
enum Shape {
    Leaf(&'static str),
    Array(Box<Shape>),
    Object(BTreeMap<String, Shape>),
}

fn shape(api: &Api, ty: &Type, depth: usize) -> Shape {
    match ty {
        Type::String => Shape::Leaf("string"),
        Type::Integer { .. } => Shape::Leaf("integer"),
        Type::Number { .. } => Shape::Leaf("number"),
        Type::Boolean => Shape::Leaf("boolean"),
        Type::Array(inner) => Shape::Array(Box::new(shape(api, inner, depth))),
        Type::Json => Shape::Leaf("json"),
        Type::JsonMap => Shape::Leaf("map"),
        Type::Binary => Shape::Leaf("binary"),
        Type::Named(key) => match api.schemas.get(key).map(|s| &s.kind) {
            Some(SchemaKind::Enum { .. }) => Shape::Leaf("string"),
            Some(SchemaKind::Alias(inner)) => shape(api, inner, depth),
            Some(SchemaKind::Object { fields }) if depth < 6 => object(api, fields, depth + 1),
            Some(SchemaKind::Object { .. }) => Shape::Leaf("object"),
            None => Shape::Leaf("missing"),
        },
    }
}

fn object(api: &Api, fields: &[Field], depth: usize) -> Shape {
    Shape::Object(
        fields
            .iter()
            .map(|f| (f.wire_name.clone(), shape(api, &f.ty, depth)))
            .collect(),
    )
}

fn response(api: &Api, op: &Operation) -> Shape {
    match &op.response {
        ResponseBody::Named(key) => shape(api, &Type::Named(key.clone()), 0),
        ResponseBody::Inline(fields) => object(api, fields, 1),
    }
}

/// Every field of `upstream` is in `ours` with a covering shape; differences go to `out`.
fn covers(ours: &Shape, upstream: &Shape, path: &str, out: &mut Vec<String>) {
    match (ours, upstream) {
        (Shape::Object(a), Shape::Object(b)) => {
            for (name, theirs) in b {
                match a.get(name) {
                    Some(mine) => covers(mine, theirs, &format!("{path}.{name}"), out),
                    None => out.push(format!("{path}.{name}: missing from the spec")),
                }
            }
        }
        (Shape::Array(a), Shape::Array(b)) => covers(a, b, &format!("{path}[]"), out),
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: spec has {a:?}, upstream {b:?}")),
    }
}

#[test]
fn seed_specs_carry_the_upstream_fields() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let upstream_path = root.join("../shared/upstream/alipay-openapi-v3.yaml");
    let text = std::fs::read_to_string(&upstream_path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; this test needs Alipay's v3 document at ../shared/upstream/",
            upstream_path.display()
        )
    });
    let upstream = alipay_codegen::load::load_document(&text).expect("upstream loads");
    let specs = alipay_codegen::load::load_spec_dir(&root.join("specs")).expect("specs load");
    let mut compared = 0;
    let mut problems = Vec::new();
    for (name, op) in &specs.operations {
        let Some(up) = upstream.operations.get(name) else {
            continue;
        };
        compared += 1;
        covers(
            &object(&specs, &op.request, 1),
            &object(&upstream, &up.request, 1),
            &format!("{name} request"),
            &mut problems,
        );
        covers(
            &response(&specs, op),
            &response(&upstream, up),
            &format!("{name} response"),
            &mut problems,
        );
        let route = |o: &Operation| {
            o.v3.as_ref().map(|r| {
                (
                    r.method,
                    r.path.clone(),
                    r.path_params.clone(),
                    r.query_params.clone(),
                    r.body.clone(),
                )
            })
        };
        if route(op) != route(up) {
            problems.push(format!(
                "{name} v3 route: spec {:?}, upstream {:?}",
                route(op),
                route(up)
            ));
        }
    }
    assert!(
        compared >= 9,
        "only {compared} seed operations found upstream"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

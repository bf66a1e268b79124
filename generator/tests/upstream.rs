//! The whole upstream v3 document (`../shared/upstream/alipay-openapi-v3.yaml`, next to the
//! workspace) lowers into the IR, emits, and every emitted file parses with `syn`. Prints
//! counts of what the IR cannot represent faithfully.
//!
//! The document is reference data kept outside the repository; the test fails when it is
//! missing rather than passing without having run.

use std::path::Path;

#[test]
fn whole_upstream_document_lowers_emits_and_parses() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream/alipay-openapi-v3.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nthe whole-upstream test needs Alipay's v3 document at ../shared/upstream/ \
             relative to the workspace root (CI provides it there)",
            path.display()
        )
    });
    let api = alipay_codegen::load::load_document(&text).expect("upstream lowers into the IR");
    let plan = alipay_codegen::plan::Plan::new(&api);
    let files = alipay_codegen::crate_files(&api).expect("upstream emits");

    let mut bytes = 0;
    for (name, content) in &files {
        bytes += content.len();
        if name.ends_with(".rs") {
            syn::parse_file(content).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        }
    }
    let unreachable = plan.unreachable(&api).len();
    println!(
        "upstream: {} operations, {} named schemas in the IR",
        api.operations.len(),
        api.schemas.len()
    );
    println!(
        "emitted: {} modules, {} types, {} files, {} bytes",
        plan.modules.len(),
        plan.types.len(),
        files.len(),
        bytes
    );
    println!("not represented faithfully:");
    for line in api.lossy.report() {
        println!("  {line}");
    }
    println!(
        "  named schemas not emitted (reached only from error responses or nothing): {unreachable}"
    );

    assert_eq!(
        api.operations.len(),
        761,
        "every upstream operation is in the IR"
    );
    assert!(
        api.lossy.dangling_refs.is_empty(),
        "dangling refs: {:?}",
        api.lossy.dangling_refs
    );
    for op in api.operations.values() {
        assert!(plan.ops.contains_key(&op.name), "{} has a plan", op.name);
    }
}

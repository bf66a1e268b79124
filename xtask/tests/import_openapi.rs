//! `cargo xtask import openapi` and `import v2` on a small fixture document: golden files,
//! determinism, facts only, errors.

#[path = "fixtures/import/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use support::*;

fn input(name: &str) -> String {
    fixtures()
        .join("openapi/input")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Imports the two v3 operations, then the v2-only one, into a fresh `out`.
fn import_fixture(name: &str) -> PathBuf {
    let out = fresh_dir(name);
    copy_dir(
        &fixtures().join("openapi/input/_reviewed"),
        &out.join("_reviewed"),
    );
    let dir = out.to_string_lossy().into_owned();
    import_ok(&[
        "openapi",
        &input("openapi.yaml"),
        "--op",
        "demo.shop.order.create",
        "demo.shop.order.query",
        "--v2-catalogue",
        &input("v2-catalogue.yaml"),
        "--out",
        &dir,
    ]);
    import_ok(&[
        "v2",
        &input("v2-catalogue.yaml"),
        "--method",
        "demo.shop.order.sync",
        "--out",
        &dir,
    ]);
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn matches_the_golden_files() {
    let out = import_fixture("openapi-golden");
    assert_same_tree(&out, &fixtures().join("openapi/expected"), &["_reviewed"]);
}

#[test]
fn same_bytes_on_every_run() {
    let a = import_fixture("openapi-run-a");
    let b = import_fixture("openapi-run-b");
    assert_eq!(tree(&a, &[]), tree(&b, &[]));
    // Importing again into the same tree changes nothing.
    let before = tree(&a, &[]);
    let stdout = import_ok(&[
        "openapi",
        &input("openapi.yaml"),
        "--op",
        "demo.shop.order.query",
        "demo.shop.order.create",
        "--v2-catalogue",
        &input("v2-catalogue.yaml"),
        "--out",
        &a.to_string_lossy(),
    ]);
    assert!(stdout.contains("up to date"), "{stdout}");
    assert_eq!(before, tree(&a, &[]));
}

#[test]
fn shared_schemas_are_defined_once_and_referenced() {
    let out = import_fixture("openapi-shared");
    let shared = read(&out.join("_shared/schemas.yaml"));
    let create = read(&out.join("demo.shop/demo.shop.order.create.yaml"));
    let query = read(&out.join("demo.shop/demo.shop.order.query.yaml"));
    let sync = read(&out.join("demo.shop/demo.shop.order.sync.yaml"));
    // DemoItem is reached by all three, CommonErrorType by the two v3 operations.
    for name in ["DemoItem:", "CommonErrorType:"] {
        assert!(shared.contains(&format!("    {name}")), "{name} not shared");
        for (file, text) in [("create", &create), ("query", &query)] {
            assert!(
                !text.contains(&format!("    {name}")),
                "{name} copied into {file}"
            );
        }
    }
    assert!(create.contains("$ref: \"../_shared/schemas.yaml#/components/schemas/DemoItem\""));
    assert!(sync.contains("$ref: \"../_shared/schemas.yaml#/components/schemas/DemoItem\""));
    // DemoAddress is reached by create only: it stays local.
    assert!(create.contains("    DemoAddress:"));
    assert!(create.contains("$ref: \"#/components/schemas/DemoAddress\""));
    assert!(!shared.contains("DemoAddress"));
    // The v3 definition wins; the v2 catalogue only adds the property v3 lacks.
    assert!(shared.contains("        barcode:"));
    assert!(shared.contains("description: 商品编号"));
    assert!(!shared.contains("商品的编号"));
    // Schemas no operation reaches are not copied.
    assert!(!shared.contains("Unreached") && !create.contains("Unreached"));
}

#[test]
fn facts_only_no_upstream_prose() {
    let out = import_fixture("openapi-facts");
    let all: String = tree(&out, &["_reviewed"])
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    for prose in [
        "这一段是操作的长篇说明",
        "查询演示订单",
        "由商户自定义，和平台订单号",
        "单位为元，精确到小数点后两位",
        "href",
        "xml",
        "x-content-type",
        "x-accepts",
    ] {
        assert!(!all.contains(prose), "{prose:?} leaked into the specs");
    }
    let query = read(&out.join("demo.shop/demo.shop.order.query.yaml"));
    // Long description without punctuation: a label made from the name.
    assert!(query.contains("description: page size"), "{query}");
    // Leading phrase up to the first punctuation mark.
    assert!(query.contains("description: 商户订单号"), "{query}");
}

#[test]
fn v2_facts_and_overlays() {
    let out = import_fixture("openapi-v2");
    let create = read(&out.join("demo.shop/demo.shop.order.create.yaml"));
    assert!(create.contains("x-alipay-protocols: [v2, v3]"), "{create}");
    assert!(create.contains("  need_encrypt: true"));
    assert!(create.contains("  text_params: [operator_token]"));
    assert!(create.contains("x-alipay-safety: mutating"));
    let query = read(&out.join("demo.shop/demo.shop.order.query.yaml"));
    // Not in the catalogue: v3 only. A GET is read-only.
    assert!(query.contains("x-alipay-protocols: [v3]"), "{query}");
    assert!(query.contains("x-alipay-safety: read-only"));
    assert!(!query.contains("x-alipay-v2"));
    // Reviewed parameter facts: `required` on the parameter, limits on its schema.
    assert!(query.contains("required: true\n"), "{query}");
    assert!(query.contains("x-alipay-reviewed: [required]"), "{query}");
    assert!(query.contains("x-alipay-reviewed: [maxLength]"), "{query}");
    // Reviewed property facts and the order of the documentation.
    let model = create
        .split("    DemoShopOrderCreateModel:")
        .nth(1)
        .expect("model in create");
    let first = model.find("out_order_no:").expect("out_order_no");
    let second = model.find("total_amount:").expect("total_amount");
    let rest = model.find("address:").expect("address");
    assert!(first < second && second < rest, "{model}");
    assert!(
        model.contains("required: [out_order_no, total_amount]"),
        "{model}"
    );
    assert!(
        model.contains("x-alipay-reviewed: [order, required]"),
        "{model}"
    );
    assert!(
        model.contains("x-alipay-reviewed: [example, maxLength]"),
        "{model}"
    );
    let sync = read(&out.join("demo.shop/demo.shop.order.sync.yaml"));
    assert!(sync.contains("paths: {}"));
    assert!(sync.contains("$ref: \"#/components/schemas/DemoShopOrderSyncModel\""));
    assert!(sync.contains("x-alipay-protocols: [v2]"));
}

#[test]
fn errors_are_reported() {
    let out = fresh_dir("openapi-errors");
    let dir = out.to_string_lossy().into_owned();
    let (ok, _, stderr) = import(&[
        "openapi",
        &input("openapi.yaml"),
        "--op",
        "demo.nope",
        "--out",
        &dir,
    ]);
    assert!(!ok);
    assert!(stderr.contains("demo.nope"), "{stderr}");

    std::fs::create_dir_all(out.join("_reviewed")).expect("mkdir");
    std::fs::write(
        out.join("_reviewed/demo.shop.order.query.yaml"),
        "schemas:\n  NoSuchSchema:\n    properties:\n      x: { example: \"1\" }\n",
    )
    .expect("write overlay");
    let (ok, _, stderr) = import(&[
        "openapi",
        &input("openapi.yaml"),
        "--op",
        "demo.shop.order.query",
        "--out",
        &dir,
    ]);
    assert!(!ok);
    assert!(stderr.contains("NoSuchSchema"), "{stderr}");

    std::fs::write(
        out.join("_reviewed/demo.shop.order.query.yaml"),
        "schemas:\n  DemoShopOrderQueryResponseModel:\n    properties:\n      typo: { example: \"1\" }\n",
    )
    .expect("write overlay");
    let (ok, _, stderr) = import(&[
        "openapi",
        &input("openapi.yaml"),
        "--op",
        "demo.shop.order.query",
        "--out",
        &dir,
    ]);
    assert!(!ok);
    assert!(stderr.contains("typo"), "{stderr}");
    assert!(
        !out.join("demo.shop").exists(),
        "nothing is written after an error"
    );
}

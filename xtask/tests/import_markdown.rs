//! `cargo xtask import markdown` on a doc page in the table format of Alipay's API docs.

#[path = "fixtures/import/support.rs"]
mod support;

use support::*;

fn import_fixture(name: &str) -> std::path::PathBuf {
    let out = fresh_dir(name);
    let doc = fixtures().join("markdown/demo.rent.txt");
    import_ok(&[
        "markdown",
        &doc.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    out
}

#[test]
fn matches_the_golden_files() {
    let out = import_fixture("markdown-golden");
    assert_same_tree(&out, &fixtures().join("markdown/expected"), &[]);
}

#[test]
fn same_bytes_on_every_run() {
    let a = import_fixture("markdown-run-a");
    let b = import_fixture("markdown-run-b");
    assert_eq!(tree(&a, &[]), tree(&b, &[]));
}

#[test]
fn tables_become_a_v2_spec() {
    let out = import_fixture("markdown-facts");
    let spec = std::fs::read_to_string(out.join("demo.shop/demo.shop.rent.query.yaml"))
        .expect("spec written under the family of the method row's example");
    for fact in [
        "x-alipay-method: demo.shop.rent.query",
        "x-alipay-family: demo.shop",
        "x-alipay-protocols: [v2]",
        "x-alipay-safety: read-only",
        "response_key: demo_shop_rent_query_response",
        "$ref: \"#/components/schemas/DemoShopRentQueryModel\"",
        "$ref: \"#/components/schemas/DemoShopRentQueryResponse\"",
        // 必须 / 必填 are required, 可选 / 否 / 选填 are not.
        "required: [out_order_no]",
        "required: [order_no, state]",
        // A cell that spans lines, with its VALUE:label list.
        "enum: [open, done]",
        "open: 进行中",
        "- code: DEMO.NOT_FOUND",
        "label: 订单不存在",
        "format: int64",
        "format: price",
        "example: [gift]",
        "example: true",
        "example: 1\n",
        "maxLength: 32",
    ] {
        assert!(spec.contains(fact), "missing {fact:?} in\n{spec}");
    }
    // Common parameters and common response fields are recognised, never fields.
    for common in [
        "app_id",
        "charset",
        "biz_content",
        "sub_code",
        "msg",
        "sign",
    ] {
        let field = format!("\n        {common}:");
        assert!(!spec.contains(&field), "{common} emitted as a field");
    }
    // No prose: the long description became a label made from the name.
    assert!(spec.contains("description: fee"), "{spec}");
    assert!(!spec.contains("商户侧唯一"));
}

#[test]
fn a_page_without_a_method_row_is_an_error() {
    let out = fresh_dir("markdown-error");
    let doc = out.join("page.txt");
    std::fs::write(&doc, "参数 | 类型 | 是否必填 | 最大长度 | 描述 | 示例值 |\n---|---|---|---|---|---|\nx | String | 是 | 1 | 某字段 | a |\n")
        .expect("write page");
    let (ok, _, stderr) = import(&[
        "markdown",
        &doc.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert!(!ok);
    assert!(stderr.contains("method"), "{stderr}");
}

//! Compiles the snapshot files (as modules named like their families) and exercises them:
//! the generated code of every fixture builds, serializes by wire name and carries the
//! right descriptors.
//!
//! The crate declares the fixtures' family features and `full-serde` and enables them for
//! its tests, so the `cfg`s in the snapshots are evaluated as in the generated crate.

#[rustfmt::skip]
#[allow(dead_code)]
#[path = "snapshots/demo_trade.rs"]
mod demo_trade;

#[rustfmt::skip]
#[allow(dead_code)]
#[path = "snapshots/demo_files.rs"]
mod demo_files;

#[rustfmt::skip]
#[allow(dead_code)]
#[path = "snapshots/demo_legacy.rs"]
mod demo_legacy;

#[rustfmt::skip]
#[allow(dead_code)]
#[path = "snapshots/demo_shared.rs"]
mod demo_shared;

#[rustfmt::skip]
#[allow(dead_code)]
#[path = "snapshots/demo_other.rs"]
mod demo_other;

#[rustfmt::skip]
#[allow(dead_code)]
#[path = "snapshots/demo_shared_shared.rs"]
mod shared;

use alipay_runtime::{ApiRequest, HttpMethod, Safety, V3Body};
use serde_json::json;

#[test]
fn request_serializes_by_wire_name() {
    let req = demo_trade::DemoTradeCreateRequest::new("T-1", "9.90")
        .out_trade_no_2("legacy")
        .r#type("借出")
        ._1st_goods("pear")
        .quantity(3)
        .goods_detail(vec![demo_trade::DemoGoods::new("g-1").price("1.00")]);
    let value = serde_json::to_value(&req).expect("serializes");
    assert_eq!(
        value,
        json!({
            "out_trade_no": "T-1",
            "total_amount": "9.90",
            "outTradeNo": "legacy",
            "type": "借出",
            "1st_goods": "pear",
            "quantity": 3,
            "goods_detail": [{"goods_id": "g-1", "price": "1.00"}]
        })
    );
}

#[test]
fn open_enums_keep_unknown_values() {
    use demo_trade::DemoTradeCreateResponseTradeStatus as Status;
    let resp: demo_trade::DemoTradeCreateResponse = serde_json::from_value(json!({
        "trade_no": "2013",
        "trade_status": "TRADE_FINISHED",
        "something_new": {"x": 1},
        "goods": [{"goods_id": "g"}]
    }))
    .expect("unknown fields and values are accepted");
    assert_eq!(
        resp.trade_status,
        Some(Status::Unknown("TRADE_FINISHED".to_string()))
    );
    assert_eq!(
        resp.trade_status.as_ref().map(Status::as_str),
        Some("TRADE_FINISHED")
    );
    assert_eq!(Status::from("WAIT_BUYER_PAY"), Status::WaitBuyerPay);
    assert_eq!(Status::TradeSuccess.to_string(), "TRADE_SUCCESS");
    assert_eq!(
        demo_trade::DemoTradeCreateType::from("app-key-security-risk, app-cert-expired").as_str(),
        "app-key-security-risk, app-cert-expired"
    );
}

#[test]
fn descriptors_carry_the_routes() {
    let op = <demo_trade::DemoTradeCreateRequest as ApiRequest>::OPERATION;
    assert_eq!(op.name, "demo.trade.create");
    assert_eq!(op.safety, Safety::Mutating);
    let v2 = op.v2.expect("v2 route");
    assert_eq!(v2.response_key, "demo_trade_create_response");
    assert!(v2.biz_content);
    let v3 = op.v3.expect("v3 route");
    assert_eq!(
        (v3.method, v3.path, v3.body),
        (HttpMethod::Post, "/v3/demo/trade/create", V3Body::Json)
    );

    let q = <demo_files::DemoFilesQueryRequest as ApiRequest>::OPERATION;
    assert_eq!(q.safety, Safety::ReadOnly);
    assert!(q.v2.is_none());
    let v3 = q.v3.expect("v3 route");
    assert_eq!(v3.method, HttpMethod::Get);
    assert_eq!(v3.path, "/v3/demo/files/{file_id}");
    assert_eq!(v3.path_params, &["file_id"]);
    assert_eq!(v3.query_params, &["page_size", "self"]);
    assert_eq!(v3.body, V3Body::None);

    let up = <demo_files::DemoFilesUploadRequest as ApiRequest>::OPERATION;
    assert_eq!(
        up.v3.map(|r| r.body),
        Some(V3Body::Multipart {
            files: &["file_content"]
        })
    );

    let legacy = <demo_legacy::DemoLegacyOrderQueryRequest as ApiRequest>::OPERATION;
    assert!(legacy.v3.is_none());
    let v2 = legacy.v2.expect("v2 route");
    assert_eq!(v2.text_params, &["notify_channel"]);
    assert!(v2.need_encrypt);
    assert_eq!(legacy.safety, Safety::ReadOnly);
    assert_eq!(demo_files::OPERATIONS.len(), 2);
}

#[test]
fn path_and_query_fields_are_part_of_the_request() {
    let req = demo_files::DemoFilesQueryRequest::new("f-9")
        .page_size(50)
        .self_(true);
    assert_eq!(
        serde_json::to_value(&req).expect("serializes"),
        json!({"file_id": "f-9", "page_size": 50, "self": true})
    );
    // Multipart: the `data` model's fields and plain parts are fields; file parts are not.
    let up = demo_files::DemoFilesUploadRequest::new()
        .biz_code("x")
        .file_name("a.png");
    assert_eq!(
        serde_json::to_value(&up).expect("serializes"),
        json!({"biz_code": "x", "file_name": "a.png"})
    );
    // An operation whose success body has no properties accepts any object.
    let _: demo_files::DemoFilesUploadResponse =
        serde_json::from_value(json!({"a": 1})).expect("empty response");
}

#[test]
fn required_response_fields_are_not_optional() {
    let ok: demo_legacy::DemoLegacyOrderQueryResponse =
        serde_json::from_value(json!({"order_no": "1", "code": "10000", "msg": "Success"}))
            .expect("deserializes");
    assert_eq!(ok.order_no, "1");
    assert!(
        serde_json::from_value::<demo_legacy::DemoLegacyOrderQueryResponse>(json!({})).is_err()
    );
}

#[test]
fn shared_models_are_used_by_both_families() {
    let pay =
        demo_shared::DemoSharedPayRequest::new(shared::DemoMoney::new("9.99").currency("CNY"));
    assert_eq!(
        serde_json::to_value(&pay).expect("serializes"),
        json!({"amount": {"value": "9.99", "currency": "CNY"}})
    );
    // The other family's response is the shared model itself.
    let refund: demo_other::DemoOtherRefundCancelResponse =
        serde_json::from_value(json!({"value": "1.00", "currency": "HKD"})).expect("decodes");
    assert_eq!(refund.currency.as_ref().map(|c| c.as_str()), Some("HKD"));
    let op = <demo_other::DemoOtherRefundCancelRequest as ApiRequest>::OPERATION;
    assert_eq!(
        op.v3.map(|r| (r.method, r.path_params)),
        Some((HttpMethod::Delete, &["refund_id"][..]))
    );
    assert_eq!(op.safety, Safety::Mutating);
}

#[test]
fn full_serde_derives_the_other_direction() {
    // With `full-serde`, a request deserializes and a response serializes.
    let req: demo_trade::DemoTradeCreateRequest =
        serde_json::from_value(json!({"out_trade_no": "1", "total_amount": "2.00"}))
            .expect("request decodes");
    assert_eq!(req, demo_trade::DemoTradeCreateRequest::new("1", "2.00"));
    let resp: demo_trade::DemoTradeCreateResponse =
        serde_json::from_value(json!({"trade_no": "9"})).expect("decodes");
    assert_eq!(
        serde_json::to_value(&resp).expect("response serializes"),
        json!({"trade_no": "9"})
    );
}

#[test]
fn recursive_models_are_boxed() {
    let resp: demo_files::DemoFilesQueryResponse = serde_json::from_value(json!({
        "file_id": "f-1",
        "folder": {"name": "a", "parent": {"name": "root"}, "children": [{"name": "b"}]}
    }))
    .expect("decodes");
    let folder = resp.folder.expect("folder");
    assert_eq!(folder.parent.and_then(|p| p.name).as_deref(), Some("root"));
    assert_eq!(folder.children.map(|c| c.len()), Some(1));
}

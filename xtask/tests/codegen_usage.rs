//! The typed API of every seed operation, as a user writes it: requests built with
//! `new(required…)` and setters serialize by wire name, each descriptor carries the routes
//! of its spec, responses decode (unknown fields ignored, open enums keep new values), and
//! `Client::call` accepts every request. The HTTP round trip is tested against the emulator.

use alipay_sdk::alipay_fund::AlipayFundCouponOperationQueryRequest;
use alipay_sdk::alipay_pcredit::{
    AlipayPcreditHuabeiAuthOrderQueryRequest, AlipayPcreditHuabeiAuthOrderUnfreezeRequest,
};
use alipay_sdk::alipay_trade::{
    AlipayTradeAppPayRequest, AlipayTradeCancelRequest, AlipayTradeCloseRequest,
    AlipayTradeCreateRequest, AlipayTradePagePayRequest, AlipayTradePayRequest,
    AlipayTradePrecreateRequest, AlipayTradeQueryRequest, AlipayTradeQueryResponse,
    AlipayTradeQueryResponseTradeStatus, AlipayTradeRefundRequest, AlipayTradeWapPayRequest,
    GoodsDetail,
};
use alipay_sdk::zhima_merchant::ZhimaMerchantOrderRentQueryRequest;
use alipay_sdk::{
    ApiRequest, CallOptions, Client, HttpMethod, Operation, Protocol, Safety, V3Body,
};
use serde_json::json;

fn wire<R: ApiRequest>(request: &R) -> serde_json::Value {
    serde_json::to_value(request).expect("request serializes")
}

/// Checks a descriptor: name, safety, v2 response key, and the v3 route when there is one.
fn route(op: &Operation, name: &str, safety: Safety, v3: Option<(HttpMethod, &str, V3Body)>) {
    assert_eq!(op.name, name);
    assert_eq!(op.safety, safety, "{name}");
    let v2 = op.v2.unwrap_or_else(|| panic!("{name} is served on v2"));
    assert_eq!(
        v2.response_key,
        format!("{}_response", name.replace('.', "_"))
    );
    assert!(v2.biz_content, "{name}");
    match (op.v3, v3) {
        (Some(r), Some((method, path, body))) => {
            assert_eq!((r.method, r.path, r.body), (method, path, body), "{name}");
        }
        (None, None) => {}
        (got, want) => panic!("{name}: v3 route {got:?}, expected {want:?}"),
    }
}

#[test]
fn trade_operations() {
    let query = AlipayTradeQueryRequest::new()
        .out_trade_no("20150320010101001")
        .query_options(vec!["trade_settle_info".to_string()]);
    assert_eq!(
        wire(&query),
        json!({"out_trade_no": "20150320010101001", "query_options": ["trade_settle_info"]})
    );
    route(
        AlipayTradeQueryRequest::OPERATION,
        "alipay.trade.query",
        Safety::ReadOnly,
        Some((HttpMethod::Post, "/v3/alipay/trade/query", V3Body::Json)),
    );

    let create = AlipayTradeCreateRequest::new("20150320010101001", "Iphone6 16G", "88.88")
        .buyer_id("2088102146225135")
        .goods_detail(vec![GoodsDetail::new("apple-01", "ipad", "2000", 1)]);
    assert_eq!(
        wire(&create),
        json!({
            "out_trade_no": "20150320010101001",
            "total_amount": "88.88",
            "subject": "Iphone6 16G",
            "buyer_id": "2088102146225135",
            "goods_detail": [{"goods_id": "apple-01", "goods_name": "ipad", "price": "2000", "quantity": 1}]
        })
    );
    route(
        AlipayTradeCreateRequest::OPERATION,
        "alipay.trade.create",
        Safety::Mutating,
        Some((HttpMethod::Post, "/v3/alipay/trade/create", V3Body::Json)),
    );

    let pay = AlipayTradePayRequest::new(
        "28763443825664394",
        "20150320010101001",
        "bar_code",
        "Iphone6 16G",
        "88.88",
    );
    assert_eq!(
        wire(&pay),
        json!({
            "auth_code": "28763443825664394",
            "out_trade_no": "20150320010101001",
            "scene": "bar_code",
            "subject": "Iphone6 16G",
            "total_amount": "88.88"
        })
    );
    route(
        AlipayTradePayRequest::OPERATION,
        "alipay.trade.pay",
        Safety::Mutating,
        Some((HttpMethod::Post, "/v3/alipay/trade/pay", V3Body::Json)),
    );

    let precreate = AlipayTradePrecreateRequest::new("20150320010101001", "Iphone6 16G", "88.88");
    assert_eq!(wire(&precreate)["subject"], "Iphone6 16G");
    route(
        AlipayTradePrecreateRequest::OPERATION,
        "alipay.trade.precreate",
        Safety::Mutating,
        Some((HttpMethod::Post, "/v3/alipay/trade/precreate", V3Body::Json)),
    );

    let refund = AlipayTradeRefundRequest::new("0.01")
        .trade_no("2014112611001004680073956707")
        .out_request_no("HZ01RF001");
    assert_eq!(
        wire(&refund),
        json!({"refund_amount": "0.01", "trade_no": "2014112611001004680073956707", "out_request_no": "HZ01RF001"})
    );
    route(
        AlipayTradeRefundRequest::OPERATION,
        "alipay.trade.refund",
        Safety::IdempotentBy("out_request_no"),
        Some((HttpMethod::Post, "/v3/alipay/trade/refund", V3Body::Json)),
    );

    let cancel = AlipayTradeCancelRequest::new().out_trade_no("20150320010101001");
    assert_eq!(wire(&cancel), json!({"out_trade_no": "20150320010101001"}));
    route(
        AlipayTradeCancelRequest::OPERATION,
        "alipay.trade.cancel",
        Safety::Mutating,
        Some((HttpMethod::Post, "/v3/alipay/trade/cancel", V3Body::Json)),
    );

    let close = AlipayTradeCloseRequest::new()
        .trade_no("2013112611001004680073956707")
        .operator_id("YX01");
    assert_eq!(
        wire(&close),
        json!({"trade_no": "2013112611001004680073956707", "operator_id": "YX01"})
    );
    route(
        AlipayTradeCloseRequest::OPERATION,
        "alipay.trade.close",
        Safety::Mutating,
        Some((HttpMethod::Post, "/v3/alipay/trade/close", V3Body::Json)),
    );
}

#[test]
fn client_executed_pay_operations() {
    for (op, name) in [
        (AlipayTradeAppPayRequest::OPERATION, "alipay.trade.app.pay"),
        (
            AlipayTradePagePayRequest::OPERATION,
            "alipay.trade.page.pay",
        ),
        (AlipayTradeWapPayRequest::OPERATION, "alipay.trade.wap.pay"),
    ] {
        route(op, name, Safety::Mutating, None);
        assert!(
            op.v2.is_some_and(|v2| v2.client_executed),
            "{name} is executed by the buyer's client"
        );
    }
    let page = AlipayTradePagePayRequest::new(
        "20150320010101001",
        "FAST_INSTANT_TRADE_PAY",
        "Iphone6 16G",
        "88.88",
    );
    assert_eq!(wire(&page)["total_amount"], "88.88");
    assert_eq!(wire(&page)["subject"], "Iphone6 16G");
    assert_eq!(wire(&page)["product_code"], "FAST_INSTANT_TRADE_PAY");
    let wap =
        AlipayTradeWapPayRequest::new("20150320010101001", "QUICK_WAP_WAY", "Iphone6 16G", "88.88");
    assert_eq!(wire(&wap)["product_code"], "QUICK_WAP_WAY");
    let app = AlipayTradeAppPayRequest::new("20150320010101001", "Iphone6 16G", "88.88");
    assert_eq!(wire(&app)["total_amount"], "88.88");
    assert_eq!(wire(&app)["subject"], "Iphone6 16G");
}

#[test]
fn huabei_operations() {
    let query = AlipayPcreditHuabeiAuthOrderQueryRequest::new()
        .auth_opt_id("2018081010020817070009689955")
        .out_request_no("8077735255938032");
    assert_eq!(
        wire(&query),
        json!({"auth_opt_id": "2018081010020817070009689955", "out_request_no": "8077735255938032"})
    );
    let op = AlipayPcreditHuabeiAuthOrderQueryRequest::OPERATION;
    route(
        op,
        "alipay.pcredit.huabei.auth.order.query",
        Safety::ReadOnly,
        Some((
            HttpMethod::Get,
            "/v3/alipay/pcredit/huabei/auth/order/query",
            V3Body::None,
        )),
    );
    let v3 = op.v3.expect("v3");
    assert_eq!(
        v3.query_params,
        &["auth_opt_id", "alipay_user_id", "open_id", "out_request_no"]
    );
    assert!(v3.path_params.is_empty());

    let unfreeze = AlipayPcreditHuabeiAuthOrderUnfreezeRequest::new(
        "20185008825000291111",
        "8077735255938023",
        "0.01",
    );
    assert_eq!(wire(&unfreeze)["unfreeze_amount"], "0.01");
    assert_eq!(wire(&unfreeze)["agreement_no"], "20185008825000291111");
    route(
        AlipayPcreditHuabeiAuthOrderUnfreezeRequest::OPERATION,
        "alipay.pcredit.huabei.auth.order.unfreeze",
        Safety::Mutating,
        Some((
            HttpMethod::Put,
            "/v3/alipay/pcredit/huabei/auth/order/unfreeze",
            V3Body::Json,
        )),
    );
}

#[test]
fn v2_only_operations() {
    let rent = ZhimaMerchantOrderRentQueryRequest::new("2016100100000xxxx", "w1010100000000002858");
    assert_eq!(
        wire(&rent),
        json!({"out_order_no": "2016100100000xxxx", "product_code": "w1010100000000002858"})
    );
    route(
        ZhimaMerchantOrderRentQueryRequest::OPERATION,
        "zhima.merchant.order.rent.query",
        Safety::ReadOnly,
        None,
    );

    let coupon = AlipayFundCouponOperationQueryRequest::new()
        .auth_no("2018081710002001860294782485")
        .out_order_no("2017122716463222");
    assert_eq!(
        wire(&coupon),
        json!({"auth_no": "2018081710002001860294782485", "out_order_no": "2017122716463222"})
    );
    route(
        AlipayFundCouponOperationQueryRequest::OPERATION,
        "alipay.fund.coupon.operation.query",
        Safety::ReadOnly,
        None,
    );
}

#[test]
fn responses_decode_and_keep_unknown_values() {
    // A v2 node carries code/msg besides the business fields; both are ignored.
    let reply: AlipayTradeQueryResponse = serde_json::from_value(json!({
        "code": "10000",
        "msg": "Success",
        "trade_no": "2013112011001004330000121536",
        "out_trade_no": "6823789339978248",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "88.88",
        "a_field_from_the_future": true
    }))
    .expect("decodes");
    assert_eq!(
        reply.trade_status,
        AlipayTradeQueryResponseTradeStatus::TradeSuccess
    );
    assert_eq!(reply.trade_no, "2013112011001004330000121536");
    let later: AlipayTradeQueryResponse = serde_json::from_value(json!({
        "trade_no": "1", "out_trade_no": "2", "total_amount": "1.00", "trade_status": "TRADE_PAUSED"
    }))
    .expect("a new status decodes");
    assert_eq!(later.trade_status.as_str(), "TRADE_PAUSED");
    // A required field that is missing is an error, not a silent default.
    assert!(serde_json::from_value::<AlipayTradeQueryResponse>(json!({"trade_no": "1"})).is_err());
}

/// Never run: proves that `call` / `call_with` accept every request and yield its response.
#[allow(dead_code)]
async fn every_operation_is_callable(client: &Client) -> Result<(), alipay_sdk::Error> {
    let _: AlipayTradeQueryResponse = client
        .call(&AlipayTradeQueryRequest::new().trade_no("1"))
        .await?;
    client
        .call(&AlipayTradeCreateRequest::new("1", "s", "1.00"))
        .await?;
    client
        .call(&AlipayTradePayRequest::new(
            "1", "1", "bar_code", "s", "1.00",
        ))
        .await?;
    client
        .call(&AlipayTradePrecreateRequest::new("1", "s", "1.00"))
        .await?;
    client
        .call(&AlipayTradeRefundRequest::new("1.00").out_trade_no("1"))
        .await?;
    client
        .call(&AlipayTradeCancelRequest::new().out_trade_no("1"))
        .await?;
    client
        .call(&AlipayTradeCloseRequest::new().out_trade_no("1"))
        .await?;
    client
        .call(&AlipayPcreditHuabeiAuthOrderQueryRequest::new().auth_opt_id("1"))
        .await?;
    client
        .call(&AlipayPcreditHuabeiAuthOrderUnfreezeRequest::new(
            "1", "1", "1.00",
        ))
        .await?;
    let mut v2 = CallOptions::default();
    v2.protocol = Some(Protocol::V2);
    client
        .call_with(&ZhimaMerchantOrderRentQueryRequest::new("1", "p"), &v2)
        .await?;
    client
        .call_with(
            &AlipayFundCouponOperationQueryRequest::new().auth_no("1"),
            &v2,
        )
        .await?;
    client
        .call_with(&AlipayTradeQueryRequest::new().trade_no("1"), &v2)
        .await?;
    Ok(())
}

#[test]
fn error_code_enums_read_business_codes_only() {
    use alipay_sdk::alipay_trade::AlipayTradeQueryErrorCode as Code;
    use alipay_sdk::ServiceError;
    let v2 = |sub_code: Option<&str>| {
        alipay_sdk::Error::Service(Box::new(ServiceError::V2 {
            operation: "alipay.trade.query",
            code: "40004".into(),
            msg: "Business Failed".into(),
            sub_code: sub_code.map(str::to_string),
            sub_msg: None,
            verified: true,
        }))
    };
    assert_eq!(
        Code::of(&v2(Some("ACQ.TRADE_NOT_EXIST"))),
        Some(Code::AcqTradeNotExist)
    );
    assert_eq!(
        Code::of(&v2(Some("ACQ.SOMETHING_NEW"))),
        Some(Code::Unknown("ACQ.SOMETHING_NEW".into()))
    );
    assert_eq!(Code::of(&v2(None)), None, "a v2 error without sub_code");
    let v3 = alipay_sdk::Error::Service(Box::new(ServiceError::V3 {
        operation: "alipay.trade.query",
        http_status: 400,
        code: "ACQ.TRADE_NOT_EXIST".into(),
        message: "交易不存在".into(),
        links: Vec::new(),
        trace_id: None,
        verified: true,
    }));
    assert_eq!(Code::of(&v3), Some(Code::AcqTradeNotExist));
    assert_eq!(Code::AcqTradeNotExist.as_str(), "ACQ.TRADE_NOT_EXIST");
    assert_eq!(Code::of(&alipay_sdk::Error::Build("bad".into())), None);
}

//! The v2 gateway over real HTTP on loopback, driven with the runtime's protocol functions.

mod common;

use alipay_emulator::{test_keys, Emulator, Fault, FaultRule, Protocol};
use alipay_runtime::aes::AesKey;
use alipay_runtime::cert;
use alipay_runtime::keys::{PrivateKey, SignType};
use alipay_runtime::v2 as proto;
use common::{alipay_public_key, control, CertMode, V2};
use serde_json::{json, Value};
use std::time::Duration;

async fn emulator() -> Emulator {
    Emulator::builder().start().await.unwrap()
}

fn sub_code(node: &Value) -> (&str, &str) {
    (
        node["code"].as_str().unwrap_or(""),
        node["sub_code"].as_str().unwrap_or(""),
    )
}

#[tokio::test]
async fn trade_lifecycle_create_pay_query_refund() {
    let emu = emulator().await;
    let c = V2::new(&emu.gateway_url());
    let key = alipay_public_key();
    let created = c
        .call_verified(
            "alipay.trade.create",
            &json!({"out_trade_no": "L1", "total_amount": "88.88", "subject": "Iphone6 16G", "buyer_id": "2088102146225135"}),
            &key,
        )
        .await;
    assert_eq!(created["code"], "10000");
    let trade_no = created["trade_no"].as_str().unwrap().to_owned();
    let q = c
        .call_verified("alipay.trade.query", &json!({"out_trade_no": "L1"}), &key)
        .await;
    assert_eq!(q["trade_status"], "WAIT_BUYER_PAY");

    // The buyer pays, through the control API over HTTP.
    let (status, trade) = control(&emu.base_url(), "POST", "trades/L1/pay", None).await;
    assert_eq!(
        (status, trade["trade_status"].as_str()),
        (200, Some("TRADE_SUCCESS"))
    );
    let (status, _) = control(&emu.base_url(), "POST", "trades/L1/pay", None).await;
    assert_eq!(status, 409);

    let q = c
        .call_verified("alipay.trade.query", &json!({"trade_no": trade_no}), &key)
        .await;
    assert_eq!(q["trade_status"], "TRADE_SUCCESS");
    assert_eq!(q["total_amount"], "88.88");

    let refund = |amount: &'static str, req: &'static str| json!({"out_trade_no": "L1", "refund_amount": amount, "out_request_no": req});
    let r = c
        .call_verified("alipay.trade.refund", &refund("10.00", "R1"), &key)
        .await;
    assert_eq!(
        (r["fund_change"].as_str(), r["refund_fee"].as_str()),
        (Some("Y"), Some("10.00"))
    );
    let r = c
        .call_verified("alipay.trade.refund", &refund("10.00", "R1"), &key)
        .await;
    assert_eq!(
        (r["fund_change"].as_str(), r["refund_fee"].as_str()),
        (Some("N"), Some("10.00"))
    );
    let r = c
        .call_verified("alipay.trade.refund", &refund("78.89", "R2"), &key)
        .await;
    assert_eq!(sub_code(&r), ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"));
    let r = c
        .call_verified("alipay.trade.refund", &refund("78.88", "R2"), &key)
        .await;
    assert_eq!(r["refund_fee"], "88.88");
    let q = c
        .call_verified("alipay.trade.query", &json!({"out_trade_no": "L1"}), &key)
        .await;
    assert_eq!(q["trade_status"], "TRADE_CLOSED");
    let r = c
        .call_verified("alipay.trade.close", &json!({"out_trade_no": "L1"}), &key)
        .await;
    assert_eq!(sub_code(&r), ("40004", "ACQ.TRADE_STATUS_ERROR"));
    let r = c
        .call_verified("alipay.trade.query", &json!({"out_trade_no": "nope"}), &key)
        .await;
    assert_eq!(sub_code(&r), ("40004", "ACQ.TRADE_NOT_EXIST"));
}

#[tokio::test]
async fn barcode_pay_waits_then_succeeds_and_timeout_closes() {
    let emu = emulator().await;
    let c = V2::new(&emu.gateway_url());
    let key = alipay_public_key();
    let pay = |out: &str, code: &str| json!({"out_trade_no": out, "total_amount": "1.00", "subject": "s", "auth_code": code, "scene": "bar_code"});
    let r = c
        .call_verified("alipay.trade.pay", &pay("B1", "990000000000000001"), &key)
        .await;
    assert_eq!(r["code"], "10003");
    let q = c
        .call_verified("alipay.trade.query", &json!({"out_trade_no": "B1"}), &key)
        .await;
    assert_eq!(q["trade_status"], "TRADE_SUCCESS");
    let r = c
        .call_verified("alipay.trade.pay", &pay("B2", "280000000000000001"), &key)
        .await;
    assert_eq!(
        (r["code"].as_str(), r["buyer_user_id"].is_string()),
        (Some("10000"), true)
    );
    // Waiting until the control API decides.
    let r = c
        .call_verified("alipay.trade.pay", &pay("B3", "980000000000000001"), &key)
        .await;
    assert_eq!(r["code"], "10003");
    let (status, t) = control(&emu.base_url(), "POST", "trades/B3/timeout", None).await;
    assert_eq!(
        (status, t["trade_status"].as_str()),
        (200, Some("TRADE_CLOSED"))
    );
    let r = c
        .call_verified("alipay.trade.cancel", &json!({"out_trade_no": "B3"}), &key)
        .await;
    assert_eq!(r["action"], "close");
    let r = c
        .call_verified("alipay.trade.cancel", &json!({"out_trade_no": "B2"}), &key)
        .await;
    assert_eq!(r["action"], "refund");
    let (status, _) = control(&emu.base_url(), "POST", "trades/none/pay", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn gateway_checks_signature_timestamp_app_id_and_parameters() {
    let emu = emulator().await;
    let key = alipay_public_key();
    let biz = json!({"out_trade_no": "X"});

    // Signed with another key: 40002 isv.invalid-signature, with the string the gateway
    // expected in sub_msg.
    let mut c = V2::new(&emu.gateway_url());
    c.key = PrivateKey::from_text(test_keys::ROTATED_ALIPAY_PRIVATE_KEY).unwrap();
    c.timestamp = Some(proto::beijing_timestamp(std::time::SystemTime::now()));
    let resp = c.send("alipay.trade.query", Some(&biz)).await;
    let body = resp.bytes().await.unwrap();
    let node = c.verify("alipay.trade.query", &body, &key);
    assert_eq!(sub_code(&node), ("40002", "isv.invalid-signature"));
    let (query, form) = c.params("alipay.trade.query", Some(&biz));
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .chain(form.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let expected = proto::string_to_sign(&pairs);
    assert!(
        node["sub_msg"].as_str().unwrap().ends_with(&expected),
        "{node}"
    );

    // A timestamp in UTC instead of Beijing time is 8 hours off.
    let mut c = V2::new(&emu.gateway_url());
    c.timestamp = Some(proto::beijing_timestamp(
        std::time::SystemTime::now() - Duration::from_secs(8 * 3600),
    ));
    let node = c.call_verified("alipay.trade.query", &biz, &key).await;
    assert_eq!(sub_code(&node), ("40002", "isv.invalid-timestamp"));

    let mut c = V2::new(&emu.gateway_url());
    c.app_id = "2021000000000002".into();
    let node = c.call_verified("alipay.trade.query", &biz, &key).await;
    assert_eq!(sub_code(&node), ("40002", "isv.invalid-app-id"));

    // Required parameter missing / wrong type, per the spec.
    let c = V2::new(&emu.gateway_url());
    let node = c
        .call_verified(
            "zhima.merchant.order.rent.query",
            &json!({"out_order_no": "1"}),
            &key,
        )
        .await;
    assert_eq!(sub_code(&node), ("40001", "isv.missing-parameter"));
    let node = c
        .call_verified(
            "alipay.trade.refund",
            &json!({"out_trade_no": "1", "refund_amount": 1}),
            &key,
        )
        .await;
    assert_eq!(sub_code(&node), ("40002", "isv.invalid-parameter"));

    // Unknown method: error_response.
    let resp = c.send("alipay.nothing.here", Some(&biz)).await;
    let body = resp.bytes().await.unwrap();
    let v = proto::verify_response(&body, "alipay_nothing_here_response", &key, SignType::Rsa2)
        .unwrap();
    assert!(v.node.is_error_response);
    assert_eq!(
        v.status.unwrap().sub_code.as_deref(),
        Some("isv.invalid-method")
    );
}

#[tokio::test]
async fn parameters_in_the_body_multipart_and_app_auth_token() {
    let emu = Emulator::builder()
        .app_auth_tokens(["202406BB"])
        .start()
        .await
        .unwrap();
    let key = alipay_public_key();
    // Everything in the urlencoded body, nothing in the query string.
    let mut c = V2::new(&emu.gateway_url()).param("app_auth_token", "202406BB");
    c.all_in_body = true;
    let node = c
        .call_verified("alipay.trade.query", &json!({"out_trade_no": "none"}), &key)
        .await;
    assert_eq!(sub_code(&node), ("40004", "ACQ.TRADE_NOT_EXIST"));
    // An unknown token is refused.
    let c = V2::new(&emu.gateway_url()).param("app_auth_token", "other");
    let node = c
        .call_verified("alipay.trade.query", &json!({"out_trade_no": "none"}), &key)
        .await;
    assert_eq!(sub_code(&node), ("20001", "aop.invalid-app-auth-token"));

    // Multipart: text parts are signed parameters, file parts are not.
    let c = V2::new(&emu.gateway_url());
    let biz = json!({"out_order_no": emu_seed_rent(), "product_code": "w1010100000000002858"});
    let (query, body) = c.params("zhima.merchant.order.rent.query", Some(&biz));
    let q: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in body {
        form = form.text(k, v);
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(b"\x89PNG".to_vec()).file_name("a.png"),
    );
    let resp = common::http()
        .post(format!("{}?{}", emu.gateway_url(), proto::form_encode(&q)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = resp.bytes().await.unwrap();
    let node = c.verify("zhima.merchant.order.rent.query", &body, &key);
    assert_eq!(node["code"], "10000", "{node}");
}

fn emu_seed_rent() -> &'static str {
    alipay_emulator::domain::zhima::SEED_RESTORED
}

#[tokio::test]
async fn aes_encrypted_request_and_response() {
    let emu = Emulator::builder()
        .aes_key(test_keys::AES_KEY)
        .start()
        .await
        .unwrap();
    let mut c = V2::new(&emu.gateway_url());
    c.aes = Some(AesKey::from_base64(test_keys::AES_KEY).unwrap());
    let resp = c
        .send(
            "alipay.trade.precreate",
            Some(&json!({"out_trade_no": "E1", "total_amount": "1.00", "subject": "s"})),
        )
        .await;
    let body = resp.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&body).into_owned();
    assert!(
        text.starts_with("{\"alipay_trade_precreate_response\":\""),
        "{text}"
    );
    let node = c.verify("alipay.trade.precreate", &body, &alipay_public_key());
    assert!(node["qr_code"].as_str().unwrap().starts_with("https://"));
}

#[tokio::test]
async fn seeded_rent_orders_and_coupon_operations() {
    use alipay_emulator::domain::coupon::*;
    let emu = emulator().await;
    let c = V2::new(&emu.gateway_url());
    let key = alipay_public_key();
    let rent = |out: &str, product: &str| json!({"out_order_no": out, "product_code": product});
    let n = c
        .call_verified(
            "zhima.merchant.order.rent.query",
            &rent("2016100100000001", "w1010100000000002858"),
            &key,
        )
        .await;
    assert_eq!(n["use_state"], "borrow");
    let n = c
        .call_verified(
            "zhima.merchant.order.rent.query",
            &rent("2016100100009999", "w1010100000000002858"),
            &key,
        )
        .await;
    assert_eq!(sub_code(&n), ("40004", "ORDER_NOT_EXISTS"));
    let n = c
        .call_verified(
            "zhima.merchant.order.rent.query",
            &rent("2016100100000001", "w0000000000000000000"),
            &key,
        )
        .await;
    assert_eq!(sub_code(&n), ("40004", "ARRANGEMENT_NOT_EXIST"));
    for biz in [
        json!({"auth_no": SEED_AUTH_NO, "operation_id": SEED_PAY_OPERATION_ID}),
        json!({"out_order_no": SEED_OUT_ORDER_NO, "out_request_no": SEED_PAY_OUT_REQUEST_NO}),
        json!({"auth_no": SEED_AUTH_NO, "out_request_no": SEED_PAY_OUT_REQUEST_NO}),
        json!({"out_order_no": SEED_OUT_ORDER_NO, "operation_id": SEED_PAY_OPERATION_ID}),
    ] {
        let n = c
            .call_verified("alipay.fund.coupon.operation.query", &biz, &key)
            .await;
        assert_eq!(
            (n["code"].as_str(), n["operation_type"].as_str()),
            (Some("10000"), Some("PAY")),
            "{biz}"
        );
    }
    let n = c
        .call_verified(
            "alipay.fund.coupon.operation.query",
            &json!({"auth_no": "1", "operation_id": "2"}),
            &key,
        )
        .await;
    assert_eq!(sub_code(&n), ("40004", "AUTH_ORDER_NOT_EXIST"));
}

/// Fetches a certificate chain through `alipay.open.app.alipaycert.download`.
async fn download(c: &V2, sn: &str) -> Vec<cert::Cert> {
    use base64::Engine;
    let local = cert::Cert::from_pem(test_keys::ALIPAY_CERT).unwrap();
    let dl = c
        .call_verified(
            alipay_emulator::CERT_DOWNLOAD_METHOD,
            &json!({ "alipay_cert_sn": sn }),
            &local.public_key().unwrap(),
        )
        .await;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(dl["alipay_cert_content"].as_str().unwrap())
        .unwrap();
    cert::parse_bundle(std::str::from_utf8(&pem).unwrap()).unwrap()
}

#[tokio::test]
async fn certificate_mode_and_rotation_through_the_download() {
    let emu = Emulator::builder().cert_mode().start().await.unwrap();
    let mut c = V2::new(&emu.gateway_url());
    c.cert = Some(CertMode::builtin());
    let local = cert::Cert::from_pem(test_keys::ALIPAY_CERT).unwrap();
    let biz = json!({"out_trade_no": "none"});

    let body = c
        .send("alipay.trade.query", Some(&biz))
        .await
        .bytes()
        .await
        .unwrap();
    let node = proto::extract(&body, "alipay_trade_query_response").unwrap();
    assert_eq!(node.alipay_cert_sn.as_deref(), Some(local.sn().as_str()));
    node.verify(&local.public_key().unwrap(), SignType::Rsa2)
        .unwrap();

    // Without app_cert_sn: refused.
    let plain = V2::new(&emu.gateway_url());
    let n = plain
        .call_verified("alipay.trade.query", &biz, &local.public_key().unwrap())
        .await;
    assert_eq!(sub_code(&n), ("40001", "isv.missing-app-cert-sn"));

    // The root SN must be the one of the root bundle.
    let mut other_root = V2::new(&emu.gateway_url());
    other_root.cert = Some(CertMode {
        root_cert_sn: "687b59193f3f462dd5336e5abf83c5d8".into(),
        ..CertMode::builtin()
    });
    let n = other_root
        .call_verified("alipay.trade.query", &biz, &local.public_key().unwrap())
        .await;
    assert_eq!(sub_code(&n), ("40002", "isv.alipay-root-cert-sn-not-match"));
    let mut vectors_bundle = V2::new(&emu.gateway_url());
    vectors_bundle.cert = Some(CertMode {
        root_cert_sn: cert::root_cert_sn(test_keys::ROOT_CERT).unwrap(),
        ..CertMode::builtin()
    });
    let n = vectors_bundle
        .call_verified("alipay.trade.query", &biz, &local.public_key().unwrap())
        .await;
    assert_eq!(sub_code(&n), ("40004", "ACQ.TRADE_NOT_EXIST"));

    // Rotation: an unknown alipay_cert_sn, fetched through the download, validated against
    // the roots, then the original response verifies with it.
    emu.inject(
        FaultRule::always(Fault::RotatedCert)
            .method("alipay.trade.query")
            .once(),
    );
    let body = c
        .send("alipay.trade.query", Some(&biz))
        .await
        .bytes()
        .await
        .unwrap();
    let node = proto::extract(&body, "alipay_trade_query_response").unwrap();
    let sn = node.alipay_cert_sn.clone().unwrap();
    assert_eq!(Some(sn.clone()), emu.rotated_cert_sn());
    assert!(node
        .verify(&local.public_key().unwrap(), SignType::Rsa2)
        .is_err());
    let chain = download(&c, &sn).await;
    let roots = cert::parse_bundle(test_keys::ROOT_CERT_WITH_ROTATION).unwrap();
    cert::validate(&chain[0], &chain[1..], &roots, std::time::SystemTime::now()).unwrap();
    assert_eq!(chain[0].sn(), sn);
    node.verify(&chain[0].public_key().unwrap(), SignType::Rsa2)
        .unwrap();

    // An untrusted certificate is served the same way but chains to no root.
    emu.inject(FaultRule::always(Fault::UntrustedCert).once());
    let body = c
        .send("alipay.trade.query", Some(&biz))
        .await
        .bytes()
        .await
        .unwrap();
    let sn = proto::extract(&body, "alipay_trade_query_response")
        .unwrap()
        .alipay_cert_sn
        .unwrap();
    let chain = download(&c, &sn).await;
    assert!(cert::validate(&chain[0], &chain[1..], &roots, std::time::SystemTime::now()).is_err());
}

#[tokio::test]
async fn faults_on_the_v2_gateway() {
    let emu = emulator().await;
    let c = V2::new(&emu.gateway_url());
    let key = alipay_public_key();
    let q = json!({"out_trade_no": "none"});
    let method = "alipay.trade.query";
    let rk = proto::response_key(method);
    let once = |f: Fault| {
        FaultRule::always(f)
            .method(method)
            .protocol(Protocol::V2)
            .once()
    };

    emu.inject(once(Fault::Delay { ms: 300 }));
    let t = std::time::Instant::now();
    c.call_verified(method, &q, &key).await;
    assert!(t.elapsed() >= Duration::from_millis(300));

    emu.inject(once(Fault::HttpStatus { status: 502 }));
    assert_eq!(c.send(method, Some(&q)).await.status(), 502);

    emu.inject(once(Fault::UnknownError));
    let n = c.call_verified(method, &q, &key).await;
    assert_eq!(sub_code(&n), ("20000", "isp.unknow-error"));

    emu.inject(once(Fault::WrongSignature));
    let body = c.send(method, Some(&q)).await.bytes().await.unwrap();
    assert!(matches!(
        proto::verify_response(&body, &rk, &key, SignType::Rsa2),
        Err(proto::ResponseError::BadSignature(_))
    ));

    // An unsigned failure is accepted as unverified; an unsigned success is refused.
    emu.inject(once(Fault::MissingSignature));
    let body = c.send(method, Some(&q)).await.bytes().await.unwrap();
    assert!(
        !proto::verify_response(&body, &rk, &key, SignType::Rsa2)
            .unwrap()
            .signature_verified
    );
    emu.inject(
        FaultRule::always(Fault::MissingSignature)
            .method("alipay.trade.precreate")
            .once(),
    );
    let body = c
        .send(
            "alipay.trade.precreate",
            Some(&json!({"out_trade_no": "F1", "total_amount": "1", "subject": "s"})),
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        proto::verify_response(
            &body,
            "alipay_trade_precreate_response",
            &key,
            SignType::Rsa2
        )
        .unwrap_err(),
        proto::ResponseError::MissingSign
    );

    emu.inject(once(Fault::SignBeforeNode));
    let body = c.send(method, Some(&q)).await.bytes().await.unwrap();
    assert!(body.starts_with(b"{\"sign\":"));
    c.verify(method, &body, &key);

    emu.inject(
        FaultRule::always(Fault::GbkBody)
            .method("zhima.merchant.order.rent.query")
            .once(),
    );
    let body = c
        .send("zhima.merchant.order.rent.query", Some(&json!({"out_order_no": "2016100100000001", "product_code": "w1010100000000002858"})))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(matches!(
        proto::verify_response(
            &body,
            "zhima_merchant_order_rent_query_response",
            &key,
            SignType::Rsa2
        ),
        Err(proto::ResponseError::NotUtf8 { .. })
    ));

    emu.inject(once(Fault::TruncatedBody));
    let resp = c.send(method, Some(&q)).await;
    assert!(resp.bytes().await.is_err(), "the body must be cut short");

    emu.inject(once(Fault::ConnectionReset));
    let (query, body) = c.params(method, Some(&q));
    let qp: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let bp: Vec<(&str, &str)> = body.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let err = common::http()
        .post(format!("{}?{}", emu.gateway_url(), proto::form_encode(&qp)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(proto::form_encode(&bp))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    // The next call is fine again.
    c.call_verified(method, &q, &key).await;
}

#[tokio::test]
async fn control_api_manages_faults() {
    let emu = emulator().await;
    let base = emu.base_url();
    let (s, v) = control(&base, "POST", "faults", Some(json!({"fault": {"kind": "http_status", "status": 503}, "method": "alipay.trade.query"}))).await;
    assert_eq!(s, 200);
    let id = v["id"].as_u64().unwrap();
    let (_, list) = control(&base, "GET", "faults", None).await;
    assert_eq!(list[0]["fault"]["kind"], "http_status");
    let c = V2::new(&emu.gateway_url());
    assert_eq!(
        c.send("alipay.trade.query", Some(&json!({"out_trade_no": "1"})))
            .await
            .status(),
        503
    );
    assert_eq!(
        c.send("alipay.trade.query", Some(&json!({"out_trade_no": "1"})))
            .await
            .status(),
        503
    );
    let (s, _) = control(&base, "DELETE", &format!("faults/{id}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(
        c.send("alipay.trade.query", Some(&json!({"out_trade_no": "1"})))
            .await
            .status(),
        200
    );
    let (s, _) = control(
        &base,
        "POST",
        "faults",
        Some(json!({"fault": {"kind": "bogus"}})),
    )
    .await;
    assert_eq!(s, 400);
    let (s, keys) = control(&base, "GET", "keys", None).await;
    assert_eq!((s, keys["app_id"].as_str()), (200, Some(test_keys::APP_ID)));
    let (s, _) = control(&base, "POST", "reset", None).await;
    assert_eq!(s, 200);
}

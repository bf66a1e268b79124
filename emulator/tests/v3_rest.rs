//! The v3 REST API over real HTTP on loopback, driven with the runtime's protocol functions.

mod common;

use alipay_emulator::domain::huabei::*;
use alipay_emulator::{test_keys, Emulator, Fault, FaultRule, Protocol};
use alipay_runtime::aes::AesKey;
use alipay_runtime::cert;
use alipay_runtime::keys::PrivateKey;
use common::{alipay_public_key, CertMode, V3};
use serde_json::json;

const HUABEI: &str = "/v3/alipay/pcredit/huabei/auth/order/query";

#[tokio::test]
async fn trade_calls_are_signed_and_stateful() {
    let emu = Emulator::builder().start().await.unwrap();
    let c = V3::new(&emu.base_url());
    let key = alipay_public_key();
    let r = c
        .post(
            "/v3/alipay/trade/precreate",
            json!({"out_trade_no": "V1", "total_amount": "9.90", "subject": "测试"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.verify(&key).unwrap();
    assert!(r.header("alipay-trace-id").is_some());
    assert!(r.json()["qr_code"].is_string());
    emu.pay_trade("V1", Some("2088000000000001")).unwrap();
    let r = c
        .post("/v3/alipay/trade/query", json!({"out_trade_no": "V1"}))
        .await;
    r.verify(&key).unwrap();
    assert_eq!(r.json()["trade_status"], "TRADE_SUCCESS");
    assert_eq!(r.json()["buyer_user_id"], "2088000000000001");

    // Business failure: HTTP 4xx {code, message}, signed.
    let r = c
        .post("/v3/alipay/trade/query", json!({"out_trade_no": "none"}))
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("ACQ.TRADE_NOT_EXIST"))
    );
    r.verify(&key).unwrap();
    let r = c
        .post("/v3/alipay/trade/close", json!({"out_trade_no": "V1"}))
        .await;
    assert_eq!(r.json()["code"], "ACQ.TRADE_STATUS_ERROR");
    // Invalid parameter type: 400 INVALID_PARAMETER.
    let r = c
        .post(
            "/v3/alipay/trade/refund",
            json!({"out_trade_no": "V1", "refund_amount": 1}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("INVALID_PARAMETER"))
    );
    // Wrong HTTP method / unknown path.
    let r = c.call("GET", "/v3/alipay/trade/query", &[], None).await;
    assert_eq!(r.status, 405);
    let r = c.post("/v3/alipay/nothing", json!({})).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn authorization_is_checked() {
    let emu = Emulator::builder().start().await.unwrap();
    let body = json!({"out_trade_no": "x"});
    let mut c = V3::new(&emu.base_url());
    c.key = PrivateKey::from_text(test_keys::ROTATED_ALIPAY_PRIVATE_KEY).unwrap();
    let r = c.post("/v3/alipay/trade/query", body.clone()).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("invalid-signature"))
    );
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("\nPOST\n/v3/alipay/trade/query\n"));
    let mut c = V3::new(&emu.base_url());
    c.timestamp_ms = Some(1_717_216_496_789);
    let r = c.post("/v3/alipay/trade/query", body.clone()).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("invalid-timestamp"))
    );
    // An old timestamp is fine within the client's own expired_seconds.
    let mut c = V3::new(&emu.base_url());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    c.timestamp_ms = Some(now_ms - 20 * 60 * 1000);
    let r = c.post("/v3/alipay/trade/query", body.clone()).await;
    assert_eq!(r.json()["code"], "invalid-timestamp");
    c.auth_suffix = ",expired_seconds=1800".into();
    let r = c.post("/v3/alipay/trade/query", body.clone()).await;
    assert_eq!(r.json()["code"], "ACQ.TRADE_NOT_EXIST");
    let mut c = V3::new(&emu.base_url());
    c.app_id = "1".into();
    let r = c.post("/v3/alipay/trade/query", body.clone()).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("invalid-app-id"))
    );
    let r = common::http()
        .post(format!("{}/v3/alipay/trade/query", emu.base_url()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn huabei_query_by_each_key_and_unfreeze() {
    let emu = Emulator::builder()
        .app_auth_tokens(["202406BB"])
        .start()
        .await
        .unwrap();
    let mut c = V3::new(&emu.base_url());
    c.token = Some("202406BB".into());
    let key = alipay_public_key();
    let mut answers = Vec::new();
    for q in [
        vec![("auth_opt_id", SEED_AUTH_OPT_ID)],
        vec![
            ("alipay_user_id", SEED_USER),
            ("out_request_no", SEED_OUT_REQUEST_NO),
        ],
        vec![("out_request_no", SEED_OUT_REQUEST_NO)],
    ] {
        let r = c.call("GET", HUABEI, &q, None).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.verify(&key).unwrap();
        answers.push(r.json());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(answers[0]["trans_type"], "FREEZE");
    let r = c.call("GET", HUABEI, &[("auth_opt_id", "1")], None).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("ORDER_NOT_EXIST"))
    );

    let unfreeze = json!({"agreement_no": SEED_AGREEMENT, "alipay_user_id": SEED_USER, "out_request_no": "U1", "unfreeze_amount": "25.50"});
    let r = c
        .call(
            "PUT",
            "/v3/alipay/pcredit/huabei/auth/order/unfreeze",
            &[],
            Some(&unfreeze),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["rest_freeze_amount"], "74.50");
    let id = r.json()["auth_opt_id"].as_str().unwrap().to_owned();
    let r = c.call("GET", HUABEI, &[("auth_opt_id", &id)], None).await;
    assert_eq!(r.json()["trans_type"], "UNFREEZE");

    // Tokens are checked (and signed as the 5th line).
    c.token = Some("other".into());
    let r = c
        .call("GET", HUABEI, &[("auth_opt_id", SEED_AUTH_OPT_ID)], None)
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("invalid-app-auth-token"))
    );
}

#[tokio::test]
async fn aes_bodies_and_certificate_mode() {
    let emu = Emulator::builder()
        .cert_mode()
        .aes_key(test_keys::AES_KEY)
        .start()
        .await
        .unwrap();
    let mut c = V3::new(&emu.base_url());
    c.cert = Some(CertMode::builtin());
    let aes = AesKey::from_base64(test_keys::AES_KEY).unwrap();
    c.aes = Some(aes.clone());
    let local = cert::Cert::from_pem(test_keys::ALIPAY_CERT).unwrap();
    let r = c
        .post(
            "/v3/alipay/trade/create",
            json!({"out_trade_no": "A1", "total_amount": "1.00", "subject": "s"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("alipay-sn"), Some(local.sn().as_str()));
    r.verify(&local.public_key().unwrap()).unwrap();
    let plain = aes.decrypt(std::str::from_utf8(&r.body).unwrap()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(v["out_trade_no"], "A1");

    emu.inject(
        FaultRule::always(Fault::RotatedCert)
            .protocol(Protocol::V3)
            .once(),
    );
    let r = c
        .post("/v3/alipay/trade/query", json!({"out_trade_no": "A1"}))
        .await;
    assert_eq!(
        r.header("alipay-sn").map(str::to_owned),
        emu.rotated_cert_sn()
    );
    assert!(r.verify(&local.public_key().unwrap()).is_err());
    let rotated = cert::Cert::from_pem(test_keys::ROTATED_ALIPAY_CERT).unwrap();
    r.verify(&rotated.public_key().unwrap()).unwrap();

    let mut plain_client = V3::new(&emu.base_url());
    plain_client.aes = Some(aes);
    let r = plain_client
        .post("/v3/alipay/trade/query", json!({"out_trade_no": "A1"}))
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("app-cert-sn-not-match"))
    );
}

#[tokio::test]
async fn faults_on_v3() {
    let emu = Emulator::builder().start().await.unwrap();
    let c = V3::new(&emu.base_url());
    let key = alipay_public_key();
    let body = json!({"out_trade_no": "none"});
    let path = "/v3/alipay/trade/query";
    let once = |f: Fault| FaultRule::always(f).protocol(Protocol::V3).once();

    emu.inject(once(Fault::UnknownError));
    let r = c.post(path, body.clone()).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (500, Some("SYSTEM_ERROR"))
    );
    emu.inject(once(Fault::HttpStatus { status: 504 }));
    assert_eq!(c.post(path, body.clone()).await.status, 504);
    emu.inject(once(Fault::WrongSignature));
    assert!(c.post(path, body.clone()).await.verify(&key).is_err());
    emu.inject(once(Fault::MissingSignature));
    let r = c.post(path, body.clone()).await;
    assert!(r.header("alipay-signature").is_none());
    emu.inject(once(Fault::GbkBody));
    let r = c.post(path, body.clone()).await;
    assert!(std::str::from_utf8(&r.body).is_err());
    assert!(r.header("content-type").unwrap().contains("GBK"));
    // v2-only faults pass v3 by.
    emu.inject(FaultRule::always(Fault::UnknownError).protocol(Protocol::V2));
    c.post(path, body.clone()).await.verify(&key).unwrap();
}

/// Every operation of the specs is routed on each protocol its spec names: v2 answers under
/// the method's own response key (never `isv.invalid-method`), v3 never answers 404/405.
#[tokio::test]
async fn every_spec_operation_is_routed_on_its_protocols() {
    let emu = Emulator::builder().start().await.unwrap();
    let catalog = alipay_emulator::catalog::Catalog::embedded().unwrap();
    let v2 = common::V2::new(&emu.gateway_url());
    let v3 = V3::new(&emu.base_url());
    let key = alipay_public_key();
    let mut routed = 0;
    for op in catalog
        .api()
        .operations
        .values()
        .filter(|o| !o.client_executed)
    {
        if op.v2.is_some() {
            let body = v2
                .send(&op.name, Some(&json!({})))
                .await
                .bytes()
                .await
                .unwrap();
            let rk = alipay_runtime::v2::response_key(&op.name);
            let v = alipay_runtime::v2::verify_response(
                &body,
                &rk,
                &key,
                alipay_runtime::keys::SignType::Rsa2,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", op.name));
            assert!(!v.node.is_error_response, "{}", op.name);
            routed += 1;
        }
        if let Some(route) = &op.v3 {
            let method = format!("{:?}", route.method).to_uppercase();
            let path = route.path.replace(['{', '}'], "");
            let body = (method != "GET" && method != "DELETE").then(|| json!({}));
            let r = v3.call(&method, &path, &[], body.as_ref()).await;
            assert!(
                r.status != 404 && r.status != 405,
                "{} {method} {path}: {}",
                op.name,
                r.status
            );
            r.verify(&key).unwrap();
            routed += 1;
        }
    }
    assert!(routed >= 20, "{routed}");
}

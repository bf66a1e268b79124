//! Client-level notification API: the vector through the client, V1/V2, public-key and
//! certificate mode, app_id, negative cases, return_url, decoded pairs, idempotency.

mod client_support;
mod merchant_support;

use alipay_runtime::keys::{PrivateKey, SignType};
use alipay_runtime::notify::{string_to_verify, NotifyError, SeenNotifyIds};
use alipay_runtime::{v2, Client, Error, NotifyRule, TradeStatus};
use client_support::*;

fn client_for(app_id: &str) -> Client {
    Client::builder()
        .app_id(app_id)
        .private_key(private_key_pem())
        .alipay_public_key(public_key_pem())
        .build()
        .unwrap()
}

fn client() -> Client {
    client_for(APP_ID)
}

fn cert_client() -> Client {
    merchant_support::cert_client("https://gw.example/gateway.do")
}

fn vector_body() -> String {
    vector("v2_notify_verify")["inputs"]["raw_form_body"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A form body of `pairs` signed with `key` under `rule` (as Alipay signs notifications).
fn signed_body(pairs: &[(&str, &str)], key: &PrivateKey, rule: NotifyRule) -> String {
    let content = string_to_verify(pairs, rule);
    let sign = key.sign(SignType::Rsa2, content.as_bytes()).unwrap();
    let mut all = pairs.to_vec();
    all.push(("sign", &sign));
    v2::form_encode(&all)
}

fn trade_pairs(app_id: &str) -> Vec<(&str, &str)> {
    vec![
        ("notify_id", "nid-42"),
        ("notify_type", "trade_status_sync"),
        ("notify_time", "2024-06-01 12:30:06"),
        ("app_id", app_id),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("out_trade_no", "ORDER 1%&=+"),
        ("trade_no", "2024060122001"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "88.88"),
        ("subject", "测试 商品+1 100%"),
        ("passback_params", "a%3Db%26c"),
    ]
}

fn notify_error(e: Error) -> NotifyError {
    match e {
        Error::Notify(n) => n,
        other => panic!("not a notification error: {other:?}"),
    }
}

#[test]
fn the_vector_verifies_through_the_client_and_is_typed() {
    let n = client()
        .verify_notification(vector_body().as_bytes())
        .unwrap();
    assert_eq!(n.notify_id, "2024060100222123000012345678901234");
    assert_eq!(n.notify_type, "trade_status_sync");
    assert_eq!(n.app_id, APP_ID);
    assert_eq!(n.out_trade_no.as_deref(), Some("20150320010101001"));
    assert_eq!(n.trade_no.as_deref(), Some("2014112611001004680073956707"));
    assert_eq!(n.trade_status, Some(TradeStatus::TradeSuccess));
    assert_eq!(n.total_amount.as_deref(), Some("88.88"));
    assert_eq!(n.gmt_payment.as_deref(), Some("2024-06-01 12:30:05"));
    assert_eq!(n.subject.as_deref(), Some("测试 商品+1 100%"));
    assert_eq!(n.passback_params.as_deref(), Some("merchant%3Dabc%26x%3D1"));
    assert_eq!(n.fund_bill_list.len(), 1);
    assert_eq!(n.raw.get("seller_id"), Some("2088531891668739"));
    // The same through certificate mode (the vectors' Alipay certificate carries that key).
    let c = cert_client();
    assert!(c.is_cert_mode());
    assert_eq!(c.verify_notification(vector_body().as_bytes()).unwrap(), n);
    // And from the decoded pairs of the vector.
    let decoded = v2::form_decode(&vector_body());
    let pairs: Vec<(&str, &str)> = decoded
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(client().verify_notification_pairs(&pairs).unwrap(), n);
}

#[test]
fn another_apps_notification_is_refused() {
    let e = client_for("2021009999999999")
        .verify_notification(vector_body().as_bytes())
        .unwrap_err();
    assert_eq!(
        notify_error(e),
        NotifyError::AppIdMismatch {
            expected: "2021009999999999".into(),
            found: APP_ID.into()
        }
    );
}

#[test]
fn tampered_unsigned_or_foreign_notifications_fail() {
    let c = client();
    let body = vector_body();
    // Tampered amount.
    let e = c
        .verify_notification(
            body.replace("total_amount=88.88", "total_amount=88.89")
                .as_bytes(),
        )
        .unwrap_err();
    assert!(matches!(notify_error(e), NotifyError::BadSignature(_)));
    // No sign.
    let unsigned = body.split("&sign=").next().unwrap();
    let e = c.verify_notification(unsigned.as_bytes()).unwrap_err();
    assert_eq!(notify_error(e), NotifyError::MissingSign);
    // Signed with another key.
    let other = PrivateKey::from_text(&read(fixtures_dir().join("rotated.key"))).unwrap();
    let foreign = signed_body(&trade_pairs(APP_ID), &other, NotifyRule::V1);
    let e = c.verify_notification(foreign.as_bytes()).unwrap_err();
    assert!(matches!(notify_error(e), NotifyError::BadSignature(_)));
    // Double-encoded value: `%25` decoded twice would be a different subject.
    let double = body.replace("100%25", "100%2525");
    assert!(c.verify_notification(double.as_bytes()).is_err());
    // Empty body, and a duplicate parameter.
    assert_eq!(
        notify_error(c.verify_notification(b"").unwrap_err()),
        NotifyError::Empty
    );
    let dup = format!("{body}&total_amount=88.88");
    assert!(matches!(
        notify_error(c.verify_notification(dup.as_bytes()).unwrap_err()),
        NotifyError::DuplicateParam { .. }
    ));
}

#[test]
fn literal_percent_plus_and_empty_values_round_trip() {
    let key = alipay_signer();
    let mut pairs = trade_pairs(APP_ID);
    pairs.push(("body", "")); // empty values are not signed
    let body = signed_body(&pairs, &key, NotifyRule::V1);
    let n = client().verify_notification(body.as_bytes()).unwrap();
    assert_eq!(n.out_trade_no.as_deref(), Some("ORDER 1%&=+"));
    assert_eq!(n.passback_params.as_deref(), Some("a%3Db%26c"));
    assert_eq!(n.body, None);
    assert_eq!(
        n.trade_status.as_ref().map(TradeStatus::as_str),
        Some("TRADE_SUCCESS")
    );
}

#[test]
fn the_v2_rule_is_an_option() {
    let key = alipay_signer();
    let body = signed_body(&trade_pairs(APP_ID), &key, NotifyRule::V2);
    let c = client();
    assert!(matches!(
        notify_error(c.verify_notification(body.as_bytes()).unwrap_err()),
        NotifyError::BadSignature(_)
    ));
    let n = c
        .verify_notification_with(body.as_bytes(), NotifyRule::V2)
        .unwrap();
    assert_eq!(n.notify_id, "nid-42");
    // A V1 body does not pass as V2.
    let v1 = signed_body(&trade_pairs(APP_ID), &key, NotifyRule::V1);
    assert!(c
        .verify_notification_with(v1.as_bytes(), NotifyRule::V2)
        .is_err());
}

#[test]
fn a_gbk_notification_is_verified_on_its_gbk_bytes() {
    let pairs = [
        ("app_id", APP_ID),
        ("charset", "GBK"),
        ("notify_id", "nid-gbk"),
        ("notify_type", "trade_status_sync"),
        ("subject", "测试商品"),
        ("total_amount", "1.00"),
    ];
    let content = string_to_verify(&pairs, NotifyRule::V1);
    let (gbk, _, bad) = encoding_rs::GBK.encode(&content);
    assert!(!bad);
    let sign = alipay_signer().sign(SignType::Rsa2, &gbk).unwrap();
    let enc = |s: &str| {
        let (b, _, _) = encoding_rs::GBK.encode(s);
        percent_encoding::percent_encode(&b, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    body.push(format!("sign={}", enc(&sign)));
    let n = client()
        .verify_notification(body.join("&").as_bytes())
        .unwrap();
    assert_eq!(n.subject.as_deref(), Some("测试商品"));
}

#[test]
fn certificate_mode_uses_the_certificate_the_notification_names_when_known() {
    let c = cert_client();
    let sn = c.alipay_public_key_for_sn(&sn_of_configured_alipay_cert());
    assert!(sn.is_some());
    let mut pairs = trade_pairs(APP_ID);
    let configured = sn_of_configured_alipay_cert();
    pairs.push(("alipay_cert_sn", &configured));
    let body = signed_body(&pairs, &alipay_signer(), NotifyRule::V1);
    assert_eq!(
        c.verify_notification(body.as_bytes()).unwrap().notify_id,
        "nid-42"
    );
    // An SN the client does not know falls back to the configured certificate's key, which
    // does not verify a notification signed by another key.
    let other = PrivateKey::from_text(&read(fixtures_dir().join("rotated.key"))).unwrap();
    let mut pairs = trade_pairs(APP_ID);
    pairs.push(("alipay_cert_sn", "0123456789abcdef0123456789abcdef"));
    let body = signed_body(&pairs, &other, NotifyRule::V1);
    assert!(matches!(
        notify_error(c.verify_notification(body.as_bytes()).unwrap_err()),
        NotifyError::BadSignature(_)
    ));
}

fn sn_of_configured_alipay_cert() -> String {
    let pem = read(
        vectors_dir()
            .join("certs")
            .join("alipayCertPublicKey_RSA2.crt"),
    );
    alipay_runtime::cert::parse_bundle(&pem).unwrap()[0].sn()
}

#[test]
fn return_url_parameters_verify_but_are_only_checked_for_origin() {
    let pairs = [
        ("app_id", APP_ID),
        ("auth_app_id", APP_ID),
        ("charset", "utf-8"),
        ("method", "alipay.trade.page.pay.return"),
        ("out_trade_no", "ORDER-1"),
        ("seller_id", "2088531891668739"),
        ("sign_type", "RSA2"),
        ("timestamp", "2024-06-01 12:35:10"),
        ("total_amount", "88.88"),
        ("trade_no", "2024060122001"),
        ("version", "1.0"),
    ];
    let query = signed_body(&pairs, &alipay_signer(), NotifyRule::V1);
    let c = client();
    let v = c.verify_return_url(&query).unwrap();
    assert_eq!(v.get("out_trade_no"), Some("ORDER-1"));
    assert_eq!(c.verify_return_url(&format!("?{query}")).unwrap(), v);
    let tampered = query.replace("88.88", "0.01");
    assert!(matches!(
        notify_error(c.verify_return_url(&tampered).unwrap_err()),
        NotifyError::BadSignature(_)
    ));
    assert!(matches!(
        notify_error(
            client_for("2021000000000002")
                .verify_return_url(&query)
                .unwrap_err()
        ),
        NotifyError::AppIdMismatch { .. }
    ));
}

#[test]
fn repeated_deliveries_are_recognised_by_notify_id() {
    let seen = SeenNotifyIds::new(100);
    let c = client();
    let first = c.verify_notification(vector_body().as_bytes()).unwrap();
    assert!(first.first_delivery(&seen));
    let again = c.verify_notification(vector_body().as_bytes()).unwrap();
    assert!(!again.first_delivery(&seen));
    let other = c
        .verify_notification(
            signed_body(&trade_pairs(APP_ID), &alipay_signer(), NotifyRule::V1).as_bytes(),
        )
        .unwrap();
    assert!(other.first_delivery(&seen));
}

#[test]
fn acknowledgement_is_exactly_success() {
    let r = alipay_runtime::merchant::acknowledgement();
    assert_eq!(r.status(), 200);
    assert_eq!(r.body().as_ref(), alipay_runtime::notify::ACK.as_bytes());
    assert_eq!(alipay_runtime::notify::ACK, "success");
}

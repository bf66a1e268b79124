//! The generated SDK and the runtime Client against the emulator over loopback HTTP: every
//! seed operation on each protocol its spec names, the trade lifecycle, and every fault mode
//! giving its specific typed error (or a safe retry).

use alipay_emulator::domain::{coupon, huabei, zhima};
use alipay_emulator::{test_keys, Emulator, Fault, FaultRule};
use alipay_sdk::alipay_fund::AlipayFundCouponOperationQueryRequest;
use alipay_sdk::alipay_pcredit::{
    AlipayPcreditHuabeiAuthOrderQueryRequest, AlipayPcreditHuabeiAuthOrderUnfreezeRequest,
};
use alipay_sdk::alipay_trade::*;
use alipay_sdk::zhima_merchant::ZhimaMerchantOrderRentQueryRequest;
use alipay_sdk::{CallOptions, Client, Endpoint, Error, Protocol, ResponseProblem, RetryPolicy};
use std::time::Duration;

fn client_for(emu: &Emulator, retry: RetryPolicy) -> Client {
    Client::builder()
        .app_id(emu.app_id())
        .private_key(test_keys::APP_PRIVATE_KEY)
        .alipay_public_key(test_keys::ALIPAY_PUBLIC_KEY)
        .endpoint(Endpoint::custom(emu.gateway_url(), emu.base_url()))
        .retry(retry)
        .build()
        .unwrap()
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn on(p: Protocol) -> CallOptions {
    CallOptions::new().protocol(p)
}

const BOTH: [Protocol; 2] = [Protocol::V2, Protocol::V3];

fn sub_code(e: &Error) -> String {
    e.service()
        .map(|s| s.sub_code().unwrap_or(s.code()).to_owned())
        .unwrap_or_else(|| format!("not a service error: {e}"))
}

#[tokio::test]
async fn every_seed_operation_on_each_protocol() {
    let emu = Emulator::builder().start().await.unwrap();
    let client = client_for(&emu, RetryPolicy::disabled());
    for p in BOTH {
        let tag = format!("{p:?}");
        let out = |s: &str| format!("{tag}-{s}");
        let r = client
            .call_with(
                &AlipayTradeCreateRequest::new(out("c"), "Iphone6 16G", "88.88"),
                &on(p),
            )
            .await
            .unwrap();
        assert!(!r.data.trade_no.is_empty());
        let r = client
            .call_with(
                &AlipayTradePrecreateRequest::new(out("pc"), "s", "1.00"),
                &on(p),
            )
            .await
            .unwrap();
        assert!(r.data.qr_code.starts_with("https://"));
        let r = client
            .call_with(
                &AlipayTradePayRequest::new(
                    "280000000000000001",
                    out("p"),
                    "bar_code",
                    "s",
                    "10.00",
                ),
                &on(p),
            )
            .await
            .unwrap();
        assert!(!r.data.trade_no.is_empty());
        let q = client
            .call_with(
                &AlipayTradeQueryRequest::new().out_trade_no(out("p")),
                &on(p),
            )
            .await
            .unwrap();
        assert_eq!(q.data.trade_status.as_str(), "TRADE_SUCCESS");
        let r = client
            .call_with(
                &AlipayTradeRefundRequest::new("1.00").out_trade_no(out("p")),
                &on(p),
            )
            .await
            .unwrap();
        assert_eq!(r.data.refund_fee, "1.00");
        client
            .call_with(
                &AlipayTradeCloseRequest::new().out_trade_no(out("c")),
                &on(p),
            )
            .await
            .unwrap();
        let r = client
            .call_with(
                &AlipayTradeCancelRequest::new().out_trade_no(out("pc")),
                &on(p),
            )
            .await
            .unwrap();
        assert_eq!(r.data.action.as_ref().map(|a| a.as_str()), Some("close"));

        let r = client
            .call_with(
                &AlipayPcreditHuabeiAuthOrderQueryRequest::new()
                    .auth_opt_id(huabei::SEED_AUTH_OPT_ID),
                &on(p),
            )
            .await
            .unwrap();
        assert_eq!(r.data.rest_freeze_amount.as_deref(), Some("100.00"));
        let r = client
            .call_with(
                &AlipayPcreditHuabeiAuthOrderUnfreezeRequest::new(
                    huabei::SEED_AGREEMENT,
                    out("u"),
                    "1.00",
                )
                .alipay_user_id(huabei::SEED_USER),
                &on(p),
            )
            .await
            .unwrap();
        assert!(r.data.rest_freeze_amount.is_some());
    }
    // v2-only operations.
    let r = client
        .call(&ZhimaMerchantOrderRentQueryRequest::new(
            zhima::SEED_RESTORED,
            zhima::PRODUCT_CODE,
        ))
        .await
        .unwrap();
    assert_eq!(r.use_state.as_str(), "restore");
    let r = client
        .call(
            &AlipayFundCouponOperationQueryRequest::new()
                .auth_no(coupon::SEED_AUTH_NO)
                .operation_id(coupon::SEED_PAY_OPERATION_ID),
        )
        .await
        .unwrap();
    assert_eq!(r.operation_type.as_ref().map(|t| t.as_str()), Some("PAY"));
}

#[tokio::test]
async fn full_trade_lifecycle_with_typed_errors() {
    let emu = Emulator::builder().start().await.unwrap();
    let client = client_for(&emu, RetryPolicy::disabled());
    for p in BOTH {
        let out = format!("life-{p:?}");
        client
            .call_with(
                &AlipayTradePrecreateRequest::new(&out, "s", "50.00"),
                &on(p),
            )
            .await
            .unwrap();
        let q = client
            .call_with(&AlipayTradeQueryRequest::new().out_trade_no(&out), &on(p))
            .await
            .unwrap();
        assert_eq!(q.data.trade_status.as_str(), "WAIT_BUYER_PAY");
        let refund_unpaid = client
            .call_with(
                &AlipayTradeRefundRequest::new("1.00").out_trade_no(&out),
                &on(p),
            )
            .await
            .unwrap_err();
        assert_eq!(sub_code(&refund_unpaid), "ACQ.TRADE_STATUS_ERROR");
        emu.pay_trade(&out, None).unwrap();
        let partial = AlipayTradeRefundRequest::new("20.00")
            .out_trade_no(&out)
            .out_request_no("r1");
        client.call_with(&partial, &on(p)).await.unwrap();
        let again = client.call_with(&partial, &on(p)).await.unwrap();
        assert_eq!(again.data.fund_change.as_str(), "N");
        let too_much = AlipayTradeRefundRequest::new("30.01")
            .out_trade_no(&out)
            .out_request_no("r2");
        let e = client.call_with(&too_much, &on(p)).await.unwrap_err();
        assert_eq!(sub_code(&e), "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
        let close = client
            .call_with(&AlipayTradeCloseRequest::new().out_trade_no(&out), &on(p))
            .await
            .unwrap_err();
        assert_eq!(sub_code(&close), "ACQ.TRADE_STATUS_ERROR");
        let rest = AlipayTradeRefundRequest::new("30.00")
            .out_trade_no(&out)
            .out_request_no("r2");
        assert_eq!(
            client
                .call_with(&rest, &on(p))
                .await
                .unwrap()
                .data
                .refund_fee,
            "50.00"
        );
        let q = client
            .call_with(&AlipayTradeQueryRequest::new().out_trade_no(&out), &on(p))
            .await
            .unwrap();
        assert_eq!(q.data.trade_status.as_str(), "TRADE_CLOSED");
        let missing = client
            .call_with(&AlipayTradeQueryRequest::new().out_trade_no("nope"), &on(p))
            .await
            .unwrap_err();
        assert_eq!(sub_code(&missing), "ACQ.TRADE_NOT_EXIST");
        // The same code, typed, on both protocols (v2 sub_code, v3 code).
        assert_eq!(
            AlipayTradeQueryErrorCode::of(&missing),
            Some(AlipayTradeQueryErrorCode::AcqTradeNotExist),
            "{p:?}"
        );
    }
    // 10003, then success on the next query.
    let r = client
        .call_with(
            &AlipayTradePayRequest::new("990000000000000001", "wait", "bar_code", "s", "1.00"),
            &on(Protocol::V2),
        )
        .await
        .unwrap();
    assert!(!r.data.trade_no.is_empty());
    let q = client
        .call(&AlipayTradeQueryRequest::new().out_trade_no("wait"))
        .await
        .unwrap();
    assert_eq!(q.trade_status.as_str(), "TRADE_SUCCESS");
}

#[tokio::test]
async fn fault_modes_give_typed_errors_or_safe_retries() {
    let emu = Emulator::builder().start().await.unwrap();
    let client = client_for(&emu, fast_retry());
    let query = AlipayTradeQueryRequest::new().out_trade_no("F-q");
    client
        .call(&AlipayTradePrecreateRequest::new("F-q", "测试商品", "1.00"))
        .await
        .unwrap();
    for p in BOTH {
        let rule = |f: Fault| {
            FaultRule::always(f).protocol(match p {
                Protocol::V2 => alipay_emulator::Protocol::V2,
                _ => alipay_emulator::Protocol::V3,
            })
        };
        let opts = on(p);
        let call = || client.call_with(&query, &opts);

        // Read-only calls are retried after a transient failure and succeed.
        for f in [
            Fault::HttpStatus { status: 502 },
            Fault::UnknownError,
            Fault::ConnectionReset,
            Fault::TruncatedBody,
        ] {
            emu.inject(rule(f.clone()).method("alipay.trade.query").once());
            call().await.unwrap_or_else(|e| panic!("{p:?} {f:?}: {e}"));
        }

        // Persistent faults: the specific error.
        let id = emu.inject(rule(Fault::WrongSignature));
        let e = call().await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Response {
                    problem: ResponseProblem::BadSignature,
                    ..
                }
            ),
            "{p:?}: {e:?}"
        );
        emu.remove_fault(id);

        let id = emu.inject(rule(Fault::MissingSignature));
        let e = call().await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Response {
                    problem: ResponseProblem::MissingSignature,
                    ..
                }
            ),
            "{p:?}: {e:?}"
        );
        emu.remove_fault(id);

        let id = emu.inject(rule(Fault::GbkBody));
        let e = call().await.unwrap_err();
        // v2: the body is not UTF-8. v3: the signature covers the GBK bytes and verifies, then
        // the JSON is not UTF-8.
        assert!(
            matches!(
                e,
                Error::Response {
                    problem: ResponseProblem::Undecodable(_),
                    ..
                } | Error::Decode { .. }
            ),
            "{p:?}: {e:?}"
        );
        emu.remove_fault(id);

        let id = emu.inject(rule(Fault::HttpStatus { status: 503 }));
        let e = call().await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Response {
                    problem: ResponseProblem::HttpStatus { status: 503 },
                    ..
                }
            ),
            "{p:?}: {e:?}"
        );
        emu.remove_fault(id);

        let id = emu.inject(rule(Fault::UnknownError));
        let e = call().await.unwrap_err();
        assert!(e.outcome_unknown(), "{p:?}: {e:?}");
        emu.remove_fault(id);

        // Sign before the node is valid: robust extraction copes.
        let id = emu.inject(rule(Fault::SignBeforeNode));
        call().await.unwrap();
        emu.remove_fault(id);

        // A delay longer than the client's attempt timeout.
        let slow = Client::builder()
            .app_id(emu.app_id())
            .private_key(test_keys::APP_PRIVATE_KEY)
            .alipay_public_key(test_keys::ALIPAY_PUBLIC_KEY)
            .endpoint(Endpoint::custom(emu.gateway_url(), emu.base_url()))
            .timeout(Duration::from_millis(100))
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        let id = emu.inject(rule(Fault::Delay { ms: 400 }));
        let e = slow.call_with(&query, &on(p)).await.unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{p:?}: {e:?}");
        emu.remove_fault(id);
    }

    // A money-moving call is never blindly retried: after a reset the trade was created once
    // and the client reports an unknown outcome.
    emu.inject(
        FaultRule::always(Fault::ConnectionReset)
            .method("alipay.trade.pay")
            .once(),
    );
    let e = client
        .call(&AlipayTradePayRequest::new(
            "280000000000000001",
            "F-pay",
            "bar_code",
            "s",
            "3.00",
        ))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    assert_eq!(emu.trade("F-pay").unwrap()["trade_status"], "TRADE_SUCCESS");

    // A refund carries its idempotency key: after a reset (the refund was made, the answer
    // lost) the client repeats it with the same out_request_no, and Alipay refunds once.
    emu.inject(
        FaultRule::always(Fault::ConnectionReset)
            .method("alipay.trade.refund")
            .once(),
    );
    let refund = AlipayTradeRefundRequest::new("1.00")
        .out_trade_no("F-pay")
        .out_request_no("F-R1");
    let reply = client
        .call_with(&refund, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(reply.raw.attempts, 2);
    let trade = emu.trade("F-pay").unwrap();
    assert_eq!(trade["refunded_amount"], "1.00", "{trade}");
    assert_eq!(
        trade["refunds"].as_array().map(Vec::len),
        Some(1),
        "{trade}"
    );
    // Without out_request_no the refund is an ordinary money-moving call: not repeated.
    emu.inject(
        FaultRule::always(Fault::ConnectionReset)
            .method("alipay.trade.refund")
            .once(),
    );
    let e = client
        .call(&AlipayTradeRefundRequest::new("1.00").out_trade_no("F-pay"))
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
}

#[tokio::test]
async fn certificate_rotation_is_fetched_validated_and_untrusted_certs_refused() {
    let emu = Emulator::builder().cert_mode().start().await.unwrap();
    let client = Client::builder()
        .app_id(emu.app_id())
        .private_key(test_keys::APP_PRIVATE_KEY)
        .app_cert(test_keys::APP_CERT)
        .alipay_cert(test_keys::ALIPAY_CERT)
        .alipay_root_cert(test_keys::ROOT_CERT_WITH_ROTATION)
        .endpoint(Endpoint::custom(emu.gateway_url(), emu.base_url()))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    client
        .call(&AlipayTradePrecreateRequest::new("C1", "s", "1.00"))
        .await
        .unwrap();
    emu.inject(FaultRule::always(Fault::RotatedCert).method("alipay.trade.query"));
    for p in BOTH {
        let q = client
            .call_with(&AlipayTradeQueryRequest::new().out_trade_no("C1"), &on(p))
            .await
            .unwrap_or_else(|e| panic!("{p:?}: {e}"));
        assert_eq!(q.data.trade_status.as_str(), "WAIT_BUYER_PAY");
    }
    emu.clear_faults();
    emu.inject(FaultRule::always(Fault::UntrustedCert).method("alipay.trade.query"));
    let e = client
        .call_with(
            &AlipayTradeQueryRequest::new().out_trade_no("C1"),
            &on(Protocol::V2),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Response {
                problem: ResponseProblem::UntrustedCert { .. }
                    | ResponseProblem::UnknownCert { .. },
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn aes_and_app_auth_token_through_the_client() {
    let emu = Emulator::builder()
        .aes_key(test_keys::AES_KEY)
        .app_auth_tokens(["202406BB"])
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .app_id(emu.app_id())
        .private_key(test_keys::APP_PRIVATE_KEY)
        .alipay_public_key(test_keys::ALIPAY_PUBLIC_KEY)
        .aes_key(test_keys::AES_KEY)
        .encrypt_by_default(true)
        .endpoint(Endpoint::custom(emu.gateway_url(), emu.base_url()))
        .build()
        .unwrap();
    for p in BOTH {
        let out = format!("aes-{p:?}");
        client
            .call_with(
                &AlipayTradePrecreateRequest::new(&out, "s", "1.00"),
                &on(p).app_auth_token("202406BB"),
            )
            .await
            .unwrap_or_else(|e| panic!("{p:?}: {e}"));
        let e = client
            .call_with(
                &AlipayTradeQueryRequest::new().out_trade_no(&out),
                &on(p).app_auth_token("bad"),
            )
            .await
            .unwrap_err();
        assert!(e.service().is_some(), "{p:?}: {e:?}");
    }
}

#[tokio::test]
async fn page_pay_cashier_redirects_with_signed_return_parameters_and_app_pay_pays() {
    use alipay_sdk::ApiRequest;
    let emu = Emulator::builder().start().await.unwrap();
    let client = client_for(&emu, RetryPolicy::disabled());
    let req =
        AlipayTradePagePayRequest::new("PP1", "FAST_INSTANT_TRADE_PAY", "测试 & <商品>", "88.88");
    let signed = client
        .sign_v2_params(
            <AlipayTradePagePayRequest as ApiRequest>::OPERATION,
            serde_json::to_value(&req).unwrap(),
            &CallOptions::new().return_url("https://merchant.example/return"),
        )
        .unwrap();
    let pairs: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = alipay_sdk::runtime::checkout::page_pay_url(&emu.gateway_url(), &pairs);
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<dd id=\"out_trade_no\">PP1</dd>"), "{html}");
    assert!(html.contains("测试 &amp; &lt;商品&gt;"), "{html}");
    assert_eq!(emu.trade("PP1").unwrap()["trade_status"], "WAIT_BUYER_PAY");

    // A tampered URL is refused.
    let bad = http.get(url.replace("88.88", "0.01")).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("isv.invalid-signature"));

    let paid = http
        .post(format!("{}/cashier/PP1/pay", emu.control_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 302);
    let location = paid.headers()["location"].to_str().unwrap().to_owned();
    let query = location
        .strip_prefix("https://merchant.example/return?")
        .unwrap();
    let pairs = alipay_sdk::runtime::v2::form_decode(query);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let key =
        alipay_sdk::runtime::keys::PublicKey::from_text(test_keys::ALIPAY_PUBLIC_KEY).unwrap();
    let v = alipay_sdk::runtime::notify::verify_pairs(
        &refs,
        &key,
        alipay_sdk::runtime::notify::NotifyRule::V1,
    )
    .unwrap();
    assert_eq!(
        (v.get("out_trade_no"), v.get("method")),
        (Some("PP1"), Some("alipay.trade.page.pay.return"))
    );
    let q = client
        .call(&AlipayTradeQueryRequest::new().out_trade_no("PP1"))
        .await
        .unwrap();
    assert_eq!(q.trade_status.as_str(), "TRADE_SUCCESS");

    // App pay: the order string the merchant app hands to the Alipay app.
    let app = AlipayTradeAppPayRequest::new("AP1", "s", "1.00");
    let signed = client
        .sign_v2_params(
            <AlipayTradeAppPayRequest as ApiRequest>::OPERATION,
            serde_json::to_value(&app).unwrap(),
            &CallOptions::new(),
        )
        .unwrap();
    let pairs: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let order = alipay_sdk::runtime::checkout::app_pay_order_string(&pairs);
    let r = http
        .post(format!("{}/app-pay", emu.control_url()))
        .body(order.clone())
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["resultStatus"], "9000", "{v}");
    assert_eq!(emu.trade("AP1").unwrap()["trade_status"], "TRADE_SUCCESS");
    let r = http
        .post(format!("{}/app-pay", emu.control_url()))
        .body(order.replace("sign=", "sign=AAAA"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["resultStatus"], "4000", "{v}");
}

/// An upload operation (a fixture spec) on both protocols: v2 multipart with signed text
/// parts, v3 multipart with the signed `data` part; file parts are never signed.
#[tokio::test]
async fn multipart_uploads_on_both_protocols() {
    use alipay_sdk::runtime::{HttpMethod, Operation, Safety, V2Route, V3Body, V3Route};
    static UPLOAD: Operation = Operation {
        name: "alipay.open.file.upload",
        safety: Safety::Mutating,
        v2: Some(V2Route {
            response_key: "alipay_open_file_upload_response",
            biz_content: true,
            text_params: &[],
            files: &["file_content"],
            need_encrypt: false,
            client_executed: false,
        }),
        v3: Some(V3Route {
            method: HttpMethod::Post,
            path: "/v3/alipay/open/file/upload",
            path_params: &[],
            query_params: &[],
            body: V3Body::Multipart {
                files: &["file_content"],
            },
        }),
    };
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upload_specs");
    let emu = Emulator::builder().specs_dir(specs).start().await.unwrap();
    let client = client_for(&emu, RetryPolicy::disabled());
    let file = alipay_sdk::FilePart::new(
        "file_content",
        "a.png",
        "image/png",
        vec![0x89, b'P', b'N', b'G', 0, 0xff],
    );
    for p in BOTH {
        let raw = client
            .execute(
                &UPLOAD,
                serde_json::json!({"biz_code": "content_creation"}),
                &on(p).file(file.clone()),
            )
            .await
            .unwrap_or_else(|e| panic!("{p:?}: {e}"));
        let v: serde_json::Value = serde_json::from_slice(&raw.body).unwrap();
        assert_eq!(v["file_id"], "6ZKT7oAAAAAAAAAAAAAAAAAAAAAA", "{p:?}");
        // The spec's required biz_code is checked inside the multipart request too.
        let e = client
            .execute(
                &UPLOAD,
                serde_json::json!({"md5": "x"}),
                &on(p).file(file.clone()),
            )
            .await
            .unwrap_err();
        assert!(e.service().is_some(), "{p:?}: {e:?}");
    }
}

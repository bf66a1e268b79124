//! The client against a loopback server playing the v2 gateway.

mod client_support;

use alipay_runtime::{
    CallOptions, Error, FilePart, Operation, Protocol, ResponseProblem, Safety, ServiceError,
    V2Route,
};
use client_support::*;
use serde_json::json;

static TRADE_QUERY: Operation = op_v2(
    "alipay.trade.query",
    Safety::ReadOnly,
    "alipay_trade_query_response",
);

static TRADE_PAY: Operation = op_v2(
    "alipay.trade.pay",
    Safety::Mutating,
    "alipay_trade_pay_response",
);

static FILE_UPLOAD: Operation = Operation {
    name: "alipay.open.file.upload",
    safety: Safety::Mutating,
    v2: Some(V2Route {
        response_key: "alipay_open_file_upload_response",
        biz_content: false,
        text_params: &["biz_code"],
        files: &["file_content"],
        need_encrypt: false,
        client_executed: false,
    }),
    v3: None,
};

const OK_NODE: &str = r#"{"code":"10000","msg":"Success","trade_no":"2014112611001004680073956707","out_trade_no":"20150320010101001","note":"\u4e2d\/\"{}\\"}"#;

fn query_params() -> serde_json::Value {
    json!({"out_trade_no": "20150320010101001", "trade_no": "2014112611001004680073956707"})
}

#[tokio::test]
async fn v2_success_reproduces_the_vector_and_returns_the_verified_node() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v2_signed("alipay_trade_query_response", OK_NODE, &signer, None)
    })
    .await;
    let client = client_builder(&server).clock(fixed_clock).build().unwrap();
    let raw = client
        .execute(&TRADE_QUERY, query_params(), &CallOptions::default())
        .await
        .unwrap();
    assert_eq!(raw.protocol, Protocol::V2);
    assert_eq!(raw.http_status, 200);
    // The body is the verified node, byte for byte (escapes kept).
    assert_eq!(&raw.body[..], OK_NODE.as_bytes());

    let got = &server.received()[0];
    assert_eq!(got.method, "POST");
    assert!(got.target.starts_with("/gateway.do?"), "{}", got.target);
    // The gateway's view: the signature verifies over every parameter sent.
    let content = got.verify_v2(&app_public_key()).unwrap();
    // Same parameter set as the Python SDK's vector (format=json), so the same signature.
    let v = vector("v2_alipay_trade_query_request_python_sdk");
    assert_eq!(content, v["expected"]["string_to_sign"].as_str().unwrap());
    assert_eq!(
        got.v2_param("sign").as_deref(),
        v["expected"]["sign"].as_str()
    );
    // Common parameters and sign in the query; biz_content alone in the form body.
    assert!(got.query().contains("timestamp=2024-06-01+12%3A34%3A56"));
    assert!(got.query().contains("sign="));
    assert!(!got.query().contains("biz_content"));
    assert!(got
        .body_text()
        .starts_with("biz_content=%7B%22out_trade_no%22"));
    assert_eq!(
        got.header("content-type"),
        Some("application/x-www-form-urlencoded;charset=utf-8")
    );
}

#[tokio::test]
async fn v2_options_are_signed_common_parameters() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v2_signed(
            "alipay_trade_pay_response",
            r#"{"code":"10000","msg":"Success"}"#,
            &signer,
            None,
        )
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let options = CallOptions::new()
        .app_auth_token("202406BBf0e1d2c3b4a5968778695a4b3c2d1E01")
        .auth_token("authusrB1234")
        .notify_url("https://merchant.example/notify?a=1&b=2")
        .return_url("https://merchant.example/return");
    client
        .execute(
            &TRADE_PAY,
            json!({"out_trade_no": "1", "total_amount": "0.01"}),
            &options,
        )
        .await
        .unwrap();
    let got = &server.received()[0];
    let content = got.verify_v2(&app_public_key()).unwrap();
    for part in [
        "app_auth_token=202406BBf0e1d2c3b4a5968778695a4b3c2d1E01",
        "auth_token=authusrB1234",
        "notify_url=https://merchant.example/notify?a=1&b=2",
        "return_url=https://merchant.example/return",
        "format=json",
        "version=1.0",
        "sign_type=RSA2",
        "charset=utf-8",
    ] {
        assert!(content.contains(part), "{part} missing in {content}");
    }
    // Beijing time whatever the host's time zone: within a day of now, in the right format.
    let ts = got.v2_param("timestamp").unwrap();
    assert_eq!(ts.len(), 19, "{ts}");
    assert_eq!(&ts[10..11], " ");
}

#[tokio::test]
async fn v2_success_without_signature_is_rejected() {
    let server =
        FakeAlipay::start(|_, _| Answer::v2_unsigned("alipay_trade_query_response", OK_NODE)).await;
    let client = client_builder(&server).build().unwrap();
    let err = client
        .execute(&TRADE_QUERY, query_params(), &CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(problem(&err), &ResponseProblem::MissingSignature);
    assert!(err.outcome_unknown());
}

#[tokio::test]
async fn v2_tampered_response_is_rejected() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        let a = Answer::v2_signed("alipay_trade_query_response", OK_NODE, &signer, None);
        let text = String::from_utf8(a.body.to_vec()).unwrap();
        Answer::new(
            200,
            text.replace("\"code\":\"10000\"", "\"code\":\"10000\" "),
        )
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let err = client
        .execute(&TRADE_QUERY, query_params(), &CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(problem(&err), &ResponseProblem::BadSignature);
}

#[tokio::test]
async fn v2_response_signed_by_another_key_is_rejected() {
    let other =
        alipay_runtime::keys::PrivateKey::from_text(&read(fixtures_dir().join("rotated.key")))
            .unwrap();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v2_signed("alipay_trade_query_response", OK_NODE, &other, None)
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let err = client
        .execute(&TRADE_QUERY, query_params(), &CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(problem(&err), &ResponseProblem::BadSignature);
}

#[tokio::test]
async fn v2_service_errors_are_typed_signed_or_not() {
    let signer = alipay_signer();
    let node = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}"#;
    let server = FakeAlipay::start(move |_, i| match i {
        0 => Answer::v2_signed("alipay_trade_query_response", node, &signer, None),
        1 => Answer::v2_unsigned(
            "error_response",
            r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}"#,
        ),
        // A signed error whose signature is wrong is not trusted.
        _ => {
            let a = Answer::v2_signed("alipay_trade_query_response", node, &signer, None);
            let text = String::from_utf8(a.body.to_vec()).unwrap();
            Answer::new(200, text.replace("40004", "40005"))
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let opts = CallOptions::default();

    let err = client
        .execute(&TRADE_QUERY, query_params(), &opts)
        .await
        .unwrap_err();
    match err.service() {
        Some(ServiceError::V2 {
            code,
            sub_code,
            sub_msg,
            verified,
            ..
        }) => {
            assert_eq!(code, "40004");
            assert_eq!(sub_code.as_deref(), Some("ACQ.TRADE_NOT_EXIST"));
            assert_eq!(sub_msg.as_deref(), Some("交易不存在"));
            assert!(*verified);
        }
        other => panic!("{other:?} / {err:?}"),
    }
    assert_eq!(err.sub_code(), Some("ACQ.TRADE_NOT_EXIST"));

    let err = client
        .execute(&TRADE_QUERY, query_params(), &opts)
        .await
        .unwrap_err();
    assert_eq!(err.service_code(), Some("40002"));
    assert!(matches!(
        err.service(),
        Some(ServiceError::V2 {
            verified: false,
            ..
        })
    ));
    assert!(err.to_string().contains("private key"), "{err}");

    let err = client
        .execute(&TRADE_QUERY, query_params(), &opts)
        .await
        .unwrap_err();
    assert_eq!(problem(&err), &ResponseProblem::BadSignature);
}

#[tokio::test]
async fn v2_aes_request_and_response() {
    let v = vector("v2_encrypted_request_and_response");
    let body = v["expected"]["response_raw_http_body"]
        .as_str()
        .unwrap()
        .to_string();
    let server = FakeAlipay::start(move |_, _| Answer::new(200, body.clone())).await;
    let client = client_builder(&server)
        .aes_key(AES_KEY)
        .clock(fixed_clock)
        .build()
        .unwrap();
    let raw = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "20150320010101001"}),
            &CallOptions::new().encrypt(true),
        )
        .await
        .unwrap();
    // Verified over the quoted ciphertext, then decrypted.
    assert_eq!(
        std::str::from_utf8(&raw.body).unwrap(),
        v["inputs"]["response_plaintext"].as_str().unwrap()
    );
    let got = &server.received()[0];
    let content = got.verify_v2(&app_public_key()).unwrap();
    // The vector's parameters plus format=json.
    let expected = v["expected"]["string_to_sign"]
        .as_str()
        .unwrap()
        .replace("&encrypt_type=AES&", "&encrypt_type=AES&format=json&");
    assert_eq!(content, expected);
    assert_eq!(got.v2_param("encrypt_type").as_deref(), Some("AES"));
}

#[tokio::test]
async fn v2_encrypted_response_needs_the_signature_too() {
    let v = vector("v2_encrypted_request_and_response");
    let body = v["expected"]["response_raw_http_body"].as_str().unwrap();
    let unsigned = body.split(",\"sign\"").next().unwrap().to_string() + "}";
    let server = FakeAlipay::start(move |_, _| Answer::new(200, unsigned.clone())).await;
    let client = client_builder(&server).aes_key(AES_KEY).build().unwrap();
    let err = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::new().encrypt(true),
        )
        .await
        .unwrap_err();
    assert_eq!(problem(&err), &ResponseProblem::MissingSignature);
}

#[tokio::test]
async fn v2_upload_is_multipart_with_unsigned_file_parts() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v2_signed(
            "alipay_open_file_upload_response",
            r#"{"code":"10000","msg":"Success","file_id":"A*7q"}"#,
            &signer,
            None,
        )
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let options = CallOptions::new().file(FilePart::new(
        "file_content",
        "hello.txt",
        "text/plain",
        &b"hello world\n"[..],
    ));
    let raw = client
        .execute(
            &FILE_UPLOAD,
            json!({"biz_code": "openpt_appstore"}),
            &options,
        )
        .await
        .unwrap();
    assert!(std::str::from_utf8(&raw.body).unwrap().contains("A*7q"));
    let got = &server.received()[0];
    let ct = got.header("content-type").unwrap();
    assert!(ct.starts_with("multipart/form-data; boundary="), "{ct}");
    let body = got.body_text();
    assert!(body.contains("name=\"biz_code\""), "{body}");
    assert!(body.contains("name=\"file_content\"; filename=\"hello.txt\""));
    assert!(body.contains("hello world\n"));
    // The signature covers the query parameters and the text part, not the file.
    let mut params = alipay_runtime::v2::form_decode(got.query());
    params.push(("biz_code".into(), "openpt_appstore".into()));
    let sign = params.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let content = alipay_runtime::v2::string_to_sign(&refs);
    assert!(content.contains("biz_code=openpt_appstore"));
    app_public_key()
        .verify(
            alipay_runtime::keys::SignType::Rsa2,
            content.as_bytes(),
            &sign,
        )
        .unwrap();
}

#[tokio::test]
async fn v2_unknown_file_parameter_is_a_build_error_and_nothing_is_sent() {
    let server = FakeAlipay::start(|_, _| Answer::new(500, "")).await;
    let client = client_builder(&server).build().unwrap();
    let options = CallOptions::new().file(FilePart::new("photo", "a.jpg", "image/jpeg", &b"x"[..]));
    let err = client
        .execute(&FILE_UPLOAD, json!({"biz_code": "x"}), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Build(_)), "{err:?}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn v2_client_executed_operations_are_signed_without_sending() {
    static APP_PAY: Operation = Operation {
        name: "alipay.trade.app.pay",
        safety: Safety::Mutating,
        v2: Some(V2Route {
            response_key: "alipay_trade_app_pay_response",
            biz_content: true,
            text_params: &[],
            files: &[],
            need_encrypt: false,
            client_executed: true,
        }),
        v3: None,
    };
    let server = FakeAlipay::start(|_, _| Answer::new(500, "")).await;
    let client = client_builder(&server).clock(fixed_clock).build().unwrap();
    let params = client
        .sign_v2_params(
            &APP_PAY,
            json!({"out_trade_no": "1", "total_amount": "9.00", "subject": "大乐透"}),
            &CallOptions::new().notify_url("https://m.example/n"),
        )
        .unwrap();
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sign = params.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
    app_public_key()
        .verify(
            alipay_runtime::keys::SignType::Rsa2,
            alipay_runtime::v2::string_to_sign(&refs).as_bytes(),
            &sign,
        )
        .unwrap();
    let err = client
        .execute(
            &APP_PAY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Build(_)), "{err:?}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn v2_non_200_and_garbage_bodies_are_response_errors() {
    let server = FakeAlipay::start(|_, i| match i {
        0 => Answer::new(502, "<html>bad gateway</html>"),
        1 => Answer::new(200, r#"{"alipay_trade_query_response":{"code":"10000""#),
        _ => Answer::new(200, vec![0xff, 0xfe, b'{']),
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let opts = CallOptions::default();
    let e = client
        .execute(&TRADE_QUERY, query_params(), &opts)
        .await
        .unwrap_err();
    assert_eq!(problem(&e), &ResponseProblem::HttpStatus { status: 502 });
    let e = client
        .execute(&TRADE_QUERY, query_params(), &opts)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Response {
                problem: ResponseProblem::Undecodable(_),
                ..
            }
        ),
        "{e:?}"
    );
    let e = client
        .execute(&TRADE_QUERY, query_params(), &opts)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Response {
                problem: ResponseProblem::Undecodable(_),
                ..
            }
        ),
        "{e:?}"
    );
}

#[cfg(feature = "legacy-rsa1")]
#[tokio::test]
async fn v2_legacy_rsa_signs_and_verifies_with_sha1() {
    use alipay_runtime::keys::SignType;
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        let sign = signer.sign(SignType::Rsa, OK_NODE.as_bytes()).unwrap();
        Answer::new(
            200,
            format!(r#"{{"alipay_trade_query_response":{OK_NODE},"sign":"{sign}"}}"#),
        )
    })
    .await;
    let client = client_builder(&server)
        .sign_type(SignType::Rsa)
        .build()
        .unwrap();
    client
        .execute(&TRADE_QUERY, query_params(), &CallOptions::default())
        .await
        .unwrap();
    let got = &server.received()[0];
    assert_eq!(got.v2_param("sign_type").as_deref(), Some("RSA"));
    let params = got.v2_params();
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sign = got.v2_param("sign").unwrap();
    app_public_key()
        .verify(
            SignType::Rsa,
            alipay_runtime::v2::string_to_sign(&refs).as_bytes(),
            &sign,
        )
        .unwrap();
}

#[tokio::test]
async fn v2_corrupted_or_garbage_signature_is_rejected() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, i| {
        let a = Answer::v2_signed("alipay_trade_query_response", OK_NODE, &signer, None);
        let text = String::from_utf8(a.body.to_vec()).unwrap();
        let (head, sign) = text.rsplit_once("\"sign\":\"").unwrap();
        let mut sign: Vec<char> = sign.trim_end_matches("\"}").chars().collect();
        match i {
            0 => sign[10] = if sign[10] == 'A' { 'B' } else { 'A' },
            _ => sign = "not base64!".chars().collect(),
        }
        let sign: String = sign.into_iter().collect();
        Answer::new(200, format!("{head}\"sign\":\"{sign}\"}}"))
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    for _ in 0..2 {
        let err = client
            .execute(&TRADE_QUERY, query_params(), &CallOptions::default())
            .await
            .unwrap_err();
        assert_eq!(problem(&err), &ResponseProblem::BadSignature);
    }
}

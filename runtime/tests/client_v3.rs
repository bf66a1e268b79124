//! The client against a loopback server playing the v3 REST API.

mod client_support;

use alipay_runtime::{
    CallOptions, Error, FilePart, HttpMethod, Operation, Protocol, ResponseProblem, Safety,
    ServiceError, V3Body, V3Route,
};
use client_support::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static TRADE_QUERY: Operation = op_both(
    "alipay.trade.query",
    Safety::ReadOnly,
    "alipay_trade_query_response",
    "/v3/alipay/trade/query",
);

static HUABEI_QUERY: Operation = Operation {
    name: "alipay.pcredit.huabei.auth.order.query",
    safety: Safety::ReadOnly,
    v2: None,
    v3: Some(V3Route {
        method: HttpMethod::Get,
        path: "/v3/alipay/pcredit/huabei/auth/order/query",
        path_params: &[],
        query_params: &["auth_opt_id", "alipay_user_id", "out_request_no"],
        body: V3Body::None,
    }),
};

static RELATIONSHIP_QUERY: Operation = Operation {
    name: "alipay.open.auth.userauth.relationship.query",
    safety: Safety::ReadOnly,
    v2: None,
    v3: Some(V3Route {
        method: HttpMethod::Get,
        path: "/v3/alipay/open/auth/userauth/relationship/query",
        path_params: &[],
        query_params: &["scopes", "note"],
        body: V3Body::None,
    }),
};

static ACTIVITY_MODIFY: Operation = Operation {
    name: "alipay.marketing.activity.modify",
    safety: Safety::Mutating,
    v2: None,
    v3: Some(V3Route {
        method: HttpMethod::Patch,
        path: "/v3/alipay/marketing/activity/{activity_id}",
        path_params: &["activity_id"],
        query_params: &["merchant_id"],
        body: V3Body::Json,
    }),
};

static FILE_UPLOAD: Operation = Operation {
    name: "alipay.open.file.upload",
    safety: Safety::Mutating,
    v2: None,
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

const QUERY_REPLY: &str = r#"{"trade_no":"2014112611001004680073956707","out_trade_no":"20150320010101001","buyer_logon_id":"159****5620","trade_status":"TRADE_SUCCESS","total_amount":"88.88"}"#;

/// Nonces `0b5e7c1a-2f3d-4e5f-8a9b-0000000000NN`, as in the vectors.
fn fixed_nonce(n: u32) -> impl Fn() -> String + Send + Sync + 'static {
    move || format!("0b5e7c1a-2f3d-4e5f-8a9b-{n:012}")
}

#[tokio::test]
async fn v3_post_reproduces_the_vector_end_to_end() {
    let v = vector("v3_post_trade_query");
    let signer = alipay_signer();
    let server =
        FakeAlipay::start(move |_, _| Answer::v3_signed(200, QUERY_REPLY, &signer, None)).await;
    let client = client_builder(&server)
        .clock(fixed_clock)
        .nonce_source(fixed_nonce(4))
        .build()
        .unwrap();
    let params =
        json!({"out_trade_no": "20150320010101001", "query_options": ["trade_settle_info"]});
    let raw = client
        .execute(&TRADE_QUERY, params, &CallOptions::default())
        .await
        .unwrap();
    assert_eq!(raw.protocol, Protocol::V3, "v3 is the default");
    assert_eq!(&raw.body[..], QUERY_REPLY.as_bytes());
    assert_eq!(
        raw.trace_id.as_deref(),
        Some("0b1f2e3d17172164971231234e0001")
    );

    let got = &server.received()[0];
    assert_eq!(got.method, "POST");
    assert_eq!(
        got.target,
        v["expected"]["http_request_target"].as_str().unwrap()
    );
    assert_eq!(got.body_text(), v["inputs"]["body_json"].as_str().unwrap());
    assert_eq!(
        got.header("authorization"),
        v["expected"]["authorization_header"].as_str()
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("accept"), Some("application/json"));
    assert!(got
        .header("alipay-request-id")
        .is_some_and(|r| r.len() >= 16));
    let content = got.verify_v3(&app_public_key(), &got.body_text()).unwrap();
    assert_eq!(content, v["expected"]["string_to_sign"].as_str().unwrap());
}

#[tokio::test]
async fn v3_get_with_query_and_app_auth_token_reproduces_the_vector() {
    let v = vector("v3_get_huabei_auth_order_query");
    let signer = alipay_signer();
    let reply = r#"{"auth_opt_id":"2018081010020817070009689955","out_request_no":"8077735255938032","auth_opt_type":"FREEZE","status":"SUCCESS"}"#;
    let server = FakeAlipay::start(move |_, _| Answer::v3_signed(200, reply, &signer, None)).await;
    let client = client_builder(&server)
        .clock(fixed_clock)
        .nonce_source(fixed_nonce(5))
        .build()
        .unwrap();
    // Serialized in another order than the descriptor: the descriptor's order wins.
    let params = json!({
        "out_request_no": "8077735255938032",
        "alipay_user_id": "2088101117955611",
        "auth_opt_id": "2018081010020817070009689955",
    });
    let token = v["inputs"]["app_auth_token"].as_str().unwrap();
    client
        .execute(
            &HUABEI_QUERY,
            params,
            &CallOptions::new().app_auth_token(token),
        )
        .await
        .unwrap();
    let got = &server.received()[0];
    assert_eq!(got.method, "GET");
    assert_eq!(
        got.target,
        v["expected"]["http_request_target"].as_str().unwrap()
    );
    assert!(got.body.is_empty());
    assert_eq!(got.header("content-type"), None);
    assert_eq!(got.header("alipay-app-auth-token"), Some(token));
    assert_eq!(
        got.header("authorization"),
        v["expected"]["authorization_header"].as_str()
    );
}

#[tokio::test]
async fn v3_query_target_is_byte_identical_on_the_wire() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| Answer::v3_signed(200, "{}", &signer, None)).await;
    let client = client_builder(&server).build().unwrap();
    // Characters an HTTP client or URL parser likes to rewrite.
    let params =
        json!({"scopes": "auth_user,auth_zhima", "note": "a b/c:d~e*f中+%2F'\"<>#?&=[]|^`{}\\"});
    client
        .execute(&RELATIONSHIP_QUERY, params, &CallOptions::default())
        .await
        .unwrap();
    let got = &server.received()[0];
    let expected = "/v3/alipay/open/auth/userauth/relationship/query?scopes=auth_user%2Cauth_zhima&note=a%20b%2Fc%3Ad~e%2Af%E4%B8%AD%2B%252F%27%22%3C%3E%23%3F%26%3D%5B%5D%7C%5E%60%7B%7D%5C";
    assert_eq!(got.target, expected);
    // ... and that is exactly the target that was signed.
    let content = got.verify_v3(&app_public_key(), "").unwrap();
    assert!(
        content.contains(&format!("\nGET\n{expected}\n\n")),
        "{content}"
    );
}

#[tokio::test]
async fn v3_path_parameters_are_encoded_once_and_signed_as_sent() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| Answer::v3_signed(200, "{}", &signer, None)).await;
    let client = client_builder(&server).build().unwrap();
    let params = json!({"activity_id": "A/1 2%", "merchant_id": "m 1", "name": "双11"});
    client
        .execute(&ACTIVITY_MODIFY, params, &CallOptions::default())
        .await
        .unwrap();
    let got = &server.received()[0];
    assert_eq!(got.method, "PATCH");
    assert_eq!(
        got.target,
        "/v3/alipay/marketing/activity/A%2F1%202%25?merchant_id=m%201"
    );
    assert_eq!(got.body_text(), r#"{"name":"双11"}"#);
    got.verify_v3(&app_public_key(), &got.body_text()).unwrap();

    // `..` would be normalised away by URL parsers: refused before anything is sent.
    let err = client
        .execute(
            &ACTIVITY_MODIFY,
            json!({"activity_id": ".."}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Build(_)), "{err:?}");
    let err = client
        .execute(
            &ACTIVITY_MODIFY,
            json!({"name": "x"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Build(_)), "{err:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn v3_success_must_be_signed_and_untampered() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, i| match i {
        0 => Answer::new(200, QUERY_REPLY),
        1 => {
            let mut a = Answer::v3_signed(200, QUERY_REPLY, &signer, None);
            a.body = QUERY_REPLY.replace("88.88", "88.89").into();
            a
        }
        2 => {
            // Signature of another response: the timestamp is covered too.
            let mut a = Answer::v3_signed(200, QUERY_REPLY, &signer, None);
            for (k, v) in a.headers.iter_mut() {
                if k == "alipay-timestamp" {
                    *v = "1717216497124".into();
                }
            }
            a
        }
        _ => Answer::new(200, QUERY_REPLY).header("alipay-signature", "null"),
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let p = json!({"out_trade_no": "1"});
    let opts = CallOptions::default();
    let e = client
        .execute(&TRADE_QUERY, p.clone(), &opts)
        .await
        .unwrap_err();
    assert_eq!(problem(&e), &ResponseProblem::MissingSignature);
    let e = client
        .execute(&TRADE_QUERY, p.clone(), &opts)
        .await
        .unwrap_err();
    assert_eq!(problem(&e), &ResponseProblem::BadSignature);
    let e = client
        .execute(&TRADE_QUERY, p.clone(), &opts)
        .await
        .unwrap_err();
    assert_eq!(problem(&e), &ResponseProblem::BadSignature);
    let e = client.execute(&TRADE_QUERY, p, &opts).await.unwrap_err();
    assert_eq!(problem(&e), &ResponseProblem::MissingSignature);
}

#[tokio::test]
async fn v3_errors_are_typed_with_status_links_and_trace_id() {
    let v = vector("v3_error_response_shape");
    let body = v["inputs"]["raw_http_body"].as_str().unwrap().to_string();
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, i| match i {
        0 => Answer::new(401, body.clone()).header("alipay-trace-id", "0b1f2e3d"),
        1 => Answer::v3_signed(
            400,
            r#"{"code":"INVALID_PARAMETER","message":"参数有误"}"#,
            &signer,
            None,
        ),
        _ => {
            // A signed error with a wrong signature is not trusted.
            let mut a = Answer::v3_signed(
                400,
                r#"{"code":"INVALID_PARAMETER","message":"参数有误"}"#,
                &signer,
                None,
            );
            a.body = r#"{"code":"OTHER","message":"参数有误"}"#.into();
            a
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let p = json!({"out_trade_no": "1"});
    let opts = CallOptions::default();

    let e = client
        .execute(&TRADE_QUERY, p.clone(), &opts)
        .await
        .unwrap_err();
    match e.service() {
        Some(ServiceError::V3 {
            http_status,
            code,
            message,
            links,
            trace_id,
            verified,
            ..
        }) => {
            assert_eq!(*http_status, 401);
            assert_eq!(code, "invalid-auth-token");
            assert_eq!(message, "无效的访问令牌");
            assert_eq!(links.len(), 1);
            assert_eq!(
                links[0].link,
                "https://open.alipay.com/api/errCheck?traceId=0b1f2e3d"
            );
            assert_eq!(links[0].desc, "解决方案");
            assert_eq!(trace_id.as_deref(), Some("0b1f2e3d"));
            assert!(!verified);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.trace_id(), Some("0b1f2e3d"));
    assert!(e.to_string().contains("trace id 0b1f2e3d"), "{e}");

    let e = client
        .execute(&TRADE_QUERY, p.clone(), &opts)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.service(),
            Some(ServiceError::V3 {
                http_status: 400,
                verified: true,
                ..
            })
        ),
        "{e:?}"
    );
    assert_eq!(e.service_code(), Some("INVALID_PARAMETER"));

    let e = client.execute(&TRADE_QUERY, p, &opts).await.unwrap_err();
    assert_eq!(problem(&e), &ResponseProblem::BadSignature);
}

#[tokio::test]
async fn v3_aes_request_and_response_reproduce_the_vector() {
    let v = vector("v3_encrypted_post");
    let reply = v["expected"]["response_raw_body"]
        .as_str()
        .unwrap()
        .to_string();
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v3_signed(200, &reply, &signer, None).header("content-type", "text/plain")
    })
    .await;
    let client = client_builder(&server)
        .aes_key(AES_KEY)
        .clock(fixed_clock)
        .nonce_source(fixed_nonce(9))
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
    let data: serde_json::Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(data, v["expected"]["decrypted_response"]);
    let got = &server.received()[0];
    assert_eq!(
        got.body_text(),
        v["expected"]["http_body"].as_str().unwrap()
    );
    assert_eq!(got.header("content-type"), Some("text/plain"));
    assert_eq!(got.header("alipay-encrypt-type"), Some("AES"));
    assert_eq!(
        got.header("authorization"),
        v["expected"]["request_headers"]["authorization"].as_str()
    );
}

#[tokio::test]
async fn v3_upload_signs_only_the_data_part() {
    let v = vector("v3_multipart_upload");
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v3_signed(200, r#"{"file_id":"A*7q"}"#, &signer, None)
    })
    .await;
    let client = client_builder(&server)
        .clock(fixed_clock)
        .nonce_source(fixed_nonce(10))
        .build()
        .unwrap();
    let options = CallOptions::new().file(FilePart::new(
        "file_content",
        "hello.txt",
        "text/plain",
        &b"hello world\n"[..],
    ));
    client
        .execute(
            &FILE_UPLOAD,
            json!({"biz_code": "openpt_appstore"}),
            &options,
        )
        .await
        .unwrap();
    let got = &server.received()[0];
    let ct = got.header("content-type").unwrap();
    let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
    let expected = v["expected"]["raw_multipart_body"]
        .as_str()
        .unwrap()
        .replace("<BOUNDARY>", boundary);
    assert_eq!(got.body_text(), expected);
    let content = got
        .verify_v3(&app_public_key(), r#"{"biz_code":"openpt_appstore"}"#)
        .unwrap();
    assert_eq!(content, v["expected"]["string_to_sign"].as_str().unwrap());
}

#[tokio::test]
async fn protocol_choice_per_call() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |r, _| {
        if r.target.starts_with("/gateway.do") {
            Answer::v2_signed(
                "alipay_trade_query_response",
                r#"{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS"}"#,
                &signer,
                None,
            )
        } else {
            Answer::v3_signed(200, QUERY_REPLY, &signer, None)
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let p = json!({"out_trade_no": "1"});
    let raw = client
        .execute(
            &TRADE_QUERY,
            p.clone(),
            &CallOptions::new().protocol(Protocol::V2),
        )
        .await
        .unwrap();
    assert_eq!(raw.protocol, Protocol::V2);
    let raw = client
        .execute(&TRADE_QUERY, p.clone(), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(raw.protocol, Protocol::V3);
    // A v3-only operation cannot be forced onto v2.
    let e = client
        .execute(
            &HUABEI_QUERY,
            json!({}),
            &CallOptions::new().protocol(Protocol::V2),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Build(_)), "{e:?}");
    // A client defaulting to v2 still uses v3 for a v3-only operation.
    let v2_client = client_builder(&server)
        .protocol(Protocol::V2)
        .build()
        .unwrap();
    let raw = v2_client
        .execute(&TRADE_QUERY, p, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(raw.protocol, Protocol::V2);
    let raw = v2_client
        .execute(
            &HUABEI_QUERY,
            json!({"auth_opt_id": "1"}),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(raw.protocol, Protocol::V3);
}

#[tokio::test]
async fn typed_call_decodes_the_verified_body() {
    #[derive(serde::Serialize)]
    struct Query {
        out_trade_no: String,
    }
    #[derive(serde::Deserialize, Debug)]
    struct QueryResponse {
        trade_status: String,
        total_amount: String,
    }
    impl alipay_runtime::ApiRequest for Query {
        type Response = QueryResponse;
        const OPERATION: &'static Operation = &TRADE_QUERY;
    }
    let signer = alipay_signer();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = FakeAlipay::start(move |_, _| {
        h.fetch_add(1, Ordering::SeqCst);
        Answer::v3_signed(200, QUERY_REPLY, &signer, None)
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let r = client
        .call(&Query {
            out_trade_no: "20150320010101001".into(),
        })
        .await
        .unwrap();
    assert_eq!(r.trade_status, "TRADE_SUCCESS");
    assert_eq!(r.total_amount, "88.88");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn v3_call_options_land_where_v3_takes_them() {
    static USER_INFO: Operation = Operation {
        name: "alios.open.auto.info.query",
        safety: Safety::ReadOnly,
        v2: None,
        v3: Some(V3Route {
            method: HttpMethod::Get,
            path: "/v3/alios/open/auto/info/query",
            path_params: &[],
            query_params: &["auth_token", "user_id"],
            body: V3Body::None,
        }),
    };
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| Answer::v3_signed(200, "{}", &signer, None)).await;
    let client = client_builder(&server).build().unwrap();
    client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::new().notify_url("https://m.example/n"),
        )
        .await
        .unwrap();
    client
        .execute(
            &USER_INFO,
            json!({"user_id": "2088"}),
            &CallOptions::new().auth_token("authusrB1"),
        )
        .await
        .unwrap();
    let got = server.received();
    assert_eq!(
        got[0].body_text(),
        r#"{"out_trade_no":"1","notify_url":"https://m.example/n"}"#
    );
    assert_eq!(
        got[1].target,
        "/v3/alios/open/auto/info/query?auth_token=authusrB1&user_id=2088"
    );
    got[1].verify_v3(&app_public_key(), "").unwrap();
    // An auth_token the v3 operation has no place for is refused, not dropped.
    let e = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::new()
                .auth_token("authusrB1")
                .protocol(Protocol::V3),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Build(_)), "{e:?}");
    assert_eq!(server.count(), 2);
    // Without an explicit protocol, such a call goes to v2, where auth_token is a common
    // parameter.
    let e = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::new().auth_token("authusrB1"),
        )
        .await
        .unwrap_err();
    assert!(server.received()[2].target.starts_with("/gateway.do?"));
    assert_eq!(
        server.received()[2].v2_param("auth_token").as_deref(),
        Some("authusrB1")
    );
    assert!(matches!(e, Error::Response { .. }), "{e:?}");
}

//! Certificate mode over loopback HTTP: SNs on the wire, key selection by the SN of the
//! signing certificate, and rotation (download, validation against the roots, caching).

mod client_support;

use alipay_runtime::keys::PrivateKey;
use alipay_runtime::{CallOptions, Client, Error, Operation, Protocol, ResponseProblem, Safety};
use base64::Engine;
use client_support::*;
use serde_json::json;

static TRADE_QUERY: Operation = op_both(
    "alipay.trade.query",
    Safety::ReadOnly,
    "alipay_trade_query_response",
    "/v3/alipay/trade/query",
);

const NODE: &str = r#"{"code":"10000","msg":"Success","trade_no":"2014112611001004680073956707","out_trade_no":"20150320010101001","trade_status":"TRADE_SUCCESS","total_amount":"88.88"}"#;

fn cert_file(name: &str) -> String {
    read(vectors_dir().join("certs").join(name))
}

fn fixture(name: &str) -> String {
    read(fixtures_dir().join(name))
}

/// The vectors' app cert and Alipay cert (with its intermediate); the vectors' root bundle,
/// plus the rotation root when `with_rotation_root`.
fn cert_client(server: &FakeAlipay, with_rotation_root: bool) -> alipay_runtime::ClientBuilder {
    let mut roots = cert_file("alipayRootCert.crt");
    if with_rotation_root {
        roots.push_str(&fixture("rot_root.crt"));
    }
    Client::builder()
        .app_id(APP_ID)
        .private_key(read(vectors_dir().join("app_private_key_pkcs8.pem")))
        .app_cert(cert_file("appCertPublicKey.crt"))
        .alipay_cert(cert_file("alipayCertPublicKey_RSA2.crt") + &cert_file("ca_class2.crt"))
        .alipay_root_cert(roots)
        .endpoint(server.endpoint())
        .retry(alipay_runtime::RetryPolicy::disabled())
}

fn sn_of(pem: &str) -> String {
    alipay_runtime::cert::parse_bundle(pem).unwrap()[0].sn()
}

fn download_answer(chain_pem: &str, signer: &PrivateKey, sn: &str) -> Answer {
    let content = base64::engine::general_purpose::STANDARD.encode(chain_pem);
    let node = format!(r#"{{"code":"10000","msg":"Success","alipay_cert_content":"{content}"}}"#);
    Answer::v2_signed(
        "alipay_open_app_alipaycert_download_response",
        &node,
        signer,
        Some(sn),
    )
}

#[tokio::test]
async fn cert_mode_v2_request_carries_the_sns_of_the_vector() {
    let v = vector("v2_alipay_trade_query_cert_mode");
    let body = v["expected"]["response_raw_http_body"]
        .as_str()
        .unwrap()
        .to_string();
    let server = FakeAlipay::start(move |_, _| Answer::new(200, body.clone())).await;
    let client = cert_client(&server, false)
        .clock(fixed_clock)
        .build()
        .unwrap();
    assert!(client.is_cert_mode());
    let raw = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "20150320010101001"}),
            &CallOptions::new().protocol(Protocol::V2),
        )
        .await
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&raw.body).unwrap(),
        v["expected"]["response_signed_substring"].as_str().unwrap()
    );
    let got = &server.received()[0];
    let content = got.verify_v2(&app_public_key()).unwrap();
    let expected = v["expected"]["string_to_sign"]
        .as_str()
        .unwrap()
        .replace("&charset=utf-8&", "&charset=utf-8&format=json&");
    assert_eq!(content, expected);
    assert_eq!(
        got.v2_param("app_cert_sn").as_deref(),
        v["expected"]["app_cert_sn"].as_str()
    );
    assert_eq!(
        got.v2_param("alipay_root_cert_sn").as_deref(),
        v["expected"]["alipay_root_cert_sn"].as_str()
    );
    assert_eq!(
        server.count(),
        1,
        "the configured certificate needs no download"
    );
}

#[tokio::test]
async fn cert_mode_v3_request_carries_the_sns() {
    let v = vector("v2_alipay_trade_query_cert_mode");
    let signer = alipay_signer();
    let alipay_sn = v["expected"]["alipay_cert_sn"]
        .as_str()
        .unwrap()
        .to_string();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v3_signed(
            200,
            r#"{"trade_status":"TRADE_SUCCESS"}"#,
            &signer,
            Some(&alipay_sn),
        )
    })
    .await;
    let client = cert_client(&server, false).build().unwrap();
    client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap();
    let got = &server.received()[0];
    let auth = got.header("authorization").unwrap();
    let app_sn = v["expected"]["app_cert_sn"].as_str().unwrap();
    assert!(
        auth.starts_with(&format!(
            "ALIPAY-SHA256withRSA app_id={APP_ID},app_cert_sn={app_sn},nonce="
        )),
        "{auth}"
    );
    assert_eq!(
        got.header("alipay-root-cert-sn"),
        v["expected"]["alipay_root_cert_sn"].as_str()
    );
    got.verify_v3(&app_public_key(), &got.body_text()).unwrap();
}

#[tokio::test]
async fn v2_rotated_certificate_is_downloaded_validated_cached_and_used() {
    let rotated = PrivateKey::from_text(&fixture("rotated.key")).unwrap();
    let chain = fixture("rotated_chain.crt");
    let sn = sn_of(&chain);
    let (s, c) = (sn.clone(), chain.clone());
    let server = FakeAlipay::start(move |r, _| {
        if r.v2_param("method").as_deref() == Some("alipay.open.app.alipaycert.download") {
            download_answer(&c, &rotated, &s)
        } else {
            Answer::v2_signed("alipay_trade_query_response", NODE, &rotated, Some(&s))
        }
    })
    .await;
    let client = cert_client(&server, true).build().unwrap();
    assert!(client.alipay_public_key_for_sn(&sn).is_none());
    let opts = CallOptions::new().protocol(Protocol::V2);
    let raw = client
        .execute(&TRADE_QUERY, json!({"out_trade_no": "1"}), &opts)
        .await
        .unwrap();
    assert_eq!(&raw.body[..], NODE.as_bytes());

    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].v2_param("method").as_deref(),
        Some("alipay.open.app.alipaycert.download")
    );
    assert_eq!(
        got[1].v2_param("biz_content"),
        Some(format!(r#"{{"alipay_cert_sn":"{sn}"}}"#))
    );
    got[1].verify_v2(&app_public_key()).unwrap();
    assert!(client.alipay_public_key_for_sn(&sn).is_some());

    // Cached: the next response signed by the rotated certificate needs no download.
    client
        .execute(&TRADE_QUERY, json!({"out_trade_no": "1"}), &opts)
        .await
        .unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn v3_rotated_certificate_is_fetched_through_the_v2_download() {
    let rotated = PrivateKey::from_text(&fixture("rotated.key")).unwrap();
    let chain = fixture("rotated_chain.crt");
    let sn = sn_of(&chain);
    let (s, c) = (sn.clone(), chain.clone());
    let server = FakeAlipay::start(move |r, _| {
        if r.target.starts_with("/gateway.do") {
            download_answer(&c, &rotated, &s)
        } else {
            Answer::v3_signed(
                200,
                r#"{"trade_status":"TRADE_SUCCESS"}"#,
                &rotated,
                Some(&s),
            )
        }
    })
    .await;
    let client = cert_client(&server, true).build().unwrap();
    let raw = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(raw.protocol, Protocol::V3);
    assert_eq!(server.count(), 2);
    assert!(server.received()[1].target.starts_with("/gateway.do?"));
}

#[tokio::test]
async fn untrusted_rotated_certificate_is_rejected_and_not_cached() {
    let evil = PrivateKey::from_text(&fixture("evil.key")).unwrap();
    let chain = fixture("evil_chain.crt");
    let sn = sn_of(&chain);
    let (s, c) = (sn.clone(), chain.clone());
    let server = FakeAlipay::start(move |r, _| {
        if r.v2_param("method").as_deref() == Some("alipay.open.app.alipaycert.download") {
            download_answer(&c, &evil, &s)
        } else {
            Answer::v2_signed("alipay_trade_query_response", NODE, &evil, Some(&s))
        }
    })
    .await;
    let client = cert_client(&server, true).build().unwrap();
    let opts = CallOptions::new().protocol(Protocol::V2);
    for round in 1..=2 {
        let err = client
            .execute(&TRADE_QUERY, json!({"out_trade_no": "1"}), &opts)
            .await
            .unwrap_err();
        match &err {
            Error::Response {
                problem: ResponseProblem::UntrustedCert { sn: got, .. },
                ..
            } => assert_eq!(got, &sn),
            other => panic!("{other:?}"),
        }
        assert!(err.outcome_unknown());
        // Never cached: every response signed by it triggers a new download and a rejection.
        assert_eq!(server.count(), 2 * round);
    }
    assert!(client.alipay_public_key_for_sn(&sn).is_none());
}

#[tokio::test]
async fn downloaded_certificate_must_be_the_requested_one() {
    let rotated = PrivateKey::from_text(&fixture("rotated.key")).unwrap();
    let chain = fixture("rotated_chain.crt");
    let wanted = "0123456789abcdef0123456789abcdef".to_string();
    let w = wanted.clone();
    let server = FakeAlipay::start(move |r, _| {
        if r.v2_param("method").as_deref() == Some("alipay.open.app.alipaycert.download") {
            download_answer(&chain, &rotated, &sn_of(&chain))
        } else {
            Answer::v2_signed("alipay_trade_query_response", NODE, &rotated, Some(&w))
        }
    })
    .await;
    let client = cert_client(&server, true).build().unwrap();
    let err = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::new().protocol(Protocol::V2),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Response { problem: ResponseProblem::UntrustedCert { sn, reason }, .. }
            if *sn == wanted && reason.contains("not the requested")),
        "{err:?}"
    );
}

#[tokio::test]
async fn failed_download_is_an_unknown_certificate_error() {
    let rotated = PrivateKey::from_text(&fixture("rotated.key")).unwrap();
    let sn = sn_of(&fixture("rotated_chain.crt"));
    let server = FakeAlipay::start(move |r, _| {
        if r.v2_param("method").as_deref() == Some("alipay.open.app.alipaycert.download") {
            Answer::v2_unsigned(
                "alipay_open_app_alipaycert_download_response",
                r#"{"code":"40004","msg":"Business Failed","sub_code":"CERT_NOT_EXIST"}"#,
            )
        } else {
            Answer::v2_signed("alipay_trade_query_response", NODE, &rotated, Some(&sn))
        }
    })
    .await;
    let client = cert_client(&server, true).build().unwrap();
    let err = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::new().protocol(Protocol::V2),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Response { problem: ResponseProblem::UnknownCert { reason, .. }, .. }
            if reason.contains("CERT_NOT_EXIST")),
        "{err:?}"
    );
}

#[tokio::test]
async fn cert_mode_configuration_errors_name_the_item() {
    let server = FakeAlipay::start(|_, _| Answer::new(500, "")).await;
    // The Alipay certificate does not chain to the roots without its intermediate... unless
    // the intermediate is given; an unrelated certificate never does.
    let e = cert_client(&server, false)
        .alipay_cert(fixture("rotated_chain.crt"))
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "alipay_cert");
    // An app certificate of another key.
    let e = cert_client(&server, false)
        .app_cert(fixture("rotated_chain.crt"))
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "app_cert");
    assert!(e.to_string().contains("private key"), "{e}");
    // Garbage as the root bundle.
    let e = cert_client(&server, false)
        .alipay_root_cert("not a certificate")
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "alipay_root_cert");
    // A bundle with only an EC root gives no root SN.
    let e = cert_client(&server, false)
        .alipay_root_cert(cert_file("root_e1.crt"))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Config {
                item: "alipay_root_cert" | "alipay_cert",
                ..
            }
        ),
        "{e:?}"
    );
    // Files that do not exist.
    let e = cert_client(&server, false)
        .app_cert_file("/nonexistent/appCertPublicKey.crt")
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "app_cert");
    assert!(e.to_string().contains("/nonexistent/appCertPublicKey.crt"));
    // Mixing modes.
    let e = cert_client(&server, false)
        .alipay_public_key(public_key_pem())
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e:?}");
    // From files works.
    let certs = vectors_dir().join("certs");
    let dir = std::env::temp_dir().join(format!("alipay-client-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let alipay_cert = dir.join("alipayCertPublicKey_RSA2.crt");
    std::fs::write(
        &alipay_cert,
        cert_file("alipayCertPublicKey_RSA2.crt") + &cert_file("ca_class2.crt"),
    )
    .unwrap();
    let client = Client::builder()
        .app_id(APP_ID)
        .private_key_file(vectors_dir().join("app_private_key_pkcs1.pem"))
        .app_cert_file(certs.join("appCertPublicKey.crt"))
        .alipay_cert_file(&alipay_cert)
        .alipay_root_cert_file(certs.join("alipayRootCert.crt"))
        .build()
        .unwrap();
    assert!(client.is_cert_mode());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_responses_with_a_new_sn_download_it_once() {
    let rotated = PrivateKey::from_text(&fixture("rotated.key")).unwrap();
    let chain = fixture("rotated_chain.crt");
    let sn = sn_of(&chain);
    let server = FakeAlipay::start(move |r, _| {
        if r.v2_param("method").as_deref() == Some("alipay.open.app.alipaycert.download") {
            download_answer(&chain, &rotated, &sn).delayed(std::time::Duration::from_millis(100))
        } else {
            Answer::v2_signed("alipay_trade_query_response", NODE, &rotated, Some(&sn))
        }
    })
    .await;
    let client = cert_client(&server, true).build().unwrap();
    let opts = CallOptions::new().protocol(Protocol::V2);
    let calls = (0..8).map(|_| {
        let client = client.clone();
        let opts = opts.clone();
        tokio::spawn(async move {
            client
                .execute(&TRADE_QUERY, json!({"out_trade_no": "1"}), &opts)
                .await
        })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    let downloads = server
        .received()
        .iter()
        .filter(|r| r.v2_param("method").as_deref() == Some("alipay.open.app.alipaycert.download"))
        .count();
    assert_eq!(downloads, 1);
    assert_eq!(server.count(), 9);
}

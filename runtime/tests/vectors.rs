//! Reproduces every vector of `tests/vectors/vectors.json` (produced by the official Node SDK,
//! cross-checked with the Python SDK) bit for bit.

use alipay_runtime::aes::AesKey;
use alipay_runtime::keys::{PrivateKey, PublicKey, SignType};
use alipay_runtime::{v2, v3};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;

fn dir() -> String {
    format!("{}/tests/vectors", env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/{rel}", dir())).unwrap()
}

fn root() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| serde_json::from_str(&read("vectors.json")).unwrap())
}

/// Ids of the vectors a test has looked at; `all_vectors_are_covered` checks the list.
const COVERED: &[&str] = &[
    "v2_alipay_trade_query_request",
    "v2_response_verify_trade_query",
    "v2_zhima_merchant_order_rent_query_request",
    "v2_alipay_trade_query_cert_mode",
    "v2_response_extraction_edge_cases",
    "v3_post_trade_query",
    "v3_response_verify_trade_query",
    "v3_get_huabei_auth_order_query",
    "v3_get_query_encoding",
    "v3_error_response_shape",
    "aes_encrypt_biz_content",
    "v2_encrypted_request_and_response",
    "v3_encrypted_post",
    "v2_notify_verify",
    "v2_sdk_execute_app_pay",
    "v2_page_execute_page_pay",
    "cert_sn",
    "v3_multipart_upload",
    "key_formats_and_rsa1",
    "v2_alipay_trade_query_request_python_sdk",
];

fn vector(id: &str) -> &'static Value {
    assert!(COVERED.contains(&id), "{id} missing from COVERED");
    root()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vector {id}"))
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    let mut cur = v;
    for part in path.split('.') {
        cur = &cur[part];
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("{path} is not a string"))
}

fn private_key() -> &'static PrivateKey {
    static K: OnceLock<PrivateKey> = OnceLock::new();
    K.get_or_init(|| PrivateKey::from_text(&read("app_private_key_pkcs1.pem")).unwrap())
}

fn public_key() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| PublicKey::from_text(&read("app_public_key.pem")).unwrap())
}

fn app_id() -> &'static str {
    root()["app_id"].as_str().unwrap()
}

/// The v2 timestamp of the fixed clock, computed by our own formatter.
fn v2_timestamp() -> String {
    let ms = root()["fixed_clock"]["epoch_ms"].as_u64().unwrap();
    let ts = v2::beijing_timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms));
    assert_eq!(ts, s(root(), "fixed_clock.v2_timestamp"));
    ts
}

/// Parses a `k=v&…` form string into decoded pairs (as the gateway does).
fn decode_form(encoded: &str) -> Vec<(String, String)> {
    v2::form_decode(encoded)
}

fn as_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn all_vectors_are_covered() {
    let ids: BTreeSet<&str> = root()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    let covered: BTreeSet<&str> = COVERED.iter().copied().collect();
    assert_eq!(ids, covered);
}

// ---------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------

#[test]
fn key_formats_and_rsa1() {
    let v = vector("key_formats_and_rsa1");
    let e = &v["expected"];
    let ts = v2_timestamp();
    let biz = serde_json::to_string(&v["inputs"]["biz_content_object"]).unwrap();
    let mut params = vec![
        ("app_id", app_id()),
        ("method", "alipay.trade.query"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", ts.as_str()),
        ("version", "1.0"),
        ("biz_content", biz.as_str()),
    ];
    let content = v2::string_to_sign(&params);
    assert_eq!(content, s(e, "string_to_sign_rsa2"));

    // Same key in four encodings: PKCS#1 PEM, PKCS#8 PEM, bare PKCS#8, bare PKCS#1 (wrapped
    // and unwrapped): identical signatures.
    let pkcs1_pem = read("app_private_key_pkcs1.pem");
    let pkcs8_pem = read("app_private_key_pkcs8.pem");
    let bare = |pem: &str| -> String {
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let pkcs8_bare = bare(&pkcs8_pem);
    let pkcs1_bare_one_line = bare(&pkcs1_pem).replace('\n', "");
    // As found in environment variables: literal `\n` escapes instead of line breaks.
    let pkcs8_pem_escaped = pkcs8_pem.trim_end().replace('\n', "\\n");
    let pkcs1_bare_messy = format!("  \r\n{}\t\n", bare(&pkcs1_pem).replace('\n', " \r\n "));
    for (name, text, expected) in [
        ("pkcs1 pem", pkcs1_pem.as_str(), "sign_pkcs1_pem"),
        ("pkcs8 pem", pkcs8_pem.as_str(), "sign_pkcs1_pem"),
        ("pkcs8 bare", pkcs8_bare.as_str(), "sign_pkcs8_bare"),
        (
            "pkcs1 bare",
            pkcs1_bare_one_line.as_str(),
            "sign_pkcs1_bare",
        ),
        (
            "pkcs1 bare, odd whitespace",
            pkcs1_bare_messy.as_str(),
            "sign_pkcs1_bare",
        ),
        (
            "pkcs8 pem, escaped newlines",
            pkcs8_pem_escaped.as_str(),
            "sign_pkcs1_pem",
        ),
    ] {
        let key = PrivateKey::from_text(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.bits(), 2048);
        let sign = key.sign(SignType::Rsa2, content.as_bytes()).unwrap();
        assert_eq!(sign, s(e, expected), "{name}");
        public_key()
            .verify(SignType::Rsa2, content.as_bytes(), &sign)
            .unwrap();
    }

    // sign_type=RSA: SHA1withRSA.
    params[3] = ("sign_type", "RSA");
    let content_rsa = v2::string_to_sign(&params);
    assert_eq!(content_rsa, s(e, "string_to_sign_rsa"));
    // Verification of SHA1 signatures is always available.
    public_key()
        .verify(SignType::Rsa, content_rsa.as_bytes(), s(e, "sign_rsa_sha1"))
        .unwrap();
    // The SHA1 signature does not pass as RSA2.
    assert!(public_key()
        .verify(
            SignType::Rsa2,
            content_rsa.as_bytes(),
            s(e, "sign_rsa_sha1")
        )
        .is_err());
    let signed = private_key().sign(SignType::Rsa, content_rsa.as_bytes());
    #[cfg(feature = "legacy-rsa1")]
    assert_eq!(signed.unwrap(), s(e, "sign_rsa_sha1"));
    #[cfg(not(feature = "legacy-rsa1"))]
    assert_eq!(
        signed.unwrap_err(),
        alipay_runtime::keys::CryptoError::Rsa1SigningDisabled
    );
}

// ---------------------------------------------------------------------------------------------
// v2 requests
// ---------------------------------------------------------------------------------------------

/// Checks a v2 request vector: string to sign, sign, and that our wire encoding of the
/// recorded query+body decodes back to the same signed parameter set.
fn check_v2_request(v: &Value, params: &[(&str, &str)], query_order: &[&str], body_order: &[&str]) {
    let e = &v["expected"];
    let content = v2::string_to_sign(params);
    assert_eq!(content, s(e, "string_to_sign"), "{}", v["id"]);
    let sign = v2::sign_params(params, private_key(), SignType::Rsa2).unwrap();
    assert_eq!(sign, s(e, "sign"), "{}", v["id"]);
    public_key()
        .verify(SignType::Rsa2, content.as_bytes(), &sign)
        .unwrap();

    let get = |k: &str| -> &str {
        if k == "sign" {
            return sign.as_str();
        }
        params
            .iter()
            .find(|(pk, _)| *pk == k)
            .map(|(_, v)| *v)
            .unwrap()
    };
    let query: Vec<(&str, &str)> = query_order.iter().map(|k| (*k, get(k))).collect();
    let body: Vec<(&str, &str)> = body_order.iter().map(|k| (*k, get(k))).collect();
    // Our encoding reproduces the Node SDK's wire bytes exactly (form encoding, space → `+`).
    let target = format!("/gateway.do?{}", v2::form_encode(&query));
    assert_eq!(target, s(e, "http_request_target"), "{}", v["id"]);
    assert_eq!(v2::form_encode(&body), s(e, "http_body"), "{}", v["id"]);

    // The gateway's view: decode query and body once, rebuild the string, verify.
    let (_, q) = s(e, "http_request_target").split_once('?').unwrap();
    let mut received = decode_form(q);
    received.extend(decode_form(s(e, "http_body")));
    let received_sign = received
        .iter()
        .find(|(k, _)| k == "sign")
        .unwrap()
        .1
        .clone();
    let rebuilt = v2::string_to_sign(&as_refs(&received));
    assert_eq!(rebuilt, s(e, "string_to_sign"));
    public_key()
        .verify(SignType::Rsa2, rebuilt.as_bytes(), &received_sign)
        .unwrap();
}

const NODE_QUERY: &[&str] = &[
    "method",
    "app_id",
    "charset",
    "version",
    "sign_type",
    "timestamp",
];

#[test]
fn v2_alipay_trade_query_request() {
    let v = vector("v2_alipay_trade_query_request");
    let i = &v["inputs"];
    let ts = v2_timestamp();
    assert_eq!(ts, s(i, "timestamp"));
    let biz = serde_json::to_string(&i["biz_content_object"]).unwrap();
    let params = [
        ("app_id", s(i, "app_id")),
        ("method", s(i, "method")),
        ("charset", s(i, "charset")),
        ("sign_type", s(i, "sign_type")),
        ("timestamp", ts.as_str()),
        ("version", s(i, "version")),
        ("biz_content", biz.as_str()),
    ];
    let query: Vec<&str> = NODE_QUERY.iter().copied().chain(["sign"]).collect();
    check_v2_request(v, &params, &query, &["biz_content"]);
}

#[test]
fn v2_alipay_trade_query_request_python_sdk() {
    let v = vector("v2_alipay_trade_query_request_python_sdk");
    let i = &v["inputs"];
    let e = &v["expected"];
    // Python serialises biz_content with sorted keys and no spaces, and adds format=json.
    let biz = s(e, "body_params.biz_content");
    let params = [
        ("timestamp", s(i, "timestamp")),
        ("app_id", s(i, "app_id")),
        ("method", s(i, "method")),
        ("charset", "utf-8"),
        ("format", "json"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("biz_content", biz),
    ];
    let content = v2::string_to_sign(&params);
    assert_eq!(content, s(e, "string_to_sign"));
    let sign = v2::sign_params(&params, private_key(), SignType::Rsa2).unwrap();
    assert_eq!(sign, s(e, "sign"));
    let mut query: Vec<(&str, &str)> = params[..7].to_vec();
    query.push(("sign", &sign));
    assert_eq!(v2::form_encode(&query), s(e, "query_string"));
}

#[test]
fn v2_zhima_merchant_order_rent_query_request() {
    let v = vector("v2_zhima_merchant_order_rent_query_request");
    let i = &v["inputs"];
    let e = &v["expected"];
    let biz = serde_json::to_string(&i["biz_content_object"]).unwrap();
    let params = [
        ("app_id", s(i, "app_id")),
        ("method", s(i, "method")),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", s(i, "timestamp")),
        ("version", "1.0"),
        ("app_auth_token", s(i, "app_auth_token")),
        ("biz_content", biz.as_str()),
    ];
    let query: Vec<&str> = NODE_QUERY
        .iter()
        .copied()
        .chain(["app_auth_token", "sign"])
        .collect();
    check_v2_request(v, &params, &query, &["biz_content"]);

    // The response, keyed by a non-`alipay.` method name.
    let key = v2::response_key(s(i, "method"));
    assert_eq!(key, "zhima_merchant_order_rent_query_response");
    let body = s(e, "response_raw_http_body").as_bytes();
    let node = v2::extract(body, &key).unwrap();
    assert_eq!(node.signed, s(e, "response_signed_substring").as_bytes());
    node.verify(public_key(), SignType::Rsa2).unwrap();
    let verified = v2::verify_response(body, &key, public_key(), SignType::Rsa2).unwrap();
    assert!(verified.signature_verified);
    assert!(verified.status.unwrap().is_success());
}

#[test]
fn v2_alipay_trade_query_cert_mode() {
    let v = vector("v2_alipay_trade_query_cert_mode");
    let i = &v["inputs"];
    let e = &v["expected"];
    let biz = serde_json::to_string(&i["biz_content_object"]).unwrap();
    // The SNs are computed by our certificate code (see also the `cert_sn` vector).
    let app_cert = alipay_runtime::cert::Cert::from_pem(&read(s(i, "app_cert_file"))).unwrap();
    let app_cert_sn = app_cert.sn();
    assert_eq!(app_cert_sn, s(e, "app_cert_sn"));
    let root_sn = alipay_runtime::cert::root_cert_sn(&read(s(i, "alipay_root_cert_file"))).unwrap();
    assert_eq!(root_sn, s(e, "alipay_root_cert_sn"));
    let alipay_cert =
        alipay_runtime::cert::Cert::from_pem(&read(s(i, "alipay_public_cert_file"))).unwrap();
    assert_eq!(alipay_cert.sn(), s(e, "alipay_cert_sn"));

    let params = [
        ("app_id", s(i, "app_id")),
        ("method", s(i, "method")),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", s(i, "timestamp")),
        ("version", "1.0"),
        ("app_cert_sn", app_cert_sn.as_str()),
        ("alipay_root_cert_sn", root_sn.as_str()),
        ("biz_content", biz.as_str()),
    ];
    let query: Vec<&str> = NODE_QUERY
        .iter()
        .copied()
        .chain(["app_cert_sn", "alipay_root_cert_sn", "sign"])
        .collect();
    check_v2_request(v, &params, &query, &["biz_content"]);

    // Response: alipay_cert_sn sits between the node and sign and is not signed.
    let body = s(e, "response_raw_http_body").as_bytes();
    let node = v2::extract(body, "alipay_trade_query_response").unwrap();
    assert_eq!(node.signed, s(e, "response_signed_substring").as_bytes());
    assert_eq!(node.alipay_cert_sn.as_deref(), Some(s(e, "alipay_cert_sn")));
    // Verified with the key of the Alipay certificate (same throwaway key pair).
    let cert_key = alipay_cert.public_key().unwrap();
    node.verify(&cert_key, SignType::Rsa2).unwrap();
}

// ---------------------------------------------------------------------------------------------
// v2 responses
// ---------------------------------------------------------------------------------------------

#[test]
fn v2_response_verify_trade_query() {
    let v = vector("v2_response_verify_trade_query");
    let i = &v["inputs"];
    let e = &v["expected"];
    let body = s(i, "raw_http_body").as_bytes();
    let node = v2::extract(body, s(i, "response_key")).unwrap();
    assert_eq!(node.key, "alipay_trade_query_response");
    assert!(!node.is_error_response);
    assert_eq!(node.kind, v2::NodeKind::Object);
    assert_eq!(node.signed, s(e, "signed_substring").as_bytes());
    assert_eq!(node.sign.as_deref(), Some(s(e, "sign")));
    assert_eq!(node.alipay_cert_sn, None);
    node.verify(public_key(), SignType::Rsa2).unwrap();

    // The business object is decoded from the verified slice itself.
    let biz: Value = serde_json::from_slice(node.json().unwrap()).unwrap();
    assert_eq!(biz["trade_status"], s(e, "parsed_trade_status"));
    assert_eq!(biz["store_name"], "http://example.com/a?b=1&c=2");
    let r = v2::verify_response(body, s(i, "response_key"), public_key(), SignType::Rsa2).unwrap();
    assert!(r.signature_verified);
    let status = r.status.unwrap();
    assert_eq!(status.code.as_deref(), Some("10000"));
    assert_eq!(status.msg.as_deref(), Some("Success"));
    assert!(status.is_success());
}

#[test]
fn v2_response_extraction_edge_cases() {
    let v = vector("v2_response_extraction_edge_cases");
    let i = &v["inputs"];
    let correct = s(i, "correct_signed_substring").as_bytes();
    let sign = s(i, "sign");
    let cases = v["expected"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    let names: Vec<&str> = cases.iter().map(|c| c["case"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "sign_after_node",
            "pretty_whitespace",
            "cert_sn_between",
            "sign_before_node",
            "error_response_key"
        ]
    );
    for case in cases {
        let name = s(case, "case");
        let body = s(case, "raw_http_body").as_bytes();
        // Every body is asked for the method key; the last one only has `error_response`.
        let node = v2::extract(body, "alipay_trade_query_response")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Brace matching always finds the correct bytes, including where Node's slicing
        // extractor fails (`sign_before_node`: Node includes the outer `}`).
        assert_eq!(node.signed, correct, "{name}");
        assert_eq!(node.sign.as_deref(), Some(sign), "{name}");
        assert_eq!(
            node.is_error_response,
            name == "error_response_key",
            "{name}"
        );
        assert_eq!(
            node.alipay_cert_sn.as_deref(),
            (name == "cert_sn_between").then_some("0a76089a0b5ebb17aa5e2f4a9d41730a"),
            "{name}"
        );
        node.verify(public_key(), SignType::Rsa2)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if case["node_verify_ok"] == true {
            assert_eq!(node.signed, s(case, "node_getSignStr").as_bytes(), "{name}");
        } else {
            assert_ne!(node.signed, s(case, "node_getSignStr").as_bytes(), "{name}");
        }
        // The inner field named "sign" is not the top-level sign.
        let biz: Value = serde_json::from_slice(node.json().unwrap()).unwrap();
        assert_eq!(biz["sign"], "inner-field-named-sign");
        assert_eq!(biz["text"], "x\"}\\");
    }
}

#[test]
fn v2_encrypted_request_and_response() {
    let v = vector("v2_encrypted_request_and_response");
    let i = &v["inputs"];
    let e = &v["expected"];
    let aes = AesKey::from_base64(s(i, "aes_key_base64")).unwrap();
    let plain = serde_json::to_string(&i["biz_content_object"]).unwrap();
    let cipher = aes.encrypt(plain.as_bytes());
    let params = [
        ("app_id", app_id()),
        ("method", "alipay.trade.query"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", s(i, "timestamp")),
        ("version", "1.0"),
        ("encrypt_type", "AES"),
        ("biz_content", cipher.as_str()),
    ];
    let query: Vec<&str> = NODE_QUERY.iter().copied().chain(["sign"]).collect();
    check_v2_request(v, &params, &query, &["encrypt_type", "biz_content"]);

    // Response: the node is a JSON string; the signed bytes include its quotes.
    let body = s(e, "response_raw_http_body").as_bytes();
    let node = v2::extract(body, "alipay_trade_query_response").unwrap();
    assert_eq!(node.kind, v2::NodeKind::Encrypted);
    assert_eq!(node.signed, s(e, "response_signed_bytes").as_bytes());
    assert_eq!(node.json(), None);
    node.verify(public_key(), SignType::Rsa2).unwrap();
    // Verify first, then decrypt.
    let decrypted = aes.decrypt(node.ciphertext.as_deref().unwrap()).unwrap();
    assert_eq!(decrypted, s(i, "response_plaintext").as_bytes());
    let status = v2::ServiceStatus::from_json(&decrypted).unwrap();
    assert!(status.is_success());
    let biz: Value = serde_json::from_slice(&decrypted).unwrap();
    assert_eq!(biz["trade_status"], s(e, "node_decrypted_trade_status"));
    let r = v2::verify_response(
        body,
        "alipay_trade_query_response",
        public_key(),
        SignType::Rsa2,
    )
    .unwrap();
    assert!(r.signature_verified);
    assert_eq!(r.status, None);
}

// ---------------------------------------------------------------------------------------------
// AES
// ---------------------------------------------------------------------------------------------

#[test]
fn aes_encrypt_biz_content() {
    let v = vector("aes_encrypt_biz_content");
    let i = &v["inputs"];
    let e = &v["expected"];
    assert_eq!(
        s(i, "aes_key_base64"),
        root()["aes_key_base64"].as_str().unwrap()
    );
    let aes = AesKey::from_base64(s(i, "aes_key_base64")).unwrap();
    let c = aes.encrypt(s(i, "plaintext").as_bytes());
    assert_eq!(c, s(e, "ciphertext_base64"));
    assert_eq!(c, s(e, "node_crypto_ciphertext_base64"));
    assert_eq!(
        aes.decrypt(&c).unwrap(),
        s(e, "roundtrip_plaintext").as_bytes()
    );
}

// ---------------------------------------------------------------------------------------------
// v3
// ---------------------------------------------------------------------------------------------

/// The `query_in_order` input of a v3 vector as pairs.
fn query_in_order(inputs: &Value) -> Vec<(&str, &str)> {
    inputs["query_in_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect()
}

fn v3_ts() -> u64 {
    root()["fixed_clock"]["epoch_ms"].as_u64().unwrap()
}

#[test]
fn v3_post_trade_query() {
    let v = vector("v3_post_trade_query");
    let i = &v["inputs"];
    let e = &v["expected"];
    assert_eq!(s(i, "timestamp_ms"), v3_ts().to_string());
    let auth = v3::auth_string(s(i, "app_id"), None, s(i, "nonce"), v3_ts());
    assert_eq!(auth, s(e, "auth_string"));
    let target = v3::request_target(s(i, "path"), &v3::encode_query(&[]));
    assert_eq!(target, s(e, "http_request_target"));
    let content = v3::string_to_sign(&auth, s(i, "method"), &target, s(i, "body_json"), None);
    assert_eq!(content, s(e, "string_to_sign"));
    let sign = private_key()
        .sign(SignType::Rsa2, content.as_bytes())
        .unwrap();
    assert_eq!(sign, s(e, "sign"));
    assert_eq!(
        v3::authorization_header(&auth, &sign),
        s(e, "authorization_header")
    );
    assert_eq!(
        v3::sign_request(
            private_key(),
            &auth,
            "POST",
            &target,
            s(i, "body_json"),
            None
        )
        .unwrap(),
        s(e, "request_headers.authorization")
    );
}

#[test]
fn v3_response_verify_trade_query() {
    let v = vector("v3_response_verify_trade_query");
    let i = &v["inputs"];
    let e = &v["expected"];
    let h = &i["response_headers"];
    let body = s(i, "raw_http_body").as_bytes();
    let ts = s(h, "alipay-timestamp");
    let nonce = s(h, "alipay-nonce");
    assert_eq!(
        v3::response_string_to_verify(ts, nonce, body),
        s(e, "string_to_verify").as_bytes()
    );
    v3::verify_response(ts, nonce, s(h, "alipay-signature"), body, public_key()).unwrap();
    assert_eq!(e["sdk_verify_result"], true);
}

#[test]
fn v3_get_huabei_auth_order_query() {
    let v = vector("v3_get_huabei_auth_order_query");
    let i = &v["inputs"];
    let e = &v["expected"];
    let query = query_in_order(i);
    let target = v3::request_target(s(i, "path"), &v3::encode_query(&query));
    assert_eq!(target, s(e, "http_request_target"));
    let auth = v3::auth_string(s(i, "app_id"), None, s(i, "nonce"), v3_ts());
    let token = s(i, "app_auth_token");
    assert_eq!(token, s(e, "request_headers.alipay-app-auth-token"));
    let content = v3::string_to_sign(&auth, "GET", &target, "", Some(token));
    assert_eq!(content, s(e, "string_to_sign"));
    let header = v3::sign_request(private_key(), &auth, "GET", &target, "", Some(token)).unwrap();
    assert_eq!(header, s(e, "authorization_header"));

    // The response check string of this call, signed by the stand-in Alipay key: verify
    // our own signature over it (the vector records the string and the verify result).
    let expected_verify = s(e, "response_string_to_verify");
    let mut lines = expected_verify.splitn(3, '\n');
    let (rts, rnonce, rest) = (
        lines.next().unwrap(),
        lines.next().unwrap(),
        lines.next().unwrap(),
    );
    let rbody = rest.strip_suffix('\n').unwrap();
    let built = v3::response_string_to_verify(rts, rnonce, rbody.as_bytes());
    assert_eq!(built, expected_verify.as_bytes());
    let sig = private_key().sign(SignType::Rsa2, &built).unwrap();
    v3::verify_response(rts, rnonce, &sig, rbody.as_bytes(), public_key()).unwrap();
    assert_eq!(e["response_verify_result"], true);
}

#[test]
fn v3_get_query_encoding() {
    let v = vector("v3_get_query_encoding");
    let i = &v["inputs"];
    let e = &v["expected"];
    let query = query_in_order(i);
    let path = "/v3/alipay/open/auth/userauth/relationship/query";
    let auth = v3::auth_string(
        app_id(),
        None,
        "0b5e7c1a-2f3d-4e5f-8a9b-000000000006",
        v3_ts(),
    );

    // Node signs its own WHATWG form encoding (space → `+`, `~` → `%7E`, `*` kept). The
    // signature over the vector's request target reproduces bit for bit:
    let node_target = s(e, "http_request_target");
    let content = v3::string_to_sign(&auth, "GET", node_target, "", None);
    assert_eq!(content, s(e, "string_to_sign"));
    assert_eq!(
        private_key()
            .sign(SignType::Rsa2, content.as_bytes())
            .unwrap(),
        s(e, "sign")
    );

    // Our documented choice differs: RFC 3986 (unreserved kept, space → `%20`, `*` → `%2A`,
    // `~` kept). Both are accepted because the signed target equals the sent one; this is
    // our exact output.
    let ours = v3::request_target(path, &v3::encode_query(&query));
    assert_eq!(
        ours,
        "/v3/alipay/open/auth/userauth/relationship/query?scopes=auth_user%2Cauth_zhima&note=a%20b%2Fc%3Ad~e%2Af%E4%B8%AD"
    );
    // Both encodings decode to the same values.
    let decode = |t: &str| -> Vec<(String, String)> {
        let (_, q) = t.split_once('?').unwrap();
        q.split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                let plus = v.replace('+', " ");
                (
                    k.to_string(),
                    percent_encoding::percent_decode_str(&plus)
                        .decode_utf8()
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect()
    };
    assert_eq!(decode(&ours), decode(node_target));
    assert_eq!(decode(&ours)[1].1, "a b/c:d~e*f中");
}

#[test]
fn v3_error_response_shape() {
    let v = vector("v3_error_response_shape");
    let i = &v["inputs"];
    let e = &v["expected"]["node_error"];
    assert_eq!(i["http_status"], 401);
    let body = v3::ErrorBody::parse(s(i, "raw_http_body").as_bytes()).unwrap();
    assert_eq!(body.code.as_deref(), Some(s(e, "code")));
    assert_eq!(body.message.as_deref(), Some("无效的访问令牌"));
    assert_eq!(body.links.len(), 1);
    assert_eq!(
        body.links[0].link.as_deref(),
        Some(s(&e["links"][0], "link"))
    );
    assert_eq!(
        body.links[0].desc.as_deref(),
        Some(s(&e["links"][0], "desc"))
    );
}

#[test]
fn v3_encrypted_post() {
    let v = vector("v3_encrypted_post");
    let i = &v["inputs"];
    let e = &v["expected"];
    let aes = AesKey::from_base64(s(i, "aes_key_base64")).unwrap();
    let body = aes.encrypt(s(i, "body_plain_json").as_bytes());
    assert_eq!(body, s(e, "http_body"));
    let auth = v3::auth_string(
        app_id(),
        None,
        "0b5e7c1a-2f3d-4e5f-8a9b-000000000009",
        v3_ts(),
    );
    let content = v3::string_to_sign(&auth, "POST", "/v3/alipay/trade/query", &body, None);
    assert_eq!(content, s(e, "string_to_sign"));
    let header = v3::sign_request(
        private_key(),
        &auth,
        "POST",
        "/v3/alipay/trade/query",
        &body,
        None,
    )
    .unwrap();
    assert_eq!(header, s(e, "request_headers.authorization"));
    assert_eq!(header.rsplit_once(",sign=").unwrap().1, s(e, "sign"));

    // Response: verify the ciphertext, then decrypt.
    let resp = s(e, "response_raw_body");
    let expected_verify = s(e, "response_string_to_verify");
    let mut parts = expected_verify.splitn(3, '\n');
    let (ts, nonce) = (parts.next().unwrap(), parts.next().unwrap());
    let built = v3::response_string_to_verify(ts, nonce, resp.as_bytes());
    assert_eq!(built, expected_verify.as_bytes());
    let sig = private_key().sign(SignType::Rsa2, &built).unwrap();
    v3::verify_response(ts, nonce, &sig, resp.as_bytes(), public_key()).unwrap();
    let plain: Value = serde_json::from_slice(&aes.decrypt(resp).unwrap()).unwrap();
    assert_eq!(plain, e["decrypted_response"]);
}

#[test]
fn v3_multipart_upload() {
    let v = vector("v3_multipart_upload");
    let i = &v["inputs"];
    let e = &v["expected"];
    // Only the `data` part (all non-file fields as one JSON object) is signed.
    let data = serde_json::to_string(&i["fields"]).unwrap();
    let auth = v3::auth_string(
        app_id(),
        None,
        "0b5e7c1a-2f3d-4e5f-8a9b-000000000010",
        v3_ts(),
    );
    let content = v3::string_to_sign(&auth, "POST", "/v3/alipay/open/file/upload", &data, None);
    assert_eq!(content, s(e, "string_to_sign"));
    assert_eq!(
        private_key()
            .sign(SignType::Rsa2, content.as_bytes())
            .unwrap(),
        s(e, "sign")
    );
    // The data part of the recorded multipart body is exactly the signed body line.
    assert!(s(e, "raw_multipart_body")
        .contains(&format!("Content-Type: application/json\r\n\r\n{data}\r\n")));
}

// ---------------------------------------------------------------------------------------------
// certificates
// ---------------------------------------------------------------------------------------------

#[test]
fn cert_sn() {
    use alipay_runtime::cert::{self, Cert};
    let v = vector("cert_sn");
    let i = &v["inputs"];
    let e = &v["expected"];
    let x = &v["python_crosscheck"]["issuer_strings"];

    let app = Cert::from_pem(&read(s(i, "app_cert_file"))).unwrap();
    assert_eq!(app.issuer_dn(), s(x, "app"));
    assert_eq!(app.serial_decimal(), s(x, "app_serial_decimal"));
    assert_eq!(app.sn(), s(e, "app_cert_sn"));

    let alipay = Cert::from_pem(&read(s(i, "alipay_public_cert_file"))).unwrap();
    assert_eq!(alipay.issuer_dn(), s(x, "alipay"));
    assert_eq!(alipay.serial_decimal(), s(x, "alipay_serial_decimal"));
    assert_eq!(alipay.sn(), s(e, "alipay_cert_sn"));
    // The Alipay public key is the certificate's SubjectPublicKeyInfo.
    let key = alipay.public_key().unwrap();
    assert_eq!(key.to_base64(), s(e, "alipay_public_key_base64_from_cert"));
    assert_eq!(&key, public_key());

    // Root SN: RSA-signed roots only (the EC root E1 is skipped), file order, `_` join.
    let bundle_text = read(s(i, "alipay_root_cert_file"));
    let bundle = cert::parse_bundle(&bundle_text).unwrap();
    let roots = x["roots"].as_array().unwrap();
    assert_eq!(bundle.len(), roots.len());
    for (c, r) in bundle.iter().zip(roots) {
        assert_eq!(c.issuer_dn(), r[0].as_str().unwrap());
        assert_eq!(c.serial_decimal(), r[1].as_str().unwrap());
        assert_eq!(c.is_rsa_signed(), r[2] == "included");
    }
    assert_eq!(
        cert::root_cert_sn(&bundle_text).unwrap(),
        s(e, "alipay_root_cert_sn")
    );
    assert_eq!(cert::root_cert_sn_of(&bundle), s(e, "alipay_root_cert_sn"));

    // Edge: an issuer with a comma. We follow RFC 2253 (Java, OpenSSL, Go): `\,` escaped.
    // The Node SDK does not escape and gets `edge_comma_issuer_sn_node`; we differ on purpose.
    let edge = Cert::from_pem(&read(s(i, "edge_cert_file"))).unwrap();
    assert_eq!(
        edge.issuer_dn(),
        s(&v["python_crosscheck"], "edge_comma_issuer_rfc2253")
    );
    assert_eq!(
        edge.sn(),
        s(&v["python_crosscheck"], "edge_comma_issuer_sn_rfc2253")
    );
    assert_ne!(edge.sn(), s(e, "edge_comma_issuer_sn_node"));

    // The test hierarchy validates: Alipay cert → Class 2 R1 (intermediate) → root R1.
    let intermediate = Cert::from_pem(&read("certs/ca_class2.crt")).unwrap();
    let (not_before, _) = alipay.validity();
    let now = not_before + std::time::Duration::from_secs(86_400);
    cert::validate(&alipay, std::slice::from_ref(&intermediate), &bundle, now).unwrap();
    cert::validate(&app, &[intermediate], &bundle, now).unwrap();
}

// ---------------------------------------------------------------------------------------------
// notifications
// ---------------------------------------------------------------------------------------------

#[test]
fn v2_notify_verify() {
    use alipay_runtime::notify::{self, NotifyRule};
    let v = vector("v2_notify_verify");
    let i = &v["inputs"];
    let e = &v["expected"];
    let body = s(i, "raw_form_body").as_bytes();

    // From the raw body: decoded once, sign and sign_type dropped, sorted.
    let verified = notify::verify_form(body, public_key(), NotifyRule::V1).unwrap();
    assert_eq!(verified.sign_type, SignType::Rsa2);
    let decoded = i["decoded_params"].as_object().unwrap();
    assert_eq!(verified.pairs.len(), decoded.len());
    for (k, val) in &verified.pairs {
        assert_eq!(decoded[k].as_str().unwrap(), val, "{k}");
    }
    // A literal `%`, a `+` and a pre-encoded value survive as decoded once.
    assert_eq!(verified.get("subject"), Some("测试 商品+1 100%"));
    assert_eq!(
        verified.get("passback_params"),
        Some("merchant%3Dabc%26x%3D1")
    );
    assert_eq!(verified.get("sign"), Some(s(e, "sign")));

    let pairs: Vec<(&str, &str)> = verified
        .pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        notify::string_to_verify(&pairs, NotifyRule::V1),
        s(e, "string_to_verify")
    );
    // Node's captured strings: with sign_type (V2 rule) fails, without (V1) verifies.
    let captured = e["node_captured_verify_strings"].as_array().unwrap();
    assert_eq!(
        notify::string_to_verify(&pairs, NotifyRule::V2),
        s(&captured[0], "data")
    );
    assert_eq!(captured[0]["result"], false);
    assert_eq!(
        notify::string_to_verify(&pairs, NotifyRule::V1),
        s(&captured[1], "data")
    );
    assert_eq!(captured[1]["result"], true);
    assert!(matches!(
        notify::verify_form(body, public_key(), NotifyRule::V2),
        Err(notify::NotifyError::BadSignature(_))
    ));

    // From decoded pairs (a web framework's form extractor).
    let from_pairs = notify::verify_pairs(&pairs, public_key(), NotifyRule::V1).unwrap();
    assert_eq!(from_pairs, verified);
    // The legacy Node helper double-decodes and throws on the literal `%`: decoding twice
    // breaks the content, so the double-decoded pairs must not verify.
    let twice: Vec<(String, String)> = verified
        .pairs
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect();
    assert!(notify::verify_pairs(&as_refs(&twice), public_key(), NotifyRule::V1).is_err());
    assert_eq!(notify::ACK, "success");

    // Typed, with the app_id check.
    let t = notify::verify_trade_notification(body, public_key(), app_id()).unwrap();
    assert_eq!(t.notify_id, s(&i["decoded_params"], "notify_id"));
    assert_eq!(t.notify_type, "trade_status_sync");
    assert_eq!(t.trade_status, Some(notify::TradeStatus::TradeSuccess));
    assert!(t.trade_status.as_ref().unwrap().is_paid());
    assert_eq!(t.trade_no.as_deref(), Some("2014112611001004680073956707"));
    assert_eq!(t.out_trade_no.as_deref(), Some("20150320010101001"));
    assert_eq!(t.total_amount.as_deref(), Some("88.88"));
    assert_eq!(
        notify::amount_in_fen(t.total_amount.as_deref().unwrap()),
        Some(8888)
    );
    assert_eq!(t.point_amount.as_deref(), Some("0.00"));
    assert_eq!(t.gmt_payment.as_deref(), Some("2024-06-01 12:30:05"));
    assert_eq!(t.seller_id.as_deref(), Some("2088531891668739"));
    assert_eq!(t.fund_bill_list.len(), 1);
    assert_eq!(t.fund_bill_list[0].fund_channel, "ALIPAYACCOUNT");
    assert_eq!(t.fund_bill_list[0].amount, "88.88");
    assert_eq!(t.raw, verified);
}

// ---------------------------------------------------------------------------------------------
// checkout builders
// ---------------------------------------------------------------------------------------------

#[test]
fn v2_sdk_execute_app_pay() {
    use alipay_runtime::checkout;
    let v = vector("v2_sdk_execute_app_pay");
    let i = &v["inputs"];
    let e = &v["expected"];
    let biz = serde_json::to_string(&i["biz_content_object"]).unwrap();
    let ts = v2_timestamp();
    // The Node SDK's insertion order; the signature does not depend on it.
    let params = [
        ("method", s(i, "method")),
        ("app_id", app_id()),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("timestamp", ts.as_str()),
        ("notify_url", s(i, "notify_url")),
        ("biz_content", biz.as_str()),
    ];
    assert_eq!(v2::string_to_sign(&params), s(e, "string_to_sign"));
    let signed = v2::signed_pairs(&params, private_key(), SignType::Rsa2).unwrap();
    assert_eq!(
        signed.last().unwrap(),
        &("sign".to_string(), s(e, "sign").to_string())
    );
    let order = checkout::app_pay_order_string(&as_refs(&signed));
    assert_eq!(order, s(e, "order_string"));

    // The Python SDK's order string (form encoding, its own param set) decodes to a
    // parameter set whose signature verifies: the encoding is free.
    let py = decode_form(s(&v["python_crosscheck"], "python_order_string"));
    let py_sign = py.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
    let py_content = v2::string_to_sign(&as_refs(&py));
    assert_eq!(
        py_content,
        s(&v["python_crosscheck"], "python_sdk_string_to_sign")
    );
    public_key()
        .verify(SignType::Rsa2, py_content.as_bytes(), &py_sign)
        .unwrap();
}

#[test]
fn v2_page_execute_page_pay() {
    use alipay_runtime::checkout;
    let v = vector("v2_page_execute_page_pay");
    let i = &v["inputs"];
    let e = &v["expected"];
    let biz = serde_json::to_string(&i["biz_content_object"]).unwrap();
    let ts = v2_timestamp();
    let gateway = "https://openapi.alipay.com/gateway.do";
    // The vector's parameter set includes the `alipay_sdk` parameter the Node SDK adds; we do
    // not add it ourselves, but reproduce the signature over the vector's exact set.
    let params = [
        ("method", s(i, "method")),
        ("app_id", app_id()),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("timestamp", ts.as_str()),
        ("return_url", s(i, "return_url")),
        ("notify_url", s(i, "notify_url")),
        ("alipay_sdk", "alipay-sdk-nodejs-4.0.0"),
        ("biz_content", biz.as_str()),
    ];
    assert_eq!(v2::string_to_sign(&params), s(e, "string_to_sign"));
    assert_eq!(s(e, "post_string_to_sign"), s(e, "string_to_sign"));
    let signed = v2::signed_pairs(&params, private_key(), SignType::Rsa2).unwrap();
    assert_eq!(signed.last().unwrap().1, s(e, "sign"));
    let signed = as_refs(&signed);

    // GET: identical bytes to the Node SDK's URL.
    assert_eq!(checkout::page_pay_url(gateway, &signed), s(e, "get_url"));

    // POST: our form differs from Node's on purpose: `&` in the action and `& < > "` in
    // values are HTML-escaped (Node escapes only `"`), and the form id/layout are ours.
    // This is our exact output:
    let form = checkout::page_pay_form(gateway, &signed);
    let action_query = s(e, "get_url")
        .split_once('?')
        .unwrap()
        .1
        .split("&alipay_sdk=")
        .next()
        .unwrap()
        .to_string();
    let expected_form = format!(
        "<form id=\"alipay_checkout\" name=\"alipay_checkout\" method=\"post\" action=\"{gateway}?{}\">\n\
         <input type=\"hidden\" name=\"alipay_sdk\" value=\"alipay-sdk-nodejs-4.0.0\">\n\
         <input type=\"hidden\" name=\"biz_content\" value=\"{}\">\n\
         </form>\n\
         <script>document.getElementById(\"alipay_checkout\").submit();</script>",
        action_query.replace('&', "&amp;"),
        biz.replace('"', "&quot;"),
    );
    assert_eq!(form, expected_form);
    // Same action URL parameters and the same hidden values as Node's form, once unescaped.
    let node_form = s(e, "post_form_html");
    let node_action = node_form
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(node_action, format!("{gateway}?{action_query}"));
    assert!(node_form.contains(&format!(
        "name=\"biz_content\" value=\"{}\"",
        biz.replace('"', "&quot;")
    )));

    // The browser's view of our form: action query + unescaped hidden values verify.
    let unescape = |t: &str| {
        t.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let action = unescape(
        form.split("action=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    );
    let mut received = decode_form(action.split_once('?').unwrap().1);
    for input in form.split("<input ").skip(1) {
        let name = input
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = input
            .split("value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        received.push((unescape(name), unescape(value)));
    }
    let sign = received
        .iter()
        .find(|(k, _)| k == "sign")
        .unwrap()
        .1
        .clone();
    assert_eq!(sign, s(e, "sign"));
    let content = v2::string_to_sign(&as_refs(&received));
    assert_eq!(content, s(e, "string_to_sign"));
    public_key()
        .verify(SignType::Rsa2, content.as_bytes(), &sign)
        .unwrap();
}

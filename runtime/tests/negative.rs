//! Negative tests: every way a response, notification, key or certificate can be wrong ends
//! in one specific typed error, never in a panic and never in acceptance.

use alipay_runtime::aes::AesKey;
use alipay_runtime::cert::{self, Cert, CertError};
use alipay_runtime::keys::{
    CryptoError, KeyError, KeyKind, PrivateKey, PublicKey, SignType, VerifyError,
};
use alipay_runtime::notify::{self, NotifyError, NotifyRule};
use alipay_runtime::v2::{self, ResponseError};
use alipay_runtime::v3;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn vectors() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| serde_json::from_str(&read("vectors.json")).unwrap())
}

fn vector(id: &str) -> &'static Value {
    vectors()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap()
}

fn private_key() -> &'static PrivateKey {
    static K: OnceLock<PrivateKey> = OnceLock::new();
    K.get_or_init(|| PrivateKey::from_text(&read("app_private_key_pkcs1.pem")).unwrap())
}

fn public_key() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| PublicKey::from_text(&read("app_public_key.pem")).unwrap())
}

fn other_public_key() -> PublicKey {
    PublicKey::from_text(&read("negative/other_public_key.pem")).unwrap()
}

/// The signed trade query response of the `v2_response_verify_trade_query` vector.
fn trade_query_body() -> String {
    vector("v2_response_verify_trade_query")["inputs"]["raw_http_body"]
        .as_str()
        .unwrap()
        .to_string()
}

const KEY: &str = "alipay_trade_query_response";

fn bad_signature() -> ResponseError {
    ResponseError::BadSignature(VerifyError::Mismatch)
}

// ---------------------------------------------------------------------------------------------
// v2 responses
// ---------------------------------------------------------------------------------------------

#[test]
fn v2_tampered_body_is_rejected() {
    let body = trade_query_body();
    // The genuine body verifies.
    v2::verify_response(body.as_bytes(), KEY, public_key(), SignType::Rsa2).unwrap();
    for (from, to) in [
        ("\"total_amount\":\"88.88\"", "\"total_amount\":\"88.89\""),
        ("TRADE_SUCCESS", "TRADE_CLOSED"),
        ("\"code\":\"10000\"", "\"code\": \"10000\""),
        ("\\u4e2d", "\\u4e2e"),
        ("\\/", "/"),
    ] {
        let tampered = body.replacen(from, to, 1);
        assert_ne!(tampered, body);
        assert_eq!(
            v2::verify_response(tampered.as_bytes(), KEY, public_key(), SignType::Rsa2)
                .unwrap_err(),
            bad_signature(),
            "{from} -> {to}"
        );
    }
    // Bytes outside the node (whitespace between members) are not signed.
    let spaced = body.replacen("},\"sign\"", "} , \"sign\"", 1);
    v2::verify_response(spaced.as_bytes(), KEY, public_key(), SignType::Rsa2).unwrap();
}

#[test]
fn v2_wrong_key_is_rejected() {
    let body = trade_query_body();
    assert_eq!(
        v2::verify_response(body.as_bytes(), KEY, &other_public_key(), SignType::Rsa2).unwrap_err(),
        bad_signature()
    );
    // The right key with the wrong algorithm fails too.
    assert_eq!(
        v2::verify_response(body.as_bytes(), KEY, public_key(), SignType::Rsa).unwrap_err(),
        bad_signature()
    );
}

#[test]
fn v2_missing_sign() {
    let body = trade_query_body();
    let v: Value = serde_json::from_str(&body).unwrap();
    let node = serde_json::to_string(&v[KEY]).unwrap();
    let unsigned = format!("{{\"{KEY}\":{node}}}");
    assert_eq!(
        v2::verify_response(unsigned.as_bytes(), KEY, public_key(), SignType::Rsa2).unwrap_err(),
        ResponseError::MissingSign
    );
    let n = v2::extract(unsigned.as_bytes(), KEY).unwrap();
    assert_eq!(
        n.verify(public_key(), SignType::Rsa2).unwrap_err(),
        ResponseError::MissingSign
    );

    // An unsigned failure is accepted as an (unverified) failure, never as a success.
    let err = br#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"x"}}"#;
    let r = v2::verify_response(err, KEY, public_key(), SignType::Rsa2).unwrap();
    assert!(!r.signature_verified);
    assert!(r.node.is_error_response);
    let st = r.status.unwrap();
    assert!(!st.is_success());
    assert_eq!(st.sub_code.as_deref(), Some("isv.invalid-signature"));
    let fail = br#"{"alipay_trade_query_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST"}}"#;
    let r = v2::verify_response(fail, KEY, public_key(), SignType::Rsa2).unwrap();
    assert!(!r.signature_verified);
    // An unsigned encrypted node cannot be judged: refused.
    let enc = br#"{"alipay_trade_query_response":"AAAA"}"#;
    assert_eq!(
        v2::verify_response(enc, KEY, public_key(), SignType::Rsa2).unwrap_err(),
        ResponseError::MissingSign
    );
    // A signed failure whose signature is wrong is a bad signature, not a failure.
    let signed_fail = br#"{"alipay_trade_query_response":{"code":"40004"},"sign":"AAAA"}"#;
    assert_eq!(
        v2::verify_response(signed_fail, KEY, public_key(), SignType::Rsa2).unwrap_err(),
        bad_signature()
    );
}

#[test]
fn v2_sign_of_another_node() {
    // The genuine signature of the zhima response, moved onto the trade query body.
    let zhima = vector("v2_zhima_merchant_order_rent_query_request")["expected"]
        ["response_raw_http_body"]
        .as_str()
        .unwrap();
    let zhima_sign = serde_json::from_str::<Value>(zhima).unwrap()["sign"]
        .as_str()
        .unwrap()
        .to_string();
    let body = trade_query_body();
    let own_sign = serde_json::from_str::<Value>(&body).unwrap()["sign"]
        .as_str()
        .unwrap()
        .to_string();
    let swapped = body.replace(&own_sign, &zhima_sign);
    assert_eq!(
        v2::verify_response(swapped.as_bytes(), KEY, public_key(), SignType::Rsa2).unwrap_err(),
        bad_signature()
    );
    // The zhima node under the trade query key does not pass either.
    let zhima_node = zhima
        .split_once(':')
        .unwrap()
        .1
        .rsplit_once(",\"sign\"")
        .unwrap()
        .0;
    let transplanted = format!("{{\"{KEY}\":{zhima_node},\"sign\":\"{own_sign}\"}}");
    assert_eq!(
        v2::verify_response(transplanted.as_bytes(), KEY, public_key(), SignType::Rsa2)
            .unwrap_err(),
        bad_signature()
    );
    // A validly signed node of another method is not found under this method's key.
    assert_eq!(
        v2::extract(zhima.as_bytes(), KEY).unwrap_err(),
        ResponseError::NodeMissing {
            expected: KEY.to_string()
        }
    );
}

#[test]
fn v2_truncated_json() {
    let body = trade_query_body();
    let bytes = body.as_bytes();
    for cut in 0..bytes.len() {
        let prefix = &bytes[..cut];
        let Ok(text) = std::str::from_utf8(prefix) else {
            continue; // cut inside a multi-byte character: covered by the UTF-8 test
        };
        let err = v2::extract(text.as_bytes(), KEY).unwrap_err();
        assert_eq!(err, ResponseError::Truncated, "cut at {cut}");
    }
    assert_eq!(v2::extract(b"", KEY).unwrap_err(), ResponseError::Truncated);
    assert_eq!(
        v2::extract(b"   ", KEY).unwrap_err(),
        ResponseError::Truncated
    );
}

#[test]
fn v2_non_utf8_body() {
    let mut body = trade_query_body().into_bytes();
    let pos = body.windows(7).position(|w| w == b"Iphone6").unwrap();
    body[pos] = 0xff;
    assert_eq!(
        v2::extract(&body, KEY).unwrap_err(),
        ResponseError::NotUtf8 { valid_up_to: pos }
    );
    // GBK bytes of "中" in a string.
    let gbk = b"{\"alipay_trade_query_response\":{\"msg\":\"\xd6\xd0\"},\"sign\":\"x\"}";
    assert!(matches!(
        v2::extract(gbk, KEY),
        Err(ResponseError::NotUtf8 { .. })
    ));
}

#[test]
fn v2_duplicate_node() {
    let body = trade_query_body();
    // A second node with the same key, after the genuine one (the sign still matches the first).
    let dup = body.replacen(
        ",\"sign\":",
        ",\"alipay_trade_query_response\":{\"code\":\"10000\",\"total_amount\":\"0.01\"},\"sign\":",
        1,
    );
    assert_eq!(
        v2::extract(dup.as_bytes(), KEY).unwrap_err(),
        ResponseError::DuplicateNode {
            key: KEY.to_string()
        }
    );
    // Before the genuine one.
    let dup_first = body.replacen(
        '{',
        "{\"alipay_trade_query_response\":{\"code\":\"10000\"},",
        1,
    );
    assert_eq!(
        v2::extract(dup_first.as_bytes(), KEY).unwrap_err(),
        ResponseError::DuplicateNode {
            key: KEY.to_string()
        }
    );
    // A duplicated top-level `sign` is refused by the real JSON parse.
    let dup_sign = body.replacen(",\"sign\":", ",\"sign\":\"AAAA\",\"sign\":", 1);
    assert!(matches!(
        v2::extract(dup_sign.as_bytes(), KEY),
        Err(ResponseError::Malformed { .. })
    ));
}

#[test]
fn v2_malformed_shapes() {
    for (body, what) in [
        (&b"[1,2]"[..], "array"),
        (b"\"text\"", "string"),
        (b"{\"a\" 1}", "missing colon"),
        (b"{\"a\":1 \"b\":2}", "missing comma"),
        (b"{\"a\":[1}}", "mismatched bracket"),
        (b"{\"a\":1} trailing", "trailing data"),
        (b"<html>502 Bad Gateway</html>", "html"),
    ] {
        assert!(
            matches!(v2::extract(body, KEY), Err(ResponseError::Malformed { .. })),
            "{what}"
        );
    }
    assert_eq!(
        v2::extract(br#"{"alipay_trade_query_response":42,"sign":"x"}"#, KEY).unwrap_err(),
        ResponseError::NodeNotObject {
            key: KEY.to_string()
        }
    );
    assert_eq!(
        v2::extract(br#"{"other_response":{},"sign":"x"}"#, KEY).unwrap_err(),
        ResponseError::NodeMissing {
            expected: KEY.to_string()
        }
    );
    // A signature that is not base64.
    let body = br#"{"alipay_trade_query_response":{"code":"10000"},"sign":"not base64!"}"#;
    assert_eq!(
        v2::verify_response(body, KEY, public_key(), SignType::Rsa2).unwrap_err(),
        ResponseError::BadSignature(VerifyError::SignatureBase64)
    );
}

#[test]
fn v2_escaped_slash_retry_only_for_slashes() {
    // A node signed over its `/`-unescaped form verifies through the retry.
    let node_raw = r#"{"code":"10000","url":"http:\/\/x\/y"}"#;
    let sign = private_key()
        .sign(SignType::Rsa2, br#"{"code":"10000","url":"http://x/y"}"#)
        .unwrap();
    let body = format!("{{\"{KEY}\":{node_raw},\"sign\":\"{sign}\"}}");
    v2::verify_response(body.as_bytes(), KEY, public_key(), SignType::Rsa2).unwrap();
    // The retry does not open any other door.
    let body = format!(
        "{{\"{KEY}\":{},\"sign\":\"{sign}\"}}",
        node_raw.replace("10000", "10001")
    );
    assert_eq!(
        v2::verify_response(body.as_bytes(), KEY, public_key(), SignType::Rsa2).unwrap_err(),
        bad_signature()
    );
}

// ---------------------------------------------------------------------------------------------
// v3 responses
// ---------------------------------------------------------------------------------------------

#[test]
fn v3_tampered_and_wrong_key() {
    let v = vector("v3_response_verify_trade_query");
    let h = &v["inputs"]["response_headers"];
    let ts = h["alipay-timestamp"].as_str().unwrap();
    let nonce = h["alipay-nonce"].as_str().unwrap();
    let sig = h["alipay-signature"].as_str().unwrap();
    let body = v["inputs"]["raw_http_body"].as_str().unwrap();
    v3::verify_response(ts, nonce, sig, body.as_bytes(), public_key()).unwrap();
    let tampered = body.replace("88.88", "88.89");
    assert_eq!(
        v3::verify_response(ts, nonce, sig, tampered.as_bytes(), public_key()).unwrap_err(),
        VerifyError::Mismatch
    );
    assert_eq!(
        v3::verify_response("1717216497124", nonce, sig, body.as_bytes(), public_key())
            .unwrap_err(),
        VerifyError::Mismatch
    );
    assert_eq!(
        v3::verify_response(ts, "other-nonce", sig, body.as_bytes(), public_key()).unwrap_err(),
        VerifyError::Mismatch
    );
    assert_eq!(
        v3::verify_response(ts, nonce, sig, body.as_bytes(), &other_public_key()).unwrap_err(),
        VerifyError::Mismatch
    );
    assert_eq!(
        v3::verify_response(ts, nonce, "%%%", body.as_bytes(), public_key()).unwrap_err(),
        VerifyError::SignatureBase64
    );
    assert_eq!(
        v3::verify_response(ts, nonce, "", body.as_bytes(), public_key()).unwrap_err(),
        VerifyError::Mismatch
    );
}

// ---------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------

#[test]
fn garbage_private_keys() {
    let pk = KeyKind::PrivateKey;
    assert_eq!(
        PrivateKey::from_text("").unwrap_err(),
        KeyError::Empty { kind: pk }
    );
    assert_eq!(
        PrivateKey::from_text(" \n\t ").unwrap_err(),
        KeyError::Empty { kind: pk }
    );
    assert_eq!(
        PrivateKey::from_text("this is not a key!").unwrap_err(),
        KeyError::Base64 { kind: pk }
    );
    assert!(matches!(
        PrivateKey::from_text("SGVsbG8gd29ybGQ="),
        Err(KeyError::UnrecognisedDer { .. })
    ));
    // A public key where the private key belongs.
    let public_bare: String = read("app_public_key.pem")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(matches!(
        PrivateKey::from_text(&public_bare),
        Err(KeyError::WrongKeyType { .. })
    ));
    assert_eq!(
        PrivateKey::from_text(&read("app_public_key.pem")).unwrap_err(),
        KeyError::WrongPemLabel {
            kind: pk,
            label: "PUBLIC KEY".into()
        }
    );
    assert_eq!(
        PrivateKey::from_text(&read("negative/encrypted_private_key.pem")).unwrap_err(),
        KeyError::EncryptedPrivateKey
    );
    assert_eq!(
        PrivateKey::from_text(&read("negative/ec_private_key.pem")).unwrap_err(),
        KeyError::NotRsa { kind: pk }
    );
    // Armour without an END line; a truncated key body.
    let pem = read("app_private_key_pkcs1.pem");
    let no_end = pem.replace("-----END RSA PRIVATE KEY-----", "");
    assert!(matches!(
        PrivateKey::from_text(&no_end),
        Err(KeyError::Pem { .. })
    ));
    let lines: Vec<&str> = pem.lines().collect();
    let truncated = format!(
        "{}\n{}\n{}",
        lines[0],
        lines[1..6].join("\n"),
        lines[lines.len() - 1]
    );
    assert!(matches!(
        PrivateKey::from_text(&truncated),
        Err(KeyError::UnrecognisedDer { .. } | KeyError::Rejected { .. })
    ));
    // A flipped byte inside the key is rejected by the consistency checks.
    let bare: String = lines[1..lines.len() - 1].concat();
    let mut chars: Vec<char> = bare.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    let flipped: String = chars.into_iter().collect();
    assert!(PrivateKey::from_text(&flipped).is_err());
}

#[test]
fn garbage_public_keys() {
    let k = KeyKind::PublicKey;
    assert_eq!(
        PublicKey::from_text("").unwrap_err(),
        KeyError::Empty { kind: k }
    );
    assert_eq!(
        PublicKey::from_text("@@@").unwrap_err(),
        KeyError::Base64 { kind: k }
    );
    assert!(matches!(
        PublicKey::from_text(&read("negative/other_public_key_pkcs1.pem")),
        Err(KeyError::WrongKeyType { .. })
    ));
    assert!(matches!(
        PublicKey::from_text(&read("certs/alipayCertPublicKey_RSA2.crt")),
        Err(KeyError::WrongKeyType { .. })
    ));
    // A private key's bare base64 pasted as the Alipay public key.
    let private_bare: String = read("app_private_key_pkcs1.pem")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(matches!(
        PublicKey::from_text(&private_bare),
        Err(KeyError::WrongKeyType { .. })
    ));
    // PKCS#8 private key as public key.
    let pkcs8_bare: String = read("app_private_key_pkcs8.pem")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(PublicKey::from_text(&pkcs8_bare).is_err());
}

#[test]
fn errors_and_debug_never_show_secrets() {
    let pem = read("app_private_key_pkcs1.pem");
    let body_line = pem.lines().nth(1).unwrap();
    let dbg = format!("{:?}", private_key());
    assert_eq!(dbg, "PrivateKey { bits: 2048, .. }");
    // Errors about a bad key never echo it.
    let mut broken = pem.replace("-----END RSA PRIVATE KEY-----", "");
    broken.push_str("garbage");
    let e = PrivateKey::from_text(&broken).unwrap_err();
    assert!(!e.to_string().contains(&body_line[..20]));
    assert!(!format!("{e:?}").contains(&body_line[..20]));
    let aes = AesKey::from_base64("AAECAwQFBgcICQoLDA0ODw==").unwrap();
    assert!(!format!("{aes:?}").contains("AAECAw"));
    // Messages name the expected format.
    let msg = PrivateKey::from_text("!!").unwrap_err().to_string();
    assert!(msg.contains("PKCS#8") && msg.contains("PKCS#1"), "{msg}");
    let msg = PublicKey::from_text(&read("negative/other_public_key_pkcs1.pem"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("SubjectPublicKeyInfo"), "{msg}");
}

#[test]
fn aes_failures() {
    assert_eq!(
        AesKey::from_base64("").unwrap_err(),
        KeyError::Empty {
            kind: KeyKind::AesKey
        }
    );
    assert_eq!(
        AesKey::from_base64("AAECAwQFBgcICQoLDA0ODwAAAAAAAAAAAAAAAAAAAAA=").unwrap_err(),
        KeyError::AesKeyLength { len: 32 }
    );
    let key = AesKey::from_base64("AAECAwQFBgcICQoLDA0ODw==").unwrap();
    let other = AesKey::from_base64("DwECAwQFBgcICQoLDA0ODw==").unwrap();
    let c = key.encrypt(b"{\"a\":1}");
    // The wrong key almost always breaks the padding; when it does not, the bytes differ.
    match other.decrypt(&c) {
        Err(e) => assert_eq!(e, CryptoError::Decrypt),
        Ok(p) => assert_ne!(p, b"{\"a\":1}"),
    }
    assert_eq!(
        key.decrypt("").unwrap_err(),
        CryptoError::CiphertextLength { len: 0 }
    );
    assert_eq!(
        key.decrypt("AAAAAAAAAAAAAAAAAAAAAAAA").unwrap_err(),
        CryptoError::CiphertextLength { len: 18 }
    );
    assert_eq!(
        key.decrypt("not base64").unwrap_err(),
        CryptoError::CiphertextBase64
    );
}

// ---------------------------------------------------------------------------------------------
// certificates
// ---------------------------------------------------------------------------------------------

fn bundle() -> Vec<Cert> {
    cert::parse_bundle(&read("certs/alipayRootCert.crt")).unwrap()
}

fn intermediate() -> Cert {
    Cert::from_pem(&read("certs/ca_class2.crt")).unwrap()
}

fn alipay_cert() -> Cert {
    Cert::from_pem(&read("certs/alipayCertPublicKey_RSA2.crt")).unwrap()
}

fn inside_validity(c: &Cert) -> std::time::SystemTime {
    c.validity().0 + Duration::from_secs(3600)
}

#[test]
fn untrusted_rotated_certificate() {
    // A certificate named like the Alipay cert, issued by a CA that copies the intermediate's
    // name but holds another key: the name matches, the signature does not.
    let rogue = Cert::from_pem(&read("negative/rogue_alipay.crt")).unwrap();
    let fake_ca = Cert::from_pem(&read("negative/fake_class2.crt")).unwrap();
    assert_eq!(rogue.issuer_dn(), alipay_cert().issuer_dn());
    let now = inside_validity(&rogue);
    // Not even with the real intermediate and the fake CA offered as helpers.
    let err =
        cert::validate(&rogue, &[intermediate(), fake_ca.clone()], &bundle(), now).unwrap_err();
    assert!(matches!(err, CertError::Untrusted { .. }), "{err}");
    assert!(matches!(
        cert::validate(&rogue, &[], &bundle(), now),
        Err(CertError::Untrusted { .. })
    ));
    // The fake CA itself is self-signed but not in the bundle.
    assert!(matches!(
        cert::validate(&fake_ca, &[], &bundle(), now),
        Err(CertError::Untrusted { .. })
    ));
    // The genuine cert without its intermediate does not reach a root.
    let genuine = alipay_cert();
    assert!(matches!(
        cert::validate(&genuine, &[], &bundle(), inside_validity(&genuine)),
        Err(CertError::Untrusted { .. })
    ));
    // A bundle without the issuing root.
    let only_g3: Vec<Cert> = bundle()
        .into_iter()
        .filter(|c| c.subject_dn().contains("G3"))
        .collect();
    assert!(matches!(
        cert::validate(
            &genuine,
            &[intermediate()],
            &only_g3,
            inside_validity(&genuine)
        ),
        Err(CertError::Untrusted { .. })
    ));
}

#[test]
fn expired_or_not_yet_valid_certificate() {
    let genuine = alipay_cert();
    let (not_before, not_after) = genuine.validity();
    let before = not_before - Duration::from_secs(1);
    let after = not_after + Duration::from_secs(1);
    for now in [before, after] {
        assert!(matches!(
            cert::validate(&genuine, &[intermediate()], &bundle(), now),
            Err(CertError::Expired { .. })
        ));
    }
    cert::validate(
        &genuine,
        &[intermediate()],
        &bundle(),
        inside_validity(&genuine),
    )
    .unwrap();
}

#[test]
fn garbage_certificates() {
    assert_eq!(
        cert::parse_bundle("").unwrap_err(),
        CertError::NoCertificate
    );
    assert_eq!(
        cert::parse_bundle("hello").unwrap_err(),
        CertError::NoCertificate
    );
    assert!(matches!(
        cert::parse_bundle("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
        Err(CertError::Der { .. })
    ));
    assert!(matches!(
        cert::parse_bundle("-----BEGIN CERTIFICATE-----\nAAAA\n"),
        Err(CertError::Pem(_))
    ));
    assert_eq!(
        cert::parse_bundle(&read("app_public_key.pem")).unwrap_err(),
        CertError::NoCertificate
    );
    // The EC root has no RSA key.
    let e1 = Cert::from_pem(&read("certs/root_e1.crt")).unwrap();
    assert!(matches!(e1.public_key(), Err(CertError::PublicKey(_))));
    assert!(!e1.is_rsa_signed());
    assert!(cert::parse_bundle_bytes(&[0x30, 0x03, 0x02, 0x01]).is_err());
}

// ---------------------------------------------------------------------------------------------
// notifications
// ---------------------------------------------------------------------------------------------

fn notify_body() -> String {
    vector("v2_notify_verify")["inputs"]["raw_form_body"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Signs a set of decoded pairs as Alipay would (V1 content) and form-encodes them.
fn signed_notification(pairs: &[(&str, &str)]) -> String {
    let content = notify::string_to_verify(pairs, NotifyRule::V1);
    let sign = private_key()
        .sign(SignType::Rsa2, content.as_bytes())
        .unwrap();
    let mut all: Vec<(&str, &str)> = pairs.to_vec();
    all.push(("sign", &sign));
    v2::form_encode(&all)
}

#[test]
fn notify_tampered_amount_and_wrong_key() {
    let body = notify_body();
    notify::verify_form(body.as_bytes(), public_key(), NotifyRule::V1).unwrap();
    let tampered = body.replace("total_amount=88.88", "total_amount=0.01");
    assert_eq!(
        notify::verify_form(tampered.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::BadSignature(VerifyError::Mismatch)
    );
    let extra = format!("{body}&refund_fee=88.88");
    assert_eq!(
        notify::verify_form(extra.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::BadSignature(VerifyError::Mismatch)
    );
    assert_eq!(
        notify::verify_form(body.as_bytes(), &other_public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::BadSignature(VerifyError::Mismatch)
    );
    // sign_type=RSA makes the verifier use SHA1: the RSA2 signature fails.
    let rsa1 = body.replace("sign_type=RSA2", "sign_type=RSA");
    assert_eq!(
        notify::verify_form(rsa1.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::BadSignature(VerifyError::Mismatch)
    );
    let unknown = body.replace("sign_type=RSA2", "sign_type=MD5");
    assert_eq!(
        notify::verify_form(unknown.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::UnsupportedSignType {
            value: "MD5".into()
        }
    );
}

#[test]
fn notify_missing_sign_and_empty() {
    let body = notify_body();
    let without: Vec<&str> = body
        .split('&')
        .filter(|kv| !kv.starts_with("sign="))
        .collect();
    let without = without.join("&");
    assert_eq!(
        notify::verify_form(without.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::MissingSign
    );
    let empty_sign = format!("{without}&sign=");
    assert_eq!(
        notify::verify_form(empty_sign.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::MissingSign
    );
    assert_eq!(
        notify::verify_form(b"", public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::Empty
    );
    assert_eq!(
        notify::verify_pairs(&[], public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::Empty
    );
}

#[test]
fn notify_empty_values_are_not_signed() {
    // Alipay drops empty values from the content; an added empty parameter changes nothing.
    let body = format!("{}&buyer_pay_amount=&voucher_detail_list=", notify_body());
    let v = notify::verify_form(body.as_bytes(), public_key(), NotifyRule::V1).unwrap();
    assert_eq!(v.get("buyer_pay_amount"), Some(""));
}

#[test]
fn notify_literal_percent_and_double_encoding() {
    let pairs = [
        ("app_id", "2021000000000001"),
        ("notify_id", "n1"),
        ("subject", "100% real + more"),
        ("passback_params", "a%3Db%26c"),
        ("total_amount", "1.00"),
    ];
    let body = signed_notification(&pairs);
    let v = notify::verify_form(body.as_bytes(), public_key(), NotifyRule::V1).unwrap();
    assert_eq!(v.get("subject"), Some("100% real + more"));
    assert_eq!(v.get("passback_params"), Some("a%3Db%26c"));
    // A sender that forgot to encode the `%`: the literal is kept, and it still verifies.
    let raw_percent = body.replace("100%25", "100%");
    assert!(raw_percent.contains("100%+real"));
    notify::verify_form(raw_percent.as_bytes(), public_key(), NotifyRule::V1).unwrap();
    // A body encoded twice decodes once to the wrong values: rejected.
    let twice: String = body
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            if k == "sign" {
                kv.to_string()
            } else {
                format!("{k}={}", v.replace('%', "%25"))
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(
        notify::verify_form(twice.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::BadSignature(VerifyError::Mismatch)
    );
    // Decoded pairs decoded a second time do not verify either.
    let double_decoded = [
        ("passback_params", "a=b&c"),
        ("subject", "100% real + more"),
    ];
    let mut pairs2: Vec<(&str, &str)> = pairs.to_vec();
    pairs2[3] = double_decoded[0];
    let sign = v.get("sign").unwrap().to_string();
    pairs2.push(("sign", &sign));
    assert_eq!(
        notify::verify_pairs(&pairs2, public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::BadSignature(VerifyError::Mismatch)
    );
}

#[test]
fn notify_duplicates_charsets_and_encoding() {
    let body = notify_body();
    let dup = format!("{body}&total_amount=0.01");
    assert_eq!(
        notify::verify_form(dup.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::DuplicateParam {
            key: "total_amount".into()
        }
    );
    let latin = body.replace("charset=utf-8", "charset=iso-8859-1");
    assert_eq!(
        notify::verify_form(latin.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::UnsupportedCharset {
            value: "iso-8859-1".into()
        }
    );
    // Invalid UTF-8 in a value, correctly signed over those bytes: the signature is fine,
    // the text is not.
    let content = b"app_id=1&charset=utf-8&subject=\xff\xfe";
    let sign = private_key().sign(SignType::Rsa2, content).unwrap();
    let body = format!(
        "app_id=1&charset=utf-8&subject=%FF%FE&sign={}",
        v2::form_encode(&[("s", &sign)]).trim_start_matches("s=")
    );
    assert_eq!(
        notify::verify_form(body.as_bytes(), public_key(), NotifyRule::V1).unwrap_err(),
        NotifyError::BadEncoding {
            key: "subject".into(),
            charset: "UTF-8"
        }
    );
}

#[test]
fn notify_gbk_body() {
    // A GBK notification: percent-escapes carry GBK bytes and the signature covers the GBK
    // bytes of the content.
    let subject = "测试商品";
    let (gbk_subject, _, _) = encoding_rs::GBK.encode(subject);
    let mut content = b"app_id=2021000000000001&charset=gbk&subject=".to_vec();
    content.extend_from_slice(&gbk_subject);
    content.extend_from_slice(b"&total_amount=1.00");
    let sign = private_key().sign(SignType::Rsa2, &content).unwrap();
    let enc_subject: String = gbk_subject.iter().map(|b| format!("%{b:02X}")).collect();
    let body = format!(
        "charset=gbk&subject={enc_subject}&total_amount=1.00&app_id=2021000000000001&sign_type=RSA2&{}",
        v2::form_encode(&[("sign", &sign)])
    );
    let v = notify::verify_form(body.as_bytes(), public_key(), NotifyRule::V1).unwrap();
    assert_eq!(v.get("subject"), Some(subject));
    // The same notification as decoded pairs.
    let pairs: Vec<(&str, &str)> = v
        .pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    notify::verify_pairs(&pairs, public_key(), NotifyRule::V1).unwrap();
    // Read as UTF-8 the GBK bytes are invalid: a GBK body declared utf-8 fails.
    let as_utf8 = body.replace("charset=gbk", "charset=utf-8");
    assert!(notify::verify_form(as_utf8.as_bytes(), public_key(), NotifyRule::V1).is_err());
}

#[test]
fn notify_typed_checks() {
    let body = notify_body();
    assert_eq!(
        notify::verify_trade_notification(body.as_bytes(), public_key(), "2021000000000002")
            .unwrap_err(),
        NotifyError::AppIdMismatch {
            expected: "2021000000000002".into(),
            found: "2021000000000001".into()
        }
    );
    let base = [
        ("app_id", "2021000000000001"),
        ("notify_type", "trade_status_sync"),
        ("trade_status", "TRADE_NEW_STATE"),
    ];
    let no_id = signed_notification(&base);
    assert_eq!(
        notify::verify_trade_notification(no_id.as_bytes(), public_key(), "2021000000000001")
            .unwrap_err(),
        NotifyError::MissingField { field: "notify_id" }
    );
    let mut with_id = base.to_vec();
    with_id.push(("notify_id", "n1"));
    let t = notify::verify_trade_notification(
        signed_notification(&with_id).as_bytes(),
        public_key(),
        "2021000000000001",
    )
    .unwrap();
    // An unknown trade status is kept, not an error.
    assert_eq!(t.trade_status.as_ref().unwrap().as_str(), "TRADE_NEW_STATE");
    assert!(!t.trade_status.unwrap().is_paid());
    let mut bad_amount = with_id.clone();
    bad_amount.push(("total_amount", "1e3"));
    assert!(matches!(
        notify::verify_trade_notification(
            signed_notification(&bad_amount).as_bytes(),
            public_key(),
            "2021000000000001"
        ),
        Err(NotifyError::InvalidField {
            field: "total_amount",
            ..
        })
    ));
    let mut bad_bills = with_id.clone();
    bad_bills.push(("fund_bill_list", "[{\"amount\":1}]"));
    assert!(matches!(
        notify::verify_trade_notification(
            signed_notification(&bad_bills).as_bytes(),
            public_key(),
            "2021000000000001"
        ),
        Err(NotifyError::InvalidField {
            field: "fund_bill_list",
            ..
        })
    ));
}

#[test]
fn return_url_query() {
    let pairs = [
        ("app_id", "2021000000000001"),
        ("method", "alipay.trade.page.pay.return"),
        ("out_trade_no", "20150320010101002"),
        ("total_amount", "88.88"),
        ("charset", "utf-8"),
    ];
    let query = signed_notification(&pairs);
    let v = notify::verify_return_query(&query, public_key()).unwrap();
    assert_eq!(v.get("out_trade_no"), Some("20150320010101002"));
    let tampered = query.replace("88.88", "0.01");
    assert_eq!(
        notify::verify_return_query(&tampered, public_key()).unwrap_err(),
        NotifyError::BadSignature(VerifyError::Mismatch)
    );
}

#[test]
fn sm2_roots_are_parsed_and_skipped() {
    // Alipay's production bundle starts with an SM2 root; it must parse and be skipped.
    let sm2 = read("negative/sm2_root.crt");
    let bundle_text = read("certs/alipayRootCert.crt");
    let with_sm2 = format!("{sm2}{bundle_text}");
    let parsed = cert::parse_bundle(&with_sm2).unwrap();
    assert_eq!(parsed.len(), 4);
    assert_eq!(parsed[0].signature_algorithm_oid(), "1.2.156.10197.1.501");
    assert!(!parsed[0].is_rsa_signed());
    assert_eq!(
        cert::root_cert_sn(&with_sm2).unwrap(),
        cert::root_cert_sn(&bundle_text).unwrap()
    );
    assert_eq!(cert::root_cert_sn(&sm2).unwrap(), "");
    // Nothing chains to an SM2 root here, and its key is no RSA key.
    let genuine = alipay_cert();
    assert!(matches!(
        cert::validate(
            &genuine,
            &[intermediate()],
            &parsed[..1],
            inside_validity(&genuine)
        ),
        Err(CertError::Untrusted { .. })
    ));
    assert!(matches!(
        parsed[0].public_key(),
        Err(CertError::PublicKey(_))
    ));
}

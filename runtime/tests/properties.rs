//! Property tests of the protocol core.

use alipay_runtime::aes::AesKey;
use alipay_runtime::keys::{PrivateKey, PublicKey, SignType};
use alipay_runtime::notify::{self, NotifyRule};
use alipay_runtime::{checkout, v2, v3};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn private_key() -> &'static PrivateKey {
    static K: OnceLock<PrivateKey> = OnceLock::new();
    K.get_or_init(|| PrivateKey::from_text(&read("app_private_key_pkcs8.pem")).unwrap())
}

fn public_key() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| PublicKey::from_text(&read("app_public_key.pem")).unwrap())
}

/// Text mixing arbitrary Unicode with the characters that break naive encoders.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            1 => Just('&'),
            1 => Just('='),
            1 => Just('%'),
            1 => Just('+'),
            1 => Just(' '),
            1 => Just('中'),
            1 => Just('"'),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn random_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        tricky_text().prop_map(Value::String),
        Just(Value::String("}{\"\\/".into())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// v2 request: sign → form-encode (query + body) → form-decode (the gateway) → rebuild
    /// the string to sign → verify.
    #[test]
    fn v2_values_survive_the_wire(values in prop::collection::vec(tricky_text(), 3)) {
        let params = [
            ("app_id", "2021000000000001"),
            ("method", "alipay.trade.query"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", "2024-06-01 12:34:56"),
            ("version", "1.0"),
            ("notify_url", values[0].as_str()),
            ("biz_content", values[1].as_str()),
            ("passback_params", values[2].as_str()),
        ];
        let signed = v2::signed_pairs(&params, private_key(), SignType::Rsa2).unwrap();
        let refs: Vec<(&str, &str)> = signed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (query, body) = refs.split_at(6);
        let query = v2::form_encode(query);
        let body = v2::form_encode(body);
        let mut received = v2::form_decode(&query);
        received.extend(v2::form_decode(&body));
        let received_refs: Vec<(&str, &str)> = received.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let sign = received.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
        let content = v2::string_to_sign(&received_refs);
        prop_assert_eq!(&content, &v2::string_to_sign(&params));
        prop_assert!(public_key().verify(SignType::Rsa2, content.as_bytes(), &sign).is_ok());

        // The app pay order string decodes to the same set too.
        let order = checkout::app_pay_order_string(&refs);
        let decoded: Vec<(String, String)> = order
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8().unwrap().into_owned())
            })
            .collect();
        let decoded_refs: Vec<(&str, &str)> = decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        prop_assert_eq!(v2::string_to_sign(&decoded_refs), v2::string_to_sign(&params));
    }

    /// A notification Alipay signs verifies from its raw body; changing any character of any
    /// signed value makes it fail.
    #[test]
    fn notifications_verify_and_detect_changes(
        subject in tricky_text(),
        passback in tricky_text(),
        which in any::<prop::sample::Index>(),
        pos in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let pairs = [
            ("app_id", "2021000000000001"),
            ("notify_type", "trade_status_sync"),
            ("subject", subject.as_str()),
            ("passback_params", passback.as_str()),
            ("total_amount", "88.88"),
        ];
        let content = notify::string_to_verify(&pairs, NotifyRule::V1);
        let sign = private_key().sign(SignType::Rsa2, content.as_bytes()).unwrap();
        let mut all = pairs.to_vec();
        all.push(("sign_type", "RSA2"));
        all.push(("sign", &sign));
        let body = v2::form_encode(&all);
        let v = notify::verify_form(body.as_bytes(), public_key(), NotifyRule::V1).unwrap();
        // form_encode skips empty values; every non-empty one comes back decoded once.
        prop_assert_eq!(v.get("subject").unwrap_or(""), subject.as_str());
        prop_assert_eq!(v.get("passback_params").unwrap_or(""), passback.as_str());

        // Change one character of any signed value (decoded view): always rejected.
        let signed_keys: Vec<(&str, &str)> = pairs.iter().filter(|(_, v)| !v.is_empty()).copied().collect();
        let (victim, old_value) = signed_keys[which.index(signed_keys.len())];
        let mut chars: Vec<char> = old_value.chars().collect();
        let at = pos.index(chars.len());
        chars[at] = if chars[at] == replacement { 'x' } else { replacement };
        if chars[at] == old_value.chars().nth(at).unwrap_or_default() {
            chars[at] = 'y';
        }
        let new_value: String = chars.into_iter().collect();
        prop_assert_ne!(&new_value, old_value);
        let changed: Vec<(&str, &str)> = all
            .iter()
            .map(|(k, v)| if *k == victim { (*k, new_value.as_str()) } else { (*k, *v) })
            .collect();
        let tampered = v2::form_encode(&changed);
        prop_assert!(notify::verify_form(tampered.as_bytes(), public_key(), NotifyRule::V1).is_err());
    }

    /// v3 query encoding: only unreserved characters and %XX escapes, and decoding gives the
    /// value back.
    #[test]
    fn v3_query_encoding_round_trips(value in tricky_text()) {
        let enc = v3::encode_component(&value);
        prop_assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        prop_assert_eq!(percent_encoding::percent_decode_str(&enc).decode_utf8().unwrap(), value.as_str());
    }

    /// AES round trip over arbitrary bytes.
    #[test]
    fn aes_round_trips(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let key = AesKey::from_base64("AAECAwQFBgcICQoLDA0ODw==").unwrap();
        let c = key.encrypt(&data);
        prop_assert_eq!(key.decrypt(&c).unwrap(), data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The extractor never panics on arbitrary bytes.
    #[test]
    fn extractor_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = v2::extract(&body, "alipay_trade_query_response");
        let _ = notify::verify_form(&body, public_key(), NotifyRule::V1);
    }

    /// The extractor never panics on arbitrary JSON, nor on any prefix of it.
    #[test]
    fn extractor_never_panics_on_json(value in random_json(), cut in any::<prop::sample::Index>()) {
        let text = value.to_string();
        let _ = v2::extract(text.as_bytes(), "k");
        let end = cut.index(text.len() + 1);
        let _ = v2::extract(&text.as_bytes()[..end], "k");
        let wrapped = format!("{{\"alipay_trade_query_response\":{text},\"sign\":\"AAAA\"}}");
        let _ = v2::verify_response(wrapped.as_bytes(), "alipay_trade_query_response", public_key(), SignType::Rsa2);
    }

    /// In any valid body, wherever the node and sign sit and whatever the whitespace, the
    /// extractor returns exactly the node's bytes.
    #[test]
    fn extractor_finds_the_node(
        node in prop::collection::btree_map("[a-z_]{1,8}", random_json(), 0..6),
        others in prop::collection::btree_map("[a-y]{1,8}", random_json(), 0..4),
        position in any::<prop::sample::Index>(),
        sign_first in any::<bool>(),
        pretty in any::<bool>(),
        ws in prop::sample::select(vec!["", " ", "\n  ", "\t", "\r\n"]),
    ) {
        let node = Value::Object(node.into_iter().collect());
        let node_text = if pretty { serde_json::to_string_pretty(&node).unwrap() } else { node.to_string() };
        let mut members: Vec<String> = others
            .iter()
            .filter(|(k, _)| k.as_str() != "sign")
            .map(|(k, v)| format!("\"{k}\"{ws}:{ws}{v}"))
            .collect();
        members.insert(position.index(members.len() + 1), format!("\"alipay_trade_query_response\"{ws}:{ws}{node_text}"));
        let sign = format!("\"sign\"{ws}:{ws}\"AAAA\"");
        if sign_first { members.insert(0, sign) } else { members.push(sign) }
        let body = format!("{ws}{{{ws}{}{ws}}}{ws}", members.join(&format!("{ws},{ws}")));
        let found = v2::extract(body.as_bytes(), "alipay_trade_query_response").unwrap();
        prop_assert_eq!(found.signed, node_text.as_bytes());
        prop_assert_eq!(found.sign.as_deref(), Some("AAAA"));
        prop_assert!(!found.is_error_response);
    }
}

/// Reference civil-date computation by walking years and months (independent of the
/// formatter's algorithm).
fn reference_beijing(secs: u64) -> String {
    let local = secs + 8 * 3600;
    let mut days = local / 86_400;
    let sod = local % 86_400;
    let leap = |y: u64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut year = 1970;
    loop {
        let len = if leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let months = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 1;
    for len in months {
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    format!(
        "{year:04}-{month:02}-{:02} {:02}:{:02}:{:02}",
        days + 1,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The Beijing timestamp agrees with a naive calendar walk, for any instant from 1970 to 2099.
    #[test]
    fn beijing_timestamp_matches_reference(secs in 0u64..4_102_444_800, millis in 0u32..1000) {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs) + std::time::Duration::from_millis(u64::from(millis));
        prop_assert_eq!(v2::beijing_timestamp(t), reference_beijing(secs));
    }
}

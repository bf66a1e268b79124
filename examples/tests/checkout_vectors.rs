//! The checkout vectors of the official Node SDK (`v2_sdk_execute_app_pay`,
//! `v2_page_execute_page_pay`) reproduced through the client and the generated request
//! models, with a fixed clock.
//!
//! Like Node, the checkout builders leave out the optional `format` parameter, so the app pay
//! string to sign and signature are the vector's, bit for bit. For page pay, the one
//! documented difference is that we do not add Node's own `alipay_sdk` parameter: the expected
//! string to sign is the vector's without it, and the signature over it is reproduced with the
//! vectors' key. Every emitted segment has the bytes Node emits for the same parameter.

use alipay_runtime::keys::{PrivateKey, PublicKey, SignType};
use alipay_runtime::v2;
use alipay_sdk::alipay_trade::{AlipayTradeAppPayRequest, AlipayTradePagePayRequest};
use alipay_sdk::runtime::Endpoint;
use alipay_sdk::{CallOptions, Client};
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};

const GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/vectors")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(vectors_dir().join(name)).unwrap()
}

fn root() -> Value {
    serde_json::from_str(&read("vectors.json")).unwrap()
}

fn vector(id: &str) -> Value {
    root()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap()
        .clone()
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    path.split('.')
        .fold(v, |cur, part| &cur[part])
        .as_str()
        .unwrap_or_else(|| panic!("{path}"))
}

fn client() -> Client {
    let ms = root()["fixed_clock"]["epoch_ms"].as_u64().unwrap();
    Client::builder()
        .app_id(s(&root(), "app_id"))
        .private_key(read("app_private_key_pkcs1.pem"))
        .alipay_public_key(read("app_public_key.pem"))
        .endpoint(Endpoint::custom(GATEWAY, "https://openapi.alipay.com"))
        .clock(move || UNIX_EPOCH + Duration::from_millis(ms))
        .build()
        .unwrap()
}

/// Our page pay string to sign: the vector's without Node's `alipay_sdk`.
fn without_node_param(node: &str) -> String {
    let ours = node.replace("alipay_sdk=alipay-sdk-nodejs-4.0.0&", "");
    assert_ne!(ours, node);
    ours
}

/// The segments `k=…` of an encoded parameter string, by key.
fn segments(encoded: &str) -> Vec<(String, String)> {
    encoded
        .split('&')
        .map(|seg| (seg.split('=').next().unwrap().to_string(), seg.to_string()))
        .collect()
}

fn segment<'a>(segs: &'a [(String, String)], key: &str) -> &'a str {
    &segs.iter().find(|(k, _)| k == key).unwrap().1
}

#[test]
fn v2_sdk_execute_app_pay_through_the_client() {
    let v = vector("v2_sdk_execute_app_pay");
    let (i, e) = (&v["inputs"], &v["expected"]);
    let biz = &i["biz_content_object"];
    let request = AlipayTradeAppPayRequest::new(
        s(biz, "out_trade_no"),
        s(biz, "subject"),
        s(biz, "total_amount"),
    )
    .product_code(s(biz, "product_code"));
    let opts = CallOptions::new().notify_url(s(i, "notify_url"));
    let order = client().app_pay_order_string(&request, &opts).unwrap();

    // The vector's string to sign and signature, bit for bit.
    let content = s(e, "string_to_sign").to_string();
    let sign = s(e, "sign").to_string();
    // Every segment is the one Node emits (encodeURIComponent), in our order.
    let node = segments(s(e, "order_string"));
    let expected = [
        segment(&node, "method").to_string(),
        segment(&node, "app_id").to_string(),
        segment(&node, "charset").to_string(),
        segment(&node, "sign_type").to_string(),
        segment(&node, "version").to_string(),
        segment(&node, "notify_url").to_string(),
        segment(&node, "timestamp").to_string(),
        segment(&node, "sign").to_string(),
        segment(&node, "biz_content").to_string(),
    ]
    .join("&");
    assert_eq!(order, expected);

    // The decoded order string is exactly that signed parameter set.
    let pairs: Vec<(String, String)> = order
        .split('&')
        .map(|seg| {
            let (k, v) = seg.split_once('=').unwrap();
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap();
            (k.to_string(), v.into_owned())
        })
        .collect();
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(v2::string_to_sign(&refs), content);
    let public = PublicKey::from_text(&read("app_public_key.pem")).unwrap();
    public
        .verify(SignType::Rsa2, content.as_bytes(), &sign)
        .unwrap();
}

#[test]
fn v2_page_execute_page_pay_through_the_client() {
    let v = vector("v2_page_execute_page_pay");
    let (i, e) = (&v["inputs"], &v["expected"]);
    let biz = &i["biz_content_object"];
    let request = AlipayTradePagePayRequest::new(
        s(biz, "out_trade_no"),
        s(biz, "product_code"),
        s(biz, "subject"),
        s(biz, "total_amount"),
    );
    let opts = CallOptions::new()
        .notify_url(s(i, "notify_url"))
        .return_url(s(i, "return_url"));
    let c = client();

    let content = without_node_param(s(e, "string_to_sign"));
    assert_eq!(
        content,
        without_node_param(s(e, "post_string_to_sign")),
        "GET and POST sign the same set"
    );
    let key = PrivateKey::from_text(&read("app_private_key_pkcs1.pem")).unwrap();
    let sign = key.sign(SignType::Rsa2, content.as_bytes()).unwrap();
    let sign_segment = v2::form_encode(&[("sign", &sign)]);

    // GET: the gateway-URL parameters form-encoded (as Node's URLSearchParams), then
    // biz_content as encodeURIComponent; each segment has Node's bytes.
    let url = c.page_pay_url(&request, &opts).unwrap();
    let node_url = s(e, "get_url");
    let (node_base, node_query) = node_url.split_once('?').unwrap();
    assert_eq!(node_base, GATEWAY);
    let node = segments(node_query);
    let action_query = [
        segment(&node, "method").to_string(),
        segment(&node, "app_id").to_string(),
        segment(&node, "charset").to_string(),
        segment(&node, "sign_type").to_string(),
        segment(&node, "version").to_string(),
        segment(&node, "notify_url").to_string(),
        segment(&node, "return_url").to_string(),
        segment(&node, "timestamp").to_string(),
        sign_segment.clone(),
    ]
    .join("&");
    assert_eq!(
        url,
        format!("{GATEWAY}?{action_query}&{}", segment(&node, "biz_content"))
    );
    let decoded = v2::form_decode(url.split_once('?').unwrap().1);
    let refs: Vec<(&str, &str)> = decoded
        .iter()
        .filter(|(k, _)| k != "sign")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(v2::string_to_sign(&refs), content);

    // POST: our documented form. The action carries the same query (`&` escaped as `&amp;`);
    // biz_content is a hidden field with `& < > "` escaped (Node escapes only `"`).
    let form = c.page_pay_form(&request, &opts).unwrap();
    let biz_json = serde_json::to_string(biz).unwrap();
    let expected_form = format!(
        "<form id=\"alipay_checkout\" name=\"alipay_checkout\" method=\"post\" action=\"{GATEWAY}?{}\">\n\
         <input type=\"hidden\" name=\"biz_content\" value=\"{}\">\n\
         </form>\n\
         <script>document.getElementById(\"alipay_checkout\").submit();</script>",
        action_query.replace('&', "&amp;"),
        biz_json.replace('"', "&quot;"),
    );
    assert_eq!(form, expected_form);
    // Node's hidden biz_content field has the same value.
    assert!(s(e, "post_form_html").contains(&format!(
        "name=\"biz_content\" value=\"{}\"",
        biz_json.replace('"', "&quot;")
    )));
}

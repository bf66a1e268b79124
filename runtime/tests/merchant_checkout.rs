//! Client-level checkout builders: app pay order string, page / wap pay URL and form, for
//! client-executed operations only; what is signed, where each parameter goes, escaping,
//! certificate mode. (The vectors through the generated models: examples/tests.)

mod client_support;
mod merchant_support;

use alipay_runtime::keys::SignType;
use alipay_runtime::{
    checkout, v2, ApiRequest, CallOptions, Checkout, Client, Endpoint, Error, Operation, Protocol,
    Safety, V2Route,
};
use client_support::*;
use serde::Serialize;

const GATEWAY: &str = "https://gw.example/gateway.do";

const fn client_executed(name: &'static str, response_key: &'static str) -> Operation {
    Operation {
        v2: Some(V2Route {
            client_executed: true,
            ..v2_route(response_key)
        }),
        ..op_v2(name, Safety::Mutating, response_key)
    }
}

static APP_PAY: Operation =
    client_executed("alipay.trade.app.pay", "alipay_trade_app_pay_response");
static WAP_PAY: Operation =
    client_executed("alipay.trade.wap.pay", "alipay_trade_wap_pay_response");
static TRADE_QUERY: Operation = op_v2(
    "alipay.trade.query",
    Safety::ReadOnly,
    "alipay_trade_query_response",
);

#[derive(Serialize)]
struct Pay {
    out_trade_no: String,
    total_amount: String,
    subject: String,
    product_code: String,
}

impl Pay {
    fn new(subject: &str, product_code: &str) -> Self {
        Pay {
            out_trade_no: "ORDER-1".into(),
            total_amount: "9.00".into(),
            subject: subject.into(),
            product_code: product_code.into(),
        }
    }
}

struct AppPay(Pay);
struct WapPay(Pay);
struct Query(Pay);

macro_rules! request {
    ($t:ident, $op:ident) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }
        impl ApiRequest for $t {
            type Response = serde_json::Value;
            const OPERATION: &'static Operation = &$op;
        }
    };
}
request!(AppPay, APP_PAY);
request!(WapPay, WAP_PAY);
request!(Query, TRADE_QUERY);

fn client() -> Client {
    Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .alipay_public_key(public_key_pem())
        .endpoint(Endpoint::custom(GATEWAY, "https://gw.example"))
        .clock(fixed_clock)
        .build()
        .unwrap()
}

fn cert_client() -> Client {
    merchant_support::cert_client(GATEWAY)
}

fn refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Checks the signature of a decoded parameter set with the vectors' key; returns it sorted.
fn verify(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let sign = pairs
        .iter()
        .find(|(k, _)| k == "sign")
        .map(|(_, v)| v.clone())
        .expect("sign");
    app_public_key()
        .verify(
            SignType::Rsa2,
            v2::string_to_sign(&refs(pairs)).as_bytes(),
            &sign,
        )
        .expect("the signature verifies");
    let mut sorted = pairs.to_vec();
    sorted.sort();
    sorted
}

/// `k=v` pairs of an app pay order string (`encodeURIComponent` values).
fn decode_order_string(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .map(|seg| {
            let (k, v) = seg.split_once('=').unwrap();
            let dec = |x: &str| {
                percent_encoding::percent_decode_str(x)
                    .decode_utf8()
                    .unwrap()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

#[test]
fn app_pay_order_string_carries_every_signed_parameter() {
    let c = client();
    let opts = CallOptions::new()
        .notify_url("https://m.example/notify?a=1&b=2")
        .app_auth_token("token-of-merchant");
    let order = c
        .app_pay_order_string(
            &AppPay(Pay::new("大乐透 2024+1", "QUICK_MSECURITY_PAY")),
            &opts,
        )
        .unwrap();
    // encodeURIComponent: no raw space, `+`, `&` inside values.
    assert!(!order.contains(' ') && !order.contains('+'), "{order}");
    let pairs = decode_order_string(&order);
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "method",
            "app_id",
            "charset",
            "sign_type",
            "version",
            "notify_url",
            "app_auth_token",
            "timestamp",
            "sign",
            "biz_content"
        ]
    );
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).unwrap().1.as_str();
    assert_eq!(get("method"), "alipay.trade.app.pay");
    assert_eq!(get("notify_url"), "https://m.example/notify?a=1&b=2");
    assert_eq!(get("timestamp"), "2024-06-01 12:34:56");
    assert_eq!(
        get("biz_content"),
        r#"{"out_trade_no":"ORDER-1","total_amount":"9.00","subject":"大乐透 2024+1","product_code":"QUICK_MSECURITY_PAY"}"#
    );
    verify(&pairs);
    // The same parameters as Client::sign_v2_params, encoded by the sans-IO builder.
    let signed = c
        .sign_v2_params(
            &APP_PAY,
            serde_json::to_value(Pay::new("大乐透 2024+1", "QUICK_MSECURITY_PAY")).unwrap(),
            &opts,
        )
        .unwrap();
    assert_eq!(order, checkout::app_pay_order_string(&refs(&signed)));
}

#[test]
fn wap_pay_url_and_form_carry_the_same_signed_parameters() {
    let c = client();
    let opts = CallOptions::new()
        .notify_url("https://m.example/notify")
        .return_url("https://m.example/return?order=1&x=<y>");
    let req = WapPay(Pay::new(r#"Tea "green" & <b>black</b>"#, "QUICK_WAP_WAY"));
    let url = c.page_pay_url(&req, &opts).unwrap();
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, GATEWAY);
    let from_url = verify(&v2::form_decode(query));
    let get = |k: &str| {
        from_url
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        get("return_url"),
        Some("https://m.example/return?order=1&x=<y>")
    );
    assert_eq!(get("method"), Some("alipay.trade.wap.pay"));
    assert!(get("biz_content")
        .unwrap()
        .contains(r#""subject":"Tea \"green\" & <b>black</b>""#));

    let form = c.page_pay_form(&req, &opts).unwrap();
    // Nothing from the request appears unescaped in the HTML.
    assert!(!form.contains("<b>") && !form.contains("\"green"), "{form}");
    assert_eq!(
        form.matches("<input ").count(),
        1,
        "only biz_content is a form field"
    );
    assert!(
        form.ends_with("<script>document.getElementById(\"alipay_checkout\").submit();</script>")
    );
    // The action's query and the hidden field, unescaped, are the URL's parameter set.
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attr = |html: &str, name: &str| -> String {
        let start = html.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let len = html[start..].find('"').unwrap();
        unescape(&html[start..start + len])
    };
    let action = attr(&form, "action");
    let (action_base, action_query) = action.split_once('?').unwrap();
    assert_eq!(action_base, GATEWAY);
    let mut from_form = v2::form_decode(action_query);
    let input = &form[form.find("<input ").unwrap()..];
    from_form.push((attr(input, "name"), attr(input, "value")));
    assert_eq!(verify(&from_form), from_url);
}

#[test]
fn certificate_mode_signs_the_certificate_sns_into_the_url() {
    let c = cert_client();
    let v = vector("v2_alipay_trade_query_cert_mode");
    let url = c
        .page_pay_url(
            &WapPay(Pay::new("s", "QUICK_WAP_WAY")),
            &CallOptions::new().return_url("https://m.example/r"),
        )
        .unwrap();
    let query = url.split_once('?').unwrap().1;
    let pairs = verify(&v2::form_decode(query));
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    assert_eq!(get("app_cert_sn"), v["expected"]["app_cert_sn"].as_str());
    assert_eq!(
        get("alipay_root_cert_sn"),
        v["expected"]["alipay_root_cert_sn"].as_str()
    );
    // Both SNs travel in the gateway URL, not as form fields.
    let form = c
        .page_pay_form(&WapPay(Pay::new("s", "QUICK_WAP_WAY")), &CallOptions::new())
        .unwrap();
    let action_end = form.find("\">").unwrap();
    assert!(form[..action_end].contains("app_cert_sn="));
    assert!(form[..action_end].contains("alipay_root_cert_sn="));
}

#[test]
fn operations_called_from_the_server_are_build_errors() {
    let c = client();
    let req = Query(Pay::new("s", "x"));
    let opts = CallOptions::new();
    for r in [
        c.app_pay_order_string(&req, &opts),
        c.page_pay_url(&req, &opts),
        c.page_pay_form(&req, &opts),
    ] {
        match r {
            Err(Error::Build(m)) => assert!(m.contains("alipay.trade.query"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    // An operation without any v2 route is refused the same way.
    static V3_ONLY: Operation = Operation {
        name: "alipay.v3.only",
        safety: Safety::ReadOnly,
        v2: None,
        v3: None,
    };
    let e = c
        .checkout(&V3_ONLY, serde_json::json!({}), &opts, Checkout::PageUrl)
        .unwrap_err();
    assert!(matches!(e, Error::Build(_)), "{e:?}");
    // The v3 protocol has no checkout hand-off.
    let e = c
        .page_pay_url(
            &WapPay(Pay::new("s", "QUICK_WAP_WAY")),
            &CallOptions::new().protocol(Protocol::V3),
        )
        .unwrap_err();
    assert!(matches!(e, Error::Build(_)), "{e:?}");
    // Builders are available on the v3-default client as well: v2 is used.
    let url = c
        .page_pay_url(
            &WapPay(Pay::new("s", "QUICK_WAP_WAY")),
            &CallOptions::new().protocol(Protocol::V2),
        )
        .unwrap();
    assert!(url.starts_with(GATEWAY));
}

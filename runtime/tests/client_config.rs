//! Client configuration: every key format, validation errors that name the item, and no
//! secret in `Debug`.

mod client_support;

use alipay_runtime::{CallOptions, Client, Endpoint, Protocol, RetryPolicy};
use client_support::*;
use std::time::Duration;

/// The base64 body of a PEM file, re-wrapped at 76 columns with stray spaces, as pasted from
/// a console.
fn bare(pem: &str) -> String {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    b64.as_bytes()
        .chunks(76)
        .map(|c| format!("  {}\r\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

fn base() -> alipay_runtime::ClientBuilder {
    Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .alipay_public_key(public_key_pem())
}

#[test]
fn every_private_key_format_is_accepted_and_signs_identically() {
    let pkcs1 = private_key_pem();
    let pkcs8 = read(vectors_dir().join("app_private_key_pkcs8.pem"));
    let mut signatures = Vec::new();
    for text in [pkcs1.clone(), pkcs8.clone(), bare(&pkcs1), bare(&pkcs8)] {
        let client = base().private_key(text).clock(fixed_clock).build().unwrap();
        static OP: alipay_runtime::Operation = alipay_runtime::Operation {
            name: "alipay.trade.app.pay",
            safety: alipay_runtime::Safety::Mutating,
            v2: Some(alipay_runtime::V2Route {
                response_key: "alipay_trade_app_pay_response",
                biz_content: true,
                text_params: &[],
                files: &[],
                need_encrypt: false,
                client_executed: true,
            }),
            v3: None,
        };
        let params = client
            .sign_v2_params(
                &OP,
                serde_json::json!({"out_trade_no": "1"}),
                &CallOptions::default(),
            )
            .unwrap();
        signatures.push(params.into_iter().find(|(k, _)| k == "sign").unwrap().1);
    }
    assert!(signatures.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn alipay_public_key_as_pem_or_bare_base64() {
    let pem = public_key_pem();
    for text in [pem.clone(), bare(&pem)] {
        let c = base().alipay_public_key(text).build().unwrap();
        assert_eq!(c.alipay_public_key(), app_public_key());
        assert!(!c.is_cert_mode());
    }
    let dir = vectors_dir();
    base()
        .private_key_file(dir.join("app_private_key_pkcs8.pem"))
        .alipay_public_key_file(dir.join("app_public_key.pem"))
        .build()
        .unwrap();
}

#[test]
fn bad_keys_are_config_errors_naming_the_item_and_the_format() {
    let e = base().private_key("MIIBgarbage!!").build().unwrap_err();
    assert_eq!(config_item(&e), "private_key");
    assert!(e.to_string().contains("PKCS#8"), "{e}");

    // The public key where the private key belongs, and the other way round.
    let e = base().private_key(public_key_pem()).build().unwrap_err();
    assert_eq!(config_item(&e), "private_key");
    let e = base()
        .alipay_public_key(private_key_pem())
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "alipay_public_key");
    assert!(e.to_string().contains("SubjectPublicKeyInfo"), "{e}");

    let e = base().private_key("").build().unwrap_err();
    assert_eq!(config_item(&e), "private_key");
    let e = base()
        .private_key_file("/nonexistent/key.pem")
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "private_key");
    assert!(e.to_string().contains("/nonexistent/key.pem"));

    let e = base().aes_key("c2hvcnQ=").build().unwrap_err();
    assert_eq!(config_item(&e), "aes_key");
    assert!(e.to_string().contains("16"), "{e}");
    let e = base().encrypt_by_default(true).build().unwrap_err();
    assert_eq!(config_item(&e), "aes_key");
}

#[test]
fn missing_and_malformed_settings() {
    let e = Client::builder().build().unwrap_err();
    assert_eq!(config_item(&e), "app_id");
    let e = base().app_id("2021 0001").build().unwrap_err();
    assert_eq!(config_item(&e), "app_id");
    let e = Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "alipay_public_key");
    let e = Client::builder()
        .app_id(APP_ID)
        .alipay_public_key(public_key_pem())
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "private_key");
    // Certificate mode needs all three files.
    let e = Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .app_cert(read(vectors_dir().join("certs/appCertPublicKey.crt")))
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "alipay_cert");

    let e = base()
        .endpoint(Endpoint::custom("gateway.do", "http://127.0.0.1:1"))
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "endpoint.v2_gateway");
    let e = base()
        .endpoint(Endpoint::custom("http://127.0.0.1:1/gateway.do", "ftp://x"))
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "endpoint.v3_base");
    let e = base().timeout(Duration::ZERO).build().unwrap_err();
    assert_eq!(config_item(&e), "timeout");
    let e = base().proxy("::not a url::").build().unwrap_err();
    assert_eq!(config_item(&e), "proxy");
    let e = base()
        .proxy("http://proxy.internal:3128")
        .http_client(reqwest::Client::new())
        .build()
        .unwrap_err();
    assert_eq!(config_item(&e), "proxy");
}

#[test]
fn endpoints_timeouts_proxy_and_clients_build() {
    for ep in [Endpoint::Production, Endpoint::Sandbox] {
        base().endpoint(ep).build().unwrap();
    }
    base()
        .endpoint(Endpoint::custom(
            "http://127.0.0.1:8080/gateway.do",
            "http://127.0.0.1:8080/",
        ))
        .protocol(Protocol::V2)
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .total_timeout(Duration::from_secs(5))
        .retry(RetryPolicy::default().with_max_attempts(5))
        .proxy("http://user:pass@proxy.internal:3128")
        .build()
        .unwrap();
    base().http_client(reqwest::Client::new()).build().unwrap();
}

#[test]
fn debug_never_shows_a_secret() {
    let pkcs8 = read(vectors_dir().join("app_private_key_pkcs8.pem"));
    let key_line = pkcs8.lines().nth(3).unwrap().to_string();
    let builder = base()
        .private_key(pkcs8.clone())
        .aes_key(AES_KEY)
        .proxy("http://user:s3cretpass@proxy.internal:3128");
    let text = format!("{builder:?}");
    for secret in [key_line.as_str(), AES_KEY, "s3cretpass", "PRIVATE KEY"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("<redacted>"));
    let client = builder.build().unwrap();
    let text = format!("{client:?} {client:#?}");
    for secret in [key_line.as_str(), AES_KEY, "s3cretpass", "PRIVATE KEY"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let opts = CallOptions::new()
        .app_auth_token("202406BBf0e1d2c3b4a5968778695a4b3c2d1E01")
        .auth_token("authusrB9876");
    let text = format!("{opts:?}");
    assert!(
        !text.contains("202406BB") && !text.contains("authusrB9876"),
        "{text}"
    );
    // Errors about keys say what is wrong, never what the key is.
    let e = base()
        .private_key(pkcs8.replace('A', "#"))
        .build()
        .unwrap_err();
    assert!(!format!("{e} {e:?}").contains(&key_line[..20]));
}

#[test]
fn client_and_its_futures_are_send() {
    fn send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    static OP: alipay_runtime::Operation = alipay_runtime::Operation {
        name: "alipay.trade.query",
        safety: alipay_runtime::Safety::ReadOnly,
        v2: None,
        v3: Some(alipay_runtime::V3Route {
            method: alipay_runtime::HttpMethod::Post,
            path: "/v3/alipay/trade/query",
            path_params: &[],
            query_params: &[],
            body: alipay_runtime::V3Body::Json,
        }),
    };
    let client = base().build().unwrap();
    send_sync(&client);
    let options = CallOptions::default();
    let fut = client.execute(&OP, serde_json::json!({}), &options);
    send(&fut);
}

#[test]
fn legacy_sign_type_needs_its_feature() {
    let result = base()
        .sign_type(alipay_runtime::keys::SignType::Rsa)
        .build();
    if cfg!(feature = "legacy-rsa1") {
        result.unwrap();
    } else {
        let e = result.unwrap_err();
        assert_eq!(config_item(&e), "sign_type");
        assert!(e.to_string().contains("legacy-rsa1"), "{e}");
    }
}

//! A minimal test client built from the runtime's protocol functions only (sign, encode,
//! extract, verify), so the emulator is checked against the same rules the SDK uses.

#![allow(dead_code)]

use alipay_emulator::test_keys;
use alipay_runtime::aes::AesKey;
use alipay_runtime::keys::{PrivateKey, PublicKey, SignType};
use alipay_runtime::{cert, v2, v3};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// One client per test process (building one loads TLS roots); no idle pooling, because every
/// test runs on its own tokio runtime.
pub fn http() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap()
        })
        .clone()
}

pub fn app_key() -> PrivateKey {
    PrivateKey::from_text(test_keys::APP_PRIVATE_KEY).unwrap()
}

pub fn alipay_public_key() -> PublicKey {
    PublicKey::from_text(test_keys::ALIPAY_PUBLIC_KEY).unwrap()
}

/// Certificate-mode parameters of a client.
#[derive(Clone)]
pub struct CertMode {
    pub app_cert_sn: String,
    pub root_cert_sn: String,
}

impl CertMode {
    pub fn builtin() -> Self {
        CertMode {
            app_cert_sn: cert::Cert::from_pem(test_keys::APP_CERT).unwrap().sn(),
            root_cert_sn: cert::root_cert_sn(test_keys::ROOT_CERT_WITH_ROTATION).unwrap(),
        }
    }
}

/// Owned parameter pairs.
pub type Pairs = Vec<(String, String)>;

/// A v2 request under construction.
pub struct V2 {
    pub gateway: String,
    pub key: PrivateKey,
    pub app_id: String,
    pub cert: Option<CertMode>,
    pub aes: Option<AesKey>,
    pub timestamp: Option<String>,
    pub extra: Vec<(String, String)>,
    /// Put every parameter in the body (no query string).
    pub all_in_body: bool,
}

impl V2 {
    pub fn new(gateway: &str) -> Self {
        V2 {
            gateway: gateway.to_owned(),
            key: app_key(),
            app_id: test_keys::APP_ID.to_owned(),
            cert: None,
            aes: None,
            timestamp: None,
            extra: Vec::new(),
            all_in_body: false,
        }
    }

    pub fn param(mut self, k: &str, v: &str) -> Self {
        self.extra.push((k.to_owned(), v.to_owned()));
        self
    }

    /// The signed parameters: (query pairs, body pairs).
    pub fn params(&self, method: &str, biz: Option<&Value>) -> (Pairs, Pairs) {
        let ts = self
            .timestamp
            .clone()
            .unwrap_or_else(|| v2::beijing_timestamp(SystemTime::now()));
        let mut query: Vec<(String, String)> = vec![
            ("app_id".into(), self.app_id.clone()),
            ("method".into(), method.into()),
            ("charset".into(), "utf-8".into()),
            ("sign_type".into(), "RSA2".into()),
            ("timestamp".into(), ts),
            ("version".into(), "1.0".into()),
            ("format".into(), "json".into()),
        ];
        if let Some(c) = &self.cert {
            query.push(("app_cert_sn".into(), c.app_cert_sn.clone()));
            query.push(("alipay_root_cert_sn".into(), c.root_cert_sn.clone()));
        }
        let mut body = Vec::new();
        if let Some(biz) = biz {
            let text = biz.to_string();
            match &self.aes {
                Some(aes) => {
                    body.push(("biz_content".into(), aes.encrypt(text.as_bytes())));
                    body.push(("encrypt_type".into(), "AES".into()));
                }
                None => body.push(("biz_content".into(), text)),
            }
        }
        for (k, v) in &self.extra {
            body.push((k.clone(), v.clone()));
        }
        let all: Vec<(&str, &str)> = query
            .iter()
            .chain(body.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sign = v2::sign_params(&all, &self.key, SignType::Rsa2).unwrap();
        query.push(("sign".into(), sign));
        if self.all_in_body {
            query.extend(body);
            (Vec::new(), query)
        } else {
            (query, body)
        }
    }

    pub async fn send(&self, method: &str, biz: Option<&Value>) -> reqwest::Response {
        let (query, body) = self.params(method, biz);
        let q: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let b: Vec<(&str, &str)> = body.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let url = if q.is_empty() {
            self.gateway.clone()
        } else {
            format!("{}?{}", self.gateway, v2::form_encode(&q))
        };
        http()
            .post(url)
            .header(
                "content-type",
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(v2::form_encode(&b))
            .send()
            .await
            .unwrap()
    }

    /// Sends, checks HTTP 200, verifies the node with `key` and returns it (decrypted).
    pub async fn call_verified(&self, method: &str, biz: &Value, key: &PublicKey) -> Value {
        let resp = self.send(method, Some(biz)).await;
        assert_eq!(resp.status(), 200);
        let body = resp.bytes().await.unwrap();
        self.verify(method, &body, key)
    }

    pub fn verify(&self, method: &str, body: &[u8], key: &PublicKey) -> Value {
        let verified = v2::verify_response(body, &v2::response_key(method), key, SignType::Rsa2)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
        assert!(
            verified.signature_verified,
            "every emulator response is signed"
        );
        match verified.node.json() {
            Some(json) => serde_json::from_slice(json).unwrap(),
            None => {
                let aes = self
                    .aes
                    .as_ref()
                    .expect("encrypted node without an AES key");
                let plain = aes
                    .decrypt(verified.node.ciphertext.as_deref().unwrap())
                    .unwrap();
                serde_json::from_slice(&plain).unwrap()
            }
        }
    }
}

/// A v3 call.
pub struct V3 {
    pub base: String,
    pub key: PrivateKey,
    pub app_id: String,
    pub cert: Option<CertMode>,
    pub aes: Option<AesKey>,
    pub token: Option<String>,
    pub timestamp_ms: Option<u64>,
    /// Appended to the auth string (e.g. `,expired_seconds=1800`).
    pub auth_suffix: String,
}

pub struct V3Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: bytes::Bytes,
}

impl V3Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Verifies the response signature headers with `key`.
    pub fn verify(&self, key: &PublicKey) -> Result<(), alipay_runtime::keys::VerifyError> {
        v3::verify_response(
            self.header("alipay-timestamp").unwrap_or(""),
            self.header("alipay-nonce").unwrap_or(""),
            self.header("alipay-signature").unwrap_or(""),
            &self.body,
            key,
        )
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
}

impl V3 {
    pub fn new(base: &str) -> Self {
        V3 {
            base: base.to_owned(),
            key: app_key(),
            app_id: test_keys::APP_ID.to_owned(),
            cert: None,
            aes: None,
            token: None,
            timestamp_ms: None,
            auth_suffix: String::new(),
        }
    }

    /// A JSON POST without query parameters.
    pub async fn post(&self, path: &str, body: Value) -> V3Reply {
        self.call("POST", path, &[], Some(&body)).await
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> V3Reply {
        let encoded = v3::encode_query(query);
        let target = v3::request_target(path, &encoded);
        let (text, encrypted) = match (body, &self.aes) {
            (Some(b), Some(aes)) => (aes.encrypt(b.to_string().as_bytes()), true),
            (Some(b), None) => (b.to_string(), false),
            (None, _) => (String::new(), false),
        };
        let ts = self.timestamp_ms.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        });
        let nonce = uuid::Uuid::new_v4().to_string();
        let auth = v3::auth_string(
            &self.app_id,
            self.cert.as_ref().map(|c| c.app_cert_sn.as_str()),
            &nonce,
            ts,
        );
        let auth = format!("{auth}{}", self.auth_suffix);
        let authorization = v3::sign_request(
            &self.key,
            &auth,
            method,
            &target,
            &text,
            self.token.as_deref(),
        )
        .unwrap();
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = http()
            .request(m, format!("{}{}", self.base, target))
            .header("authorization", authorization)
            .header("accept", "application/json");
        if body.is_some() {
            req = req
                .header(
                    "content-type",
                    if encrypted {
                        "text/plain"
                    } else {
                        "application/json"
                    },
                )
                .body(text);
        }
        if encrypted {
            req = req.header("alipay-encrypt-type", "AES");
        }
        if let Some(t) = &self.token {
            req = req.header("alipay-app-auth-token", t);
        }
        if let Some(c) = &self.cert {
            req = req.header("alipay-root-cert-sn", &c.root_cert_sn);
        }
        let resp = req.send().await.unwrap();
        V3Reply {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.bytes().await.unwrap(),
        }
    }
}

/// POSTs to the control API.
pub async fn control(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http().request(m, format!("{base}/__emulator/{path}"));
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

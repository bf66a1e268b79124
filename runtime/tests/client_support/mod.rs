//! A small HTTP server on loopback that plays Alipay for the client tests: it records every
//! request as received (raw request target, headers, body), checks request signatures with
//! the protocol core, and answers with whatever the test's handler returns, signed like
//! Alipay signs.
#![allow(dead_code)]

use alipay_runtime::keys::{PrivateKey, PublicKey, SignType};
use alipay_runtime::{v2, v3};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/client_fixtures")
}

pub fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn vectors() -> serde_json::Value {
    serde_json::from_str(&read(vectors_dir().join("vectors.json"))).unwrap()
}

pub fn vector(id: &str) -> serde_json::Value {
    vectors()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vector {id}"))
        .clone()
}

pub const APP_ID: &str = "2021000000000001";
pub const AES_KEY: &str = "AAECAwQFBgcICQoLDA0ODw==";

/// The throwaway key: it signs requests (app) and responses (Alipay).
pub fn private_key_pem() -> String {
    read(vectors_dir().join("app_private_key_pkcs1.pem"))
}

pub fn public_key_pem() -> String {
    read(vectors_dir().join("app_public_key.pem"))
}

pub fn alipay_signer() -> PrivateKey {
    PrivateKey::from_text(&private_key_pem()).unwrap()
}

pub fn app_public_key() -> PublicKey {
    PublicKey::from_text(&public_key_pem()).unwrap()
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The request target exactly as it arrived on the wire (path and query).
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// All v2 parameters: the query and the urlencoded body, form-decoded once.
    pub fn v2_params(&self) -> Vec<(String, String)> {
        let mut p = v2::form_decode(self.query());
        if self
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            p.extend(v2::form_decode(std::str::from_utf8(&self.body).unwrap()));
        }
        p
    }

    pub fn v2_param(&self, name: &str) -> Option<String> {
        self.v2_params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Checks the v2 request signature like the gateway does; returns the string to sign.
    pub fn verify_v2(&self, key: &PublicKey) -> Result<String, String> {
        let params = self.v2_params();
        let sign = params
            .iter()
            .find(|(k, _)| k == "sign")
            .map(|(_, v)| v.clone())
            .ok_or("no sign")?;
        let refs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let content = v2::string_to_sign(&refs);
        key.verify(SignType::Rsa2, content.as_bytes(), &sign)
            .map_err(|e| format!("{e}: {content}"))?;
        Ok(content)
    }

    /// Checks the v3 `Authorization` like the gateway does; returns the string to sign.
    pub fn verify_v3(&self, key: &PublicKey, signed_body: &str) -> Result<String, String> {
        let auth = self.header("authorization").ok_or("no authorization")?;
        let rest = auth
            .strip_prefix("ALIPAY-SHA256withRSA ")
            .ok_or("bad scheme")?;
        let (auth_string, sign) = rest.rsplit_once(",sign=").ok_or("no sign")?;
        let content = v3::string_to_sign(
            auth_string,
            &self.method,
            &self.target,
            signed_body,
            self.header("alipay-app-auth-token"),
        );
        key.verify(SignType::Rsa2, content.as_bytes(), sign)
            .map_err(|e| format!("{e}: {content:?}"))?;
        Ok(content)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }
}

/// A response the handler wants sent.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Wait this long before answering.
    pub delay: Option<std::time::Duration>,
}

impl Answer {
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Answer {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json;charset=utf-8".into(),
            )],
            body: body.into(),
            delay: None,
        }
    }

    pub fn delayed(mut self, d: std::time::Duration) -> Self {
        self.delay = Some(d);
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    /// A v2 body `{"<key>":<node>[,"alipay_cert_sn":…],"sign":…}` signed over `node`.
    pub fn v2_signed(
        response_key: &str,
        node: &str,
        signer: &PrivateKey,
        cert_sn: Option<&str>,
    ) -> Self {
        let sign = signer.sign(SignType::Rsa2, node.as_bytes()).unwrap();
        let sn = cert_sn
            .map(|s| format!(",\"alipay_cert_sn\":\"{s}\""))
            .unwrap_or_default();
        Answer::new(
            200,
            format!("{{\"{response_key}\":{node}{sn},\"sign\":\"{sign}\"}}"),
        )
    }

    /// A v2 body without a signature.
    pub fn v2_unsigned(response_key: &str, node: &str) -> Self {
        Answer::new(200, format!("{{\"{response_key}\":{node}}}"))
    }

    /// A v3 answer signed in the response headers.
    pub fn v3_signed(status: u16, body: &str, signer: &PrivateKey, sn: Option<&str>) -> Self {
        let ts = "1717216497123";
        let nonce = "f3c4e1a8d2b94c7e8a1f0d2c3b4a5968";
        let content = v3::response_string_to_verify(ts, nonce, body.as_bytes());
        let sig = signer.sign(SignType::Rsa2, &content).unwrap();
        let mut a = Answer::new(status, body.to_string())
            .header("alipay-timestamp", ts)
            .header("alipay-nonce", nonce)
            .header("alipay-signature", &sig)
            .header("alipay-trace-id", "0b1f2e3d17172164971231234e0001");
        if let Some(sn) = sn {
            a = a.header("alipay-sn", sn);
        }
        a
    }
}

type Handler = dyn Fn(&Received, usize) -> Answer + Send + Sync;

/// The fake Alipay. Dropping it stops accepting connections.
pub struct FakeAlipay {
    pub addr: std::net::SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAlipay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAlipay {
    /// Starts a server; `handler(request, index)` answers the `index`-th request (0-based).
    pub async fn start(
        handler: impl Fn(&Received, usize) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let rec = received.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let rec = rec.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let rec = rec.clone();
                        let handler = handler.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let got = Received {
                                method: parts.method.to_string(),
                                target: parts
                                    .uri
                                    .path_and_query()
                                    .map(|p| p.as_str().to_string())
                                    .unwrap_or_default(),
                                headers: parts.headers,
                                body,
                            };
                            let index = {
                                let mut r = rec.lock().unwrap();
                                r.push(got.clone());
                                r.len() - 1
                            };
                            let answer = handler(&got, index);
                            if let Some(d) = answer.delay {
                                tokio::time::sleep(d).await;
                            }
                            let mut resp = http::Response::new(Full::new(answer.body));
                            *resp.status_mut() = http::StatusCode::from_u16(answer.status).unwrap();
                            for (k, v) in answer.headers {
                                resp.headers_mut().append(
                                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                                    http::HeaderValue::from_str(&v).unwrap(),
                                );
                            }
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        FakeAlipay {
            addr,
            received,
            task,
        }
    }

    pub fn v2_url(&self) -> String {
        format!("http://{}/gateway.do", self.addr)
    }

    pub fn v3_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn endpoint(&self) -> alipay_runtime::Endpoint {
        alipay_runtime::Endpoint::custom(self.v2_url(), self.v3_base())
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

/// A public-key-mode client against `server`, with the throwaway keys, no retries.
pub fn client_builder(server: &FakeAlipay) -> alipay_runtime::ClientBuilder {
    alipay_runtime::Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .alipay_public_key(public_key_pem())
        .endpoint(server.endpoint())
        .retry(alipay_runtime::RetryPolicy::disabled())
}

/// The vectors' fixed clock: 2024-06-01 12:34:56.789 +08:00.
pub fn fixed_clock() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_717_216_496_789)
}

/// A v2 route with `biz_content`, no text or file parameters.
pub const fn v2_route(response_key: &'static str) -> alipay_runtime::V2Route {
    alipay_runtime::V2Route {
        response_key,
        biz_content: true,
        text_params: &[],
        files: &[],
        need_encrypt: false,
        client_executed: false,
    }
}

/// A v3 `POST` route with a JSON body.
pub const fn v3_post(path: &'static str) -> alipay_runtime::V3Route {
    alipay_runtime::V3Route {
        method: alipay_runtime::HttpMethod::Post,
        path,
        path_params: &[],
        query_params: &[],
        body: alipay_runtime::V3Body::Json,
    }
}

/// An operation served by the v2 gateway only.
pub const fn op_v2(
    name: &'static str,
    safety: alipay_runtime::Safety,
    response_key: &'static str,
) -> alipay_runtime::Operation {
    alipay_runtime::Operation {
        name,
        safety,
        v2: Some(v2_route(response_key)),
        v3: None,
    }
}

/// An operation served by both protocols (v3 `POST path` with a JSON body).
pub const fn op_both(
    name: &'static str,
    safety: alipay_runtime::Safety,
    response_key: &'static str,
    path: &'static str,
) -> alipay_runtime::Operation {
    alipay_runtime::Operation {
        name,
        safety,
        v2: Some(v2_route(response_key)),
        v3: Some(v3_post(path)),
    }
}

/// The problem of a response error (panics with the error otherwise).
pub fn problem(e: &alipay_runtime::Error) -> &alipay_runtime::ResponseProblem {
    match e {
        alipay_runtime::Error::Response { problem, .. } => problem,
        other => panic!("not a response error: {other:?}"),
    }
}

/// The item of a configuration error (panics with the error otherwise).
pub fn config_item(e: &alipay_runtime::Error) -> &'static str {
    match e {
        alipay_runtime::Error::Config { item, .. } => item,
        other => panic!("not a configuration error: {other:?}"),
    }
}

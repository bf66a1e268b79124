//! The v3 REST API (`/v3/...`): the `Authorization` header, the request signature over the
//! request target exactly as received, AES bodies, validation against the spec, the business
//! call, and signed response headers.
//!
//! Signing and verification are the runtime's (`alipay_runtime::v3::{string_to_sign,
//! response_string_to_verify}`, `PrivateKey::sign`, `PublicKey::verify`, `AesKey`).

use crate::domain::{BizError, Reply};
use crate::faults::{CallFaults, Fault, Protocol};
use crate::identity::Signer;
use crate::server::Shared;
use crate::wire::{self, Body, ResetSwitch};
use alipay_runtime::keys::SignType;
use alipay_runtime::v3 as proto;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A parsed `Authorization: ALIPAY-SHA256withRSA <authString>,sign=<sign>` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The signed auth string, verbatim.
    pub auth_string: &'a str,
    pub sign: &'a str,
    pub items: BTreeMap<&'a str, &'a str>,
}

/// Parses the header; `None` when it is not of that shape.
pub fn parse_authorization(header: &str) -> Option<Authorization<'_>> {
    let rest = header.strip_prefix(proto::AUTH_SCHEME)?.strip_prefix(' ')?;
    let at = rest.rfind(",sign=")?;
    let auth_string = rest.get(..at)?;
    let sign = rest.get(at + ",sign=".len()..)?;
    let mut items = BTreeMap::new();
    for item in auth_string.split(',') {
        let (k, v) = item.split_once('=')?;
        items.insert(k, v);
    }
    Some(Authorization {
        auth_string,
        sign,
        items,
    })
}

/// A v3 failure: HTTP status + `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Error {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl V3Error {
    fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        V3Error {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl From<BizError> for V3Error {
    fn from(e: BizError) -> Self {
        V3Error {
            status: e.v3_status(),
            code: e.v3_code().to_owned(),
            message: e.sub_msg,
        }
    }
}

/// What the request handler needs from the HTTP request.
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query exactly as received (the signed request target).
    pub target: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

pub async fn handle(shared: &Shared, req: Request<'_>, switch: &ResetSwitch) -> Response<Body> {
    let now = SystemTime::now();
    let Some(route) = shared.catalog.v3(req.method, req.path) else {
        let e = if shared.catalog.v3_path_exists(req.path) {
            V3Error::new(
                405,
                "METHOD_NOT_ALLOWED",
                format!("{} is not allowed here", req.method),
            )
        } else {
            V3Error::new(404, "NOT_FOUND", format!("no operation at {}", req.path))
        };
        let none = CallFaults::default();
        let ((status, bytes), ct) = render(shared, &Err(e), false, &none);
        let mut response = wire::respond(status, &ct, bytes.clone());
        for (k, v) in sign_headers(shared, &bytes, &none, now) {
            if let Ok(v) = HeaderValue::from_str(&v) {
                response.headers_mut().insert(k, v);
            }
        }
        return response;
    };
    let method_name = route.operation.name.clone();
    let faults = shared.take_faults(&method_name, Protocol::V3);
    if let Some(Fault::HttpStatus { status }) = &faults.fault {
        return wire::deliver(wire::status_fault(*status), &faults, switch, None).await;
    }
    let encrypted = header(req.headers, "alipay-encrypt-type").is_some();
    let result = answer(shared, &req, &route, &faults, now);
    let encrypt = encrypted && shared.identity.aes.is_some() && result.is_ok();
    let ((status, bytes), ct, headers) = {
        let (sb, ct) = render(shared, &result, encrypt, &faults);
        let headers = sign_headers(shared, &sb.1, &faults, now);
        (sb, ct, headers)
    };
    let mut response = wire::respond(status, &ct, bytes.clone());
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            response.headers_mut().insert(k, v);
        }
    }
    wire::deliver(response, &faults, switch, Some(bytes)).await
}

fn answer(
    shared: &Shared,
    req: &Request<'_>,
    route: &crate::catalog::RouteMatch<'_>,
    faults: &CallFaults,
    now: SystemTime,
) -> Result<Reply, V3Error> {
    let id = &shared.identity;
    let unauthorized = |code: &str, msg: String| V3Error::new(401, code, msg);
    let auth_header = header(req.headers, "authorization")
        .ok_or_else(|| unauthorized("missing-authorization", "缺少Authorization请求头".into()))?;
    let auth = parse_authorization(auth_header).ok_or_else(|| {
        unauthorized(
            "invalid-authorization",
            format!(
                "Authorization请求头格式错误, expected `{} app_id=…,nonce=…,timestamp=…,sign=…`",
                proto::AUTH_SCHEME
            ),
        )
    })?;
    match auth.items.get("app_id") {
        Some(a) if *a == id.app_id => {}
        other => {
            return Err(unauthorized(
                "invalid-app-id",
                format!("无效的app_id: {}", other.copied().unwrap_or("")),
            ))
        }
    }
    if auth.items.get("nonce").is_none_or(|n| n.is_empty()) {
        return Err(unauthorized("invalid-nonce", "缺少nonce".into()));
    }
    // The signature is valid for `expired_seconds` after its timestamp when the client says
    // so, else within the tolerance either side.
    let tol = shared.options.timestamp_tolerance;
    let validity = auth
        .items
        .get("expired_seconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(tol, Duration::from_secs);
    let ts_ok = auth
        .items
        .get("timestamp")
        .and_then(|t| t.parse::<u64>().ok())
        .is_some_and(|ms| {
            let at = UNIX_EPOCH + Duration::from_millis(ms);
            match now.duration_since(at) {
                Ok(age) => age <= validity,
                Err(ahead) => ahead.duration() <= tol,
            }
        });
    if !ts_ok {
        return Err(unauthorized(
            "invalid-timestamp",
            "timestamp无效或已过期 (epoch milliseconds)".into(),
        ));
    }
    if let Some(expected) = id.app.cert_sn() {
        if auth.items.get("app_cert_sn") != Some(&expected) {
            return Err(unauthorized(
                "app-cert-sn-not-match",
                "应用公钥证书序列号不匹配".into(),
            ));
        }
        match header(req.headers, "alipay-root-cert-sn") {
            None => {
                return Err(unauthorized(
                    "missing-alipay-root-cert-sn",
                    "缺少alipay-root-cert-sn请求头".into(),
                ))
            }
            Some(sn) if !id.accepts_root_sn(sn) => {
                return Err(unauthorized(
                    "alipay-root-cert-sn-not-match",
                    format!("支付宝根证书序列号不匹配: {sn}"),
                ))
            }
            Some(_) => {}
        }
    }
    let body_text = signed_body(req)?;
    let body_text = body_text.as_str();
    let token = header(req.headers, "alipay-app-auth-token");
    let content = proto::string_to_sign(auth.auth_string, req.method, req.target, body_text, token);
    if id
        .app
        .key()
        .verify(SignType::Rsa2, content.as_bytes(), auth.sign)
        .is_err()
    {
        return Err(unauthorized(
            "invalid-signature",
            format!("验签失败，网关生成的待签名字符串为：{content}"),
        ));
    }
    if let Some(t) = token {
        if !shared.options.accepts_app_auth_token(t) {
            return Err(unauthorized(
                "invalid-app-auth-token",
                "无效的应用授权令牌".into(),
            ));
        }
    }
    if faults.is(&Fault::UnknownError) {
        return Err(V3Error::new(500, "SYSTEM_ERROR", "系统繁忙"));
    }
    let plain: String = match header(req.headers, "alipay-encrypt-type") {
        Some("AES") => {
            let aes = id
                .aes
                .as_ref()
                .ok_or_else(|| V3Error::new(400, "INVALID_PARAMETER", "应用未配置AES密钥"))?;
            aes.decrypt(body_text.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| V3Error::new(400, "INVALID_PARAMETER", "解密出错"))?
        }
        Some(other) => {
            return Err(V3Error::new(
                400,
                "INVALID_PARAMETER",
                format!("不支持的加密类型: {other}"),
            ))
        }
        None => body_text.to_owned(),
    };
    let mut params: Map<String, Value> = if plain.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(&plain) {
            Ok(Value::Object(m)) => m,
            _ => return Err(V3Error::new(400, "INVALID_PARAMETER", "请求体不是JSON对象")),
        }
    };
    let mut text_fields: Vec<String> = Vec::new();
    for (k, v) in alipay_runtime::v2::form_decode(req.query) {
        text_fields.push(k.clone());
        params.insert(k, Value::String(v));
    }
    for (k, v) in &route.path_params {
        text_fields.push(k.clone());
        params.insert(k.clone(), Value::String(v.clone()));
    }
    let text_refs: Vec<&str> = text_fields.iter().map(String::as_str).collect();
    shared
        .catalog
        .validate(route.operation, &params, &text_refs)
        .map_err(V3Error::from)?;
    shared
        .execute(&route.operation.name, &params, now)
        .map_err(V3Error::from)
}

/// The signed body line: the body text, or for `multipart/form-data` the JSON text of the
/// `data` part (file parts are not signed).
fn signed_body(req: &Request<'_>) -> Result<String, V3Error> {
    let invalid = |m: &str| V3Error::new(400, "INVALID_PARAMETER", m);
    let ct = header(req.headers, "content-type").unwrap_or("");
    if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        let boundary =
            multer::parse_boundary(ct).map_err(|_| invalid("multipart body without a boundary"))?;
        return multipart_data(&req.body, &boundary)
            .ok_or_else(|| invalid("malformed multipart body or no `data` part"));
    }
    std::str::from_utf8(&req.body)
        .map(str::to_owned)
        .map_err(|_| invalid("请求体不是UTF-8文本"))
}

/// The text of the `data` part of a complete multipart body.
fn multipart_data(body: &Bytes, boundary: &str) -> Option<String> {
    let body = body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    // The whole body is in memory: every future below completes on its first poll.
    let mut data = None;
    loop {
        let field = match now_or_never(multipart.next_field()) {
            Some(Ok(Some(f))) => f,
            Some(Ok(None)) => break,
            _ => return None,
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = match now_or_never(field.bytes()) {
            Some(Ok(b)) => b,
            _ => return None,
        };
        if name == "data" {
            data = Some(String::from_utf8(bytes.to_vec()).ok()?);
        }
    }
    data
}

fn now_or_never<F: std::future::Future>(f: F) -> Option<F::Output> {
    futures_util::FutureExt::now_or_never(f)
}

/// Status and body bytes, content type.
fn render(
    shared: &Shared,
    result: &Result<Reply, V3Error>,
    encrypt: bool,
    faults: &CallFaults,
) -> ((u16, Bytes), String) {
    let (status, text) = match result {
        Ok(reply) => (200, Value::Object(reply.fields.clone()).to_string()),
        Err(e) => (
            e.status,
            json!({"code": e.code, "message": e.message}).to_string(),
        ),
    };
    let (text, mut ct) = match (&shared.identity.aes, encrypt) {
        (Some(aes), true) => (aes.encrypt(text.as_bytes()), "text/plain".to_owned()),
        _ => (text, "application/json".to_owned()),
    };
    let bytes: Vec<u8> = if faults.is(&Fault::GbkBody) {
        ct.push_str(";charset=GBK");
        encoding_rs::GBK.encode(&text).0.into_owned()
    } else {
        ct.push_str(";charset=utf-8");
        text.into_bytes()
    };
    ((status, Bytes::from(bytes)), ct)
}

fn sign_headers(
    shared: &Shared,
    body: &[u8],
    faults: &CallFaults,
    now: SystemTime,
) -> Vec<(&'static str, String)> {
    let id = &shared.identity;
    let signer: &Signer = match &faults.fault {
        Some(Fault::RotatedCert) => &id.rotated,
        Some(Fault::UntrustedCert) => &id.untrusted,
        _ => &id.alipay,
    };
    let ts = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
        .to_string();
    let nonce = uuid::Uuid::new_v4().to_string();
    let mut headers = vec![
        ("alipay-trace-id", uuid::Uuid::new_v4().simple().to_string()),
        ("alipay-timestamp", ts.clone()),
        ("alipay-nonce", nonce.clone()),
    ];
    if !faults.is(&Fault::MissingSignature) {
        let content = proto::response_string_to_verify(&ts, &nonce, body);
        let mut sign = signer
            .key
            .sign(SignType::Rsa2, &content)
            .unwrap_or_default();
        if faults.is(&Fault::WrongSignature) {
            sign = crate::v2::corrupt(&sign);
        }
        headers.push(("alipay-signature", sign));
    }
    if id.cert_mode() {
        if let Some(c) = &signer.cert {
            headers.push(("alipay-sn", c.sn.clone()));
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_authorization_header() {
        let h = "ALIPAY-SHA256withRSA app_id=2021000000000001,nonce=n-1,timestamp=1717216496789,sign=abc=,def==";
        let a = parse_authorization(h).unwrap();
        assert_eq!(
            a.auth_string,
            "app_id=2021000000000001,nonce=n-1,timestamp=1717216496789"
        );
        assert_eq!(a.sign, "abc=,def==");
        assert_eq!(a.items["timestamp"], "1717216496789");
        assert!(parse_authorization("Bearer x").is_none());
        assert!(parse_authorization("ALIPAY-SHA256withRSA app_id=1").is_none());
        assert!(parse_authorization("ALIPAY-SHA256withRSA junk,sign=x").is_none());
        assert!(parse_authorization("ALIPAY-SHA256withRSA,sign=x").is_none());
    }

    #[test]
    fn business_errors_map_to_v3() {
        let e = V3Error::from(BizError::business("ACQ.TRADE_NOT_EXIST", "交易不存在"));
        assert_eq!((e.status, e.code.as_str()), (400, "ACQ.TRADE_NOT_EXIST"));
        let e = V3Error::from(BizError::missing(
            "isv.missing-parameter",
            "缺少必选参数: x",
        ));
        assert_eq!((e.status, e.code.as_str()), (400, "INVALID_PARAMETER"));
    }
}

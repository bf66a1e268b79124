//! The v2 gateway (`POST /gateway.do`): parameters from the query string and the body together
//! (urlencoded or multipart), common-parameter checks, request signature, AES, validation
//! against the spec, the business call, and the signed response node.
//!
//! Signing and verification are the runtime's (`alipay_runtime::v2::string_to_sign`,
//! `PrivateKey::sign`, `PublicKey::verify`, `AesKey`).

use crate::domain::{BizError, Reply};
use crate::faults::{CallFaults, Fault, Protocol};
use crate::identity::Signer;
use crate::server::Shared;
use crate::wire::{self, Body, ResetSwitch};
use crate::CERT_DOWNLOAD_METHOD;
use alipay_runtime::keys::SignType;
use alipay_runtime::v2 as proto;
use bytes::Bytes;
use http::Response;
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime};

/// Parameters besides the gateway's common ones (`checkout::URL_PARAMS`) that are not
/// business fields either.
const NOT_BUSINESS: &[&str] = &[
    "encrypt_type",
    "biz_content",
    "alipay_sdk",
    "prod_code",
    "terminal_type",
    "terminal_info",
];

/// Whether `name` is a protocol parameter rather than a business field.
fn is_common(name: &str) -> bool {
    alipay_runtime::checkout::URL_PARAMS.contains(&name) || NOT_BUSINESS.contains(&name)
}

/// The decoded request parameters, in wire order.
pub type Params = Vec<(String, String)>;

pub(crate) fn get<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Collects the parameters of a request: query string first, then the body.
pub async fn collect_params(
    query: &str,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<Params, BizError> {
    let mut params = proto::form_decode(query);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(&ct).map_err(|_| {
            BizError::invalid("isv.invalid-parameter", "multipart body without a boundary")
        })?;
        // Keep the boundary's original case: parse it from the original header.
        let boundary = content_type
            .and_then(|c| multer::parse_boundary(c).ok())
            .unwrap_or(boundary);
        let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        loop {
            match multipart.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_owned();
                    let is_file = field.file_name().is_some();
                    let data = field.bytes().await.map_err(|_| {
                        BizError::invalid("isv.invalid-parameter", "malformed multipart body")
                    })?;
                    // File parts are not signed and are not parameters.
                    if !is_file {
                        params.push((name, String::from_utf8_lossy(&data).into_owned()));
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    return Err(BizError::invalid(
                        "isv.invalid-parameter",
                        "malformed multipart body",
                    ))
                }
            }
        }
    } else if !body.is_empty() {
        let text = std::str::from_utf8(&body).map_err(|_| {
            BizError::invalid(
                "isv.invalid-charset",
                "the body is not UTF-8 (charset=utf-8)",
            )
        })?;
        params.extend(proto::form_decode(text));
    }
    Ok(params)
}

/// Is `ts` (`yyyy-MM-dd HH:mm:ss`, Beijing time) within `tolerance` of `now`? The format is
/// fixed-width, so comparing it with the runtime's formatting of the window's ends is exact.
pub fn timestamp_ok(ts: &str, now: SystemTime, tolerance: Duration) -> bool {
    let shape_ok = ts.len() == 19
        && ts.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return false;
    }
    let lo = proto::beijing_timestamp(now.checked_sub(tolerance).unwrap_or(now));
    let hi = proto::beijing_timestamp(now.checked_add(tolerance).unwrap_or(now));
    lo.as_str() <= ts && ts <= hi.as_str()
}

/// Where a request got to: the node key of the answer and what to put in it.
struct Answer {
    key: String,
    result: Result<Reply, BizError>,
    encrypt: bool,
}

/// Handles one `gateway.do` request whose parameters are collected.
pub async fn handle(shared: &Shared, params: Params, switch: &ResetSwitch) -> Response<Body> {
    let now = SystemTime::now();
    let method = get(&params, "method").map(str::to_owned);
    if let Some(m) = method.as_deref() {
        if shared.catalog.client_executed(m).is_some() {
            return crate::cashier::page(shared, &params, m, now);
        }
    }
    let faults = match &method {
        Some(m) => shared.take_faults(m, Protocol::V2),
        None => CallFaults::default(),
    };
    if let Some(Fault::HttpStatus { status }) = &faults.fault {
        let r = wire::status_fault(*status);
        return wire::deliver(r, &faults, switch, None).await;
    }
    let answer = answer(shared, &params, method.as_deref(), &faults, now);
    let (body, content_type) = render(shared, &answer, &faults);
    let bytes = Bytes::from(body);
    let response = wire::respond(200, &content_type, bytes.clone());
    wire::deliver(response, &faults, switch, Some(bytes)).await
}

/// An `error_response` for a request whose parameters could not even be read.
pub fn error_response(shared: &Shared, e: BizError) -> Response<Body> {
    let answer = Answer {
        key: proto::ERROR_RESPONSE_KEY.to_owned(),
        result: Err(e),
        encrypt: false,
    };
    let (body, content_type) = render(shared, &answer, &CallFaults::default());
    wire::respond(200, &content_type, body)
}

fn answer(
    shared: &Shared,
    params: &Params,
    method: Option<&str>,
    faults: &CallFaults,
    now: SystemTime,
) -> Answer {
    let error_node = |e: BizError| Answer {
        key: proto::ERROR_RESPONSE_KEY.to_owned(),
        result: Err(e),
        encrypt: false,
    };
    let Some(method) = method else {
        return error_node(BizError::missing("isv.missing-method", "缺少方法名参数"));
    };
    let op = shared.catalog.v2(method);
    if op.is_none() && method != CERT_DOWNLOAD_METHOD {
        return error_node(BizError::invalid(
            "isv.invalid-method",
            format!("不存在的方法名: {method}"),
        ));
    }
    let key = proto::response_key(method);
    let fail = |e: BizError| Answer {
        key: key.clone(),
        result: Err(e),
        encrypt: false,
    };
    if let Err(e) = check_common(shared, params, now) {
        return fail(e);
    }
    if faults.is(&Fault::UnknownError) {
        return fail(BizError::unknown());
    }
    let encrypted = get(params, "encrypt_type").is_some();
    let (business, text_fields) = match business_params(shared, params) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let text_fields: Vec<&str> = text_fields.iter().map(String::as_str).collect();
    let result = match op {
        Some(op) => shared
            .catalog
            .validate(op, &business, &text_fields)
            .and_then(|()| shared.execute(method, &business, now)),
        None => cert_download(shared, &business),
    };
    Answer {
        key,
        result,
        encrypt: encrypted && shared.identity.aes.is_some(),
    }
}

/// The business parameters of a request: `biz_content` (decrypted when AES) plus every
/// non-common text parameter, plus `notify_url` / `return_url`. Also returns the names of the
/// text parameters (their values are strings whatever the spec type).
pub(crate) fn business_params(
    shared: &Shared,
    params: &Params,
) -> Result<(Map<String, Value>, Vec<String>), BizError> {
    let biz_text: Option<String> = match (get(params, "encrypt_type"), get(params, "biz_content")) {
        (Some("AES"), Some(cipher)) => match &shared.identity.aes {
            None => {
                return Err(BizError::invalid(
                    "isv.decryption-error-missing-encrypt-key",
                    "应用未配置AES密钥",
                ))
            }
            Some(aes) => match aes
                .decrypt(cipher)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            {
                Some(plain) => Some(plain),
                None => {
                    return Err(BizError::invalid(
                        "isv.decryption-error-unknown",
                        "解密出错: biz_content is not valid AES ciphertext",
                    ))
                }
            },
        },
        (Some(other), _) if other != "AES" => {
            return Err(BizError::invalid(
                "isv.decryption-error-not-valid-encrypt-type",
                format!("不支持的加密类型: {other}"),
            ))
        }
        (_, biz) => biz.map(str::to_owned),
    };
    let mut business = match biz_text.as_deref() {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(BizError::invalid(
                    "isv.invalid-parameter",
                    "biz_content is not a JSON object",
                ))
            }
        },
    };
    // Every other non-common parameter is a text parameter of the method.
    let mut text_fields = Vec::new();
    for (k, v) in params {
        if !is_common(k) && !v.is_empty() {
            business.insert(k.clone(), Value::String(v.clone()));
            text_fields.push(k.clone());
        }
    }
    for key in ["notify_url", "return_url"] {
        if let Some(url) = get(params, key) {
            business
                .entry(key)
                .or_insert_with(|| Value::String(url.to_owned()));
        }
    }
    Ok((business, text_fields))
}

pub(crate) fn check_common(
    shared: &Shared,
    params: &Params,
    now: SystemTime,
) -> Result<(), BizError> {
    let id = &shared.identity;
    match get(params, "app_id") {
        None => return Err(BizError::missing("isv.missing-app-id", "缺少AppID参数")),
        Some(a) if a != id.app_id => {
            return Err(BizError::invalid(
                "isv.invalid-app-id",
                format!("无效的AppID参数: {a}"),
            ))
        }
        Some(_) => {}
    }
    if let Some(c) = get(params, "charset") {
        if !c.eq_ignore_ascii_case("utf-8") && !c.eq_ignore_ascii_case("utf8") {
            return Err(BizError::invalid(
                "isv.invalid-charset",
                format!("字符集错误: the emulator accepts utf-8 only, not {c}"),
            ));
        }
    }
    let Some(sign) = get(params, "sign") else {
        return Err(BizError::missing("isv.missing-signature", "缺少签名参数"));
    };
    let sign_type = match get(params, "sign_type") {
        None => {
            return Err(BizError::missing(
                "isv.missing-signature-type",
                "缺少签名类型参数",
            ))
        }
        Some(t) => SignType::from_wire(t).ok_or_else(|| {
            BizError::invalid("isv.invalid-signature-type", format!("无效的签名类型: {t}"))
        })?,
    };
    match get(params, "timestamp") {
        None => return Err(BizError::missing("isv.missing-timestamp", "缺少时间戳参数")),
        Some(ts) if !timestamp_ok(ts, now, shared.options.timestamp_tolerance) => {
            return Err(BizError::invalid(
                "isv.invalid-timestamp",
                format!("非法的时间戳参数: {ts} (Beijing time, yyyy-MM-dd HH:mm:ss)"),
            ))
        }
        Some(_) => {}
    }
    if get(params, "version").is_none() {
        return Err(BizError::missing("isv.missing-version", "缺少版本参数"));
    }
    if let Some(expected) = id.app.cert_sn() {
        match get(params, "app_cert_sn") {
            None => {
                return Err(BizError::missing(
                    "isv.missing-app-cert-sn",
                    "缺少应用公钥证书序列号",
                ))
            }
            Some(sn) if sn != expected => {
                return Err(BizError::invalid(
                    "isv.app-cert-sn-not-match",
                    format!("应用公钥证书序列号不匹配: {sn}"),
                ))
            }
            Some(_) => {}
        }
        match get(params, "alipay_root_cert_sn") {
            None => {
                return Err(BizError::missing(
                    "isv.missing-alipay-root-cert-sn",
                    "缺少支付宝根证书序列号",
                ))
            }
            Some(sn) if !id.accepts_root_sn(sn) => {
                return Err(BizError::invalid(
                    "isv.alipay-root-cert-sn-not-match",
                    format!("支付宝根证书序列号不匹配: {sn}"),
                ))
            }
            Some(_) => {}
        }
    }
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let content = proto::string_to_sign(&pairs);
    if id
        .app
        .key()
        .verify(sign_type, content.as_bytes(), sign)
        .is_err()
    {
        return Err(BizError::invalid(
            "isv.invalid-signature",
            format!("验签出错，建议检查签名字符串或签名私钥与应用公钥证书是否匹配，网关生成的验签字符串为：{content}"),
        ));
    }
    if let Some(token) = get(params, "app_auth_token") {
        if !shared.options.accepts_app_auth_token(token) {
            return Err(BizError::token(
                "aop.invalid-app-auth-token",
                "无效的应用授权令牌",
            ));
        }
    }
    Ok(())
}

fn cert_download(shared: &Shared, business: &Map<String, Value>) -> Result<Reply, BizError> {
    use base64::Engine;
    let sn = crate::domain::text(business, "alipay_cert_sn").ok_or_else(|| {
        BizError::missing("isv.missing-parameter", "缺少必选参数: alipay_cert_sn")
    })?;
    let cert = shared
        .identity
        .cert_by_sn(&sn)
        .ok_or_else(|| BizError::business("CERT_NOT_EXIST", "证书不存在"))?;
    let mut f = Map::new();
    f.insert(
        "alipay_cert_content".into(),
        base64::engine::general_purpose::STANDARD
            .encode(cert.pem.as_bytes())
            .into(),
    );
    Ok(Reply::ok(f))
}

/// The node object of an answer: `code`, `msg`, (`sub_code`, `sub_msg`), business fields.
pub fn node_json(result: &Result<Reply, BizError>) -> String {
    let mut node = Map::new();
    match result {
        Ok(reply) => {
            if reply.waiting {
                node.insert("code".into(), "10003".into());
                node.insert("msg".into(), " order success pay inprocess".into());
            } else {
                node.insert("code".into(), "10000".into());
                node.insert("msg".into(), "Success".into());
            }
            for (k, v) in &reply.fields {
                node.insert(k.clone(), v.clone());
            }
        }
        Err(e) => {
            node.insert("code".into(), e.code.into());
            node.insert("msg".into(), e.msg.into());
            node.insert("sub_code".into(), e.sub_code.clone().into());
            node.insert("sub_msg".into(), e.sub_msg.clone().into());
        }
    }
    Value::Object(node).to_string()
}

/// The response body and its content type, with the signature faults applied.
fn render(shared: &Shared, answer: &Answer, faults: &CallFaults) -> (Vec<u8>, String) {
    let id = &shared.identity;
    let signer: &Signer = match &faults.fault {
        Some(Fault::RotatedCert) => &id.rotated,
        Some(Fault::UntrustedCert) => &id.untrusted,
        _ => &id.alipay,
    };
    let mut node = node_json(&answer.result);
    if answer.encrypt {
        if let Some(aes) = &id.aes {
            node = format!("\"{}\"", aes.encrypt(node.as_bytes()));
        }
    }
    let gbk = faults.is(&Fault::GbkBody);
    let node_bytes: Vec<u8> = if gbk {
        encoding_rs::GBK.encode(&node).0.into_owned()
    } else {
        node.into_bytes()
    };
    let mut sign = signer
        .key
        .sign(SignType::Rsa2, &node_bytes)
        .unwrap_or_default();
    if faults.is(&Fault::WrongSignature) {
        sign = corrupt(&sign);
    }
    let with_sign = !faults.is(&Fault::MissingSignature);
    let cert_sn = if id.cert_mode() {
        signer.cert.as_ref().map(|c| c.sn.clone())
    } else {
        None
    };
    let key = &answer.key;
    let mut body = Vec::with_capacity(node_bytes.len() + 420);
    body.push(b'{');
    let sign_field = format!("\"sign\":\"{sign}\"");
    if faults.is(&Fault::SignBeforeNode) && with_sign {
        body.extend_from_slice(sign_field.as_bytes());
        body.push(b',');
    }
    body.extend_from_slice(format!("\"{key}\":").as_bytes());
    body.extend_from_slice(&node_bytes);
    if let Some(sn) = cert_sn {
        body.extend_from_slice(format!(",\"alipay_cert_sn\":\"{sn}\"").as_bytes());
    }
    if with_sign && !faults.is(&Fault::SignBeforeNode) {
        body.push(b',');
        body.extend_from_slice(sign_field.as_bytes());
    }
    body.push(b'}');
    let charset = if gbk { "GBK" } else { "utf-8" };
    (body, format!("text/html;charset={charset}"))
}

/// A well-formed base64 signature that does not verify.
pub fn corrupt(sign: &str) -> String {
    let mut chars: Vec<char> = sign.chars().collect();
    if let Some(c) = chars.get_mut(10) {
        *c = if *c == 'A' { 'B' } else { 'A' };
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_window() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_717_216_496);
        let tol = Duration::from_secs(600);
        assert!(timestamp_ok("2024-06-01 12:34:56", now, tol));
        assert!(timestamp_ok("2024-06-01 12:44:56", now, tol));
        assert!(!timestamp_ok("2024-06-01 12:44:57", now, tol));
        assert!(
            !timestamp_ok("2024-06-01 04:34:56", now, tol),
            "UTC is not Beijing time"
        );
        for bad in [
            "2024-06-01T12:34:56",
            "2024-06-01 12:34",
            "",
            "2024-06-01 12:34:5x",
        ] {
            assert!(!timestamp_ok(bad, now, tol), "{bad}");
        }
    }

    #[test]
    fn nodes_put_code_first() {
        let ok = node_json(&Ok(Reply::ok(
            serde_json::from_str(r#"{"trade_no":"1","out_trade_no":"2"}"#).unwrap(),
        )));
        assert_eq!(
            ok,
            r#"{"code":"10000","msg":"Success","trade_no":"1","out_trade_no":"2"}"#
        );
        let err = node_json(&Err(BizError::business(
            "ACQ.TRADE_NOT_EXIST",
            "交易不存在",
        )));
        assert_eq!(
            err,
            r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}"#
        );
    }

    #[test]
    fn corrupt_changes_one_character() {
        let s = "MEUCIQDabcdefghijklmnop==";
        let c = corrupt(s);
        assert_ne!(s, c);
        assert_eq!(s.len(), c.len());
        assert_eq!(corrupt(""), "");
    }
}

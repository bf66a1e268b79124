//! v2 `gateway.do` protocol core: timestamps, the string to sign, wire encoding, and the
//! extraction and verification of signed response nodes. Pure functions over bytes.
//!
//! # Requests
//! [`string_to_sign`] builds `k=v&…` over every parameter that is sent (query and body
//! together), without `sign`, without empty values, sorted by key bytes, values raw. Sign it
//! with [`crate::keys::PrivateKey::sign`] (or use [`sign_params`]), then put every value,
//! `sign` included, on the wire with [`form_encode`].
//!
//! # Responses
//! [`extract`] finds the response node (`<method>_response`, else `error_response`) on the
//! raw body bytes and returns the exact bytes Alipay signed: from the node's `{` to its
//! matching `}` (or, for an AES-encrypted node, the JSON string token with its quotes).
//! `sign` and `alipay_cert_sn` come from a real JSON parse of the top level. Then
//! [`SignedNode::verify`] checks the signature (retrying once with `\/` → `/`), and
//! [`ServiceStatus::from_json`] reads `code`/`msg`/`sub_code`/`sub_msg` from the verified
//! bytes. Deserialize the business object from [`SignedNode::json`] itself, never from a
//! second parse of the whole body.

use crate::keys::{CryptoError, PrivateKey, PublicKey, SignType, VerifyError};
use serde::Deserialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// Key of the node Alipay uses for some failures instead of `<method>_response`.
pub const ERROR_RESPONSE_KEY: &str = "error_response";

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// Formats `t` as `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8), whatever the host time zone.
/// Instants before 1970 are formatted too (proleptic Gregorian calendar).
pub fn beijing_timestamp(t: SystemTime) -> String {
    let secs: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2);
            // Round towards negative infinity: -0.5 s is 23:59:59 of the previous day.
            if d.subsec_nanos() > 0 {
                -whole - 1
            } else {
                -whole
            }
        }
    };
    let local = secs.saturating_add(8 * 3600);
    let days = local.div_euclid(86_400);
    let sod = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The v2 string to sign: every parameter except `sign`, empty values dropped, sorted by key
/// (byte order, stable), joined as `k=v` with `&`, values raw (not URL-encoded).
///
/// `sign_type` IS included (requests). Pass the parameters of the query string and of the
/// urlencoded/multipart text body together; file parts are never signed.
pub fn string_to_sign(params: &[(&str, &str)]) -> String {
    let mut kept: Vec<&(&str, &str)> = params
        .iter()
        .filter(|(k, v)| *k != "sign" && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    join_pairs(kept.iter().map(|(k, v)| (*k, *v)))
}

/// Joins `k=v` pairs with `&`, raw.
pub(crate) fn join_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Builds the string to sign of `params` and signs it; returns the base64 `sign` value.
pub fn sign_params(
    params: &[(&str, &str)],
    key: &PrivateKey,
    sign_type: SignType,
) -> Result<String, CryptoError> {
    key.sign(sign_type, string_to_sign(params).as_bytes())
}

/// Signs `params` and returns the parameter set to send: empty values dropped, order kept,
/// `sign` appended. The input must not contain `sign`.
pub fn signed_pairs(
    params: &[(&str, &str)],
    key: &PrivateKey,
    sign_type: SignType,
) -> Result<Vec<(String, String)>, CryptoError> {
    let sign = sign_params(params, key, sign_type)?;
    let mut out: Vec<(String, String)> = params
        .iter()
        .filter(|(k, v)| !v.is_empty() && *k != "sign")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    out.push(("sign".to_string(), sign));
    Ok(out)
}

/// `application/x-www-form-urlencoded` encoding of `pairs` in the given order (space → `+`,
/// everything except `A-Z a-z 0-9 * - . _` percent-encoded as UTF-8). Used for both the query
/// string and the body; the gateway form-decodes each once. Empty values are skipped, as
/// they are not signed.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            ser.append_pair(k, v);
        }
    }
    ser.finish()
}

/// Decodes an `application/x-www-form-urlencoded` UTF-8 string once (`+` → space, `%XX`),
/// keeping order. Malformed `%` sequences are kept literally.
pub fn form_decode(encoded: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The response key of a method: `alipay.trade.query` → `alipay_trade_query_response`.
pub fn response_key(method: &str) -> String {
    let mut key = method.replace('.', "_");
    key.push_str("_response");
    key
}

// ---------------------------------------------------------------------------------------------
// Response extraction
// ---------------------------------------------------------------------------------------------

/// A v2 response body could not be used. Every case is a distinct variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The body is not UTF-8 (v2 responses are always UTF-8 with `charset=utf-8`).
    #[error("the response body is not valid UTF-8 (invalid byte at offset {valid_up_to})")]
    NotUtf8 { valid_up_to: usize },
    /// The body ends before the JSON is complete.
    #[error("the response body is truncated: the JSON ends before the top-level object is closed")]
    Truncated,
    /// The body is not a JSON object of the expected shape.
    #[error("the response body is not the expected JSON object: {reason} (at byte {offset})")]
    Malformed { reason: String, offset: usize },
    /// Neither `<method>_response` nor `error_response` is present.
    #[error("the response has neither a `{expected}` nor an `error_response` node")]
    NodeMissing { expected: String },
    /// The node key occurs more than once at the top level: which one was signed is ambiguous.
    #[error("the response node `{key}` occurs more than once; refusing an ambiguous body")]
    DuplicateNode { key: String },
    /// The node is neither a JSON object nor an (encrypted) JSON string.
    #[error("the response node `{key}` is neither a JSON object nor an encrypted string")]
    NodeNotObject { key: String },
    /// A success response without `sign`.
    #[error("the response has no `sign`; a successful response must be signed")]
    MissingSign,
    /// `sign` does not verify against the node bytes.
    #[error("the response signature is invalid: {0}")]
    BadSignature(VerifyError),
}

/// What the node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeKind {
    /// A plain JSON object.
    Object,
    /// A JSON string: AES ciphertext (base64). Decrypt after verifying.
    Encrypted,
}

/// The signed node of a v2 response, borrowed from the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNode<'a> {
    /// The top-level key that was found (`<method>_response` or `error_response`).
    pub key: &'a str,
    /// `true` when the node is `error_response`.
    pub is_error_response: bool,
    /// Object or encrypted string.
    pub kind: NodeKind,
    /// Exactly the bytes Alipay signed: the raw JSON value, escapes and whitespace as received;
    /// for an encrypted node the string token including both quotes.
    pub signed: &'a [u8],
    /// The top-level `sign`, if any.
    pub sign: Option<String>,
    /// The top-level `alipay_cert_sn` (certificate mode), if any. Not signed.
    pub alipay_cert_sn: Option<String>,
    /// For [`NodeKind::Encrypted`]: the decoded string content (base64 ciphertext).
    pub ciphertext: Option<String>,
}

impl<'a> SignedNode<'a> {
    /// The JSON of the business object for [`NodeKind::Object`] (same bytes as `signed`);
    /// `None` for an encrypted node (decrypt [`SignedNode::ciphertext`] instead).
    pub fn json(&self) -> Option<&'a [u8]> {
        match self.kind {
            NodeKind::Object => Some(self.signed),
            NodeKind::Encrypted => None,
        }
    }

    /// Verifies `sign` over the node bytes with `key` (RSA2 unless `sign_type` says otherwise).
    /// If that fails and the node contains `\/`, retries once with every `\/` replaced by `/`
    /// (compatibility with gateways that signed before escaping slashes).
    pub fn verify(&self, key: &PublicKey, sign_type: SignType) -> Result<(), ResponseError> {
        let sign = self.sign.as_deref().ok_or(ResponseError::MissingSign)?;
        verify_node_bytes(self.signed, sign, key, sign_type)
    }
}

/// Verifies `sign` over `signed`, with the `\/` → `/` retry.
pub fn verify_node_bytes(
    signed: &[u8],
    sign: &str,
    key: &PublicKey,
    sign_type: SignType,
) -> Result<(), ResponseError> {
    match key.verify(sign_type, signed, sign) {
        Ok(()) => Ok(()),
        Err(VerifyError::SignatureBase64) => {
            Err(ResponseError::BadSignature(VerifyError::SignatureBase64))
        }
        Err(first) => {
            if contains(signed, b"\\/") {
                let unescaped = replace_escaped_slash(signed);
                if key.verify(sign_type, &unescaped, sign).is_ok() {
                    return Ok(());
                }
            }
            Err(ResponseError::BadSignature(first))
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace_escaped_slash(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' && bytes.get(i + 1) == Some(&b'/') {
            out.push(b'/');
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

/// Top-level fields read with a real JSON parse. Duplicate `sign` fields are an error.
#[derive(Deserialize)]
struct TopLevel {
    #[serde(default)]
    sign: Option<String>,
    #[serde(default)]
    alipay_cert_sn: Option<String>,
}

/// Finds the signed node of a v2 response.
///
/// Looks up `response_key` (e.g. `alipay_trade_query_response`) first, then
/// `error_response`. The node's bytes are found by scanning the top-level object on the raw
/// bytes (strings and escapes tracked, nesting matched), so `sign` may come before or after
/// the node, `alipay_cert_sn` may sit in between, and `{`/`}`/`"sign"` inside strings are
/// harmless. A key occurring twice at the top level is rejected.
pub fn extract<'a>(body: &'a [u8], response_key: &str) -> Result<SignedNode<'a>, ResponseError> {
    let text = std::str::from_utf8(body).map_err(|e| ResponseError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let members = scan_top_level(body)?;
    // A real parse of the top level: validates the whole JSON and reads sign/alipay_cert_sn.
    let json_text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let top: TopLevel = serde_json::from_str(json_text).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => ResponseError::Truncated,
        _ => ResponseError::Malformed {
            reason: e.to_string(),
            offset: 0,
        },
    })?;

    let (key, is_error_response) = if members.iter().any(|m| m.key == response_key.as_bytes()) {
        (response_key, false)
    } else if members
        .iter()
        .any(|m| m.key == ERROR_RESPONSE_KEY.as_bytes())
    {
        (ERROR_RESPONSE_KEY, true)
    } else {
        return Err(ResponseError::NodeMissing {
            expected: response_key.to_string(),
        });
    };
    let mut found = members.iter().filter(|m| m.key == key.as_bytes());
    let member = found.next().ok_or_else(|| ResponseError::NodeMissing {
        expected: response_key.to_string(),
    })?;
    if found.next().is_some() {
        return Err(ResponseError::DuplicateNode {
            key: key.to_string(),
        });
    }
    // `key` borrowed from the body for a `'a` lifetime.
    let key_in_body =
        std::str::from_utf8(member.key).map_err(|_| ResponseError::NotUtf8 { valid_up_to: 0 })?;
    let signed = member.value;
    let (kind, ciphertext) = match signed.first() {
        Some(b'{') => (NodeKind::Object, None),
        Some(b'"') => {
            let s: String =
                serde_json::from_slice(signed).map_err(|e| ResponseError::Malformed {
                    reason: e.to_string(),
                    offset: member.value_offset,
                })?;
            (NodeKind::Encrypted, Some(s))
        }
        _ => {
            return Err(ResponseError::NodeNotObject {
                key: key.to_string(),
            })
        }
    };
    Ok(SignedNode {
        key: key_in_body,
        is_error_response,
        kind,
        signed,
        // An empty `sign` is no signature.
        sign: top.sign.filter(|s| !s.is_empty()),
        alipay_cert_sn: top.alipay_cert_sn.filter(|s| !s.is_empty()),
        ciphertext,
    })
}

/// One top-level member: raw key bytes (between the quotes) and raw value bytes.
struct Member<'a> {
    key: &'a [u8],
    value: &'a [u8],
    value_offset: usize,
}

/// Byte scanner over a JSON text. Structural characters are ASCII, so scanning bytes is
/// UTF-8 safe.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn malformed(&self, reason: &str) -> ResponseError {
        ResponseError::Malformed {
            reason: reason.to_string(),
            offset: self.pos,
        }
    }

    fn expect(&mut self, b: u8, reason: &str) -> Result<(), ResponseError> {
        match self.peek() {
            Some(c) if c == b => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.malformed(reason)),
            None => Err(ResponseError::Truncated),
        }
    }

    /// At a `"`: advances past the closing quote; returns the content span.
    fn string(&mut self) -> Result<&'a [u8], ResponseError> {
        self.expect(b'"', "expected a string")?;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(ResponseError::Truncated),
                Some(b'"') => {
                    let content = self.bytes.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    return Ok(content);
                }
                Some(b'\\') => {
                    if self.pos + 1 >= self.bytes.len() {
                        return Err(ResponseError::Truncated);
                    }
                    self.pos += 2;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Skips one JSON value of any type; returns its raw span.
    fn value(&mut self) -> Result<&'a [u8], ResponseError> {
        let start = self.pos;
        match self.peek() {
            None => return Err(ResponseError::Truncated),
            Some(b'"') => {
                self.string()?;
            }
            Some(b'{' | b'[') => {
                // Nesting matched with a stack so `{]` is rejected.
                let mut stack: Vec<u8> = Vec::new();
                loop {
                    match self.peek() {
                        None => return Err(ResponseError::Truncated),
                        Some(b'"') => {
                            self.string()?;
                            continue;
                        }
                        Some(c @ (b'{' | b'[')) => stack.push(if c == b'{' { b'}' } else { b']' }),
                        Some(c @ (b'}' | b']')) => {
                            if stack.pop() != Some(c) {
                                return Err(self.malformed("mismatched bracket"));
                            }
                            if stack.is_empty() {
                                self.pos += 1;
                                break;
                            }
                        }
                        Some(_) => {}
                    }
                    self.pos += 1;
                }
            }
            Some(_) => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(self.malformed("expected a value"));
                }
            }
        }
        Ok(self.bytes.get(start..self.pos).unwrap_or_default())
    }
}

/// Scans the top-level object into its members (raw key and value spans).
fn scan_top_level(bytes: &[u8]) -> Result<Vec<Member<'_>>, ResponseError> {
    let mut s = Scanner { bytes, pos: 0 };
    // A UTF-8 byte order mark is tolerated.
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        s.pos = 3;
    }
    s.skip_ws();
    if s.peek().is_none() {
        return Err(ResponseError::Truncated);
    }
    s.expect(b'{', "the body is not a JSON object")?;
    let mut members = Vec::new();
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
    } else {
        loop {
            s.skip_ws();
            let key = s.string()?;
            s.skip_ws();
            s.expect(b':', "expected `:` after a key")?;
            s.skip_ws();
            let value_offset = s.pos;
            let value = s.value()?;
            members.push(Member {
                key,
                value,
                value_offset,
            });
            s.skip_ws();
            match s.peek() {
                Some(b',') => s.pos += 1,
                Some(b'}') => {
                    s.pos += 1;
                    break;
                }
                Some(_) => return Err(s.malformed("expected `,` or `}`")),
                None => return Err(ResponseError::Truncated),
            }
        }
    }
    s.skip_ws();
    if s.peek().is_some() {
        return Err(s.malformed("trailing data after the top-level object"));
    }
    Ok(members)
}

// ---------------------------------------------------------------------------------------------
// Service status
// ---------------------------------------------------------------------------------------------

/// `code`/`msg`/`sub_code`/`sub_msg` of a (verified) response node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct ServiceStatus {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub sub_code: Option<String>,
    #[serde(default)]
    pub sub_msg: Option<String>,
}

impl ServiceStatus {
    /// Reads the status fields from the JSON of a node (other fields ignored).
    pub fn from_json(node_json: &[u8]) -> Result<Self, ResponseError> {
        serde_json::from_slice(node_json).map_err(|e| ResponseError::Malformed {
            reason: format!(
                "the response node is not a JSON object with string status fields: {e}"
            ),
            offset: 0,
        })
    }

    /// Success: `code` is `10000` (success) or `10003` (order created, waiting for the buyer),
    /// or there is neither `code` nor `sub_code` (some APIs, e.g. `alipay.system.oauth.token`).
    pub fn is_success(&self) -> bool {
        match self.code.as_deref() {
            Some("10000" | "10003") => true,
            Some(_) => false,
            None => self.sub_code.is_none(),
        }
    }
}

/// The outcome of [`verify_response`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedResponse<'a> {
    /// The node (bytes, kind, `alipay_cert_sn`).
    pub node: SignedNode<'a>,
    /// `true` when `sign` was present and verified; `false` only for an unsigned failure.
    pub signature_verified: bool,
    /// Status of a plain node; `None` for an encrypted node (read it after decrypting).
    pub status: Option<ServiceStatus>,
}

/// Extracts and verifies in one step, with the rule: a signed node must verify; an unsigned
/// node is accepted only when it is a failure (`error_response`, or a status that is not a
/// success), reported with `signature_verified = false`. An unsigned success or an unsigned
/// encrypted node is [`ResponseError::MissingSign`].
pub fn verify_response<'a>(
    body: &'a [u8],
    response_key: &str,
    key: &PublicKey,
    sign_type: SignType,
) -> Result<VerifiedResponse<'a>, ResponseError> {
    let node = extract(body, response_key)?;
    let status = match node.json() {
        Some(json) => Some(ServiceStatus::from_json(json)?),
        None => None,
    };
    if node.sign.is_some() {
        node.verify(key, sign_type)?;
        return Ok(VerifiedResponse {
            node,
            signature_verified: true,
            status,
        });
    }
    let unsigned_failure =
        node.is_error_response || status.as_ref().is_some_and(|s| !s.is_success());
    if unsigned_failure {
        Ok(VerifiedResponse {
            node,
            signature_verified: false,
            status,
        })
    } else {
        Err(ResponseError::MissingSign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamp_is_beijing_time() {
        let t = UNIX_EPOCH + Duration::from_millis(1_717_216_496_789);
        assert_eq!(beijing_timestamp(t), "2024-06-01 12:34:56");
        assert_eq!(beijing_timestamp(UNIX_EPOCH), "1970-01-01 08:00:00");
        let t = UNIX_EPOCH + Duration::from_secs(16 * 3600); // crosses midnight in UTC+8
        assert_eq!(beijing_timestamp(t), "1970-01-02 00:00:00");
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(beijing_timestamp(before), "1970-01-01 07:59:59");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29 00:00 UTC
        assert_eq!(beijing_timestamp(leap), "2000-02-29 08:00:00");
    }

    #[test]
    fn string_to_sign_rules() {
        let s = string_to_sign(&[("b", "2"), ("sign", "x"), ("a", "1"), ("e", ""), ("B", "3")]);
        assert_eq!(s, "B=3&a=1&b=2");
    }

    #[test]
    fn scanner_spans() {
        let body = br#" { "k" : {"a":"}\"{","b":[1,{"c":null}]} , "n": -1.5e3, "t":true } "#;
        let m = scan_top_level(body).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].value, br#"{"a":"}\"{","b":[1,{"c":null}]}"#);
        assert_eq!(m[1].value, b"-1.5e3");
        assert_eq!(m[2].value, b"true");
        assert_eq!(
            scan_top_level(b"{\"a\":[}").err(),
            Some(ResponseError::Malformed {
                reason: "mismatched bracket".into(),
                offset: 6
            })
        );
        assert_eq!(
            scan_top_level(b"{\"a\":{").err(),
            Some(ResponseError::Truncated)
        );
    }

    #[test]
    fn status_rules() {
        let ok = ServiceStatus::from_json(br#"{"code":"10000","msg":"Success"}"#).unwrap();
        assert!(ok.is_success());
        let wait = ServiceStatus::from_json(br#"{"code":"10003"}"#).unwrap();
        assert!(wait.is_success());
        let none = ServiceStatus::from_json(br#"{"access_token":"x"}"#).unwrap();
        assert!(none.is_success());
        let sub = ServiceStatus::from_json(br#"{"sub_code":"isv.x"}"#).unwrap();
        assert!(!sub.is_success());
        let fail =
            ServiceStatus::from_json(br#"{"code":"40004","sub_code":"ACQ.TRADE_NOT_EXIST"}"#)
                .unwrap();
        assert!(!fail.is_success());
    }

    #[test]
    fn bom_and_empty_sign() {
        let body = "\u{feff}{\"m_response\":{\"code\":\"10000\"},\"sign\":\"\"}";
        let node = extract(body.as_bytes(), "m_response").unwrap();
        assert_eq!(node.signed, br#"{"code":"10000"}"#);
        assert_eq!(node.sign, None);
    }

    #[test]
    fn escaped_slash_replacement() {
        assert_eq!(replace_escaped_slash(br#"a\/b\\/c"#), br#"a/b\/c"#.to_vec());
    }
}

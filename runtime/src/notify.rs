//! Verification of asynchronous notifications (`notify_url` POSTs) and of `return_url`
//! parameters. Pure functions over the raw form body or already decoded pairs.
//!
//! Rule ("rsaCheckV1", the default): form-decode the body exactly once; drop `sign` and
//! `sign_type`; drop empty values; sort by key bytes; join `k=v` with `&` using the decoded
//! values as they are (a `%`, `+` or an already-encoded `passback_params` stays as decoded
//! once); verify `sign` (base64) with the Alipay public key, SHA256withRSA unless
//! `sign_type=RSA`. [`NotifyRule::V2`] ("rsaCheckV2", life-account gateway messages) keeps
//! `sign_type` in the content.
//!
//! The `charset` parameter is honoured: for a `GBK` body the signed bytes are the GBK bytes
//! of the content, so the raw-body path verifies on the percent-decoded bytes, then
//! transcodes the values to UTF-8.
//!
//! A verified notification proves it came from Alipay; the handler must still check
//! `app_id`, `out_trade_no`, the amount and `seller_id` against its own records, be
//! idempotent by `notify_id`, and answer exactly [`ACK`]. `return_url` parameters verify with
//! the same rule but are not proof of payment: query the trade or wait for the notification.

use crate::keys::{PublicKey, SignType, VerifyError};
use encoding_rs::Encoding;
use percent_encoding::percent_decode;

/// The body to answer a notification with (HTTP 200). Anything else makes Alipay retry.
pub const ACK: &str = "success";

/// Which parameters the signed content leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum NotifyRule {
    /// Drop `sign` and `sign_type` (payment notifications, `return_url`).
    #[default]
    V1,
    /// Drop only `sign` (life-account gateway messages).
    V2,
}

/// A notification did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body has no parameters at all.
    #[error("the notification body is empty; expected an application/x-www-form-urlencoded form")]
    Empty,
    /// No `sign` parameter (or an empty one).
    #[error("the notification has no `sign` parameter")]
    MissingSign,
    /// `sign_type` is neither `RSA2` nor `RSA`.
    #[error("the notification's sign_type `{value}` is not supported (expected RSA2 or RSA)")]
    UnsupportedSignType { value: String },
    /// `charset` names an encoding other than UTF-8 or GBK/GB18030.
    #[error("the notification's charset `{value}` is not supported (expected utf-8 or gbk)")]
    UnsupportedCharset { value: String },
    /// A parameter is not valid text in the declared charset.
    #[error("parameter `{key}` is not valid {charset} text")]
    BadEncoding { key: String, charset: &'static str },
    /// A parameter occurs twice: which value was signed is ambiguous.
    #[error("parameter `{key}` occurs more than once; refusing an ambiguous notification")]
    DuplicateParam { key: String },
    /// The signature does not verify.
    #[error("the notification signature is invalid: {0}")]
    BadSignature(VerifyError),
}

/// A verified notification: its decoded parameters (UTF-8), in body order, `sign` included.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedParams {
    /// All parameters, decoded once, in the order received.
    pub pairs: Vec<(String, String)>,
    /// The algorithm the signature was checked with.
    pub sign_type: SignType,
}

impl VerifiedParams {
    /// The value of parameter `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Charsets accepted in `charset`.
fn encoding_for(label: Option<&[u8]>) -> Result<&'static Encoding, NotifyError> {
    let Some(label) = label else {
        return Ok(encoding_rs::UTF_8);
    };
    let unsupported = || NotifyError::UnsupportedCharset {
        value: String::from_utf8_lossy(label).into_owned(),
    };
    let enc = Encoding::for_label(label).ok_or_else(unsupported)?;
    if enc == encoding_rs::UTF_8 || enc == encoding_rs::GBK || enc == encoding_rs::GB18030 {
        Ok(enc)
    } else {
        Err(unsupported())
    }
}

fn sign_type_of(value: Option<&[u8]>) -> Result<SignType, NotifyError> {
    match value {
        None | Some(b"") => Ok(SignType::Rsa2),
        Some(v) => std::str::from_utf8(v)
            .ok()
            .and_then(SignType::from_wire)
            .ok_or_else(|| NotifyError::UnsupportedSignType {
                value: String::from_utf8_lossy(v).into_owned(),
            }),
    }
}

/// Decodes one form component once: `+` → space, then `%XX`. A `%` not followed by two hex
/// digits is kept literally.
fn form_component(raw: &[u8]) -> Vec<u8> {
    let plus: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus).collect()
}

/// Splits and decodes a form body into byte pairs, in order.
fn decode_form_bytes(body: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    body.split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (k, v) = match seg.iter().position(|&b| b == b'=') {
                Some(i) => (&seg[..i], &seg[i + 1..]),
                None => (seg, &b""[..]),
            };
            (form_component(k), form_component(v))
        })
        .collect()
}

/// The bytes of the signed content over byte pairs.
fn content_bytes(pairs: &[(&[u8], &[u8])], rule: NotifyRule) -> Vec<u8> {
    let mut kept: Vec<&(&[u8], &[u8])> = pairs
        .iter()
        .filter(|(k, v)| {
            *k != b"sign" && !(rule == NotifyRule::V1 && *k == b"sign_type") && !v.is_empty()
        })
        .collect();
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (i, (k, v)) in kept.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k);
        out.push(b'=');
        out.extend_from_slice(v);
    }
    out
}

/// The content string the signature covers, from decoded pairs (UTF-8 view).
pub fn string_to_verify(pairs: &[(&str, &str)], rule: NotifyRule) -> String {
    let bytes: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    String::from_utf8(content_bytes(&bytes, rule)).unwrap_or_default()
}

fn check_duplicates(keys: &[&[u8]]) -> Result<(), NotifyError> {
    let mut sorted: Vec<&[u8]> = keys.to_vec();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            return Err(NotifyError::DuplicateParam {
                key: String::from_utf8_lossy(w[0]).into_owned(),
            });
        }
    }
    Ok(())
}

/// Verifies byte pairs and returns the sign type used.
fn verify_bytes(
    pairs: &[(&[u8], &[u8])],
    signed: &[u8],
    key: &PublicKey,
) -> Result<SignType, NotifyError> {
    let find = |name: &[u8]| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let sign = match find(b"sign") {
        Some(s) if !s.is_empty() => s,
        _ => return Err(NotifyError::MissingSign),
    };
    let sign = std::str::from_utf8(sign)
        .map_err(|_| NotifyError::BadSignature(VerifyError::SignatureBase64))?;
    let sign_type = sign_type_of(find(b"sign_type"))?;
    // `+` inside base64 arrives as a space when a sender forgot to encode it; restore it.
    let sign = sign.replace(' ', "+");
    key.verify(sign_type, signed, &sign)
        .map_err(NotifyError::BadSignature)?;
    Ok(sign_type)
}

/// Verifies a notification from its raw `application/x-www-form-urlencoded` body.
pub fn verify_form(
    body: &[u8],
    key: &PublicKey,
    rule: NotifyRule,
) -> Result<VerifiedParams, NotifyError> {
    let decoded = decode_form_bytes(body);
    if decoded.is_empty() {
        return Err(NotifyError::Empty);
    }
    let pairs: Vec<(&[u8], &[u8])> = decoded
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    check_duplicates(&pairs.iter().map(|(k, _)| *k).collect::<Vec<_>>())?;
    let charset = pairs
        .iter()
        .find(|(k, _)| *k == b"charset")
        .map(|(_, v)| *v);
    let encoding = encoding_for(charset)?;
    let signed = content_bytes(&pairs, rule);
    let sign_type = verify_bytes(&pairs, &signed, key)?;
    // Verified on the received bytes; now transcode to UTF-8.
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in &pairs {
        let key_text = decode_text(encoding, k, k)?;
        let value_text = decode_text(encoding, v, k)?;
        out.push((key_text, value_text));
    }
    Ok(VerifiedParams {
        pairs: out,
        sign_type,
    })
}

fn decode_text(enc: &'static Encoding, bytes: &[u8], key: &[u8]) -> Result<String, NotifyError> {
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
        .ok_or_else(|| NotifyError::BadEncoding {
            key: String::from_utf8_lossy(key).into_owned(),
            charset: enc.name(),
        })
}

/// Verifies already decoded parameters (e.g. from a web framework's form extractor, or a
/// `return_url` query). The values must be decoded exactly once. When `charset` says GBK,
/// the content is encoded to GBK before verification.
pub fn verify_pairs(
    pairs: &[(&str, &str)],
    key: &PublicKey,
    rule: NotifyRule,
) -> Result<VerifiedParams, NotifyError> {
    if pairs.is_empty() {
        return Err(NotifyError::Empty);
    }
    let bytes: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    check_duplicates(&bytes.iter().map(|(k, _)| *k).collect::<Vec<_>>())?;
    let charset = bytes
        .iter()
        .find(|(k, _)| *k == b"charset")
        .map(|(_, v)| *v);
    let encoding = encoding_for(charset)?;
    let content = content_bytes(&bytes, rule);
    let signed = if encoding == encoding_rs::UTF_8 {
        content
    } else {
        let text = String::from_utf8(content).unwrap_or_default();
        let (encoded, _, unmappable) = encoding.encode(&text);
        if unmappable {
            return Err(NotifyError::BadEncoding {
                key: "(content)".to_string(),
                charset: encoding.name(),
            });
        }
        encoded.into_owned()
    };
    let sign_type = verify_bytes(&bytes, &signed, key)?;
    Ok(VerifiedParams {
        pairs: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        sign_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_once() {
        let d = decode_form_bytes(b"a=1+2%2B3&b=%25&c&&d=100%&e=%E4%B8%AD");
        let s: Vec<(String, String)> = d
            .into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect();
        assert_eq!(
            s,
            [
                ("a", "1 2+3"),
                ("b", "%"),
                ("c", ""),
                ("d", "100%"),
                ("e", "中")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn content_rules() {
        let p = [
            ("sign", "x"),
            ("sign_type", "RSA2"),
            ("b", ""),
            ("a", "1"),
            ("c", "3"),
        ];
        assert_eq!(string_to_verify(&p, NotifyRule::V1), "a=1&c=3");
        assert_eq!(
            string_to_verify(&p, NotifyRule::V2),
            "a=1&c=3&sign_type=RSA2"
        );
    }

    #[test]
    fn charsets() {
        assert_eq!(encoding_for(None).unwrap(), encoding_rs::UTF_8);
        assert_eq!(encoding_for(Some(b"GBK")).unwrap(), encoding_rs::GBK);
        assert_eq!(encoding_for(Some(b"gb2312")).unwrap(), encoding_rs::GBK);
        assert!(matches!(
            encoding_for(Some(b"latin1")),
            Err(NotifyError::UnsupportedCharset { .. })
        ));
    }
}

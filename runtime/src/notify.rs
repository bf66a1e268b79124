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
    /// The notification is for another app (`app_id` differs from the configured one).
    #[error("the notification is for app_id `{found}`, not the configured `{expected}`")]
    AppIdMismatch { expected: String, found: String },
    /// A field every trade notification carries is absent.
    #[error("the notification has no `{field}` parameter")]
    MissingField { field: &'static str },
    /// A field has a value of the wrong shape.
    #[error("the notification's `{field}` is not valid: {reason}")]
    InvalidField { field: &'static str, reason: String },
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

/// Checks shared by both entry points: not empty, no duplicate keys, a supported charset
/// (returned).
fn precheck(pairs: &[(&[u8], &[u8])]) -> Result<&'static Encoding, NotifyError> {
    if pairs.is_empty() {
        return Err(NotifyError::Empty);
    }
    let mut sorted: Vec<&[u8]> = pairs.iter().map(|(k, _)| *k).collect();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            return Err(NotifyError::DuplicateParam {
                key: String::from_utf8_lossy(w[0]).into_owned(),
            });
        }
    }
    let charset = pairs
        .iter()
        .find(|(k, _)| *k == b"charset")
        .map(|(_, v)| *v);
    encoding_for(charset)
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
    let pairs: Vec<(&[u8], &[u8])> = decoded
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    let encoding = precheck(&pairs)?;
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
    let bytes: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    let encoding = precheck(&bytes)?;
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

/// Verifies the parameters of a `return_url` redirect (the query string after `?`, decoded
/// once) with the V1 rule. **Not proof of payment**: the buyer's browser carries these
/// parameters and can replay them; confirm with `alipay.trade.query` or the notification.
pub fn verify_return_query(query: &str, key: &PublicKey) -> Result<VerifiedParams, NotifyError> {
    verify_form(query.as_bytes(), key, NotifyRule::V1)
}

// ---------------------------------------------------------------------------------------------
// Typed trade notification
// ---------------------------------------------------------------------------------------------

/// `trade_status` of a trade notification. Open: an unknown value is kept, never an error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TradeStatus {
    /// `WAIT_BUYER_PAY`: created, waiting for the buyer.
    WaitBuyerPay,
    /// `TRADE_CLOSED`: closed unpaid, or fully refunded.
    TradeClosed,
    /// `TRADE_SUCCESS`: paid; refunds still possible.
    TradeSuccess,
    /// `TRADE_FINISHED`: paid and final; no more refunds.
    TradeFinished,
    /// A value this version does not know.
    Unknown(String),
}

impl TradeStatus {
    /// Parses a wire value.
    pub fn from_wire(value: &str) -> Self {
        match value {
            "WAIT_BUYER_PAY" => TradeStatus::WaitBuyerPay,
            "TRADE_CLOSED" => TradeStatus::TradeClosed,
            "TRADE_SUCCESS" => TradeStatus::TradeSuccess,
            "TRADE_FINISHED" => TradeStatus::TradeFinished,
            other => TradeStatus::Unknown(other.to_string()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            TradeStatus::WaitBuyerPay => "WAIT_BUYER_PAY",
            TradeStatus::TradeClosed => "TRADE_CLOSED",
            TradeStatus::TradeSuccess => "TRADE_SUCCESS",
            TradeStatus::TradeFinished => "TRADE_FINISHED",
            TradeStatus::Unknown(s) => s,
        }
    }

    /// `TRADE_SUCCESS` or `TRADE_FINISHED`: the money arrived.
    pub fn is_paid(&self) -> bool {
        matches!(self, TradeStatus::TradeSuccess | TradeStatus::TradeFinished)
    }
}

/// One entry of `fund_bill_list` (JSON text in the notification; keys are camelCase there).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct FundBill {
    /// Channel, e.g. `ALIPAYACCOUNT`, `PCREDIT`, `BANKCARD`.
    #[serde(rename = "fundChannel")]
    pub fund_channel: String,
    /// Amount in yuan, as sent.
    pub amount: String,
    /// Amount actually paid through the channel, when sent.
    #[serde(rename = "realAmount", default)]
    pub real_amount: Option<String>,
}

/// A verified trade notification (`notify_type` `trade_status_sync` and friends). Amounts are
/// kept as the decimal text Alipay sent (yuan, two decimals); use [`amount_in_fen`] to
/// compare them exactly. Every parameter stays available in [`TradeNotification::raw`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TradeNotification {
    pub notify_id: String,
    pub notify_type: String,
    pub notify_time: Option<String>,
    pub app_id: String,
    pub auth_app_id: Option<String>,
    pub trade_no: Option<String>,
    pub out_trade_no: Option<String>,
    pub out_biz_no: Option<String>,
    pub trade_status: Option<TradeStatus>,
    pub buyer_id: Option<String>,
    pub buyer_logon_id: Option<String>,
    pub seller_id: Option<String>,
    pub seller_email: Option<String>,
    pub total_amount: Option<String>,
    pub receipt_amount: Option<String>,
    pub invoice_amount: Option<String>,
    pub buyer_pay_amount: Option<String>,
    pub point_amount: Option<String>,
    pub refund_fee: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub gmt_create: Option<String>,
    pub gmt_payment: Option<String>,
    pub gmt_refund: Option<String>,
    pub gmt_close: Option<String>,
    pub fund_bill_list: Vec<FundBill>,
    pub passback_params: Option<String>,
    /// All verified parameters, as received.
    pub raw: VerifiedParams,
}

impl TradeNotification {
    /// Types verified parameters and checks that the notification is for `expected_app_id`.
    pub fn from_verified(raw: VerifiedParams, expected_app_id: &str) -> Result<Self, NotifyError> {
        let opt = |k: &str| raw.get(k).filter(|v| !v.is_empty()).map(str::to_string);
        let req = |k: &'static str| opt(k).ok_or(NotifyError::MissingField { field: k });
        let app_id = req("app_id")?;
        if app_id != expected_app_id {
            return Err(NotifyError::AppIdMismatch {
                expected: expected_app_id.to_string(),
                found: app_id,
            });
        }
        let fund_bill_list = match opt("fund_bill_list") {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text).map_err(|e| NotifyError::InvalidField {
                field: "fund_bill_list",
                reason: e.to_string(),
            })?,
        };
        for field in [
            "total_amount",
            "receipt_amount",
            "invoice_amount",
            "buyer_pay_amount",
            "point_amount",
            "refund_fee",
        ] {
            if let Some(v) = opt(field) {
                if amount_in_fen(&v).is_none() {
                    return Err(NotifyError::InvalidField {
                        field,
                        reason: format!("`{v}` is not an amount in yuan with at most two decimals"),
                    });
                }
            }
        }
        Ok(TradeNotification {
            notify_id: req("notify_id")?,
            notify_type: req("notify_type")?,
            notify_time: opt("notify_time"),
            app_id,
            auth_app_id: opt("auth_app_id"),
            trade_no: opt("trade_no"),
            out_trade_no: opt("out_trade_no"),
            out_biz_no: opt("out_biz_no"),
            trade_status: opt("trade_status").map(|s| TradeStatus::from_wire(&s)),
            buyer_id: opt("buyer_id"),
            buyer_logon_id: opt("buyer_logon_id"),
            seller_id: opt("seller_id"),
            seller_email: opt("seller_email"),
            total_amount: opt("total_amount"),
            receipt_amount: opt("receipt_amount"),
            invoice_amount: opt("invoice_amount"),
            buyer_pay_amount: opt("buyer_pay_amount"),
            point_amount: opt("point_amount"),
            refund_fee: opt("refund_fee"),
            subject: opt("subject"),
            body: opt("body"),
            gmt_create: opt("gmt_create"),
            gmt_payment: opt("gmt_payment"),
            gmt_refund: opt("gmt_refund"),
            gmt_close: opt("gmt_close"),
            fund_bill_list,
            passback_params: opt("passback_params"),
            raw,
        })
    }
}

/// Verifies a raw notification body (V1 rule) and types it, checking `app_id`.
pub fn verify_trade_notification(
    body: &[u8],
    key: &PublicKey,
    expected_app_id: &str,
) -> Result<TradeNotification, NotifyError> {
    TradeNotification::from_verified(verify_form(body, key, NotifyRule::V1)?, expected_app_id)
}

/// An amount in yuan (`"88.88"`, `"9"`, `"0.5"`) as an exact number of fen (cents).
/// `None` for anything else (signs, exponents, more than two decimals, overflow).
pub fn amount_in_fen(yuan: &str) -> Option<u64> {
    let (int, frac) = match yuan.split_once('.') {
        Some((i, f)) => (i, f),
        None => (yuan, ""),
    };
    if int.is_empty()
        || frac.len() > 2
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (yuan.contains('.') && frac.is_empty())
    {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let frac: u64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    int.checked_mul(100)?.checked_add(frac)
}

/// A bounded in-memory record of handled `notify_id`s, for idempotent handling within one
/// process (Alipay retries a notification until it gets [`ACK`], so the same one arrives
/// more than once). Applications running several instances should keep this record in
/// their database instead, keyed by `notify_id`.
#[derive(Debug)]
pub struct SeenNotifyIds {
    capacity: usize,
    inner: std::sync::Mutex<(
        std::collections::HashSet<String>,
        std::collections::VecDeque<String>,
    )>,
}

impl SeenNotifyIds {
    /// Remembers at most `capacity` ids (the oldest are forgotten first).
    pub fn new(capacity: usize) -> Self {
        SeenNotifyIds {
            capacity: capacity.max(1),
            inner: std::sync::Mutex::new(Default::default()),
        }
    }

    /// `true` the first time `notify_id` is seen, `false` for a repeat.
    pub fn first_time(&self, notify_id: &str) -> bool {
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (set, order) = &mut *guard;
        if set.contains(notify_id) {
            return false;
        }
        set.insert(notify_id.to_string());
        order.push_back(notify_id.to_string());
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }

    /// Forgets `notify_id`, so that its next delivery counts as the first again: call it when
    /// handling the first delivery failed (and the notification was not acknowledged).
    pub fn forget(&self, notify_id: &str) {
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (set, order) = &mut *guard;
        if set.remove(notify_id) {
            order.retain(|id| id != notify_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_repeat_forget_and_evict() {
        let seen = SeenNotifyIds::new(2);
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("a"));
        seen.forget("a");
        assert!(seen.first_time("a"), "a forgotten id counts as new again");
        assert!(seen.first_time("b"));
        assert!(
            seen.first_time("c"),
            "capacity 2: the oldest, a, is evicted"
        );
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("c"));
        seen.forget("never-seen");
    }

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
    fn amounts() {
        assert_eq!(amount_in_fen("88.88"), Some(8888));
        assert_eq!(amount_in_fen("9"), Some(900));
        assert_eq!(amount_in_fen("0.5"), Some(50));
        assert_eq!(amount_in_fen("0.00"), Some(0));
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "1.234",
            "1e3",
            "+1",
            "1,00",
            "99999999999999999999",
        ] {
            assert_eq!(amount_in_fen(bad), None, "{bad}");
        }
    }

    #[test]
    fn trade_status_is_open() {
        assert_eq!(
            TradeStatus::from_wire("TRADE_SUCCESS"),
            TradeStatus::TradeSuccess
        );
        assert!(TradeStatus::from_wire("TRADE_FINISHED").is_paid());
        assert!(!TradeStatus::from_wire("WAIT_BUYER_PAY").is_paid());
        let new = TradeStatus::from_wire("TRADE_PENDING");
        assert_eq!(new.as_str(), "TRADE_PENDING");
        assert!(!new.is_paid());
    }

    #[test]
    fn seen_ids() {
        let seen = SeenNotifyIds::new(2);
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("a"));
        assert!(seen.first_time("b"));
        assert!(seen.first_time("c"));
        assert!(seen.first_time("a")); // forgotten: capacity 2
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

//! The emulator's business state: pure, synchronous, unit-tested.
//!
//! Every operation takes the decoded business parameters (a JSON object keyed by wire names,
//! already checked against the spec for required fields and types) and the current time, and
//! returns either the business fields of a success reply or a [`BizError`] in Alipay's terms.
//! Nothing here knows about HTTP, signatures or protocols.

pub mod coupon;
pub mod huabei;
pub mod money;
pub mod trade;
pub mod zhima;

use serde_json::{Map, Value};
use time::OffsetDateTime;

pub use money::Money;

/// Business fields of a reply.
pub type Fields = Map<String, Value>;

/// A failure in Alipay's v2 vocabulary (`code`, `msg`, `sub_code`, `sub_msg`).
///
/// The v3 form (`{code, message}` + HTTP status) is derived from it by [`BizError::v3_status`]
/// and [`BizError::v3_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BizError {
    pub code: &'static str,
    pub msg: &'static str,
    pub sub_code: String,
    pub sub_msg: String,
}

impl BizError {
    /// `40004 Business Failed` with an API-specific sub code.
    pub fn business(sub_code: &str, sub_msg: impl Into<String>) -> Self {
        BizError {
            code: "40004",
            msg: "Business Failed",
            sub_code: sub_code.to_owned(),
            sub_msg: sub_msg.into(),
        }
    }

    /// `40001 Missing Required Arguments`.
    pub fn missing(sub_code: &str, sub_msg: impl Into<String>) -> Self {
        BizError {
            code: "40001",
            msg: "Missing Required Arguments",
            sub_code: sub_code.to_owned(),
            sub_msg: sub_msg.into(),
        }
    }

    /// `40002 Invalid Arguments`.
    pub fn invalid(sub_code: &str, sub_msg: impl Into<String>) -> Self {
        BizError {
            code: "40002",
            msg: "Invalid Arguments",
            sub_code: sub_code.to_owned(),
            sub_msg: sub_msg.into(),
        }
    }

    /// `20000 Service Currently Unavailable` / `isp.unknow-error` (outcome unknown).
    pub fn unknown() -> Self {
        BizError {
            code: "20000",
            msg: "Service Currently Unavailable",
            sub_code: "isp.unknow-error".to_owned(),
            sub_msg: "系统繁忙".to_owned(),
        }
    }

    /// `20001 Insufficient Token Permissions` (app_auth_token problems).
    pub fn token(sub_code: &str, sub_msg: impl Into<String>) -> Self {
        BizError {
            code: "20001",
            msg: "Insufficient Token Permissions",
            sub_code: sub_code.to_owned(),
            sub_msg: sub_msg.into(),
        }
    }

    /// HTTP status of the v3 form of this error.
    pub fn v3_status(&self) -> u16 {
        match self.code {
            "20000" => 500,
            "20001" => 401,
            "40001" | "40002" => 400,
            "40005" => 429,
            "40006" => 403,
            _ => 400,
        }
    }

    /// `code` of the v3 form of this error. Gateway-level parameter problems are
    /// `INVALID_PARAMETER` on v3; business failures keep their sub code.
    pub fn v3_code(&self) -> &str {
        match self.code {
            "40001" | "40002" => "INVALID_PARAMETER",
            _ => &self.sub_code,
        }
    }
}

/// A successful reply: `code` 10000, or 10003 when the buyer still has to confirm (trade.pay).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub waiting: bool,
    pub fields: Fields,
}

impl Reply {
    pub fn ok(fields: Fields) -> Self {
        Reply {
            waiting: false,
            fields,
        }
    }
}

/// Result of one business operation.
pub type Outcome = Result<Reply, BizError>;

/// A non-empty string parameter, if present. Numbers and booleans are accepted in their JSON
/// text form (v2 sends everything as text; v3 bodies may carry typed values).
pub fn text<'a>(params: &'a Map<String, Value>, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    match params.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(std::borrow::Cow::Owned(b.to_string())),
        _ => None,
    }
}

/// Like [`text`], but owned.
pub fn text_owned(params: &Map<String, Value>, key: &str) -> Option<String> {
    text(params, key).map(|s| s.into_owned())
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time, the format of every `gmt_*` field.
pub fn beijing(t: OffsetDateTime) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = t.to_offset(offset);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.format(format).unwrap_or_default()
}

/// Puts `value` under `key` when it is present.
pub(crate) fn put(fields: &mut Fields, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        fields.insert(key.to_owned(), v.into());
    }
}

/// Deterministic identifier source (`prefix` + zero-padded counter).
#[derive(Debug, Clone, Default)]
pub struct Ids {
    next: u64,
}

impl Ids {
    pub fn next(&mut self, prefix: &str, width: usize) -> String {
        self.next += 1;
        format!("{prefix}{:0width$}", self.next, width = width)
    }
}

/// All business state of one emulator.
#[derive(Debug, Default)]
pub struct State {
    pub trades: trade::Trades,
    pub huabei: huabei::Huabei,
    pub zhima: zhima::Zhima,
    pub coupons: coupon::Coupons,
}

impl State {
    /// State with the documented seed records (huabei freezes, rent orders, coupon operations).
    pub fn seeded() -> Self {
        State {
            trades: trade::Trades::default(),
            huabei: huabei::Huabei::seeded(),
            zhima: zhima::Zhima::seeded(),
            coupons: coupon::Coupons::seeded(),
        }
    }

    /// Runs one business operation by its method name. `None` when the emulator has no
    /// business logic for the method.
    pub fn dispatch(
        &mut self,
        method: &str,
        params: &Map<String, Value>,
        now: OffsetDateTime,
    ) -> Option<Outcome> {
        Some(match method {
            "alipay.trade.create" => self.trades.create(params, now),
            "alipay.trade.precreate" => self.trades.precreate(params, now),
            "alipay.trade.pay" => self.trades.pay(params, now),
            "alipay.trade.query" => self.trades.query(params, now),
            "alipay.trade.refund" => self.trades.refund(params, now),
            "alipay.trade.close" => self.trades.close(params, now),
            "alipay.trade.cancel" => self.trades.cancel(params, now),
            "alipay.pcredit.huabei.auth.order.query" => self.huabei.query(params),
            "alipay.pcredit.huabei.auth.order.unfreeze" => self.huabei.unfreeze(params, now),
            "zhima.merchant.order.rent.query" => self.zhima.query(params),
            "alipay.fund.coupon.operation.query" => self.coupons.query(params),
            _ => return None,
        })
    }
}

#[cfg(test)]
pub(crate) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time_is_utc_plus_8() {
        let t = time::macros::datetime!(2024-06-01 04:34:56 UTC);
        assert_eq!(beijing(t), "2024-06-01 12:34:56");
    }

    #[test]
    fn v3_form_of_errors() {
        let e = BizError::business("ACQ.TRADE_NOT_EXIST", "交易不存在");
        assert_eq!((e.v3_status(), e.v3_code()), (400, "ACQ.TRADE_NOT_EXIST"));
        let e = BizError::missing("isv.missing-parameter", "out_trade_no");
        assert_eq!((e.v3_status(), e.v3_code()), (400, "INVALID_PARAMETER"));
        assert_eq!(BizError::unknown().v3_status(), 500);
    }

    #[test]
    fn text_accepts_scalars_and_skips_empty() {
        let p = obj(serde_json::json!({"a": "x", "b": 3, "c": "", "d": true, "e": {}}));
        assert_eq!(text(&p, "a").as_deref(), Some("x"));
        assert_eq!(text(&p, "b").as_deref(), Some("3"));
        assert_eq!(text(&p, "c"), None);
        assert_eq!(text(&p, "d").as_deref(), Some("true"));
        assert_eq!(text(&p, "e"), None);
        assert_eq!(text(&p, "zz"), None);
    }
}

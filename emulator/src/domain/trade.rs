//! Trades: create / precreate / pay / query / refund / close / cancel, and the buyer-side
//! transitions driven by the control API (pay, time out, finish).
//!
//! # The `auth_code` convention of `alipay.trade.pay`
//!
//! | `auth_code` starts with | result |
//! | --- | --- |
//! | `99` | `10003`: the buyer must confirm; the trade waits and is paid on the next query |
//! | `98` | `10003`: the trade waits until the control API pays it or times it out |
//! | `97` | `40004 ACQ.PAYMENT_AUTH_CODE_INVALID`, no trade is created |
//! | `96` | `40004 ACQ.BUYER_BALANCE_NOT_ENOUGH`, no trade is created |
//! | anything else | `10000`, `TRADE_SUCCESS` at once |

use super::{beijing, put, text, text_owned, BizError, Fields, Ids, Money, Outcome, Reply};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Buyer used when a request or control call names none.
pub const DEFAULT_BUYER_ID: &str = "2088102177846880";
pub const DEFAULT_BUYER_LOGON_ID: &str = "159****5620";
/// The merchant's (seller's) Alipay user id in every trade.
pub const SELLER_ID: &str = "2088301000000001";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeStatus {
    WaitBuyerPay,
    TradeSuccess,
    TradeClosed,
    TradeFinished,
}

impl TradeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TradeStatus::WaitBuyerPay => "WAIT_BUYER_PAY",
            TradeStatus::TradeSuccess => "TRADE_SUCCESS",
            TradeStatus::TradeClosed => "TRADE_CLOSED",
            TradeStatus::TradeFinished => "TRADE_FINISHED",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub out_request_no: String,
    pub amount: Money,
    pub reason: Option<String>,
    pub at: OffsetDateTime,
}

/// What happens when a waiting barcode trade is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// Paid by the buyer (control API) or timed out, nothing automatic.
    Manual,
    /// Paid on the next query (auth codes starting with `99`).
    PayOnQuery,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub trade_no: String,
    pub out_trade_no: String,
    pub total_amount: Money,
    pub subject: String,
    pub status: TradeStatus,
    pub product_code: Option<String>,
    pub buyer_user_id: Option<String>,
    pub buyer_logon_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub refunds: Vec<Refund>,
    pub notify_url: Option<String>,
    /// Where the buyer's browser returns after a page / wap payment.
    pub return_url: Option<String>,
    /// Echoed in notifications.
    pub passback_params: Option<String>,
    /// Set when `alipay.trade.cancel` reversed a paid trade.
    pub reversed: bool,
    waiting: Waiting,
}

impl Trade {
    pub fn refunded(&self) -> Money {
        self.refunds
            .iter()
            .fold(Money::ZERO, |acc, r| acc.saturating_add(r.amount))
    }

    fn keys(&self, fields: &mut Fields) {
        fields.insert("trade_no".into(), self.trade_no.clone().into());
        fields.insert("out_trade_no".into(), self.out_trade_no.clone().into());
    }

    fn buyer(&self, fields: &mut Fields) {
        put(fields, "buyer_user_id", self.buyer_user_id.clone());
        put(fields, "buyer_logon_id", self.buyer_logon_id.clone());
    }

    /// Snapshot for the control API.
    pub fn to_json(&self) -> Value {
        let mut f = Fields::new();
        self.keys(&mut f);
        f.insert("trade_status".into(), self.status.as_str().into());
        f.insert("total_amount".into(), self.total_amount.to_string().into());
        f.insert("refunded_amount".into(), self.refunded().to_string().into());
        f.insert("subject".into(), self.subject.clone().into());
        self.buyer(&mut f);
        put(&mut f, "notify_url", self.notify_url.clone());
        let refunds: Vec<Value> = self
            .refunds
            .iter()
            .map(|r| {
                serde_json::json!({
                    "out_request_no": r.out_request_no,
                    "refund_amount": r.amount.to_string(),
                    "gmt_refund_pay": beijing(r.at),
                })
            })
            .collect();
        f.insert("refunds".into(), refunds.into());
        Value::Object(f)
    }
}

/// An asynchronous notification the emulator owes the merchant (`notify_url`), business fields
/// only; the protocol layer adds `app_id`, `notify_id`, `sign`, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub notify_url: String,
    pub params: BTreeMap<String, String>,
}

/// Failure of a control-API transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("no trade with out_trade_no {0}")]
    NotFound(String),
    #[error("trade {out_trade_no} is {status}, expected {expected}")]
    WrongStatus {
        out_trade_no: String,
        status: &'static str,
        expected: &'static str,
    },
}

/// All trades, keyed by `out_trade_no`.
#[derive(Debug, Default)]
pub struct Trades {
    by_out: BTreeMap<String, Trade>,
    /// trade_no -> out_trade_no
    by_trade_no: BTreeMap<String, String>,
    ids: Ids,
    notices: Vec<Notice>,
}

fn invalid(msg: &str) -> BizError {
    BizError::business("ACQ.INVALID_PARAMETER", msg)
}

fn not_exist() -> BizError {
    BizError::business("ACQ.TRADE_NOT_EXIST", "交易不存在")
}

fn amount(params: &Map<String, Value>, key: &str) -> Result<Money, BizError> {
    let raw = text(params, key).ok_or_else(|| invalid(&format!("{key} is required")))?;
    match Money::parse(&raw) {
        Some(m) if !m.is_zero() => Ok(m),
        _ => Err(invalid(&format!(
            "{key} must be a positive amount with at most two decimals"
        ))),
    }
}

fn required(params: &Map<String, Value>, key: &str) -> Result<String, BizError> {
    text_owned(params, key).ok_or_else(|| invalid(&format!("{key} is required")))
}

impl Trades {
    pub fn get(&self, out_trade_no: &str) -> Option<&Trade> {
        self.by_out.get(out_trade_no)
    }

    pub fn len(&self) -> usize {
        self.by_out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_out.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Trade> {
        self.by_out.values()
    }

    /// Notifications produced since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Resolves `trade_no` / `out_trade_no` (trade_no wins when both are given; they must agree).
    fn key_of(&self, params: &Map<String, Value>) -> Result<String, BizError> {
        let out = text(params, "out_trade_no");
        match text(params, "trade_no") {
            Some(no) => {
                let found = self.by_trade_no.get(no.as_ref()).ok_or_else(not_exist)?;
                match out {
                    Some(o) if o.as_ref() != found => Err(not_exist()),
                    _ => Ok(found.clone()),
                }
            }
            None => match out {
                Some(o) if self.by_out.contains_key(o.as_ref()) => Ok(o.into_owned()),
                Some(_) => Err(not_exist()),
                None => Err(invalid("out_trade_no and trade_no cannot both be empty")),
            },
        }
    }

    fn insert_new(
        &mut self,
        params: &Map<String, Value>,
        now: OffsetDateTime,
        default_product: &str,
    ) -> Result<String, BizError> {
        let out_trade_no = required(params, "out_trade_no")?;
        let total_amount = amount(params, "total_amount")?;
        let subject = required(params, "subject")?;
        if let Some(existing) = self.by_out.get(&out_trade_no) {
            return match existing.status {
                TradeStatus::TradeSuccess | TradeStatus::TradeFinished => {
                    Err(BizError::business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"))
                }
                TradeStatus::TradeClosed => {
                    Err(BizError::business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"))
                }
                TradeStatus::WaitBuyerPay
                    if existing.total_amount == total_amount && existing.subject == subject =>
                {
                    Ok(out_trade_no)
                }
                TradeStatus::WaitBuyerPay => Err(BizError::business(
                    "ACQ.CONTEXT_INCONSISTENT",
                    "交易信息被篡改",
                )),
            };
        }
        let trade_no = self.ids.next(&format!("{}22001", &beijing_date(now)), 15);
        let trade = Trade {
            trade_no: trade_no.clone(),
            out_trade_no: out_trade_no.clone(),
            total_amount,
            subject,
            status: TradeStatus::WaitBuyerPay,
            product_code: text_owned(params, "product_code").or(Some(default_product.into())),
            buyer_user_id: text_owned(params, "buyer_id"),
            buyer_logon_id: text_owned(params, "buyer_logon_id"),
            created_at: now,
            paid_at: None,
            refunds: Vec::new(),
            notify_url: text_owned(params, "notify_url"),
            return_url: text_owned(params, "return_url"),
            passback_params: text_owned(params, "passback_params"),
            reversed: false,
            waiting: Waiting::Manual,
        };
        self.by_trade_no.insert(trade_no, out_trade_no.clone());
        self.by_out.insert(out_trade_no.clone(), trade);
        Ok(out_trade_no)
    }

    /// `alipay.trade.create`: a trade waiting for the buyer (`WAIT_BUYER_PAY`).
    pub fn create(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let key = self.insert_new(params, now, "JSAPI_PAY")?;
        let mut f = Fields::new();
        if let Some(t) = self.by_out.get(&key) {
            t.keys(&mut f);
        }
        Ok(Reply::ok(f))
    }

    /// `alipay.trade.precreate`: like create, plus a QR code for the buyer to scan.
    pub fn precreate(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let key = self.insert_new(params, now, "FACE_TO_FACE_PAYMENT")?;
        let mut f = Fields::new();
        if let Some(t) = self.by_out.get(&key) {
            f.insert("out_trade_no".into(), t.out_trade_no.clone().into());
            f.insert(
                "qr_code".into(),
                format!("https://qr.alipay.com/emu{}", t.trade_no).into(),
            );
        }
        Ok(Reply::ok(f))
    }

    /// A client-executed payment (page / wap / app pay) arriving at the cashier: a trade
    /// waiting for the buyer, with its `notify_url` and `return_url`.
    pub fn checkout(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let key = self.insert_new(params, now, "FAST_INSTANT_TRADE_PAY")?;
        let trade = self.by_out.get_mut(&key).ok_or_else(not_exist)?;
        if trade.return_url.is_none() {
            trade.return_url = text_owned(params, "return_url");
        }
        if trade.notify_url.is_none() {
            trade.notify_url = text_owned(params, "notify_url");
        }
        let mut f = Fields::new();
        trade.keys(&mut f);
        f.insert("total_amount".into(), trade.total_amount.to_string().into());
        f.insert("subject".into(), trade.subject.clone().into());
        Ok(Reply::ok(f))
    }

    /// `alipay.trade.pay` (barcode): see the module docs for the `auth_code` convention.
    pub fn pay(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let auth_code = required(params, "auth_code")?;
        if auth_code.starts_with("97") {
            return Err(BizError::business(
                "ACQ.PAYMENT_AUTH_CODE_INVALID",
                "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款",
            ));
        }
        if auth_code.starts_with("96") {
            return Err(BizError::business(
                "ACQ.BUYER_BALANCE_NOT_ENOUGH",
                "买家余额不足",
            ));
        }
        let key = self.insert_new(params, now, "FACE_TO_FACE_PAYMENT")?;
        let Some(trade) = self.by_out.get_mut(&key) else {
            return Err(not_exist());
        };
        let waiting = if auth_code.starts_with("99") {
            Some(Waiting::PayOnQuery)
        } else if auth_code.starts_with("98") {
            Some(Waiting::Manual)
        } else {
            None
        };
        match waiting {
            Some(w) => {
                trade.waiting = w;
                let mut f = Fields::new();
                trade.keys(&mut f);
                f.insert("total_amount".into(), trade.total_amount.to_string().into());
                Ok(Reply {
                    waiting: true,
                    fields: f,
                })
            }
            None => {
                let buyer = text_owned(params, "buyer_id");
                self.mark_paid(&key, buyer, now);
                let Some(trade) = self.by_out.get(&key) else {
                    return Err(not_exist());
                };
                let mut f = Fields::new();
                trade.keys(&mut f);
                trade.buyer(&mut f);
                let total = trade.total_amount.to_string();
                f.insert("total_amount".into(), total.clone().into());
                f.insert("receipt_amount".into(), total.clone().into());
                f.insert("buyer_pay_amount".into(), total.into());
                put(&mut f, "gmt_payment", trade.paid_at.map(beijing));
                f.insert(
                    "fund_bill_list".into(),
                    serde_json::json!([{"fund_channel": "ALIPAYACCOUNT", "amount": trade.total_amount.to_string()}]),
                );
                Ok(Reply::ok(f))
            }
        }
    }

    fn mark_paid(&mut self, key: &str, buyer: Option<String>, now: OffsetDateTime) {
        let Some(trade) = self.by_out.get_mut(key) else {
            return;
        };
        trade.status = TradeStatus::TradeSuccess;
        trade.paid_at = Some(now);
        trade.waiting = Waiting::Manual;
        if let Some(b) = buyer {
            trade.buyer_user_id = Some(b);
        }
        if trade.buyer_user_id.is_none() {
            trade.buyer_user_id = Some(DEFAULT_BUYER_ID.into());
        }
        if trade.buyer_logon_id.is_none() {
            trade.buyer_logon_id = Some(DEFAULT_BUYER_LOGON_ID.into());
        }
        let trade = trade.clone();
        self.notify(&trade, None, now);
    }

    fn notify(&mut self, trade: &Trade, refund: Option<&Refund>, now: OffsetDateTime) {
        let Some(url) = trade.notify_url.clone() else {
            return;
        };
        let mut p = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            p.insert(k.to_owned(), v);
        };
        set("notify_type", "trade_status_sync".into());
        set("notify_time", beijing(now));
        set("trade_no", trade.trade_no.clone());
        set("out_trade_no", trade.out_trade_no.clone());
        set("trade_status", trade.status.as_str().into());
        set("total_amount", trade.total_amount.to_string());
        set("subject", trade.subject.clone());
        set("gmt_create", beijing(trade.created_at));
        set("seller_id", SELLER_ID.into());
        if let Some(p) = &trade.passback_params {
            set("passback_params", p.clone());
        }
        if let Some(paid) = trade.paid_at {
            set("gmt_payment", beijing(paid));
            set("receipt_amount", trade.total_amount.to_string());
            set("invoice_amount", trade.total_amount.to_string());
            set("buyer_pay_amount", trade.total_amount.to_string());
            set("point_amount", "0.00".into());
            set(
                "fund_bill_list",
                format!(
                    "[{{\"amount\":\"{}\",\"fundChannel\":\"ALIPAYACCOUNT\"}}]",
                    trade.total_amount
                ),
            );
        }
        if let Some(b) = &trade.buyer_user_id {
            set("buyer_id", b.clone());
        }
        if let Some(b) = &trade.buyer_logon_id {
            set("buyer_logon_id", b.clone());
        }
        if let Some(r) = refund {
            set("out_biz_no", r.out_request_no.clone());
            set("refund_fee", trade.refunded().to_string());
            set("gmt_refund", beijing(r.at));
        }
        if trade.status == TradeStatus::TradeClosed && trade.paid_at.is_some() {
            set("gmt_close", beijing(now));
        }
        self.notices.push(Notice {
            notify_url: url,
            params: p,
        });
    }

    /// `alipay.trade.query`.
    pub fn query(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let key = self.key_of(params)?;
        if self.by_out.get(&key).is_some_and(|t| {
            t.status == TradeStatus::WaitBuyerPay && t.waiting == Waiting::PayOnQuery
        }) {
            self.mark_paid(&key, None, now);
        }
        let trade = self.by_out.get(&key).ok_or_else(not_exist)?;
        let mut f = Fields::new();
        trade.keys(&mut f);
        f.insert("trade_status".into(), trade.status.as_str().into());
        f.insert("total_amount".into(), trade.total_amount.to_string().into());
        f.insert("subject".into(), trade.subject.clone().into());
        if let Some(paid) = trade.paid_at {
            trade.buyer(&mut f);
            let total = trade.total_amount.to_string();
            f.insert("buyer_pay_amount".into(), total.clone().into());
            f.insert("receipt_amount".into(), total.clone().into());
            f.insert("invoice_amount".into(), total.into());
            f.insert("send_pay_date".into(), beijing(paid).into());
        }
        Ok(Reply::ok(f))
    }

    /// `alipay.trade.refund`: partial or full, idempotent by `out_request_no` (defaults to
    /// `out_trade_no`), never more in total than was paid. A full refund closes the trade.
    pub fn refund(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let key = self.key_of(params)?;
        let refund_amount = amount(params, "refund_amount")?;
        let trade = self.by_out.get_mut(&key).ok_or_else(not_exist)?;
        let request_no = text_owned(params, "out_request_no").unwrap_or_else(|| key.clone());

        let reply = |trade: &Trade, fund_change: bool, at: OffsetDateTime| {
            let mut f = Fields::new();
            trade.keys(&mut f);
            trade.buyer(&mut f);
            f.insert(
                "fund_change".into(),
                if fund_change { "Y" } else { "N" }.into(),
            );
            f.insert("refund_fee".into(), trade.refunded().to_string().into());
            f.insert("send_back_fee".into(), refund_amount.to_string().into());
            f.insert("gmt_refund_pay".into(), beijing(at).into());
            Reply::ok(f)
        };

        if let Some(done) = trade
            .refunds
            .iter()
            .find(|r| r.out_request_no == request_no)
        {
            if done.amount != refund_amount {
                return Err(BizError::business(
                    "ACQ.DISCORDANT_REPEAT_REQUEST",
                    "同一笔退款请求号的退款金额与之前不一致",
                ));
            }
            let at = done.at;
            return Ok(reply(trade, false, at));
        }
        match trade.status {
            TradeStatus::TradeSuccess => {}
            TradeStatus::WaitBuyerPay => {
                return Err(BizError::business(
                    "ACQ.TRADE_STATUS_ERROR",
                    "交易状态不合法",
                ))
            }
            TradeStatus::TradeClosed => {
                return Err(BizError::business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"))
            }
            TradeStatus::TradeFinished => {
                return Err(BizError::business("ACQ.TRADE_HAS_FINISHED", "交易已完结"))
            }
        }
        let remaining = trade
            .total_amount
            .checked_sub(trade.refunded())
            .unwrap_or(Money::ZERO);
        if refund_amount > remaining {
            return Err(BizError::business(
                "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                "退款金额超限",
            ));
        }
        let refund = Refund {
            out_request_no: request_no,
            amount: refund_amount,
            reason: text_owned(params, "refund_reason"),
            at: now,
        };
        trade.refunds.push(refund.clone());
        if trade.refunded() == trade.total_amount {
            trade.status = TradeStatus::TradeClosed;
        }
        let snapshot = trade.clone();
        self.notify(&snapshot, Some(&refund), now);
        Ok(reply(&snapshot, true, now))
    }

    /// `alipay.trade.close`: only a trade still waiting for the buyer can be closed.
    pub fn close(&mut self, params: &Map<String, Value>, _now: OffsetDateTime) -> Outcome {
        let key = self.key_of(params)?;
        let trade = self.by_out.get_mut(&key).ok_or_else(not_exist)?;
        if trade.status != TradeStatus::WaitBuyerPay {
            return Err(BizError::business(
                "ACQ.TRADE_STATUS_ERROR",
                "交易状态不合法",
            ));
        }
        trade.status = TradeStatus::TradeClosed;
        let mut f = Fields::new();
        trade.keys(&mut f);
        Ok(Reply::ok(f))
    }

    /// `alipay.trade.cancel`: closes an unpaid trade (`action=close`) or reverses a paid one,
    /// refunding what is left (`action=refund`). Repeating a cancel repeats its answer.
    pub fn cancel(&mut self, params: &Map<String, Value>, now: OffsetDateTime) -> Outcome {
        let key = self.key_of(params)?;
        let trade = self.by_out.get_mut(&key).ok_or_else(not_exist)?;
        let action = match trade.status {
            TradeStatus::WaitBuyerPay => {
                trade.status = TradeStatus::TradeClosed;
                "close"
            }
            TradeStatus::TradeSuccess => {
                let remaining = trade
                    .total_amount
                    .checked_sub(trade.refunded())
                    .unwrap_or(Money::ZERO);
                if !remaining.is_zero() {
                    trade.refunds.push(Refund {
                        out_request_no: format!("cancel-{}", trade.out_trade_no),
                        amount: remaining,
                        reason: Some("cancel".into()),
                        at: now,
                    });
                }
                trade.status = TradeStatus::TradeClosed;
                trade.reversed = true;
                "refund"
            }
            TradeStatus::TradeClosed if trade.reversed => "refund",
            TradeStatus::TradeClosed if trade.paid_at.is_none() => "close",
            TradeStatus::TradeClosed => {
                return Err(BizError::business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"))
            }
            TradeStatus::TradeFinished => {
                return Err(BizError::business("ACQ.TRADE_HAS_FINISHED", "交易已完结"))
            }
        };
        let mut f = Fields::new();
        trade.keys(&mut f);
        f.insert("retry_flag".into(), "N".into());
        f.insert("action".into(), action.into());
        if action == "refund" {
            let at = trade.refunds.last().map(|r| r.at).unwrap_or(now);
            f.insert("gmt_refund_pay".into(), beijing(at).into());
        }
        Ok(Reply::ok(f))
    }

    fn waiting_trade(&mut self, out_trade_no: &str) -> Result<&mut Trade, ControlError> {
        let trade = self
            .by_out
            .get_mut(out_trade_no)
            .ok_or_else(|| ControlError::NotFound(out_trade_no.into()))?;
        if trade.status != TradeStatus::WaitBuyerPay {
            return Err(ControlError::WrongStatus {
                out_trade_no: out_trade_no.into(),
                status: trade.status.as_str(),
                expected: "WAIT_BUYER_PAY",
            });
        }
        Ok(trade)
    }

    /// Control API: the buyer pays a waiting trade.
    pub fn buyer_pays(
        &mut self,
        out_trade_no: &str,
        buyer_id: Option<String>,
        now: OffsetDateTime,
    ) -> Result<&Trade, ControlError> {
        self.waiting_trade(out_trade_no)?;
        self.mark_paid(out_trade_no, buyer_id, now);
        self.by_out
            .get(out_trade_no)
            .ok_or_else(|| ControlError::NotFound(out_trade_no.into()))
    }

    /// Control API: a waiting trade times out (`TRADE_CLOSED`).
    pub fn time_out(&mut self, out_trade_no: &str) -> Result<&Trade, ControlError> {
        let trade = self.waiting_trade(out_trade_no)?;
        trade.status = TradeStatus::TradeClosed;
        Ok(trade)
    }

    /// Control API: a paid trade passes its refund period (`TRADE_FINISHED`).
    pub fn finish(&mut self, out_trade_no: &str) -> Result<&Trade, ControlError> {
        let trade = self
            .by_out
            .get_mut(out_trade_no)
            .ok_or_else(|| ControlError::NotFound(out_trade_no.into()))?;
        if trade.status != TradeStatus::TradeSuccess {
            return Err(ControlError::WrongStatus {
                out_trade_no: out_trade_no.into(),
                status: trade.status.as_str(),
                expected: "TRADE_SUCCESS",
            });
        }
        trade.status = TradeStatus::TradeFinished;
        Ok(trade)
    }
}

fn beijing_date(now: OffsetDateTime) -> String {
    beijing(now)
        .get(..10)
        .unwrap_or("2024-01-01")
        .replace('-', "")
}

#[cfg(test)]
mod tests {
    use super::super::obj;
    use super::*;
    use serde_json::json;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2024-06-01 04:34:56 UTC)
    }

    fn create(t: &mut Trades, out: &str, amount: &str) -> Reply {
        t.create(
            &obj(json!({"out_trade_no": out, "total_amount": amount, "subject": "Iphone6 16G"})),
            now(),
        )
        .unwrap()
    }

    fn sub_code(o: Outcome) -> String {
        o.unwrap_err().sub_code
    }

    fn q(t: &mut Trades, out: &str) -> Fields {
        t.query(&obj(json!({ "out_trade_no": out })), now())
            .unwrap()
            .fields
    }

    #[test]
    fn create_then_buyer_pays_then_query() {
        let mut t = Trades::default();
        let r = create(&mut t, "o1", "88.88");
        let trade_no = r.fields["trade_no"].as_str().unwrap().to_owned();
        assert_eq!(trade_no, "2024060122001000000000000001");
        assert_eq!(q(&mut t, "o1")["trade_status"], "WAIT_BUYER_PAY");
        assert!(q(&mut t, "o1").get("buyer_user_id").is_none());
        t.buyer_pays("o1", None, now()).unwrap();
        let f = t
            .query(&obj(json!({ "trade_no": trade_no })), now())
            .unwrap()
            .fields;
        assert_eq!(f["trade_status"], "TRADE_SUCCESS");
        assert_eq!(f["buyer_user_id"], DEFAULT_BUYER_ID);
        assert_eq!(f["send_pay_date"], "2024-06-01 12:34:56");
        assert_eq!(
            t.buyer_pays("o1", None, now()).unwrap_err(),
            ControlError::WrongStatus {
                out_trade_no: "o1".into(),
                status: "TRADE_SUCCESS",
                expected: "WAIT_BUYER_PAY"
            }
        );
    }

    #[test]
    fn create_is_idempotent_and_guards_context() {
        let mut t = Trades::default();
        let a = create(&mut t, "o1", "1.00");
        let b = create(&mut t, "o1", "1.00");
        assert_eq!(a, b);
        assert_eq!(t.len(), 1);
        let p =
            obj(json!({"out_trade_no": "o1", "total_amount": "2.00", "subject": "Iphone6 16G"}));
        assert_eq!(sub_code(t.create(&p, now())), "ACQ.CONTEXT_INCONSISTENT");
        t.buyer_pays("o1", None, now()).unwrap();
        assert_eq!(sub_code(t.create(&p, now())), "ACQ.TRADE_HAS_SUCCESS");
    }

    #[test]
    fn bad_amounts_are_rejected() {
        let mut t = Trades::default();
        for a in ["0", "0.00", "1.001", "-1", "abc"] {
            let p = obj(json!({"out_trade_no": "o", "total_amount": a, "subject": "s"}));
            assert_eq!(
                sub_code(t.create(&p, now())),
                "ACQ.INVALID_PARAMETER",
                "{a}"
            );
        }
        assert!(t.is_empty());
    }

    #[test]
    fn precreate_gives_a_qr_code_and_times_out() {
        let mut t = Trades::default();
        let p = obj(json!({"out_trade_no": "o2", "total_amount": "5", "subject": "s"}));
        let f = t.precreate(&p, now()).unwrap().fields;
        assert!(f["qr_code"]
            .as_str()
            .unwrap()
            .starts_with("https://qr.alipay.com/"));
        t.time_out("o2").unwrap();
        assert_eq!(q(&mut t, "o2")["trade_status"], "TRADE_CLOSED");
        assert!(matches!(
            t.time_out("o2"),
            Err(ControlError::WrongStatus { .. })
        ));
        assert_eq!(
            t.time_out("nope").unwrap_err(),
            ControlError::NotFound("nope".into())
        );
    }

    fn pay(t: &mut Trades, out: &str, code: &str) -> Outcome {
        t.pay(
            &obj(
                json!({"out_trade_no": out, "total_amount": "10.00", "subject": "s",
                        "auth_code": code, "scene": "bar_code"}),
            ),
            now(),
        )
    }

    #[test]
    fn barcode_pay_conventions() {
        let mut t = Trades::default();
        let r = pay(&mut t, "p1", "287951669891795468").unwrap();
        assert!(!r.waiting);
        assert_eq!(r.fields["gmt_payment"], "2024-06-01 12:34:56");
        assert_eq!(q(&mut t, "p1")["trade_status"], "TRADE_SUCCESS");
        assert_eq!(
            sub_code(pay(&mut t, "p1", "287951669891795468")),
            "ACQ.TRADE_HAS_SUCCESS"
        );

        let r = pay(&mut t, "p2", "990000000000000001").unwrap();
        assert!(r.waiting);
        assert_eq!(q(&mut t, "p2")["trade_status"], "TRADE_SUCCESS");

        assert!(pay(&mut t, "p3", "980000000000000001").unwrap().waiting);
        assert_eq!(q(&mut t, "p3")["trade_status"], "WAIT_BUYER_PAY");
        assert_eq!(q(&mut t, "p3")["trade_status"], "WAIT_BUYER_PAY");
        t.buyer_pays("p3", Some("2088000000000009".into()), now())
            .unwrap();
        assert_eq!(q(&mut t, "p3")["buyer_user_id"], "2088000000000009");

        assert_eq!(
            sub_code(pay(&mut t, "p4", "970000000000000001")),
            "ACQ.PAYMENT_AUTH_CODE_INVALID"
        );
        assert_eq!(
            sub_code(pay(&mut t, "p5", "960000000000000001")),
            "ACQ.BUYER_BALANCE_NOT_ENOUGH"
        );
        assert!(t.get("p4").is_none() && t.get("p5").is_none());
    }

    #[test]
    fn pay_of_created_trade_and_closed_trade() {
        let mut t = Trades::default();
        t.create(
            &obj(json!({"out_trade_no": "c1", "total_amount": "10.00", "subject": "s"})),
            now(),
        )
        .unwrap();
        assert!(!pay(&mut t, "c1", "281").unwrap().waiting);
        create(&mut t, "c2", "10.00");
        t.time_out("c2").unwrap();
        assert_eq!(sub_code(pay(&mut t, "c2", "281")), "ACQ.TRADE_HAS_CLOSE");
    }

    fn refund(t: &mut Trades, out: &str, amount: &str, req: Option<&str>) -> Outcome {
        let mut p = obj(json!({"out_trade_no": out, "refund_amount": amount}));
        if let Some(r) = req {
            p.insert("out_request_no".into(), r.into());
        }
        t.refund(&p, now())
    }

    #[test]
    fn refunds_partial_full_idempotent_and_capped() {
        let mut t = Trades::default();
        pay(&mut t, "r1", "281").unwrap();
        let f = refund(&mut t, "r1", "3.00", Some("a")).unwrap().fields;
        assert_eq!(
            (f["fund_change"].as_str(), f["refund_fee"].as_str()),
            (Some("Y"), Some("3.00"))
        );
        // Same request again: same answer, no money moves.
        let f = refund(&mut t, "r1", "3.00", Some("a")).unwrap().fields;
        assert_eq!(
            (f["fund_change"].as_str(), f["refund_fee"].as_str()),
            (Some("N"), Some("3.00"))
        );
        assert_eq!(
            sub_code(refund(&mut t, "r1", "4.00", Some("a"))),
            "ACQ.DISCORDANT_REPEAT_REQUEST"
        );
        // More than what is left.
        assert_eq!(
            sub_code(refund(&mut t, "r1", "7.01", Some("b"))),
            "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
        );
        let f = refund(&mut t, "r1", "7.00", Some("b")).unwrap().fields;
        assert_eq!(f["refund_fee"], "10.00");
        assert_eq!(q(&mut t, "r1")["trade_status"], "TRADE_CLOSED");
        assert_eq!(
            sub_code(refund(&mut t, "r1", "0.01", Some("c"))),
            "ACQ.TRADE_HAS_CLOSE"
        );
        assert_eq!(t.get("r1").unwrap().refunded(), Money::from_fen(1000));
        // Full refund without out_request_no uses out_trade_no.
        pay(&mut t, "r2", "281").unwrap();
        refund(&mut t, "r2", "10.00", None).unwrap();
        assert_eq!(t.get("r2").unwrap().refunds[0].out_request_no, "r2");
    }

    #[test]
    fn refund_errors() {
        let mut t = Trades::default();
        assert_eq!(
            sub_code(refund(&mut t, "none", "1", None)),
            "ACQ.TRADE_NOT_EXIST"
        );
        create(&mut t, "w", "1");
        assert_eq!(
            sub_code(refund(&mut t, "w", "1", None)),
            "ACQ.TRADE_STATUS_ERROR"
        );
        pay(&mut t, "f", "281").unwrap();
        t.finish("f").unwrap();
        assert_eq!(
            sub_code(refund(&mut t, "f", "1", None)),
            "ACQ.TRADE_HAS_FINISHED"
        );
        assert_eq!(
            sub_code(refund(&mut t, "f", "0", None)),
            "ACQ.INVALID_PARAMETER"
        );
    }

    #[test]
    fn close_only_unpaid() {
        let mut t = Trades::default();
        create(&mut t, "a", "1");
        let f = t
            .close(&obj(json!({"out_trade_no": "a"})), now())
            .unwrap()
            .fields;
        assert_eq!(f["out_trade_no"], "a");
        assert_eq!(q(&mut t, "a")["trade_status"], "TRADE_CLOSED");
        assert_eq!(
            sub_code(t.close(&obj(json!({"out_trade_no": "a"})), now())),
            "ACQ.TRADE_STATUS_ERROR"
        );
        pay(&mut t, "b", "281").unwrap();
        assert_eq!(
            sub_code(t.close(&obj(json!({"out_trade_no": "b"})), now())),
            "ACQ.TRADE_STATUS_ERROR"
        );
        assert_eq!(
            sub_code(t.close(&obj(json!({"out_trade_no": "c"})), now())),
            "ACQ.TRADE_NOT_EXIST"
        );
        assert_eq!(
            sub_code(t.close(&obj(json!({})), now())),
            "ACQ.INVALID_PARAMETER"
        );
    }

    #[test]
    fn cancel_closes_or_reverses() {
        let mut t = Trades::default();
        create(&mut t, "a", "1");
        let f = t
            .cancel(&obj(json!({"out_trade_no": "a"})), now())
            .unwrap()
            .fields;
        assert_eq!(f["action"], "close");
        assert_eq!(
            t.cancel(&obj(json!({"out_trade_no": "a"})), now())
                .unwrap()
                .fields["action"],
            "close"
        );
        pay(&mut t, "b", "281").unwrap();
        refund(&mut t, "b", "4.00", Some("x")).unwrap();
        let f = t
            .cancel(&obj(json!({"out_trade_no": "b"})), now())
            .unwrap()
            .fields;
        assert_eq!(f["action"], "refund");
        let b = t.get("b").unwrap();
        assert_eq!(
            (b.status, b.refunded()),
            (TradeStatus::TradeClosed, Money::from_fen(1000))
        );
        assert_eq!(
            t.cancel(&obj(json!({"out_trade_no": "b"})), now())
                .unwrap()
                .fields["action"],
            "refund"
        );
        assert_eq!(
            sub_code(t.cancel(&obj(json!({"out_trade_no": "zz"})), now())),
            "ACQ.TRADE_NOT_EXIST"
        );
    }

    #[test]
    fn trade_no_and_out_trade_no_must_agree() {
        let mut t = Trades::default();
        let a = create(&mut t, "a", "1").fields["trade_no"].clone();
        create(&mut t, "b", "1");
        let p = obj(json!({"trade_no": a, "out_trade_no": "b"}));
        assert_eq!(sub_code(t.query(&p, now())), "ACQ.TRADE_NOT_EXIST");
        let p = obj(json!({"trade_no": "999"}));
        assert_eq!(sub_code(t.query(&p, now())), "ACQ.TRADE_NOT_EXIST");
    }

    #[test]
    fn notices_for_paid_and_refunded_trades_with_notify_url() {
        let mut t = Trades::default();
        let p = obj(
            json!({"out_trade_no": "n", "total_amount": "2.00", "subject": "s",
                           "notify_url": "http://127.0.0.1:1/notify"}),
        );
        t.create(&p, now()).unwrap();
        assert!(t.take_notices().is_empty());
        t.buyer_pays("n", None, now()).unwrap();
        refund(&mut t, "n", "1.00", Some("r")).unwrap();
        let n = t.take_notices();
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].params["trade_status"], "TRADE_SUCCESS");
        assert_eq!(n[1].params["refund_fee"], "1.00");
        assert_eq!(n[1].params["out_biz_no"], "r");
        assert_eq!(n[0].params["seller_id"], SELLER_ID);
        assert!(t.take_notices().is_empty());
        // No notify_url, no notice.
        pay(&mut t, "m", "281").unwrap();
        assert!(t.take_notices().is_empty());
    }
}

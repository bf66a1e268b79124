//! The cashier of client-executed payments: the buyer's browser brings a signed page / wap
//! pay request to `gateway.do` (GET URL or auto-submitted form), or the buyer's app brings an
//! app pay order string to `POST /__emulator/app-pay`.
//!
//! The request is checked like any v2 call (signature, timestamp, app id, spec), a trade
//! waiting for the buyer is created with its `notify_url` and `return_url`, and the cashier
//! page offers a "pay" button (`POST /__emulator/cashier/{out_trade_no}/pay`). Paying sends the
//! notification and redirects the browser to `return_url` with signed return parameters
//! (rule V1, like notifications).

use crate::domain::{BizError, Reply};
use crate::server::{lock, Shared};
use crate::v2::{self, Params};
use crate::wire::{self, Body};
use alipay_runtime::checkout::html_escape;
use alipay_runtime::keys::SignType;
use alipay_runtime::notify::{string_to_verify, NotifyRule};
use http::Response;
use serde_json::{json, Value};
use std::time::SystemTime;

fn checked(
    shared: &Shared,
    params: &Params,
    method: &str,
    now: SystemTime,
) -> Result<Reply, BizError> {
    let op = shared.catalog.client_executed(method).ok_or_else(|| {
        BizError::invalid("isv.invalid-method", format!("不存在的方法名: {method}"))
    })?;
    v2::check_common(shared, params, now)?;
    let (business, text_fields) = v2::business_params(shared, params)?;
    let text: Vec<&str> = text_fields.iter().map(String::as_str).collect();
    shared.catalog.validate(op, &business, &text)?;
    let t = time::OffsetDateTime::from(now);
    lock(&shared.state).trades.checkout(&business, t)
}

fn error_page(e: &BizError) -> Response<Body> {
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Alipay emulator: error</title></head>\
         <body><h1>{}</h1><p>code <code>{}</code> sub_code <code id=\"sub_code\">{}</code></p><p>{}</p></body></html>",
        html_escape(e.msg),
        html_escape(e.code),
        html_escape(&e.sub_code),
        html_escape(&e.sub_msg)
    );
    wire::respond(400, "text/html;charset=utf-8", html)
}

/// A page / wap pay request arriving at `gateway.do`: the cashier page, or an error page.
pub fn page(shared: &Shared, params: &Params, method: &str, now: SystemTime) -> Response<Body> {
    let reply = match checked(shared, params, method, now) {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let field = |k: &str| reply.fields.get(k).and_then(Value::as_str).unwrap_or("");
    let out = field("out_trade_no");
    let action = format!(
        "/__emulator/cashier/{}/pay",
        percent_encoding::utf8_percent_encode(out, percent_encoding::NON_ALPHANUMERIC)
    );
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Alipay emulator cashier</title></head><body>\
         <h1>Alipay emulator cashier</h1>\
         <dl><dt>out_trade_no</dt><dd id=\"out_trade_no\">{}</dd><dt>trade_no</dt><dd id=\"trade_no\">{}</dd>\
         <dt>subject</dt><dd>{}</dd><dt>total_amount</dt><dd id=\"total_amount\">{}</dd></dl>\
         <form method=\"post\" action=\"{}\"><button type=\"submit\" id=\"pay\">Pay</button></form>\
         </body></html>",
        html_escape(out),
        html_escape(field("trade_no")),
        html_escape(field("subject")),
        html_escape(field("total_amount")),
        html_escape(&action)
    );
    wire::respond(200, "text/html;charset=utf-8", html)
}

/// The signed parameters of a `return_url` redirect.
pub fn return_params(
    shared: &Shared,
    method: &str,
    trade: &Value,
    now: SystemTime,
) -> Vec<(String, String)> {
    let id = &shared.identity;
    let field = |k: &str| {
        trade
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut params: Vec<(String, String)> = vec![
        ("app_id".into(), id.app_id.clone()),
        ("auth_app_id".into(), id.app_id.clone()),
        ("charset".into(), "utf-8".into()),
        ("method".into(), format!("{method}.return")),
        ("out_trade_no".into(), field("out_trade_no")),
        ("trade_no".into(), field("trade_no")),
        ("total_amount".into(), field("total_amount")),
        ("seller_id".into(), crate::domain::trade::SELLER_ID.into()),
        (
            "timestamp".into(),
            alipay_runtime::v2::beijing_timestamp(now),
        ),
        ("version".into(), "1.0".into()),
        ("sign_type".into(), "RSA2".into()),
    ];
    params.sort();
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sign = id
        .alipay
        .key
        .sign(
            SignType::Rsa2,
            string_to_verify(&pairs, NotifyRule::V1).as_bytes(),
        )
        .unwrap_or_default();
    params.push(("sign".into(), sign));
    params
}

/// `POST /__emulator/cashier/{out_trade_no}/pay`: the buyer pays at the cashier; redirect to
/// `return_url` with signed parameters (or a plain page without one).
pub fn pay(shared: &Shared, out_trade_no: &str) -> Response<Body> {
    let now = SystemTime::now();
    let t = time::OffsetDateTime::from(now);
    let (result, notices) = {
        let mut state = lock(&shared.state);
        let r = state
            .trades
            .buyer_pays(out_trade_no, None, t)
            .map(|t| (t.to_json(), t.return_url.clone(), t.product_code.clone()));
        (r, state.trades.take_notices())
    };
    shared.notifier.send_all(&shared.identity, notices);
    let (trade, return_url, product) = match result {
        Ok(r) => r,
        Err(e) => {
            let status = match e {
                crate::ControlError::NotFound(_) => 404,
                _ => 409,
            };
            return wire::respond(status, "text/plain;charset=utf-8", e.to_string());
        }
    };
    let method = match product.as_deref() {
        Some("QUICK_WAP_WAY") => "alipay.trade.wap.pay",
        _ => "alipay.trade.page.pay",
    };
    match return_url {
        Some(url) => {
            let params = return_params(shared, method, &trade, now);
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let sep = if url.contains('?') { '&' } else { '?' };
            let location = format!("{url}{sep}{}", alipay_runtime::v2::form_encode(&pairs));
            let mut r = wire::respond(302, "text/plain", "");
            if let Ok(v) = http::HeaderValue::from_str(&location) {
                r.headers_mut().insert(http::header::LOCATION, v);
            }
            r
        }
        None => wire::respond(200, "text/html;charset=utf-8", "<!DOCTYPE html><p>paid</p>"),
    }
}

/// `POST /__emulator/app-pay` with an app pay order string as the body: checked like the
/// mobile Alipay app would, the trade is created and paid at once. Answers like the app SDK:
/// `{"resultStatus":"9000","result":"<signed response>"}`, or `4000` with the error.
pub fn app_pay(shared: &Shared, order_string: &[u8]) -> Response<Body> {
    let now = SystemTime::now();
    let text = String::from_utf8_lossy(order_string);
    let params = alipay_runtime::v2::form_decode(text.trim());
    let method = v2::get(&params, "method").unwrap_or("").to_owned();
    let reply = checked(shared, &params, &method, now).and_then(|reply| {
        let out = reply
            .fields
            .get("out_trade_no")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let t = time::OffsetDateTime::from(now);
        let (paid, notices) = {
            let mut state = lock(&shared.state);
            let r = state.trades.buyer_pays(&out, None, t).map(|t| t.to_json());
            (r, state.trades.take_notices())
        };
        shared.notifier.send_all(&shared.identity, notices);
        paid.map_err(|e| BizError::business("ACQ.TRADE_STATUS_ERROR", e.to_string()))
    });
    match reply {
        Ok(trade) => {
            let mut node = serde_json::Map::new();
            node.insert("code".into(), "10000".into());
            node.insert("msg".into(), "Success".into());
            for k in ["out_trade_no", "trade_no", "total_amount"] {
                if let Some(v) = trade.get(k) {
                    node.insert(k.into(), v.clone());
                }
            }
            node.insert("seller_id".into(), crate::domain::trade::SELLER_ID.into());
            node.insert("charset".into(), "utf-8".into());
            node.insert(
                "timestamp".into(),
                alipay_runtime::v2::beijing_timestamp(now).into(),
            );
            let node = Value::Object(node).to_string();
            let sign = shared
                .identity
                .alipay
                .key
                .sign(SignType::Rsa2, node.as_bytes())
                .unwrap_or_default();
            let result = format!(
                "{{\"alipay_trade_app_pay_response\":{node},\"sign\":\"{sign}\",\"sign_type\":\"RSA2\"}}"
            );
            wire::json(
                200,
                &json!({"resultStatus": "9000", "memo": "", "result": result}),
            )
        }
        Err(e) => wire::json(
            200,
            &json!({"resultStatus": "4000", "memo": format!("{} {}", e.sub_code, e.sub_msg), "result": ""}),
        ),
    }
}

//! The control API under `/__emulator/` (JSON in, JSON out; not signed):
//!
//! | request | effect |
//! | --- | --- |
//! | `GET /__emulator/health` | `{"ok":true}` |
//! | `GET /__emulator/trades` | every trade |
//! | `GET /__emulator/trades/{out_trade_no}` | one trade |
//! | `POST /__emulator/trades/{out_trade_no}/pay` (body optional: `{"buyer_id":"2088…"}`) | the buyer pays a `WAIT_BUYER_PAY` trade |
//! | `POST /__emulator/trades/{out_trade_no}/timeout` | a `WAIT_BUYER_PAY` trade times out (`TRADE_CLOSED`) |
//! | `POST /__emulator/trades/{out_trade_no}/finish` | a paid trade passes its refund period (`TRADE_FINISHED`) |
//! | `GET /__emulator/faults` | active fault rules |
//! | `POST /__emulator/faults` (a [`crate::faults::FaultRule`]) | adds a rule, answers `{"id":n}` |
//! | `DELETE /__emulator/faults` / `DELETE /__emulator/faults/{id}` | removes all rules / one rule |
//! | `POST /__emulator/cashier/{out_trade_no}/pay` | the buyer pays at the page / wap cashier; redirects to `return_url` with signed parameters |
//! | `POST /__emulator/app-pay` (body: an app pay order string) | the buyer's app pays: checked, created and paid at once |
//! | `GET /__emulator/notifications` | the notification delivery log |
//! | `POST /__emulator/reset` | fresh seeded state, no fault rules |
//! | `GET /__emulator/keys` | app id, mode, public key and certificates a client needs |
//!
//! Errors: `404 {"error":…}` for an unknown trade or rule, `409` for a transition the trade's
//! status does not allow, `400` for a bad body.

use crate::domain::trade::ControlError;
use crate::domain::State;
use crate::faults::FaultRule;
use crate::identity::test_keys;
use crate::server::{lock, Shared};
use crate::wire::{self, Body};
use http::Response;
use serde_json::{json, Value};
use std::time::SystemTime;

fn err(status: u16, message: impl std::fmt::Display) -> Response<Body> {
    wire::json(status, &json!({ "error": message.to_string() }))
}

fn control_err(e: ControlError) -> Response<Body> {
    match e {
        ControlError::NotFound(_) => err(404, e),
        ControlError::WrongStatus { .. } => err(409, e),
    }
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Handles `/__emulator/<rest>`.
pub fn handle(shared: &Shared, method: &str, rest: &str, body: &[u8]) -> Response<Body> {
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let now = SystemTime::now();
    match (method, parts.as_slice()) {
        ("GET", ["health"]) => wire::json(200, &json!({"ok": true})),
        ("GET", ["trades"]) => {
            let state = lock(&shared.state);
            let all: Vec<Value> = state.trades.iter().map(|t| t.to_json()).collect();
            wire::json(200, &Value::Array(all))
        }
        ("GET", ["trades", out]) => match lock(&shared.state).trades.get(&decode(out)) {
            Some(t) => wire::json(200, &t.to_json()),
            None => err(404, format!("no trade with out_trade_no {}", decode(out))),
        },
        ("POST", ["trades", out, action]) => {
            let out = decode(out);
            let buyer = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("buyer_id").and_then(Value::as_str).map(str::to_owned));
            let t = time::OffsetDateTime::from(now);
            let (result, notices) = {
                let mut state = lock(&shared.state);
                let result = match *action {
                    "pay" => state.trades.buyer_pays(&out, buyer, t).map(|t| t.to_json()),
                    "timeout" => state.trades.time_out(&out).map(|t| t.to_json()),
                    "finish" => state.trades.finish(&out).map(|t| t.to_json()),
                    _ => return err(404, format!("unknown trade action {action}")),
                };
                (result, state.trades.take_notices())
            };
            shared.notifier.send_all(&shared.identity, notices);
            match result {
                Ok(v) => wire::json(200, &v),
                Err(e) => control_err(e),
            }
        }
        ("GET", ["faults"]) => wire::json(200, &json!(lock(&shared.faults).list())),
        ("POST", ["faults"]) => match serde_json::from_slice::<FaultRule>(body) {
            Ok(rule) => {
                let id = lock(&shared.faults).add(rule);
                wire::json(200, &json!({ "id": id }))
            }
            Err(e) => err(400, format!("not a fault rule: {e}")),
        },
        ("DELETE", ["faults"]) => {
            lock(&shared.faults).clear();
            wire::json(200, &json!({"ok": true}))
        }
        ("DELETE", ["faults", id]) => match id.parse::<u64>() {
            Ok(id) if lock(&shared.faults).remove(id) => wire::json(200, &json!({"ok": true})),
            _ => err(404, format!("no fault rule {id}")),
        },
        ("POST", ["cashier", out, "pay"]) => crate::cashier::pay(shared, &decode(out)),
        ("POST", ["app-pay"]) => crate::cashier::app_pay(shared, body),
        ("GET", ["notifications"]) => wire::json(200, &json!(shared.notifier.deliveries())),
        ("POST", ["reset"]) => {
            *lock(&shared.state) = State::seeded();
            lock(&shared.faults).clear();
            wire::json(200, &json!({"ok": true}))
        }
        ("GET", ["keys"]) => {
            let id = &shared.identity;
            wire::json(
                200,
                &json!({
                    "app_id": id.app_id,
                    "cert_mode": id.cert_mode(),
                    "alipay_cert_sn": id.alipay.cert.as_ref().map(|c| c.sn.clone()),
                    "alipay_root_cert_sn": id.root_cert_sn,
                    "app_cert_sn": id.app.cert_sn(),
                    "alipay_public_key": id.alipay_public_key,
                    "alipay_cert": id.alipay.cert.as_ref().map(|c| c.pem.clone()),
                    "test_keys_dir": test_keys::DIR,
                }),
            )
        }
        _ => err(
            404,
            format!("unknown control request {method} /__emulator/{rest}"),
        ),
    }
}

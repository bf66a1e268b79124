//! Tracing: spans carry the method, protocol, attempt, status, trace id and latency, and
//! never a key, a token or a signature.

mod client_support;

use alipay_runtime::{CallOptions, Operation, Safety};
use client_support::*;
use serde_json::json;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span, field and event as text.
#[derive(Clone, Default)]
struct Capture {
    log: Arc<Mutex<String>>,
    next: Arc<AtomicU64>,
}

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut log = self.log.lock().unwrap();
        let _ = write!(log, "\nspan {}", attrs.metadata().name());
        attrs.record(&mut Text(&mut log));
        Id::from_u64(self.next.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut log = self.log.lock().unwrap();
        log.push_str("\nrecord");
        values.record(&mut Text(&mut log));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut log = self.log.lock().unwrap();
        log.push_str("\nevent");
        event.record(&mut Text(&mut log));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

static TRADE_QUERY: Operation = op_both(
    "alipay.trade.query",
    Safety::ReadOnly,
    "alipay_trade_query_response",
    "/v3/alipay/trade/query",
);

const TOKEN: &str = "202406BBf0e1d2c3b4a5968778695a4b3c2d1E01";

#[tokio::test]
async fn spans_carry_call_facts_and_no_secrets() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());

    let signer = alipay_signer();
    let server = FakeAlipay::start(move |r, i| match i {
        0 => Answer::new(503, r#"{"code":"SYSTEM_ERROR","message":"busy"}"#),
        1 => Answer::v3_signed(200, r#"{"trade_status":"TRADE_SUCCESS"}"#, &signer, None),
        // The gateway echoes the string it expected to be signed, tokens included.
        _ => {
            let token = r.v2_param("app_auth_token").unwrap_or_default();
            let node = format!(
                r#"{{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错，验签字符串为：app_auth_token={token}&app_id=2021000000000001"}}"#
            );
            Answer::v2_unsigned("alipay_trade_query_response", &node)
        }
    })
    .await;
    let client = client_builder(&server)
        .aes_key(AES_KEY)
        .retry(alipay_runtime::RetryPolicy::default().with_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(2),
        ))
        .build()
        .unwrap();
    let opts = CallOptions::new().app_auth_token(TOKEN).encrypt(true);
    client
        .execute(&TRADE_QUERY, json!({"out_trade_no": "1"}), &opts)
        .await
        .unwrap(); // a plain JSON reply to an encrypted request is taken as plaintext
    let err = client
        .execute(
            &TRADE_QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::new()
                .app_auth_token(TOKEN)
                .protocol(alipay_runtime::Protocol::V2),
        )
        .await
        .unwrap_err();
    // The error a caller may log has the echoed token redacted too.
    assert!(!format!("{err} {err:?}").contains(TOKEN), "{err}");

    let log = capture.log.lock().unwrap().clone();
    for expected in [
        "span alipay.call",
        "method=\"alipay.trade.query\"",
        "protocol=\"v3\"",
        "protocol=\"v2\"",
        "span alipay.attempt",
        "attempt=2",
        "latency_ms=",
        "http_status=200",
        "error=\"service\"",
    ] {
        assert!(log.contains(expected), "{expected} missing in {log}");
    }
    let authorization = server.received()[0]
        .header("authorization")
        .unwrap()
        .to_string();
    let signature = authorization.rsplit_once(",sign=").unwrap().1;
    let key_line = private_key_pem().lines().nth(2).unwrap().to_string();
    for secret in [TOKEN, AES_KEY, signature, &key_line[..30]] {
        assert!(
            !log.contains(secret),
            "a secret leaked into the logs: {log}"
        );
    }
}

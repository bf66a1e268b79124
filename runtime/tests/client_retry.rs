//! Retries, timeouts and transports over loopback HTTP: only what is safe is repeated.
#![cfg(feature = "reqwest")]

mod client_support;

use alipay_runtime::transport::BoxFuture;
use alipay_runtime::{
    CallOptions, Error, Operation, ReqwestTransport, RetryPolicy, Safety, Transport,
    TransportError, TransportErrorKind,
};
use bytes::Bytes;
use client_support::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

static QUERY: Operation = op_both(
    "alipay.trade.query",
    Safety::ReadOnly,
    "alipay_trade_query_response",
    "/v3/alipay/trade/query",
);
static REFUND: Operation = op_both(
    "alipay.trade.refund",
    Safety::Mutating,
    "alipay_trade_refund_response",
    "/v3/alipay/trade/refund",
);

static REFUND_BY_REQUEST_NO: Operation = op_both(
    "alipay.trade.refund",
    Safety::IdempotentBy("out_request_no"),
    "alipay_trade_refund_response",
    "/v3/alipay/trade/refund",
);

fn retrying() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

const V3_503: &str = r#"{"code":"SYSTEM_ERROR","message":"系统繁忙"}"#;

#[tokio::test]
async fn read_only_call_is_retried_after_a_5xx() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, i| {
        if i == 0 {
            Answer::new(503, V3_503)
        } else {
            Answer::v3_signed(200, r#"{"trade_status":"TRADE_SUCCESS"}"#, &signer, None)
        }
    })
    .await;
    let client = client_builder(&server).retry(retrying()).build().unwrap();
    let raw = client
        .execute(
            &QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(raw.attempts, 2);
    let got = server.received();
    assert_eq!(got.len(), 2);
    // Each attempt is signed afresh (new nonce), so replay protection never trips.
    assert_ne!(
        got[0].header("authorization"),
        got[1].header("authorization")
    );
    got[1]
        .verify_v3(&app_public_key(), &got[1].body_text())
        .unwrap();
}

#[tokio::test]
async fn mutating_call_is_not_retried_after_a_5xx() {
    let server = FakeAlipay::start(|_, _| Answer::new(503, V3_503)).await;
    let client = client_builder(&server).retry(retrying()).build().unwrap();
    let err = client
        .execute(
            &REFUND,
            json!({"out_trade_no": "1", "refund_amount": "1.00"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1);
    assert!(err.outcome_unknown(), "{err:?}");
    assert!(!err.is_retry_safe());
    assert!(
        err.to_string().contains("query the operation's state"),
        "{err}"
    );
}

#[tokio::test]
async fn v2_unknown_error_is_retried_only_for_read_only_calls() {
    let signer = alipay_signer();
    let unknown = r#"{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error","sub_msg":"系统繁忙"}"#;
    let server = FakeAlipay::start(move |r, _| {
        let method = r.v2_param("method").unwrap_or_default();
        let key = format!("{}_response", method.replace('.', "_"));
        Answer::v2_signed(&key, unknown, &signer, None)
    })
    .await;
    let client = client_builder(&server)
        .protocol(alipay_runtime::Protocol::V2)
        .retry(retrying())
        .build()
        .unwrap();
    let err = client
        .execute(
            &QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(server.count(), 3, "three attempts in all");
    assert_eq!(err.service_code(), Some("20000"));
    assert!(err.outcome_unknown());

    let err = client
        .execute(
            &REFUND,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(server.count(), 4, "the refund was sent once");
    assert_eq!(err.sub_code(), Some("isp.unknow-error"));
}

#[tokio::test]
async fn business_errors_are_never_retried() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v3_signed(
            400,
            r#"{"code":"INVALID_PARAMETER","message":"x"}"#,
            &signer,
            None,
        )
    })
    .await;
    let client = client_builder(&server).retry(retrying()).build().unwrap();
    client
        .execute(
            &QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1);
}

/// A transport that refuses the first `fail` requests as connect failures, then forwards.
struct Flaky {
    fail: usize,
    calls: Arc<AtomicUsize>,
    inner: ReqwestTransport,
}

impl Transport for Flaky {
    fn send(
        &self,
        request: http::Request<Bytes>,
        timeout: Option<Duration>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n < self.fail {
            return Box::pin(async {
                Err(TransportError::connect(std::io::Error::from(
                    std::io::ErrorKind::ConnectionRefused,
                )))
            });
        }
        self.inner.send(request, timeout)
    }
}

#[tokio::test]
async fn failures_before_the_request_left_are_retried_even_for_mutating_calls() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, _| {
        Answer::v3_signed(200, r#"{"fund_change":"Y"}"#, &signer, None)
    })
    .await;
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client_builder(&server)
        .retry(retrying())
        .transport(Flaky {
            fail: 2,
            calls: calls.clone(),
            inner: ReqwestTransport::new(reqwest::Client::new()),
        })
        .build()
        .unwrap();
    let raw = client
        .execute(
            &REFUND,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(raw.attempts, 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        server.count(),
        1,
        "only the last attempt reached the server"
    );
}

#[tokio::test]
async fn connection_refused_is_a_not_sent_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = alipay_runtime::Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .alipay_public_key(public_key_pem())
        .endpoint(alipay_runtime::Endpoint::custom(
            format!("http://127.0.0.1:{port}/gateway.do"),
            format!("http://127.0.0.1:{port}"),
        ))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = client
        .execute(
            &REFUND,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    match &err {
        Error::Transport { source, .. } => {
            assert_eq!(source.kind(), TransportErrorKind::Connect);
            assert!(!source.maybe_sent());
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retry_safe());
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn attempt_timeout_on_a_mutating_call_is_outcome_unknown_and_not_retried() {
    let server =
        FakeAlipay::start(|_, _| Answer::new(200, "{}").delayed(Duration::from_secs(2))).await;
    let client = client_builder(&server)
        .retry(retrying())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .execute(
            &REFUND,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    // Well before the server's 2 s answer: the 200 ms attempt timeout ended the call.
    assert!(started.elapsed() < Duration::from_millis(1900));
    match &err {
        Error::Transport { source, .. } => {
            assert_eq!(source.kind(), TransportErrorKind::Timeout);
            assert!(source.maybe_sent());
        }
        other => panic!("{other:?}"),
    }
    assert!(err.outcome_unknown());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn timeouts_of_read_only_calls_are_retried_within_the_total_budget() {
    let server =
        FakeAlipay::start(|_, _| Answer::new(200, "{}").delayed(Duration::from_secs(3))).await;
    let client = client_builder(&server)
        .retry(
            RetryPolicy::default()
                .with_max_attempts(10)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(10)),
        )
        .timeout(Duration::from_millis(150))
        .total_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .execute(
            &QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    // Well before the server's 3 s answer: the 500 ms total budget ended the retries.
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.kind() == TransportErrorKind::Timeout),
        "{err:?}"
    );
    let n = server.count();
    assert!((2..=4).contains(&n), "{n} attempts");
}

#[tokio::test]
async fn the_proxy_setting_routes_requests_through_the_proxy() {
    let signer = alipay_signer();
    let proxy = FakeAlipay::start(move |_, _| {
        Answer::v3_signed(200, r#"{"trade_status":"TRADE_SUCCESS"}"#, &signer, None)
    })
    .await;
    let client = alipay_runtime::Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .alipay_public_key(public_key_pem())
        .endpoint(alipay_runtime::Endpoint::custom(
            "http://alipay.invalid/gateway.do",
            "http://alipay.invalid",
        ))
        .proxy(format!("http://{}", proxy.addr))
        .build()
        .unwrap();
    client
        .execute(
            &QUERY,
            json!({"out_trade_no": "1"}),
            &CallOptions::default(),
        )
        .await
        .unwrap();
    let got = &proxy.received()[0];
    // A proxy receives the absolute URI; the signed path is unchanged.
    assert_eq!(got.target, "/v3/alipay/trade/query");
    assert_eq!(got.header("host"), Some("alipay.invalid"));
}

#[tokio::test]
async fn idempotent_refund_is_retried_after_a_5xx_only_with_its_request_number() {
    let signer = alipay_signer();
    let server = FakeAlipay::start(move |_, i| {
        if i == 0 {
            Answer::new(503, V3_503)
        } else {
            Answer::v3_signed(
                200,
                r#"{"refund_fee":"1.00","fund_change":"Y"}"#,
                &signer,
                None,
            )
        }
    })
    .await;
    let client = client_builder(&server).retry(retrying()).build().unwrap();
    let with_key = json!({"out_trade_no": "1", "refund_amount": "1.00", "out_request_no": "R1"});
    let raw = client
        .execute(&REFUND_BY_REQUEST_NO, with_key, &CallOptions::default())
        .await
        .unwrap();
    assert_eq!(raw.attempts, 2);
    let got = server.received();
    assert_eq!(got.len(), 2);
    // The retry repeats the same request number: Alipay refunds at most once.
    assert_eq!(got[0].body_text(), got[1].body_text());

    // Without out_request_no the same operation is an ordinary money-moving call.
    let server = FakeAlipay::start(|_, _| Answer::new(503, V3_503)).await;
    let client = client_builder(&server).retry(retrying()).build().unwrap();
    let err = client
        .execute(
            &REFUND_BY_REQUEST_NO,
            json!({"out_trade_no": "1", "refund_amount": "1.00"}),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(server.count(), 1);
}

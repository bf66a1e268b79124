//! End to end: an axum server on loopback receives the emulator's payment and refund
//! notifications through the runtime's `VerifiedNotification` extractor. The trade is created
//! through the generated client with the server as `notify_url`; the buyer's payment in the
//! emulator triggers the notification; the server verifies and types it and answers
//! `success`, after which the emulator stops retrying. A tampered notification gets a 4xx.

mod support;

use alipay_emulator::{test_keys, Emulator};
use alipay_runtime::axum::{Ack, VerifiedNotification};
use alipay_runtime::notify::{amount_in_fen, SeenNotifyIds, TradeNotification};
use alipay_runtime::TradeStatus;
use alipay_sdk::alipay_trade::{AlipayTradePrecreateRequest, AlipayTradeRefundRequest};
use alipay_sdk::{CallOptions, Client, Protocol};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::emulator_client;

#[derive(Clone)]
struct Merchant {
    client: Client,
    seen: Arc<SeenNotifyIds>,
    /// Notifications acted on (first deliveries only).
    handled: Arc<Mutex<Vec<TradeNotification>>>,
    /// Every request that reached the handler, and the repeats among them.
    hits: Arc<AtomicU32>,
    repeats: Arc<AtomicU32>,
    /// Answer the first request with 503 (as a merchant that is briefly down).
    fail_first: bool,
}

impl FromRef<Merchant> for Client {
    fn from_ref(m: &Merchant) -> Client {
        m.client.clone()
    }
}

async fn notify(
    State(m): State<Merchant>,
    VerifiedNotification(n): VerifiedNotification,
) -> Response {
    let hit = m.hits.fetch_add(1, Ordering::SeqCst) + 1;
    if m.fail_first && hit == 1 {
        return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    }
    if n.first_delivery(&m.seen) {
        m.handled.lock().unwrap().push(n);
    } else {
        m.repeats.fetch_add(1, Ordering::SeqCst);
    }
    Ack.into_response()
}

/// Serves the merchant on a loopback port; returns the notify URL.
async fn serve(merchant: Merchant) -> String {
    let app = axum::Router::new()
        .route("/alipay/notify", axum::routing::post(notify))
        .with_state(merchant);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alipay/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn merchant(client: Client, fail_first: bool) -> Merchant {
    Merchant {
        client,
        seen: Arc::new(SeenNotifyIds::new(1_000)),
        handled: Arc::default(),
        hits: Arc::default(),
        repeats: Arc::default(),
        fail_first,
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .notify_retry_delays(vec![
            Duration::ZERO,
            Duration::from_millis(100),
            Duration::from_millis(100),
            Duration::from_millis(100),
        ])
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn payment_notification_is_verified_typed_and_acknowledged() {
    let emu = emulator().await;
    let client = emulator_client(&emu, Protocol::V3);
    let m = merchant(client.clone(), true);
    let notify_url = serve(m.clone()).await;

    let out_trade_no = "E2E-NOTIFY-1";
    client
        .call_with(
            &AlipayTradePrecreateRequest::new(out_trade_no, "E2E order", "88.88"),
            &CallOptions::new().notify_url(&notify_url),
        )
        .await
        .unwrap();
    emu.pay_trade(out_trade_no, None).unwrap();

    wait_until("the payment notification", || {
        emu.notifications().first().is_some_and(|d| d.acknowledged)
    })
    .await;
    let handled = m.handled.lock().unwrap().clone();
    assert_eq!(handled.len(), 1);
    let n = &handled[0];
    assert_eq!(n.out_trade_no.as_deref(), Some(out_trade_no));
    assert_eq!(n.trade_status, Some(TradeStatus::TradeSuccess));
    assert_eq!(n.total_amount.as_deref(), Some("88.88"));
    assert_eq!(
        n.total_amount.as_deref().and_then(amount_in_fen),
        Some(8888)
    );
    assert_eq!(n.app_id, test_keys::APP_ID);
    assert_eq!(n.notify_type, "trade_status_sync");
    assert!(n.trade_no.is_some() && n.gmt_payment.is_some());
    assert_eq!(n.fund_bill_list.len(), 1);

    // The first attempt got 503, the retry got `success`; then the emulator stopped.
    let delivery = emu.notifications()[0].clone();
    assert_eq!(delivery.notify_id, n.notify_id);
    assert_eq!(delivery.attempts, 2, "{delivery:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(emu.notifications()[0].attempts, 2, "no retry after success");
    assert_eq!(m.hits.load(Ordering::SeqCst), 2);

    // A tampered copy is refused with a 4xx that is not `success`.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let tampered = delivery
        .body
        .replace("total_amount=88.88", "total_amount=0.01");
    assert_ne!(tampered, delivery.body);
    let r = http
        .post(&notify_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN);
    assert_ne!(r.text().await.unwrap().trim(), "success");
    let r = http
        .post(&notify_url)
        .body("not a notification")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(
        m.hits.load(Ordering::SeqCst),
        2,
        "rejected before the handler"
    );

    // A replay of the genuine notification is acknowledged but not acted on twice.
    let r = http
        .post(&notify_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(delivery.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "success");
    assert_eq!(m.repeats.load(Ordering::SeqCst), 1);
    assert_eq!(m.handled.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn refund_notification_over_the_v2_gateway() {
    let emu = emulator().await;
    let client = emulator_client(&emu, Protocol::V2);
    let m = merchant(client.clone(), false);
    let notify_url = serve(m.clone()).await;

    let out_trade_no = "E2E-NOTIFY-2";
    client
        .call_with(
            &AlipayTradePrecreateRequest::new(out_trade_no, "E2E order", "20.00"),
            &CallOptions::new().notify_url(&notify_url),
        )
        .await
        .unwrap();
    emu.pay_trade(out_trade_no, None).unwrap();
    wait_until("the payment notification", || {
        m.handled.lock().unwrap().len() == 1
    })
    .await;
    client
        .call(
            &AlipayTradeRefundRequest::new("5.00")
                .out_trade_no(out_trade_no)
                .out_request_no("E2E-REFUND-1"),
        )
        .await
        .unwrap();
    wait_until("the refund notification", || {
        m.handled.lock().unwrap().len() == 2
    })
    .await;
    let refund = m.handled.lock().unwrap()[1].clone();
    assert_eq!(refund.out_trade_no.as_deref(), Some(out_trade_no));
    assert_eq!(refund.refund_fee.as_deref(), Some("5.00"));
    assert_eq!(refund.out_biz_no.as_deref(), Some("E2E-REFUND-1"));
    assert!(refund.gmt_refund.is_some());
    wait_until("both acknowledgements", || {
        emu.notifications()
            .iter()
            .all(|d| d.acknowledged && d.attempts == 1)
    })
    .await;
    assert_eq!(m.hits.load(Ordering::SeqCst), 2);
}

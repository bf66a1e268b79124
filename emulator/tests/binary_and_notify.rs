//! The emulator as a program, and its asynchronous notifications.

mod common;

use alipay_emulator::Emulator;
use alipay_runtime::notify::{verify_form, NotifyRule};
use bytes::Bytes;
use common::{alipay_public_key, V3};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn the_binary_prints_its_address_first() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_alipay-emulator"))
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let rest: Vec<String> = lines.by_ref().take(6).map(|l| l.unwrap()).collect();
    let url = first.strip_prefix("listening on ").unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    assert!(rest.iter().any(|l| l.contains("test keys")), "{rest:?}");
    let health = common::http()
        .get(format!("{url}/__emulator/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let _ = child.kill();
    let _ = child.wait();

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_alipay-emulator"))
        .args(["--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// What the merchant's axum endpoint saw: every raw body, and the verified notifications.
#[derive(Default)]
struct Seen {
    bodies: Vec<Bytes>,
    verified: Vec<Vec<(String, String)>>,
}

/// A merchant's axum endpoint: verifies each notification from the raw form body with the
/// runtime, fails the first delivery (so the emulator retries) and acknowledges the others
/// with exactly `success`; a notification that does not verify gets a 400.
async fn merchant() -> (String, Arc<Mutex<Seen>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let state = seen.clone();
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |body: Bytes| {
            let state = state.clone();
            async move {
                let key = alipay_public_key();
                let mut s = state.lock().unwrap();
                s.bodies.push(body.clone());
                match verify_form(&body, &key, NotifyRule::V1) {
                    Ok(v) => {
                        s.verified.push(v.pairs);
                        if s.bodies.len() == 1 {
                            (axum::http::StatusCode::OK, "fail")
                        } else {
                            (axum::http::StatusCode::OK, alipay_runtime::notify::ACK)
                        }
                    }
                    Err(_) => (axum::http::StatusCode::BAD_REQUEST, "bad signature"),
                }
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn payment_and_refund_notifications_are_signed_and_retried_until_success() {
    let (url, seen) = merchant().await;
    let emu = Emulator::builder()
        .notify_retry_delays(vec![
            Duration::ZERO,
            Duration::from_millis(50),
            Duration::from_millis(50),
        ])
        .start()
        .await
        .unwrap();
    let c = V3::new(&emu.base_url());
    let r = c
        .post("/v3/alipay/trade/create", json!({"out_trade_no": "N1", "total_amount": "20.00", "subject": "s", "notify_url": url}))
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    emu.pay_trade("N1", None).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !emu.notifications().first().is_some_and(|d| d.acknowledged) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            emu.notifications()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let d = &emu.notifications()[0];
    assert_eq!(d.attempts, 2);
    let key = alipay_public_key();
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.bodies.len(), 2);
        assert_eq!(
            s.bodies[0], s.bodies[1],
            "a retry sends the same notification"
        );
        let v = &s.verified[0];
        assert_eq!(get(v, "out_trade_no"), Some("N1"));
        assert_eq!(get(v, "trade_status"), Some("TRADE_SUCCESS"));
        assert_eq!(get(v, "total_amount"), Some("20.00"));
        assert_eq!(get(v, "app_id"), Some(emu.app_id()));
        assert_eq!(get(v, "notify_type"), Some("trade_status_sync"));
    }

    let r = c
        .post(
            "/v3/alipay/trade/refund",
            json!({"out_trade_no": "N1", "refund_amount": "5.00", "out_request_no": "RF1"}),
        )
        .await;
    assert_eq!(r.status, 200);
    while emu.notifications().len() < 2 || !emu.notifications()[1].acknowledged {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let body = seen.lock().unwrap().bodies.last().cloned().unwrap();
    let v = verify_form(&body, &key, NotifyRule::V1).unwrap();
    assert_eq!(
        (v.get("refund_fee"), v.get("out_biz_no")),
        (Some("5.00"), Some("RF1"))
    );
    // One changed byte breaks the signature.
    let mut tampered = body.to_vec();
    let at = tampered.windows(4).position(|w| w == b"5.00").unwrap();
    tampered[at] = b'6';
    assert!(verify_form(&tampered, &key, NotifyRule::V1).is_err());
}

/// The merchant side as an SDK user writes it: the runtime's axum extractor verifies and types
/// the emulator's notification, and the handler acknowledges it.
#[tokio::test]
async fn typed_notifications_through_the_runtime_axum_extractor() {
    use alipay_runtime::axum::{Ack, VerifiedNotification};
    use alipay_runtime::notify::{TradeNotification, TradeStatus};
    let emu = Emulator::builder().start().await.unwrap();
    let client = alipay_runtime::Client::builder()
        .app_id(emu.app_id())
        .private_key(alipay_emulator::test_keys::APP_PRIVATE_KEY)
        .alipay_public_key(alipay_emulator::test_keys::ALIPAY_PUBLIC_KEY)
        .endpoint(alipay_runtime::Endpoint::custom(
            emu.gateway_url(),
            emu.base_url(),
        ))
        .build()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<TradeNotification>();
    let app = axum::Router::new()
        .route(
            "/alipay/notify",
            axum::routing::post(move |VerifiedNotification(n): VerifiedNotification| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(n);
                    Ack
                }
            }),
        )
        .with_state(client);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alipay/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let c = V3::new(&emu.base_url());
    let r = c
        .post(
            "/v3/alipay/trade/create",
            json!({"out_trade_no": "AX1", "total_amount": "66.60", "subject": "测试", "notify_url": url, "passback_params": "merchant%20data"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    emu.pay_trade("AX1", Some("2088000000000042")).unwrap();
    let n = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.out_trade_no.as_deref(), Some("AX1"));
    assert_eq!(n.trade_status, Some(TradeStatus::TradeSuccess));
    assert_eq!(n.total_amount.as_deref(), Some("66.60"));
    assert_eq!(n.buyer_id.as_deref(), Some("2088000000000042"));
    assert_eq!(n.passback_params.as_deref(), Some("merchant%20data"));
    assert_eq!(n.fund_bill_list.len(), 1);
    assert_eq!(n.fund_bill_list[0].fund_channel, "ALIPAYACCOUNT");
    // The acknowledgement stops the retries.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !emu.notifications().first().is_some_and(|d| d.acknowledged) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            emu.notifications()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(emu.notifications()[0].attempts, 1);
}

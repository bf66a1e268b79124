//! The emulator as a program, and its asynchronous notifications.

mod common;

use alipay_emulator::Emulator;
use alipay_runtime::notify::{verify_form, NotifyRule};
use bytes::Bytes;
use common::{alipay_public_key, V3};
use http_body_util::{BodyExt, Full};
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

/// A merchant endpoint that fails the first delivery and acknowledges the second.
async fn merchant() -> (String, Arc<Mutex<Vec<Bytes>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let log = log.clone();
                        async move {
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let n = {
                                let mut l = log.lock().unwrap();
                                l.push(body);
                                l.len()
                            };
                            let answer = if n == 1 { "fail" } else { "success" };
                            Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                                Bytes::from(answer),
                            )))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (url, seen)
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
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "a retry sends the same notification");
    let key = alipay_public_key();
    let v = verify_form(&bodies[0], &key, NotifyRule::V1).unwrap();
    assert_eq!(v.get("out_trade_no"), Some("N1"));
    assert_eq!(v.get("trade_status"), Some("TRADE_SUCCESS"));
    assert_eq!(v.get("total_amount"), Some("20.00"));
    assert_eq!(v.get("app_id"), Some(emu.app_id()));

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
    let body = seen.lock().unwrap().last().cloned().unwrap();
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

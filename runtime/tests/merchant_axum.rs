//! The axum extractor (feature `axum`): verified notifications are typed, anything else is a
//! 4xx whose body is not `success`, arbitrary bodies never panic.
#![cfg(feature = "axum")]

mod client_support;

use alipay_runtime::axum::{Ack, VerifiedNotification};
use alipay_runtime::Client;
use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequest};
use axum_core::response::IntoResponse;
use client_support::*;
use http_body_util::BodyExt;

#[derive(Clone)]
struct AppState {
    client: Client,
}

impl FromRef<AppState> for Client {
    fn from_ref(s: &AppState) -> Client {
        s.client.clone()
    }
}

fn state() -> AppState {
    AppState {
        client: Client::builder()
            .app_id(APP_ID)
            .private_key(private_key_pem())
            .alipay_public_key(public_key_pem())
            .build()
            .unwrap(),
    }
}

fn post(body: impl Into<Body>) -> http::Request<Body> {
    http::Request::builder()
        .method("POST")
        .uri("/alipay/notify")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(body.into())
        .unwrap()
}

async fn body_text(r: axum_core::response::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let bytes = r.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn vector_body() -> String {
    vector("v2_notify_verify")["inputs"]["raw_form_body"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_signed_notification_is_extracted_typed() {
    let s = state();
    let n = VerifiedNotification::from_request(post(vector_body()), &s)
        .await
        .unwrap();
    assert_eq!(n.out_trade_no.as_deref(), Some("20150320010101001"));
    assert_eq!(n.app_id, APP_ID);
    // The client itself as the state.
    let n2 = VerifiedNotification::from_request(post(vector_body()), &s.client)
        .await
        .unwrap();
    assert_eq!(n2.into_inner(), n.0);
}

#[tokio::test]
async fn bad_notifications_are_4xx_and_never_success() {
    let s = state();
    let body = vector_body();
    let cases = [
        (body.replace("88.88", "0.01"), 403),
        (body.split("&sign=").next().unwrap().to_string(), 403),
        (String::new(), 400),
        (format!("{body}&notify_id=again"), 400),
        (body.replace("charset=utf-8", "charset=latin1"), 400),
    ];
    for (b, expected) in cases {
        let rejection = VerifiedNotification::from_request(post(b), &s)
            .await
            .unwrap_err();
        assert_eq!(rejection.status().as_u16(), expected, "{rejection}");
        let (status, text) = body_text(rejection.into_response()).await;
        assert_eq!(status, expected);
        assert_ne!(text.trim(), "success");
        assert!(text.starts_with("notification rejected"), "{text}");
    }
    // Another app's notification.
    let other = Client::builder()
        .app_id("2021000000000002")
        .private_key(private_key_pem())
        .alipay_public_key(public_key_pem())
        .build()
        .unwrap();
    let rejection = VerifiedNotification::from_request(post(vector_body()), &other)
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 403);
}

#[tokio::test]
async fn ack_answers_exactly_success() {
    let (status, text) = body_text(Ack.into_response()).await;
    assert_eq!((status, text.as_str()), (200, "success"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bodies_are_rejected_without_panicking(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let s = state();
        let r = rt.block_on(VerifiedNotification::from_request(post(body), &s));
        let rejection = r.unwrap_err();
        proptest::prop_assert!(rejection.status().is_client_error());
    }
}

//! [axum](https://docs.rs/axum) integration (feature `axum`): an extractor that verifies an
//! asynchronous notification and yields it typed, and the `success` acknowledgement.
//!
//! ```no_run
//! use alipay_runtime::axum::{Ack, VerifiedNotification};
//! use alipay_runtime::notify::TradeStatus;
//!
//! // Route: `.route("/alipay/notify", post(notify)).with_state(client)`, where the state is
//! // the `Client` or any state `S` with `Client: FromRef<S>`.
//! async fn notify(VerifiedNotification(n): VerifiedNotification) -> Ack {
//!     if n.trade_status == Some(TradeStatus::TradeSuccess) {
//!         // check out_trade_no / total_amount / seller_id against the order, mark it paid
//!     }
//!     Ack
//! }
//! ```
//!
//! The extractor reads the raw body (within axum's body limit), verifies it with
//! [`Client::verify_notification`] (rule V1, the client's keys and `app_id`) and rejects
//! anything that does not verify with a 4xx whose body is never `success`, so Alipay keeps
//! the notification for a later delivery. It does not panic on any input.

use crate::client::Client;
use crate::error::Error;
use crate::merchant::rejection_status;
use crate::notify::{TradeNotification, ACK};
use axum_core::extract::{FromRef, FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;

/// A notification whose signature, `charset` and `app_id` were verified by the state's
/// [`Client`]; the typed [`TradeNotification`] (its raw parameters in `.raw`).
#[derive(Debug, Clone)]
pub struct VerifiedNotification(pub TradeNotification);

impl VerifiedNotification {
    /// The typed notification.
    pub fn into_inner(self) -> TradeNotification {
        self.0
    }
}

impl std::ops::Deref for VerifiedNotification {
    type Target = TradeNotification;

    fn deref(&self) -> &TradeNotification {
        &self.0
    }
}

impl<S> FromRequest<S> for VerifiedNotification
where
    S: Send + Sync,
    Client: FromRef<S>,
{
    type Rejection = NotificationRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let client = Client::from_ref(state);
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| NotificationRejection {
                status: e.status(),
                message: e.body_text(),
                kind: "body",
            })?;
        match client.verify_notification(&body) {
            Ok(n) => Ok(VerifiedNotification(n)),
            Err(e) => {
                let rejection = NotificationRejection::from_error(&e);
                tracing::warn!(
                    error = rejection.kind,
                    status = rejection.status.as_u16(),
                    "rejected an Alipay notification"
                );
                Err(rejection)
            }
        }
    }
}

/// Why [`VerifiedNotification`] rejected a request: answered with a 4xx status (403 for a
/// missing or bad signature or another app's notification, 400 for a malformed body, axum's
/// status for an unreadable or too large body) and a short `text/plain` reason.
#[derive(Debug, Clone)]
pub struct NotificationRejection {
    status: http::StatusCode,
    message: String,
    kind: &'static str,
}

impl NotificationRejection {
    fn from_error(error: &Error) -> Self {
        NotificationRejection {
            status: rejection_status(error),
            message: format!("notification rejected: {error}"),
            kind: error.kind(),
        }
    }

    /// The HTTP status the rejection answers with (always 4xx or 5xx, never 200).
    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    /// The reason, as sent in the body.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for NotificationRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NotificationRejection {}

impl IntoResponse for NotificationRejection {
    fn into_response(self) -> Response {
        let status = if self.status.is_success() {
            http::StatusCode::BAD_REQUEST
        } else {
            self.status
        };
        (
            status,
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.message,
        )
            .into_response()
    }
}

/// The acknowledgement of a notification: HTTP 200 with the body exactly `success`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ack;

impl IntoResponse for Ack {
    fn into_response(self) -> Response {
        (
            http::StatusCode::OK,
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            ACK,
        )
            .into_response()
    }
}

//! Merchant flows on the [`Client`]: the checkout hand-off of client-executed payments and the
//! verification of what Alipay sends back (asynchronous notifications, `return_url`
//! redirects).
//!
//! Checkout (no server call; the buyer's app or browser carries the signed request):
//! - [`Client::app_pay_order_string`]: the order string for the Alipay mobile SDK
//!   (`alipay.trade.app.pay`);
//! - [`Client::page_pay_url`] / [`Client::page_pay_form`]: a GET URL to redirect the buyer to,
//!   or an auto-submitting HTML form (`alipay.trade.page.pay`, `alipay.trade.wap.pay`).
//!
//! Each takes a generated request model of a client-executed operation and per-call options
//! (`notify_url`, `return_url`, `app_auth_token`); all three are thin wrappers over
//! [`Client::checkout`]. The parameter set is the one a server call signs (common
//! parameters, certificate SNs in certificate mode, `biz_content`, `sign`) less the optional
//! `format`, which the official Node SDK leaves out of these too; the encodings are those of
//! [`crate::checkout`].
//!
//! Notifications: [`Client::verify_notification`] takes the raw `notify_url` POST body and
//! returns a typed, verified [`TradeNotification`] for this client's `app_id`; answer it with
//! [`ACK`] (see [`acknowledgement`]). [`Client::verify_return_url`] checks the parameters of
//! the browser redirect, which are **not** proof of payment.
//!
//! ```no_run
//! # fn demo(client: &alipay_runtime::Client, body: &[u8]) -> Result<(), alipay_runtime::Error> {
//! use alipay_runtime::notify::{SeenNotifyIds, TradeStatus};
//!
//! let seen = SeenNotifyIds::new(10_000);
//! let notification = client.verify_notification(body)?; // signature, app_id, field shapes
//! if notification.first_delivery(&seen)
//!     && notification.trade_status == Some(TradeStatus::TradeSuccess)
//! {
//!     // compare out_trade_no, total_amount (amount_in_fen) and seller_id with your order,
//!     // then mark it paid (idempotently: Alipay repeats a notification until it gets ACK)
//! }
//! // answer HTTP 200 with the body `success`
//! # Ok(()) }
//! ```

use crate::client::{ApiRequest, CallOptions, Client, Protocol};
use crate::error::Error;
use crate::keys::PublicKey;
use crate::notify::{
    self, NotifyError, NotifyRule, SeenNotifyIds, TradeNotification, VerifiedParams, ACK,
};
use crate::operation::Operation;
use bytes::Bytes;

/// What a checkout builder produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Checkout {
    /// The app pay order string: every parameter `k=encodeURIComponent(v)`, joined with `&`
    /// ([`crate::checkout::app_pay_order_string`]).
    AppOrderString,
    /// A GET URL of the gateway for page / wap pay ([`crate::checkout::page_pay_url`]).
    PageUrl,
    /// An auto-submitting HTML form (POST) for page / wap pay, every attribute HTML-escaped
    /// ([`crate::checkout::page_pay_form`]).
    PageForm,
}

impl Client {
    /// The app pay order string of a client-executed request (`alipay.trade.app.pay`): hand
    /// it to the Alipay mobile SDK. `options` gives `notify_url` (and `app_auth_token` for an
    /// ISV). A request of an operation that is called from the server is an
    /// [`Error::Build`].
    pub fn app_pay_order_string<R: ApiRequest>(
        &self,
        request: &R,
        options: &CallOptions,
    ) -> Result<String, Error> {
        self.checkout_request(request, options, Checkout::AppOrderString)
    }

    /// A GET URL of the gateway for a page or wap pay request (`alipay.trade.page.pay`,
    /// `alipay.trade.wap.pay`): redirect the buyer's browser to it. `options` gives
    /// `notify_url` and `return_url`.
    pub fn page_pay_url<R: ApiRequest>(
        &self,
        request: &R,
        options: &CallOptions,
    ) -> Result<String, Error> {
        self.checkout_request(request, options, Checkout::PageUrl)
    }

    /// An auto-submitting HTML form (POST to the gateway) for a page or wap pay request:
    /// serve it as (part of) a `text/html; charset=utf-8` page. Every attribute value is
    /// HTML-escaped, so no request field can break out of the form.
    pub fn page_pay_form<R: ApiRequest>(
        &self,
        request: &R,
        options: &CallOptions,
    ) -> Result<String, Error> {
        self.checkout_request(request, options, Checkout::PageForm)
    }

    fn checkout_request<R: ApiRequest>(
        &self,
        request: &R,
        options: &CallOptions,
        kind: Checkout,
    ) -> Result<String, Error> {
        let params = serde_json::to_value(request).map_err(|e| Error::Build(e.to_string()))?;
        self.checkout(R::OPERATION, params, options, kind)
    }

    /// The one non-generic checkout builder: signs the v2 parameter set of a client-executed
    /// operation (`params` is the serialized request model) and renders it as `kind`.
    /// Nothing is sent.
    pub fn checkout(
        &self,
        op: &'static Operation,
        params: serde_json::Value,
        options: &CallOptions,
        kind: Checkout,
    ) -> Result<String, Error> {
        if !op.v2.is_some_and(|r| r.client_executed) {
            return Err(Error::Build(format!(
                "{} is called from the server (Client::call), not executed by the buyer's \
                 client; checkout builders take app / page / wap pay requests",
                op.name
            )));
        }
        if options.protocol == Some(Protocol::V3) {
            return Err(Error::Build(format!(
                "{} is executed on the v2 gateway; the v3 protocol has no checkout hand-off",
                op.name
            )));
        }
        if !options.files.is_empty() {
            return Err(Error::Build(format!(
                "{}: a checkout hand-off carries no files",
                op.name
            )));
        }
        let signed = self.sign_v2_params(op, params, options)?;
        let refs: Vec<(&str, &str)> = signed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok(match kind {
            Checkout::AppOrderString => crate::checkout::app_pay_order_string(&refs),
            Checkout::PageUrl => crate::checkout::page_pay_url(self.v2_gateway(), &refs),
            Checkout::PageForm => crate::checkout::page_pay_form(self.v2_gateway(), &refs),
        })
    }

    /// Verifies an asynchronous notification from its raw `application/x-www-form-urlencoded`
    /// body (the bytes of the `notify_url` POST) with the V1 rule, and types it: the
    /// signature (Alipay public key, or in certificate mode the Alipay certificate's key),
    /// the `charset`, that `app_id` is this client's, and the shape of `notify_id`,
    /// `notify_type` and the amounts.
    ///
    /// A verified notification proves that Alipay sent it. Before acting on it, compare
    /// `out_trade_no`, `total_amount` and `seller_id` with your own order, and handle it
    /// idempotently by `notify_id` ([`TradeNotification::first_delivery`]); then answer
    /// HTTP 200 with exactly [`ACK`]. On an error, answer with an error status: Alipay
    /// delivers the notification again later.
    pub fn verify_notification(&self, body: &[u8]) -> Result<TradeNotification, Error> {
        self.verify_notification_with(body, NotifyRule::V1)
    }

    /// [`Client::verify_notification`] with a chosen rule ([`NotifyRule::V2`] keeps
    /// `sign_type` in the signed content, as life-account gateway messages do).
    pub fn verify_notification_with(
        &self,
        body: &[u8],
        rule: NotifyRule,
    ) -> Result<TradeNotification, Error> {
        let key = self.notification_key(|| find_param(body, "alipay_cert_sn"));
        let verified = notify::verify_form(body, &key, rule)?;
        Ok(TradeNotification::from_verified(verified, self.app_id())?)
    }

    /// Verifies a notification whose form a web framework has already decoded (each value
    /// decoded exactly once), with the V1 rule, and types it like
    /// [`Client::verify_notification`]. Prefer the raw body: it avoids decoding twice.
    pub fn verify_notification_pairs(
        &self,
        pairs: &[(&str, &str)],
    ) -> Result<TradeNotification, Error> {
        let key = self.notification_key(|| {
            pairs
                .iter()
                .find(|(k, _)| *k == "alipay_cert_sn")
                .map(|(_, v)| v.to_string())
        });
        let verified = notify::verify_pairs(pairs, &key, NotifyRule::V1)?;
        Ok(TradeNotification::from_verified(verified, self.app_id())?)
    }

    /// Verifies the parameters Alipay appends to `return_url` when it sends the buyer's
    /// browser back after a page / wap payment: `query` is the raw query string (with or
    /// without the leading `?`). Same rule as notifications (V1), and `app_id` must be this
    /// client's when present.
    ///
    /// **This is not proof of payment.** The browser carries these parameters: a buyer can
    /// replay or drop them, and the redirect arrives before the payment may be final. Use
    /// them to show a page; decide that an order is paid only from a verified notification
    /// ([`Client::verify_notification`]) or from `alipay.trade.query`.
    pub fn verify_return_url(&self, query: &str) -> Result<VerifiedParams, Error> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let key = self.notification_key(|| find_param(query.as_bytes(), "alipay_cert_sn"));
        let verified = notify::verify_return_query(query, &key)?;
        if let Some(found) = verified.get("app_id") {
            if found != self.app_id() {
                return Err(Error::Notify(NotifyError::AppIdMismatch {
                    expected: self.app_id().to_string(),
                    found: found.to_string(),
                }));
            }
        }
        Ok(verified)
    }

    /// The key a notification is verified with: in certificate mode, the key of the Alipay
    /// certificate the notification names (`alipay_cert_sn`) when this client knows it,
    /// otherwise the configured Alipay certificate's key; in public-key mode, the Alipay
    /// public key. `sn` is only looked up in certificate mode.
    fn notification_key(&self, sn: impl FnOnce() -> Option<String>) -> PublicKey {
        if self.is_cert_mode() {
            if let Some(key) = sn().and_then(|sn| self.alipay_public_key_for_sn(&sn)) {
                return key;
            }
        }
        self.alipay_public_key()
    }
}

/// The value of the first `key` parameter of a form body, decoded (UTF-8, lossy).
fn find_param(body: &[u8], key: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

impl TradeNotification {
    /// Idempotent handling by `notify_id`: `true` the first time this notification is seen
    /// in `seen`, `false` for a repeated delivery (Alipay repeats a notification until it is
    /// acknowledged). Answer a repeat with [`ACK`] without acting on it again.
    ///
    /// The id is recorded when this returns `true`: if handling the first delivery then
    /// fails, call [`SeenNotifyIds::forget`] and do not acknowledge, so that Alipay's repeat
    /// is handled again. Keep the business update itself idempotent (a trade that is already
    /// paid stays paid) and use this in-memory record as the fast path; an application with
    /// several instances keeps the record in its database instead.
    pub fn first_delivery(&self, seen: &SeenNotifyIds) -> bool {
        seen.first_time(&self.notify_id)
    }
}

/// The acknowledgement of a notification: HTTP 200, `text/plain`, body exactly [`ACK`]
/// (`success`). Any other answer makes Alipay deliver the notification again.
pub fn acknowledgement() -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::from_static(ACK.as_bytes()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The HTTP status to answer a notification that did not verify with: `403` when the
/// signature is missing or wrong or the notification is for another app, `400` when the
/// body is malformed. Never `200`: Alipay (or whoever sent it) must not take it as accepted.
pub fn rejection_status(error: &Error) -> http::StatusCode {
    match error {
        Error::Notify(
            NotifyError::MissingSign
            | NotifyError::BadSignature(_)
            | NotifyError::UnsupportedSignType { .. }
            | NotifyError::AppIdMismatch { .. },
        ) => http::StatusCode::FORBIDDEN,
        _ => http::StatusCode::BAD_REQUEST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgement_is_exactly_success() {
        let r = acknowledgement();
        assert_eq!(r.status(), http::StatusCode::OK);
        assert_eq!(r.body().as_ref(), b"success");
        assert_eq!(
            r.headers()[http::header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn rejection_statuses() {
        let forbidden = [
            NotifyError::MissingSign,
            NotifyError::BadSignature(crate::keys::VerifyError::SignatureBase64),
            NotifyError::AppIdMismatch {
                expected: "a".into(),
                found: "b".into(),
            },
        ];
        for e in forbidden {
            assert_eq!(
                rejection_status(&Error::Notify(e)),
                http::StatusCode::FORBIDDEN
            );
        }
        for e in [
            NotifyError::Empty,
            NotifyError::DuplicateParam { key: "a".into() },
            NotifyError::MissingField { field: "notify_id" },
        ] {
            assert_eq!(
                rejection_status(&Error::Notify(e)),
                http::StatusCode::BAD_REQUEST
            );
        }
    }

    #[test]
    fn find_param_decodes_once() {
        assert_eq!(
            find_param(b"a=1&alipay_cert_sn=ab%2Bc&b=2", "alipay_cert_sn").as_deref(),
            Some("ab+c")
        );
        assert_eq!(find_param(b"a=1", "alipay_cert_sn"), None);
    }
}

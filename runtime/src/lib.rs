//! Runtime of the Alipay Open Platform SDK.
//!
//! The generated crate (`alipay-sdk`) is thin: each operation is an [`Operation`] descriptor
//! plus typed request/response models. Everything protocol-related is implemented here, once.
//!
//! The seam between the two:
//! - generated request types implement [`ApiRequest`];
//! - [`Client::call`] / [`Client::call_with`] serialize the request and hand it to the one
//!   non-generic entry point [`Client::execute`], which signs, sends, verifies and returns the
//!   verified business JSON as bytes;
//! - the typed wrapper deserializes those bytes into `ApiRequest::Response`.

pub mod aes;
#[cfg(feature = "axum")]
pub mod axum;
pub mod cert;
pub mod checkout;
pub mod client;
pub mod config;
pub mod error;
pub mod keys;
pub mod merchant;
pub mod notify;
pub mod operation;
pub mod retry;
pub mod transport;
pub mod v2;
pub mod v3;

pub use client::{ApiRequest, CallOptions, Client, FilePart, Protocol, RawResponse, Reply};
pub use config::{ClientBuilder, Endpoint, Timeouts};
pub use error::{Error, ErrorLink, ResponseProblem, ServiceError};
pub use keys::SignType;
pub use merchant::Checkout;
pub use notify::{NotifyRule, TradeNotification, TradeStatus};
pub use operation::{HttpMethod, Operation, Safety, V2Route, V3Body, V3Route};
pub use retry::RetryPolicy;
#[cfg(feature = "reqwest")]
pub use transport::ReqwestTransport;
pub use transport::{Transport, TransportError, TransportErrorKind};

/// Re-exported so generated code can name them with stable paths.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;
}

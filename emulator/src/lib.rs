//! Local Alipay Open Platform gateway for tests: v2 `gateway.do` and v3 REST, stateful trades,
//! fault injection, no credentials, no network.

pub mod catalog;
pub mod domain;
pub mod faults;

/// v2 method through which a client fetches a rotated Alipay certificate.
pub const CERT_DOWNLOAD_METHOD: &str = "alipay.open.app.alipaycert.download";

//! Shared by the merchant tests: a certificate-mode client on the vectors' certificates.
#![allow(dead_code)]

use super::client_support::{fixed_clock, private_key_pem, read, vectors_dir, APP_ID};
use alipay_runtime::{Client, Endpoint};

/// The vectors' app cert, Alipay cert (with its intermediate) and root bundle; the fixed
/// clock; `gateway` as the v2 gateway.
pub fn cert_client(gateway: &str) -> Client {
    let cert = |name: &str| read(vectors_dir().join("certs").join(name));
    Client::builder()
        .app_id(APP_ID)
        .private_key(private_key_pem())
        .app_cert(cert("appCertPublicKey.crt"))
        .alipay_cert(cert("alipayCertPublicKey_RSA2.crt") + &cert("ca_class2.crt"))
        .alipay_root_cert(cert("alipayRootCert.crt"))
        .endpoint(Endpoint::custom(gateway, "https://gw.example"))
        .clock(fixed_clock)
        .build()
        .unwrap()
}

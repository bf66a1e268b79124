//! Key material of one emulator: how it trusts the app, how it signs as "Alipay", its AES key.
//! All cryptography is the runtime's (`alipay_runtime::{keys, cert, aes}`).

use alipay_runtime::aes::AesKey;
use alipay_runtime::cert::{self, Cert};
use alipay_runtime::keys::{PrivateKey, PublicKey};
use std::fmt;

/// The throwaway test keys built into the emulator (`emulator/keys/`, see its README).
/// They are the protocol vectors' single key pair: never use them outside tests.
pub mod test_keys {
    /// App id the emulator expects by default.
    pub const APP_ID: &str = "2021000000000001";
    /// App private key (PKCS#8 PEM): what a client signs requests with.
    pub const APP_PRIVATE_KEY: &str = include_str!("../keys/app_private_key.pem");
    /// App public key (SPKI PEM): what the emulator verifies requests with.
    pub const APP_PUBLIC_KEY: &str = include_str!("../keys/app_public_key.pem");
    /// "Alipay" private key (PKCS#1 PEM): what the emulator signs responses with.
    pub const ALIPAY_PRIVATE_KEY: &str = include_str!("../keys/alipay_private_key.pem");
    /// "Alipay" public key (SPKI PEM): what a client verifies responses with.
    pub const ALIPAY_PUBLIC_KEY: &str = include_str!("../keys/alipay_public_key.pem");
    /// App certificate (certificate mode).
    pub const APP_CERT: &str = include_str!("../keys/certs/appCertPublicKey.crt");
    /// "Alipay" certificate (certificate mode).
    pub const ALIPAY_CERT: &str = include_str!("../keys/certs/alipayCertPublicKey_RSA2.crt");
    /// Intermediate CA of the app and Alipay certificates.
    pub const CA_CLASS2: &str = include_str!("../keys/certs/ca_class2.crt");
    /// Root bundle of the certificates above.
    pub const ROOT_CERT: &str = include_str!("../keys/certs/alipayRootCert.crt");
    /// Root bundle plus root R2, which issued the rotated certificate.
    pub const ROOT_CERT_WITH_ROTATION: &str =
        include_str!("../keys/certs/alipayRootCert_with_r2.crt");
    /// Rotated "Alipay" certificate chain (leaf + intermediate, chained to root R2).
    pub const ROTATED_ALIPAY_CERT: &str =
        include_str!("../keys/rotation/alipayCertPublicKey_RSA2_rotated.crt");
    /// Private key of the rotated certificate.
    pub const ROTATED_ALIPAY_PRIVATE_KEY: &str =
        include_str!("../keys/rotation/alipay_rotated_private_key.pem");
    /// A self-signed "Alipay" certificate that no root vouches for.
    pub const UNTRUSTED_ALIPAY_CERT: &str =
        include_str!("../keys/rotation/alipayCertPublicKey_RSA2_untrusted.crt");
    /// Private key of the untrusted certificate.
    pub const UNTRUSTED_ALIPAY_PRIVATE_KEY: &str =
        include_str!("../keys/rotation/alipay_untrusted_private_key.pem");
    /// The vectors' AES key (base64 of 16 bytes).
    pub const AES_KEY: &str = "AAECAwQFBgcICQoLDA0ODw==";
    /// Directory of the key files in the source tree.
    pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
}

/// A configuration problem, named precisely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{what}: {message}")]
    Key { what: &'static str, message: String },
    #[error("certificate mode needs both the app certificate and the Alipay certificate")]
    HalfCertMode,
    #[error("the specs could not be loaded: {0}")]
    Specs(String),
    #[error("cannot listen: {0}")]
    Io(String),
}

fn key_err(what: &'static str) -> impl Fn(&dyn fmt::Display) -> ConfigError {
    move |e| ConfigError::Key {
        what,
        message: e.to_string(),
    }
}

/// A certificate as used on the wire: its SN and its PEM text (the chain, leaf first).
#[derive(Clone)]
pub struct CertInfo {
    pub sn: String,
    pub pem: String,
}

/// "Alipay" as a signer: a private key, and its certificate in certificate mode.
#[derive(Clone)]
pub struct Signer {
    pub key: std::sync::Arc<PrivateKey>,
    pub cert: Option<CertInfo>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("key", &"<redacted>")
            .field("cert_sn", &self.cert.as_ref().map(|c| c.sn.as_str()))
            .finish()
    }
}

impl Signer {
    /// A signer from a private key text and, in certificate mode, its certificate chain PEM.
    pub fn new(key_text: &str, cert_pem: Option<&str>) -> Result<Self, ConfigError> {
        let key =
            PrivateKey::from_text(key_text).map_err(|e| key_err("the Alipay private key")(&e))?;
        let cert = match cert_pem {
            Some(pem) => {
                let leaf =
                    Cert::from_pem(pem).map_err(|e| key_err("the Alipay certificate")(&e))?;
                Some(CertInfo {
                    sn: leaf.sn(),
                    pem: pem.to_owned(),
                })
            }
            None => None,
        };
        Ok(Signer {
            key: std::sync::Arc::new(key),
            cert,
        })
    }
}

/// How the emulator checks the app's request signatures.
#[derive(Clone)]
pub enum AppTrust {
    /// Public-key mode: the app's public key.
    PublicKey(PublicKey),
    /// Certificate mode: the key of the app certificate, and its SN (`app_cert_sn`).
    Cert { key: PublicKey, sn: String },
}

impl fmt::Debug for AppTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppTrust::PublicKey(_) => f.write_str("AppTrust::PublicKey"),
            AppTrust::Cert { sn, .. } => write!(f, "AppTrust::Cert({sn})"),
        }
    }
}

impl AppTrust {
    pub fn public_key(text: &str) -> Result<Self, ConfigError> {
        PublicKey::from_text(text)
            .map(AppTrust::PublicKey)
            .map_err(|e| key_err("the app public key")(&e))
    }

    pub fn cert(pem: &str) -> Result<Self, ConfigError> {
        let c = Cert::from_pem(pem).map_err(|e| key_err("the app certificate")(&e))?;
        let key = c
            .public_key()
            .map_err(|e| key_err("the app certificate's key")(&e))?;
        Ok(AppTrust::Cert { key, sn: c.sn() })
    }

    pub fn key(&self) -> &PublicKey {
        match self {
            AppTrust::PublicKey(k) | AppTrust::Cert { key: k, .. } => k,
        }
    }

    pub fn cert_sn(&self) -> Option<&str> {
        match self {
            AppTrust::PublicKey(_) => None,
            AppTrust::Cert { sn, .. } => Some(sn),
        }
    }
}

/// Everything the protocol layers need to know about keys.
#[derive(Debug, Clone)]
pub struct Identity {
    pub app_id: String,
    pub app: AppTrust,
    pub alipay: Signer,
    /// Signs under [`crate::faults::Fault::RotatedCert`].
    pub rotated: Signer,
    /// Signs under [`crate::faults::Fault::UntrustedCert`].
    pub untrusted: Signer,
    pub aes: Option<AesKey>,
    /// `alipay_root_cert_sn` of the emulator's root bundle (informational).
    pub root_cert_sn: Option<String>,
    /// The Alipay public key (SPKI PEM) when known (built-in keys), for the control API.
    pub alipay_public_key: Option<String>,
    /// `alipay_root_cert_sn` values accepted in certificate mode (`None`: any).
    pub accepted_root_sns: Option<Vec<String>>,
}

impl Identity {
    /// Whether a request's `alipay_root_cert_sn` is acceptable.
    pub fn accepts_root_sn(&self, sn: &str) -> bool {
        self.accepted_root_sns
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s == sn))
    }
}

impl Identity {
    pub fn cert_mode(&self) -> bool {
        matches!(self.app, AppTrust::Cert { .. })
    }

    /// The signer that signed the certificate with this SN, for the download operation.
    pub fn cert_by_sn(&self, sn: &str) -> Option<&CertInfo> {
        [&self.alipay, &self.rotated, &self.untrusted]
            .into_iter()
            .filter_map(|s| s.cert.as_ref())
            .find(|c| c.sn == sn)
    }
}

/// The root SN of a bundle, if it parses.
pub fn root_sn(bundle: &str) -> Option<String> {
    cert::root_cert_sn(bundle).ok()
}

/// Parses an AES key (base64 of 16 bytes).
pub fn aes_key(text: &str) -> Result<AesKey, ConfigError> {
    AesKey::from_base64(text).map_err(|e| key_err("the AES key")(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_keys_load() {
        let s = Signer::new(test_keys::ALIPAY_PRIVATE_KEY, Some(test_keys::ALIPAY_CERT)).unwrap();
        let rotated = Signer::new(
            test_keys::ROTATED_ALIPAY_PRIVATE_KEY,
            Some(test_keys::ROTATED_ALIPAY_CERT),
        )
        .unwrap();
        assert_ne!(
            s.cert.as_ref().unwrap().sn,
            rotated.cert.as_ref().unwrap().sn
        );
        let app = AppTrust::cert(test_keys::APP_CERT).unwrap();
        assert_eq!(app.cert_sn().map(str::len), Some(32));
        AppTrust::public_key(test_keys::APP_PUBLIC_KEY).unwrap();
        aes_key(test_keys::AES_KEY).unwrap();
        assert!(root_sn(test_keys::ROOT_CERT_WITH_ROTATION)
            .unwrap()
            .starts_with(&root_sn(test_keys::ROOT_CERT).unwrap()));
        // Debug never shows key material.
        assert!(!format!("{s:?}").contains("BEGIN"));
    }

    #[test]
    fn the_rotated_certificate_chains_to_root_r2_and_the_untrusted_one_does_not() {
        let roots = cert::parse_bundle(test_keys::ROOT_CERT_WITH_ROTATION).unwrap();
        let chain = cert::parse_bundle(test_keys::ROTATED_ALIPAY_CERT).unwrap();
        let now = std::time::SystemTime::now();
        cert::validate(&chain[0], &chain[1..], &roots, now).unwrap();
        let bad = Cert::from_pem(test_keys::UNTRUSTED_ALIPAY_CERT).unwrap();
        assert!(cert::validate(&bad, &[], &roots, now).is_err());
    }

    #[test]
    fn bad_keys_are_named() {
        let e = Signer::new("not a key", None).unwrap_err();
        assert!(e.to_string().starts_with("the Alipay private key"), "{e}");
        let e = AppTrust::cert("nope").unwrap_err();
        assert!(e.to_string().starts_with("the app certificate"), "{e}");
    }
}

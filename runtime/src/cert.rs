//! Public-key-certificate mode ("公钥证书模式"): certificate SNs, the root SN, the Alipay
//! public key from its certificate, and chain validation against the root bundle.
//!
//! ```text
//! issuerDN = issuer RDNs in REVERSE order of their DER encoding, RFC 2253 ("CN=…,OU=…,O=…,C=CN")
//! SN       = lowercase hex MD5(utf8(issuerDN + decimal(serial))), always 32 characters
//! root SN  = SNs of the bundle's RSA-signed certificates (signature OID 1.2.840.113549.1.1.*),
//!            in file order, joined with "_" (EC and SM2 roots skipped)
//! ```
//!
//! RFC 2253 escaping (`,` `+` `"` `\` `<` `>` `;`, a leading `#` or space, a trailing space)
//! is applied to attribute values, as Java's `X500Principal.getName()` and OpenSSL do; the
//! Node SDK does not escape, so it computes a different SN for an issuer such as
//! `O=Test Co.\,Ltd.` (real Alipay issuers contain no such characters).
//!
//! A certificate is never trusted because it parses: [`validate`] checks the validity period
//! of every certificate on the path and every signature up to a root of the bundle. Use it
//! for any Alipay certificate obtained at run time (rotation through
//! `alipay.open.app.alipaycert.download`).

use crate::keys::{parse_pem_blocks, read_tlv, KeyError, PublicKey};
use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Tag, Tagged};
use md5::{Digest, Md5};
use std::fmt;
use std::time::SystemTime;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::Certificate;

/// A certificate could not be parsed, or did not validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// No `-----BEGIN CERTIFICATE-----` block and not DER/base64 either.
    #[error("no certificate found: expected PEM `-----BEGIN CERTIFICATE-----` blocks (the .crt files Alipay issues) or DER")]
    NoCertificate,
    /// The PEM armour is broken.
    #[error("the certificate PEM is malformed: {0}")]
    Pem(&'static str),
    /// The DER is not an X.509 certificate.
    #[error("certificate #{index} is not a valid X.509 certificate: {reason}")]
    Der { index: usize, reason: String },
    /// The certificate's key is not a usable RSA public key.
    #[error("the certificate's public key is not usable: {0}")]
    PublicKey(KeyError),
    /// `now` is before `notBefore` or after `notAfter`.
    #[error("certificate `{subject}` is not valid at this time (valid from {not_before} to {not_after}, Unix seconds)")]
    Expired {
        subject: String,
        not_before: u64,
        not_after: u64,
    },
    /// No path from the certificate to a root of the bundle.
    #[error("certificate `{subject}` does not chain to any trusted root of the bundle (issuer `{issuer}`)")]
    Untrusted { subject: String, issuer: String },
    /// An issuing certificate is not a CA.
    #[error("certificate `{subject}` cannot issue certificates (no basicConstraints cA=true)")]
    NotCa { subject: String },
    /// A signature algorithm this crate does not verify.
    #[error("certificate `{subject}` uses an unsupported signature algorithm {oid}")]
    UnsupportedAlgorithm { subject: String, oid: String },
    /// The chain is longer than any real Alipay chain.
    #[error("the certificate chain is longer than {max} certificates")]
    ChainTooLong { max: usize },
}

/// An X.509 certificate with its DER.
#[derive(Clone)]
pub struct Cert {
    der: Vec<u8>,
    cert: Certificate,
}

impl fmt::Debug for Cert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cert")
            .field("subject", &self.subject_dn())
            .field("sn", &self.sn())
            .finish()
    }
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Cert {}

/// Parses every certificate of a PEM text (a bundle such as `alipayRootCert.crt`, or a chain),
/// in file order. Bare base64 of one DER certificate is accepted too.
pub fn parse_bundle(text: &str) -> Result<Vec<Cert>, CertError> {
    let trimmed = text.trim();
    if trimmed.contains("-----BEGIN") {
        let blocks = parse_pem_blocks(trimmed).map_err(CertError::Pem)?;
        let certs: Vec<Cert> = blocks
            .into_iter()
            .filter(|b| b.label == "CERTIFICATE")
            .enumerate()
            .map(|(i, b)| Cert::from_der_indexed(&b.der, i))
            .collect::<Result<_, _>>()?;
        if certs.is_empty() {
            return Err(CertError::NoCertificate);
        }
        return Ok(certs);
    }
    match crate::keys::decode_b64_ignoring_ws(trimmed) {
        Some(der) if der.first() == Some(&0x30) => Ok(vec![Cert::from_der(&der)?]),
        _ => Err(CertError::NoCertificate),
    }
}

/// Parses certificate bytes: PEM text (one or more blocks) or a single DER certificate.
pub fn parse_bundle_bytes(bytes: &[u8]) -> Result<Vec<Cert>, CertError> {
    if bytes.first() == Some(&0x30) {
        return Ok(vec![Cert::from_der(bytes)?]);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| CertError::NoCertificate)?;
    parse_bundle(text)
}

/// `alipay_root_cert_sn` of a root bundle: the SNs of its RSA-signed certificates, in file
/// order, joined with `_`.
pub fn root_cert_sn(bundle_pem: &str) -> Result<String, CertError> {
    Ok(root_cert_sn_of(&parse_bundle(bundle_pem)?))
}

/// [`root_cert_sn`] over already parsed certificates.
pub fn root_cert_sn_of(certs: &[Cert]) -> String {
    certs
        .iter()
        .filter(|c| c.is_rsa_signed())
        .map(Cert::sn)
        .collect::<Vec<_>>()
        .join("_")
}

impl Cert {
    /// Parses the first certificate of a PEM text (or bare base64 of the DER).
    pub fn from_pem(text: &str) -> Result<Self, CertError> {
        parse_bundle(text)?
            .into_iter()
            .next()
            .ok_or(CertError::NoCertificate)
    }

    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        Self::from_der_indexed(der, 0)
    }

    fn from_der_indexed(der: &[u8], index: usize) -> Result<Self, CertError> {
        let cert = Certificate::from_der(der).map_err(|e| CertError::Der {
            index,
            reason: e.to_string(),
        })?;
        Ok(Cert {
            der: der.to_vec(),
            cert,
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate SN (`app_cert_sn` / `alipay_cert_sn`).
    pub fn sn(&self) -> String {
        let issuer = rfc2253(&self.cert.tbs_certificate.issuer);
        let serial = unsigned_decimal(self.cert.tbs_certificate.serial_number.as_bytes());
        let digest = Md5::digest(format!("{issuer}{serial}").as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The issuer DN in RFC 2253 form (as used in the SN).
    pub fn issuer_dn(&self) -> String {
        rfc2253(&self.cert.tbs_certificate.issuer)
    }

    /// The subject DN in RFC 2253 form.
    pub fn subject_dn(&self) -> String {
        rfc2253(&self.cert.tbs_certificate.subject)
    }

    /// The serial number as an unsigned decimal string.
    pub fn serial_decimal(&self) -> String {
        unsigned_decimal(self.cert.tbs_certificate.serial_number.as_bytes())
    }

    /// Dotted OID of the certificate's signature algorithm.
    pub fn signature_algorithm_oid(&self) -> String {
        self.cert.signature_algorithm.oid.to_string()
    }

    /// Whether the signature algorithm is in the RSA family (`1.2.840.113549.1.1.*`).
    pub fn is_rsa_signed(&self) -> bool {
        self.signature_algorithm_oid()
            .starts_with("1.2.840.113549.1.1.")
    }

    /// DER of the `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> Result<Vec<u8>, CertError> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertError::Der {
                index: 0,
                reason: e.to_string(),
            })
    }

    /// The certificate's RSA public key (for `alipayCertPublicKey_RSA2.crt`: the Alipay
    /// public key). Extracting it does not make the certificate trusted: see [`validate`].
    pub fn public_key(&self) -> Result<PublicKey, CertError> {
        PublicKey::from_spki_der(&self.spki_der()?).map_err(CertError::PublicKey)
    }

    /// `notBefore` and `notAfter`.
    pub fn validity(&self) -> (SystemTime, SystemTime) {
        let v = &self.cert.tbs_certificate.validity;
        (v.not_before.to_system_time(), v.not_after.to_system_time())
    }

    fn check_time(&self, now: SystemTime) -> Result<(), CertError> {
        let (nb, na) = self.validity();
        if now < nb || now > na {
            let secs = |t: SystemTime| {
                t.duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
            };
            return Err(CertError::Expired {
                subject: self.subject_dn(),
                not_before: secs(nb),
                not_after: secs(na),
            });
        }
        Ok(())
    }

    fn is_ca(&self) -> bool {
        match self.cert.tbs_certificate.get::<BasicConstraints>() {
            Ok(Some((_, bc))) => bc.ca,
            _ => false,
        }
    }

    /// Raw DER of the `tbsCertificate` (the signed bytes).
    fn tbs_der(&self) -> Option<&[u8]> {
        let outer = read_tlv(&self.der)?;
        Some(read_tlv(outer.content)?.whole)
    }

    /// Whether `issuer` signed `self` (names match and the signature verifies).
    fn signed_by(&self, issuer: &Cert) -> Result<bool, CertError> {
        if self.cert.tbs_certificate.issuer != issuer.cert.tbs_certificate.subject {
            return Ok(false);
        }
        let oid = self.cert.signature_algorithm.oid;
        let alg = verification_algorithm(oid).ok_or_else(|| CertError::UnsupportedAlgorithm {
            subject: self.subject_dn(),
            oid: oid.to_string(),
        })?;
        let Some(tbs) = self.tbs_der() else {
            return Ok(false);
        };
        let Some(signature) = self.cert.signature.as_bytes() else {
            return Ok(false);
        };
        let spki = issuer.spki_der()?;
        Ok(UnparsedPublicKey::new(alg, &spki)
            .verify(tbs, signature)
            .is_ok())
    }
}

/// Longest accepted path (leaf, intermediates, root).
const MAX_CHAIN: usize = 6;

/// Validates `cert` at `now`: its validity period, then a chain of signatures through
/// `intermediates` (untrusted helpers, e.g. the rest of a downloaded chain or
/// `ca_class2.crt`) up to one of `roots` (the trusted bundle, `alipayRootCert.crt`). Every
/// certificate on the path must be within its validity period and every issuer must be a CA.
/// A certificate that is itself one of `roots` is trusted as is (after the time check).
pub fn validate(
    cert: &Cert,
    intermediates: &[Cert],
    roots: &[Cert],
    now: SystemTime,
) -> Result<(), CertError> {
    let mut current = cert;
    for _ in 0..MAX_CHAIN {
        current.check_time(now)?;
        if roots.contains(current) {
            return Ok(());
        }
        let mut last_err = None;
        for root in roots {
            match current.signed_by(root) {
                Ok(true) => {
                    root.check_time(now)?;
                    return Ok(());
                }
                Ok(false) => {}
                Err(e) => last_err = Some(e),
            }
        }
        let mut next = None;
        for ca in intermediates {
            if ca == current {
                continue;
            }
            match current.signed_by(ca) {
                Ok(true) => {
                    if !ca.is_ca() {
                        return Err(CertError::NotCa {
                            subject: ca.subject_dn(),
                        });
                    }
                    next = Some(ca);
                    break;
                }
                Ok(false) => {}
                Err(e) => last_err = Some(e),
            }
        }
        match next {
            Some(ca) => current = ca,
            None => {
                return Err(last_err.unwrap_or_else(|| CertError::Untrusted {
                    subject: current.subject_dn(),
                    issuer: current.issuer_dn(),
                }))
            }
        }
    }
    Err(CertError::ChainTooLong { max: MAX_CHAIN })
}

/// aws-lc-rs algorithm for a certificate signature OID.
fn verification_algorithm(oid: ObjectIdentifier) -> Option<&'static dyn VerificationAlgorithm> {
    let alg: &'static dyn VerificationAlgorithm = match oid.to_string().as_str() {
        "1.2.840.113549.1.1.5" => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        "1.2.840.113549.1.1.11" => &sig::RSA_PKCS1_2048_8192_SHA256,
        "1.2.840.113549.1.1.12" => &sig::RSA_PKCS1_2048_8192_SHA384,
        "1.2.840.113549.1.1.13" => &sig::RSA_PKCS1_2048_8192_SHA512,
        "1.2.840.10045.4.3.2" => &sig::ECDSA_P256_SHA256_ASN1,
        "1.2.840.10045.4.3.3" => &sig::ECDSA_P384_SHA384_ASN1,
        _ => return None,
    };
    Some(alg)
}

// ---------------------------------------------------------------------------------------------
// RFC 2253 names and decimal serials
// ---------------------------------------------------------------------------------------------

/// RFC 2253 keyword of an attribute type, if it has one.
fn keyword(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// Decodes a directory string value; `None` for non-string types.
fn directory_string(tag: Tag, bytes: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::VisibleString
        | Tag::NumericString => std::str::from_utf8(bytes).ok().map(str::to_string),
        // T.61 is read as ISO-8859-1, as Java does.
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// RFC 2253 escaping of an attribute value.
fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let count = value.chars().count();
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == count && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A name in RFC 2253 form: RDNs in reverse order joined by `,`, multi-valued RDNs by `+`.
fn rfc2253(name: &x509_cert::name::Name) -> String {
    let mut rdns = Vec::with_capacity(name.0.len());
    for rdn in name.0.iter().rev() {
        let mut atvs = Vec::new();
        for atv in rdn.0.iter() {
            let oid = atv.oid.to_string();
            let text = match (
                keyword(&oid),
                directory_string(atv.value.tag(), atv.value.value()),
            ) {
                (Some(kw), Some(v)) => format!("{kw}={}", escape_value(&v)),
                (kw, _) => {
                    let der = atv.value.to_der().unwrap_or_default();
                    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
                    format!("{}=#{hex}", kw.map(str::to_string).unwrap_or(oid))
                }
            };
            atvs.push(text);
        }
        rdns.push(atvs.join("+"));
    }
    rdns.join(",")
}

/// Big-endian unsigned bytes → decimal string (leading zero bytes ignored; `0` for empty).
fn unsigned_decimal(bytes: &[u8]) -> String {
    let mut num: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    if num.is_empty() {
        return "0".to_string();
    }
    let mut digits = Vec::new();
    while !num.is_empty() {
        let mut rem: u32 = 0;
        let mut next = Vec::with_capacity(num.len());
        for &b in &num {
            let cur = (rem << 8) | u32::from(b);
            let q = cur / 10;
            rem = cur % 10;
            if !(next.is_empty() && q == 0) {
                next.push(q as u8);
            }
        }
        digits.push(b'0' + rem as u8);
        num = next;
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal() {
        assert_eq!(unsigned_decimal(&[]), "0");
        assert_eq!(unsigned_decimal(&[0, 0]), "0");
        assert_eq!(unsigned_decimal(&[0x01, 0x00]), "256");
        assert_eq!(unsigned_decimal(&[0x00, 0xff]), "255");
        assert_eq!(
            unsigned_decimal(&[0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87]),
            u64::from_be_bytes([0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87]).to_string()
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_value("Test Co.,Ltd."), "Test Co.\\,Ltd.");
        assert_eq!(escape_value("#a b "), "\\#a b\\ ");
        assert_eq!(escape_value(" x"), "\\ x");
        assert_eq!(escape_value("a+b;c<d>e\"f\\"), "a\\+b\\;c\\<d\\>e\\\"f\\\\");
    }
}

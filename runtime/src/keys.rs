//! RSA keys: the app private key (signs requests) and the Alipay public key (verifies
//! responses and notifications).
//!
//! Accepted private key text, detected automatically:
//! - PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, what Alipay's key tool emits "for Java"),
//! - PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`),
//! - bare base64 of either DER (what the open-platform console shows), with any whitespace.
//!
//! PKCS#8 and PKCS#1 are told apart from the DER itself, never from a label or an option.
//! The Alipay public key is an X.509 `SubjectPublicKeyInfo` (`-----BEGIN PUBLIC KEY-----` or
//! bare base64 starting `MIIBIjANBgkqhkiG9w0BAQEFAAOC`).
//!
//! Private-key operations use aws-lc-rs (constant-time RSA). The one exception is SHA1withRSA
//! *signing* (`sign_type=RSA`, legacy): aws-lc-rs does not offer it, so it is only available
//! with the opt-in cargo feature `legacy-rsa1`, which uses the `rsa` crate (not constant-time).
//! SHA1withRSA *verification* always works and uses aws-lc-rs.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaKeyPair, UnparsedPublicKey};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use std::fmt;
use std::sync::Arc;

/// Signature algorithm (`sign_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignType {
    /// `RSA2`: SHA256withRSA (RSASSA-PKCS1-v1_5 with SHA-256). The default and the only one v3 uses.
    #[default]
    Rsa2,
    /// `RSA`: SHA1withRSA, legacy. Signing needs the `legacy-rsa1` feature; verifying does not.
    Rsa,
}

impl SignType {
    /// Wire value of `sign_type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignType::Rsa2 => "RSA2",
            SignType::Rsa => "RSA",
        }
    }

    /// Parses a wire `sign_type` value (`RSA2` or `RSA`, exact case).
    pub fn from_wire(value: &str) -> Option<Self> {
        match value {
            "RSA2" => Some(SignType::Rsa2),
            "RSA" => Some(SignType::Rsa),
            _ => None,
        }
    }
}

impl fmt::Display for SignType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of key text was expected, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// The app private key.
    PrivateKey,
    /// The Alipay public key.
    PublicKey,
    /// The AES content-encryption key.
    AesKey,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::PrivateKey => {
                "private key (expected PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY` PEM, or the bare base64 of either)"
            }
            KeyKind::PublicKey => {
                "Alipay public key (expected X.509 SubjectPublicKeyInfo: `BEGIN PUBLIC KEY` PEM or bare base64 starting `MIIBIjANBgkqhkiG9w0BAQEFAAOC`)"
            }
            KeyKind::AesKey => "AES key (expected the console's base64 text of 16 bytes)",
        })
    }
}

/// A key could not be loaded. Messages say what was wrong and which format is expected;
/// they never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text was empty or only whitespace.
    #[error("the {kind} is empty")]
    Empty { kind: KeyKind },
    /// A PEM header was found but the armour is broken (no matching END line, …).
    #[error("the {kind} has a malformed PEM armour: {reason}")]
    Pem { kind: KeyKind, reason: &'static str },
    /// The PEM label names a different kind of object.
    #[error("the text is a PEM `{label}` block, but a {kind} is needed")]
    WrongPemLabel { kind: KeyKind, label: String },
    /// A password-protected PKCS#8 key.
    #[error("the private key is encrypted (`BEGIN ENCRYPTED PRIVATE KEY`); export it without a password as PKCS#8 or PKCS#1")]
    EncryptedPrivateKey,
    /// The body is not valid base64.
    #[error("the {kind} is not valid base64")]
    Base64 { kind: KeyKind },
    /// The DER is neither of the accepted structures.
    #[error("the {kind} does not decode to a recognised DER structure: {reason}")]
    UnrecognisedDer { kind: KeyKind, reason: &'static str },
    /// A public key was given where a private key is needed, or the other way round.
    #[error("the text holds a {found}, but a {kind} is needed")]
    WrongKeyType { kind: KeyKind, found: &'static str },
    /// The key is well-formed but is not an RSA key.
    #[error("the {kind} is not an RSA key (Alipay uses RSA-2048)")]
    NotRsa { kind: KeyKind },
    /// The cryptographic library rejected the key (inconsistent values, unsupported size, …).
    #[error("the {kind} was rejected: {reason} (Alipay keys are RSA-2048 or larger)")]
    Rejected { kind: KeyKind, reason: String },
    /// AES key of a wrong length.
    #[error(
        "the AES key decodes to {len} bytes; expected 16 (AES-128) from the console's base64 text"
    )]
    AesKeyLength { len: usize },
}

/// A cryptographic operation failed. Never contains key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The RSA signing operation failed.
    #[error("RSA signing failed")]
    Sign,
    /// `sign_type=RSA` (SHA1withRSA) signing was requested, but the `legacy-rsa1` feature is off.
    #[error("SHA1withRSA (sign_type=RSA) signing needs the `legacy-rsa1` cargo feature of alipay-runtime; use RSA2 instead")]
    Rsa1SigningDisabled,
    /// AES ciphertext was not valid base64.
    #[error("the AES ciphertext is not valid standard base64")]
    CiphertextBase64,
    /// AES ciphertext length is not a positive multiple of 16 bytes.
    #[error("the AES ciphertext is {len} bytes; expected a positive multiple of 16 (AES-128-CBC)")]
    CiphertextLength { len: usize },
    /// Decryption failed (wrong AES key or corrupted data: the PKCS#7 padding was invalid).
    #[error("AES decryption failed: wrong AES key or corrupted ciphertext")]
    Decrypt,
    /// Encryption failed inside the cryptographic library.
    #[error("AES encryption failed")]
    Encrypt,
}

/// A signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature text is not standard base64.
    #[error("the signature is not valid standard base64")]
    SignatureBase64,
    /// The signature does not match: wrong Alipay public key, or the content was altered.
    #[error("the signature does not match the signed content: the content was altered or the configured Alipay public key is not the one that signed it")]
    Mismatch,
}

// ---------------------------------------------------------------------------------------------
// Text → DER
// ---------------------------------------------------------------------------------------------

/// Lenient base64: standard alphabet, padding optional (keys pasted from consoles sometimes
/// lose their trailing `=`).
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 after removing every ASCII whitespace character.
pub(crate) fn decode_b64_ignoring_ws(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT_B64.decode(compact.as_bytes()).ok()
}

/// One PEM block: its label and decoded body.
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// Parses every `-----BEGIN X-----` … `-----END X-----` block of `text`, in order.
/// Headers inside the block (`Proc-Type:` …) are not supported (they mean an encrypted
/// legacy key).
pub(crate) fn parse_pem_blocks(text: &str) -> Result<Vec<PemBlock>, &'static str> {
    const BEGIN: &str = "-----BEGIN ";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find(BEGIN) {
        let after = &rest[pos + BEGIN.len()..];
        let label_end = after
            .find("-----")
            .ok_or("a BEGIN line is not closed with -----")?;
        let label = &after[..label_end];
        let body_and_rest = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end = body_and_rest
            .find(&end_marker)
            .ok_or("no END line matching the BEGIN line")?;
        let body = &body_and_rest[..end];
        if body.contains(':') {
            return Err(
                "PEM headers (Proc-Type/DEK-Info) are not supported; the key looks encrypted",
            );
        }
        let der = decode_b64_ignoring_ws(body).ok_or("the PEM body is not valid base64")?;
        out.push(PemBlock {
            label: label.to_string(),
            der,
        });
        rest = &body_and_rest[end + end_marker.len()..];
    }
    Ok(out)
}

/// Either the single PEM block of `text` or its bare base64, as DER plus the PEM label.
///
/// Keys copied from environment variables or JSON often carry the two characters `\n`
/// instead of line breaks; base64 and PEM never contain a backslash, so those escapes are
/// read as whitespace.
fn text_to_der(text: &str, kind: KeyKind) -> Result<(Option<String>, Vec<u8>), KeyError> {
    let unescaped;
    let text = if text.contains('\\') {
        unescaped = text.replace("\\n", "\n").replace("\\r", "\r");
        unescaped.as_str()
    } else {
        text
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(KeyError::Empty { kind });
    }
    if trimmed.contains("-----BEGIN") {
        let blocks = parse_pem_blocks(trimmed).map_err(|reason| KeyError::Pem { kind, reason })?;
        let block = blocks.into_iter().next().ok_or(KeyError::Pem {
            kind,
            reason: "no complete BEGIN/END block",
        })?;
        return Ok((Some(block.label), block.der));
    }
    let der = decode_b64_ignoring_ws(trimmed).ok_or(KeyError::Base64 { kind })?;
    if der.is_empty() {
        return Err(KeyError::Empty { kind });
    }
    Ok((None, der))
}

// ---------------------------------------------------------------------------------------------
// Minimal DER reading (no panics on any input)
// ---------------------------------------------------------------------------------------------

/// One DER TLV: tag byte, the content bytes, the whole encoding, and what follows it.
#[derive(Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
    pub(crate) whole: &'a [u8],
    pub(crate) rest: &'a [u8],
}

/// Reads one DER TLV (single-byte tags, definite lengths up to 4 length bytes).
pub(crate) fn read_tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, after_tag) = input.split_first()?;
    let (&first_len, mut after_len) = after_tag.split_first()?;
    let len = if first_len < 0x80 {
        usize::from(first_len)
    } else {
        let n = usize::from(first_len & 0x7f);
        if n == 0 || n > 4 || after_len.len() < n {
            return None;
        }
        let (len_bytes, rest) = after_len.split_at(n);
        after_len = rest;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if after_len.len() < len {
        return None;
    }
    let (content, rest) = after_len.split_at(len);
    let header_len = input.len() - after_len.len();
    let whole = input.get(..header_len + len)?;
    Some(Tlv {
        tag,
        content,
        whole,
        rest,
    })
}

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
/// DER content of OID 1.2.840.113549.1.1.1 (rsaEncryption).
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Shape of a private key DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrivateDer {
    /// `PrivateKeyInfo` (RFC 5208) with the rsaEncryption algorithm.
    Pkcs8,
    /// `RSAPrivateKey` (RFC 8017).
    Pkcs1,
}

/// Tells PKCS#8 from PKCS#1 from the DER: PKCS#8 is `SEQUENCE { INTEGER 0, SEQUENCE {OID, …},
/// OCTET STRING }`; PKCS#1 is `SEQUENCE { INTEGER version, INTEGER n, INTEGER e, … }`.
fn classify_private_der(der: &[u8]) -> Result<PrivateDer, KeyError> {
    let kind = KeyKind::PrivateKey;
    let unrecognised = |reason| KeyError::UnrecognisedDer { kind, reason };
    let outer = read_tlv(der).ok_or(unrecognised("not a DER SEQUENCE"))?;
    if outer.tag != TAG_SEQUENCE {
        return Err(unrecognised("not a DER SEQUENCE"));
    }
    let version = read_tlv(outer.content).ok_or(unrecognised("truncated"))?;
    if version.tag != TAG_INTEGER {
        // An SPKI starts SEQUENCE { SEQUENCE { OID … } …}: a public key.
        if version.tag == TAG_SEQUENCE {
            return Err(KeyError::WrongKeyType {
                kind,
                found: "public key or certificate",
            });
        }
        return Err(unrecognised(
            "neither PKCS#8 PrivateKeyInfo nor PKCS#1 RSAPrivateKey",
        ));
    }
    let second = read_tlv(version.rest).ok_or(unrecognised("truncated"))?;
    match second.tag {
        TAG_SEQUENCE => {
            let oid = read_tlv(second.content).ok_or(unrecognised("truncated algorithm"))?;
            if oid.tag != TAG_OID {
                return Err(unrecognised("PKCS#8 algorithm identifier without an OID"));
            }
            if oid.content != OID_RSA_ENCRYPTION {
                return Err(KeyError::NotRsa { kind });
            }
            let key = read_tlv(second.rest).ok_or(unrecognised("truncated PKCS#8"))?;
            if key.tag != TAG_OCTET_STRING {
                return Err(unrecognised("PKCS#8 without a private key OCTET STRING"));
            }
            Ok(PrivateDer::Pkcs8)
        }
        TAG_INTEGER => Ok(PrivateDer::Pkcs1),
        _ => Err(unrecognised(
            "neither PKCS#8 PrivateKeyInfo nor PKCS#1 RSAPrivateKey",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Private key
// ---------------------------------------------------------------------------------------------

/// The app private key. `Debug` shows only the key size.
pub struct PrivateKey {
    pair: RsaKeyPair,
    rng: SystemRandom,
    #[cfg(feature = "legacy-rsa1")]
    legacy: rsa::RsaPrivateKey,
}

impl PrivateKey {
    /// Loads a private key from PKCS#1 or PKCS#8, PEM or bare base64 (any whitespace).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let (label, der) = text_to_der(text, KeyKind::PrivateKey)?;
        if let Some(label) = label {
            match label.as_str() {
                "PRIVATE KEY" | "RSA PRIVATE KEY" => {}
                "ENCRYPTED PRIVATE KEY" => return Err(KeyError::EncryptedPrivateKey),
                _ => {
                    return Err(KeyError::WrongPemLabel {
                        kind: KeyKind::PrivateKey,
                        label,
                    })
                }
            }
        }
        Self::from_der(&der)
    }

    /// Loads a private key from DER, PKCS#8 `PrivateKeyInfo` or PKCS#1 `RSAPrivateKey`.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let kind = KeyKind::PrivateKey;
        let shape = classify_private_der(der)?;
        let rejected = |e: aws_lc_rs::error::KeyRejected| KeyError::Rejected {
            kind,
            reason: e.to_string(),
        };
        let pair = match shape {
            PrivateDer::Pkcs8 => RsaKeyPair::from_pkcs8(der).map_err(rejected)?,
            PrivateDer::Pkcs1 => RsaKeyPair::from_der(der).map_err(rejected)?,
        };
        #[cfg(feature = "legacy-rsa1")]
        let legacy = {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            use rsa::pkcs8::DecodePrivateKey;
            let parsed = match shape {
                PrivateDer::Pkcs8 => rsa::RsaPrivateKey::from_pkcs8_der(der).ok(),
                PrivateDer::Pkcs1 => rsa::RsaPrivateKey::from_pkcs1_der(der).ok(),
            };
            parsed.ok_or(KeyError::Rejected {
                kind,
                reason: "not accepted by the legacy SHA1withRSA signer".to_string(),
            })?
        };
        Ok(PrivateKey {
            pair,
            rng: SystemRandom::new(),
            #[cfg(feature = "legacy-rsa1")]
            legacy,
        })
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.pair.public_modulus_len() * 8
    }

    /// Signs `message` (RSASSA-PKCS1-v1_5, deterministic) and returns standard base64 with
    /// `=` padding, as sent in `sign` / the v3 `Authorization` header.
    pub fn sign(&self, sign_type: SignType, message: &[u8]) -> Result<String, CryptoError> {
        let raw = self.sign_raw(sign_type, message)?;
        Ok(STANDARD.encode(raw))
    }

    /// Signs `message` and returns the raw signature bytes.
    pub fn sign_raw(&self, sign_type: SignType, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match sign_type {
            SignType::Rsa2 => {
                let mut sig = vec![0u8; self.pair.public_modulus_len()];
                self.pair
                    .sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| CryptoError::Sign)?;
                Ok(sig)
            }
            SignType::Rsa => self.sign_sha1(message),
        }
    }

    #[cfg(feature = "legacy-rsa1")]
    fn sign_sha1(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use sha1::Digest;
        let digest = sha1::Sha1::digest(message);
        // With an RNG the `rsa` crate blinds the private-key operation.
        self.legacy
            .sign_with_rng(
                &mut rsa::rand_core::OsRng,
                rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                &digest,
            )
            .map_err(|_| CryptoError::Sign)
    }

    #[cfg(not(feature = "legacy-rsa1"))]
    fn sign_sha1(&self, _message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::Rsa1SigningDisabled)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Public key
// ---------------------------------------------------------------------------------------------

/// An RSA public key (the Alipay public key, or the key of a certificate). Cheap to clone.
#[derive(Clone)]
pub struct PublicKey {
    spki: Arc<[u8]>,
    /// Parsed once for the common RSA2 path.
    sha256: Arc<ParsedPublicKey>,
}

impl PublicKey {
    /// Loads an SPKI public key from `BEGIN PUBLIC KEY` PEM or bare base64 (any whitespace).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let kind = KeyKind::PublicKey;
        let (label, der) = text_to_der(text, kind)?;
        if let Some(label) = label {
            match label.as_str() {
                "PUBLIC KEY" => {}
                "RSA PUBLIC KEY" => {
                    return Err(KeyError::WrongKeyType {
                        kind,
                        found: "PKCS#1 `RSA PUBLIC KEY` (convert it to SubjectPublicKeyInfo)",
                    })
                }
                "CERTIFICATE" => {
                    return Err(KeyError::WrongKeyType {
                        kind,
                        found: "certificate (use certificate mode instead)",
                    })
                }
                _ => return Err(KeyError::WrongPemLabel { kind, label }),
            }
        }
        Self::from_spki_der(&der)
    }

    /// Loads a public key from the DER of an X.509 `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let kind = KeyKind::PublicKey;
        let unrecognised = |reason| KeyError::UnrecognisedDer { kind, reason };
        let outer = read_tlv(der).ok_or(unrecognised("not a DER SEQUENCE"))?;
        if outer.tag != TAG_SEQUENCE || !outer.rest.is_empty() {
            return Err(unrecognised("not a single DER SEQUENCE"));
        }
        let first = read_tlv(outer.content).ok_or(unrecognised("truncated"))?;
        match first.tag {
            TAG_SEQUENCE => {
                let oid = read_tlv(first.content).ok_or(unrecognised("truncated algorithm"))?;
                if oid.tag != TAG_OID {
                    return Err(unrecognised("algorithm identifier without an OID"));
                }
                if oid.content != OID_RSA_ENCRYPTION {
                    return Err(KeyError::NotRsa { kind });
                }
            }
            TAG_INTEGER => {
                let second = read_tlv(first.rest).ok_or(unrecognised("truncated"))?;
                let found = if second.tag == TAG_INTEGER && second.rest.is_empty() {
                    "PKCS#1 RSAPublicKey (convert it to SubjectPublicKeyInfo)"
                } else {
                    "private key"
                };
                return Err(KeyError::WrongKeyType { kind, found });
            }
            _ => return Err(unrecognised("not a SubjectPublicKeyInfo")),
        }
        let sha256 =
            ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der).map_err(|e| {
                KeyError::Rejected {
                    kind,
                    reason: e.to_string(),
                }
            })?;
        Ok(PublicKey {
            spki: Arc::from(der),
            sha256: Arc::new(sha256),
        })
    }

    /// DER of the `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Standard base64 of the `SubjectPublicKeyInfo` DER (the console's bare form).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.spki)
    }

    /// Verifies a standard-base64 signature over `message`.
    pub fn verify(
        &self,
        sign_type: SignType,
        message: &[u8],
        signature_b64: &str,
    ) -> Result<(), VerifyError> {
        let sig = STANDARD
            .decode(signature_b64.trim().as_bytes())
            .map_err(|_| VerifyError::SignatureBase64)?;
        self.verify_raw(sign_type, message, &sig)
    }

    /// Verifies raw signature bytes over `message`.
    pub fn verify_raw(
        &self,
        sign_type: SignType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let result = match sign_type {
            SignType::Rsa2 => self.sha256.verify_sig(message, signature),
            // Legacy apps signing with SHA1 may still have 1024-bit Alipay keys.
            SignType::Rsa => UnparsedPublicKey::new(
                &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                &*self.spki,
            )
            .verify(message, signature),
        };
        result.map_err(|_| VerifyError::Mismatch)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("spki_len", &self.spki.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl Eq for PublicKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reader_is_total() {
        assert!(read_tlv(&[]).is_none());
        assert!(read_tlv(&[0x30]).is_none());
        assert!(read_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(read_tlv(&[0x30, 0x82, 0x01]).is_none());
        assert!(read_tlv(&[0x30, 0x03, 0x02, 0x01]).is_none());
        let t = read_tlv(&[0x30, 0x03, 0x02, 0x01, 0x00, 0xff]).unwrap();
        assert_eq!(t.tag, 0x30);
        assert_eq!(t.content, &[0x02, 0x01, 0x00]);
        assert_eq!(t.whole.len(), 5);
        assert_eq!(t.rest, &[0xff]);
    }

    #[test]
    fn escaped_newlines_are_whitespace() {
        let key = "-----BEGIN PUBLIC KEY-----\\nMIIBIjAN\\n-----END PUBLIC KEY-----";
        // The escapes are stripped; the (deliberately truncated) body then fails as DER,
        // not as base64 or PEM.
        assert!(matches!(
            PublicKey::from_text(key),
            Err(KeyError::UnrecognisedDer { .. } | KeyError::Rejected { .. })
        ));
    }

    #[test]
    fn keys_are_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<PrivateKey>();
        assert_send_sync::<PublicKey>();
        assert_send_sync::<crate::aes::AesKey>();
        assert_send_sync::<crate::cert::Cert>();
    }

    #[test]
    fn sign_type_wire_values() {
        assert_eq!(SignType::from_wire("RSA2"), Some(SignType::Rsa2));
        assert_eq!(SignType::from_wire("RSA"), Some(SignType::Rsa));
        assert_eq!(SignType::from_wire("rsa2"), None);
        assert_eq!(SignType::default().as_str(), "RSA2");
    }
}

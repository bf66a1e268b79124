//! AES content encryption ("接口内容加密") of v2 `biz_content` / v3 bodies and responses.
//!
//! AES-128-CBC, IV = 16 zero bytes, PKCS#7 padding, UTF-8 plaintext, standard base64 (with
//! padding) of the raw ciphertext, no salt and no IV prefix — what Alipay and all its SDKs do.
//! The zero IV is the protocol's, not a choice of this crate.

use crate::keys::{decode_b64_ignoring_ws, CryptoError, KeyError, KeyKind};
use aws_lc_rs::cipher::{
    DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey, AES_128,
};
use aws_lc_rs::iv::FixedLength;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt;

const ZERO_IV: [u8; 16] = [0u8; 16];

/// The AES key configured in the open-platform console. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct AesKey {
    key: [u8; 16],
}

impl AesKey {
    /// Loads the console's key text: standard base64 of 16 bytes (whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let kind = KeyKind::AesKey;
        if text.trim().is_empty() {
            return Err(KeyError::Empty { kind });
        }
        let bytes = decode_b64_ignoring_ws(text).ok_or(KeyError::Base64 { kind })?;
        let key: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::AesKeyLength { len: bytes.len() })?;
        Ok(AesKey { key })
    }

    /// Encrypts `plaintext` and returns standard base64 of the ciphertext.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        // AES-128-CBC with a valid 16-byte key and a 16-byte IV cannot fail; an empty
        // string would never decrypt, so the gateway would reject it loudly.
        self.try_encrypt(plaintext).unwrap_or_default()
    }

    /// Like [`AesKey::encrypt`], reporting the (practically impossible) library failure.
    pub fn try_encrypt(&self, plaintext: &[u8]) -> Result<String, CryptoError> {
        let unbound =
            UnboundCipherKey::new(&AES_128, &self.key).map_err(|_| CryptoError::Encrypt)?;
        let key = PaddedBlockEncryptingKey::cbc_pkcs7(unbound).map_err(|_| CryptoError::Encrypt)?;
        let mut buf = Vec::with_capacity(plaintext.len() + 16);
        buf.extend_from_slice(plaintext);
        key.less_safe_encrypt(
            &mut buf,
            EncryptionContext::Iv128(FixedLength::from(ZERO_IV)),
        )
        .map_err(|_| CryptoError::Encrypt)?;
        Ok(STANDARD.encode(&buf))
    }

    /// Decrypts standard-base64 ciphertext (surrounding whitespace ignored) to plaintext bytes.
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<Vec<u8>, CryptoError> {
        let mut buf = STANDARD
            .decode(ciphertext_b64.trim().as_bytes())
            .map_err(|_| CryptoError::CiphertextBase64)?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(CryptoError::CiphertextLength { len: buf.len() });
        }
        let unbound =
            UnboundCipherKey::new(&AES_128, &self.key).map_err(|_| CryptoError::Decrypt)?;
        let key = PaddedBlockDecryptingKey::cbc_pkcs7(unbound).map_err(|_| CryptoError::Decrypt)?;
        let plain_len = key
            .decrypt(
                &mut buf,
                DecryptionContext::Iv128(FixedLength::from(ZERO_IV)),
            )
            .map_err(|_| CryptoError::Decrypt)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

impl Drop for AesKey {
    fn drop(&mut self) {
        for b in self.key.iter_mut() {
            // Volatile so the wipe is not optimised away.
            // SAFETY: `b` is a valid, aligned, exclusive reference to a u8.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_redacted_debug() {
        let key = AesKey::from_base64("AAECAwQFBgcICQoLDA0ODw==").unwrap();
        let c = key.encrypt("中文".as_bytes());
        assert_eq!(key.decrypt(&c).unwrap(), "中文".as_bytes());
        assert_eq!(format!("{key:?}"), "AesKey(<redacted>)");
    }

    #[test]
    fn bad_keys_and_ciphertexts() {
        assert_eq!(
            AesKey::from_base64("AAEC").unwrap_err(),
            KeyError::AesKeyLength { len: 3 }
        );
        assert!(matches!(
            AesKey::from_base64("!!"),
            Err(KeyError::Base64 { .. })
        ));
        let key = AesKey::from_base64("AAECAwQFBgcICQoLDA0ODw==").unwrap();
        assert_eq!(key.decrypt("%%%"), Err(CryptoError::CiphertextBase64));
        assert_eq!(
            key.decrypt("AAAA"),
            Err(CryptoError::CiphertextLength { len: 3 })
        );
    }
}

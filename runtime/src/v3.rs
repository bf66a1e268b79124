//! v3 REST protocol core: the `Authorization` header, the string to sign, query and path
//! encoding, and response verification. Pure functions over bytes.
//!
//! ```text
//! authString = app_id=<id>[,app_cert_sn=<sn>],nonce=<nonce>,timestamp=<epoch ms>
//! content    = authString \n METHOD \n requestTarget \n body \n [appAuthToken \n]
//! header     = "ALIPAY-SHA256withRSA " + authString + ",sign=" + base64(SHA256withRSA(content))
//! response   = verify(alipay-timestamp \n alipay-nonce \n rawBody \n, alipay-signature)
//! ```
//!
//! The request target (path + `?` + query) must be byte-identical to what is sent: build the
//! query once with [`encode_query`], put that same string in the URL and in the signature,
//! and never let the HTTP client re-encode it.

use crate::keys::{CryptoError, PrivateKey, PublicKey, SignType, VerifyError};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Scheme of the v3 `Authorization` header.
pub const AUTH_SCHEME: &str = "ALIPAY-SHA256withRSA";

/// Everything but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one query key/value or path segment: RFC 3986 unreserved characters kept,
/// every other byte of the UTF-8 `%XX` with upper-case hex (space → `%20`, `/` → `%2F`).
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, NOT_UNRESERVED).to_string()
}

/// Encodes a path segment (a path parameter value). Same set as [`encode_component`], so a
/// `/` inside a value cannot change the route.
pub fn encode_path_segment(segment: &str) -> String {
    encode_component(segment)
}

/// Encodes query parameters once, in the given order: `k=v` joined with `&`, each key and
/// value encoded with [`encode_component`]. Returns the text after `?` (empty for no params).
pub fn encode_query(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode_component(k));
        out.push('=');
        out.push_str(&encode_component(v));
    }
    out
}

/// `path` plus `?query` when the query is not empty: the request-target line.
pub fn request_target(path: &str, encoded_query: &str) -> String {
    if encoded_query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{encoded_query}")
    }
}

/// The authString: `app_id=…[,app_cert_sn=…],nonce=…,timestamp=…` (SDK order, no spaces).
/// `timestamp_ms` is the Unix epoch in milliseconds (13 digits).
pub fn auth_string(
    app_id: &str,
    app_cert_sn: Option<&str>,
    nonce: &str,
    timestamp_ms: u64,
) -> String {
    match app_cert_sn {
        Some(sn) => {
            format!("app_id={app_id},app_cert_sn={sn},nonce={nonce},timestamp={timestamp_ms}")
        }
        None => format!("app_id={app_id},nonce={nonce},timestamp={timestamp_ms}"),
    }
}

/// The v3 string to sign. Every line ends with `\n`, the last one and an empty body line
/// included; `app_auth_token` (also sent as header `alipay-app-auth-token`) is a fifth line.
/// `http_method` is upper-cased; `body` is the exact body text sent (`""` without a body, the
/// ciphertext when AES-encrypted, the `data` part JSON for multipart uploads).
pub fn string_to_sign(
    auth_string: &str,
    http_method: &str,
    request_target: &str,
    body: &str,
    app_auth_token: Option<&str>,
) -> String {
    let mut out = String::with_capacity(auth_string.len() + request_target.len() + body.len() + 64);
    out.push_str(auth_string);
    out.push('\n');
    out.push_str(&http_method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(request_target);
    out.push('\n');
    out.push_str(body);
    out.push('\n');
    if let Some(token) = app_auth_token {
        out.push_str(token);
        out.push('\n');
    }
    out
}

/// The `Authorization` header value: `ALIPAY-SHA256withRSA <authString>,sign=<sign>`.
pub fn authorization_header(auth_string: &str, sign: &str) -> String {
    format!("{AUTH_SCHEME} {auth_string},sign={sign}")
}

/// Signs a v3 request and returns the `Authorization` header value.
pub fn sign_request(
    key: &PrivateKey,
    auth_string: &str,
    http_method: &str,
    request_target: &str,
    body: &str,
    app_auth_token: Option<&str>,
) -> Result<String, CryptoError> {
    let content = string_to_sign(
        auth_string,
        http_method,
        request_target,
        body,
        app_auth_token,
    );
    let sign = key.sign(SignType::Rsa2, content.as_bytes())?;
    Ok(authorization_header(auth_string, &sign))
}

/// `timestamp \n nonce \n body \n`: the bytes a v3 response signature covers (header values
/// and body verbatim).
pub fn response_string_to_verify(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    out.extend_from_slice(timestamp.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(nonce.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out.push(b'\n');
    out
}

/// Verifies a v3 response: `alipay-signature` over [`response_string_to_verify`] with RSA2.
/// Verify first, then AES-decrypt an encrypted body.
pub fn verify_response(
    timestamp: &str,
    nonce: &str,
    signature: &str,
    body: &[u8],
    key: &PublicKey,
) -> Result<(), VerifyError> {
    key.verify(
        SignType::Rsa2,
        &response_string_to_verify(timestamp, nonce, body),
        signature,
    )
}

/// A v3 error body: `{"code":…,"message":…,"links":[{"link":…,"desc":…}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub links: Vec<ErrorBodyLink>,
}

/// One entry of [`ErrorBody::links`].
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[non_exhaustive]
pub struct ErrorBodyLink {
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub desc: Option<String>,
}

impl ErrorBody {
    /// Parses an error body; `None` if it is not a JSON object of that shape.
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_rfc3986() {
        assert_eq!(
            encode_component("a b/c:d~e*f中+%&="),
            "a%20b%2Fc%3Ad~e%2Af%E4%B8%AD%2B%25%26%3D"
        );
        assert_eq!(encode_query(&[("k 1", "v"), ("x", "")]), "k%201=v&x=");
        assert_eq!(request_target("/v3/a", ""), "/v3/a");
        assert_eq!(request_target("/v3/a", "x=1"), "/v3/a?x=1");
        assert_eq!(encode_path_segment("a/b"), "a%2Fb");
    }

    #[test]
    fn lines() {
        assert_eq!(string_to_sign("A", "get", "/p", "", None), "A\nGET\n/p\n\n");
        assert_eq!(
            string_to_sign("A", "POST", "/p", "{}", Some("t")),
            "A\nPOST\n/p\n{}\nt\n"
        );
        assert_eq!(
            auth_string("1", Some("sn"), "n", 5),
            "app_id=1,app_cert_sn=sn,nonce=n,timestamp=5"
        );
    }

    #[test]
    fn error_body() {
        let e =
            ErrorBody::parse(br#"{"code":"x","message":"m","links":[{"link":"l","desc":"d"}]}"#)
                .unwrap();
        assert_eq!(e.code.as_deref(), Some("x"));
        assert_eq!(e.links[0].link.as_deref(), Some("l"));
        assert!(ErrorBody::parse(b"nope").is_none());
    }
}

//! The HTTP seam: a small object-safe trait and the default reqwest implementation.
//!
//! The client builds a complete `http::Request<Bytes>` (URL with the final, already encoded
//! query string; all headers; the exact body that was signed) and hands it to a [`Transport`].
//! A transport only moves bytes: it must not rewrite the URL, the headers or the body.

use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed, sendable future, as returned by [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Moves one HTTP request to the server and returns its complete response.
///
/// Implementations must send the request as given (method, request target, headers and body
/// byte for byte: the request target and the body are covered by the signature) and report
/// failures as a [`TransportError`] that says whether the request may have reached the server.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request`; `timeout` bounds this attempt (connect + send + read), when given.
    fn send(
        &self,
        request: http::Request<Bytes>,
        timeout: Option<Duration>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;
}

/// What went wrong while moving the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (DNS, refused, TLS handshake, connect timeout).
    /// The request never left.
    Connect,
    /// The attempt (or the whole call) ran out of time after the request may have been sent.
    Timeout,
    /// The connection failed after the request may have been sent (reset, truncated response).
    Interrupted,
    /// The request could not be handed to the HTTP client at all (invalid URL or header).
    /// The request never left.
    Invalid,
}

/// A failure to exchange bytes with the server.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    maybe_sent: bool,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TransportError {
    /// A failure before any byte of the request left (connect, DNS, TLS).
    pub fn connect(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Self::new(TransportErrorKind::Connect, false, source)
    }

    /// A timeout; `maybe_sent` says whether the request may have reached the server.
    pub fn timeout(maybe_sent: bool, message: impl Into<String>) -> Self {
        TransportError {
            kind: TransportErrorKind::Timeout,
            maybe_sent,
            message: message.into(),
            source: None,
        }
    }

    /// A failure after the request may have been sent (reset, truncated or unreadable response).
    pub fn interrupted(
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self::new(TransportErrorKind::Interrupted, true, source)
    }

    /// The request could not be handed to the HTTP client (it never left).
    pub fn invalid(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Self::new(TransportErrorKind::Invalid, false, source)
    }

    fn new(
        kind: TransportErrorKind,
        maybe_sent: bool,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        let source = source.into();
        TransportError {
            kind,
            maybe_sent,
            message: source.to_string(),
            source: Some(source),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// `true` when the request may have reached the server: its effect is then unknown.
    pub fn maybe_sent(&self) -> bool {
        self.maybe_sent
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Interrupted => "connection failed during the exchange",
            TransportErrorKind::Invalid => "request rejected by the HTTP client",
        };
        write!(f, "{what}: {}", self.message)?;
        if self.maybe_sent {
            f.write_str(" (the request may have reached Alipay)")
        } else {
            f.write_str(" (the request was not sent)")
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The default transport: a [`reqwest::Client`] (rustls on aws-lc-rs).
#[cfg(feature = "reqwest")]
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

#[cfg(feature = "reqwest")]
impl ReqwestTransport {
    /// Wraps an existing client (its own timeouts, proxy and TLS settings apply).
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }

    /// Builds a client with the given connect timeout and proxy, no redirects.
    pub fn with_settings(
        connect_timeout: Option<Duration>,
        proxy: Option<&str>,
    ) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(t) = connect_timeout {
            builder = builder.connect_timeout(t);
        }
        if let Some(p) = proxy {
            builder = builder.proxy(reqwest::Proxy::all(p)?);
        }
        Ok(ReqwestTransport {
            client: builder.build()?,
        })
    }

    async fn exchange(
        &self,
        request: http::Request<Bytes>,
        timeout: Option<Duration>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let (parts, body) = request.into_parts();
        // `Url::parse` keeps an already percent-encoded query and path as they are (every byte
        // outside the unreserved set is `%XX` by the time it gets here), so the request target
        // on the wire is the one that was signed.
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(TransportError::invalid)?;
        let mut req = reqwest::Request::new(parts.method, url);
        *req.headers_mut() = parts.headers;
        if !body.is_empty() {
            *req.body_mut() = Some(reqwest::Body::from(body));
        }
        *req.timeout_mut() = timeout;
        let mut response = self.client.execute(req).await.map_err(classify)?;
        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let mut out = http::Response::new(Bytes::from(body));
        *out.status_mut() = status;
        *out.version_mut() = version;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// Largest response body the default transport reads (Alipay API responses are small).
#[cfg(feature = "reqwest")]
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

#[cfg(feature = "reqwest")]
fn too_large() -> TransportError {
    TransportError::interrupted(format!(
        "the response body is larger than {MAX_RESPONSE_BYTES} bytes"
    ))
}

#[cfg(feature = "reqwest")]
fn classify(e: reqwest::Error) -> TransportError {
    if e.is_connect() {
        TransportError::connect(e)
    } else if e.is_builder() {
        TransportError::invalid(e)
    } else if e.is_timeout() {
        TransportError::timeout(true, e.to_string())
    } else {
        TransportError::interrupted(e)
    }
}

#[cfg(feature = "reqwest")]
impl Transport for ReqwestTransport {
    fn send(
        &self,
        request: http::Request<Bytes>,
        timeout: Option<Duration>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(self.exchange(request, timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_says_whether_sent() {
        let e = TransportError::timeout(true, "attempt took longer than 5s");
        assert!(e.to_string().contains("may have reached"));
        assert!(e.maybe_sent());
        let e =
            TransportError::connect(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!e.maybe_sent());
        assert_eq!(e.kind(), TransportErrorKind::Connect);
        assert!(e.to_string().contains("not sent"));
    }

    #[test]
    fn trait_is_object_safe() {
        fn _takes(_: &dyn Transport) {}
    }
}

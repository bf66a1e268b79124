//! Client configuration: [`ClientBuilder`], built once and validated by [`ClientBuilder::build`].

use crate::aes::AesKey;
use crate::cert::{self, Cert, CertError};
use crate::client::{Client, Protocol};
use crate::keys::{PrivateKey, PublicKey, SignType};
use crate::retry::RetryPolicy;
use crate::transport::Transport;
use crate::Error;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Where the client sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// `https://openapi.alipay.com/gateway.do` (v2) and `https://openapi.alipay.com` (v3).
    Production,
    /// The current sandbox: `https://openapi-sandbox.dl.alipaydev.com/gateway.do` (v2) and
    /// `https://openapi-sandbox.dl.alipaydev.com` (v3).
    Sandbox,
    /// Explicit URLs (a local emulator, a proxy in front of Alipay, …).
    Custom {
        /// Full URL of the v2 gateway, e.g. `http://127.0.0.1:8080/gateway.do`.
        v2_gateway: String,
        /// Base URL the v3 paths (`/v3/…`) are appended to, e.g. `http://127.0.0.1:8080`.
        v3_base: String,
    },
}

impl Endpoint {
    /// An explicit v2 gateway URL and v3 base URL.
    pub fn custom(v2_gateway: impl Into<String>, v3_base: impl Into<String>) -> Self {
        Endpoint::Custom {
            v2_gateway: v2_gateway.into(),
            v3_base: v3_base.into(),
        }
    }

    fn urls(&self) -> (&str, &str) {
        match self {
            Endpoint::Production => (
                "https://openapi.alipay.com/gateway.do",
                "https://openapi.alipay.com",
            ),
            Endpoint::Sandbox => (
                "https://openapi-sandbox.dl.alipaydev.com/gateway.do",
                "https://openapi-sandbox.dl.alipaydev.com",
            ),
            Endpoint::Custom {
                v2_gateway,
                v3_base,
            } => (v2_gateway, v3_base),
        }
    }
}

/// Timeouts of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing the connection (default transport only). Default 10 s.
    pub connect: Option<Duration>,
    /// One attempt: connect, send, and read the whole response. Default 30 s.
    pub attempt: Option<Duration>,
    /// The whole call, retries and backoff included. Default: none.
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Some(Duration::from_secs(10)),
            attempt: Some(Duration::from_secs(30)),
            total: None,
        }
    }
}

/// Text given directly or read from a file at build time.
#[derive(Clone)]
enum Source {
    Text(String),
    File(PathBuf),
}

impl Source {
    fn read(&self, item: &'static str) -> Result<String, Error> {
        match self {
            Source::Text(t) => Ok(t.clone()),
            Source::File(path) => std::fs::read_to_string(path).map_err(|e| {
                Error::config(
                    item,
                    format!("could not read the file {}: {e}", path.display()),
                )
            }),
        }
    }

    fn describe(&self) -> String {
        match self {
            Source::Text(_) => "<text>".to_string(),
            Source::File(p) => format!("file {}", p.display()),
        }
    }
}

pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;
pub(crate) type NonceSource = Arc<dyn Fn() -> String + Send + Sync>;

/// Builds a [`Client`]. Obtain one with [`Client::builder`].
///
/// Every setting is checked by [`ClientBuilder::build`], which names the bad item and the
/// expected format. `Debug` shows which settings are present, never a secret.
///
/// Public-key mode, keys from files (the private key may be PKCS#8 or PKCS#1, PEM or the
/// console's bare base64; the format is detected):
///
/// ```no_run
/// use alipay_runtime::{Client, Endpoint};
/// let client = Client::builder()
///     .app_id("2021000000000001")
///     .private_key_file("keys/app_private_key.pem")
///     .alipay_public_key_file("keys/alipay_public_key.pem")
///     .endpoint(Endpoint::Sandbox)
///     .build()?;
/// # Ok::<(), alipay_runtime::Error>(())
/// ```
///
/// Keys as text, e.g. from environment variables (bare base64, line breaks ignored), with
/// AES content encryption and explicit timeouts:
///
/// ```no_run
/// use std::time::Duration;
/// let client = alipay_runtime::Client::builder()
///     .app_id(std::env::var("ALIPAY_APP_ID").unwrap_or_default())
///     .private_key(std::env::var("ALIPAY_PRIVATE_KEY").unwrap_or_default())
///     .alipay_public_key(std::env::var("ALIPAY_PUBLIC_KEY").unwrap_or_default())
///     .aes_key(std::env::var("ALIPAY_AES_KEY").unwrap_or_default())
///     .connect_timeout(Duration::from_secs(3))
///     .timeout(Duration::from_secs(10))
///     .total_timeout(Duration::from_secs(30))
///     .build()?;
/// # Ok::<(), alipay_runtime::Error>(())
/// ```
///
/// Certificate mode: the three `.crt` files from the console. The Alipay certificate is
/// validated against the root bundle at build time; rotated Alipay certificates are fetched
/// and validated the same way when a response names an unknown SN.
///
/// ```no_run
/// let client = alipay_runtime::Client::builder()
///     .app_id("2021000000000001")
///     .private_key_file("certs/app_private_key.pem")
///     .app_cert_file("certs/appCertPublicKey_2021000000000001.crt")
///     .alipay_cert_file("certs/alipayCertPublicKey_RSA2.crt")
///     .alipay_root_cert_file("certs/alipayRootCert.crt")
///     .build()?;
/// # Ok::<(), alipay_runtime::Error>(())
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    app_id: Option<String>,
    private_key: Option<Source>,
    alipay_public_key: Option<Source>,
    app_cert: Option<Source>,
    alipay_cert: Option<Source>,
    alipay_root_cert: Option<Source>,
    aes_key: Option<Source>,
    encrypt_by_default: bool,
    sign_type: SignType,
    endpoint: Option<Endpoint>,
    protocol: Option<Protocol>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    proxy: Option<String>,
    #[cfg(feature = "reqwest")]
    http_client: Option<reqwest::Client>,
    transport: Option<Arc<dyn Transport>>,
    clock: Option<Clock>,
    nonce: Option<NonceSource>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = |s: &Option<Source>| s.as_ref().map(|_| "<redacted>");
        let public = |s: &Option<Source>| s.as_ref().map(Source::describe);
        f.debug_struct("ClientBuilder")
            .field("app_id", &self.app_id)
            .field("private_key", &present(&self.private_key))
            .field("alipay_public_key", &public(&self.alipay_public_key))
            .field("app_cert", &public(&self.app_cert))
            .field("alipay_cert", &public(&self.alipay_cert))
            .field("alipay_root_cert", &public(&self.alipay_root_cert))
            .field("aes_key", &present(&self.aes_key))
            .field("encrypt_by_default", &self.encrypt_by_default)
            .field("sign_type", &self.sign_type)
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("proxy", &self.proxy.as_ref().map(|p| redact_url(p)))
            .field("custom_transport", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

/// Drops any `user:password@` part of a proxy URL.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://<redacted>@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

impl ClientBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The app's APPID (`2021…`).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The app private key text: PKCS#8 or PKCS#1, PEM or bare base64 (any whitespace);
    /// the format is detected.
    pub fn private_key(mut self, text: impl Into<String>) -> Self {
        self.private_key = Some(Source::Text(text.into()));
        self
    }

    /// Reads the app private key from a file at build time (formats as [`Self::private_key`]).
    pub fn private_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.private_key = Some(Source::File(path.into()));
        self
    }

    /// Public-key mode: the Alipay public key (SubjectPublicKeyInfo, PEM or bare base64).
    pub fn alipay_public_key(mut self, text: impl Into<String>) -> Self {
        self.alipay_public_key = Some(Source::Text(text.into()));
        self
    }

    /// Public-key mode: reads the Alipay public key from a file at build time.
    pub fn alipay_public_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.alipay_public_key = Some(Source::File(path.into()));
        self
    }

    /// Certificate mode: the app certificate (`appCertPublicKey_<APPID>.crt`), PEM text.
    pub fn app_cert(mut self, pem: impl Into<String>) -> Self {
        self.app_cert = Some(Source::Text(pem.into()));
        self
    }

    /// Certificate mode: reads the app certificate from a file at build time.
    pub fn app_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.app_cert = Some(Source::File(path.into()));
        self
    }

    /// Certificate mode: the Alipay certificate (`alipayCertPublicKey_RSA2.crt`), PEM text
    /// (the file may also hold its intermediate certificates).
    pub fn alipay_cert(mut self, pem: impl Into<String>) -> Self {
        self.alipay_cert = Some(Source::Text(pem.into()));
        self
    }

    /// Certificate mode: reads the Alipay certificate from a file at build time.
    pub fn alipay_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.alipay_cert = Some(Source::File(path.into()));
        self
    }

    /// Certificate mode: the root bundle (`alipayRootCert.crt`), PEM text.
    pub fn alipay_root_cert(mut self, pem: impl Into<String>) -> Self {
        self.alipay_root_cert = Some(Source::Text(pem.into()));
        self
    }

    /// Certificate mode: reads the root bundle from a file at build time.
    pub fn alipay_root_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.alipay_root_cert = Some(Source::File(path.into()));
        self
    }

    /// The AES content-encryption key (the console's base64 text). Calls are encrypted when
    /// the operation requires it, when [`crate::CallOptions::encrypt`] asks for it, or for
    /// every call when [`Self::encrypt_by_default`] is set.
    pub fn aes_key(mut self, base64: impl Into<String>) -> Self {
        self.aes_key = Some(Source::Text(base64.into()));
        self
    }

    /// Encrypt every call's content with the AES key unless a call opts out.
    pub fn encrypt_by_default(mut self, yes: bool) -> Self {
        self.encrypt_by_default = yes;
        self
    }

    /// The v2 `sign_type`: [`SignType::Rsa2`] (default) or the legacy [`SignType::Rsa`]
    /// (SHA1withRSA, for old apps; signing it needs the `legacy-rsa1` cargo feature). v3 is
    /// always RSA2.
    pub fn sign_type(mut self, sign_type: SignType) -> Self {
        self.sign_type = sign_type;
        self
    }

    /// Production (default), sandbox or custom URLs.
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// The protocol used when a call does not choose one (default [`Protocol::V3`]).
    /// Operations served by only one protocol always use that one.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Timeout for establishing a connection (default transport only; default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = Some(timeout);
        self
    }

    /// Timeout of one attempt: send and read the whole response (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = Some(timeout);
        self
    }

    /// Timeout of a whole call, retries included (default: none).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.total = Some(timeout);
        self
    }

    /// The retry policy (default: 3 attempts, 100 ms .. 2 s backoff; only safe retries).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// An HTTP(S) proxy URL for the default transport, e.g. `http://proxy.internal:3128`.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Use this reqwest client (its own TLS, proxy and connect settings apply).
    #[cfg(feature = "reqwest")]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Use a custom transport instead of reqwest.
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Replaces the wall clock (tests reproducing fixed vectors).
    #[doc(hidden)]
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Replaces the v3 nonce source (tests reproducing fixed vectors).
    #[doc(hidden)]
    pub fn nonce_source(mut self, nonce: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.nonce = Some(Arc::new(nonce));
        self
    }

    /// Validates every setting and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let config = self.into_config()?;
        Ok(Client::from_config(config))
    }

    fn into_config(self) -> Result<Config, Error> {
        let app_id = self
            .app_id
            .ok_or_else(|| Error::config("app_id", "missing: set the app's APPID"))?;
        let app_id = app_id.trim().to_string();
        if app_id.is_empty() || !app_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::config(
                "app_id",
                "expected the APPID as digits (e.g. 2021000000000001)",
            ));
        }

        let private_key = {
            let src = self.private_key.ok_or_else(|| {
                Error::config(
                    "private_key",
                    "missing: set the app private key (PKCS#8 or PKCS#1, PEM or bare base64)",
                )
            })?;
            let text = src.read("private_key")?;
            PrivateKey::from_text(&text).map_err(|e| Error::config("private_key", e.to_string()))?
        };
        if self.sign_type != SignType::Rsa2 {
            private_key
                .sign(self.sign_type, b"alipay-runtime: sign_type probe")
                .map_err(|e| Error::config("sign_type", e.to_string()))?;
        }

        let cert_items = [
            self.app_cert.is_some(),
            self.alipay_cert.is_some(),
            self.alipay_root_cert.is_some(),
        ];
        let verifier = match (self.alipay_public_key, cert_items) {
            (Some(_), items) if items.iter().any(|b| *b) => {
                return Err(Error::config(
                    "alipay_public_key",
                    "set either the Alipay public key (public-key mode) or the three \
                     certificates (certificate mode), not both",
                ))
            }
            (Some(src), _) => {
                let text = src.read("alipay_public_key")?;
                let key = PublicKey::from_text(&text)
                    .map_err(|e| Error::config("alipay_public_key", e.to_string()))?;
                Verifier::PublicKey(key)
            }
            (None, [false, false, false]) => {
                return Err(Error::config(
                    "alipay_public_key",
                    "missing: set the Alipay public key, or app_cert + alipay_cert + \
                     alipay_root_cert for certificate mode",
                ))
            }
            (None, _) => {
                let read = |s: Option<Source>, item: &'static str| -> Result<String, Error> {
                    s.ok_or_else(|| {
                        Error::config(
                            item,
                            "missing: certificate mode needs app_cert, alipay_cert and \
                             alipay_root_cert",
                        )
                    })?
                    .read(item)
                };
                let app_cert = read(self.app_cert, "app_cert")?;
                let alipay_cert = read(self.alipay_cert, "alipay_cert")?;
                let roots = read(self.alipay_root_cert, "alipay_root_cert")?;
                // Certificate validity is always judged by the wall clock (the injectable
                // clock only fixes request timestamps).
                let now = SystemTime::now();
                Verifier::Cert(CertStore::new(
                    &app_cert,
                    &alipay_cert,
                    &roots,
                    now,
                    &private_key,
                )?)
            }
        };

        let aes = match self.aes_key {
            Some(src) => {
                let text = src.read("aes_key")?;
                Some(
                    AesKey::from_base64(&text)
                        .map_err(|e| Error::config("aes_key", e.to_string()))?,
                )
            }
            None if self.encrypt_by_default => {
                return Err(Error::config(
                    "aes_key",
                    "encrypt_by_default needs an AES key (the console's base64 text)",
                ))
            }
            None => None,
        };

        let endpoint = self.endpoint.unwrap_or(Endpoint::Production);
        let (v2, v3) = endpoint.urls();
        let v2_gateway = check_url("endpoint.v2_gateway", v2)?;
        let v3_base = check_url("endpoint.v3_base", v3)?;
        if v3_base.contains('?') {
            return Err(Error::config(
                "endpoint.v3_base",
                "expected a base URL without a query string, e.g. https://openapi.alipay.com",
            ));
        }
        let (v3_origin, v3_path_prefix) = split_base(&v3_base);

        for (item, t) in [
            ("connect_timeout", self.timeouts.connect),
            ("timeout", self.timeouts.attempt),
            ("total_timeout", self.timeouts.total),
        ] {
            if t == Some(Duration::ZERO) {
                return Err(Error::config(item, "expected a duration greater than zero"));
            }
        }

        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => {
                if self.proxy.is_some() {
                    return Err(Error::config(
                        "proxy",
                        "a proxy applies to the default transport only; configure it in the \
                         custom transport",
                    ));
                }
                #[cfg(feature = "reqwest")]
                if self.http_client.is_some() {
                    return Err(Error::config(
                        "transport",
                        "set either a custom transport or a reqwest client, not both",
                    ));
                }
                t
            }
            None => default_transport(
                #[cfg(feature = "reqwest")]
                self.http_client,
                self.proxy.as_deref(),
                self.timeouts.connect,
            )?,
        };

        Ok(Config {
            app_id,
            private_key: Arc::new(private_key),
            verifier,
            aes,
            encrypt_by_default: self.encrypt_by_default,
            sign_type: self.sign_type,
            v2_gateway,
            v3_origin,
            v3_path_prefix,
            protocol: self.protocol.unwrap_or(Protocol::V3),
            timeouts: self.timeouts,
            retry: self.retry,
            transport,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            nonce: self
                .nonce
                .unwrap_or_else(|| Arc::new(|| uuid::Uuid::new_v4().to_string())),
        })
    }
}

fn check_url(item: &'static str, url: &str) -> Result<String, Error> {
    let url = url.trim();
    let uri: http::Uri = url.parse().map_err(|_| {
        Error::config(
            item,
            format!("`{url}` is not a URL; expected e.g. https://openapi.alipay.com"),
        )
    })?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some() => Ok(url.to_string()),
        _ => Err(Error::config(
            item,
            format!(
                "`{url}` is not an absolute http(s) URL; expected e.g. https://openapi.alipay.com"
            ),
        )),
    }
}

/// `https://host:port/prefix/` → (`https://host:port`, `/prefix`).
fn split_base(base: &str) -> (String, String) {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        Some(slash) => {
            let (origin, path) = base.split_at(after_scheme + slash);
            (origin.to_string(), path.trim_end_matches('/').to_string())
        }
        None => (base.to_string(), String::new()),
    }
}

#[cfg(feature = "reqwest")]
fn default_transport(
    http_client: Option<reqwest::Client>,
    proxy: Option<&str>,
    connect: Option<Duration>,
) -> Result<Arc<dyn Transport>, Error> {
    use crate::transport::ReqwestTransport;
    if let Some(client) = http_client {
        if proxy.is_some() {
            return Err(Error::config(
                "proxy",
                "a proxy cannot be added to a supplied reqwest client; configure it on that client",
            ));
        }
        return Ok(Arc::new(ReqwestTransport::new(client)));
    }
    let t = ReqwestTransport::with_settings(connect, proxy).map_err(|e| {
        if proxy.is_some() {
            Error::config(
                "proxy",
                format!("not a usable proxy URL ({e}); expected e.g. http://proxy.internal:3128"),
            )
        } else {
            Error::config(
                "transport",
                format!("could not create the HTTP client: {e}"),
            )
        }
    })?;
    Ok(Arc::new(t))
}

#[cfg(not(feature = "reqwest"))]
fn default_transport(
    _proxy: Option<&str>,
    _connect: Option<Duration>,
) -> Result<Arc<dyn Transport>, Error> {
    Err(Error::config(
        "transport",
        "no transport: enable the `reqwest` feature or set a custom transport",
    ))
}

/// How responses are verified.
pub(crate) enum Verifier {
    /// Public-key mode: one Alipay public key.
    PublicKey(PublicKey),
    /// Certificate mode: SNs, the root bundle and the SN → key cache.
    Cert(CertStore),
}

/// The validated configuration a [`Client`] runs with.
pub(crate) struct Config {
    pub(crate) app_id: String,
    pub(crate) private_key: Arc<PrivateKey>,
    pub(crate) verifier: Verifier,
    pub(crate) aes: Option<AesKey>,
    pub(crate) encrypt_by_default: bool,
    /// v2 `sign_type` (requests and response verification).
    pub(crate) sign_type: SignType,
    pub(crate) v2_gateway: String,
    /// `scheme://authority` of the v3 base URL.
    pub(crate) v3_origin: String,
    /// Path of the v3 base URL without a trailing `/` (usually empty); part of the signed
    /// request target.
    pub(crate) v3_path_prefix: String,
    pub(crate) protocol: Protocol,
    pub(crate) timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) clock: Clock,
    pub(crate) nonce: NonceSource,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("app_id", &self.app_id)
            .field("private_key", &"<redacted>")
            .field(
                "mode",
                &match self.verifier {
                    Verifier::PublicKey(_) => "public key",
                    Verifier::Cert(_) => "certificate",
                },
            )
            .field("aes_key", &self.aes.as_ref().map(|_| "<redacted>"))
            .field("encrypt_by_default", &self.encrypt_by_default)
            .field("sign_type", &self.sign_type)
            .field("v2_gateway", &self.v2_gateway)
            .field(
                "v3_base",
                &format_args!("{}{}", self.v3_origin, self.v3_path_prefix),
            )
            .field("protocol", &self.protocol)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Certificate mode state: the SNs sent with every request, the root bundle, and the cache
/// SN → Alipay public key of validated certificates.
pub(crate) struct CertStore {
    app_cert_sn: String,
    root_cert_sn: String,
    roots: Vec<Cert>,
    default_sn: String,
    default_key: PublicKey,
    keys: std::sync::RwLock<std::collections::HashMap<String, PublicKey>>,
    rotation: tokio::sync::Mutex<()>,
}

impl CertStore {
    pub(crate) fn new(
        app_cert: &str,
        alipay_cert: &str,
        roots: &str,
        now: SystemTime,
        private_key: &PrivateKey,
    ) -> Result<Self, Error> {
        let bad = |item: &'static str, e: CertError| {
            Error::config(
                item,
                format!("{e} (expected the PEM text of the .crt file Alipay issued)"),
            )
        };
        let roots_parsed = cert::parse_bundle(roots).map_err(|e| bad("alipay_root_cert", e))?;
        let root_cert_sn = cert::root_cert_sn_of(&roots_parsed);
        if root_cert_sn.is_empty() {
            return Err(Error::config(
                "alipay_root_cert",
                "the bundle has no RSA-signed root certificate (expected alipayRootCert.crt)",
            ));
        }

        let app_chain = cert::parse_bundle(app_cert).map_err(|e| bad("app_cert", e))?;
        let app_leaf =
            leaf_of(&app_chain).ok_or_else(|| bad("app_cert", CertError::NoCertificate))?;
        let app_key = app_leaf.public_key().map_err(|e| bad("app_cert", e))?;
        // The app certificate must carry the public key of the configured private key.
        let probe = b"alipay-runtime: app certificate matches the private key";
        let signature = private_key
            .sign(crate::keys::SignType::Rsa2, probe)
            .map_err(|e| Error::config("private_key", e.to_string()))?;
        if app_key
            .verify(crate::keys::SignType::Rsa2, probe, &signature)
            .is_err()
        {
            return Err(Error::config(
                "app_cert",
                "the app certificate does not belong to the configured private key                  (expected appCertPublicKey_<APPID>.crt issued for this key)",
            ));
        }
        let app_cert_sn = app_leaf.sn();

        let (sn, key) =
            validated_key(alipay_cert, &roots_parsed, now).map_err(|e| bad("alipay_cert", e))?;
        Ok(CertStore {
            app_cert_sn,
            root_cert_sn,
            roots: roots_parsed,
            default_sn: sn,
            default_key: key,
            keys: std::sync::RwLock::default(),
            rotation: tokio::sync::Mutex::new(()),
        })
    }

    pub(crate) fn app_cert_sn(&self) -> &str {
        &self.app_cert_sn
    }

    pub(crate) fn root_cert_sn(&self) -> &str {
        &self.root_cert_sn
    }

    pub(crate) fn default_key(&self) -> PublicKey {
        self.default_key.clone()
    }

    /// The key of a validated certificate with this SN.
    pub(crate) fn key(&self, sn: &str) -> Option<PublicKey> {
        if sn == self.default_sn {
            return Some(self.default_key.clone());
        }
        self.keys.read().ok().and_then(|m| m.get(sn).cloned())
    }

    /// Serialises downloads of rotated certificates.
    pub(crate) async fn rotation_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.rotation.lock().await
    }

    /// Validates a downloaded certificate (chain) against the root bundle; when it is the
    /// certificate `sn`, caches and returns its key.
    pub(crate) fn add_downloaded(
        &self,
        sn: &str,
        pem: &str,
        now: SystemTime,
    ) -> Result<PublicKey, crate::ResponseProblem> {
        let untrusted = |reason: String| crate::ResponseProblem::UntrustedCert {
            sn: sn.to_string(),
            reason,
        };
        let (got_sn, key) =
            validated_key(pem, &self.roots, now).map_err(|e| untrusted(e.to_string()))?;
        if got_sn != sn {
            return Err(untrusted(format!(
                "the downloaded certificate has SN {got_sn}, not the requested one"
            )));
        }
        if let Ok(mut m) = self.keys.write() {
            // Bounded: a handful of rotations over a process lifetime is normal.
            if m.len() >= 64 {
                m.clear();
            }
            m.insert(got_sn, key.clone());
        }
        Ok(key)
    }
}

/// The end-entity certificate of a chain: the one that issued none of the others
/// (the first one when that is ambiguous).
fn leaf_of(chain: &[Cert]) -> Option<&Cert> {
    chain
        .iter()
        .find(|c| {
            let subject = c.subject_dn();
            !chain
                .iter()
                .any(|o| !std::ptr::eq(*c, o) && o.issuer_dn() == subject)
        })
        .or_else(|| chain.first())
}

/// Parses a certificate chain (leaf plus optional intermediates), validates the leaf against
/// the roots at `now`, and returns its SN and public key.
fn validated_key(
    pem: &str,
    roots: &[Cert],
    now: SystemTime,
) -> Result<(String, PublicKey), CertError> {
    let chain = cert::parse_bundle(pem)?;
    let leaf = leaf_of(&chain).ok_or(CertError::NoCertificate)?;
    let intermediates: Vec<Cert> = chain.iter().filter(|c| *c != leaf).cloned().collect();
    cert::validate(leaf, &intermediates, roots, now)?;
    Ok((leaf.sn(), leaf.public_key()?))
}

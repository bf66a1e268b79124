//! The client and its entry points.
//!
//! [`Client::execute`] is the one non-generic entry point: it places the parameters the way
//! the operation descriptor says, signs, sends (with the retry policy), verifies the response
//! and returns the verified business JSON. The typed [`Client::call`] / [`Client::call_with`]
//! are thin wrappers over it.

use crate::config::{ClientBuilder, Config, Verifier};
use crate::error::{ErrorLink, ResponseProblem, ServiceError};
use crate::keys::PublicKey;
use crate::operation::{V2Route, V3Body, V3Route};
use crate::retry::{self, Decision};
use crate::transport::TransportError;
use crate::{v2, v3, Error, Operation, Safety};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::Instrument;

/// Protocol generation used for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Classic `gateway.do` with `method=…` and `biz_content`.
    V2,
    /// REST `/v3/…` with the `ALIPAY-SHA256withRSA` Authorization header.
    V3,
}

impl Protocol {
    /// `"v2"` or `"v3"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::V2 => "v2",
            Protocol::V3 => "v3",
        }
    }
}

/// A typed request of one operation. Implemented by the generated request models.
pub trait ApiRequest: Serialize {
    /// The typed success response.
    type Response: DeserializeOwned;
    /// The operation's descriptor.
    const OPERATION: &'static Operation;
}

/// A file part of an upload.
#[derive(Clone)]
pub struct FilePart {
    /// Wire name of the file parameter.
    pub name: String,
    pub file_name: String,
    pub content_type: String,
    pub content: Bytes,
}

impl FilePart {
    /// A file part: wire name of the parameter, file name, MIME type and content.
    pub fn new(
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        content: impl Into<Bytes>,
    ) -> Self {
        FilePart {
            name: name.into(),
            file_name: file_name.into(),
            content_type: content_type.into(),
            content: content.into(),
        }
    }
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("name", &self.name)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.content.len())
            .finish()
    }
}

/// Per-call options.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    /// Protocol for this call; `None` = the client's default (v3 where the operation has it).
    pub protocol: Option<Protocol>,
    /// ISV token for calls on behalf of a merchant (signed; never logged).
    pub app_auth_token: Option<String>,
    /// User access token for user-authorised APIs (signed; never logged). v2: common
    /// parameter `auth_token`; v3: the operation's `auth_token` query parameter.
    pub auth_token: Option<String>,
    /// Asynchronous notification URL. v2: common parameter; v3: `notify_url` body field
    /// (unless the request sets it).
    pub notify_url: Option<String>,
    /// Browser return URL. v2: common parameter; v3: `return_url` body field (unless the
    /// request sets it).
    pub return_url: Option<String>,
    /// Override of AES content encryption for this call.
    pub encrypt: Option<bool>,
    /// Files of an upload operation.
    pub files: Vec<FilePart>,
}

impl CallOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Use this protocol for the call.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Call on behalf of a merchant with its `app_auth_token`.
    pub fn app_auth_token(mut self, token: impl Into<String>) -> Self {
        self.app_auth_token = Some(token.into());
        self
    }

    /// A user's `auth_token` for user-authorised APIs (v2).
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.auth_token = Some(token.into());
        self
    }

    /// The asynchronous notification URL (v2 `notify_url`).
    pub fn notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }

    /// The browser return URL (v2 `return_url`).
    pub fn return_url(mut self, url: impl Into<String>) -> Self {
        self.return_url = Some(url.into());
        self
    }

    /// Force AES content encryption on (`true`) or off (`false`) for this call.
    pub fn encrypt(mut self, yes: bool) -> Self {
        self.encrypt = Some(yes);
        self
    }

    /// Adds a file part (upload operations).
    pub fn file(mut self, file: FilePart) -> Self {
        self.files.push(file);
        self
    }
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("protocol", &self.protocol)
            .field(
                "app_auth_token",
                &self.app_auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("notify_url", &self.notify_url)
            .field("return_url", &self.return_url)
            .field("encrypt", &self.encrypt)
            .field("files", &self.files)
            .finish()
    }
}

/// The verified business JSON of a response and what is known about it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// Business object as JSON bytes, verified (and decrypted) — for v2 the slice of the
    /// `xxx_response` node, for v3 the body.
    pub body: Bytes,
    pub protocol: Protocol,
    pub http_status: u16,
    /// `alipay-trace-id` (v3) when present.
    pub trace_id: Option<String>,
    /// Number of attempts the call took (1 = no retry).
    pub attempts: u32,
}

/// A typed response with its metadata.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reply<T> {
    pub data: T,
    pub raw: RawResponse,
}

/// The Alipay client. Cheap to clone; share one per application.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Config>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner)
            .finish()
    }
}

/// How strictly a response is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trust {
    /// Signature required on success, checked on errors when present.
    Normal,
    /// The certificate download: a response signed by the very certificate being fetched
    /// cannot be verified; the certificate is validated against the root bundle instead.
    CertDownload,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn from_config(config: Config) -> Self {
        Client {
            inner: Arc::new(config),
        }
    }

    /// The v2 gateway URL requests are sent to (also the target of page / wap pay).
    pub fn v2_gateway(&self) -> &str {
        &self.inner.v2_gateway
    }

    /// The configured APPID.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// `true` in certificate mode.
    pub fn is_cert_mode(&self) -> bool {
        matches!(self.inner.verifier, Verifier::Cert(_))
    }

    /// The Alipay public key responses and notifications are verified with: the configured
    /// key, or in certificate mode the key of the configured Alipay certificate.
    pub fn alipay_public_key(&self) -> PublicKey {
        match &self.inner.verifier {
            Verifier::PublicKey(k) => k.clone(),
            Verifier::Cert(store) => store.default_key(),
        }
    }

    /// In certificate mode, the Alipay public key of the certificate with this SN, if known
    /// (configured or downloaded and validated).
    pub fn alipay_public_key_for_sn(&self, sn: &str) -> Option<PublicKey> {
        match &self.inner.verifier {
            Verifier::PublicKey(_) => None,
            Verifier::Cert(store) => store.key(sn),
        }
    }

    /// Calls an operation with default options.
    pub async fn call<R: ApiRequest>(&self, request: &R) -> Result<R::Response, Error> {
        Ok(self.call_with(request, &CallOptions::default()).await?.data)
    }

    /// Calls an operation with per-call options, returning the typed data and the metadata.
    pub async fn call_with<R: ApiRequest>(
        &self,
        request: &R,
        options: &CallOptions,
    ) -> Result<Reply<R::Response>, Error> {
        let params = serde_json::to_value(request).map_err(|e| Error::Build(e.to_string()))?;
        let raw = self.execute(R::OPERATION, params, options).await?;
        let data = serde_json::from_slice(&raw.body).map_err(|e| Error::Decode {
            operation: R::OPERATION.name,
            message: e.to_string(),
        })?;
        Ok(Reply { data, raw })
    }

    /// The one non-generic entry point: signs, sends, verifies, and returns the verified
    /// business JSON. `params` is the serialized request model (a JSON object keyed by wire
    /// names); the descriptor says where each field goes on each protocol.
    pub async fn execute(
        &self,
        op: &'static Operation,
        params: serde_json::Value,
        options: &CallOptions,
    ) -> Result<RawResponse, Error> {
        self.execute_with_trust(op, params, options, Trust::Normal)
            .await
    }

    /// Builds the complete signed v2 parameter set of an operation without sending it
    /// (client-executed operations such as app / page / wap pay): common parameters,
    /// `biz_content` and text parameters, and `sign`, in the order they should be emitted.
    pub fn sign_v2_params(
        &self,
        op: &'static Operation,
        params: serde_json::Value,
        options: &CallOptions,
    ) -> Result<Vec<(String, String)>, Error> {
        let prepared = self.prepare_v2(op, &params, options)?;
        let (query, body) = self.sign_v2(&prepared, (self.inner.clock)())?;
        Ok(query.into_iter().chain(body).collect())
    }

    fn choose_protocol(
        &self,
        op: &'static Operation,
        options: &CallOptions,
    ) -> Result<Protocol, Error> {
        let available = |p: Protocol| match p {
            Protocol::V2 => op.v2.is_some_and(|r| !r.client_executed),
            Protocol::V3 => op.v3.is_some(),
        };
        if let Some(p) = options.protocol {
            return if available(p) {
                Ok(p)
            } else {
                Err(Error::Build(format!(
                    "{} is not served by the {} protocol",
                    op.name,
                    p.as_str()
                )))
            };
        }
        // A user token the v3 route has no place for: the call goes to v2 when it can.
        let v3_takes_auth_token = op
            .v3
            .is_some_and(|r| r.query_params.contains(&"auth_token"));
        let preferred = if options.auth_token.is_some() && !v3_takes_auth_token {
            Protocol::V2
        } else {
            self.inner.protocol
        };
        let other = match preferred {
            Protocol::V2 => Protocol::V3,
            Protocol::V3 => Protocol::V2,
        };
        if available(preferred) {
            Ok(preferred)
        } else if available(other) {
            Ok(other)
        } else if op.v2.is_some_and(|r| r.client_executed) {
            Err(Error::Build(format!(
                "{} is executed by the buyer's client, not called from the server; build its \
                 signed parameters instead",
                op.name
            )))
        } else {
            Err(Error::Build(format!("{} has no protocol route", op.name)))
        }
    }

    async fn execute_with_trust(
        &self,
        op: &'static Operation,
        params: serde_json::Value,
        options: &CallOptions,
        trust: Trust,
    ) -> Result<RawResponse, Error> {
        let protocol = self.choose_protocol(op, options)?;
        let span = tracing::info_span!(
            "alipay.call",
            method = op.name,
            protocol = protocol.as_str(),
            attempts = tracing::field::Empty,
            http_status = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let safety = op.safety.for_request(&params);
        let result = async {
            let prepared = match protocol {
                Protocol::V2 => Prepared::V2(self.prepare_v2(op, &params, options)?),
                Protocol::V3 => Prepared::V3(self.prepare_v3(op, &params, options)?),
            };
            match self.inner.timeouts.total.map(|t| t.min(MAX_TIMEOUT)) {
                Some(total) => {
                    tokio::time::timeout(total, self.run(op, safety, &prepared, trust, started))
                        .await
                        .unwrap_or_else(|_| {
                            Err(Error::Transport {
                                operation: op.name,
                                source: TransportError::timeout(
                                    true,
                                    format!(
                                        "the call took longer than the total timeout {total:?}"
                                    ),
                                ),
                            })
                        })
                }
                None => self.run(op, safety, &prepared, trust, started).await,
            }
        }
        .instrument(span.clone())
        .await;
        let latency = started.elapsed();
        span.record("latency_ms", latency.as_millis() as u64);
        match &result {
            Ok(raw) => {
                span.record("http_status", raw.http_status);
                if let Some(t) = &raw.trace_id {
                    span.record("trace_id", t.as_str());
                }
                span.in_scope(|| tracing::debug!(attempts = raw.attempts, "call succeeded"));
            }
            Err(e) => {
                if let Some(t) = e.trace_id() {
                    span.record("trace_id", t);
                }
                // Only the kind and Alipay's codes: a service message may echo signed
                // parameters.
                span.in_scope(|| {
                    tracing::debug!(
                        error = e.kind(),
                        code = e.service_code(),
                        sub_code = e.sub_code(),
                        "call failed"
                    )
                });
            }
        }
        result
    }

    /// The attempt loop: build and sign, send, verify; retry what the policy allows.
    async fn run(
        &self,
        op: &'static Operation,
        safety: Safety,
        prepared: &Prepared,
        trust: Trust,
        started: Instant,
    ) -> Result<RawResponse, Error> {
        let cfg = &*self.inner;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            tracing::Span::current().record("attempts", attempt);
            let attempt_span = tracing::debug_span!(
                "alipay.attempt",
                attempt,
                http_status = tracing::field::Empty,
                latency_ms = tracing::field::Empty
            );
            let attempt_started = Instant::now();
            let result = self
                .attempt(op, prepared, trust, started)
                .instrument(attempt_span.clone())
                .await;
            attempt_span.record("latency_ms", attempt_started.elapsed().as_millis() as u64);
            match result {
                Ok(mut raw) => {
                    attempt_span.record("http_status", raw.http_status);
                    raw.attempts = attempt;
                    return Ok(raw);
                }
                Err(err) => {
                    let failure = err.retry_failure();
                    let decision = retry::decide(
                        &cfg.retry,
                        safety,
                        failure,
                        attempt,
                        started.elapsed(),
                        cfg.timeouts.total,
                        retry::random_jitter(),
                    );
                    match decision {
                        Decision::Retry(wait) => {
                            attempt_span.in_scope(|| {
                                tracing::info!(
                                    error = err.kind(),
                                    code = err.service_code(),
                                    backoff_ms = wait.as_millis() as u64,
                                    "retrying"
                                )
                            });
                            tokio::time::sleep(wait).await;
                        }
                        Decision::Stop => {
                            if safety == Safety::Mutating && err.outcome_unknown() {
                                attempt_span.in_scope(|| {
                                    tracing::warn!(
                                        error = err.kind(),
                                        code = err.service_code(),
                                        "outcome of a state-changing call is unknown; not retried"
                                    )
                                });
                            }
                            return Err(err);
                        }
                    }
                }
            }
        }
    }

    async fn attempt(
        &self,
        op: &'static Operation,
        prepared: &Prepared,
        trust: Trust,
        started: Instant,
    ) -> Result<RawResponse, Error> {
        let cfg = &*self.inner;
        let now = (cfg.clock)();
        let request = match prepared {
            Prepared::V2(p) => self.v2_request(p, now)?,
            Prepared::V3(p) => self.v3_request(p, now)?,
        };
        let timeout = match (cfg.timeouts.attempt, cfg.timeouts.total) {
            (Some(a), Some(t)) => Some(a.min(t.saturating_sub(started.elapsed()))),
            (a, _) => a,
        }
        .map(|t| t.min(MAX_TIMEOUT));
        let send = cfg.transport.send(request, timeout);
        let response = match timeout {
            // The transport is told the timeout; this is the backstop for transports that
            // ignore it.
            Some(t) => {
                match tokio::time::timeout(t.saturating_add(Duration::from_millis(50)), send).await
                {
                    Ok(r) => r,
                    Err(_) => Err(TransportError::timeout(
                        true,
                        format!("the attempt took longer than {t:?}"),
                    )),
                }
            }
            None => send.await,
        }
        .map_err(|source| Error::Transport {
            operation: op.name,
            source,
        })?;
        match prepared {
            Prepared::V2(p) => self.v2_response(p, response, trust).await,
            Prepared::V3(p) => self.v3_response(p, response).await,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Keys
    // -----------------------------------------------------------------------------------------

    /// The key that verifies a response signed by the certificate `sn` (certificate mode),
    /// fetching and validating the certificate when it is not known yet.
    async fn alipay_key(
        &self,
        op: &'static Operation,
        sn: Option<&str>,
        trust: Trust,
    ) -> Result<Option<PublicKey>, Error> {
        let store = match &self.inner.verifier {
            Verifier::PublicKey(k) => return Ok(Some(k.clone())),
            Verifier::Cert(store) => store,
        };
        let Some(sn) = sn else {
            return Ok(Some(store.default_key()));
        };
        if let Some(k) = store.key(sn) {
            return Ok(Some(k));
        }
        if trust == Trust::CertDownload {
            return Ok(None);
        }
        self.rotate(op, sn).await.map(Some)
    }

    /// Fetches the Alipay certificate `sn` through `alipay.open.app.alipaycert.download`,
    /// validates it against the root bundle and caches its key.
    async fn rotate(&self, op: &'static Operation, sn: &str) -> Result<PublicKey, Error> {
        let Verifier::Cert(store) = &self.inner.verifier else {
            return Err(Error::response(
                op.name,
                ResponseProblem::Mode("not in certificate mode".into()),
            ));
        };
        if !is_valid_sn(sn) {
            return Err(Error::response(
                op.name,
                ResponseProblem::UnknownCert {
                    sn: sn.chars().take(64).collect(),
                    reason: "the SN is not a 32-character hex string".into(),
                },
            ));
        }
        let _guard = store.rotation_lock().await;
        if let Some(k) = store.key(sn) {
            return Ok(k);
        }
        tracing::info!(alipay_cert_sn = sn, "fetching a rotated Alipay certificate");
        let pem = self.download_cert(sn).await.map_err(|e| {
            Error::response(
                op.name,
                ResponseProblem::UnknownCert {
                    sn: sn.to_string(),
                    reason: format!("downloading it failed: {e}"),
                },
            )
        })?;
        store
            .add_downloaded(sn, &pem, SystemTime::now())
            .map_err(|problem| Error::response(op.name, problem))
    }

    fn download_cert(&self, sn: &str) -> crate::transport::BoxFuture<'_, Result<String, Error>> {
        let params = serde_json::json!({ "alipay_cert_sn": sn });
        Box::pin(async move {
            let options = CallOptions::default().protocol(Protocol::V2).encrypt(false);
            let raw = self
                .execute_with_trust(&ALIPAYCERT_DOWNLOAD, params, &options, Trust::CertDownload)
                .await?;
            #[derive(serde::Deserialize)]
            struct Download {
                alipay_cert_content: Option<String>,
            }
            let d: Download = serde_json::from_slice(&raw.body)
                .map_err(|e| Error::undecodable(ALIPAYCERT_DOWNLOAD.name, e.to_string()))?;
            let content = d.alipay_cert_content.ok_or_else(|| {
                Error::undecodable(ALIPAYCERT_DOWNLOAD.name, "no alipay_cert_content")
            })?;
            use base64::Engine;
            let pem = base64::engine::general_purpose::STANDARD
                .decode(content.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    Error::undecodable(
                        ALIPAYCERT_DOWNLOAD.name,
                        "alipay_cert_content is not base64 of PEM text",
                    )
                })?;
            Ok(pem)
        })
    }

    fn encrypt_for(
        &self,
        op: &'static Operation,
        need_encrypt: bool,
        options: &CallOptions,
        multipart: bool,
    ) -> Result<bool, Error> {
        let cfg = &*self.inner;
        let wanted = need_encrypt
            || options
                .encrypt
                .unwrap_or(cfg.encrypt_by_default && !multipart);
        if !wanted {
            return Ok(false);
        }
        if cfg.aes.is_none() {
            return Err(Error::Build(format!(
                "{}: AES content encryption {} but no aes_key is configured",
                op.name,
                if need_encrypt {
                    "is required by this operation"
                } else {
                    "was requested"
                }
            )));
        }
        if multipart {
            return Err(Error::Build(format!(
                "{}: uploads do not support AES content encryption",
                op.name
            )));
        }
        Ok(true)
    }

    // -----------------------------------------------------------------------------------------
    // v2
    // -----------------------------------------------------------------------------------------

    fn prepare_v2(
        &self,
        op: &'static Operation,
        params: &serde_json::Value,
        options: &CallOptions,
    ) -> Result<PreparedV2, Error> {
        let route: &'static V2Route = op
            .v2
            .as_ref()
            .ok_or_else(|| Error::Build(format!("{} is not served by the v2 gateway", op.name)))?;
        let cfg = &*self.inner;
        let fields = object_of(op, params)?;
        let files = collect_files(op, route.files, &options.files)?;

        let mut body: Vec<(&'static str, String)> = Vec::new();
        let mut biz = serde_json::Map::new();
        for (k, v) in fields.iter() {
            if v.is_null() {
                continue;
            }
            if let Some(name) = route.text_params.iter().find(|n| **n == k.as_str()) {
                body.push((name, scalar_text(v)));
            } else if route.biz_content {
                biz.insert(k.clone(), v.clone());
            } else {
                return Err(Error::Build(format!(
                    "{}: field `{k}` has no place in the v2 request",
                    op.name
                )));
            }
        }
        let encrypted = if route.biz_content && !biz.is_empty() {
            self.encrypt_for(op, route.need_encrypt, options, !files.is_empty())?
        } else {
            false
        };
        if !biz.is_empty() {
            let json = serde_json::to_string(&biz).map_err(|e| Error::Build(e.to_string()))?;
            let value = match (&cfg.aes, encrypted) {
                (Some(aes), true) => aes
                    .try_encrypt(json.as_bytes())
                    .map_err(|e| Error::Build(format!("{}: {e}", op.name)))?,
                _ => json,
            };
            body.insert(0, ("biz_content", value));
        }

        let mut query: Vec<(&'static str, String)> = vec![
            ("method", op.name.to_string()),
            ("app_id", cfg.app_id.clone()),
        ];
        // `format` is optional (JSON is the only one). Server calls send it; the parameter sets
        // of client-executed operations (app pay order string, page/wap pay) leave it out, as
        // the official Node SDK does, so they are the same bytes as that SDK's.
        if !route.client_executed {
            query.push(("format", "json".into()));
        }
        query.extend([
            ("charset", "utf-8".into()),
            ("sign_type", cfg.sign_type.as_str().into()),
            ("version", "1.0".into()),
        ]);
        let optional = [
            ("notify_url", options.notify_url.as_ref()),
            ("return_url", options.return_url.as_ref()),
            ("app_auth_token", options.app_auth_token.as_ref()),
            ("auth_token", options.auth_token.as_ref()),
        ];
        for (k, v) in optional {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                query.push((k, v.clone()));
            }
        }
        if let Verifier::Cert(store) = &cfg.verifier {
            query.push(("app_cert_sn", store.app_cert_sn().to_string()));
            query.push(("alipay_root_cert_sn", store.root_cert_sn().to_string()));
        }
        if encrypted {
            query.push(("encrypt_type", "AES".into()));
        }
        Ok(PreparedV2 {
            op,
            route,
            query,
            body,
            files,
        })
    }

    /// Adds the timestamp and the signature: returns the query and body parameters.
    #[allow(clippy::type_complexity)]
    fn sign_v2(
        &self,
        p: &PreparedV2,
        now: SystemTime,
    ) -> Result<(Vec<(String, String)>, Vec<(String, String)>), Error> {
        let timestamp = v2::beijing_timestamp(now);
        let mut all: Vec<(&str, &str)> = p
            .query
            .iter()
            .chain(p.body.iter())
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        all.push(("timestamp", &timestamp));
        let sign = v2::sign_params(&all, &self.inner.private_key, self.inner.sign_type)
            .map_err(|e| Error::Build(format!("{}: {e}", p.op.name)))?;
        let mut query: Vec<(String, String)> = p
            .query
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        query.push(("timestamp".into(), timestamp));
        query.push(("sign".into(), sign));
        let body = p
            .body
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Ok((query, body))
    }

    fn v2_request(&self, p: &PreparedV2, now: SystemTime) -> Result<http::Request<Bytes>, Error> {
        let (query, body) = self.sign_v2(p, now)?;
        let gateway = &self.inner.v2_gateway;
        let sep = if gateway.contains('?') { '&' } else { '?' };
        let url = format!("{gateway}{sep}{}", v2::form_encode(&as_refs(&query)));
        let builder = http::Request::builder()
            .method(http::Method::POST)
            .uri(url)
            .header(http::header::ACCEPT, "application/json");
        let request = if p.files.is_empty() {
            builder
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded;charset=utf-8",
                )
                .body(Bytes::from(v2::form_encode(&as_refs(&body))))
        } else {
            let mut m = Multipart::new();
            for (k, v) in &body {
                m.text(k, "text/plain;charset=utf-8", v.as_bytes());
            }
            for f in &p.files {
                m.file(f);
            }
            builder
                .header(http::header::CONTENT_TYPE, m.content_type())
                .body(m.finish())
        };
        request.map_err(|e| Error::Build(format!("{}: invalid request: {e}", p.op.name)))
    }

    async fn v2_response(
        &self,
        p: &PreparedV2,
        response: http::Response<Bytes>,
        trust: Trust,
    ) -> Result<RawResponse, Error> {
        let op = p.op;
        let status = response.status().as_u16();
        let trace_id = header_text(&response, "alipay-trace-id");
        if status != 200 {
            return Err(Error::response(
                op.name,
                ResponseProblem::HttpStatus { status },
            ));
        }
        let body = response.body();
        let node = v2::extract(body, p.route.response_key)
            .map_err(|e| Error::response(op.name, v2_problem(e)))?;

        // Certificate mode: the key of the certificate that signed (by `alipay_cert_sn`).
        let key = self
            .alipay_key(op, node.alipay_cert_sn.as_deref(), trust)
            .await?;
        let verified = match (&node.sign, &key) {
            (Some(_), Some(key)) => {
                node.verify(key, self.inner.sign_type)
                    .map_err(|e| Error::response(op.name, v2_problem(e)))?;
                true
            }
            // Certificate download signed by the certificate being fetched: trust comes
            // from validating the certificate against the root bundle.
            (Some(_), None) => false,
            (None, _) => false,
        };

        // Verify first, then decrypt.
        let plain: Vec<u8>;
        let json: &[u8] = match node.json() {
            Some(j) => j,
            None => {
                if !verified && trust == Trust::Normal {
                    return Err(Error::response(op.name, ResponseProblem::MissingSignature));
                }
                let (Some(aes), Some(ct)) = (&self.inner.aes, &node.ciphertext) else {
                    return Err(Error::response(
                        op.name,
                        ResponseProblem::Decrypt(
                            "the response is encrypted but no aes_key is configured".into(),
                        ),
                    ));
                };
                plain = aes.decrypt(ct).map_err(|e| {
                    Error::response(op.name, ResponseProblem::Decrypt(e.to_string()))
                })?;
                &plain
            }
        };
        let status_fields = v2::ServiceStatus::from_json(json)
            .map_err(|e| Error::response(op.name, v2_problem(e)))?;
        if node.is_error_response || !status_fields.is_success() {
            return Err(Error::Service(Box::new(ServiceError::V2 {
                operation: op.name,
                code: status_fields.code.unwrap_or_default(),
                msg: status_fields.msg.unwrap_or_default(),
                sub_code: status_fields.sub_code,
                sub_msg: status_fields.sub_msg.map(|m| redact_tokens(&m)),
                verified,
            })));
        }
        if !verified && trust == Trust::Normal {
            return Err(Error::response(op.name, ResponseProblem::MissingSignature));
        }
        Ok(RawResponse {
            body: Bytes::copy_from_slice(json),
            protocol: Protocol::V2,
            http_status: status,
            trace_id,
            attempts: 1,
        })
    }

    // -----------------------------------------------------------------------------------------
    // v3
    // -----------------------------------------------------------------------------------------

    fn prepare_v3(
        &self,
        op: &'static Operation,
        params: &serde_json::Value,
        options: &CallOptions,
    ) -> Result<PreparedV3, Error> {
        let route: &'static V3Route = op
            .v3
            .as_ref()
            .ok_or_else(|| Error::Build(format!("{} is not served by the v3 API", op.name)))?;
        let cfg = &*self.inner;
        let fields = object_of(op, params)?;

        // Path parameters, encoded once.
        let mut path = route.path.to_string();
        for name in route.path_params {
            let value = fields.get(*name).filter(|v| !v.is_null()).ok_or_else(|| {
                Error::Build(format!("{}: missing path parameter `{name}`", op.name))
            })?;
            let text = scalar_text(value);
            if text.is_empty() || text == "." || text == ".." {
                return Err(Error::Build(format!(
                    "{}: path parameter `{name}` must not be empty, `.` or `..`",
                    op.name
                )));
            }
            let placeholder = format!("{{{name}}}");
            if !path.contains(&placeholder) {
                return Err(Error::Build(format!(
                    "{}: the path {} has no placeholder {placeholder}",
                    op.name, route.path
                )));
            }
            path = path.replacen(&placeholder, &v3::encode_path_segment(&text), 1);
        }

        // Query, in descriptor order, encoded once.
        // A user's `auth_token` is a query parameter of the v3 operations that take one.
        let auth_token = options.auth_token.as_deref().filter(|t| !t.is_empty());
        if auth_token.is_some() && !route.query_params.contains(&"auth_token") {
            return Err(Error::Build(format!(
                "{}: auth_token is not a parameter of this operation on v3; call it with \
                 Protocol::V2",
                op.name
            )));
        }
        let query_values: Vec<(&str, String)> = route
            .query_params
            .iter()
            .filter_map(|name| {
                let value = fields.get(*name).filter(|v| !v.is_null()).map(scalar_text);
                let value = match (value, *name) {
                    (None, "auth_token") => auth_token.map(str::to_string),
                    (v, _) => v,
                };
                value.map(|v| (*name, v))
            })
            .collect();
        let query_refs: Vec<(&str, &str)> =
            query_values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let query = v3::encode_query(&query_refs);

        // The rest is the body.
        let mut rest = serde_json::Map::new();
        for (k, v) in fields.iter() {
            let placed =
                route.path_params.contains(&k.as_str()) || route.query_params.contains(&k.as_str());
            if !placed && !v.is_null() {
                rest.insert(k.clone(), v.clone());
            }
        }
        // v3 takes notify_url / return_url as body fields.
        if !matches!(route.body, V3Body::None) {
            for (name, value) in [
                ("notify_url", &options.notify_url),
                ("return_url", &options.return_url),
            ] {
                if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                    rest.entry(name)
                        .or_insert_with(|| serde_json::Value::String(v.clone()));
                }
            }
        }

        let files = match route.body {
            V3Body::Multipart { files } => collect_files(op, files, &options.files)?,
            _ => collect_files(op, &[], &options.files)?,
        };
        let (signed_body, wire_body, content_type, encrypted) = match route.body {
            V3Body::None => {
                if let Some(k) = rest.keys().next() {
                    return Err(Error::Build(format!(
                        "{}: field `{k}` has no place in the v3 request",
                        op.name
                    )));
                }
                (String::new(), Bytes::new(), None, false)
            }
            V3Body::Json => {
                let json = serde_json::to_string(&rest).map_err(|e| Error::Build(e.to_string()))?;
                // An operation that requires encryption on v2 requires it on v3 as well.
                let required = op.v2.is_some_and(|r| r.need_encrypt);
                let encrypted = self.encrypt_for(op, required, options, false)?;
                match (&cfg.aes, encrypted) {
                    (Some(aes), true) => {
                        let ct = aes
                            .try_encrypt(json.as_bytes())
                            .map_err(|e| Error::Build(format!("{}: {e}", op.name)))?;
                        let wire = Bytes::from(ct.clone());
                        (ct, wire, Some("text/plain".to_string()), true)
                    }
                    _ => {
                        let wire = Bytes::from(json.clone());
                        (json, wire, Some("application/json".to_string()), false)
                    }
                }
            }
            V3Body::Multipart { .. } => {
                self.encrypt_for(op, false, options, true)?;
                let json = serde_json::to_string(&rest).map_err(|e| Error::Build(e.to_string()))?;
                let mut m = Multipart::new();
                m.text("data", "application/json", json.as_bytes());
                for f in &files {
                    m.file(f);
                }
                let ct = m.content_type();
                (json, m.finish(), Some(ct), false)
            }
        };

        let target = v3::request_target(&format!("{}{}", cfg.v3_path_prefix, path), &query);
        Ok(PreparedV3 {
            op,
            method: route.method,
            target,
            signed_body,
            wire_body,
            content_type,
            encrypted,
            app_auth_token: options.app_auth_token.clone().filter(|t| !t.is_empty()),
        })
    }

    fn v3_request(&self, p: &PreparedV3, now: SystemTime) -> Result<http::Request<Bytes>, Error> {
        let cfg = &*self.inner;
        let nonce = (cfg.nonce)();
        let ts_ms = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let app_cert_sn = match &cfg.verifier {
            Verifier::Cert(store) => Some(store.app_cert_sn()),
            Verifier::PublicKey(_) => None,
        };
        let auth = v3::auth_string(&cfg.app_id, app_cert_sn, &nonce, ts_ms);
        let authorization = v3::sign_request(
            &cfg.private_key,
            &auth,
            p.method.as_str(),
            &p.target,
            &p.signed_body,
            p.app_auth_token.as_deref(),
        )
        .map_err(|e| Error::Build(format!("{}: {e}", p.op.name)))?;
        // The request target goes on the wire exactly as signed: `http::Uri` keeps the
        // path and query bytes as given (they are already percent-encoded).
        let url = format!("{}{}", cfg.v3_origin, p.target);
        let method = match p.method {
            crate::HttpMethod::Get => http::Method::GET,
            crate::HttpMethod::Post => http::Method::POST,
            crate::HttpMethod::Put => http::Method::PUT,
            crate::HttpMethod::Patch => http::Method::PATCH,
            crate::HttpMethod::Delete => http::Method::DELETE,
        };
        let mut b = http::Request::builder()
            .method(method)
            .uri(url)
            .header(http::header::AUTHORIZATION, authorization)
            .header(http::header::ACCEPT, "application/json")
            .header(
                "alipay-request-id",
                uuid::Uuid::new_v4().simple().to_string(),
            );
        if let Some(ct) = &p.content_type {
            b = b.header(http::header::CONTENT_TYPE, ct.as_str());
        }
        if let Some(token) = &p.app_auth_token {
            b = b.header("alipay-app-auth-token", token.as_str());
        }
        if let Verifier::Cert(store) = &cfg.verifier {
            b = b.header("alipay-root-cert-sn", store.root_cert_sn());
        }
        if p.encrypted {
            b = b.header("alipay-encrypt-type", "AES");
        }
        b.body(p.wire_body.clone())
            .map_err(|e| Error::Build(format!("{}: invalid request: {e}", p.op.name)))
    }

    async fn v3_response(
        &self,
        p: &PreparedV3,
        response: http::Response<Bytes>,
    ) -> Result<RawResponse, Error> {
        let op = p.op;
        let status = response.status().as_u16();
        let trace_id = header_text(&response, "alipay-trace-id");
        let signature =
            header_text(&response, "alipay-signature").filter(|s| !s.is_empty() && s != "null");
        let body = response.body();
        let success = (200..300).contains(&status);

        let verified = match &signature {
            Some(sig) => {
                let ts = header_text(&response, "alipay-timestamp").unwrap_or_default();
                let nonce = header_text(&response, "alipay-nonce").unwrap_or_default();
                let sn = header_text(&response, "alipay-sn").filter(|s| !s.is_empty());
                let key = self
                    .alipay_key(op, sn.as_deref(), Trust::Normal)
                    .await?
                    .ok_or_else(|| Error::response(op.name, ResponseProblem::BadSignature))?;
                v3::verify_response(&ts, &nonce, sig, body, &key)
                    .map_err(|_| Error::response(op.name, ResponseProblem::BadSignature))?;
                true
            }
            None if success => {
                return Err(Error::response(op.name, ResponseProblem::MissingSignature));
            }
            None => false,
        };

        if !success {
            let parsed = v3::ErrorBody::parse(body).filter(|e| e.code.is_some());
            return Err(match parsed {
                Some(e) => Error::Service(Box::new(ServiceError::V3 {
                    operation: op.name,
                    http_status: status,
                    code: e.code.unwrap_or_default(),
                    message: e.message.unwrap_or_default(),
                    links: e
                        .links
                        .into_iter()
                        .map(|l| ErrorLink {
                            link: l.link.unwrap_or_default(),
                            desc: l.desc.unwrap_or_default(),
                        })
                        .collect(),
                    trace_id,
                    verified,
                })),
                None => Error::response(op.name, ResponseProblem::HttpStatus { status }),
            });
        }

        // Verify first (done), then decrypt.
        let encrypted_reply = p.encrypted
            || header_text(&response, "alipay-encrypt-type").is_some_and(|v| v == "AES");
        let trimmed = trim_ascii(body);
        let data: Bytes =
            if encrypted_reply && !trimmed.is_empty() && trimmed.first() != Some(&b'{') {
                let aes = self.inner.aes.as_ref().ok_or_else(|| {
                    Error::response(
                        op.name,
                        ResponseProblem::Decrypt(
                            "the response is encrypted but no aes_key is configured".into(),
                        ),
                    )
                })?;
                let text = std::str::from_utf8(trimmed).map_err(|_| {
                    Error::response(
                        op.name,
                        ResponseProblem::Decrypt("the ciphertext is not text".into()),
                    )
                })?;
                let plain = aes.decrypt(text).map_err(|e| {
                    Error::response(op.name, ResponseProblem::Decrypt(e.to_string()))
                })?;
                Bytes::from(plain)
            } else if trimmed.is_empty() {
                Bytes::from_static(b"{}")
            } else {
                response.into_body()
            };
        Ok(RawResponse {
            body: data,
            protocol: Protocol::V3,
            http_status: status,
            trace_id,
            attempts: 1,
        })
    }
}

/// Longest timeout applied (larger settings are clamped): no Alipay call takes a day.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// `alipay.open.app.alipaycert.download`: fetches an Alipay public-key certificate by SN
/// (certificate rotation). Request `{"alipay_cert_sn": …}`; response field
/// `alipay_cert_content` is the base64 of the certificate's PEM text.
pub static ALIPAYCERT_DOWNLOAD: Operation = Operation {
    name: "alipay.open.app.alipaycert.download",
    safety: Safety::ReadOnly,
    v2: Some(V2Route {
        response_key: "alipay_open_app_alipaycert_download_response",
        biz_content: true,
        text_params: &[],
        files: &[],
        need_encrypt: false,
        client_executed: false,
    }),
    v3: None,
};

enum Prepared {
    V2(PreparedV2),
    V3(PreparedV3),
}

/// A v2 request with everything but the per-attempt timestamp and signature.
struct PreparedV2 {
    op: &'static Operation,
    route: &'static V2Route,
    /// Common parameters (query string).
    query: Vec<(&'static str, String)>,
    /// `biz_content` and text parameters (form body or multipart text parts).
    body: Vec<(&'static str, String)>,
    files: Vec<FilePart>,
}

/// A v3 request with everything but the per-attempt nonce, timestamp and signature.
struct PreparedV3 {
    op: &'static Operation,
    method: crate::HttpMethod,
    /// Path and query exactly as sent and signed.
    target: String,
    /// The body line of the string to sign (JSON, ciphertext, or the multipart `data` JSON).
    signed_body: String,
    /// The bytes sent.
    wire_body: Bytes,
    content_type: Option<String>,
    encrypted: bool,
    app_auth_token: Option<String>,
}

fn object_of<'a>(
    op: &'static Operation,
    params: &'a serde_json::Value,
) -> Result<std::borrow::Cow<'a, serde_json::Map<String, serde_json::Value>>, Error> {
    match params {
        serde_json::Value::Object(m) => Ok(std::borrow::Cow::Borrowed(m)),
        serde_json::Value::Null => Ok(std::borrow::Cow::Owned(serde_json::Map::new())),
        _ => Err(Error::Build(format!(
            "{}: the request must serialize to a JSON object",
            op.name
        ))),
    }
}

/// The text form of a parameter value: strings as they are, other JSON as its JSON text.
fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn collect_files(
    op: &'static Operation,
    declared: &[&str],
    given: &[FilePart],
) -> Result<Vec<FilePart>, Error> {
    for f in given {
        if !declared.contains(&f.name.as_str()) {
            return Err(Error::Build(format!(
                "{}: `{}` is not a file parameter of this operation",
                op.name, f.name
            )));
        }
    }
    Ok(given.to_vec())
}

fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn header_text(response: &http::Response<Bytes>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or_default()
}

/// Replaces the values of `app_auth_token=` / `auth_token=` in a text (Alipay echoes the
/// string it expected to be signed in `sub_msg` of `isv.invalid-signature`).
fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("auth_token=") {
        let (before, after) = rest.split_at(pos + "auth_token=".len());
        out.push_str(before);
        let end = after
            .find(|c: char| c == '&' || c.is_whitespace() || c == '"' || c == ',')
            .unwrap_or(after.len());
        if end > 0 {
            out.push_str("<redacted>");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn is_valid_sn(sn: &str) -> bool {
    sn.len() == 32 && sn.bytes().all(|b| b.is_ascii_hexdigit())
}

fn v2_problem(e: v2::ResponseError) -> ResponseProblem {
    match e {
        v2::ResponseError::MissingSign => ResponseProblem::MissingSignature,
        v2::ResponseError::BadSignature(_) => ResponseProblem::BadSignature,
        other => ResponseProblem::Undecodable(other.to_string()),
    }
}

/// A `multipart/form-data` body.
struct Multipart {
    boundary: String,
    buf: Vec<u8>,
}

impl Multipart {
    fn new() -> Self {
        Multipart {
            boundary: format!("alipay-{}", uuid::Uuid::new_v4().simple()),
            buf: Vec::new(),
        }
    }

    fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    fn head(&mut self, disposition: &str, content_type: &str) {
        self.buf.extend_from_slice(b"--");
        self.buf.extend_from_slice(self.boundary.as_bytes());
        self.buf
            .extend_from_slice(b"\r\nContent-Disposition: form-data; ");
        self.buf.extend_from_slice(disposition.as_bytes());
        self.buf.extend_from_slice(b"\r\nContent-Type: ");
        self.buf
            .extend_from_slice(header_safe(content_type).as_bytes());
        self.buf.extend_from_slice(b"\r\n\r\n");
    }

    fn text(&mut self, name: &str, content_type: &str, value: &[u8]) {
        self.head(&format!("name=\"{}\"", quote_safe(name)), content_type);
        self.buf.extend_from_slice(value);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn file(&mut self, f: &FilePart) {
        let ct = if f.content_type.is_empty() {
            "application/octet-stream"
        } else {
            &f.content_type
        };
        self.head(
            &format!(
                "name=\"{}\"; filename=\"{}\"",
                quote_safe(&f.name),
                quote_safe(&f.file_name)
            ),
            ct,
        );
        self.buf.extend_from_slice(&f.content);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn finish(mut self) -> Bytes {
        self.buf.extend_from_slice(b"--");
        self.buf.extend_from_slice(self.boundary.as_bytes());
        self.buf.extend_from_slice(b"--\r\n");
        Bytes::from(self.buf)
    }
}

/// A part name or file name inside a quoted header parameter.
fn quote_safe(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .map(|c| if c == '"' { '\'' } else { c })
        .collect()
}

fn header_safe(s: &str) -> String {
    s.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_redacted_from_echoed_strings() {
        let echoed = "验签字符串为：app_auth_token=202406BBxyz&app_id=1&auth_token=usr1 end";
        assert_eq!(
            redact_tokens(echoed),
            "验签字符串为：app_auth_token=<redacted>&app_id=1&auth_token=<redacted> end"
        );
        assert_eq!(redact_tokens("auth_token="), "auth_token=");
        assert_eq!(redact_tokens("no tokens"), "no tokens");
    }

    #[test]
    fn multipart_parts_are_well_formed() {
        let mut m = Multipart::new();
        m.text("data", "application/json", b"{}");
        m.file(&FilePart::new("f\"\r\n", "a\".txt", "", &b"xy"[..]));
        let boundary = m.boundary.clone();
        let body = String::from_utf8(m.finish().to_vec()).unwrap();
        assert_eq!(
            body,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"\r\nContent-Type: application/json\r\n\r\n{{}}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"f'\"; filename=\"a'.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nxy\r\n\
                 --{boundary}--\r\n"
            )
        );
    }

    #[test]
    fn sn_shape() {
        assert!(is_valid_sn("0a76089a0b5ebb17aa5e2f4a9d41730a"));
        assert!(!is_valid_sn("0a76089a0b5ebb17aa5e2f4a9d41730"));
        assert!(!is_valid_sn("../../../../etc/passwd/0123456789"));
    }
}

//! The one error type of the SDK.
//!
//! Every variant says where the call failed: the configuration, building the request, moving
//! the bytes, trusting the response, or Alipay's own answer. No variant ever carries a key,
//! a token or a signature.

use crate::retry::Failure;
use crate::transport::TransportError;

/// Everything that can go wrong in a call, by where it went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is invalid: `item` names the setting, `message` says what was
    /// wrong and which format is expected. Returned by `ClientBuilder::build`.
    #[error("invalid client configuration: {item}: {message}")]
    Config {
        /// The builder setting at fault, e.g. `private_key` or `alipay_root_cert`.
        item: &'static str,
        /// What was wrong and what is expected.
        message: String,
    },
    /// The request could not be built (unserializable parameters, a missing path parameter,
    /// an operation not served by the chosen protocol, …). Nothing was sent.
    #[error("could not build the request: {0}")]
    Build(String),
    /// The bytes could not be exchanged with Alipay.
    #[error("{operation}: {source}{}", transport_hint(.source))]
    Transport {
        operation: &'static str,
        #[source]
        source: TransportError,
    },
    /// A response arrived but cannot be trusted or read; the request did reach Alipay.
    #[error("{operation}: {problem}")]
    Response {
        operation: &'static str,
        problem: ResponseProblem,
    },
    /// Alipay answered (with a verified response, or an unsigned error) that the call failed.
    #[error("{0}")]
    Service(Box<ServiceError>),
    /// A key could not be loaded (see the message for the expected format).
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// A signing or AES operation failed.
    #[error(transparent)]
    Crypto(#[from] crate::keys::CryptoError),
    /// A certificate could not be parsed or did not validate.
    #[error(transparent)]
    Cert(#[from] crate::cert::CertError),
    /// An asynchronous notification (or `return_url` parameters) did not verify; answer the
    /// request with an error status and do not act on it.
    #[error(transparent)]
    Notify(#[from] crate::notify::NotifyError),
    /// A verified success response could not be decoded into the typed model.
    #[error("could not decode the response of {operation}: {message} (the call itself succeeded)")]
    Decode {
        operation: &'static str,
        message: String,
    },
}

fn transport_hint(e: &TransportError) -> &'static str {
    if e.maybe_sent() {
        "; the outcome is unknown: query the operation's state before trying again"
    } else {
        "; nothing reached Alipay, it is safe to try again"
    }
}

/// Why a response was not trusted or could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// A success response without a signature (`sign` / `alipay-signature`).
    #[error("the response is not signed, so it was not trusted (check the gateway URL)")]
    MissingSignature,
    /// The signature does not verify with Alipay's public key.
    #[error(
        "the response signature does not verify with the Alipay public key; the response was \
         not trusted (check that the configured Alipay public key or certificate belongs to \
         this app and environment)"
    )]
    BadSignature,
    /// The body is not what the protocol says (not JSON, not UTF-8, no response node, …).
    #[error("undecodable response: {0}")]
    Undecodable(String),
    /// An encrypted body could not be decrypted with the configured AES key.
    #[error("could not decrypt the response ({0}); check the configured AES key")]
    Decrypt(String),
    /// An HTTP status that the protocol does not expect, without a service error in the body.
    #[error("unexpected HTTP status {status}")]
    HttpStatus { status: u16 },
    /// The response was signed by an Alipay certificate this client does not have and could
    /// not fetch.
    #[error("the response was signed by an unknown Alipay certificate (SN {sn}): {reason}")]
    UnknownCert { sn: String, reason: String },
    /// A (downloaded) Alipay certificate did not validate against the root bundle; it was
    /// not trusted.
    #[error(
        "the Alipay certificate with SN {sn} is not trusted: {reason} (check alipayRootCert.crt)"
    )]
    UntrustedCert { sn: String, reason: String },
    /// The response is certificate-mode but the client is not, or the other way round.
    #[error("{0}")]
    Mode(String),
}

/// A link of a v3 error (`links`: where the solution is described).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct ErrorLink {
    #[serde(default)]
    pub link: String,
    #[serde(default)]
    pub desc: String,
}

/// Alipay's answer that a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceError {
    /// A v2 `code` other than `10000`/`10003` (or a `sub_code`).
    V2 {
        operation: &'static str,
        code: String,
        msg: String,
        sub_code: Option<String>,
        sub_msg: Option<String>,
        /// The response node's signature was checked (it is optional on errors).
        verified: bool,
    },
    /// A v3 HTTP error status with `{code, message, links}`.
    V3 {
        operation: &'static str,
        http_status: u16,
        code: String,
        message: String,
        links: Vec<ErrorLink>,
        trace_id: Option<String>,
        /// The response headers carried a signature and it was checked.
        verified: bool,
    },
}

impl ServiceError {
    /// The operation that failed.
    pub fn operation(&self) -> &'static str {
        match self {
            ServiceError::V2 { operation, .. } | ServiceError::V3 { operation, .. } => operation,
        }
    }

    /// The business error code that the generated `…ErrorCode` enums read: the v2 `sub_code`
    /// (`ACQ.TRADE_NOT_EXIST`) or the v3 `code`; `None` for a v2 error without `sub_code`.
    pub fn business_code(&self) -> Option<&str> {
        match self {
            ServiceError::V2 { sub_code, .. } => sub_code.as_deref(),
            ServiceError::V3 { code, .. } => Some(code),
        }
    }

    /// v2 `code` (e.g. `40004`) or v3 `code` (e.g. `invalid-auth-token`).
    pub fn code(&self) -> &str {
        match self {
            ServiceError::V2 { code, .. } | ServiceError::V3 { code, .. } => code,
        }
    }

    /// v2 `sub_code` (e.g. `ACQ.TRADE_NOT_EXIST`); v3 has none.
    pub fn sub_code(&self) -> Option<&str> {
        match self {
            ServiceError::V2 { sub_code, .. } => sub_code.as_deref(),
            ServiceError::V3 { .. } => None,
        }
    }

    /// The human-readable text: v2 `sub_msg` (else `msg`), v3 `message`.
    pub fn message(&self) -> &str {
        match self {
            ServiceError::V2 { msg, sub_msg, .. } => sub_msg.as_deref().unwrap_or(msg),
            ServiceError::V3 { message, .. } => message,
        }
    }

    /// The v3 `alipay-trace-id`.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            ServiceError::V2 { .. } => None,
            ServiceError::V3 { trace_id, .. } => trace_id.as_deref(),
        }
    }

    /// `true` when Alipay says the service was unavailable and the outcome is unknown
    /// (v2 `20000`, v3 5xx).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ServiceError::V2 { code, sub_code, .. } => {
                code == "20000"
                    || matches!(
                        sub_code.as_deref(),
                        Some("isp.unknow-error" | "aop.unknow-error")
                    )
            }
            ServiceError::V3 { http_status, .. } => *http_status >= 500,
        }
    }

    fn hint(&self) -> &'static str {
        if self.outcome_unknown() {
            return "the outcome is unknown: query the operation's state before trying again";
        }
        let code = self.code();
        let sub = self.sub_code().unwrap_or("");
        if sub == "isv.invalid-signature" || code == "invalid-signature" {
            "check the app private key and that its public key (or app certificate) is the one uploaded to Alipay"
        } else if sub == "isv.invalid-timestamp" {
            "check the host clock"
        } else if code == "20001" || code.contains("auth-token") || sub.contains("auth-token") {
            "the (app_)auth_token is invalid or expired: obtain a new one"
        } else if code == "40006" || code.contains("permission") {
            "the app lacks permission for this API: check its products in the Alipay console"
        } else if code == "40005" {
            "rate limited: slow down"
        } else {
            "see the sub_code / code in Alipay's error documentation"
        }
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceError::V2 {
                operation,
                code,
                msg,
                sub_code,
                sub_msg,
                ..
            } => {
                write!(f, "{operation}: Alipay returned {code} ({msg})")?;
                if let Some(s) = sub_code {
                    write!(f, " {s}")?;
                }
                if let Some(s) = sub_msg {
                    write!(f, ": {s}")?;
                }
            }
            ServiceError::V3 {
                operation,
                http_status,
                code,
                message,
                trace_id,
                ..
            } => {
                write!(
                    f,
                    "{operation}: Alipay returned HTTP {http_status} {code}: {message}"
                )?;
                if let Some(t) = trace_id {
                    write!(f, " (trace id {t})")?;
                }
            }
        }
        write!(f, "; {}", self.hint())
    }
}

impl Error {
    pub(crate) fn config(item: &'static str, message: impl Into<String>) -> Self {
        Error::Config {
            item,
            message: message.into(),
        }
    }

    /// A short, secret-free name of the kind of failure, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config { .. } => "config",
            Error::Build(_) => "build",
            Error::Transport { source, .. } if source.maybe_sent() => "transport_outcome_unknown",
            Error::Transport { .. } => "transport_not_sent",
            Error::Response { problem, .. } => match problem {
                ResponseProblem::MissingSignature => "missing_signature",
                ResponseProblem::BadSignature => "bad_signature",
                ResponseProblem::Undecodable(_) => "undecodable_response",
                ResponseProblem::Decrypt(_) => "decrypt",
                ResponseProblem::HttpStatus { .. } => "http_status",
                ResponseProblem::UnknownCert { .. } => "unknown_cert",
                ResponseProblem::UntrustedCert { .. } => "untrusted_cert",
                ResponseProblem::Mode(_) => "mode",
            },
            Error::Service(_) => "service",
            Error::Key(_) => "key",
            Error::Crypto(_) => "crypto",
            Error::Cert(_) => "cert",
            Error::Notify(_) => "notify",
            Error::Decode { .. } => "decode",
        }
    }

    pub(crate) fn response(operation: &'static str, problem: ResponseProblem) -> Self {
        Error::Response { operation, problem }
    }

    pub(crate) fn undecodable(operation: &'static str, message: impl Into<String>) -> Self {
        Error::Response {
            operation,
            problem: ResponseProblem::Undecodable(message.into()),
        }
    }

    /// `true` when the request certainly did not reach Alipay, so sending it again cannot
    /// do anything twice (a transport failure before the request left).
    pub fn is_retry_safe(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if !source.maybe_sent())
    }

    /// `true` when the request may have been executed by Alipay but the client cannot tell
    /// the result: a timeout or reset after sending, v2 `20000`, a v3 5xx, or a response that
    /// could not be trusted. For a call that moves money, query its state before retrying.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport { source, .. } => source.maybe_sent(),
            Error::Response { .. } => true,
            Error::Service(s) => s.outcome_unknown(),
            _ => false,
        }
    }

    /// The service error, when Alipay answered with one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(s) => Some(s),
            _ => None,
        }
    }

    /// Alipay's `code` (v2 `40004`, v3 `invalid-auth-token`), when Alipay answered with an error.
    pub fn service_code(&self) -> Option<&str> {
        self.service().map(ServiceError::code)
    }

    /// Alipay's v2 `sub_code` (e.g. `ACQ.TRADE_NOT_EXIST`).
    pub fn sub_code(&self) -> Option<&str> {
        self.service().and_then(ServiceError::sub_code)
    }

    /// The v3 trace id, when Alipay answered with an error.
    pub fn trace_id(&self) -> Option<&str> {
        self.service().and_then(ServiceError::trace_id)
    }

    /// How the retry policy sees this error.
    pub(crate) fn retry_failure(&self) -> Failure {
        match self {
            Error::Transport { source, .. } if !source.maybe_sent() => Failure::NotSent,
            Error::Transport { .. } => Failure::MaybeSent,
            Error::Response {
                problem: ResponseProblem::HttpStatus { status },
                ..
            } => Failure::ServerStatus(*status),
            Error::Service(s) => match s.as_ref() {
                ServiceError::V3 { http_status, .. } if *http_status >= 500 => {
                    Failure::ServerStatus(*http_status)
                }
                ServiceError::V2 { .. } if s.outcome_unknown() => Failure::ServiceUnavailable,
                _ => Failure::Final,
            },
            _ => Failure::Final,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(code: &str, sub: Option<&str>) -> Error {
        Error::Service(Box::new(ServiceError::V2 {
            operation: "alipay.trade.pay",
            code: code.into(),
            msg: "Business Failed".into(),
            sub_code: sub.map(Into::into),
            sub_msg: Some("交易不存在".into()),
            verified: true,
        }))
    }

    #[test]
    fn service_helpers() {
        let e = v2("40004", Some("ACQ.TRADE_NOT_EXIST"));
        assert_eq!(e.service_code(), Some("40004"));
        assert_eq!(e.sub_code(), Some("ACQ.TRADE_NOT_EXIST"));
        assert!(!e.outcome_unknown());
        assert!(!e.is_retry_safe());
        assert_eq!(e.retry_failure(), Failure::Final);
        let text = e.to_string();
        assert!(
            text.contains("40004") && text.contains("ACQ.TRADE_NOT_EXIST"),
            "{text}"
        );

        let e = v2("20000", Some("isp.unknow-error"));
        assert!(e.outcome_unknown());
        assert_eq!(e.retry_failure(), Failure::ServiceUnavailable);
        assert!(e.to_string().contains("query the operation's state"));
    }

    #[test]
    fn v3_service_error() {
        let e = Error::Service(Box::new(ServiceError::V3 {
            operation: "alipay.trade.query",
            http_status: 401,
            code: "invalid-auth-token".into(),
            message: "无效的访问令牌".into(),
            links: vec![],
            trace_id: Some("0b1a2c".into()),
            verified: false,
        }));
        assert_eq!(e.trace_id(), Some("0b1a2c"));
        assert_eq!(e.service_code(), Some("invalid-auth-token"));
        assert_eq!(e.retry_failure(), Failure::Final);
        assert!(e.to_string().contains("trace id 0b1a2c"));
    }

    #[test]
    fn transport_errors_say_whether_the_outcome_is_known() {
        let sent = Error::Transport {
            operation: "alipay.trade.refund",
            source: TransportError::timeout(true, "5s"),
        };
        assert!(sent.outcome_unknown());
        assert!(!sent.is_retry_safe());
        assert_eq!(sent.retry_failure(), Failure::MaybeSent);
        let not_sent = Error::Transport {
            operation: "alipay.trade.refund",
            source: TransportError::connect(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )),
        };
        assert!(!not_sent.outcome_unknown());
        assert!(not_sent.is_retry_safe());
        assert!(not_sent.to_string().contains("safe to try again"));
    }
}

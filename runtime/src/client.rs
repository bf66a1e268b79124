//! The client and its entry points.

use crate::{Error, Operation};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Protocol generation used for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Classic `gateway.do` with `method=…` and `biz_content`.
    V2,
    /// REST `/v3/…` with the `ALIPAY-SHA256withRSA` Authorization header.
    V3,
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
    /// User access token for user-authorised APIs (signed; never logged).
    pub auth_token: Option<String>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    /// Override of AES content encryption for this call.
    pub encrypt: Option<bool>,
    /// Files of an upload operation.
    pub files: Vec<FilePart>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("protocol", &self.protocol)
            .field("app_auth_token", &self.app_auth_token.as_ref().map(|_| "<redacted>"))
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<redacted>"))
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
    _private: (),
}

impl Client {
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
        let _ = (params, options);
        Err(Error::Build(format!("{}: transport not implemented yet", op.name)))
    }
}

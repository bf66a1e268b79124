//! The HTTP server: one accept loop, one hyper connection per TCP connection, routing to the
//! v2 gateway, the v3 API and the control API.

use crate::catalog::Catalog;
use crate::domain::{BizError, Reply, State};
use crate::faults::{CallFaults, Faults, Protocol};
use crate::identity::Identity;
use crate::notify::Notifier;
use crate::wire::{self, Body, ResetSwitch, ResettableStream};
use crate::{control, v2, v3};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Largest request body accepted (uploads included).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Behaviour switches.
#[derive(Clone)]
pub struct Options {
    /// How far a request timestamp may be from the emulator's clock.
    pub timestamp_tolerance: Duration,
    /// `None`: any app_auth_token is accepted; `Some`: only these.
    pub app_auth_tokens: Option<BTreeSet<String>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("timestamp_tolerance", &self.timestamp_tolerance)
            .field(
                "app_auth_tokens",
                &self
                    .app_auth_tokens
                    .as_ref()
                    .map(|t| format!("<{} redacted>", t.len())),
            )
            .finish()
    }
}

impl Options {
    pub fn accepts_app_auth_token(&self, token: &str) -> bool {
        self.app_auth_tokens
            .as_ref()
            .is_none_or(|set| set.contains(token))
    }
}

/// Everything a request handler can reach.
pub struct Shared {
    pub identity: Identity,
    pub catalog: Catalog,
    pub options: Options,
    pub state: Mutex<State>,
    pub faults: Mutex<Faults>,
    pub notifier: Notifier,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn take_faults(&self, method: &str, protocol: Protocol) -> CallFaults {
        lock(&self.faults).take(method, protocol)
    }

    /// Runs a business operation; operations without business logic answer with the
    /// examples of their spec's response fields.
    pub fn execute(
        &self,
        method: &str,
        params: &Map<String, Value>,
        now: SystemTime,
    ) -> Result<Reply, BizError> {
        let t = time::OffsetDateTime::from(now);
        let (outcome, notices) = {
            let mut state = lock(&self.state);
            let outcome = state.dispatch(method, params, t);
            (outcome, state.trades.take_notices())
        };
        self.notifier.send_all(&self.identity, notices);
        match outcome {
            Some(o) => o,
            None => Ok(Reply::ok(self.example_fields(method))),
        }
    }

    fn example_fields(&self, method: &str) -> Map<String, Value> {
        use alipay_codegen::ir::{ResponseBody, SchemaKind};
        let mut out = Map::new();
        let Some(op) = self.catalog.api().operations.get(method) else {
            return out;
        };
        let fields = match &op.response {
            ResponseBody::Inline(fields) => Some(fields),
            ResponseBody::Named(name) => {
                match self.catalog.api().schemas.get(name).map(|s| &s.kind) {
                    Some(SchemaKind::Object { fields }) => Some(fields),
                    _ => None,
                }
            }
        };
        for f in fields.into_iter().flatten() {
            if let Some(example) = &f.doc.example {
                out.insert(f.wire_name.clone(), example.clone());
            }
        }
        out
    }
}

/// Serves until `shutdown` flips to `true`.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut stop = shutdown.clone();
                tokio::spawn(async move {
                    let (io, switch) = ResettableStream::new(stream);
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        let switch = switch.clone();
                        async move { Ok::<_, std::convert::Infallible>(route(&shared, &switch, req).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(io), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn route(shared: &Shared, switch: &ResetSwitch, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body: Bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return wire::respond(413, "text/plain", "request body too large or broken"),
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let method = parts.method.as_str();
    if path == "/gateway.do" {
        if method != "POST" && method != "GET" {
            return wire::respond(405, "text/plain", "gateway.do takes POST");
        }
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        return match v2::collect_params(&query, content_type, body).await {
            Ok(params) => v2::handle(shared, params, switch).await,
            Err(e) => v2::error_response(shared, e),
        };
    }
    if path.starts_with("/v3/") {
        let target = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(path.as_str())
            .to_owned();
        let req = v3::Request {
            method,
            target: &target,
            path: &path,
            query: &query,
            headers: &parts.headers,
            body,
        };
        return v3::handle(shared, req, switch).await;
    }
    if let Some(rest) = path.strip_prefix("/__emulator/") {
        return control::handle(shared, method, rest, &body);
    }
    wire::respond(
        404,
        "text/plain",
        "not found: the emulator serves POST /gateway.do (v2), /v3/... (v3) and /__emulator/... (control)",
    )
}

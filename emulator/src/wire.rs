//! HTTP plumbing shared by the protocol layers: bodies, connection-level faults, the
//! resettable connection.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::faults::{CallFaults, Fault};

/// The response body type of the emulator.
pub type Body = http_body_util::combinators::BoxBody<Bytes, io::Error>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A body that sends the first half of `bytes`, pauses so it reaches the wire, then fails,
/// which makes the server abort the connection before the announced length is complete.
pub fn truncated(bytes: Bytes) -> Body {
    let half = bytes.slice(..bytes.len() / 2);
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok(Frame::data(half)), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Some((
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "truncated",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    StreamBody::new(stream).boxed()
}

/// A plain response.
pub fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

/// A JSON response (control API).
pub fn json(status: u16, value: &serde_json::Value) -> Response<Body> {
    respond(status, "application/json", value.to_string())
}

/// The answer to an HTTP-status fault: a plain text body, unsigned, like a proxy's.
pub fn status_fault(status: u16) -> Response<Body> {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    respond(status, "text/plain", format!("{status} {reason}"))
}

/// Per-connection switch: once set, the connection is reset (TCP RST) instead of answering.
#[derive(Debug, Clone, Default)]
pub struct ResetSwitch(Arc<AtomicBool>);

impl ResetSwitch {
    pub fn trip(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn tripped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Applies the connection-level part of a call's faults to a finished response: the delay,
/// a reset, a truncated body.
pub async fn deliver(
    mut response: Response<Body>,
    faults: &CallFaults,
    switch: &ResetSwitch,
    full_body: Option<Bytes>,
) -> Response<Body> {
    if faults.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
    }
    match &faults.fault {
        Some(Fault::ConnectionReset) => {
            switch.trip();
            respond(200, "text/plain", "")
        }
        Some(Fault::TruncatedBody) => {
            if let Some(bytes) = full_body {
                if let Ok(v) = HeaderValue::from_str(&bytes.len().to_string()) {
                    response
                        .headers_mut()
                        .insert(http::header::CONTENT_LENGTH, v);
                }
                *response.body_mut() = truncated(bytes);
            }
            response
        }
        _ => response,
    }
}

/// A TCP stream whose writes fail (and whose close becomes an RST) once its switch is tripped.
pub struct ResettableStream {
    inner: TcpStream,
    switch: ResetSwitch,
}

impl ResettableStream {
    pub fn new(inner: TcpStream) -> (Self, ResetSwitch) {
        let switch = ResetSwitch::default();
        (
            ResettableStream {
                inner,
                switch: switch.clone(),
            },
            switch,
        )
    }

    fn reset_if_tripped(&self) -> Option<io::Error> {
        if !self.switch.tripped() {
            return None;
        }
        // Linger 0: closing the socket sends RST instead of FIN.
        let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
        Some(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection reset by fault injection",
        ))
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(e) = this.reset_if_tripped() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.reset_if_tripped() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.reset_if_tripped() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

//! Fault injection: rules that match calls (by method name and protocol) and say what goes
//! wrong. Pure and synchronous; the server applies the faults a call collects.
//!
//! A rule without `times` stays until removed (a per-route fault); `times: 1` hits the next
//! matching call only (a per-call fault). Several rules may hit one call: a `delay` adds to
//! whatever else happens, the first non-delay fault decides the response.

use serde::{Deserialize, Serialize};

/// The protocol a call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    V2,
    V3,
}

/// One way a response can go wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// Wait before answering (the answer itself is normal unless another fault says otherwise).
    Delay { ms: u64 },
    /// Answer with this HTTP status and a plain-text body, unsigned.
    HttpStatus { status: u16 },
    /// Reset the TCP connection (RST) instead of answering.
    ConnectionReset,
    /// Send the headers and half of the body, then close the connection.
    TruncatedBody,
    /// Sign, then flip the signature so that it does not verify.
    WrongSignature,
    /// Leave the signature out (v2 `sign`, v3 `alipay-signature`).
    MissingSignature,
    /// v2: put `sign` before the response node in the body (valid; robust extractors cope).
    SignBeforeNode,
    /// v2 `20000 isp.unknow-error`; v3 HTTP 500 `SYSTEM_ERROR`. The operation is not executed.
    UnknownError,
    /// Encode the body in GBK (`charset=GBK`), signed over the GBK bytes.
    GbkBody,
    /// Sign with the rotated Alipay certificate (certificate mode): the client sees an unknown
    /// `alipay_cert_sn` / `alipay-sn` and must fetch it through
    /// `alipay.open.app.alipaycert.download`.
    RotatedCert,
    /// Like [`Fault::RotatedCert`], with a certificate that no root vouches for.
    UntrustedCert,
}

impl Fault {
    pub fn is_delay(&self) -> bool {
        matches!(self, Fault::Delay { .. })
    }
}

/// Which calls a rule hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    pub fault: Fault,
    /// Method name (`alipay.trade.query`); `None` = every method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `None` = both protocols.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Number of calls it hits before it disappears; `None` = until removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule hitting every call until removed.
    pub fn always(fault: Fault) -> Self {
        FaultRule {
            fault,
            method: None,
            protocol: None,
            times: None,
        }
    }

    /// Only calls of `method`.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Only calls on `protocol`.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Only the next `n` matching calls.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Only the next matching call.
    pub fn once(self) -> Self {
        self.times(1)
    }

    fn matches(&self, method: &str, protocol: Protocol) -> bool {
        let method_ok = match &self.method {
            Some(m) => m == method,
            // The certificate download is how a client recovers from a rotation; a catch-all
            // rule does not break it (name it explicitly to fault it).
            None => method != crate::CERT_DOWNLOAD_METHOD,
        };
        method_ok && self.protocol.is_none_or(|p| p == protocol)
    }
}

/// A rule as listed by the control API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveRule {
    pub id: u64,
    #[serde(flatten)]
    pub rule: FaultRule,
}

/// The active rules, in insertion order.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<ActiveRule>,
    next_id: u64,
}

impl Faults {
    /// Adds a rule; returns its id. A rule with `times: Some(0)` is never active.
    pub fn add(&mut self, rule: FaultRule) -> u64 {
        self.next_id += 1;
        if rule.times != Some(0) {
            self.rules.push(ActiveRule {
                id: self.next_id,
                rule,
            });
        }
        self.next_id
    }

    /// Removes a rule; `false` if there was none with that id.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> Vec<ActiveRule> {
        self.rules.clone()
    }

    /// The faults of one call, consuming one use of every counted rule that hits it.
    pub fn take(&mut self, method: &str, protocol: Protocol) -> CallFaults {
        let mut out = CallFaults::default();
        for active in &mut self.rules {
            if !active.rule.matches(method, protocol) {
                continue;
            }
            if let Some(n) = active.rule.times.as_mut() {
                *n = n.saturating_sub(1);
            }
            match &active.rule.fault {
                Fault::Delay { ms } => out.delay_ms = out.delay_ms.saturating_add(*ms),
                other => {
                    if out.fault.is_none() {
                        out.fault = Some(other.clone());
                    }
                }
            }
        }
        self.rules.retain(|r| r.rule.times != Some(0));
        out
    }
}

/// What one call suffers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFaults {
    pub delay_ms: u64,
    pub fault: Option<Fault>,
}

impl CallFaults {
    pub fn is(&self, f: &Fault) -> bool {
        self.fault.as_ref() == Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_rules_hit_one_matching_call() {
        let mut f = Faults::default();
        f.add(
            FaultRule::always(Fault::TruncatedBody)
                .method("alipay.trade.query")
                .once(),
        );
        assert_eq!(f.take("alipay.trade.pay", Protocol::V2).fault, None);
        assert_eq!(
            f.take("alipay.trade.query", Protocol::V3).fault,
            Some(Fault::TruncatedBody)
        );
        assert_eq!(f.take("alipay.trade.query", Protocol::V3).fault, None);
        assert!(f.list().is_empty());
    }

    #[test]
    fn persistent_rules_stay_until_removed() {
        let mut f = Faults::default();
        let id = f.add(FaultRule::always(Fault::UnknownError).protocol(Protocol::V2));
        for _ in 0..3 {
            assert!(f.take("x", Protocol::V2).is(&Fault::UnknownError));
            assert_eq!(f.take("x", Protocol::V3).fault, None);
        }
        assert!(f.remove(id));
        assert!(!f.remove(id));
        assert_eq!(f.take("x", Protocol::V2).fault, None);
    }

    #[test]
    fn delays_add_up_and_first_fault_wins() {
        let mut f = Faults::default();
        f.add(FaultRule::always(Fault::Delay { ms: 5 }));
        f.add(FaultRule::always(Fault::HttpStatus { status: 502 }).times(2));
        f.add(FaultRule::always(Fault::Delay { ms: 7 }).once());
        f.add(FaultRule::always(Fault::MissingSignature));
        let c = f.take("m", Protocol::V3);
        assert_eq!(c.delay_ms, 12);
        assert_eq!(c.fault, Some(Fault::HttpStatus { status: 502 }));
        assert_eq!(f.take("m", Protocol::V3).delay_ms, 5);
        assert_eq!(
            f.take("m", Protocol::V3).fault,
            Some(Fault::MissingSignature)
        );
        f.clear();
        assert_eq!(f.take("m", Protocol::V3), CallFaults::default());
    }

    #[test]
    fn catch_all_rules_spare_the_certificate_download() {
        let mut f = Faults::default();
        f.add(FaultRule::always(Fault::RotatedCert));
        assert_eq!(
            f.take(crate::CERT_DOWNLOAD_METHOD, Protocol::V2).fault,
            None
        );
        f.add(
            FaultRule::always(Fault::HttpStatus { status: 503 })
                .method(crate::CERT_DOWNLOAD_METHOD),
        );
        assert!(f
            .take(crate::CERT_DOWNLOAD_METHOD, Protocol::V2)
            .is(&Fault::HttpStatus { status: 503 }));
    }

    #[test]
    fn rules_round_trip_as_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"fault":{"kind":"delay","ms":250},"method":"alipay.trade.pay","protocol":"v2","times":1}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::always(Fault::Delay { ms: 250 })
                .method("alipay.trade.pay")
                .protocol(Protocol::V2)
                .once()
        );
        let r: FaultRule =
            serde_json::from_str(r#"{"fault":{"kind":"connection_reset"}}"#).unwrap();
        assert_eq!(r, FaultRule::always(Fault::ConnectionReset));
        assert!(serde_json::from_str::<FaultRule>(r#"{"fault":{"kind":"nope"}}"#).is_err());
        let mut f = Faults::default();
        f.add(FaultRule::always(Fault::GbkBody).times(0));
        assert!(f.list().is_empty());
    }
}

//! A local Alipay Open Platform gateway for tests: v2 `gateway.do` and v3 REST, built from the
//! same specs as the generated SDK, with stateful trades, seeded records, fault injection and
//! asynchronous notifications. No credentials, no network.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emu = alipay_emulator::Emulator::builder().start().await?;
//! println!("v2 gateway: {}", emu.gateway_url());   // http://127.0.0.1:<port>/gateway.do
//! println!("v3 base:    {}", emu.base_url());      // http://127.0.0.1:<port>
//! // … create a trade with a client, then:
//! emu.pay_trade("20150320010101001", None)?;
//! # Ok(()) }
//! ```
//!
//! By default it trusts the built-in throwaway app key and signs with the built-in throwaway
//! "Alipay" key ([`test_keys`]); every key, the certificate mode and the AES key can be set
//! on the [`EmulatorBuilder`]. The business conventions (the `auth_code` prefixes of
//! `alipay.trade.pay`, the seeded records) are documented in [`domain`]'s modules; the control
//! API in [`control`]; faults in [`faults`].

pub mod cashier;
pub mod catalog;
pub mod control;
pub mod domain;
pub mod faults;
pub mod identity;
pub mod notify;
pub mod server;
pub mod v2;
pub mod v3;
pub mod wire;

pub use domain::trade::ControlError;
pub use faults::{ActiveRule, Fault, FaultRule, Protocol};
pub use identity::{test_keys, ConfigError};
pub use notify::Delivery;

use identity::{AppTrust, Identity, Signer};
use server::{lock, Options, Shared};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// v2 method through which a client fetches a rotated Alipay certificate.
pub const CERT_DOWNLOAD_METHOD: &str = "alipay.open.app.alipaycert.download";

/// Configures and starts an [`Emulator`].
#[derive(Clone)]
pub struct EmulatorBuilder {
    addr: SocketAddr,
    app_id: String,
    app_public_key: Option<String>,
    app_cert: Option<String>,
    alipay_private_key: Option<String>,
    alipay_cert: Option<String>,
    cert_mode: bool,
    aes_key: Option<String>,
    tolerance: Duration,
    app_auth_tokens: Option<BTreeSet<String>>,
    specs_dir: Option<PathBuf>,
    notify_delays: Vec<Duration>,
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "<set>" } else { "<built-in>" };
        f.debug_struct("EmulatorBuilder")
            .field("addr", &self.addr)
            .field("app_id", &self.app_id)
            .field("app_public_key", &set(&self.app_public_key))
            .field("app_cert", &set(&self.app_cert))
            .field(
                "alipay_private_key",
                &self.alipay_private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("alipay_cert", &set(&self.alipay_cert))
            .field("cert_mode", &self.cert_mode)
            .field("aes_key", &self.aes_key.as_ref().map(|_| "<redacted>"))
            .field("timestamp_tolerance", &self.tolerance)
            .field(
                "app_auth_tokens",
                &self.app_auth_tokens.as_ref().map(|t| t.len()),
            )
            .field("specs_dir", &self.specs_dir)
            .finish()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            app_id: test_keys::APP_ID.to_owned(),
            app_public_key: None,
            app_cert: None,
            alipay_private_key: None,
            alipay_cert: None,
            cert_mode: false,
            aes_key: None,
            tolerance: Duration::from_secs(600),
            app_auth_tokens: None,
            specs_dir: None,
            notify_delays: [0, 200, 1_000, 5_000, 30_000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
        }
    }
}

impl EmulatorBuilder {
    /// Listen address (default `127.0.0.1:0`, an ephemeral loopback port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Listen on `127.0.0.1:<port>`.
    pub fn port(mut self, port: u16) -> Self {
        self.addr = SocketAddr::from(([127, 0, 0, 1], port));
        self
    }

    /// The app id requests must carry (default [`test_keys::APP_ID`]).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The app's public key (SPKI, PEM or bare base64) that verifies request signatures.
    pub fn app_public_key(mut self, text: impl Into<String>) -> Self {
        self.app_public_key = Some(text.into());
        self
    }

    /// The app certificate (PEM): certificate mode.
    pub fn app_cert(mut self, pem: impl Into<String>) -> Self {
        self.app_cert = Some(pem.into());
        self.cert_mode = true;
        self
    }

    /// The emulator's own "Alipay" private key (PKCS#1 or PKCS#8, PEM or bare base64).
    pub fn alipay_private_key(mut self, text: impl Into<String>) -> Self {
        self.alipay_private_key = Some(text.into());
        self
    }

    /// The emulator's "Alipay" certificate chain (PEM, leaf first): certificate mode. Set the
    /// matching [`EmulatorBuilder::alipay_private_key`] too.
    pub fn alipay_cert(mut self, pem: impl Into<String>) -> Self {
        self.alipay_cert = Some(pem.into());
        self.cert_mode = true;
        self
    }

    /// Certificate mode with the built-in test certificates (whatever is not set explicitly).
    pub fn cert_mode(mut self) -> Self {
        self.cert_mode = true;
        self
    }

    /// AES content-encryption key (base64 of 16 bytes).
    pub fn aes_key(mut self, base64: impl Into<String>) -> Self {
        self.aes_key = Some(base64.into());
        self
    }

    /// How far request timestamps may be from the emulator's clock (default 10 minutes).
    pub fn timestamp_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Accept only these app_auth_tokens (default: any token is accepted).
    pub fn app_auth_tokens<I, S>(mut self, tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.app_auth_tokens = Some(tokens.into_iter().map(Into::into).collect());
        self
    }

    /// Serve the specs of this directory instead of the ones embedded at build time.
    pub fn specs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.specs_dir = Some(dir.into());
        self
    }

    /// Notification retry schedule: the wait before each attempt.
    pub fn notify_retry_delays(mut self, delays: Vec<Duration>) -> Self {
        self.notify_delays = delays;
        self
    }

    fn identity(&self) -> Result<Identity, ConfigError> {
        let aes = self.aes_key.as_deref().map(identity::aes_key).transpose()?;
        let rotated = Signer::new(
            test_keys::ROTATED_ALIPAY_PRIVATE_KEY,
            self.cert_mode.then_some(test_keys::ROTATED_ALIPAY_CERT),
        )?;
        let untrusted = Signer::new(
            test_keys::UNTRUSTED_ALIPAY_PRIVATE_KEY,
            self.cert_mode.then_some(test_keys::UNTRUSTED_ALIPAY_CERT),
        )?;
        let builtin_key = self.alipay_private_key.is_none();
        if self.cert_mode {
            let app = AppTrust::cert(self.app_cert.as_deref().unwrap_or(test_keys::APP_CERT))?;
            let alipay = match (&self.alipay_private_key, &self.alipay_cert) {
                (None, None) => {
                    Signer::new(test_keys::ALIPAY_PRIVATE_KEY, Some(test_keys::ALIPAY_CERT))?
                }
                (Some(k), Some(c)) => Signer::new(k, Some(c))?,
                _ => return Err(ConfigError::HalfCertMode),
            };
            let root = if builtin_key {
                identity::root_sn(test_keys::ROOT_CERT_WITH_ROTATION)
            } else {
                None
            };
            Ok(Identity {
                app_id: self.app_id.clone(),
                app,
                alipay,
                rotated,
                untrusted,
                aes,
                root_cert_sn: root,
                alipay_public_key: None,
                // With the built-in hierarchy: the root SN of either built-in bundle.
                accepted_root_sns: builtin_key.then(|| {
                    [test_keys::ROOT_CERT, test_keys::ROOT_CERT_WITH_ROTATION]
                        .iter()
                        .filter_map(|b| identity::root_sn(b))
                        .collect()
                }),
            })
        } else {
            let app = AppTrust::public_key(
                self.app_public_key
                    .as_deref()
                    .unwrap_or(test_keys::APP_PUBLIC_KEY),
            )?;
            let alipay = Signer::new(
                self.alipay_private_key
                    .as_deref()
                    .unwrap_or(test_keys::ALIPAY_PRIVATE_KEY),
                None,
            )?;
            Ok(Identity {
                app_id: self.app_id.clone(),
                app,
                alipay,
                rotated,
                untrusted,
                aes,
                root_cert_sn: None,
                alipay_public_key: builtin_key.then(|| test_keys::ALIPAY_PUBLIC_KEY.to_owned()),
                accepted_root_sns: None,
            })
        }
    }

    /// Binds the port and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Emulator, ConfigError> {
        let identity = self.identity()?;
        let catalog = match &self.specs_dir {
            Some(dir) => catalog::Catalog::from_dir(dir),
            None => catalog::Catalog::embedded(),
        }
        .map_err(|e| ConfigError::Specs(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|e| ConfigError::Io(format!("{}: {e}", self.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ConfigError::Io(e.to_string()))?;
        let shared = Arc::new(Shared {
            identity,
            catalog,
            options: Options {
                timestamp_tolerance: self.tolerance,
                app_auth_tokens: self.app_auth_tokens.clone(),
            },
            state: std::sync::Mutex::new(domain::State::seeded()),
            faults: std::sync::Mutex::default(),
            notifier: notify::Notifier::start(self.notify_delays.clone()),
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(Emulator { addr, shared, stop })
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the v3 base URL (paths `/v3/...`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:<port>/gateway.do`: the v2 gateway URL.
    pub fn gateway_url(&self) -> String {
        format!("http://{}/gateway.do", self.addr)
    }

    /// `http://127.0.0.1:<port>/__emulator`: the control API.
    pub fn control_url(&self) -> String {
        format!("http://{}/__emulator", self.addr)
    }

    pub fn app_id(&self) -> &str {
        &self.shared.identity.app_id
    }

    /// SN of the certificate the emulator signs with (certificate mode).
    pub fn alipay_cert_sn(&self) -> Option<String> {
        self.shared
            .identity
            .alipay
            .cert
            .as_ref()
            .map(|c| c.sn.clone())
    }

    /// SN of the rotated certificate served under [`Fault::RotatedCert`] (certificate mode).
    pub fn rotated_cert_sn(&self) -> Option<String> {
        self.shared
            .identity
            .rotated
            .cert
            .as_ref()
            .map(|c| c.sn.clone())
    }

    /// The buyer pays a `WAIT_BUYER_PAY` trade.
    pub fn pay_trade(
        &self,
        out_trade_no: &str,
        buyer_id: Option<&str>,
    ) -> Result<serde_json::Value, ControlError> {
        let now = time::OffsetDateTime::now_utc();
        let (result, notices) = {
            let mut state = lock(&self.shared.state);
            let r = state
                .trades
                .buyer_pays(out_trade_no, buyer_id.map(str::to_owned), now)
                .map(|t| t.to_json());
            (r, state.trades.take_notices())
        };
        self.shared
            .notifier
            .send_all(&self.shared.identity, notices);
        result
    }

    /// A `WAIT_BUYER_PAY` trade times out (`TRADE_CLOSED`).
    pub fn timeout_trade(&self, out_trade_no: &str) -> Result<serde_json::Value, ControlError> {
        lock(&self.shared.state)
            .trades
            .time_out(out_trade_no)
            .map(|t| t.to_json())
    }

    /// A paid trade passes its refund period (`TRADE_FINISHED`).
    pub fn finish_trade(&self, out_trade_no: &str) -> Result<serde_json::Value, ControlError> {
        lock(&self.shared.state)
            .trades
            .finish(out_trade_no)
            .map(|t| t.to_json())
    }

    /// A trade's state, as the control API shows it.
    pub fn trade(&self, out_trade_no: &str) -> Option<serde_json::Value> {
        lock(&self.shared.state)
            .trades
            .get(out_trade_no)
            .map(|t| t.to_json())
    }

    /// Adds a fault rule; returns its id.
    pub fn inject(&self, rule: FaultRule) -> u64 {
        lock(&self.shared.faults).add(rule)
    }

    /// Removes one fault rule.
    pub fn remove_fault(&self, id: u64) -> bool {
        lock(&self.shared.faults).remove(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The active fault rules.
    pub fn faults(&self) -> Vec<ActiveRule> {
        lock(&self.shared.faults).list()
    }

    /// The notification delivery log.
    pub fn notifications(&self) -> Vec<Delivery> {
        self.shared.notifier.deliveries()
    }

    /// Fresh seeded state and no fault rules.
    pub fn reset(&self) {
        *lock(&self.shared.state) = domain::State::seeded();
        self.clear_faults();
    }

    /// Stops accepting connections and closes the open ones.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let b = Emulator::builder()
            .alipay_private_key(test_keys::ALIPAY_PRIVATE_KEY)
            .aes_key(test_keys::AES_KEY)
            .app_auth_tokens(["secret-token"]);
        let text = format!("{b:?}");
        assert!(!text.contains("PRIVATE KEY") && !text.contains(test_keys::AES_KEY));
        let id = b.identity().unwrap();
        let text = format!("{id:?}");
        assert!(
            !text.contains("PRIVATE KEY") && !text.contains(test_keys::AES_KEY),
            "{text}"
        );
        let o = Options {
            timestamp_tolerance: Duration::from_secs(1),
            app_auth_tokens: Some(["secret-token".to_owned()].into()),
        };
        assert!(!format!("{o:?}").contains("secret-token"));
    }

    #[test]
    fn half_certificate_mode_is_refused() {
        let e = Emulator::builder()
            .alipay_cert(test_keys::ALIPAY_CERT)
            .identity()
            .unwrap_err();
        assert_eq!(e, ConfigError::HalfCertMode);
    }
}

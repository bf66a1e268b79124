//! Asynchronous notifications: after a simulated payment or refund the emulator POSTs a signed
//! `application/x-www-form-urlencoded` notification to the trade's `notify_url`, retrying until
//! the merchant answers exactly `success`.
//!
//! The signed content is the runtime's (`alipay_runtime::notify::string_to_verify`, rule V1:
//! `sign` and `sign_type` left out), signed with the Alipay key.

use crate::domain::trade::Notice;
use crate::identity::Identity;
use crate::server::lock;
use alipay_runtime::keys::SignType;
use alipay_runtime::notify::{string_to_verify, NotifyRule, ACK};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// One notification and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub notify_id: String,
    pub notify_url: String,
    /// The form body sent (identical on every attempt).
    pub body: String,
    pub attempts: u32,
    /// The merchant answered `success`.
    pub acknowledged: bool,
    /// What the last attempt got: an HTTP status and body start, or a transport error.
    pub last_result: Option<String>,
}

/// Builds the signed form body of a notice (`notify_id` given).
pub fn signed_form(identity: &Identity, notice: &Notice, notify_id: &str) -> String {
    let mut params: Vec<(String, String)> = notice
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in [
        ("app_id", identity.app_id.as_str()),
        ("auth_app_id", identity.app_id.as_str()),
        ("notify_id", notify_id),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
    ] {
        params.push((k.to_owned(), v.to_owned()));
    }
    params.sort();
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let content = string_to_verify(&pairs, NotifyRule::V1);
    let sign = identity
        .alipay
        .key
        .sign(SignType::Rsa2, content.as_bytes())
        .unwrap_or_default();
    let mut all = pairs;
    all.push(("sign", sign.as_str()));
    alipay_runtime::v2::form_encode(&all)
}

struct Job {
    delivery: usize,
}

/// Sends notifications in the background and keeps the delivery log.
#[derive(Clone)]
pub struct Notifier {
    tx: Option<mpsc::UnboundedSender<Job>>,
    log: Arc<Mutex<Vec<Delivery>>>,
}

impl Notifier {
    /// A notifier that records notices but sends nothing (no runtime, or disabled).
    pub fn disabled() -> Self {
        Notifier {
            tx: None,
            log: Arc::default(),
        }
    }

    /// Starts the sender task on the current tokio runtime. `delays` is the retry schedule:
    /// the wait before each attempt (the first is usually zero).
    pub fn start(delays: Vec<Duration>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let log: Arc<Mutex<Vec<Delivery>>> = Arc::default();
        let worker_log = log.clone();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .unwrap_or_default();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let log = worker_log.clone();
                let client = client.clone();
                let delays = delays.clone();
                tokio::spawn(async move { deliver(client, log, job.delivery, delays).await });
            }
        });
        Notifier { tx: Some(tx), log }
    }

    /// Signs and queues every notice.
    pub fn send_all(&self, identity: &Identity, notices: Vec<Notice>) {
        for notice in notices {
            let notify_id = uuid::Uuid::new_v4().simple().to_string();
            let body = signed_form(identity, &notice, &notify_id);
            let index = {
                let mut log = lock(&self.log);
                log.push(Delivery {
                    notify_id,
                    notify_url: notice.notify_url.clone(),
                    body,
                    attempts: 0,
                    acknowledged: false,
                    last_result: None,
                });
                log.len() - 1
            };
            if let Some(tx) = &self.tx {
                let _ = tx.send(Job { delivery: index });
            }
        }
    }

    /// The delivery log, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.log).clone()
    }
}

async fn deliver(
    client: reqwest::Client,
    log: Arc<Mutex<Vec<Delivery>>>,
    index: usize,
    delays: Vec<Duration>,
) {
    let Some((url, body)) = lock(&log)
        .get(index)
        .map(|d| (d.notify_url.clone(), d.body.clone()))
    else {
        return;
    };
    for delay in delays {
        tokio::time::sleep(delay).await;
        let result = client
            .post(&url)
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(body.clone())
            .send()
            .await;
        let (acked, what) = match result {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                let acked = status == 200 && text.trim() == ACK;
                let start: String = text.chars().take(64).collect();
                (acked, format!("HTTP {status}: {start}"))
            }
            Err(e) => (false, format!("transport error: {e}")),
        };
        if let Some(d) = lock(&log).get_mut(index) {
            d.attempts += 1;
            d.acknowledged = acked;
            d.last_result = Some(what);
        }
        if acked {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{test_keys, AppTrust, Signer};
    use alipay_runtime::keys::PublicKey;
    use alipay_runtime::notify::verify_form;
    use std::collections::BTreeMap;

    fn identity() -> Identity {
        let s = Signer::new(test_keys::ALIPAY_PRIVATE_KEY, None).unwrap();
        Identity {
            app_id: test_keys::APP_ID.into(),
            app: AppTrust::public_key(test_keys::APP_PUBLIC_KEY).unwrap(),
            alipay: s.clone(),
            rotated: s.clone(),
            untrusted: s,
            aes: None,
            root_cert_sn: None,
            alipay_public_key: None,
            accepted_root_sns: None,
        }
    }

    #[test]
    fn notifications_verify_with_the_runtime_and_any_change_breaks_them() {
        let mut params = BTreeMap::new();
        params.insert("out_trade_no".to_owned(), "o 1&2=3%".to_owned());
        params.insert("trade_status".to_owned(), "TRADE_SUCCESS".to_owned());
        params.insert("total_amount".to_owned(), "88.88".to_owned());
        params.insert("subject".to_owned(), "测试+商品".to_owned());
        let notice = Notice {
            notify_url: "http://127.0.0.1:1/n".into(),
            params,
        };
        let body = signed_form(&identity(), &notice, "nid-1");
        let key = PublicKey::from_text(test_keys::ALIPAY_PUBLIC_KEY).unwrap();
        let v = verify_form(body.as_bytes(), &key, NotifyRule::V1).unwrap();
        assert_eq!(v.get("out_trade_no"), Some("o 1&2=3%"));
        assert_eq!(v.get("notify_id"), Some("nid-1"));
        assert_eq!(v.get("app_id"), Some(test_keys::APP_ID));
        let tampered = body.replace("88.88", "88.89");
        assert!(verify_form(tampered.as_bytes(), &key, NotifyRule::V1).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Every notification the emulator signs verifies with the runtime; changing any one
        /// literal byte of the signed content (outside percent escapes, so the decoded content
        /// changes; the `sign` value itself is the runtime's base64 concern) makes it fail.
        #[test]
        fn signed_notifications_verify_and_any_changed_byte_fails(
            params in proptest::collection::btree_map("[a-z_]{1,12}", "\\PC{0,16}", 1..6),
            pick in proptest::prelude::any::<proptest::sample::Index>(),
            replacement in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut params = params;
            params.retain(|k, _| !["sign", "sign_type", "app_id", "auth_app_id", "notify_id", "charset", "version"].contains(&k.as_str()));
            let notice = Notice { notify_url: "http://127.0.0.1:1/".into(), params };
            let body = signed_form(&identity(), &notice, "nid");
            let key = PublicKey::from_text(test_keys::ALIPAY_PUBLIC_KEY).unwrap();
            proptest::prop_assert!(verify_form(body.as_bytes(), &key, NotifyRule::V1).is_ok());

            let bytes = body.as_bytes();
            let signed_end = body.rfind("&sign=").map_or(bytes.len(), |i| i + "&sign=".len());
            let literal: Vec<usize> = (0..signed_end)
                .filter(|&i| bytes[i].is_ascii_alphanumeric())
                .filter(|&i| bytes[i.saturating_sub(2)..i].iter().all(|&b| b != b'%'))
                .collect();
            proptest::prop_assume!(!literal.is_empty());
            let at = literal[pick.index(literal.len())];
            let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            let mut with = alphabet[replacement.index(alphabet.len())];
            if with == bytes[at] {
                with = if with == b'a' { b'b' } else { b'a' };
            }
            let mut changed = bytes.to_vec();
            changed[at] = with;
            proptest::prop_assert!(verify_form(&changed, &key, NotifyRule::V1).is_err());
        }
    }
}

//! Property: every notification the emulator signs verifies through the client, typed, and
//! any single changed byte of its body fails verification, unless it leaves what the
//! signature covers unchanged (`%2B` → `%2b`; a mangled `sign_type=` that becomes an unsigned
//! empty parameter, RSA2 being the default), in which case it still verifies to the same
//! notification or is refused as malformed (a byte that is not UTF-8). Never a panic.

mod support;

use alipay_emulator::{test_keys, Emulator};
use alipay_runtime::notify::NotifyError;
use alipay_sdk::alipay_trade::AlipayTradePrecreateRequest;
use alipay_sdk::{CallOptions, Client, Error, Protocol};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use support::emulator_client;

/// One emulator and one client for every case, on a runtime that outlives them.
struct World {
    rt: tokio::runtime::Runtime,
    emulator: Emulator,
    client: Client,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // One delivery attempt to a closed port: the signed body is in the delivery log.
        let emulator = rt
            .block_on(
                Emulator::builder()
                    .notify_retry_delays(vec![Duration::ZERO])
                    .start(),
            )
            .unwrap();
        let client = emulator_client(&emulator, Protocol::V3);
        World {
            rt,
            emulator,
            client,
        }
    })
}

/// Creates and pays a trade in the emulator; returns the body of its payment notification.
fn emulator_notification(out_trade_no: &str, subject: &str, amount: &str) -> Vec<u8> {
    let w = world();
    let request = AlipayTradePrecreateRequest::new(out_trade_no, subject, amount);
    w.rt.block_on(w.client.call_with(
        &request,
        &CallOptions::new().notify_url("http://127.0.0.1:9/alipay/notify"),
    ))
    .unwrap();
    w.emulator.pay_trade(out_trade_no, None).unwrap();
    let delivery = w
        .emulator
        .notifications()
        .into_iter()
        .rev()
        .find(|d| {
            d.body
                .contains(&format!("out_trade_no={}", form(out_trade_no)))
        })
        .expect("the emulator signed a notification");
    delivery.body.into_bytes()
}

fn form(value: &str) -> String {
    alipay_runtime::v2::form_encode(&[("v", value)])[2..].to_string()
}

/// A decoded parameter, as bytes.
type Pair = (Vec<u8>, Vec<u8>);

/// The body decoded once, as bytes (`+` → space, `%XX` → byte), in order.
fn decoded(body: &[u8]) -> Vec<Pair> {
    let once = |raw: &[u8]| -> Vec<u8> {
        let plus: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&plus).collect()
    };
    body.split(|&b| b == b'&')
        .filter(|s| !s.is_empty())
        .map(|seg| match seg.iter().position(|&b| b == b'=') {
            Some(i) => (once(&seg[..i]), once(&seg[i + 1..])),
            None => (once(seg), Vec::new()),
        })
        .collect()
}

/// What the signature covers and how it is checked: the signed content (V1: every non-empty
/// parameter but `sign` and `sign_type`, sorted), the signature, the sign type.
fn signed_view(body: &[u8]) -> (Vec<Pair>, Vec<u8>, Vec<u8>) {
    let pairs = decoded(body);
    let get = |k: &[u8]| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let mut content: Vec<Pair> = pairs
        .iter()
        .filter(|(k, v)| k != b"sign" && k != b"sign_type" && !v.is_empty())
        .cloned()
        .collect();
    content.sort();
    let sign: Vec<u8> = get(b"sign")
        .unwrap_or_default()
        .into_iter()
        .map(|b| if b == b' ' { b'+' } else { b })
        .collect();
    let sign_type = get(b"sign_type")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| b"RSA2".to_vec());
    (content, sign, sign_type)
}

fn text() -> impl Strategy<Value = String> {
    // Printable ASCII (including `%`, `+`, `&`, `=`), CJK and spaces.
    proptest::string::string_regex("[ -~中文测试商品]{1,24}").unwrap()
}

fn amount() -> impl Strategy<Value = (String, u64)> {
    (1u64..10_000_000_000).prop_map(|fen| (format!("{}.{:02}", fen / 100, fen % 100), fen))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn emulator_notifications_verify_and_any_changed_byte_fails(
        suffix in text(),
        subject in text(),
        (amount, fen) in amount(),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        static N: AtomicU32 = AtomicU32::new(0);
        let out_trade_no = format!("P{}-{suffix}", N.fetch_add(1, Ordering::SeqCst));
        let body = emulator_notification(&out_trade_no, &subject, &amount);
        let client = &world().client;
        let n = client.verify_notification(&body).unwrap();
        prop_assert_eq!(n.out_trade_no.as_deref(), Some(out_trade_no.as_str()));
        prop_assert_eq!(n.subject.as_deref(), Some(subject.as_str()));
        prop_assert_eq!(
            n.total_amount.as_deref().and_then(alipay_runtime::notify::amount_in_fen),
            Some(fen)
        );
        prop_assert_eq!(&n.trade_status, &Some(alipay_runtime::TradeStatus::TradeSuccess));
        prop_assert_eq!(n.app_id.as_str(), test_keys::APP_ID);

        let i = position.index(body.len());
        prop_assume!(body[i] != replacement);
        let mut changed = body.clone();
        changed[i] = replacement;
        let result = client.verify_notification(&changed);
        if signed_view(&changed) == signed_view(&body) {
            // The same signed content: it verifies to the same notification, or the change
            // made some (unsigned) parameter undecodable and the body is refused as malformed.
            match result {
                Ok(mut same) => {
                    same.raw = n.raw.clone();
                    prop_assert_eq!(same, n);
                }
                Err(Error::Notify(NotifyError::BadEncoding { .. })) => {}
                Err(e) => prop_assert!(false, "an equivalent body must verify: {e:?}"),
            }
        } else {
            prop_assert!(
                result.is_err(),
                "byte {} changed to {:?} and it still verified",
                i,
                replacement as char
            );
        }
    }
}

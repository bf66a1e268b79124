//! Cost of the protocol work around the RSA operations.
//!
//! Each benchmark is reported by criterion beside a bare RSA-2048 sign and verify measured in
//! the same run. After the criterion report, an overhead table is printed, in % of one
//! RSA-2048 sign (target: below 10 %):
//! - "paired overhead": (operation − the RSA operation it contains), both measured back to
//!   back in each of 31 rounds, median of the differences (within machine noise on a busy
//!   host);
//! - "work alone": the same work with the RSA operation left out (a fixed stand-in
//!   signature for signing, no verification call), measured directly; the precise figure.
//!
//! `cargo bench -p alipay-runtime --bench protocol -- --quick`

use alipay_runtime::aes::AesKey;
use alipay_runtime::keys::{PrivateKey, PublicKey, SignType};
use alipay_runtime::{v2, v3};
use criterion::Criterion;
use serde_json::Value;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Fixture {
    key: PrivateKey,
    public: PublicKey,
    aes: AesKey,
    v2_body: Vec<u8>,
    v3_ts: String,
    v3_nonce: String,
    v3_sig: String,
    v3_body: Vec<u8>,
    aes_plain: String,
    aes_cipher: String,
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test vectors are part of the repository")
}

fn fixture() -> Fixture {
    let vectors: Value = serde_json::from_str(&read("vectors.json")).expect("vectors.json");
    let find = |id: &str| -> Value {
        vectors["vectors"]
            .as_array()
            .and_then(|a| a.iter().find(|v| v["id"] == id).cloned())
            .expect("vector")
    };
    let text = |v: &Value| v.as_str().expect("string").to_string();
    let v2r = find("v2_response_verify_trade_query");
    let v3r = find("v3_response_verify_trade_query");
    let aes = find("aes_encrypt_biz_content");
    let h = &v3r["inputs"]["response_headers"];
    Fixture {
        key: PrivateKey::from_text(&read("app_private_key_pkcs1.pem")).expect("key"),
        public: PublicKey::from_text(&read("app_public_key.pem")).expect("key"),
        aes: AesKey::from_base64(&text(&aes["inputs"]["aes_key_base64"])).expect("key"),
        v2_body: text(&v2r["inputs"]["raw_http_body"]).into_bytes(),
        v3_ts: text(&h["alipay-timestamp"]),
        v3_nonce: text(&h["alipay-nonce"]),
        v3_sig: text(&h["alipay-signature"]),
        v3_body: text(&v3r["inputs"]["raw_http_body"]).into_bytes(),
        aes_plain: text(&aes["inputs"]["plaintext"]),
        aes_cipher: text(&aes["expected"]["ciphertext_base64"]),
    }
}

const BIZ: &str =
    r#"{"out_trade_no":"20150320010101001","trade_no":"2014112611001004680073956707"}"#;
const MSG: &[u8] =
    b"app_id=2021000000000001&biz_content={}&charset=utf-8&method=alipay.trade.query";

/// A complete v2 request: timestamp, string to sign, signature (by `sign`), query and body
/// encoding.
fn v2_request(sign: impl Fn(&[u8]) -> String) -> (String, String) {
    let ts = v2::beijing_timestamp(SystemTime::now());
    let params = [
        ("app_id", "2021000000000001"),
        ("method", "alipay.trade.query"),
        ("format", "json"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", ts.as_str()),
        ("version", "1.0"),
    ];
    let signature =
        sign(v2::string_to_sign(&[&params[..], &[("biz_content", BIZ)]].concat()).as_bytes());
    let mut query = params.to_vec();
    query.push(("sign", &signature));
    (
        v2::form_encode(&query),
        v2::form_encode(&[("biz_content", BIZ)]),
    )
}

/// A complete v3 request: authString, query encoding, string to sign, signature (by `sign`),
/// header.
fn v3_request(sign: impl Fn(&[u8]) -> String) -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let auth = v3::auth_string(
        "2021000000000001",
        None,
        "0b5e7c1a-2f3d-4e5f-8a9b-000000000004",
        ms,
    );
    let query = v3::encode_query(&[("auth_opt_id", "2018081010020817070009689955")]);
    let target = v3::request_target("/v3/alipay/pcredit/huabei/auth/order/query", &query);
    let content = v3::string_to_sign(&auth, "POST", &target, BIZ, None);
    v3::authorization_header(&auth, &sign(content.as_bytes()))
}

fn v2_sign(f: &Fixture) -> (String, String) {
    v2_request(|m| f.key.sign(SignType::Rsa2, m).expect("sign"))
}

fn v3_sign(f: &Fixture) -> String {
    v3_request(|m| f.key.sign(SignType::Rsa2, m).expect("sign"))
}

/// A signature-sized stand-in, for measuring the work around the RSA operation alone.
fn fake_sign(_: &[u8]) -> String {
    "A".repeat(344)
}

/// Extraction, verification and status of a v2 response.
fn v2_extract_verify(f: &Fixture) -> bool {
    let r = v2::verify_response(
        &f.v2_body,
        "alipay_trade_query_response",
        &f.public,
        SignType::Rsa2,
    )
    .expect("verify");
    r.status.map(|s| s.is_success()).unwrap_or(false)
}

/// The same without the RSA verification: extraction, the signature's base64, the status.
fn v2_extract_only(f: &Fixture) -> bool {
    let node = v2::extract(&f.v2_body, "alipay_trade_query_response").expect("extract");
    let sig = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        node.sign.as_deref().unwrap_or_default(),
    );
    let status = v2::ServiceStatus::from_json(node.json().unwrap_or_default()).expect("status");
    sig.is_ok() && status.is_success()
}

fn v3_verify(f: &Fixture) {
    v3::verify_response(&f.v3_ts, &f.v3_nonce, &f.v3_sig, &f.v3_body, &f.public).expect("verify");
}

/// The same without the RSA verification: the string to verify and the signature's base64.
fn v3_verify_work_only(f: &Fixture) -> usize {
    let msg = v3::response_string_to_verify(&f.v3_ts, &f.v3_nonce, &f.v3_body);
    let sig = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &f.v3_sig)
        .map(|s| s.len())
        .unwrap_or(0);
    msg.len() + sig
}

fn rsa_sign(f: &Fixture) -> Vec<u8> {
    f.key.sign_raw(SignType::Rsa2, MSG).expect("sign")
}

fn rsa_verify(f: &Fixture, sig: &[u8]) {
    f.public
        .verify_raw(SignType::Rsa2, MSG, sig)
        .expect("verify");
}

fn criterion_benches(c: &mut Criterion, f: &Fixture) {
    let sig = rsa_sign(f);
    let mut g = c.benchmark_group("protocol");
    g.bench_function("rsa2048_sign (bare)", |b| b.iter(|| black_box(rsa_sign(f))));
    g.bench_function("rsa2048_verify (bare)", |b| {
        b.iter(|| rsa_verify(f, black_box(&sig)))
    });
    g.bench_function("v2_sign", |b| b.iter(|| black_box(v2_sign(f))));
    g.bench_function("v3_sign", |b| b.iter(|| black_box(v3_sign(f))));
    g.bench_function("v2_extract_verify", |b| {
        b.iter(|| black_box(v2_extract_verify(f)))
    });
    g.bench_function("v3_verify", |b| b.iter(|| v3_verify(black_box(f))));
    g.bench_function("aes_encrypt", |b| {
        b.iter(|| black_box(f.aes.encrypt(f.aes_plain.as_bytes())))
    });
    g.bench_function("aes_decrypt", |b| {
        b.iter(|| black_box(f.aes.decrypt(&f.aes_cipher)))
    });
    g.finish();
}

/// Time per call of one batch of `batch` calls.
fn batch_time(batch: u32, op: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..batch {
        op();
    }
    start.elapsed() / batch
}

/// Median over `rounds` of (op − baseline) per call, the two measured back to back in each
/// round so that machine noise hits both alike. Returns (median op time, median difference).
fn paired(
    rounds: usize,
    batch: u32,
    mut baseline: impl FnMut(),
    mut op: impl FnMut(),
) -> (Duration, f64) {
    let mut totals = Vec::with_capacity(rounds);
    let mut diffs = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let base = batch_time(batch, &mut baseline);
        let total = batch_time(batch, &mut op);
        totals.push(total);
        diffs.push(total.as_secs_f64() - base.as_secs_f64());
    }
    totals.sort();
    diffs.sort_by(f64::total_cmp);
    (totals[rounds / 2], diffs[rounds / 2])
}

fn print_overhead(f: &Fixture) {
    let sig = rsa_sign(f);
    let rounds = 31;
    let sign = || {
        black_box(rsa_sign(f));
    };
    let verify = || rsa_verify(f, black_box(&sig));
    let nothing = || {};
    let rsa_s = {
        let mut s = sign;
        let mut samples: Vec<Duration> = (0..rounds).map(|_| batch_time(10, &mut s)).collect();
        samples.sort();
        samples[rounds / 2]
    };
    let rows: Vec<(&str, (Duration, f64))> = vec![
        (
            "v2 sign",
            paired(rounds, 10, sign, || drop(black_box(v2_sign(f)))),
        ),
        (
            "v3 sign",
            paired(rounds, 10, sign, || drop(black_box(v3_sign(f)))),
        ),
        (
            "v2 extract+verify",
            paired(rounds, 100, verify, || {
                black_box(v2_extract_verify(f));
            }),
        ),
        (
            "v3 verify",
            paired(rounds, 100, verify, || v3_verify(black_box(f))),
        ),
        (
            "AES encrypt",
            paired(rounds, 2000, nothing, || {
                drop(black_box(f.aes.encrypt(f.aes_plain.as_bytes())))
            }),
        ),
        (
            "AES decrypt",
            paired(rounds, 2000, nothing, || {
                drop(black_box(f.aes.decrypt(&f.aes_cipher)))
            }),
        ),
    ];
    println!();
    println!(
        "overhead = (operation - the RSA operation it contains) / one RSA-2048 sign, median of {rounds} paired rounds; target < 10%"
    );
    println!(
        "  bare RSA-2048 sign   {:>10.1} µs",
        rsa_s.as_secs_f64() * 1e6
    );
    // The work around the RSA operation measured alone (no RSA call at all): precise where
    // the paired difference above is within the machine's noise.
    let alone = |batch: u32, mut op: Box<dyn FnMut() + '_>| {
        let mut samples: Vec<Duration> = (0..rounds).map(|_| batch_time(batch, &mut op)).collect();
        samples.sort();
        samples[rounds / 2]
    };
    let work_alone = [
        alone(2000, Box::new(|| drop(black_box(v2_request(fake_sign))))),
        alone(2000, Box::new(|| drop(black_box(v3_request(fake_sign))))),
        alone(
            2000,
            Box::new(|| {
                black_box(v2_extract_only(f));
            }),
        ),
        alone(
            2000,
            Box::new(|| {
                black_box(v3_verify_work_only(f));
            }),
        ),
        alone(
            2000,
            Box::new(|| drop(black_box(f.aes.encrypt(f.aes_plain.as_bytes())))),
        ),
        alone(
            2000,
            Box::new(|| drop(black_box(f.aes.decrypt(&f.aes_cipher)))),
        ),
    ];
    println!(
        "  {:<20} {:>10} {:>16}   {:>16}",
        "", "total", "paired overhead", "work alone"
    );
    for ((name, (total, diff)), work) in rows.into_iter().zip(work_alone) {
        let paired_pct = diff / rsa_s.as_secs_f64() * 100.0;
        let alone_pct = work.as_secs_f64() / rsa_s.as_secs_f64() * 100.0;
        println!(
            "  {name:<20} {:>7.1} µs {paired_pct:>15.2}%   {:>7.2} µs {alone_pct:>6.2}% {}",
            total.as_secs_f64() * 1e6,
            work.as_secs_f64() * 1e6,
            if alone_pct < 10.0 {
                "ok"
            } else {
                "OVER TARGET"
            }
        );
    }
}

fn main() {
    let f = fixture();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &f);
    c.final_summary();
    // Only when benchmarking (`cargo bench`), not when `cargo test` runs the bench once.
    if std::env::args().any(|a| a == "--bench") {
        print_overhead(&f);
    }
}

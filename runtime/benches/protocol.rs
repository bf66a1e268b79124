//! Cost of the protocol work around the RSA operations.
//!
//! Each benchmark is reported by criterion beside a bare RSA-2048 sign and verify measured in
//! the same run. After the criterion report, an overhead table is printed: for every
//! operation, (its time − the RSA operation it contains) / one RSA-2048 sign. The target is
//! below 10 %.
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

/// A complete v2 request: timestamp, string to sign, signature, query and body encoding.
fn v2_sign(f: &Fixture) -> (String, String) {
    let ts = v2::beijing_timestamp(SystemTime::now());
    let params = [
        ("app_id", "2021000000000001"),
        ("method", "alipay.trade.query"),
        ("format", "json"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", ts.as_str()),
        ("version", "1.0"),
        ("biz_content", BIZ),
    ];
    let signed = v2::signed_pairs(&params, &f.key, SignType::Rsa2).expect("sign");
    let refs: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (body, query): (Vec<_>, Vec<_>) = refs.iter().partition(|(k, _)| *k == "biz_content");
    (v2::form_encode(&query), v2::form_encode(&body))
}

/// A complete v3 request: authString, query encoding, string to sign, signature, header.
fn v3_sign(f: &Fixture) -> String {
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
    v3::sign_request(&f.key, &auth, "POST", &target, BIZ, None).expect("sign")
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

fn v3_verify(f: &Fixture) {
    v3::verify_response(&f.v3_ts, &f.v3_nonce, &f.v3_sig, &f.v3_body, &f.public).expect("verify");
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

/// Median time per call over `rounds` batches of `batch` calls.
fn per_call(rounds: usize, batch: u32, mut op: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                op();
            }
            start.elapsed() / batch
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn print_overhead(f: &Fixture) {
    let sig = rsa_sign(f);
    let rounds = 15;
    let rsa_s = per_call(rounds, 20, || {
        black_box(rsa_sign(f));
    });
    let rsa_v = per_call(rounds, 200, || rsa_verify(f, black_box(&sig)));
    let rows: Vec<(&str, Duration, Duration)> = vec![
        (
            "v2 sign",
            per_call(rounds, 20, || drop(black_box(v2_sign(f)))),
            rsa_s,
        ),
        (
            "v3 sign",
            per_call(rounds, 20, || drop(black_box(v3_sign(f)))),
            rsa_s,
        ),
        (
            "v2 extract+verify",
            per_call(rounds, 200, || {
                black_box(v2_extract_verify(f));
            }),
            rsa_v,
        ),
        (
            "v3 verify",
            per_call(rounds, 200, || v3_verify(black_box(f))),
            rsa_v,
        ),
        (
            "AES encrypt",
            per_call(rounds, 2000, || {
                drop(black_box(f.aes.encrypt(f.aes_plain.as_bytes())))
            }),
            Duration::ZERO,
        ),
        (
            "AES decrypt",
            per_call(rounds, 2000, || {
                drop(black_box(f.aes.decrypt(&f.aes_cipher)))
            }),
            Duration::ZERO,
        ),
    ];
    println!();
    println!(
        "overhead = (operation - the RSA operation it contains) / one RSA-2048 sign; target < 10%"
    );
    println!(
        "  bare RSA-2048 sign   {:>10.1} µs",
        rsa_s.as_secs_f64() * 1e6
    );
    println!(
        "  bare RSA-2048 verify {:>10.1} µs",
        rsa_v.as_secs_f64() * 1e6
    );
    for (name, total, rsa) in rows {
        let overhead = total.saturating_sub(rsa).as_secs_f64() / rsa_s.as_secs_f64() * 100.0;
        println!(
            "  {name:<20} {:>10.1} µs   overhead {overhead:>6.2}% {}",
            total.as_secs_f64() * 1e6,
            if overhead < 10.0 { "ok" } else { "OVER TARGET" }
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

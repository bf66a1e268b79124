//! Load: the generated Rust client and the official Node SDK against the same emulator.
//!
//! ```text
//! cargo run --release -p alipay-examples --example load -- [--calls N] [--concurrency C]
//!     [--max-seconds S] [--node PATH] [--rust-only]
//! ```
//!
//! The emulator runs in a separate process (this program re-started with `--serve`, so it is
//! the same release build), on a loopback port: client and server CPU stay apart. Then, for
//! `alipay.trade.query` of one paid trade over v3 and over v2:
//!
//! 1. the generated Rust client makes N calls, C at a time, on a tokio runtime;
//! 2. the official Node SDK (`interop/load.js`: `sdk.curl` / `sdk.exec` with `validateSign`)
//!    makes the same N calls, C at a time, in its own process.
//!
//! Both verify every response signature. Each side measures wall time, per-call latency and
//! its own process CPU time (Rust: `/proc/self/stat`; Node: `process.cpuUsage()`) over the
//! measured calls only, after a warm-up. The figure compared is calls per CPU-second of the
//! client process ("calls/s per client core"), which does not depend on how the two cores of a
//! small machine are shared with the emulator. Linux only (`/proc`).

use alipay_sdk::alipay_trade::{AlipayTradePayRequest, AlipayTradeQueryRequest};
use alipay_sdk::runtime::{Endpoint, RetryPolicy};
use alipay_sdk::{CallOptions, Client, Protocol};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: load [--calls N] [--concurrency C] [--max-seconds S] [--node PATH] [--rust-only]

  --calls N        measured calls per client and protocol (default 2000, at most 1000000)
  --concurrency C  calls in flight at once (default 16, at most 1024)
  --max-seconds S  time bound of each measured run (default 60)
  --node PATH      the node executable (default: node)
  --rust-only      skip the Node SDK";

const OUT_TRADE_NO: &str = "LOAD-0001";
/// `/proc/<pid>/stat` reports CPU time in USER_HZ ticks, 100 per second on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

struct Args {
    calls: usize,
    concurrency: usize,
    max_seconds: u64,
    node: String,
    rust_only: bool,
}

fn parse_args(args: Vec<String>) -> Result<Args, String> {
    let mut a = Args {
        calls: 2000,
        concurrency: 16,
        max_seconds: 60,
        node: "node".to_owned(),
        rust_only: false,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, v: String, max: u64| -> Result<u64, String> {
            match v.parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(format!("{name} takes a number from 1 to {max}")),
            }
        };
        match arg.as_str() {
            "--calls" => a.calls = number("--calls", value("--calls")?, 1_000_000)? as usize,
            "--concurrency" => {
                a.concurrency = number("--concurrency", value("--concurrency")?, 1024)? as usize
            }
            "--max-seconds" => {
                a.max_seconds = number("--max-seconds", value("--max-seconds")?, 3600)?
            }
            "--node" => a.node = value("--node")?,
            "--rust-only" => a.rust_only = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return serve();
    }
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("load: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The emulator process: serves on a loopback port until its stdin closes (the parent ended).
fn serve() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("load --serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match rt.block_on(alipay_emulator::Emulator::builder().start()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("load --serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", emulator.base_url());
    let _ = std::io::stdout().flush();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    emulator.shutdown();
    ExitCode::SUCCESS
}

/// The emulator child; killed when dropped.
struct Server {
    child: Child,
    base_url: String,
}

impl Server {
    fn start() -> Result<Server, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
        let mut child = Command::new(exe)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the emulator process: {e}"))?;
        let stdout = child.stdout.take().ok_or("emulator stdout not captured")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("emulator output: {e}"))?;
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .filter(|u| u.starts_with("http://127.0.0.1:"))
            .ok_or_else(|| format!("emulator did not start: {line:?}"))?
            .to_owned();
        Ok(Server { child, base_url })
    }

    fn cpu_seconds(&self) -> Option<f64> {
        cpu_seconds(&self.child.id().to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User + system CPU time of a process (`self` or a pid), from `/proc/<pid>/stat`.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: fields after it.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) overall; `rest` starts at field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// Figures of one measured run.
#[derive(Debug, Clone)]
struct Figures {
    client: String,
    protocol: String,
    calls: usize,
    errors: usize,
    wall_s: f64,
    cpu_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    server_cpu_s: Option<f64>,
}

impl Figures {
    fn calls_per_s(&self) -> f64 {
        self.calls as f64 / self.wall_s.max(1e-9)
    }
    fn calls_per_cpu_s(&self) -> f64 {
        self.calls as f64 / self.cpu_s.max(1e-9)
    }
}

/// Nearest-rank percentile of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted
        .get(rank - 1)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// `calls` queries, `concurrency` at a time, until done or `deadline`.
async fn query_calls(
    client: &Client,
    protocol: Protocol,
    calls: usize,
    concurrency: usize,
    deadline: Instant,
) -> (Vec<Duration>, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let request = AlipayTradeQueryRequest::new().out_trade_no(OUT_TRADE_NO);
            let options = CallOptions::new().protocol(protocol);
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            while next.fetch_add(1, Ordering::Relaxed) < calls && Instant::now() < deadline {
                let start = Instant::now();
                let result = client.call_with(&request, &options).await;
                latencies.push(start.elapsed());
                match result {
                    Ok(reply) if reply.data.trade_status.as_str() == "TRADE_SUCCESS" => {}
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::with_capacity(calls);
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((l, e)) => {
                all.extend(l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    (all, errors)
}

async fn rust_run(
    client: &Client,
    server: &Server,
    protocol: Protocol,
    args: &Args,
) -> Result<Figures, String> {
    let warmup = (args.calls / 10).max(args.concurrency).min(2000);
    let bound = Instant::now() + Duration::from_secs(args.max_seconds);
    let (_, warm_errors) = query_calls(client, protocol, warmup, args.concurrency, bound).await;
    if warm_errors > 0 {
        return Err(format!(
            "{warm_errors} errors during the warm-up ({protocol:?})"
        ));
    }
    let cpu0 = cpu_seconds("self").ok_or("cannot read /proc/self/stat")?;
    let server0 = server.cpu_seconds();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.max_seconds);
    let (mut latencies, errors) =
        query_calls(client, protocol, args.calls, args.concurrency, deadline).await;
    let wall_s = start.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds("self").ok_or("cannot read /proc/self/stat")? - cpu0;
    let server_cpu_s = server0.zip(server.cpu_seconds()).map(|(a, b)| b - a);
    latencies.sort_unstable();
    Ok(Figures {
        client: "rust alipay-sdk (generated)".to_owned(),
        protocol: format!("{protocol:?}").to_lowercase(),
        calls: latencies.len(),
        errors,
        wall_s,
        cpu_s,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        server_cpu_s,
    })
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("interop")
}

/// Runs `interop/load.js` and reads its JSON figures.
/// The label of the SDK, its figures, and the emulator's CPU time over the whole Node process.
type NodeRuns = (String, Vec<Figures>, Option<f64>);

fn node_runs(server: &Server, args: &Args) -> Result<NodeRuns, String> {
    let dir = interop_dir();
    if !dir.join("node_modules").join("alipay-sdk").is_dir() {
        return Err(format!(
            "the Node SDK is not installed: run `npm ci` in {} (or pass --rust-only)",
            dir.display()
        ));
    }
    let server0 = server.cpu_seconds();
    let output = Command::new(&args.node)
        .current_dir(&dir)
        .arg("load.js")
        .args(["--base-url", &server.base_url])
        .args(["--out-trade-no", OUT_TRADE_NO])
        .args(["--calls", &args.calls.to_string()])
        .args(["--concurrency", &args.concurrency.to_string()])
        .args(["--max-seconds", &args.max_seconds.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} (Node.js is needed, or pass --rust-only): {e}",
                args.node
            )
        })?;
    let server_total = server0.zip(server.cpu_seconds()).map(|(a, b)| b - a);
    if !output.status.success() {
        return Err(format!("interop/load.js failed: {}", output.status));
    }
    let v: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("interop/load.js printed no JSON: {e}"))?;
    let sdk = v["sdk"].as_str().unwrap_or("alipay-sdk").to_owned();
    let node = v["node"].as_str().unwrap_or("?").to_owned();
    let runs = v["runs"].as_array().ok_or("interop/load.js: no runs")?;
    let mut figures = Vec::new();
    for r in runs {
        let num = |k: &str| r[k].as_f64().ok_or(format!("interop/load.js: no {k}"));
        figures.push(Figures {
            client: format!("node {sdk}"),
            protocol: r["protocol"].as_str().unwrap_or("?").to_owned(),
            calls: num("calls")? as usize,
            errors: num("errors")? as usize,
            wall_s: num("wall_s")?,
            cpu_s: num("cpu_s")?,
            p50_ms: num("p50_ms")?,
            p99_ms: num("p99_ms")?,
            server_cpu_s: None,
        });
    }
    Ok((format!("{sdk} on node {node}"), figures, server_total))
}

fn print_table(figures: &[Figures]) {
    println!(
        "{:<28} {:<4} {:>7} {:>6} {:>7} {:>8} {:>7} {:>7} {:>10} {:>11} {:>9}",
        "client",
        "prot",
        "calls",
        "errors",
        "wall s",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "client CPU",
        "calls/CPU-s",
        "emu CPU"
    );
    for f in figures {
        let server = f
            .server_cpu_s
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}s"));
        println!(
            "{:<28} {:<4} {:>7} {:>6} {:>7.2} {:>8.0} {:>7.2} {:>7.2} {:>9.2}s {:>11.0} {:>9}",
            f.client,
            f.protocol,
            f.calls,
            f.errors,
            f.wall_s,
            f.calls_per_s(),
            f.p50_ms,
            f.p99_ms,
            f.cpu_s,
            f.calls_per_cpu_s(),
            server
        );
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let server = Server::start()?;
    println!(
        "emulator: separate process (pid {}) at {}, 2 worker threads; machine: {} CPUs",
        server.child.id(),
        server.base_url,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "workload: alipay.trade.query of one paid trade, {} measured calls per client and protocol, {} in flight, after a warm-up; every response signature verified",
        args.calls, args.concurrency
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let mut figures = rt.block_on(async {
        let client = Client::builder()
            .app_id(alipay_emulator::test_keys::APP_ID)
            .private_key(alipay_emulator::test_keys::APP_PRIVATE_KEY)
            .alipay_public_key(alipay_emulator::test_keys::ALIPAY_PUBLIC_KEY)
            .endpoint(Endpoint::custom(
                format!("{}/gateway.do", server.base_url),
                server.base_url.clone(),
            ))
            .retry(RetryPolicy::disabled())
            .build()
            .map_err(|e| format!("client: {e}"))?;
        client
            .call(&AlipayTradePayRequest::new(
                "280000000000000001",
                OUT_TRADE_NO,
                "bar_code",
                "load test",
                "88.88",
            ))
            .await
            .map_err(|e| format!("alipay.trade.pay: {e}"))?;
        let mut figures = Vec::new();
        for protocol in [Protocol::V3, Protocol::V2] {
            figures.push(rust_run(&client, &server, protocol, args).await?);
        }
        Ok::<_, String>(figures)
    })?;
    drop(rt);
    let rust_cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("rust client: tokio multi-thread runtime, {rust_cores} worker threads, retries off");

    let (node, node_server_cpu) = if args.rust_only {
        (None, None)
    } else {
        let (label, node_figures, server_cpu) = node_runs(&server, args)?;
        println!("node client: {label}, one process (one JS thread), v2 fields not camel-cased");
        figures.extend(node_figures.iter().cloned());
        (Some(node_figures), server_cpu)
    };
    println!();
    print_table(&figures);
    if let Some(s) = node_server_cpu {
        println!("emulator CPU during the whole Node process (both protocols, warm-ups included): {s:.2}s");
    }

    let errors: usize = figures.iter().map(|f| f.errors).sum();
    if errors > 0 {
        println!("\n{errors} calls failed: the figures are not comparable");
        return Ok(false);
    }
    let Some(node) = node else {
        return Ok(true);
    };
    println!("\nratio rust / node (calls per client CPU-second = calls/s per client core):");
    let mut met = true;
    for n in &node {
        let Some(r) = figures
            .iter()
            .find(|f| f.client.starts_with("rust") && f.protocol == n.protocol)
        else {
            continue;
        };
        let ratio = r.calls_per_cpu_s() / n.calls_per_cpu_s().max(1e-9);
        let wall = r.calls_per_s() / n.calls_per_s().max(1e-9);
        met &= ratio >= 3.0;
        println!(
            "  {}: {ratio:.2}x per client core ({:.0} vs {:.0}); wall calls/s {wall:.2}x ({:.0} vs {:.0})",
            n.protocol,
            r.calls_per_cpu_s(),
            n.calls_per_cpu_s(),
            r.calls_per_s(),
            n.calls_per_s()
        );
    }
    println!(
        "goal (at least 3x the Node SDK's calls/s per client core): {}",
        if met { "met" } else { "NOT met" }
    );
    Ok(true)
}

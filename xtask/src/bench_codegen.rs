//! `cargo xtask bench-codegen [--runs N] [--keep DIR]`: wall time of code generation.
//!
//! Run it in release: `cargo run --release -p xtask -- bench-codegen`. It times the seed specs
//! (`specs/` → a temporary directory) and the whole upstream v3 document
//! (`../shared/upstream/alipay-openapi-v3.yaml` → a temporary directory), phase by phase,
//! and prints the best and median of N runs. `--keep DIR` writes the output there and keeps it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::codegen::workspace_root;

struct Phases {
    load: Duration,
    emit: Duration,
    write: Duration,
}

impl Phases {
    fn total(&self) -> Duration {
        self.load + self.emit + self.write
    }
}

fn run_once(
    load: &dyn Fn() -> anyhow::Result<alipay_codegen::ir::Api>,
    out: &Path,
) -> anyhow::Result<(Phases, usize, usize)> {
    let t0 = Instant::now();
    let api = load()?;
    let t1 = Instant::now();
    let files = alipay_codegen::crate_files(&api)?;
    let t2 = Instant::now();
    let _ = std::fs::remove_dir_all(out);
    alipay_codegen::output::write_dir(out, &files)?;
    let t3 = Instant::now();
    let bytes = files.values().map(String::len).sum();
    Ok((
        Phases {
            load: t1 - t0,
            emit: t2 - t1,
            write: t3 - t2,
        },
        files.len(),
        bytes,
    ))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn bench(
    label: &str,
    runs: usize,
    load: &dyn Fn() -> anyhow::Result<alipay_codegen::ir::Api>,
    out: &Path,
) -> anyhow::Result<()> {
    let mut results = Vec::with_capacity(runs);
    let mut shape = (0, 0);
    for _ in 0..runs {
        let (phases, files, bytes) = run_once(load, out)?;
        shape = (files, bytes);
        results.push(phases);
    }
    results.sort_by_key(Phases::total);
    let (Some(best), Some(median)) = (results.first(), results.get(results.len() / 2)) else {
        anyhow::bail!("no runs");
    };
    println!(
        "{label}: {} files, {} bytes -> {}",
        shape.0,
        shape.1,
        out.display()
    );
    println!(
        "  best   {:>10}  (load+lower {}, plan+emit {}, write {})",
        ms(best.total()),
        ms(best.load),
        ms(best.emit),
        ms(best.write)
    );
    println!(
        "  median {:>10}  (load+lower {}, plan+emit {}, write {})  over {runs} runs",
        ms(median.total()),
        ms(median.load),
        ms(median.emit),
        ms(median.write)
    );
    Ok(())
}

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut runs = 5usize;
    let mut keep: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n: &usize| *n > 0)
                    .ok_or_else(|| anyhow::anyhow!("--runs needs a positive number"))?;
            }
            "--keep" => {
                keep = Some(
                    it.next()
                        .map(PathBuf::from)
                        .ok_or_else(|| anyhow::anyhow!("--keep needs a directory"))?,
                );
            }
            other => anyhow::bail!(
                "bench-codegen: unknown argument `{other}` (usage: bench-codegen [--runs N] [--keep DIR])"
            ),
        }
    }
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; run `cargo run --release -p xtask -- bench-codegen` for real figures");
    }
    let root = workspace_root();
    let scratch: PathBuf = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("alipay-codegen-bench-{}", std::process::id()))
    });
    let specs = root.join("specs");
    bench(
        "seed specs (specs/)",
        runs,
        &|| Ok(alipay_codegen::load::load_spec_dir(&specs)?),
        &scratch.join("seeds"),
    )?;
    let upstream = root.join("../shared/upstream/alipay-openapi-v3.yaml");
    let text = std::fs::read_to_string(&upstream).map_err(|e| {
        anyhow::anyhow!(
            "cannot read {}: {e} (the whole-upstream benchmark needs Alipay's v3 document there)",
            upstream.display()
        )
    })?;
    bench(
        "whole upstream v3 document (read from memory)",
        runs,
        &|| Ok(alipay_codegen::load::load_document(&text)?),
        &scratch.join("upstream"),
    )?;
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(ExitCode::SUCCESS)
}

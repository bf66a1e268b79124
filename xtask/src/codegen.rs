//! `cargo xtask codegen [--check]`: regenerates `generated/` from `specs/`.
//!
//! Without `--check` it writes the files that changed and removes stale ones. With `--check`
//! it regenerates in memory, compares with disk (stale files included) and exits non-zero
//! listing every drifted, missing or stale file. `xtask/tests/codegen_check.rs` runs the same
//! check as a test.

use std::path::PathBuf;
use std::process::ExitCode;

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut check = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            other => anyhow::bail!(
                "codegen: unknown argument `{other}` (usage: cargo xtask codegen [--check])"
            ),
        }
    }
    let root = workspace_root();
    if check {
        let drift = alipay_codegen::output::check_workspace(&root)?;
        if drift.is_clean() {
            println!("generated/ is up to date");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("generated/ differs from what `cargo xtask codegen` produces:");
        for line in drift.lines() {
            eprintln!("  {line}");
        }
        eprintln!("run `cargo xtask codegen` and commit the result");
        Ok(ExitCode::FAILURE)
    } else {
        let drift = alipay_codegen::output::write_workspace(&root)?;
        if drift.is_clean() {
            println!("generated/ is up to date");
        } else {
            for line in drift.lines() {
                let line = line
                    .replacen("drifted:", "updated:", 1)
                    .replacen("missing:", "created:", 1)
                    .replacen("stale:  ", "removed:", 1);
                println!("{line}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `cargo xtask check-features`: builds the generated crate with no feature, with each family
/// feature alone, and with `full`, and fails on the first that does not build.
pub fn check_features(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(other) = args.first() {
        anyhow::bail!("check-features: unknown argument `{other}`");
    }
    let root = workspace_root();
    let manifest = std::fs::read_to_string(root.join("generated/Cargo.toml"))?;
    let families = family_features(&manifest);
    anyhow::ensure!(
        !families.is_empty(),
        "generated/Cargo.toml lists no family features"
    );
    // The extra cargo arguments of each check: no features, each family alone, `full`, and
    // every feature at once (runtime features: transport, axum, legacy RSA1).
    let mut sets: Vec<Vec<String>> = vec![Vec::new()];
    sets.extend(
        families
            .into_iter()
            .map(|f| vec!["--features".to_string(), f]),
    );
    sets.push(vec!["--features".to_string(), "full".to_string()]);
    sets.push(vec!["--all-features".to_string()]);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    for set in &sets {
        let label = if set.is_empty() {
            "(no features)".to_string()
        } else {
            set.join(" ")
        };
        println!("check alipay-sdk {label}");
        let status = std::process::Command::new(&cargo)
            .current_dir(&root)
            .args([
                "check",
                "--quiet",
                "-p",
                "alipay-sdk",
                "--no-default-features",
            ])
            .args(set)
            .status()?;
        if !status.success() {
            eprintln!("alipay-sdk does not build with {label}");
            return Ok(ExitCode::FAILURE);
        }
    }
    println!("alipay-sdk builds with each of {} feature sets", sets.len());
    Ok(ExitCode::SUCCESS)
}

/// The family features of the generated manifest: the empty features other than `full-serde`.
fn family_features(manifest: &str) -> Vec<String> {
    let mut in_features = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_features = line == "[features]";
            continue;
        }
        if !in_features || line.starts_with('#') {
            continue;
        }
        // Family features enable nothing else; runtime features forward to alipay-runtime.
        if let Some((name, value)) = line.split_once('=') {
            let name = name.trim();
            if value.trim() == "[]" && !name.is_empty() && name != "full-serde" {
                out.push(name.to_string());
            }
        }
    }
    out
}

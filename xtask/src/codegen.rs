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

//! `cargo xtask codegen [--check]`.

pub fn run(_args: &[String]) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("codegen: not implemented yet")
}

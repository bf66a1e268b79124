//! `cargo xtask import openapi|markdown …`: importers that write `specs/`.

pub fn run(_args: &[String]) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("import: not implemented yet")
}

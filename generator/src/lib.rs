//! Specs → IR → Rust: the code generator of the Alipay SDK.
//!
//! ```text
//! specs/*.yaml ──load──▶ ir::Api ──plan (names)──▶ emit (quote!) ──prettyplease──▶ files
//! ```
//!
//! - [`load`] reads spec files (`specs/README.md`) and plain OpenAPI documents into [`ir::Api`].
//! - [`plan::Plan`] decides what is emitted where and claims every Rust name.
//! - [`emit`] prints the crate; [`crate_files`] returns every file of `generated/`.
//! - [`output`] writes a file set to disk or compares it with disk (`--check`).

pub mod docs;
pub mod emit;
pub mod examples;
pub mod ir;
pub mod load;
pub mod manifest;
pub mod naming;
pub mod output;
pub mod plan;
mod raw;
pub mod readme;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A generator error: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub context: String,
    pub message: String,
}

impl Error {
    pub fn new(context: impl fmt::Display, message: impl fmt::Display) -> Self {
        Error {
            context: context.to_string(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.message)
    }
}

impl std::error::Error for Error {}

/// Every file of the generated crate, keyed by path relative to the crate directory
/// (`Cargo.toml`, `src/lib.rs`, `src/alipay_trade.rs`, `tests/roundtrip/main.rs`, …).
pub fn crate_files(api: &ir::Api) -> Result<BTreeMap<String, String>, Error> {
    let plan = plan::Plan::new(api);
    let mut files = BTreeMap::new();
    for (path, text) in emit::rust_sources(api, &plan)? {
        files.insert(format!("src/{path}"), text);
    }
    files.insert("Cargo.toml".to_string(), manifest::cargo_toml(api, &plan));
    files.insert("README.md".to_string(), readme::readme(api, &plan)?);
    for (path, text) in examples::roundtrip_tests(api, &plan)? {
        files.insert(format!("tests/{path}"), text);
    }
    Ok(files)
}

/// Loads `specs_dir` and returns the generated crate's files.
pub fn generate_from_specs(specs_dir: &Path) -> Result<BTreeMap<String, String>, Error> {
    let api = load::load_spec_dir(specs_dir)?;
    crate_files(&api)
}

/// The workspace's `specs/` → `generated/` directories.
pub fn workspace_dirs(workspace: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    (workspace.join("specs"), workspace.join("generated"))
}

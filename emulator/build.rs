//! Embeds the spec texts of `../specs` (sorted, deterministic) so the emulator serves exactly
//! the operations the SDK is generated from. They are lowered at startup by the generator's
//! loader (`alipay_codegen::load::load_sources`).

use std::path::{Path, PathBuf};

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        // `_shared` holds shared schemas; other `_…` entries (reviewed overlays, import
        // lists) are inputs of the importers, not specs.
        if name.starts_with('_') && name != "_shared" {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, out);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            if let Ok(rel) = path.strip_prefix(root) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((rel, path.clone()));
            }
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let specs = manifest.join("../specs");
    println!("cargo:rerun-if-changed={}", specs.display());
    let mut files = Vec::new();
    collect(&specs, &specs, &mut files);
    files.sort();
    let mut src = String::from("pub static SPECS: &[(&str, &str)] = &[\n");
    for (rel, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        src.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    src.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("specs.rs");
    if let Err(e) = std::fs::write(&out, src) {
        panic!("cannot write {}: {e}", out.display());
    }
}

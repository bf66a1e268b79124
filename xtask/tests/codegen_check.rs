//! `cargo xtask codegen --check` as a test: `generated/` must be exactly what the generator
//! produces from `specs/` (stale files included), so a plain `cargo test` catches drift.

use alipay_codegen::output::{check_dir, check_workspace, write_dir};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A fresh scratch directory under the target dir.
fn scratch(name: &str) -> PathBuf {
    let dir = workspace()
        .join("target")
        .join("codegen-check")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for rel in alipay_codegen::output::existing_files(from).expect("list") {
        let target = to.join(&rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from.join(&rel), &target).expect("copy");
    }
}

#[test]
fn generated_crate_is_up_to_date() {
    let drift = check_workspace(&workspace()).expect("specs generate");
    assert!(
        drift.is_clean(),
        "generated/ is out of date; run `cargo xtask codegen` and commit:\n{}",
        drift.lines().join("\n")
    );
}

#[test]
fn a_spec_edit_is_detected_and_written_back() {
    let root = scratch("edit");
    copy_tree(&workspace().join("specs"), &root.join("specs"));
    copy_tree(&workspace().join("generated"), &root.join("generated"));
    assert!(
        check_workspace(&root).expect("check").is_clean(),
        "the copy starts clean"
    );

    // Change one label in one spec: exactly the family module that uses it drifts.
    let spec = root.join("specs/alipay.trade/alipay.trade.query.yaml");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let edited = text.replacen("summary: 统一收单交易查询", "summary: 交易查询(edited)", 1);
    assert_ne!(text, edited, "the spec has the summary this test edits");
    std::fs::write(&spec, edited).expect("write spec");
    let drift = check_workspace(&root).expect("check");
    assert_eq!(drift.changed, vec!["src/alipay_trade.rs".to_string()]);
    assert!(drift.missing.is_empty() && drift.stale.is_empty());

    // A stale file is reported, then removed by a write; a write makes the check clean.
    std::fs::write(root.join("generated/src/old_family.rs"), "// old\n").expect("stale file");
    let drift = check_workspace(&root).expect("check");
    assert_eq!(drift.stale, vec!["src/old_family.rs".to_string()]);
    let files = alipay_codegen::generate_from_specs(&root.join("specs")).expect("generate");
    let written = write_dir(&root.join("generated"), &files).expect("write");
    assert_eq!(written.changed, vec!["src/alipay_trade.rs".to_string()]);
    assert!(!root.join("generated/src/old_family.rs").exists());
    assert!(check_dir(&root.join("generated"), &files)
        .expect("check")
        .is_clean());
    let _ = std::fs::remove_dir_all(&root);
}

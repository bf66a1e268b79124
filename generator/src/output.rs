//! Writing a generated file set to disk, or comparing it with disk.
//!
//! The generator owns every file below the output directory: a file on disk that the
//! generator does not produce is stale, removed by [`write_dir`] and reported by [`check_dir`].

use crate::Error;
use std::collections::BTreeMap;
use std::path::Path;

/// Differences between a file set and a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files whose content differs.
    pub changed: Vec<String>,
    /// Files that should exist but do not.
    pub missing: Vec<String>,
    /// Files on disk that the generator does not produce.
    pub stale: Vec<String>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.stale.is_empty()
    }

    /// One line per file: `changed: src/lib.rs`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.changed {
            out.push(format!("drifted: {f}"));
        }
        for f in &self.missing {
            out.push(format!("missing: {f}"));
        }
        for f in &self.stale {
            out.push(format!("stale:   {f}"));
        }
        out
    }
}

/// Every file below `dir`, relative, with `/` separators, sorted.
pub fn existing_files(dir: &Path) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::new(dir.display(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::new(dir.display(), e))?;
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(root)
                .map_err(|e| Error::new(path.display(), e))?;
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Compares `files` with the contents of `dir`.
pub fn check_dir(dir: &Path, files: &BTreeMap<String, String>) -> Result<Drift, Error> {
    let mut drift = Drift::default();
    for (rel, text) in files {
        let path = dir.join(rel);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == text.as_bytes() => {}
            Ok(_) => drift.changed.push(rel.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => drift.missing.push(rel.clone()),
            Err(e) => return Err(Error::new(path.display(), e)),
        }
    }
    for rel in existing_files(dir)? {
        if !files.contains_key(&rel) {
            drift.stale.push(rel);
        }
    }
    Ok(drift)
}

/// Writes `files` below `dir` (only those whose content changed) and removes stale files
/// and directories left empty. Returns what changed.
pub fn write_dir(dir: &Path, files: &BTreeMap<String, String>) -> Result<Drift, Error> {
    let drift = check_dir(dir, files)?;
    for rel in drift.changed.iter().chain(&drift.missing) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::new(parent.display(), e))?;
        }
        let text = files.get(rel).map(String::as_str).unwrap_or_default();
        std::fs::write(&path, text).map_err(|e| Error::new(path.display(), e))?;
    }
    for rel in &drift.stale {
        let path = dir.join(rel);
        std::fs::remove_file(&path).map_err(|e| Error::new(path.display(), e))?;
        let mut parent = path.parent();
        while let Some(p) = parent {
            if p == dir || std::fs::remove_dir(p).is_err() {
                break;
            }
            parent = p.parent();
        }
    }
    Ok(drift)
}

/// Regenerates `generated/` from `specs/` of `workspace` in memory and compares it with disk.
pub fn check_workspace(workspace: &Path) -> Result<Drift, Error> {
    let (specs, generated) = crate::workspace_dirs(workspace);
    let files = crate::generate_from_specs(&specs)?;
    check_dir(&generated, &files)
}

/// Regenerates `generated/` from `specs/` of `workspace` and writes it.
pub fn write_workspace(workspace: &Path) -> Result<Drift, Error> {
    let (specs, generated) = crate::workspace_dirs(workspace);
    let files = crate::generate_from_specs(&specs)?;
    write_dir(&generated, &files)
}

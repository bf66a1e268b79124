//! `cargo xtask import openapi|markdown|v2 …`: importers that write `specs/`.
//!
//! Every importer loads the whole `specs/` tree, puts the imported operations in (with the
//! reviewed overlays of `specs/_reviewed/` applied) and writes the tree back, so that a schema
//! reached by several operations lands once in `specs/_shared/schemas.yaml`.

pub mod label;
mod markdown;
mod openapi;
mod overlay;
mod schema;
mod tree;
mod v2;
mod yamlio;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tree::{Imported, Precedence, Tree};

const USAGE: &str = "usage:
  cargo xtask import openapi <file> --op <operationId>... [--v2-catalogue <file>] [--out <dir>]
  cargo xtask import markdown <doc>... [--out <dir>]
  cargo xtask import v2 <catalogue> --method <name>... [--out <dir>]
  cargo xtask import all [--sources <dir>] [--out <dir>]
      replays <dir>/_imports.yaml; <sources> (default ../shared beside the workspace) holds
      the upstream documents and seed pages it names
<dir> defaults to the workspace's specs/.";

struct Args {
    inputs: Vec<PathBuf>,
    ops: Vec<String>,
    catalogue: Option<PathBuf>,
    out: PathBuf,
}

fn parse(args: &[String], list_flag: &str) -> Result<Args> {
    let mut parsed = Args {
        inputs: Vec::new(),
        ops: Vec::new(),
        catalogue: None,
        out: default_out(),
    };
    let mut in_list = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--out" => {
                in_list = false;
                parsed.out = iter.next().context("--out needs a directory")?.into();
            }
            "--v2-catalogue" if list_flag == "--op" => {
                in_list = false;
                parsed.catalogue = Some(iter.next().context("--v2-catalogue needs a file")?.into());
            }
            flag if flag == list_flag => in_list = true,
            flag if flag.starts_with("--") => bail!("unknown option {flag}\n{USAGE}"),
            value if in_list => parsed.ops.extend(
                value
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            ),
            value => parsed.inputs.push(value.into()),
        }
    }
    Ok(parsed)
}

fn default_out() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("specs"), |root| root.join("specs"))
}

pub fn run(args: &[String]) -> Result<ExitCode> {
    let Some((kind, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let (imported, precedence, out) = match kind.as_str() {
        "openapi" => {
            let a = parse(rest, "--op")?;
            let [file] = a.inputs.as_slice() else {
                bail!("import openapi takes one document\n{USAGE}");
            };
            if a.ops.is_empty() {
                bail!("import openapi needs --op <operationId>...\n{USAGE}");
            }
            let doc = yamlio::load(file)?;
            let catalogue = a
                .catalogue
                .as_deref()
                .map(v2::Catalogue::load)
                .transpose()?;
            let mut items = Vec::new();
            for op in &a.ops {
                items.push(openapi::import(&doc, op, catalogue.as_ref())?);
            }
            (items, Precedence::Replace, a.out)
        }
        "markdown" => {
            let a = parse(rest, "")?;
            if a.inputs.is_empty() {
                bail!("import markdown needs a document\n{USAGE}");
            }
            let mut items = Vec::new();
            for file in &a.inputs {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()))?;
                items.push(
                    markdown::import(&text)
                        .with_context(|| format!("importing {}", file.display()))?,
                );
            }
            (items, Precedence::FillIn, a.out)
        }
        "v2" => {
            let a = parse(rest, "--method")?;
            let [file] = a.inputs.as_slice() else {
                bail!("import v2 takes one catalogue\n{USAGE}");
            };
            if a.ops.is_empty() {
                bail!("import v2 needs --method <name>...\n{USAGE}");
            }
            let catalogue = v2::Catalogue::load(file)?;
            let mut items = Vec::new();
            for m in &a.ops {
                items.push(catalogue.import(m)?);
            }
            (items, Precedence::FillIn, a.out)
        }
        "all" => {
            let a = parse(rest, "--sources")?;
            let sources = match a.ops.as_slice() {
                [] => default_sources(),
                [one] => PathBuf::from(one),
                _ => bail!("--sources takes one directory"),
            };
            let changed = replay(&sources, &a.out)?;
            report(&changed, &a.out);
            return Ok(ExitCode::SUCCESS);
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        other => bail!("unknown importer {other}\n{USAGE}"),
    };
    let changed = write(imported, precedence, &out)?;
    report(&changed, &out);
    Ok(ExitCode::SUCCESS)
}

fn report(changed: &[PathBuf], out: &Path) {
    for path in changed {
        println!("wrote {}", path.display());
    }
    if changed.is_empty() {
        println!("{}: up to date", out.display());
    }
}

fn default_sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .components()
        .collect()
}

/// Replays `<out>/_imports.yaml`: a list of steps, each one of
/// `{openapi: <file>, v2-catalogue: <file>, ops: [...]}`, `{markdown: <file>}` or
/// `{v2: <file>, methods: [...]}`, files relative to `sources`.
fn replay(sources: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let plan_path = out.join("_imports.yaml");
    let plan = yamlio::load(&plan_path)?;
    let steps = plan
        .as_array()
        .with_context(|| format!("{}: not a list of steps", plan_path.display()))?;
    let source = |step: &serde_json::Value, key: &str| -> Result<Option<PathBuf>> {
        match step.get(key) {
            None => Ok(None),
            Some(v) => {
                let rel = v
                    .as_str()
                    .with_context(|| format!("{key} must be a path"))?;
                let path = sources.join(rel);
                if !path.exists() {
                    bail!(
                        "{} is missing: `import all` needs the sources named in {} (pass --sources <dir>)",
                        path.display(),
                        plan_path.display()
                    );
                }
                Ok(Some(path))
            }
        }
    };
    let list = |step: &serde_json::Value, key: &str| -> Vec<String> {
        step.get(key)
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut documents: std::collections::BTreeMap<PathBuf, serde_json::Value> = Default::default();
    let mut catalogues: std::collections::BTreeMap<PathBuf, v2::Catalogue> = Default::default();
    // A replay rebuilds the tree from nothing, so that it equals a fresh import exactly.
    let mut tree = Tree::empty(out);
    for step in steps {
        let (items, precedence) = if let Some(file) = source(step, "openapi")? {
            if !documents.contains_key(&file) {
                documents.insert(file.clone(), yamlio::load(&file)?);
            }
            let catalogue = match source(step, "v2-catalogue")? {
                Some(c) => {
                    if !catalogues.contains_key(&c) {
                        catalogues.insert(c.clone(), v2::Catalogue::load(&c)?);
                    }
                    catalogues.get(&c)
                }
                None => None,
            };
            let doc = documents.get(&file).context("document not loaded")?;
            let mut items = Vec::new();
            for op in list(step, "ops") {
                items.push(openapi::import(doc, &op, catalogue)?);
            }
            (items, Precedence::Replace)
        } else if let Some(file) = source(step, "markdown")? {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let item =
                markdown::import(&text).with_context(|| format!("importing {}", file.display()))?;
            (vec![item], Precedence::FillIn)
        } else if let Some(file) = source(step, "v2")? {
            if !catalogues.contains_key(&file) {
                catalogues.insert(file.clone(), v2::Catalogue::load(&file)?);
            }
            let catalogue = catalogues.get(&file).context("catalogue not loaded")?;
            let mut items = Vec::new();
            for m in list(step, "methods") {
                items.push(catalogue.import(&m)?);
            }
            (items, Precedence::FillIn)
        } else {
            bail!(
                "{}: a step needs openapi, markdown or v2",
                plan_path.display()
            );
        };
        add(&mut tree, items, precedence, out)?;
    }
    tree.write_exact()
}

fn write(imported: Vec<Imported>, precedence: Precedence, out: &Path) -> Result<Vec<PathBuf>> {
    let mut tree = Tree::load(out)?;
    add(&mut tree, imported, precedence, out)?;
    tree.write()
}

/// Applies the overlays of `out/_reviewed` to the imported operations and puts them in `tree`.
fn add(
    tree: &mut Tree,
    mut imported: Vec<Imported>,
    precedence: Precedence,
    out: &Path,
) -> Result<()> {
    for item in &mut imported {
        overlay::apply_all(out, item)?;
        if let Some(doc) = item.op.doc.as_object_mut() {
            overlay::order_top_level(doc);
        }
    }
    Tree::check_unique(&imported)?;
    tree.insert(imported, precedence)
}

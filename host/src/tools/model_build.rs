//! `leadscore model build`: one model directory → one scorer component
//! (`<name>-<version>.wasm`) and its manifest, with no Rust toolchain: the
//! model is loaded and checked natively, and its tables specialise the
//! scorer template embedded in this binary ([`crate::runtime::build`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::learning::drift::Reference;
use crate::runtime::build::{self, Package};

/// What was built.
#[derive(Debug)]
pub struct Built {
    /// The component.
    pub wasm: PathBuf,
    /// Its manifest.
    pub manifest: PathBuf,
}

/// Builds the component for `model_dir` into `out_dir`.
pub fn build(model_dir: &Path, out_dir: &Path) -> Result<Built> {
    let model = guest_model::load::model_dir(model_dir)?;
    let reference = read_reference(model_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let package = runtime.block_on(build::build(&model, reference))?;
    write(&package, out_dir)
}

/// Writes `<stem>.wasm` and `<stem>.manifest.json` into `out_dir`.
pub fn write(package: &Package, out_dir: &Path) -> Result<Built> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let wasm = out_dir.join(&package.manifest.wasm);
    std::fs::write(&wasm, &package.wasm).with_context(|| format!("cannot write {}", wasm.display()))?;
    let manifest = out_dir.join(format!("{}.manifest.json", package.stem()));
    std::fs::write(&manifest, serde_json::to_string_pretty(&package.manifest)? + "\n")
        .with_context(|| format!("cannot write {}", manifest.display()))?;
    Ok(Built { wasm, manifest })
}

/// The model directory's `reference.json`, if it has one (checked against
/// the model by the build).
fn read_reference(model_dir: &Path) -> Result<Option<Reference>> {
    let path = model_dir.join("reference.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}", path.display())).map(Some)
}

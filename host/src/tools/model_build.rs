//! `leadscore model build`: one model directory → one scorer component
//! (`<name>-<version>.wasm`) and its manifest, with no Rust toolchain: the
//! model is loaded and checked natively, and its tables specialise the
//! scorer template embedded in this binary ([`crate::runtime::build`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::learning::drift::Reference;
use crate::runtime::build::{self, Package, Sidecars};
use crate::runtime::manifest::{CalibrationDecile, ModelQuality};

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
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let package = runtime.block_on(package(model_dir))?;
    write(&package, out_dir)
}

/// Builds the package of `model_dir` (component and manifest, in memory).
/// Loading the model is CPU work: call it from a blocking thread.
pub async fn package(model_dir: &Path) -> Result<Package> {
    let model = guest_model::load::model_dir(model_dir)?;
    let sidecars = Sidecars { reference: read_reference(model_dir)?, quality: read_quality(model_dir)? };
    build::build(&model, sidecars).await
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
    read_json(&model_dir.join("reference.json"))
}

/// What `metrics.json` holds that the manifest carries.
#[derive(serde::Deserialize)]
struct Metrics {
    roc_auc: f64,
    base_rate: f64,
    leads: u64,
    won: u64,
    #[serde(default)]
    calibration_deciles: Vec<CalibrationDecile>,
}

/// What `training.json` says about the training data's time span.
#[derive(serde::Deserialize)]
struct Training {
    simulation: Option<Simulation>,
}

#[derive(serde::Deserialize)]
struct Simulation {
    /// RFC 3339.
    start: String,
    months: u32,
}

/// The model directory's held-out quality (`metrics.json`) and training
/// window (`training.json`), if it has them.
fn read_quality(model_dir: &Path) -> Result<Option<ModelQuality>> {
    let Some(metrics) = read_json::<Metrics>(&model_dir.join("metrics.json"))? else {
        return Ok(None);
    };
    let training = read_json::<Training>(&model_dir.join("training.json"))?;
    let window = match training.and_then(|t| t.simulation) {
        None => None,
        Some(s) => {
            let start = chrono::DateTime::parse_from_rfc3339(&s.start)
                .with_context(|| format!("training.json: simulation.start {:?} is not RFC 3339", s.start))?;
            let end = start + chrono::Months::new(s.months) - chrono::Days::new(1);
            Some([start.format("%Y-%m-%d").to_string(), end.format("%Y-%m-%d").to_string()])
        }
    };
    Ok(Some(ModelQuality {
        roc_auc: metrics.roc_auc,
        base_rate: metrics.base_rate,
        leads: metrics.leads,
        won: metrics.won,
        calibration: metrics.calibration_deciles,
        window,
    }))
}

/// `path` parsed as JSON, or `None` when there is no such file.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}", path.display())).map(Some)
}

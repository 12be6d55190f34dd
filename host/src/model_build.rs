//! `leadscore model build`: one model directory → one scorer component
//! (`<name>-<version>.wasm`) and its manifest.
//!
//! The model is loaded and checked natively, baked into Rust source, and
//! compiled into the `guest-model` crate for `wasm32-wasip2`; the result is
//! loaded back through wasmtime and must describe itself as the manifest does.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::component::ScorerComponent;
use crate::learning::drift::Reference;
use crate::report::link_name;

/// What was built.
#[derive(Debug)]
pub struct Built {
    /// The component.
    pub wasm: PathBuf,
    /// Its manifest.
    pub manifest: PathBuf,
}

/// The manifest written beside each component.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Model family name.
    pub name: String,
    /// Model version.
    pub version: String,
    /// File name of the component.
    pub wasm: String,
    /// sha256 of the component's bytes, hex.
    pub sha256: String,
    /// XGBoost objective.
    pub objective: String,
    /// Link from margin to probability.
    pub link: String,
    /// Number of trees.
    pub num_trees: u32,
    /// Expected margin (SHAP base value).
    pub base_value: f64,
    /// The features, in model order.
    pub features: Vec<ManifestFeature>,
    /// Band thresholds.
    pub bands: ManifestBands,
    /// Interfaces the component imports (all unreachable: see README).
    pub imports: Vec<String>,
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// Leads with the results the model must give them: `model install`
    /// checks that the component reproduces them.
    pub golden: Vec<GoldenLead>,
    /// Each feature's distribution in the training population
    /// (`reference.json` of the model directory): what drift is measured against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
}

/// A lead and what the model scores it.
#[derive(Debug, Serialize, Deserialize)]
pub struct GoldenLead {
    /// The lead, as lead JSON.
    pub lead: serde_json::Value,
    /// Its 0–100 score.
    pub final_score: u8,
    /// The model's raw output.
    pub margin: f64,
    /// The calibrated probability.
    pub probability: f64,
}

/// How many golden leads a manifest records.
const GOLDEN_LEADS: usize = 8;

/// Golden leads scored by the native library, the reference the component
/// must match.
fn golden_leads(model: &guest_model::model::Model) -> Result<Vec<GoldenLead>> {
    let leads = crate::simulate::leads_json(crate::simulate::Settings { leads: GOLDEN_LEADS, months: 24, seed: 2026 });
    let parsed: Vec<_> = leads.iter().map(guest_model::load::lead_json::from_json).collect::<Result<_, _>>()?;
    let scored = model.score_batch(&parsed, &mut guest_model::shap::Scratch::default());
    leads
        .into_iter()
        .zip(scored)
        .map(|(lead, scored)| {
            let s = scored.map_err(|e| anyhow::anyhow!("golden lead {}: {e}", lead["id"]))?;
            Ok(GoldenLead { lead, final_score: s.final_score, margin: s.margin, probability: s.probability })
        })
        .collect()
}

/// Checks that `component` reproduces the golden results.
pub fn self_test(component: &ScorerComponent, golden: &[GoldenLead]) -> Result<()> {
    let leads: Vec<_> = golden
        .iter()
        .map(|g| guest_model::load::lead_json::from_json(&g.lead).map(crate::leads::to_wit))
        .collect::<Result<_, _>>()?;
    let results = component.score(&leads)?;
    ensure!(
        results.len() == golden.len(),
        "the component returned {} results for {} golden leads",
        results.len(),
        golden.len()
    );
    for (want, got) in golden.iter().zip(results) {
        let id = want.lead["id"].as_str().unwrap_or("?");
        let got = got.map_err(|e| anyhow::anyhow!("golden lead {id}: {}", e.message))?;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
        ensure!(
            got.final_score == want.final_score
                && close(got.margin, want.margin)
                && close(got.probability, want.probability),
            "golden lead {id}: the component gives score {} (margin {}), the manifest expects {} (margin {})",
            got.final_score,
            got.margin,
            want.final_score,
            want.margin
        );
    }
    Ok(())
}

/// One feature in the manifest.
#[derive(Debug, Serialize, Deserialize)]
pub struct ManifestFeature {
    /// Column name.
    pub name: String,
    /// Reason template.
    pub description: String,
    /// Where the value comes from.
    pub source: String,
}

/// Band thresholds in the manifest.
#[derive(Debug, Serialize, Deserialize)]
pub struct ManifestBands {
    /// score > hot is Hot.
    pub hot: u8,
    /// score < cold is Cold.
    pub cold: u8,
}

/// Builds the component for `model_dir` into `out_dir`. `workspace` is the
/// leadscore source tree (it holds `guest-model/`).
pub fn build(model_dir: &Path, out_dir: &Path, workspace: &Path) -> Result<Built> {
    let model = guest_model::load::model_dir(model_dir)?;
    let golden = golden_leads(&model)?;
    let reference = read_reference(model_dir, &model.features.iter().map(|f| f.name.as_ref()).collect::<Vec<_>>())?;
    ensure!(
        workspace.join("guest-model/Cargo.toml").exists(),
        "{} is not the leadscore source tree (no guest-model/Cargo.toml): pass --workspace <dir>",
        workspace.display()
    );
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let scratch = target_dir.join("leadscore-build");
    std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    // One build at a time: they share the guest crate's output file.
    let lock = File::create(scratch.join("lock")).context("cannot create the build lock")?;
    lock.lock().context("cannot take the build lock")?;

    let stem = format!("{}-{}", model.info.name, model.info.version);
    let source = scratch.join(format!("{stem}.rs"));
    std::fs::write(&source, guest_model::load::bake::to_rust(&model)).context("cannot write the baked model")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args(["build", "--quiet", "-p", "guest-model", "--lib", "--target", "wasm32-wasip2", "--profile", "component"])
        .env("LEADSCORE_MODEL_SOURCE", &source)
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .context("cannot run cargo (is the Rust toolchain installed?)")?;
    if !output.status.success() {
        bail!("building the component failed:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    let built = target_dir.join("wasm32-wasip2/component/guest_model.wasm");
    let bytes = std::fs::read(&built).with_context(|| format!("cargo did not produce {}", built.display()))?;
    drop(lock);

    let component = ScorerComponent::from_bytes(&bytes).context("the built component does not load")?;
    let info = component.model_info()?;
    ensure!(
        info.name == model.info.name
            && info.version == model.info.version
            && info.features.len() == model.features.len(),
        "the built component describes itself as {}-{}, not {stem}",
        info.name,
        info.version
    );
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let wasm = out_dir.join(format!("{stem}.wasm"));
    std::fs::write(&wasm, &bytes).with_context(|| format!("cannot write {}", wasm.display()))?;
    let manifest = Manifest {
        name: info.name,
        version: info.version,
        wasm: format!("{stem}.wasm"),
        sha256: hex::encode(Sha256::digest(&bytes)),
        objective: info.objective,
        link: link_name(info.link).to_string(),
        num_trees: info.num_trees,
        base_value: info.base_value,
        features: info
            .features
            .into_iter()
            .map(|f| ManifestFeature { name: f.name, description: f.description, source: f.source })
            .collect(),
        bands: ManifestBands { hot: info.bands.hot, cold: info.bands.cold },
        imports: component.imports().to_vec(),
        built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        golden,
        reference,
    };
    self_test(&component, &manifest.golden).context("the built component disagrees with the native library")?;
    let manifest_path = out_dir.join(format!("{stem}.manifest.json"));
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest)? + "\n")
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    Ok(Built { wasm, manifest: manifest_path })
}

/// The model directory's `reference.json`, if it has one, checked against the model's features.
fn read_reference(model_dir: &Path, features: &[&str]) -> Result<Option<Reference>> {
    let path = model_dir.join("reference.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let reference: Reference = serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    for feature in &reference.features {
        ensure!(
            features.contains(&feature.name.as_str()),
            "{}: {} is not a model feature",
            path.display(),
            feature.name
        );
        feature.check().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    Ok(Some(reference))
}

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
use sha2::{Digest, Sha256};

use crate::learning::drift::Reference;
use crate::runtime::component::ScorerComponent;
use crate::runtime::manifest::{GoldenLead, Manifest, ManifestBands, ManifestFeature, self_test};

/// What was built.
#[derive(Debug)]
pub struct Built {
    /// The component.
    pub wasm: PathBuf,
    /// Its manifest.
    pub manifest: PathBuf,
}

/// How many golden leads a manifest records.
const GOLDEN_LEADS: usize = 8;

/// Golden leads scored by the native library, the reference the component
/// must match.
fn golden_leads(model: &guest_model::model::Model) -> Result<Vec<GoldenLead>> {
    let leads = leadscore_sim::simulate::leads_json(leadscore_sim::simulate::Settings {
        leads: GOLDEN_LEADS,
        months: 24,
        seed: 2026,
    });
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

/// Builds the component for `model_dir` into `out_dir`. `workspace` is the
/// leadscore source tree (it holds `guest-model/`).
pub fn build(model_dir: &Path, out_dir: &Path, workspace: &Path) -> Result<Built> {
    let model = guest_model::load::model_dir(model_dir)?;
    // Which of the file's trees the component scores with (early stopping).
    let trees = model.ensemble().selection;
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
        link: guest_model::tree::Link::from(info.link).name().to_string(),
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
        trees: Some(trees),
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

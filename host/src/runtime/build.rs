//! Building a model's package — its component and manifest — from a model
//! loaded natively (`guest_model::load`): the model's tables go into the
//! scorer template ([`super::template`]), and the result must describe
//! itself as the model does and reproduce, bit for bit, what the native
//! library computes for the golden leads.

use anyhow::{Result, ensure};
use guest_model::model::Model;
use sha2::{Digest, Sha256};

use super::component::ScorerComponent;
use super::manifest::{GoldenLead, Manifest, ManifestBands, ManifestFeature, ModelQuality};
use super::template;
use crate::learning::drift::Reference;

/// How many golden leads a manifest records.
const GOLDEN_LEADS: usize = 8;

/// A built component and its manifest.
#[derive(Debug)]
pub struct Package {
    /// The component's bytes.
    pub wasm: Vec<u8>,
    /// Its manifest (`wasm` names `<name>-<version>.wasm`).
    pub manifest: Manifest,
}

impl Package {
    /// `<name>-<version>`: the stem of the package's file names.
    pub fn stem(&self) -> String {
        format!("{}-{}", self.manifest.name, self.manifest.version)
    }
}

/// What a model directory holds beside the model, carried in the manifest.
#[derive(Debug, Default)]
pub struct Sidecars {
    /// The training population's feature distributions (`reference.json`):
    /// what drift is measured against.
    pub reference: Option<Reference>,
    /// Held-out quality and training window (`metrics.json`, `training.json`).
    pub quality: Option<ModelQuality>,
}

/// Builds the package of `model`, with what its directory holds beside it
/// ([`Sidecars`]), and checks it:
/// the component loads, describes itself as `model`, and gives the golden
/// leads exactly the native library's scores and SHAP values. Errors name
/// what disagrees.
pub async fn build(model: &Model, sidecars: Sidecars) -> Result<Package> {
    let Sidecars { reference, quality } = sidecars;
    if let Some(reference) = &reference {
        check_reference(reference, model)?;
    }
    let golden = golden_leads(model)?;
    let wasm = template::specialise(&guest_model::tables::encode(model)).await?;

    let component = ScorerComponent::from_bytes(&wasm)?;
    let info = component.model_info()?;
    let stem = format!("{}-{}", model.info.name, model.info.version);
    ensure!(
        info.name == model.info.name
            && info.version == model.info.version
            && info.features.len() == model.features.len(),
        "the built component describes itself as {}-{}, not {stem}",
        info.name,
        info.version
    );
    same_as_native(&component, model, &golden)?;
    let manifest = Manifest {
        name: info.name,
        version: info.version,
        wasm: format!("{stem}.wasm"),
        sha256: hex::encode(Sha256::digest(&wasm)),
        objective: info.objective,
        link: guest_model::tree::Link::from(info.link).name().to_string(),
        num_trees: info.num_trees,
        base_value: info.base_value,
        features: info
            .features
            .into_iter()
            .zip(model.features.iter())
            .zip(importance_shares(model))
            .map(|((f, definition), importance)| ManifestFeature {
                name: f.name,
                description: f.description,
                source: f.source,
                definition: Some(definition.clone()),
                importance,
            })
            .collect(),
        bands: ManifestBands { hot: info.bands.hot, cold: info.bands.cold },
        imports: component.imports().to_vec(),
        built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        golden,
        reference,
        trees: Some(model.ensemble().selection),
        quality,
    };
    component.self_test(&manifest.golden)?;
    Ok(Package { wasm, manifest })
}

/// Each feature's share of the model's global importance, or `None` for
/// every feature when the model has no importance table.
fn importance_shares(model: &Model) -> Vec<Option<f64>> {
    let weights = &model.calibration.importance;
    let total: f64 = weights.iter().sum();
    match weights.len() == model.features.len() && total > 0.0 {
        true => weights.iter().map(|w| Some(w / total)).collect(),
        false => vec![None; model.features.len()],
    }
}

/// Golden leads (simulated, fixed seed) with the native library's results:
/// the reference every later install of the component is checked against.
fn golden_leads(model: &Model) -> Result<Vec<GoldenLead>> {
    let leads = leadscore_sim::simulate::leads_json(leadscore_sim::simulate::Settings {
        leads: GOLDEN_LEADS,
        months: 24,
        seed: 2026,
        buyers: Default::default(),
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

/// The component's margins, probabilities, every SHAP value and every
/// reason equal the native library's, bit for bit, on the golden leads: the template runs the
/// same code on the same tables, so any difference is a fault.
fn same_as_native(component: &ScorerComponent, model: &Model, golden: &[GoldenLead]) -> Result<()> {
    let leads: Vec<_> =
        golden.iter().map(|g| guest_model::load::lead_json::from_json(&g.lead)).collect::<Result<_, _>>()?;
    let native = model.score_batch(&leads, &mut guest_model::shap::Scratch::default());
    let wit: Vec<_> = leads.iter().cloned().map(super::lead::to_wit).collect();
    for ((lead, native), got) in leads.iter().zip(native).zip(component.score(&wit)?) {
        let id = &lead.id;
        let (native, got) = match (native, got) {
            (Ok(n), Ok(g)) => (n, g),
            (Err(e), _) => anyhow::bail!("golden lead {id}: {e}"),
            (_, Err(e)) => anyhow::bail!("golden lead {id}: the component refuses it: {}", e.message),
        };
        ensure!(
            got.margin.to_bits() == native.margin.to_bits()
                && got.probability.to_bits() == native.probability.to_bits(),
            "golden lead {id}: the component gives margin {} and probability {}, the native library {} and {}",
            got.margin,
            got.probability,
            native.margin,
            native.probability
        );
        let (Ok(want), Ok(have)) = (&native.explanation, &got.explanation) else {
            ensure!(
                native.explanation.is_err() && got.explanation.is_err(),
                "golden lead {id}: one explanation is missing"
            );
            continue;
        };
        ensure!(
            have.base_value.to_bits() == want.base_value.to_bits()
                && have.contributions.len() == want.contributions.len(),
            "golden lead {id}: the explanations differ in shape"
        );
        for (c, w) in have.contributions.iter().zip(&want.contributions) {
            let name = &model.features[w.feature].name;
            ensure!(
                c.feature == *name && c.shap.to_bits() == w.shap.to_bits(),
                "golden lead {id}: SHAP of {name} is {} in the component, {} natively",
                c.shap,
                w.shap
            );
        }
        // The sentences too: the component renders them from the same tables.
        let texts = |reasons: &mut dyn Iterator<Item = (&str, &str)>| {
            reasons.map(|(f, t)| format!("{f}: {t}")).collect::<Vec<_>>()
        };
        let component_reasons = texts(&mut have.reasons.iter().map(|r| (r.feature.as_str(), r.text.as_str())));
        let native_reasons =
            texts(&mut want.reasons.iter().map(|r| (model.features[r.feature].name.as_ref(), r.text.as_str())));
        ensure!(
            component_reasons == native_reasons,
            "golden lead {id}: the component gives the reasons {component_reasons:?}, the native library {native_reasons:?}"
        );
    }
    Ok(())
}

/// Every feature of `reference` is a model feature with sane bins.
fn check_reference(reference: &Reference, model: &Model) -> Result<()> {
    for feature in &reference.features {
        ensure!(
            model.features.iter().any(|f| f.name == feature.name),
            "reference.json: {} is not a model feature",
            feature.name
        );
        feature.check().map_err(|e| anyhow::anyhow!("reference.json: {e}"))?;
    }
    Ok(())
}

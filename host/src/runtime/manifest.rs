//! The package contract: the manifest written beside each component and
//! the golden leads it carries (`ScorerComponent::self_test` checks a
//! component against them before it is installed).

use serde::{Deserialize, Serialize};

use crate::learning::drift::Reference;

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
    /// Which of the model file's trees the component scores with: after
    /// early stopping, the best rounds or every tree (`[model] trees` in
    /// `features.toml`). Absent in manifests written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trees: Option<guest_model::tree::TreeSelection>,
    /// How well the model did on held-out leads and what it was trained on
    /// (`metrics.json` and `training.json` of the model directory), for the
    /// model admin page. Absent when the model shipped without them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<ModelQuality>,
}

/// A model's held-out quality and training window, as `models/training/`
/// writes them (`metrics.json`, `training.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelQuality {
    /// ROC-AUC on the held-out leads.
    pub roc_auc: f64,
    /// Conversion rate of the held-out leads: what "the average lead" means.
    pub base_rate: f64,
    /// Held-out leads.
    pub leads: u64,
    /// Of which won.
    pub won: u64,
    /// Predicted against observed conversion, by decile of probability.
    pub calibration: Vec<CalibrationDecile>,
    /// First and last day of the training data (`YYYY-MM-DD`), when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<[String; 2]>,
}

/// One decile of the held-out calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalibrationDecile {
    /// Leads in the decile.
    pub leads: u64,
    /// Mean predicted probability.
    pub predicted: f64,
    /// Observed conversion rate.
    pub observed: f64,
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

/// One feature in the manifest.
#[derive(Debug, Serialize, Deserialize)]
pub struct ManifestFeature {
    /// Column name.
    pub name: String,
    /// Reason template.
    pub description: String,
    /// Where the value comes from.
    pub source: String,
    /// The feature as the model declares it — lead field or activity
    /// aggregate, label, value format and sentences — so that the host can
    /// show values and changes in the reasons' words. Absent in manifests
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<guest_model::features::FeatureDef>,
    /// Its share of the model's global importance (mean |SHAP| on training
    /// data, shares summing to 1), when the model has the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<f64>,
}

/// Band thresholds in the manifest.
#[derive(Debug, Serialize, Deserialize)]
pub struct ManifestBands {
    /// score > hot is Hot.
    pub hot: u8,
    /// score < cold is Cold.
    pub cold: u8,
}

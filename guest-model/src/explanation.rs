//! The explanation a rep reads: signed contributions, normalised importance
//! and reason sentences, built from SHAP values.

use crate::features::{FeatureDef, FeatureValue};

/// How many reasons a scored lead carries.
pub const MAX_REASONS: usize = 5;

/// Which way a feature pushed the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(serde::Serialize, serde::Deserialize), serde(rename_all = "lowercase"))]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Direction {
    /// Raised it.
    Up,
    /// Lowered it.
    Down,
}

/// One feature's signed SHAP value.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    /// Feature index in the model.
    pub feature: usize,
    /// The lead's value for it.
    pub value: FeatureValue,
    /// Its SHAP value (margin units).
    pub shap: f64,
}

/// A sentence for the rep.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    /// Feature index in the model.
    pub feature: usize,
    /// The sentence, with the lead's value filled in.
    pub text: String,
    /// Up or down.
    pub direction: Direction,
    /// The SHAP value behind it.
    pub shap: f64,
}

/// Why the model gave the score it gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// Expected margin: where every lead starts.
    pub base_value: f64,
    /// Every feature's contribution, largest |SHAP| first;
    /// `base_value + Σ shap = margin`.
    pub contributions: Vec<Contribution>,
    /// |SHAP| normalised to sum 1, per feature in model order.
    pub importance: Vec<f64>,
    /// Sentences for the largest contributions.
    pub reasons: Vec<Reason>,
}

/// Builds the explanation of one lead from the model's features, the
/// explainer's base value (E[f(x)]) and the lead's SHAP values, or says why
/// it is unavailable (the score is returned either way).
pub fn build(
    features: &[FeatureDef],
    base_value: f64,
    values: &[FeatureValue],
    phi: &[f64],
    margin: f64,
) -> Result<Explanation, String> {
    if let Some(i) = phi.iter().position(|v| !v.is_finite()) {
        return Err(format!("the SHAP value of {} is not a finite number", features[i].name));
    }
    let gap = base_value + phi.iter().sum::<f64>() - margin;
    // f32 trees summed in f32 by XGBoost: allow their rounding, nothing more.
    if gap.abs() > 1e-3 * (1.0 + margin.abs()) {
        return Err(format!("the SHAP values do not add up to the margin (off by {gap:.3e})"));
    }
    let mut contributions: Vec<Contribution> =
        (0..phi.len()).map(|i| Contribution { feature: i, value: values[i].clone(), shap: phi[i] }).collect();
    contributions.sort_by(|a, b| b.shap.abs().total_cmp(&a.shap.abs()).then(a.feature.cmp(&b.feature)));
    let total: f64 = phi.iter().map(|v| v.abs()).sum();
    let importance = phi.iter().map(|v| if total > 0.0 { v.abs() / total } else { 0.0 }).collect();
    let reasons = contributions
        .iter()
        .filter(|c| c.shap != 0.0)
        .take(MAX_REASONS)
        .map(|c| Reason {
            feature: c.feature,
            text: reason_text(&features[c.feature], &c.value),
            direction: if c.shap > 0.0 { Direction::Up } else { Direction::Down },
            shap: c.shap,
        })
        .collect();
    Ok(Explanation { base_value, contributions, importance, reasons })
}

/// The feature's sentence with the lead's value filled in.
pub fn reason_text(def: &FeatureDef, value: &FeatureValue) -> String {
    match value {
        FeatureValue::Missing => match &def.reason_missing {
            Some(text) => text.to_string(),
            None => format!("No data for {}", def.name.replace('_', " ")),
        },
        FeatureValue::Number(v) => def.reason.replace("{value}", &format_number(*v)),
        FeatureValue::Category(c) => def.reason.replace("{value}", c),
    }
}

/// Whole numbers without decimals, others with at most one.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let rounded = format!("{v:.1}");
        rounded.strip_suffix(".0").map(str::to_string).unwrap_or(rounded)
    }
}

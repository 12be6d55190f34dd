//! The explanation a rep reads: signed contributions, normalised importance
//! and reason sentences, built from SHAP values.

use crate::features::{FeatureDef, FeatureValue};

/// How many reasons an explanation carries in each direction
/// (`[explanation]` in `features.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReasonCounts {
    /// At most this many reasons that raised the score.
    pub up: u8,
    /// At most this many reasons that lowered it.
    pub down: u8,
}

impl Default for ReasonCounts {
    /// Three each way: a rep reads both lists at a glance.
    fn default() -> ReasonCounts {
        ReasonCounts { up: 3, down: 3 }
    }
}

pub use crate::wording::Direction;

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
    /// Sentences for the largest contributions: those that raised the
    /// score, then those that lowered it, each largest |SHAP| first.
    pub reasons: Vec<Reason>,
}

/// Builds the explanation of one lead from the model's features, the
/// explainer's base value (E[f(x)]) and the lead's SHAP values, with up to
/// `counts` reasons each way, or says why it is unavailable (the score is
/// returned either way).
pub fn build(
    features: &[FeatureDef],
    counts: ReasonCounts,
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
    // Contributions are sorted by |SHAP|, so each direction's first are its largest.
    let reasons_toward = |direction: Direction, count: u8| {
        contributions
            .iter()
            .filter(move |c| c.shap != 0.0 && (c.shap > 0.0) == (direction == Direction::Up))
            .take(count.into())
            .map(move |c| Reason {
                feature: c.feature,
                text: features[c.feature].reason(&c.value, direction),
                direction,
                shap: c.shap,
            })
    };
    let reasons =
        reasons_toward(Direction::Up, counts.up).chain(reasons_toward(Direction::Down, counts.down)).collect();
    Ok(Explanation { base_value, contributions, importance, reasons })
}

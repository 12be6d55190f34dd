//! A model version: ensemble, explainer, features and calibration, and how
//! they turn a lead into a score with its explanation.

use std::borrow::Cow;

use crate::explanation::{self, Explanation};
use crate::features::{self, FeatureDef, FeatureError, FeatureValue};
use crate::lead::Lead;
use crate::shap::{Explainer, Scratch};
use crate::tree::{Ensemble, Link};

/// Score thresholds: score > hot is Hot, score < cold is Cold, else Warm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bands {
    /// Scores above this are Hot.
    pub hot: u8,
    /// Scores below this are Cold.
    pub cold: u8,
}

impl Default for Bands {
    fn default() -> Bands {
        Bands { hot: 80, cold: 40 }
    }
}

/// The badge a rep sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// Call first.
    Hot,
    /// Worth a look.
    Warm,
    /// Not now.
    Cold,
}

impl Band {
    /// "hot", "warm" or "cold".
    pub fn name(self) -> &'static str {
        match self {
            Band::Hot => "hot",
            Band::Warm => "warm",
            Band::Cold => "cold",
        }
    }
}

impl Bands {
    /// The band of a 0–100 score.
    pub fn band(self, score: u8) -> Band {
        if score > self.hot {
            Band::Hot
        } else if score < self.cold {
            Band::Cold
        } else {
            Band::Warm
        }
    }
}

/// What the training population says about the model's output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Calibration {
    /// 101 margins: element k is the k-th percentile of the training margins.
    /// Empty: score = round(100 × probability).
    pub score_quantiles: Cow<'static, [f64]>,
    /// Monotone (margin, probability) knots, interpolated linearly.
    /// Empty: probability = link(margin).
    pub probability: Cow<'static, [(f64, f64)]>,
    /// Mean |SHAP| per feature on the training set, in feature order.
    /// Empty: every feature weighs the same in the confidence.
    pub importance: Cow<'static, [f64]>,
}

/// Name, version and link of a model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// Model family name (`lead-scorer`).
    pub name: Cow<'static, str>,
    /// Version (`v12`).
    pub version: Cow<'static, str>,
    /// XGBoost objective the model was trained with.
    pub objective: Cow<'static, str>,
    /// How the margin becomes a probability.
    pub link: Link,
}

/// Everything one model version needs to score and explain a lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Identity.
    pub info: ModelInfo,
    /// The trees.
    pub ensemble: Ensemble,
    /// Precomputed SHAP tables for the trees.
    pub explainer: Explainer,
    /// The inputs, in model column order.
    pub features: Cow<'static, [FeatureDef]>,
    /// Band thresholds.
    pub bands: Bands,
    /// Score, probability and confidence tables.
    pub calibration: Calibration,
}

/// A scored lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    /// 0–100: percentile of the margin among the training population.
    pub final_score: u8,
    /// Calibrated conversion probability.
    pub probability: f64,
    /// The badge.
    pub band: Band,
    /// Share of the model's global importance carried by the features this lead has.
    pub confidence: f64,
    /// Raw model output.
    pub margin: f64,
    /// The explanation, or why it is unavailable.
    pub explanation: Result<Explanation, String>,
}

impl Model {
    /// Scores and explains one lead. Only bad input is an error: if the
    /// explanation cannot be computed the score still comes back.
    pub fn score(&self, lead: &Lead, scratch: &mut Scratch) -> Result<Scored, FeatureError> {
        let (row, values) = features::compute(&self.features, lead)?;
        let margin = self.ensemble.predict_margin(&row);
        let probability = self.probability(margin as f64);
        let final_score = self.score_of(margin as f64, probability);
        let mut phi = vec![0.0; row.len()];
        self.explainer.shap_values(&self.ensemble, &row, &mut phi, scratch);
        let explanation = explanation::build(self, &values, &phi, margin as f64);
        Ok(Scored {
            final_score,
            probability,
            band: self.bands.band(final_score),
            confidence: self.confidence(&values),
            margin: margin as f64,
            explanation,
        })
    }

    /// Calibrated probability of conversion for a margin.
    pub fn probability(&self, margin: f64) -> f64 {
        let knots = &self.calibration.probability;
        if knots.is_empty() {
            return self.info.link.apply(margin);
        }
        interpolate(knots, margin)
    }

    /// The 0–100 score for a margin.
    pub fn score_of(&self, margin: f64, probability: f64) -> u8 {
        let q = &self.calibration.score_quantiles;
        if q.is_empty() {
            return (probability * 100.0).round().clamp(0.0, 100.0) as u8;
        }
        let at_or_below = q.partition_point(|&v| v <= margin);
        if at_or_below == 0 {
            return 0;
        }
        if at_or_below == q.len() {
            return 100;
        }
        // q[k] <= margin < q[k + 1], so q[k + 1] > q[k].
        let k = at_or_below - 1;
        let fraction = (margin - q[k]) / (q[k + 1] - q[k]);
        let percentile = (k as f64 + fraction) * 100.0 / (q.len() - 1) as f64;
        percentile.round().clamp(0.0, 100.0) as u8
    }

    /// Share of global importance carried by the features the lead has.
    fn confidence(&self, values: &[FeatureValue]) -> f64 {
        let weights = &self.calibration.importance;
        let weight = |i: usize| if weights.is_empty() { 1.0 } else { weights[i] };
        let total: f64 = (0..values.len()).map(weight).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let present: f64 = (0..values.len()).filter(|&i| values[i] != FeatureValue::Missing).map(weight).sum();
        present / total
    }
}

/// Piecewise-linear interpolation through sorted knots, flat beyond the ends.
fn interpolate(knots: &[(f64, f64)], x: f64) -> f64 {
    let after = knots.partition_point(|&(kx, _)| kx <= x);
    if after == 0 {
        return knots[0].1;
    }
    if after == knots.len() {
        return knots[knots.len() - 1].1;
    }
    let ((x0, y0), (x1, y1)) = (knots[after - 1], knots[after]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

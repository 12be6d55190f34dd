//! A model version: ensemble, explainer, features and calibration, and how
//! they turn a lead into a score with its explanation.

use std::borrow::Cow;

use crate::explanation::{self, Explanation, ReasonCounts};
use crate::features::{self, FeatureDef, FeatureError, FeatureValue};
use crate::lead::Lead;
use crate::shap::{Explainer, Scratch};
use crate::tree::{Ensemble, Link};

/// Score thresholds: score > hot is Hot, score < cold is Cold, else Warm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
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
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    /// Identity.
    pub info: ModelInfo,
    /// The trees and their precomputed SHAP tables (see [`Model::ensemble`]).
    pub explainer: Explainer,
    /// The inputs, in model column order.
    pub features: Cow<'static, [FeatureDef]>,
    /// Band thresholds.
    pub bands: Bands,
    /// Score, probability and confidence tables.
    pub calibration: Calibration,
    /// How many reasons an explanation gives each way.
    pub reasons: ReasonCounts,
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
    /// The trees (owned by the explainer, whose tables describe them).
    pub fn ensemble(&self) -> &Ensemble {
        self.explainer.ensemble()
    }

    /// Scores and explains one lead. Only bad input is an error: if the
    /// explanation cannot be computed the score still comes back.
    pub fn score(&self, lead: &Lead, scratch: &mut Scratch) -> Result<Scored, FeatureError> {
        self.score_batch(std::slice::from_ref(lead), scratch).remove(0)
    }

    /// [`Model::score`] for many leads; the SHAP kernel explains them
    /// several at a time, so batches are much cheaper per lead.
    pub fn score_batch(&self, leads: &[Lead], scratch: &mut Scratch) -> Vec<Result<Scored, FeatureError>> {
        let computed: Vec<_> = leads.iter().map(|lead| features::compute(&self.features, lead)).collect();
        let rows: Vec<&[f32]> =
            computed.iter().filter_map(|c| c.as_ref().ok()).map(|(row, _)| row.as_slice()).collect();
        let mut phis = vec![vec![0.0; self.features.len()]; rows.len()];
        let mut outputs: Vec<&mut [f64]> = phis.iter_mut().map(Vec::as_mut_slice).collect();
        self.explainer.shap_values_batch(&rows, &mut outputs, scratch);
        let mut phis = phis.into_iter();
        computed
            .into_iter()
            .map(|c| {
                let (row, values) = c?;
                let phi = phis.next().expect("one SHAP row per valid lead");
                Ok(self.scored(&row, &values, &phi))
            })
            .collect()
    }

    fn scored(&self, row: &[f32], values: &[FeatureValue], phi: &[f64]) -> Scored {
        let margin = self.ensemble().predict_margin(row) as f64;
        let probability = self.probability(margin);
        let final_score = self.score_of(margin, probability);
        Scored {
            final_score,
            probability,
            band: self.bands.band(final_score),
            confidence: self.confidence(values),
            margin,
            explanation: explanation::build(
                &self.features,
                self.reasons,
                self.explainer.base_value(),
                values,
                phi,
                margin,
            ),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Source;
    use crate::tree::{Node, Split};
    use crate::wording::Wording;

    /// Two trees whose leaves overflow f32 when added: the margin is still
    /// defined (infinite), but no SHAP value can be.
    fn overflowing_model() -> Model {
        let tree =
            |v: f32| [Node::split(Split::Numeric, 0, 0.5, (1, 2), true, 2.0), Node::leaf(v, 1.0), Node::leaf(-v, 1.0)];
        let nodes: Vec<Node> = tree(f32::MAX)
            .into_iter()
            .chain(tree(f32::MAX).into_iter().map(|n| Node { left: n.left + 3, right: n.right + 3, ..n }))
            .collect();
        let ensemble = Ensemble {
            nodes: nodes.into(),
            roots: vec![0, 3].into(),
            category_words: Cow::Borrowed(&[]),
            base_margin: 0.0,
            num_features: 1,
            selection: crate::tree::TreeSelection::all(2),
        };
        Model {
            info: ModelInfo {
                name: "t".into(),
                version: "v".into(),
                objective: "binary:logistic".into(),
                link: Link::Logistic,
            },
            explainer: Explainer::new(ensemble),
            features: vec![FeatureDef {
                name: "x".into(),
                wording: Wording::plain("x", "x is {value}"),
                source: Source::Field("x".into()),
            }]
            .into(),
            bands: Bands::default(),
            calibration: Calibration::default(),
            reasons: ReasonCounts::default(),
        }
    }

    #[test]
    fn an_explanation_that_cannot_be_computed_leaves_the_score_standing() {
        let lead = Lead {
            id: "a".into(),
            as_of: 0,
            fields: vec![("x".into(), crate::lead::Value::Number(0.0))],
            activities: vec![],
        };
        let scored = overflowing_model().score(&lead, &mut Scratch::default()).unwrap();
        assert_eq!(scored.final_score, 100);
        assert_eq!(scored.band, Band::Hot);
        let why = scored.explanation.unwrap_err();
        assert!(why.contains("not a finite number"), "{why}");
    }

    #[test]
    fn scores_come_from_the_quantile_table_and_bands_from_the_thresholds() {
        let mut model = overflowing_model();
        model.calibration.score_quantiles = (0..=100).map(|k| k as f64 / 10.0).collect::<Vec<_>>().into();
        assert_eq!(model.score_of(-1.0, 0.0), 0);
        assert_eq!(model.score_of(2.56, 0.0), 26);
        assert_eq!(model.score_of(10.0, 0.0), 100);
        assert_eq!(model.bands.band(81), Band::Hot);
        assert_eq!(model.bands.band(80), Band::Warm);
        assert_eq!(model.bands.band(40), Band::Warm);
        assert_eq!(model.bands.band(39), Band::Cold);
    }
}

//! Why a lead's score moved between two scorings, split exactly.
//!
//! SHAP is additive: `margin = base_value + Σ shap`. Two scorings by the
//! same version share the base value, so the change in margin is exactly
//! the sum of the per-feature SHAP differences. Across versions the change
//! is split in two, each exact by the same identity:
//!
//! - **the model changed**: the earlier lead scored by the new version
//!   minus by the old one;
//! - **the lead changed**: then, under the new version, the per-feature SHAP
//!   differences between the later lead and the earlier one.
//!
//! Both identities are exact for the trees' output summed in f64, which is
//! what SHAP explains. XGBoost reports the margin summed in f32, a few
//! 1e-7 away; that rounding is a part of its own ("float32 rounding",
//! kind `model`, from each scoring's own gap `margin − base − Σ SHAP`), so
//! the parts sum to `to.margin − from.margin` (the tests hold it to 1e-9)
//! and no SHAP value is bent to make them.

use guest_model::features::FeatureDef;
use guest_model::value::Matching;
use guest_model::wording::Wording;
use serde::Serialize;
use utoipa::ToSchema;

use super::presentation::model_value;
use super::score::{Contribution, FeatureValue, Score};

/// One end of a change: a scoring.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Scoring {
    /// The request that produced it.
    pub request_id: String,
    /// Raw model output (margin units).
    pub margin: f64,
    /// 0–100.
    pub score: i64,
    /// The version that answered.
    pub model_version: String,
}

/// What a part of a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// The model version changed.
    Model,
    /// One feature's value or effect changed.
    Feature,
}

/// One part of a change.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Part {
    /// Model or feature.
    pub kind: PartKind,
    /// The feature, for a feature part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// Its share of the change in margin (margin units).
    pub delta: f64,
    /// What changed, in words.
    pub text: String,
}

/// Why the score moved from one scoring to another:
/// `Σ parts[].delta = to.margin − from.margin`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Changes {
    /// The earlier scoring.
    pub from: Scoring,
    /// The later one.
    pub to: Scoring,
    /// The parts of the change: the model's first, then the features'
    /// by size; parts of exactly zero are left out.
    pub parts: Vec<Part>,
}

/// A scoring's explanation is missing: its change cannot be split.
#[derive(Debug, thiserror::Error)]
#[error("the scoring {0} has no explanation to split its change by")]
pub struct Unexplained(pub String);

/// The change from `from` to `to` (with their request ids). When their
/// versions differ, `earlier_by_new` is the earlier lead scored by the later
/// version. `definition` finds a feature's definition in a version's manifest
/// (for the words; without one, the feature's name and raw values serve).
pub fn changes<'a>(
    (from_id, from): (&str, &Score),
    (to_id, to): (&str, &Score),
    earlier_by_new: Option<&Score>,
    definition: impl Fn(&str, &str) -> Option<&'a FeatureDef>,
) -> Result<Changes, Unexplained> {
    let end = |id: &str, s: &Score| Scoring {
        request_id: id.to_string(),
        margin: s.margin,
        score: i64::from(s.final_score),
        model_version: s.model_version.clone(),
    };
    let mut parts = Vec::new();
    let baseline = match earlier_by_new {
        Some(rescored) if from.model_version != to.model_version => {
            parts.push(Part {
                kind: PartKind::Model,
                feature: None,
                delta: rescored.margin - from.margin,
                text: format!("Model {} → {}", from.model_version, to.model_version),
            });
            rescored
        }
        _ => from,
    };
    let (Some(before), Some(after)) = (&baseline.contributions, &to.contributions) else {
        let id = if baseline.contributions.is_none() { from_id } else { to_id };
        return Err(Unexplained(id.to_string()));
    };
    let mut features: Vec<Part> = after
        .iter()
        .map(|a| {
            let b = before.iter().find(|b| b.feature == a.feature);
            let delta = a.shap - b.map_or(0.0, |b| b.shap);
            let old = b.map_or(&FeatureValue::Missing, |b| &b.value);
            let text = describe(definition(&to.model_version, &a.feature), a, old);
            Part { kind: PartKind::Feature, feature: Some(a.feature.clone()), delta, text }
        })
        .filter(|p| p.delta != 0.0)
        .collect();
    features.sort_by(|a, b| b.delta.abs().total_cmp(&a.delta.abs()));
    parts.extend(features);
    let rounding = rounding_gap(to) - rounding_gap(baseline);
    if rounding != 0.0 {
        parts.push(Part {
            kind: PartKind::Model,
            feature: None,
            delta: rounding,
            text: "Float32 rounding: XGBoost adds up its trees in 32 bits (the SHAP values are exact)".into(),
        });
    }
    Ok(Changes { from: end(from_id, from), to: end(to_id, to), parts })
}

/// How far XGBoost's f32 margin lies from the exact sum SHAP explains:
/// `margin − (base value + Σ SHAP)`.
fn rounding_gap(score: &Score) -> f64 {
    let shap: f64 = score.contributions.iter().flatten().map(|c| c.shap).sum();
    score.margin - (score.base_value.unwrap_or_default() + shap)
}

/// What changed about one feature, in its own words: the value's move, or
/// — when the value reads the same — that its effect moved with the others
/// (trees share splits: one feature's SHAP value depends on the rest).
fn describe(definition: Option<&FeatureDef>, now: &Contribution, before: &FeatureValue) -> String {
    let (old, new) = (model_value(before), model_value(&now.value));
    let moved = match definition {
        Some(def) => def.change(&old, &new),
        None => Wording::plain(&now.feature, "").change(&old, &new, Matching::Exact),
    };
    moved.unwrap_or_else(|| {
        let label =
            definition.map_or_else(|| guest_model::wording::label_of(&now.feature), |d| d.wording.label.to_string());
        let shown = definition.map_or_else(
            || Wording::plain(&now.feature, "").display_value(&new, Matching::Exact),
            |d| d.display_value(&new),
        );
        format!("{label} unchanged ({shown}): its effect moved with the lead's other changes")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use guest_model::model::Band;

    fn score(version: &str, base: f64, shap: &[(&str, f64, f64)]) -> Score {
        let contributions: Vec<Contribution> = shap
            .iter()
            .map(|(f, v, s)| Contribution {
                feature: f.to_string(),
                value: FeatureValue::Number(*v),
                shap: *s,
                label: None,
                display: None,
                field: None,
            })
            .collect();
        Score {
            lead_id: "l".into(),
            final_score: 50,
            probability: 0.1,
            band: Band::Warm,
            confidence: 1.0,
            data_completeness: None,
            base_rate: None,
            vs_base_rate: None,
            notes: Vec::new(),
            // As XGBoost reports it: summed in f32.
            margin: f64::from((base + contributions.iter().map(|c| c.shap).sum::<f64>()) as f32),
            base_value: Some(base),
            contributions: Some(contributions),
            feature_importance: None,
            reasons: None,
            explanation_unavailable: None,
            model_version: version.into(),
        }
    }

    fn total(c: &Changes) -> f64 {
        c.parts.iter().map(|p| p.delta).sum()
    }

    #[test]
    fn the_same_version_splits_the_change_by_feature_exactly() {
        let from = score("v12", -3.0, &[("pricing_views_7d", 2.0, 0.3), ("employees", 50.0, -0.2)]);
        let to = score("v12", -3.0, &[("pricing_views_7d", 5.0, 0.9), ("employees", 50.0, -0.25)]);
        let c = changes(("a", &from), ("b", &to), None, |_, _| None).unwrap();
        assert!((total(&c) - (to.margin - from.margin)).abs() < 1e-12);
        assert_eq!(c.parts[0].feature.as_deref(), Some("pricing_views_7d"));
        let rounding = c.parts.last().unwrap();
        assert!(rounding.kind == PartKind::Model && rounding.delta.abs() < 1e-6, "{rounding:?}");
        assert_eq!(c.parts[0].text, "Pricing views 7d: 2 → 5 (+3)");
        assert!(c.parts[1].text.starts_with("Employees unchanged (50)"), "{}", c.parts[1].text);
        assert!(c.parts[..c.parts.len() - 1].iter().all(|p| p.kind == PartKind::Feature));
    }

    #[test]
    fn a_version_change_is_split_into_the_model_and_the_lead() {
        let from = score("v11", -2.0, &[("visits", 1.0, 0.1)]);
        let earlier_by_new = score("v12", -3.0, &[("visits", 1.0, 0.4)]);
        let to = score("v12", -3.0, &[("visits", 4.0, 1.1)]);
        let c = changes(("a", &from), ("b", &to), Some(&earlier_by_new), |_, _| None).unwrap();
        assert_eq!(c.parts[0].kind, PartKind::Model);
        assert_eq!(c.parts[0].text, "Model v11 → v12");
        assert!((c.parts[0].delta - (earlier_by_new.margin - from.margin)).abs() < 1e-12);
        assert!((total(&c) - (to.margin - from.margin)).abs() < 1e-12);
    }

    #[test]
    fn a_scoring_without_explanation_cannot_be_split() {
        let from = Score { contributions: None, ..score("v12", -3.0, &[]) };
        let to = score("v12", -3.0, &[("visits", 4.0, 1.1)]);
        assert_eq!(changes(("a", &from), ("b", &to), None, |_, _| None).unwrap_err().0, "a");
    }
}

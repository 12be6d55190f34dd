//! Drift: are today's leads still the population the model was trained on?
//! The manifest carries each feature's training distribution (`reference`,
//! written by `models/training/`); the population stability index compares
//! the features logged for recent leads with it, feature by feature and for
//! the score.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::stats;

/// The training distribution a model version ships with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Training rows it was computed from.
    pub rows: u64,
    /// One entry per model feature.
    pub features: Vec<FeatureReference>,
}

/// One feature's training distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureReference {
    /// The feature.
    pub name: String,
    /// Numeric: the upper edges of every bin but the last, so the bins are
    /// (−∞, e0], (e0, e1], …, (e_last, ∞) (training deciles, ties merged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
    /// Categorical: the categories; a last bin holds any other value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// Share of training rows in each bin.
    pub shares: Vec<f64>,
    /// Share of training rows without a value.
    pub missing: f64,
}

impl FeatureReference {
    /// The bin of a logged value (the last bin holds missing values); `None`
    /// for a value of the wrong kind.
    fn bin(&self, value: &Value) -> Option<usize> {
        match (value, &self.categories) {
            (Value::Null, _) => Some(self.shares.len()),
            (Value::String(category), Some(categories)) => {
                Some(categories.iter().position(|c| c == category).unwrap_or(categories.len()))
            }
            (Value::Number(n), None) => {
                // Features are float32: compare the float32 the model saw.
                let v = f64::from(n.as_f64()? as f32);
                Some(self.edges.partition_point(|edge| *edge < v))
            }
            _ => None,
        }
    }

    /// The expected shares of every bin, the missing bin last.
    fn expected(&self) -> Vec<f64> {
        self.shares.iter().copied().chain([self.missing]).collect()
    }

    /// What is inconsistent, naming the feature.
    pub fn check(&self) -> Result<(), String> {
        let bins = match &self.categories {
            Some(categories) => categories.len() + 1,
            None => self.edges.len() + 1,
        };
        if self.shares.len() != bins {
            return Err(format!("reference of {}: {} shares for {bins} bins", self.name, self.shares.len()));
        }
        let total: f64 = self.shares.iter().sum::<f64>() + self.missing;
        if (total - 1.0).abs() > 1e-3 {
            return Err(format!("reference of {}: shares add up to {total}, not 1", self.name));
        }
        Ok(())
    }
}

/// Leads needed before drift can raise an alert: PSI over a handful of
/// leads is noise.
pub const MIN_LEADS_FOR_ALERT: usize = 100;

/// One feature's drift.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeatureDrift {
    /// The feature.
    pub feature: String,
    /// Population stability index against training.
    pub psi: f64,
    /// Above the tenant's threshold.
    pub alert: bool,
}

/// Drift of one version's recent inputs and scores.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DriftReport {
    /// The version whose training population is the reference.
    pub version: String,
    /// The recent window compared (days).
    pub window_days: u32,
    /// Leads it scored in the window.
    pub leads: usize,
    /// The tenant's PSI threshold.
    pub threshold: f64,
    /// Leads needed before a PSI above the threshold is an alert.
    pub min_leads: usize,
    /// Any PSI above the threshold, with at least `min_leads` leads.
    pub alert: bool,
    /// The score's PSI is above the threshold, with at least `min_leads` leads.
    pub score_alert: bool,
    /// PSI of the score (training scores are uniform: the score is the
    /// percentile among the training population).
    pub score_psi: Option<f64>,
    /// Per feature, largest PSI first.
    pub features: Vec<FeatureDrift>,
}

/// Compares recent inferences — (logged `{feature: value}`, score) — with
/// the reference.
pub fn drift(
    reference: &Reference,
    version: &str,
    window_days: u32,
    threshold: f64,
    recent: &[(Value, i64)],
) -> DriftReport {
    let enough = recent.len() >= MIN_LEADS_FOR_ALERT;
    let mut features: Vec<FeatureDrift> = reference
        .features
        .iter()
        .filter_map(|f| {
            let mut counts = vec![0u64; f.shares.len() + 1];
            for (logged, _) in recent {
                if let Some(bin) = logged.get(&f.name).and_then(|v| f.bin(v)) {
                    counts[bin] += 1;
                }
            }
            let psi = stats::psi(&f.expected(), &counts)?;
            Some(FeatureDrift { feature: f.name.clone(), psi, alert: enough && psi > threshold })
        })
        .collect();
    features.sort_by(|a, b| b.psi.total_cmp(&a.psi));
    let mut deciles = vec![0u64; 10];
    for (_, score) in recent {
        deciles[(*score / 10).clamp(0, 9) as usize] += 1;
    }
    let score_psi = stats::psi(&[0.1; 10], &deciles);
    let score_alert = enough && score_psi.is_some_and(|p| p > threshold);
    DriftReport {
        version: version.to_string(),
        window_days,
        leads: recent.len(),
        threshold,
        min_leads: MIN_LEADS_FOR_ALERT,
        alert: score_alert || features.iter().any(|f| f.alert),
        score_alert,
        score_psi,
        features,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reference() -> Reference {
        Reference {
            rows: 1000,
            features: vec![
                FeatureReference {
                    name: "visits".into(),
                    edges: vec![0.0, 2.0],
                    categories: None,
                    shares: vec![0.4, 0.3, 0.2],
                    missing: 0.1,
                },
                FeatureReference {
                    name: "industry".into(),
                    edges: vec![],
                    categories: Some(vec!["saas".into(), "retail".into()]),
                    shares: vec![0.5, 0.5, 0.0],
                    missing: 0.0,
                },
            ],
        }
    }

    #[test]
    fn values_fall_in_right_closed_bins() {
        let visits = &reference().features[0];
        assert_eq!(visits.bin(&json!(0.0)), Some(0));
        assert_eq!(visits.bin(&json!(1.5)), Some(1));
        assert_eq!(visits.bin(&json!(2.0)), Some(1));
        assert_eq!(visits.bin(&json!(7)), Some(2));
        assert_eq!(visits.bin(&Value::Null), Some(3));
        assert_eq!(visits.bin(&json!("saas")), None);
        let industry = &reference().features[1];
        assert_eq!(industry.bin(&json!("retail")), Some(1));
        assert_eq!(industry.bin(&json!("mining")), Some(2));
        assert!(visits.check().is_ok() && industry.check().is_ok());
    }

    #[test]
    fn the_training_population_does_not_drift_and_a_shifted_one_does() {
        let same: Vec<(Value, i64)> = (0..1000)
            .map(|i| {
                let visits = match i % 10 {
                    0..4 => json!(0),
                    4..7 => json!(1),
                    7..9 => json!(5),
                    _ => Value::Null,
                };
                (json!({"visits": visits, "industry": if i % 2 == 0 { "saas" } else { "retail" }}), i % 100)
            })
            .collect();
        let report = drift(&reference(), "v12", 7, 0.2, &same);
        assert!(!report.alert, "{report:?}");
        assert!(report.features.iter().all(|f| f.psi < 0.01) && report.score_psi.unwrap() < 0.01);

        let shifted: Vec<(Value, i64)> =
            (0..1000).map(|i| (json!({"visits": 9, "industry": "mining"}), 90 + i % 10)).collect();
        let report = drift(&reference(), "v12", 7, 0.2, &shifted);
        assert!(report.alert);
        assert!(report.features.iter().all(|f| f.alert) && report.score_psi.unwrap() > 1.0);
        let few = drift(&reference(), "v12", 7, 0.2, &shifted[..10]);
        assert!(!few.alert, "too few leads to alert");
    }
}

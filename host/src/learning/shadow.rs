//! `GET /reports/shadow`: a candidate version scores live traffic beside
//! the active one without being shown; this compares the two on the same
//! leads, and on the outcomes that have arrived for them.

use serde::Serialize;

use super::stats;

/// One lead scored by both versions.
#[derive(Clone, Debug)]
pub struct ShadowPair {
    /// The active version's (score, probability, band).
    pub active: (i64, f64, String),
    /// The shadow version's.
    pub shadow: (i64, f64, String),
    /// won, lost or disqualified; `None` while open.
    pub outcome: Option<String>,
}

/// How well one version did on the compared leads.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionMetrics {
    /// ROC-AUC on leads with an outcome.
    pub auc: Option<f64>,
    /// Brier score of its probabilities on them.
    pub brier: Option<f64>,
    /// Mean score over all compared leads.
    pub mean_score: Option<f64>,
}

/// The comparison.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShadowReport {
    /// The active version.
    pub active: String,
    /// The shadow version (none set: nothing to compare).
    pub shadow: Option<String>,
    /// Leads scored by both.
    pub leads: usize,
    /// ...with an outcome.
    pub decided: usize,
    /// The active version on them.
    pub active_metrics: VersionMetrics,
    /// The shadow version on them.
    pub shadow_metrics: VersionMetrics,
    /// Share of leads both put in the same band.
    pub band_agreement: Option<f64>,
    /// Mean |active score − shadow score|.
    pub mean_abs_score_diff: Option<f64>,
}

fn metrics<'a>(scored: impl Iterator<Item = (&'a (i64, f64, String), &'a Option<String>)>) -> VersionMetrics {
    let (mut scores, mut decided) = (Vec::new(), Vec::new());
    for ((score, probability, _), outcome) in scored {
        scores.push(*score as f64);
        if let Some(outcome) = outcome {
            decided.push((*score as f64, *probability, outcome == "won"));
        }
    }
    let by_score: Vec<(f64, bool)> = decided.iter().map(|d| (d.0, d.2)).collect();
    let by_probability: Vec<(f64, bool)> = decided.iter().map(|d| (d.1, d.2)).collect();
    VersionMetrics {
        auc: stats::auc(&by_score),
        brier: stats::brier(&by_probability),
        mean_score: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
    }
}

/// Compares `active` and `shadow` on the leads both scored.
pub fn compare(active: &str, shadow: Option<&str>, pairs: &[ShadowPair]) -> ShadowReport {
    let n = pairs.len() as f64;
    let share = |count: usize| (!pairs.is_empty()).then(|| count as f64 / n);
    ShadowReport {
        active: active.to_string(),
        shadow: shadow.map(String::from),
        leads: pairs.len(),
        decided: pairs.iter().filter(|p| p.outcome.is_some()).count(),
        active_metrics: metrics(pairs.iter().map(|p| (&p.active, &p.outcome))),
        shadow_metrics: metrics(pairs.iter().map(|p| (&p.shadow, &p.outcome))),
        band_agreement: share(pairs.iter().filter(|p| p.active.2 == p.shadow.2).count()),
        mean_abs_score_diff: (!pairs.is_empty())
            .then(|| pairs.iter().map(|p| (p.active.0 - p.shadow.0).abs() as f64).sum::<f64>() / n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(active: i64, shadow: i64, outcome: Option<&str>) -> ShadowPair {
        let band = |s: i64| {
            if s > 80 {
                "hot"
            } else if s < 40 {
                "cold"
            } else {
                "warm"
            }
            .to_string()
        };
        ShadowPair {
            active: (active, active as f64 / 100.0, band(active)),
            shadow: (shadow, shadow as f64 / 100.0, band(shadow)),
            outcome: outcome.map(String::from),
        }
    }

    #[test]
    fn a_better_ranking_shadow_shows_a_higher_auc() {
        let pairs =
            [pair(90, 95, Some("won")), pair(95, 20, Some("lost")), pair(50, 45, None), pair(30, 10, Some("lost"))];
        let report = compare("v12", Some("v13"), &pairs);
        assert_eq!((report.leads, report.decided), (4, 3));
        assert_eq!(report.active_metrics.auc, Some(0.5));
        assert_eq!(report.shadow_metrics.auc, Some(1.0));
        assert_eq!(report.band_agreement, Some(0.75));
        assert_eq!(report.mean_abs_score_diff, Some((5 + 75 + 5 + 20) as f64 / 4.0));
        let empty = compare("v12", None, &[]);
        assert_eq!((empty.leads, empty.band_agreement, empty.active_metrics.mean_score), (0, None, None));
    }
}

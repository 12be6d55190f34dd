//! The statistics of the learning loop's reports: intervals for win rates
//! and their ratio, ROC-AUC, calibration and the population stability index.

use serde::Serialize;

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `won` out of `n` (95 %); `None` when `n` is 0.
/// Unlike the normal approximation it stays inside [0, 1] and behaves at 0 and n.
pub fn wilson(won: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (k, n) = (won as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Lift = (k1/n1) / (k2/n2) − 1 with its 95 % interval by the Katz log
/// method (the ratio's logarithm is close to normal); `None` unless both
/// groups have at least one win.
pub fn lift(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<(f64, (f64, f64))> {
    if k1 == 0 || k2 == 0 || n1 == 0 || n2 == 0 {
        return None;
    }
    let (k1, n1, k2, n2) = (k1 as f64, n1 as f64, k2 as f64, n2 as f64);
    let ratio = (k1 / n1) / (k2 / n2);
    let se = (1.0 / k1 - 1.0 / n1 + 1.0 / k2 - 1.0 / n2).max(0.0).sqrt();
    let (lo, hi) = (ratio.ln() - Z95 * se, ratio.ln() + Z95 * se);
    Some((ratio - 1.0, (lo.exp() - 1.0, hi.exp() - 1.0)))
}

/// ROC-AUC of `score` for telling `positive` cases from the rest: the chance
/// that a random positive outscores a random negative (ties count half).
/// `None` unless there is at least one of each.
pub fn auc(cases: &[(f64, bool)]) -> Option<f64> {
    let positives = cases.iter().filter(|c| c.1).count();
    let negatives = cases.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = cases.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Mann–Whitney: the sum of the positives' ranks, tied scores sharing the mean rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mean_rank * sorted[i..j].iter().filter(|c| c.1).count() as f64;
        i = j;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// The mean squared error of predicted probabilities; `None` for no cases.
pub fn brier(cases: &[(f64, bool)]) -> Option<f64> {
    if cases.is_empty() {
        return None;
    }
    Some(cases.iter().map(|(p, y)| (p - f64::from(u8::from(*y))).powi(2)).sum::<f64>() / cases.len() as f64)
}

/// One bin of a calibration curve.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CalibrationBin {
    /// Mean predicted probability.
    pub predicted: f64,
    /// Share that was won.
    pub observed: f64,
    /// Leads in the bin.
    pub leads: usize,
}

/// Predicted against observed in (up to) `bins` bins of equal count, by
/// predicted probability: conversion is rare, so equal-width bins would
/// leave all but the first nearly empty.
pub fn calibration(cases: &[(f64, bool)], bins: usize) -> Vec<CalibrationBin> {
    let mut sorted = cases.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bins = bins.clamp(1, sorted.len().max(1));
    (0..bins)
        .map(|b| &sorted[b * sorted.len() / bins..(b + 1) * sorted.len() / bins])
        .filter(|bin| !bin.is_empty())
        .map(|bin| CalibrationBin {
            predicted: bin.iter().map(|c| c.0).sum::<f64>() / bin.len() as f64,
            observed: bin.iter().filter(|c| c.1).count() as f64 / bin.len() as f64,
            leads: bin.len(),
        })
        .collect()
}

/// The median; `None` for no values.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// A share the PSI treats as the smallest possible (an empty bin would make it infinite).
const PSI_FLOOR: f64 = 1e-4;

/// The population stability index of `actual` bin counts against
/// `expected` bin shares: Σ (a − e) · ln(a / e). Below 0.1 is usually read as
/// stable, 0.1–0.2 as a shift worth watching, above 0.2 as drift.
/// `None` when there are no actual cases.
pub fn psi(expected: &[f64], actual: &[u64]) -> Option<f64> {
    let total: u64 = actual.iter().sum();
    if total == 0 || expected.len() != actual.len() {
        return None;
    }
    Some(
        expected
            .iter()
            .zip(actual)
            .map(|(&e, &a)| {
                let (e, a) = (e.max(PSI_FLOOR), (a as f64 / total as f64).max(PSI_FLOOR));
                (a - e) * (a / e).ln()
            })
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn wilson_matches_published_values() {
        // 81 of 263: 0.2553–0.3662 (Newcombe 1998, the Wilson row).
        let (lo, hi) = wilson(81, 263).unwrap();
        assert!(close(lo, 0.2553, 5e-4) && close(hi, 0.3662, 5e-4), "{lo} {hi}");
        let (lo, hi) = wilson(0, 10).unwrap();
        assert!(lo == 0.0 && close(hi, 0.2775, 5e-4), "{lo} {hi}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn lift_interval_contains_the_ratio_and_narrows_with_data() {
        let (lift_small, (lo_small, hi_small)) = lift(30, 100, 20, 100).unwrap();
        assert!(close(lift_small, 0.5, 1e-12));
        assert!(lo_small < 0.5 && 0.5 < hi_small);
        let (_, (lo_big, hi_big)) = lift(3000, 10000, 2000, 10000).unwrap();
        assert!(hi_big - lo_big < (hi_small - lo_small) / 5.0);
        assert_eq!(lift(0, 100, 20, 100), None);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[(0.9, true), (0.1, false)]), Some(1.0));
        assert_eq!(auc(&[(0.1, true), (0.9, false)]), Some(0.0));
        assert_eq!(auc(&[(0.5, true), (0.5, false)]), Some(0.5));
        // 2 positives × 2 negatives: pairs won 1, 1, 1, 0.5 of 4.
        assert_eq!(auc(&[(0.8, true), (0.4, true), (0.4, false), (0.2, false)]), Some(0.875));
        assert_eq!(auc(&[(0.8, true)]), None);
    }

    #[test]
    fn calibration_bins_have_equal_counts() {
        let cases: Vec<(f64, bool)> = (0..100).map(|i| (i as f64 / 100.0, i % 10 == 0)).collect();
        let bins = calibration(&cases, 4);
        assert_eq!(bins.iter().map(|b| b.leads).collect::<Vec<_>>(), [25, 25, 25, 25]);
        assert!(close(bins[0].predicted, 0.12, 1e-12));
        assert_eq!(calibration(&[], 10), vec![]);
        assert_eq!(brier(&[(1.0, true), (0.0, true)]), Some(0.5));
    }

    #[test]
    fn psi_is_zero_for_the_same_population_and_grows_with_shift() {
        assert!(close(psi(&[0.5, 0.5], &[50, 50]).unwrap(), 0.0, 1e-12));
        let small = psi(&[0.5, 0.5], &[60, 40]).unwrap();
        let large = psi(&[0.5, 0.5], &[90, 10]).unwrap();
        assert!(small > 0.0 && large > small);
        assert!(close(small, 0.1 * (0.6f64 / 0.4).ln(), 1e-12));
        assert_eq!(psi(&[1.0], &[0]), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }
}

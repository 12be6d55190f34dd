//! The statistics of the learning loop's reports: intervals for win rates
//! and their ratio, ROC-AUC and DeLong's paired comparison of two, calibration
//! and the population stability index.

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

/// Two scorings of the same cases compared by ROC-AUC, with DeLong's
/// variance of the difference (DeLong, DeLong & Clarke-Pearson 1988,
/// "Comparing the areas under two or more correlated ROC curves"). Paired:
/// both scored the same leads, so what they share cancels and the
/// difference is far more certain than either AUC alone.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairedAuc {
    /// AUC of the first scoring (`a`).
    pub auc_a: f64,
    /// AUC of the second (`b`).
    pub auc_b: f64,
    /// Standard error of `auc_b − auc_a`.
    pub se_difference: f64,
    /// Positive and negative cases.
    pub positives: usize,
    /// ...
    pub negatives: usize,
}

impl PairedAuc {
    /// The lower end of the one-sided `confidence` interval of `auc_b − auc_a`:
    /// above −tolerance, `b` is not worse than `a` by more than the tolerance.
    pub fn lower_bound(&self, confidence: f64) -> f64 {
        self.auc_b - self.auc_a - normal_quantile(confidence) * self.se_difference
    }
}

/// DeLong's comparison of scores `a` and `b` given to the same cases
/// (`labels[i]`: case i is positive). `None` unless there are at least two
/// of each (the variance needs them) and the lengths agree.
pub fn delong(a: &[f64], b: &[f64], labels: &[bool]) -> Option<PairedAuc> {
    if a.len() != labels.len() || b.len() != labels.len() {
        return None;
    }
    let positives: Vec<usize> = (0..labels.len()).filter(|&i| labels[i]).collect();
    let negatives: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i]).collect();
    let (m, n) = (positives.len(), negatives.len());
    if m < 2 || n < 2 {
        return None;
    }
    // Structural components: V10[i] is how often positive i outscores the
    // negatives, V01[j] how often negative j is outscored (ties count half).
    let components = |scores: &[f64]| {
        let negative_scores: Vec<f64> = negatives.iter().map(|&j| scores[j]).collect();
        let positive_scores: Vec<f64> = positives.iter().map(|&i| scores[i]).collect();
        let placement = |x: f64, against: &[f64], above: bool| {
            // Share of `against` that x beats (above) or that beats x.
            let wins: f64 = against
                .iter()
                .map(|&y| match x.total_cmp(&y) {
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Greater => f64::from(u8::from(above)),
                    std::cmp::Ordering::Less => f64::from(u8::from(!above)),
                })
                .sum();
            wins / against.len() as f64
        };
        let v10: Vec<f64> = positive_scores.iter().map(|&x| placement(x, &negative_scores, true)).collect();
        let v01: Vec<f64> = negative_scores.iter().map(|&y| placement(y, &positive_scores, false)).collect();
        (v10, v01)
    };
    let ((a10, a01), (b10, b01)) = (components(a), components(b));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let covariance = |x: &[f64], y: &[f64]| {
        let (mx, my) = (mean(x), mean(y));
        x.iter().zip(y).map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / (x.len() - 1) as f64
    };
    let variance = (covariance(&a10, &a10) + covariance(&b10, &b10) - 2.0 * covariance(&a10, &b10)) / m as f64
        + (covariance(&a01, &a01) + covariance(&b01, &b01) - 2.0 * covariance(&a01, &b01)) / n as f64;
    Some(PairedAuc {
        auc_a: mean(&a10),
        auc_b: mean(&b10),
        se_difference: variance.max(0.0).sqrt(),
        positives: m,
        negatives: n,
    })
}

/// The standard normal quantile (inverse CDF) at `p` in (0, 1), by Acklam's
/// rational approximation (relative error below 1.2e-9); ±∞ at 0 and 1.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const LOW: f64 = 0.024_25;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
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
    fn normal_quantile_matches_tables() {
        assert!(close(normal_quantile(0.975), Z95, 1e-8));
        assert!(close(normal_quantile(0.95), 1.644_853_626_951_472_2, 1e-8));
        assert!(close(normal_quantile(0.5), 0.0, 1e-12));
        assert!(close(normal_quantile(0.01), -2.326_347_874_040_841, 1e-8));
    }

    #[test]
    fn delong_agrees_with_the_mann_whitney_auc_and_pairs_the_cases() {
        let labels = [true, true, true, false, false, false, false, true, false, false];
        let a = [0.9, 0.8, 0.4, 0.5, 0.3, 0.2, 0.1, 0.7, 0.6, 0.35];
        let b = [0.7, 0.9, 0.2, 0.5, 0.3, 0.1, 0.4, 0.6, 0.8, 0.3];
        let paired = delong(&a, &b, &labels).unwrap();
        let by = |s: &[f64]| auc(&s.iter().zip(labels).map(|(&x, y)| (x, y)).collect::<Vec<_>>()).unwrap();
        assert!(close(paired.auc_a, by(&a), 1e-12) && close(paired.auc_b, by(&b), 1e-12));
        assert!(paired.se_difference > 0.0);
        // The same scores twice: no difference and no doubt about it.
        let same = delong(&a, &a, &labels).unwrap();
        assert_eq!((same.auc_a - same.auc_b, same.se_difference), (0.0, 0.0));
        // Counted by hand: a ranks 22 of the 24 (positive, negative) pairs
        // right, b 17. The paper's covariance sums, written out in plain
        // Python over these ten cases, give a standard error of 0.129993.
        assert!(close(paired.auc_a, 22.0 / 24.0, 1e-12) && close(paired.auc_b, 17.0 / 24.0, 1e-12));
        assert!(close(paired.se_difference, 0.129_992_877, 1e-8), "{}", paired.se_difference);
        assert_eq!(delong(&a, &b, &labels[..9]), None);
        assert_eq!(delong(&[0.1, 0.2], &[0.1, 0.2], &[true, false]), None);
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

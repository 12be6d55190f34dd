//! Both explainers against brute-force Shapley values on small random trees,
//! and against each other on larger ones.

use super::*;
use crate::testing::{Rng, random_ensemble, random_row};

/// Path-dependent conditional expectation E[f(x) | x_S] of one tree: features
/// in S follow x, the others split by cover (the quantity TreeSHAP explains).
fn expected_given(e: &Ensemble, node: usize, x: &[f32], known: u32) -> f64 {
    let n = &e.nodes[node];
    if n.is_leaf() {
        return n.value as f64;
    }
    if known & (1 << n.feature) != 0 {
        return expected_given(e, e.next(n, x[n.feature as usize]) as usize, x, known);
    }
    let (l, r) = (n.left as usize, n.right as usize);
    (expected_given(e, l, x, known) * e.nodes[l].cover as f64
        + expected_given(e, r, x, known) * e.nodes[r].cover as f64)
        / n.cover as f64
}

/// Shapley values by definition: every subset of the other features.
fn brute_force(e: &Ensemble, x: &[f32]) -> Vec<f64> {
    let m = e.num_features as usize;
    let value = |set: u32| -> f64 { (0..e.num_trees()).map(|t| expected_given(e, e.roots[t] as usize, x, set)).sum() };
    let factorial = |k: usize| (1..=k).map(|v| v as f64).product::<f64>();
    (0..m)
        .map(|i| {
            (0u32..1 << m)
                .filter(|s| s & (1 << i) == 0)
                .map(|s| {
                    let size = s.count_ones() as usize;
                    let weight = factorial(size) * factorial(m - size - 1) / factorial(m);
                    weight * (value(s | 1 << i) - value(s))
                })
                .sum()
        })
        .collect()
}

fn fast(e: &Ensemble, x: &[f32]) -> Vec<f64> {
    let mut phi = vec![0.0; e.num_features as usize];
    Explainer::new(e.clone()).shap_values(x, &mut phi, &mut Scratch::default());
    phi
}

fn reference(e: &Ensemble, x: &[f32]) -> Vec<f64> {
    let mut phi = vec![0.0; e.num_features as usize];
    reference::shap_values(e, x, &mut phi);
    phi
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}: feature {i}: {g} vs {w}\n got {got:?}\nwant {want:?}");
    }
}

#[test]
fn both_explainers_match_brute_force_shapley_values() {
    let mut rng = Rng::new(11);
    for case in 0..300 {
        let features = 1 + case % 10;
        let depth = 1 + case % 7;
        let e = random_ensemble(&mut rng, features, 1 + case % 4, depth);
        let x = random_row(&mut rng, features);
        let exact = brute_force(&e, &x);
        assert_close(&format!("reference, case {case}"), &reference(&e, &x), &exact, 1e-9);
        assert_close(&format!("fast, case {case}"), &fast(&e, &x), &exact, 2e-5);
    }
}

#[test]
fn fast_matches_reference_on_deep_trees_with_repeated_features() {
    let mut rng = Rng::new(5);
    for case in 0..40 {
        let features = 2 + case % 20;
        let e = random_ensemble(&mut rng, features, 5, 4 + case % 14);
        let x = random_row(&mut rng, features);
        assert_close(&format!("case {case}"), &fast(&e, &x), &reference(&e, &x), 1e-4);
    }
}

#[test]
fn base_value_plus_shap_values_is_the_margin() {
    let mut rng = Rng::new(3);
    for case in 0..100 {
        let features = 1 + case % 12;
        let explainer = Explainer::new(random_ensemble(&mut rng, features, 8, 1 + case % 9));
        let e = explainer.ensemble();
        let x = random_row(&mut rng, features);
        let total = explainer.base_value() + fast(e, &x).iter().sum::<f64>();
        let margin = e.predict_margin(&x) as f64;
        assert!((total - margin).abs() < 1e-4 * (1.0 + margin.abs()), "case {case}: {total} vs {margin}");
    }
}

#[test]
fn rows_explained_together_match_rows_explained_alone() {
    let mut rng = Rng::new(17);
    for case in 0..30 {
        let features = 1 + case % 9;
        let explainer = Explainer::new(random_ensemble(&mut rng, features, 6, 2 + case % 8));
        let rows: Vec<Vec<f32>> = (0..1 + case % 11).map(|_| random_row(&mut rng, features)).collect();
        let mut together = vec![vec![0.0; features]; rows.len()];
        let row_refs: Vec<&[f32]> = rows.iter().map(|r| r.as_slice()).collect();
        let mut outs: Vec<&mut [f64]> = together.iter_mut().map(|p| p.as_mut_slice()).collect();
        explainer.shap_values_batch(&row_refs, &mut outs, &mut Scratch::default());
        for (row, phi) in rows.iter().zip(&together) {
            assert_close(&format!("case {case}"), phi, &reference(explainer.ensemble(), row), 1e-4);
        }
    }
}

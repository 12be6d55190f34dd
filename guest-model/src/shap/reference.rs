//! The reference explainer: path-dependent TreeSHAP as published (Lundberg
//! et al. 2020, Algorithm 2) and as XGBoost implements it for
//! `pred_contribs=True`. O(L·D²) per tree. Kept because it is the textbook
//! algorithm: the fast explainer is tested against it and against brute force.

use crate::tree::Ensemble;

#[derive(Clone, Copy, Debug)]
struct PathElement {
    feature: i64,
    zero_fraction: f64,
    one_fraction: f64,
    weight: f64,
}

/// Adds the path-dependent SHAP values of every tree for `x` into `phi`
/// (one slot per feature).
pub fn shap_values(ensemble: &Ensemble, x: &[f32], phi: &mut [f64]) {
    for tree in 0..ensemble.num_trees() {
        let path = Vec::new();
        let root = ensemble.roots[tree] as usize;
        recurse(ensemble, x, phi, root, &path, 1.0, 1.0, -1);
    }
}

fn extend(path: &mut Vec<PathElement>, zero_fraction: f64, one_fraction: f64, feature: i64) {
    let depth = path.len();
    path.push(PathElement { feature, zero_fraction, one_fraction, weight: if depth == 0 { 1.0 } else { 0.0 } });
    for i in (0..depth).rev() {
        path[i + 1].weight += one_fraction * path[i].weight * (i + 1) as f64 / (depth + 1) as f64;
        path[i].weight = zero_fraction * path[i].weight * (depth - i) as f64 / (depth + 1) as f64;
    }
}

fn unwind(path: &mut Vec<PathElement>, index: usize) {
    let depth = path.len() - 1;
    let PathElement { one_fraction, zero_fraction, .. } = path[index];
    let mut next_one_portion = path[depth].weight;
    for i in (0..depth).rev() {
        if one_fraction != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = next_one_portion * (depth + 1) as f64 / ((i + 1) as f64 * one_fraction);
            next_one_portion = tmp - path[i].weight * zero_fraction * (depth - i) as f64 / (depth + 1) as f64;
        } else {
            path[i].weight = path[i].weight * (depth + 1) as f64 / (zero_fraction * (depth - i) as f64);
        }
    }
    // Drop element `index`, keeping the weights where they are.
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
    path.pop();
}

fn unwound_sum(path: &[PathElement], index: usize) -> f64 {
    let depth = path.len() - 1;
    let PathElement { one_fraction, zero_fraction, .. } = path[index];
    let mut next_one_portion = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one_fraction != 0.0 {
            let tmp = next_one_portion * (depth + 1) as f64 / ((i + 1) as f64 * one_fraction);
            total += tmp;
            next_one_portion = path[i].weight - tmp * zero_fraction * ((depth - i) as f64 / (depth + 1) as f64);
        } else if zero_fraction != 0.0 {
            total += (path[i].weight / zero_fraction) / ((depth - i) as f64 / (depth + 1) as f64);
        }
    }
    total
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    e: &Ensemble,
    x: &[f32],
    phi: &mut [f64],
    node_index: usize,
    parent_path: &[PathElement],
    zero_fraction: f64,
    one_fraction: f64,
    feature: i64,
) {
    let mut path = parent_path.to_vec();
    extend(&mut path, zero_fraction, one_fraction, feature);
    let node = &e.nodes[node_index];
    if node.is_leaf() {
        for i in 1..path.len() {
            let w = unwound_sum(&path, i);
            let el = path[i];
            phi[el.feature as usize] += w * (el.one_fraction - el.zero_fraction) * node.value as f64;
        }
        return;
    }
    let hot = e.next(node, x[node.feature as usize]) as usize;
    let cold = if hot == node.left as usize { node.right as usize } else { node.left as usize };
    let cover = node.cover as f64;
    let hot_zero = e.nodes[hot].cover as f64 / cover;
    let cold_zero = e.nodes[cold].cover as f64 / cover;
    // A feature already on the path is undone here and redone with both splits combined.
    let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
    if let Some(i) = path.iter().position(|el| el.feature == node.feature as i64) {
        incoming_zero = path[i].zero_fraction;
        incoming_one = path[i].one_fraction;
        unwind(&mut path, i);
    }
    let f = node.feature as i64;
    recurse(e, x, phi, hot, &path, hot_zero * incoming_zero, incoming_one, f);
    recurse(e, x, phi, cold, &path, cold_zero * incoming_zero, 0.0, f);
}

//! Exact path-dependent SHAP values: what XGBoost's `pred_contribs=True` returns.
//!
//! Two implementations of the same quantity:
//! - [`reference`]: TreeSHAP as published (O(L·D²) per tree), kept as the oracle;
//! - [`Explainer`]: the default, an edge-based quadrature TreeSHAP.
//!
//! Why the quadrature algorithm (see `docs/benchmarks.md` for the figures):
//! a leaf's share of φ_j is v·(o_j - z_j)·∫₀¹ Π_{i≠j}(z_i + t(o_i - z_i)) dt,
//! with z the cover fractions and o whether x agrees with the path. Evaluated
//! at the n = ⌈D/2⌉ Gauss points this integral is exact, and the product
//! factorises along root-to-leaf paths: one downward pass (products above an
//! edge) and one upward pass (value-weighted sums below it) give every edge's
//! contribution in O(n) — O(nodes·D/2) per tree, no path copying, no
//! unwinding, no per-leaf loops (Linear TreeShap's idea, with quadrature
//! points instead of polynomial coefficients). The points run in four SIMD
//! lanes and every division is precomputed at build time.
//! A feature split twice on one path is handled exactly by telescoping: each
//! of its edges adds the change of (o - z)/(z + t(o - z)) it causes.
//! Missing values follow `default_left` through the same decision function
//! as prediction (FastTreeSHAP v2 gets this wrong; see DESIGN.md).

pub mod lanes;
pub mod quadrature;
pub mod reference;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use crate::tree::Ensemble;
use lanes::Lanes;

/// "No earlier edge on this feature".
pub const NO_EDGE: u32 = u32::MAX;

/// What the explainer knows about the edge from a node's parent to the node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// Cover fraction of this edge: cover(node) / cover(parent).
    pub zero: f32,
    /// Product of the cover fractions of every edge on this node's path that
    /// splits on the same feature, this one included.
    pub zero_through: f32,
    /// The previous edge on the path splitting on the same feature, or `NO_EDGE`.
    pub prev: u32,
}

impl Edge {
    /// An edge record (for baked tables).
    pub const fn new(zero: f32, zero_through: f32, prev: u32) -> Edge {
        Edge { zero, zero_through, prev }
    }
}

/// One block of four quadrature points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleBlock {
    /// Points t in [0, 1] (padding lanes: 0.5).
    pub t: Lanes,
    /// Weights (padding lanes: 0).
    pub weight: Lanes,
    /// 1 - t.
    pub one_minus_t: Lanes,
    /// 1 / (1 - t).
    pub inv_one_minus_t: Lanes,
}

/// The fast exact explainer, built once per ensemble (at model build time in
/// the component, so instances start with every table ready).
#[derive(Clone, Debug, PartialEq)]
pub struct Explainer {
    /// Per node (global index), the edge from its parent. Roots: unused.
    pub edges: Cow<'static, [Edge]>,
    /// Per node and rule block: 1 / (z* + t(1 - z*)), z* = `zero_through`.
    pub inv_hot: Cow<'static, [Lanes]>,
    /// The quadrature rule, in blocks of four points.
    pub rule: Cow<'static, [RuleBlock]>,
    /// SHAP's base value: the expected margin (XGBoost's bias column).
    pub base_value: f64,
}

/// Reusable buffers for [`Explainer::shap_values`].
#[derive(Default)]
pub struct Scratch {
    down: Vec<Lanes>,
    up: Vec<Lanes>,
    ratio: Vec<Lanes>,
    delta: Vec<Lanes>,
    agrees: Vec<bool>,
    phi: Vec<Lanes>,
    touched: Vec<u32>,
    is_touched: Vec<bool>,
}

impl Explainer {
    /// Precomputes the tables for `ensemble`.
    pub fn new(ensemble: &Ensemble) -> Explainer {
        let deepest = (0..ensemble.num_trees()).map(|t| ensemble.max_unique_path_features(t)).max().unwrap_or(0);
        let points = deepest.div_ceil(2).max(1);
        let rule = rule_blocks(points);
        let mut edges = vec![Edge { zero: 1.0, zero_through: 1.0, prev: NO_EDGE }; ensemble.nodes.len()];
        for tree in 0..ensemble.num_trees() {
            let mut last_edge_on = Vec::new();
            fill_edges(ensemble, ensemble.roots[tree], &mut last_edge_on, &mut edges);
        }
        let inv_hot = edges
            .iter()
            .flat_map(|edge| {
                let z = edge.zero_through;
                rule.iter().map(move |b| Lanes(std::array::from_fn(|k| 1.0 / (z + b.t.0[k] * (1.0 - z)))))
            })
            .collect();
        Explainer { edges: edges.into(), inv_hot, rule: rule.into(), base_value: ensemble.expected_margin() }
    }

    /// Adds every tree's SHAP values for `x` into `phi` (one slot per
    /// feature). Invariant: `base_value + Σ phi = margin(x)` up to rounding.
    pub fn shap_values(&self, ensemble: &Ensemble, x: &[f32], phi: &mut [f64], scratch: &mut Scratch) {
        let blocks = self.rule.len();
        scratch.phi.clear();
        scratch.phi.resize(ensemble.num_features as usize * blocks, Lanes::ZERO);
        scratch.is_touched.clear();
        scratch.is_touched.resize(ensemble.num_features as usize, false);
        for tree in 0..ensemble.num_trees() {
            self.tree_shap(ensemble, tree, x, scratch);
            for &f in &scratch.touched {
                let slots = &mut scratch.phi[f as usize * blocks..(f as usize + 1) * blocks];
                phi[f as usize] += slots.iter().map(|l| l.sum()).sum::<f64>();
                slots.fill(Lanes::ZERO);
                scratch.is_touched[f as usize] = false;
            }
        }
    }

    fn tree_shap(&self, e: &Ensemble, tree: usize, x: &[f32], s: &mut Scratch) {
        let range = e.tree_range(tree);
        let (first, len) = (range.start, range.len());
        let blocks = self.rule.len();
        for buffer in [&mut s.down, &mut s.up, &mut s.ratio, &mut s.delta] {
            buffer.clear();
            buffer.resize(len * blocks, Lanes::ZERO);
        }
        s.agrees.clear();
        s.agrees.resize(len, true);
        s.touched.clear();
        s.down[..blocks].fill(Lanes::ONE);

        // Down: the ratio each edge multiplies into its leaves' products, the
        // change it makes to (o - z)/(z + t(o - z)), and the running product.
        for i in range.clone() {
            let node = &e.nodes[i];
            if node.is_leaf() {
                continue;
            }
            let left_hot = e.goes_left(node, x[node.feature as usize]);
            for (child, hot) in [(node.left as usize, left_hot), (node.right as usize, !left_hot)] {
                self.edge_terms(first, i - first, child, hot, s);
            }
        }
        // Up: value-weighted sums below each node; each edge adds
        // Σ_k w_k Δ_k · down_k · up_k to its feature.
        for i in range.rev() {
            let node = &e.nodes[i];
            let at = (i - first) * blocks;
            if node.is_leaf() {
                s.up[at..at + blocks].fill(Lanes::splat(node.value));
                continue;
            }
            let (l, r) = ((node.left as usize - first) * blocks, (node.right as usize - first) * blocks);
            let slot = node.feature as usize * blocks;
            for b in 0..blocks {
                s.up[at + b] = s.ratio[l + b] * s.up[l + b] + s.ratio[r + b] * s.up[r + b];
                let through =
                    s.delta[l + b] * s.down[l + b] * s.up[l + b] + s.delta[r + b] * s.down[r + b] * s.up[r + b];
                s.phi[slot + b] = s.phi[slot + b] + through;
            }
            if !s.is_touched[node.feature as usize] {
                s.is_touched[node.feature as usize] = true;
                s.touched.push(node.feature);
            }
        }
    }

    /// Fills ratio, delta, agreement and the running product for the edge
    /// `parent → child` (`parent` relative to the tree's first node).
    #[inline(always)]
    fn edge_terms(&self, first: usize, parent: usize, child: usize, hot: bool, s: &mut Scratch) {
        let blocks = self.rule.len();
        let edge = self.edges[child];
        let c = child - first;
        let earlier = (edge.prev != NO_EDGE).then(|| edge.prev as usize);
        let earlier_agrees = earlier.is_none_or(|p| s.agrees[p - first]);
        s.agrees[c] = earlier_agrees && hot;
        for b in 0..blocks {
            let rule = &self.rule[b];
            let (ratio, delta) = if !earlier_agrees {
                // x already left this feature's path: the factor only scales.
                (Lanes::splat(edge.zero), Lanes::ZERO)
            } else {
                // 1 / a' and (1 - z') of the feature's factor before this edge.
                let (inv_before, one_minus_before) = match earlier {
                    Some(p) => (self.inv_hot[p * blocks + b], Lanes::splat(1.0 - self.edges[p].zero_through)),
                    None => (Lanes::ONE, Lanes::ZERO),
                };
                let z = Lanes::splat(edge.zero_through);
                let before = one_minus_before * inv_before;
                if hot {
                    let after = z + rule.t * (Lanes::ONE - z);
                    let change = (Lanes::ONE - z) * self.inv_hot[child * blocks + b] - before;
                    (after * inv_before, change)
                } else {
                    let after = z * rule.one_minus_t;
                    (after * inv_before, Lanes::ZERO - rule.inv_one_minus_t - before)
                }
            };
            s.ratio[c * blocks + b] = ratio;
            s.delta[c * blocks + b] = rule.weight * delta;
            s.down[c * blocks + b] = s.down[parent * blocks + b] * ratio;
        }
    }
}

fn fill_edges(e: &Ensemble, node: u32, last_edge_on: &mut Vec<(u32, u32)>, edges: &mut [Edge]) {
    let n = &e.nodes[node as usize];
    if n.is_leaf() {
        return;
    }
    for child in [n.left, n.right] {
        let zero = if n.cover > 0.0 { e.nodes[child as usize].cover / n.cover } else { 0.0 };
        let at = last_edge_on.iter().rposition(|&(f, _)| f == n.feature);
        let prev = at.map_or(NO_EDGE, |i| last_edge_on[i].1);
        let before = at.map_or(1.0, |_| edges[prev as usize].zero_through);
        edges[child as usize] = Edge { zero, zero_through: zero * before, prev };
        last_edge_on.push((n.feature, child));
        fill_edges(e, child, last_edge_on, edges);
        last_edge_on.pop();
    }
}

fn rule_blocks(points: usize) -> Vec<RuleBlock> {
    let rule = quadrature::gauss_legendre(points);
    rule.chunks(4)
        .map(|chunk| {
            let lane =
                |k: usize, f: &dyn Fn(f64, f64) -> f64, pad: f32| chunk.get(k).map_or(pad, |&(t, w)| f(t, w) as f32);
            let make = |f: &dyn Fn(f64, f64) -> f64, pad: f32| Lanes(std::array::from_fn(|k| lane(k, f, pad)));
            RuleBlock {
                t: make(&|t, _| t, 0.5),
                weight: make(&|_, w| w, 0.0),
                one_minus_t: make(&|t, _| 1.0 - t, 0.5),
                inv_one_minus_t: make(&|t, _| 1.0 / (1.0 - t), 2.0),
            }
        })
        .collect()
}

//! Exact path-dependent SHAP values: what XGBoost's `pred_contribs=True` returns.
//!
//! Two implementations of the same quantity:
//! - [`reference`]: TreeSHAP as published (O(L·D²) per tree), kept as the oracle;
//! - [`Explainer`]: the default, an edge-based quadrature TreeSHAP.
//!
//! Why this algorithm, by measurement (`make bench`, figures in
//! `docs/benchmarks.md`): on the 300-tree depth-6 benchmark model the
//! reference takes about 2.7 ms per row, like XGBoost's own `pred_contribs`;
//! this explainer about 60 µs. FastTreeSHAP v2 was ruled out: it needs
//! O(L·2^D) memory per tree baked into every component and returns wrong
//! values when features are missing (DESIGN.md); Linear TreeShap has the
//! same O(nodes·D) cost as this one but works on polynomial coefficients,
//! where the quadrature form needs only products at ⌈D/2⌉ fixed points.
//!
//! How it works: a leaf's share of φ_j is
//! v·(o_j - z_j)·∫₀¹ Π_{i≠j}(z_i + t(o_i - z_i)) dt, with z the cover
//! fractions and o whether x agrees with the path. At the n = ⌈D/2⌉
//! Gauss points this integral is exact, and the product factorises along
//! root-to-leaf paths: the product of edge ratios above an edge (`down`) and
//! the value-weighted sums below it (`up`) give every edge's contribution in
//! O(n) — O(nodes·D/2) per tree, no path copying, no unwinding, no per-leaf
//! loops. A feature split twice on one path is handled exactly by
//! telescoping: each of its edges adds the change of (o - z)/(z + t(o - z))
//! it causes. Missing values follow `default_left` through the same decision
//! function as prediction.
//!
//! Speed: TreeSHAP visits every node whatever the row, so eight rows share
//! one traversal, one per SIMD lane; only the hot/cold bits differ between
//! lanes (measured: 8 rows per pass beat 1, 4 and 16 natively, and 4 in the
//! component).
//! For a feature's first split on a path (the common case) the divisions
//! cancel; the others use inverses precomputed at build time.

pub mod lanes;
pub mod quadrature;
pub mod reference;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use crate::tree::{Ensemble, Node, Split};
use lanes::Lanes;

/// Rows explained together: one per SIMD lane.
pub const ROWS: usize = 8;

/// Most quadrature points the fast kernel is compiled for: exact for paths
/// with up to 32 distinct features. Deeper models fall back to the
/// reference algorithm (also exact, slower).
const MAX_POINTS: usize = 16;

/// What the explainer knows about the edge from a node's parent to the node.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    /// Cover fraction of this edge: cover(node) / cover(parent).
    pub zero: f32,
    /// Product of the cover fractions of every edge on this node's path that
    /// splits on the same feature, this one included.
    pub zero_through: f32,
    /// The previous edge on the path splitting on the same feature; the
    /// tree's root when there is none.
    pub prev: u32,
}

impl Edge {
    /// An edge record (for baked tables).
    pub const fn new(zero: f32, zero_through: f32, prev: u32) -> Edge {
        Edge { zero, zero_through, prev }
    }
}

/// One Gauss–Legendre point on [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// Where.
    pub t: f32,
    /// Its weight.
    pub weight: f32,
}

/// The fast exact explainer: an ensemble together with the tables
/// precomputed from it, built once (at model build time in the component, so
/// instances start with every table ready).
///
/// The tables only describe the ensemble they were built from, so the two
/// are never apart: [`Explainer::new`] takes the ensemble and the explainer
/// owns it; read it back with [`Explainer::ensemble`]. The fields are private
/// to this crate (the baked component, generated inside it, writes them out
/// as a `static`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Explainer {
    /// The trees the tables below describe.
    pub(crate) ensemble: Ensemble,
    /// Per node (global index), the edge from its parent. Roots: unused.
    pub(crate) edges: Cow<'static, [Edge]>,
    /// Per node and point: 1 / (z* + t(1 - z*)), z* = `zero_through`.
    pub(crate) inv_hot: Cow<'static, [f32]>,
    /// The quadrature rule: ⌈D/2⌉ points for paths of up to D distinct features.
    pub(crate) points: Cow<'static, [Point]>,
    /// SHAP's base value: the expected margin (XGBoost's bias column).
    pub(crate) base_value: f64,
}

/// Reusable buffers for [`Explainer::shap_values`].
#[derive(Default)]
pub struct Scratch {
    /// Per feature and lane: 1 while x agrees with every edge on that
    /// feature so far on the current path, else 0.
    agrees: Vec<Lanes>,
    /// Per feature and lane: the SHAP value of the last few trees, in f32.
    recent: Vec<Lanes>,
    /// Per feature and lane: the SHAP value so far.
    phi: Vec<[f64; ROWS]>,
    /// Per feature, the rows' values: one vector compare decides a split
    /// for all of them.
    columns: Vec<Lanes>,
}

/// Trees summed in f32 before their sum joins the f64 total: few enough to
/// keep f32 rounding far below XGBoost's own, many enough to make the
/// hand-over cheap.
const TREES_PER_FLUSH: usize = 8;

impl Explainer {
    /// Takes `ensemble` and precomputes its tables.
    pub fn new(ensemble: Ensemble) -> Explainer {
        let e = &ensemble;
        let deepest = (0..e.num_trees()).map(|t| e.max_unique_path_features(t)).max().unwrap_or(0);
        let points: Vec<Point> = quadrature::gauss_legendre(deepest.div_ceil(2).max(1))
            .into_iter()
            .map(|(t, w)| Point { t: t as f32, weight: w as f32 })
            .collect();
        let mut edges = vec![Edge { zero: 1.0, zero_through: 1.0, prev: 0 }; e.nodes.len()];
        for tree in 0..e.num_trees() {
            let root = e.roots[tree];
            edges[root as usize].prev = root;
            fill_edges(e, root, root, &mut Vec::new(), &mut edges);
        }
        let inv_hot = edges
            .iter()
            .flat_map(|edge| {
                let z = edge.zero_through;
                points.iter().map(move |p| 1.0 / (z + p.t * (1.0 - z)))
            })
            .collect();
        let base_value = e.expected_margin();
        Explainer { ensemble, edges: edges.into(), inv_hot, points: points.into(), base_value }
    }

    /// The ensemble this explainer explains.
    pub fn ensemble(&self) -> &Ensemble {
        &self.ensemble
    }

    /// SHAP's base value: the expected margin (XGBoost's bias column).
    pub fn base_value(&self) -> f64 {
        self.base_value
    }

    /// Adds every tree's SHAP values for `x` into `phi` (one slot per
    /// feature). Invariant: `base_value + Σ phi = margin(x)` up to rounding.
    pub fn shap_values(&self, x: &[f32], phi: &mut [f64], scratch: &mut Scratch) {
        self.shap_values_batch(&[x], &mut [phi], scratch);
    }

    /// [`Explainer::shap_values`] for many rows, [`ROWS`] at a time.
    pub fn shap_values_batch(&self, rows: &[&[f32]], phis: &mut [&mut [f64]], scratch: &mut Scratch) {
        assert_eq!(rows.len(), phis.len(), "one output per row");
        let e = &self.ensemble;
        for (rows, phis) in rows.chunks(ROWS).zip(phis.chunks_mut(ROWS)) {
            // Spare lanes repeat the first row; their results are dropped.
            let lanes: [&[f32]; ROWS] = std::array::from_fn(|r| rows.get(r).copied().unwrap_or(rows[0]));
            if self.points.len() > MAX_POINTS {
                for (row, phi) in rows.iter().zip(phis.iter_mut()) {
                    reference::shap_values(e, row, phi);
                }
                continue;
            }
            scratch.agrees.clear();
            scratch.agrees.resize(e.num_features as usize, Lanes::ONE);
            scratch.recent.clear();
            scratch.recent.resize(e.num_features as usize, Lanes::ZERO);
            scratch.phi.clear();
            scratch.phi.resize(e.num_features as usize, [0.0; ROWS]);
            scratch.columns.clear();
            scratch.columns.extend((0..e.num_features as usize).map(|f| Lanes(std::array::from_fn(|r| lanes[r][f]))));
            dispatch(self, scratch);
            for (r, phi) in phis.iter_mut().enumerate() {
                for (slot, lanes) in phi.iter_mut().zip(&scratch.phi) {
                    *slot += lanes[r];
                }
            }
        }
    }
}

/// Runs the kernel compiled for exactly this many points.
fn dispatch(x: &Explainer, s: &mut Scratch) {
    macro_rules! points {
        ($($n:literal)*) => {
            match x.points.len() {
                $($n => Kernel::<$n>::new(x).trees(s),)*
                n => unreachable!("{n} points: callers fall back to the reference explainer"),
            }
        };
    }
    points!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

/// [`ROWS`] rows against one ensemble with `N` quadrature points: `down`
/// and `up` are N vectors of [`ROWS`] lanes, kept in registers down the
/// recursion. The tables are held as plain slices: read through the
/// `Cow`s at every node, each access would first test which kind it is.
struct Kernel<'a, const N: usize> {
    e: &'a Ensemble,
    nodes: &'a [Node],
    edges: &'a [Edge],
    inv_hot: &'a [f32],
    t: [Lanes; N],
    weight: [Lanes; N],
    one_minus_t: [f32; N],
    inv_one_minus_t: [Lanes; N],
}

impl<'a, const N: usize> Kernel<'a, N> {
    fn new(x: &'a Explainer) -> Self {
        let p = &x.points;
        Kernel {
            e: &x.ensemble,
            nodes: &x.ensemble.nodes,
            edges: &x.edges,
            inv_hot: &x.inv_hot,
            t: std::array::from_fn(|k| Lanes::splat(p[k].t)),
            weight: std::array::from_fn(|k| Lanes::splat(p[k].weight)),
            one_minus_t: std::array::from_fn(|k| 1.0 - p[k].t),
            inv_one_minus_t: std::array::from_fn(|k| Lanes::splat(1.0 / (1.0 - p[k].t))),
        }
    }

    fn trees(&self, s: &mut Scratch) {
        let trees = self.e.num_trees();
        for tree in 0..trees {
            let root = self.e.roots[tree] as usize;
            self.visit(root, root, &[Lanes::ONE; N], s);
            if (tree + 1) % TREES_PER_FLUSH == 0 || tree + 1 == trees {
                for (total, recent) in s.phi.iter_mut().zip(s.recent.iter_mut()) {
                    for (total, lane) in total.iter_mut().zip(recent.0) {
                        *total += lane as f64;
                    }
                    *recent = Lanes::ZERO;
                }
            }
        }
    }

    /// Visits `node` with `down` = the product of edge ratios above it;
    /// returns `up` = Σ over the leaves below of value × product of ratios
    /// below it, and adds each split's Σ_k w_k Δ_k · down_k · up_k to its
    /// feature.
    fn visit(&self, root: usize, node: usize, down: &[Lanes; N], s: &mut Scratch) -> [Lanes; N] {
        let n = &self.nodes[node];
        if n.is_leaf() {
            return [Lanes::splat(n.value); N];
        }
        let feature = n.feature as usize;
        let left_hot = self.left_hot(n, s.columns[feature]);
        let mut up = [Lanes::ZERO; N];
        let mut through = Lanes::ZERO;
        for (child, hot) in [(n.left as usize, left_hot), (n.right as usize, Lanes::ONE - left_hot)] {
            let edge = self.edges[child];
            let saved = s.agrees[feature];
            let (ratio, carried) = if edge.prev as usize == root {
                s.agrees[feature] = hot;
                self.first_split(edge, hot, down)
            } else {
                s.agrees[feature] = saved * hot;
                self.repeated_split(child, edge, hot, saved, down)
            };
            let child_node = &self.nodes[child];
            let child_up = if child_node.is_leaf() {
                [Lanes::splat(child_node.value); N]
            } else {
                self.visit(root, child, &std::array::from_fn(|k| down[k] * ratio[k]), s)
            };
            s.agrees[feature] = saved;
            for k in 0..N {
                up[k] = up[k] + ratio[k] * child_up[k];
                through = through + carried[k] * child_up[k];
            }
        }
        s.recent[feature] = s.recent[feature] + through;
        up
    }

    /// 1.0 in the lanes whose row goes left at `n`, else 0.0.
    #[inline(always)]
    fn left_hot(&self, n: &Node, x: Lanes) -> Lanes {
        let x = x.0;
        if n.split != Split::Numeric {
            return Lanes(std::array::from_fn(|r| self.e.goes_left(n, x[r]) as u8 as f32));
        }
        // Branch-free `goes_left` for numeric splits: x < threshold, or the
        // default direction when x is missing.
        let default_left = n.default_left as u8 as f32;
        Lanes(std::array::from_fn(|r| {
            let below = (x[r] < n.value) as u8 as f32;
            if x[r].is_nan() { default_left } else { below }
        }))
    }

    /// A feature's first split on the path (the common case): its factor
    /// goes from 1 to z + t(o - z), so ratio = z(1-t) + o·t, and the change
    /// (o - z)/(z + t(o - z)) times the child's product is w·(o - z)·down —
    /// no division.
    #[inline(always)]
    fn first_split(&self, edge: Edge, hot: Lanes, down: &[Lanes; N]) -> ([Lanes; N], [Lanes; N]) {
        let z = edge.zero_through;
        let hot_minus_z = hot - Lanes::splat(z);
        let ratio = std::array::from_fn(|k| Lanes::splat(z * self.one_minus_t[k]) + hot * self.t[k]);
        let carried = std::array::from_fn(|k| self.weight[k] * hot_minus_z * down[k]);
        (ratio, carried)
    }

    /// A feature split again further down: its factor goes from
    /// a' = z' + t(o' - z') to a* = z* + t(o* - z*), ratio a*/a', and the
    /// change of (o - z)/a telescopes. Once x has left the feature's path
    /// (o' = 0) the factor only scales by the edge's cover fraction.
    #[inline(always)]
    fn repeated_split(
        &self,
        child: usize,
        edge: Edge,
        hot: Lanes,
        agreed: Lanes,
        down: &[Lanes; N],
    ) -> ([Lanes; N], [Lanes; N]) {
        let prev = edge.prev as usize;
        let z = edge.zero_through;
        let one_minus_before = 1.0 - self.edges[prev].zero_through;
        let (inv_before, inv_after) = (&self.inv_hot[prev * N..][..N], &self.inv_hot[child * N..][..N]);
        let (cold, disagreed) = (Lanes::ONE - hot, Lanes::ONE - agreed);
        let mut ratio = [Lanes::ZERO; N];
        let mut carried = [Lanes::ZERO; N];
        for k in 0..N {
            let after = Lanes::splat(z * self.one_minus_t[k]) + hot * self.t[k];
            let change = hot * Lanes::splat((1.0 - z) * inv_after[k])
                - cold * self.inv_one_minus_t[k]
                - Lanes::splat(one_minus_before * inv_before[k]);
            ratio[k] = agreed * after * Lanes::splat(inv_before[k]) + disagreed * Lanes::splat(edge.zero);
            carried[k] = agreed * self.weight[k] * change * down[k] * ratio[k];
        }
        (ratio, carried)
    }
}

fn fill_edges(e: &Ensemble, root: u32, node: u32, last_edge_on: &mut Vec<(u32, u32)>, edges: &mut [Edge]) {
    let n = &e.nodes[node as usize];
    if n.is_leaf() {
        return;
    }
    for child in [n.left, n.right] {
        let zero = if n.cover > 0.0 { e.nodes[child as usize].cover / n.cover } else { 0.0 };
        let prev = last_edge_on.iter().rev().find(|&&(f, _)| f == n.feature).map_or(root, |&(_, edge)| edge);
        let zero_through = zero * edges[prev as usize].zero_through;
        edges[child as usize] = Edge { zero, zero_through, prev };
        last_edge_on.push((n.feature, child));
        fill_edges(e, root, child, last_edge_on, edges);
        last_edge_on.pop();
    }
}

//! The tree ensemble: XGBoost's trees in a flat, pre-ordered node array.
//!
//! Invariant (kept by the loader and the baker): within a tree every node's
//! children come after it (pre-order), so a forward loop visits parents before
//! children and a backward loop visits children before parents. The SHAP code
//! relies on this.

use std::borrow::Cow;

/// How a node splits, or that it is a leaf.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Split {
    /// A leaf: `Node::value` is the leaf value.
    Leaf,
    /// Numeric: go left when `x < Node::value`, compared in f32.
    Numeric,
    /// Native categorical: a category in the set (bits `[start, start + len)`
    /// words of `Ensemble::category_words`) goes right, anything else left.
    Categorical {
        /// First word of this node's category bitset.
        start: u32,
        /// Number of 32-bit words in the bitset.
        len: u32,
    },
}

/// One tree node. Children are indices into `Ensemble::nodes`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Node {
    /// The split, or `Split::Leaf`.
    pub split: Split,
    /// Feature index the node splits on (unused for leaves).
    pub feature: u32,
    /// Threshold of a numeric split, or the value of a leaf.
    pub value: f32,
    /// Left child (unused for leaves).
    pub left: u32,
    /// Right child (unused for leaves).
    pub right: u32,
    /// Where a missing value goes.
    pub default_left: bool,
    /// Sum of the training Hessians that reached the node (XGBoost's cover).
    pub cover: f32,
}

impl Node {
    /// A leaf node.
    pub const fn leaf(value: f32, cover: f32) -> Node {
        Node { split: Split::Leaf, feature: 0, value, left: 0, right: 0, default_left: false, cover }
    }

    /// A split node.
    pub const fn split(
        split: Split,
        feature: u32,
        value: f32,
        children: (u32, u32),
        default_left: bool,
        cover: f32,
    ) -> Node {
        Node { split, feature, value, left: children.0, right: children.1, default_left, cover }
    }

    /// Whether this node is a leaf.
    pub fn is_leaf(&self) -> bool {
        matches!(self.split, Split::Leaf)
    }
}

/// How the model's margin becomes a probability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Link {
    /// probability = 1 / (1 + e^-margin)
    Logistic,
    /// probability = margin (clamped to [0, 1])
    Identity,
}

impl Link {
    /// Applies the link to a margin.
    pub fn apply(self, margin: f64) -> f64 {
        match self {
            Link::Logistic => 1.0 / (1.0 + (-margin).exp()),
            Link::Identity => margin.clamp(0.0, 1.0),
        }
    }

    /// The name used in `features.toml` and the WIT contract.
    pub fn name(self) -> &'static str {
        match self {
            Link::Logistic => "logistic",
            Link::Identity => "identity",
        }
    }
}

/// A gradient-boosted tree ensemble with one output (binary classification).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ensemble {
    /// Every node of every tree, each tree pre-ordered.
    pub nodes: Cow<'static, [Node]>,
    /// Index of each tree's root in `nodes`, in boosting order; tree `i` owns
    /// `nodes[roots[i]..roots[i + 1]]` (the last one up to the end).
    pub roots: Cow<'static, [u32]>,
    /// Bitsets of the categorical splits.
    pub category_words: Cow<'static, [u32]>,
    /// The margin every prediction starts from (`base_score` through the objective).
    pub base_margin: f32,
    /// Number of input features.
    pub num_features: u32,
    /// Which of the trees saved in the model file these are.
    pub selection: TreeSelection,
}

/// Which trees of a model file an ensemble scores with: after early stopping
/// XGBoost saves every tree it grew plus `best_iteration`, and its
/// scikit-learn wrapper predicts with the first `best_iteration + 1` rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TreeSelection {
    /// What was asked for (`[model] trees` in `features.toml`).
    pub rule: TreeRule,
    /// The `best_iteration` saved with the model (early stopping), if any.
    pub best_iteration: Option<u32>,
    /// Boosting rounds kept (each is `num_parallel_tree` trees).
    pub rounds: u32,
    /// Trees in the model file; the ensemble holds the first
    /// [`Ensemble::num_trees`] of them.
    pub saved_trees: u32,
}

impl TreeSelection {
    /// Every one of `trees` trees, with no early stopping recorded.
    pub const fn all(trees: u32) -> TreeSelection {
        TreeSelection { rule: TreeRule::All, best_iteration: None, rounds: trees, saved_trees: trees }
    }
}

/// Which trees to score with when a model was saved after early stopping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TreeRule {
    /// The first `best_iteration + 1` rounds, as XGBoost's scikit-learn
    /// wrapper (`XGBClassifier.predict_proba`) predicts; every tree when the
    /// model has no `best_iteration`.
    #[default]
    Best,
    /// Every saved tree, as a raw `Booster.predict` does.
    All,
}

impl TreeRule {
    /// The name used in `features.toml`: `"best"` or `"all"`.
    pub fn name(self) -> &'static str {
        match self {
            TreeRule::Best => "best",
            TreeRule::All => "all",
        }
    }
}

/// XGBoost refuses categories that are negative or not below 2^24 and sends them left.
const MAX_CATEGORY: f32 = 16_777_216.0;

impl Ensemble {
    /// Number of trees.
    pub fn num_trees(&self) -> usize {
        self.roots.len()
    }

    /// The node range `[start, end)` of tree `tree`.
    pub fn tree_range(&self, tree: usize) -> std::ops::Range<usize> {
        let start = self.roots[tree] as usize;
        let end = self.roots.get(tree + 1).map_or(self.nodes.len(), |&r| r as usize);
        start..end
    }

    /// Whether `x` goes to the left child of `node`, exactly as XGBoost decides.
    #[inline]
    pub fn goes_left(&self, node: &Node, x: f32) -> bool {
        if x.is_nan() {
            return node.default_left;
        }
        match node.split {
            Split::Numeric | Split::Leaf => x < node.value,
            Split::Categorical { start, len } => {
                if !(0.0..MAX_CATEGORY).contains(&x) {
                    return true;
                }
                let code = x as u32; // XGBoost truncates to an integer category
                let word = (code / 32) as usize;
                if word >= len as usize {
                    return true;
                }
                let bits = self.category_words[start as usize + word];
                bits & (1 << (code % 32)) == 0
            }
        }
    }

    /// The child of `node` that `x` follows.
    #[inline]
    pub fn next(&self, node: &Node, x: f32) -> u32 {
        if self.goes_left(node, x) { node.left } else { node.right }
    }

    /// The leaf value tree `tree` gives `features`.
    #[inline]
    pub fn tree_value(&self, tree: usize, features: &[f32]) -> f32 {
        let mut node = &self.nodes[self.roots[tree] as usize];
        while !node.is_leaf() {
            let next = self.next(node, features[node.feature as usize]);
            node = &self.nodes[next as usize];
        }
        node.value
    }

    /// The raw margin for one row, identical to XGBoost's
    /// `predict(output_margin=True)`: the base margin plus each tree's leaf,
    /// accumulated in f32 in tree order.
    pub fn predict_margin(&self, features: &[f32]) -> f32 {
        debug_assert_eq!(features.len(), self.num_features as usize);
        let mut margin = self.base_margin;
        for tree in 0..self.num_trees() {
            margin += self.tree_value(tree, features);
        }
        margin
    }

    /// The expected margin over the training population as the trees see it
    /// (cover-weighted): SHAP's base value. Equals XGBoost's bias column.
    pub fn expected_margin(&self) -> f64 {
        let trees: f64 = (0..self.num_trees()).map(|t| self.node_means(t)[0]).sum();
        self.base_margin as f64 + trees
    }

    /// Cover-weighted mean leaf value below every node of `tree`, indexed
    /// relative to the tree's root.
    pub fn node_means(&self, tree: usize) -> Vec<f64> {
        let range = self.tree_range(tree);
        let first = range.start;
        let mut means = vec![0.0; range.len()];
        for i in range.rev() {
            let node = &self.nodes[i];
            means[i - first] = if node.is_leaf() {
                node.value as f64
            } else {
                let (l, r) = (&self.nodes[node.left as usize], &self.nodes[node.right as usize]);
                let sum = means[node.left as usize - first] * l.cover as f64
                    + means[node.right as usize - first] * r.cover as f64;
                // Divided by the node's own cover, as XGBoost does: the same
                // fractions the SHAP paths use, so base value + SHAP = margin.
                if node.cover > 0.0 { sum / node.cover as f64 } else { 0.0 }
            };
        }
        means
    }

    /// The deepest root-to-leaf path of `tree`, counting distinct features.
    pub fn max_unique_path_features(&self, tree: usize) -> usize {
        fn walk(e: &Ensemble, node: usize, path: &mut Vec<u32>) -> usize {
            let n = &e.nodes[node];
            if n.is_leaf() {
                return path.len();
            }
            let fresh = !path.contains(&n.feature);
            if fresh {
                path.push(n.feature);
            }
            let deepest = walk(e, n.left as usize, path).max(walk(e, n.right as usize, path));
            if fresh {
                path.pop();
            }
            deepest
        }
        walk(self, self.roots[tree] as usize, &mut Vec::new())
    }
}

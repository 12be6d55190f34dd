//! Reads XGBoost's model files, JSON (`Booster.save_model("model.json")`)
//! and UBJSON (`"model.ubj"`, the default from XGBoost 2.1), as saved by
//! XGBoost 1.0 to 3.x, into an [`Ensemble`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::saved_categories::CatsJson;
pub use super::saved_categories::SavedCategories;
use super::ubjson;
use crate::tree::{Ensemble, Link, Node, Split, TreeRule, TreeSelection};

/// XGBoost's `kRtEps`: a logistic model's `base_score` is clamped to
/// [kRtEps, 1 − kRtEps] before the logit (XGBoost ≥ 3.2,
/// `LogisticRegression::ProbToMargin` in src/objective/regression_loss.h), so
/// a model trained on labels that are all 1 (or all 0) still has a margin.
const K_RT_EPS: f32 = 1e-6;

/// Deepest tree accepted (root = depth 0). XGBoost grows at most 30 levels
/// depth-wise; the explainer, the scorer and the baked component walk trees
/// recursively, so a deeper tree could overflow their stacks.
const MAX_TREE_DEPTH: usize = 128;

/// Most 32-bit words the category bitsets of a model may take (16 MiB): a
/// set is as long as its largest code, so without a bound a few bytes of
/// JSON (one code near 2^24) would cost 2 MiB each.
const MAX_CATEGORY_WORDS: usize = 1 << 22;

/// What the model file says about itself besides the trees.
#[derive(Debug)]
pub struct XgbModel {
    /// The trees, pre-ordered, with the base margin.
    pub ensemble: Ensemble,
    /// The objective the model was trained with.
    pub objective: String,
    /// The link the objective implies, if it implies one.
    pub implied_link: Option<Link>,
    /// Feature names saved with the model, if any.
    pub feature_names: Vec<String>,
    /// Feature types saved with the model (`"c"` = categorical), if any.
    pub feature_types: Vec<String>,
    /// The category names XGBoost ≥ 3.1 saves for each feature
    /// (`gradient_booster.model.cats`); empty, or `None` for a feature,
    /// when the file has none.
    pub categories: Vec<Option<SavedCategories>>,
}

/// How to read a model file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Which saved trees to keep (`[model] trees` in `features.toml`).
    pub trees: TreeRule,
}

/// Parses an XGBoost JSON model with the default options (after early
/// stopping, the best rounds only). Errors say what is wrong or unsupported.
pub fn parse(text: &str) -> Result<XgbModel, String> {
    parse_with(text, ParseOptions::default())
}

/// Parses an XGBoost JSON model. Errors say what is wrong or unsupported.
pub fn parse_with(text: &str, options: ParseOptions) -> Result<XgbModel, String> {
    let text = quote_non_finite(text);
    let file: ModelFile = serde_json::from_str(&text).map_err(|e| format!("not an XGBoost JSON model: {e}"))?;
    from_file(file, options)
}

/// Parses an XGBoost model file in either format, told apart by its first
/// bytes (see [`ubjson::looks_like_ubjson`]), not by its name: UBJSON, or
/// else JSON text (a UTF-8 byte order mark allowed). Errors say which
/// format was read and what is wrong, with the byte offset for UBJSON.
pub fn parse_bytes(bytes: &[u8], options: ParseOptions) -> Result<XgbModel, String> {
    if ubjson::looks_like_ubjson(bytes) {
        let value = ubjson::to_value(bytes).map_err(|e| format!("not an XGBoost UBJSON model: {e}"))?;
        let file: ModelFile = serde_json::from_value(value).map_err(|e| format!("not an XGBoost UBJSON model: {e}"))?;
        return from_file(file, options);
    }
    if bytes.starts_with(b"binf") || bytes.starts_with(&[0, 0, 0, 0x3f]) {
        return Err("this is XGBoost's old binary format, which is not supported: load it with XGBoost and save_model(\"model.json\")".into());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not an XGBoost JSON model (nor UBJSON): invalid UTF-8 at byte {}", e.valid_up_to()))?;
    parse_with(text.strip_prefix('\u{feff}').unwrap_or(text), options)
}

/// The model a parsed file describes, checked.
fn from_file(file: ModelFile, options: ParseOptions) -> Result<XgbModel, String> {
    let learner = file.learner;
    let param = &learner.learner_model_param;
    if number(&param.num_class, "num_class")? > 1 {
        return Err("multiclass models are not supported: train a binary classifier".into());
    }
    if let Some(targets) = &param.num_target
        && number(targets, "num_target")? > 1
    {
        return Err("multi-target models are not supported".into());
    }
    let num_features = number(&param.num_feature, "num_feature")?;
    // Feature indices are u32, as in XGBoost (bst_feature_t).
    if u32::try_from(num_features).is_err() {
        return Err(format!("num_feature {num_features} is too large (at most {})", u32::MAX));
    }
    let booster = learner.gradient_booster;
    let model = match booster.name.as_str() {
        "gbtree" => booster.model.ok_or("gradient_booster.model is missing")?,
        "dart" => return Err("dart boosters are not supported: train with booster=\"gbtree\"".into()),
        "gblinear" => return Err("gblinear (linear) boosters are not supported: train with booster=\"gbtree\"".into()),
        other => return Err(format!("unknown booster {other:?}")),
    };
    let objective = learner.objective.name;
    let base_score = parse_base_score(&param.base_score)?;
    let (base_margin, implied_link) = match objective.as_str() {
        // XGBoost stores base_score as a probability; logistic objectives turn
        // it into a margin with the logit, computed in f32 as XGBoost does.
        // XGBoost accepts [0, 1] (0 and 1 when every label is the same) and
        // clamps the prior to [kRtEps, 1 - kRtEps] first.
        "binary:logistic" | "reg:logistic" => {
            if !(0.0..=1.0).contains(&base_score) {
                return Err(format!("base_score {base_score} must be a probability in [0, 1] for {objective}"));
            }
            let prior = base_score.clamp(K_RT_EPS, 1.0 - K_RT_EPS);
            (-(1.0f32 / prior - 1.0).ln(), Some(Link::Logistic))
        }
        // Raw logistic output: XGBoost keeps base_score as the margin itself.
        "binary:logitraw" => (base_score, Some(Link::Logistic)),
        // How XGBoost saves a model trained with a custom objective: the
        // base score is already a margin and the link must be declared.
        "reg:squarederror" => (base_score, None),
        other if other.starts_with("multi:") => {
            return Err(format!("multiclass objective {other} is not supported"));
        }
        other => {
            return Err(format!(
                "objective {other:?} is not supported (binary:logistic, reg:logistic, binary:logitraw, or a custom objective saved as reg:squarederror)"
            ));
        }
    };
    if model.tree_info.iter().any(|&class| class != 0) {
        return Err("multiclass models are not supported: trees for more than one class".into());
    }
    let selection = select_trees(&model, &learner.attributes, options.trees)?;
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    let mut words = Vec::new();
    let mut kept = (0, 0);
    // Every tree is checked; the ensemble keeps the selected first ones.
    for (i, tree) in model.trees.iter().enumerate() {
        if i == selection.trees {
            kept = (nodes.len(), words.len());
        }
        roots.push(nodes.len() as u32);
        tree.append_preordered(num_features, &mut nodes, &mut words).map_err(|e| format!("tree {i}: {e}"))?;
    }
    if selection.trees < model.trees.len() {
        roots.truncate(selection.trees);
        nodes.truncate(kept.0);
        words.truncate(kept.1);
    }
    let categories = match &model.cats {
        None => Vec::new(),
        Some(cats) => cats.per_feature(num_features)?,
    };
    Ok(XgbModel {
        ensemble: Ensemble {
            nodes: nodes.into(),
            roots: roots.into(),
            category_words: words.into(),
            base_margin,
            num_features: num_features as u32,
            selection: TreeSelection {
                rule: options.trees,
                best_iteration: selection.best_iteration,
                rounds: selection.rounds as u32,
                saved_trees: model.trees.len() as u32,
            },
        },
        objective,
        implied_link,
        feature_names: learner.feature_names,
        feature_types: learner.feature_types,
        categories,
    })
}

/// The trees a model scores with.
struct Selected {
    /// The first this many trees.
    trees: usize,
    /// That is, this many boosting rounds.
    rounds: usize,
    best_iteration: Option<u32>,
}

/// Honours `best_iteration` as XGBoost's scikit-learn wrapper does
/// (`iteration_range = (0, best_iteration + 1)`): rounds map to trees with
/// `iteration_indptr`, or `num_parallel_tree` trees a round in files older
/// than XGBoost 2 (as XGBoost's own loader does).
fn select_trees(
    model: &GbTree,
    attributes: &BTreeMap<String, serde_json::Value>,
    rule: TreeRule,
) -> Result<Selected, String> {
    let saved = model.trees.len();
    if let Some(param) = &model.gbtree_model_param
        && let Some(n) = &param.num_trees
        && number(n, "num_trees")? != saved
    {
        return Err(format!("gbtree_model_param.num_trees is {n} but the file has {saved} trees"));
    }
    let best_iteration = attribute_number(attributes, "best_iteration")?;
    let indptr: Vec<usize> = match &model.iteration_indptr {
        Some(indptr) if !indptr.is_empty() => {
            let indptr: Vec<usize> = indptr
                .iter()
                .map(|&i| usize::try_from(i).map_err(|_| format!("iteration_indptr has {i}")))
                .collect::<Result<_, _>>()?;
            if indptr[0] != 0 || indptr.windows(2).any(|w| w[0] > w[1]) || indptr[indptr.len() - 1] != saved {
                return Err(format!(
                    "iteration_indptr must rise from 0 to the number of trees ({saved}), got {indptr:?}"
                ));
            }
            indptr
        }
        _ => {
            let parallel = match model.gbtree_model_param.as_ref().and_then(|p| p.num_parallel_tree.as_ref()) {
                Some(n) => number(n, "num_parallel_tree")?,
                None => parallel_from_best_ntree_limit(attributes, best_iteration)?,
            };
            if parallel == 0 || !saved.is_multiple_of(parallel) {
                return Err(format!("{saved} trees do not make whole rounds of num_parallel_tree = {parallel}"));
            }
            (0..=saved / parallel).map(|r| r * parallel).collect()
        }
    };
    let rounds = indptr.len() - 1;
    let kept = match (rule, best_iteration) {
        (TreeRule::Best, Some(best)) => {
            if best as usize >= rounds {
                return Err(format!(
                    "learner.attributes.best_iteration is {best} but the model has {rounds} rounds (0 to {}): set trees = \"all\" under [model] to score with every tree",
                    rounds as i64 - 1
                ));
            }
            best as usize + 1
        }
        _ => rounds,
    };
    Ok(Selected { trees: indptr[kept], rounds: kept, best_iteration })
}

/// A whole number saved as a learner attribute (a string), if present.
fn attribute_number(attributes: &BTreeMap<String, serde_json::Value>, name: &str) -> Result<Option<u32>, String> {
    let Some(value) = attributes.get(name) else { return Ok(None) };
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let n =
        text.trim().parse::<u32>().map_err(|_| format!("learner.attributes.{name} {text:?} is not a whole number"))?;
    Ok(Some(n))
}

/// Trees per round for a file without `num_parallel_tree` (XGBoost < 1.6
/// kept it out of the model): XGBoost 1.x saved `best_ntree_limit` =
/// (`best_iteration` + 1) × trees per round next to `best_iteration`, and
/// predicted with that many trees. 1 without them.
fn parallel_from_best_ntree_limit(
    attributes: &BTreeMap<String, serde_json::Value>,
    best_iteration: Option<u32>,
) -> Result<usize, String> {
    let (Some(best), Some(limit)) = (best_iteration, attribute_number(attributes, "best_ntree_limit")?) else {
        return Ok(1);
    };
    let rounds = best as usize + 1;
    if limit == 0 || !(limit as usize).is_multiple_of(rounds) {
        return Err(format!(
            "learner.attributes.best_ntree_limit {limit} is not a whole number of rounds (best_iteration {best} + 1)"
        ));
    }
    Ok(limit as usize / rounds)
}

/// XGBoost writes `NaN`, `Infinity` and `-Infinity`, which JSON lacks:
/// quote them (outside strings) so they parse as strings, read back by [`F32`].
fn quote_non_finite(text: &str) -> Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = ["NaN", "-Infinity", "Infinity"].into_iter().find(|t| rest.starts_with(t)) {
            out.push('"');
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// `"5E-1"` (XGBoost 2.x) or `"[5E-1]"` (3.x).
fn parse_base_score(text: &str) -> Result<f32, String> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    if inner.contains(',') {
        return Err(format!("base_score {text:?} has several values: multi-output models are not supported"));
    }
    inner.trim().parse::<f32>().map_err(|_| format!("base_score {text:?} is not a number"))
}

fn number(text: &str, what: &str) -> Result<usize, String> {
    text.trim().parse().map_err(|_| format!("{what} {text:?} is not a whole number"))
}

#[derive(Deserialize)]
struct ModelFile {
    learner: Learner,
}

#[derive(Deserialize)]
struct Learner {
    learner_model_param: LearnerModelParam,
    gradient_booster: GradientBooster,
    objective: Objective,
    #[serde(default)]
    feature_names: Vec<String>,
    #[serde(default)]
    feature_types: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct LearnerModelParam {
    base_score: String,
    num_class: String,
    num_feature: String,
    num_target: Option<String>,
}

#[derive(Deserialize)]
struct Objective {
    name: String,
}

#[derive(Deserialize)]
struct GradientBooster {
    name: String,
    model: Option<GbTree>,
}

#[derive(Deserialize)]
struct GbTree {
    trees: Vec<TreeJson>,
    #[serde(default)]
    tree_info: Vec<i64>,
    gbtree_model_param: Option<GbTreeParam>,
    iteration_indptr: Option<Vec<i64>>,
    cats: Option<CatsJson>,
}

#[derive(Deserialize)]
struct GbTreeParam {
    num_parallel_tree: Option<String>,
    num_trees: Option<String>,
}

#[derive(Deserialize)]
struct TreeJson {
    left_children: Vec<i64>,
    right_children: Vec<i64>,
    split_indices: Vec<i64>,
    split_conditions: Vec<F32>,
    default_left: Vec<Flag>,
    sum_hessian: Vec<F32>,
    #[serde(default)]
    split_type: Vec<u8>,
    #[serde(default)]
    categories: Vec<i64>,
    #[serde(default)]
    categories_nodes: Vec<i64>,
    #[serde(default)]
    categories_segments: Vec<i64>,
    #[serde(default)]
    categories_sizes: Vec<i64>,
}

/// A float XGBoost wrote: a number, or a quoted non-finite token.
#[derive(Deserialize, Clone, Copy)]
#[serde(untagged)]
enum F32 {
    Number(f64),
    Token(NonFinite),
}

#[derive(Deserialize, Clone, Copy)]
enum NonFinite {
    NaN,
    Infinity,
    #[serde(rename = "-Infinity")]
    NegInfinity,
}

impl F32 {
    fn get(self) -> f32 {
        match self {
            F32::Number(v) => v as f32,
            F32::Token(NonFinite::NaN) => f32::NAN,
            F32::Token(NonFinite::Infinity) => f32::INFINITY,
            F32::Token(NonFinite::NegInfinity) => f32::NEG_INFINITY,
        }
    }
}

/// `default_left` is 0/1 in newer files and true/false in some older ones.
#[derive(Deserialize, Clone, Copy)]
#[serde(untagged)]
enum Flag {
    Int(i64),
    Bool(bool),
}

impl Flag {
    fn get(self) -> bool {
        matches!(self, Flag::Int(1) | Flag::Bool(true))
    }
}

impl TreeJson {
    /// Appends this tree's reachable nodes in pre-order, children renumbered.
    fn append_preordered(
        &self,
        num_features: usize,
        nodes: &mut Vec<Node>,
        words: &mut Vec<u32>,
    ) -> Result<(), String> {
        let n = self.left_children.len();
        for (name, len) in [
            ("right_children", self.right_children.len()),
            ("split_indices", self.split_indices.len()),
            ("split_conditions", self.split_conditions.len()),
            ("default_left", self.default_left.len()),
            ("sum_hessian", self.sum_hessian.len()),
        ] {
            if len != n {
                return Err(format!("{name} has {len} entries but left_children has {n}"));
            }
        }
        if n == 0 {
            return Err("the tree has no nodes".into());
        }
        let categorical = self.categorical_sets()?;
        let first = nodes.len();
        let mut visited = vec![false; n];
        // Explicit stack: (old node id, slot in `nodes` whose child pointer to fix, depth).
        let mut stack = vec![(0usize, None::<(usize, bool)>, 0usize)];
        while let Some((old, parent, depth)) = stack.pop() {
            if std::mem::replace(&mut visited[old], true) {
                return Err(format!("node {old} is reached twice (the tree has a cycle)"));
            }
            if depth > MAX_TREE_DEPTH {
                return Err(format!(
                    "node {old} is {depth} levels deep: trees deeper than {MAX_TREE_DEPTH} levels are not supported (train with a smaller max_depth)"
                ));
            }
            let at = nodes.len();
            if let Some((p, is_left)) = parent {
                let slot = &mut nodes[p];
                if is_left { slot.left = at as u32 } else { slot.right = at as u32 }
            }
            let cover = self.sum_hessian[old].get();
            let value = self.split_conditions[old].get();
            let (left, right) = (self.left_children[old], self.right_children[old]);
            if left == -1 {
                if !value.is_finite() {
                    return Err(format!("leaf {old} has the value {value}"));
                }
                nodes.push(Node::leaf(value, cover));
                continue;
            }
            let child = |c: i64| {
                usize::try_from(c).ok().filter(|&c| c < n).ok_or(format!("node {old} has child {c} out of range"))
            };
            let (left, right) = (child(left)?, child(right)?);
            let feature = usize::try_from(self.split_indices[old])
                .ok()
                .filter(|&f| f < num_features)
                .ok_or(format!("node {old} splits on feature {} of {num_features}", self.split_indices[old]))?;
            let split = match self.split_type.get(old).copied().unwrap_or(0) {
                0 => Split::Numeric,
                1 => {
                    let set = categorical
                        .iter()
                        .find(|(id, _)| *id == old)
                        .ok_or(format!("categorical node {old} has no category set"))?;
                    let start = words.len() as u32;
                    let set = bitset(&set.1)?;
                    if words.len() + set.len() > MAX_CATEGORY_WORDS {
                        return Err(format!(
                            "categorical node {old}: the model's category sets take more than {} MiB",
                            (MAX_CATEGORY_WORDS * 4) >> 20
                        ));
                    }
                    words.extend(set);
                    Split::Categorical { start, len: words.len() as u32 - start }
                }
                other => return Err(format!("node {old} has unknown split_type {other}")),
            };
            nodes.push(Node::split(split, feature as u32, value, (0, 0), self.default_left[old].get(), cover));
            // Right pushed first so the left subtree is laid out first.
            stack.push((right, Some((at, false)), depth + 1));
            stack.push((left, Some((at, true)), depth + 1));
        }
        debug_assert!(
            nodes[first..].iter().all(|n| n.is_leaf() || (n.left as usize > first && n.right as usize > first))
        );
        Ok(())
    }

    /// (node id, categories that go right) for each categorical split.
    fn categorical_sets(&self) -> Result<Vec<(usize, Vec<i64>)>, String> {
        let (nodes, segments, sizes) = (&self.categories_nodes, &self.categories_segments, &self.categories_sizes);
        if segments.len() != nodes.len() || sizes.len() != nodes.len() {
            return Err("categories_nodes, categories_segments and categories_sizes differ in length".into());
        }
        (0..nodes.len())
            .map(|i| {
                let out_of_range = || format!("category segment {i} is out of range");
                let (start, size) = (usize::try_from(segments[i]), usize::try_from(sizes[i]));
                let (start, size) = (start.map_err(|_| out_of_range())?, size.map_err(|_| out_of_range())?);
                let end = start.checked_add(size).ok_or_else(out_of_range)?;
                let cats = self.categories.get(start..end).ok_or_else(out_of_range)?;
                Ok((nodes[i] as usize, cats.to_vec()))
            })
            .collect()
    }
}

/// Bit `c` set for each category `c`.
fn bitset(categories: &[i64]) -> Result<Vec<u32>, String> {
    let max = categories.iter().copied().max().unwrap_or(0);
    if categories.iter().any(|&c| !(0..1 << 24).contains(&c)) {
        return Err(format!("category codes must be in [0, 2^24), got {categories:?}"));
    }
    let mut words = vec![0u32; max as usize / 32 + 1];
    for &c in categories {
        words[c as usize / 32] |= 1 << (c % 32);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Matching;

    #[test]
    fn quotes_non_finite_tokens_outside_strings_only() {
        let text = r#"{"a": [NaN, -Infinity, Infinity, 1.5], "name": "NaN Infinity \" NaN"}"#;
        let quoted = quote_non_finite(text);
        assert_eq!(quoted, r#"{"a": ["NaN", "-Infinity", "Infinity", 1.5], "name": "NaN Infinity \" NaN"}"#);
    }

    #[test]
    fn base_score_in_both_formats() {
        assert_eq!(parse_base_score("5E-1"), Ok(0.5));
        assert_eq!(parse_base_score("[2.5E-1]"), Ok(0.25));
        assert!(parse_base_score("[1E-1,2E-1]").unwrap_err().contains("several values"));
    }

    // Inputs that crashed the xgboost_model fuzz target (fuzz/,
    // docs/fuzzing.md): each used to parse into a model that crashed later,
    // or to panic or exhaust memory here.

    /// A binary:logistic model of `num_feature` columns with these trees.
    fn model_json(num_feature: &str, trees: Vec<serde_json::Value>) -> String {
        serde_json::json!({"learner": {
            "learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": num_feature},
            "gradient_booster": {"name": "gbtree", "model": {"trees": trees}},
            "objective": {"name": "binary:logistic"},
        }})
        .to_string()
    }

    /// One split on `feature` (categorical with `categories` if given) and two leaves.
    fn stump(feature: i64, categories: Option<serde_json::Value>) -> serde_json::Value {
        let mut tree = serde_json::json!({
            "left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [feature, 0, 0],
            "split_conditions": [0.5, 0.1, -0.1], "default_left": [0, 0, 0], "sum_hessian": [2.0, 1.0, 1.0],
        });
        if let Some(categories) = categories {
            for (key, value) in categories.as_object().unwrap() {
                tree[key] = value.clone();
            }
            tree["split_type"] = serde_json::json!([1, 0, 0]);
        }
        tree
    }

    /// A tree whose splits on feature 0 go `depth` levels deep: split k
    /// (node 2k, threshold k) has the leaf 2k + 1 on its left and the next
    /// split on its right; each leaf has cover 1.
    fn chain(depth: usize) -> serde_json::Value {
        let n = 2 * depth + 1;
        let split = |i: usize| i.is_multiple_of(2) && i + 1 < n;
        let child = |i: usize, offset: usize| if split(i) { (i + offset) as i64 } else { -1 };
        let value = |i: usize| {
            if split(i) {
                (i / 2) as f64
            } else if i % 4 == 1 {
                0.1
            } else {
                -0.1
            }
        };
        let cover = |i: usize| if split(i) { (depth - i / 2 + 1) as f64 } else { 1.0 };
        serde_json::json!({
            "left_children": (0..n).map(|i| child(i, 1)).collect::<Vec<_>>(),
            "right_children": (0..n).map(|i| child(i, 2)).collect::<Vec<_>>(),
            "split_indices": vec![0; n],
            "split_conditions": (0..n).map(value).collect::<Vec<_>>(),
            "default_left": vec![0; n],
            "sum_hessian": (0..n).map(cover).collect::<Vec<_>>(),
        })
    }

    /// `model_json` with `changes` merged into `learner` and its gradient booster's model.
    fn with(text: String, learner: serde_json::Value, booster: serde_json::Value) -> String {
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (key, value) in learner.as_object().unwrap() {
            json["learner"][key] = value.clone();
        }
        for (key, value) in booster.as_object().unwrap() {
            json["learner"]["gradient_booster"]["model"][key] = value.clone();
        }
        json.to_string()
    }

    #[test]
    fn best_iteration_keeps_whole_rounds_of_parallel_trees() {
        // 6 trees, 2 a round (a boosted random forest), best round 1: 4 trees.
        let trees: Vec<_> = (0..6).map(|_| stump(0, None)).collect();
        let text = with(
            model_json("1", trees),
            serde_json::json!({"attributes": {"best_iteration": "1", "best_score": "0.5"}}),
            serde_json::json!({"gbtree_model_param": {"num_parallel_tree": "2", "num_trees": "6"}}),
        );
        let best = parse(&text).unwrap().ensemble;
        assert_eq!(best.num_trees(), 4);
        let want = TreeSelection { rule: TreeRule::Best, best_iteration: Some(1), rounds: 2, saved_trees: 6 };
        assert_eq!(best.selection, want);
        assert_eq!(best.nodes.len(), 4 * 3);
        let all = parse_with(&text, ParseOptions { trees: TreeRule::All }).unwrap().ensemble;
        assert_eq!((all.num_trees(), all.selection.rounds, all.selection.best_iteration), (6, 3, Some(1)));
        // iteration_indptr (XGBoost ≥ 2) decides where rounds end.
        let uneven = with(text.clone(), serde_json::json!({}), serde_json::json!({"iteration_indptr": [0, 1, 5, 6]}));
        assert_eq!(parse(&uneven).unwrap().ensemble.num_trees(), 5);
        let broken = with(text.clone(), serde_json::json!({}), serde_json::json!({"iteration_indptr": [0, 1, 5]}));
        assert!(parse(&broken).unwrap_err().contains("iteration_indptr must rise"));
        let odd =
            with(text, serde_json::json!({}), serde_json::json!({"gbtree_model_param": {"num_parallel_tree": "4"}}));
        assert!(parse(&odd).unwrap_err().contains("whole rounds of num_parallel_tree = 4"));
    }

    #[test]
    fn xgboost_1x_files_without_num_parallel_tree_take_it_from_best_ntree_limit() {
        // XGBoost 1.4–1.5 save a forest's best_ntree_limit but not num_parallel_tree.
        let trees: Vec<_> = (0..6).map(|_| stump(0, None)).collect();
        let attributes =
            |limit: &str| serde_json::json!({"attributes": {"best_iteration": "1", "best_ntree_limit": limit}});
        let text = with(model_json("1", trees.clone()), attributes("4"), serde_json::json!({}));
        let best = parse(&text).unwrap().ensemble;
        assert_eq!((best.num_trees(), best.selection.rounds), (4, 2));
        let text = with(model_json("1", trees), attributes("5"), serde_json::json!({}));
        let error = parse(&text).unwrap_err();
        assert!(error.contains("best_ntree_limit 5 is not a whole number of rounds (best_iteration 1 + 1)"), "{error}");
    }

    #[test]
    fn category_sets_of_dropped_trees_are_dropped_too() {
        let sets = serde_json::json!({"categories": [1, 40], "categories_nodes": [0],
            "categories_segments": [0], "categories_sizes": [2]});
        let text = with(
            model_json("1", vec![stump(0, None), stump(0, Some(sets))]),
            serde_json::json!({"attributes": {"best_iteration": "0"}}),
            serde_json::json!({}),
        );
        let best = parse(&text).unwrap().ensemble;
        assert_eq!((best.num_trees(), best.nodes.len(), best.category_words.len()), (1, 3, 0));
        let all = parse_with(&text, ParseOptions { trees: TreeRule::All }).unwrap().ensemble;
        assert_eq!((all.num_trees(), all.category_words.len()), (2, 2));
    }

    #[test]
    fn saved_category_names_are_read_per_feature() {
        let bytes = |s: &str| s.bytes().map(|b| b as i8 as i64).collect::<Vec<_>>();
        let cats = serde_json::json!({"cats": {
            "enc": [
                {"offsets": [], "values": []},
                {"offsets": [0, 2, 5], "values": bytes("nohey")},
                {"type": 6, "values": [3, 1.5, -2]},
            ],
            "feature_segments": [0, 0, 2, 5], "sorted_idx": [1, 0, 2, 1, 0],
        }});
        let model = parse(&with(model_json("3", vec![stump(0, None)]), serde_json::json!({}), cats)).unwrap();
        assert_eq!(model.categories.len(), 3);
        assert_eq!(model.categories[0], None);
        let text = model.categories[1].as_ref().unwrap();
        assert_eq!(text.names(&[], Matching::Exact).unwrap(), ["no", "hey"]);
        let numbers = model.categories[2].as_ref().unwrap();
        assert_eq!(numbers.names(&[], Matching::Exact).unwrap(), ["3", "1.5", "-2"]);
        let wrong = serde_json::json!({"cats": {"enc": [{"offsets": [0, 9], "values": bytes("no")}]}});
        let err = parse(&with(model_json("1", vec![stump(0, None)]), serde_json::json!({}), wrong)).unwrap_err();
        assert!(err.contains("cats entry 0: offsets [0, 9] do not fit 2 bytes"), "{err}");
    }

    #[test]
    fn a_num_feature_beyond_u32_is_refused_not_truncated() {
        // 2^32 + 1 used to become 1 column while splits on feature 2 passed
        // the check against 2^32 + 1: scoring then indexed past the row.
        let error = parse(&model_json("4294967297", vec![stump(2, None)])).unwrap_err();
        assert!(error.contains("num_feature 4294967297 is too large"), "{error}");
        assert_eq!(parse(&model_json("4294967295", vec![stump(2, None)])).unwrap().ensemble.num_features, u32::MAX);
    }

    #[test]
    fn negative_category_segments_and_sizes_are_refused() {
        // A negative segment or size overflowed `start + size` (a panic with
        // overflow checks, as in debug builds and the fuzzer).
        for (segment, size) in [(-1, 2), (0, -1), (-1, -1), (i64::MIN, i64::MIN)] {
            let sets = serde_json::json!({"categories": [1, 2], "categories_nodes": [0],
                "categories_segments": [segment], "categories_sizes": [size]});
            let error = parse(&model_json("1", vec![stump(0, Some(sets))])).unwrap_err();
            assert!(error.contains("category segment 0 is out of range"), "{segment}, {size}: {error}");
        }
    }

    #[test]
    fn trees_deeper_than_the_limit_are_refused() {
        // A 10,000-level tree (477 KB of JSON) parsed, then overflowed the
        // stack of the explainer's and the scorer's recursive tree walks.
        for depth in [MAX_TREE_DEPTH + 1, 10_000] {
            let error = parse(&model_json("1", vec![chain(depth)])).unwrap_err();
            assert!(error.contains(&format!("deeper than {MAX_TREE_DEPTH} levels")), "{error}");
        }
        let deepest = parse(&model_json("1", vec![chain(MAX_TREE_DEPTH)])).unwrap().ensemble;
        assert_eq!(deepest.nodes.len(), 2 * MAX_TREE_DEPTH + 1);
        let margin = deepest.predict_margin(&[3.0]) as f64;
        let explainer = crate::shap::Explainer::new(deepest);
        let mut phi = [0.0];
        explainer.shap_values(&[3.0], &mut phi, &mut Default::default());
        assert!(
            (explainer.base_value() + phi[0] - margin).abs() < 1e-4,
            "{} + {} vs {margin}",
            explainer.base_value(),
            phi[0]
        );
    }

    #[test]
    fn category_sets_cannot_take_unbounded_memory() {
        // Each set is as long as its largest code: one code of 2^24 - 1 costs
        // 2 MiB, so 1,500 such trees (400 KB of JSON) asked for over 3 GiB.
        let sets = serde_json::json!({"categories": [16_777_215], "categories_nodes": [0],
            "categories_segments": [0], "categories_sizes": [1]});
        let trees = |count: usize| vec![stump(0, Some(sets.clone())); count];
        let per_set = (1 << 24) / 32;
        let fits = MAX_CATEGORY_WORDS / per_set;
        assert_eq!(parse(&model_json("1", trees(fits))).unwrap().ensemble.category_words.len(), fits * per_set);
        let error = parse(&model_json("1", trees(fits + 1))).unwrap_err();
        assert!(error.contains("category sets take more than 16 MiB"), "{error}");
    }
}

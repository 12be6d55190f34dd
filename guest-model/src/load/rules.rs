//! A points-per-rule scorer (`rules.toml`) as a tree ensemble, so it runs in
//! the same component and is explained by the same code.
//!
//! Each rule is one stump on its own feature: the side where the rule fires
//! has leaf value points/100 and zero cover, the other side value 0 and all
//! the cover. The expected margin is then 0 and a rule's SHAP value is
//! exactly points/100 when it fires and 0 when it does not: the reasons of a
//! lead are the rules that fired. Margin = Σ points/100; link identity.

use serde::Deserialize;

use super::spec::Spec;
use super::xgboost::XgbModel;
use crate::features::Source;
use crate::tree::{Ensemble, Link, Node, Split, TreeSelection};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    feature: String,
    at_least: Option<f64>,
    below: Option<f64>,
    any_of: Option<Vec<String>>,
    points: f64,
}

/// Builds the stump ensemble of `rules.toml`: one rule per feature of the
/// spec, in the same order.
pub fn parse(text: &str, spec: &Spec) -> Result<XgbModel, String> {
    let file: RulesFile = toml::from_str(text).map_err(|e| e.to_string())?;
    if file.rule.len() != spec.features.len() {
        return Err(format!(
            "{} rules for {} features: give one rule per feature, in order",
            file.rule.len(),
            spec.features.len()
        ));
    }
    let mut nodes = Vec::new();
    let mut words = Vec::new();
    let mut roots = Vec::new();
    for (i, (rule, def)) in file.rule.iter().zip(spec.features.iter()).enumerate() {
        let at = |what: &str| format!("rule {i} ({}): {what}", rule.feature);
        if rule.feature != def.name {
            return Err(at(&format!("feature {i} of features.toml is {:?}", def.name)));
        }
        if !rule.points.is_finite() || rule.points == 0.0 {
            return Err(at("points must be a non-zero number"));
        }
        let value = (rule.points / 100.0) as f32;
        let root = nodes.len() as u32;
        roots.push(root);
        let (fired, idle) = (Node::leaf(value, 0.0), Node::leaf(0.0, 1.0));
        let (split, threshold, left, right, default_left) = match (rule.at_least, rule.below, &rule.any_of, &def.source)
        {
            (Some(t), None, None, Source::Field(_) | Source::Activity(_)) => {
                (Split::Numeric, t as f32, idle, fired, true)
            }
            (None, Some(t), None, Source::Field(_) | Source::Activity(_)) => {
                (Split::Numeric, t as f32, fired, idle, false)
            }
            (None, None, Some(names), Source::Category { categories, .. }) => {
                let mut bits = vec![0u32; categories.len() / 32 + 1];
                for name in names {
                    let code = categories
                        .iter()
                        .position(|c| c == name)
                        .ok_or_else(|| at(&format!("{name:?} is not one of the feature's categories")))?;
                    bits[code / 32] |= 1 << (code % 32);
                }
                let start = words.len() as u32;
                words.extend(bits);
                (Split::Categorical { start, len: words.len() as u32 - start }, 0.0, idle, fired, true)
            }
            (_, _, Some(_), _) | (_, _, _, Source::Category { .. }) => {
                return Err(at("a categorical feature takes any_of = [...], a numeric one at_least or below"));
            }
            _ => return Err(at("give exactly one of at_least, below or any_of")),
        };
        nodes.push(Node::split(split, i as u32, threshold, (root + 1, root + 2), default_left, 1.0));
        nodes.push(left);
        nodes.push(right);
    }
    let feature_types = spec
        .features
        .iter()
        .map(|f| if matches!(f.source, Source::Category { .. }) { "c" } else { "float" }.to_string())
        .collect();
    let trees = roots.len() as u32;
    Ok(XgbModel {
        ensemble: Ensemble {
            nodes: nodes.into(),
            roots: roots.into(),
            category_words: words.into(),
            base_margin: 0.0,
            num_features: spec.features.len() as u32,
            selection: TreeSelection::all(trees),
        },
        objective: "rules:points".into(),
        implied_link: Some(Link::Identity),
        feature_names: spec.features.iter().map(|f| f.name.to_string()).collect(),
        feature_types,
        categories: Vec::new(),
    })
}

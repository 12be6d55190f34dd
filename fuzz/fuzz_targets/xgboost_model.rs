//! The XGBoost JSON loader (`guest_model::load::xgboost::parse`, non-finite
//! tokens included) and what `load::model_dir` and `leadscore model build` do
//! with a model that parses: check the ensemble's structural invariants (the
//! SHAP code and the scorer rely on them), build the SHAP explainer, score
//! and explain a few leads through a `Model` with one numeric field per
//! column, and encode it as the tables the scorer component decodes (which
//! must give back the same model, bit for bit).
#![no_main]

use std::borrow::Cow;

use guest_model::features::{FeatureDef, Source};
use guest_model::lead::{Lead, Value};
use guest_model::load::xgboost;
use guest_model::model::{Bands, Calibration, Model, ModelInfo};
use guest_model::shap::{Explainer, Scratch};
use guest_model::tables;
use guest_model::tree::{Ensemble, Link, Split};
use guest_model::wording::Wording;
use libfuzzer_sys::fuzz_target;

/// Models with more columns are only parsed and explained, not scored (a
/// features.toml declares one feature per column, so none is that wide).
const MAX_SCORED_COLUMNS: usize = 512;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(xgb) = xgboost::parse(&text) else { return };
    let ensemble = xgb.ensemble;
    check_invariants(&ensemble);
    let _ = ensemble.expected_margin();
    let columns = ensemble.num_features as usize;
    if columns > MAX_SCORED_COLUMNS {
        return;
    }
    let name = |i: usize| Cow::Owned(format!("f{i}"));
    let features: Vec<FeatureDef> = (0..columns)
        .map(|i| FeatureDef {
            name: name(i),
            wording: Wording::plain(&name(i), "{value}"),
            source: Source::Field(name(i)),
        })
        .collect();
    let leads = leads(&ensemble);
    let explainer = Explainer::new(ensemble);
    let model = Model {
        info: ModelInfo {
            name: "fuzz".into(),
            version: "v".into(),
            objective: xgb.objective.into(),
            link: xgb.implied_link.unwrap_or(Link::Identity),
        },
        explainer,
        features: features.into(),
        bands: Bands::default(),
        calibration: Calibration::default(),
        reasons: Default::default(),
    };
    for scored in model.score_batch(&leads, &mut Scratch::default()) {
        let _ = scored.expect("numeric fields always make a row");
    }
    // Compared as bytes: a NaN in the tables would make `==` fail.
    let bytes = tables::encode(&model);
    let again = tables::decode(&bytes).expect("encoded tables decode");
    assert!(tables::encode(&again) == bytes, "the tables do not round-trip");
});

/// What the rest of the crate assumes of a loaded ensemble (tree.rs, shap/).
fn check_invariants(e: &Ensemble) {
    for tree in 0..e.num_trees() {
        let range = e.tree_range(tree);
        assert!(range.start < range.end && range.end <= e.nodes.len(), "tree {tree}: {range:?}");
        for i in range.clone() {
            let node = &e.nodes[i];
            if node.is_leaf() {
                assert!(node.value.is_finite(), "leaf {i}: {}", node.value);
                continue;
            }
            assert!(node.feature < e.num_features, "node {i} splits on {} of {}", node.feature, e.num_features);
            for child in [node.left as usize, node.right as usize] {
                assert!(child > i && child < range.end, "node {i}: child {child} outside {range:?}");
            }
            if let Split::Categorical { start, len } = node.split {
                assert!(start as usize + len as usize <= e.category_words.len(), "node {i}: category words");
            }
        }
    }
}

/// Leads that walk the trees different ways: every field missing, every field
/// 0, and each field at, just below and just above a threshold the model
/// splits it on (and a category code).
fn leads(e: &Ensemble) -> Vec<Lead> {
    let columns = e.num_features as usize;
    let mut at = vec![None; columns];
    for node in e.nodes.iter().filter(|n| !n.is_leaf()) {
        at[node.feature as usize].get_or_insert(node.value);
    }
    let lead = |id: &str, value: &dyn Fn(usize) -> Option<f64>| Lead {
        id: id.into(),
        as_of: 0,
        fields: (0..columns).filter_map(|i| Some((format!("f{i}"), Value::Number(value(i)?)))).collect(),
        activities: Vec::new(),
    };
    let threshold = |i: usize, step: f64| at[i].filter(|t| t.is_finite()).map(|t| t as f64 + step);
    vec![
        lead("missing", &|_| None),
        lead("zero", &|_| Some(0.0)),
        lead("at", &|i| threshold(i, 0.0)),
        lead("below", &|i| threshold(i, -1e-3)),
        lead("above", &|i| threshold(i, 1e-3)),
        lead("code", &|i| Some((i % 40) as f64)),
    ]
}

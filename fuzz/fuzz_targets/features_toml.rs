//! The small files of a model directory: `features.toml`
//! (`guest_model::load::spec::parse_spec`), `calibration.json`
//! (`parse_calibration`, against the demo model's features) and `rules.toml`
//! (`load::rules::parse`, against rules-v1's features). Every input is tried
//! as each of them. A spec that parses computes the features of the demo
//! sample leads; a rules file that parses is explained and scored.
#![no_main]

use std::sync::LazyLock;

use guest_model::features;
use guest_model::lead::Lead;
use guest_model::load::{lead_json, rules, spec};
use guest_model::shap::{Explainer, Scratch};
use libfuzzer_sys::fuzz_target;

static DEMO: LazyLock<spec::Spec> =
    LazyLock::new(|| spec::parse_spec(include_str!("../../models/demo/features.toml")).expect("demo spec"));
static RULES_SPEC: LazyLock<spec::Spec> =
    LazyLock::new(|| spec::parse_spec(include_str!("../../models/rules-v1/features.toml")).expect("rules-v1 spec"));
static LEADS: LazyLock<Vec<Lead>> = LazyLock::new(|| {
    include_str!("../../models/demo/sample-leads.jsonl")
        .lines()
        .take(4)
        .map(|line| lead_json::parse(line).expect("a committed sample lead parses"))
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(spec) = spec::parse_spec(&text) {
        for def in &spec.features {
            let _ = def.source.describe();
        }
        for lead in LEADS.iter() {
            let _ = features::compute(&spec.features, lead);
        }
    }
    let _ = spec::parse_calibration(&text, &DEMO.features);
    if let Ok(xgb) = rules::parse(&text, &RULES_SPEC) {
        let explainer = Explainer::new(xgb.ensemble);
        let row = vec![1.0f32; explainer.ensemble().num_features as usize];
        let _ = explainer.ensemble().predict_margin(&row);
        let mut phi = vec![0.0; row.len()];
        explainer.shap_values(&row, &mut phi, &mut Scratch::default());
    }
});

//! The oracle: models trained by real XGBoost at test time, built into
//! components with `leadscore model build`, scored with `leadscore score`,
//! and compared with XGBoost's own predictions and `pred_contribs`.

use std::collections::HashMap;
use std::path::Path;

use leadscore_tests::{build_component, leadscore_ok, run_python};
use serde_json::Value;

/// Tolerances of the issue: probability, SHAP values and additivity.
fn probability_ok(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-6
}
fn shap_ok(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-5 + 1e-4 * want.abs()
}
fn additive_ok(sum: f64, margin: f64) -> bool {
    (sum - margin).abs() <= 1e-5 * (1.0 + margin.abs())
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// Compares one case; returns the problems found.
fn check_case(case: &str, dir: &Path, built: &Path) -> Vec<String> {
    let wasm = build_component(dir, built);
    let leads = dir.join("leads.jsonl");
    let output = leadscore_ok(&["score", "--model", wasm.to_str().unwrap(), leads.to_str().unwrap()]);
    let got: Vec<Value> = output.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let expected = read_lines(&dir.join("expected.jsonl"));
    assert_eq!(got.len(), expected.len(), "{case}: one result line per lead");
    let mut problems = Vec::new();
    for (g, e) in got.iter().zip(&expected) {
        let id = e["lead_id"].as_str().unwrap();
        assert_eq!(g["lead_id"], e["lead_id"], "{case}: results in input order");
        if let Some(error) = g.get("error") {
            problems.push(format!("{id}: scoring failed: {error}"));
            continue;
        }
        let (p, want_p) = (num(g, "probability"), num(e, "probability"));
        if !probability_ok(p, want_p) {
            problems.push(format!("{id}: probability {p} vs XGBoost {want_p}"));
        }
        let by_feature: HashMap<&str, f64> = g["contributions"]
            .as_array()
            .expect("contributions")
            .iter()
            .map(|c| (c["feature"].as_str().unwrap(), num(c, "shap")))
            .collect();
        let want_shap: Vec<f64> = e["contribs"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        for (i, &want) in want_shap.iter().enumerate() {
            let got = by_feature[format!("f{i}").as_str()];
            if !shap_ok(got, want) {
                problems.push(format!("{id}: SHAP of f{i} {got} vs XGBoost {want}"));
            }
        }
        let (base, want_bias) = (num(g, "base_value"), num(e, "bias"));
        if !shap_ok(base, want_bias) {
            problems.push(format!("{id}: base value {base} vs XGBoost bias {want_bias}"));
        }
        let margin = num(e, "margin");
        let sum = base + by_feature.values().sum::<f64>();
        if !additive_ok(sum, margin) {
            problems.push(format!("{id}: base + Σ SHAP = {sum} but XGBoost's margin is {margin}"));
        }
    }
    problems
}

#[test]
fn components_match_xgboost_on_the_oracle_matrix() {
    let work = tempfile::tempdir().unwrap();
    let models = work.path().join("models");
    run_python("models/training/make_oracle_models.py", &["--out", models.to_str().unwrap()]);
    let cases: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(models.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 18, "the oracle matrix has every case: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let problems = check_case(case, &models.join(case), &work.path().join("built"));
        if !problems.is_empty() {
            failures.push(format!(
                "{case}: {} problems, e.g.\n  {}",
                problems.len(),
                problems[..problems.len().min(5)].join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "components disagree with XGBoost:\n{}", failures.join("\n"));
}
